//! Delegations signed by a legal representative and the users a company's representative
//! manages (issue 15, item 2), on both engines: a person the Registry does not list uploads a
//! delegation for Ligure Export signed by Giulia Bianchi (its representative in the demo
//! registry); the office of the Genoa chamber approves or rejects it; wrong files are refused
//! with their reason; the representative invites, removes and limits users, and the limits
//! hold on the trade routes. Fixtures: `scripts/delegation-fixtures.sh`.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::ra::{call, call_multipart, file_part};
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::oidc::{self, VerifiedClaims};
use sportello_core::accounts::{self, NewUser, Role, managed_users};
use sportello_core::audit::Actor;
use sportello_core::db::Engine;
use sportello_core::registry::TaxCode;

/// Marta Neri: signed up, acts for no company.
const MARTA: &str = "NREMRT90A41D969G";
const MARTA_EMAIL: &str = "marta.neri@example.test";
const MARTA_PASSWORD: &str = "marta-neri-password-2026";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/delegation")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

engine_tests!(
    a_delegation_signed_by_the_representative_is_approved_by_the_office_once,
    a_pades_delegation_sent_twice_makes_one_request,
    a_rejected_delegation_tells_the_person_why,
    a_delegation_not_signed_by_a_valid_representative_is_refused_and_nothing_is_kept,
    the_office_of_another_chamber_sees_nothing,
    the_representative_invites_removes_and_limits_the_company_users,
    scopes_hold_on_the_trade_routes,
);

/// The demo, Marta's account (a company user linked to nothing), and the fixtures' throwaway
/// CA trusted with its CRL (the revoked and expired certificates).
async fn setup(engine: Engine) -> TestApp {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: MARTA_EMAIL.into(),
            name: "Marta Neri".into(),
            password: MARTA_PASSWORD.into(),
            role: Role::Company,
            chamber_id: None,
            desk_ids: Vec::new(),
            company_ids: vec![company_id(&app).await],
            tax_code: Some(TaxCode::parse(MARTA).unwrap()),
        },
    )
    .await
    .unwrap();
    // An administrator's account needs a company: Marta is made as one, then unlinked, as if
    // she had signed up with her digital identity.
    // Through the table and the chambers' managed users both, as the unlink does.
    let marta = user_id(&app, MARTA).await;
    let mut tx = app.state.db.begin().await.unwrap();
    sqlx::query("DELETE FROM user_companies WHERE user_id = $1")
        .bind(&marta)
        .execute(&mut *tx)
        .await
        .unwrap();
    managed_users::refresh_user(&mut tx, &marta, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sportello_core::trust::add_file(
        &app.state.db,
        app.state.clock.now(),
        &Actor::cli(),
        &fixture("root.pem"),
        None,
    )
    .await
    .unwrap();
    sportello_core::revocation::add_crl_file(
        &app.state.db,
        app.state.clock.now(),
        &Actor::cli(),
        &fixture("root.crl.pem"),
    )
    .await
    .unwrap();
    app
}

async fn marta(app: &TestApp) -> Browser {
    Browser::login(app, MARTA_EMAIL, MARTA_PASSWORD).await
}

async fn marta_token(app: &TestApp) -> String {
    Erp::login(app, MARTA_EMAIL, MARTA_PASSWORD).await.token
}

fn upload(company: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("company", company.to_string())
        .part("file", file_part(name, bytes))
}

async fn office(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    Browser::login(app, email, password).await
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn only_request_id(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM delegation_requests")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn link_of(app: &TestApp, tax_code: &str) -> Option<(Option<String>, String)> {
    sqlx::query_as(
        "SELECT uc.reason, uc.scope FROM user_companies uc JOIN users u ON u.id = uc.user_id \
         JOIN companies c ON c.id = uc.company_id WHERE u.tax_code = $1 AND c.tax_code = $2",
    )
    .bind(tax_code)
    .bind(LIGURE)
    .fetch_optional(app.state.db.pool())
    .await
    .unwrap()
}

async fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    app.run_jobs().await;
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.contains(to)))
        .map(|m| m.data)
        .collect()
}

async fn a_delegation_signed_by_the_representative_is_approved_by_the_office_once(engine: Engine) {
    let app = setup(engine).await;
    let person = marta(&app).await;
    let (status, html) = person.get("/welcome").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/delegations\""), "{html}");
    let (status, _) = person.get("/delegations").await;
    assert_eq!(status, StatusCode::OK);
    let (status, location, body) = person
        .post_multipart(
            "/delegations",
            upload(LIGURE, "delega.pdf.p7m", fixture("delega_giulia.pdf.p7m")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.as_deref(), Some("/delegations?notice=sent"));
    let (_, html) = person.get("/delegations?notice=sent").await;
    assert!(html.contains("data-testid=\"request-pending\""), "{html}");
    assert!(html.contains("Giulia Bianchi"), "{html}");
    assert!(
        link_of(&app, MARTA).await.is_none(),
        "nothing before the office decides"
    );

    // The office sees who asked, for which company, the signer and the check.
    let office = office(&app).await;
    let (status, html) = office.get("/admin/delegations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Marta Neri") && html.contains("1 richiesta in attesa"),
        "{html}"
    );
    let id = only_request_id(&app).await;
    let (status, html) = office.get(&format!("/admin/delegations/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Marta Neri",
        MARTA,
        "LIGURE EXPORT",
        "Giulia Bianchi",
        "BNCGLI85M41D969D",
    ] {
        assert!(html.contains(expected), "{expected} missing: {html}");
    }
    let (status, file) = office.bytes(&format!("/admin/delegations/{id}/file")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file, fixture("delega_giulia.pdf.p7m"));

    // Approved: Marta acts for the company, told by e-mail; a second click changes nothing.
    let (status, location, _) = office
        .post_form(&format!("/admin/delegations/{id}/approve"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.unwrap(),
        format!("/admin/delegations/{id}?notice=approved")
    );
    let (_, location, _) = office
        .post_form(&format!("/admin/delegations/{id}/approve"), &[])
        .await;
    assert_eq!(
        location.unwrap(),
        format!("/admin/delegations/{id}?notice=unchanged")
    );
    assert_eq!(
        link_of(&app, MARTA).await,
        Some((Some("delegation".into()), "send".into()))
    );
    let mails = mails_to(&app, MARTA_EMAIL).await;
    assert_eq!(mails.len(), 1, "one e-mail for two clicks");
    assert!(mails[0].contains("approvata"), "{}", mails[0]);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'delegation.approve'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'delegation.request'"
        )
        .await,
        1
    );
    // Marta now acts for Ligure Export: its practices are hers to read.
    let token = marta_token(&app).await;
    let (status, me) = call(&app, "GET", "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["company_ids"].as_array().unwrap().len(), 1, "{me}");
    let (status, _) = call(&app, "GET", "/api/v1/practices", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    // Asking again for a company she acts for is refused.
    let (status, body) = call_multipart(
        &app,
        "/api/v1/delegations",
        &token,
        upload(LIGURE, "delega.pdf.p7m", fixture("delega_giulia.pdf.p7m")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "already_linked");
}

async fn a_pades_delegation_sent_twice_makes_one_request(engine: Engine) {
    let app = setup(engine).await;
    let token = marta_token(&app).await;
    let send = || {
        call_multipart(
            &app,
            "/api/v1/delegations",
            &token,
            upload(
                "GE-123456",
                "delega firmata.pdf",
                fixture("delega_giulia_pades.pdf"),
            ),
        )
    };
    let (status, first) = send().await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["format"], "PAdES");
    assert_eq!(first["state"], "pending");
    assert_eq!(first["signer_tax_code"], "BNCGLI85M41D969D");
    assert_eq!(first["company_tax_code"], LIGURE);
    assert_eq!(first["file_name"], "delegafirmata.pdf");
    let (status, second) = send().await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["id"], first["id"], "the same request");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM delegation_requests").await,
        1
    );
    // Another file while one waits is refused.
    let (status, body) = call_multipart(
        &app,
        "/api/v1/delegations",
        &token,
        upload(LIGURE, "delega.pdf.p7m", fixture("delega_giulia.pdf.p7m")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "already_pending");
    let (status, list) = call(&app, "GET", "/api/v1/delegations", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = first["id"].as_str().unwrap();
    let (status, one) = call(
        &app,
        "GET",
        &format!("/api/v1/delegations/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["id"], first["id"]);
    // Someone else's request is not found.
    let (email, password) = TestApp::demo_login(Role::Company);
    let giulia = Erp::login(&app, email, password).await.token;
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/delegations/{id}"),
        &giulia,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_rejected_delegation_tells_the_person_why(engine: Engine) {
    let app = setup(engine).await;
    let person = marta(&app).await;
    person.get("/delegations").await;
    let (status, _, body) = person
        .post_multipart(
            "/delegations",
            upload(LIGURE, "delega.pdf.p7m", fixture("delega_giulia.pdf.p7m")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let id = only_request_id(&app).await;
    let office = office(&app).await;
    office.get(&format!("/admin/delegations/{id}")).await;
    // A rejection needs a reason; nothing changes without one.
    let (status, _, html) = office
        .post_form(
            &format!("/admin/delegations/{id}/reject"),
            &[("reason", " ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Scrivi il motivo"), "{html}");
    let reason = "La delega non indica i poteri di firma.";
    let (status, location, _) = office
        .post_form(
            &format!("/admin/delegations/{id}/reject"),
            &[("reason", reason)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.unwrap(),
        format!("/admin/delegations/{id}?notice=rejected")
    );
    // Approving a rejected request is refused and says so.
    let (status, _, html) = office
        .post_form(&format!("/admin/delegations/{id}/approve"), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("già stata respinta"), "{html}");
    assert!(link_of(&app, MARTA).await.is_none());
    let mails = mails_to(&app, MARTA_EMAIL).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("respinto") && mails[0].contains("poteri di firma"),
        "{}",
        mails[0]
    );
    let (_, html) = person.get("/delegations").await;
    assert!(html.contains("data-testid=\"request-rejected\""), "{html}");
    assert!(html.contains(reason), "{html}");
    // After a rejection the person may send a new delegation.
    let (status, _, body) = person
        .post_multipart(
            "/delegations",
            upload(LIGURE, "delega.pdf", fixture("delega_giulia_pades.pdf")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
}

/// (company, file name, file, status, code, words of the message) of a refused delegation.
type Refusal = (
    &'static str,
    &'static str,
    Vec<u8>,
    StatusCode,
    &'static str,
    &'static str,
);

async fn a_delegation_not_signed_by_a_valid_representative_is_refused_and_nothing_is_kept(
    engine: Engine,
) {
    let app = setup(engine).await;
    let token = marta_token(&app).await;
    let cases: [Refusal; 9] = [
        (
            LIGURE,
            "delega.pdf.p7m",
            fixture("delega_paolo.pdf.p7m"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "signer_not_representative",
            "Paolo Verdi (VRDPLA70A01D969S) non risulta tra i legali rappresentanti",
        ),
        (
            LIGURE,
            "delega.pdf.p7m",
            fixture("delega_giulia_revoked.pdf.p7m"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "signer_revoked",
            "è stato revocato il 01/01/2021",
        ),
        (
            LIGURE,
            "delega.pdf.p7m",
            fixture("delega_giulia_expired.pdf.p7m"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "certificate_expired",
            "scaduto",
        ),
        (
            LIGURE,
            "delega.pdf",
            fixture("delega_tampered.pdf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "signature_invalid",
            "La firma della delega non è valida",
        ),
        (
            LIGURE,
            "nota.txt.p7m",
            fixture("nota_giulia.txt.p7m"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_pdf",
            "non è un PDF",
        ),
        (
            LIGURE,
            "delega.docx",
            b"PK\x03\x04 not a pdf".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_pdf",
            "non è un PDF",
        ),
        (
            LIGURE,
            "delega.pdf",
            fixture("delega.pdf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_signed",
            "non è firmato digitalmente",
        ),
        (
            "12345678903",
            "delega.pdf.p7m",
            fixture("delega_giulia.pdf.p7m"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_company",
            "Nessuna impresa",
        ),
        (
            "Ligure",
            "delega.pdf.p7m",
            fixture("delega_giulia.pdf.p7m"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "company_code",
            "non è un codice fiscale né un numero REA",
        ),
    ];
    for (company, name, bytes, status, code, words) in cases {
        let (got, body) = call_multipart(
            &app,
            "/api/v1/delegations",
            &token,
            upload(company, name, bytes),
        )
        .await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["code"], code, "{name}: {body}");
        assert!(
            body["detail"].as_str().unwrap_or_default().contains(words),
            "{name}: {body}"
        );
    }
    // The page says it too, in Italian, and keeps the company typed.
    let person = marta(&app).await;
    person.get("/delegations").await;
    let (status, _, html) = person
        .post_multipart(
            "/delegations",
            upload(LIGURE, "delega.pdf.p7m", fixture("delega_paolo.pdf.p7m")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("non risulta tra i legali rappresentanti"),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{LIGURE}\"")), "{html}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM delegation_requests").await,
        0
    );
}

async fn the_office_of_another_chamber_sees_nothing(engine: Engine) {
    let app = setup(engine).await;
    let token = marta_token(&app).await;
    let (status, body) = call_multipart(
        &app,
        "/api/v1/delegations",
        &token,
        upload(LIGURE, "delega.pdf.p7m", fixture("delega_giulia.pdf.p7m")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    // An administrator of another chamber.
    let other = sportello_core::chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &sportello_core::chambers::ChamberCode::parse("MI").unwrap(),
        "Camera di Commercio di Milano",
    )
    .await
    .unwrap();
    accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: "admin@mi.test".into(),
            name: "Marco Bassi".into(),
            password: "admin-milano-2026".into(),
            role: Role::ChamberAdmin,
            chamber_id: Some(other.id.clone()),
            desk_ids: Vec::new(),
            company_ids: Vec::new(),
            tax_code: None,
        },
    )
    .await
    .unwrap();
    let milan = Browser::login(&app, "admin@mi.test", "admin-milano-2026").await;
    let (_, html) = milan.get("/admin/delegations").await;
    assert!(!html.contains("Marta Neri"), "{html}");
    let (status, _) = milan.get(&format!("/admin/delegations/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = milan
        .post_form(&format!("/admin/delegations/{id}/approve"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(link_of(&app, MARTA).await.is_none());
    // No other role decides.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let (status, _) = officer.get(&format!("/admin/delegations/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn company_id(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM companies WHERE tax_code = $1")
        .bind(LIGURE)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn user_id(app: &TestApp, tax_code: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE tax_code = $1")
        .bind(tax_code)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn representative(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::Company);
    Browser::login(app, email, password).await
}

async fn the_representative_invites_removes_and_limits_the_company_users(engine: Engine) {
    let app = setup(engine).await;
    let company = company_id(&app).await;
    let users = format!("/companies/{company}/users");
    let giulia = representative(&app).await;
    let (status, _) = giulia.get("/company/users").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = giulia.get(&users).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("data-testid=\"user-BNCGLI85M41D969D\""),
        "{html}"
    );
    assert!(
        html.contains("rappresentante legale secondo il Registro Imprese"),
        "{html}"
    );

    // Marta has an account: linked at once, told by e-mail.
    let (status, location, body) = giulia
        .post_form(
            &format!("{users}/invite"),
            &[
                ("tax_code", MARTA),
                ("email", MARTA_EMAIL),
                ("scope", "prepare"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.unwrap(), format!("{users}?notice=linked"));
    assert_eq!(
        link_of(&app, MARTA).await,
        Some((Some("invitation".into()), "prepare".into()))
    );
    assert_eq!(mails_to(&app, MARTA_EMAIL).await.len(), 1);
    // A person without an account: linked at their first login with a digital identity.
    let luca = "GLLLCU75C10D969Q";
    let (status, location, body) = giulia
        .post_form(
            &format!("{users}/invite"),
            &[
                ("tax_code", luca),
                ("email", "luca.galli@example.test"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.unwrap(), format!("{users}?notice=invited"));
    let (_, html) = giulia.get(&users).await;
    assert!(
        html.contains(&format!("data-testid=\"invitation-{luca}\"")),
        "{html}"
    );
    let signed = oidc::sign_in(
        &app.state,
        &VerifiedClaims {
            issuer: "https://id.example.test".into(),
            subject: "luca".into(),
            fiscal_number: Some(format!("TINIT-{luca}")),
            name: Some("Luca Galli".into()),
            email: Some("luca.galli@example.test".into()),
            email_verified: Some(true),
            ..VerifiedClaims::default()
        },
    )
    .await
    .unwrap();
    assert!(signed.created);
    assert_eq!(signed.newly_linked, std::slice::from_ref(&company));
    assert_eq!(
        link_of(&app, luca).await,
        Some((Some("invitation".into()), "read".into()))
    );
    // Bad input is said and nothing is made.
    let (status, _, html) = giulia
        .post_form(
            &format!("{users}/invite"),
            &[
                ("tax_code", "RSSMRA80A01H501X"),
                ("email", "x@example.test"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("codice fiscale di persona valido"), "{html}");
    assert!(html.contains("value=\"x@example.test\""), "{html}");

    // Scopes and removal; the representative's own link follows the Registry.
    let marta_id = user_id(&app, MARTA).await;
    let (status, location, _) = giulia
        .post_form(&format!("{users}/{marta_id}/scope"), &[("scope", "read")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.unwrap(), format!("{users}?notice=scope"));
    assert_eq!(link_of(&app, MARTA).await.unwrap().1, "read");
    let giulia_id = user_id(&app, "BNCGLI85M41D969D").await;
    let (status, _, html) = giulia
        .post_form(&format!("{users}/{giulia_id}/remove"), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("secondo il Registro Imprese"), "{html}");
    // Marta, not a representative, manages nothing.
    let person = marta(&app).await;
    let (status, html) = person.get("/company/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("data-testid=\"not-representative\""),
        "{html}"
    );
    let (status, _) = person.get(&users).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = person
        .post_form(&format!("{users}/{giulia_id}/scope"), &[("scope", "read")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, location, _) = giulia
        .post_form(&format!("{users}/{marta_id}/remove"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.unwrap(), format!("{users}?notice=removed"));
    assert!(link_of(&app, MARTA).await.is_none());
    for action in [
        "company_user.invite",
        "company_user.scope",
        "company_user.remove",
    ] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        assert!(n >= 1, "{action} audited");
    }
}

/// Links Marta to Ligure Export with `scope`, as the representative would.
async fn link_marta(app: &TestApp, scope: &str) {
    let (marta, company) = (user_id(app, MARTA).await, company_id(app).await);
    let mut tx = app.state.db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO user_companies (user_id, company_id, reason, linked_at, scope) \
         VALUES ($1, $2, 'invitation', '2026-11-25T09:00:00.000000Z', $3)",
    )
    .bind(&marta)
    .bind(&company)
    .bind(scope)
    .execute(&mut *tx)
    .await
    .unwrap();
    // As `company_users::link` does: the chambers of the company now manage Marta.
    managed_users::refresh_user(&mut tx, &marta, Some(&company))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn set_marta_scope(app: &TestApp, scope: &str) {
    sqlx::query("UPDATE user_companies SET scope = $2 WHERE user_id = $1")
        .bind(user_id(app, MARTA).await)
        .bind(scope)
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

async fn scopes_hold_on_the_trade_routes(engine: Engine) {
    let app = setup(engine).await;
    // A draft practice of Ligure Export, prepared by its representative.
    let giulia = Erp::demo(&app, Role::Company).await;
    let model = giulia.new_model(LIGURE, co_form()).await;
    let r = giulia
        .upload(sign(&giulia.xml(&model).await, "giulia"), &DETAILS)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    link_marta(&app, "read").await;
    let marta = Erp::login(&app, MARTA_EMAIL, MARTA_PASSWORD).await;
    let send = format!("/api/v1/practices/{practice}/send");
    let browser = self::marta(&app).await;
    // scope × route: whether each scope may read the practices, prepare a model, send (and
    // ask for a top-up). Refused is 403; allowed goes on to the handler, whatever it answers
    // (Marta has no company profile yet, which sending requires).
    let matrix = [
        ("read", false, false),
        ("prepare", true, false),
        ("send", true, true),
    ];
    let judge = |status: StatusCode, allowed: bool, what: &str| {
        if allowed {
            assert_ne!(status, StatusCode::FORBIDDEN, "{what}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
        }
    };
    for (scope, prepare, sends) in matrix {
        set_marta_scope(&app, scope).await;
        let r = marta.get("/api/v1/practices").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{scope}: list");
        let companies = marta
            .get(&format!("/api/v1/registry/companies?tax_code={LIGURE}"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let site = companies[0]["sites"][0]["id"].as_str().unwrap().to_string();
        let r = marta
            .post("/api/v1/models")
            .json(
                &serde_json::json!({"type": "certificate_of_origin", "company_tax_code": LIGURE,
                "site_id": site, "form": co_form()}),
            )
            .send()
            .await
            .unwrap();
        judge(r.status(), prepare, &format!("{scope}: create a model"));
        let r = marta.post(&send).send().await.unwrap();
        judge(r.status(), sends, &format!("{scope}: send"));
        // The pages say the same.
        let (status, _) = browser.get("/practices").await;
        assert_eq!(status, StatusCode::OK, "{scope}: practices page");
        let (status, _) = browser.get("/models/new").await;
        judge(status, prepare, &format!("{scope}: new model page"));
        let (status, _) = browser.get("/wallet").await;
        assert_eq!(status, StatusCode::OK, "{scope}: wallet page");
        let (status, _, _) = browser
            .post_form("/wallet/top-ups", &[("chamber", "GE"), ("amount", "10")])
            .await;
        judge(status, sends, &format!("{scope}: top-up"));
        let (status, _, _) = browser
            .post_form(&format!("/practices/{practice}/send"), &[])
            .await;
        judge(status, sends, &format!("{scope}: send page"));
    }
}
