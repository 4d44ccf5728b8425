//! A smart card's authentication certificate judged for a login (`firma::authentication`),
//! on the OpenSSL-made fixtures: a CNS-style card with the tax code in its common name, a
//! signature certificate, a certificate of another authority.

use firma::authentication::{Refusal, check};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// 2026-12-07.
fn today() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_601_600)
}

#[test]
fn a_card_authentication_certificate_chains_and_names_its_holder_by_tax_code() {
    let holder = check(&fixture("cns.der"), &[fixture("inter.der")], today()).expect("accepted");
    assert_eq!(holder.tax_code.as_deref(), Some("RSSMRA80A01H501U"));
    assert_eq!(holder.email, None);
    assert_eq!(holder.path, vec![fixture("inter.der")]);
    assert!(
        holder.issuer.contains("Sportello Test Qualified CA"),
        "{}",
        holder.issuer
    );
}

#[test]
fn a_signature_certificate_is_not_an_authentication_certificate() {
    assert_eq!(
        check(&fixture("mario.der"), &[fixture("inter.der")], today()),
        Err(Refusal::NotForAuthentication)
    );
}

#[test]
fn a_card_of_an_authority_not_configured_is_refused() {
    assert_eq!(
        check(&fixture("cns.der"), &[fixture("other_root.der")], today()),
        Err(Refusal::UnknownIssuer)
    );
    assert_eq!(
        check(&fixture("cns.der"), &[], today()),
        Err(Refusal::UnknownIssuer)
    );
}

#[test]
fn what_is_not_a_certificate_is_unreadable() {
    assert_eq!(
        check(b"not a certificate", &[fixture("inter.der")], today()),
        Err(Refusal::Unreadable)
    );
}
