//! The SQLite path of a batch (PostgreSQL takes [`super::copy`]; this one stays portable).
//! One transaction per chunk of rows: load the companies, fee years and sites the rows name,
//! apply the rows to that state in file order, then write only what differs from what was
//! loaded. Reads and inserts are multi-row statements; updates, rare after the first import,
//! are one statement per row.
//!
//! Statement shapes are kept few so that both engines reuse prepared statements: `IN` lists
//! are padded to a power of two (repeating the last value), and multi-row inserts are cut
//! into power-of-two groups of rows.

use crate::db::{self, Engine};
use crate::registry::import::rows::Row;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection};
use std::collections::HashMap;

/// What one chunk did.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub rows: u64,
    pub unchanged: u64,
    pub companies_created: u64,
    pub companies_updated: u64,
    pub sites_created: u64,
    pub sites_updated: u64,
    pub representatives_updated: u64,
}

impl Counts {
    pub(super) fn add(&mut self, other: &Counts) {
        self.rows += other.rows;
        self.unchanged += other.unchanged;
        self.companies_created += other.companies_created;
        self.companies_updated += other.companies_updated;
        self.sites_created += other.sites_created;
        self.sites_updated += other.sites_updated;
        self.representatives_updated += other.representatives_updated;
    }
}

/// The most values bound in an `IN` list.
const MAX_IN: usize = 512;
/// The most rows in one multi-row insert (a power of two).
const MAX_INSERT_ROWS: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
struct CompanyFields {
    vat: Option<String>,
    name: String,
    status: String,
    /// `YYYY-MM-DD`, `None` when unknown.
    registered_on: Option<String>,
}

struct CompanyState {
    id: String,
    tax_code: String,
    /// As loaded (`None` when the chunk creates the company).
    stored: Option<(CompanyFields, Vec<i32>)>,
    fields: CompanyFields,
    fees: Vec<i32>,
    /// The legal representatives as loaded (only when the file has the column; empty for a
    /// company the chunk creates) and as the rows say.
    stored_representatives: Vec<String>,
    representatives: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SiteFields {
    province: String,
    rea_number: String,
    address: String,
    postcode: String,
    municipality: String,
}

struct SiteState {
    id: String,
    company: usize,
    key: String,
    /// Only read for a new site (the key of a stored one already holds its kind).
    kind: &'static str,
    stored: Option<SiteFields>,
    fields: SiteFields,
}

fn site_fields(row: &Row) -> SiteFields {
    SiteFields {
        province: row.site.rea.province().code().to_string(),
        rea_number: row.site.rea.number().to_string(),
        address: row.site.address.clone(),
        postcode: row.site.postcode.as_str().to_string(),
        municipality: row.site.municipality.clone(),
    }
}

fn company_fields(row: &Row) -> CompanyFields {
    CompanyFields {
        vat: row
            .company
            .vat_number
            .as_ref()
            .map(|v| v.as_str().to_string()),
        name: row.company.name.clone(),
        status: row.company.status.as_str().to_string(),
        registered_on: row.registered_on.flatten().map(db::date),
    }
}

/// Applies `rows` in one transaction on `conn`, the run's own connection. On SQLite the
/// transaction takes the write lock at once, as `Db::begin` does.
pub(super) async fn apply(
    conn: &mut AnyConnection,
    engine: Engine,
    now: DateTime<Utc>,
    rows: Vec<Row>,
) -> Result<Counts, sqlx::Error> {
    let mut tx = match engine {
        Engine::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
        Engine::Postgres => conn.begin().await?,
    };
    let mut state = State::new(engine);
    state.load(&mut tx, &rows).await?;
    let mut counts = state.apply(&rows);
    state.write(&mut tx, now, &mut counts).await?;
    tx.commit().await?;
    Ok(counts)
}

struct State {
    engine: Engine,
    companies: Vec<CompanyState>,
    by_tax_code: HashMap<String, usize>,
    sites: Vec<SiteState>,
    by_key: HashMap<(usize, String), usize>,
}

impl State {
    fn new(engine: Engine) -> Self {
        Self {
            engine,
            companies: Vec::new(),
            by_tax_code: HashMap::new(),
            sites: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    async fn load(&mut self, tx: &mut AnyConnection, rows: &[Row]) -> Result<(), sqlx::Error> {
        let mut codes: Vec<&str> = rows.iter().map(|r| r.company.tax_code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        type CompanyRow = (
            String,
            String,
            Option<String>,
            String,
            String,
            Option<String>,
        );
        let found: Vec<CompanyRow> = fetch_in(
            tx,
            self.engine,
            "SELECT id, tax_code, vat_number, name, status, registered_on FROM companies \
             WHERE tax_code IN",
            &codes,
        )
        .await?;
        for (id, tax_code, vat, name, status, registered_on) in found {
            let fields = CompanyFields {
                vat,
                name,
                status,
                registered_on,
            };
            self.by_tax_code
                .insert(tax_code.clone(), self.companies.len());
            self.companies.push(CompanyState {
                id,
                tax_code,
                stored: Some((fields.clone(), Vec::new())),
                fields,
                fees: Vec::new(),
                stored_representatives: Vec::new(),
                representatives: Vec::new(),
            });
        }
        if self.companies.is_empty() {
            return Ok(());
        }
        let by_id: HashMap<String, usize> = self
            .companies
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let ids: Vec<String> = self.companies.iter().map(|c| c.id.clone()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found: Vec<(String, i64)> = fetch_in(
            tx,
            self.engine,
            "SELECT company_id, year FROM company_annual_fees WHERE company_id IN",
            &ids,
        )
        .await?;
        for (company_id, year) in found {
            let year = i32::try_from(year).map_err(|e| {
                sqlx::Error::Decode(format!("company_annual_fees.year: {e}").into())
            })?;
            let company = by_id.get(&company_id).map(|i| &mut self.companies[*i]);
            if let Some((_, fees)) = company.and_then(|c| c.stored.as_mut()) {
                fees.push(year);
            }
        }
        for company in &mut self.companies {
            if let Some((_, fees)) = company.stored.as_mut() {
                fees.sort_unstable();
                company.fees = fees.clone();
            }
        }
        if rows.iter().any(|r| r.representatives.is_some()) {
            self.load_representatives(tx, &ids, &by_id).await?;
        }
        self.load_sites(tx, rows, &by_id).await
    }

    /// The stored legal representatives of the loaded companies.
    async fn load_representatives(
        &mut self,
        tx: &mut AnyConnection,
        ids: &[&str],
        by_id: &HashMap<String, usize>,
    ) -> Result<(), sqlx::Error> {
        let found: Vec<(String, String)> = fetch_in(
            tx,
            self.engine,
            "SELECT company_id, tax_code FROM company_representatives WHERE company_id IN",
            ids,
        )
        .await?;
        for (company_id, tax_code) in found {
            if let Some(i) = by_id.get(&company_id) {
                self.companies[*i].stored_representatives.push(tax_code);
            }
        }
        for company in &mut self.companies {
            company.stored_representatives.sort_unstable();
            company.stored_representatives.dedup();
            company
                .representatives
                .clone_from(&company.stored_representatives);
        }
        Ok(())
    }

    /// The stored sites whose key appears on a row of their (existing) company.
    async fn load_sites(
        &mut self,
        tx: &mut AnyConnection,
        rows: &[Row],
        by_id: &HashMap<String, usize>,
    ) -> Result<(), sqlx::Error> {
        let mut wanted: Vec<(usize, String)> = rows
            .iter()
            .filter_map(|r| {
                let company = *self.by_tax_code.get(r.company.tax_code.as_str())?;
                Some((company, r.site.key()))
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        // One OR term per (company, key) pair: both engines probe the unique index once per
        // term, where `company_id IN (…) AND site_key IN (…)` would probe every combination.
        for group in wanted.chunks(MAX_IN / 2) {
            let slots = padded(group.len());
            let terms: Vec<String> = (0..slots)
                .map(|i| {
                    format!(
                        "(company_id = {} AND site_key = {})",
                        placeholder(self.engine, 2 * i + 1),
                        placeholder(self.engine, 2 * i + 2)
                    )
                })
                .collect();
            let sql = format!(
                "SELECT id, company_id, site_key, province, rea_number, address, postcode, \
                 municipality FROM sites WHERE {}",
                terms.join(" OR ")
            );
            let mut query = sqlx::query_as(AssertSqlSafe(sql));
            let last = group.len() - 1;
            for i in 0..slots {
                let (company, key) = &group[i.min(last)];
                query = query
                    .bind(self.companies[*company].id.as_str())
                    .bind(key.as_str());
            }
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
            let found: Vec<SiteRow> = query.fetch_all(&mut *tx).await?;
            for (id, company_id, key, province, rea_number, address, postcode, municipality) in
                found
            {
                let Some(company) = by_id.get(&company_id).copied() else {
                    continue;
                };
                let fields = SiteFields {
                    province,
                    rea_number,
                    address,
                    postcode,
                    municipality,
                };
                self.by_key.insert((company, key.clone()), self.sites.len());
                self.sites.push(SiteState {
                    id,
                    company,
                    key,
                    kind: "",
                    stored: Some(fields.clone()),
                    fields,
                });
            }
        }
        Ok(())
    }

    /// Applies the rows in order to the loaded state; counts the rows that changed nothing.
    fn apply(&mut self, rows: &[Row]) -> Counts {
        let mut counts = Counts {
            rows: rows.len() as u64,
            ..Counts::default()
        };
        for row in rows {
            let mut changed = false;
            let mut fields = company_fields(row);
            let company = match self.by_tax_code.get(row.company.tax_code.as_str()) {
                Some(i) => *i,
                None => {
                    changed = true;
                    let tax_code = row.company.tax_code.as_str().to_string();
                    self.by_tax_code
                        .insert(tax_code.clone(), self.companies.len());
                    self.companies.push(CompanyState {
                        id: db::new_id(),
                        tax_code,
                        stored: None,
                        fields: fields.clone(),
                        fees: row.fee_years.clone(),
                        stored_representatives: Vec::new(),
                        representatives: Vec::new(),
                    });
                    self.companies.len() - 1
                }
            };
            let state = &mut self.companies[company];
            if row.registered_on.is_none() {
                // A file without the column leaves the stored date as it is.
                fields.registered_on.clone_from(&state.fields.registered_on);
            }
            if state.fields != fields {
                state.fields = fields;
                changed = true;
            }
            if state.fees != row.fee_years {
                state.fees.clone_from(&row.fee_years);
                changed = true;
            }
            if let Some(representatives) = &row.representatives
                && state.representatives != *representatives
            {
                state.representatives.clone_from(representatives);
                changed = true;
            }
            let key = row.site.key();
            let fields = site_fields(row);
            match self.by_key.get(&(company, key.clone())) {
                Some(i) => {
                    let site = &mut self.sites[*i];
                    if site.fields != fields {
                        site.fields = fields;
                        changed = true;
                    }
                }
                None => {
                    changed = true;
                    self.by_key.insert((company, key.clone()), self.sites.len());
                    self.sites.push(SiteState {
                        id: db::new_id(),
                        company,
                        key,
                        kind: row.site.kind.as_str(),
                        stored: None,
                        fields,
                    });
                }
            }
            if !changed {
                counts.unchanged += 1;
            }
        }
        counts
    }

    /// Writes the differences between the state and what was loaded.
    async fn write(
        &self,
        tx: &mut AnyConnection,
        now: DateTime<Utc>,
        counts: &mut Counts,
    ) -> Result<(), sqlx::Error> {
        let now = db::instant(now);
        let mut new_companies = Vec::new();
        let mut fee_rows = Vec::new();
        let mut stale_fees = Vec::new();
        for c in &self.companies {
            let (fields_changed, fees_changed) = match &c.stored {
                None => {
                    counts.companies_created += 1;
                    new_companies.extend([
                        Value::Text(&c.id),
                        Value::Text(&c.tax_code),
                        Value::MaybeText(c.fields.vat.as_deref()),
                        Value::Text(&c.fields.name),
                        Value::Text(&c.fields.status),
                        Value::MaybeText(c.fields.registered_on.as_deref()),
                        Value::Text(&now),
                        Value::Text(&now),
                    ]);
                    (false, true)
                }
                Some((fields, fees)) => (*fields != c.fields, *fees != c.fees),
            };
            if c.stored.is_some() && (fields_changed || fees_changed) {
                counts.companies_updated += 1;
                sqlx::query(
                    "UPDATE companies SET vat_number = $1, name = $2, status = $3, updated_at = $4, \
                     registered_on = $5 WHERE id = $6",
                )
                .bind(c.fields.vat.as_deref())
                .bind(&c.fields.name)
                .bind(&c.fields.status)
                .bind(&now)
                .bind(c.fields.registered_on.as_deref())
                .bind(&c.id)
                .execute(&mut *tx)
                .await?;
                if fees_changed {
                    stale_fees.push(c.id.as_str());
                }
            }
            if fees_changed {
                for year in &c.fees {
                    fee_rows.extend([Value::Text(&c.id), Value::Int(i64::from(*year))]);
                }
            }
        }
        insert_many(
            tx,
            self.engine,
            "INSERT INTO companies (id, tax_code, vat_number, name, status, registered_on, \
             created_at, updated_at)",
            8,
            &new_companies,
        )
        .await?;
        execute_in(
            tx,
            self.engine,
            "DELETE FROM company_annual_fees WHERE company_id IN",
            &stale_fees,
        )
        .await?;
        insert_many(
            tx,
            self.engine,
            "INSERT INTO company_annual_fees (company_id, year)",
            2,
            &fee_rows,
        )
        .await?;

        let mut stale_representatives = Vec::new();
        let mut representative_rows = Vec::new();
        for c in &self.companies {
            if c.representatives == c.stored_representatives {
                continue;
            }
            counts.representatives_updated += 1;
            if !c.stored_representatives.is_empty() {
                stale_representatives.push(c.id.as_str());
            }
            for tax_code in &c.representatives {
                representative_rows.extend([Value::Text(&c.id), Value::Text(tax_code)]);
            }
        }
        execute_in(
            tx,
            self.engine,
            "DELETE FROM company_representatives WHERE company_id IN",
            &stale_representatives,
        )
        .await?;
        insert_many(
            tx,
            self.engine,
            "INSERT INTO company_representatives (company_id, tax_code)",
            2,
            &representative_rows,
        )
        .await?;

        let mut new_sites = Vec::new();
        for s in &self.sites {
            match &s.stored {
                None => {
                    counts.sites_created += 1;
                    new_sites.extend([
                        Value::Text(&s.id),
                        Value::Text(&self.companies[s.company].id),
                        Value::Text(&s.key),
                        Value::Text(s.kind),
                        Value::Text(&s.fields.province),
                        Value::Text(&s.fields.rea_number),
                        Value::Text(&s.fields.address),
                        Value::Text(&s.fields.postcode),
                        Value::Text(&s.fields.municipality),
                        Value::Text(&now),
                        Value::Text(&now),
                    ]);
                }
                Some(stored) if *stored != s.fields => {
                    counts.sites_updated += 1;
                    sqlx::query(
                        "UPDATE sites SET province = $1, rea_number = $2, address = $3, \
                         postcode = $4, municipality = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(&s.fields.province)
                    .bind(&s.fields.rea_number)
                    .bind(&s.fields.address)
                    .bind(&s.fields.postcode)
                    .bind(&s.fields.municipality)
                    .bind(&now)
                    .bind(&s.id)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(_) => {}
            }
        }
        insert_many(
            tx,
            self.engine,
            "INSERT INTO sites (id, company_id, site_key, kind, province, rea_number, address, \
             postcode, municipality, created_at, updated_at)",
            11,
            &new_sites,
        )
        .await
    }
}

/// A value bound into a multi-row statement.
enum Value<'a> {
    Text(&'a str),
    MaybeText(Option<&'a str>),
    Int(i64),
}

/// Inserts `values` (rows of `columns` values, flattened) with multi-row `VALUES` statements.
async fn insert_many(
    tx: &mut AnyConnection,
    engine: Engine,
    head: &str,
    columns: usize,
    values: &[Value<'_>],
) -> Result<(), sqlx::Error> {
    let mut rest = values;
    while !rest.is_empty() {
        let rows = rest.len() / columns;
        let take = if rows >= MAX_INSERT_ROWS {
            MAX_INSERT_ROWS
        } else {
            1 << rows.ilog2()
        };
        let (now, later) = rest.split_at(take * columns);
        let tuples: Vec<String> = (0..take)
            .map(|r| format!("({})", in_list(engine, 1 + r * columns, columns)))
            .collect();
        let sql = format!("{head} VALUES {}", tuples.join(", "));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in now {
            query = match value {
                Value::Text(s) => query.bind(*s),
                Value::MaybeText(s) => query.bind(*s),
                Value::Int(i) => query.bind(*i),
            };
        }
        query.execute(&mut *tx).await?;
        rest = later;
    }
    Ok(())
}

/// Runs `head` followed by an `IN` list of `values`, once per [`MAX_IN`] of them, and returns
/// all the rows found.
async fn fetch_in<T>(
    tx: &mut AnyConnection,
    engine: Engine,
    head: &str,
    values: &[&str],
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    let mut found = Vec::new();
    for chunk in values.chunks(MAX_IN) {
        let mut query = sqlx::query_as(AssertSqlSafe(with_in_list(engine, head, chunk.len())));
        for value in padded_values(chunk) {
            query = query.bind(value);
        }
        found.extend(query.fetch_all(&mut *tx).await?);
    }
    Ok(found)
}

/// Runs `head` followed by an `IN` list of `values`, once per [`MAX_IN`] of them.
async fn execute_in(
    tx: &mut AnyConnection,
    engine: Engine,
    head: &str,
    values: &[&str],
) -> Result<(), sqlx::Error> {
    for chunk in values.chunks(MAX_IN) {
        let mut query = sqlx::query(AssertSqlSafe(with_in_list(engine, head, chunk.len())));
        for value in padded_values(chunk) {
            query = query.bind(value);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// `head (…)` with the padded `IN` list for `len` values.
fn with_in_list(engine: Engine, head: &str, len: usize) -> String {
    format!("{head} ({})", in_list(engine, 1, padded(len)))
}

/// `count` placeholders numbered from `first`.
fn in_list(engine: Engine, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| placeholder(engine, i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `i`-th placeholder. SQLite gets anonymous `?`: sqlx looks each numbered parameter up by
/// name, a linear search in SQLite, which makes a statement with thousands of `$n` quadratic.
/// Values are bound in order, so `?` and `$i` bind alike.
fn placeholder(engine: Engine, i: usize) -> String {
    match engine {
        Engine::Sqlite => "?".to_string(),
        Engine::Postgres => format!("${i}"),
    }
}

/// The padded length of an `IN` list: a power of two, at least 8.
fn padded(len: usize) -> usize {
    len.next_power_of_two().max(8)
}

/// The values of an `IN` list, padded by repeating the last one.
fn padded_values<'a>(values: &'a [&'a str]) -> impl Iterator<Item = &'a str> + 'a {
    let last = values.last().copied().unwrap_or_default();
    values
        .iter()
        .copied()
        .chain(std::iter::repeat(last))
        .take(padded(values.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists_are_padded_to_a_power_of_two() {
        assert_eq!(padded(1), 8);
        assert_eq!(padded(9), 16);
        assert_eq!(padded(512), 512);
        let values = ["a", "b", "c"];
        assert_eq!(
            padded_values(&values).collect::<Vec<_>>(),
            ["a", "b", "c", "c", "c", "c", "c", "c"]
        );
        assert_eq!(in_list(Engine::Postgres, 3, 2), "$3, $4");
        assert_eq!(in_list(Engine::Sqlite, 3, 2), "?, ?");
    }
}
