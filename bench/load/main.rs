//! Load generator for the practice-submission path, through the real HTTP API, as an ERP
//! would drive it: create a base model → download its XML → sign it (OpenSSL, the test key)
//! → upload the signed model → attach a 200 KB PDF → send. N clients run concurrently; the
//! tool reports throughput and latency percentiles of the server calls (signing, a client
//! cost, is timed apart).
//!
//!     cargo run --release -p sportello --example load -- --base-url http://127.0.0.1:8080 \
//!         --clients 8 --practices 400
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
}

fn args() -> Args {
    let mut a = Args {
        base: "http://127.0.0.1:8080".into(),
        email: "impresa@demo.sportello.test".into(),
        password: "demo-impresa-2026".into(),
        clients: 8,
        practices: 200,
        pki: Path::new(env!("CARGO_MANIFEST_DIR")).join("../sportello-core/tests/fixtures/pki"),
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
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

const LIGURE: &str = "01879020517";

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

struct Sample {
    server: Duration,
    signing: Duration,
}

/// One practice from form to sending, timing the server calls and the client's signing.
#[allow(clippy::too_many_arguments)]
async fn one(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    site: &str,
    pki: &Path,
    dir: &Path,
    n: usize,
    pdf: &[u8],
) -> Result<Sample, String> {
    let mut server = Duration::ZERO;
    let t = Instant::now();
    let form = json!({
        "consignee": {"name": format!("ACME Trading {n}"), "address": "1200 Harbor Blvd, Long Beach CA", "country": "US"},
        "origin_country": "IT",
        "items": [{"number": 1, "packages": "20 casse", "description": "Valvole a sfera in acciaio inox", "quantity": "1.250 kg"}],
        "invoices": [{"number": format!("LOAD/{n}"), "date": "2026-11-20", "amount": "15400.00"}]
    });
    let r = client
        .post(format!("{base}/api/v1/models"))
        .bearer_auth(token)
        .json(&json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": site, "form": form}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let model: Value = r.json().await.map_err(|e| e.to_string())?;
    let id = model["id"].as_str().ok_or("no model id")?.to_string();
    let xml = client
        .get(format!("{base}/api/v1/models/{id}/xml"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .bytes()
        .await
        .map_err(|e| e.to_string())?;
    server += t.elapsed();
    let s = Instant::now();
    let signed = sign(pki, &xml, dir, n).await;
    let signing = s.elapsed();
    let t = Instant::now();
    let upload = reqwest::multipart::Form::new()
        .part(
            "signed_model",
            reqwest::multipart::Part::bytes(signed).file_name("m.xml.p7m"),
        )
        .text("desk", "GE-GENOVA")
        .text("proforma", "false")
        .text("goods_location", "Magazzino Via Rubattino 4, Genova")
        .text("print_mode", "blank_paper");
    let r = client
        .post(format!("{base}/api/v1/practices"))
        .bearer_auth(token)
        .multipart(upload)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != reqwest::StatusCode::CREATED {
        return Err(format!(
            "upload: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ));
    }
    let practice: Value = r.json().await.map_err(|e| e.to_string())?;
    let pid = practice["id"].as_str().ok_or("no practice id")?.to_string();
    let att = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.to_vec()).file_name("fattura.pdf"),
        )
        .text("description", "Fattura")
        .text("code", "invoice");
    let r = client
        .post(format!("{base}/api/v1/practices/{pid}/attachments"))
        .bearer_auth(token)
        .multipart(att)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != reqwest::StatusCode::CREATED {
        return Err(format!("attach: {}", r.status()));
    }
    let r = client
        .post(format!("{base}/api/v1/practices/{pid}/send"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("load-{pid}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != reqwest::StatusCode::OK {
        return Err(format!(
            "send: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ));
    }
    server += t.elapsed();
    Ok(Sample { server, signing })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let a = args();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients * 2)
        .build()
        .unwrap();
    let login: Value = client
        .post(format!("{}/api/v1/auth/token", a.base))
        .json(&json!({"email": a.email, "password": a.password}))
        .send()
        .await
        .expect("server reachable")
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("login").to_string();
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
    let dir = tempdir();
    let pdf = Arc::new(attachment());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (client, base, token, site, pki, dir, pdf, next) = (
            client.clone(),
            a.base.clone(),
            token.clone(),
            site.clone(),
            a.pki.clone(),
            dir.clone(),
            pdf.clone(),
            next.clone(),
        );
        let total = a.practices;
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                match one(&client, &base, &token, &site, &pki, &dir, n, &pdf).await {
                    Ok(s) => samples.push(s),
                    Err(e) => errors.push(e),
                }
            }
            (samples, errors)
        }));
    }
    let mut samples = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (s, e) = t.await.unwrap();
        samples.extend(s);
        errors.extend(e);
    }
    let wall = started.elapsed();
    let mut server: Vec<Duration> = samples.iter().map(|s| s.server).collect();
    server.sort();
    let signing: Duration =
        samples.iter().map(|s| s.signing).sum::<Duration>() / samples.len().max(1) as u32;
    println!(
        "practices sent:      {} ({} errors)",
        samples.len(),
        errors.len()
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    println!("clients:             {}", a.clients);
    println!("wall time:           {:.1} s", wall.as_secs_f64());
    println!(
        "throughput:          {:.1} practices/s",
        samples.len() as f64 / wall.as_secs_f64()
    );
    println!("server time per practice (5 calls, 200 KB upload):");
    println!(
        "  p50 {:>7.1} ms   p95 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
        percentile(&server, 50.0).as_secs_f64() * 1000.0,
        percentile(&server, 95.0).as_secs_f64() * 1000.0,
        percentile(&server, 99.0).as_secs_f64() * 1000.0,
        server.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    println!(
        "client signing (openssl) mean: {:.1} ms",
        signing.as_secs_f64() * 1000.0
    );
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("sportello-load-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
