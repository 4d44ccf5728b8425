//! Prometheus metrics at `/metrics`: request counts by status class, job outcomes, logins,
//! and gauges read from the database when scraped.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    http: [AtomicU64; 5],
    jobs_done: AtomicU64,
    jobs_failed: AtomicU64,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    password_checks: AtomicU64,
}

impl Metrics {
    pub fn http_response(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.http[class].fetch_add(1, Ordering::Relaxed);
    }
    pub fn job_done(&self) {
        self.jobs_done.fetch_add(1, Ordering::Relaxed);
    }
    pub fn job_failed(&self) {
        self.jobs_failed.fetch_add(1, Ordering::Relaxed);
    }
    pub fn login(&self, ok: bool) {
        let c = if ok {
            &self.logins_ok
        } else {
            &self.logins_failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// One Argon2 verification of a login password (a decoy one included).
    pub fn password_check(&self) {
        self.password_checks.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format, with database gauges appended.
    pub fn render(&self, outbox_pending: i64, jobs: &[(String, i64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP sportello_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(out, "# TYPE sportello_http_responses_total counter");
        for (i, c) in self.http.iter().enumerate() {
            let _ = writeln!(
                out,
                "sportello_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP sportello_jobs_total Jobs run by this process, by outcome."
        );
        let _ = writeln!(out, "# TYPE sportello_jobs_total counter");
        let _ = writeln!(
            out,
            "sportello_jobs_total{{outcome=\"done\"}} {}",
            self.jobs_done.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "sportello_jobs_total{{outcome=\"failed\"}} {}",
            self.jobs_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP sportello_logins_total Login attempts by outcome."
        );
        let _ = writeln!(out, "# TYPE sportello_logins_total counter");
        let _ = writeln!(
            out,
            "sportello_logins_total{{outcome=\"ok\"}} {}",
            self.logins_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "sportello_logins_total{{outcome=\"failed\"}} {}",
            self.logins_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP sportello_password_checks_total Argon2 verifications run for logins."
        );
        let _ = writeln!(out, "# TYPE sportello_password_checks_total counter");
        let _ = writeln!(
            out,
            "sportello_password_checks_total {}",
            self.password_checks.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP sportello_outbox_pending E-mails waiting to be sent."
        );
        let _ = writeln!(out, "# TYPE sportello_outbox_pending gauge");
        let _ = writeln!(out, "sportello_outbox_pending {outbox_pending}");
        let _ = writeln!(out, "# HELP sportello_jobs Jobs in the queue by status.");
        let _ = writeln!(out, "# TYPE sportello_jobs gauge");
        for (status, n) in jobs {
            let _ = writeln!(out, "sportello_jobs{{status=\"{status}\"}} {n}");
        }
        out
    }
}
