//! Import of a registry extract (`sportello admin import-registry FILE.csv [--json]`).
//!
//! The file: UTF-8 CSV (a BOM is tolerated), `;` or `,` separated (told by the header line),
//! a header naming the columns of [`rows::COLUMNS`] in any order (other columns are ignored),
//! then one row per site: the company's fields repeated on each of its rows. The optional
//! column `rappresentanti` lists the tax codes of the company's legal representatives,
//! separated by spaces; a bad code is skipped and reported with its line, the row imported.
//! The optional column `data_iscrizione` gives the company's registration date (empty when
//! unknown); a file without it leaves the stored dates as they are.
//!
//! A national extract has about 6 million rows, so the import streams:
//! - a blocking thread reads and parses the file and hands over chunks of `batch_size` lines
//!   through bounded channels, so a handful of chunks at most are in memory at once (one being
//!   read, two queued, and per writer lane one queued and one being written);
//! - the valid rows go to writer lanes by tax code ([`writer`]: one on SQLite, two on
//!   PostgreSQL), each with its own connection tuned for the load ([`session`]); a lane writes
//!   each batch in one transaction, and only the differences with what is stored: on SQLite the
//!   companies and sites the batch names are loaded, compared, and written with multi-row
//!   statements ([`batch`]); on PostgreSQL the rows are copied (`COPY … FROM STDIN`) into a
//!   staging table and compared and written by set-based upserts ([`copy`]);
//! - a first import on PostgreSQL (the registry tables empty) is one transaction instead:
//!   every row is staged with `COPY`, then the tables are filled by plain inserts with their
//!   foreign keys and secondary indexes set aside and rebuilt ([`first`]);
//! - rejections beyond the first 10 000 are spilled to a temporary file ([`report`]).
//!
//! Re-importing the same file changes nothing: no row is written unless a value differs, so
//! `updated_at` stays, and the only trace of the run is its one audit entry. A company's
//! fields come from its rows in file order, the last row winning; rows of one company may be
//! far apart. A file whose rows disagree about a company is inconsistent: its last row still
//! wins, but each run then writes that company again.
//!
//! A run that fails half-way (a database error, a read error) keeps the batches already
//! committed; running it again completes it, as unchanged rows cost no writes. A first import
//! on PostgreSQL keeps nothing of a failed run: the tables and their schema stay as they were.

mod batch;
mod copy;
mod first;
mod report;
mod rows;
mod session;
mod writer;

pub use report::Rejection;

use crate::audit::{self, Actor, Change};
use crate::clock::italian_day;
use crate::db::Db;
use chrono::{DateTime, Datelike, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;

/// How a run behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Show a progress bar (only ever drawn when stderr is a terminal).
    pub progress: bool,
    /// Lines per transaction (clamped to 1..=50 000).
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            progress: true,
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }
}

/// Lines per transaction by default: see BENCHMARKS.md, "Registry import".
pub const DEFAULT_BATCH_SIZE: usize = 10_000;

/// The most lines per transaction (three batches may be in memory at once).
const MAX_BATCH_SIZE: usize = 50_000;

/// What a run did. `imported` counts the valid rows, all upserted (written or found equal);
/// `unchanged` those of them that changed nothing.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    pub imported: u64,
    pub unchanged: u64,
    pub companies_created: u64,
    pub companies_updated: u64,
    pub sites_created: u64,
    pub sites_updated: u64,
    /// Companies whose legal representatives were written (created or changed).
    pub representatives_updated: u64,
    /// The first rejected rows, in file order (at most 10 000; see [`ImportOutcome::rejections`]
    /// for all of them).
    pub rejected: Vec<Rejection>,
    /// How many rows were rejected in all.
    pub rejected_total: u64,
    /// Values left out of imported rows (a representative's bad tax code), in file order: the
    /// first 10 000.
    pub skipped: Vec<Rejection>,
    /// How many values were left out in all.
    pub skipped_total: u64,
    spill: Option<report::Spill>,
}

/// The file could not be imported at all (the command exits with [`ImportError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("the file has no header line")]
    NoHeader,
    #[error("the header line is not UTF-8")]
    HeaderNotUtf8,
    #[error("missing columns: {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("column {0} appears twice")]
    DuplicateColumn(String),
    #[error("cannot read line {line}: {source}")]
    Read { line: u64, source: std::io::Error },
    #[error("cannot keep the rejected rows: {0}")]
    Spill(std::io::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl ImportError {
    /// 2 when the file is unreadable (nothing or only part of it was imported), 1 when the
    /// database or the temporary file failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Database(_) | Self::Spill(_) => 1,
            _ => 2,
        }
    }
}

/// What reading an extract without writing it found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Rows that would be imported.
    pub valid: u64,
    /// Rows that would be rejected.
    pub rejected: u64,
}

/// Reads the whole extract at `path` as [`import_csv`] would, writing nothing: the file's
/// problems and the rows' rejections, in bounded memory (the importer's fuzz test drives it).
pub fn scan(path: &Path, current_year: i32) -> Result<Scan, ImportError> {
    let (source, _) = rows::open(path)?;
    let mut scan = Scan::default();
    let mut failure = None;
    source.read_chunks(DEFAULT_BATCH_SIZE, current_year, |chunk| match chunk {
        Ok(c) => {
            scan.valid += c.rows.len() as u64;
            scan.rejected += c.rejections.len() as u64;
            true
        }
        Err(e) => {
            failure = Some(e);
            false
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(scan),
    }
}

/// Imports the extract at `path`: valid rows are upserted, invalid ones collected in the
/// outcome, and one `registry.import` audit entry records the counts.
pub async fn import_csv(
    db: &Db,
    now: DateTime<Utc>,
    path: &Path,
    opts: ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let batch_size = opts.batch_size.clamp(1, MAX_BATCH_SIZE);
    let current_year = italian_day(now).year();
    let owned = path.to_path_buf();
    let (source, size) = tokio::task::spawn_blocking(move || rows::open(&owned))
        .await
        .map_err(|e| ImportError::Read {
            line: 1,
            source: std::io::Error::other(e),
        })??;
    let bar = progress_bar(opts.progress, size);
    let lanes = writer::Lanes::start(db, now).await?;

    let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || {
        source.read_chunks(batch_size, current_year, |chunk| {
            sender.blocking_send(chunk).is_ok()
        });
    });

    let mut outcome = ImportOutcome::default();
    let mut failure = None;
    let mut valid = 0u64;
    while let Some(chunk) = receiver.recv().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        bar.set_position(chunk.bytes_read);
        if let Err(e) = chunk
            .rejections
            .into_iter()
            .try_for_each(|r| outcome.reject(r))
        {
            failure = Some(ImportError::Spill(e));
            break;
        }
        for skipped in chunk.skipped {
            outcome.skip(skipped);
        }
        valid += chunk.rows.len() as u64;
        if !lanes.send(chunk.rows).await {
            break; // a lane stopped on an error, which `finish` returns
        }
        bar.set_message(format!(
            "{valid} valid, {} rejected",
            outcome.rejected_total
        ));
    }
    drop(receiver);
    let _ = reader.await;
    let (counts, lane_error) = lanes.finish(failure.is_none()).await;
    outcome.imported = counts.rows;
    outcome.unchanged = counts.unchanged;
    outcome.companies_created = counts.companies_created;
    outcome.companies_updated = counts.companies_updated;
    outcome.sites_created = counts.sites_created;
    outcome.sites_updated = counts.sites_updated;
    outcome.representatives_updated = counts.representatives_updated;
    if let Some(e) = lane_error {
        failure.get_or_insert(ImportError::Database(e));
    }
    bar.finish_and_clear();
    if let Some(Err(e)) = outcome.spill.as_mut().map(report::Spill::close) {
        failure.get_or_insert(ImportError::Spill(e));
    }

    let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let audited = record_run(db, now, file, &outcome, failure.is_none()).await;
    match (failure, audited) {
        (Some(e), audited) => {
            if let Err(audit_error) = audited {
                tracing::warn!(%audit_error, "the failed registry import could not be audited");
            }
            Err(e)
        }
        (None, Err(e)) => Err(e.into()),
        (None, Ok(())) => Ok(outcome),
    }
}

/// The one audit entry of a run, `registry.import`, with the counts.
async fn record_run(
    db: &Db,
    now: DateTime<Utc>,
    file: Option<String>,
    outcome: &ImportOutcome,
    completed: bool,
) -> Result<(), sqlx::Error> {
    let after = serde_json::json!({
        "file": file,
        "completed": completed,
        "imported": outcome.imported,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected_total,
        "skipped": outcome.skipped_total,
        "companies_created": outcome.companies_created,
        "companies_updated": outcome.companies_updated,
        "sites_created": outcome.sites_created,
        "sites_updated": outcome.sites_updated,
        "representatives_updated": outcome.representatives_updated,
    });
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        now,
        &Actor::cli(),
        Change::new("registry.import", "registry", None).after(after),
    )
    .await?;
    tx.commit().await
}

/// A bar over the file's bytes, drawn only when asked and stderr is a terminal.
fn progress_bar(wanted: bool, size: u64) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {percent:>3}% {binary_bytes_per_sec} eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}
