//! Registry queries: small named functions. Writes take the caller's transaction and compare
//! before writing, so an unchanged value leaves its row (and `updated_at`) untouched. Reads
//! take the database and decode rows into the typed values: a stored value that does not parse
//! is a decode error, never a panic.

use crate::db::{self, Db, Tx};
use crate::registry::{
    CompanyStatus, Postcode, Province, Rea, SiteKind, TaxCode, VatNumber, site_key,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A company of the registry, identified by its tax code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Company {
    pub id: String,
    pub tax_code: TaxCode,
    pub vat_number: Option<VatNumber>,
    pub name: String,
    pub status: CompanyStatus,
    /// Years whose annual fee (diritto annuale) is paid, ascending.
    pub annual_fee_years: Vec<i32>,
    /// The registration date (`data_iscrizione`), when the Registry extract carried it.
    pub registered_on: Option<NaiveDate>,
}

/// A head office or local unit of a company.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: String,
    pub company_id: String,
    pub kind: SiteKind,
    pub rea: Rea,
    pub address: String,
    pub postcode: Postcode,
    pub municipality: String,
}

/// The company-level fields a write sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyData {
    pub tax_code: TaxCode,
    pub vat_number: Option<VatNumber>,
    pub name: String,
    pub status: CompanyStatus,
}

/// The fields of a site a write sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteData {
    pub kind: SiteKind,
    pub rea: Rea,
    pub address: String,
    pub postcode: Postcode,
    pub municipality: String,
}

impl SiteData {
    /// The key that finds this site again on the next import (see [`site_key`]).
    pub fn key(&self) -> String {
        site_key(self.kind, &self.rea, &self.address, &self.municipality)
    }
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
}

/// The row an upsert wrote (or found equal) and what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upserted {
    pub id: String,
    pub written: Written,
}

/// Inserts the company, or updates it when a field differs; found by tax code.
pub async fn upsert_company(
    tx: &mut Tx,
    now: DateTime<Utc>,
    data: &CompanyData,
) -> Result<Upserted, sqlx::Error> {
    let vat = data.vat_number.as_ref().map(VatNumber::as_str);
    let existing: Option<(String, Option<String>, String, String)> =
        sqlx::query_as("SELECT id, vat_number, name, status FROM companies WHERE tax_code = $1")
            .bind(data.tax_code.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    let Some((id, old_vat, old_name, old_status)) = existing else {
        let id = db::new_id();
        sqlx::query(
            "INSERT INTO companies (id, tax_code, vat_number, name, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(data.tax_code.as_str())
        .bind(vat)
        .bind(&data.name)
        .bind(data.status.as_str())
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
        return Ok(Upserted {
            id,
            written: Written::Created,
        });
    };
    if old_vat.as_deref() == vat && old_name == data.name && old_status == data.status.as_str() {
        return Ok(Upserted {
            id,
            written: Written::Unchanged,
        });
    }
    sqlx::query("UPDATE companies SET vat_number = $1, name = $2, status = $3, updated_at = $4 WHERE id = $5")
        .bind(vat)
        .bind(&data.name)
        .bind(data.status.as_str())
        .bind(db::instant(now))
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    Ok(Upserted {
        id,
        written: Written::Updated,
    })
}

/// Makes `years` the company's paid annual-fee years. Writes (and touches the company's
/// `updated_at`) only when the set differs; returns whether it did.
pub async fn replace_annual_fee_years(
    tx: &mut Tx,
    now: DateTime<Utc>,
    company_id: &str,
    years: &[i32],
) -> Result<bool, sqlx::Error> {
    let mut wanted: Vec<i32> = years.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let stored: Vec<i64> = sqlx::query_scalar(
        "SELECT year FROM company_annual_fees WHERE company_id = $1 ORDER BY year",
    )
    .bind(company_id)
    .fetch_all(&mut **tx)
    .await?;
    if stored
        .iter()
        .copied()
        .eq(wanted.iter().map(|y| i64::from(*y)))
    {
        return Ok(false);
    }
    sqlx::query("DELETE FROM company_annual_fees WHERE company_id = $1")
        .bind(company_id)
        .execute(&mut **tx)
        .await?;
    for year in wanted {
        sqlx::query("INSERT INTO company_annual_fees (company_id, year) VALUES ($1, $2)")
            .bind(company_id)
            .bind(i64::from(year))
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE companies SET updated_at = $1 WHERE id = $2")
        .bind(db::instant(now))
        .bind(company_id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Inserts the site, or updates it when a field differs; found by company and site key.
pub async fn upsert_site(
    tx: &mut Tx,
    now: DateTime<Utc>,
    company_id: &str,
    data: &SiteData,
) -> Result<Upserted, sqlx::Error> {
    let key = data.key();
    let number = data.rea.number().to_string();
    let existing: Option<SiteRow> = sqlx::query_as(
        "SELECT id, company_id, kind, province, rea_number, address, postcode, municipality \
         FROM sites WHERE company_id = $1 AND site_key = $2",
    )
    .bind(company_id)
    .bind(&key)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(old) = existing else {
        let id = db::new_id();
        sqlx::query(
            "INSERT INTO sites (id, company_id, site_key, kind, province, rea_number, address, \
             postcode, municipality, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&id)
        .bind(company_id)
        .bind(&key)
        .bind(data.kind.as_str())
        .bind(data.rea.province().code())
        .bind(&number)
        .bind(&data.address)
        .bind(data.postcode.as_str())
        .bind(&data.municipality)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
        return Ok(Upserted {
            id,
            written: Written::Created,
        });
    };
    if old.province == data.rea.province().code()
        && old.rea_number == number
        && old.address == data.address
        && old.postcode == data.postcode.as_str()
        && old.municipality == data.municipality
    {
        return Ok(Upserted {
            id: old.id,
            written: Written::Unchanged,
        });
    }
    sqlx::query(
        "UPDATE sites SET province = $1, rea_number = $2, address = $3, postcode = $4, \
         municipality = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(data.rea.province().code())
    .bind(&number)
    .bind(&data.address)
    .bind(data.postcode.as_str())
    .bind(&data.municipality)
    .bind(db::instant(now))
    .bind(&old.id)
    .execute(&mut **tx)
    .await?;
    Ok(Upserted {
        id: old.id,
        written: Written::Updated,
    })
}

/// The company with this tax code (compared as written, not omocodia-normalised).
pub async fn find_company_by_tax_code(
    db: &Db,
    tax_code: &TaxCode,
) -> Result<Option<Company>, sqlx::Error> {
    company_where(db, "c.tax_code = $1", tax_code.as_str()).await
}

/// The company with this id.
pub async fn get_company(db: &Db, company_id: &str) -> Result<Option<Company>, sqlx::Error> {
    company_where(db, "c.id = $1", company_id).await
}

/// The one company a unique column names, with its annual fees in the same statement: one
/// row per fee year (one with no year when none was paid).
async fn company_where(
    db: &Db,
    condition: &'static str,
    value: &str,
) -> Result<Option<Company>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        company: CompanyRow,
        fee_year: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.tax_code, c.vat_number, c.name, c.status, c.registered_on, \
         f.year AS fee_year FROM companies c \
         LEFT JOIN company_annual_fees f ON f.company_id = c.id WHERE {condition} \
         ORDER BY f.year"
    )))
    .bind(value)
    .fetch_all(db.pool())
    .await?;
    let years = rows
        .iter()
        .filter_map(|r| r.fee_year)
        .map(|y| i32::try_from(y).map_err(|e| decode_error("company_annual_fees.year", e)))
        .collect::<Result<Vec<i32>, _>>()?;
    match rows.into_iter().next() {
        Some(row) => Ok(Some(row.company.decode(years)?)),
        None => Ok(None),
    }
}

/// A company (with its annual fees) and a site, by id, in one statement; `None` when either
/// does not exist.
pub async fn company_and_site(
    db: &Db,
    company_id: &str,
    site_id: &str,
) -> Result<Option<(Company, Site)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        company: CompanyRow,
        fee_year: Option<i64>,
        s_id: String,
        s_company_id: String,
        s_kind: String,
        s_province: String,
        s_rea_number: String,
        s_address: String,
        s_postcode: String,
        s_municipality: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.tax_code, c.vat_number, c.name, c.status, c.registered_on, \
         f.year AS fee_year, s.id AS s_id, s.company_id AS s_company_id, s.kind AS s_kind, \
         s.province AS s_province, s.rea_number AS s_rea_number, s.address AS s_address, \
         s.postcode AS s_postcode, s.municipality AS s_municipality \
         FROM companies c JOIN sites s ON s.id = $2 \
         LEFT JOIN company_annual_fees f ON f.company_id = c.id WHERE c.id = $1 \
         ORDER BY f.year",
    )
    .bind(company_id)
    .bind(site_id)
    .fetch_all(db.pool())
    .await?;
    let years = rows
        .iter()
        .filter_map(|r| r.fee_year)
        .map(|y| i32::try_from(y).map_err(|e| decode_error("company_annual_fees.year", e)))
        .collect::<Result<Vec<i32>, _>>()?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let site = SiteRow {
        id: row.s_id,
        company_id: row.s_company_id,
        kind: row.s_kind,
        province: row.s_province,
        rea_number: row.s_rea_number,
        address: row.s_address,
        postcode: row.s_postcode,
        municipality: row.s_municipality,
    }
    .decode()?;
    Ok(Some((row.company.decode(years)?, site)))
}

/// The companies with these ids, in the order given (unknown ids are skipped).
pub async fn companies_by_id(db: &Db, ids: &[String]) -> Result<Vec<Company>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = get_company(db, id).await? {
            out.push(c);
        }
    }
    Ok(out)
}

/// A company's sites: the head office first, then local units by province and address.
pub async fn company_sites(db: &Db, company_id: &str) -> Result<Vec<Site>, sqlx::Error> {
    let rows: Vec<SiteRow> = sqlx::query_as(
        "SELECT id, company_id, kind, province, rea_number, address, postcode, municipality \
         FROM sites WHERE company_id = $1 ORDER BY kind, province, address, id",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(SiteRow::decode).collect()
}

/// Every site registered under this REA number, with its company. Several local units in one
/// province share their company's REA number, so there may be more than one.
pub async fn find_sites_by_rea(db: &Db, rea: &Rea) -> Result<Vec<(Company, Site)>, sqlx::Error> {
    let rows: Vec<SiteRow> = sqlx::query_as(
        "SELECT id, company_id, kind, province, rea_number, address, postcode, municipality \
         FROM sites WHERE province = $1 AND rea_number = $2 ORDER BY company_id, kind, address, id",
    )
    .bind(rea.province().code())
    .bind(rea.number().to_string())
    .fetch_all(db.pool())
    .await?;
    let mut found: Vec<(Company, Site)> = Vec::with_capacity(rows.len());
    for row in rows {
        let site = row.decode()?;
        let company = match found.last() {
            Some((company, _)) if company.id == site.company_id => company.clone(),
            _ => get_company(db, &site.company_id)
                .await?
                .ok_or_else(|| decode_error("sites.company_id", "no such company"))?,
        };
        found.push((company, site));
    }
    Ok(found)
}

/// The site with this id.
pub async fn get_site(db: &Db, site_id: &str) -> Result<Option<Site>, sqlx::Error> {
    let row: Option<SiteRow> = sqlx::query_as(
        "SELECT id, company_id, kind, province, rea_number, address, postcode, municipality \
         FROM sites WHERE id = $1",
    )
    .bind(site_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(SiteRow::decode).transpose()
}

/// The years whose annual fee the company has paid, ascending.
pub async fn annual_fee_years(db: &Db, company_id: &str) -> Result<Vec<i32>, sqlx::Error> {
    let years: Vec<i64> = sqlx::query_scalar(
        "SELECT year FROM company_annual_fees WHERE company_id = $1 ORDER BY year",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    years
        .into_iter()
        .map(|y| i32::try_from(y).map_err(|e| decode_error("company_annual_fees.year", e)))
        .collect()
}

#[derive(sqlx::FromRow)]
struct CompanyRow {
    id: String,
    tax_code: String,
    vat_number: Option<String>,
    name: String,
    status: String,
    registered_on: Option<String>,
}

impl CompanyRow {
    fn decode(self, annual_fee_years: Vec<i32>) -> Result<Company, sqlx::Error> {
        Ok(Company {
            tax_code: TaxCode::parse(&self.tax_code)
                .map_err(|e| decode_error("companies.tax_code", e))?,
            vat_number: self
                .vat_number
                .as_deref()
                .map(VatNumber::parse)
                .transpose()
                .map_err(|e| decode_error("companies.vat_number", e))?,
            status: CompanyStatus::parse(&self.status)
                .map_err(|e| decode_error("companies.status", e))?,
            registered_on: self
                .registered_on
                .as_deref()
                .map(db::parse_date)
                .transpose()?,
            id: self.id,
            name: self.name,
            annual_fee_years,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    company_id: String,
    kind: String,
    province: String,
    rea_number: String,
    address: String,
    postcode: String,
    municipality: String,
}

impl SiteRow {
    fn decode(self) -> Result<Site, sqlx::Error> {
        let province =
            Province::parse(&self.province).map_err(|e| decode_error("sites.province", e))?;
        Ok(Site {
            kind: SiteKind::parse(&self.kind).map_err(|e| decode_error("sites.kind", e))?,
            rea: Rea::new(province, &self.rea_number)
                .map_err(|e| decode_error("sites.rea_number", e))?,
            postcode: Postcode::parse(&self.postcode)
                .map_err(|e| decode_error("sites.postcode", e))?,
            id: self.id,
            company_id: self.company_id,
            address: self.address,
            municipality: self.municipality,
        })
    }
}

fn decode_error(column: &str, error: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("{column}: {error}").into())
}
