//! Fixtures (made by `scripts/firma-fixtures.sh`) and common options.
#![allow(dead_code)]

use firma::{Report, VerifyOptions};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2030-01-01T00:00:00Z: inside the 2020–2045 validity of the fixture certificates, after the
/// expired one (2020–2021), before the "not yet valid" one (2040–2045), after the revocation
/// (2024-06-01).
pub const AT_UNIX: u64 = 1_893_456_000;

pub fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(AT_UNIX)
}

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Trusts the test root only; no intermediates or CRLs given.
pub fn options() -> VerifyOptions {
    VerifyOptions {
        trust_anchors: vec![fixture("root.der")],
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: at(),
    }
}

pub fn verify(name: &str) -> Report {
    verify_with(name, &options())
}

pub fn verify_with(name: &str, opts: &VerifyOptions) -> Report {
    firma::verify(&fixture(name), opts).unwrap_or_else(|_| panic!("{name} should be a signature"))
}

/// Problem codes of every signer, in order.
pub fn signer_codes(report: &Report) -> Vec<Vec<&'static str>> {
    report.signers.iter().map(|s| s.problem_codes()).collect()
}
