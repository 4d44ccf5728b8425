//! The trusted-list parser on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = firma::tsl::parse_trusted_list(data);
});
