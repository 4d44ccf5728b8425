//! Foreign-trade documents, chamber side: the inbox, decisions, the 24-hour rectification
//! deadline, issued and sealed certificates, public verification, cancellations.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{DETAILS, Erp, LIGURE, co_form, ready_practice, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::{NewUser, Role};
use sportello_core::db::Engine;

/// A company with a complete profile and a practice sent to Genova; returns (company, id).
pub async fn sent_practice(app: &TestApp) -> (Erp, String) {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    (erp, id)
}

/// The certificate issued for practice `id`.
async fn certificate_of(
    app: &TestApp,
    id: &str,
) -> sportello_core::trade::desk::certificate::Certificate {
    sportello_core::trade::desk::certificate::of_practice(&app.state.db, id)
        .await
        .unwrap()
        .expect("a certificate was issued")
}

async fn status_of(erp: &Erp, id: &str) -> String {
    let v = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    v["status"].as_str().unwrap().to_string()
}

/// The company's wallet balance, as the API shows it.
/// The officer takes the practice in charge, as they must before approving it.
pub(crate) async fn take(officer: &Erp, id: &str) {
    let r = officer
        .post(&format!("/api/v1/practices/{id}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

pub(crate) async fn balance(erp: &Erp) -> i64 {
    let v = erp.get_json("/api/v1/wallet").await;
    v["balance_cents"].as_i64().unwrap()
}

/// An officer of the demo chamber working only `desk_code`.
async fn officer_of(app: &TestApp, email: &str, desk_code: &str) -> Erp {
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let desk = sportello_core::chambers::find_desk_by_code(&app.state.db, desk_code)
        .await
        .unwrap()
        .unwrap();
    sportello_core::accounts::create_user(
        &app.state,
        &sportello_core::audit::Actor::cli(),
        NewUser {
            email: email.into(),
            name: "Altro Funzionario".into(),
            password: "funzionario-pass".into(),
            role: Role::Officer,
            chamber_id: Some(chamber.id),
            desk_ids: vec![desk.id],
            company_ids: Vec::new(),
            tax_code: None,
        },
    )
    .await
    .unwrap();
    Erp::login(app, email, "funzionario-pass").await
}

engine_tests!(
    the_inbox_shows_only_the_practices_of_the_officers_desks,
    rectification_expires_after_24_hours,
    a_practice_resent_unchanged_is_not_charged_again,
    approval_issues_a_sealed_certificate_that_verifies_publicly,
    rejection_refunds_the_fee_unless_the_chamber_says_otherwise,
    a_practice_in_review_belongs_to_its_officer,
    a_lost_certificate_is_cancelled_and_its_duplicate_cites_it,
    certificate_numbers_stay_gapless_under_concurrent_approvals,
    approval_needs_the_practice_in_charge,
    irreversible_decisions_are_confirmed_first,
);

/// Cert'O guide, slide 26: the office examines the practices in its charge; an approval
/// closes the examination of the officer who took the practice in charge.
async fn approval_needs_the_practice_in_charge(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "not_taken_in_charge", "{problem}");
    assert_eq!(status_of(&company, &id).await, "sent", "nothing changed");
    // The page offers no approval before the practice is taken, and says why.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let b = crate::helpers::Browser::login(&app, email, password).await;
    let (_, page) = b.get(&format!("/desk/practices/{id}")).await;
    assert!(!page.contains("data-testid=\"approve\""), "{page}");
    assert!(
        page.contains("data-testid=\"approve-after-take\""),
        "{page}"
    );
    // The page's form is refused with the reason too.
    let (s, _, page) = b
        .post_form(&format!("/desk/practices/{id}/approve"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        page.contains("Prendi in carico la pratica prima di approvarla"),
        "{page}"
    );
    // A colleague of the same desk who did not take it cannot approve it either.
    take(&officer, &id).await;
    let colleague = officer_of(&app, "collega@ge.camcom.test", "GE-GENOVA").await;
    let r = colleague
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "taken_by_other");
    let (_, page) = b.get(&format!("/desk/practices/{id}")).await;
    assert!(page.contains("data-testid=\"approve\""), "{page}");
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Approve and reject open a confirmation that says what will happen; without JavaScript it
/// is a page (GET, nothing changes) whose form posts the unchanged action with the CSRF token.
async fn irreversible_decisions_are_confirmed_first(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let b = crate::helpers::Browser::login(&app, email, password).await;
    // Before the take, the approval's page sends back to the practice.
    let (s, _) = b.get(&format!("/desk/practices/{id}/approve")).await;
    assert!(s.is_redirection(), "{s}");
    let (s, page) = b.get(&format!("/desk/practices/{id}/reject")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Respingere la pratica"), "{page}");
    assert!(page.contains("tornano al borsellino"), "{page}");
    assert!(
        page.contains(&format!("action=\"/desk/practices/{id}/reject\"")),
        "{page}"
    );
    let (s, _, _) = b
        .post_form(&format!("/desk/practices/{id}/take"), &[])
        .await;
    assert!(s.is_redirection());
    let (_, page) = b.get(&format!("/desk/practices/{id}")).await;
    assert!(
        page.contains("id=\"confirm-approve\""),
        "the dialog is in the page: {page}"
    );
    assert!(
        page.contains(&format!("href=\"/desk/practices/{id}/approve\"")),
        "{page}"
    );
    let (s, page) = b.get(&format!("/desk/practices/{id}/approve")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Approvare la pratica") && page.contains("€"),
        "{page}"
    );
    assert_eq!(
        status_of(&company, &id).await,
        "in_review",
        "a GET changes nothing"
    );
    // The form posts the action, which still needs the CSRF token.
    let r = b
        .client
        .post(format!("{}/desk/practices/{id}/approve", b.base))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, location, _) = b
        .post_form(&format!("/desk/practices/{id}/approve"), &[])
        .await;
    assert!(s.is_redirection(), "{s}");
    assert_eq!(
        location.unwrap(),
        format!("/desk/practices/{id}?done=approve")
    );
}

async fn the_inbox_shows_only_the_practices_of_the_officers_desks(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (_, id) = sent_practice(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .get(&format!("/api/v1/practices/{id}/certificate.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "no certificate yet");
    // An officer of Chiavari only does not see a Genova practice, nor can decide on it.
    let chiavari = officer_of(&app, "chiavari@ge.camcom.test", "GE-CHIAVARI").await;
    let r = chiavari
        .post(&format!("/api/v1/practices/{id}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The company cannot act as an officer.
    let company = Erp::demo(&app, Role::Company).await;
    let r = company
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = officer
        .post(&format!("/api/v1/practices/{id}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "in_review");
}

async fn rectification_expires_after_24_hours(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let paid = balance(&company).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Manca la packing list", "fields": ["attachments"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(status_of(&company, &id).await, "to_rectify");
    app.clock.advance(chrono::Duration::hours(23));
    app.run_jobs().await;
    assert_eq!(
        status_of(&company, &id).await,
        "to_rectify",
        "still within 24 hours"
    );
    app.clock.advance(chrono::Duration::hours(2));
    app.run_jobs().await;
    assert_eq!(
        status_of(&company, &id).await,
        "rejected",
        "rejected once the deadline passed"
    );
    assert_eq!(
        balance(&company).await,
        paid + 1000,
        "the fee went back to the wallet"
    );
    let mails = app.smtp.messages();
    assert!(
        mails.iter().any(|m| m.data.contains("rettifica")),
        "the request was e-mailed"
    );
    assert!(
        mails.iter().any(|m| m.data.contains("respinta")),
        "the rejection was e-mailed"
    );
}

async fn a_practice_resent_unchanged_is_not_charged_again(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let paid = balance(&company).await;
    // The worker's schedules start now, so the expiry check runs once the clock moves on.
    app.run_jobs().await;
    let officer = Erp::demo(&app, Role::Officer).await;
    officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Allegare la packing list"}))
        .send()
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::hours(3));
    let r = company
        .attach(&id, crate::trade::small_pdf(), "packing_list")
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = company
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sent: Value = r.json().await.unwrap();
    assert_eq!(sent["charged_cents"], 0);
    assert_eq!(
        sent["protocol_number"], "GE/2026/0000001",
        "same protocol number"
    );
    assert_eq!(balance(&company).await, paid);
    app.clock.advance(chrono::Duration::hours(30));
    app.run_jobs().await;
    assert_eq!(
        status_of(&company, &id).await,
        "sent",
        "no late rejection after a resend"
    );
}

async fn approval_issues_a_sealed_certificate_that_verifies_publicly(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    crate::desk::take(&officer, &id).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let approved: Value = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(approved["code"], "not_allowed", "approved once");
    let pdf = company
        .get(&format!("/api/v1/practices/{id}/certificate.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let pdf = pdf.bytes().await.unwrap().to_vec();
    // The seal verifies with our verifier against the test CA…
    let anchors = sportello_core::trust::all_anchors(&app.state.db)
        .await
        .unwrap();
    let report = firma::verify(
        &pdf,
        &firma::VerifyOptions {
            trust_anchors: anchors.clone(),
            intermediates: vec![],
            crls: vec![],
            at: std::time::SystemTime::now(),
        },
    )
    .unwrap();
    assert!(
        report.valid,
        "{:?}",
        report.to_contract_json(firma::Lang::En)
    );
    assert_eq!(report.format, firma::Format::Pades);
    // …and one changed byte breaks it.
    let mut tampered = pdf.clone();
    let at = tampered.len() / 3;
    tampered[at] ^= 0x01;
    let bad = firma::verify(
        &tampered,
        &firma::VerifyOptions {
            trust_anchors: anchors,
            intermediates: vec![],
            crls: vec![],
            at: std::time::SystemTime::now(),
        },
    );
    assert!(bad.map(|r| !r.valid).unwrap_or(true));

    // The number and code printed on it open the public verification.
    let cert = certificate_of(&app, &id).await;
    assert_eq!(cert.number, "C26GE0000001");
    let text = pdf_text(&pdf);
    let code = text
        .split_whitespace()
        .find(|w| {
            w.len() == 10
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && *w != cert.number
        })
        .map(str::to_string);
    let code = code.expect("a security code on the certificate");
    let public = reqwest::Client::new();
    let r = public
        .get(app.url(&format!("/api/v1/verify/{}?code={code}", cert.number)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "valid");
    assert_eq!(v["consignee_country"], "US");
    assert_eq!(v["chamber"], "Camera di Commercio di Genova");
    let page = public
        .get(app.url(&format!("/verify/{}?code={code}", cert.number)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Stati Uniti"),
        "the page names the country in full"
    );
    // A wrong code reveals nothing; repeated failures are refused.
    let r = public
        .get(app.url(&format!("/api/v1/verify/{}?code=WRONGCODE2", cert.number)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let unknown = public
        .get(app.url("/api/v1/verify/C26GE9999999?code=WRONGCODE2"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.text().await.unwrap().replace(&cert.number, ""),
        unknown.text().await.unwrap().replace("C26GE9999999", "")
    );
    let mut last = StatusCode::OK;
    for _ in 0..25 {
        last = public
            .get(app.url(&format!("/api/v1/verify/{}?code=NOPE", cert.number)))
            .send()
            .await
            .unwrap()
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    app.run_jobs().await;
    assert!(
        app.smtp
            .messages()
            .iter()
            .any(|m| m.data.contains("C26GE0000001")),
        "the company was told"
    );
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn rejection_refunds_the_fee_unless_the_chamber_says_otherwise(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let paid = balance(&company).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/reject"))
        .json(&json!({"reason": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let r = officer
        .post(&format!("/api/v1/practices/{id}/reject"))
        .json(&json!({"reason": "Merce non di origine italiana"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(balance(&company).await, paid + 1000);
    // With refunds turned off, a rejection keeps the fee.
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    sportello_core::chambers::settings::set(
        &mut tx,
        app.state.clock.now(),
        &chamber.id,
        sportello_core::chambers::settings::Setting::RefundOnReject,
        "false",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let second = ready_practice(&company, &[]).await;
    company
        .post(&format!("/api/v1/practices/{second}/send"))
        .send()
        .await
        .unwrap();
    let before = balance(&company).await;
    officer
        .post(&format!("/api/v1/practices/{second}/reject"))
        .json(&json!({"reason": "Dati non verificabili"}))
        .send()
        .await
        .unwrap();
    assert_eq!(balance(&company).await, before);
}

async fn a_practice_in_review_belongs_to_its_officer(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (_, id) = sent_practice(&app).await;
    let first = Erp::demo(&app, Role::Officer).await;
    let second = officer_of(&app, "secondo@ge.camcom.test", "GE-GENOVA").await;
    assert_eq!(
        first
            .post(&format!("/api/v1/practices/{id}/take"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = second
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "taken_by_other");
    let r = second
        .post(&format!("/api/v1/practices/{id}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

async fn a_lost_certificate_is_cancelled_and_its_duplicate_cites_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, id) = sent_practice(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    crate::desk::take(&officer, &id).await;
    officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    let original = certificate_of(&app, &id).await;

    // A cancellation practice for loss, with the signed request and the police report.
    let site = company.head_office(LIGURE).await;
    let form = json!({"applicant": {"name": "Giulia Bianchi", "capacity": "Legale rappresentante"},
                      "certificate_number": original.number, "reason": "loss", "notes": "Smarrito durante la spedizione"});
    let r = company
        .post("/api/v1/models")
        .json(&json!({"type": "cancellation", "company_tax_code": LIGURE, "site_id": site, "form": form}))
        .send()
        .await
        .unwrap();
    let model = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let signed = sign(&company.xml(&model).await, "giulia");
    let r = company.upload(signed, &DETAILS).await;
    let cancellation = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    company
        .attach(&cancellation, crate::trade::small_pdf(), "request_form")
        .await;
    let r = company
        .post(&format!("/api/v1/practices/{cancellation}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the police report is required for a loss"
    );
    company
        .attach(&cancellation, crate::trade::small_pdf(), "police_report")
        .await;
    assert_eq!(
        company
            .post(&format!("/api/v1/practices/{cancellation}/send"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    crate::desk::take(&officer, &cancellation).await;
    let r = officer
        .post(&format!("/api/v1/practices/{cancellation}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let cancelled =
        sportello_core::trade::desk::certificate::by_number(&app.state.db, &original.number)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(cancelled.status, "cancelled");

    // The duplicate: a new certificate practice naming the lost one.
    let model = company.new_model(LIGURE, co_form()).await;
    let signed = sign(&company.xml(&model).await, "giulia");
    let mut fields = DETAILS.to_vec();
    fields.extend([
        ("replaces", original.number.as_str()),
        ("duplicate", "true"),
    ]);
    let r = company.upload(signed, &fields).await;
    let dup = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    company
        .post(&format!("/api/v1/practices/{dup}/send"))
        .send()
        .await
        .unwrap();
    crate::desk::take(&officer, &dup).await;
    let r = officer
        .post(&format!("/api/v1/practices/{dup}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let duplicate = certificate_of(&app, &dup).await;
    assert_eq!(
        duplicate.duplicate_of.as_deref(),
        Some(original.number.as_str())
    );
    let pdf = app.state.blobs.get(&duplicate.pdf_blob).await.unwrap();
    let text = pdf_text(&pdf);
    assert!(text.contains("DUPLICATO"), "the duplicate says so");
    assert!(text.contains(&original.number), "and cites the original");
}

async fn certificate_numbers_stay_gapless_under_concurrent_approvals(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    // Fund enough practices.
    let c = sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let pay = sportello_core::wallet::VerifiedPayment {
        amount: sportello_core::money::Money::from_cents(100_000),
        reference: "test".into(),
        provider: "manual",
    };
    sportello_core::wallet::credit(
        &mut tx,
        app.state.clock.now(),
        &sportello_core::audit::Actor::cli(),
        &c.id,
        &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
            .await
            .unwrap()
            .unwrap()
            .id,
        &pay,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..8 {
        let id = ready_practice(&company, &[]).await;
        company
            .post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap();
        ids.push(id);
    }
    let officer = Erp::demo(&app, Role::Officer).await;
    let mut tasks = Vec::new();
    for id in ids {
        crate::desk::take(&officer, &id).await;
        let req = officer.post(&format!("/api/v1/practices/{id}/approve"));
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().json::<Value>().await.unwrap()
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        let v = t.await.unwrap();
        numbers.push(
            v["certificate_number"]
                .as_str()
                .unwrap_or_else(|| panic!("{v}"))
                .to_string(),
        );
    }
    numbers.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("C26GE{n:07}")).collect();
    assert_eq!(numbers, expected);
}

engine_tests!(
    approving_a_visa_practice_issues_a_sealed_visa_per_stamped_document,
    approving_a_copy_practice_issues_sealed_copies_of_the_certificate
);

async fn approving_a_visa_practice_issues_a_sealed_visa_per_stamped_document(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let site = company.head_office(LIGURE).await;
    let form = json!({"applicant": {"name": "Giulia Bianchi", "capacity": "Legale rappresentante"},
                      "destination_country": "SA", "invoices": [{"number": "2026/200", "date": "2026-11-20", "amount": "9800.00"}]});
    let r = company
        .post("/api/v1/models")
        .json(&json!({"type": "invoice_visa", "company_tax_code": LIGURE, "site_id": site, "form": form}))
        .send()
        .await
        .unwrap();
    let model = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = company
        .upload(sign(&company.xml(&model).await, "giulia"), &DETAILS)
        .await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let invoice = crate::trade::small_pdf();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(invoice.clone()).file_name("fattura-200.pdf"),
        )
        .text("description", "Fattura di esportazione 2026/200")
        .text("code", "invoice")
        .text("visas", "1")
        .text("legalisations", "1");
    let r = company
        .post(&format!("/api/v1/practices/{id}/attachments"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Cert'O guide, slide 54: the signed request form goes with every visa practice.
    company
        .attach(&id, crate::trade::small_pdf(), "request_form")
        .await;
    let sent: Value = company
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        sent["charged_cents"], 600,
        "one visa and one legalisation at €3"
    );
    let officer = Erp::demo(&app, Role::Officer).await;
    crate::desk::take(&officer, &id).await;
    assert_eq!(
        officer
            .post(&format!("/api/v1/practices/{id}/approve"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let docs = sportello_core::trade::desk::documents::of_practice(&app.state.db, &id)
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].kind, "visa");
    let pdf = app.state.blobs.get(&docs[0].blob).await.unwrap();
    let anchors = sportello_core::trust::all_anchors(&app.state.db)
        .await
        .unwrap();
    let report = firma::verify(
        &pdf,
        &firma::VerifyOptions {
            trust_anchors: anchors,
            intermediates: vec![],
            crls: vec![],
            at: std::time::SystemTime::now(),
        },
    )
    .unwrap();
    assert!(report.valid, "the visa is sealed");
    let text = pdf_text(&pdf);
    assert!(
        text.contains(&sportello_core::blobs::sha256_hex(&invoice)),
        "it names the stamped document by its fingerprint"
    );
    // The company downloads it from the practice page.
    let (email, password) = TestApp::demo_login(Role::Company);
    let b = crate::helpers::Browser::login(&app, email, password).await;
    let (status, body) = b
        .bytes(&format!("/practices/{id}/documents/{}", docs[0].id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, pdf);
    // An ERP finds it in the practice JSON and downloads it with its token.
    let practice = company.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(
        practice["certificate"],
        Value::Null,
        "no certificate of origin"
    );
    let listed = &practice["documents"][0];
    assert_eq!(listed["kind"], "visa");
    assert_eq!(listed["number"], docs[0].number.as_str());
    assert_eq!(listed["issued_on"], "2026-11-25");
    let r = company
        .client
        .get(crate::webhooks::reachable(
            &app,
            listed["url"].as_str().unwrap(),
        ))
        .bearer_auth(&company.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
}

async fn approving_a_copy_practice_issues_sealed_copies_of_the_certificate(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (company, original) = sent_practice(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    crate::desk::take(&officer, &original).await;
    officer
        .post(&format!("/api/v1/practices/{original}/approve"))
        .send()
        .await
        .unwrap();
    let cert = certificate_of(&app, &original).await;
    let site = company.head_office(LIGURE).await;
    let form = json!({"applicant": {"name": "Giulia Bianchi", "capacity": "Legale rappresentante"}, "certificate_number": cert.number});
    let r = company
        .post("/api/v1/models")
        .json(&json!({"type": "certificate_copy", "company_tax_code": LIGURE, "site_id": site, "form": form}))
        .send()
        .await
        .unwrap();
    let model = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut fields = DETAILS.to_vec();
    fields.push(("copies", "2"));
    let r = company
        .upload(sign(&company.xml(&model).await, "giulia"), &fields)
        .await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    company
        .attach(&id, crate::trade::small_pdf(), "certificate_scan")
        .await;
    company
        .attach(&id, crate::trade::small_pdf(), "request_form")
        .await;
    let sent: Value = company
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["charged_cents"], 1000, "two copies at €5");
    crate::desk::take(&officer, &id).await;
    assert_eq!(
        officer
            .post(&format!("/api/v1/practices/{id}/approve"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let docs = sportello_core::trade::desk::documents::of_practice(&app.state.db, &id)
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        docs[0].certificate_number.as_deref(),
        Some(cert.number.as_str())
    );
    let pdf = app.state.blobs.get(&docs[0].blob).await.unwrap();
    let text = pdf_text(&pdf);
    assert!(text.matches("COPIA").count() >= 2, "two copy sets");
    assert!(text.contains(&cert.number));
    assert!(!text.contains("ORIGINALE"), "copies only");
}

engine_tests!(pre_printed_forms_are_assigned_used_once_and_returned);

async fn pre_printed_forms_are_assigned_used_once_and_returned(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let office = crate::helpers::Browser::login(&app, email, password).await;
    office.get("/desk/forms?tax_code=01879020517").await;
    let (status, _, page) = office
        .post_form(
            "/desk/forms",
            &[
                ("tax_code", LIGURE),
                ("action", "assign"),
                ("first", "A0000001"),
                ("count", "3"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 formulari assegnati"));
    let (status, _, page) = office
        .post_form(
            "/desk/forms",
            &[
                ("tax_code", LIGURE),
                ("action", "assign"),
                ("first", "A0000003"),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("A0000003"), "the duplicate serial is named");

    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    // A serial the company was not given is refused at sending.
    let wrong = ready_practice(
        &company,
        &[("print_mode", "form"), ("form_serial", "B0000001")],
    )
    .await;
    let r = company
        .post(&format!("/api/v1/practices/{wrong}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("form_serial"));
    // One of its own forms goes through, and is used when the certificate is issued.
    let id = ready_practice(
        &company,
        &[("print_mode", "form"), ("form_serial", "A0000002")],
    )
    .await;
    // Printing on the form needs its scan among the attachments.
    company
        .attach(&id, crate::trade::small_pdf(), "blank_form_scan")
        .await;
    assert_eq!(
        company
            .post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let officer = Erp::demo(&app, Role::Officer).await;
    crate::desk::take(&officer, &id).await;
    assert_eq!(
        officer
            .post(&format!("/api/v1/practices/{id}/approve"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let c = sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let status_of = |forms: &[sportello_core::trade::desk::forms::BlankForm], s: &str| {
        forms
            .iter()
            .find(|f| f.serial == s)
            .map(|f| f.status.clone())
    };
    let forms = sportello_core::trade::desk::forms::of_company(&app.state.db, &chamber.id, &c.id)
        .await
        .unwrap();
    assert_eq!(status_of(&forms, "A0000002").as_deref(), Some("used"));
    // The unused ones come back; a used one cannot be "returned".
    let (status, _, _) = office
        .post_form(
            "/desk/forms",
            &[
                ("tax_code", LIGURE),
                ("action", "return"),
                ("serials", "A0000001 A0000002"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = office
        .post_form(
            "/desk/forms",
            &[
                ("tax_code", LIGURE),
                ("action", "return"),
                ("serials", "A0000001, A0000003"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let forms = sportello_core::trade::desk::forms::of_company(&app.state.db, &chamber.id, &c.id)
        .await
        .unwrap();
    assert_eq!(status_of(&forms, "A0000001").as_deref(), Some("returned"));
    assert_eq!(status_of(&forms, "A0000003").as_deref(), Some("returned"));
}
