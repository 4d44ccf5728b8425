//! Each chamber's own desks and wallet (issue 12, item 3). The Cert'O guide: the destination
//! desk is one of the company's own chamber; the wallet pays that chamber's fees, so it is kept
//! per company and chamber, and one chamber's credit never pays another chamber's fees.

use crate::desk::sent_practice;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp, TestDb};
use crate::plan_setup::{self, chamber_id, company_id};
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::audit::Actor;
use sportello_core::chambers::{self, DeskCode, settings::Setting};
use sportello_core::db::{self, Engine};
use sportello_core::money::Money;
use sportello_core::wallet;

engine_tests!(
    a_company_cannot_send_to_the_desk_of_a_chamber_without_its_sites,
    a_chamber_may_accept_other_companies,
    a_charge_takes_from_the_practice_chambers_wallet_only,
    a_refund_goes_back_to_the_practice_chambers_wallet,
    the_wallet_api_names_the_chamber_when_the_company_deals_with_several,
    an_old_database_migrates_with_every_balance_kept,
);

/// Savona (SV), a second chamber with one desk; the demo company has no site in Savona.
async fn savona(app: &TestApp) -> chambers::Chamber {
    let sv = plan_setup::savona(app).await;
    chambers::create_desk(
        &app.state,
        &Actor::cli(),
        &sv,
        &DeskCode::parse("SV-SAVONA").unwrap(),
        "Savona",
    )
    .await
    .unwrap();
    // The demo signing CA trusted by every chamber, so only the desk rule is at stake.
    sqlx::query("UPDATE trust_anchors SET chamber_id = NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    sv
}

/// Uploads a signed model for `desk`, printed on the chamber's pre-printed form (blank paper
/// is authorised per chamber).
async fn upload_to(erp: &Erp, desk: &str) -> reqwest::Response {
    let model = erp.new_model(LIGURE, co_form()).await;
    let signed = sign(&erp.xml(&model).await, "giulia");
    let mut fields: Vec<(&str, &str)> = DETAILS
        .iter()
        .copied()
        .filter(|(k, _)| *k != "desk" && *k != "print_mode")
        .collect();
    fields.push(("desk", desk));
    fields.push(("print_mode", "form"));
    erp.upload(signed, &fields).await
}

async fn credit(app: &TestApp, company: &str, chamber: &str, cents: i64) {
    let mut tx = app.state.db.begin().await.unwrap();
    wallet::credit(
        &mut tx,
        app.state.clock.now(),
        &Actor::cli(),
        company,
        chamber,
        &wallet::VerifiedPayment {
            amount: Money::from_cents(cents),
            reference: "Bonifico di prova".into(),
            provider: "manual",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn balance_at(app: &TestApp, company: &str, chamber: &str) -> i64 {
    let b = wallet::balance(&app.state.db, company, chamber)
        .await
        .unwrap();
    assert_eq!(
        b,
        wallet::ledger_sum(&app.state.db, company, chamber)
            .await
            .unwrap(),
        "each wallet equals its own ledger"
    );
    b.cents()
}

async fn company_page(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::Company);
    Browser::login(app, email, password).await
}

async fn a_company_cannot_send_to_the_desk_of_a_chamber_without_its_sites(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    savona(&app).await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let r = upload_to(&erp, "SV-SAVONA").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "desk_of_another_chamber", "{body}");
    assert!(
        body.to_string().contains("Riviere di Liguria"),
        "the message names the chamber: {body}"
    );
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(before, after, "nothing created");
    // The page offers only the desks of the company's own chamber.
    let page = company_page(&app).await;
    let (status, html) = page.get("/practices/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("GE-GENOVA") && html.contains("GE-CHIAVARI"));
    assert!(!html.contains("SV-SAVONA"), "Savona is not offered");
    // Its own chamber's desks still take the practice.
    assert_eq!(
        upload_to(&erp, "GE-CHIAVARI").await.status(),
        StatusCode::CREATED
    );
}

async fn a_chamber_may_accept_other_companies(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let sv = savona(&app).await;
    let mut tx = app.state.db.begin().await.unwrap();
    chambers::settings::set(
        &mut tx,
        app.state.clock.now(),
        &sv.id,
        Setting::AcceptOtherCompanies,
        "true",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let r = upload_to(&erp, "SV-SAVONA").await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let page = company_page(&app).await;
    let (_, html) = page.get("/practices/new").await;
    assert!(html.contains("SV-SAVONA"), "Savona is offered now");
}

async fn a_charge_takes_from_the_practice_chambers_wallet_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let sv = savona(&app).await;
    let company = company_id(&app, LIGURE).await;
    let ge = chamber_id(&app, "GE").await;
    credit(&app, &company, &sv.id, 100_000).await;
    let ge_before = balance_at(&app, &company, &ge).await;
    let (_, _id) = sent_practice(&app).await;
    assert_eq!(balance_at(&app, &company, &ge).await, ge_before - 1000);
    assert_eq!(
        balance_at(&app, &company, &sv.id).await,
        100_000,
        "Savona's credit untouched"
    );
    // Genova's wallet emptied: Savona's credit does not pay Genova's fee.
    let mut tx = app.state.db.begin().await.unwrap();
    sqlx::query("UPDATE wallets SET balance_cents = 0 WHERE company_id = $1 AND chamber_id = $2")
        .bind(&company)
        .bind(&ge)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE wallet_entries SET amount_cents = 0 WHERE company_id = $1 AND chamber_id = $2",
    )
    .bind(&company)
    .bind(&ge)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let erp = Erp::demo(&app, Role::Company).await;
    let id = crate::trade::ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(balance_at(&app, &company, &sv.id).await, 100_000);
}

async fn a_refund_goes_back_to_the_practice_chambers_wallet(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let sv = savona(&app).await;
    let company = company_id(&app, LIGURE).await;
    let ge = chamber_id(&app, "GE").await;
    credit(&app, &company, &sv.id, 2_000).await;
    let (_, id) = sent_practice(&app).await;
    let paid = balance_at(&app, &company, &ge).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/reject"))
        .json(&json!({"reason": "Merce non di origine italiana"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(balance_at(&app, &company, &ge).await, paid + 1000);
    assert_eq!(balance_at(&app, &company, &sv.id).await, 2_000);
}

async fn the_wallet_api_names_the_chamber_when_the_company_deals_with_several(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    // One chamber: no need to name it.
    let r = erp.get("/api/v1/wallet").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let w: Value = r.json().await.unwrap();
    assert_eq!(w["chamber"], "GE");
    assert_eq!(w["balance_cents"], 5000, "the demo's €50");
    let sv = savona(&app).await;
    let company = company_id(&app, LIGURE).await;
    // A chamber the company has no site in and no wallet at is not one it deals with.
    assert_eq!(
        erp.get("/api/v1/wallet").send().await.unwrap().status(),
        StatusCode::OK
    );
    credit(&app, &company, &sv.id, 1_234).await;
    let r = erp.get("/api/v1/wallet").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "chamber_required", "{body}");
    assert!(body.to_string().contains("GE, SV"), "{body}");
    let w: Value = erp.get_json("/api/v1/wallet?chamber=SV").await;
    assert_eq!(w["chamber"], "SV");
    assert_eq!(w["balance_cents"], 1234);
    assert_eq!(w["entries"].as_array().unwrap().len(), 1);
    let w: Value = erp.get_json("/api/v1/wallet?chamber=ge").await;
    assert_eq!(w["balance_cents"], 5000);
    let r = erp.get("/api/v1/wallet?chamber=MI").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The page shows one balance per chamber.
    let page = company_page(&app).await;
    let (_, html) = page.get("/wallet").await;
    assert!(html.contains("data-testid=\"balance-GE\""), "{html}");
    assert!(html.contains("data-testid=\"balance-SV\""));
    assert!(html.contains("12,34"));
}

/// A database of the old shape (one wallet per company) keeps every balance, each moved to
/// the chamber its entries belong to.
async fn an_old_database_migrates_with_every_balance_kept(engine: Engine) {
    let t = TestDb::unmigrated(engine).await;
    let pool = t.db.pool();
    {
        let mut conn = pool.acquire().await.unwrap();
        db::migrations::migrator(engine)
            .run_to(64, &mut *conn)
            .await
            .unwrap();
    }
    for sql in [
        "INSERT INTO chambers (id, code, name, created_at) VALUES ('c-ge', 'GE', 'Genova', '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO chambers (id, code, name, created_at) VALUES ('c-sv', 'SV', 'Savona', '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO companies (id, tax_code, name, status, created_at, updated_at) VALUES ('co-1', '01879020517', 'Ligure', 'active', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO companies (id, tax_code, name, status, created_at, updated_at) VALUES ('co-2', '03358520967', 'Tigullio', 'active', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO sites (id, company_id, site_key, kind, province, rea_number, address, postcode, municipality, created_at, updated_at) VALUES ('s-2', 'co-2', 'SV-1', 'head_office', 'SV', '1', 'Via Paleocapa 1', '17100', 'Savona', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO users (id, email, name, password_hash, role, chamber_id, created_at) VALUES ('u-sv', 'admin@sv.test', 'Admin', 'x', 'chamber_admin', 'c-sv', '2026-01-01T00:00:00.000000Z')",
        // Ligure: €50 credited by Savona's administrator, €10 charged by Genova, €20 credited
        // at the command line (its only chamber by charges: Genova).
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, balance_after_cents, practice_id, reference, provider, created_by, created_at) VALUES ('e-1', 'co-1', NULL, 'top_up', 5000, 5000, NULL, 'CRO 1', 'manual', 'admin@sv.test', '2026-11-01T00:00:00.000000Z')",
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, balance_after_cents, practice_id, reference, provider, created_by, created_at) VALUES ('e-2', 'co-1', 'c-ge', 'top_up', 3000, 8000, NULL, 'CRO 2', 'manual', 'cli', '2026-11-02T00:00:00.000000Z')",
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, balance_after_cents, practice_id, reference, provider, created_by, created_at) VALUES ('e-3', 'co-1', 'c-ge', 'charge', -1000, 7000, 'p-1', 'GE/2026/0000001', NULL, 'x@y', '2026-11-03T00:00:00.000000Z')",
        "INSERT INTO wallets (company_id, balance_cents, updated_at) VALUES ('co-1', 7000, '2026-11-03T00:00:00.000000Z')",
        // Tigullio: credited at the command line; its site is in Savona.
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, balance_after_cents, practice_id, reference, provider, created_by, created_at) VALUES ('e-4', 'co-2', NULL, 'top_up', 1500, 1500, NULL, 'CRO 4', 'manual', 'cli', '2026-11-04T00:00:00.000000Z')",
        "INSERT INTO wallets (company_id, balance_cents, updated_at) VALUES ('co-2', 1500, '2026-11-04T00:00:00.000000Z')",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap();
    }
    t.db.migrate().await.unwrap();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT company_id, chamber_id, balance_cents FROM wallets ORDER BY company_id, chamber_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("co-1".to_string(), "c-ge".to_string(), 2000),
            ("co-1".to_string(), "c-sv".to_string(), 5000),
            ("co-2".to_string(), "c-sv".to_string(), 1500),
        ],
        "7000 for Ligure split by chamber, 1500 for Tigullio"
    );
    let unassigned: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM wallet_entries WHERE chamber_id IS NULL")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(unassigned, 0);
    let provinces: Vec<(String, String)> =
        sqlx::query_as("SELECT chamber_id, province FROM chamber_provinces ORDER BY chamber_id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        provinces,
        vec![
            ("c-ge".to_string(), "GE".to_string()),
            ("c-sv".to_string(), "SV".to_string())
        ]
    );
}
