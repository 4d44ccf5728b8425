//! Contract snapshots: the API's documents as a client receives them (the problem documents
//! of its errors, one success document per resource, the whole OpenAPI document), compared
//! with the files in `snapshots/`. Any change to what clients see shows in review as a
//! snapshot diff. On SQLite only: the documents do not depend on the engine.
//!
//! What varies from run to run is redacted: ids (UUIDs), API tokens, incident ids, hashes of
//! documents with random content. Instants need no redaction: the clock is the test's own.

use crate::devices::{odr_id, operator_id, set_fees};
use crate::helpers::TestApp;
use crate::ra::{VERDI, active_rao, setup, token};
use crate::trade::{DETAILS, Erp, LIGURE, co_form, ready_practice, sign, small_pdf};
use insta::assert_json_snapshot;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

/// A response as the contract has it: status, media type and body.
struct Doc {
    status: u16,
    content_type: String,
    body: Value,
}

impl Doc {
    async fn of(r: reqwest::Response) -> Doc {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Doc {
            status,
            content_type,
            body,
        }
    }

    /// The `id` of the document, for the next call.
    fn id(&self) -> String {
        self.body["id"].as_str().unwrap().to_string()
    }

    /// What the snapshot holds.
    fn redacted(&self) -> Value {
        json!({"status": self.status, "content_type": self.content_type, "body": redact(self.body.clone())})
    }
}

/// The redacted document of a response.
async fn doc(r: reqwest::Response) -> Value {
    Doc::of(r).await.redacted()
}

/// Status and media type of a response whose body is a file (XML, PDF).
fn media(r: &reqwest::Response) -> Value {
    let content_type = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    json!({"status": r.status().as_u16(), "content_type": content_type})
}

/// Replaces what differs between runs with a placeholder naming it.
fn redact(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(redact_ids(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "token" => json!("[token]"),
                        "incident" => json!("[incident]"),
                        // A certificate's PDF holds its random security code.
                        "pdf_sha256" => json!("[sha256]"),
                        // The model's XML carries the second it was created at.
                        "model_sha256" => json!("[sha256]"),
                        _ => redact(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// Every UUID in `s`, hyphenated or simple, becomes `[id]` (also inside longer texts).
fn redact_ids(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    let is_uuid = |at: usize, len: usize| -> bool {
        if at + len > b.len() || (at > 0 && hex(at - 1)) || hex(at + len) {
            return false;
        }
        (at..at + len).all(|i| {
            let dash = len == 36 && matches!(i - at, 8 | 13 | 18 | 23);
            if dash { b[i] == b'-' } else { hex(i) }
        })
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if let Some(len) = [36, 32].into_iter().find(|&len| is_uuid(i, len)) {
            out.push_str("[id]");
            i += len;
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[test]
fn redaction_replaces_uuids_and_keeps_everything_else() {
    assert_eq!(
        redact_ids("/x/0192f1c2-7d3a-7b4c-9e5f-0a1b2c3d4e5f/y 0192f1c27d3a7b4c9e5f0a1b2c3d4e5f."),
        "/x/[id]/y [id]."
    );
    let sha256 = "a".repeat(64);
    assert_eq!(redact_ids(&sha256), sha256, "a longer hex string is no id");
    assert_eq!(redact_ids("C26GE0000001 àè"), "C26GE0000001 àè");
}

async fn app() -> TestApp {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let spec: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_json_snapshot!("openapi", spec);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_documents() {
    let app = app().await;
    let http = reqwest::Client::new();
    let company = Erp::demo(&app, Role::Company).await;

    let r = http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_json_snapshot!("error_401_no_token", doc(r).await);

    let (email, _) = TestApp::demo_login(Role::Company);
    let r = http
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": "wrong-password"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_401_wrong_password", doc(r).await);

    let r = company.get("/api/v1/devices/stock").send().await.unwrap();
    assert_json_snapshot!("error_403_wrong_role", doc(r).await);

    let r = company.get("/api/v1/nowhere").send().await.unwrap();
    assert_json_snapshot!("error_404_unknown_route", doc(r).await);

    let r = company
        .get("/api/v1/practices/0192f1c2-7d3a-7b4c-9e5f-0a1b2c3d4e5f")
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_404_unknown_practice", doc(r).await);

    let r = company.put("/api/v1/me").send().await.unwrap();
    assert_json_snapshot!("error_405", doc(r).await);

    let rao = token(&app, Role::Rao).await;
    let r = http
        .get(app.url("/api/v1/devices/free-eligibility?company_tax_code=123&device=floppy"))
        .bearer_auth(&rao)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_422_field_errors", doc(r).await);

    let r = company
        .post("/api/v1/models")
        .json(&json!({"type": "certificate_of_origin"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_422_unreadable_body", doc(r).await);

    let r = company.upload(b"not signed".to_vec(), &DETAILS).await;
    assert_json_snapshot!("error_422_not_signed", doc(r).await);

    let too_large = vec![0x30; sportello_core::trade::practice::create::MAX_SIGNED_MODEL_BYTES + 1];
    let r = company.upload(too_large, &DETAILS).await;
    assert_json_snapshot!("error_413_too_large", doc(r).await);

    let master = token(&app, Role::MasterRao).await;
    let sara = operator_id(&app, "rao@demo.sportello.test").await;
    let r = http
        .post(app.url("/api/v1/devices/withdrawals"))
        .bearer_auth(&master)
        .json(&json!({"destination": "operator_box", "operator_id": sara, "smart_cards": 500}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_409_conflict", doc(r).await);

    // €5 + 20 copies × €5 = €105 against the demo's €50.
    company.complete_profile(LIGURE).await;
    let id = ready_practice(&company, &[("copies", "20")]).await;
    let r = company
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_402_insufficient_balance", doc(r).await);

    let mut last = None;
    for _ in 0..25 {
        let r = http
            .get(app.url("/api/v1/verify/C26GE9999999?code=NOPE"))
            .send()
            .await
            .unwrap();
        if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            last = Some(doc(r).await);
            break;
        }
    }
    assert_json_snapshot!("error_429_too_many_requests", last.expect("rate limited"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_documents() {
    let app = app().await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("auth_token", doc(r).await);
    let company = Erp::demo(&app, Role::Company).await;
    let r = company.get("/api/v1/me").send().await.unwrap();
    assert_json_snapshot!("me", doc(r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_documents() {
    let app = app().await;
    let erp = Erp::demo(&app, Role::Company).await;
    let r = erp
        .get(&format!("/api/v1/registry/companies?tax_code={LIGURE}"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("registry_companies", doc(r).await);

    let site = erp.head_office(LIGURE).await;
    let r = erp
        .post("/api/v1/models")
        .json(
            &json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": site,
                      "form": {"consignee": {"name": "ACME"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("model_created_incomplete", doc(r).await);
    let model = erp.new_model(LIGURE, co_form()).await;
    let r = erp
        .put(&format!("/api/v1/models/{model}"))
        .json(&json!({"form": co_form()}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("model_updated", doc(r).await);
    let r = erp
        .get(&format!("/api/v1/models/{model}"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("model", doc(r).await);
    let xml = erp
        .get(&format!("/api/v1/models/{model}/xml"))
        .send()
        .await
        .unwrap();
    let preview = erp
        .get(&format!("/api/v1/models/{model}/preview.pdf"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!(
        "model_files",
        json!({"xml": media(&xml), "preview.pdf": media(&preview)})
    );

    let r = erp
        .put("/api/v1/profile")
        .json(&json!({"company_tax_code": LIGURE, "tax_code": LIGURE,
                      "delivery_address": "Via XX Settembre 12", "postcode": "16121",
                      "municipality": "Genova", "province": "GE",
                      "notification_email": "export@ligure-export.test"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("profile_updated", doc(r).await);
    let signed = sign(&erp.xml(&model).await, "giulia");
    let r = erp.upload(signed, &DETAILS).await;
    assert_json_snapshot!("practice_created", doc(r).await);
    let id = ready_practice(&erp, &[]).await;
    let r = erp.attach(&id, small_pdf(), "invoice").await;
    assert_json_snapshot!("attachment_added", doc(r).await);
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .header("Idempotency-Key", "erp-order-77")
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("practice_sent", doc(r).await);
    let r = erp
        .get(&format!("/api/v1/practices/{id}"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("practice", doc(r).await);
    let r = erp.get("/api/v1/practices?list=sent").send().await.unwrap();
    assert_json_snapshot!("practices_list", doc(r).await);
    let r = erp.get("/api/v1/wallet").send().await.unwrap();
    assert_json_snapshot!("wallet", doc(r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_documents() {
    let app = app().await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let mut sent = Vec::new();
    for _ in 0..3 {
        let id = ready_practice(&company, &[]).await;
        let r = company
            .post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        sent.push(id);
    }
    let [approved, rectified, rejected] = [&sent[0], &sent[1], &sent[2]];

    let r = officer
        .post(&format!("/api/v1/practices/{approved}/take"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("desk_take", doc(r).await);
    let r = officer
        .post(&format!("/api/v1/practices/{approved}/approve"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("desk_approve", doc(r).await);
    let r = company
        .get(&format!("/api/v1/practices/{approved}/certificate.pdf"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("certificate_file", media(&r));
    let r = officer
        .post(&format!(
            "/api/v1/practices/{rectified}/request-rectification"
        ))
        .json(&json!({"reason": "Manca la packing list", "fields": ["attachments"]}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("desk_request_rectification", doc(r).await);
    let r = officer
        .post(&format!("/api/v1/practices/{rejected}/reject"))
        .json(&json!({"reason": "Merce non di origine italiana"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("desk_reject", doc(r).await);

    // The public verification of the approved certificate, with the code printed on it.
    let (id, number): (String, String) =
        sqlx::query_as("SELECT id, number FROM certificates WHERE practice_id = $1")
            .bind(approved)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let code = sportello_core::trade::desk::security_code::reveal(&app.state, &id)
        .await
        .unwrap()
        .unwrap();
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/verify/{number}?code={code}")))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("verify", doc(r).await);

    let r = officer
        .post(&format!("/api/v1/practices/{approved}/cancel"))
        .json(&json!({"reason": "Errore materiale nel destinatario"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("desk_cancel", doc(r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ra_documents() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let master = setup(&app).await;
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = reqwest::Client::new()
            .request(method, app.url(path))
            .bearer_auth(&master);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let r = call(
        reqwest::Method::POST,
        "/api/v1/ra/operators",
        Some(json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
                    "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false})),
    )
    .await
    .unwrap();
    let created = Doc::of(r).await;
    assert_json_snapshot!("ra_operator_created", created.redacted());
    let odr = created.id();
    crate::ra::sign_letter(&app, &odr).await;
    let r = call(
        reqwest::Method::POST,
        &format!("/api/v1/ra/operators/{odr}/mandate"),
        Some(json!({"protocol_date": "2026-11-20"})),
    )
    .await
    .unwrap();
    assert_json_snapshot!("ra_mandate", doc(r).await);

    let rao = active_rao(&app, &master, "m.rossi@camera.test").await;
    let r = call(
        reqwest::Method::GET,
        &format!("/api/v1/ra/operators/{rao}"),
        None,
    )
    .await
    .unwrap();
    assert_json_snapshot!("ra_operator", doc(r).await);
    let r = call(
        reqwest::Method::POST,
        &format!("/api/v1/ra/operators/{rao}/course"),
        Some(json!({"score_percent": 95, "passed_on": "2026-11-25"})),
    )
    .await
    .unwrap();
    assert_json_snapshot!("ra_course", doc(r).await);
    let r = call(
        reqwest::Method::POST,
        &format!("/api/v1/ra/operators/{rao}/revoke"),
        Some(
            json!({"effective": "2026-11-25", "notice_received_on": null, "reason": "Dimissioni"}),
        ),
    )
    .await
    .unwrap();
    assert_json_snapshot!("ra_revoke", doc(r).await);

    // A renewal names the mandates it could extend; extending them is a separate call.
    let r = call(
        reqwest::Method::PUT,
        "/api/v1/ra/convention",
        Some(json!({"start": "2029-07-29", "end": "2035-07-28"})),
    )
    .await
    .unwrap();
    assert_json_snapshot!("ra_convention", doc(r).await);
    let r = call(
        reqwest::Method::POST,
        "/api/v1/ra/convention/extend-mandates",
        Some(json!({"operator_ids": [odr]})),
    )
    .await
    .unwrap();
    assert_json_snapshot!("ra_extend_mandates", doc(r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_documents() {
    let app = app().await;
    let master = token(&app, Role::MasterRao).await;
    let rao = token(&app, Role::Rao).await;
    let http = reqwest::Client::new();
    let r = http
        .get(app.url("/api/v1/devices/stock"))
        .bearer_auth(&master)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("devices_stock", doc(r).await);

    let sara = operator_id(&app, "rao@demo.sportello.test").await;
    let r = http
        .post(app.url("/api/v1/devices/withdrawals"))
        .bearer_auth(&master)
        .json(
            &json!({"destination": "operator_box", "operator_id": sara, "smart_cards": 2,
                      "tokens": 0, "request_key": "k-1"}),
        )
        .send()
        .await
        .unwrap();
    let requested = Doc::of(r).await;
    assert_json_snapshot!("devices_withdrawal_requested", requested.redacted());
    let id = requested.id();
    let r = http
        .post(app.url(&format!("/api/v1/devices/withdrawals/{id}/approve")))
        .bearer_auth(&rao)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("devices_withdrawal_approved", doc(r).await);

    let odr = odr_id(&app).await;
    let r = http
        .get(app.url(&format!("/api/v1/devices/advance-accounts/{odr}")))
        .bearer_auth(&master)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("devices_advance_account", doc(r).await);
    let r = http
        .post(app.url(&format!("/api/v1/devices/advance-accounts/{odr}/top-ups")))
        .bearer_auth(&master)
        .json(&json!({"amount": "100.00", "reference": "Bonifico 2026/88"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("devices_advance_top_up", doc(r).await);

    set_fees(&app, LIGURE, &[2024, 2025, 2026]).await;
    let r = http
        .get(app.url(&format!(
            "/api/v1/devices/free-eligibility?company_tax_code={LIGURE}&device=smart_card"
        )))
        .bearer_auth(&rao)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("devices_free_eligibility", doc(r).await);
}
