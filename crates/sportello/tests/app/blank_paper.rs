//! Blank-paper printing is for companies the chamber authorises (Cert'O guide, slide 45: "su
//! foglio in bianco (per imprese autorizzate)"). The demo company (Ligure Export) is authorised
//! by the demo seed; Tigullio Meccanica is not.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{chamber_id, chamber_staff, company_id, savona};
use crate::trade::{DETAILS, Erp, LIGURE, TIGULLIO, co_form, other_company_user, sign};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

const NOT_AUTHORISED_IT: &str = "riservata alle imprese autorizzate";

/// Uploads a signed model of `tax_code`'s company with the given fields.
async fn upload(erp: &Erp, tax_code: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let model = erp.new_model(tax_code, co_form()).await;
    let signed = sign(&erp.xml(&model).await, "giulia");
    erp.upload(signed, fields).await
}

fn error_fields(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_string(),
                        e["detail"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn ligure_balance(app: &TestApp) -> i64 {
    let company = company_id(app, LIGURE).await;
    let genova = chamber_id(app, "GE").await;
    sportello_core::wallet::balance(&app.state.db, &company, &genova)
        .await
        .unwrap()
        .cents()
}

async fn admin(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    Browser::login(app, email, password).await
}

/// The id of the authorisation in force for a company, read from the administrator's page.
fn withdraw_path(page: &str, company: &str) -> String {
    let row = page
        .find(&format!("data-testid=\"authorised-{company}\""))
        .unwrap_or_else(|| panic!("{company} is listed: {page}"));
    let rest = &page[row..];
    let start = rest.find("/admin/blank-paper/").unwrap();
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_string()
}

async fn an_unauthorised_company_cannot_choose_blank_paper(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let tigullio = other_company_user(&app).await;
    // API upload asking for blank paper: refused, naming the field, in Italian.
    let r = upload(&tigullio, TIGULLIO, &DETAILS).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    let fields = error_fields(&p);
    assert_eq!(fields.len(), 1, "{p}");
    assert_eq!(fields[0].0, "print_mode");
    assert!(fields[0].1.contains(NOT_AUTHORISED_IT), "{p}");
    assert!(fields[0].1.starts_with("Modalità di stampa"), "{p}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM practices").await, 0);
    // Without a print mode the practice prints on the pre-printed form.
    let r = upload(
        &tigullio,
        TIGULLIO,
        &[("desk", "GE-GENOVA"), ("proforma", "false")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice: Value = r.json().await.unwrap();
    assert_eq!(practice["print_mode"], "form");
    let id = practice["id"].as_str().unwrap().to_string();

    // The page offers only the pre-printed form, and refuses blank paper naming the field.
    let page = Browser::login(&app, "export@tigullio.test", "tigullio-password").await;
    let (status, html) = page.get(&format!("/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("id=\"print-blank\""),
        "blank paper not offered"
    );
    assert!(html.contains("data-testid=\"blank-paper-reserved\""));
    let (_, new_page) = page.get("/practices/new").await;
    assert!(!new_page.contains("id=\"print-blank\""));
    let (status, _, html) = page
        .post_form(
            &format!("/practices/{id}/details"),
            &[
                ("proforma", "false"),
                ("goods_location", "Magazzino di Rapallo"),
                ("print_mode", "blank_paper"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(NOT_AUTHORISED_IT), "{html}");
    let mode: String = sqlx::query_scalar("SELECT print_mode FROM practices WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(mode, "form", "nothing was saved");
}

async fn an_authorised_company_can_choose_blank_paper(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // The demo company is authorised by the seed.
    let ligure = Erp::demo(&app, Role::Company).await;
    let r = upload(&ligure, LIGURE, &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (email, password) = TestApp::demo_login(Role::Company);
    let page = Browser::login(&app, email, password).await;
    let (_, html) = page.get(&format!("/practices/{id}")).await;
    assert!(html.contains("id=\"print-blank\""));

    // The chamber administrator authorises Tigullio, with date and reference (audited).
    let admin = admin(&app).await;
    let (status, html) = admin.get("/admin/blank-paper").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("authorised-{LIGURE}")));
    assert!(!html.contains(&format!("authorised-{TIGULLIO}")));
    let (status, _, html) = admin
        .post_form(
            "/admin/blank-paper",
            &[
                ("tax_code", TIGULLIO),
                ("reference", "Det. 12/2026"),
                ("authorised_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("TIGULLIO MECCANICA S.P.A. è autorizzata"),
        "{html}"
    );
    assert!(html.contains("20/11/2026") && html.contains("Det. 12/2026"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'blank_paper.authorise'"
        )
        .await,
        2,
        "the seed's and this one"
    );
    // Twice is refused; an unknown company and a future date are named.
    let (status, _, html) = admin
        .post_form(
            "/admin/blank-paper",
            &[("tax_code", TIGULLIO), ("reference", "Det. 13/2026")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("già autorizzata"));
    let (status, _, html) = admin
        .post_form(
            "/admin/blank-paper",
            &[
                ("tax_code", "12345678903"),
                ("reference", ""),
                ("authorised_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Codice fiscale: nessuna impresa"), "{html}");
    assert!(
        html.contains("autorizzazione: scrivi una data valida"),
        "{html}"
    );

    // Now Tigullio may choose blank paper.
    let tigullio = other_company_user(&app).await;
    let r = upload(&tigullio, TIGULLIO, &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["print_mode"],
        "blank_paper"
    );
}

async fn a_withdrawal_takes_effect_for_drafts_and_leaves_sent_practices_alone(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let ligure = Erp::demo(&app, Role::Company).await;
    ligure.complete_profile(LIGURE).await;
    let sent = crate::trade::ready_practice(&ligure, &[]).await;
    let draft = crate::trade::ready_practice(&ligure, &[]).await;
    let r = ligure
        .post(&format!("/api/v1/practices/{sent}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let before = ligure_balance(&app).await;

    let admin = admin(&app).await;
    let (_, html) = admin.get("/admin/blank-paper").await;
    let path = withdraw_path(&html, LIGURE);
    let (status, _, html) = admin.post_form(&path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("è stata revocata"));
    assert!(!html.contains(&format!("authorised-{LIGURE}")));
    // Withdrawing it again: not found, said plainly.
    let (status, _, html) = admin.post_form(&path, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("già stata revocata"));

    // The draft on blank paper can no longer be sent; nothing is charged.
    let r = ligure
        .post(&format!("/api/v1/practices/{draft}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    let fields = error_fields(&p);
    assert!(
        fields
            .iter()
            .any(|(f, m)| f == "print_mode" && m.contains(NOT_AUTHORISED_IT)),
        "{p}"
    );
    assert_eq!(ligure_balance(&app).await, before, "nothing charged");
    // The practice already sent keeps its print mode.
    let p = ligure.get_json(&format!("/api/v1/practices/{sent}")).await;
    assert_eq!(p["print_mode"], "blank_paper");
    assert_eq!(p["status"], "sent");
    // Sent back for rectification, it keeps blank paper when its details are saved and resent.
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .post(&format!("/api/v1/practices/{sent}/request-rectification"))
        .json(
            &serde_json::json!({"reason": "Correggere la giacenza", "fields": ["goods_location"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (email, password) = TestApp::demo_login(Role::Company);
    let page = Browser::login(&app, email, password).await;
    let (_, html) = page.get(&format!("/practices/{sent}")).await;
    assert!(
        html.contains("id=\"print-blank\""),
        "still offered to this practice"
    );
    let (status, location, html) = page
        .post_form(
            &format!("/practices/{sent}/details"),
            &[
                ("proforma", "false"),
                ("goods_location", "Magazzino Ponte Etiopia, Genova"),
                ("print_mode", "blank_paper"),
            ],
        )
        .await;
    assert!(status.is_redirection(), "{status} {location:?} {html}");
    let r = ligure
        .post(&format!("/api/v1/practices/{sent}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(
        ligure.get_json(&format!("/api/v1/practices/{sent}")).await["print_mode"],
        "blank_paper"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'blank_paper.withdraw'"
        )
        .await,
        1
    );
}

async fn only_a_chamber_admin_of_the_chamber_can_authorise_blank_paper(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // Roles other than the chamber administrator are refused by the route table.
    for role in [Role::Officer, Role::Company, Role::Manager, Role::Auditor] {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        let (status, _, _) = b
            .post_form(
                "/admin/blank-paper",
                &[("tax_code", TIGULLIO), ("reference", "x")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    // The administrator of another chamber neither sees nor withdraws Genova's, and their
    // authorisation does not reach Genova's desks.
    let sv = savona(&app).await;
    let savona = chamber_staff(
        &app,
        &sv.id,
        Role::ChamberAdmin,
        "admin@sv.test",
        "Admin Savona",
    )
    .await;
    let genova = admin(&app).await;
    let (_, html) = genova.get("/admin/blank-paper").await;
    let path = withdraw_path(&html, LIGURE);
    let (_, html) = savona.get("/admin/blank-paper").await;
    assert!(!html.contains(&format!("authorised-{LIGURE}")));
    let (status, _, _) = savona.post_form(&path, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, html) = savona
        .post_form(
            "/admin/blank-paper",
            &[("tax_code", TIGULLIO), ("reference", "Det. SV 1/2026")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let tigullio = other_company_user(&app).await;
    let r = upload(&tigullio, TIGULLIO, &DETAILS).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "authorised in Savona, not in Genova"
    );
    // Genova's authorisation of Ligure is still in force.
    let (_, html) = genova.get("/admin/blank-paper").await;
    assert!(html.contains(&format!("authorised-{LIGURE}")));
}

engine_tests!(
    an_unauthorised_company_cannot_choose_blank_paper,
    an_authorised_company_can_choose_blank_paper,
    a_withdrawal_takes_effect_for_drafts_and_leaves_sent_practices_alone,
    only_a_chamber_admin_of_the_chamber_can_authorise_blank_paper,
);
