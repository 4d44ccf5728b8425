//! Devices (RA procedure part 2): the inventory with the CA's delivery and two-person
//! withdrawals, consignments to ODRs within their advance account (also under concurrent
//! approvals), free-device eligibility through the API, and who may open which page.

#[path = "appointments.rs"]
pub(crate) mod appointments;
#[path = "issuance.rs"]
mod issuance;

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::ra::{call, token};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/devices")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The operator with this e-mail in the demo chamber.
pub async fn operator_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM ra_operators WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

pub async fn odr_id(app: &TestApp) -> String {
    operator_id(app, "odr@demo.sportello.test").await
}

/// The name on the user account with `email`: a person's name, never empty nor an e-mail
/// (what the pages must show instead of the e-mail an entry keeps as its label).
pub async fn user_name(app: &TestApp, email: &str) -> String {
    let name: String = sqlx::query_scalar("SELECT name FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(!name.trim().is_empty() && !name.contains('@'), "{name}");
    name
}

/// Devices per location as the API gives them: location (with operator) → (smart cards, tokens).
async fn stock(app: &TestApp, t: &str) -> Vec<Value> {
    let (s, v) = call(app, "GET", "/api/v1/devices/stock", t, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

fn count(stock: &[Value], location: &str, operator: Option<&str>) -> (i64, i64) {
    stock
        .iter()
        .find(|r| r["location"] == location && r["operator_id"].as_str() == operator)
        .map(|r| {
            (
                r["smart_cards"].as_i64().unwrap(),
                r["tokens"].as_i64().unwrap(),
            )
        })
        .unwrap_or((0, 0))
}

fn total(stock: &[Value]) -> i64 {
    stock
        .iter()
        .map(|r| r["smart_cards"].as_i64().unwrap() + r["tokens"].as_i64().unwrap())
        .sum()
}

engine_tests!(
    a_delivery_is_recorded_once_and_a_bad_file_changes_nothing,
    cabinet_withdrawals_need_a_second_person,
    an_odr_cannot_consign_beyond_its_balance_even_with_concurrent_approvals,
    free_device_eligibility_gives_every_rule_through_the_api,
    device_pages_check_the_role_and_the_chamber,
);

async fn a_delivery_is_recorded_once_and_a_bad_file_changes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let master = token(&app, Role::MasterRao).await;
    let before = stock(&app, &master).await;
    assert_eq!(total(&before), 40, "the demo delivery");
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    b.get("/devices").await;
    let upload = |name: &'static str| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(fixture(name)).file_name(name),
        )
    };
    let (s, _, body) = b
        .post_multipart("/devices/deliveries", upload("delivery.csv"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("3 nuovi dispositivi, 0 già presenti"),
        "{body}"
    );
    let (_, _, body) = b
        .post_multipart("/devices/deliveries", upload("delivery.csv"))
        .await;
    assert!(
        body.contains("0 nuovi dispositivi, 3 già presenti"),
        "imported twice: {body}"
    );
    let (s, _, body) = b
        .post_multipart("/devices/deliveries", upload("delivery_bad.csv"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("Riga 3: ") && body.contains("Riga 4: ") && !body.contains("line 3"),
        "every bad line is listed: {body}"
    );
    let after = stock(&app, &master).await;
    assert_eq!(
        total(&after),
        43,
        "the good file once, nothing of the bad one"
    );
    assert_eq!(count(&after, "delivered", None), (2, 1));
    // Locked in the cabinet: the counts still add up.
    let (s, loc, _) = b.post_form("/devices/store", &[]).await;
    assert_eq!(
        (s, loc.as_deref()),
        (StatusCode::SEE_OTHER, Some("/devices?ok=stored"))
    );
    let stored = stock(&app, &master).await;
    assert_eq!(total(&stored), 43);
    assert_eq!(count(&stored, "delivered", None), (0, 0));
    assert_eq!(
        count(&stored, "cabinet", None),
        (
            count(&after, "cabinet", None).0 + 2,
            count(&after, "cabinet", None).1 + 1
        )
    );
    // The device's activity log: delivered, then stored, with who and when.
    let id: String =
        sqlx::query_scalar("SELECT id FROM dev_devices WHERE serial = '7420000000009001'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let history = sportello_core::devices::inventory::history(&app.state.db, &id)
        .await
        .unwrap();
    let moves: Vec<_> = history
        .iter()
        .map(|h| (h.mv.as_str(), h.to_state.as_str(), h.actor.as_str()))
        .collect();
    assert_eq!(
        moves,
        [("deliver", "blank", email), ("store", "in_cabinet", email)]
    );
    // The page names the person from their account, not by the e-mail stored as the label.
    let name = user_name(&app, email).await;
    assert!(
        history
            .iter()
            .all(|h| h.actor_name.as_deref() == Some(name.as_str())),
        "{:?}",
        history.iter().map(|h| &h.actor_name).collect::<Vec<_>>()
    );
}

async fn cabinet_withdrawals_need_a_second_person(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let master = token(&app, Role::MasterRao).await;
    let rao = token(&app, Role::Rao).await;
    let sara = operator_id(&app, "rao@demo.sportello.test").await;
    let before = stock(&app, &master).await;
    let body = json!({"destination": "operator_box", "operator_id": sara, "smart_cards": 2, "tokens": 0, "request_key": "k-1"});
    let (s, w) = call(
        &app,
        "POST",
        "/api/v1/devices/withdrawals",
        &master,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    // A double click records one request.
    let (_, again) = call(
        &app,
        "POST",
        "/api/v1/devices/withdrawals",
        &master,
        Some(body),
    )
    .await;
    assert_eq!(again["id"], w["id"]);
    let id = w["id"].as_str().unwrap();
    let path = format!("/api/v1/devices/withdrawals/{id}/approve");
    let (s, p) = call(&app, "POST", &path, &master, None).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("same_person"))
    );
    assert_eq!(stock(&app, &master).await, before, "nothing moved");
    for role in [Role::Company, Role::Odr, Role::Ir, Role::Manager] {
        let (s, _) = call(&app, "POST", &path, &token(&app, role).await, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    let (s, done) = call(&app, "POST", &path, &rao, None).await;
    assert_eq!(
        (s, done["status"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{done}"
    );
    let (s, p) = call(&app, "POST", &path, &rao, None).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_decided"))
    );
    let after = stock(&app, &master).await;
    assert_eq!(
        count(&after, "operator_box", Some(&sara)).0,
        count(&before, "operator_box", Some(&sara)).0 + 2
    );
    assert_eq!(
        count(&after, "cabinet", None).0,
        count(&before, "cabinet", None).0 - 2
    );
    assert_eq!(total(&after), total(&before));
    // Asking for more than the cabinet holds is refused with the numbers.
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/devices/withdrawals",
        &master,
        Some(json!({"destination": "operator_box", "operator_id": sara, "smart_cards": 500})),
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_enough_in_cabinet"))
    );
}

async fn an_odr_cannot_consign_beyond_its_balance_even_with_concurrent_approvals(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let master = token(&app, Role::MasterRao).await;
    let rao = token(&app, Role::Rao).await;
    let odr = odr_id(&app).await;
    // The demo paid €250 and consigned 4 smart cards (€25) and 1 token (€70): €80 left.
    let (s, acc) = call(
        &app,
        "GET",
        &format!("/api/v1/devices/advance-accounts/{odr}"),
        &master,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (acc["balance"].as_str(), acc["held"].as_str()),
        (Some("80.00"), Some("170.00"))
    );
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/devices/withdrawals",
        &master,
        Some(json!({"destination": "odr", "operator_id": odr, "smart_cards": 4})),
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_advance")),
        "{p}"
    );
    let before = stock(&app, &master).await;
    // Five requests of one card each: each fits the balance alone, three fit together.
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (s, w) = call(
            &app,
            "POST",
            "/api/v1/devices/withdrawals",
            &master,
            Some(json!({"destination": "odr", "operator_id": odr, "smart_cards": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        ids.push(w["id"].as_str().unwrap().to_string());
    }
    let results = join_all(ids.iter().map(|id| {
        let (app, rao) = (&app, &rao);
        async move {
            call(
                app,
                "POST",
                &format!("/api/v1/devices/withdrawals/{id}/approve"),
                rao,
                None,
            )
            .await
        }
    }))
    .await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s != StatusCode::OK)
        .map(|(s, p)| (*s, p["code"].as_str().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(ok, 3, "{results:?}");
    assert!(
        refused
            .iter()
            .all(|(s, c)| *s == StatusCode::CONFLICT && c == "insufficient_advance"),
        "{refused:?}"
    );
    let (_, acc) = call(
        &app,
        "GET",
        &format!("/api/v1/devices/advance-accounts/{odr}"),
        &master,
        None,
    )
    .await;
    assert_eq!(
        (acc["balance"].as_str(), acc["held"].as_str()),
        (Some("5.00"), Some("245.00"))
    );
    let sums = sportello_core::devices::advance::ledger_sums(&app.state.db, &odr)
        .await
        .unwrap();
    let row = sportello_core::devices::advance::account(&app.state.db, &odr)
        .await
        .unwrap();
    assert_eq!(sums, row, "the account row equals the ledger");
    let after = stock(&app, &master).await;
    assert_eq!(
        count(&after, "odr", Some(&odr)).0,
        count(&before, "odr", Some(&odr)).0 + 3
    );
    assert_eq!(total(&after), total(&before));
    // The refused requests stay pending: nothing was held for them.
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM dev_withdrawals WHERE status = 'pending'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(pending, 2);
}

/// A small PDF, as a scanned identity document would be.
pub fn fixture_pdf() -> Vec<u8> {
    b"%PDF-1.4\n% carta d'identita CA12345AB\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

pub async fn set_fees(app: &TestApp, tax_code: &str, years: &[i64]) {
    let company: String = sqlx::query_scalar("SELECT id FROM companies WHERE tax_code = $1")
        .bind(tax_code)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM company_annual_fees WHERE company_id = $1")
        .bind(&company)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    for y in years {
        sqlx::query("INSERT INTO company_annual_fees (company_id, year) VALUES ($1, $2)")
            .bind(&company)
            .bind(y)
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
}

async fn eligibility(app: &TestApp, t: &str, tax_code: &str, device: &str) -> (StatusCode, Value) {
    call(
        app,
        "GET",
        &format!("/api/v1/devices/free-eligibility?company_tax_code={tax_code}&device={device}"),
        t,
        None,
    )
    .await
}

fn failing(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false)
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect()
}

async fn free_device_eligibility_gives_every_rule_through_the_api(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let rao = token(&app, Role::Rao).await;
    set_fees(&app, "01879020517", &[2024, 2025, 2026]).await;
    let (s, v) = eligibility(&app, &rao, "01879020517", "smart_card").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["eligible"], true, "{v}");
    let rules: Vec<_> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "registered",
            "active",
            "annual_fee",
            "first_free_device",
            "smart_card_only"
        ]
    );
    assert!(
        v["reasons"][2]["detail"]
            .as_str()
            .unwrap()
            .contains("2025, 2026"),
        "{v}"
    );
    let (_, v) = eligibility(&app, &rao, "01879020517", "token").await;
    assert_eq!(
        (v["eligible"].as_bool(), failing(&v)),
        (Some(false), vec!["smart_card_only".to_string()])
    );
    // The demo's fees stop at 2025: 2026's deadline (30 June) has passed on 25 November.
    set_fees(&app, "01879020517", &[2023, 2024, 2025]).await;
    let (_, v) = eligibility(&app, &rao, "01879020517", "smart_card").await;
    assert_eq!(failing(&v), ["annual_fee"]);
    let (_, v) = eligibility(&app, &rao, "80052590587", "smart_card").await;
    assert_eq!(failing(&v), ["active", "annual_fee"], "a ceased company");
    let (_, v) = eligibility(&app, &rao, "12345670017", "smart_card").await;
    assert_eq!(
        failing(&v),
        ["registered", "active", "annual_fee"],
        "not in the registry"
    );
    let (s, p) = eligibility(&app, &rao, "123", "floppy").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["company_tax_code", "device"]);
    // English when asked.
    let en: Value = reqwest::Client::new()
        .get(app.url("/api/v1/devices/free-eligibility?company_tax_code=80052590587&device=token"))
        .bearer_auth(&rao)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        en["reasons"][4]["detail"],
        "Only the smart card is issued free, never the token."
    );
    for role in sportello_core::accounts::Role::ALL {
        let (s, _) = eligibility(&app, &token(&app, role).await, "01879020517", "smart_card").await;
        let allowed = matches!(
            role,
            Role::MasterRao | Role::MasterRaoOrdinary | Role::Rao | Role::Odr | Role::Ir
        );
        assert_eq!(s == StatusCode::OK, allowed, "{role}: {s}");
    }
    let spec: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/api/v1/devices/free-eligibility"].is_object());
}

async fn device_pages_check_the_role_and_the_chamber(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // role → (/devices, /devices/odr, /devices/reports, /devices/stats, /appointments, /appointments/plan)
    let expected: [(Role, [u16; 6]); 9] = [
        (Role::Company, [403, 403, 403, 403, 403, 403]),
        (Role::Officer, [403, 403, 403, 200, 403, 403]),
        (Role::ChamberAdmin, [403, 403, 403, 200, 403, 403]),
        (Role::MasterRao, [200, 200, 200, 200, 200, 200]),
        (Role::Rao, [200, 403, 403, 200, 200, 403]),
        (Role::Odr, [403, 403, 200, 403, 200, 403]),
        (Role::Ir, [403, 403, 403, 403, 200, 403]),
        (Role::Manager, [403, 403, 403, 200, 403, 403]),
        (Role::Auditor, [403, 403, 403, 403, 403, 403]),
    ];
    let pages = [
        "/devices",
        "/devices/odr",
        "/devices/reports",
        "/devices/stats",
        "/appointments",
        "/appointments/plan",
    ];
    for (role, codes) in expected {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        for (page, code) in pages.iter().zip(codes) {
            let (s, _) = b.get(page).await;
            assert_eq!(s.as_u16(), code, "{role} GET {page}");
        }
    }
    // Another chamber's device and withdrawal do not exist for this chamber's staff.
    let now = app.state.clock.now();
    let sv = sportello_core::chambers::create_chamber(
        &app.state,
        &sportello_core::audit::Actor::cli(),
        &sportello_core::chambers::ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio di Savona",
    )
    .await
    .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    sportello_core::devices::delivery::import(
        &mut tx,
        now,
        app.state.clock.today(),
        &sportello_core::audit::Actor::cli(),
        &sv.id,
        "sv.csv",
        b"serial;type;batch\n7420000000008001;smart card;SV-1\n",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let other: String =
        sqlx::query_scalar("SELECT id FROM dev_devices WHERE serial = '7420000000008001'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let (s, _) = b.get(&format!("/devices/d/{other}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = b
        .post_form(
            &format!("/devices/d/{other}/move"),
            &[("move", "mark_lost")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let dev = sportello_core::devices::inventory::get(&app.state.db, &sv.id, &other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dev.state,
        sportello_core::devices::DeviceState::Blank,
        "nothing changed"
    );
}
