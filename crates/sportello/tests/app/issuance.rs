//! Issuance at the desk: from a booked appointment to the device handed over, with
//! the second screen paired by its code, the OTP from the e-mail, real certificates from the
//! local test CA, the printed holder, and the identity scan gone from the disk afterwards —
//! on success and on abort.

use super::appointments::{book, public_browser};
use super::{fixture_pdf, operator_id};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::blobs::FsBlobStore;
use sportello_core::db::Engine;

pub async fn scan_blob(app: &TestApp, session: &str) -> (Option<String>, Option<Vec<u8>>) {
    sqlx::query_as("SELECT scan_blob, scan_key FROM iss_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

pub async fn state(app: &TestApp, session: &str) -> String {
    sqlx::query_scalar("SELECT state FROM iss_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

fn session_of(location: Option<String>) -> String {
    location
        .unwrap()
        .trim_start_matches("/issuance/")
        .to_string()
}

async fn rao(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::Rao);
    let b = Browser::login(app, email, password).await;
    b.get("/issuance").await;
    b
}

/// Verifies, scans the document and checks the encrypted blob is on disk; returns its path.
async fn verify_and_scan(app: &TestApp, b: &Browser, sid: &str) -> std::path::PathBuf {
    let (s, loc, body) = b
        .post_form(
            &format!("/issuance/{sid}/verify"),
            &[
                ("given_name", "Mario"),
                ("surname", "Rossi"),
                ("tax_code", "RSSMRA80A01H501U"),
                ("birth_date", "1980-01-01"),
                ("birth_place", "ROMA"),
                ("email", "mario.rossi@example.it"),
                ("phone", "+393331234567"),
                ("company_tax_code", "01879020517"),
                ("device", "smart_card"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(loc.as_deref(), Some(format!("/issuance/{sid}").as_str()));
    b.get(&format!("/issuance/{sid}")).await;
    let form = reqwest::multipart::Form::new()
        .text("doc_type", "carta_identita")
        .text("doc_number", "CA12345AB")
        .text("doc_expires_on", "2030-01-01")
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture_pdf()).file_name("documento.pdf"),
        );
    let (s, _, body) = b
        .post_multipart(&format!("/issuance/{sid}/scan"), form)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (blob, key) = scan_blob(app, sid).await;
    assert!(key.is_some());
    let path = FsBlobStore::new(app.state.config.blobs_dir())
        .path_of(&blob.unwrap())
        .unwrap();
    let stored = std::fs::read(&path).expect("the encrypted scan is on disk");
    assert!(
        !stored.windows(9).any(|w| w == b"CA12345AB"),
        "stored encrypted"
    );
    let (s, plain) = b.bytes(&format!("/issuance/{sid}/scan")).await;
    assert_eq!(
        (s, plain),
        (StatusCode::OK, fixture_pdf()),
        "the desk staff read it"
    );
    path
}

engine_tests!(
    an_issuance_goes_from_appointment_to_hand_over_and_the_scan_is_deleted,
    an_aborted_issuance_deletes_the_scan_too,
    a_device_an_odr_issues_consumes_its_fee_is_reported_and_refunded_case_by_case,
    wrong_pairing_codes_are_limited_per_address,
    both_issuance_screens_follow_the_session_and_show_it_only_to_its_people,
);

async fn an_issuance_goes_from_appointment_to_hand_over_and_the_scan_is_deleted(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    super::set_fees(&app, "01879020517", &[2025, 2026]).await;
    let public = public_browser(&app).await;
    let appt = book(&app, &public, "RSSMRA80A01H501U", true).await;
    let b = rao(&app).await;
    let (s, loc, _) = b
        .post_form(&format!("/issuance/from-appointment/{appt}"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let sid = session_of(loc);
    let (_, page) = b.get(&format!("/issuance/{sid}")).await;
    assert!(
        page.contains("RSSMRA80A01H501U"),
        "pre-registered data shown"
    );
    let path = verify_and_scan(&app, &b, &sid).await;
    let corrections: String =
        sqlx::query_scalar("SELECT corrections FROM iss_sessions WHERE id = $1")
            .bind(&sid)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(
        corrections.contains("birth_place") && corrections.contains("ROMA"),
        "{corrections}"
    );
    // Another operator of the chamber does not see the session; another role may not issue.
    let (email, password) = TestApp::demo_login(Role::Ir);
    let ir = Browser::login(&app, email, password).await;
    assert_eq!(
        ir.get(&format!("/issuance/{sid}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ir.bytes(&format!("/issuance/{sid}/scan")).await.0,
        StatusCode::NOT_FOUND
    );
    let (email, password) = TestApp::demo_login(Role::Company);
    let company = Browser::login(&app, email, password).await;
    assert_eq!(
        company.bytes(&format!("/issuance/{sid}/scan")).await.0,
        StatusCode::FORBIDDEN
    );
    // The device from the RAO's box, free for the company.
    let sara = operator_id(&app, "rao@demo.sportello.test").await;
    let (device_id, serial): (String, String) = sqlx::query_as("SELECT id, serial FROM dev_devices WHERE holder_operator_id = $1 AND kind = 'smart_card' ORDER BY serial LIMIT 1")
        .bind(&sara).fetch_one(app.state.db.pool()).await.unwrap();
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, body) = b
        .post_form(
            &format!("/issuance/{sid}/device"),
            &[("device_id", &device_id), ("free", "yes")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    // The second screen: a wrong code is refused, the right one pairs once.
    let code: String = sqlx::query_scalar("SELECT pairing_code FROM iss_sessions WHERE id = $1")
        .bind(&sid)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let screen = Browser::new(&app);
    screen.get("/screen").await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (s, _, body) = screen.post_form("/screen", &[("code", wrong)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Codice errato o scaduto"), "{body}");
    let (s, loc, _) = screen.post_form("/screen", &[("code", &code)]).await;
    assert_eq!(
        (s, loc.as_deref()),
        (StatusCode::SEE_OTHER, Some("/screen/session"))
    );
    let other = Browser::new(&app);
    other.get("/screen").await;
    let (s, _, _) = other.post_form("/screen", &[("code", &code)]).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code pairs one screen only"
    );
    screen.get("/screen/session").await;
    let (_, live) = screen.get("/screen/session/live").await;
    assert!(
        live.contains("RSSMRA80A01H501U") && live.contains("accept-0"),
        "{live}"
    );
    for n in 0..4 {
        // Without JavaScript the form posts and comes back to the screen.
        let (s, loc, _) = screen.post_form(&format!("/screen/clauses/{n}"), &[]).await;
        assert_eq!(
            (s, loc.as_deref()),
            (StatusCode::SEE_OTHER, Some("/screen/session"))
        );
    }
    assert_eq!(state(&app, &sid).await, "clauses_accepted");
    // The OTP goes by e-mail through the outbox; the applicant types it on the screen.
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, _) = b.post_form(&format!("/issuance/{sid}/otp"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    app.run_jobs().await;
    let mail = app
        .smtp
        .messages()
        .into_iter()
        .rev()
        .find(|m| {
            m.to.iter().any(|t| t.contains("mario.rossi@example.it")) && m.data.contains("OTP")
        })
        .expect("OTP e-mail");
    let otp: String = mail
        .data
        .split("OTP =C3=A8 ")
        .nth(1)
        .or_else(|| mail.data.split("OTP è ").nth(1))
        .unwrap_or_default()
        .chars()
        .take(6)
        .collect();
    assert_eq!(otp.len(), 6, "{}", mail.data);
    let (s, _, body) = screen.post_form("/screen/otp", &[("code", "12345x")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Codice errato"), "{body}");
    let (s, _, _) = screen.post_form("/screen/otp", &[("code", &otp)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, body) = screen.get("/screen/session").await;
    assert!(body.contains("otp-ok"), "{body}");
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, body) = b
        .post_form(&format!("/issuance/{sid}/personalise"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    // Real certificates: the holder's tax code in the subject, CNS-style CN, three years.
    let certs: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT purpose, der FROM iss_certificates WHERE session_id = $1 ORDER BY purpose",
    )
    .bind(&sid)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(certs.len(), 2);
    let ca = sportello_core::issuance::ca::local_ca_certificate(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let ca = firma::certificate_summary(&ca).unwrap();
    for (purpose, der) in &certs {
        let c = firma::certificate_summary(der).expect("a parsable X.509 certificate");
        assert!(
            c.subject.contains("TINIT-RSSMRA80A01H501U"),
            "{purpose}: {}",
            c.subject
        );
        assert_eq!(c.issuer, ca.subject);
        assert!(c.not_before.starts_with("2026-11-25"), "{}", c.not_before);
        assert!(c.not_after.starts_with("2029-11-25"), "{}", c.not_after);
        if purpose == "authentication" {
            assert!(
                c.subject
                    .contains(&format!("CN=RSSMRA80A01H501U/{serial}.")),
                "{}",
                c.subject
            );
        }
    }
    // The holder, printed at hand-over.
    let (s, pdf) = b.bytes(&format!("/issuance/{sid}/holder.pdf")).await;
    assert_eq!(s, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("holder.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let text = String::from_utf8(
        std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("25/11/2029") && text.contains(&serial) && text.contains("Assistenza"),
        "{text}"
    );
    let (s, _, _) = b
        .post_form(&format!("/issuance/{sid}/hand-over"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(state(&app, &sid).await, "handed_over");
    assert!(!path.exists(), "the scan is gone from the disk");
    assert_eq!(
        scan_blob(&app, &sid).await,
        (None, None),
        "blob and key wiped"
    );
    let kept: (String, String, String) = sqlx::query_as(
        "SELECT id_doc_type, id_doc_number, id_doc_sha256 FROM iss_sessions WHERE id = $1",
    )
    .bind(&sid)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(kept.2, sportello_core::blobs::sha256_hex(&fixture_pdf()));
    let deleted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'issuance.id_scan.delete' AND entity_id = $1").bind(&sid).fetch_one(app.state.db.pool()).await.unwrap();
    assert_eq!(deleted, 1);
    let dev: String = sqlx::query_scalar("SELECT state FROM dev_devices WHERE id = $1")
        .bind(&device_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(dev, "issued");
    let rule: String = sqlx::query_scalar(
        "SELECT rule_set FROM dev_free_grants WHERE company_tax_code = '01879020517'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(rule, sportello_core::devices::free::RULE_SET);
    let (_, live) = screen.get("/screen/session/live").await;
    assert!(
        live.contains("screen-ended"),
        "the screen shows nothing once the session ended"
    );
    // The company has had its free device: a second one is refused, with the reason.
    let rao_token = crate::ra::token(&app, Role::Rao).await;
    let (_, v) = crate::ra::call(
        &app,
        "GET",
        "/api/v1/devices/free-eligibility?company_tax_code=01879020517&device=smart_card",
        &rao_token,
        None,
    )
    .await;
    assert_eq!(v["eligible"], false);
    assert_eq!(v["reasons"][3]["ok"], false);
}

async fn an_aborted_issuance_deletes_the_scan_too(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = rao(&app).await;
    let (s, loc, body) = b
        .post_form(
            "/issuance",
            &[
                ("given_name", "Mario"),
                ("surname", "Rossi"),
                ("tax_code", "RSSMRA80A01H501U"),
                ("birth_date", "1980-01-01"),
                ("birth_place", "Roma"),
                ("email", "mario.rossi@example.it"),
                ("phone", "3331234567"),
                ("device", "smart_card"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let sid = session_of(loc);
    b.get(&format!("/issuance/{sid}")).await;
    let path = verify_and_scan(&app, &b, &sid).await;
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, _) = b
        .post_form(
            &format!("/issuance/{sid}/abort"),
            &[("reason", "documento non leggibile")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(state(&app, &sid).await, "aborted");
    assert!(!path.exists(), "the scan is gone from the disk");
    assert_eq!(scan_blob(&app, &sid).await, (None, None));
    // A stale session is aborted by the job, and its scan deleted as well.
    let (_, loc, _) = b
        .post_form(
            "/issuance",
            &[
                ("given_name", "Laura"),
                ("surname", "Verdi"),
                ("tax_code", "VRDLRA85M41D969U"),
                ("birth_date", "1985-08-01"),
                ("birth_place", "Genova"),
                ("email", "laura@example.it"),
                ("phone", "3331234567"),
                ("device", "token"),
            ],
        )
        .await;
    let stale = session_of(loc);
    app.clock.advance(chrono::Duration::hours(3));
    sportello_core::issuance::finish::abort_stale(
        &app.state.db,
        app.state.blobs.as_ref(),
        app.state.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(state(&app, &stale).await, "aborted");
    // Each abort says why in the session's history, in the office's words.
    let notes: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT note FROM iss_events WHERE to_state = 'aborted' ORDER BY at, session_id = $1",
    )
    .bind(&stale)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        notes,
        vec![
            Some("documento non leggibile".to_string()),
            Some("interrotta d'ufficio: sessione inattiva da oltre 2 ore".to_string()),
        ]
    );
}

/// Pairs a screen, accepts the clauses, confirms the OTP from the e-mail, personalises and
/// hands over.
async fn finish_with_screen(app: &TestApp, b: &Browser, sid: &str) {
    let code: String = sqlx::query_scalar("SELECT pairing_code FROM iss_sessions WHERE id = $1")
        .bind(sid)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let screen = Browser::new(app);
    screen.get("/screen").await;
    let (s, _, _) = screen.post_form("/screen", &[("code", &code)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    screen.get("/screen/session").await;
    for n in 0..4 {
        screen.post_form(&format!("/screen/clauses/{n}"), &[]).await;
    }
    b.get(&format!("/issuance/{sid}")).await;
    let before = app.smtp.messages().len();
    b.post_form(&format!("/issuance/{sid}/otp"), &[]).await;
    app.run_jobs().await;
    let mail = app
        .smtp
        .messages()
        .into_iter()
        .skip(before)
        .find(|m| m.data.contains("OTP"))
        .expect("OTP e-mail");
    let otp: String = mail
        .data
        .split("OTP =C3=A8 ")
        .nth(1)
        .or_else(|| mail.data.split("OTP è ").nth(1))
        .unwrap_or_default()
        .chars()
        .take(6)
        .collect();
    let (s, _, _) = screen.post_form("/screen/otp", &[("code", &otp)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(state(app, sid).await, "otp_confirmed");
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, body) = b
        .post_form(&format!("/issuance/{sid}/personalise"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, _, _) = b
        .post_form(&format!("/issuance/{sid}/hand-over"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(state(app, sid).await, "handed_over");
}

async fn a_device_an_odr_issues_consumes_its_fee_is_reported_and_refunded_case_by_case(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let org = operator_id(&app, "odr@demo.sportello.test").await;
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    // A collaborator of the demo ODR organisation, active, working with the ODR login.
    let mut tx = app.state.db.begin().await.unwrap();
    let collaborator = sportello_core::ra::operator::create(
        &mut tx,
        app.state.clock.now(),
        &sportello_core::audit::Actor::cli(),
        &chamber.id,
        sportello_core::ra::operator::NewOperator {
            kind: "odr".into(),
            name: "LAURA VERDI".into(),
            tax_code: "VRDLRA85M41D969U".into(),
            email: "laura@studioriva.test".into(),
            organisation_tax_code: Some("02654321013".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let odr_user: String =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'odr@demo.sportello.test'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    sqlx::query("UPDATE ra_operators SET state = 'active', mandate_start = '2026-09-01', mandate_end = '2029-09-01', \
        course_score = 95, course_passed_on = '2026-10-01', course_valid_until = '2027-10-01', user_id = $2 WHERE id = $1")
        .bind(&collaborator.id).bind(&odr_user).execute(app.state.db.pool()).await.unwrap();
    let before = sportello_core::devices::advance::account(&app.state.db, &org)
        .await
        .unwrap();
    let (email, password) = TestApp::demo_login(Role::Odr);
    let b = Browser::login(&app, email, password).await;
    b.get("/issuance").await;
    let (s, loc, body) = b
        .post_form(
            "/issuance",
            &[
                ("given_name", "Mario"),
                ("surname", "Rossi"),
                ("tax_code", "RSSMRA80A01H501U"),
                ("birth_date", "1980-01-01"),
                ("birth_place", "Roma"),
                ("email", "mario.rossi@example.it"),
                ("phone", "3331234567"),
                ("device", "smart_card"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let sid = session_of(loc);
    b.get(&format!("/issuance/{sid}")).await;
    verify_and_scan(&app, &b, &sid).await;
    let (device_id, serial): (String, String) = sqlx::query_as("SELECT id, serial FROM dev_devices WHERE holder_operator_id = $1 AND kind = 'smart_card' AND free_allowance = 0 ORDER BY serial LIMIT 1")
        .bind(&org).fetch_one(app.state.db.pool()).await.unwrap();
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, body) = b
        .post_form(
            &format!("/issuance/{sid}/device"),
            &[("device_id", &device_id)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    finish_with_screen(&app, &b, &sid).await;
    // RA procedure, part 2: issuing a consigned device consumes the fee held for it.
    let after = sportello_core::devices::advance::account(&app.state.db, &org)
        .await
        .unwrap();
    assert_eq!(
        (after.balance_cents, after.held_cents),
        (before.balance_cents, before.held_cents - 2500)
    );
    assert_eq!(
        sportello_core::devices::advance::ledger_sums(&app.state.db, &org)
            .await
            .unwrap(),
        after
    );
    // The ODR reports it, with a serial the chamber never had.
    let lines = format!(
        "serial;issued_on;holder_tax_code;company_tax_code;free\n{serial};2026-11-25;RSSMRA80A01H501U;;no\n7420000000009999;2026-11-25;RSSMRA80A01H501U;;no\n"
    );
    b.get("/devices/reports").await;
    let form = reqwest::multipart::Form::new()
        .text("period_from", "2026-11-01")
        .text("period_to", "2026-11-30")
        .text("lines", lines);
    let (s, loc, body) = b.post_multipart("/devices/reports", form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let report = loc.unwrap();
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (s, page) = master.get(&report).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("data-code=\"unknown_serial\""), "{page}");
    assert_eq!(
        page.matches("data-code=").count(),
        1,
        "the issued device matches inventory and CA: {page}"
    );
    let (s, _, _) = master.post_form(&format!("{report}/reconcile"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // No refund after issuance, save a case-by-case decision of the Manager with its reason.
    let (email, password) = TestApp::demo_login(Role::Rao);
    let rao = Browser::login(&app, email, password).await;
    let (s, _, _) = rao
        .post_form(
            &format!("/devices/d/{device_id}/refund"),
            &[("decision", "grant"), ("reason", "x")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (email, password) = TestApp::demo_login(Role::Manager);
    let manager = Browser::login(&app, email, password).await;
    assert_eq!(
        manager.get(&format!("/devices/d/{device_id}")).await.0,
        StatusCode::OK
    );
    let (s, _, body) = manager
        .post_form(
            &format!("/devices/d/{device_id}/refund"),
            &[("decision", "grant"), ("reason", " ")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("motivo"), "{body}");
    let (s, _, _) = manager
        .post_form(
            &format!("/devices/d/{device_id}/refund"),
            &[
                ("decision", "grant"),
                ("reason", "Carta difettosa alla consegna"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = manager
        .post_form(
            &format!("/devices/d/{device_id}/refund"),
            &[("decision", "grant"), ("reason", "di nuovo")],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one decision per device");
    let refunded = sportello_core::devices::advance::account(&app.state.db, &org)
        .await
        .unwrap();
    assert_eq!(
        refunded.balance_cents,
        after.balance_cents + 2500,
        "refunded once to the advance account"
    );
}

async fn wrong_pairing_codes_are_limited_per_address(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let screen = Browser::new(&app);
    screen.get("/screen").await;
    for _ in 0..sportello_core::issuance::finish::PAIRING_FAILURES {
        let (s, _, _) = screen.post_form("/screen", &[("code", "99999x")]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (s, _, _) = screen.post_form("/screen", &[("code", "123456")]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A quarter of an hour later the address may try again.
    app.clock.advance(chrono::Duration::minutes(16));
    let (s, _, _) = screen.post_form("/screen", &[("code", "123456")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Without a paired cookie the screen shows nothing.
    let (_, live) = Browser::new(&app).get("/screen/session/live").await;
    assert!(live.contains("screen-ended"));
}

/// GETs `path` as htmx does (the `HX-Request` header); status and body.
async fn htmx_get(b: &Browser, path: &str) -> (StatusCode, String) {
    let r = b
        .client
        .get(format!("{}{}", b.base, path))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("GET");
    (r.status(), r.text().await.unwrap_or_default())
}

/// POSTs as htmx does: the CSRF token in its header, `HX-Request`; status and body.
async fn htmx_post(b: &Browser, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = b
        .client
        .post(format!("{}{}", b.base, path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", b.csrf())
        .form(fields)
        .send()
        .await
        .expect("POST");
    (r.status(), r.text().await.unwrap_or_default())
}

/// The value of `data-rev="…"` in a page part.
fn rev_of(html: &str) -> String {
    let at = html.find("data-rev=\"").expect("a revision") + "data-rev=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// The operator's page and the applicant's screen poll the session: an unchanged session
/// answers 204, a moved one the new part (stepper with the current stage, next action). The
/// live parts show a session only to who may see its page, and the screen's only to the
/// screen paired with it.
async fn both_issuance_screens_follow_the_session_and_show_it_only_to_its_people(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let public = public_browser(&app).await;
    let appt = book(&app, &public, "RSSMRA80A01H501U", true).await;
    let b = rao(&app).await;
    let (_, loc, _) = b
        .post_form(&format!("/issuance/from-appointment/{appt}"), &[])
        .await;
    let sid = session_of(loc);
    let (_, page) = b.get(&format!("/issuance/{sid}")).await;
    assert!(
        page.contains("aria-current=\"step\""),
        "the stepper: {page}"
    );
    let rev = rev_of(&page);
    let steps = format!("/issuance/{sid}/live?part=steps&rev={rev}");
    assert_eq!(htmx_get(&b, &steps).await.0, StatusCode::NO_CONTENT);

    // Nobody else reads the live parts: another operator's role, a company, a visitor.
    let (email, password) = TestApp::demo_login(Role::Ir);
    let ir = Browser::login(&app, email, password).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let company = Browser::login(&app, email, password).await;
    let anonymous = Browser::new(&app);
    for (who, expected) in [
        (&ir, StatusCode::NOT_FOUND),
        (&company, StatusCode::FORBIDDEN),
    ] {
        for part in ["steps", "pairing"] {
            let (s, body) = htmx_get(who, &format!("/issuance/{sid}/live?part={part}")).await;
            assert_eq!(s, expected, "{body}");
            assert!(!body.contains("RSSMRA80A01H501U"));
        }
    }
    let (s, body) = htmx_get(&anonymous, &format!("/issuance/{sid}/live")).await;
    assert!(
        s != StatusCode::OK && !body.contains("RSSMRA80A01H501U"),
        "{s}"
    );

    // The operator moves the session to the clauses: the old revision now gets the new part.
    verify_and_scan(&app, &b, &sid).await;
    let sara = operator_id(&app, "rao@demo.sportello.test").await;
    let device_id: String = sqlx::query_scalar("SELECT id FROM dev_devices WHERE holder_operator_id = $1 AND kind = 'smart_card' ORDER BY serial LIMIT 1")
        .bind(&sara).fetch_one(app.state.db.pool()).await.unwrap();
    b.get(&format!("/issuance/{sid}")).await;
    let (s, _, _) = b
        .post_form(
            &format!("/issuance/{sid}/device"),
            &[("device_id", &device_id)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, part) = htmx_get(&b, &steps).await;
    assert_eq!(s, StatusCode::OK);
    assert!(part.contains("data-testid=\"waiting\""), "{part}");
    assert!(
        part.contains("class=\"active\" aria-current=\"step\" data-testid=\"stage-4\""),
        "the clauses are the current stage: {part}"
    );
    assert!(!part.contains("<header"), "a part, not a page");
    let steps = format!("/issuance/{sid}/live?part=steps&rev={}", rev_of(&part));

    // The second screen: nothing without its cookie; once paired, its own session only.
    let (_, body) = htmx_get(&Browser::new(&app), "/screen/session/live").await;
    assert!(body.contains("screen-ended") && !body.contains("RSSMRA80A01H501U"));
    let (_, pairing) = htmx_get(&b, &format!("/issuance/{sid}/live?part=pairing")).await;
    let code: String = sqlx::query_scalar("SELECT pairing_code FROM iss_sessions WHERE id = $1")
        .bind(&sid)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(pairing.contains(&code));
    let pairing_rev = rev_of(&pairing);
    let screen = Browser::new(&app);
    screen.get("/screen").await;
    let (s, _, _) = screen.post_form("/screen", &[("code", &code)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = screen.get("/screen/session").await;
    assert!(
        !page.contains("it-header-wrapper"),
        "no site header on the screen"
    );
    assert!(!page.contains("logout"), "no account links on the screen");
    assert!(
        page.contains("Camera di Commercio"),
        "the chamber by name: {page}"
    );
    assert!(page.contains("aria-current=\"step\""));
    // The operator's pairing card moves by itself too.
    let (s, pairing) = htmx_get(
        &b,
        &format!("/issuance/{sid}/live?part=pairing&rev={pairing_rev}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(pairing.contains("screen-paired") && !pairing.contains(&code));
    let screen_rev = rev_of(&page);
    let live = format!("/screen/session/live?rev={screen_rev}");
    assert_eq!(htmx_get(&screen, &live).await.0, StatusCode::NO_CONTENT);

    // Clauses accepted through htmx come back as the panel; the operator sees them counted.
    for n in 0..3 {
        let (s, panel) = htmx_post(&screen, &format!("/screen/clauses/{n}"), &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert!(panel.contains(&format!("accepted-{n}")), "{panel}");
        assert!(!panel.contains("<header"));
    }
    let (s, part) = htmx_get(&b, &steps).await;
    assert_eq!(s, StatusCode::OK);
    assert!(part.contains("3/4"), "{part}");
    let steps = format!("/issuance/{sid}/live?part=steps&rev={}", rev_of(&part));
    let (_, panel) = htmx_post(&screen, "/screen/clauses/3", &[]).await;
    assert!(panel.contains("data-testid=\"screen-todo\""));
    // The operator's next action appears without reloading the page.
    let (_, part) = htmx_get(&b, &steps).await;
    assert!(part.contains("data-testid=\"send-otp\""), "{part}");
    // And the screen, polling with what it showed, gets the new stage.
    let (s, panel) = htmx_get(&screen, &live).await;
    assert_eq!(s, StatusCode::OK);
    assert!(panel.contains("Clausole accettate"), "{panel}");
    // A wrong OTP through htmx: the panel with the message, nothing else moves.
    b.post_form(&format!("/issuance/{sid}/otp"), &[]).await;
    let (s, panel) = htmx_post(&screen, "/screen/otp", &[("code", "000000x")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(panel.contains("data-testid=\"problem\""), "{panel}");
    assert_eq!(state(&app, &sid).await, "otp_sent");
}
