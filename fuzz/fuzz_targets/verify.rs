//! The whole entry point: any bytes, with the fixture trust anchor, intermediate and CRL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

fn options() -> &'static firma::VerifyOptions {
    static OPTIONS: OnceLock<firma::VerifyOptions> = OnceLock::new();
    OPTIONS.get_or_init(|| firma::VerifyOptions {
        trust_anchors: vec![include_bytes!("../../crates/firma/tests/fixtures/root.der").to_vec()],
        intermediates: vec![include_bytes!("../../crates/firma/tests/fixtures/inter.der").to_vec()],
        crls: vec![include_bytes!("../../crates/firma/tests/fixtures/inter.crl").to_vec()],
        at: UNIX_EPOCH + Duration::from_secs(1_893_456_000),
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = firma::verify(data, options()) {
        let _ = report.to_contract_json(firma::Lang::En);
    }
});
