//! The first import on PostgreSQL: when the registry tables are empty, the whole run is one
//! transaction that stages every row with `COPY`, then fills the tables with one plain
//! `INSERT … SELECT` each, with their foreign keys and the indexes nothing else depends on
//! dropped for the load and built again after it. What the server then does per row is
//! little more than appending it: no `ON CONFLICT` arbitration, no foreign-key probe per row,
//! and indexes built by sorting instead of one insertion per key (BENCHMARKS.md, "Registry
//! import", shows where the per-row path spent its time).
//!
//! Safety: the tables are locked at the start of the transaction, in a mode that lets them be
//! read but not written (`SHARE ROW EXCLUSIVE`), and found empty under that lock, so they stay
//! empty until the load commits. The schema changes (dropping and adding constraints and
//! indexes) are in the same transaction: PostgreSQL's DDL is transactional, so a run that
//! fails anywhere, or is stopped by a bad file, leaves the schema and the (empty) tables
//! exactly as they were. The definitions dropped are read from the catalog at the start of the
//! load and recreated from it, so they follow the migrations, whatever they say. The readers
//! of the tables wait only for the last statements, which take the exclusive lock that
//! dropping an index needs.
//!
//! Same results as the ordinary path ([`super::copy`]) applied batch by batch: a company or
//! site takes the values of its last row, and the counts are those that path would have
//! reported with the same batches. A company or site counts as updated once per later batch
//! whose last row changes it, and a row is unchanged when it repeats what the previous row of
//! its company and site left; window functions over the staged rows tell both, in file order,
//! after one sort of them (the client counts each batch's rows per company and site, so the
//! last row of a batch finds the batch before with one `lag`), and the same pass keeps the
//! last row of each site, all the tables are then filled from. The ids are fresh UUIDs v7
//! numbered in the order of the natural keys ([`id_prefix`]), so that the keys of the loaded
//! tables receive their rows in order, or nearly.
//!
//! Staging tables are unlogged tables created in the transaction (not temporary ones), so that
//! the server may read and sort them with parallel workers; no other session sees them before
//! the commit, and they are dropped before it.
//!
//! `synchronous_commit` is left alone: it only shortens the wait for a commit, and the run
//! commits once.

use crate::db::{self, Db};
use crate::registry::import::batch::Counts;
use crate::registry::import::copy::{array_literal, copy_fields};
use crate::registry::import::rows::Row;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The tables the import writes, as a literal of the catalog queries.
macro_rules! tables {
    () => {
        "'{companies,company_annual_fees,company_representatives,sites}'::regclass[]"
    };
}

/// Settings of the load's own connection (closed at the end of the run). The statements sort
/// millions of staged rows and build indexes over them, so they get memory for it (`work_mem`
/// per sort, `maintenance_work_mem` per index build, shared by its workers) and both cores:
/// the staging tables are plain (unlogged) tables rather than temporary ones, whose local
/// buffers no parallel worker can read, so their sorts and scans, like the index builds, may
/// use a second process. JIT compiling is left off as on the lanes' connections.
const SETTINGS: [&str; 5] = [
    "SET work_mem = '256MB'",
    "SET maintenance_work_mem = '1GB'",
    "SET max_parallel_workers_per_gather = 2",
    "SET max_parallel_maintenance_workers = 2",
    "SET jit = off",
];

/// Keeps the tables empty for the run (writers wait, readers do not) and, with the next
/// statement, finds them empty.
const LOCK: &str = "LOCK TABLE companies, company_annual_fees, company_representatives, sites \
                    IN SHARE ROW EXCLUSIVE MODE";

const EMPTY: &str = "SELECT NOT EXISTS (SELECT 1 FROM companies) \
                     AND NOT EXISTS (SELECT 1 FROM company_annual_fees) \
                     AND NOT EXISTS (SELECT 1 FROM company_representatives) \
                     AND NOT EXISTS (SELECT 1 FROM sites)";

/// Every valid row of the file: its position among them (`line`), its batch (`chunk`) and its
/// values. Unlogged (never written to the WAL), created inside the transaction, so no other
/// session sees it and a rollback takes it away; dropped before the commit. The text is
/// compared byte by byte (`COLLATE "C"`): the staged rows are only sorted to group equal
/// codes, and byte order does that without the database collation's cost.
const CREATE_STAGING: &str = "\
CREATE UNLOGGED TABLE registry_first_rows (
    line BIGINT NOT NULL,
    chunk BIGINT NOT NULL,
    tax_code TEXT COLLATE \"C\" NOT NULL,
    vat_number TEXT COLLATE \"C\",
    name TEXT COLLATE \"C\" NOT NULL,
    status TEXT COLLATE \"C\" NOT NULL,
    registered_on TEXT COLLATE \"C\",
    fee_years BIGINT[] NOT NULL,
    representatives TEXT[] COLLATE \"C\",
    site_key TEXT COLLATE \"C\" NOT NULL,
    kind TEXT COLLATE \"C\" NOT NULL,
    province TEXT COLLATE \"C\" NOT NULL,
    rea_number TEXT COLLATE \"C\" NOT NULL,
    address TEXT COLLATE \"C\" NOT NULL,
    postcode TEXT COLLATE \"C\" NOT NULL,
    municipality TEXT COLLATE \"C\" NOT NULL,
    company_batch INTEGER,
    site_batch INTEGER
)";

const COPY_STAGING: &str = "COPY registry_first_rows (line, chunk, tax_code, vat_number, name, \
    status, registered_on, fee_years, representatives, site_key, kind, province, rea_number, \
    address, postcode, municipality, company_batch, site_batch) FROM STDIN";

/// The last row of each site, which is all the load keeps of the staged rows: the site's
/// values, and, on the last row of its company (always also the last of its site), the
/// company's values with what its rows count for. Ids are numbered in the order of the
/// natural keys: the sites' in (tax code, site key) order (`$2`: the prefix of their ids, see
/// [`id_prefix`]), and each company (`$1`) takes the number of its first site, so the
/// companies' numbers, with gaps, follow the tax codes.
///
/// What a company's rows count for: `unchanged`, the rows that repeat the previous row of
/// their company and of their site (a file's rows all have, or all lack, the representatives
/// and the registration date, so the missing ones, NULL, compare equal, as the ordinary path
/// finds them); `updated`, the batches after its first whose last row leaves it different
/// (its fields or paid years) from the batch before, as an upsert per batch would count them;
/// `representatives_changed`, the batches that change its representatives (the first one too,
/// when it lists any); `sites_updated`, the same as `updated` for its sites (their address,
/// postcode, municipality and REA number).
///
/// The last row of a company's (or site's) batch knows how many rows of it the batch holds
/// (`company_batch`, `site_batch`, counted by the client while it encodes the batch), so the
/// last row of the batch before is that many rows back, and one `lag` finds it: no window
/// level has to set aside the other rows of a batch first. Each comparison is one `lag` of a
/// row value. One sort of the staged rows, by site (tax code, site key, line), serves the
/// site's windows (its row before, its last row) and the numbering of the sites;
/// the company's windows (its row before, its batch before, its last row) then only reorder
/// the few rows of each company, and the sums over the company need no further sort. The
/// sites' last rows come out of the same pass, so no second sort picks them.
const CREATE_MARKED: &str = "\
CREATE UNLOGGED TABLE registry_first_marked AS
SELECT $1 || lpad(to_hex(company_no), 12, '0') AS company_id,
    $2 || lpad(to_hex(site_no), 12, '0') AS site_id,
    last, tax_code, vat_number, name, status, registered_on, fee_years, representatives,
    unchanged, updated, representatives_changed, sites_updated,
    site_key, kind, province, rea_number, address, postcode, municipality
FROM (
    SELECT site_no, last, site_last, tax_code, vat_number, name, status, registered_on,
        fee_years, representatives, site_key, kind, province, rea_number, address, postcode,
        municipality,
        min(site_no) OVER w AS company_no,
        count(*) FILTER (WHERE same) OVER w AS unchanged,
        count(*) FILTER (WHERE updated) OVER w AS updated,
        count(*) FILTER (WHERE representatives_changed) OVER w AS representatives_changed,
        count(*) FILTER (WHERE site_updated) OVER w AS sites_updated
    FROM (
        SELECT site_no, site_last, tax_code, vat_number, name, status,
            registered_on, fee_years, representatives, site_key, kind, province, rea_number,
            address, postcode, municipality, site_updated,
            site_same AND lag(ROW(vat_number, name, status, registered_on, fee_years,
                    representatives)) OVER c
                = ROW(vat_number, name, status, registered_on, fee_years, representatives)
                AS same,
            lag(ROW(vat_number, name, status, registered_on, fee_years), company_batch) OVER c
                <> ROW(vat_number, name, status, registered_on, fee_years) AS updated,
            company_batch IS NOT NULL AND representatives IS NOT NULL
                AND representatives
                    <> coalesce(lag(representatives, company_batch) OVER c, '{}')
                AS representatives_changed,
            lead(line) OVER c IS NULL AS last
        FROM (
            SELECT tax_code, line, vat_number, name, status, registered_on, fee_years,
                representatives, company_batch, site_key, kind, province, rea_number, address,
                postcode, municipality,
                dense_rank() OVER (ORDER BY tax_code, site_key) AS site_no,
                lead(line) OVER s IS NULL AS site_last,
                coalesce(lag(ROW(province, rea_number, address, postcode, municipality)) OVER s
                    = ROW(province, rea_number, address, postcode, municipality), false)
                    AS site_same,
                lag(ROW(province, rea_number, address, postcode, municipality), site_batch)
                    OVER s <> ROW(province, rea_number, address, postcode, municipality)
                    AS site_updated
            FROM registry_first_rows
            WINDOW s AS (PARTITION BY tax_code, site_key ORDER BY line)
        ) AS r
        WINDOW c AS (PARTITION BY tax_code ORDER BY line)
    ) AS r
    WINDOW w AS (PARTITION BY tax_code)
) AS r
WHERE site_last";

/// What the load counts, in one pass.
const COUNT_MARKED: &str = "\
SELECT count(*) FILTER (WHERE last), coalesce(sum(unchanged) FILTER (WHERE last), 0)::BIGINT,
    coalesce(sum(updated) FILTER (WHERE last), 0)::BIGINT,
    coalesce(sum(representatives_changed) FILTER (WHERE last), 0)::BIGINT,
    coalesce(sum(sites_updated) FILTER (WHERE last), 0)::BIGINT
FROM registry_first_marked";

/// The companies (their last rows) come in tax-code order, the order of their ids, and each
/// company's fee years follow in the order of the key (company, year): each row lands at the
/// end of the primary key, and the keys built after the load find their rows already sorted
/// (the sites' key nearly so: a company's sites come in the file order of their last rows).
const INSERT_COMPANIES: &str = "\
INSERT INTO companies (id, tax_code, vat_number, name, status, registered_on, created_at,
    updated_at)
SELECT company_id, tax_code, vat_number, name, status, registered_on, $1, $1
FROM registry_first_marked WHERE last";

const INSERT_FEES: &str = "\
INSERT INTO company_annual_fees (company_id, year)
SELECT c.company_id, y.year
FROM registry_first_marked c, unnest(c.fee_years) AS y(year) WHERE c.last";

const INSERT_REPRESENTATIVES: &str = "\
INSERT INTO company_representatives (company_id, tax_code)
SELECT c.company_id, t.code
FROM registry_first_marked c, unnest(c.representatives) AS t(code) WHERE c.last";

const INSERT_SITES: &str = "\
INSERT INTO sites (id, company_id, site_key, kind, province, rea_number, address, postcode,
    municipality, created_at, updated_at)
SELECT site_id, company_id, site_key, kind, province, rea_number, address, postcode,
    municipality, $1, $1
FROM registry_first_marked";

const DROP_STAGING: &str = "DROP TABLE registry_first_rows, registry_first_marked";

/// What is dropped for the load and added back after it, as pairs of statements, read from
/// the catalog: the foreign keys of the loaded tables; their primary keys and unique
/// constraints that no other table's foreign key needs; their other indexes.
const FOREIGN_KEYS: &str = concat!(
    "\
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
    format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
        pg_get_constraintdef(oid))
FROM pg_constraint
WHERE contype = 'f' AND conrelid = ANY (",
    tables!(),
    ")
ORDER BY conrelid::regclass::text, conname"
);

const UNIQUE_KEYS: &str = concat!(
    "\
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
    format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
        pg_get_constraintdef(c.oid))
FROM pg_constraint c
WHERE c.contype IN ('p', 'u') AND c.conrelid = ANY (",
    tables!(),
    ")
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                  WHERE f.contype = 'f' AND f.conindid = c.conindid
                    AND f.conrelid <> ALL (",
    tables!(),
    "))
ORDER BY c.conrelid::regclass::text, c.conname"
);

const INDEXES: &str = concat!(
    "\
SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY (",
    tables!(),
    ")
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY i.indexrelid::regclass::text"
);

/// COPY data is sent whenever this much is encoded.
const SEND_BYTES: usize = 256 * 1024;

/// A first import under way: its rows go to one task, which owns the transaction.
pub(super) struct FirstLoad {
    sender: mpsc::Sender<Vec<Row>>,
    complete: oneshot::Sender<bool>,
    task: JoinHandle<(Counts, Option<sqlx::Error>)>,
}

impl FirstLoad {
    /// Starts a first import when the registry tables are empty; `None` otherwise (the
    /// ordinary path then runs). A failure here is logged and also leads to the ordinary
    /// path, which meets the same problem and reports it as a failure of the run.
    pub(super) async fn try_start(db: &Db, now: DateTime<Utc>) -> Option<Self> {
        let conn = match db.connect_postgres().await? {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "no connection for a first registry import");
                return None;
            }
        };
        let (decided, decision) = oneshot::channel();
        let (sender, receiver) = mpsc::channel(1);
        let (complete, completion) = oneshot::channel();
        let task = tokio::spawn(run(conn, now, decided, receiver, completion));
        match decision.await {
            Ok(Ok(true)) => Some(Self {
                sender,
                complete,
                task,
            }),
            Ok(Ok(false)) => {
                let _ = task.await;
                None
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not check whether the registry is empty");
                let _ = task.await;
                None
            }
            Err(_) => None,
        }
    }

    /// Hands over the rows of a chunk (one batch). False when the load has stopped on an
    /// error, which [`FirstLoad::finish`] returns.
    pub(super) async fn send(&self, rows: Vec<Row>) -> bool {
        rows.is_empty() || self.sender.send(rows).await.is_ok()
    }

    /// Loads what was staged and commits when the run is `complete`; otherwise rolls back,
    /// leaving nothing. The counts of what was committed and the error, if any.
    pub(super) async fn finish(self, complete: bool) -> (Counts, Option<sqlx::Error>) {
        let _ = self.complete.send(complete);
        drop(self.sender);
        match self.task.await {
            Ok(result) => result,
            Err(error) => {
                tracing::error!(%error, "the first registry import panicked");
                (Counts::default(), Some(sqlx::Error::WorkerCrashed))
            }
        }
    }
}

async fn run(
    mut conn: PgConnection,
    now: DateTime<Utc>,
    decided: oneshot::Sender<Result<bool, sqlx::Error>>,
    receiver: mpsc::Receiver<Vec<Row>>,
    completion: oneshot::Receiver<bool>,
) -> (Counts, Option<sqlx::Error>) {
    let result = load(&mut conn, now, decided, receiver, completion).await;
    if let Err(error) = conn.close().await {
        tracing::warn!(%error, "could not close the import connection");
    }
    match result {
        Ok(counts) => (counts, None),
        Err(error) => (Counts::default(), Some(error)),
    }
}

async fn load(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    decided: oneshot::Sender<Result<bool, sqlx::Error>>,
    mut receiver: mpsc::Receiver<Vec<Row>>,
    completion: oneshot::Receiver<bool>,
) -> Result<Counts, sqlx::Error> {
    for sql in SETTINGS {
        if let Err(error) = sqlx::query(sql).execute(&mut *conn).await {
            let _ = decided.send(Err(error));
            return Ok(Counts::default());
        }
    }
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            let _ = decided.send(Err(error));
            return Ok(Counts::default());
        }
    };
    let checked = async {
        sqlx::query(LOCK).execute(&mut *tx).await?;
        let empty: bool = sqlx::query_scalar(EMPTY).fetch_one(&mut *tx).await?;
        if empty {
            sqlx::query(CREATE_STAGING).execute(&mut *tx).await?;
        }
        Ok::<_, sqlx::Error>(empty)
    }
    .await;
    match checked {
        Ok(true) => {
            if decided.send(Ok(true)).is_err() {
                return Ok(Counts::default());
            }
        }
        other => {
            tx.rollback().await?;
            let _ = decided.send(other);
            return Ok(Counts::default());
        }
    }

    let mut lines: u64 = 0;
    let mut chunk: u64 = 0;
    let mut buffer = Vec::with_capacity(SEND_BYTES + 4096);
    while let Some(rows) = receiver.recv().await {
        let mut copy = tx.copy_in_raw(COPY_STAGING).await?;
        let keys: Vec<String> = rows.iter().map(|row| row.site.key()).collect();
        let last = batch_last(&rows, &keys);
        for ((row, key), last) in rows.iter().zip(&keys).zip(last) {
            encode(lines, chunk, row, key, last, &mut buffer);
            lines += 1;
            if buffer.len() >= SEND_BYTES {
                copy.send(buffer.as_slice()).await?;
                buffer.clear();
            }
        }
        if !buffer.is_empty() {
            copy.send(buffer.as_slice()).await?;
            buffer.clear();
        }
        copy.finish().await?;
        chunk += 1;
    }
    if !completion.await.unwrap_or(false) {
        tx.rollback().await?;
        return Ok(Counts::default());
    }
    let mut counts = Counts {
        rows: lines,
        ..Counts::default()
    };
    if lines > 0 {
        fill(&mut tx, now, &mut counts).await?;
    }
    tx.commit().await?;
    Ok(counts)
}

/// Counts what the staged rows do, then writes them with the tables' keys and indexes set
/// aside.
async fn fill(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    counts: &mut Counts,
) -> Result<(), sqlx::Error> {
    let now = db::instant(now);
    let (company_ids, site_ids) = (id_prefix(), id_prefix());
    sqlx::query("ANALYZE registry_first_rows")
        .execute(&mut *tx)
        .await?;
    sqlx::query(CREATE_MARKED)
        .bind(&company_ids)
        .bind(&site_ids)
        .execute(&mut *tx)
        .await?;
    let (companies, unchanged, updated, representatives, sites_updated): (i64, i64, i64, i64, i64) =
        sqlx::query_as(COUNT_MARKED).fetch_one(&mut *tx).await?;
    counts.companies_created = count(companies);
    counts.unchanged = count(unchanged);
    counts.companies_updated = count(updated);
    counts.representatives_updated = count(representatives);
    counts.sites_updated = count(sites_updated);

    // Read every definition before dropping any.
    let mut set_aside: Vec<(String, String)> = Vec::new();
    for sql in [FOREIGN_KEYS, UNIQUE_KEYS, INDEXES] {
        let found: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&mut *tx).await?;
        set_aside.extend(found);
    }
    for (drop, _) in &set_aside {
        sqlx::query(sqlx::AssertSqlSafe(drop.as_str()))
            .execute(&mut *tx)
            .await?;
    }

    sqlx::query(INSERT_COMPANIES)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(INSERT_FEES).execute(&mut *tx).await?;
    sqlx::query(INSERT_REPRESENTATIVES)
        .execute(&mut *tx)
        .await?;
    let created = sqlx::query(INSERT_SITES)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    counts.sites_created = created.rows_affected();
    sqlx::query(DROP_STAGING).execute(&mut *tx).await?;

    // Unique keys first (the foreign keys need the keys they refer to), foreign keys last:
    // each is checked by one set-based statement over the whole table.
    for (_, add) in set_aside.iter().rev() {
        sqlx::query(sqlx::AssertSqlSafe(add.as_str()))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// The first 24 characters of a fresh UUID v7 (`xxxxxxxx-xxxx-7xxx-yxxx-`: its millisecond and
/// 26 random bits), to which the load appends a number in 12 hex digits (the UUID's last 48
/// bits) for each company or site: still a UUID v7, unique within the run, and in text order
/// the order of the numbers, so of the keys they follow. The random bits are drawn apart from
/// the process's counter of [`db::new_id`], whose next ids differ only in those last 48 bits.
fn id_prefix() -> String {
    let mut id = uuid::Uuid::new_v7(uuid::Timestamp::now(uuid::NoContext)).to_string();
    id.truncate(24);
    id
}

/// For each row of a batch (`keys`: their site keys), how many rows of its company, and of its
/// site, the batch holds, given on the last of them and `None` on the others: the load finds
/// the last row of the batch before that many rows back ([`CREATE_MARKED`]). The maps hold
/// one batch's keys, so memory stays flat.
fn batch_last(rows: &[Row], keys: &[String]) -> Vec<BatchLast> {
    let mut companies: HashMap<&str, (usize, u32)> = HashMap::with_capacity(rows.len());
    let mut sites: HashMap<(&str, &str), (usize, u32)> = HashMap::with_capacity(rows.len());
    for (i, (row, key)) in rows.iter().zip(keys).enumerate() {
        let code = row.company.tax_code.as_str();
        let company = companies.entry(code).or_insert((i, 0));
        *company = (i, company.1 + 1);
        let site = sites.entry((code, key.as_str())).or_insert((i, 0));
        *site = (i, site.1 + 1);
    }
    let mut last = vec![BatchLast::default(); rows.len()];
    for (i, n) in companies.into_values() {
        last[i].company = Some(n);
    }
    for (i, n) in sites.into_values() {
        last[i].site = Some(n);
    }
    last
}

/// A row's share of [`batch_last`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct BatchLast {
    company: Option<u32>,
    site: Option<u32>,
}

/// Appends `row` to `out` as one line of `COPY` text, in the column order of [`COPY_STAGING`]
/// (`key`: its site key).
fn encode(line: u64, chunk: u64, row: &Row, key: &str, last: BatchLast, out: &mut Vec<u8>) {
    let line = line.to_string();
    let chunk = chunk.to_string();
    let company_batch = last.company.map(|n| n.to_string());
    let site_batch = last.site.map(|n| n.to_string());
    let rea_number = row.site.rea.number().to_string();
    let registered_on = row.registered_on.flatten().map(db::date);
    let fee_years = array_literal(row.fee_years.iter().map(i32::to_string));
    let representatives = row
        .representatives
        .as_ref()
        .map(|codes| array_literal(codes.iter().cloned()));
    let fields: [Option<&str>; 18] = [
        Some(&line),
        Some(&chunk),
        Some(row.company.tax_code.as_str()),
        row.company.vat_number.as_ref().map(|v| v.as_str()),
        Some(&row.company.name),
        Some(row.company.status.as_str()),
        registered_on.as_deref(),
        Some(&fee_years),
        representatives.as_deref(),
        Some(key),
        Some(row.site.kind.as_str()),
        Some(row.site.rea.province().code()),
        Some(&rea_number),
        Some(&row.site.address),
        Some(row.site.postcode.as_str()),
        Some(&row.site.municipality),
        company_batch.as_deref(),
        site_batch.as_deref(),
    ];
    copy_fields(fields, out);
}
