//! Bytes after the signed envelope: a `.p7m` with anything appended to it (binary, inside its
//! base64 or PEM wrapping, or inside an outer envelope of a `.p7m.p7m`) is refused with
//! `trailing_data`, so what was verified is the whole file and nothing rides along with it.

mod support;

use base64::Engine as _;
use std::process::Command;
use support::{fixture, options};

fn codes(input: &[u8]) -> Vec<&'static str> {
    firma::verify(input, &options())
        .expect("still a signature file")
        .problem_codes()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Base64 in lines of 64, as `openssl base64` writes it.
fn wrapped(bytes: &[u8]) -> String {
    let text = b64(bytes);
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push('\n');
    }
    out
}

#[test]
fn bytes_appended_to_a_der_p7m_are_trailing_data() {
    let clean = fixture("valid_rsa.p7m");
    assert!(firma::verify(&clean, &options()).expect("signature").valid);
    for tail in [
        &b"MZ\x90\x00 a payload"[..],
        b"\n",
        b"\0",
        &[0x30, 0x03, 0x02, 0x01, 0x00][..],
    ] {
        let mut evil = clean.clone();
        evil.extend_from_slice(tail);
        let r = firma::verify(&evil, &options()).expect("still a signature file");
        assert!(!r.valid, "tail {tail:?} accepted");
        assert_eq!(r.problem_codes(), ["trailing_data"], "tail {tail:?}");
        assert_eq!(r.signers.len(), 1, "the signer is still reported");
    }
    // A BER (indefinite-length) envelope ends at its end-of-contents: bytes after it count too.
    let mut ber = fixture("ber.p7m");
    assert_eq!(codes(&ber), Vec::<&str>::new());
    ber.extend_from_slice(b"extra");
    assert_eq!(codes(&ber), ["trailing_data"]);
}

#[test]
fn bytes_inside_base64_or_after_pem_are_trailing_data() {
    let der = fixture("valid_rsa.p7m");
    let mut der_tail = der.clone();
    der_tail.extend_from_slice(b"appended after the envelope");
    // Bare base64: the decoded bytes carry the tail.
    assert_eq!(codes(wrapped(&der).as_bytes()), Vec::<&str>::new());
    assert_eq!(codes(wrapped(&der_tail).as_bytes()), ["trailing_data"]);
    // PEM: the tail inside the block, text after the block, a second block.
    let pem = |body: &[u8]| format!("-----BEGIN CMS-----\n{}-----END CMS-----\n", wrapped(body));
    assert_eq!(codes(pem(&der).as_bytes()), Vec::<&str>::new());
    assert_eq!(
        codes(format!("{}\r\n\n", pem(&der)).as_bytes()),
        Vec::<&str>::new(),
        "whitespace after the block is not data"
    );
    assert_eq!(codes(pem(&der_tail).as_bytes()), ["trailing_data"]);
    assert_eq!(
        codes(format!("{}<script>alert(1)</script>\n", pem(&der)).as_bytes()),
        ["trailing_data"]
    );
    assert_eq!(
        codes(format!("{}{}", pem(&der), pem(b"another")).as_bytes()),
        ["trailing_data"]
    );
    // The fixtures made by OpenSSL, with a line appended.
    for name in ["pem_cms.p7m", "pem_pkcs7.p7m"] {
        let mut f = fixture(name);
        assert_eq!(codes(&f), Vec::<&str>::new(), "{name}");
        f.extend_from_slice(b"trailing line\n");
        assert_eq!(codes(&f), ["trailing_data"], "{name}");
    }
}

#[test]
fn an_inner_envelope_with_bytes_after_it_is_trailing_data() {
    // The inner layer of a .p7m.p7m is the outer layer's signed content: append to it, then
    // sign it again with a throwaway key made here by OpenSSL.
    let dir = tempfile_dir();
    let key = dir.join("k.pem");
    let cert = dir.join("c.pem");
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=Outer Signer"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .env("OPENSSL_CONF", "/dev/null")
        .output()
        .expect("openssl runs")
        .status
        .success();
    assert!(ok, "openssl req");
    let sign = |content: &[u8]| -> Vec<u8> {
        let input = dir.join("in.bin");
        let output = dir.join("out.p7m");
        std::fs::write(&input, content).expect("write");
        let ok = Command::new("openssl")
            .args([
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-cades",
                "-md",
                "sha256",
            ])
            .args(["-outform", "DER"])
            .arg("-in")
            .arg(&input)
            .arg("-signer")
            .arg(&cert)
            .arg("-inkey")
            .arg(&key)
            .arg("-out")
            .arg(&output)
            .env("OPENSSL_CONF", "/dev/null")
            .output()
            .expect("openssl runs")
            .status
            .success();
        assert!(ok, "openssl cms -sign");
        std::fs::read(&output).expect("signed")
    };
    let inner = fixture("valid_rsa.p7m");
    let clean = firma::verify(&sign(&inner), &options()).expect("signature");
    assert_eq!(clean.layers, 2);
    assert!(
        clean.problem_codes().is_empty(),
        "{:?}",
        clean.problem_codes()
    );
    let mut inner_tail = inner.clone();
    inner_tail.extend_from_slice(b"payload behind the inner envelope");
    let r = firma::verify(&sign(&inner_tail), &options()).expect("signature");
    assert_eq!(r.layers, 2);
    assert!(!r.valid);
    assert_eq!(r.problem_codes(), ["trailing_data"]);
    // The same inside a base64 inner layer.
    let r = firma::verify(&sign(wrapped(&inner_tail).as_bytes()), &options()).expect("signature");
    assert_eq!(r.problem_codes(), ["trailing_data"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_trailing_data_problem_is_said_in_both_languages() {
    let mut evil = fixture("valid_rsa.p7m");
    evil.extend_from_slice(b"x");
    let r = firma::verify(&evil, &options()).expect("signature");
    let p = &r.problems[0];
    assert!(p.message(firma::Lang::It).contains("Dopo la busta firmata"));
    assert!(
        p.message(firma::Lang::En)
            .contains("after the signed envelope")
    );
    assert!(
        !r.unreadable(),
        "a readable envelope, not valid: exit 1, not 2"
    );
}

#[test]
fn a_truncated_envelope_cannot_be_read_at_all() {
    let r = firma::verify(&fixture("truncated.p7m"), &options()).expect("starts like one");
    assert!(r.unreadable());
    let full = fixture("valid_rsa.p7m");
    for len in [20, 100, full.len() / 2, full.len() - 1] {
        let r = firma::verify(&full[..len], &options()).expect("starts like one");
        assert!(r.unreadable(), "cut at {len}");
    }
    assert!(!firma::verify(&full, &options()).expect("ok").unreadable());
    assert!(
        !firma::verify(&fixture("tampered.p7m"), &options())
            .expect("ok")
            .unreadable()
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "firma-trailing-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
