//! The PostgreSQL path of a batch: its rows go to a staging table with `COPY … FROM STDIN`,
//! then a handful of set-based statements compare them with what is stored and write only the
//! differences. Same outcome and counts as the row-by-row comparison of [`super::batch`] (the
//! SQLite path): a company or site takes the values of its last row in the batch, a row is
//! `unchanged` when applying it in file order changed nothing, `updated_at` moves only when a
//! value does.
//!
//! What needs the rows' order is settled here before staging: for each row, whether it is the
//! first of its company (and of its site) in the batch, and otherwise whether it repeats the
//! values of the previous one. The server compares only first rows with the stored state.

use crate::db;
use crate::registry::import::batch::Counts;
use crate::registry::import::rows::Row;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::collections::{HashMap, HashSet};

/// The staging table: one line per row of a batch. Temporary, so private to the lane's
/// session and never written to the WAL; emptied by each commit.
const CREATE_STAGING: &str = "\
CREATE TEMP TABLE IF NOT EXISTS registry_import_rows (
    line BIGINT NOT NULL,
    same_as_before BOOLEAN NOT NULL,
    company_first BOOLEAN NOT NULL,
    site_first BOOLEAN NOT NULL,
    company_id TEXT NOT NULL,
    tax_code TEXT NOT NULL,
    vat_number TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    registered_on TEXT,
    fee_years BIGINT[] NOT NULL,
    representatives TEXT[],
    site_id TEXT NOT NULL,
    site_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    province TEXT NOT NULL,
    rea_number TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    municipality TEXT NOT NULL
) ON COMMIT DELETE ROWS";

const COPY_STAGING: &str = "COPY registry_import_rows (line, same_as_before, company_first, \
    site_first, company_id, tax_code, vat_number, name, status, registered_on, fee_years, \
    representatives, site_id, site_key, kind, province, rea_number, address, postcode, \
    municipality) FROM STDIN";

/// Rows that change nothing: a repeat of the previous row of their company and site, or a first
/// row equal to what is stored. `$1`: the file has no registration dates (the stored ones stay).
const COUNT_UNCHANGED: &str = "\
SELECT count(*) FROM registry_import_rows r
WHERE r.same_as_before
  AND (NOT r.company_first OR EXISTS (
      SELECT 1 FROM companies c
      WHERE c.tax_code = r.tax_code
        AND c.vat_number IS NOT DISTINCT FROM r.vat_number
        AND c.name = r.name AND c.status = r.status
        AND ($1 OR c.registered_on IS NOT DISTINCT FROM r.registered_on)
        AND ARRAY(SELECT f.year FROM company_annual_fees f WHERE f.company_id = c.id
                  ORDER BY f.year) = r.fee_years
        AND (r.representatives IS NULL
             OR ARRAY(SELECT p.tax_code FROM company_representatives p WHERE p.company_id = c.id
                      ORDER BY p.tax_code COLLATE \"C\") = r.representatives)))
  AND (NOT r.site_first OR EXISTS (
      SELECT 1 FROM companies c JOIN sites s ON s.company_id = c.id AND s.site_key = r.site_key
      WHERE c.tax_code = r.tax_code
        AND s.province = r.province AND s.rea_number = r.rea_number AND s.address = r.address
        AND s.postcode = r.postcode AND s.municipality = r.municipality))";

/// Each company as its last row says; returns the ids of those created or changed.
/// `$1` as above, `$2` the instant of the run.
const UPSERT_COMPANIES: &str = "\
INSERT INTO companies AS c (id, tax_code, vat_number, name, status, registered_on, created_at,
    updated_at)
SELECT DISTINCT ON (r.tax_code) r.company_id, r.tax_code, r.vat_number, r.name, r.status,
    r.registered_on, $2, $2
FROM registry_import_rows r ORDER BY r.tax_code, r.line DESC
ON CONFLICT (tax_code) DO UPDATE SET vat_number = excluded.vat_number, name = excluded.name,
    status = excluded.status,
    registered_on = CASE WHEN $1 THEN c.registered_on ELSE excluded.registered_on END,
    updated_at = excluded.updated_at
WHERE c.vat_number IS DISTINCT FROM excluded.vat_number OR c.name <> excluded.name
    OR c.status <> excluded.status
    OR (NOT $1 AND c.registered_on IS DISTINCT FROM excluded.registered_on)
RETURNING c.id";

/// The paid years as each company's last row says: the years no longer listed are deleted, the
/// new ones inserted. Returns the companies whose years changed.
const REPLACE_FEES: &str = "\
WITH wanted AS (
    SELECT DISTINCT ON (r.tax_code) c.id, r.fee_years AS years
    FROM registry_import_rows r JOIN companies c ON c.tax_code = r.tax_code
    ORDER BY r.tax_code, r.line DESC
), gone AS (
    DELETE FROM company_annual_fees f USING wanted w
    WHERE f.company_id = w.id AND f.year <> ALL (w.years)
    RETURNING f.company_id
), added AS (
    INSERT INTO company_annual_fees (company_id, year)
    SELECT w.id, y.year FROM wanted w, unnest(w.years) AS y(year)
    ON CONFLICT DO NOTHING
    RETURNING company_id
)
SELECT company_id FROM gone UNION SELECT company_id FROM added";

/// The legal representatives, the same way (only when the file has the column). Returns how
/// many companies' lists changed.
const REPLACE_REPRESENTATIVES: &str = "\
WITH wanted AS (
    SELECT DISTINCT ON (r.tax_code) c.id, r.representatives AS codes
    FROM registry_import_rows r JOIN companies c ON c.tax_code = r.tax_code
    WHERE r.representatives IS NOT NULL
    ORDER BY r.tax_code, r.line DESC
), gone AS (
    DELETE FROM company_representatives p USING wanted w
    WHERE p.company_id = w.id AND p.tax_code <> ALL (w.codes)
    RETURNING p.company_id
), added AS (
    INSERT INTO company_representatives (company_id, tax_code)
    SELECT w.id, t.code FROM wanted w, unnest(w.codes) AS t(code)
    ON CONFLICT DO NOTHING
    RETURNING company_id
)
SELECT count(*) FROM (SELECT company_id FROM gone UNION SELECT company_id FROM added) AS changed";

/// Companies whose only change is their paid years still get a new `updated_at`.
const TOUCH_COMPANIES: &str = "UPDATE companies SET updated_at = $1 WHERE id = ANY ($2)";

/// Each site as its last row says; returns the ids of those created or changed.
const UPSERT_SITES: &str = "\
INSERT INTO sites AS s (id, company_id, site_key, kind, province, rea_number, address, postcode,
    municipality, created_at, updated_at)
SELECT DISTINCT ON (r.tax_code, r.site_key) r.site_id, c.id, r.site_key, r.kind, r.province,
    r.rea_number, r.address, r.postcode, r.municipality, $1, $1
FROM registry_import_rows r JOIN companies c ON c.tax_code = r.tax_code
ORDER BY r.tax_code, r.site_key, r.line DESC
ON CONFLICT (company_id, site_key) DO UPDATE SET province = excluded.province,
    rea_number = excluded.rea_number, address = excluded.address, postcode = excluded.postcode,
    municipality = excluded.municipality, updated_at = excluded.updated_at
WHERE (s.province, s.rea_number, s.address, s.postcode, s.municipality)
    IS DISTINCT FROM (excluded.province, excluded.rea_number, excluded.address, excluded.postcode,
    excluded.municipality)
RETURNING s.id";

/// COPY data is sent whenever this much is encoded, so a batch is never held twice.
const SEND_BYTES: usize = 256 * 1024;

/// The planner settings of a lane's connection. Every join here matches a batch's staged rows
/// (thousands) with a table of millions through its index, one probe a row; a hash or merge
/// join would read the whole table for every batch, and the planner picks one whenever the
/// statistics lag behind a bulk load. With them off, no statistics need refreshing during the
/// run. JIT compiling would cost more than these statements take.
const LANE_SETTINGS: [&str; 3] = [
    "SET enable_hashjoin = off",
    "SET enable_mergejoin = off",
    "SET jit = off",
];

/// Sets up a lane's own connection: its planner settings and its staging table.
pub(super) async fn prepare(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    for sql in LANE_SETTINGS.into_iter().chain([CREATE_STAGING]) {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Applies `rows` in one transaction on `conn`, the lane's own connection.
pub(super) async fn apply(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    rows: Vec<Row>,
) -> Result<Counts, sqlx::Error> {
    let now = db::instant(now);
    let staged = Staged::new(&rows);
    // Whether the file has a column is the same for all its rows.
    let keep_registered = rows.iter().all(|r| r.registered_on.is_none());
    let with_representatives = rows.iter().any(|r| r.representatives.is_some());
    let mut counts = Counts {
        rows: rows.len() as u64,
        ..Counts::default()
    };

    let mut tx = conn.begin().await?;
    let mut copy = tx.copy_in_raw(COPY_STAGING).await?;
    let mut buffer = Vec::with_capacity(SEND_BYTES + 4096);
    for (i, row) in rows.iter().enumerate() {
        staged.encode(i, row, &mut buffer);
        if buffer.len() >= SEND_BYTES {
            copy.send(buffer.as_slice()).await?;
            buffer.clear();
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.as_slice()).await?;
    }
    copy.finish().await?;

    let unchanged: i64 = sqlx::query_scalar(COUNT_UNCHANGED)
        .bind(keep_registered)
        .fetch_one(&mut *tx)
        .await?;
    counts.unchanged = u64::try_from(unchanged).unwrap_or_default();

    let written: Vec<String> = sqlx::query_scalar(UPSERT_COMPANIES)
        .bind(keep_registered)
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
    let mut updated: HashSet<String> = HashSet::new();
    for id in written {
        if staged.company_ids.contains(id.as_str()) {
            counts.companies_created += 1;
        } else {
            updated.insert(id);
        }
    }
    let fees_changed: Vec<String> = sqlx::query_scalar(REPLACE_FEES).fetch_all(&mut *tx).await?;
    let touch: Vec<String> = fees_changed
        .into_iter()
        .filter(|id| !staged.company_ids.contains(id.as_str()) && !updated.contains(id))
        .collect();
    counts.companies_updated = (updated.len() + touch.len()) as u64;
    if !touch.is_empty() {
        sqlx::query(TOUCH_COMPANIES)
            .bind(&now)
            .bind(&touch)
            .execute(&mut *tx)
            .await?;
    }
    if with_representatives {
        let changed: i64 = sqlx::query_scalar(REPLACE_REPRESENTATIVES)
            .fetch_one(&mut *tx)
            .await?;
        counts.representatives_updated = u64::try_from(changed).unwrap_or_default();
    }

    let written: Vec<String> = sqlx::query_scalar(UPSERT_SITES)
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
    for id in written {
        if staged.site_ids.contains(id.as_str()) {
            counts.sites_created += 1;
        } else {
            counts.sites_updated += 1;
        }
    }
    tx.commit().await?;
    Ok(counts)
}

/// What a batch's rows carry to the staging table besides their values.
struct Staged {
    lines: Vec<Line>,
    /// The ids offered for new companies and sites, in order of first appearance.
    new_company_ids: Vec<String>,
    new_site_ids: Vec<String>,
    /// The same, as sets: a written id among them was created, any other updated.
    company_ids: HashSet<String>,
    site_ids: HashSet<String>,
}

/// Per row: its site key, the index of the ids offered for its company and site (the same for
/// all rows of one company or site), whether it is the first row of its company and of its site
/// in the batch, and whether it repeats the values the previous ones left.
struct Line {
    key: String,
    company: usize,
    site: usize,
    company_first: bool,
    site_first: bool,
    same_as_before: bool,
}

impl Staged {
    /// Walks the rows in file order, as [`super::batch`] applies them.
    fn new(rows: &[Row]) -> Self {
        let mut new_company_ids = Vec::new();
        let mut new_site_ids = Vec::new();
        // Tax code → (company, its latest row); (company, key) → (site, its latest row).
        let mut companies: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut sites: HashMap<(usize, String), (usize, usize)> = HashMap::new();
        let mut lines = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let (company, company_first, company_same) =
                match companies.get_mut(row.company.tax_code.as_str()) {
                    Some((company, latest)) => {
                        let same = same_company(&rows[*latest], row);
                        *latest = i;
                        (*company, false, same)
                    }
                    None => {
                        new_company_ids.push(db::new_id());
                        let company = new_company_ids.len() - 1;
                        companies.insert(row.company.tax_code.as_str(), (company, i));
                        (company, true, true)
                    }
                };
            let key = row.site.key();
            let (site, site_first, site_same) = match sites.get_mut(&(company, key.clone())) {
                Some((site, latest)) => {
                    let same = same_site(&rows[*latest], row);
                    *latest = i;
                    (*site, false, same)
                }
                None => {
                    new_site_ids.push(db::new_id());
                    let site = new_site_ids.len() - 1;
                    sites.insert((company, key.clone()), (site, i));
                    (site, true, true)
                }
            };
            lines.push(Line {
                key,
                company,
                site,
                company_first,
                site_first,
                same_as_before: company_same && site_same,
            });
        }
        Self {
            lines,
            company_ids: new_company_ids.iter().cloned().collect(),
            site_ids: new_site_ids.iter().cloned().collect(),
            new_company_ids,
            new_site_ids,
        }
    }

    /// Appends row `i` to `out` as one line of `COPY` text: tab-separated, `\N` for NULL, in
    /// the column order of [`COPY_STAGING`].
    fn encode(&self, i: usize, row: &Row, out: &mut Vec<u8>) {
        let line = &self.lines[i];
        let flag = |b: bool| if b { "t" } else { "f" };
        let line_number = i.to_string();
        let rea_number = row.site.rea.number().to_string();
        let fields: [Option<&str>; 4] = [
            Some(&line_number),
            Some(flag(line.same_as_before)),
            Some(flag(line.company_first)),
            Some(flag(line.site_first)),
        ];
        let vat = row.company.vat_number.as_ref().map(|v| v.as_str());
        let registered_on = row.registered_on.flatten().map(db::date);
        let fee_years = array_literal(row.fee_years.iter().map(i32::to_string));
        let representatives = row
            .representatives
            .as_ref()
            .map(|codes| array_literal(codes.iter().cloned()));
        let rest: [Option<&str>; 16] = [
            Some(&self.new_company_ids[line.company]),
            Some(row.company.tax_code.as_str()),
            vat,
            Some(&row.company.name),
            Some(row.company.status.as_str()),
            registered_on.as_deref(),
            Some(&fee_years),
            representatives.as_deref(),
            Some(&self.new_site_ids[line.site]),
            Some(&line.key),
            Some(row.site.kind.as_str()),
            Some(row.site.rea.province().code()),
            Some(&rea_number),
            Some(&row.site.address),
            Some(row.site.postcode.as_str()),
            Some(&row.site.municipality),
        ];
        copy_fields(fields.iter().chain(rest.iter()).copied(), out);
    }
}

/// Whether `row` leaves its company as the previous row of that company did, as
/// [`super::batch`] compares them: a column the file lacks is no difference.
fn same_company(previous: &Row, row: &Row) -> bool {
    let (a, b) = (&previous.company, &row.company);
    a.vat_number == b.vat_number
        && a.name == b.name
        && a.status == b.status
        && previous.fee_years == row.fee_years
        && (row.registered_on.is_none()
            || row.registered_on.flatten() == previous.registered_on.flatten())
        && (row.representatives.is_none() || row.representatives == previous.representatives)
}

/// Whether `row` leaves its site as the previous row with the same key did.
fn same_site(previous: &Row, row: &Row) -> bool {
    let (a, b) = (&previous.site, &row.site);
    a.rea == b.rea
        && a.address == b.address
        && a.postcode == b.postcode
        && a.municipality == b.municipality
}

/// Appends one line of `COPY` text to `out`: the fields separated by tabs, `\\N` for NULL,
/// each value escaped by [`copy_text`].
pub(super) fn copy_fields<'a>(
    fields: impl IntoIterator<Item = Option<&'a str>>,
    out: &mut Vec<u8>,
) {
    for (n, value) in fields.into_iter().enumerate() {
        if n > 0 {
            out.push(b'\t');
        }
        match value {
            Some(text) => copy_text(text, out),
            None => out.extend_from_slice(b"\\N"),
        }
    }
    out.push(b'\n');
}

/// A value in `COPY` text format: a backslash, tab, newline or carriage return is escaped, so
/// that no value can end a field or a line, or read as `\N` (NULL) or `\.` (end of data).
pub(super) fn copy_text(value: &str, out: &mut Vec<u8>) {
    for byte in value.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
    }
}

/// An array literal (`{"2024","2025"}`): each element quoted, its quotes and backslashes
/// escaped, so any text reads back as the same element.
pub(super) fn array_literal(elements: impl Iterator<Item = String>) -> String {
    let mut out = String::from("{");
    for (n, element) in elements.enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('"');
        for c in element.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> String {
        let mut out = Vec::new();
        copy_text(value, &mut out);
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    #[test]
    fn copy_text_escapes_what_would_end_a_field_or_read_as_null() {
        assert_eq!(text("VIA ROMA 1"), "VIA ROMA 1");
        assert_eq!(text("a\tb\nc\rd"), "a\\tb\\nc\\rd");
        assert_eq!(text("\\N"), "\\\\N");
        assert_eq!(text("\\."), "\\\\.");
        assert_eq!(text("\"FORLÌ\" l'altra"), "\"FORLÌ\" l'altra");
    }

    #[test]
    fn copy_fields_separate_with_tabs_and_write_null_as_backslash_n() {
        let mut out = Vec::new();
        copy_fields([Some("a\tb"), None, Some(""), Some("\\N")], &mut out);
        assert_eq!(out, b"a\\tb\t\\N\t\t\\\\N\n");
    }

    #[test]
    fn array_literals_quote_every_element() {
        assert_eq!(array_literal(std::iter::empty()), "{}");
        assert_eq!(
            array_literal(["2024", "2025"].map(String::from).into_iter()),
            "{\"2024\",\"2025\"}"
        );
        assert_eq!(
            array_literal(["a\"b\\c", "NULL"].map(String::from).into_iter()),
            "{\"a\\\"b\\\\c\",\"NULL\"}"
        );
    }
}
