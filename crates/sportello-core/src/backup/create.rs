//! Making a backup while the server runs (`sportello admin backup --to DIR`).

use super::manifest::{self, AuditHead, BlobsPart, DatabaseFile, Manifest};
use super::{
    BLOBS_DIR, Copied, CopyProblem, MANIFEST_FILE, ReferencedKeys, SEAL_SECRET_FILE, SQLITE_FILE,
};
use crate::Ctx;
use crate::blobs::{BlobError, BlobStore, FsBlobStore, Location};
use crate::db::{self, Db, Engine};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default)]
pub struct BackupOptions {
    /// Copy the blobs of an S3 store too (a folder store's blobs are always copied).
    pub with_blobs: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not empty: a backup goes into a new or empty folder")]
    TargetNotEmpty(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("blob store: {0}")]
    Blob(#[from] BlobError),
    #[error("blob {0} is referred to by the database but is not in the blob store")]
    MissingBlob(String),
    #[error("blob {0} in the blob store does not match its SHA-256: it was altered")]
    AlteredBlob(String),
    #[error(
        "pg_dump was not found on PATH: install the PostgreSQL client tools (the server's \
         major version or newer), or back up by hand as README describes under \"Backups\""
    )]
    PgDumpMissing,
    #[error("pg_dump failed: {0}")]
    PgDump(String),
    #[error("the database has no migration applied: there is nothing to back up")]
    NotMigrated,
}

impl From<CopyProblem> for BackupError {
    fn from(p: CopyProblem) -> Self {
        match p {
            CopyProblem::Missing(key) => Self::MissingBlob(key),
            CopyProblem::Altered(key) => Self::AlteredBlob(key),
            CopyProblem::Store(e) => Self::Blob(e),
        }
    }
}

/// An I/O error with the path it happened on.
pub(crate) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What was read from the copy of the database, inside its snapshot.
pub(crate) struct Facts {
    pub schema_version: i64,
    pub counts: BTreeMap<String, i64>,
    pub audit: AuditHead,
    pub blobs: Copied,
}

/// Reads the facts of the manifest from a consistent copy (or snapshot) of the database, and
/// copies the blobs it refers to into `staging/blobs` when `from` is given.
pub(crate) async fn read_facts(
    conn: &mut sqlx::AnyConnection,
    from: Option<&dyn BlobStore>,
    staging: &Path,
) -> Result<Facts, BackupError> {
    let schema_version = db::migrations::applied_version(conn)
        .await?
        .ok_or(BackupError::NotMigrated)?;
    let counts = super::count_tables(conn).await?;
    let audit = super::audit_head(conn).await?;
    let mut blobs = Copied::default();
    if let Some(from) = from {
        let to = FsBlobStore::new(staging.join(BLOBS_DIR));
        let mut keys = ReferencedKeys::default();
        while let Some(page) = keys.next_page(conn).await? {
            for key in page {
                super::copy_blob(from, &to, &key, &mut blobs).await?;
            }
        }
    }
    Ok(Facts {
        schema_version,
        counts,
        audit,
        blobs,
    })
}

/// Backs up the database and the blobs of `ctx` into `target`, which must be absent or an
/// empty folder. Everything is written under a temporary name beside it and renamed into
/// place when whole; on failure nothing is left.
pub async fn backup(
    ctx: &Ctx,
    target: &Path,
    options: BackupOptions,
) -> Result<Manifest, BackupError> {
    if !super::is_fresh(target).map_err(io_at(target))? {
        return Err(BackupError::TargetNotEmpty(target.display().to_string()));
    }
    let staging = super::staging_dir(target, "partial").map_err(io_at(target))?;
    let made = write_into(ctx, &staging, options).await;
    let published = match made {
        Ok(manifest) => super::publish(&staging, target)
            .map(|()| manifest)
            .map_err(io_at(target)),
        Err(e) => Err(e),
    };
    if published.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    published
}

async fn write_into(
    ctx: &Ctx,
    staging: &Path,
    options: BackupOptions,
) -> Result<Manifest, BackupError> {
    let copy_blobs = matches!(ctx.config.blobs, Location::Folder(_)) || options.with_blobs;
    let from = copy_blobs.then_some(ctx.blobs.as_ref());
    let taken_at = ctx.clock.now();
    let (database, facts) = match ctx.db.engine() {
        Engine::Sqlite => sqlite_copy(ctx, staging, from).await?,
        Engine::Postgres => super::postgres::dump(ctx, staging, from).await?,
    };
    let seal_secret = copy_seal_secret(ctx, staging)?;
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        engine: ctx.db.engine().name().into(),
        schema_version: facts.schema_version,
        taken_at: db::instant(taken_at),
        finished_at: db::instant(ctx.clock.now()),
        database,
        counts: facts.counts,
        audit: facts.audit,
        blobs: BlobsPart {
            store: ctx.blobs.describe(),
            copied: copy_blobs,
            count: facts.blobs.count,
            bytes: facts.blobs.bytes,
        },
        seal_secret,
    };
    let path = staging.join(MANIFEST_FILE);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io {
        path: path.display().to_string(),
        source: e.into(),
    })?;
    write_durably(&path, &json).map_err(io_at(&path))?;
    Ok(manifest)
}

/// SQLite: `VACUUM INTO` the staging folder (a consistent copy, taken in one read
/// transaction, that does not stop the writers of a WAL database), then the facts and blobs
/// read from the copy.
async fn sqlite_copy(
    ctx: &Ctx,
    staging: &Path,
    from: Option<&dyn BlobStore>,
) -> Result<(DatabaseFile, Facts), BackupError> {
    let file = std::path::absolute(staging.join(SQLITE_FILE)).map_err(io_at(staging))?;
    sqlx::query("VACUUM INTO $1")
        .bind(file.display().to_string())
        .execute(ctx.db.pool())
        .await?;
    let copy = Db::connect(&format!("sqlite://{}", file.display()), 1).await?;
    let facts = {
        let mut conn = copy.pool().acquire().await?;
        let facts = read_facts(&mut conn, from, staging).await;
        // A file of its own, with no write-ahead log beside it, once the copy is closed.
        if facts.is_ok() {
            sqlx::query("PRAGMA journal_mode = DELETE")
                .execute(&mut *conn)
                .await?;
        }
        facts
    };
    copy.close().await;
    let facts = facts?;
    std::fs::File::open(&file)
        .and_then(|f| f.sync_all())
        .map_err(io_at(&file))?;
    let (sha256, bytes) = super::file_digest(&file).map_err(io_at(&file))?;
    Ok((
        DatabaseFile {
            file: SQLITE_FILE.into(),
            bytes,
            sha256,
        },
        facts,
    ))
}

/// Copies the data folder's seal secret, when the instance uses it (no `SPORTELLO_SEAL_KEY`):
/// without it a restored instance could not open the chambers' seals, the certificates'
/// security codes or the webhooks' secrets. Whether it was copied.
fn copy_seal_secret(ctx: &Ctx, staging: &Path) -> Result<bool, BackupError> {
    if ctx.config.seal_key.is_some() {
        return Ok(false);
    }
    let from: PathBuf = ctx.config.data_dir.join(SEAL_SECRET_FILE);
    if !from.exists() {
        return Ok(false);
    }
    let to = staging.join(SEAL_SECRET_FILE);
    let bytes = std::fs::read(&from).map_err(io_at(&from))?;
    write_durably(&to, &bytes).map_err(io_at(&to))?;
    Ok(true)
}

/// Writes a new file readable by its owner only and flushes it to the disk.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
