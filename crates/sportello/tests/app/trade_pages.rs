//! The company's pages, driven like a browser: profile, base model, signed upload,
//! attachments, sending; and the administrator's tariff and wallet pages.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{sign, small_pdf};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    a_company_user_goes_from_an_empty_draft_to_a_sent_practice_on_the_pages,
    administrators_set_tariffs_and_credit_wallets
);

async fn a_company_user_goes_from_an_empty_draft_to_a_sent_practice_on_the_pages(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let b = Browser::login(&app, email, password).await;

    // Profile: the VAT number instead of the tax code is named as such.
    b.get("/company/profile").await;
    let profile = [
        ("tax_code", "IT01879020517"),
        ("delivery_address", "Via XX Settembre 12"),
        ("postcode", "1612"),
        ("municipality", "Genova"),
        ("province", "GE"),
        ("notification_email", "export@ligure-export.test"),
    ];
    let (status, _, body) = b.post_form("/company/profile", &profile).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("CAP non valido"), "postcode named");
    let mut fixed = profile;
    fixed[2] = ("postcode", "16121");
    let (status, _, body) = b.post_form("/company/profile", &fixed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Configurazione salvata"));

    // Start from the Registry by tax code, pick the local unit, start a certificate.
    let (_, start) = b.get("/models/new?tax_code=01879020517").await;
    assert!(start.contains("Unità locale"));
    let site_id = start
        .split("name=\"site_id\" id=\"site-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (status, location, _) = b
        .post_form(
            "/models",
            &[
                ("site_id", &site_id),
                ("practice_type", "certificate_of_origin"),
            ],
        )
        .await;
    assert!(status.is_redirection());
    let model_path = location.unwrap();

    // Save an incomplete draft: it is kept, and the missing fields are named next to them.
    b.get(&model_path).await;
    let (status, _, body) = b
        .post_form(
            &model_path,
            &[("consignee.name", "ACME Trading LLC"), ("action", "save")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Bozza salvata"));
    assert!(body.contains("invalid-feedback"), "errors next to fields");
    assert!(
        body.contains("value=\"ACME Trading LLC\""),
        "nothing typed is lost"
    );

    let full = [
        ("consignee.name", "ACME Trading LLC"),
        ("consignee.address", "1200 Harbor Blvd, Long Beach CA"),
        ("consignee.country", "US"),
        ("origin_country", "IT"),
        ("items.0.packages", "20 casse"),
        ("items.0.description", "Valvole a sfera in acciaio inox"),
        ("items.0.quantity", "1.250 kg"),
        ("invoices.0.number", "2026/118"),
        ("invoices.0.date", "2026-11-20"),
        ("invoices.0.amount", "15.400,00"),
        ("action", "save"),
    ];
    let (_, _, body) = b.post_form(&model_path, &full).await;
    assert!(
        body.contains("data-testid=\"download-xml\""),
        "complete: can be downloaded"
    );
    let (status, xml) = b.bytes(&format!("{model_path}/xml")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, pdf) = b.bytes(&format!("{model_path}/preview.pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));

    // Upload the signed model.
    b.get("/practices/new").await;
    let form = reqwest::multipart::Form::new()
        .text("desk", "GE-GENOVA")
        .text("proforma", "false")
        .text("goods_location", "Magazzino Via Rubattino 4, Genova")
        .text("print_mode", "blank_paper")
        .text("copies", "0")
        .part(
            "signed_model",
            reqwest::multipart::Part::bytes(sign(&xml, "giulia")).file_name("qualunque-nome.p7m"),
        );
    let (status, location, body) = b.post_multipart("/practices", form).await;
    assert!(status.is_redirection(), "{status} {body}");
    let practice_path = location.unwrap();
    let (_, page) = b.get(&practice_path).await;
    assert!(page.contains("Giulia Bianchi (BNCGLI85M41D969D)"));
    assert!(page.contains("10,00 €"), "the fee is shown before sending");

    // Attach the invoice, then send.
    let form = reqwest::multipart::Form::new()
        .text("description", "Fattura 2026/118")
        .text("code", "invoice")
        .part(
            "file",
            reqwest::multipart::Part::bytes(small_pdf()).file_name("fattura.pdf"),
        );
    let (status, _, _) = b
        .post_multipart(&format!("{practice_path}/attachments"), form)
        .await;
    assert!(status.is_redirection());
    b.get(&practice_path).await;
    let (status, location, _) = b.post_form(&format!("{practice_path}/send"), &[]).await;
    assert!(status.is_redirection());
    assert!(location.as_deref().unwrap().ends_with("?notice=sent"));
    let (_, page) = b.get(location.as_deref().unwrap()).await;
    assert!(page.contains("GE/2026/0000001"), "protocol number shown");
    // A second click: nothing charged again.
    let (_, location, _) = b.post_form(&format!("{practice_path}/send"), &[]).await;
    assert!(location.unwrap().ends_with("?notice=already_sent"));
    let (_, wallet) = b.get("/wallet").await;
    assert!(wallet.contains("40,00 €"), "€50 − €10 once");
    let (_, list) = b.get("/practices?list=sent").await;
    assert!(list.contains("GE/2026/0000001"));
}

async fn administrators_set_tariffs_and_credit_wallets(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let b = Browser::login(&app, email, password).await;
    let (status, page) = b.get("/admin/tariffs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"tariff-copy\">5,00 €"));
    let (status, _, page) = b
        .post_form(
            "/admin/tariffs",
            &[("item", "copy"), ("amount", "6,00"), ("from", "2026-11-25")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"tariff-copy\">6,00 €"));
    let (status, _, _) = b
        .post_form(
            "/admin/tariffs",
            &[("item", "copy"), ("amount", "6,00"), ("from", "2020-01-01")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no changes to the past"
    );

    b.get("/admin/wallet").await;
    let (status, _, page) = b
        .post_form(
            "/admin/wallet",
            &[
                ("tax_code", "01879020517"),
                ("amount", "25,50"),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("riferimento del pagamento"));
    let (status, _, page) = b
        .post_form(
            "/admin/wallet",
            &[
                ("tax_code", "01879020517"),
                ("amount", "25,50"),
                ("reference", "CRO 1234"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("75,50 €"), "€50 + €25.50");
    // A company user cannot reach these pages.
    let (email, password) = TestApp::demo_login(Role::Company);
    let c = Browser::login(&app, email, password).await;
    assert_eq!(c.get("/admin/tariffs").await.0, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/admin/wallet").await.0, StatusCode::FORBIDDEN);
}
