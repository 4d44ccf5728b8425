//! Security codes: a salted slow hash to check them, the code encrypted to print it again,
//! never the code in clear.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{Erp, LIGURE};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::trade::desk::security_code;
use std::process::Command;

/// A certificate of origin approved for the demo company; returns (certificate id, number).
pub(crate) async fn approved_certificate(app: &TestApp) -> (String, String) {
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
    crate::desk::take(&officer, &id).await;
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
    assert!(hash.starts_with("$argon2id$v=19$m=4096,t=1,p=1$"), "{hash}");
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
        let officer = Erp::demo(&app, Role::Officer).await;
        crate::desk::take(&officer, &id).await;
        officer
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
    assert!(hash.starts_with("$argon2id$v=19$m=4096,t=1,p=1$"), "{hash}");
    assert_eq!(
        security_code::reveal(&app.state, &id).await.unwrap(),
        Some(code.clone())
    );
    assert_eq!(verify_status(&app, &number, &code).await, StatusCode::OK);
}
