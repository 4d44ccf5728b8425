//! Operability: `/metrics` (who may read it, the exposition read back by the Prometheus
//! project's own parser, gauges that follow the practices, latency by route template) and
//! request ids (believed only from a trusted proxy, stored with the e-mails and jobs a
//! request queues, and found again in the worker's JSON log lines, across processes).

use crate::cli::text;
use crate::desk::take;
use crate::engine_tests;
use crate::helpers::{TestApp, TestDb};
use crate::trade::{Erp, LIGURE, ready_practice};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// One sample as the parser read it.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Reads an exposition with `prometheus_client.parser` (the Prometheus project's Python
/// client, Debian's `python3-prometheus-client`, installed by `scripts/test`), which refuses
/// what a Prometheus server would not read.
fn parse(exposition: &str) -> Vec<Sample> {
    const SCRIPT: &str = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append([s.name, s.labels, s.value])
print(json.dumps(out))
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 (scripts/test installs python3-prometheus-client)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition.as_bytes())
        .expect("write the exposition");
    let out = child.wait_with_output().expect("parser");
    assert!(
        out.status.success(),
        "the Prometheus parser refused the exposition: {}\n{exposition}",
        text(&out.stderr)
    );
    let rows: Vec<(String, BTreeMap<String, String>, f64)> =
        serde_json::from_slice(&out.stdout).expect("parser output");
    rows.into_iter()
        .map(|(name, labels, value)| Sample {
            name,
            labels,
            value,
        })
        .collect()
}

/// The value of the sample `name` whose labels include `labels`; 0 when there is none (a
/// gauge row that is absent counts nothing).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:?}");
    found.first().map_or(0.0, |s| s.value)
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let r = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    parse(&r.text().await.unwrap())
}

fn open(samples: &[Sample], state: &str) -> f64 {
    value(
        samples,
        "sportello_practices_open",
        &[("state", state), ("chamber", "GE")],
    )
}

engine_tests!(the_metrics_follow_a_practice_through_its_states,);

async fn the_metrics_follow_a_practice_through_its_states(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let before = scrape(&app).await;
    assert_eq!(value(&before, "sportello_gauges_up", &[]), 1.0);
    assert_eq!(
        value(
            &before,
            "sportello_build_info",
            &[
                ("engine", engine.name()),
                ("instance_id", &app.state.config.instance_id)
            ],
        ),
        1.0
    );
    let base = |state: &str| open(&before, state);

    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = ready_practice(&erp, &[]).await;
    let m = scrape(&app).await;
    assert_eq!(open(&m, "draft"), base("draft") + 1.0);

    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let m = scrape(&app).await;
    assert_eq!(open(&m, "draft"), base("draft"));
    assert_eq!(open(&m, "sent"), base("sent") + 1.0);
    assert!(value(&m, "sportello_outbox_pending", &[]) >= 1.0);
    assert!(
        value(
            &m,
            "sportello_jobs",
            &[("kind", "send_email"), ("status", "queued")]
        ) >= 1.0
    );
    // Latency by route template and status class; no label anywhere names the practice.
    let send = [
        ("route", "/api/v1/practices/{id}/send"),
        ("method", "POST"),
        ("status", "2xx"),
    ];
    assert_eq!(
        value(&m, "sportello_http_request_duration_seconds_count", &send),
        1.0
    );
    let inf: Vec<(&str, &str)> = send.iter().copied().chain([("le", "+Inf")]).collect();
    assert_eq!(
        value(&m, "sportello_http_request_duration_seconds_bucket", &inf),
        1.0
    );
    assert!(
        m.iter()
            .all(|s| s.labels.values().all(|v| !v.contains(&id))),
        "a raw path with an id became a label"
    );
    let buckets: Vec<f64> = m
        .iter()
        .filter(|s| {
            s.name == "sportello_http_request_duration_seconds_bucket"
                && send
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .collect();
    assert!(buckets.len() > 5 && buckets.windows(2).all(|w| w[0] <= w[1]));

    app.run_jobs().await;
    let m = scrape(&app).await;
    assert_eq!(value(&m, "sportello_outbox_pending", &[]), 0.0);
    assert_eq!(value(&m, "sportello_outbox_oldest_seconds", &[]), 0.0);
    assert_eq!(
        value(
            &m,
            "sportello_jobs",
            &[("kind", "send_email"), ("status", "queued")]
        ),
        0.0
    );

    let officer = Erp::demo(&app, Role::Officer).await;
    take(&officer, &id).await;
    let m = scrape(&app).await;
    assert_eq!(open(&m, "sent"), base("sent"));
    assert_eq!(open(&m, "in_review"), base("in_review") + 1.0);
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let m = scrape(&app).await;
    for state in ["draft", "sent", "in_review", "to_rectify"] {
        assert_eq!(open(&m, state), base(state), "{state}");
    }

    // A throttle over its limit is counted in its scope while its window runs.
    let scope = sportello_core::throttle::Scope::LoginAccount;
    for _ in 0..=scope.limit().attempts {
        sportello_core::throttle::take(&app.state.db, app.state.clock.now(), scope, "someone")
            .await
            .unwrap();
    }
    let m = scrape(&app).await;
    assert_eq!(
        value(
            &m,
            "sportello_throttles_tripped",
            &[("scope", "login_account")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "sportello_throttles_tripped",
            &[("scope", "verify_address")]
        ),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_read_only_with_the_token_or_from_this_machine_unforwarded() {
    const TOKEN: &str = "scraper-token-0123456789";
    let app = TestApp::spawn_with_env(Engine::Sqlite, &[("SPORTELLO_METRICS_TOKEN", TOKEN)]).await;
    let client = reqwest::Client::new();
    let get = |auth: Option<&str>| {
        let mut r = client.get(app.url("/metrics"));
        if let Some(auth) = auth {
            r = r.header("authorization", auth);
        }
        r.send()
    };
    assert_eq!(get(None).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(Some("Bearer wrong-token-0123456789"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let ok = get(Some(&format!("Bearer {TOKEN}"))).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().await.unwrap().contains("sportello_build_info"));

    // Without a token: this machine, unless a proxy forwarded the request.
    let app = TestApp::spawn(Engine::Sqlite).await;
    let plain = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    for (header, value) in [
        ("x-forwarded-for", "203.0.113.5"),
        ("forwarded", "for=203.0.113.5"),
        ("x-real-ip", "203.0.113.5"),
    ] {
        let r = client
            .get(app.url("/metrics"))
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{header}");
    }
}

fn request_id_of(r: &reqwest::Response) -> String {
    r.headers()["x-request-id"].to_str().unwrap().to_string()
}

engine_tests!(a_request_id_is_believed_from_a_trusted_proxy_and_kept_with_what_it_queues,);

async fn a_request_id_is_believed_from_a_trusted_proxy_and_kept_with_what_it_queues(
    engine: Engine,
) {
    // Not from a trusted proxy: the header is ignored and a UUID v7 made.
    let app = TestApp::spawn(engine).await;
    let client = reqwest::Client::new();
    let r = client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-0001")
        .send()
        .await
        .unwrap();
    let id = request_id_of(&r);
    assert_ne!(id, "lb-0001");
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    drop(app);

    let app =
        TestApp::spawn_with_env(engine, &[("SPORTELLO_TRUSTED_PROXIES", "127.0.0.1, ::1")]).await;
    app.seed_demo().await;
    let r = client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-0002")
        .send()
        .await
        .unwrap();
    assert_eq!(request_id_of(&r), "lb-0002");
    let r = client
        .get(app.url("/no-such-page"))
        .header("x-request-id", "lb 0003\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_ne!(request_id_of(&r), "lb 0003\"", "a malformed id is replaced");

    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .header("x-request-id", "lb-send-0004")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(request_id_of(&r), "lb-send-0004");
    let mails: Vec<Option<String>> =
        sqlx::query_scalar("SELECT request_id FROM outbox_emails WHERE status = 'queued'")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert!(!mails.is_empty());
    assert!(
        mails.iter().all(|m| m.as_deref() == Some("lb-send-0004")),
        "{mails:?}"
    );
    let jobs: Vec<Option<String>> =
        sqlx::query_scalar("SELECT request_id FROM jobs WHERE kind = 'send_email'")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert!(
        jobs.iter().all(|j| j.as_deref() == Some("lb-send-0004")),
        "{jobs:?}"
    );
}

/// The JSON log lines in `text` (anything else on stderr is skipped).
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(Value::is_object)
        .collect()
}

engine_tests!(a_request_id_follows_its_e_mail_from_the_server_to_the_worker,);

/// A server (worker off) and a separate worker process on one database, both logging JSON:
/// the failed logins that lock an account queue a notice, and the worker's lines for its
/// delivery carry the id of the request that queued it.
async fn a_request_id_follows_its_e_mail_from_the_server_to_the_worker(engine: Engine) {
    let db = TestDb::new(engine).await;
    let data = db.dir.path().join("data");
    let server_log = db.dir.path().join("server.log");
    let common = |cmd: &mut Command| {
        cmd.env_remove("DATABASE_URL")
            .env("DATABASE_URL", &db.url)
            .env("SPORTELLO_DATA_DIR", &data)
            .env("SPORTELLO_LOG", "json")
            .env("SPORTELLO_LOG_LEVEL", "info,sqlx=warn")
            .env("SPORTELLO_TRUSTED_PROXIES", "127.0.0.1")
            .stdin(Stdio::null());
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sportello"));
    common(&mut cmd);
    cmd.arg("demo")
        .env("SPORTELLO_LISTEN", "127.0.0.1:0")
        .env("SPORTELLO_WORKER", "false")
        .env("SPORTELLO_INSTANCE", "web-1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&server_log).unwrap());
    let mut server = cmd.spawn().expect("run sportello demo");
    let stdout = server.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening on ").map(str::to_string))
    })
    .await
    .unwrap();
    let Some(base) = base else {
        let _ = server.kill();
        panic!(
            "the server did not start: {}",
            std::fs::read_to_string(&server_log).unwrap_or_default()
        );
    };

    let client = reqwest::Client::new();
    let mut sent = Vec::new();
    for n in 1..=sportello_core::accounts::MAX_FAILED_LOGINS {
        let id = format!("lb-login-{n}");
        let r = client
            .post(format!("{base}/api/v1/auth/token"))
            .header("x-request-id", &id)
            .json(&serde_json::json!({"email": "impresa@demo.sportello.test", "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(request_id_of(&r), id);
        sent.push(id);
    }
    let _ = server.kill();
    let _ = server.wait();
    let queued: Option<String> = sqlx::query_scalar(
        "SELECT request_id FROM outbox_emails WHERE to_addr = 'impresa@demo.sportello.test'",
    )
    .fetch_one(db.db.pool())
    .await
    .expect("the lock-out notice was queued");
    let id = queued.expect("the notice keeps its request id");
    assert!(sent.contains(&id), "{id} is one of {sent:?}");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sportello"));
    common(&mut cmd);
    let worker = cmd
        .args(["admin", "jobs", "run"])
        .env("SPORTELLO_INSTANCE", "worker-1")
        .output()
        .expect("run sportello admin jobs run");
    assert!(worker.status.success(), "{}", text(&worker.stderr));

    let server_lines = json_lines(&std::fs::read_to_string(&server_log).unwrap());
    let of_request: Vec<&Value> = server_lines
        .iter()
        .filter(|l| l["request_id"] == id.as_str())
        .collect();
    let closing = of_request
        .iter()
        .find(|l| l["message"] == "request served")
        .unwrap_or_else(|| panic!("no closing line for {id} in {server_lines:#?}"));
    assert_eq!(closing["instance_id"], "web-1");
    assert_eq!(closing["route"], "/api/v1/auth/token");
    assert_eq!(closing["method"], "POST");
    assert_eq!(closing["status"], 401);
    assert!(closing["latency_ms"].is_f64());
    assert_eq!(closing["level"], "INFO");
    assert!(closing["timestamp"].is_string());

    let worker_lines = json_lines(&text(&worker.stderr));
    let done = worker_lines
        .iter()
        .find(|l| l["request_id"] == id.as_str() && l["message"] == "job done")
        .unwrap_or_else(|| panic!("no worker line for {id} in {worker_lines:#?}"));
    assert_eq!(done["kind"], "send_email");
    assert_eq!(done["instance_id"], "worker-1");
    assert!(done["job_id"].is_string());
}

engine_tests!(every_metrics_gauge_reads_a_range_of_its_index,);

/// The gauge queries of `/metrics` as the planner runs them (literal values for the bound
/// ones): each reads its index, on both engines. PostgreSQL is told to avoid sequential scans,
/// which it would rightly prefer on a test's few rows.
async fn every_metrics_gauge_reads_a_range_of_its_index(engine: Engine) {
    use sqlx::Row;
    let t = TestDb::new(engine).await;
    let now = "2026-12-06T10:00:00.000000Z";
    let queries = [
        (
            "SELECT status, chamber_id, COUNT(*) AS n FROM practices \
             WHERE status IN ('draft', 'sent', 'in_review', 'to_rectify') \
             GROUP BY status, chamber_id",
            "practices_status_chamber",
        ),
        (
            "SELECT kind, status, COUNT(*) FROM jobs \
             WHERE status IN ('queued', 'running', 'dead') GROUP BY kind, status",
            "jobs_status_kind",
        ),
        (
            &*format!("SELECT MIN(run_at) FROM jobs WHERE status = 'queued' AND run_at <= '{now}'"),
            // Either index is a range of the queued jobs; the planner picks by the rows.
            "jobs_",
        ),
        (
            "SELECT COUNT(*), MIN(created_at) FROM outbox_emails WHERE status = 'queued'",
            "outbox_status_created",
        ),
        (
            &*format!(
                "SELECT COUNT(*) FROM throttles WHERE scope = 'login_account' \
                 AND window_start > '{now}' AND attempts > 5"
            ),
            "throttles_scope_window",
        ),
    ];
    let mut conn = t.db.pool().acquire().await.unwrap();
    if engine == Engine::Postgres {
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    for (sql, index) in queries {
        let plan: Vec<String> = match engine {
            Engine::Sqlite => sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect(),
            Engine::Postgres => sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect(),
        };
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{sql}\n{plan}");
        // A range of the index: SQLite searches it, PostgreSQL scans no table whole.
        let ranged = match engine {
            Engine::Sqlite => plan.contains("SEARCH"),
            Engine::Postgres => !plan.contains("Seq Scan"),
        };
        assert!(ranged, "{sql}\n{plan}");
    }
}
