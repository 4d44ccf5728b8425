//! Crash safety, proven: the practice load (submissions, rectifications, approvals,
//! rejections) runs through the HTTP API against real `sportello serve` processes while a
//! killer sends SIGKILL to one of them at random moments and starts it again; afterwards the
//! database, the blob folder and a real SMTP server are checked for what a crash must never
//! leave behind:
//!
//! - every wallet's ledger sums to its balance, and each practice's entries to the fee of
//!   what it was charged (nothing once it was rejected and refunded);
//! - no practice charged twice, none charged and not sent;
//! - protocol and certificate numbers unique and gapless per chamber and year, each counter
//!   at its highest number;
//! - every certificate row has its PDF in the blob store, with the content its key names;
//! - every outbox e-mail sent and received by the SMTP server, none received that the outbox
//!   does not hold; a second copy only from a sender killed between the relay's answer and
//!   its commit (SMTP cannot do better), one per kill at most, never a third;
//! - no job left queued, running or dead;
//! - the audit chain verifies;
//! - and what the server confirmed to the client is what the database holds.
//!
//! On SQLite one instance runs and is killed; on PostgreSQL two instances share the database
//! and the blob folder, the client spreads its requests over both, and one at a time is
//! killed. The random moments come from a seeded generator whose seed is printed
//! (`SPORTELLO_FAULT_SEED` replays the same kill schedule and choices; thread timing still
//! varies). `SPORTELLO_FAULT_KILLS` sets how many kills (default 20); `bench/fault/run.sh`
//! runs longer.

use crate::helpers::{SmtpServer, TestDb};
use crate::trade::{DETAILS, LIGURE, co_form, sign};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::db::Engine;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

crate::engine_tests!(practices_survive_kill_9_with_nothing_lost_or_done_twice);

/// The seal key every instance shares (the demo seal is stored encrypted under it).
const SEAL_KEY: &str = "6b1f0c8f2a9d4e3b7c5a1f0e9d8c7b6a5f4e3d2c1b0a99887766554433221100";
/// How long a worker holds a job: short, so the jobs of a killed worker come back in the run.
const LEASE_SECONDS: &str = "10";
/// Concurrent clients, each driving one practice at a time.
const CLIENTS: usize = 4;

async fn practices_survive_kill_9_with_nothing_lost_or_done_twice(engine: Engine) {
    let kills: usize = std::env::var("SPORTELLO_FAULT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("SPORTELLO_FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    let instances = match engine {
        Engine::Sqlite => 1,
        Engine::Postgres => 2,
    };
    println!(
        "fault test on {}: seed {seed} (SPORTELLO_FAULT_SEED={seed} replays it), {kills} kills, {instances} instance(s)",
        engine.name()
    );
    let report = run(engine, seed, kills, instances).await;
    println!("{report}");
}

/// One `sportello` process: its command line and environment, started again after a kill.
struct Instance {
    name: String,
    port: u16,
    env: Vec<(String, String)>,
    log: std::path::PathBuf,
    child: Option<Child>,
    starts: usize,
}

impl Instance {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process (`demo` seeds then serves; `serve` only serves) and waits until it
    /// answers `/healthz`.
    async fn start(&mut self, command: &str) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("instance log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sportello"));
        cmd.arg(command)
            .env_remove("DATABASE_URL")
            .env("SPORTELLO_LISTEN", format!("127.0.0.1:{}", self.port))
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("start sportello"));
        self.starts += 1;
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = client
                .get(format!("{}/healthz", self.base()))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "{} exited at start ({status}):\n{}",
                    self.name,
                    tail(&self.log)
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{} did not answer within 2 minutes:\n{}",
                self.name,
                tail(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reaps the process.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// What the clients were told by the servers, per practice id: the last state confirmed.
#[derive(Default)]
struct Ledger {
    confirmed: Mutex<HashMap<String, &'static str>>,
    errors: Mutex<Vec<String>>,
    retried_requests: AtomicUsize,
    practices_started: AtomicUsize,
}

impl Ledger {
    fn confirm(&self, id: &str, state: &'static str) {
        self.confirmed.lock().unwrap().insert(id.to_string(), state);
    }
    fn error(&self, e: String) {
        self.errors.lock().unwrap().push(e);
    }
}

/// A client of the instances: each request goes to one chosen at random and is retried (on
/// any instance) while the connection fails, as a load balancer's client would.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    bases: Arc<Vec<String>>,
    ledger: Arc<Ledger>,
    /// The company's token, to read a practice's state (the office reads it on its pages).
    reader: String,
}

/// An answer, and whether it took more than one try (so an earlier try may have done it).
struct Answer {
    status: StatusCode,
    body: Value,
    retried: bool,
}

impl Client {
    async fn call(
        &self,
        rng: &mut StdRng,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Answer {
        let started = Instant::now();
        let mut retried = false;
        loop {
            let base = &self.bases[rng.random_range(0..self.bases.len())];
            // Refused or reset (the instance is down), or killed while answering: try again.
            if let Ok(r) = build(&self.http, base)
                .timeout(Duration::from_secs(60))
                .send()
                .await
            {
                let status = r.status();
                if let Ok(bytes) = r.bytes().await {
                    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    return Answer {
                        status,
                        body,
                        retried,
                    };
                }
            }
            retried = true;
            self.ledger.retried_requests.fetch_add(1, Ordering::Relaxed);
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "no instance answered for 3 minutes"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn login(&self, rng: &mut StdRng, email: &str, password: &str) -> String {
        let a = self
            .call(rng, |c, b| {
                c.post(format!("{b}/api/v1/auth/token"))
                    .json(&json!({"email": email, "password": password}))
            })
            .await;
        assert_eq!(a.status, StatusCode::OK, "login {email}: {}", a.body);
        a.body["token"].as_str().expect("token").to_string()
    }

    async fn status_of(&self, rng: &mut StdRng, id: &str) -> String {
        let a = self
            .call(rng, |c, b| {
                c.get(format!("{b}/api/v1/practices/{id}"))
                    .bearer_auth(&self.reader)
            })
            .await;
        assert_eq!(a.status, StatusCode::OK, "practice {id}: {}", a.body);
        a.body["status"].as_str().unwrap_or_default().to_string()
    }
}

/// One practice from model to its end: sent, then taken and approved, rejected, or sent back
/// for rectification, resent and decided. Returns its id once it was sent.
async fn one_practice(
    client: &Client,
    rng: &mut StdRng,
    company: &str,
    officer: &str,
    site: &str,
    n: usize,
) -> Result<(), String> {
    client
        .ledger
        .practices_started
        .fetch_add(1, Ordering::Relaxed);
    // Model, XML, signature, upload: a try that fails half-way starts over with a new model
    // (what it left behind is a draft nobody sent).
    let id = loop {
        let mut form = co_form();
        form["consignee"]["name"] = json!(format!("Fault Trading {n}"));
        let a = client
            .call(rng, |c, b| {
                c.post(format!("{b}/api/v1/models")).bearer_auth(company).json(
                    &json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": site, "form": form}),
                )
            })
            .await;
        if a.status != StatusCode::CREATED {
            return Err(format!("model: {} {}", a.status, a.body));
        }
        let model = a.body["id"].as_str().ok_or("no model id")?.to_string();
        let xml = loop {
            let r = client
                .http
                .get(format!(
                    "{}/api/v1/models/{model}/xml",
                    client.bases[rng.random_range(0..client.bases.len())]
                ))
                .bearer_auth(company)
                .send()
                .await;
            if let Ok(r) = r
                && r.status() == StatusCode::OK
                && let Ok(bytes) = r.bytes().await
            {
                break bytes.to_vec();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let signed = tokio::task::spawn_blocking(move || sign(&xml, "giulia"))
            .await
            .map_err(|e| e.to_string())?;
        let a = client
            .call(rng, |c, b| {
                let mut form = reqwest::multipart::Form::new().part(
                    "signed_model",
                    reqwest::multipart::Part::bytes(signed.clone()).file_name("modello.xml.p7m"),
                );
                for (k, v) in DETAILS {
                    form = form.text(k, v);
                }
                c.post(format!("{b}/api/v1/practices"))
                    .bearer_auth(company)
                    .multipart(form)
            })
            .await;
        if a.status == StatusCode::CREATED {
            break a.body["id"].as_str().ok_or("no practice id")?.to_string();
        }
        if !a.retried {
            return Err(format!("upload: {} {}", a.status, a.body));
        }
        // An earlier try may have made the practice: this model is spent, start over.
    };
    let a = client
        .call(rng, |c, b| {
            let pdf = b"%PDF-1.4\n% fattura\n%%EOF\n".to_vec();
            let form = reqwest::multipart::Form::new()
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(pdf).file_name("fattura.pdf"),
                )
                .text("description", "Fattura")
                .text("code", "invoice");
            c.post(format!("{b}/api/v1/practices/{id}/attachments"))
                .bearer_auth(company)
                .multipart(form)
        })
        .await;
    if a.status != StatusCode::CREATED {
        return Err(format!("attach {id}: {} {}", a.status, a.body));
    }
    send(client, rng, company, &id, "first").await?;
    client.ledger.confirm(&id, "sent");

    // The office: take it, then decide.
    take(client, rng, officer, &id).await?;
    let choice = rng.random_range(0..10);
    if choice < 3 {
        let a = client
            .call(rng, |c, b| {
                c.post(format!("{b}/api/v1/practices/{id}/request-rectification"))
                    .bearer_auth(officer)
                    .json(&json!({"reason": "Manca la firma sulla fattura", "fields": []}))
            })
            .await;
        decided(client, rng, &id, &a, "to_rectify", "rectification").await?;
        client.ledger.confirm(&id, "to_rectify");
        send(client, rng, company, &id, "resend").await?;
        client.ledger.confirm(&id, "sent");
        take(client, rng, officer, &id).await?;
    }
    if choice % 3 == 2 {
        let a = client
            .call(rng, |c, b| {
                c.post(format!("{b}/api/v1/practices/{id}/reject"))
                    .bearer_auth(officer)
                    .json(&json!({"reason": "Merce non di origine italiana"}))
            })
            .await;
        decided(client, rng, &id, &a, "rejected", "reject").await?;
        client.ledger.confirm(&id, "rejected");
    } else {
        let a = client
            .call(rng, |c, b| {
                c.post(format!("{b}/api/v1/practices/{id}/approve"))
                    .bearer_auth(officer)
            })
            .await;
        decided(client, rng, &id, &a, "approved", "approve").await?;
        client.ledger.confirm(&id, "approved");
    }
    Ok(())
}

/// Sends (or resends) with one idempotency key, retried until the server answers.
async fn send(
    client: &Client,
    rng: &mut StdRng,
    company: &str,
    id: &str,
    which: &str,
) -> Result<(), String> {
    let key = format!("fault-{which}-{id}");
    let a = client
        .call(rng, |c, b| {
            c.post(format!("{b}/api/v1/practices/{id}/send"))
                .bearer_auth(company)
                .header("Idempotency-Key", &key)
        })
        .await;
    if a.status != StatusCode::OK {
        return Err(format!("{which} send {id}: {} {}", a.status, a.body));
    }
    Ok(())
}

async fn take(client: &Client, rng: &mut StdRng, officer: &str, id: &str) -> Result<(), String> {
    let a = client
        .call(rng, |c, b| {
            c.post(format!("{b}/api/v1/practices/{id}/take"))
                .bearer_auth(officer)
        })
        .await;
    decided(client, rng, id, &a, "in_review", "take").await
}

/// Accepts a decision's answer: a success, or — when a lost earlier try may have done it —
/// a refusal while the practice is already where the decision leads.
async fn decided(
    client: &Client,
    rng: &mut StdRng,
    id: &str,
    a: &Answer,
    target: &str,
    what: &str,
) -> Result<(), String> {
    if a.status.is_success() {
        return Ok(());
    }
    if a.retried && client.status_of(rng, id).await == target {
        return Ok(());
    }
    Err(format!("{what} {id}: {} {}", a.status, a.body))
}

/// Runs the load and the killer, drains the queue, checks; the report line.
async fn run(engine: Engine, seed: u64, kills: usize, count: usize) -> String {
    let db = TestDb::new(engine).await;
    let smtp = SmtpServer::start();
    let data = db.dir.path().join("data");
    let env: Vec<(String, String)> = [
        ("DATABASE_URL", db.url.as_str()),
        ("SPORTELLO_DATA_DIR", &data.display().to_string()),
        ("SPORTELLO_SMTP_HOST", "127.0.0.1"),
        ("SPORTELLO_SMTP_PORT", &smtp.port.to_string()),
        ("SPORTELLO_SMTP_TLS", "none"),
        ("SPORTELLO_SEAL_KEY", SEAL_KEY),
        ("SPORTELLO_JOB_LEASE_SECONDS", LEASE_SECONDS),
        ("SPORTELLO_DB_MAX_CONNECTIONS", "5"),
        ("SPORTELLO_LOG_LEVEL", "warn"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut instances: Vec<Instance> = (0..count)
        .map(|i| Instance {
            name: format!("instance {}", i + 1),
            port: std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
            env: env.clone(),
            log: db.dir.path().join(format!("instance-{}.log", i + 1)),
            child: None,
            starts: 0,
        })
        .collect();
    instances[0].start("demo").await;
    for i in instances.iter_mut().skip(1) {
        i.start("serve").await;
    }
    let credit = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["admin", "wallet", "credit", "--company", LIGURE])
        .args(["--amount", "1000000", "--reference", "fault-test"])
        .env_remove("DATABASE_URL")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("wallet credit");
    assert!(
        credit.status.success(),
        "wallet credit: {}",
        String::from_utf8_lossy(&credit.stderr)
    );

    let ledger = Arc::new(Ledger::default());
    let mut client = Client {
        http: reqwest::Client::new(),
        bases: Arc::new(instances.iter().map(Instance::base).collect()),
        ledger: ledger.clone(),
        reader: String::new(),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let (company_email, company_password) =
        crate::helpers::TestApp::demo_login(sportello_core::accounts::Role::Company);
    let (officer_email, officer_password) =
        crate::helpers::TestApp::demo_login(sportello_core::accounts::Role::Officer);
    let company = client
        .login(&mut rng, company_email, company_password)
        .await;
    let officer = client
        .login(&mut rng, officer_email, officer_password)
        .await;
    client.reader = company.clone();
    let a = client
        .call(&mut rng, |c, b| {
            c.put(format!("{b}/api/v1/profile")).bearer_auth(&company).json(&json!({
                "company_tax_code": LIGURE, "tax_code": LIGURE, "delivery_address": "Via XX Settembre 12",
                "postcode": "16121", "municipality": "Genova", "province": "GE",
                "notification_email": "export@ligure-export.test"}))
        })
        .await;
    assert!(a.status.is_success(), "profile: {}", a.body);
    let a = client
        .call(&mut rng, |c, b| {
            c.get(format!("{b}/api/v1/registry/companies?tax_code={LIGURE}"))
                .bearer_auth(&company)
        })
        .await;
    let site = a.body[0]["sites"][0]["id"]
        .as_str()
        .expect("demo company site")
        .to_string();

    // The load: CLIENTS clients, one practice at a time each, until the killer is done.
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, stop, next) = (client.clone(), stop.clone(), next.clone());
        let (company, officer, site) = (company.clone(), officer.clone(), site.clone());
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1 + c as u64));
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = one_practice(&client, &mut rng, &company, &officer, &site, n).await
                {
                    client.ledger.error(e);
                }
            }
        }));
    }

    // The killer: SIGKILL at a random moment, start again, repeat.
    let started = Instant::now();
    let mut kill_rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(7));
    let mut killed_at = Vec::new();
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(kill_rng.random_range(150..1500))).await;
        let victim = kill_rng.random_range(0..instances.len());
        instances[victim].kill();
        killed_at.push(Instant::now());
        // A short while down, during which the clients retry elsewhere or wait.
        tokio::time::sleep(Duration::from_millis(kill_rng.random_range(0..300))).await;
        instances[victim].start("serve").await;
    }
    let load_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("client task");
    }

    // Drain: every instance's worker runs until nothing is left to do (the jobs a killed
    // worker held come back when their lease ends).
    let drained = Instant::now();
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') AND run_at <= $1",
        )
        .bind(sportello_core::db::instant(
            chrono::Utc::now() + chrono::Duration::minutes(1),
        ))
        .fetch_one(db.db.pool())
        .await
        .unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            drained.elapsed() < Duration::from_secs(120),
            "{pending} jobs still pending after 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Mail the SMTP server accepted is in its inbox once the worker has seen the reply.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in &mut instances {
        i.kill();
    }

    let errors = ledger.errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "the clients met errors: {errors:#?}");
    let confirmed = ledger.confirmed.lock().unwrap().clone();
    let checked = check(&db, &data.join("blobs"), &smtp, &confirmed, &killed_at).await;
    format!(
        "{kills} kills ({} starts), {} practices sent ({} started), {checked}, 0 lost; \
         load {:.1} s, {} requests retried",
        instances.iter().map(|i| i.starts).sum::<usize>(),
        confirmed.len(),
        ledger.practices_started.load(Ordering::Relaxed),
        load_time.as_secs_f64(),
        ledger.retried_requests.load(Ordering::Relaxed),
    )
}

/// A practice as the checks read it: id, status, fee, protocol number, send date, the sum of
/// its wallet entries and the number of its charges.
type PracticeRow = (
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

/// The invariants, read straight from the database, the blob folder and the SMTP inbox.
async fn check(
    db: &TestDb,
    blobs: &std::path::Path,
    smtp: &SmtpServer,
    confirmed: &HashMap<String, &'static str>,
    killed_at: &[Instant],
) -> String {
    let pool = db.db.pool();

    // Ledgers: each wallet's entries sum to its balance.
    let wallets: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT w.company_id, w.chamber_id, w.balance_cents, \
         CAST(COALESCE((SELECT SUM(e.amount_cents) FROM wallet_entries e \
          WHERE e.company_id = w.company_id AND e.chamber_id = w.chamber_id), 0) AS BIGINT) \
         FROM wallets w",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (company, chamber, balance, sum) in &wallets {
        assert_eq!(
            balance, sum,
            "wallet of {company} at {chamber}: balance {balance}, ledger sum {sum}"
        );
    }

    // Each practice's entries: minus its fee while it stands, nothing once rejected (refunded);
    // one first charge at most; charged means sent (a protocol number and a send date).
    let practices: Vec<PracticeRow> =
        sqlx::query_as(
            "SELECT p.id, p.status, p.fee_cents, p.protocol_number, p.sent_at, \
             CAST(COALESCE((SELECT SUM(e.amount_cents) FROM wallet_entries e \
              WHERE e.practice_id = p.id), 0) AS BIGINT), \
             (SELECT COUNT(*) FROM wallet_entries e WHERE e.practice_id = p.id AND e.kind = 'charge') \
             FROM practices p",
        )
        .fetch_all(pool)
        .await
        .unwrap();
    let mut charged = 0;
    for (id, status, fee, protocol, sent_at, sum, charges) in &practices {
        let fee = fee.unwrap_or(0);
        match status.as_str() {
            "draft" | "withdrawn" => {
                assert_eq!(*sum, 0, "draft {id} has wallet entries");
                assert!(protocol.is_none(), "draft {id} has a protocol number");
            }
            "rejected" => assert_eq!(*sum, 0, "rejected {id}: ledger {sum}, refunded in full"),
            _ => {
                assert!(fee > 0, "{status} {id} has no fee");
                assert_eq!(*sum, -fee, "{status} {id}: ledger {sum}, fee {fee}");
            }
        }
        if *charges > 0 {
            charged += 1;
            assert!(
                protocol.is_some() && sent_at.is_some(),
                "{id} charged and not sent"
            );
        }
        // A resend may charge a difference; the fee is charged once in full on the first send.
        assert!(*charges <= 2, "{id} charged {charges} times");
    }
    let first_charges: Vec<(String, i64)> = sqlx::query_as(
        "SELECT practice_id, COUNT(*) FROM wallet_entries WHERE kind = 'charge' \
         AND reference NOT LIKE '%reinvio%' GROUP BY practice_id HAVING COUNT(*) > 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(first_charges.is_empty(), "charged twice: {first_charges:?}");

    // What the clients were told is what the database holds.
    let status_of: HashMap<&str, &str> = practices
        .iter()
        .map(|p| (p.0.as_str(), p.1.as_str()))
        .collect();
    for (id, told) in confirmed {
        let stored = status_of.get(id.as_str()).copied().unwrap_or("missing");
        let fits = match *told {
            // A later step may have happened without the client hearing of it.
            "sent" => ["sent", "in_review", "to_rectify", "approved", "rejected"].contains(&stored),
            "to_rectify" => {
                ["to_rectify", "sent", "in_review", "approved", "rejected"].contains(&stored)
            }
            other => other == stored,
        };
        assert!(
            fits,
            "{id}: the client was told {told}, the database says {stored}"
        );
    }

    // Protocol numbers: unique, gapless from 1 per chamber and year, the counter at the top.
    let protocols: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT chamber_id, protocol_number, protocol_year FROM practices \
         WHERE protocol_number IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_scope: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (chamber, number, year) in &protocols {
        let seq: i64 = number
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("protocol number {number}"));
        by_scope
            .entry(format!("protocol:{chamber}:{year}"))
            .or_default()
            .push(seq);
    }
    let certificates: Vec<(String, i64, i64, String, String)> =
        sqlx::query_as("SELECT chamber_id, year, seq, pdf_blob, pdf_sha256 FROM certificates")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut cert_scopes: BTreeMap<(String, i64), Vec<i64>> = BTreeMap::new();
    for (chamber, year, seq, _, _) in &certificates {
        cert_scopes
            .entry((chamber.clone(), *year))
            .or_default()
            .push(*seq);
    }
    let counters: HashMap<String, i64> = sqlx::query_as("SELECT scope, value FROM counters")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (scope, seqs) in &mut by_scope {
        gapless(scope, seqs);
        assert_eq!(
            counters.get(scope).copied(),
            Some(seqs.len() as i64),
            "counter {scope}"
        );
    }
    for ((chamber, year), seqs) in &mut cert_scopes {
        gapless(&format!("certificates of {chamber} in {year}"), seqs);
        let scope = format!("certificate:{chamber}:{year}");
        assert_eq!(
            counters.get(&scope).copied(),
            Some(seqs.len() as i64),
            "counter {scope}"
        );
    }

    // Every certificate's PDF is in the store, with the content its key names.
    let store = sportello_core::blobs::fs::FsBlobStore::new(blobs);
    for (_, _, _, key, sha) in &certificates {
        let path = store.path_of(key).expect("blob key");
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("certificate PDF {key} not in the store: {e}"));
        let hex = sportello_core::blobs::sha256_hex(&bytes);
        assert_eq!(&hex, key, "certificate PDF {key} holds other content");
        assert_eq!(&hex, sha, "certificate PDF {key}: pdf_sha256 {sha}");
    }

    // Mail: every outbox message sent, each received once, nothing received twice or unknown.
    let outbox: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM outbox_emails")
        .fetch_all(pool)
        .await
        .unwrap();
    let unsent: Vec<&(String, String)> = outbox.iter().filter(|(_, s)| s != "sent").collect();
    assert!(unsent.is_empty(), "outbox messages not sent: {unsent:?}");
    let mut received: HashMap<String, usize> = HashMap::new();
    // Each copy by when its content began and when the server accepted it.
    let mut received_at: HashMap<String, Vec<(Instant, Instant)>> = HashMap::new();
    for m in smtp.messages() {
        let id = message_id(&m.data)
            .unwrap_or_else(|| panic!("a message without a Message-ID: {}", m.data));
        *received.entry(id.clone()).or_default() += 1;
        received_at.entry(id).or_default().push((m.began, m.at));
    }
    let ids: HashSet<&str> = outbox.iter().map(|(id, _)| id.as_str()).collect();
    // A message the relay took is recorded as sent in the transaction committed right after
    // (`notify::SendEmail`); only a sender killed between the end of its content and that
    // commit leaves it queued, to be sent again. So every second copy must follow a kill that
    // came after the copy before it began (the sender was alive to start it; the server may
    // accept the content a moment after the sender died, which is the very window) and before
    // the second copy began, each kill explaining one copy at most (a worker sends one message
    // at a time and one instance is killed at a time).
    let mut twice: Vec<(Instant, Instant, &str)> = Vec::new();
    for (id, _) in &outbox {
        let copies = received_at.get(id).map_or(0, Vec::len);
        assert!(copies > 0, "outbox message {id} never received");
        if copies > 1 {
            let at = &received_at[id];
            for pair in at.windows(2) {
                twice.push((pair[0].0, pair[1].0, id.as_str()));
            }
        }
    }
    // Matched by the earliest second copy first, each to the earliest kill still free.
    twice.sort_by_key(|(_, second, _)| *second);
    let mut used = vec![false; killed_at.len()];
    for (first, second, id) in &twice {
        let kill = (0..killed_at.len())
            .find(|k| !used[*k] && killed_at[*k] >= *first && killed_at[*k] <= *second);
        match kill {
            Some(k) => used[k] = true,
            None => panic!(
                "outbox message {id} was received again with no kill of its sender in between"
            ),
        }
    }
    let unknown: Vec<&String> = received
        .keys()
        .filter(|k| !ids.contains(k.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "messages not in the outbox: {unknown:?}"
    );

    // No job left behind, none parked dead.
    let jobs: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT kind, status, last_error FROM jobs WHERE status IN ('running', 'dead') \
         OR (status = 'queued' AND kind = 'send_email')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(jobs.is_empty(), "jobs left: {jobs:?}");

    // The audit chain.
    let entries = sportello_core::audit::verify_chain(&db.db)
        .await
        .unwrap()
        .unwrap_or_else(|b| panic!("the audit chain is broken: {b:?}"));

    format!(
        "{charged} charged, {} certificates, {} e-mails ({} copies more, each sent again after a \
         kill between the relay's answer and the commit), {entries} audit entries verified",
        certificates.len(),
        outbox.len(),
        twice.len()
    )
}

fn gapless(scope: &str, seqs: &mut [i64]) {
    seqs.sort_unstable();
    for (i, seq) in seqs.iter().enumerate() {
        assert_eq!(
            *seq,
            i as i64 + 1,
            "{scope}: numbers {seqs:?} have a gap or a double"
        );
    }
}

fn message_id(data: &str) -> Option<String> {
    let line = data
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))?;
    let value = line.split_once(':')?.1.trim();
    let inner = value.trim_start_matches('<');
    Some(inner.split('@').next()?.to_string())
}
