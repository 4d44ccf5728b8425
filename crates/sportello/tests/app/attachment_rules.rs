//! Attachment rules per practice type, enforced at send (Cert'O guide, slides 42 and 54–56):
//! each missing document is named in Italian, nothing is charged, and the upload refuses a
//! document code outside the practice type's list.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{DETAILS, Erp, LIGURE, ready_practice, sign, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

async fn balance(app: &TestApp) -> i64 {
    let c = sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    sportello_core::wallet::balance(
        &app.state.db,
        &c.id,
        &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap()
    .cents()
}

async fn company(app: &TestApp) -> Erp {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    erp
}

/// A practice of `practice_type` with the model `form`, uploaded with the usual details.
async fn practice_of(erp: &Erp, practice_type: &str, form: Value) -> String {
    let site = erp.head_office(LIGURE).await;
    let r = erp
        .post("/api/v1/models")
        .json(&json!({"type": practice_type, "company_tax_code": LIGURE, "site_id": site, "form": form}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let model = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = erp
        .upload(sign(&erp.xml(&model).await, "giulia"), &DETAILS)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn visa_form() -> Value {
    json!({"applicant": {"name": "Giulia Bianchi", "capacity": "Legale rappresentante"},
           "destination_country": "SA", "invoices": [{"number": "2026/200", "date": "2026-11-20", "amount": "9800.00"}]})
}

async fn attach(erp: &Erp, id: &str, bytes: Vec<u8>, code: &str) {
    let r = erp.attach(id, bytes, code).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{code}");
}

/// Sends; returns the status and the messages about attachments.
async fn send(erp: &Erp, id: &str) -> (StatusCode, Vec<String>) {
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    let messages = body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["field"] == "attachments")
                .map(|e| e["detail"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    (status, messages)
}

async fn printing_on_the_form_needs_the_scan_of_the_form(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let office = Browser::login(&app, email, password).await;
    let (status, _, _) = office
        .post_form(
            "/desk/forms",
            &[
                ("tax_code", LIGURE),
                ("action", "assign"),
                ("first", "A0000001"),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let erp = company(&app).await;
    let before = balance(&app).await;
    let id = ready_practice(&erp, &[("print_mode", "form"), ("form_serial", "A0000001")]).await;
    attach(&erp, &id, small_pdf(), "invoice").await;
    let (status, messages) = send(&erp, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        messages,
        [
            "Allegati: per la stampa su formulario manca la scansione del formulario da utilizzare \
          (codice documento «Scansione del formulario»). Non serve per la stampa su foglio bianco."
        ]
    );
    assert_eq!(balance(&app).await, before, "nothing charged");
    attach(&erp, &id, small_pdf(), "blank_form_scan").await;
    assert_eq!(send(&erp, &id).await.0, StatusCode::OK);
    // On blank paper no scan is asked for.
    let blank = ready_practice(&erp, &[]).await;
    assert_eq!(send(&erp, &blank).await.0, StatusCode::OK);
}

async fn visa_practices_need_the_signed_request_form(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let before = balance(&app).await;
    let id = practice_of(&erp, "invoice_visa", visa_form()).await;
    attach(&erp, &id, small_pdf(), "invoice").await;
    let (status, messages) = send(&erp, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        messages,
        [
            "Allegati: manca il modulo di domanda firmato digitalmente dal legale rappresentante \
          (codice documento «Modulo di domanda firmato»)."
        ]
    );
    assert_eq!(balance(&app).await, before, "nothing charged");
    attach(&erp, &id, small_pdf(), "request_form").await;
    assert_eq!(send(&erp, &id).await.0, StatusCode::OK);
}

async fn a_copy_needs_the_scanned_certificate_or_its_xml(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let original = ready_practice(&erp, &[]).await;
    assert_eq!(send(&erp, &original).await.0, StatusCode::OK);
    let officer = Erp::demo(&app, Role::Officer).await;
    crate::desk::take(&officer, &original).await;
    let r = officer
        .post(&format!("/api/v1/practices/{original}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cert = sportello_core::trade::desk::certificate::of_practice(&app.state.db, &original)
        .await
        .unwrap()
        .unwrap();
    let form = json!({"applicant": {"name": "Giulia Bianchi", "capacity": "Legale rappresentante"},
                      "certificate_number": cert.number});
    let id = practice_of(&erp, "certificate_copy", form).await;
    attach(&erp, &id, small_pdf(), "request_form").await;
    let before = balance(&app).await;
    let (status, messages) = send(&erp, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        messages,
        [
            "Allegati: per una copia manca il certificato, scansionato in PDF o, se non disponibile, \
          il suo file XML (codice documento «Certificato (scansione o XML)»)."
        ]
    );
    assert_eq!(balance(&app).await, before, "nothing charged");
    // The certificate's XML, when no scan is at hand, with the code CERTIFICATO.
    let xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><certificato/>".to_vec();
    attach(&erp, &id, xml, "certificate_scan").await;
    assert_eq!(send(&erp, &id).await.0, StatusCode::OK);
}

async fn visa_and_copy_practices_need_at_least_one_attachment(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let before = balance(&app).await;
    let id = practice_of(&erp, "invoice_visa", visa_form()).await;
    let (status, messages) = send(&erp, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        messages
            .iter()
            .any(|m| m == "Allegati: questo tipo di pratica richiede almeno un allegato."),
        "{messages:?}"
    );
    assert_eq!(balance(&app).await, before, "nothing charged");
}

async fn an_attachment_code_outside_the_practice_types_list_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let origin = ready_practice(&erp, &[]).await;
    let visa = practice_of(&erp, "invoice_visa", visa_form()).await;
    for (id, code) in [
        (&origin, "police_report"),
        (&origin, "certificate_scan"),
        (&visa, "blank_form_scan"),
        (&visa, "certificato"),
    ] {
        let r = erp.attach(id, small_pdf(), code).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "code", "{p}");
        assert_eq!(
            p["errors"][0]["detail"],
            "Codice documento: scegli un codice dall'elenco di questo tipo di pratica.",
            "{p}"
        );
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practice_attachments")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing was attached");
}

engine_tests!(
    printing_on_the_form_needs_the_scan_of_the_form,
    visa_practices_need_the_signed_request_form,
    a_copy_needs_the_scanned_certificate_or_its_xml,
    visa_and_copy_practices_need_at_least_one_attachment,
    an_attachment_code_outside_the_practice_types_list_is_refused,
);
