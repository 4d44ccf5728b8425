//! Prometheus metrics at `/metrics`, in the text exposition format: what this process counted
//! (responses, request latency histograms by route template, jobs run, logins) and gauges read
//! from the database at each scrape, which every instance reports alike (open practices,
//! the queue, the outbox, throttles). The gauge queries are each a range of an index bounded
//! by the work in flight (migration 0083), never a count over the archive.

use crate::db::Db;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the request latency buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The label of requests no route matched (their raw paths would be unbounded).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// One latency histogram: a count per bucket (not cumulative), the total and the sum.
#[derive(Clone, Debug, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Route template, method, status class.
type RequestKey = (String, String, &'static str);

#[derive(Debug, Default)]
pub struct Metrics {
    http: [AtomicU64; 5],
    requests: Mutex<BTreeMap<RequestKey, Histogram>>,
    jobs_done: AtomicU64,
    jobs_failed: AtomicU64,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    password_checks: AtomicU64,
}

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn class_index(status: u16) -> usize {
    usize::from(status / 100).clamp(1, 5) - 1
}

impl Metrics {
    pub fn http_response(&self, status: u16) {
        self.http[class_index(status)].fetch_add(1, Ordering::Relaxed);
    }

    /// One request served: its route template (`/practices/{id}`, never the path with its ids;
    /// [`UNMATCHED_ROUTE`] when none matched), method, status and duration.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_response(status);
        let key = (
            route.to_string(),
            method.to_string(),
            CLASSES[class_index(status)],
        );
        // A poisoned lock only means another request panicked while observing: the counts
        // are still counts.
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        requests.entry(key).or_default().observe(seconds);
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

    /// The text exposition format: the build and instance, this process's counters and
    /// histograms, and the database `gauges` (`None` when they could not be read, which
    /// `sportello_gauges_up 0` says).
    pub fn render(&self, build: &BuildInfo, gauges: Option<&Gauges>) -> String {
        let mut out = Exposition::default();
        out.family(
            "sportello_build_info",
            "gauge",
            "The running build and instance (always 1).",
        );
        out.sample(
            "sportello_build_info",
            &[
                ("version", &build.version),
                ("instance_id", &build.instance_id),
                ("engine", &build.engine),
            ],
            1,
        );

        out.family(
            "sportello_http_responses_total",
            "counter",
            "HTTP responses by status class.",
        );
        for (class, c) in CLASSES.iter().zip(&self.http) {
            out.sample(
                "sportello_http_responses_total",
                &[("class", class)],
                c.load(Ordering::Relaxed),
            );
        }
        self.render_latency(&mut out);

        out.family(
            "sportello_jobs_total",
            "counter",
            "Jobs run by this process, by outcome.",
        );
        for (outcome, c) in [("done", &self.jobs_done), ("failed", &self.jobs_failed)] {
            out.sample(
                "sportello_jobs_total",
                &[("outcome", outcome)],
                c.load(Ordering::Relaxed),
            );
        }
        out.family(
            "sportello_logins_total",
            "counter",
            "Login attempts by outcome.",
        );
        for (outcome, c) in [("ok", &self.logins_ok), ("failed", &self.logins_failed)] {
            out.sample(
                "sportello_logins_total",
                &[("outcome", outcome)],
                c.load(Ordering::Relaxed),
            );
        }
        out.family(
            "sportello_password_checks_total",
            "counter",
            "Argon2 verifications run for logins.",
        );
        out.sample(
            "sportello_password_checks_total",
            &[],
            self.password_checks.load(Ordering::Relaxed),
        );

        out.family(
            "sportello_gauges_up",
            "gauge",
            "Whether the database gauges below could be read at this scrape.",
        );
        out.sample("sportello_gauges_up", &[], u64::from(gauges.is_some()));
        if let Some(g) = gauges {
            g.render(&mut out);
        }
        out.text
    }

    fn render_latency(&self, out: &mut Exposition) {
        const NAME: &str = "sportello_http_request_duration_seconds";
        out.family(
            NAME,
            "histogram",
            "Time to answer a request, by route template, method and status class.",
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((route, method, class), h) in requests.iter() {
            let labels = [
                ("route", route.as_str()),
                ("method", method),
                ("status", class),
            ];
            let mut cumulative = 0;
            for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let le = bound.to_string();
                out.sample_with(NAME, "_bucket", &labels, Some(("le", &le)), cumulative);
            }
            out.sample_with(NAME, "_bucket", &labels, Some(("le", "+Inf")), h.count);
            out.value(&format!("{NAME}_sum"), &labels, &h.sum.to_string());
            out.sample_with(NAME, "_count", &labels, None, h.count);
        }
    }
}

/// What `sportello_build_info` says: the version, this instance's id
/// (`SPORTELLO_INSTANCE`) and the database engine.
#[derive(Clone, Debug)]
pub struct BuildInfo {
    pub version: String,
    pub instance_id: String,
    pub engine: String,
}

/// The database's state as every instance sees it, read at a scrape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gauges {
    /// Open practices: (status, chamber code, count).
    pub practices: Vec<(String, String, i64)>,
    /// Jobs not done: (kind, status, count).
    pub jobs: Vec<(String, String, i64)>,
    /// How long the longest-waiting due job has waited, in seconds (0 when none waits).
    pub oldest_due_job_seconds: f64,
    /// E-mails waiting in the outbox.
    pub outbox_pending: i64,
    /// How long the oldest of them has waited, in seconds (0 when none waits).
    pub outbox_oldest_seconds: f64,
    /// Subjects over their limit now, by throttle scope.
    pub throttles: Vec<(&'static str, i64)>,
}

/// Seconds from a stored instant to `now`, 0 for none or an unreadable one.
fn age(stored: Option<&str>, now: DateTime<Utc>) -> f64 {
    stored
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or(0.0, |t| {
            ((now - t.with_timezone(&Utc)).num_milliseconds().max(0) as f64) / 1000.0
        })
}

impl Gauges {
    /// Reads every gauge: a handful of bounded index range scans.
    pub async fn read(db: &Db, now: DateTime<Utc>) -> Result<Gauges, sqlx::Error> {
        let practices = crate::trade::practice::lists::open_by_chamber(db).await?;
        let jobs = crate::jobs::depth(db).await?;
        let oldest_job = crate::jobs::oldest_due(db, now).await?;
        let (outbox_pending, oldest_mail) = crate::notify::lag(db).await?;
        let mut throttles = Vec::new();
        for scope in crate::throttle::Scope::ALL {
            throttles.push((
                scope.as_str(),
                crate::throttle::tripped(db, now, scope).await?,
            ));
        }
        Ok(Gauges {
            practices,
            jobs,
            oldest_due_job_seconds: age(oldest_job.as_deref(), now),
            outbox_pending,
            outbox_oldest_seconds: age(oldest_mail.as_deref(), now),
            throttles,
        })
    }

    fn render(&self, out: &mut Exposition) {
        out.family(
            "sportello_practices_open",
            "gauge",
            "Practices in an open state (draft, sent, in review, to rectify), by state and chamber.",
        );
        for (status, chamber, n) in &self.practices {
            out.signed(
                "sportello_practices_open",
                &[("state", status), ("chamber", chamber)],
                *n,
            );
        }
        out.family(
            "sportello_jobs",
            "gauge",
            "Jobs not done (queued, running, dead), by kind and status.",
        );
        for (kind, status, n) in &self.jobs {
            out.signed("sportello_jobs", &[("kind", kind), ("status", status)], *n);
        }
        let dead: i64 = self
            .jobs
            .iter()
            .filter(|(_, s, _)| s == "dead")
            .map(|(_, _, n)| n)
            .sum();
        out.family(
            "sportello_jobs_dead",
            "gauge",
            "Jobs parked after their last attempt, waiting for an administrator.",
        );
        out.signed("sportello_jobs_dead", &[], dead);
        out.family(
            "sportello_jobs_oldest_due_seconds",
            "gauge",
            "How long the longest-waiting due job has waited to be claimed.",
        );
        out.value(
            "sportello_jobs_oldest_due_seconds",
            &[],
            &self.oldest_due_job_seconds.to_string(),
        );
        out.family(
            "sportello_outbox_pending",
            "gauge",
            "E-mails waiting to be sent.",
        );
        out.signed("sportello_outbox_pending", &[], self.outbox_pending);
        out.family(
            "sportello_outbox_oldest_seconds",
            "gauge",
            "How long the oldest e-mail waiting to be sent has waited.",
        );
        out.value(
            "sportello_outbox_oldest_seconds",
            &[],
            &self.outbox_oldest_seconds.to_string(),
        );
        out.family(
            "sportello_throttles_tripped",
            "gauge",
            "Subjects (accounts, addresses, numbers) over their attempt limit now, by scope.",
        );
        for (scope, n) in &self.throttles {
            out.signed("sportello_throttles_tripped", &[("scope", scope)], *n);
        }
    }
}

/// The text being written, one family (`# HELP`, `# TYPE`) then its samples.
#[derive(Default)]
struct Exposition {
    text: String,
}

/// A label value as the format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn value(&mut self, name: &str, labels: &[(&str, &str)], value: &str) {
        self.text.push_str(name);
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.text, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.text, " {value}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        self.value(name, labels, &value.to_string());
    }

    fn signed(&mut self, name: &str, labels: &[(&str, &str)], value: i64) {
        self.value(name, labels, &value.to_string());
    }

    fn sample_with(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &[(&str, &str)],
        extra: Option<(&str, &str)>,
        value: u64,
    ) {
        let mut all: Vec<(&str, &str)> = labels.to_vec();
        all.extend(extra);
        self.value(&format!("{name}{suffix}"), &all, &value.to_string());
    }
}

/// Reads the gauges for a scrape, logging (not failing) when the database does not answer.
pub async fn gauges_for_scrape(db: &Db, now: DateTime<Utc>) -> Option<Gauges> {
    match Gauges::read(db, now).await {
        Ok(g) => Some(g),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database gauges could not be read");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build() -> BuildInfo {
        BuildInfo {
            version: "1.0.0".into(),
            instance_id: "web-1".into(),
            engine: "sqlite".into(),
        }
    }

    #[test]
    fn latency_buckets_are_cumulative_and_end_with_the_count() {
        let m = Metrics::default();
        m.request("/practices/{id}", "GET", 200, 0.003);
        m.request("/practices/{id}", "GET", 204, 0.2);
        m.request("/practices/{id}", "GET", 200, 100.0);
        let text = m.render(&build(), None);
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.starts_with(needle))
                .unwrap_or_else(|| panic!("{needle} in {text}"))
                .to_string()
        };
        let labels = r#"route="/practices/{id}",method="GET",status="2xx""#;
        assert!(
            line(&format!(
                "sportello_http_request_duration_seconds_bucket{{{labels},le=\"0.005\"}}"
            ))
            .ends_with(" 1")
        );
        assert!(
            line(&format!(
                "sportello_http_request_duration_seconds_bucket{{{labels},le=\"0.25\"}}"
            ))
            .ends_with(" 2")
        );
        assert!(
            line(&format!(
                "sportello_http_request_duration_seconds_bucket{{{labels},le=\"30\"}}"
            ))
            .ends_with(" 2")
        );
        assert!(
            line(&format!(
                "sportello_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}}"
            ))
            .ends_with(" 3")
        );
        assert!(
            line(&format!(
                "sportello_http_request_duration_seconds_count{{{labels}}}"
            ))
            .ends_with(" 3")
        );
        assert!(text.contains("sportello_gauges_up 0"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn an_age_is_counted_from_the_stored_instant() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T10:00:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(age(Some("2026-12-06T10:00:00.000000Z"), now), 30.0);
        assert_eq!(age(None, now), 0.0);
        assert_eq!(age(Some("2026-12-06T10:01:00.000000Z"), now), 0.0);
    }
}
