//! Loading trust material: certificates, CRLs, summaries and the EU trusted list.

mod support;

use firma::tsl::parse_trusted_list;
use support::fixture;

#[test]
fn pem_bundle_gives_every_certificate() {
    let certs = firma::parse_certificates(&fixture("chain.pem")).expect("two certificates");
    assert_eq!(certs, vec![fixture("inter.der"), fixture("root.der")]);
}

#[test]
fn single_der_certificate_is_accepted() {
    assert_eq!(
        firma::parse_certificates(&fixture("root.der")).expect("one"),
        vec![fixture("root.der")]
    );
}

#[test]
fn non_certificates_are_refused() {
    assert!(firma::parse_certificates(b"").is_err());
    assert!(firma::parse_certificates(&fixture("garbage.bin")).is_err());
    assert!(firma::parse_certificates(&fixture("inter.crl")).is_err());
}

#[test]
fn crls_load_from_pem_or_der() {
    assert_eq!(
        firma::parse_crl(&fixture("inter.crl")).expect("der"),
        vec![fixture("inter.crl")]
    );
    assert_eq!(
        firma::parse_crl(&fixture("inter.crl.pem")).expect("pem"),
        vec![fixture("inter.crl")]
    );
    assert!(firma::parse_crl(&fixture("root.der")).is_err());
}

#[test]
fn certificate_summary_describes_a_root() {
    let s = firma::certificate_summary(&fixture("root.der")).expect("parsable");
    assert_eq!(s.subject, "CN=Sportello Test Root CA,O=Sportello Test,C=IT");
    assert_eq!(s.subject, s.issuer);
    assert_eq!(s.serial, "01");
    assert_eq!(s.not_before, "2020-01-01T00:00:00Z");
    assert_eq!(s.not_after, "2045-01-01T00:00:00Z");
    assert_eq!(s.sha256_fingerprint.len(), 64);
    assert!(s.is_ca);
    assert!(
        !firma::certificate_summary(&fixture("mario.der"))
            .expect("parsable")
            .is_ca
    );
    assert!(firma::certificate_summary(b"nope").is_none());
}

#[test]
fn trusted_list_keeps_only_granted_ca_qc_services() {
    let services = parse_trusted_list(&fixture("tsl.xml")).expect("well-formed list");
    assert_eq!(
        services.len(),
        1,
        "withdrawn CA/QC and granted TSA are left out"
    );
    let s = &services[0];
    assert_eq!(s.tsp_name, "Sportello Test S.p.A.");
    assert_eq!(s.service_name, "Sportello Test Root CA");
    assert_eq!(
        s.status_starting_time.as_deref(),
        Some("2020-01-01T00:00:00Z")
    );
    assert_eq!(s.certificates, vec![fixture("root.der")]);
}

#[test]
fn trusted_list_certificates_work_as_trust_anchors() {
    let services = parse_trusted_list(&fixture("tsl.xml")).expect("well-formed list");
    let opts = firma::VerifyOptions {
        trust_anchors: services.into_iter().flat_map(|s| s.certificates).collect(),
        ..support::options()
    };
    assert!(support::verify_with("valid_rsa.p7m", &opts).valid);
    assert!(!support::verify_with("untrusted.p7m", &opts).valid);
}
