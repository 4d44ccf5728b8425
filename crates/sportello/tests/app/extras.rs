//! Copies, visas and legalisations on every practice type the Cert'O guide allows (slide 44:
//! "selezione di eventuali copie, visti, autentiche"; slide 55: "inserire visti e
//! legalizzazioni per i documenti presenti nella pratica"): chosen per attached document,
//! priced from the tariff, shown on the attachment lists, carried by the issued PDFs, and
//! settled once when a rectification changes them.

use crate::desk::{balance, take};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{Erp, LIGURE, ready_practice, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    a_certificate_of_origin_may_carry_visas_on_its_invoices,
    stamps_are_refused_where_the_document_does_not_take_them_naming_the_document_and_the_type,
    changing_the_stamps_in_a_rectification_charges_the_difference_once,
    the_company_chooses_the_stamps_of_each_document_on_the_practice_page,
);

/// Attaches `bytes` as `code` with a description and the stamps asked; returns the answer.
async fn attach(
    erp: &Erp,
    id: &str,
    bytes: Vec<u8>,
    code: &str,
    description: &str,
    visas: i64,
    legalisations: i64,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("documento.pdf"),
        )
        .text("description", description.to_string())
        .text("code", code.to_string())
        .text("visas", visas.to_string())
        .text("legalisations", legalisations.to_string());
    erp.post(&format!("/api/v1/practices/{id}/attachments"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn set_stamps(
    erp: &Erp,
    id: &str,
    attachment: &str,
    visas: i64,
    legalisations: i64,
) -> reqwest::Response {
    erp.put(&format!(
        "/api/v1/practices/{id}/attachments/{attachment}/stamps"
    ))
    .json(&json!({"visas": visas, "legalisations": legalisations}))
    .send()
    .await
    .unwrap()
}

async fn send(erp: &Erp, id: &str) -> Value {
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn company(app: &TestApp) -> Erp {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    erp
}

/// A PDF that differs from the others by its trailing comment.
fn pdf(tag: &str) -> Vec<u8> {
    let mut b = small_pdf();
    b.extend_from_slice(format!("% {tag}\n").as_bytes());
    b
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_certificate_of_origin_may_carry_visas_on_its_invoices(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let id = ready_practice(&erp, &[]).await;
    let invoice = pdf("fattura 118");
    let r = attach(
        &erp,
        &id,
        invoice.clone(),
        "invoice",
        "Fattura 2026/118",
        1,
        1,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let inv: Value = r.json().await.unwrap();
    assert_eq!(inv["stamped"], true);
    let packing = pdf("packing list 118");
    let r = attach(
        &erp,
        &id,
        packing.clone(),
        "packing_list",
        "Packing list 118",
        0,
        0,
    )
    .await;
    let pl: Value = r.json().await.unwrap();
    assert_eq!(pl["stamped"], false);
    let r = set_stamps(&erp, &id, pl["id"].as_str().unwrap(), 2, 0).await;
    assert_eq!(r.status(), StatusCode::OK);
    let pl: Value = r.json().await.unwrap();
    assert_eq!(
        (pl["visas"].as_i64(), pl["stamped"].as_bool()),
        (Some(2), Some(true))
    );

    // The fee from the tariff: the certificate €5 and its mandatory copy €5, three visas and
    // one legalisation at €3 each.
    let practice = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(practice["fee_cents"], 2200, "{practice}");
    let start = balance(&erp).await;
    let sent = send(&erp, &id).await;
    assert_eq!(sent["charged_cents"], 2200);
    assert_eq!(balance(&erp).await, start - 2200);

    // The officer sees which documents are stamped before deciding.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let desk = Browser::login(&app, email, password).await;
    let (_, html) = desk.get(&format!("/desk/practices/{id}")).await;
    assert_eq!(html.matches("data-testid=\"stamped\"").count(), 2, "{html}");

    let officer = Erp::demo(&app, Role::Officer).await;
    take(&officer, &id).await;
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // A sealed visa for each stamped document, embedding it; the certificate lists them.
    let docs = sportello_core::trade::desk::documents::of_practice(&app.state.db, &id)
        .await
        .unwrap();
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert!(docs.iter().all(|d| d.kind == "visa"));
    let practice = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    let protocol = practice["protocol_number"].as_str().unwrap().to_string();
    let atts = practice["attachments"].as_array().unwrap();
    assert_eq!(atts[0]["visa_number"], format!("{protocol}-V1"));
    assert_eq!(atts[1]["visa_number"], format!("{protocol}-V2"));
    let first = docs.iter().find(|d| d.number.ends_with("-V1")).unwrap();
    let visa = pdf_text(&app.state.blobs.get(&first.blob).await.unwrap());
    assert!(visa.contains("Fattura 2026/118"), "{visa}");
    assert!(visa.contains(&sportello_core::blobs::sha256_hex(&invoice)));
    assert!(
        visa.contains("Visto poteri di firma sulla fattura"),
        "{visa}"
    );

    let cert = sportello_core::trade::desk::certificate::of_practice(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let text = pdf_text(&app.state.blobs.get(&cert.pdf_blob).await.unwrap());
    for needle in [
        "DOCUMENTI VISTATI / STAMPED DOCUMENTS".to_string(),
        format!("Annex to certificate N. {}", cert.number),
        "1. Fattura 2026/118".into(),
        "2. Packing list 118".into(),
        format!("{protocol}-V1"),
        format!("{protocol}-V2"),
        sportello_core::blobs::sha256_hex(&invoice),
        sportello_core::blobs::sha256_hex(&packing),
        "Legalizzazione di firma".into(),
    ] {
        assert!(
            text.contains(&needle),
            "the certificate names {needle}: {text}"
        );
    }
    // The officer's page names the visa of each stamped document.
    let (_, html) = desk.get(&format!("/desk/practices/{id}")).await;
    assert!(html.contains(&format!("{protocol}-V2")), "{html}");
}

async fn stamps_are_refused_where_the_document_does_not_take_them_naming_the_document_and_the_type(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let id = ready_practice(&erp, &[]).await;
    let r = attach(
        &erp,
        &id,
        pdf("domanda"),
        "request_form",
        "Domanda 118",
        1,
        0,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "visas", "{p}");
    assert_eq!(
        p["errors"][0]["detail"],
        "«Domanda 118»: il modulo di domanda non riceve visti né legalizzazioni in una pratica di \
         certificato d'origine. Si vistano fatture, packing list, prove dell'origine e altri documenti.",
        "{p}"
    );
    // Nothing attached, nothing charged.
    let practice = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(practice["attachments"].as_array().unwrap().len(), 0);
    assert_eq!(practice["fee_cents"], 1000, "{practice}");

    // Attached without stamps, the request form cannot get them afterwards either.
    let r = attach(
        &erp,
        &id,
        pdf("domanda"),
        "request_form",
        "Domanda 118",
        0,
        0,
    )
    .await;
    let a: Value = r.json().await.unwrap();
    let r = set_stamps(&erp, &id, a["id"].as_str().unwrap(), 0, 2).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "legalisations", "{p}");
    assert!(
        p["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("«Domanda 118»: il modulo di domanda"),
        "{p}"
    );
    // Out of range, and an unknown attachment.
    let invoice: Value = attach(&erp, &id, pdf("f"), "invoice", "Fattura 9", 0, 0)
        .await
        .json()
        .await
        .unwrap();
    let r = set_stamps(&erp, &id, invoice["id"].as_str().unwrap(), 21, 0).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = set_stamps(&erp, &id, "no-such-attachment", 1, 0).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let practice = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(practice["fee_cents"], 1000, "nothing changed: {practice}");
}

async fn changing_the_stamps_in_a_rectification_charges_the_difference_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let id = ready_practice(&erp, &[]).await;
    let a: Value = attach(&erp, &id, pdf("f118"), "invoice", "Fattura 2026/118", 1, 0)
        .await
        .json()
        .await
        .unwrap();
    let aid = a["id"].as_str().unwrap().to_string();
    let start = balance(&erp).await;
    assert_eq!(send(&erp, &id).await["charged_cents"], 1300);

    // Once sent, the stamps are the office's to see, not the company's to change.
    let r = set_stamps(&erp, &id, &aid, 3, 0).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let r = officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Serve anche la legalizzazione della firma sulla fattura"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(
        set_stamps(&erp, &id, &aid, 2, 1).await.status(),
        StatusCode::OK
    );
    let resent = send(&erp, &id).await;
    assert_eq!(
        (
            resent["charged_cents"].as_i64(),
            resent["refunded_cents"].as_i64()
        ),
        (Some(600), Some(0)),
        "one more visa and a legalisation: {resent}"
    );
    // A second click settles nothing more.
    let again = send(&erp, &id).await;
    assert_eq!(again["charged_cents"], 0);
    assert_eq!(balance(&erp).await, start - 1900);

    // Fewer stamps in a further rectification: the difference comes back.
    officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Un solo visto basta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_stamps(&erp, &id, &aid, 1, 0).await.status(),
        StatusCode::OK
    );
    let resent = send(&erp, &id).await;
    assert_eq!(resent["refunded_cents"], 600, "{resent}");
    assert_eq!(balance(&erp).await, start - 1300);
    let practice = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(practice["fee_cents"], 1300);
}

async fn the_company_chooses_the_stamps_of_each_document_on_the_practice_page(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = company(&app).await;
    let id = ready_practice(&erp, &[]).await;
    let inv: Value = attach(&erp, &id, pdf("f"), "invoice", "Fattura 2026/118", 0, 0)
        .await
        .json()
        .await
        .unwrap();
    let form: Value = attach(&erp, &id, pdf("d"), "request_form", "Domanda 118", 0, 0)
        .await
        .json()
        .await
        .unwrap();
    let (email, password) = TestApp::demo_login(Role::Company);
    let page = Browser::login(&app, email, password).await;
    let (_, html) = page.get(&format!("/practices/{id}")).await;
    let inv_id = inv["id"].as_str().unwrap();
    let form_id = form["id"].as_str().unwrap();
    assert!(html.contains(&format!("data-testid=\"stamps-{inv_id}\"")));
    assert!(
        !html.contains(&format!("data-testid=\"stamps-{form_id}\"")),
        "no stamps offered on the request form"
    );
    let (status, _, _) = page
        .post_form(
            &format!("/practices/{id}/attachments/{inv_id}/stamps"),
            &[("visas", "2"), ("legalisations", "1")],
        )
        .await;
    assert!(status.is_redirection(), "{status}");
    let (_, html) = page.get(&format!("/practices/{id}")).await;
    assert!(html.contains("19,00 €"), "the fee shows the stamps: {html}");
    // A refused choice is said on the page, naming the document; nothing changes.
    let (status, _, html) = page
        .post_form(
            &format!("/practices/{id}/attachments/{form_id}/stamps"),
            &[("visas", "1"), ("legalisations", "0")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("«Domanda 118»: il modulo di domanda"),
        "{html}"
    );
    let practice = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(practice["fee_cents"], 1900);
}
