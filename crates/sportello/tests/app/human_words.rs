//! People read words, not codes: signers by name and certificate, the audit trail as
//! sentences with a labelled detail view.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{Erp, LIGURE, ready_practice};
use reqwest::StatusCode;
use serde_json::json;
use sportello_core::accounts::Role;
use sportello_core::audit::{self, Actor, Change};
use sportello_core::db::Engine;

engine_tests!(
    a_signer_is_shown_by_name_tax_code_and_certificate,
    the_audit_trail_reads_as_sentences_with_a_labelled_detail,
);

async fn browser(app: &TestApp, role: Role) -> Browser {
    let (email, password) = TestApp::demo_login(role);
    Browser::login(app, email, password).await
}

async fn a_signer_is_shown_by_name_tax_code_and_certificate(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = ready_practice(&erp, &[]).await;
    let company = browser(&app, Role::Company).await;
    let (status, page) = company.get(&format!("/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("CN="), "a certificate subject is shown");
    assert!(
        page.contains("Giulia Bianchi (BNCGLI85M41D969D), certificato di "),
        "{page}"
    );
}

async fn the_audit_trail_reads_as_sentences_with_a_labelled_detail(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (admin_id, admin_name, chamber): (String, String, String) =
        sqlx::query_as("SELECT id, name, chamber_id FROM users WHERE email = $1")
            .bind(TestApp::demo_login(Role::ChamberAdmin).0)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let (auditor_id, auditor_name): (String, String) =
        sqlx::query_as("SELECT id, name FROM users WHERE email = $1")
            .bind(TestApp::demo_login(Role::Auditor).0)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let actor = Actor::user(&admin_id, "admin@test", Some(&chamber));
    audit::record(
        &mut tx,
        app.state.clock.now(),
        &actor,
        Change::new("user.create", "user", Some(&auditor_id)).after(json!({
            "role": "auditor",
            "tax_code": "RSSMRA80A01H501U",
            "active": true,
            "created_at": "2026-12-06T15:58:00Z",
        })),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let seq: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();

    let auditor = browser(&app, Role::Auditor).await;
    let (status, list) = auditor.get("/audit?action=user.create").await;
    assert_eq!(status, StatusCode::OK);
    let list = list.replace("&#x27;", "'").replace("&#39;", "'");
    assert!(
        list.contains(&format!("{admin_name} ha creato l'utente {auditor_name}")),
        "{list}"
    );
    assert!(list.contains(&format!("href=\"/audit/{seq}\"")));
    let visible = list.replace("value=\"user.create\"", "");
    assert!(!visible.contains("user.create"), "an action code is shown");
    assert!(!visible.contains("&#34;role&#34;") && !visible.contains("\"role\":"));

    let (status, detail) = auditor.get(&format!("/audit/{seq}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail.contains("<dt class=\"col-sm-3\">Codice fiscale</dt>"),
        "{detail}"
    );
    assert!(detail.contains("06/12/2026 16:58"), "{detail}");
    assert!(detail.contains(">sì<"), "{detail}");
    assert!(detail.contains(">revisore<"), "{detail}");
    assert!(!detail.contains("2026-12-06") && !detail.contains("tax_code"));

    let (status, _) = auditor.get("/audit/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = auditor.get("/audit/uno").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
