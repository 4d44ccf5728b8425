//! `manifest.json`: what a backup holds, written last, read first by a restore.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The manifest format this build writes and reads.
pub const FORMAT: &str = "sportello-backup/1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// The version of the last migration applied to the copied database.
    pub schema_version: i64,
    /// When the copy of the database was taken (UTC, RFC 3339).
    pub taken_at: String,
    /// When the backup was finished.
    pub finished_at: String,
    /// The database file of the backup.
    pub database: DatabaseFile,
    /// Rows per main table ([`super::COUNTED`]) in the copied database.
    pub counts: BTreeMap<String, i64>,
    /// The last entry of the audit chain in the copied database.
    pub audit: AuditHead,
    pub blobs: BlobsPart,
    /// Whether `seal-secret.key` is in the backup (it is when the data folder held it, that
    /// is when `SPORTELLO_SEAL_KEY` was not set).
    pub seal_secret: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseFile {
    /// `sportello.db` or `database.pgdump`.
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    /// Number of the last entry (0 for an empty trail).
    pub seq: i64,
    /// Its hash.
    pub hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobsPart {
    /// Where the blobs were kept (`folder …` or `s3://bucket/prefix`).
    pub store: String,
    /// Whether the blobs are in the backup's `blobs/` folder. When not (an S3 store backed up
    /// without `--with-blobs`), the store's own replication keeps them.
    pub copied: bool,
    /// Blobs in the backup.
    pub count: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}
