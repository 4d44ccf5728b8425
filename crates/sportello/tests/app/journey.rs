//! The company's journey on the pages: "Nuova pratica" starts with the type, the profile is
//! asked for first and brings the user back (never to another site), unsent drafts can be
//! deleted by their company only, the lists name each practice's next step, and the fee names
//! the mandatory blank-paper copy as the form does.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{Erp, LIGURE, co_form, other_company_user, ready_practice, small_pdf};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    new_practice_starts_with_the_type_and_asks_for_the_profile_first,
    the_profile_brings_the_user_back_only_to_a_page_of_this_site,
    a_company_deletes_its_unsent_practice_and_nothing_else,
    a_sent_practice_or_another_companys_draft_cannot_be_deleted,
    a_base_model_is_deletable_until_a_practice_is_made_from_it,
    lists_name_the_next_step_of_each_practice,
    the_fee_names_the_mandatory_blank_paper_copy_as_the_form_does
);

async fn company(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::Company);
    Browser::login(app, email, password).await
}

async fn count(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

const PROFILE: [(&str, &str); 6] = [
    ("tax_code", LIGURE),
    ("delivery_address", "Via XX Settembre 12"),
    ("postcode", "16121"),
    ("municipality", "Genova"),
    ("province", "GE"),
    ("notification_email", "export@ligure-export.test"),
];

async fn new_practice_starts_with_the_type_and_asks_for_the_profile_first(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;

    // The menu's "Nuova pratica" opens the choice of the type, not the list of models.
    let (_, home) = b.get("/").await;
    assert!(
        home.contains(r#"href="/models/new""#),
        "menu starts a practice"
    );
    let (status, start) = b.get("/models/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(start.contains("data-testid=\"type-certificate_of_origin\""));
    assert!(start.contains("href=\"/models/new?practice_type=certificate_of_origin\""));

    // The type chosen, the profile is asked for before any model, with the way back.
    let r = b
        .client
        .get(format!(
            "{}/models/new?practice_type=certificate_of_origin",
            b.base
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        to,
        "/company/profile?next=%2Fmodels%2Fnew%3Fpractice%5Ftype%3Dcertificate%5Fof%5Forigin"
    );
    let (status, profile) = b.get(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(profile.contains("data-testid=\"profile-first\""));
    assert!(
        profile.contains(r#"name="next" value="/models/new?practice_type=certificate_of_origin""#)
            || profile.contains(
                r#"name="next" value="/models/new?practice_type&#61;certificate_of_origin""#
            ),
        "the form keeps where to go on"
    );
    assert!(
        profile.contains(r#"href="/models/new" data-testid="profile-back""#),
        "a way back"
    );

    // Saved, the user is back on the new practice, which now offers the start.
    let mut form = PROFILE.to_vec();
    form.push(("next", "/models/new?practice_type=certificate_of_origin"));
    let (status, location, _) = b.post_form("/company/profile", &form).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(
        location.as_deref(),
        Some("/models/new?practice_type=certificate_of_origin")
    );
    let (status, start) = b
        .get("/models/new?practice_type=certificate_of_origin")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(start.contains("data-testid=\"start-model\""));
    assert!(start.contains(r#"name="practice_type" value="certificate_of_origin""#));
}

async fn the_profile_brings_the_user_back_only_to_a_page_of_this_site(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    for hostile in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let (_, page) = b
            .get(&format!(
                "/company/profile?next={}",
                percent_encoding::utf8_percent_encode(hostile, percent_encoding::NON_ALPHANUMERIC)
            ))
            .await;
        assert!(!page.contains("evil.example"), "{hostile} not offered");
        assert!(!page.contains("data-testid=\"profile-back\""));
        let mut form = PROFILE.to_vec();
        form.push(("next", hostile));
        let (status, location, page) = b.post_form("/company/profile", &form).await;
        assert_eq!(status, StatusCode::OK, "{hostile}: saved, not redirected");
        assert_eq!(location, None);
        assert!(page.contains("Configurazione salvata"));
    }
    // A page of this site is followed.
    let mut form = PROFILE.to_vec();
    form.push(("next", "/practices?list=to_send"));
    let (status, location, _) = b.post_form("/company/profile", &form).await;
    assert!(status.is_redirection());
    assert_eq!(location.as_deref(), Some("/practices?list=to_send"));
}

async fn a_company_deletes_its_unsent_practice_and_nothing_else(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let draft = ready_practice(&erp, &[]).await;
    assert_eq!(
        erp.attach(&draft, small_pdf(), "invoice").await.status(),
        StatusCode::CREATED
    );
    let kept = ready_practice(&erp, &[]).await;
    let model_id: String = sqlx::query_scalar("SELECT model_id FROM practices WHERE id = $1")
        .bind(&draft)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let b = company(&app).await;

    // The list offers the deletion, with its question; so does a page without JavaScript.
    let (_, list) = b.get("/practices?list=to_send").await;
    assert!(list.contains(&format!(r#"href="/practices/{draft}/delete""#)));
    assert!(list.contains("Eliminare la pratica non inviata?"));
    let (status, confirm) = b.get(&format!("/practices/{draft}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Nulla è stato addebitato"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM practices WHERE id = $1", &draft).await,
        1,
        "asking deletes nothing"
    );

    let (status, location, _) = b
        .post_form(&format!("/practices/{draft}/delete"), &[])
        .await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(
        location.as_deref(),
        Some("/practices?list=to_send&notice=deleted")
    );
    let (_, list) = b.get("/practices?list=to_send&notice=deleted").await;
    assert!(list.contains("Pratica non inviata eliminata."));
    let (status, _) = b.get(&format!("/practices/{draft}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for sql in [
        "SELECT COUNT(*) FROM practice_attachments WHERE practice_id = $1",
        "SELECT COUNT(*) FROM practice_events WHERE practice_id = $1",
        "SELECT COUNT(*) FROM practice_signed_models WHERE practice_id = $1",
    ] {
        assert_eq!(count(&app, sql, &draft).await, 0, "{sql}");
    }
    // Nothing else: the other draft, the base model, the audit trail's sentence.
    let (status, _) = b.get(&format!("/practices/{kept}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = b.get(&format!("/models/{model_id}")).await;
    assert_eq!(status, StatusCode::OK, "the base model stays");
    assert_eq!(audited(&app, "practice.delete_draft").await, 1);
    let admin = {
        let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
        Browser::login(&app, email, password).await
    };
    let (_, audit) = admin.get("/audit").await;
    assert!(audit.contains("ha eliminato una pratica non inviata"));
    // A second click finds nothing.
    let (status, _, _) = b
        .post_form(&format!("/practices/{draft}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_sent_practice_or_another_companys_draft_cannot_be_deleted(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let sent = ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{sent}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let draft = ready_practice(&erp, &[]).await;
    let b = company(&app).await;

    // Sent: refused, said in words, nothing changed; no deletion offered.
    let (_, page) = b.get(&format!("/practices/{sent}")).await;
    assert!(!page.contains(&format!("/practices/{sent}/delete")));
    let (status, _, body) = b.post_form(&format!("/practices/{sent}/delete"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("già stata inviata alla Camera"), "{body}");
    let (status, _) = b.get(&format!("/practices/{sent}/delete")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM practices WHERE id = $1", &sent).await,
        1
    );

    // Another company's user: as if it did not exist.
    other_company_user(&app).await;
    let other = Browser::login(&app, "export@tigullio.test", "tigullio-password").await;
    let (status, _, _) = other
        .post_form(&format!("/practices/{draft}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = other.get(&format!("/practices/{draft}/delete")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An officer may not delete a company's practice at all.
    let officer = {
        let (email, password) = TestApp::demo_login(Role::Officer);
        Browser::login(&app, email, password).await
    };
    let (status, _, _) = officer
        .post_form(&format!("/practices/{draft}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM practices WHERE id = $1", &draft).await,
        1
    );
    assert_eq!(audited(&app, "practice.delete_draft").await, 0);
}

async fn a_base_model_is_deletable_until_a_practice_is_made_from_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let unused = erp.new_model(LIGURE, co_form()).await;
    let draft = ready_practice(&erp, &[]).await;
    let used: String = sqlx::query_scalar("SELECT model_id FROM practices WHERE id = $1")
        .bind(&draft)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let b = company(&app).await;

    let (_, list) = b.get("/models").await;
    assert!(list.contains(&format!(r#"href="/models/{unused}/delete""#)));
    assert!(!list.contains(&format!(r#"href="/models/{used}/delete""#)));
    assert!(list.contains("Da firmare e inviare"));
    assert!(list.contains("Già caricato in una pratica"));

    // In use by a practice not yet sent: the message says what to delete first.
    let (status, _, body) = b.post_form(&format!("/models/{used}/delete"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("elimina prima quella pratica"), "{body}");

    let (status, location, _) = b.post_form(&format!("/models/{unused}/delete"), &[]).await;
    assert!(status.is_redirection());
    assert_eq!(location.as_deref(), Some("/models?notice=deleted"));
    let (status, _) = b.get(&format!("/models/{unused}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(audited(&app, "base_model.delete").await, 1);

    // Once the practice is deleted, its model can go too.
    b.post_form(&format!("/practices/{draft}/delete"), &[])
        .await;
    let (status, _, _) = b.post_form(&format!("/models/{used}/delete"), &[]).await;
    assert!(status.is_redirection());

    // Another company's user cannot delete this company's model.
    let third = erp.new_model(LIGURE, co_form()).await;
    other_company_user(&app).await;
    let other = Browser::login(&app, "export@tigullio.test", "tigullio-password").await;
    let (status, _, _) = other
        .post_form(&format!("/models/{third}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = b.get(&format!("/models/{third}")).await;
    assert_eq!(status, StatusCode::OK);
}

async fn lists_name_the_next_step_of_each_practice(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let draft = ready_practice(&erp, &[]).await;
    let mut sent = Vec::new();
    for _ in 0..3 {
        let id = ready_practice(&erp, &[]).await;
        let r = erp
            .post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        sent.push(id);
    }
    // One comes back to rectify by 07/12/2026 18:00 (Italian time), one is issued.
    sqlx::query(
        "UPDATE practices SET status = 'to_rectify', rectify_deadline = '2026-12-07T17:00:00.000000Z' WHERE id = $1",
    )
    .bind(&sent[1])
    .execute(app.state.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE practices SET status = 'approved' WHERE id = $1")
        .bind(&sent[2])
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let b = company(&app).await;

    let (_, to_send) = b.get("/practices?list=to_send").await;
    assert!(to_send.contains("Da completare e inviare"));
    assert!(
        !to_send.contains("(da inviare)"),
        "drafts are named by date"
    );
    assert!(to_send.contains("Bozza del "));
    let (_, to_rectify) = b.get("/practices?list=to_rectify").await;
    assert!(
        to_rectify.contains("Da rettificare entro 07/12/2026 18:00"),
        "{to_rectify}"
    );
    let (_, sent_list) = b.get("/practices?list=sent").await;
    assert!(
        sent_list.contains("In lavorazione presso l&#39;ufficio")
            || sent_list.contains("In lavorazione presso l'ufficio")
    );
    assert!(sent_list.contains("Rilasciato: scarica il certificato"));
    // The practice page says it too.
    let (_, page) = b.get(&format!("/practices/{draft}")).await;
    assert!(page.contains("data-testid=\"next-step\""));
    assert!(page.contains("Da completare e inviare"));
}

async fn the_fee_names_the_mandatory_blank_paper_copy_as_the_form_does(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let none = ready_practice(&erp, &[("copies", "0")]).await;
    let two = ready_practice(&erp, &[("copies", "2")]).await;
    let b = company(&app).await;

    let (_, page) = b.get(&format!("/practices/{none}")).await;
    assert!(page.contains("Copia (obbligatoria per la stampa su foglio bianco)"));
    assert!(
        page.contains("una copia è obbligatoria: è addebitata anche se qui indichi 0"),
        "the form says what the fee says"
    );
    assert!(!page.contains(">Copia</td>"));
    let (_, page) = b.get(&format!("/practices/{two}")).await;
    assert!(
        page.contains("<td>Copie in più</td><td>2 × 5,00 €</td>"),
        "{page}"
    );
    let (_, upload) = b.get("/practices/new").await;
    assert!(upload.contains("una copia è obbligatoria"));
}
