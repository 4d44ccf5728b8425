//! Verification throughput on 50 KB `.p7m` files (RSA-2048 and P-256), next to the time of
//! `openssl cms -verify` on the same files (a spawned process, start-up included) and of
//! `openssl version` alone (the start-up cost to subtract).
//!
//! `firma_verify` is wall time; `firma_verify_cpu` is the same work timed by the thread's CPU
//! clock, in files per second of one core, which other processes on a shared machine disturb
//! far less (they still share caches and memory bandwidth).
//!
//! `cargo bench -p firma --bench verify`

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

const FILES: [(&str, &str); 2] = [
    ("rsa2048", "bench_rsa_50k.p7m"),
    ("p256", "bench_ec_50k.p7m"),
];
/// 2030-01-01T00:00:00Z, as in the tests.
const AT_UNIX: u64 = 1_893_456_000;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn options() -> firma::VerifyOptions {
    firma::VerifyOptions {
        trust_anchors: vec![read("root.der")],
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: UNIX_EPOCH + Duration::from_secs(AT_UNIX),
    }
}

fn firma_verify(c: &mut Criterion) {
    let opts = options();
    let mut group = c.benchmark_group("firma_verify");
    for (label, file) in FILES {
        let input = read(file);
        assert!(
            firma::verify(&input, &opts).is_ok_and(|r| r.valid),
            "{file} must verify"
        );
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(label, |b| {
            b.iter(|| firma::verify(black_box(&input), &opts))
        });
    }
    group.finish();
}

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
struct ThreadCpu;

fn thread_cpu_nanos() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }
    fn end(&self, started: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(started)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// CPU nanoseconds shown as µs of CPU, and throughput as files per CPU second.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        for v in values {
            *v /= 1e3;
        }
        "µs CPU"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_iteration = match *throughput {
            Throughput::Elements(n) => n as f64,
            _ => 1.0,
        };
        for v in values {
            *v = per_iteration * 1e9 / *v;
        }
        "files/s/core"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn firma_verify_cpu(c: &mut Criterion<ThreadCpu>) {
    let opts = options();
    let mut group = c.benchmark_group("firma_verify_cpu");
    for (label, file) in FILES {
        let input = read(file);
        group.throughput(Throughput::Elements(1));
        group.bench_function(label, |b| {
            b.iter(|| firma::verify(black_box(&input), &opts))
        });
    }
    group.finish();
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn openssl_verify(c: &mut Criterion) {
    if !openssl_available() {
        eprintln!("openssl not found: process benchmarks skipped");
        return;
    }
    let root = fixture_path("root.pem");
    let at = AT_UNIX.to_string();
    let mut group = c.benchmark_group("openssl_process");
    group.sample_size(30);
    group.bench_function("startup_openssl_version", |b| {
        b.iter(|| {
            Command::new("openssl")
                .arg("version")
                .stdout(Stdio::null())
                .status()
        })
    });
    for (label, file) in FILES {
        let path = fixture_path(file);
        group.bench_function(format!("cms_verify_{label}"), |b| {
            b.iter(|| {
                let status = Command::new("openssl")
                    .args([
                        "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
                        "-attime", &at,
                    ])
                    .arg("-in")
                    .arg(&path)
                    .arg("-CAfile")
                    .arg(&root)
                    .args(["-out", "/dev/null"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                assert!(status.is_ok_and(|s| s.success()));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, firma_verify, openssl_verify);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = firma_verify_cpu
}
criterion_main!(benches, cpu);
