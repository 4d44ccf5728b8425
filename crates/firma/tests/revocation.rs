//! OCSP responses and CRLs made by OpenSSL (`scripts/revocation-fixtures.sh`), judged in 2030.

use firma::revocation::{self, RevocationError, Status};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/revocation")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// 2030-01-01T00:00:00Z.
fn in_2030() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_893_456_000)
}

fn ocsp(response: &str, cert: &str, at: SystemTime) -> Result<revocation::Answer, RevocationError> {
    revocation::check_ocsp(
        &fixture(response),
        &fixture(cert),
        &fixture("inter.der"),
        at,
        None,
    )
}

#[test]
fn a_good_answer_from_the_delegated_responder_is_good() {
    let answer = ocsp("ocsp_good.der", "good.der", in_2030()).unwrap();
    assert_eq!(answer.status, Status::Good);
    assert!(answer.produced_at.is_some());
    assert!(answer.next_update.is_some());
}

#[test]
fn the_issuer_may_answer_itself() {
    let answer = ocsp("ocsp_by_issuer.der", "good.der", in_2030()).unwrap();
    assert_eq!(answer.status, Status::Good);
}

#[test]
fn a_revoked_certificate_is_revoked_with_its_date_and_reason() {
    let answer = ocsp("ocsp_revoked.der", "revoked.der", in_2030()).unwrap();
    match answer.status {
        Status::Revoked { at, reason } => {
            assert!(at.ends_with('Z'), "{at}");
            assert_eq!(reason, Some(1), "keyCompromise");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_certificate_the_responder_does_not_know_is_unknown() {
    let answer = ocsp("ocsp_unknown.der", "stranger.der", in_2030()).unwrap();
    assert_eq!(answer.status, Status::Unknown);
}

#[test]
fn an_answer_about_another_certificate_is_not_taken() {
    assert_eq!(
        ocsp("ocsp_good.der", "revoked.der", in_2030()),
        Err(RevocationError::NotForThisCertificate)
    );
}

#[test]
fn a_responder_the_issuer_did_not_authorise_is_refused() {
    assert_eq!(
        ocsp("ocsp_rogue.der", "good.der", in_2030()),
        Err(RevocationError::SignatureInvalid)
    );
}

#[test]
fn a_tampered_answer_is_refused() {
    let mut bytes = fixture("ocsp_good.der");
    // The serial number of the single response sits in the signed data: change its last octet.
    let serial = [0x02, 0x02, 0x10, 0x01];
    let at = bytes
        .windows(serial.len())
        .position(|w| w == serial)
        .expect("serial 1001");
    bytes[at + 3] = 0x03;
    let result = revocation::check_ocsp(
        &bytes,
        &fixture("good.der"),
        &fixture("inter.der"),
        in_2030(),
        None,
    );
    assert_eq!(result, Err(RevocationError::SignatureInvalid));
}

#[test]
fn answers_are_taken_only_while_current() {
    let before = UNIX_EPOCH + Duration::from_secs(1_609_459_200); // 2021
    assert_eq!(
        ocsp("ocsp_good.der", "good.der", before),
        Err(RevocationError::NotYetValid)
    );
    // Signed by the issuer itself: the delegated responder's certificate ends in 2045.
    let far = UNIX_EPOCH + Duration::from_secs(7_258_118_400); // 2200
    assert_eq!(
        ocsp("ocsp_by_issuer.der", "good.der", far),
        Err(RevocationError::Stale)
    );
    assert_eq!(
        ocsp("ocsp_good.der", "good.der", far),
        Err(RevocationError::SignatureInvalid),
        "a responder whose certificate has expired"
    );
}

#[test]
fn the_nonce_sent_must_come_back() {
    let request = fixture("req_nonce.der");
    let nonce = &request[request.len() - 16..];
    assert_eq!(
        &request[request.len() - 18..request.len() - 16],
        &[0x04, 0x10]
    );
    let check = |nonce: &[u8]| {
        revocation::check_ocsp(
            &fixture("ocsp_nonce.der"),
            &fixture("good.der"),
            &fixture("inter.der"),
            in_2030(),
            Some(nonce),
        )
    };
    assert_eq!(check(nonce).unwrap().status, Status::Good);
    assert_eq!(check(&[7; 16]), Err(RevocationError::NonceMismatch));
}

#[test]
fn our_request_is_one_openssl_reads() {
    let request =
        revocation::ocsp_request(&fixture("good.der"), &fixture("inter.der"), Some(&[9; 16]))
            .unwrap();
    let dir = std::env::temp_dir().join(format!("firma-ocsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("req.der");
    std::fs::write(&file, &request).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["ocsp", "-req_text", "-reqin"])
        .arg(&file)
        .output()
        .expect("openssl");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Serial Number: 1001"), "{text}");
    assert!(text.contains("OCSP Nonce"), "{text}");
    // Without a nonce, byte for byte the request `openssl ocsp -no_nonce` makes.
    assert_eq!(
        revocation::ocsp_request(&fixture("good.der"), &fixture("inter.der"), None).unwrap(),
        fixture("req_good.der")
    );
}

#[test]
fn where_to_ask_is_read_from_the_certificate() {
    assert_eq!(
        revocation::ocsp_urls(&fixture("good.der")),
        vec!["http://127.0.0.1:9/ocsp"]
    );
    assert!(revocation::crl_urls(&fixture("good.der")).is_empty());
    assert_eq!(
        revocation::crl_urls(&fixture("crl_only.der")),
        vec!["http://127.0.0.1:9/inter.crl"]
    );
    assert!(revocation::ocsp_urls(&fixture("crl_only.der")).is_empty());
    assert_eq!(
        revocation::crl_urls(&fixture("inter.der")),
        vec!["http://127.0.0.1:9/root.crl"]
    );
}

#[test]
fn a_crl_is_described_for_storage() {
    let info = revocation::crl_info(&fixture("inter.crl")).unwrap();
    assert_eq!(info.number.as_deref(), Some("42"));
    assert_eq!(info.this_update, "2025-01-01T00:00:00Z");
    assert_eq!(info.next_update.as_deref(), Some("2045-01-01T00:00:00Z"));
    assert_eq!(info.sha256.len(), 64);
    assert_eq!(
        Some(info.issuer_key),
        revocation::crl_issuer_key(&fixture("good.der"))
    );
    assert!(info.issuer.contains("Revocation Test Qualified CA"));
}

#[test]
fn a_crl_says_good_or_revoked() {
    let check = |cert: &str| {
        revocation::check_crl(
            &fixture("inter.crl"),
            &fixture(cert),
            &fixture("inter.der"),
            in_2030(),
        )
    };
    assert_eq!(check("crl_only.der").unwrap().status, Status::Good);
    match check("crl_revoked.der").unwrap().status {
        Status::Revoked { reason, .. } => assert_eq!(reason, Some(1)),
        other => panic!("{other:?}"),
    }
    // The intermediate against its root's CRL.
    let root = revocation::check_crl(
        &fixture("root.crl"),
        &fixture("inter.der"),
        &fixture("root.der"),
        in_2030(),
    )
    .unwrap();
    assert_eq!(root.status, Status::Good);
}

#[test]
fn a_crl_of_another_issuer_or_out_of_date_is_not_taken() {
    assert_eq!(
        revocation::check_crl(
            &fixture("root.crl"),
            &fixture("crl_only.der"),
            &fixture("inter.der"),
            in_2030()
        ),
        Err(RevocationError::NotForThisCertificate)
    );
    let far = UNIX_EPOCH + Duration::from_secs(2_556_144_000); // 2051
    assert_eq!(
        revocation::check_crl(
            &fixture("inter.crl"),
            &fixture("crl_only.der"),
            &fixture("inter.der"),
            far
        ),
        Err(RevocationError::Stale)
    );
    let mut tampered = fixture("inter.crl");
    let n = tampered.len();
    tampered[n - 5] ^= 0x01;
    assert_eq!(
        revocation::check_crl(
            &tampered,
            &fixture("crl_only.der"),
            &fixture("inter.der"),
            in_2030()
        ),
        Err(RevocationError::SignatureInvalid)
    );
}
