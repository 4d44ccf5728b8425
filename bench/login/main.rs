//! Login flood: N clients post wrong passwords to `POST /api/v1/auth/token` as fast as they
//! can (each attempt from its own address through the trusted proxy and to its own unknown
//! e-mail, so that no throttle stops it and every attempt costs one Argon2 check), while a
//! probe asks `GET /healthz` every 50 ms. Reports the logins checked per second and the
//! latency of `/healthz` during the flood.
//!
//!     cargo run --release -p sportello --example login_flood -- \
//!         --base-url http://127.0.0.1:18081 --clients 60 --seconds 20
//!
//! The server must trust 127.0.0.1 as its proxy (`SPORTELLO_TRUSTED_PROXIES=127.0.0.1`);
//! `bench/login/run.sh` starts one.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let mut base = "http://127.0.0.1:18081".to_string();
    let mut clients = 60usize;
    let mut seconds = 20u64;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--base-url" => base = it.next().unwrap(),
            "--clients" => clients = it.next().unwrap().parse().unwrap(),
            "--seconds" => seconds = it.next().unwrap().parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    let client = reqwest::Client::new();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let statuses = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    // Idle latency first.
    let mut idle = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        client.get(format!("{base}/healthz")).send().await.unwrap();
        idle.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    idle.sort();
    let seq = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (client, base, stop, done, seq, statuses) = (
            client.clone(),
            base.clone(),
            stop.clone(),
            done.clone(),
            seq.clone(),
            statuses.clone(),
        );
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let addr = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
                let r = client
                    .post(format!("{base}/api/v1/auth/token"))
                    .header("X-Forwarded-For", addr)
                    .json(&serde_json::json!({
                        "email": format!("flood{n}@example.invalid"),
                        "password": "not the password",
                    }))
                    .send()
                    .await;
                if let Ok(r) = r {
                    *statuses
                        .lock()
                        .unwrap()
                        .entry(r.status().as_u16())
                        .or_insert(0) += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let done_at_start = done.load(Ordering::Relaxed);
    let mut flood = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        client.get(format!("{base}/healthz")).send().await.unwrap();
        flood.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logins = done.load(Ordering::Relaxed) - done_at_start;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    flood.sort();
    println!("clients: {clients}, flood: {:.1} s", elapsed.as_secs_f64());
    println!(
        "logins checked: {logins} ({:.1}/s), statuses: {:?}",
        logins as f64 / elapsed.as_secs_f64(),
        statuses.lock().unwrap()
    );
    println!(
        "/healthz idle:   p50 {} p95 {} max {}",
        ms(percentile(&idle, 0.5)),
        ms(percentile(&idle, 0.95)),
        ms(percentile(&idle, 1.0))
    );
    println!(
        "/healthz flood:  p50 {} p95 {} p99 {} max {} ({} probes)",
        ms(percentile(&flood, 0.5)),
        ms(percentile(&flood, 0.95)),
        ms(percentile(&flood, 0.99)),
        ms(percentile(&flood, 1.0)),
        flood.len()
    );
}
