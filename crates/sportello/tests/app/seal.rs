//! The chamber's seal: imported with `sportello admin chamber seal`, seeded by the demo,
//! stored encrypted, loaded back to seal a PDF that `firma` accepts.

use crate::engine_tests;
use crate::helpers::{TestApp, start_time};

use sportello_core::audit::Actor;
use sportello_core::config::Secret;
use sportello_core::db::Engine;
use sportello_core::seal::{self, SealError, SealKey};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/pki")
        .join(name)
}

/// Runs `sportello ARGS` on the app's database and data dir, feeding `stdin`.
fn sportello(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("SPORTELLO_DATA_DIR", &app.state.config.data_dir)
        .env_remove("SPORTELLO_SEAL_KEY")
        .env("SPORTELLO_LOG_LEVEL", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sportello");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A one-page PDF with a classic cross-reference table.
fn small_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// Seals the small PDF with `key` and verifies it against the test root.
fn seal_and_verify(key: &SealKey) -> firma::Report {
    let sealed = seal::seal_pdf(&small_pdf(), key, start_time(), "Visto", "Genova").unwrap();
    let root = std::fs::read(pki("root.pem")).unwrap();
    let opts = firma::VerifyOptions {
        trust_anchors: firma::parse_certificates(&root).unwrap(),
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: start_time().into(),
    };
    firma::verify(&sealed, &opts).unwrap()
}

async fn the_cli_stores_a_seal_that_seals_pdfs(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let out = sportello(
        &app,
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
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p12 = pki("seal-ge.p12");
    let args = [
        "admin",
        "chamber",
        "seal",
        "--chamber",
        "GE",
        "--pkcs12",
        p12.to_str().unwrap(),
        "--password-stdin",
    ];

    let out = sportello(&app, &args, "not-the-password\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("wrong password for the PKCS#12 file"),
        "{}",
        text(&out.stderr)
    );

    let out = sportello(&app, &args, "sigillo-demo\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("seal of chamber GE stored: CN=Camera di Commercio di Genova"),
        "{stdout}"
    );
    assert!(stdout.contains("valid until 2045-01-01"), "{stdout}");

    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let stored = seal::stored(&app.state.db, &chamber.id)
        .await
        .unwrap()
        .unwrap();
    let key = seal::load(&app.state, &chamber.id).await.unwrap().unwrap();
    assert_eq!(stored.subject, key.subject());
    assert_eq!(stored.sha256, key.sha256_fingerprint());

    let report = seal_and_verify(&key);
    assert!(report.valid, "{:#?}", report.signers);
    assert_eq!(report.format, firma::Format::Pades);
    assert_eq!(report.signers[0].subject, stored.subject);

    // Neither the password nor the key is in the database in clear.
    let blob: Vec<u8> =
        sqlx::query_scalar("SELECT encrypted_key FROM chamber_seals WHERE chamber_id = $1")
            .bind(&chamber.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(!blob.windows(12).any(|w| w == b"sigillo-demo"));
    assert!(
        !blob
            .windows(key.certificate_der().len())
            .any(|w| w == key.certificate_der())
    );
}

async fn the_demo_seeds_a_seal_for_genova(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // Seeding again keeps the same seal.
    app.seed_demo().await;
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let stored = seal::stored(&app.state.db, &chamber.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored
            .subject
            .contains("organizationIdentifier=VATIT-09876543217")
            || stored.subject.contains("2.5.4.97=VATIT-09876543217"),
        "{}",
        stored.subject
    );
    let key = seal::load(&app.state, &chamber.id).await.unwrap().unwrap();
    let report = seal_and_verify(&key);
    assert!(report.valid, "{:#?}", report.signers);
    let audits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'chamber_seal.set' AND entity_id = $1",
    )
    .bind(&chamber.id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audits, 1);
}

async fn a_changed_app_secret_is_reported_not_guessed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    // The demo stored it under the data dir's secret; another secret cannot open it.
    let mut config = (*app.state.config).clone();
    config.seal_key = Some(Secret::new("11".repeat(32)));
    let other = sportello_core::Ctx::from_parts(
        config,
        app.state.clock.clone(),
        app.state.db.clone(),
        app.state.mailer.clone(),
    );
    let err = seal::load(&other, &chamber.id).await.unwrap_err();
    assert!(matches!(err, SealError::Undecryptable), "{err}");
    assert!(err.to_string().contains("SPORTELLO_SEAL_KEY"), "{err}");

    // Stored again under the new secret, it opens; a chamber without a seal has none.
    let p12 = std::fs::read(pki("seal-ge.p12")).unwrap();
    let key = SealKey::from_pkcs12(&p12, "sigillo-demo").unwrap();
    seal::store(&other, start_time(), &Actor::cli(), &chamber.id, &key)
        .await
        .unwrap();
    assert!(seal::load(&other, &chamber.id).await.unwrap().is_some());
    assert!(
        seal::load(&other, "no-such-chamber")
            .await
            .unwrap()
            .is_none()
    );
    let err = seal::store(&other, start_time(), &Actor::cli(), "no-such-chamber", &key)
        .await
        .unwrap_err();
    assert!(matches!(err, SealError::NoChamber), "{err}");
}

engine_tests!(
    the_cli_stores_a_seal_that_seals_pdfs,
    the_demo_seeds_a_seal_for_genova,
    a_changed_app_secret_is_reported_not_guessed,
);
