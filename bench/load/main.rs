//! Load generator for the practice-submission path, through the real HTTP API, as an ERP
//! would drive it: create a base model → download its XML → sign it (OpenSSL, the test key)
//! → upload the signed model → attach a 200 KB PDF → send.
//!
//! The run has three phases, so that the client's signing never competes with the server
//! for the same cores while the clock runs:
//! 1. **models** (timed): N clients create the base models and download their XML;
//! 2. **signing** (not timed): every XML is signed with `openssl cms -sign -cades`, as many
//!    at once as the machine has cores;
//! 3. **practices** (timed): N clients upload each signed model, attach the PDF and send.
//!
//! It reports the latency of each call (p50, p99), the server time of a practice (the sum of
//! its five calls), practices per second over the two timed phases, and — given the server's
//! process id — the server's CPU time per practice read from `/proc/<pid>/stat` (user +
//! system, every thread) before and after each timed phase. With `--postgres-url` it adds
//! the CPU of the PostgreSQL backends serving that database (found in `pg_stat_activity`).
//!
//!     cargo run --release -p sportello --example load -- --base-url http://127.0.0.1:8080 \
//!         --clients 50 --practices 600 --server-pid 1234
//!
//! The server must have the demo data (`sportello demo`) and enough money in the demo
//! company's wallet (`sportello admin wallet credit --company 01879020517 --amount 5000
//! --reference load`). `bench/load/run.sh` does all of it on SQLite or PostgreSQL.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    base: String,
    email: String,
    password: String,
    clients: usize,
    practices: usize,
    pki: PathBuf,
    server_pid: Option<u32>,
    postgres_url: Option<String>,
    /// Practices the officer approves afterwards (each rendered as a PDF and sealed).
    approve: usize,
    /// Requests to the public verification page afterwards, on one approved certificate.
    verify: usize,
}

fn args() -> Args {
    let mut a = Args {
        base: "http://127.0.0.1:8080".into(),
        email: "impresa@demo.sportello.test".into(),
        password: "demo-impresa-2026".into(),
        clients: 8,
        practices: 200,
        pki: Path::new(env!("CARGO_MANIFEST_DIR")).join("../sportello-core/tests/fixtures/pki"),
        server_pid: None,
        postgres_url: None,
        approve: 0,
        verify: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--base-url" => a.base = value.trim_end_matches('/').to_string(),
            "--email" => a.email = value,
            "--password" => a.password = value,
            "--clients" => a.clients = value.parse().expect("--clients is a number"),
            "--practices" => a.practices = value.parse().expect("--practices is a number"),
            "--pki" => a.pki = PathBuf::from(value),
            "--server-pid" => a.server_pid = Some(value.parse().expect("--server-pid is a pid")),
            "--postgres-url" => a.postgres_url = Some(value),
            "--approve" => a.approve = value.parse().expect("--approve is a number"),
            "--verify" => a.verify = value.parse().expect("--verify is a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    a.clients = a.clients.max(1);
    a
}

const LIGURE: &str = "01879020517";

/// The five calls of a practice, in order.
const CALLS: [&str; 5] = [
    "POST /models",
    "GET /models/{id}/xml",
    "POST /practices",
    "POST /practices/{id}/attachments",
    "POST /practices/{id}/send",
];

/// A 200 KB PDF-looking attachment (the server reads the type from the first bytes).
fn attachment() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.resize(200 * 1024, b'x');
    v.extend_from_slice(b"\n%%EOF\n");
    v
}

async fn sign(pki: &Path, xml: &[u8], dir: &Path, n: usize) -> Vec<u8> {
    let input = dir.join(format!("m{n}.xml"));
    let output = dir.join(format!("m{n}.xml.p7m"));
    tokio::fs::write(&input, xml).await.unwrap();
    let status = tokio::process::Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-md",
            "sha256",
            "-outform",
            "DER",
        ])
        .arg("-in")
        .arg(&input)
        .arg("-signer")
        .arg(pki.join("giulia.pem"))
        .arg("-inkey")
        .arg(pki.join("giulia.key"))
        .arg("-certfile")
        .arg(pki.join("inter.pem"))
        .arg("-out")
        .arg(&output)
        .status()
        .await
        .unwrap();
    assert!(status.success(), "openssl cms -sign failed");
    let bytes = tokio::fs::read(&output).await.unwrap();
    let _ = tokio::fs::remove_file(&input).await;
    let _ = tokio::fs::remove_file(&output).await;
    bytes
}

/// A practice on its way: the model made in phase 1, its signed file after phase 2.
struct Prepared {
    n: usize,
    model_id: String,
    xml: Vec<u8>,
    signed: Vec<u8>,
    /// The practice made of it in phase 3.
    practice_id: String,
    /// Latency of each of the five calls.
    calls: [Duration; 5],
}

/// Sends a request; its status, body and latency (until the whole body is read).
async fn timed(
    req: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, Vec<u8>, Duration), String> {
    let t = Instant::now();
    let r = req.send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, body.to_vec(), t.elapsed()))
}

/// Phase 1 for practice `n`: the base model and its XML.
async fn prepare(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    site: &str,
    n: usize,
) -> Result<Prepared, String> {
    let form = json!({
        "consignee": {"name": format!("ACME Trading {n}"), "address": "1200 Harbor Blvd, Long Beach CA", "country": "US"},
        "origin_country": "IT",
        "items": [{"number": 1, "packages": "20 casse", "description": "Valvole a sfera in acciaio inox", "quantity": "1.250 kg"}],
        "invoices": [{"number": format!("LOAD/{n}"), "date": "2026-11-20", "amount": "15400.00"}]
    });
    let (status, body, create) = timed(
        client
            .post(format!("{base}/api/v1/models"))
            .bearer_auth(token)
            .json(&json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": site, "form": form})),
    )
    .await?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("model: {status}"));
    }
    let model: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let model_id = model["id"].as_str().ok_or("no model id")?.to_string();
    let (status, xml, download) = timed(
        client
            .get(format!("{base}/api/v1/models/{model_id}/xml"))
            .bearer_auth(token),
    )
    .await?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("xml: {status}"));
    }
    Ok(Prepared {
        n,
        model_id,
        xml,
        signed: Vec::new(),
        practice_id: String::new(),
        calls: [
            create,
            download,
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
        ],
    })
}

/// Phase 3 for one prepared practice: upload, attach, send.
async fn submit(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    pdf: &[u8],
    mut p: Prepared,
) -> Result<Prepared, String> {
    let upload = reqwest::multipart::Form::new()
        .part(
            "signed_model",
            reqwest::multipart::Part::bytes(std::mem::take(&mut p.signed)).file_name("m.xml.p7m"),
        )
        .text("desk", "GE-GENOVA")
        .text("proforma", "false")
        .text("goods_location", "Magazzino Via Rubattino 4, Genova")
        .text("print_mode", "blank_paper");
    let (status, body, t) = timed(
        client
            .post(format!("{base}/api/v1/practices"))
            .bearer_auth(token)
            .multipart(upload),
    )
    .await?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!(
            "upload of model {}: {status} {}",
            p.model_id,
            String::from_utf8_lossy(&body)
        ));
    }
    p.calls[2] = t;
    let practice: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let pid = practice["id"].as_str().ok_or("no practice id")?.to_string();
    let att = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.to_vec()).file_name("fattura.pdf"),
        )
        .text("description", "Fattura")
        .text("code", "invoice");
    let (status, _, t) = timed(
        client
            .post(format!("{base}/api/v1/practices/{pid}/attachments"))
            .bearer_auth(token)
            .multipart(att),
    )
    .await?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("attach: {status}"));
    }
    p.calls[3] = t;
    let (status, body, t) = timed(
        client
            .post(format!("{base}/api/v1/practices/{pid}/send"))
            .bearer_auth(token)
            .header("Idempotency-Key", format!("load-{pid}")),
    )
    .await?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("send: {status} {}", String::from_utf8_lossy(&body)));
    }
    p.calls[4] = t;
    p.practice_id = pid;
    Ok(p)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU of a process (all its threads), in clock ticks; `None` once it is gone.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing paren.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The PostgreSQL backends serving the database of `url` (the server's pool), by pid.
fn postgres_backends(url: &str) -> Vec<u32> {
    std::process::Command::new("psql")
        .arg(url)
        .args([
            "-Atc",
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid()",
        ])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// CPU ticks of the server and, with PostgreSQL, of each of its backends.
#[derive(Default)]
struct CpuSnapshot {
    server: u64,
    backends: std::collections::HashMap<u32, u64>,
}

fn snapshot(a: &Args) -> CpuSnapshot {
    let mut s = CpuSnapshot {
        server: a.server_pid.and_then(process_ticks).unwrap_or(0),
        ..Default::default()
    };
    if let Some(url) = &a.postgres_url {
        for pid in postgres_backends(url) {
            if let Some(t) = process_ticks(pid) {
                s.backends.insert(pid, t);
            }
        }
    }
    s
}

/// CPU spent between two snapshots: (server, PostgreSQL backends), in ticks. A backend
/// opened meanwhile counts from zero.
fn spent(before: &CpuSnapshot, after: &CpuSnapshot) -> (u64, u64) {
    let backends = after
        .backends
        .iter()
        .map(|(pid, t)| t.saturating_sub(before.backends.get(pid).copied().unwrap_or(0)))
        .sum();
    (after.server.saturating_sub(before.server), backends)
}

#[tokio::main]
async fn main() {
    let a = args();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients * 2)
        .build()
        .unwrap();
    let token = login(&client, &a.base, &a.email, &a.password).await;
    let r = client
        .put(format!("{}/api/v1/profile", a.base))
        .bearer_auth(&token)
        .json(&json!({"company_tax_code": LIGURE, "tax_code": LIGURE, "delivery_address": "Via XX Settembre 12", "postcode": "16121",
                       "municipality": "Genova", "province": "GE", "notification_email": "export@ligure-export.test"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "profile: {}", r.status());
    let companies: Value = client
        .get(format!(
            "{}/api/v1/registry/companies?tax_code={LIGURE}",
            a.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let site = companies[0]["sites"][0]["id"]
        .as_str()
        .expect("demo company")
        .to_string();
    let ticks = clock_ticks();
    let mut errors: Vec<String> = Vec::new();

    // Phase 1: base models and their XML, N clients.
    let cpu0 = snapshot(&a);
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (client, base, token, site, next) = (
            client.clone(),
            a.base.clone(),
            token.clone(),
            site.clone(),
            next.clone(),
        );
        let total = a.practices;
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                done.push(prepare(&client, &base, &token, &site, n).await);
            }
            done
        }));
    }
    let mut prepared = Vec::new();
    for t in tasks {
        for r in t.await.unwrap() {
            match r {
                Ok(p) => prepared.push(p),
                Err(e) => errors.push(e),
            }
        }
    }
    let models_wall = started.elapsed();
    let cpu1 = snapshot(&a);

    // Phase 2: signing, not timed, one openssl per core at a time.
    let dir = tempdir();
    let signing_started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pki = Arc::new(a.pki.clone());
    for chunk in prepared.chunks_mut(cores) {
        let jobs: Vec<_> = chunk
            .iter()
            .map(|p| {
                let (pki, dir, xml, n) = (pki.clone(), dir.clone(), p.xml.clone(), p.n);
                tokio::spawn(async move { sign(&pki, &xml, &dir, n).await })
            })
            .collect();
        for (p, job) in chunk.iter_mut().zip(jobs) {
            p.signed = job.await.unwrap();
        }
    }
    let signing_wall = signing_started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);

    // Phase 3: upload, attach, send, N clients.
    let pdf = Arc::new(attachment());
    let queue = Arc::new(std::sync::Mutex::new(prepared));
    let cpu2 = snapshot(&a);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (client, base, token, pdf, queue) = (
            client.clone(),
            a.base.clone(),
            token.clone(),
            pdf.clone(),
            queue.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let Some(p) = queue.lock().unwrap().pop() else {
                    break;
                };
                done.push(submit(&client, &base, &token, &pdf, p).await);
            }
            done
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        for r in t.await.unwrap() {
            match r {
                Ok(p) => samples.push(p),
                Err(e) => errors.push(e),
            }
        }
    }
    let practices_wall = started.elapsed();
    let cpu3 = snapshot(&a);
    // The confirmation e-mails go out by the worker, polling every second.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let cpu4 = snapshot(&a);

    let wall = models_wall + practices_wall;
    let ok = samples.len();
    println!("practices sent:      {ok} ({} errors)", errors.len());
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    println!("clients:             {}", a.clients);
    println!(
        "timed wall time:     {:.2} s (models {:.2} s + practices {:.2} s); signing, not timed: {:.1} s",
        wall.as_secs_f64(),
        models_wall.as_secs_f64(),
        practices_wall.as_secs_f64(),
        signing_wall.as_secs_f64()
    );
    println!(
        "throughput:          {:.1} practices/s",
        ok as f64 / wall.as_secs_f64()
    );
    println!("latency per call (ms):");
    println!("  {:<36} {:>8} {:>8} {:>8}", "call", "p50", "p99", "max");
    for (i, name) in CALLS.iter().enumerate() {
        let mut v: Vec<Duration> = samples.iter().map(|p| p.calls[i]).collect();
        v.sort();
        println!(
            "  {name:<36} {:>8.1} {:>8.1} {:>8.1}",
            ms(percentile(&v, 50.0)),
            ms(percentile(&v, 99.0)),
            ms(v.last().copied().unwrap_or_default())
        );
    }
    let mut server: Vec<Duration> = samples.iter().map(|p| p.calls.iter().sum()).collect();
    server.sort();
    println!(
        "  {:<36} {:>8.1} {:>8.1} {:>8.1}",
        "practice (the five calls)",
        ms(percentile(&server, 50.0)),
        ms(percentile(&server, 99.0)),
        ms(server.last().copied().unwrap_or_default())
    );
    if a.server_pid.is_some() && ok > 0 {
        let (s1, b1) = spent(&cpu0, &cpu1);
        let (s3, b3) = spent(&cpu2, &cpu3);
        let (s4, b4) = spent(&cpu3, &cpu4);
        let per = |t: u64| t as f64 / ticks * 1000.0 / ok as f64;
        println!(
            "server CPU per practice: {:.2} ms (models {:.2} + practices {:.2}); \
             the worker's e-mails after the run: {:.2} ms",
            per(s1 + s3),
            per(s1),
            per(s3),
            per(s4)
        );
        if a.postgres_url.is_some() {
            println!(
                "PostgreSQL backends' CPU per practice: {:.2} ms (models {:.2} + practices {:.2}); after the run: {:.2} ms",
                per(b1 + b3),
                per(b1),
                per(b3),
                per(b4)
            );
        }
    }
    if a.approve > 0 {
        let ids: Vec<String> = samples
            .iter()
            .take(a.approve)
            .map(|p| p.practice_id.clone())
            .collect();
        let issued = approve_some(&a, &client, &token, &ids, ticks).await;
        if let (Some((number, code)), true) = (issued, a.verify > 0) {
            verify_page(&a, &client, &number, &code, a.verify, ticks).await;
        }
    }
}

async fn login(client: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("server reachable")
        .json()
        .await
        .unwrap();
    login["token"].as_str().expect("login").to_string()
}

/// The chamber officer takes and approves `practices` one after the other (each approval
/// renders the certificate PDF and seals it); returns a certificate number and its code.
async fn approve_some(
    a: &Args,
    client: &reqwest::Client,
    company_token: &str,
    practices: &[String],
    ticks: f64,
) -> Option<(String, String)> {
    let officer = login(
        client,
        &a.base,
        "estero@demo.sportello.test",
        "demo-estero-2026",
    )
    .await;
    let mut times = Vec::new();
    let before = snapshot(a);
    for id in practices {
        let r = client
            .post(format!("{}/api/v1/practices/{id}/take", a.base))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "take: {}", r.status());
        let (status, body, t) = timed(
            client
                .post(format!("{}/api/v1/practices/{id}/approve", a.base))
                .bearer_auth(&officer),
        )
        .await
        .unwrap();
        assert!(
            status.is_success(),
            "approve: {status} {}",
            String::from_utf8_lossy(&body)
        );
        times.push(t);
    }
    let after = snapshot(a);
    times.sort();
    let (server, _) = spent(&before, &after);
    println!(
        "approval with certificate (take + approve, one at a time), {} practices: approve p50 {:.1} ms, max {:.1} ms; \
         server CPU per take + approve {:.2} ms",
        times.len(),
        ms(percentile(&times, 50.0)),
        ms(times.last().copied().unwrap_or_default()),
        server as f64 / ticks * 1000.0 / times.len().max(1) as f64
    );
    let id = practices.first()?;
    let practice: Value = client
        .get(format!("{}/api/v1/practices/{id}", a.base))
        .bearer_auth(company_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cert = &practice["certificate"];
    Some((
        cert["number"].as_str()?.to_string(),
        cert["security_code"].as_str()?.to_string(),
    ))
}

/// `requests` GETs of the public verification page of one certificate (the right code), by
/// the load's clients at once: requests per second, latency, server CPU per request.
async fn verify_page(
    a: &Args,
    client: &reqwest::Client,
    number: &str,
    code: &str,
    requests: usize,
    ticks: f64,
) {
    let url = format!("{}/verify/{number}?code={code}", a.base);
    let next = Arc::new(AtomicUsize::new(0));
    let before = snapshot(a);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (client, url, next, number) = (
            client.clone(),
            url.clone(),
            next.clone(),
            number.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let (status, body, t) = timed(client.get(&url)).await.unwrap();
                assert!(status.is_success(), "verify: {status}");
                assert!(
                    String::from_utf8_lossy(&body).contains(&number),
                    "the page names the certificate"
                );
                times.push(t);
            }
            times
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    let after = snapshot(a);
    times.sort();
    let (server, _) = spent(&before, &after);
    println!(
        "verification page, {} requests by {} clients: {:.1} requests/s, p50 {:.1} ms, p99 {:.1} ms; \
         server CPU per request {:.2} ms",
        times.len(),
        a.clients,
        times.len() as f64 / wall.as_secs_f64(),
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 99.0)),
        server as f64 / ticks * 1000.0 / times.len().max(1) as f64
    );
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("sportello-load-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
