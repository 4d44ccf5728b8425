//! FatturaPA e-invoices (issue 15, item 5): uploaded to a base model they prefill the form for
//! the company to review; at send the invoice table is checked against them, for the company
//! and for the officer; hostile or malformed files are refused with a message and nothing is
//! stored; another company reads nothing.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{DETAILS, Erp, LIGURE, other_company_user, sign, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use std::path::{Path, PathBuf};

engine_tests!(
    an_e_invoice_prefills_the_certificate_and_a_mismatch_is_shown_before_sending_and_to_the_officer,
    hostile_or_foreign_files_are_refused_and_nothing_is_stored,
    another_company_cannot_read_or_change_the_e_invoices_of_a_model,
    a_signed_e_invoice_is_opened_and_its_signer_shown
);

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/fatturapa")
        .join(name);
    std::fs::read(path).expect("fixture")
}

async fn upload(b: &Browser, model: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new().part(
        "einvoice",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let (status, _, body) = b
        .post_multipart(&format!("/models/{model}/einvoices"), form)
        .await;
    (status, body)
}

async fn company(app: &TestApp) -> (Erp, Browser) {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    (erp, Browser::login(app, email, password).await)
}

async fn stored_einvoices(app: &TestApp, model: &str) -> usize {
    sportello_core::trade::einvoice::for_model(&app.state.db, model)
        .await
        .expect("e-invoices")
        .len()
}

async fn an_e_invoice_prefills_the_certificate_and_a_mismatch_is_shown_before_sending_and_to_the_officer(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, b) = company(&app).await;
    let model = erp.new_model(LIGURE, json!({"origin_country": "IT"})).await;
    b.get(&format!("/models/{model}")).await;

    let (status, page) = upload(
        &b,
        &model,
        "IT00743110157_00001.xml",
        fixture("fpr12-export.xml"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("data-testid=\"einvoice-notice\""), "{page}");
    assert!(page.contains("destinatario compilato"));
    assert!(page.contains("2 righe di merci aggiunte"));
    assert!(
        page.contains("value=\"ACME Trading LLC\""),
        "consignee prefilled"
    );
    assert!(
        page.contains("value=\"1.200 PZ\""),
        "quantity with its unit"
    );
    assert!(page.contains("value=\"2026/118\""), "invoice number");
    assert!(
        page.contains("Fattura 2026/118 del 20/11/2026: 15.400,00 €"),
        "the file's invoice listed"
    );
    assert!(
        page.contains("data-testid=\"form-problems\""),
        "packages still to fill"
    );

    // The company reviews: fills the packages and types another amount.
    let mut form: Value = erp.get_json(&format!("/api/v1/models/{model}")).await["form"].clone();
    assert_eq!(form["consignee"]["country"], "US");
    for item in form["items"].as_array_mut().expect("items") {
        item["packages"] = json!("10 casse");
    }
    form["invoices"][0]["amount"] = json!("15300.00");
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

    // Before sending, the practice page names the invoice that disagrees.
    let (_, page) = b.get(&format!("/practices/{id}")).await;
    assert!(
        page.contains("data-testid=\"einvoice-mismatches\""),
        "{page}"
    );
    assert!(
        page.contains("Fattura 2026/118: nel riquadro fatture l&#39;importo è 15.300,00 €, nella fattura elettronica 15.400,00 €")
            || page.contains("Fattura 2026/118: nel riquadro fatture l'importo è 15.300,00 €, nella fattura elettronica 15.400,00 €"),
        "{page}"
    );
    // A warning, not a refusal: the practice is sent.
    let (status, location, _) = b.post_form(&format!("/practices/{id}/send"), &[]).await;
    assert!(status.is_redirection());
    assert!(location.expect("location").ends_with("?notice=sent"));

    // The officer sees the same difference on the desk page.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let (status, desk) = officer.get(&format!("/desk/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(desk.contains("data-testid=\"einvoice-mismatches\""));
    assert!(desk.contains("Differenze tra le fatture del modello firmato"));
    assert!(desk.contains("2026/118"));
}

async fn hostile_or_foreign_files_are_refused_and_nothing_is_stored(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, b) = company(&app).await;
    let model = erp.new_model(LIGURE, json!({"origin_country": "IT"})).await;
    b.get(&format!("/models/{model}")).await;
    let version = erp.get_json(&format!("/api/v1/models/{model}")).await["version"].clone();

    let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2" versione="FPR12">&lol2;</p:FatturaElettronica>"#;
    let external = br#"<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2" versione="FPR12">&x;</p:FatturaElettronica>"#;
    let mut huge = fixture("fpr12-export.xml");
    huge.resize(12 * 1024 * 1024, b' ');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "laughs.xml",
            laughs.to_vec(),
            "dichiarazione DTD o di entità",
        ),
        (
            "xxe.xml",
            external.to_vec(),
            "dichiarazione DTD o di entità",
        ),
        ("huge.xml", huge, "supera i 5 MB"),
        (
            "modello.xml",
            b"<?xml version=\"1.0\"?><ModelloBase xmlns=\"urn:sportello:modello-base:1\"/>"
                .to_vec(),
            "non è una fattura elettronica FatturaPA",
        ),
        (
            "rotta.xml",
            fixture("fpr12-export.xml")[..900].to_vec(),
            "non è un XML ben formato",
        ),
        (
            "foto.p7m",
            small_pdf(),
            "non è una fattura elettronica FatturaPA",
        ),
    ];
    for (name, bytes, message) in cases {
        let (status, page) = upload(&b, &model, name, bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(page.contains("data-testid=\"einvoice-error\""), "{name}");
        assert!(page.contains(message), "{name}: {message}");
    }
    assert_eq!(stored_einvoices(&app, &model).await, 0, "nothing stored");
    let after = erp.get_json(&format!("/api/v1/models/{model}")).await;
    assert_eq!(after["version"], version, "the form is unchanged");
    assert!(
        after["form"]["consignee"]["name"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );

    // An e-invoice on a practice type without an invoice table is refused too.
    let visas = erp
        .post("/api/v1/models")
        .json(
            &json!({"type": "visas_attestations", "company_tax_code": LIGURE,
                      "site_id": erp.head_office(LIGURE).await, "form": {}}),
        )
        .send()
        .await
        .expect("POST");
    let visas: Value = visas.json().await.expect("json");
    let visas = visas["id"].as_str().expect("id");
    let (status, page) = upload(&b, visas, "f.xml", fixture("fpr12-export.xml")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("solo su un certificato d&#39;origine")
            || page.contains("solo su un certificato d'origine"),
        "{page}"
    );
    assert_eq!(stored_einvoices(&app, visas).await, 0);
}

async fn another_company_cannot_read_or_change_the_e_invoices_of_a_model(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, b) = company(&app).await;
    let model = erp.new_model(LIGURE, json!({})).await;
    b.get(&format!("/models/{model}")).await;
    let (status, page) = upload(&b, &model, "fattura.xml", fixture("fpr12-batch.xml")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("indica l&#39;importo in euro") || page.contains("indica l'importo in euro")
    );
    let eid = page
        .split("/einvoices/")
        .nth(1)
        .and_then(|s| s.split(['"', '/']).next())
        .expect("e-invoice link")
        .to_string();
    let (status, bytes) = b.bytes(&format!("/models/{model}/einvoices/{eid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, fixture("fpr12-batch.xml"), "the file as uploaded");

    other_company_user(&app).await;
    let other = Browser::login(&app, "export@tigullio.test", "tigullio-password").await;
    let (status, _) = other
        .bytes(&format!("/models/{model}/einvoices/{eid}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = other.get(&format!("/models/{model}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("2026/119"));
    other.get("/models").await;
    let (status, _, _) = other
        .post_form(&format!("/models/{model}/einvoices/{eid}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = upload(&other, &model, "f.xml", fixture("fpr12-export.xml")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(stored_einvoices(&app, &model).await, 1);

    // An officer has no model pages at all.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let (status, _) = officer
        .bytes(&format!("/models/{model}/einvoices/{eid}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Its own company removes it; what it prefilled stays in the form.
    b.get(&format!("/models/{model}")).await;
    let (status, _, page) = b
        .post_form(&format!("/models/{model}/einvoices/{eid}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"einvoice-none\""));
    assert_eq!(stored_einvoices(&app, &model).await, 0);
    let form = erp.get_json(&format!("/api/v1/models/{model}")).await["form"].clone();
    assert_eq!(form["invoices"].as_array().map(Vec::len), Some(2));
}

async fn a_signed_e_invoice_is_opened_and_its_signer_shown(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, b) = company(&app).await;
    let model = erp
        .post("/api/v1/models")
        .json(&json!({"type": "invoice_visa", "company_tax_code": LIGURE,
                      "site_id": erp.head_office(LIGURE).await, "form": {}}))
        .send()
        .await
        .expect("POST");
    let model: Value = model.json().await.expect("json");
    let model = model["id"].as_str().expect("id").to_string();
    b.get(&format!("/models/{model}")).await;
    let (status, page) = upload(
        &b,
        &model,
        "IT00743110157_00001.xml.p7m",
        fixture("fpr12-export.xml.p7m"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("firmata, firma valida"), "{page}");
    assert!(page.contains("BNCGLI85M41D969D"));
    let form = erp.get_json(&format!("/api/v1/models/{model}")).await["form"].clone();
    assert_eq!(form["invoices"][0]["number"], "2026/118");
    assert_eq!(form["invoices"][0]["amount"], "15400.00");
    assert!(
        form["consignee"]["name"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "a visa has no consignee"
    );
}
