//! The first registry import on PostgreSQL (empty tables: one transaction, plain inserts, keys
//! and indexes set aside and rebuilt) stores and counts exactly what the ordinary path does,
//! and a first import that fails leaves the tables, their keys and their indexes as they were.

use crate::helpers::{TestDb, start_time};
use crate::registry_support::{DECOY, HEADER, counts, import, stored};
use chrono::Duration;
use sportello_core::db::{Db, Engine};
use sportello_core::registry::{self, ImportError, ImportOptions};
use std::fmt::Write as _;

/// The same without the optional columns (representatives, registration date).
const SHORT_HEADER: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;\
                            tipo_sede;indirizzo;cap;comune;stato;diritto_annuale_pagato";

/// An 11-digit company tax code: `n` in ten digits and its Luhn check digit.
fn company_code(n: u64) -> String {
    let body = format!("{:010}", 1_000_000 + n * 7);
    let mut sum = 0;
    for (i, d) in body.bytes().map(|b| u32::from(b - b'0')).enumerate() {
        sum += if i % 2 == 0 {
            d
        } else if d * 2 > 9 {
            d * 2 - 9
        } else {
            d * 2
        };
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A deterministic extract of `companies` companies, their rows scattered over the file: head
/// offices, local units, repeated rows, rows that disagree with the earlier ones of their
/// company (name, status, fee years, representatives, registration date) or of their site
/// (postcode), so that counts depend on which rows share a batch.
fn scattered_extract(companies: u64, full: bool) -> String {
    const PEOPLE: [&str; 3] = ["BAAAAA08E28F205M", "BNCGLI85M41D969D", "RSSMRA80A01H501U"];
    let mut seed: u64 = 0x5eed;
    let mut next = move |bound: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % bound
    };
    let mut rows: Vec<String> = Vec::new();
    for n in 0..companies {
        let code = company_code(n);
        let vat = if n % 3 == 0 {
            code.clone()
        } else {
            String::new()
        };
        let province = ["GE", "MI", "RM", "TO", "NA"][(n % 5) as usize];
        let rea = 100_000 + n;
        let row = |name: &str,
                   kind: &str,
                   address: &str,
                   postcode: &str,
                   status: &str,
                   fees: &str,
                   people: &str,
                   date: &str| {
            let mut line = format!(
                "{code};{vat};{name};{province};{rea};{kind};{address};{postcode};COMUNE {n};\
                 {status};{fees}"
            );
            if full {
                write!(line, ";{people};{date}").expect("write to a string");
            }
            line
        };
        let name = format!("IMPRESA {n} S.R.L.");
        let people = PEOPLE[(n % 3) as usize];
        rows.push(row(
            &name,
            "SEDE",
            "VIA ROMA 1",
            "16121",
            "ATTIVA",
            "2024 2025",
            people,
            "2001-03-15",
        ));
        for unit in 0..next(3) {
            let address = format!("VIA DELLE UNITA {unit}");
            rows.push(row(
                &name,
                "UL",
                &address,
                "16122",
                "ATTIVA",
                "2024 2025",
                people,
                "2001-03-15",
            ));
        }
        match next(8) {
            // The head office again, the same: unchanged.
            0 | 1 => rows.push(row(
                &name,
                "SEDE",
                "VIA ROMA 1",
                "16121",
                "ATTIVA",
                "2024 2025",
                people,
                "2001-03-15",
            )),
            // The head office moved its postcode: the site changes.
            2 => rows.push(row(
                &name,
                "SEDE",
                "VIA ROMA 1",
                "16129",
                "ATTIVA",
                "2024 2025",
                people,
                "2001-03-15",
            )),
            // A row that renames the company and ends it.
            3 => rows.push(row(
                &format!("{name} IN LIQUIDAZIONE"),
                "UL",
                "PIAZZA NUOVA 2",
                "16123",
                "CESSATA",
                "2024 2025",
                people,
                "2001-03-15",
            )),
            // Other fee years, representatives and date.
            4 => rows.push(row(
                &name,
                "SEDE",
                "VIA ROMA 1",
                "16121",
                "ATTIVA",
                "2023 2025 2026",
                "BNCGLI85M41D969D RSSMRA80A01H501U",
                "",
            )),
            // No representatives any more, then back.
            5 => {
                rows.push(row(
                    &name,
                    "SEDE",
                    "VIA ROMA 1",
                    "16121",
                    "ATTIVA",
                    "2024 2025",
                    "",
                    "2001-03-15",
                ));
                rows.push(row(
                    &name,
                    "SEDE",
                    "VIA ROMA 1",
                    "16121",
                    "ATTIVA",
                    "2024 2025",
                    people,
                    "2001-03-15",
                ));
            }
            _ => {}
        }
    }
    // Scatter: a fixed permutation, so that a company's rows are far apart, yet the rows of
    // each company keep their relative order in most cases and swap in others.
    let mut order: Vec<(u64, String)> = rows.into_iter().map(|r| (next(1 << 20), r)).collect();
    order.sort_by_key(|(k, _)| *k);
    let header = if full { HEADER } else { SHORT_HEADER };
    let mut out = format!("{header}\n");
    for (_, row) in order {
        out.push_str(&row);
        out.push('\n');
    }
    out
}

/// The registry tables' indexes and constraints, by name and definition, and the identity
/// (OID) of each index.
async fn schema(db: &Db) -> (Vec<(String, String)>, Vec<(String, String, bool)>, Vec<i64>) {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename IN \
         ('companies', 'company_annual_fees', 'company_representatives', 'sites') \
         ORDER BY indexname",
    )
    .fetch_all(db.pool())
    .await
    .expect("pg_indexes");
    let constraints: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid), convalidated FROM pg_constraint \
         WHERE conrelid IN ('companies'::regclass, 'company_annual_fees'::regclass, \
         'company_representatives'::regclass, 'sites'::regclass) ORDER BY conname",
    )
    .fetch_all(db.pool())
    .await
    .expect("pg_constraint");
    let oids: Vec<i64> = sqlx::query_scalar(
        "SELECT i.indexrelid::bigint FROM pg_index i WHERE i.indrelid IN \
         ('companies'::regclass, 'company_annual_fees'::regclass, \
         'company_representatives'::regclass, 'sites'::regclass) \
         ORDER BY i.indexrelid::regclass::text",
    )
    .fetch_all(db.pool())
    .await
    .expect("pg_index");
    (indexes, constraints, oids)
}

async fn rows_in_registry_tables(db: &Db) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM companies) + (SELECT count(*) FROM company_annual_fees) \
         + (SELECT count(*) FROM company_representatives) + (SELECT count(*) FROM sites)",
    )
    .fetch_one(db.pool())
    .await
    .expect("count")
}

async fn add_decoy(db: &Db) {
    sqlx::query(
        "INSERT INTO companies (id, tax_code, name, status, created_at, updated_at) \
         VALUES ('decoy', $1, 'DECOY', 'active', '2020-01-01T00:00:00.000000Z', \
         '2020-01-01T00:00:00.000000Z')",
    )
    .bind(DECOY)
    .execute(db.pool())
    .await
    .expect("insert the decoy company");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(sportello_test_postgres),
    ignore = "SPORTELLO_TEST_POSTGRES is not set"
)]
async fn a_first_import_stores_and_counts_what_the_ordinary_path_does() {
    // One batch; batches of a few rows (a company's rows in several of them); one row each;
    // and a file without the optional columns.
    for (full, batch_size) in [(true, 10_000), (true, 7), (true, 1), (false, 2)] {
        let extract = scattered_extract(120, full);
        {
            let what = format!("full columns {full}, batch of {batch_size}");
            let first = TestDb::new(Engine::Postgres).await;
            let ordinary = TestDb::new(Engine::Postgres).await;
            let sqlite = TestDb::new(Engine::Sqlite).await;
            let path = first.dir.path().join("extract.csv");
            std::fs::write(&path, &extract).expect("write the extract");
            add_decoy(&ordinary.db).await;
            let (_, _, first_before) = schema(&first.db).await;
            let (_, _, ordinary_before) = schema(&ordinary.db).await;

            let now = start_time();
            let f = import(&first.db, now, &path, batch_size).await;
            let o = import(&ordinary.db, now, &path, batch_size).await;
            let s = import(&sqlite.db, now, &path, batch_size).await;
            assert!(f.imported > 300, "{what}: {}", f.imported);
            assert!(f.unchanged > 0, "{what}: {f:?}");
            if batch_size < 10 {
                // Rows of a company in later batches update it, as an upsert per batch would.
                assert!(
                    f.companies_updated > 0 && f.sites_updated > 0,
                    "{what}: {f:?}"
                );
            }
            assert_eq!(counts(&f), counts(&o), "{what}");
            assert_eq!(counts(&f), counts(&s), "{what}");
            let stored_first = stored(&first.db).await;
            assert_eq!(stored_first, stored(&ordinary.db).await, "{what}");
            assert_eq!(stored_first, stored(&sqlite.db).await, "{what}");

            // The first import rebuilt the indexes; the ordinary one left them alone.
            let (_, _, first_after) = schema(&first.db).await;
            let (_, _, ordinary_after) = schema(&ordinary.db).await;
            assert_ne!(
                first_after, first_before,
                "{what}: the first import did not take its own path"
            );
            assert_eq!(ordinary_after, ordinary_before, "{what}");

            // A second run is no longer a first import, and finds what the ordinary path does.
            let later = now + Duration::hours(1);
            let f = import(&first.db, later, &path, batch_size).await;
            let o = import(&ordinary.db, later, &path, batch_size).await;
            assert_eq!(counts(&f), counts(&o), "{what}, again");
            assert_eq!(schema(&first.db).await.2, first_after, "{what}, again");
            assert_eq!(stored(&first.db).await, stored(&ordinary.db).await);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(sportello_test_postgres),
    ignore = "SPORTELLO_TEST_POSTGRES is not set"
)]
async fn a_failed_first_import_leaves_the_tables_keys_and_indexes_as_they_were() {
    let test = TestDb::new(Engine::Postgres).await;
    let path = test.dir.path().join("extract.csv");
    std::fs::write(&path, scattered_extract(60, true)).expect("write the extract");
    let before = schema(&test.db).await;
    assert!(before.0.len() >= 7 && before.1.len() >= 10, "{before:?}");

    // Writing the fee years fails: by then the keys are dropped and companies are written.
    for sql in [
        "CREATE FUNCTION refuse_fees() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'no fee years today'; END $$",
        "CREATE TRIGGER refuse_fees BEFORE INSERT ON company_annual_fees \
         FOR EACH STATEMENT EXECUTE FUNCTION refuse_fees()",
    ] {
        sqlx::query(sql)
            .execute(test.db.pool())
            .await
            .expect("install the failing trigger");
    }
    let options = ImportOptions {
        progress: false,
        batch_size: 16,
    };
    match registry::import_csv(&test.db, start_time(), &path, options).await {
        Err(e @ ImportError::Database(_)) => {
            assert_eq!(e.exit_code(), 1);
            assert!(e.to_string().contains("no fee years today"), "{e}");
        }
        other => panic!("expected a database error, got {other:?}"),
    }
    assert_eq!(rows_in_registry_tables(&test.db).await, 0);
    // The very same indexes (same OIDs), keys and definitions.
    assert_eq!(schema(&test.db).await, before);

    // Without the trigger the same file loads, and the rebuilt keys and indexes read as before.
    sqlx::query("DROP TRIGGER refuse_fees ON company_annual_fees")
        .execute(test.db.pool())
        .await
        .expect("drop the trigger");
    let outcome = registry::import_csv(&test.db, start_time(), &path, options)
        .await
        .expect("the import succeeds");
    assert!(outcome.companies_created == 60, "{outcome:?}");
    let after = schema(&test.db).await;
    assert_eq!((&after.0, &after.1), (&before.0, &before.1));
    assert!(rows_in_registry_tables(&test.db).await > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(sportello_test_postgres),
    ignore = "SPORTELLO_TEST_POSTGRES is not set"
)]
async fn a_first_import_numbers_ids_in_the_order_of_the_keys() {
    let test = TestDb::new(Engine::Postgres).await;
    let path = test.dir.path().join("extract.csv");
    std::fs::write(&path, scattered_extract(80, true)).expect("write the extract");
    import(&test.db, start_time(), &path, 16).await;

    // Read in id order; the natural keys must then be in byte order too.
    let companies: Vec<(String, String)> =
        sqlx::query_as("SELECT id, tax_code FROM companies ORDER BY id COLLATE \"C\"")
            .fetch_all(test.db.pool())
            .await
            .expect("companies");
    let sites: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.id, c.tax_code, s.site_key FROM sites s JOIN companies c ON c.id = s.company_id \
         ORDER BY s.id COLLATE \"C\"",
    )
    .fetch_all(test.db.pool())
    .await
    .expect("sites");
    assert_eq!(companies.len(), 80);
    assert!(sites.len() > companies.len(), "{}", sites.len());
    for id in companies
        .iter()
        .map(|c| &c.0)
        .chain(sites.iter().map(|s| &s.0))
    {
        let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
        assert_eq!(uuid.get_version_num(), 7, "{id}");
        assert_eq!(uuid.to_string(), *id, "{id}");
    }
    let codes: Vec<&String> = companies.iter().map(|c| &c.1).collect();
    assert!(codes.is_sorted(), "{codes:?}");
    let keys: Vec<(&String, &String)> = sites.iter().map(|s| (&s.1, &s.2)).collect();
    assert!(keys.is_sorted(), "{keys:?}");
}
