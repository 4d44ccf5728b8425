//! Sealing a certificate of origin made by `trade::pdf`, checked by `firma`, by poppler's
//! `pdfsig` and by `openssl cms`.

#![allow(clippy::unwrap_used)]

use crate::seal::*;
use crate::trade::pdf::samples;
use chrono::TimeZone;
use std::path::Path;
use std::process::Command;
use zeroize::Zeroizing;

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pki");

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(PKI).join(name)).unwrap()
}

/// The demo chamber's seal, from the PKCS#12 file OpenSSL made.
pub(crate) fn demo_key() -> SealKey {
    SealKey::from_pkcs12(&pki("seal-ge.p12"), "sigillo-demo").unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()
}

fn certificate_pdf() -> Vec<u8> {
    let doc = samples::co_basic();
    let number = crate::trade::CertificateNumber::parse("C26GE0000123").unwrap();
    let issue = crate::trade::pdf::CertificateIssue {
        verify_url: crate::trade::pdf::verification_url(
            "https://sportello.example",
            &number,
            "K7Q2",
        ),
        number,
        security_code: "K7Q2".into(),
        issued_on: samples::today(),
        chamber_name: "Camera di Commercio di Genova".into(),
        place: "Genova".into(),
        duplicate_of: None,
        replaces: None,
        print_mode: crate::trade::PrintMode::BlankPaper,
        form_serial: None,
        model_xml: crate::trade::xml::model_xml(&doc),
        stamped: Vec::new(),
    };
    crate::trade::pdf::certificate(&doc, &issue, crate::i18n::Lang::It).unwrap()
}

fn verify(pdf: &[u8]) -> firma::Report {
    let opts = firma::VerifyOptions {
        trust_anchors: firma::parse_certificates(&pki("root.pem")).unwrap(),
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: at().into(),
    };
    firma::verify(pdf, &opts).unwrap()
}

fn seal(pdf: &[u8], key: &SealKey) -> Vec<u8> {
    seal_pdf(
        pdf,
        key,
        at(),
        "Certificato di origine C26GE0000123",
        "Genova",
    )
    .unwrap()
}

#[test]
fn the_openssl_pkcs12_gives_key_certificate_and_chain() {
    let key = demo_key();
    assert!(
        key.subject().contains("CN=Camera di Commercio di Genova"),
        "{}",
        key.subject()
    );
    assert!(
        key.subject().contains("VATIT-09876543217"),
        "{}",
        key.subject()
    );
    assert_eq!(key.not_after().to_rfc3339(), "2045-01-01T00:00:00+00:00");
    let names: Vec<String> = key
        .chain_der()
        .iter()
        .map(|c| firma::certificate_summary(c).unwrap().subject)
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names[0].contains("Qualified CA") && names[1].contains("Root CA"),
        "{names:?}"
    );
    assert!(!format!("{key:?}").contains("BEGIN"));
}

#[test]
fn a_wrong_password_is_said_so() {
    let err = SealKey::from_pkcs12(&pki("seal-ge.p12"), "sigillo").unwrap_err();
    assert!(matches!(err, SealError::WrongPassword), "{err}");
    assert_eq!(err.to_string(), "wrong password for the PKCS#12 file");
    let err = SealKey::from_pkcs12(&pki("seal-ge.pem"), "x").unwrap_err();
    assert!(matches!(err, SealError::NotPkcs12), "{err}");
}

fn pem_body(pem: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = String::from_utf8(pem.to_vec()).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn a_key_without_its_certificate_is_refused() {
    let giulia_key = Zeroizing::new(pem_body(&pki("giulia.key")));
    let seal_cert = pem_body(&pki("seal-ge.pem"));
    let err = SealKey::from_parts(giulia_key.clone(), vec![seal_cert]).unwrap_err();
    assert!(
        matches!(err, SealError::KeyDoesNotMatchCertificate),
        "{err}"
    );
    // Giulia's own certificate matches and has nonRepudiation: usable.
    let ok = SealKey::from_parts(giulia_key, vec![pem_body(&pki("giulia.pem"))]).unwrap();
    assert!(ok.subject().contains("GIULIA BIANCHI"));
}

#[test]
fn a_sealed_certificate_verifies_as_pades_by_the_chamber() {
    let key = demo_key();
    let original = certificate_pdf();
    let sealed = seal(&original, &key);
    assert!(sealed.starts_with(&original), "the original bytes are kept");
    let report = verify(&sealed);
    assert_eq!(report.format, firma::Format::Pades);
    assert!(report.valid, "{:#?}", report.signers);
    assert_eq!(report.signers.len(), 1);
    let signer = &report.signers[0];
    assert_eq!(signer.subject, key.subject());
    assert!(signer.problems.is_empty(), "{:?}", signer.problems);
    assert_eq!(signer.signing_time.as_deref(), Some("2026-11-26T09:30:00Z"));
    // Same inputs, same bytes.
    assert_eq!(seal(&original, &key), sealed);
}

#[test]
fn a_changed_byte_or_appended_data_is_detected() {
    let key = demo_key();
    let sealed = seal(&certificate_pdf(), &key);
    // A byte inside the signed range (the page content, far from the signature).
    let mut flipped = sealed.clone();
    flipped[2000] ^= 0x01;
    let report = verify(&flipped);
    assert!(!report.valid);
    assert!(
        report.signers[0]
            .problems
            .iter()
            .any(|p| p.code() == "digest_mismatch"),
        "{:?}",
        report.signers[0].problems
    );
    // Data after the sealed revision.
    let mut appended = sealed.clone();
    appended.extend_from_slice(b"\n% added later\n");
    let report = verify(&appended);
    assert!(!report.valid);
    assert!(
        report.signers[0]
            .problems
            .iter()
            .any(|p| p.code() == "pdf_modified_after_signing"),
        "{:?}",
        report.signers[0].problems
    );
}

#[test]
fn a_sealed_pdf_can_be_sealed_again() {
    let key = demo_key();
    let once = seal(&certificate_pdf(), &key);
    let twice = seal_pdf(&once, &key, at(), "Vidimazione / Visa", "Città di Genova").unwrap();
    let report = verify(&twice);
    assert!(report.valid, "{:#?}", report.signers);
    assert_eq!(report.signers.len(), 2);
    let text = String::from_utf8_lossy(&twice[once.len()..]);
    assert!(text.contains("/T(SigilloCamerale2)"), "{text}");
    assert!(
        text.contains("/Fields[") || text.contains("/Fields ["),
        "{text}"
    );
}

#[test]
fn the_certificate_must_be_valid_when_sealing() {
    let key = demo_key();
    let late = Utc.with_ymd_and_hms(2045, 6, 1, 0, 0, 0).unwrap();
    let err = seal_pdf(&certificate_pdf(), &key, late, "r", "l").unwrap_err();
    assert!(
        matches!(err, SealError::CertificateNotValidAt { .. }),
        "{err}"
    );
}

#[test]
fn the_update_has_the_expected_shape() {
    let key = demo_key();
    let original = certificate_pdf();
    let sealed = seal(&original, &key);
    let update = String::from_utf8_lossy(&sealed[original.len()..]).into_owned();
    for needle in [
        "/Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M(D:20261126093000+00'00')",
        "/Reason(Certificato di origine C26GE0000123)/Location(Genova)",
        "/Subtype/Widget/FT/Sig/T(SigilloCamerale)",
        "/F 132/Rect[0 0 0 0]",
        "/AcroForm <</Fields[",
        "/SigFlags 3>>",
        "/Annots [4 0 R 5 0 R ",
        "/Prev ",
        "/ID ",
        "startxref\n",
    ] {
        assert!(
            update.contains(needle),
            "missing {needle} in\n{}",
            &update[..update.len().min(3000)]
        );
    }
    assert!(update.ends_with("%%EOF\n"));
    // Placeholder size: a function of the key only.
    let contents = update.find("/Contents<").unwrap();
    let end = update[contents..].find('>').unwrap();
    assert_eq!((end - "/Contents<".len()) / 2, key.cms_size_bound());
}

/// The ByteRange bytes and the CMS of the last signature, for the external tools.
fn extract(sealed: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let key = b"/ByteRange[";
    let at = sealed.windows(key.len()).rposition(|w| w == key).unwrap() + key.len();
    let close = sealed[at..].iter().position(|b| *b == b']').unwrap();
    let nums: Vec<usize> = std::str::from_utf8(&sealed[at..at + close])
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let mut covered = sealed[nums[0]..nums[0] + nums[1]].to_vec();
    covered.extend_from_slice(&sealed[nums[2]..nums[2] + nums[3]]);
    let hex_text = &sealed[nums[1] + 1..nums[2] - 1];
    let mut cms = hex::decode(hex_text).unwrap();
    // The DER length tells where the zero padding starts.
    let len = match cms[1] {
        n if n < 0x80 => 2 + n as usize,
        0x81 => 3 + cms[2] as usize,
        0x82 => 4 + ((cms[2] as usize) << 8 | cms[3] as usize),
        _ => panic!("CMS too long"),
    };
    cms.truncate(len);
    (covered, cms)
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test installs it)"))
}

#[test]
fn pdfsig_and_openssl_accept_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = seal(&certificate_pdf(), &demo_key());
    let pdf = dir.path().join("sealed.pdf");
    std::fs::write(&pdf, &sealed).unwrap();
    // Kept for a look (and for veraPDF) when asked, like the other PDF tests' files.
    if let Some(out) = std::env::var_os("SPORTELLO_PDF_OUT") {
        std::fs::write(Path::new(&out).join("certificate_sealed.pdf"), &sealed).unwrap();
    }

    let out = run(Command::new("pdfsig").arg(&pdf));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("pdfsig:\n{stdout}");
    assert!(
        stdout.contains("Signature Validation: Signature is Valid."),
        "{stdout}"
    );
    assert!(stdout.contains("Camera di Commercio di Genova"), "{stdout}");
    assert!(
        stdout.contains("ETSI.CAdES.detached") || stdout.contains("PAdES"),
        "{stdout}"
    );

    openssl_verifies(&sealed, &Path::new(PKI).join("root.pem"), at());
}

/// `openssl cms -verify` accepts the last signature of `sealed` over its ByteRange, with
/// `ca` as the only trust anchor, at the instant `at`.
fn openssl_verifies(sealed: &[u8], ca: &Path, at: DateTime<Utc>) {
    let dir = tempfile::tempdir().unwrap();
    let (covered, cms) = extract(sealed);
    let content = dir.path().join("content.bin");
    let signature = dir.path().join("signature.der");
    std::fs::write(&content, covered).unwrap();
    std::fs::write(&signature, cms).unwrap();
    let out = run(Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-attime",
        ])
        .arg(at.timestamp().to_string())
        .arg("-in")
        .arg(&signature)
        .arg("-content")
        .arg(&content)
        .arg("-CAfile")
        .arg(ca)
        .args(["-out", "/dev/null"])
        .env("OPENSSL_CONF", "/dev/null"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "openssl cms -verify: {stderr}");
    assert!(stderr.contains("Verification successful"), "{stderr}");
}

/// Runs `openssl ARGS` in `dir`, each step one line of space-separated arguments.
fn openssl_steps(dir: &Path, steps: &[String]) {
    for step in steps {
        let args: Vec<&str> = step.split(' ').collect();
        let out = run(Command::new("openssl")
            .args(&args)
            .current_dir(dir)
            .env("OPENSSL_CONF", "/dev/null"));
        assert!(
            out.status.success(),
            "openssl {step}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// In `dir`: a throwaway RSA CA (`ca.pem`) and a P-256 seal key (`ec.key`) with its
/// certificate (`ec.pem`) and a PKCS#12 of both (`ec.p12`, password `ec-test`). The
/// intermediate's key of the fixtures is not kept, hence a CA of its own.
fn ec_pki(dir: &Path) {
    let ext = dir.join("ext.cnf");
    std::fs::write(
        &ext,
        "keyUsage = critical, digitalSignature, nonRepudiation\nbasicConstraints = CA:false\n",
    )
    .unwrap();
    openssl_steps(
        dir,
        &[
            "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=EC-Test-CA -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign".into(),
            "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key".into(),
            "req -new -key ec.key -subj /CN=Sigillo-EC -out ec.csr".into(),
            format!("x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 30 -extfile {} -out ec.pem", ext.display()),
            "pkcs12 -export -inkey ec.key -in ec.pem -certfile ca.pem -passout pass:ec-test -out ec.p12".into(),
        ],
    );
}

/// Seals the sample certificate with `key` now and checks it with `firma` against `ca`.
fn seal_now_and_verify(key: &SealKey, ca: &Path) -> (Vec<u8>, DateTime<Utc>, firma::Report) {
    let now = Utc::now();
    let sealed = seal_pdf(&certificate_pdf(), key, now, "EC", "Genova").unwrap();
    let opts = firma::VerifyOptions {
        trust_anchors: firma::parse_certificates(&std::fs::read(ca).unwrap()).unwrap(),
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: now.into(),
    };
    let report = firma::verify(&sealed, &opts).unwrap();
    (sealed, now, report)
}

#[test]
fn an_ecdsa_p256_seal_verifies_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ec_pki(d);
    let key = SealKey::from_pkcs12(&std::fs::read(d.join("ec.p12")).unwrap(), "ec-test").unwrap();
    let (sealed, now, report) = seal_now_and_verify(&key, &d.join("ca.pem"));
    assert!(report.valid, "{:#?}", report.signers);
    assert!(
        report.signers[0]
            .signature_algorithm
            .to_lowercase()
            .contains("ecdsa"),
        "{}",
        report.signers[0].signature_algorithm
    );
    // OpenSSL reads the DER Ecdsa-Sig-Value too.
    openssl_verifies(&sealed, &d.join("ca.pem"), now);
}

#[test]
fn an_ec_key_without_its_public_half_is_paired_through_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ec_pki(d);
    // RFC 5915 makes the public key optional; OpenSSL leaves it out on request.
    openssl_steps(
        d,
        &[
            "ec -in ec.key -no_public -out bare.pem".into(),
            "pkcs8 -topk8 -nocrypt -in bare.pem -outform DER -out bare.p8".into(),
        ],
    );
    let bare = Zeroizing::new(std::fs::read(d.join("bare.p8")).unwrap());
    let ca = pem_body(&std::fs::read(d.join("ca.pem")).unwrap());
    let cert = pem_body(&std::fs::read(d.join("ec.pem")).unwrap());
    // The CA's certificate first: the key must still find its own.
    let key = SealKey::from_parts(bare.clone(), vec![ca.clone(), cert]).unwrap();
    assert!(key.subject().contains("Sigillo-EC"), "{}", key.subject());
    let (_, _, report) = seal_now_and_verify(&key, &d.join("ca.pem"));
    assert!(report.valid, "{:#?}", report.signers);
    // Without its certificate there is nothing to pair it with.
    let err = SealKey::from_parts(bare, vec![ca]).unwrap_err();
    assert!(
        matches!(err, SealError::KeyDoesNotMatchCertificate),
        "{err}"
    );
}

#[test]
fn rsa_keys_outside_2048_to_4096_bits_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_steps(
        d,
        &["req -x509 -newkey rsa:1024 -nodes -keyout k.pem -out c.pem -days 30 -subj /CN=Short -addext keyUsage=critical,digitalSignature".into()],
    );
    let key = Zeroizing::new(pem_body(&std::fs::read(d.join("k.pem")).unwrap()));
    let cert = pem_body(&std::fs::read(d.join("c.pem")).unwrap());
    let err = SealKey::from_parts(key, vec![cert]).unwrap_err();
    assert!(matches!(err, SealError::UnsupportedKey(_)), "{err}");
    assert!(err.to_string().contains("2048, 3072 or 4096 bits"), "{err}");
}

#[test]
fn legacy_pkcs12_encryption_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("k.pem");
    std::fs::write(&key, pki("giulia.key")).unwrap();
    let cert = d.join("c.pem");
    std::fs::write(&cert, pki("giulia.pem")).unwrap();
    let out = run(Command::new("openssl")
        .args([
            "pkcs12",
            "-export",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha256",
            "-passout",
            "pass:x",
            "-out",
            "legacy.p12",
            "-inkey",
        ])
        .arg(&key)
        .arg("-in")
        .arg(&cert)
        .current_dir(d)
        .env("OPENSSL_CONF", "/dev/null"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = SealKey::from_pkcs12(&std::fs::read(d.join("legacy.p12")).unwrap(), "x").unwrap_err();
    assert!(matches!(err, SealError::UnsupportedPkcs12(_)), "{err}");
    assert!(err.to_string().contains("AES-256-CBC"), "{err}");
}

#[test]
#[ignore = "timing, by hand: cargo test -p sportello-core --lib seal::tests::timing -- --ignored --nocapture"]
fn timing() {
    let key = demo_key();
    let pdf = certificate_pdf();
    let n = 50;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(seal(&pdf, &key));
    }
    let per = start.elapsed() / n;
    let start = std::time::Instant::now();
    for _ in 0..10 {
        std::hint::black_box(demo_key());
    }
    println!(
        "seal_pdf: {per:?} per {} KiB certificate; from_pkcs12: {:?}",
        pdf.len() / 1024,
        start.elapsed() / 10
    );
}
