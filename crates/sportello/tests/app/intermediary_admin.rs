//! The register of intermediaries kept by the chamber's office (issue 15, item 3): registered
//! with a checked tax code (once, however often the button is pressed), their people added by
//! tax code and e-mail (at once, or at their first login with a digital identity) and removed,
//! suspended (acting for no one, mandates kept) and reactivated, through the pages and the API
//! alike, every act audited by name. Also: who acted for whom in the API's JSON and in the
//! audit, and e-invoices that stay as sent.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::accounts::identity::{self, Identity, Method};
use sportello_core::chambers;
use sportello_core::db::Engine;
use sportello_core::demo::DEMO_INTERMEDIARY;
use sportello_core::registry::TaxCode;

engine_tests!(
    office_registers_an_intermediary_with_checked_tax_code_and_kind,
    registering_the_same_intermediary_twice_makes_one,
    a_person_with_an_account_is_linked_at_once_and_one_without_at_first_login,
    a_removed_person_acts_for_no_client,
    a_suspended_intermediary_acts_for_no_one_and_keeps_its_mandates,
    the_api_keeps_the_register_as_the_pages_do,
    practice_and_model_json_name_the_acting_intermediary,
    the_audit_names_the_intermediary_not_its_id,
    an_e_invoice_cannot_change_once_the_practice_is_sent,
    a_goods_line_problem_is_shown_with_its_field_label,
    the_command_line_keeps_the_register_with_the_same_rules,
);

const ROSSI: &str = "Rossi Spedizioni S.r.l.";
/// A valid VAT number no demo intermediary holds, and the same with a wrong check digit.
const NEW_VAT: &str = "00743110157";
const BAD_VAT: &str = "00743110158";
/// A person with no account in the demo.
const NEW_PERSON: &str = "VRDLRA85M41D969U";

async fn demo(engine: Engine) -> (TestApp, Browser) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, email, password).await;
    (app, admin)
}

async fn rossi_id(app: &TestApp) -> String {
    sportello_core::intermediary::by_tax_code(&app.state.db, DEMO_INTERMEDIARY.1)
        .await
        .expect("query")
        .expect("demo intermediary")
        .id
}

async fn count(app: &TestApp, sql: &'static str, bind: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(bind)
        .fetch_one(app.state.db.pool())
        .await
        .expect("count")
}

async fn broker(app: &TestApp) -> Erp {
    let (_, _, _, email, _, password) = DEMO_INTERMEDIARY;
    Erp::login(app, email, password).await
}

/// Ligure Export's representative grants the demo broker a mandate for certificates of
/// origin at Genova, for the whole of December 2026.
async fn grant_mandate(app: &TestApp, intermediary_id: &str) {
    let (email, password) = TestApp::demo_login(Role::Company);
    let rep = Browser::login(app, email, password).await;
    let ge = chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .expect("query")
        .expect("GE")
        .id;
    rep.get("/company/mandates").await;
    let (status, _, body) = rep
        .post_form(
            "/company/mandates",
            &[
                ("intermediary_id", intermediary_id),
                ("practice_types", "certificate_of_origin"),
                ("chamber_ids", &ge),
                ("valid_from", "2026-11-25"),
                ("valid_to", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
}

/// The broker asks for a certificate-of-origin model for Ligure Export.
async fn broker_model(app: &TestApp, b: &Erp) -> reqwest::Response {
    let _ = app;
    let site = b.head_office(LIGURE).await;
    b.post("/api/v1/models")
        .json(
            &json!({"type": "certificate_of_origin", "company_tax_code": LIGURE,
                      "site_id": site, "form": co_form()}),
        )
        .send()
        .await
        .expect("POST")
}

/// The broker's model made into a practice (not sent); returns the practice's JSON.
async fn broker_practice(app: &TestApp, b: &Erp) -> Value {
    let r = broker_model(app, b).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let model: Value = r.json().await.expect("json");
    let model_id = model["id"].as_str().expect("id");
    b.complete_profile(LIGURE).await;
    let signed = sign(&b.xml(model_id).await, "giulia");
    let r = b.upload(signed, &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.expect("json")
}

async fn office_registers_an_intermediary_with_checked_tax_code_and_kind(engine: Engine) {
    let (app, admin) = demo(engine).await;
    let (status, page) = admin.get("/admin/intermediaries").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(ROSSI), "the demo broker is listed");
    assert!(page.contains("Spedizioniere doganale"));
    // A wrong check digit: said next to the field, the form kept, nothing stored.
    let form = [
        ("name", "Bianchi Consulenze S.r.l."),
        ("tax_code", BAD_VAT),
        ("email", "uffici@bianchi.test"),
        ("kind", "consultancy"),
    ];
    let (status, _, body) = admin.post_form("/admin/intermediaries", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("Il carattere o la cifra di controllo non corrisponde"),
        "{body}"
    );
    assert!(body.contains("value=\"Bianchi Consulenze S.r.l.\""));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM intermediaries WHERE name <> $1",
            ROSSI
        )
        .await,
        0
    );
    // A tax code of the wrong length names what a tax code is.
    let (status, _, body) = admin
        .post_form(
            "/admin/intermediaries",
            &[
                ("name", "Bianchi"),
                ("tax_code", "123"),
                ("email", "a@b.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("16 caratteri"), "{body}");
    // Valid: registered and opened.
    let form = [
        ("name", "Bianchi Consulenze S.r.l."),
        ("tax_code", NEW_VAT),
        ("email", "uffici@bianchi.test"),
        ("kind", "consultancy"),
    ];
    let (status, location, _) = admin.post_form("/admin/intermediaries", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("location");
    assert!(location.ends_with("?notice=registered"), "{location}");
    let (status, page) = admin.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Intermediario registrato."));
    assert!(page.contains("Studio di consulenza"));
    let (_, list) = admin.get("/admin/intermediaries").await;
    assert!(list.contains("Bianchi Consulenze S.r.l."));
    assert!(list.contains("2 intermediari"), "{list}");
}

async fn registering_the_same_intermediary_twice_makes_one(engine: Engine) {
    let (app, admin) = demo(engine).await;
    let form = [
        ("name", "Bianchi Consulenze S.r.l."),
        ("tax_code", NEW_VAT),
        ("email", "uffici@bianchi.test"),
        ("kind", "consultancy"),
    ];
    let (first, a, _) = admin.post_form("/admin/intermediaries", &form).await;
    let (second, b, _) = admin.post_form("/admin/intermediaries", &form).await;
    assert_eq!(
        (first, second),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(a, b, "both land on the same intermediary");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM intermediaries WHERE tax_code = $1",
            NEW_VAT
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            "intermediary.create"
        )
        .await,
        2,
        "the demo's and this one, once"
    );
    // Another intermediary with that tax code is refused, naming why.
    let (status, _, body) = admin
        .post_form(
            "/admin/intermediaries",
            &[
                ("name", "Altro nome S.p.A."),
                ("tax_code", NEW_VAT),
                ("email", "altro@bianchi.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("Un altro intermediario è già registrato con questo codice fiscale."),
        "{body}"
    );
}

async fn a_person_with_an_account_is_linked_at_once_and_one_without_at_first_login(engine: Engine) {
    let (app, admin) = demo(engine).await;
    let rossi = rossi_id(&app).await;
    let page = format!("/admin/intermediaries/{rossi}");
    admin.get(&page).await;
    // Someone with an account (signed up with SPID, acting for no company): linked at once.
    let user = identity::sign_in(
        &app.state,
        &Identity {
            tax_code: TaxCode::parse(NEW_PERSON).expect("tax code"),
            name: Some("Laura Verdi".into()),
            email: Some("laura.verdi@example.test".into()),
            email_verified: true,
            method: Method::Oidc {
                issuer: "https://idp.example.test".into(),
            },
        },
    )
    .await
    .expect("sign up")
    .user;
    let path = format!("{page}/users");
    let fields = [
        ("tax_code", NEW_PERSON),
        ("email", "laura.verdi@example.test"),
    ];
    let (status, location, _) = admin.post_form(&path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.expect("location").ends_with("?notice=linked"));
    let tie = sportello_core::intermediary::of_user(&app.state.db, &user.id)
        .await
        .expect("query");
    assert_eq!(tie.map(|t| t.name).as_deref(), Some(ROSSI));
    // Again (a double click): the same answer, no second entry.
    let (status, location, _) = admin.post_form(&path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.expect("location").ends_with("?notice=linked"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            "intermediary.add_user"
        )
        .await,
        2,
        "the demo's person and this one"
    );
    // A staff account cannot work for an intermediary; a company's tax code is no person's.
    let (status, _, body) = admin
        .post_form(
            &path,
            &[
                ("tax_code", "CNTRRT70A01D969P"),
                ("email", "m@example.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("del personale della camera"), "{body}");
    let (status, _, body) = admin
        .post_form(&path, &[("tax_code", LIGURE), ("email", "m@example.test")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("codice fiscale personale"), "{body}");
    // Someone without an account: invited, taken up at their first login with SPID.
    let (status, location, _) = admin
        .post_form(
            &path,
            &[
                ("tax_code", "RSSMRA80A01H501U"),
                ("email", "mario@example.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.expect("location").ends_with("?notice=invited"));
    let (_, detail) = admin.get(&page).await;
    assert!(detail.contains("data-testid=\"invitation-RSSMRA80A01H501U\""));
    let signed = identity::sign_in(
        &app.state,
        &Identity {
            tax_code: TaxCode::parse("RSSMRA80A01H501U").expect("tax code"),
            name: Some("Mario Rossi".into()),
            email: Some("mario@example.test".into()),
            email_verified: true,
            method: Method::Oidc {
                issuer: "https://idp.example.test".into(),
            },
        },
    )
    .await
    .expect("sign in");
    let tie = sportello_core::intermediary::of_user(&app.state.db, &signed.user.id)
        .await
        .expect("query");
    assert_eq!(tie.map(|t| t.name).as_deref(), Some(ROSSI));
    let (_, detail) = admin.get(&page).await;
    assert!(!detail.contains("data-testid=\"invitation-RSSMRA80A01H501U\""));
    assert!(detail.contains("data-testid=\"member-RSSMRA80A01H501U\""));
    // Both were told by e-mail.
    let to: Vec<String> = sqlx::query_scalar(
        "SELECT to_addr FROM outbox_emails WHERE subject LIKE 'Operate per %' ORDER BY to_addr",
    )
    .fetch_all(app.state.db.pool())
    .await
    .expect("outbox");
    assert_eq!(to, vec!["laura.verdi@example.test", "mario@example.test"]);
}

async fn a_removed_person_acts_for_no_client(engine: Engine) {
    let (app, admin) = demo(engine).await;
    let rossi = rossi_id(&app).await;
    grant_mandate(&app, &rossi).await;
    let b = broker(&app).await;
    assert_eq!(broker_model(&app, &b).await.status(), StatusCode::CREATED);
    let user = sportello_core::accounts::find_by_email(&app.state.db, DEMO_INTERMEDIARY.3)
        .await
        .expect("query")
        .expect("broker user");
    let page = format!("/admin/intermediaries/{rossi}");
    admin.get(&page).await;
    let remove = format!("{page}/users/{}/remove", user.id);
    let (status, location, _) = admin.post_form(&remove, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.expect("location").ends_with("?notice=removed"));
    // A second click changes nothing.
    let (status, _, _) = admin.post_form(&remove, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            "intermediary.remove_user"
        )
        .await,
        1
    );
    let r = broker_model(&app, &b).await;
    assert!(
        matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status()
    );
}

async fn a_suspended_intermediary_acts_for_no_one_and_keeps_its_mandates(engine: Engine) {
    let (app, admin) = demo(engine).await;
    let rossi = rossi_id(&app).await;
    grant_mandate(&app, &rossi).await;
    let b = broker(&app).await;
    broker_practice(&app, &b).await;
    let page = format!("/admin/intermediaries/{rossi}");
    admin.get(&page).await;
    let (status, location, _) = admin.post_form(&format!("{page}/suspend"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.expect("location").ends_with("?notice=suspended"));
    let (_, detail) = admin.get(&page).await;
    assert!(detail.contains("Sospeso dal"), "{detail}");
    // Its people act for no one: no model, no practice of the client listed.
    let r = broker_model(&app, &b).await;
    assert!(
        matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status()
    );
    let r = b.get("/api/v1/practices").send().await.expect("GET");
    let list = r.text().await.unwrap_or_default();
    assert!(
        !list.contains("\"id\""),
        "no client practice listed: {list}"
    );
    // The mandate stays recorded, neither revoked nor gone; a company cannot give a new one.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM intermediary_mandates WHERE intermediary_id = $1 \
             AND revoked_at IS NULL",
            &rossi
        )
        .await,
        1
    );
    assert!(detail.contains("LIGURE EXPORT S.R.L."), "mandate listed");
    let offered = sportello_core::intermediary::list(&app.state.db)
        .await
        .expect("list");
    assert!(offered.iter().all(|i| i.id != rossi));
    // Reactivated: the same mandate counts again.
    admin.post_form(&format!("{page}/reactivate"), &[]).await;
    assert_eq!(broker_model(&app, &b).await.status(), StatusCode::CREATED);
    let (_, list) = admin.get("/admin/intermediaries").await;
    assert!(list.contains("Attivo"));
}

async fn the_api_keeps_the_register_as_the_pages_do(engine: Engine) {
    let (app, _) = demo(engine).await;
    let admin = Erp::demo(&app, Role::ChamberAdmin).await;
    let list = admin.get_json("/api/v1/intermediaries").await;
    let rossi = &list.as_array().expect("array")[0];
    assert_eq!(rossi["name"], ROSSI);
    assert_eq!(rossi["kind"], "customs_broker");
    assert_eq!(rossi["state"], "active");
    assert_eq!(rossi["users"], 1);
    let body = json!({"name": "Bianchi Consulenze S.r.l.", "tax_code": NEW_VAT,
                      "email": "uffici@bianchi.test", "kind": "trade_association"});
    let r = admin
        .post("/api/v1/intermediaries")
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    // The same again answers the same record.
    let again: Value = admin
        .post("/api/v1/intermediaries")
        .json(&body)
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    assert_eq!(again["id"], created["id"]);
    let r = admin
        .post("/api/v1/intermediaries")
        .json(&json!({"name": "X", "tax_code": BAD_VAT, "email": "x@y.test"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.expect("json");
    assert!(problem.to_string().contains("tax_code"), "{problem}");
    let r = admin
        .post(&format!("/api/v1/intermediaries/{id}/users"))
        .json(&json!({"tax_code": "RSSMRA80A01H501U", "email": "mario@example.test"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: Value = r.json().await.expect("json");
    assert_eq!(added["outcome"], "invited");
    let r = admin
        .post(&format!("/api/v1/intermediaries/{id}/suspend"))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    let suspended: Value = r.json().await.expect("json");
    assert_eq!(suspended["state"], "suspended");
    let detail = admin
        .get_json(&format!("/api/v1/intermediaries/{id}"))
        .await;
    assert_eq!(detail["invitations"][0]["tax_code"], "RSSMRA80A01H501U");
    assert_eq!(detail["kind"], "trade_association");
    // An id of nothing is 404; a company's token is refused.
    let r = admin
        .get(&format!("/api/v1/intermediaries/{}", uuid::Uuid::new_v4()))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let company = Erp::demo(&app, Role::Company).await;
    let r = company
        .get("/api/v1/intermediaries")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn practice_and_model_json_name_the_acting_intermediary(engine: Engine) {
    let (app, _) = demo(engine).await;
    let rossi = rossi_id(&app).await;
    grant_mandate(&app, &rossi).await;
    let b = broker(&app).await;
    let r = broker_model(&app, &b).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let model: Value = r.json().await.expect("json");
    assert_eq!(
        model["acting_intermediary"],
        json!({"id": rossi, "name": ROSSI})
    );
    let practice = broker_practice(&app, &b).await;
    assert_eq!(
        practice["acting_intermediary"],
        json!({"id": rossi, "name": ROSSI})
    );
    // The company reads the same practice with who presented it.
    let company = Erp::demo(&app, Role::Company).await;
    let id = practice["id"].as_str().expect("id");
    let read = company.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(read["acting_intermediary"]["name"], ROSSI);
    // A model the company writes itself names no intermediary.
    let own = company
        .new_model(LIGURE, json!({"origin_country": "IT"}))
        .await;
    let own = company.get_json(&format!("/api/v1/models/{own}")).await;
    assert_eq!(own["acting_intermediary"], Value::Null);
}

async fn the_audit_names_the_intermediary_not_its_id(engine: Engine) {
    let (app, admin) = demo(engine).await;
    let rossi = rossi_id(&app).await;
    grant_mandate(&app, &rossi).await;
    let b = broker(&app).await;
    broker_practice(&app, &b).await;
    admin.get(&format!("/admin/intermediaries/{rossi}")).await;
    admin
        .post_form(&format!("/admin/intermediaries/{rossi}/suspend"), &[])
        .await;
    let (status, page) = admin.get("/audit?action=practice.create").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("per conto di LIGURE EXPORT S.R.L. tramite Rossi Spedizioni S.r.l."),
        "{page}"
    );
    let (_, page) = admin.get("/audit?action=intermediary.suspend").await;
    assert!(
        page.contains("ha sospeso l&#39;intermediario Rossi Spedizioni S.r.l.")
            || page.contains("ha sospeso l'intermediario Rossi Spedizioni S.r.l."),
        "{page}"
    );
    // The entry's details give the name too, never the id.
    let seq: i64 = sqlx::query_scalar(
        "SELECT seq FROM audit_log WHERE action = 'practice.create' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .expect("seq");
    let (_, entry) = admin.get(&format!("/audit/{seq}")).await;
    assert!(entry.contains(ROSSI), "{entry}");
    assert!(!entry.contains(&rossi), "no raw id: {entry}");
}

fn fatturapa(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/fatturapa")
        .join(name);
    std::fs::read(path).expect("fixture")
}

async fn an_e_invoice_cannot_change_once_the_practice_is_sent(engine: Engine) {
    let (app, _) = demo(engine).await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let web = Browser::login(&app, email, password).await;
    let model = erp.new_model(LIGURE, json!({"origin_country": "IT"})).await;
    web.get(&format!("/models/{model}")).await;
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "einvoice",
            reqwest::multipart::Part::bytes(bytes).file_name("fattura.xml"),
        );
        let web = &web;
        let path = format!("/models/{model}/einvoices");
        async move { web.post_multipart(&path, form).await }
    };
    let (status, _, page) = upload(fatturapa("fpr12-export.xml")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut form: Value = erp.get_json(&format!("/api/v1/models/{model}")).await["form"].clone();
    for item in form["items"].as_array_mut().expect("items") {
        item["packages"] = json!("10 casse");
    }
    let r = erp
        .put(&format!("/api/v1/models/{model}"))
        .json(&json!({"form": form}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::OK);
    let signed = sign(&erp.xml(&model).await, "giulia");
    let r = erp.upload(signed, &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice: Value = r.json().await.expect("json");
    let id = practice["id"].as_str().expect("id").to_string();
    assert_eq!(
        erp.attach(&id, small_pdf(), "invoice").await.status(),
        StatusCode::CREATED
    );
    web.get(&format!("/practices/{id}")).await;
    let (status, _, _) = web.post_form(&format!("/practices/{id}/send"), &[]).await;
    assert!(status.is_redirection());
    let protocol: String =
        sqlx::query_scalar("SELECT protocol_number FROM practices WHERE id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .expect("protocol");
    let stored = sportello_core::trade::einvoice::for_model(&app.state.db, &model)
        .await
        .expect("e-invoices");
    assert_eq!(stored.len(), 1);
    // The model page says why and offers neither upload nor removal.
    let (_, page) = web.get(&format!("/models/{model}")).await;
    assert!(page.contains("data-testid=\"einvoice-locked\""), "{page}");
    assert!(page.contains(&protocol));
    assert!(!page.contains("data-testid=\"upload-einvoice\""));
    // Uploading or removing anyway is refused with the reason; nothing changes.
    let (status, _, page) = upload(fatturapa("fpr12-batch.xml")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("è già stata inviata"), "{page}");
    let (status, _, page) = web
        .post_form(
            &format!("/models/{model}/einvoices/{}/delete", stored[0].id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains(&protocol), "{page}");
    let after = sportello_core::trade::einvoice::for_model(&app.state.db, &model)
        .await
        .expect("e-invoices");
    assert_eq!(
        after.iter().map(|e| &e.id).collect::<Vec<_>>(),
        vec![&stored[0].id]
    );
    // The officer sees the e-invoice that was sent.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let (_, desk) = officer.get(&format!("/desk/practices/{id}")).await;
    assert!(desk.contains("fattura.xml"), "{desk}");
}

async fn a_goods_line_problem_is_shown_with_its_field_label(engine: Engine) {
    let (app, _) = demo(engine).await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let mut form = co_form();
    form["items"]
        .as_array_mut()
        .expect("items")
        .push(json!({"number": 2, "packages": "5 casse", "description": "", "quantity": "10 kg"}));
    let model = erp.new_model(LIGURE, form.clone()).await;
    let r = erp
        .put(&format!("/api/v1/models/{model}"))
        .json(&json!({"form": form}))
        .send()
        .await
        .expect("PUT");
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body["problems"],
        json!([{"field": "items.1.description", "code": "trade-field-required"}])
    );
    let (email, password) = TestApp::demo_login(Role::Company);
    let web = Browser::login(&app, email, password).await;
    web.get(&format!("/models/{model}")).await;
    let (status, _, page) = web
        .post_form(
            &format!("/models/{model}"),
            &[
                ("items.0.packages", "20 casse"),
                ("items.0.description", "Valvole"),
                ("items.0.quantity", "1.250 kg"),
                ("items.1.packages", "5 casse"),
                ("items.1.description", ""),
                ("items.1.quantity", "10 kg"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<a href=\"#items-1-description\">Descrizione delle merci</a>"),
        "{page}"
    );
}

async fn the_command_line_keeps_the_register_with_the_same_rules(engine: Engine) {
    use crate::cli::{sportello, text};
    let db = crate::helpers::TestDb::new(engine).await;
    let run = |args: &[&str]| sportello(Some(&db), args, "");
    let add = [
        "admin",
        "intermediary",
        "add",
        "--name",
        "Bianchi Consulenze S.r.l.",
        "--tax-code",
        NEW_VAT,
        "--email",
        "uffici@bianchi.test",
        "--kind",
        "trade-association",
    ];
    let first = run(&add);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // The same registration again prints the same id.
    let again = run(&add);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&first.stdout), text(&again.stdout));
    let id = text(&first.stdout).trim().to_string();
    // A wrong check digit is refused, as on the page.
    let mut bad = add;
    bad[6] = BAD_VAT;
    let out = run(&bad);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("check digit"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&[
        "admin",
        "intermediary",
        "invite",
        "--intermediary",
        &id,
        "--tax-code",
        "RSSMRA80A01H501U",
        "--email",
        "mario@example.test",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("invited "));
    let out = run(&["admin", "intermediary", "suspend", "--intermediary", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["admin", "intermediary", "list"]);
    let list = text(&out.stdout);
    assert!(
        list.contains(
            "Bianchi Consulenze S.r.l.\tuffici@bianchi.test\ttrade_association\tsuspended"
        ),
        "{list}"
    );
}
