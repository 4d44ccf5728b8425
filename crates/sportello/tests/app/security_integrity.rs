//! Integrity hardening: security codes kept hashed and encrypted, nothing riding after a
//! signed `.p7m`, `sportello verify`'s exit codes, jobs with an attempt limit and fenced
//! completion, blobs durable before the commit, and state-dependent writes guarded in the SQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn firma_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../firma/tests/fixtures")
        .join(name)
}

/// `sportello verify --json --at … --trust root.pem FILE`, without a database.
fn verify_cli(file: &Path) -> (Option<i32>, serde_json::Value) {
    let root = firma_fixture("root.pem");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args([
            "verify",
            "--json",
            "--at",
            "2026-06-01T00:00:00Z",
            "--trust",
        ])
        .arg(&root)
        .arg(file)
        .env_remove("DATABASE_URL")
        .env("SPORTELLO_LOG_LEVEL", "warn")
        .env(
            "SPORTELLO_DATA_DIR",
            std::env::temp_dir().join("sportello-cli-none"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run sportello");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json)
}

#[test]
fn verify_exits_2_for_a_truncated_p7m_and_1_for_bytes_after_a_valid_one() {
    let dir = tempfile::tempdir().unwrap();
    // The fixture cut by the fixture script, and cuts of a valid file made here.
    let (code, json) = verify_cli(&firma_fixture("truncated.p7m"));
    assert_eq!(code, Some(2), "{json}");
    assert_eq!(json["valid"], false);
    assert_eq!(json["error"], "malformed_envelope");
    let full = std::fs::read(firma_fixture("valid_rsa.p7m")).unwrap();
    for len in [40, full.len() / 3, full.len() - 1] {
        let cut = dir.path().join(format!("cut-{len}.p7m"));
        std::fs::write(&cut, &full[..len]).unwrap();
        assert_eq!(verify_cli(&cut).0, Some(2), "cut at {len}");
    }
    // A readable envelope with bytes after it is a signature file that is not valid.
    let mut evil = full.clone();
    evil.extend_from_slice(b"<html>payload</html>");
    let path = dir.path().join("evil.p7m");
    std::fs::write(&path, &evil).unwrap();
    let (code, json) = verify_cli(&path);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["valid"], false);
    assert_eq!(
        json["signers"][0]["valid"], true,
        "the signature itself holds"
    );
    assert!(
        json["problems"][0]
            .as_str()
            .is_some_and(|m| m.contains("Dopo la busta firmata")),
        "{json}"
    );
    let (code, _) = verify_cli(&firma_fixture("valid_rsa.p7m"));
    assert_eq!(code, Some(0));
}

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

/// Standard base64 with padding, in lines of 64 (what signing tools write).
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            });
        }
    }
    out.chunks(64)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

engine_tests!(an_upload_with_bytes_after_the_signed_model_is_refused_and_nothing_is_stored,);

async fn practices_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn an_upload_with_bytes_after_the_signed_model_is_refused_and_nothing_is_stored(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    let model = erp.new_model(LIGURE, co_form()).await;
    let xml = erp.xml(&model).await;
    let signed = sign(&xml, "giulia");
    let with_tail = |mut bytes: Vec<u8>| {
        bytes.extend_from_slice(b"%PDF-1.7 a second document riding along");
        bytes
    };
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("binary", with_tail(signed.clone())),
        ("binary, one byte", [signed.as_slice(), b"\0"].concat()),
        ("base64", b64(&with_tail(signed.clone())).into_bytes()),
        (
            "pem with text after",
            format!(
                "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\nsomething else\n",
                b64(&signed)
            )
            .into_bytes(),
        ),
        ("nested", sign(&with_tail(signed.clone()), "giulia")),
    ];
    for (what, bytes) in &hostile {
        let r = erp.upload(bytes.clone(), &DETAILS).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "signature_invalid", "{what}: {body}");
        assert!(
            body.to_string().contains("Dopo la busta firmata"),
            "{what}: the problem is said: {body}"
        );
    }
    assert_eq!(practices_count(&app).await, 0, "nothing was created");
    for (what, bytes) in &hostile {
        let key = sportello_core::blobs::sha256_hex(bytes);
        assert!(
            !app.state.blobs.exists(&key).await.unwrap(),
            "{what} was not stored"
        );
    }
    // The clean file, plain and nested, is accepted and stored exactly as uploaded.
    for clean in [signed.clone(), sign(&signed, "giulia")] {
        let r = erp.upload(clean.clone(), &DETAILS).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = sportello_core::trade::practice::get(&app.state.db, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(app.state.blobs.get(&p.signed_blob).await.unwrap(), clean);
        // A signed attachment with bytes after it is not a signed document either.
        let r = erp
            .attach(&id, with_tail(signed.clone()), "packing_list")
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = erp.attach(&id, signed.clone(), "packing_list").await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

// --- Jobs: an attempt limit on the claim, and completion fenced by the claimer ------------

use crate::helpers::{Browser, TestDb, start_time};
use sportello_core::jobs;

#[derive(serde::Serialize, serde::Deserialize)]
struct Crashes;

impl jobs::Job for Crashes {
    const KIND: &'static str = "test_crashes";
    const MAX_ATTEMPTS: i64 = 3;
    async fn run(self, _state: &sportello_core::Ctx) -> anyhow::Result<()> {
        Ok(())
    }
}

async fn enqueue_crashes(db: &sportello_core::db::Db) -> String {
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(&mut tx, &Crashes, start_time(), Some("crashes"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = 'crashes'")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn job_row(
    db: &sportello_core::db::Db,
    id: &str,
) -> (String, i64, Option<String>, Option<String>) {
    sqlx::query_as("SELECT status, attempts, locked_by, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

engine_tests!(
    a_job_whose_lease_keeps_expiring_is_parked_dead_after_its_attempts,
    a_stale_workers_completion_changes_nothing,
);

async fn a_job_whose_lease_keeps_expiring_is_parked_dead_after_its_attempts(engine: Engine) {
    let t = TestDb::new(engine).await;
    let id = enqueue_crashes(&t.db).await;
    let lease = chrono::Duration::minutes(5);
    let mut now = start_time();
    // The process dies while running it, three times: each claim takes an attempt.
    for attempt in 1..=3 {
        let job = jobs::claim(&t.db, now, &format!("w{attempt}"), lease)
            .await
            .unwrap()
            .expect("claimable while attempts remain");
        assert_eq!((job.id.as_str(), job.attempts), (id.as_str(), attempt));
        now += chrono::Duration::minutes(6);
    }
    // The third lease expired too: no fourth run, the job is dead with the reason kept.
    for _ in 0..3 {
        assert!(
            jobs::claim(&t.db, now, "w4", lease)
                .await
                .unwrap()
                .is_none()
        );
        now += chrono::Duration::minutes(6);
    }
    let (status, attempts, _, error) = job_row(&t.db, &id).await;
    assert_eq!((status.as_str(), attempts), ("dead", 3));
    assert!(
        error.as_deref().is_some_and(|e| e.contains("lease")),
        "{error:?}"
    );
    let dead = jobs::dead(&t.db, 50).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind, "test_crashes");
    let counts = jobs::counts(&t.db).await.unwrap();
    assert!(counts.contains(&("dead".to_string(), 1)), "{counts:?}");
}

async fn a_stale_workers_completion_changes_nothing(engine: Engine) {
    let t = TestDb::new(engine).await;
    let id = enqueue_crashes(&t.db).await;
    let lease = chrono::Duration::minutes(5);
    let now = start_time();
    let stale = jobs::claim(&t.db, now, "w1", lease).await.unwrap().unwrap();
    // w1 stalls past its lease; w2 takes the job over.
    let later = now + chrono::Duration::minutes(6);
    let current = jobs::claim(&t.db, later, "w2", lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, id);
    // w1 wakes up and reports: neither its success nor its failure counts.
    assert!(!jobs::complete(&t.db, &stale, later).await.unwrap());
    assert!(!jobs::fail(&t.db, &stale, later, "w1 failed").await.unwrap());
    let (status, attempts, locked_by, error) = job_row(&t.db, &id).await;
    assert_eq!(
        (status.as_str(), attempts, locked_by.as_deref(), error),
        ("running", 2, Some("w2"), None)
    );
    // The worker holding the lease completes it.
    assert!(jobs::complete(&t.db, &current, later).await.unwrap());
    assert_eq!(job_row(&t.db, &id).await.0, "done");
    // And a late report from either changes nothing any more.
    assert!(!jobs::fail(&t.db, &current, later, "late").await.unwrap());
    assert!(!jobs::complete(&t.db, &stale, later).await.unwrap());
    assert_eq!(job_row(&t.db, &id).await.0, "done");
}

engine_tests!(dead_jobs_are_shown_to_chamber_administrators_and_counted_in_metrics,);

async fn dead_jobs_are_shown_to_chamber_administrators_and_counted_in_metrics(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let id = enqueue_crashes(&app.state.db).await;
    let mut now = start_time();
    while jobs::claim(&app.state.db, now, "w", chrono::Duration::minutes(5))
        .await
        .unwrap()
        .is_some()
    {
        now += chrono::Duration::minutes(6);
    }
    assert_eq!(job_row(&app.state.db, &id).await.0, "dead");
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("sportello_jobs{status=\"dead\"} 1"),
        "{metrics}"
    );
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, email, password).await;
    let (_, home) = admin.get("/").await;
    assert!(home.contains("/admin/jobs"), "linked from the home page");
    let (status, page) = admin.get("/admin/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("test_crashes") && page.contains("3 / 3"),
        "{page}"
    );
    assert!(
        page.contains("the lease expired"),
        "the last error is shown"
    );
    assert!(
        page.contains("sola lettura"),
        "the page says it is read-only"
    );
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    assert_eq!(officer.get("/admin/jobs").await.0, StatusCode::FORBIDDEN);
}

// --- Security codes: a salted slow hash to check, the code encrypted to reprint ----------

use sportello_core::trade::desk::security_code;

/// A certificate of origin approved for the demo company; returns (certificate id, number).
async fn approved_certificate(app: &TestApp) -> (String, String) {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = crate::trade::ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let officer = Erp::demo(app, Role::Officer).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let c = sportello_core::trade::desk::certificate::of_practice(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    (c.id, c.number)
}

type CodeColumns = (Option<String>, String, Option<Vec<u8>>, Option<String>);

async fn code_columns(app: &TestApp, id: &str) -> CodeColumns {
    sqlx::query_as(
        "SELECT security_code, security_code_hash, security_code_sealed, security_code_key \
         FROM certificates WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn verify_status(app: &TestApp, number: &str, code: &str) -> StatusCode {
    reqwest::get(app.url(&format!("/api/v1/verify/{number}?code={code}")))
        .await
        .unwrap()
        .status()
}

engine_tests!(
    security_codes_are_kept_hashed_and_encrypted_never_in_clear,
    clear_codes_from_before_are_protected_at_start_and_bare_hashes_upgraded_when_verified,
);

async fn security_codes_are_kept_hashed_and_encrypted_never_in_clear(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (id, number) = approved_certificate(&app).await;
    let code = security_code::reveal(&app.state, &id)
        .await
        .unwrap()
        .expect("kept for reprints");
    assert_eq!(code.len(), 10);
    let (clear, hash, sealed, key) = code_columns(&app, &id).await;
    assert_eq!(clear, None, "no clear code");
    assert!(hash.starts_with("$argon2id$v=19$m=8192,t=2,p=1$"), "{hash}");
    assert!(!hash.contains(&code));
    let sealed = sealed.expect("encrypted code");
    assert!(!sealed.windows(code.len()).any(|w| w == code.as_bytes()));
    assert!(key.is_some_and(|k| !k.is_empty()));
    let in_audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE $1 OR before_json LIKE $1",
    )
    .bind(format!("%{code}%"))
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(in_audit, 0, "the audit trail does not hold it either");
    // The printed pair opens the verification; a near miss does not.
    assert_eq!(verify_status(&app, &number, &code).await, StatusCode::OK);
    assert_eq!(
        verify_status(&app, &number.to_lowercase(), &code.to_lowercase()).await,
        StatusCode::OK
    );
    let mut wrong = code.clone().into_bytes();
    wrong[9] = if wrong[9] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!(
        verify_status(&app, &number, &wrong).await,
        StatusCode::NOT_FOUND
    );
    // Swapping the encrypted code onto another certificate does not open it there.
    let (other, _) = {
        let erp = Erp::demo(&app, Role::Company).await;
        let id = crate::trade::ready_practice(&erp, &[]).await;
        erp.post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap();
        Erp::demo(&app, Role::Officer)
            .await
            .post(&format!("/api/v1/practices/{id}/approve"))
            .send()
            .await
            .unwrap();
        let c = sportello_core::trade::desk::certificate::of_practice(&app.state.db, &id)
            .await
            .unwrap()
            .unwrap();
        (c.id, c.number)
    };
    let (_, other_hash, _, _) = code_columns(&app, &other).await;
    assert_ne!(
        hash.split('$').nth(4),
        other_hash.split('$').nth(4),
        "each hash has its own salt"
    );
    sqlx::query("UPDATE certificates SET security_code_sealed = $2 WHERE id = $1")
        .bind(&other)
        .bind(&sealed)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(security_code::reveal(&app.state, &other).await.is_err());
}

async fn clear_codes_from_before_are_protected_at_start_and_bare_hashes_upgraded_when_verified(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (id, number) = approved_certificate(&app).await;
    let code = security_code::reveal(&app.state, &id)
        .await
        .unwrap()
        .unwrap();
    let legacy = sportello_core::blobs::sha256_hex(format!("{number}:{code}").as_bytes());
    let make_legacy = |clear: Option<String>| {
        sqlx::query(
            "UPDATE certificates SET security_code = $2, security_code_hash = $3, \
             security_code_sealed = NULL, security_code_key = NULL WHERE id = $1",
        )
        .bind(id.clone())
        .bind(clear)
        .bind(legacy.clone())
        .execute(app.state.db.pool())
    };
    // As an earlier version left it: the code in clear beside its unsalted SHA-256. Starting
    // the application (here `sportello migrate`, on the same data folder and its key) hashes
    // and encrypts it.
    make_legacy(Some(code.clone())).await.unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("migrate")
        .env("DATABASE_URL", &app.db.url)
        .env("SPORTELLO_DATA_DIR", &app.state.config.data_dir)
        .env_remove("SPORTELLO_SEAL_KEY")
        .env("SPORTELLO_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(code_columns(&app, &id).await.0, None, "protected at start");
    make_legacy(Some(code.clone())).await.unwrap();
    assert_eq!(
        security_code::protect_stored_codes(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        security_code::protect_stored_codes(&app.state)
            .await
            .unwrap(),
        0,
        "idempotent"
    );
    let (clear, hash, sealed, _) = code_columns(&app, &id).await;
    assert_eq!(clear, None);
    assert!(hash.starts_with("$argon2id$"));
    assert!(sealed.is_some());
    assert_eq!(
        security_code::reveal(&app.state, &id).await.unwrap(),
        Some(code.clone())
    );
    assert_eq!(verify_status(&app, &number, &code).await, StatusCode::OK);
    // A row that only ever had the SHA-256: a wrong code changes nothing, the right one
    // upgrades it on the spot.
    make_legacy(None).await.unwrap();
    assert_eq!(
        security_code::protect_stored_codes(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(security_code::reveal(&app.state, &id).await.unwrap(), None);
    assert_eq!(
        verify_status(&app, &number, "ABCDEFGHJK").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(code_columns(&app, &id).await.1, legacy);
    assert_eq!(verify_status(&app, &number, &code).await, StatusCode::OK);
    let (clear, hash, _, _) = code_columns(&app, &id).await;
    assert_eq!(clear, None);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_eq!(
        security_code::reveal(&app.state, &id).await.unwrap(),
        Some(code.clone())
    );
    assert_eq!(verify_status(&app, &number, &code).await, StatusCode::OK);
}
