//! pagoPA top-ups with notices, the reconciliation import and receipts (issue 15, item 4).
//! A company asks for a notice (IUV from a gapless counter, check digits per pagoPA's SACI),
//! the notice PDF carries the QR code `PAGOPA|002|…` (decoded here by zbarimg, an independent
//! reader), the office imports pagoPA's reconciliation flow (idempotent per payment, anomalies
//! listed), and every ledger entry has its receipt; the wallet exports its statement.

use crate::cli::{sportello, text};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{LIGURE, TIGULLIO};
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use sportello_core::accounts::{NewUser, Role};
use sportello_core::audit::Actor;
use sportello_core::db::Engine;
use sportello_core::demo::DEMO_CHAMBER_TAX_CODE;
use sportello_core::money::Money;
use sportello_core::registry::{self, TaxCode};
use sportello_core::wallet::{self, pagopa};
use std::path::Path;
use std::process::Command;

engine_tests!(
    a_top_up_request_makes_a_pending_position_with_a_checked_notice_code,
    the_notice_pdf_carries_the_pagopa_qr_code,
    a_reconciliation_flow_credits_each_payment_once,
    unknown_mismatched_paid_and_expired_payments_are_anomalies_for_the_office,
    hostile_reconciliation_files_are_refused_clearly,
    a_company_sees_only_its_own_positions_and_receipts,
    receipts_and_statements_carry_the_entries,
    the_command_line_imports_a_reconciliation_flow,
);

pub(crate) async fn company_id(app: &TestApp, tax_code: &str) -> String {
    registry::find_company_by_tax_code(&app.state.db, &TaxCode::parse(tax_code).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

pub(crate) async fn genova(app: &TestApp) -> String {
    sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap()
        .id
}

pub(crate) async fn company(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::Company);
    Browser::login(app, email, password).await
}

pub(crate) async fn office(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    Browser::login(app, email, password).await
}

/// Asks for a top-up of `amount` on the wallet page; the position made.
pub(crate) async fn ask(app: &TestApp, b: &Browser, amount: &str) -> pagopa::position::Position {
    b.get("/wallet").await;
    let (status, location, body) = b
        .post_form("/wallet/top-ups", &[("chamber", "GE"), ("amount", amount)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = location.unwrap();
    let id = location
        .split("notice=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let today = sportello_core::clock::italian_day(app.state.clock.now());
    pagopa::position::position_of_company(&app.state.db, &id, &company_id(app, LIGURE).await, today)
        .await
        .unwrap()
        .expect("the company's position")
}

pub(crate) fn today(app: &TestApp) -> NaiveDate {
    sportello_core::clock::italian_day(app.state.clock.now())
}

/// A reconciliation flow to the demo chamber, written from the template.
pub(crate) fn flow(id: &str, date: NaiveDate, payments: &[(&str, &str, i64)]) -> Vec<u8> {
    let p: Vec<(&str, &str, Money)> = payments
        .iter()
        .map(|(iuv, iur, c)| (*iuv, *iur, Money::from_cents(*c)))
        .collect();
    pagopa::flow::sample_xml(id, DEMO_CHAMBER_TAX_CODE, date, &p).into_bytes()
}

pub(crate) async fn import(app: &TestApp, bytes: &[u8]) -> pagopa::reconcile::ImportReport {
    pagopa::reconcile::import(&app.state, &Actor::cli(), bytes, None)
        .await
        .expect("import")
}

pub(crate) async fn balance(app: &TestApp) -> i64 {
    let c = company_id(app, LIGURE).await;
    let ge = genova(app).await;
    let b = wallet::balance(&app.state.db, &c, &ge).await.unwrap();
    assert_eq!(
        b,
        wallet::ledger_sum(&app.state.db, &c, &ge).await.unwrap(),
        "the wallet equals its ledger"
    );
    b.cents()
}

pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_top_up_request_makes_a_pending_position_with_a_checked_notice_code(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let first = ask(&app, &b, "50,00").await;
    let second = ask(&app, &b, "12.50").await;
    for (p, base, cents) in [(&first, 1, 5000), (&second, 2, 1250)] {
        // The gapless counter of the chamber: 1, then 2; segregation code 01 (the demo's).
        let code = pagopa::NoticeCode::parse(&p.notice_code).expect("valid check digits");
        let expected =
            pagopa::NoticeCode::new(pagopa::SegregationCode::parse("01").unwrap(), base).unwrap();
        assert_eq!(code, expected);
        assert_eq!(p.iuv, &p.notice_code[1..]);
        assert_eq!(p.creditor_tax_code, DEMO_CHAMBER_TAX_CODE);
        assert_eq!(p.amount_cents, cents);
        assert_eq!(p.state, "pending");
        assert_eq!(p.expires_on, (today(&app) + Duration::days(30)).to_string());
    }
    let (status, html) = b
        .get(&format!("/wallet?chamber=GE&notice={}", first.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&first.notice_code_grouped()), "{html}");
    assert!(html.contains("50,00 €") && html.contains("Da pagare"));
    assert!(html.contains(&format!(
        "data-qr=\"PAGOPA|002|{}|{DEMO_CHAMBER_TAX_CODE}|5000\"",
        first.notice_code
    )));
    // The notice is mailed with its PDF.
    app.run_jobs().await;
    let mails = app.smtp.messages();
    let mail = mails
        .iter()
        .find(|m| {
            m.data
                .contains(&format!("avviso-pagopa-{}.pdf", first.notice_code))
        })
        .expect("the notice's e-mail, with its PDF");
    assert_eq!(mail.to, [TestApp::demo_login(Role::Company).0]);
    // A wrong amount is refused with the reason, and takes no number.
    let (status, _, body) = b
        .post_form("/wallet/top-ups", &[("chamber", "GE"), ("amount", "-3")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Indica un importo positivo"), "{body}");
    let third = ask(&app, &b, "1,00").await;
    assert_eq!(&third.notice_code[3..16], "0000000000003", "no gap");
    // A chamber not configured for pagoPA makes no notice.
    sqlx::query("UPDATE chambers SET pagopa_segregation_code = NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, _, body) = b
        .post_form("/wallet/top-ups", &[("chamber", "GE"), ("amount", "10")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("non riceve ancora pagamenti pagoPA"),
        "{body}"
    );
}

async fn the_notice_pdf_carries_the_pagopa_qr_code(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let p = ask(&app, &b, "50,00").await;
    let (status, pdf) = b
        .bytes(&format!("/wallet/top-ups/{}/notice.pdf", p.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notice.pdf"), &pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-singlefile"])
        .arg(dir.path().join("notice.pdf"))
        .arg(dir.path().join("notice"))
        .output()
        .expect("pdftoppm (poppler-utils)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(dir.path().join("notice.png"))
        .output()
        .expect("zbarimg (zbar-tools, installed by scripts/test)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("PAGOPA|002|{}|{DEMO_CHAMBER_TAX_CODE}|5000", p.notice_code)
    );
    let words = pdf_text(&pdf);
    for expected in [
        "AVVISO DI PAGAMENTO",
        "50,00 €",
        p.notice_code_grouped().as_str(),
        DEMO_CHAMBER_TAX_CODE,
        "LIGURE",
        "AGE01",
    ] {
        assert!(words.contains(expected), "{expected} in {words}");
    }
    let due = sportello_core::display::date(today(&app) + Duration::days(30));
    assert!(words.contains(&due), "{due} in {words}");
}

async fn a_reconciliation_flow_credits_each_payment_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let p = ask(&app, &b, "50,00").await;
    let before = balance(&app).await;
    let day = today(&app);
    let bytes = flow(
        "2026-11-25BPPIITRRXXX-0001",
        day,
        &[(&p.iuv, "IUR-0001", 5000)],
    );
    let r = import(&app, &bytes).await;
    assert_eq!((r.credited, r.anomalies.len()), (1, 0), "{r:?}");
    assert_eq!(balance(&app).await, before + 5000);
    // The same flow again: recognised, nothing credited.
    let again = import(&app, &bytes).await;
    assert!(again.already_imported);
    assert_eq!(balance(&app).await, before + 5000);
    // Another flow reporting the same payment: skipped.
    let other = flow(
        "2026-11-26BPPIITRRXXX-0002",
        day,
        &[(&p.iuv, "IUR-0001", 5000)],
    );
    let r = import(&app, &other).await;
    assert_eq!((r.credited, r.duplicates), (0, 1), "{r:?}");
    assert_eq!(balance(&app).await, before + 5000);
    // The position is paid, and the ledger's entry names the IUV.
    let (_, html) = b.get("/wallet?chamber=GE").await;
    assert!(html.contains("Pagato"), "{html}");
    assert!(html.contains(&format!("pagoPA IUV {}", p.iuv)));
}

async fn unknown_mismatched_paid_and_expired_payments_are_anomalies_for_the_office(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let paid = ask(&app, &b, "10,00").await;
    let mismatched = ask(&app, &b, "20,00").await;
    let late = ask(&app, &b, "30,00").await;
    let before = balance(&app).await;
    let day = today(&app);
    import(&app, &flow("F-1", day, &[(&paid.iuv, "IUR-1", 1000)])).await;
    let unknown =
        pagopa::NoticeCode::new(pagopa::SegregationCode::parse("01").unwrap(), 999).unwrap();
    let r = import(
        &app,
        &flow(
            "F-2",
            day,
            &[
                (unknown.iuv(), "IUR-2", 700),
                (&mismatched.iuv, "IUR-3", 1999),
                (&paid.iuv, "IUR-4", 1000),
            ],
        ),
    )
    .await;
    let results: Vec<&str> = r.anomalies.iter().map(|(_, x)| x.as_str()).collect();
    assert_eq!(results, ["unknown_iuv", "amount_mismatch", "already_paid"]);
    // Paid after its expiry: not credited, and the position expires.
    let r = import(
        &app,
        &flow(
            "F-3",
            day + Duration::days(31),
            &[(&late.iuv, "IUR-5", 3000)],
        ),
    )
    .await;
    assert_eq!(r.anomalies, [(late.iuv.clone(), "expired".to_string())]);
    assert_eq!(balance(&app).await, before + 1000, "only the first payment");
    // The office reads them in words, with the company and what was due.
    let o = office(&app).await;
    let (status, html) = o.get("/admin/payments").await;
    assert_eq!(status, StatusCode::OK);
    for words in [
        "Codice IUV sconosciuto",
        "Importo diverso da quello dell&#39;avviso",
        "Avviso già pagato",
        "Avviso scaduto o annullato",
        "19,99 €",
        "LIGURE",
    ] {
        assert!(html.contains(words), "{words} in the office's page");
    }
    assert_eq!(html.matches("data-testid=\"anomaly\"").count(), 4);
}

async fn hostile_reconciliation_files_are_refused_clearly(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let o = office(&app).await;
    o.get("/admin/payments").await;
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \
                \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<FlussoRiversamento>&b;</FlussoRiversamento>";
    let upload = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "flow",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("flusso.xml")
                .mime_str("application/xml")
                .unwrap(),
        )
    };
    let (status, _, html) = o
        .post_multipart("/admin/payments/import", upload(bomb.as_bytes().to_vec()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("contiene una DTD o entità"), "{html}");
    let not_a_flow = b"<FatturaElettronica/>".to_vec();
    let (status, _, html) = o
        .post_multipart("/admin/payments/import", upload(not_a_flow))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("non è un flusso di rendicontazione"),
        "{html}"
    );
    // A flow for another creditor is refused too.
    let other = pagopa::flow::sample_xml(
        "F-X",
        "00000000000",
        today(&app),
        &[("01000000000000123", "I", Money::from_cents(100))],
    );
    let (status, _, html) = o
        .post_multipart("/admin/payments/import", upload(other.into_bytes()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("non è una Camera"), "{html}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reconciliation_flows")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing stored");
}

async fn a_company_sees_only_its_own_positions_and_receipts(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let p = ask(&app, &b, "50,00").await;
    import(&app, &flow("F-1", today(&app), &[(&p.iuv, "IUR-1", 5000)])).await;
    let entry: String =
        sqlx::query_scalar("SELECT wallet_entry_id FROM payment_positions WHERE id = $1")
            .bind(&p.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let tigullio = company_id(&app, TIGULLIO).await;
    sportello_core::accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: "tigullio@example.test".into(),
            name: "Utente Tigullio".into(),
            password: "tigullio-pass".into(),
            role: Role::Company,
            chamber_id: None,
            desk_ids: Vec::new(),
            company_ids: vec![tigullio],
            tax_code: None,
        },
    )
    .await
    .unwrap();
    let other = Browser::login(&app, "tigullio@example.test", "tigullio-pass").await;
    for path in [
        format!("/wallet/top-ups/{}/notice.pdf", p.id),
        format!("/wallet/receipts/{entry}"),
    ] {
        let (status, _) = other.bytes(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} of another company");
        let (status, bytes) = b.bytes(&path).await;
        assert_eq!(status, StatusCode::OK, "{path} of its own");
        assert!(bytes.starts_with(b"%PDF-"));
    }
    let (status, _, _) = other
        .post_form(&format!("/wallet/top-ups/{}/cancel", p.id), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = other.get("/wallet").await;
    assert!(!html.contains(&p.notice_code_grouped()));
    // Staff have no company wallet: the officer may neither ask nor read.
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let (status, _) = officer.bytes(&format!("/wallet/receipts/{entry}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = officer
        .post_form("/wallet/top-ups", &[("chamber", "GE"), ("amount", "5")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Companies do not import flows.
    let (status, _) = b.bytes("/admin/payments").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The company cancels its own pending notice.
    let q = ask(&app, &b, "5,00").await;
    let (status, _, _) = b
        .post_form(&format!("/wallet/top-ups/{}/cancel", q.id), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.get("/wallet?chamber=GE").await;
    assert!(html.contains("Annullato"));
}

async fn receipts_and_statements_carry_the_entries(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let p = ask(&app, &b, "50,00").await;
    import(&app, &flow("F-1", today(&app), &[(&p.iuv, "IUR-1", 5000)])).await;
    let (entry, number): (String, String) = sqlx::query_as(
        "SELECT e.id, e.receipt_number FROM payment_positions p \
         JOIN wallet_entries e ON e.id = p.wallet_entry_id WHERE p.id = $1",
    )
    .bind(&p.id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert!(number.starts_with("RIC-2026-"), "{number}");
    let (status, pdf) = b.bytes(&format!("/wallet/receipts/{entry}")).await;
    assert_eq!(status, StatusCode::OK);
    let words = pdf_text(&pdf);
    let day = sportello_core::display::date(today(&app));
    for expected in [
        number.as_str(),
        day.as_str(),
        "50,00 €",
        "Ricarica / Top-up",
        "LIGURE",
        "Camera di Commercio di Genova",
        p.iuv.as_str(),
    ] {
        assert!(words.contains(expected), "{expected} in {words}");
    }
    // The wallet page links each entry to its receipt.
    let (_, html) = b.get("/wallet?chamber=GE").await;
    assert!(html.contains(&format!("/wallet/receipts/{entry}")));
    // The statement of the period, as a PDF and as a workbook.
    let period = format!(
        "/wallet/statement?chamber=GE&from={}&to={}",
        today(&app) - Duration::days(7),
        today(&app)
    );
    let (status, pdf) = b.bytes(&format!("{period}&format=pdf")).await;
    assert_eq!(status, StatusCode::OK);
    let words = pdf_text(&pdf);
    assert!(
        words.contains("ESTRATTO CONTO") && words.contains(&p.iuv),
        "{words}"
    );
    let (status, xlsx) = b.bytes(&format!("{period}&format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    let limits = sportello_core::spreadsheet::Limits {
        rows: 1000,
        columns: 20,
        cell_bytes: 1000,
        file_bytes: 1 << 20,
    };
    let sheet = sportello_core::spreadsheet::xlsx::read_first_sheet(&xlsx, &limits)
        .expect("a workbook our own reader reads");
    let cells: Vec<String> = sheet.into_iter().flatten().collect();
    assert!(cells.iter().any(|c| c.contains(&p.iuv)), "{cells:?}");
    assert!(cells.iter().any(|c| c == "Saldo finale"));
    let (status, _) = b
        .bytes("/wallet/statement?chamber=GE&from=2026-12-01&to=2026-11-01")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn the_command_line_imports_a_reconciliation_flow(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = company(&app).await;
    let p = ask(&app, &b, "50,00").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flusso.xml");
    std::fs::write(
        &file,
        flow(
            "F-CLI",
            today(&app),
            &[(&p.iuv, "IUR-1", 5000), ("01999", "IUR-2", 100)],
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = sportello(Some(&app.db), &["admin", "payments", "import", file], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("1 payment credited for 50,00 €"), "{said}");
    assert!(said.contains("anomaly\t01999\tunknown_iuv"), "{said}");
    let out = sportello(Some(&app.db), &["admin", "payments", "import", file], "");
    assert!(text(&out.stdout).contains("already been imported"));
    // A huge file is refused before it is read whole.
    let huge = dir.path().join("huge.xml");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(11 * 1024 * 1024).unwrap();
    let out = sportello(
        Some(&app.db),
        &["admin", "payments", "import", huge.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("larger than 10 MB"));
}

/// The template the tests write flows from is valid against the schema of the subset read
/// (`schemas/flusso-riversamento.xsd`), checked by xmllint.
#[test]
fn the_reconciliation_flow_template_is_valid_against_its_schema() {
    let xml = pagopa::flow::sample_xml(
        "2026-11-25BPPIITRRXXX-0001",
        DEMO_CHAMBER_TAX_CODE,
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        &[("01000000000000155", "IUR-1", Money::from_cents(5000))],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flusso.xml");
    std::fs::write(&file, xml).unwrap();
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/flusso-riversamento.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils)");
    assert!(out.status.success(), "{}", text(&out.stderr));
}
