//! Foreign-trade documents, company side, through the JSON API as an ERP would use it:
//! base model → XML → signature by OpenSSL → practice → attachments → send.

use crate::engine_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::{NewUser, Role};
use sportello_core::db::Engine;
use std::path::{Path, PathBuf};

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/pki")
        .join(name)
}

/// Signs `content` as a company would: CAdES, attached, made by OpenSSL.
pub fn sign(content: &[u8], signer: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xml");
    let output = dir.path().join("out.p7m");
    std::fs::write(&input, content).unwrap();
    let status = std::process::Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-md",
            "sha256",
            "-outform",
            "DER",
        ])
        .arg("-in")
        .arg(&input)
        .arg("-signer")
        .arg(pki(&format!("{signer}.pem")))
        .arg("-inkey")
        .arg(pki(&format!("{signer}.key")))
        .arg("-certfile")
        .arg(pki("inter.pem"))
        .arg("-out")
        .arg(&output)
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl cms -sign failed");
    std::fs::read(output).unwrap()
}

/// A one-page PDF, as an invoice scan would be.
pub fn small_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

pub fn co_form() -> Value {
    json!({
        "consignee": {"name": "ACME Trading LLC", "address": "1200 Harbor Blvd, Long Beach CA 90802", "country": "US"},
        "origin_country": "IT",
        "transport": "Nave da Genova a Long Beach",
        "remarks": "Invoice No. 2026/118 of 20/11/2026",
        "items": [{"number": 1, "marks": "ACME 1-20", "packages": "20 casse di legno",
                   "description": "Valvole a sfera in acciaio inox", "quantity": "1.250 kg lordi"}],
        "invoices": [{"number": "2026/118", "date": "2026-11-20", "amount": "15400.00"}]
    })
}

/// An API client for one demo user.
pub struct Erp {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Erp {
    pub async fn login(app: &TestApp, email: &str, password: &str) -> Erp {
        let client = reqwest::Client::new();
        let r = client
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let token = r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        Erp {
            client,
            base: app.base.clone(),
            token,
        }
    }

    pub async fn demo(app: &TestApp, role: Role) -> Erp {
        let (email, password) = TestApp::demo_login(role);
        Erp::login(app, email, password).await
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Looks the company up and creates a certificate-of-origin model; returns its id.
    pub async fn new_model(&self, tax_code: &str, form: Value) -> String {
        let companies = self
            .get_json(&format!("/api/v1/registry/companies?tax_code={tax_code}"))
            .await;
        let site_id = companies[0]["sites"][0]["id"].as_str().unwrap().to_string();
        let r = self
            .post("/api/v1/models")
            .json(&json!({"type": "certificate_of_origin", "company_tax_code": tax_code, "site_id": site_id, "form": form}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn xml(&self, model_id: &str) -> Vec<u8> {
        let r = self
            .get(&format!("/api/v1/models/{model_id}/xml"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.bytes().await.unwrap().to_vec()
    }

    /// The id of the first site (the head office) the Registry lists for `tax_code`.
    pub async fn head_office(&self, tax_code: &str) -> String {
        let companies = self
            .get_json(&format!("/api/v1/registry/companies?tax_code={tax_code}"))
            .await;
        companies[0]["sites"][0]["id"].as_str().unwrap().to_string()
    }

    /// GETs `path` and returns its JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).send().await.unwrap().json().await.unwrap()
    }

    pub async fn complete_profile(&self, tax_code: &str) {
        let r = self
            .put("/api/v1/profile")
            .json(&json!({"company_tax_code": tax_code, "tax_code": tax_code, "delivery_address": "Via XX Settembre 12",
                          "postcode": "16121", "municipality": "Genova", "province": "GE",
                          "notification_email": "export@ligure-export.test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::NO_CONTENT,
            "{}",
            r.text().await.unwrap()
        );
    }

    /// Uploads a signed model; returns the raw response.
    pub async fn upload(&self, signed: Vec<u8>, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().part(
            "signed_model",
            reqwest::multipart::Part::bytes(signed).file_name("modello.xml.p7m"),
        );
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        self.post("/api/v1/practices")
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn attach(&self, practice_id: &str, bytes: Vec<u8>, code: &str) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("fattura.pdf"),
            )
            .text("description", "Fattura di esportazione 2026/118")
            .text("code", code.to_string());
        self.post(&format!("/api/v1/practices/{practice_id}/attachments"))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

pub const LIGURE: &str = "01879020517";
pub const TIGULLIO: &str = "03358520967";
pub const DETAILS: [(&str, &str); 4] = [
    ("desk", "GE-GENOVA"),
    ("proforma", "false"),
    ("goods_location", "Magazzino Via Rubattino 4, Genova"),
    ("print_mode", "blank_paper"),
];

/// A company user of another company (Tigullio Meccanica), to test that data stays apart.
pub async fn other_company_user(app: &TestApp) -> Erp {
    let company = sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(TIGULLIO).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    sportello_core::accounts::create_user(
        &app.state,
        &sportello_core::audit::Actor::cli(),
        NewUser {
            email: "export@tigullio.test".into(),
            name: "Marta Sanna".into(),
            password: "tigullio-password".into(),
            role: Role::Company,
            chamber_id: None,
            desk_ids: Vec::new(),
            company_ids: vec![company.id],
            tax_code: None,
        },
    )
    .await
    .unwrap();
    Erp::login(app, "export@tigullio.test", "tigullio-password").await
}

/// Creates a practice ready to send; returns its id.
pub async fn ready_practice(erp: &Erp, extra: &[(&str, &str)]) -> String {
    let model = erp.new_model(LIGURE, co_form()).await;
    let signed = sign(&erp.xml(&model).await, "giulia");
    // Extra fields replace the defaults of the same name.
    let mut fields: Vec<(&str, &str)> = DETAILS
        .iter()
        .copied()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .collect();
    fields.extend_from_slice(extra);
    let r = erp.upload(signed, &fields).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn balance(app: &TestApp, tax_code: &str) -> i64 {
    let c = sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(tax_code).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let b = sportello_core::wallet::balance(
        &app.state.db,
        &c.id,
        &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap();
    assert_eq!(
        b,
        sportello_core::wallet::ledger_sum(
            &app.state.db,
            &c.id,
            &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
                .await
                .unwrap()
                .unwrap()
                .id
        )
        .await
        .unwrap(),
        "balance equals the ledger"
    );
    b.cents()
}

async fn count(app: &TestApp, table: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

engine_tests!(
    an_erp_client_goes_from_an_empty_model_to_a_sent_practice,
    bad_uploads_say_exactly_what_is_wrong_and_create_nothing,
    insufficient_balance_sends_nothing_and_says_how_much_is_missing,
    concurrent_sends_of_one_practice_charge_once,
    a_company_token_cannot_reach_another_companys_data,
    missing_details_are_named_before_sending,
    lists_show_each_practice_where_it_belongs_and_search_finds_it,
);

async fn an_erp_client_goes_from_an_empty_model_to_a_sent_practice(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    // An incomplete draft is saved, and says what is missing.
    let companies = erp
        .get_json(&format!("/api/v1/registry/companies?tax_code={LIGURE}"))
        .await;
    assert_eq!(
        companies[0]["sites"].as_array().unwrap().len(),
        2,
        "head office and local unit"
    );
    let site = companies[0]["sites"][0]["id"].as_str().unwrap();
    let r = erp
        .post("/api/v1/models")
        .json(&json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": site, "form": {"consignee": {"name": "ACME"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let draft: Value = r.json().await.unwrap();
    assert_eq!(draft["complete"], false);
    assert!(
        draft["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["field"] == "invoices")
    );
    let model_id = draft["id"].as_str().unwrap();
    let r = erp
        .get(&format!("/api/v1/models/{model_id}/xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no XML of an incomplete model"
    );
    // Completed, it has an XML and a preview.
    let r = erp
        .put(&format!("/api/v1/models/{model_id}"))
        .json(&json!({"form": co_form()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["complete"], true);
    let xml = erp.xml(model_id).await;
    assert!(String::from_utf8_lossy(&xml).contains("ACME Trading LLC"));
    assert_eq!(
        erp.xml(model_id).await,
        xml,
        "the same version gives the same bytes"
    );
    let preview = erp
        .get(&format!("/api/v1/models/{model_id}/preview.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.headers()["content-type"], "application/pdf");
    assert!(preview.bytes().await.unwrap().starts_with(b"%PDF-"));

    erp.complete_profile(LIGURE).await;
    let r = erp.upload(sign(&xml, "giulia"), &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice: Value = r.json().await.unwrap();
    assert_eq!(practice["status"], "draft");
    assert_eq!(practice["fee_cents"], 1000, "certificate + mandatory copy");
    assert_eq!(
        practice["signers"][0],
        "CN=GIULIA BIANCHI,serialNumber=TINIT-BNCGLI85M41D969D,GN=GIULIA,SN=BIANCHI,C=IT"
    );
    let id = practice["id"].as_str().unwrap();
    let r = erp.attach(id, small_pdf(), "invoice").await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let before = balance(&app, LIGURE).await;
    let send = |key: &'static str| {
        erp.post(&format!("/api/v1/practices/{id}/send"))
            .header("Idempotency-Key", key)
            .send()
    };
    let r = send("erp-order-77").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sent: Value = r.json().await.unwrap();
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["protocol_number"], "GE/2026/0000001");
    assert_eq!(sent["charged_cents"], 1000);
    // A retry with the same key answers the same and charges nothing more.
    let again: Value = send("erp-order-77").await.unwrap().json().await.unwrap();
    assert_eq!(again["protocol_number"], "GE/2026/0000001");
    assert_eq!(balance(&app, LIGURE).await, before - 1000);

    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(history, vec!["draft", "sent"]);
    let wallet = erp.get_json("/api/v1/wallet").await;
    assert_eq!(wallet["balance_cents"], before - 1000);
    assert_eq!(wallet["entries"][0]["kind"], "charge");

    assert_eq!(app.run_jobs().await, 1);
    let mail = app.smtp.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["export@ligure-export.test".to_string()]);
    assert!(mail[0].data.contains("GE/2026/0000001"));
}

async fn bad_uploads_say_exactly_what_is_wrong_and_create_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    let model = erp.new_model(LIGURE, co_form()).await;
    let xml = erp.xml(&model).await;
    let code_of = |r: reqwest::Response| async move {
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p: Value = r.json().await.unwrap();
        (
            p["code"].as_str().unwrap().to_string(),
            p["detail"].as_str().unwrap().to_string(),
        )
    };
    // The XML itself, not signed.
    let (code, detail) = code_of(erp.upload(xml.clone(), &DETAILS).await).await;
    assert_eq!(code, "not_signed");
    assert!(detail.contains("non è firmato"), "{detail}");
    // Signed, then one byte of the signed content changed.
    let mut tampered = sign(&xml, "giulia");
    let at = tampered.windows(8).position(|w| w == b"ACME Tra").unwrap();
    tampered[at] = b'X';
    let (code, detail) = code_of(erp.upload(tampered, &DETAILS).await).await;
    assert_eq!(code, "signature_invalid");
    assert!(detail.contains("modificato"), "{detail}");
    // A valid signature on something that is not one of our models.
    let (code, _) = code_of(
        erp.upload(sign(b"<fattura>altro</fattura>", "giulia"), &DETAILS)
            .await,
    )
    .await;
    assert_eq!(code, "model_mismatch");
    // The same content under another file name is still recognised (by hash): see the
    // successful uploads in the other tests, whose file name is always "modello.xml.p7m".
    // A model of another company.
    let other = other_company_user(&app).await;
    let their_model = other.new_model(TIGULLIO, co_form()).await;
    let their_signed = sign(&other.xml(&their_model).await, "paolo");
    let (code, _) = code_of(erp.upload(their_signed, &DETAILS).await).await;
    assert_eq!(code, "model_other_company");
    assert_eq!(count(&app, "practices").await, 0, "nothing was created");
}

async fn insufficient_balance_sends_nothing_and_says_how_much_is_missing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    // €5 + 20 copies × €5 = €105 against the demo's €50.
    let id = ready_practice(&erp, &[("copies", "20")]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "insufficient_balance");
    assert!(p["detail"].as_str().unwrap().contains("55,00 €"), "{p}");
    assert_eq!(balance(&app, LIGURE).await, 5000);
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(detail["status"], "draft");
    assert!(detail["protocol_number"].is_null());
    assert_eq!(app.run_jobs().await, 0, "no e-mail");
    // The protocol number was not used up: the next sent practice takes number 1.
    let cheap = ready_practice(&erp, &[]).await;
    let sent: Value = erp
        .post(&format!("/api/v1/practices/{cheap}/send"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["protocol_number"], "GE/2026/0000001");
}

async fn concurrent_sends_of_one_practice_charge_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = ready_practice(&erp, &[]).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let req = erp.post(&format!("/api/v1/practices/{id}/send"));
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().json::<Value>().await.unwrap()
        }));
    }
    let mut charged = 0;
    let mut numbers = std::collections::BTreeSet::new();
    for t in tasks {
        let v = t.await.unwrap();
        charged += v["charged_cents"].as_i64().unwrap();
        numbers.insert(v["protocol_number"].as_str().unwrap().to_string());
    }
    assert_eq!(charged, 1000, "charged once");
    assert_eq!(numbers.len(), 1, "one protocol number");
    assert_eq!(balance(&app, LIGURE).await, 4000);
}

async fn a_company_token_cannot_reach_another_companys_data(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let owner = Erp::demo(&app, Role::Company).await;
    owner.complete_profile(LIGURE).await;
    let model = owner.new_model(LIGURE, co_form()).await;
    let practice = ready_practice(&owner, &[]).await;
    let other = other_company_user(&app).await;
    for path in [
        format!("/api/v1/models/{model}"),
        format!("/api/v1/models/{model}/xml"),
        format!("/api/v1/models/{model}/preview.pdf"),
        format!("/api/v1/practices/{practice}"),
    ] {
        let r = other.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "GET {path}");
    }
    let r = other
        .put(&format!("/api/v1/models/{model}"))
        .json(&json!({"form": co_form()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other
            .attach(&practice, small_pdf(), "invoice")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = other
        .post(&format!("/api/v1/practices/{practice}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = other
        .get(&format!("/api/v1/wallet?company_tax_code={LIGURE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = other
        .post("/api/v1/models")
        .json(&json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": "x", "form": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let list = other.get_json("/api/v1/practices?list=to_send").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Roles without company access are refused outright.
    for role in [Role::Officer, Role::ChamberAdmin, Role::Auditor] {
        let erp = Erp::demo(&app, role).await;
        assert_eq!(
            erp.get("/api/v1/practices").send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{role}"
        );
        assert_eq!(
            erp.get(&format!("/api/v1/models/{model}"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
    // Nothing of the owner's changed.
    assert_eq!(balance(&app, LIGURE).await, 5000);
}

async fn missing_details_are_named_before_sending(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    let model = erp.new_model(LIGURE, co_form()).await;
    let signed = sign(&erp.xml(&model).await, "giulia");
    let r = erp.upload(signed, &[("desk", "GE-GENOVA")]).await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"proforma"), "{fields:?}");
    assert!(fields.contains(&"goods_location"), "{fields:?}");
    assert!(fields.contains(&"profile"), "{fields:?}");
    assert_eq!(balance(&app, LIGURE).await, 5000);
    // An unknown desk is named too.
    let signed = sign(&erp.xml(&model).await, "giulia");
    let r = erp.upload(signed, &[("desk", "XX-NOWHERE")]).await;
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "desk");
}

async fn lists_show_each_practice_where_it_belongs_and_search_finds_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let draft = ready_practice(&erp, &[]).await;
    let sent = ready_practice(&erp, &[]).await;
    erp.post(&format!("/api/v1/practices/{sent}/send"))
        .send()
        .await
        .unwrap();
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let to_send = erp.get_json("/api/v1/practices?list=to_send").await;
    assert_eq!(ids(to_send), vec![draft.clone()]);
    let sent_list = erp.get_json("/api/v1/practices?list=sent").await;
    assert_eq!(ids(sent_list), vec![sent.clone()]);
    let by_invoice = erp
        .get_json("/api/v1/practices?list=sent&invoice=2026/118")
        .await;
    assert_eq!(ids(by_invoice), vec![sent.clone()]);
    let by_consignee = erp
        .get_json("/api/v1/practices?list=sent&consignee=acme")
        .await;
    assert_eq!(ids(by_consignee), vec![sent.clone()]);
    let by_protocol = erp
        .get_json("/api/v1/practices?list=sent&protocol=GE/2026/0000001")
        .await;
    assert_eq!(ids(by_protocol), vec![sent.clone()]);
    let none = erp
        .get_json("/api/v1/practices?list=sent&invoice=nope")
        .await;
    assert!(ids(none).is_empty());
    let future = erp
        .get_json("/api/v1/practices?list=sent&from=2026-12-01")
        .await;
    assert!(ids(future).is_empty());
    let archive = erp.get_json("/api/v1/practices?list=archive").await;
    assert!(ids(archive).is_empty());
    let r = erp
        .get("/api/v1/practices?list=bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
