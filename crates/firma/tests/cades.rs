//! CAdES (`.p7m`) rules on the OpenSSL-made fixtures, at a fixed verification time.

mod support;

use firma::{Format, Lang, VerifyOptions};
use support::{fixture, options, signer_codes, verify, verify_with};

const CONTENT: &[u8] =
    b"Certificato di origine n. 2025/0001\nMerce: 10 casse di olio extravergine di oliva.\n";
const NO_PROBLEMS: Vec<&str> = Vec::new();

fn assert_valid_single(name: &str, tax_code: &str) {
    let r = verify(name);
    assert!(
        r.valid,
        "{name}: {:?} {:?}",
        r.problem_codes(),
        signer_codes(&r)
    );
    assert_eq!(r.format, Format::Cades);
    assert_eq!(r.layers, 1);
    assert_eq!(r.content, CONTENT);
    assert_eq!(r.signers.len(), 1);
    assert_eq!(r.signers[0].tax_code.as_deref(), Some(tax_code), "{name}");
    assert!(r.signers[0].signing_time.is_some());
}

#[test]
fn rsa_2048_cades_bes_signature_is_valid() {
    assert_valid_single("valid_rsa.p7m", "RSSMRA80A01H501U");
    let r = verify("valid_rsa.p7m");
    let s = &r.signers[0];
    assert_eq!(
        s.subject,
        "CN=MARIO ROSSI,serialNumber=TINIT-RSSMRA80A01H501U,GN=MARIO,SN=ROSSI,C=IT"
    );
    assert_eq!(
        s.issuer,
        "CN=Sportello Test Qualified CA,O=Sportello Test,C=IT"
    );
    assert_eq!(s.serial, "1001");
    assert_eq!(s.tax_code_source, Some("serialNumber"));
    assert_eq!(s.digest_algorithm, "SHA-256");
    assert_eq!(s.signature_algorithm, "RSA PKCS#1 v1.5 with SHA-256");
    assert_eq!(s.not_before, "2020-01-01T00:00:00Z");
    assert_eq!(s.not_after, "2045-01-01T00:00:00Z");
    assert_eq!(s.certificate_der, fixture("mario.der"));
    assert_eq!(r.content_sha256.len(), 64);
}

#[test]
fn ecdsa_p256_signature_is_valid() {
    assert_valid_single("valid_ec.p7m", "BNCLRA92E52F205Y");
    assert_eq!(
        verify("valid_ec.p7m").signers[0].signature_algorithm,
        "ECDSA with SHA-256"
    );
}

#[test]
fn ecdsa_p384_with_sha384_and_legacy_it_serial_number_is_valid() {
    assert_valid_single("valid_p384.p7m", "RSSMRA45C12F20RX");
    assert_eq!(
        verify("valid_p384.p7m").signers[0].digest_algorithm,
        "SHA-384"
    );
}

#[test]
fn rsa_pss_signature_is_valid() {
    assert_valid_single("pss.p7m", "RSSMRA80A01H501U");
    assert!(
        verify("pss.p7m").signers[0]
            .signature_algorithm
            .starts_with("RSA-PSS")
    );
}

#[test]
fn cns_style_common_name_gives_the_tax_code() {
    assert_valid_single("valid_cns.p7m", "RSSMRA80A01H501U");
    let r = verify("valid_cns.p7m");
    assert_eq!(r.signers[0].tax_code_source, Some("commonName"));
    assert!(
        r.signers[0]
            .subject
            .starts_with("CN=RSSMRA80A01H501U/7420000000000001.AbCdEfGhIjKlMnOpQrStUvWxYz0=,")
    );
}

#[test]
fn company_seal_gives_the_eleven_digit_tax_code() {
    assert_valid_single("valid_company.p7m", "00743110157");
}

#[test]
fn ber_with_indefinite_lengths_is_accepted() {
    assert_valid_single("ber.p7m", "RSSMRA80A01H501U");
}

#[test]
fn base64_without_header_is_accepted() {
    assert_valid_single("base64.p7m", "RSSMRA80A01H501U");
}

#[test]
fn pem_with_cms_or_pkcs7_header_is_accepted() {
    assert_valid_single("pem_cms.p7m", "RSSMRA80A01H501U");
    assert_valid_single("pem_pkcs7.p7m", "RSSMRA80A01H501U");
}

#[test]
fn tampered_content_is_a_digest_mismatch() {
    let r = verify("tampered.p7m");
    assert!(!r.valid);
    assert_eq!(signer_codes(&r), [["digest_mismatch"]]);
}

#[test]
fn certificate_from_another_root_is_untrusted() {
    let r = verify("untrusted.p7m");
    assert!(!r.valid);
    assert_eq!(signer_codes(&r), [["untrusted_chain"]]);
    assert_eq!(r.signers[0].tax_code.as_deref(), Some("MRTNTN23M02D969P"));
}

#[test]
fn expired_certificate_is_not_valid() {
    assert_eq!(
        signer_codes(&verify("expired.p7m")),
        [["certificate_expired"]]
    );
}

#[test]
fn certificate_not_yet_valid_is_not_valid() {
    assert_eq!(
        signer_codes(&verify("not_yet_valid.p7m")),
        [["certificate_not_yet_valid"]]
    );
}

#[test]
fn key_encipherment_only_certificate_cannot_sign() {
    assert_eq!(signer_codes(&verify("key_usage.p7m")), [["key_usage"]]);
}

#[test]
fn detached_signature_alone_is_not_valid() {
    let r = verify("detached.p7m");
    assert!(!r.valid);
    assert_eq!(r.problem_codes(), ["detached_content"]);
    assert!(r.content.is_empty());
    assert_eq!(signer_codes(&r), [NO_PROBLEMS]);
}

#[test]
fn sha1_signature_is_not_valid() {
    let r = verify("sha1.p7m");
    assert!(!r.valid);
    // OpenSSL's -cades with SHA-1 writes the v1 signing-certificate attribute.
    assert_eq!(
        signer_codes(&r),
        [["sha1_not_allowed", "legacy_signing_certificate"]]
    );
    assert!(r.signers[0].problems[0].message_it().contains("2011"));
}

#[test]
fn signature_without_signing_certificate_v2_is_not_valid() {
    assert_eq!(
        signer_codes(&verify("no_signing_cert.p7m")),
        [["missing_signing_certificate_v2"]]
    );
}

#[test]
fn missing_intermediate_is_untrusted_unless_given() {
    assert_eq!(
        signer_codes(&verify("missing_intermediate.p7m")),
        [["untrusted_chain"]]
    );
    let opts = VerifyOptions {
        intermediates: vec![fixture("inter.der")],
        ..options()
    };
    assert!(verify_with("missing_intermediate.p7m", &opts).valid);
}

#[test]
fn rsa_1024_key_is_weak() {
    let r = verify("weak_rsa.p7m");
    assert_eq!(signer_codes(&r), [["weak_rsa_key"]]);
    assert!(r.signers[0].problems[0].message_en().contains("1024"));
}

#[test]
fn revoked_certificate_is_not_valid_when_the_crl_is_given() {
    assert!(
        verify("revoked.p7m").valid,
        "without a CRL nothing says it is revoked"
    );
    let opts = VerifyOptions {
        crls: vec![fixture("inter.crl")],
        ..options()
    };
    let r = verify_with("revoked.p7m", &opts);
    assert!(!r.valid);
    assert_eq!(signer_codes(&r), [["revoked"]]);
    assert!(r.signers[0].problems[0].message_it().contains("2024-06-01"));
    // The same CRL does not touch a certificate it does not list.
    assert!(verify_with("valid_rsa.p7m", &opts).valid);
}

#[test]
fn crl_not_signed_by_the_issuer_is_reported() {
    let mut crl = fixture("inter.crl");
    let last = crl.len() - 1;
    crl[last] ^= 0x01; // break the CRL's signature
    let opts = VerifyOptions {
        crls: vec![crl],
        ..options()
    };
    assert_eq!(
        signer_codes(&verify_with("revoked.p7m", &opts)),
        [["crl_signature_invalid"]]
    );
}

#[test]
fn revocation_after_the_verification_time_does_not_count() {
    let opts = VerifyOptions {
        crls: vec![fixture("inter.crl")],
        at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200), // 2024-01-01
        ..options()
    };
    assert!(verify_with("revoked.p7m", &opts).valid);
}

#[test]
fn nested_envelopes_report_every_signer_outermost_first() {
    for name in ["nested.p7m.p7m", "nested_base64_inner.p7m.p7m"] {
        let r = verify(name);
        assert!(r.valid, "{name}");
        assert_eq!(r.layers, 2);
        assert_eq!(r.content, CONTENT);
        let codes: Vec<_> = r.signers.iter().map(|s| s.tax_code.as_deref()).collect();
        assert_eq!(
            codes,
            [Some("BNCLRA92E52F205Y"), Some("RSSMRA80A01H501U")],
            "{name}"
        );
    }
}

#[test]
fn parallel_signers_are_all_checked() {
    let r = verify("parallel.p7m");
    assert!(r.valid);
    assert_eq!(r.layers, 1);
    let mut codes: Vec<_> = r
        .signers
        .iter()
        .filter_map(|s| s.tax_code.clone())
        .collect();
    codes.sort();
    assert_eq!(codes, ["BNCLRA92E52F205Y", "RSSMRA80A01H501U"]);
}

#[test]
fn one_bad_parallel_signer_makes_the_file_not_valid() {
    // Trust neither signer's chain: both fail, and so does the report.
    let opts = VerifyOptions {
        trust_anchors: vec![fixture("other_root.der")],
        ..options()
    };
    let r = verify_with("parallel.p7m", &opts);
    assert!(!r.valid);
    assert!(
        r.signers
            .iter()
            .all(|s| s.problem_codes() == ["untrusted_chain"])
    );
}

#[test]
fn garbage_is_not_a_signature() {
    assert!(firma::verify(&fixture("garbage.bin"), &options()).is_err());
    assert!(firma::verify(b"", &options()).is_err());
    assert!(firma::verify(&fixture("content.txt"), &options()).is_err());
    assert!(firma::verify(&fixture("mario.der"), &options()).is_err());
}

#[test]
fn truncated_envelope_is_a_malformed_signature_file() {
    let r = verify("truncated.p7m");
    assert!(!r.valid);
    assert_eq!(r.problem_codes(), ["malformed_envelope"]);
}

#[test]
fn every_prefix_of_a_signature_is_handled_without_panic() {
    let full = fixture("nested.p7m.p7m");
    for len in (0..full.len()).step_by(7) {
        let _ = firma::verify(&full[..len], &options());
    }
}

#[test]
fn contract_json_has_exactly_the_agreed_shape() {
    let r = verify("sha1.p7m");
    let json = r.to_contract_json(Lang::En);
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        [
            "content_sha256",
            "format",
            "layers",
            "problems",
            "signers",
            "valid"
        ]
    );
    assert_eq!(
        keys(&json["signers"][0]),
        [
            "issuer",
            "problems",
            "serial",
            "signing_time",
            "subject",
            "tax_code",
            "valid"
        ]
    );
    assert_eq!(json["format"], "CAdES");
    assert_eq!(json["valid"], false);
    assert_eq!(json["signers"][0]["serial"], "1001");
    assert!(
        json["signers"][0]["problems"][0]
            .as_str()
            .is_some_and(|m| m.contains("SHA-1"))
    );
    // Serialize writes the same contract, in Italian.
    let it = serde_json::to_value(&r).expect("serialisable");
    assert_eq!(it, r.to_contract_json(Lang::It));
}

#[test]
fn countersignature_is_verified_and_linked_to_its_signer() {
    let r = verify("countersigned.p7m");
    assert!(r.valid, "{:?}", signer_codes(&r));
    assert_eq!(r.signers.len(), 2);
    assert_eq!(r.signers[0].tax_code.as_deref(), Some("RSSMRA80A01H501U"));
    assert_eq!(r.signers[0].countersignature_of, None);
    assert_eq!(r.signers[1].tax_code.as_deref(), Some("BNCLRA92E52F205Y"));
    assert_eq!(r.signers[1].countersignature_of, Some(0));
}

#[test]
fn countersignature_over_other_bytes_is_a_digest_mismatch() {
    let r = verify("countersigned_bad.p7m");
    assert!(!r.valid);
    assert_eq!(signer_codes(&r), [NO_PROBLEMS, vec!["digest_mismatch"]]);
}

/// Parsed anchors are reused from one call to the next on a thread: different anchors must be
/// seen as different, in both directions.
#[test]
fn changing_the_trust_anchors_between_calls_is_noticed() {
    let other = VerifyOptions {
        trust_anchors: vec![fixture("other_root.der")],
        ..options()
    };
    assert!(verify("valid_rsa.p7m").valid);
    let report = verify_with("valid_rsa.p7m", &other);
    assert!(!report.valid);
    assert_eq!(signer_codes(&report), vec![vec!["untrusted_chain"]]);
    assert!(verify("valid_rsa.p7m").valid);
    let none = VerifyOptions {
        trust_anchors: Vec::new(),
        ..options()
    };
    assert!(!verify_with("valid_rsa.p7m", &none).valid);
}
