//! What the registry import tests on PostgreSQL share: the extract's header, a run, its counts
//! as one comparable value, and every stored value of the registry tables.

use chrono::{DateTime, Utc};
use sportello_core::db::Db;
use sportello_core::registry::{self, ImportOptions, ImportOutcome};
use std::path::Path;

pub const HEADER: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;\
                          tipo_sede;indirizzo;cap;comune;stato;diritto_annuale_pagato;\
                          rappresentanti;data_iscrizione";

/// A company that is not in any extract: its presence makes the ordinary path run, and
/// [`stored`] leaves it out.
pub const DECOY: &str = "00000000000";

pub async fn import(db: &Db, now: DateTime<Utc>, path: &Path, batch_size: usize) -> ImportOutcome {
    let options = ImportOptions {
        progress: false,
        batch_size,
    };
    registry::import_csv(db, now, path, options)
        .await
        .expect("the import succeeds")
}

/// What an outcome counted, as one comparable value.
pub fn counts(o: &ImportOutcome) -> [u64; 9] {
    [
        o.imported,
        o.unchanged,
        o.companies_created,
        o.companies_updated,
        o.sites_created,
        o.sites_updated,
        o.representatives_updated,
        o.rejected_total,
        o.skipped_total,
    ]
}

/// Every stored value of the registry tables but the decoy's, row for row, with ids replaced
/// by the natural keys (tax code, site key) and sorted in Rust, so that both engines'
/// collations give the same order.
pub async fn stored(db: &Db) -> Vec<String> {
    type CompanyRow = (
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        String,
        String,
    );
    let companies: Vec<CompanyRow> = sqlx::query_as(
        "SELECT tax_code, vat_number, name, status, registered_on, created_at, updated_at \
         FROM companies WHERE tax_code <> $1",
    )
    .bind(DECOY)
    .fetch_all(db.pool())
    .await
    .expect("companies");
    let fees: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.tax_code, f.year FROM company_annual_fees f \
         JOIN companies c ON c.id = f.company_id",
    )
    .fetch_all(db.pool())
    .await
    .expect("fees");
    let representatives: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.tax_code, r.tax_code FROM company_representatives r \
         JOIN companies c ON c.id = r.company_id",
    )
    .fetch_all(db.pool())
    .await
    .expect("representatives");
    type SiteRow = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let sites: Vec<SiteRow> = sqlx::query_as(
        "SELECT c.tax_code, s.site_key, s.kind, s.province || '-' || s.rea_number, \
             s.address, s.postcode, s.municipality, s.created_at || '|' || s.updated_at \
             FROM sites s JOIN companies c ON c.id = s.company_id",
    )
    .fetch_all(db.pool())
    .await
    .expect("sites");
    let mut rows: Vec<String> = companies.iter().map(|r| format!("company {r:?}")).collect();
    rows.extend(fees.iter().map(|r| format!("fee {r:?}")));
    rows.extend(
        representatives
            .iter()
            .map(|r| format!("representative {r:?}")),
    );
    rows.extend(sites.iter().map(|r| format!("site {r:?}")));
    rows.sort();
    rows
}
