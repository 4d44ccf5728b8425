//! pagoPA after the top-up (issue 15, item 4, continued): the daily job that marks notices past
//! their expiry as expired, the office resolving reconciliation anomalies (a note, or a credit
//! to the right company's wallet, once), the chamber's creditor settings on a page sharing the
//! command line's rules, and the JSON API of positions and receipts.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::pagopa::{ask, balance, company, company_id, flow, genova, import, office, today};
use crate::ra::{call, token};
use crate::trade::{LIGURE, TIGULLIO};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sportello_core::accounts::{NewUser, Role};
use sportello_core::audit::Actor;
use sportello_core::chambers::{self, ChamberCode};
use sportello_core::db::Engine;
use sportello_core::wallet::pagopa;

engine_tests!(
    notices_past_their_expiry_are_marked_expired_by_the_daily_job_once_and_audited,
    the_office_resolves_an_anomaly_with_a_note_once_shown_with_who_and_when,
    the_office_credits_an_anomaly_to_the_right_company_once,
    the_chamber_administrator_edits_the_pagopa_settings_with_the_command_line_rules,
    the_pagopa_api_lists_creates_and_downloads_positions_and_receipts_per_company,
);

async fn stored_state(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM payment_positions WHERE id = $1")
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

/// The id of the only anomaly whose IUV is `iuv`.
async fn anomaly_id(app: &TestApp, iuv: &str) -> String {
    sqlx::query_scalar(
        "SELECT id FROM reconciliation_payments WHERE iuv = $1 AND result <> 'credited'",
    )
    .bind(iuv)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// pagoPA SACI: a notice is payable up to its expiry day; then the daily job marks it expired.
async fn notices_past_their_expiry_are_marked_expired_by_the_daily_job_once_and_audited(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let old = ask(&app, &b, "30,00").await;
    // The schedules are registered by the worker's first round.
    app.run_jobs().await;
    app.clock.advance(Duration::days(15));
    // Sessions end after hours: log in again.
    let b = company(&app).await;
    let young = ask(&app, &b, "10,00").await;
    // The day after the old notice's expiry, past the job's hour.
    app.clock.advance(Duration::days(16));
    app.run_jobs().await;
    assert_eq!(stored_state(&app, &old.id).await, "expired");
    assert_eq!(stored_state(&app, &young.id).await, "pending");
    assert_eq!(audited(&app, "wallet.pagopa_expire").await, 1);
    // Idempotent: another run changes nothing and audits nothing.
    let again = pagopa::expiry::expire_notices(&app.state, app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(audited(&app, "wallet.pagopa_expire").await, 1);
    // A payment reported later for the expired notice stays an anomaly, not credited.
    let before = balance(&app).await;
    let r = import(
        &app,
        &flow("F-LATE", today(&app), &[(&old.iuv, "IUR-9", 3000)]),
    )
    .await;
    assert_eq!(r.anomalies, [(old.iuv.clone(), "expired".to_string())]);
    assert_eq!(balance(&app).await, before);
    // The company's page and list say it in words.
    let (_, html) = company(&app).await.get("/wallet?chamber=GE").await;
    assert!(
        html.contains("Scaduto"),
        "the wallet page names the expired notice"
    );
}

async fn the_office_resolves_an_anomaly_with_a_note_once_shown_with_who_and_when(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let unknown =
        pagopa::NoticeCode::new(pagopa::SegregationCode::parse("01").unwrap(), 999).unwrap();
    import(
        &app,
        &flow("F-1", today(&app), &[(unknown.iuv(), "IUR-1", 700)]),
    )
    .await;
    let id = anomaly_id(&app, unknown.iuv()).await;
    let o = office(&app).await;
    let (_, html) = o.get("/admin/payments").await;
    assert!(html.contains(&format!("href=\"/admin/payments/anomalies/{id}\"")));
    let (status, _) = o.get(&format!("/admin/payments/anomalies/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let path = format!("/admin/payments/anomalies/{id}/resolve");
    // The note is mandatory: refused with a message, nothing resolved.
    let (status, _, body) = o
        .post_form(&path, &[("action", "note"), ("note", "  ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("Scrivi nella nota cosa è stato fatto"),
        "{body}"
    );
    assert_eq!(audited(&app, "wallet.pagopa_anomaly_resolved").await, 0);
    // Resolved once: the second click of the same form changes nothing.
    let note = "rimborsato con bonifico del 03/12/2026";
    for _ in 0..2 {
        let (status, location, _) = o
            .post_form(&path, &[("action", "note"), ("note", note)])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(format!("/admin/payments/anomalies/{id}?resolved=1").as_str())
        );
    }
    assert_eq!(audited(&app, "wallet.pagopa_anomaly_resolved").await, 1);
    let (email, _) = TestApp::demo_login(Role::ChamberAdmin);
    let shown = format!("Risolta da {email} il 25/11/2026 10:00: {note}");
    let (_, page) = o.get(&format!("/admin/payments/anomalies/{id}")).await;
    assert!(page.contains(&shown), "{page}");
    assert!(!page.contains("data-testid=\"resolve-note-form\""));
    let (_, html) = o.get("/admin/payments").await;
    assert!(html.contains(&shown), "{html}");
    assert!(!html.contains("data-testid=\"anomaly-resolve\""));
    // Another chamber's administrator does not find it.
    let sv = chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .unwrap();
    sportello_core::accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: "admin@sv.test".into(),
            name: "Admin Savona".into(),
            password: "savona-password-1".into(),
            role: Role::ChamberAdmin,
            chamber_id: Some(sv.id),
            desk_ids: Vec::new(),
            company_ids: Vec::new(),
            tax_code: None,
        },
    )
    .await
    .unwrap();
    let savona = Browser::login(&app, "admin@sv.test", "savona-password-1").await;
    let (status, _) = savona.get(&format!("/admin/payments/anomalies/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = savona
        .post_form(&path, &[("action", "note"), ("note", "x")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A company may not resolve anything.
    let (status, _, _) = company(&app)
        .await
        .post_form(&path, &[("action", "note"), ("note", "x")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_office_credits_an_anomaly_to_the_right_company_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let mismatched = ask(&app, &b, "20,00").await;
    import(
        &app,
        &flow("F-1", today(&app), &[(&mismatched.iuv, "IUR-1", 1999)]),
    )
    .await;
    let id = anomaly_id(&app, &mismatched.iuv).await;
    let before = balance(&app).await;
    let o = office(&app).await;
    let (_, page) = o.get(&format!("/admin/payments/anomalies/{id}")).await;
    // The company of the notice is offered; the office checks and may change it.
    assert!(page.contains(&format!("value=\"{LIGURE}\"")), "{page}");
    let path = format!("/admin/payments/anomalies/{id}/resolve");
    for (code, words) in [
        (
            "not-a-code",
            "Il codice fiscale dell&#39;impresa non è valido",
        ),
        (
            "80043770108",
            "Nessuna impresa del Registro ha questo codice fiscale",
        ),
    ] {
        let (status, _, body) = o
            .post_form(&path, &[("action", "credit"), ("company_tax_code", code)])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        assert!(body.contains(words), "{code}: {body}");
        // What was typed stays in the form.
        assert!(body.contains(&format!("value=\"{code}\"")), "{code}");
    }
    assert_eq!(balance(&app).await, before);
    for _ in 0..2 {
        let (status, _, _) = o
            .post_form(
                &path,
                &[
                    ("action", "credit"),
                    ("company_tax_code", LIGURE),
                    ("note", "verificato con l'impresa"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    assert_eq!(balance(&app).await, before + 1999, "credited once");
    assert_eq!(audited(&app, "wallet.pagopa_anomaly_resolved").await, 1);
    let (_, html) = o.get(&format!("/admin/payments/anomalies/{id}")).await;
    assert!(
        html.contains("Accreditata sul borsellino di"),
        "the page says it was credited"
    );
    // The position itself stays as it was: the notice asked 20,00 €.
    assert_eq!(
        sqlx::query_scalar::<_, String>("SELECT state FROM payment_positions WHERE id = $1")
            .bind(&mismatched.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap(),
        "pending"
    );
    let _ = genova(&app).await;
}

async fn the_chamber_administrator_edits_the_pagopa_settings_with_the_command_line_rules(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let o = office(&app).await;
    let (status, html) = o.get("/admin/payments/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"80043770108\"") && html.contains("value=\"01\""));
    for (field, value, words) in [
        (
            "tax_code",
            "80043770109",
            "Scrivi il codice fiscale dell&#39;ente",
        ),
        (
            "segregation_code",
            "1",
            "Il codice di segregazione è di due cifre",
        ),
        ("cbill", "AGE 1X", "Il codice CBILL è di 5 lettere o cifre"),
    ] {
        let mut form = vec![
            ("tax_code", "80043770108"),
            ("segregation_code", "02"),
            ("cbill", "AGE02"),
        ];
        for f in form.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let (status, _, body) = o.post_form("/admin/payments/settings", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(body.contains(words), "{field}: {body}");
        assert!(body.contains(&format!("value=\"{value}\"")), "{field} kept");
    }
    let creditor = pagopa::creditor(&app.state.db, &genova(&app).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creditor.segregation.to_string(), "01", "nothing saved yet");
    let (status, location, _) = o
        .post_form(
            "/admin/payments/settings",
            &[
                ("tax_code", "80043770108"),
                ("segregation_code", "02"),
                ("cbill", "age02"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/admin/payments?configured=1"));
    let creditor = pagopa::creditor(&app.state.db, &genova(&app).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creditor.segregation.to_string(), "02");
    assert_eq!(creditor.cbill.as_deref(), Some("AGE02"));
    assert!(audited(&app, "chamber.pagopa").await >= 1);
    // New notices carry the new segregation code.
    let p = ask(&app, &company(&app).await, "5,00").await;
    assert!(p.notice_code.starts_with("302"), "{}", p.notice_code);
    // Only the chamber administrator.
    let (status, _) = company(&app).await.get("/admin/payments/settings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_pagopa_api_lists_creates_and_downloads_positions_and_receipts_per_company(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let t = token(&app, Role::Company).await;
    let (status, created) = call(
        &app,
        "POST",
        "/api/v1/wallet/positions",
        &t,
        Some(json!({"chamber": "GE", "amount": "25.00"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["state"], "pending");
    assert_eq!(created["amount_cents"], 2500);
    assert_eq!(created["chamber"], "GE");
    let notice_code = created["notice_code"].as_str().unwrap().to_string();
    let iuv = created["iuv"].as_str().unwrap().to_string();
    assert_eq!(&notice_code[1..], iuv);
    assert!(
        created["qr_text"]
            .as_str()
            .unwrap()
            .starts_with("PAGOPA|002|")
    );
    let id = created["id"].as_str().unwrap().to_string();
    // Bad amounts are refused with the field named.
    for amount in ["0", "dieci", "50000.01"] {
        let (status, problem) = call(
            &app,
            "POST",
            "/api/v1/wallet/positions",
            &t,
            Some(json!({"chamber": "GE", "amount": amount})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount}: {problem}"
        );
    }
    let (status, list) = call(&app, "GET", "/api/v1/wallet/positions?chamber=GE", &t, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["positions"].as_array().unwrap().len(), 1);
    assert_eq!(list["positions"][0]["expires_on"], "2026-12-25");
    let client = reqwest::Client::new();
    let pdf = |path: String, token: String| {
        let client = client.clone();
        let url = app.url(&path);
        async move {
            let r = client.get(url).bearer_auth(token).send().await.unwrap();
            (r.status(), r.bytes().await.unwrap_or_default().to_vec())
        }
    };
    let notice_path = format!("/api/v1/wallet/positions/{id}/notice");
    let (status, bytes) = pdf(notice_path.clone(), t.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"%PDF-"));
    // Paid: the receipt is listed with its number and downloadable.
    import(&app, &flow("F-1", today(&app), &[(&iuv, "IUR-1", 2500)])).await;
    let (_, list) = call(&app, "GET", "/api/v1/wallet/positions", &t, None).await;
    assert_eq!(list["positions"][0]["state"], "paid");
    let (status, receipts) =
        call(&app, "GET", "/api/v1/wallet/receipts?chamber=GE", &t, None).await;
    assert_eq!(status, StatusCode::OK, "{receipts}");
    let top_up = receipts["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"].as_str().unwrap_or_default().contains(&iuv))
        .expect("the top-up's receipt")
        .clone();
    assert_eq!(top_up["kind"], "top_up");
    assert!(top_up["number"].as_str().unwrap().starts_with("RIC-2026-"));
    let receipt_path = top_up["pdf_url"].as_str().unwrap().to_string();
    let (status, bytes) = pdf(receipt_path.clone(), t.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"%PDF-"));
    // Another company's token finds neither; staff have no wallet.
    let tigullio = company_id(&app, TIGULLIO).await;
    sportello_core::accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: "tigullio@example.test".into(),
            name: "Utente Tigullio".into(),
            password: "tigullio-pass-1".into(),
            role: Role::Company,
            chamber_id: None,
            desk_ids: Vec::new(),
            company_ids: vec![tigullio],
            tax_code: None,
        },
    )
    .await
    .unwrap();
    let (_, other) = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "tigullio@example.test", "password": "tigullio-pass-1"}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let other: serde_json::Value = other.json().await.unwrap();
    let other = other["token"].as_str().unwrap().to_string();
    for path in [&notice_path, &receipt_path] {
        let (status, _) = pdf(path.clone(), other.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/wallet/positions?company_tax_code={LIGURE}"),
        &other,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let officer = token(&app, Role::Officer).await;
    let (status, _) = call(&app, "GET", "/api/v1/wallet/positions", &officer, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/wallet/positions",
        &officer,
        Some(json!({"amount": "5"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
