//! A rectification that corrects the signed model (Cert'O guide, slide 60: the office asks for
//! a rectification "per aggiungere un allegato o correzioni di compilazione" and the company has
//! 24 hours): the officer names fields from the practice type's list, the company edits the
//! model, signs the new XML and uploads it to the same practice, resends, and the officer sees
//! what changed. Every other upload is refused, saying why, and changes nothing.

use crate::desk::balance;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{DETAILS, Erp, LIGURE, TIGULLIO, co_form, other_company_user, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    a_rectification_replaces_the_signed_model_and_the_officer_sees_what_changed,
    a_signed_model_is_replaced_only_by_a_good_file_in_time_and_a_refusal_changes_nothing,
    a_resend_after_a_re_signed_model_charges_the_difference,
    an_officer_names_only_fields_of_the_practice_type,
    the_company_page_flags_the_fields_and_replaces_the_model,
);

/// A company with a complete profile, a sent certificate-of-origin practice; returns
/// (company, model id, practice id).
async fn sent(app: &TestApp) -> (Erp, String, String) {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let model = erp.new_model(LIGURE, co_form()).await;
    let r = erp
        .upload(sign(&erp.xml(&model).await, "giulia"), &DETAILS)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    (erp, model, id)
}

async fn ask_rectification(officer: &Erp, id: &str, fields: &[&str]) -> reqwest::Response {
    officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Il paese del destinatario è sbagliato", "fields": fields}))
        .send()
        .await
        .unwrap()
}

/// The model corrected as the office asked: another consignee country, one more item.
fn corrected_form() -> Value {
    let mut form = co_form();
    form["consignee"]["country"] = json!("CA");
    form["items"][0]["quantity"] = json!("1.300 kg lordi");
    form
}

/// Saves `form` as the model's new content; returns the new XML to sign.
async fn edit_model(erp: &Erp, model: &str, form: Value) -> Vec<u8> {
    let r = erp
        .put(&format!("/api/v1/models/{model}"))
        .json(&json!({ "form": form }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    erp.xml(model).await
}

async fn put_signed(erp: &Erp, id: &str, signed: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "signed_model",
        reqwest::multipart::Part::bytes(signed).file_name("modello-corretto.xml.p7m"),
    );
    erp.put(&format!("/api/v1/practices/{id}/signed-model"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The refusal's status, code and message.
async fn refusal(r: reqwest::Response) -> (StatusCode, String, String) {
    let status = r.status();
    let p: Value = r.json().await.unwrap();
    (
        status,
        p["code"].as_str().unwrap_or_default().to_string(),
        p["detail"].as_str().unwrap_or_default().to_string(),
    )
}

/// Signs `content` with a certificate no chamber trusts (self-signed, made now by OpenSSL).
fn sign_untrusted(content: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let cert = dir.path().join("c.pem");
    let input = dir.path().join("in.xml");
    let output = dir.path().join("out.p7m");
    std::fs::write(&input, content).unwrap();
    let ok = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7300",
        ])
        .args([
            "-subj",
            "/CN=FIRMATARIO ESTRANEO/serialNumber=TINIT-BNCGLI85M41D969D",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl")
        .status
        .success();
    assert!(ok, "openssl req failed");
    let ok = std::process::Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-md",
            "sha256",
        ])
        .args(["-outform", "DER"])
        .arg("-in")
        .arg(&input)
        .arg("-signer")
        .arg(&cert)
        .arg("-inkey")
        .arg(&key)
        .arg("-out")
        .arg(&output)
        .status()
        .expect("openssl")
        .success();
    assert!(ok, "openssl cms -sign failed");
    std::fs::read(output).unwrap()
}

async fn a_rectification_replaces_the_signed_model_and_the_officer_sees_what_changed(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, model, id) = sent(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = ask_rectification(&officer, &id, &["consignee.country", "items"]).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // The company reads what to correct, by label, and by when.
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    let rect = &detail["rectification"];
    assert_eq!(rect["reason"], "Il paese del destinatario è sbagliato");
    assert!(rect["deadline"].is_string(), "{rect}");
    assert_eq!(rect["fields"][0]["name"], "consignee.country");
    assert_eq!(rect["fields"][0]["label"], "Paese del destinatario");
    assert_eq!(
        rect["fields"][1]["label"],
        "Caselle 6 e 7 — Merci e quantità"
    );
    let first = detail["signed_models"][0].clone();
    assert_eq!(detail["signed_models"].as_array().unwrap().len(), 1);
    assert!(first["sent_at"].is_string(), "the first model was sent");

    // Today's fault: the model could not be corrected. Now a new version is signed and
    // uploaded to the same practice.
    let xml = edit_model(&erp, &model, corrected_form()).await;
    let r = put_signed(&erp, &id, sign(&xml, "giulia")).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let replaced: Value = r.json().await.unwrap();
    assert_eq!(replaced["status"], "to_rectify");
    let models = replaced["signed_models"].as_array().unwrap();
    assert_eq!(models.len(), 2, "the previous signed model is kept");
    assert_eq!(models[0], first, "unchanged");
    assert_eq!(models[1]["model_version"], 2);
    assert!(models[1]["sent_at"].is_null(), "not sent yet");
    assert_eq!(models[1]["file_name"], "modello-corretto.xml.p7m");

    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(detail["status"], "sent");
    assert!(detail["rectification"].is_null());
    assert!(detail["signed_models"][1]["sent_at"].is_string());

    // The officer sees, field by field and in words, what changed, and both signed files.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let page = Browser::login(&app, email, password).await;
    let (status, html) = page.get(&format!("/desk/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let changes = html
        .split("data-testid=\"model-changes\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the changes are shown");
    assert!(changes.contains("Paese del destinatario"), "{changes}");
    assert!(
        changes.contains("Stati Uniti d&#39;America") || changes.contains("Stati Uniti d'America"),
        "{changes}"
    );
    assert!(changes.contains("Canada"), "{changes}");
    assert!(changes.contains("Quantità · Riga 1"), "{changes}");
    assert!(changes.contains("1.300 kg lordi"), "{changes}");
    assert!(
        !changes.contains("consignee.country"),
        "no paths for people"
    );
    assert!(
        !changes.contains("Destinatario<"),
        "unchanged fields are not listed"
    );
    let history = html.split("data-testid=\"signed-models\"").nth(1).unwrap();
    let links: Vec<&str> = history
        .split("href=\"")
        .skip(1)
        .take(2)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(links.len(), 2, "{history}");
    let (status, old) = page.bytes(links[0]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, new) = page.bytes(links[1]).await;
    assert_ne!(old, new, "each signed file is kept");

    // The practice is found by the corrected model's invoices, and the audit trail says so.
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'practice.signed_model.replace' AND entity_id = $1",
    )
    .bind(&id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

async fn a_signed_model_is_replaced_only_by_a_good_file_in_time_and_a_refusal_changes_nothing(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, model, id) = sent(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let xml = edit_model(&erp, &model, corrected_form()).await;
    let good = sign(&xml, "giulia");

    // Not in rectification: the practice is with the office.
    let (status, code, detail) = refusal(put_signed(&erp, &id, good.clone()).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "not_in_rectification")
    );
    assert!(detail.contains("rettificare"), "{detail}");

    assert_eq!(
        ask_rectification(&officer, &id, &["consignee.country"])
            .await
            .status(),
        StatusCode::OK
    );
    let before = erp.get_json(&format!("/api/v1/practices/{id}")).await;

    // Not signed.
    let (_, code, detail) = refusal(put_signed(&erp, &id, xml.clone()).await).await;
    assert_eq!(code, "not_signed");
    assert!(detail.contains("non è firmato"), "{detail}");
    // Signed by a certificate the chamber does not trust.
    let (status, code, _) = refusal(put_signed(&erp, &id, sign_untrusted(&xml)).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "signature_invalid")
    );
    // Something after the signed envelope.
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"<altro/>");
    let (_, code, _) = refusal(put_signed(&erp, &id, trailing).await).await;
    assert_eq!(code, "signature_invalid");
    // A model of another company.
    let other = other_company_user(&app).await;
    let theirs = other.new_model(TIGULLIO, co_form()).await;
    let (_, code, _) =
        refusal(put_signed(&erp, &id, sign(&other.xml(&theirs).await, "paolo")).await).await;
    assert_eq!(code, "model_other_company");
    // Another model of the same company (another practice's).
    let mut another_form = co_form();
    another_form["consignee"]["name"] = json!("Globex Corporation");
    let another = erp.new_model(LIGURE, another_form).await;
    let (_, code, detail) =
        refusal(put_signed(&erp, &id, sign(&erp.xml(&another).await, "giulia")).await).await;
    assert_eq!(code, "model_of_other_practice");
    assert!(detail.contains("non quello di questa pratica"), "{detail}");
    // The very model the practice already carries.
    let (_, code, _) = refusal(
        put_signed(
            &erp,
            &id,
            sign(
                &sportello_core::trade::model::version(&app.state.db, &model, 1)
                    .await
                    .unwrap()
                    .unwrap()
                    .xml,
                "giulia",
            ),
        )
        .await,
    )
    .await;
    assert_eq!(code, "same_model");
    // Another company's user cannot even see it; an officer may not upload.
    assert_eq!(
        put_signed(&other, &id, good.clone()).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        put_signed(&officer, &id, good.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    // After the deadline (before the expiry job runs), too late.
    app.clock.advance(chrono::Duration::hours(25));
    let (status, code, detail) = refusal(put_signed(&erp, &id, good.clone()).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "rectification_expired")
    );
    assert!(detail.contains("scaduto"), "{detail}");

    let after = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(
        after["signed_models"], before["signed_models"],
        "nothing was recorded"
    );
    assert_eq!(after["signers"], before["signers"]);
    let practice = sportello_core::trade::practice::get(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(practice.model_version, 1, "the practice keeps its model");
}

async fn a_resend_after_a_re_signed_model_charges_the_difference(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let start_erp = Erp::demo(&app, Role::Company).await;
    let start = balance(&start_erp).await;
    let (erp, model, id) = sent(&app).await;
    let paid = start - balance(&erp).await;
    assert_eq!(paid, 1000);
    let officer = Erp::demo(&app, Role::Officer).await;
    ask_rectification(&officer, &id, &["items", "copies"]).await;

    // The corrected model, re-signed, and three more copies (blank paper carries one).
    let xml = edit_model(&erp, &model, corrected_form()).await;
    assert_eq!(
        put_signed(&erp, &id, sign(&xml, "giulia")).await.status(),
        StatusCode::OK
    );
    let (email, password) = TestApp::demo_login(Role::Company);
    let page = Browser::login(&app, email, password).await;
    let (status, _, body) = page
        .post_form(
            &format!("/practices/{id}/details"),
            &[
                ("proforma", "false"),
                ("goods_location", "Magazzino Via Rubattino 4, Genova"),
                ("print_mode", "blank_paper"),
                ("copies", "4"),
            ],
        )
        .await;
    assert!(status.is_redirection(), "{status} {body}");
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    let resent: Value = r.json().await.unwrap();
    assert_eq!(resent["charged_cents"], 1500, "{resent}");
    assert_eq!(balance(&erp).await, start - 2500);
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(detail["fee_cents"], 2500);
    let sum: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM wallet_entries WHERE practice_id = $1",
    )
    .bind(&id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(sum, -2500, "the ledger of the practice is its fee");
}

async fn an_officer_names_only_fields_of_the_practice_type(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, _, id) = sent(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = ask_rectification(&officer, &id, &["consignee.country", "request"]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "validation_failed", "{p}");
    assert!(p.to_string().contains("request"), "{p}");
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(detail["status"], "sent", "nothing was asked");
    // The same field twice is named once.
    let r = ask_rectification(&officer, &id, &["remarks", "remarks", " attachments "]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    let names: Vec<&str> = detail["rectification"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["remarks", "attachments"]);
}

async fn the_company_page_flags_the_fields_and_replaces_the_model(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, model, id) = sent(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    ask_rectification(&officer, &id, &["consignee.country"]).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let page = Browser::login(&app, email, password).await;
    let (status, html) = page.get(&format!("/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("data-testid=\"rectify-deadline\""),
        "the deadline is shown"
    );
    assert!(
        html.contains("data-testid=\"flag-consignee-country\""),
        "flagged next to the field"
    );
    assert!(!html.contains("data-testid=\"flag-consignee-name\""));
    assert!(html.contains(&format!("href=\"/models/{model}/xml\"")));

    // A wrong file: the page says why, next to the field, with a 422.
    let form = reqwest::multipart::Form::new().part(
        "signed_model",
        reqwest::multipart::Part::bytes(b"non firmato".to_vec()).file_name("x.p7m"),
    );
    let (status, _, body) = page
        .post_multipart(&format!("/practices/{id}/signed-model"), form)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"signed_model-error\""),
        "the message is next to the field"
    );
    assert!(body.contains("non è firmato"));

    let xml = edit_model(&erp, &model, corrected_form()).await;
    let form = reqwest::multipart::Form::new().part(
        "signed_model",
        reqwest::multipart::Part::bytes(sign(&xml, "giulia")).file_name("corretto.xml.p7m"),
    );
    let (status, location, _) = page
        .post_multipart(&format!("/practices/{id}/signed-model"), form)
        .await;
    assert!(status.is_redirection(), "{status}");
    let location = location.unwrap();
    assert!(location.ends_with("?notice=model_replaced"), "{location}");
    let (_, html) = page.get(&location).await;
    assert!(html.contains("Il modello firmato è stato sostituito"));
    assert!(
        html.contains("Canada"),
        "the page shows the model now signed"
    );
}
