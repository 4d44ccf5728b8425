//! Backups that restore: `sportello admin backup --to DIR` and `sportello admin restore`.
//!
//! A backup is a folder, written under a temporary name beside its target and renamed into
//! place only when whole, so a folder with the target's name is always a finished backup:
//!
//! ```text
//! manifest.json       what the backup holds (see [`Manifest`]), written last
//! sportello.db        SQLite: a consistent copy made by `VACUUM INTO` while the server runs
//! database.pgdump     PostgreSQL: `pg_dump --format=custom` of an exported snapshot
//! blobs/ab/cdef…      the blobs the database refers to, each checked against its SHA-256
//! seal-secret.key     the data folder's seal secret, when SPORTELLO_SEAL_KEY is not set
//! ```
//!
//! The blobs copied are those the copied database refers to ([`blobs::reaper::REFERENCES`]
//! and the attachments of e-mails not sent yet), read a page at a time so memory stays flat.
//! A blob is written to its store before the transaction that records its key commits, so
//! every key in a consistent copy of the database names a blob already stored.
//!
//! A restore ([`restore::restore`]) goes into a new or empty data folder only, never over a
//! live database, and says done only once the manifest, the database's SHA-256, every blob's
//! SHA-256, the blobs the database refers to and the audit chain have all been checked.

pub mod create;
pub mod manifest;
pub mod postgres;
pub mod restore;

pub use create::{BackupError, BackupOptions, backup};
pub use manifest::Manifest;
pub use restore::{RestoreError, RestoreTarget, Restored, restore};

use crate::blobs::{self, BlobStore, FsBlobStore, sha256_hex};
use std::collections::BTreeMap;
use std::path::Path;

/// The main tables, counted in the manifest and checked again after a restore.
pub const COUNTED: &[&str] = &[
    "chambers",
    "desks",
    "companies",
    "users",
    "base_models",
    "practices",
    "practice_attachments",
    "practice_signed_models",
    "certificates",
    "issued_documents",
    "wallet_entries",
    "ra_operators",
    "dev_devices",
    "appointments",
    "iss_sessions",
    "outbox_emails",
    "audit_log",
];

/// The SQLite database's file name, in a backup and in the data folder.
pub const SQLITE_FILE: &str = "sportello.db";
/// The PostgreSQL dump's file name in a backup.
pub const PG_DUMP_FILE: &str = "database.pgdump";
/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The blobs' folder, in a backup and in the data folder.
pub const BLOBS_DIR: &str = "blobs";
/// The seal secret made in the data folder when `SPORTELLO_SEAL_KEY` is not set.
pub const SEAL_SECRET_FILE: &str = "seal-secret.key";

/// The rows of each table of [`COUNTED`].
pub(crate) async fn count_tables(
    conn: &mut sqlx::AnyConnection,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let mut counts = BTreeMap::new();
    for table in COUNTED {
        // Table names come from the constant above, never from input.
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *conn)
                .await?;
        counts.insert((*table).to_string(), n);
    }
    Ok(counts)
}

/// The last entry of the audit chain: its number and hash (none for an empty trail).
pub(crate) async fn audit_head(
    conn: &mut sqlx::AnyConnection,
) -> Result<manifest::AuditHead, sqlx::Error> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match head {
        Some((seq, hash)) => manifest::AuditHead {
            seq,
            hash: Some(hash),
        },
        None => manifest::AuditHead { seq: 0, hash: None },
    })
}

/// How many keys are read from one column at a time.
const KEY_PAGE: i64 = 1000;

/// Every blob key the database refers to, a page at a time ([`ReferencedKeys::next_page`]);
/// a key held by two rows may come twice.
#[derive(Default)]
pub(crate) struct ReferencedKeys {
    /// The column of [`blobs::reaper::REFERENCES`] being read.
    column: usize,
    /// The last key read from it.
    after: String,
    outbox_done: bool,
}

impl ReferencedKeys {
    /// The next page of keys; `None` once every column (and the outbox) has been read.
    pub(crate) async fn next_page(
        &mut self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<Option<Vec<String>>, sqlx::Error> {
        while let Some((table, column)) = blobs::reaper::REFERENCES.get(self.column) {
            // Table and column names come from the constant, never from input; each column
            // has an index, so every page is a range scan.
            let page: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL \
                 AND {column} > $1 ORDER BY {column} LIMIT {KEY_PAGE}"
            )))
            .bind(&self.after)
            .fetch_all(&mut *conn)
            .await?;
            match page.last() {
                Some(last) => {
                    self.after = last.clone();
                    return Ok(Some(page));
                }
                None => {
                    self.column += 1;
                    self.after.clear();
                }
            }
        }
        if self.outbox_done {
            return Ok(None);
        }
        self.outbox_done = true;
        let keys = blobs::reaper::outbox_references(conn).await?;
        Ok(Some(keys.into_iter().collect()))
    }
}

/// Blobs copied, and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Copied {
    pub count: u64,
    pub bytes: u64,
}

/// Why one blob could not be copied.
#[derive(Debug)]
pub(crate) enum CopyProblem {
    /// The source has no blob under the key.
    Missing(String),
    /// The source's content does not hash to its key.
    Altered(String),
    Store(blobs::BlobError),
}

/// Copies the blob `key` from `from` into the folder store `to` unless it is there already,
/// checking that its content hashes to its key; what it added to `copied`.
pub(crate) async fn copy_blob(
    from: &dyn BlobStore,
    to: &FsBlobStore,
    key: &str,
    copied: &mut Copied,
) -> Result<(), CopyProblem> {
    if to.exists(key).await.map_err(CopyProblem::Store)? {
        return Ok(());
    }
    let bytes = match from.get(key).await {
        Ok(b) => b,
        Err(blobs::BlobError::NotFound(_)) => return Err(CopyProblem::Missing(key.into())),
        Err(e) => return Err(CopyProblem::Store(e)),
    };
    if sha256_hex(&bytes) != key {
        return Err(CopyProblem::Altered(key.into()));
    }
    let len = bytes.len() as u64;
    to.put_owned(bytes).await.map_err(CopyProblem::Store)?;
    copied.count += 1;
    copied.bytes += len;
    Ok(())
}

/// The SHA-256 (hex) and size of a file, read in blocks.
pub(crate) fn file_digest(path: &Path) -> std::io::Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Copies a file and flushes the copy to the disk; the SHA-256 and size of what was copied.
pub(crate) fn copy_file_durably(from: &Path, to: &Path) -> std::io::Result<(String, u64)> {
    std::fs::copy(from, to)?;
    std::fs::File::open(to)?.sync_all()?;
    file_digest(to)
}

/// Flushes a folder's entries to the disk.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Whether `dir` is absent or an empty folder: the only places a backup or a restore goes.
pub(crate) fn is_fresh(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        // A file, not a folder.
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(false),
        Err(e) => Err(e),
    }
}

/// A temporary folder beside `target` (same file system, so it can be renamed onto it).
pub(crate) fn staging_dir(target: &Path, what: &str) -> std::io::Result<std::path::PathBuf> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sportello".into());
    let staging = parent.join(format!(".{name}.{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&staging)?;
    Ok(staging)
}

/// Renames the finished `staging` folder onto `target` (absent or empty) and flushes the
/// parent folder, so the target appears whole or not at all.
pub(crate) fn publish(staging: &Path, target: &Path) -> std::io::Result<()> {
    sync_dir(staging)?;
    std::fs::rename(staging, target)?;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}
