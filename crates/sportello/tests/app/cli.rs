//! The command line, run as a real process: `verify`, `admin trust …`,
//! `admin import-registry`, `admin chamber/desk/user add`, `admin audit verify`.

use crate::engine_tests;
use crate::helpers::TestDb;
use sportello_core::db::Engine;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../firma/tests/fixtures")
        .join(name)
}

/// The fixtures are valid from 2020 to 2045; verify at a fixed time inside that.
const AT: &str = "2026-06-01T00:00:00Z";

/// Runs `sportello ARGS` against `db` with a fresh data dir, feeding `stdin`.
pub(crate) fn sportello(db: Option<&TestDb>, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sportello"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("SPORTELLO_LOG_LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match db {
        Some(db) => {
            cmd.env("DATABASE_URL", &db.url)
                .env("SPORTELLO_DATA_DIR", db.dir.path().join("data"));
        }
        None => {
            cmd.env(
                "SPORTELLO_DATA_DIR",
                std::env::temp_dir().join("sportello-cli-none"),
            );
        }
    }
    let mut child = cmd.spawn().expect("run sportello");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn verify_json(extra: &[&str], file: &str) -> (i32, serde_json::Value) {
    let f = fixture(file);
    let root = fixture("root.pem");
    let mut args = vec![
        "verify",
        "--json",
        "--at",
        AT,
        "--trust",
        root.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(f.to_str().unwrap());
    let out = sportello(None, &args, "");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn verify_exit_codes_follow_the_contract() {
    let (code, json) = verify_json(&[], "valid_rsa.p7m");
    assert_eq!(code, 0);
    assert_eq!(json["valid"], true);
    assert_eq!(json["format"], "CAdES");
    assert_eq!(json["signers"][0]["tax_code"], "RSSMRA80A01H501U");

    let (code, json) = verify_json(&[], "tampered.p7m");
    assert_eq!(code, 1);
    assert_eq!(json["valid"], false);
    assert!(
        !json["signers"][0]["problems"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (code, _) = verify_json(&[], "untrusted.p7m");
    assert_eq!(code, 1);
    let (code, _) = verify_json(&[], "garbage.bin");
    assert_eq!(code, 2);
    let (code, _) = verify_json(&[], "no-such-file.p7m");
    assert_eq!(code, 2);
    let (code, json) = verify_json(&[], "pades_valid.pdf");
    assert_eq!((code, json["format"].as_str()), (0, Some("PAdES")));
    let (code, _) = verify_json(&[], "pades_appended.pdf");
    assert_eq!(code, 1);
}

#[test]
fn verify_lists_every_signer_of_every_layer_outermost_first_and_extracts_the_content() {
    let (code, json) = verify_json(&[], "nested.p7m.p7m");
    assert_eq!(code, 0);
    assert_eq!(json["layers"], 2);
    let signers = json["signers"].as_array().unwrap();
    assert_eq!(signers.len(), 2);
    assert_eq!(
        signers[0]["tax_code"], "BNCLRA92E52F205Y",
        "outer layer first"
    );
    assert_eq!(signers[1]["tax_code"], "RSSMRA80A01H501U");

    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("content.txt");
    let (code, _) = verify_json(&["--extract", out.to_str().unwrap()], "nested.p7m.p7m");
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(fixture("content.txt")).unwrap()
    );
}

/// A PDF sealed with the chamber's seal key (signed by *ring*) passes `sportello verify` and
/// `openssl cms -verify`, with the demo RSA seal and with an ECDSA P-256 seal.
#[test]
fn a_pdf_sealed_by_the_chamber_verifies_with_sportello_and_openssl() {
    use sportello_core::seal::{SealKey, seal_pdf};

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .env("OPENSSL_CONF", "/dev/null")
            .output()
            .expect("run openssl (scripts/test installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            text(&out.stderr)
        );
        out
    };
    // An ECDSA P-256 seal under a throwaway RSA CA.
    std::fs::write(
        d.join("ext.cnf"),
        "keyUsage = critical, digitalSignature, nonRepudiation\nbasicConstraints = CA:false\n",
    )
    .unwrap();
    for step in [
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=EC-CA -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign",
        "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key",
        "req -new -key ec.key -subj /CN=Sigillo-EC -out ec.csr",
        "x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 30 -extfile ext.cnf -out ec.pem",
        "pkcs12 -export -inkey ec.key -in ec.pem -certfile ca.pem -passout pass:ec -out ec.p12",
    ] {
        openssl(&step.split(' ').collect::<Vec<_>>());
    }

    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sportello-core/tests/fixtures/pki");
    let seals = [
        (
            "rsa",
            pki.join("seal-ge.p12"),
            "sigillo-demo",
            pki.join("root.pem"),
        ),
        ("ecdsa", d.join("ec.p12"), "ec", d.join("ca.pem")),
    ];
    // One page, classic cross-reference table: what the seal appends to.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    .iter()
    .enumerate()
    {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );

    let now = chrono::Utc::now();
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (kind, p12, password, ca) in seals {
        let key = SealKey::from_pkcs12(&std::fs::read(p12).unwrap(), password).unwrap();
        let sealed = seal_pdf(&pdf, &key, now, "Visto", "Genova").unwrap();
        let file = d.join(format!("{kind}.pdf"));
        std::fs::write(&file, &sealed).unwrap();

        let verify = |json: bool| {
            let mut args = vec!["verify", "--at", &at, "--trust", ca.to_str().unwrap()];
            if json {
                args.push("--json");
            }
            args.push(file.to_str().unwrap());
            sportello(None, &args, "")
        };
        let out = verify(true);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{kind}: {json:#}");
        assert_eq!(json["valid"], true, "{kind}: {json:#}");
        assert_eq!(json["format"], "PAdES");
        assert_eq!(json["signers"][0]["subject"].as_str(), Some(key.subject()));
        // The algorithm is in the text report only.
        let out = verify(false);
        assert_eq!(out.status.code(), Some(0));
        let report = text(&out.stdout).to_lowercase();
        assert!(report.contains(kind), "{kind}: {report}");

        // The CMS out of /Contents (hex, zero-padded) and the bytes /ByteRange covers.
        let tag = b"/ByteRange[";
        let start = sealed.windows(tag.len()).rposition(|w| w == tag).unwrap() + tag.len();
        let close = start + sealed[start..].iter().position(|b| *b == b']').unwrap();
        let range: Vec<usize> = std::str::from_utf8(&sealed[start..close])
            .unwrap()
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let mut covered = sealed[range[0]..range[0] + range[1]].to_vec();
        covered.extend_from_slice(&sealed[range[2]..range[2] + range[3]]);
        let mut cms = hex::decode(&sealed[range[1] + 1..range[2] - 1]).unwrap();
        assert_eq!(cms[1], 0x82, "a CMS of 256 bytes to 64 KiB");
        cms.truncate(4 + (usize::from(cms[2]) << 8 | usize::from(cms[3])));
        std::fs::write(d.join("covered.bin"), covered).unwrap();
        std::fs::write(d.join("cms.der"), cms).unwrap();
        let out = openssl(&[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "cms.der",
            "-content",
            "covered.bin",
            "-purpose",
            "any",
            "-attime",
            &now.timestamp().to_string(),
            "-CAfile",
            ca.to_str().unwrap(),
            "-out",
            "/dev/null",
        ]);
        assert!(
            text(&out.stderr).contains("Verification successful"),
            "{kind}"
        );
    }
}

#[test]
fn a_wrong_configuration_value_stops_start_up_naming_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("migrate")
        .env("SPORTELLO_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("SPORTELLO_LISTEN"),
        "{}",
        text(&out.stderr)
    );
}

engine_tests!(
    verify_uses_the_stored_trust_anchors_unless_trust_is_given,
    import_registry_reports_good_bad_and_unreadable_files,
    admin_creates_chamber_desk_and_user_and_audit_verify_detects_tampering,
);

async fn verify_uses_the_stored_trust_anchors_unless_trust_is_given(engine: Engine) {
    let db = TestDb::new(engine).await;
    let signed = fixture("valid_rsa.p7m");
    let signed = signed.to_str().unwrap();
    let verify = || sportello(Some(&db), &["verify", "--at", AT, signed], "");
    assert_eq!(verify().status.code(), Some(1), "nothing trusted yet");

    let root = fixture("root.pem");
    let out = sportello(
        Some(&db),
        &["admin", "trust", "add", root.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("trusted CN=Sportello Test Root CA"),
        "{}",
        text(&out.stdout)
    );
    let again = sportello(
        Some(&db),
        &["admin", "trust", "add", root.to_str().unwrap()],
        "",
    );
    assert!(text(&again.stdout).contains("already trusted"));
    assert_eq!(verify().status.code(), Some(0), "trusted now");

    // A signer's certificate is not a CA: refused as an anchor.
    let mario = fixture("mario.der");
    let out = sportello(
        Some(&db),
        &["admin", "trust", "add", mario.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a CA"));

    let list = text(&sportello(Some(&db), &["admin", "trust", "list"], "").stdout);
    let id = list.split('\t').next().unwrap().trim().to_string();
    let out = sportello(Some(&db), &["admin", "trust", "remove", &id], "");
    assert!(out.status.success());
    assert_eq!(verify().status.code(), Some(1), "no longer trusted");

    let tsl = fixture("tsl.xml");
    let out = sportello(
        Some(&db),
        &["admin", "trust", "import-tsl", tsl.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("new anchors"),
        "{}",
        text(&out.stdout)
    );
}

async fn import_registry_reports_good_bad_and_unreadable_files(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("estratto.csv");
    std::fs::write(
        &csv,
        "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;indirizzo;cap;comune;stato;diritto_annuale_pagato\n\
         01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2024 2025\n\
         01879020518;;ERRATA S.R.L.;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;\n",
    )
    .unwrap();
    let out = sportello(
        Some(&db),
        &["admin", "import-registry", csv.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).lines().last(),
        Some("imported 1, rejected 1")
    );
    assert!(
        text(&out.stderr).contains("line 3: "),
        "{}",
        text(&out.stderr)
    );

    let out = sportello(
        Some(&db),
        &["admin", "import-registry", "--json", csv.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["imported"], 1);
    assert_eq!(json["rejected"][0]["line"], 3);
    assert_eq!(json["rejected"][0]["field"], "codice_fiscale");

    let out = sportello(
        Some(&db),
        &["admin", "import-registry", "/no/such/file.csv"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

async fn admin_creates_chamber_desk_and_user_and_audit_verify_detects_tampering(engine: Engine) {
    let db = TestDb::new(engine).await;
    let ok = |args: &[&str], stdin: &str| {
        let out = sportello(Some(&db), args, stdin);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(
        &[
            "admin",
            "chamber",
            "add",
            "--code",
            "GE",
            "--name",
            "CCIAA di Genova",
        ],
        "",
    );
    ok(
        &[
            "admin",
            "desk",
            "add",
            "--chamber",
            "GE",
            "--code",
            "GE-GENOVA",
            "--name",
            "Genova",
        ],
        "",
    );
    ok(
        &[
            "admin",
            "user",
            "add",
            "--email",
            "funzionario@ge.camcom.test",
            "--name",
            "Paolo Verdi",
            "--role",
            "officer",
            "--chamber",
            "GE",
            "--desk",
            "GE-GENOVA",
            "--password-stdin",
        ],
        "una password lunga\n",
    );
    // Wrong inputs say what is wrong.
    let out = sportello(
        Some(&db),
        &[
            "admin",
            "user",
            "add",
            "--email",
            "x@ge.camcom.test",
            "--name",
            "X",
            "--role",
            "officer",
            "--chamber",
            "GE",
            "--password-stdin",
        ],
        "una password lunga\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("at least one desk"),
        "{}",
        text(&out.stderr)
    );
    let out = sportello(
        Some(&db),
        &["admin", "chamber", "add", "--code", "GENOVA", "--name", "X"],
        "",
    );
    assert!(text(&out.stderr).contains("--code"));

    // A payment received, recorded at the command line.
    let csv = db.dir.path().join("one.csv");
    std::fs::write(
        &csv,
        "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;indirizzo;cap;comune;stato;diritto_annuale_pagato\n\
         01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025\n",
    )
    .unwrap();
    ok(&["admin", "import-registry", csv.to_str().unwrap()], "");
    let out = ok(
        &[
            "admin",
            "wallet",
            "credit",
            "--company",
            "01879020517",
            "--amount",
            "50.00",
            "--reference",
            "CRO 991",
        ],
        "",
    );
    assert!(out.contains("balance 50.00"), "{out}");
    // With a second chamber the wallet must be named: each chamber keeps its own.
    ok(
        &[
            "admin",
            "chamber",
            "add",
            "--code",
            "SV",
            "--name",
            "Riviere di Liguria",
        ],
        "",
    );
    let credit_args = [
        "admin",
        "wallet",
        "credit",
        "--company",
        "01879020517",
        "--amount",
        "20.00",
        "--reference",
        "CRO 992",
    ];
    let out = sportello(Some(&db), &credit_args, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("GE, SV") && text(&out.stderr).contains("--chamber"),
        "{}",
        text(&out.stderr)
    );
    let mut with_chamber = credit_args.to_vec();
    with_chamber.extend(["--chamber", "SV"]);
    let out = ok(&with_chamber, "");
    assert!(out.contains("balance 20.00"), "Savona's own wallet: {out}");
    let mut with_chamber = credit_args.to_vec();
    with_chamber.extend(["--chamber", "GE"]);
    let out = ok(&with_chamber, "");
    assert!(out.contains("balance 70.00"), "Genova's wallet: {out}");
    let out = sportello(
        Some(&db),
        &[
            "admin",
            "wallet",
            "credit",
            "--company",
            "01879020517",
            "--amount",
            "abc",
            "--reference",
            "x",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Invalid amount"),
        "{}",
        text(&out.stderr)
    );

    assert!(ok(&["admin", "audit", "verify"], "").contains("intact"));
    sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
        .execute(db.db.pool())
        .await
        .unwrap();
    let out = sportello(Some(&db), &["admin", "audit", "verify"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("audit entry 2"),
        "{}",
        text(&out.stdout)
    );
}
