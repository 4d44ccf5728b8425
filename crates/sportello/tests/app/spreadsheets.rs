//! Spreadsheet bombs: every spreadsheet read from outside is bounded in
//! rows, columns and cell size before anything is allocated. A 1.5 KB XLSX whose cells sit at
//! A1 and XFD1048576 made the server try to allocate 549 GB; now it gets a clear Italian error
//! and the server keeps serving.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use std::io::Write;

engine_tests!(
    a_forged_xlsx_posted_as_course_results_gets_a_clear_error_and_the_server_stays_up,
    a_delivery_csv_beyond_its_bounds_gets_a_clear_error,
);

/// An XLSX archive with these parts, deflated.
pub fn forge(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in parts {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The package parts a workbook needs to open in any reader (calamine refused a file without
/// them), around the given sheet and shared strings.
pub fn workbook(sheet: &[u8], strings: &[u8]) -> Vec<u8> {
    forge(&[
        (
            "[Content_Types].xml",
            br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            br#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Esiti" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ])
}

/// The attack's file: a dimension claiming the whole sheet and two real cells at opposite
/// corners (a dense range of 17 billion cells: 549 GB), or a shared-strings count of 10^14.
pub fn forged_results_xlsx(string_count: &str) -> Vec<u8> {
    let sheet = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="1048576"><c r="XFD1048576"><v>94</v></c></row></sheetData></worksheet>"#;
    let strings = format!(
        r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{string_count}" uniqueCount="{string_count}"><si><t>Codice fiscale</t></si></sst>"#
    );
    workbook(sheet, strings.as_bytes())
}

async fn post_file(
    app: &TestApp,
    b: &Browser,
    path: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new().part(
        field.to_string(),
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let (s, _, body) = b.post_multipart(path, form).await;
    let _ = app;
    (s, body)
}

async fn a_forged_xlsx_posted_as_course_results_gets_a_clear_error_and_the_server_stays_up(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    for count in ["1", "100000000000000"] {
        let bomb = forged_results_xlsx(count);
        assert!(bomb.len() < 2048, "a tiny file: {} bytes", bomb.len());
        let (s, page) = post_file(
            &app,
            &b,
            "/ra/courses/results",
            "results",
            "esiti.xlsx",
            bomb,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            page.contains("Il foglio ha troppe righe: al massimo 4999 righe"),
            "{page}"
        );
        let health = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "the server is still up");
    }
    // A column far to the right, and a deflate bomb, are refused the same way.
    let wide = forge(&[(
        "xl/worksheets/sheet1.xml",
        br#"<worksheet><sheetData><row r="1"><c r="ZZ1"><v>1</v></c></row></sheetData></worksheet>"#,
    )]);
    let (s, page) = post_file(
        &app,
        &b,
        "/ra/courses/results",
        "results",
        "esiti.xlsx",
        wide,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("La riga 1 ha troppe colonne: al massimo 50"),
        "{page}"
    );
    let mut text = b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>".to_vec();
    text.resize(text.len() + 48 * 1024 * 1024, b'9');
    let deflated = forge(&[("xl/worksheets/sheet1.xml", &text)]);
    assert!(deflated.len() < 256 * 1024, "{}", deflated.len());
    let (s, page) = post_file(
        &app,
        &b,
        "/ra/courses/results",
        "results",
        "esiti.xlsx",
        deflated,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("una volta decompresso, supera 32 MB"),
        "{page}"
    );
    // An ordinary file still goes through.
    let (s, page) = post_file(
        &app,
        &b,
        "/ra/courses/results",
        "results",
        "esiti.csv",
        b"Codice fiscale;Punteggio;Data\nRSSMRA80A01H501U;94;20/11/2026\n".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Non abbinati: 1"), "{page}");
}

async fn a_delivery_csv_beyond_its_bounds_gets_a_clear_error(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    // A million separators on one line: once a million empty strings.
    let mut wide = b"serial;type;batch\n".to_vec();
    wide.extend(std::iter::repeat_n(b';', 1_000_000));
    let (s, page) = post_file(
        &app,
        &b,
        "/devices/deliveries",
        "file",
        "consegna.csv",
        wide,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("La riga 2 ha troppe colonne: al massimo 16"),
        "{page}"
    );
    let long = format!(
        "serial;type;batch\n7420000000000999;token;\"{}\"\n",
        "L".repeat(4096)
    );
    let (s, page) = post_file(
        &app,
        &b,
        "/devices/deliveries",
        "file",
        "consegna.csv",
        long.into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("Una cella è troppo lunga: al massimo 256 caratteri (riga 2)"),
        "{page}"
    );
}
