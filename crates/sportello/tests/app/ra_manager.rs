//! The Manager's queue (RA procedure, part 1: the mandate letter and the revocation notice are
//! "firmata digitalmente dal Dirigente"), the documents each mandate requires, and the two
//! Master RAO levels, on both engines. Signed files are made by OpenSSL
//! (`scripts/ra-manager-fixtures.sh`): the Manager's certificate carries his tax code in
//! `serialNumber`, an old one of his is revoked in the CA's CRL.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::ra::{
    ROSSI, VERDI, call, call_multipart, create, file_part, fixture, manager_fixture, manager_signs,
    op, person_documents, prepare_for_manager, setup, sign_letter, today, token,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::ra::accreditation::State;

engine_tests!(
    the_mandate_goes_out_only_with_the_letter_the_manager_signed,
    the_manager_refuses_what_he_did_not_sign_and_nothing_is_lost,
    a_revocation_notice_signed_by_the_manager_revokes_the_odr_that_day,
    the_manager_signs_only_the_document_the_office_prepared,
    an_odr_or_ir_is_revoked_only_through_the_managers_queue,
    a_rao_revocation_notice_must_carry_the_managers_signature,
    the_revocation_notice_goes_to_the_acceptance_forms_email_and_pec,
    only_the_manager_sees_and_signs_the_queue,
    the_ordinary_master_rao_prepares_no_mandate,
    the_operator_page_lists_each_required_document_with_its_state,
    the_returned_documents_are_all_required_before_the_step_advances,
);

async fn rao(app: &TestApp, master: &str) -> String {
    create(
        app,
        master,
        json!({"kind": "rao", "name": "MARIO ROSSI", "tax_code": ROSSI,
        "email": "m.rossi@camera.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await
}

async fn mandate(app: &TestApp, master: &str, id: &str) -> (StatusCode, Value) {
    call(
        app,
        "POST",
        &format!("/api/v1/ra/operators/{id}/mandate"),
        master,
        Some(json!({"protocol_date": today(app).to_string()})),
    )
    .await
}

async fn documents(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM ra_documents")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn the_mandate_goes_out_only_with_the_letter_the_manager_signed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let (s, p) = mandate(&app, &master, &id).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["code"], "missing_document");
    assert_eq!(op(&app, &id).await.state, State::New);

    let request = prepare_for_manager(&app, &id, "mandate_letter", "").await;
    // Waiting in the queue is not signed: still refused.
    let (s, _) = mandate(&app, &master, &id).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let manager = token(&app, Role::Manager).await;
    let (s, queue) = call(&app, "GET", "/api/v1/ra/signature-requests", &manager, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["kind"], "mandate_letter");
    assert_eq!(queue[0]["operator_name"], "MARIO ROSSI");
    let unsigned = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/ra/signature-requests/{request}/document")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::OK);
    assert_eq!(
        unsigned.bytes().await.unwrap().to_vec(),
        manager_fixture("letter.pdf")
    );
    // The Manager signs as CAdES (.p7m) here; PAdES elsewhere.
    let (s, v) = manager_signs(&app, &request, "letter.pdf.p7m").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "signed");
    assert_eq!(v["signer_tax_code"], "CNTRRT70A01D969P");
    let (_, queue) = call(&app, "GET", "/api/v1/ra/signature-requests", &manager, None).await;
    assert!(queue.as_array().unwrap().is_empty());
    let (s, v) = mandate(&app, &master, &id).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(op(&app, &id).await.state, State::MandateSent);
    // Signing twice changes nothing.
    let (s, v) = manager_signs(&app, &request, "letter_signed.pdf").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "not_waiting");
}

async fn the_manager_refuses_what_he_did_not_sign_and_nothing_is_lost(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let request = prepare_for_manager(&app, &id, "mandate_letter", "").await;
    let before = documents(&app).await;
    let cases = [
        ("letter_signed_by_galli.pdf", "wrong_signer"),
        ("letter_signed_revoked.pdf", "signer_revoked"),
        ("letter_tampered.pdf", "invalid_signature"),
        // The prepared letter: an empty signature field is a damaged signature.
        ("letter.pdf", "invalid_signature"),
    ];
    for (file, code) in cases {
        let (s, p) = manager_signs(&app, &request, file).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{file}: {p}");
        assert_eq!(p["code"], code, "{file}: {p}");
    }
    // A PDF with no signature at all.
    let manager = token(&app, Role::Manager).await;
    let unsigned = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec();
    let (s, p) = call_multipart(
        &app,
        &format!("/api/v1/ra/signature-requests/{request}/signed"),
        &manager,
        reqwest::multipart::Form::new().part("signed", file_part("lettera.pdf", unsigned)),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["code"], "not_signed", "{p}");
    // Someone else's signature: the refusal names who signed.
    let (_, p) = manager_signs(&app, &request, "letter_signed_by_galli.pdf").await;
    assert!(p.to_string().to_lowercase().contains("galli"), "{p}");
    assert_eq!(documents(&app).await, before, "nothing kept");
    let (_, queue) = call(&app, "GET", "/api/v1/ra/signature-requests", &manager, None).await;
    assert_eq!(queue[0]["state"], "waiting", "still waiting");
    // The page says it in Italian, next to the document, with the form still there.
    let (email, password) = TestApp::demo_login(Role::Manager);
    let b = Browser::login(&app, email, password).await;
    let form = reqwest::multipart::Form::new().part(
        "signed",
        file_part(
            "lettera-firmata.pdf",
            manager_fixture("letter_signed_revoked.pdf"),
        ),
    );
    let (s, _, page) = b
        .post_multipart(&format!("/ra/manager/{request}/sign"), form)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("risulta revocato"), "{page}");
    assert!(page.contains("data-testid=\"ra-manager-sign\""), "{page}");
    // A Manager whose profile has no tax code cannot be recognised.
    sqlx::query("UPDATE users SET tax_code = NULL WHERE email = $1")
        .bind(email)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (s, p) = manager_signs(&app, &request, "letter_signed.pdf").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "manager_without_tax_code");
    let (_, page) = b.get("/ra/manager").await;
    assert!(page.contains("data-testid=\"ra-manager-no-tax-code\""));
    assert_eq!(op(&app, &id).await.state, State::New);
}

async fn a_revocation_notice_signed_by_the_manager_revokes_the_odr_that_day(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let odr = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    // Without a reason the office's request is refused.
    let form = reqwest::multipart::Form::new()
        .text("kind", "revocation_notice")
        .part(
            "document",
            file_part("revoca.pdf", manager_fixture("letter.pdf")),
        );
    let (s, p) = call_multipart(
        &app,
        &format!("/api/v1/ra/operators/{odr}/signature-requests"),
        &master,
        form,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "reason_required");
    let request = prepare_for_manager(&app, &odr, "revocation_notice", "Cessata attività").await;
    assert_ne!(
        op(&app, &odr).await.state,
        State::Revoked,
        "waits for the Manager"
    );
    let (s, v) = manager_signs(&app, &request, "notice_signed.pdf").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let o = op(&app, &odr).await;
    assert_eq!(o.state, State::Revoked);
    assert_eq!(o.revoked_effective, Some(today(&app)));
    assert_eq!(o.revocation_reason.as_deref(), Some("Cessata attività"));
    let notices: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ra_documents WHERE operator_id = $1 AND kind = 'revocation_notice'",
    )
    .bind(&odr)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(notices, 1, "the signed notice is archived");
    // A RAO is revoked from the day the requirements were lost, not through the notice.
    let rao = rao(&app, &master).await;
    let form = reqwest::multipart::Form::new()
        .text("kind", "revocation_notice")
        .text("reason", "trasferito")
        .part(
            "document",
            file_part("revoca.pdf", manager_fixture("letter.pdf")),
        );
    let (s, p) = call_multipart(
        &app,
        &format!("/api/v1/ra/operators/{rao}/signature-requests"),
        &master,
        form,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["code"], "not_revocable");
}

async fn odr(app: &TestApp, master: &str) -> String {
    create(
        app,
        master,
        json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await
}

async fn revocation_notices(app: &TestApp, operator: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM ra_documents WHERE operator_id = $1 AND kind = 'revocation_notice'",
    )
    .bind(operator)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// RA procedure, part 1: the Manager signs the document the office prepared ("firmata
/// digitalmente dal Dirigente"), not any other document he signed: a PDF he signed that is
/// another document, or a `.p7m` whose content is not the prepared PDF, is refused and nothing
/// is kept; the prepared one, signed, is accepted.
async fn the_manager_signs_only_the_document_the_office_prepared(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let letter = prepare_for_manager(&app, &id, "mandate_letter", "").await;
    let odr = odr(&app, &master).await;
    let notice = prepare_for_manager(&app, &odr, "revocation_notice", "Cessata attività").await;
    let before = documents(&app).await;
    // Signed by the Manager, valid, but another document: PAdES and CAdES alike.
    for (request, file) in [
        (&letter, "notice_signed.pdf"),
        (&notice, "letter.pdf.p7m"),
        (&notice, "letter_signed.pdf"),
    ] {
        let (s, p) = manager_signs(&app, request, file).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{file}: {p}");
        assert_eq!(p["code"], "not_the_prepared_document", "{file}: {p}");
    }
    assert_eq!(documents(&app).await, before, "nothing kept");
    assert_eq!(op(&app, &odr).await.state, State::New, "not revoked");
    let manager = token(&app, Role::Manager).await;
    let (_, queue) = call(&app, "GET", "/api/v1/ra/signature-requests", &manager, None).await;
    assert_eq!(
        queue.as_array().unwrap().len(),
        2,
        "both still waiting: {queue}"
    );
    // The page says it in Italian, next to the document.
    let (email, password) = TestApp::demo_login(Role::Manager);
    let b = Browser::login(&app, email, password).await;
    let form = reqwest::multipart::Form::new().part(
        "signed",
        file_part("revoca-firmata.pdf", manager_fixture("notice_signed.pdf")),
    );
    let (s, _, page) = b
        .post_multipart(&format!("/ra/manager/{letter}/sign"), form)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("non è il documento preparato dall&#39;ufficio")
            || page.contains("non è il documento preparato dall'ufficio"),
        "{page}"
    );
    // The prepared documents, signed, are accepted.
    let (s, v) = manager_signs(&app, &letter, "letter_signed.pdf").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = manager_signs(&app, &notice, "notice_signed.pdf").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(op(&app, &odr).await.state, State::Revoked);
}

/// RA procedure, part 1: an ODR's or IR's revocation "avrà effetto dal momento della relativa
/// ricezione" of the notice the Manager signed, so it goes only through the Manager's queue:
/// the direct revocation (API and page) is refused with nothing kept, even with a notice the
/// Manager signed; the page offers the notice for the queue instead.
async fn an_odr_or_ir_is_revoked_only_through_the_managers_queue(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let odr = odr(&app, &master).await;
    let (s, p) = call(
        &app,
        "POST",
        &format!("/api/v1/ra/operators/{odr}/revoke"),
        &master,
        Some(
            json!({"effective": null, "notice_received_on": today(&app).to_string(),
            "reason": "Cessata attività"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["code"], "revocation_through_manager");
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let (_, page) = b.get(&format!("/ra/operators/{odr}")).await;
    assert!(
        !page.contains("data-testid=\"step-revoke\""),
        "no direct revocation"
    );
    assert!(page.contains("data-testid=\"prepare-revocation_notice\""));
    // Without JavaScript, the confirmation page of the direct revocation leads back.
    let (s, _) = b.get(&format!("/ra/operators/{odr}/steps/revoke")).await;
    assert!(s.is_redirection(), "{s}");
    b.get(&format!("/ra/operators/{odr}")).await;
    let form = reqwest::multipart::Form::new()
        .text("notice_received_on", today(&app).to_string())
        .text("reason", "Cessata attività")
        .part(
            "notice",
            file_part("revoca-firmata.pdf", manager_fixture("notice_signed.pdf")),
        );
    let (s, _, page) = b
        .post_multipart(&format!("/ra/operators/{odr}/steps/revoke"), form)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        page.contains("si revoca con la comunicazione firmata dal Dirigente"),
        "{page}"
    );
    let o = op(&app, &odr).await;
    assert_eq!(o.state, State::New);
    assert_eq!(o.revoked_effective, None);
    assert_eq!(revocation_notices(&app, &odr).await, 0, "nothing kept");
}

/// RA procedure, part 1: a RAO's revocation is recorded by the office from the day the
/// requirements were lost, and its notice is "firmata digitalmente" by the Manager: a notice
/// signed by someone else, or with the Manager's revoked certificate, is refused with nothing
/// kept; the Manager's is archived with his tax code.
async fn a_rao_revocation_notice_must_carry_the_managers_signature(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let lost = today(&app).to_string();
    let revoke = |name: &'static str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("effective", lost.clone())
            .text("reason", "Trasferito ad altro ufficio")
            .part("notice", file_part(name, bytes))
    };
    let cases = [
        (
            "revoca-rossi.pdf",
            fixture("acceptance_rossi.pdf"),
            "è firmato da mario rossi",
        ),
        (
            "revoca-vecchia.pdf",
            manager_fixture("letter_signed_revoked.pdf"),
            "risulta revocato",
        ),
        (
            "revoca-alterata.pdf",
            manager_fixture("letter_tampered.pdf"),
            "la firma non è valida",
        ),
    ];
    for (name, bytes, says) in cases {
        let (s, _, page) = b
            .post_multipart(
                &format!("/ra/operators/{id}/steps/revoke"),
                revoke(name, bytes),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(page.to_lowercase().contains(says), "{name}: {page}");
        assert_eq!(op(&app, &id).await.state, State::New, "{name}");
        assert_eq!(
            revocation_notices(&app, &id).await,
            0,
            "{name}: nothing kept"
        );
    }
    let (s, _, page) = b
        .post_multipart(
            &format!("/ra/operators/{id}/steps/revoke"),
            revoke("revoca-firmata.pdf", manager_fixture("notice_signed.pdf")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("data-testid=\"ra-revocation\""));
    assert_eq!(op(&app, &id).await.state, State::Revoked);
    let signer: Option<String> = sqlx::query_scalar(
        "SELECT signer_tax_code FROM ra_documents WHERE operator_id = $1 \
         AND kind = 'revocation_notice'",
    )
    .bind(&id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(signer.as_deref(), Some("CNTRRT70A01D969P"));
}

/// RA procedure, part 1: the Manager's notice goes to the ODR "ai recapiti di contatto indicati
/// nel Modulo di Accettazione": its e-mail and its PEC address, each kept with the revocation.
async fn the_revocation_notice_goes_to_the_acceptance_forms_email_and_pec(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/ra/operators",
        &master,
        Some(
            json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
            "email": "l.verdi@studio.test", "pec": "non-una-pec", "organisation_tax_code": null}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["code"], "bad_pec");
    let odr = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "l.verdi@studio.test", "pec": "laura.verdi@pec.studio.test",
        "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    assert_eq!(
        op(&app, &odr).await.pec.as_deref(),
        Some("laura.verdi@pec.studio.test")
    );
    let request = prepare_for_manager(&app, &odr, "revocation_notice", "Cessata attività").await;
    let (s, v) = manager_signs(&app, &request, "notice_signed.pdf").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.run_jobs().await;
    let mails = app.smtp.messages();
    for to in ["l.verdi@studio.test", "laura.verdi@pec.studio.test"] {
        let sent: Vec<_> = mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(to)))
            .collect();
        assert_eq!(sent.len(), 1, "one notice to {to}");
        assert!(sent[0].data.contains("Comunicazione di revoca"));
    }
    let kept = sportello_core::ra::revocation::mails(&app.state.db, &odr)
        .await
        .unwrap();
    assert_eq!(
        kept.iter()
            .filter(|m| m.purpose == sportello_core::ra::revocation::MailPurpose::NoticeOperator)
            .count(),
        2
    );
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let (_, page) = b.get(&format!("/ra/operators/{odr}")).await;
    assert!(page.contains("data-testid=\"ra-pec\""));
}

async fn only_the_manager_sees_and_signs_the_queue(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let request = prepare_for_manager(&app, &id, "mandate_letter", "").await;
    for role in Role::ALL {
        if role == Role::Manager {
            continue;
        }
        let t = token(&app, role).await;
        let (s, _) = call(&app, "GET", "/api/v1/ra/signature-requests", &t, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
        let form = reqwest::multipart::Form::new().part(
            "signed",
            file_part("x.pdf", manager_fixture("letter_signed.pdf")),
        );
        let (s, _) = call_multipart(
            &app,
            &format!("/api/v1/ra/signature-requests/{request}/signed"),
            &t,
            form,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        let (s, _) = b.get("/ra/manager").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    // An unknown request is not found, even for the Manager.
    let (s, _) = manager_signs(&app, "no-such-request", "letter_signed.pdf").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(op(&app, &id).await.state, State::New);
}

async fn the_ordinary_master_rao_prepares_no_mandate(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let ordinary = token(&app, Role::MasterRaoOrdinary).await;
    let form = reqwest::multipart::Form::new()
        .text("kind", "mandate_letter")
        .part(
            "document",
            file_part("l.pdf", manager_fixture("letter.pdf")),
        );
    let (s, _) = call_multipart(
        &app,
        &format!("/api/v1/ra/operators/{id}/signature-requests"),
        &ordinary,
        form,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = mandate(&app, &ordinary, &id).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The whole chamber's operators are in view, as for the Master RAO.
    let (s, v) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{id}"),
        &ordinary,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (email, password) = TestApp::demo_login(Role::MasterRaoOrdinary);
    let b = Browser::login(&app, email, password).await;
    let (s, page) = b.get(&format!("/ra/operators/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("data-testid=\"prepare-mandate_letter\""));
}

async fn the_operator_page_lists_each_required_document_with_its_state(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let row = |page: &str, code: &str| -> String {
        let start = page
            .find(&format!("data-testid=\"ra-required-{code}\""))
            .unwrap_or_else(|| panic!("{code} listed"));
        page[start..start + page[start..].find("</tr>").unwrap()].to_string()
    };
    let (_, page) = b.get(&format!("/ra/operators/{id}")).await;
    for code in [
        "mandate_letter",
        "acceptance_form",
        "data_processing_authorisation",
        "privacy_notice",
    ] {
        assert!(row(&page, code).contains("Mancante"), "{code}");
    }
    assert!(
        !page.contains("ra-required-form_e"),
        "a person has no form E"
    );
    // The office prepares the letter from the page; it waits for the Manager.
    let form = reqwest::multipart::Form::new()
        .text("kind", "mandate_letter")
        .part(
            "document",
            file_part("lettera.pdf", manager_fixture("letter.pdf")),
        );
    let (s, location, _) = b
        .post_multipart(&format!("/ra/operators/{id}/signature-requests"), form)
        .await;
    assert!(s.is_redirection(), "{s}");
    let (_, page) = b.get(location.as_deref().unwrap()).await;
    assert!(row(&page, "mandate_letter").contains("In attesa della firma del Dirigente"));
    assert!(
        !page.contains("data-testid=\"prepare-mandate_letter\""),
        "once"
    );
    // The Manager signs it.
    let request = sqlx::query_scalar::<_, String>(
        "SELECT id FROM ra_signature_requests WHERE operator_id = $1",
    )
    .bind(&id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let (s, _) = manager_signs(&app, &request, "letter_signed.pdf").await;
    assert_eq!(s, StatusCode::OK);
    let (_, page) = b.get(&format!("/ra/operators/{id}")).await;
    assert!(row(&page, "mandate_letter").contains("Presente e firmato"));
    assert!(row(&page, "acceptance_form").contains("Mancante"));
}

async fn the_returned_documents_are_all_required_before_the_step_advances(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao(&app, &master).await;
    sign_letter(&app, &id).await;
    let (s, _) = mandate(&app, &master, &id).await;
    assert_eq!(s, StatusCode::OK);
    let a = crate::ra::master_actor();
    let mut docs = person_documents("acceptance_rossi.pdf");
    docs.retain(|d| d.kind != sportello_core::ra::archive::DocumentKind::PrivacyNotice);
    let e = sportello_core::ra::accreditation::steps::receive_documents(
        &app.state,
        &a,
        &op(&app, &id).await,
        docs,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            sportello_core::ra::accreditation::steps::StepError::MissingDocument(
                sportello_core::ra::archive::DocumentKind::PrivacyNotice
            )
        ),
        "{e}"
    );
    assert_eq!(op(&app, &id).await.state, State::MandateSent);
    // The page names the missing document in Italian.
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let form = reqwest::multipart::Form::new()
        .part(
            "acceptance_form",
            crate::ra::file_part("a.pdf", crate::ra::fixture("acceptance_rossi.pdf")),
        )
        .part(
            "data_processing_authorisation",
            crate::ra::file_part("d.pdf", crate::ra::fixture("acceptance_rossi.pdf")),
        );
    let (s, _, page) = b
        .post_multipart(&format!("/ra/operators/{id}/steps/receive_documents"), form)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("informativa privacy firmata"), "{page}");
    sportello_core::ra::accreditation::steps::receive_documents(
        &app.state,
        &a,
        &op(&app, &id).await,
        person_documents("acceptance_rossi.pdf"),
    )
    .await
    .unwrap();
    assert_eq!(op(&app, &id).await.state, State::DocumentsReceived);
}
