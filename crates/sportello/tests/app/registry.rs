//! Registry import and lookups, on both engines: a good extract, each kind of bad field, a
//! repeated file, changes, and the exact output contract of `admin import-registry`.

use crate::engine_tests;
use crate::helpers::{TestDb, start_time};
use chrono::{DateTime, Duration, Utc};
use sportello_core::db::{Db, Engine};
use sportello_core::registry::{
    self, CompanyData, CompanyStatus, ImportError, ImportOptions, ImportOutcome, Postcode,
    Province, Rea, SiteData, SiteKind, TaxCode, VatNumber, Written,
};
use std::path::{Path, PathBuf};

const HEADER: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;\
                      indirizzo;cap;comune;stato;diritto_annuale_pagato";

/// A small extract: three companies (one a person), one with a local unit in another province
/// and one whose rows are not adjacent.
const GOOD: &str = "\
01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2024 2025
RSSMRA80A01H501U;12345670017;ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;ATTIVA;2025
00743110157;IT00743110157;CANTIERI DEL LEVANTE S.R.L.;SP;98765;SEDE;Viale San Bartolomeo 300;19126;La Spezia;CESSATA;
01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;UL;Corso Garibaldi 5;16043;Chiavari;ATTIVA;2025 2024
00743110157;00743110157;CANTIERI DEL LEVANTE S.R.L.;GE;345678;UL;Via Rubattino 4;16126;Genova;CESSATA;
01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;UL;Via Roma 1;16121;Genova;ATTIVA;2024 2025
";

fn options() -> ImportOptions {
    ImportOptions {
        progress: false,
        batch_size: 1000,
    }
}

fn write_file(test: &TestDb, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = test.dir.path().join(name);
    std::fs::write(&path, content).expect("write the extract");
    path
}

fn extract(rows: &str) -> String {
    format!("{HEADER}\n{rows}")
}

async fn import(db: &Db, now: DateTime<Utc>, path: &Path) -> ImportOutcome {
    registry::import_csv(db, now, path, options())
        .await
        .expect("the file is readable")
}

fn tax_code(s: &str) -> TaxCode {
    TaxCode::parse(s).expect("a valid tax code")
}

fn report(outcome: &ImportOutcome, json: bool) -> (String, String) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    outcome
        .write_report(json, &mut stdout, &mut stderr)
        .expect("write the report");
    (
        String::from_utf8(stdout).expect("UTF-8 stdout"),
        String::from_utf8(stderr).expect("UTF-8 stderr"),
    )
}

/// Every row of the three registry tables, as text, in a stable order.
async fn dump(db: &Db) -> Vec<String> {
    let companies: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, tax_code, COALESCE(vat_number, '-') || '|' || name || '|' || status, \
         created_at || '|' || updated_at FROM companies ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .expect("dump companies");
    let fees: Vec<(String, i64)> = sqlx::query_as(
        "SELECT company_id, year FROM company_annual_fees ORDER BY company_id, year",
    )
    .fetch_all(db.pool())
    .await
    .expect("dump fees");
    let sites: Vec<Vec<String>> = sqlx::query_as::<_, (String, String, String, String, String, String)>(
        "SELECT id, company_id, site_key, kind, province || '-' || rea_number, \
         address || '|' || postcode || '|' || municipality || '|' || created_at || '|' || updated_at \
         FROM sites ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .expect("dump sites")
    .into_iter()
    .map(|(a, b, c, d, e, f)| vec![a, b, c, d, e, f])
    .collect();
    let mut rows: Vec<String> = companies.iter().map(|r| format!("company {r:?}")).collect();
    rows.extend(fees.iter().map(|r| format!("fee {r:?}")));
    rows.extend(sites.iter().map(|r| format!("site {r:?}")));
    rows
}

async fn audit_entries(db: &Db, action: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT after_json FROM audit_log WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(db.pool())
        .await
        .expect("read the audit log")
}

engine_tests!(
    a_good_extract_imports_companies_sites_and_fees,
    reimporting_the_same_file_changes_nothing,
    a_changed_extract_updates_only_what_changed,
    each_kind_of_bad_field_is_rejected_with_its_line,
    rows_of_one_company_far_apart_make_one_company,
    comma_files_with_a_bom_and_columns_in_any_order_import_alike,
    single_row_upserts_write_only_differences,
    a_stored_value_that_does_not_parse_is_a_decode_error,
    a_database_failure_stops_the_run_and_is_audited_as_incomplete,
);

async fn a_good_extract_imports_companies_sites_and_fees(engine: Engine) {
    let test = TestDb::new(engine).await;
    let path = write_file(&test, "good.csv", extract(GOOD));
    let outcome = import(&test.db, start_time(), &path).await;
    assert_eq!(outcome.imported, 6);
    assert_eq!(outcome.rejected_total, 0);
    assert_eq!((outcome.companies_created, outcome.sites_created), (3, 6));
    assert_eq!(outcome.unchanged, 0);

    let ligure = registry::find_company_by_tax_code(&test.db, &tax_code("01879020517"))
        .await
        .expect("query")
        .expect("imported");
    assert_eq!(ligure.name, "LIGURE EXPORT S.R.L.");
    assert_eq!(ligure.status, CompanyStatus::Active);
    assert_eq!(
        ligure.vat_number.as_ref().map(VatNumber::as_str),
        Some("01879020517")
    );
    assert_eq!(ligure.annual_fee_years, vec![2024, 2025]);
    let sites = registry::company_sites(&test.db, &ligure.id)
        .await
        .expect("sites");
    assert_eq!(sites.len(), 3);
    assert_eq!(sites[0].kind, SiteKind::HeadOffice);
    assert!(sites.iter().all(|s| s.rea.to_string() == "GE-123456"));

    // Two local units of one company in one province share the REA number.
    let rea = Rea::parse("GE-123456").expect("REA");
    let found = registry::find_sites_by_rea(&test.db, &rea)
        .await
        .expect("by REA");
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|(c, _)| c.id == ligure.id));

    let person = registry::find_company_by_tax_code(&test.db, &tax_code("RSSMRA80A01H501U"))
        .await
        .expect("query")
        .expect("imported");
    assert_eq!(
        registry::annual_fee_years(&test.db, &person.id)
            .await
            .expect("fees"),
        vec![2025]
    );

    let levante = registry::find_company_by_tax_code(&test.db, &tax_code("00743110157"))
        .await
        .expect("query")
        .expect("imported");
    assert_eq!(levante.status, CompanyStatus::Ceased);
    assert!(levante.annual_fee_years.is_empty());
    let sites = registry::company_sites(&test.db, &levante.id)
        .await
        .expect("sites");
    let unit = sites
        .iter()
        .find(|s| s.kind == SiteKind::LocalUnit)
        .expect("local unit");
    assert_eq!(unit.rea.to_string(), "GE-345678");
    assert_eq!(unit.postcode.as_str(), "16126");
    let again = registry::get_site(&test.db, &unit.id)
        .await
        .expect("query")
        .expect("site");
    assert_eq!(&again, unit);
    assert_eq!(
        registry::get_site(&test.db, "missing")
            .await
            .expect("query"),
        None
    );

    let entries = audit_entries(&test.db, "registry.import").await;
    assert_eq!(entries.len(), 1);
    let after: serde_json::Value = serde_json::from_str(&entries[0]).expect("JSON");
    assert_eq!(after["imported"], 6);
    assert_eq!(after["rejected"], 0);
    assert_eq!(after["completed"], true);
}

async fn reimporting_the_same_file_changes_nothing(engine: Engine) {
    let test = TestDb::new(engine).await;
    let path = write_file(&test, "good.csv", extract(GOOD));
    import(&test.db, start_time(), &path).await;
    let before = dump(&test.db).await;
    let outcome = import(&test.db, start_time() + Duration::hours(1), &path).await;
    assert_eq!(dump(&test.db).await, before);
    assert_eq!(outcome.imported, 6);
    assert_eq!(outcome.unchanged, 6);
    assert_eq!(
        (outcome.companies_created, outcome.companies_updated),
        (0, 0)
    );
    assert_eq!((outcome.sites_created, outcome.sites_updated), (0, 0));
    // One summary entry per run, nothing else.
    assert_eq!(audit_entries(&test.db, "registry.import").await.len(), 2);
    let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(test.db.pool())
        .await
        .expect("count");
    assert_eq!(all, 2);
}

async fn a_changed_extract_updates_only_what_changed(engine: Engine) {
    let test = TestDb::new(engine).await;
    let first = write_file(&test, "first.csv", extract(GOOD));
    import(&test.db, start_time(), &first).await;
    let before = dump(&test.db).await;
    // Rossi's 2024 fee is recorded late; Levante's unit gets another postcode; Ligure is renamed.
    let changed = GOOD
        .replace(
            "ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;ATTIVA;2025",
            "ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;ATTIVA;2024 2025",
        )
        .replace("Via Rubattino 4;16126", "Via Rubattino 4;16128")
        .replace("LIGURE EXPORT S.R.L.", "LIGURE EXPORT S.P.A.");
    let second = write_file(&test, "second.csv", extract(&changed));
    let later = start_time() + Duration::days(1);
    let outcome = import(&test.db, later, &second).await;
    assert_eq!(
        (outcome.companies_created, outcome.companies_updated),
        (0, 2)
    );
    assert_eq!((outcome.sites_created, outcome.sites_updated), (0, 1));
    // Levante's head office and Ligure's units (renamed already by its first row) change nothing.
    assert_eq!(outcome.unchanged, 3);

    let after = dump(&test.db).await;
    assert_eq!(
        after.len(),
        before.len() + 1,
        "one more fee year, no new rows otherwise"
    );
    let stamp = sportello_core::db::instant(later);
    let touched: Vec<&String> = after.iter().filter(|r| r.contains(&stamp)).collect();
    assert_eq!(touched.len(), 3, "{touched:#?}");
    let rossi = registry::find_company_by_tax_code(&test.db, &tax_code("RSSMRA80A01H501U"))
        .await
        .expect("query")
        .expect("company");
    assert_eq!(rossi.annual_fee_years, vec![2024, 2025]);
}

async fn each_kind_of_bad_field_is_rejected_with_its_line(engine: Engine) {
    let test = TestDb::new(engine).await;
    let good = "01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2024";
    let bad = [
        (
            "RSSMRA80A01H501V;;ROSSI MARIO;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;",
            "codice_fiscale",
        ),
        (
            "00743110157;00743110158;X;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;",
            "partita_iva",
        ),
        (
            "00743110157;;  ;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;",
            "denominazione",
        ),
        (
            "00743110157;;X;XX;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;",
            "provincia",
        ),
        (
            "00743110157;;X;GE;12A45;SEDE;Via Roma 1;16121;Genova;ATTIVA;",
            "numero_rea",
        ),
        (
            "00743110157;;X;GE;1;SL;Via Roma 1;16121;Genova;ATTIVA;",
            "tipo_sede",
        ),
        (
            "00743110157;;X;GE;1;SEDE;;16121;Genova;ATTIVA;",
            "indirizzo",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;1612;Genova;ATTIVA;",
            "cap",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;16121;;ATTIVA;",
            "comune",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genova;SOSPESA;",
            "stato",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;2024 20x5",
            "diritto_annuale_pagato",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;2027",
            "diritto_annuale_pagato",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA",
            "row",
        ),
        (
            "00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;;extra",
            "row",
        ),
    ];
    let mut content = format!("{HEADER}\n{good}\n");
    for (row, _) in &bad {
        content.push_str(row);
        content.push('\n');
    }
    // A field that is not UTF-8 rejects its row only.
    content.push_str("00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genov\u{0};ATTIVA;\n");
    let mut bytes = content.into_bytes();
    let nul = bytes.iter().position(|b| *b == 0).expect("marker");
    bytes[nul] = 0xE0;
    bytes.extend_from_slice(format!("{good}\n").as_bytes());
    let path = write_file(&test, "bad.csv", bytes);

    let outcome = import(&test.db, start_time(), &path).await;
    assert_eq!(outcome.imported, 2);
    assert_eq!(outcome.rejected_total, bad.len() as u64 + 1);
    for (i, (_, field)) in bad.iter().enumerate() {
        let rejection = &outcome.rejected[i];
        assert_eq!(rejection.line, i as u64 + 3, "{rejection:?}");
        assert_eq!(&rejection.field, field, "{rejection:?}");
    }
    let last = outcome.rejected.last().expect("the UTF-8 rejection");
    assert_eq!(
        (last.line, last.field.as_str()),
        (bad.len() as u64 + 3, "comune")
    );
    assert_eq!(outcome.rejected[0].reason, "wrong check character");
    assert_eq!(outcome.rejected[12].reason, "expected 11 fields, found 10");

    let (stdout, stderr) = report(&outcome, false);
    assert_eq!(stderr.lines().count(), bad.len() + 1);
    assert!(stderr.starts_with("line 3: codice_fiscale: wrong check character\n"));
    assert!(stderr.contains("line 6: provincia: not a province abbreviation\n"));
    assert!(stderr.contains("line 10: cap: a postcode (CAP) has 5 digits\n"));
    assert!(stderr.contains("line 13: diritto_annuale_pagato: \"20x5\" is not a year\n"));
    assert_eq!(stdout.lines().last(), Some("imported 2, rejected 15"));
}

async fn rows_of_one_company_far_apart_make_one_company(engine: Engine) {
    let test = TestDb::new(engine).await;
    let path = write_file(&test, "good.csv", extract(GOOD));
    // Two rows per transaction: Ligure's three rows fall in three different batches.
    let small = ImportOptions {
        progress: false,
        batch_size: 2,
    };
    let outcome = registry::import_csv(&test.db, start_time(), &path, small)
        .await
        .expect("import");
    assert_eq!(
        (
            outcome.imported,
            outcome.companies_created,
            outcome.sites_created
        ),
        (6, 3, 6)
    );
    let before = dump(&test.db).await;
    let again = registry::import_csv(&test.db, start_time() + Duration::hours(1), &path, small)
        .await
        .expect("import");
    assert_eq!(again.unchanged, 6);
    assert_eq!(dump(&test.db).await, before);
    // The same rows in one big batch find the same state.
    let outcome = import(&test.db, start_time() + Duration::hours(2), &path).await;
    assert_eq!(outcome.unchanged, 6);
    assert_eq!(dump(&test.db).await, before);
}

async fn comma_files_with_a_bom_and_columns_in_any_order_import_alike(engine: Engine) {
    let test = TestDb::new(engine).await;
    let semicolon = write_file(&test, "semicolon.csv", extract(GOOD));
    import(&test.db, start_time(), &semicolon).await;
    let before = dump(&test.db).await;

    // The same data: BOM, commas, quoted fields, CRLF, columns reversed, an extra column.
    let mut content = String::from("\u{feff}");
    let mut names: Vec<&str> = HEADER.split(';').collect();
    names.reverse();
    content.push_str(&format!("note,{}\r\n", names.join(",")));
    for row in GOOD.lines() {
        let mut fields: Vec<String> = row.split(';').map(|f| format!("\"{f}\"")).collect();
        fields.reverse();
        content.push_str(&format!("\"a, b\",{}\r\n", fields.join(",")));
    }
    let comma = write_file(&test, "comma.csv", content);
    let outcome = import(&test.db, start_time() + Duration::hours(1), &comma).await;
    assert_eq!(outcome.rejected_total, 0, "{:?}", outcome.rejected);
    assert_eq!(outcome.unchanged, 6);
    assert_eq!(dump(&test.db).await, before);
}

async fn single_row_upserts_write_only_differences(engine: Engine) {
    let test = TestDb::new(engine).await;
    let data = CompanyData {
        tax_code: tax_code("00743110157"),
        vat_number: Some(VatNumber::parse("00743110157").expect("VAT")),
        name: "CANTIERI DEL LEVANTE S.R.L.".to_string(),
        status: CompanyStatus::Active,
    };
    let site = SiteData {
        kind: SiteKind::HeadOffice,
        rea: Rea::new(Province::parse("SP").expect("SP"), "98765").expect("REA"),
        address: "Viale San Bartolomeo 300".to_string(),
        postcode: Postcode::parse("19126").expect("CAP"),
        municipality: "La Spezia".to_string(),
    };
    let now = start_time();
    let mut tx = test.db.begin().await.expect("begin");
    let company = registry::upsert_company(&mut tx, now, &data)
        .await
        .expect("insert");
    assert_eq!(company.written, Written::Created);
    let again = registry::upsert_company(&mut tx, now, &data)
        .await
        .expect("upsert");
    assert_eq!(
        (again.id.as_str(), again.written),
        (company.id.as_str(), Written::Unchanged)
    );
    let renamed = CompanyData {
        name: "CANTIERI DEL LEVANTE S.P.A.".to_string(),
        ..data.clone()
    };
    let updated = registry::upsert_company(&mut tx, now, &renamed)
        .await
        .expect("update");
    assert_eq!(updated.written, Written::Updated);
    assert!(
        registry::replace_annual_fee_years(&mut tx, now, &company.id, &[2025, 2024])
            .await
            .expect("fees")
    );
    assert!(
        !registry::replace_annual_fee_years(&mut tx, now, &company.id, &[2024, 2025, 2024])
            .await
            .expect("fees")
    );
    let s = registry::upsert_site(&mut tx, now, &company.id, &site)
        .await
        .expect("site");
    assert_eq!(s.written, Written::Created);
    let same = registry::upsert_site(&mut tx, now, &company.id, &site)
        .await
        .expect("site");
    assert_eq!(same.written, Written::Unchanged);
    let moved = SiteData {
        postcode: Postcode::parse("19125").expect("CAP"),
        address: "VIALE SAN BARTOLOMEO, 300".to_string(),
        ..site.clone()
    };
    let same_key = registry::upsert_site(&mut tx, now, &company.id, &moved)
        .await
        .expect("site");
    assert_eq!(
        (same_key.id.as_str(), same_key.written),
        (s.id.as_str(), Written::Updated)
    );
    tx.commit().await.expect("commit");

    let stored = registry::get_company(&test.db, &company.id)
        .await
        .expect("query")
        .expect("company");
    assert_eq!(stored.name, "CANTIERI DEL LEVANTE S.P.A.");
    assert_eq!(stored.annual_fee_years, vec![2024, 2025]);
    let sites = registry::company_sites(&test.db, &company.id)
        .await
        .expect("sites");
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].postcode.as_str(), "19125");
}

async fn a_stored_value_that_does_not_parse_is_a_decode_error(engine: Engine) {
    let test = TestDb::new(engine).await;
    sqlx::query(
        "INSERT INTO companies (id, tax_code, vat_number, name, status, created_at, updated_at) \
         VALUES ('c1', 'RSSMRA80A01H501U', '00743110158', 'X', 'active', 't', 't')",
    )
    .execute(test.db.pool())
    .await
    .expect("insert a broken row");
    let found = registry::find_company_by_tax_code(&test.db, &tax_code("RSSMRA80A01H501U")).await;
    assert!(matches!(found, Err(sqlx::Error::Decode(_))), "{found:?}");
}

async fn a_database_failure_stops_the_run_and_is_audited_as_incomplete(engine: Engine) {
    let test = TestDb::new(engine).await;
    // Every write to sites fails; renaming keeps the tables that refer to it valid.
    sqlx::query("ALTER TABLE sites RENAME TO sites_elsewhere")
        .execute(test.db.pool())
        .await
        .expect("rename a table");
    let path = write_file(&test, "good.csv", extract(GOOD));
    match registry::import_csv(&test.db, start_time(), &path, options()).await {
        Err(e @ ImportError::Database(_)) => assert_eq!(e.exit_code(), 1),
        other => panic!("expected a database error, got {other:?}"),
    }
    let entries = audit_entries(&test.db, "registry.import").await;
    assert_eq!(entries.len(), 1);
    let after: serde_json::Value = serde_json::from_str(&entries[0]).expect("JSON");
    assert_eq!(after["completed"], false);
    assert_eq!(after["imported"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_file_is_an_import_error_with_exit_code_2() {
    let test = TestDb::new(Engine::Sqlite).await;
    let missing = test.dir.path().join("missing.csv");
    let empty = write_file(&test, "empty.csv", "");
    let latin1 = write_file(&test, "latin1.csv", b"codice_fiscale;citt\xe0\n");
    let columns = write_file(
        &test,
        "columns.csv",
        "codice_fiscale;partita_iva;denominazione\n",
    );
    let twice = write_file(&test, "twice.csv", format!("{HEADER};cap\n"));
    for (path, expected) in [
        (&missing, "cannot open"),
        (&empty, "the file has no header line"),
        (&latin1, "the header line is not UTF-8"),
        (
            &columns,
            "missing columns: provincia, numero_rea, tipo_sede, indirizzo, cap, comune, stato, \
             diritto_annuale_pagato",
        ),
        (&twice, "column cap appears twice"),
    ] {
        match registry::import_csv(&test.db, start_time(), path, options()).await {
            Err(e) => {
                assert!(e.to_string().starts_with(expected), "{e}");
                assert_eq!(e.exit_code(), 2);
            }
            Ok(outcome) => panic!("{}: imported {}", path.display(), outcome.imported),
        }
    }
    assert!(matches!(
        registry::import_csv(&test.db, start_time(), &missing, options()).await,
        Err(ImportError::Open { .. })
    ));
    assert!(audit_entries(&test.db, "registry.import").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_follows_the_output_contract() {
    let test = TestDb::new(Engine::Sqlite).await;
    let content = extract(
        "01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2024\n\
         01879020517;;LIGURE EXPORT S.R.L.;EE;1;UL;Via \"Roma\";16121;Genova;ATTIVA;\n\
         00743110157;;X;GE;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;2024;\n",
    );
    let path = write_file(&test, "contract.csv", content);
    let outcome = import(&test.db, start_time(), &path).await;

    let (stdout, stderr) = report(&outcome, false);
    assert_eq!(
        stderr,
        "line 3: provincia: not a province abbreviation\n\
         line 4: row: expected 11 fields, found 12\n"
    );
    assert_eq!(
        stdout,
        "companies created 1, updated 0; sites created 1, updated 0; rows unchanged 0\n\
         imported 1, rejected 2\n"
    );

    let (stdout, stderr) = report(&outcome, true);
    assert_eq!(
        stdout,
        "{\"imported\":1,\"rejected\":[\
         {\"line\":3,\"field\":\"provincia\",\"reason\":\"not a province abbreviation\"},\
         {\"line\":4,\"field\":\"row\",\"reason\":\"expected 11 fields, found 12\"}]}\n"
    );
    assert_eq!(stderr.lines().count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_past_the_memory_cap_are_spilled_and_all_reported() {
    let test = TestDb::new(Engine::Sqlite).await;
    let mut content = format!("{HEADER}\n");
    let total = 10_050;
    for _ in 0..total {
        content.push_str("00743110157;;X;XX;1;SEDE;Via Roma 1;16121;Genova;ATTIVA;\n");
    }
    let path = write_file(&test, "bad.csv", content);
    let outcome = import(&test.db, start_time(), &path).await;
    assert_eq!(outcome.rejected.len(), 10_000);
    assert_eq!(outcome.rejected_total, total);

    let (stdout, stderr) = report(&outcome, true);
    assert_eq!(stderr.lines().count() as u64, total);
    assert_eq!(
        stderr.lines().last(),
        Some("line 10051: provincia: not a province abbreviation")
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let rejected = json["rejected"].as_array().expect("list");
    assert_eq!(rejected.len() as u64, total);
    assert_eq!(rejected[10_049]["line"], 10_051);
    let (stdout, _) = report(&outcome, false);
    assert_eq!(stdout.lines().last(), Some("imported 0, rejected 10050"));
}
