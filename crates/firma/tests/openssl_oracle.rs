//! OpenSSL as the oracle: for every attached CAdES fixture where OpenSSL's verdict applies,
//! `openssl cms -verify` (trust via `-CAfile`, `-purpose any`, `-attime`) must agree with ours.
//!
//! Left out on purpose, because our rules are stricter than OpenSSL's (it accepts them all):
//! `sha1.p7m` (SHA-1 refused since 2011), `no_signing_cert.p7m` (signing-certificate-v2 is
//! required), `weak_rsa.p7m` (RSA under 2048 bits), `key_usage.p7m` (OpenSSL's `-purpose any`
//! ignores keyUsage). `detached.p7m` is left out too: alone it is never valid for us, while
//! OpenSSL needs the content to say anything. A missing `openssl` fails the test (`scripts/test`
//! installs it): an oracle that is not asked must not count as agreeing.

mod support;

use firma::VerifyOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{AT_UNIX, fixture, options, path};

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("firma-oracle-{}-{name}", std::process::id()))
}

/// Runs `openssl cms -verify` on one layer; returns success and the content it wrote.
fn openssl_layer(input: &Path, inform: &str, ca_file: &Path, extra: &[&str]) -> (bool, Vec<u8>) {
    let out = temp(&format!(
        "{}.out",
        input.file_name().and_then(|n| n.to_str()).unwrap_or("x")
    ));
    let status = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-purpose", "any"])
        .args(["-inform", inform])
        .arg("-in")
        .arg(input)
        .arg("-CAfile")
        .arg(ca_file)
        .args(["-attime", &AT_UNIX.to_string()])
        .arg("-out")
        .arg(&out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    let content = std::fs::read(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    (status.success(), content)
}

/// OpenSSL's verdict over every nested layer (base64 layers decoded with `openssl base64`).
fn openssl_verdict(name: &str, ca_file: &Path, extra: &[&str]) -> bool {
    let mut current = path(name);
    let mut owned: Option<PathBuf> = None;
    for _ in 0..8 {
        let bytes = std::fs::read(&current).expect("readable");
        let (file, inform) = if bytes.starts_with(b"-----BEGIN") {
            (current.clone(), "PEM")
        } else if bytes.first() == Some(&0x30) {
            (current.clone(), "DER")
        } else {
            let decoded = temp(&format!("{name}.b64.der"));
            let ok = Command::new("openssl")
                .args(["base64", "-d", "-in"])
                .arg(&current)
                .arg("-out")
                .arg(&decoded)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return false;
            }
            (decoded, "DER")
        };
        let (ok, content) = openssl_layer(&file, inform, ca_file, extra);
        if file != current {
            let _ = std::fs::remove_file(&file);
        }
        if !ok {
            return false;
        }
        // Another layer when the content is itself a signed envelope (DER or base64).
        let nested = looks_like_envelope(&content);
        if let Some(prev) = owned.take() {
            let _ = std::fs::remove_file(prev);
        }
        if !nested {
            return true;
        }
        let next = temp(&format!("{name}.layer"));
        std::fs::write(&next, &content).expect("temp file");
        owned = Some(next.clone());
        current = next;
    }
    false
}

/// A signedData ContentInfo in DER (`30 82 …` then the OID) or its base64 (`MII…`).
fn looks_like_envelope(bytes: &[u8]) -> bool {
    const SIGNED_DATA: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    bytes
        .windows(SIGNED_DATA.len())
        .take(8)
        .any(|w| w == SIGNED_DATA)
        || bytes.starts_with(b"MII")
}

struct Case {
    name: &'static str,
    intermediates: bool,
    crl: bool,
}

const fn case(name: &'static str) -> Case {
    Case {
        name,
        intermediates: false,
        crl: false,
    }
}

#[test]
fn openssl_agrees_on_every_applicable_fixture() {
    assert!(
        openssl_available(),
        "openssl not found: install it (apt-get install openssl; scripts/test does)"
    );
    let cases = [
        case("valid_rsa.p7m"),
        case("valid_ec.p7m"),
        case("valid_p384.p7m"),
        case("valid_cns.p7m"),
        case("valid_company.p7m"),
        case("pss.p7m"),
        case("ber.p7m"),
        case("base64.p7m"),
        case("pem_cms.p7m"),
        case("pem_pkcs7.p7m"),
        case("parallel.p7m"),
        case("countersigned.p7m"),
        case("nested.p7m.p7m"),
        case("nested_base64_inner.p7m.p7m"),
        case("bench_rsa_50k.p7m"),
        case("bench_ec_50k.p7m"),
        case("tampered.p7m"),
        case("untrusted.p7m"),
        case("expired.p7m"),
        case("not_yet_valid.p7m"),
        case("missing_intermediate.p7m"),
        Case {
            intermediates: true,
            ..case("missing_intermediate.p7m")
        },
        case("revoked.p7m"),
        Case {
            crl: true,
            ..case("revoked.p7m")
        },
    ];
    // With -crl_check, OpenSSL reads CRLs from the CAfile.
    let ca_with_crl = temp("ca-with-crl.pem");
    let mut bundle = fixture("root.pem");
    bundle.extend_from_slice(&fixture("inter.crl.pem"));
    std::fs::write(&ca_with_crl, bundle).expect("temp file");

    let mut disagreements = Vec::new();
    for c in &cases {
        let mut opts: VerifyOptions = options();
        let mut extra: Vec<&str> = Vec::new();
        let ca_file = if c.crl {
            opts.crls.push(fixture("inter.crl"));
            extra.push("-crl_check");
            ca_with_crl.clone()
        } else {
            path("root.pem")
        };
        let ca_file = if c.intermediates {
            // OpenSSL 3.0's `cms -verify` ignores -certfile; a CAfile holding the intermediate
            // next to the root gives the same chain (the root is still required).
            opts.intermediates.push(fixture("inter.der"));
            path("chain.pem")
        } else {
            ca_file
        };
        let ours = firma::verify(&fixture(c.name), &opts).is_ok_and(|r| r.valid);
        let theirs = openssl_verdict(c.name, &ca_file, &extra);
        if ours != theirs {
            disagreements.push(format!(
                "{} (intermediates {}, crl {}): ours {ours}, openssl {theirs}",
                c.name, c.intermediates, c.crl
            ));
        }
    }
    let _ = std::fs::remove_file(&ca_with_crl);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
