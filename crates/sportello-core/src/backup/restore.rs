//! Restoring a backup into a fresh data folder (`sportello admin restore --from DIR`).
//!
//! Nothing is trusted before it is checked: the manifest's format, the database file's
//! SHA-256, every blob's SHA-256 against its key, the blobs the restored database refers to,
//! the schema version, the counts and the audit head against the manifest, and the whole
//! audit chain. The restore is built under a temporary name beside the data folder and renamed
//! onto it only when every check passed, so a failed restore leaves nothing behind.

use super::manifest::{self, Manifest};
use super::{
    BLOBS_DIR, MANIFEST_FILE, PG_DUMP_FILE, ReferencedKeys, SEAL_SECRET_FILE, SQLITE_FILE,
};
use crate::audit::{self, ChainBreak};
use crate::blobs::{BlobError, BlobStore, FsBlobStore, sha256_hex};
use crate::db::{self, Db};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "{0} is not empty: a restore goes only into a new or empty data folder, never over a \
         live database"
    )]
    TargetNotEmpty(String),
    #[error(
        "the PostgreSQL database of DATABASE_URL already holds tables: a restore goes only into \
         an empty database, never over a live one"
    )]
    DatabaseNotEmpty,
    #[error("the backup is of a {backup} database: set DATABASE_URL to {wanted}")]
    WrongEngine {
        backup: String,
        wanted: &'static str,
    },
    #[error("{path}: no readable manifest.json ({source}); is this a backup folder?")]
    NoManifest {
        path: String,
        source: std::io::Error,
    },
    #[error("manifest.json cannot be read: {0}")]
    BadManifest(String),
    #[error("manifest.json is of format '{0}', which this version does not know")]
    UnknownFormat(String),
    #[error(
        "{0} does not match the size and SHA-256 in manifest.json: the backup was altered or \
         is incomplete"
    )]
    DatabaseAltered(String),
    #[error(
        "the backup's schema version is {backup}, newer than this version of Sportello knows \
         ({known}): restore it with the version that made it"
    )]
    NewerSchema { backup: i64, known: i64 },
    #[error("manifest.json says {what} is {manifest}, but the restored database has {found}")]
    Mismatch {
        what: String,
        manifest: String,
        found: String,
    },
    #[error("blob {0} does not match its SHA-256: the backup was altered")]
    AlteredBlob(String),
    #[error("blob {0}, which the database refers to, is not in the backup")]
    MissingBlob(String),
    #[error("the restored audit trail is broken at {0}")]
    AuditBroken(ChainBreak),
    #[error(
        "pg_restore was not found on PATH: install the PostgreSQL client tools (the server's \
         major version or newer)"
    )]
    PgRestoreMissing,
    #[error("pg_restore failed: {0}")]
    PgRestore(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("blob store: {0}")]
    Blob(#[from] BlobError),
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> RestoreError + '_ {
    move |source| RestoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Where a backup is restored.
#[derive(Clone, Debug)]
pub struct RestoreTarget {
    /// The new data folder: the SQLite database, the blobs folder and the seal secret go here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL` when it names PostgreSQL (an empty database for a PostgreSQL backup).
    pub postgres_url: Option<String>,
}

/// What a restore checked.
#[derive(Clone, Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Audit entries whose chain was verified.
    pub audit_entries: u64,
    /// Blobs restored, each checked against its SHA-256.
    pub blobs: u64,
}

/// Reads and checks the manifest of the backup in `from`.
pub fn read_manifest(from: &Path) -> Result<Manifest, RestoreError> {
    let path = from.join(MANIFEST_FILE);
    let text = std::fs::read(&path).map_err(|source| RestoreError::NoManifest {
        path: from.display().to_string(),
        source,
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| RestoreError::BadManifest(e.to_string()))?;
    if manifest.format != manifest::FORMAT {
        return Err(RestoreError::UnknownFormat(manifest.format));
    }
    Ok(manifest)
}

/// Restores the backup in `from` into `target` (see the module docs).
pub async fn restore(from: &Path, target: &RestoreTarget) -> Result<Restored, RestoreError> {
    let manifest = read_manifest(from)?;
    let data_dir = &target.data_dir;
    if !super::is_fresh(data_dir).map_err(io_at(data_dir))? {
        return Err(RestoreError::TargetNotEmpty(data_dir.display().to_string()));
    }
    let postgres_url = match (manifest.engine.as_str(), &target.postgres_url) {
        ("sqlite", None) => None,
        ("postgres", Some(url)) => Some(url.as_str()),
        ("sqlite", Some(_)) => {
            return Err(RestoreError::WrongEngine {
                backup: manifest.engine,
                wanted: "nothing (the SQLite database goes into the data folder)",
            });
        }
        _ => {
            return Err(RestoreError::WrongEngine {
                backup: manifest.engine,
                wanted: "an empty PostgreSQL database",
            });
        }
    };
    let staging = super::staging_dir(data_dir, "restoring").map_err(io_at(data_dir))?;
    let restored = restore_into(from, &manifest, &staging, postgres_url).await;
    let published = match restored {
        Ok(r) => super::publish(&staging, data_dir)
            .map(|()| r)
            .map_err(io_at(data_dir)),
        Err(e) => Err(e),
    };
    if published.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    published
}

async fn restore_into(
    from: &Path,
    manifest: &Manifest,
    staging: &Path,
    postgres_url: Option<&str>,
) -> Result<Restored, RestoreError> {
    // The database file first: nothing of it is read before its hash is known to be right.
    let source = from.join(&manifest.database.file);
    let expected = match postgres_url {
        None => SQLITE_FILE,
        Some(_) => PG_DUMP_FILE,
    };
    if manifest.database.file != expected {
        return Err(RestoreError::BadManifest(format!(
            "the database file of a {} backup is {expected}",
            manifest.engine
        )));
    }
    let sqlite_file = staging.join(SQLITE_FILE);
    let (sha256, bytes) = match postgres_url {
        None => super::copy_file_durably(&source, &sqlite_file),
        Some(_) => super::file_digest(&source),
    }
    .map_err(io_at(&source))?;
    if sha256 != manifest.database.sha256 || bytes != manifest.database.bytes {
        return Err(RestoreError::DatabaseAltered(
            manifest.database.file.clone(),
        ));
    }
    // Then every blob, before any database is written.
    let restored = FsBlobStore::new(staging.join(BLOBS_DIR));
    let (blobs, blob_bytes) = if manifest.blobs.copied {
        copy_blobs(&FsBlobStore::new(from.join(BLOBS_DIR)), &restored).await?
    } else {
        (0, 0)
    };
    let db = match postgres_url {
        None => {
            let path = std::path::absolute(&sqlite_file).map_err(io_at(&sqlite_file))?;
            Db::connect(&format!("sqlite://{}", path.display()), 2).await?
        }
        Some(url) => {
            let db = Db::connect(url, 2).await?;
            if !super::postgres::is_empty(&db).await? {
                db.close().await;
                return Err(RestoreError::DatabaseNotEmpty);
            }
            if let Err(e) = super::postgres::load(url, &source).await {
                db.close().await;
                return Err(e);
            }
            db
        }
    };
    let checked = check(manifest, &restored, &db).await;
    db.close().await;
    let audit_entries = checked?;
    // Every blob referred to is there; none more, none less than the backup wrote.
    if manifest.blobs.copied {
        same("the number of blobs", manifest.blobs.count, blobs)?;
        same("the blobs' total size", manifest.blobs.bytes, blob_bytes)?;
    }
    if manifest.seal_secret {
        let from = from.join(SEAL_SECRET_FILE);
        let bytes = std::fs::read(&from).map_err(io_at(&from))?;
        let to = staging.join(SEAL_SECRET_FILE);
        super::create::write_durably(&to, &bytes).map_err(io_at(&to))?;
    }
    Ok(Restored {
        manifest: manifest.clone(),
        audit_entries,
        blobs,
    })
}

/// Checks the restored database against the manifest, that every blob it refers to was
/// restored (when the backup holds the blobs), and its audit chain; the entries verified.
async fn check(manifest: &Manifest, restored: &FsBlobStore, db: &Db) -> Result<u64, RestoreError> {
    let mut conn = db.pool().acquire().await?;
    let schema_version = db::migrations::applied_version(&mut conn)
        .await?
        .unwrap_or(0);
    let known = db::migrations::latest_version();
    if schema_version > known {
        return Err(RestoreError::NewerSchema {
            backup: schema_version,
            known,
        });
    }
    same(
        "the schema version",
        manifest.schema_version,
        schema_version,
    )?;
    let counts = super::count_tables(&mut conn).await?;
    for (table, n) in &manifest.counts {
        same(
            &format!("the number of rows of {table}"),
            n,
            counts.get(table).unwrap_or(&0),
        )?;
    }
    let head = super::audit_head(&mut conn).await?;
    same("the last audit entry", manifest.audit.seq, head.seq)?;
    same(
        "the last audit entry's hash",
        manifest.audit.hash.as_deref().unwrap_or("none"),
        head.hash.as_deref().unwrap_or("none"),
    )?;
    if manifest.blobs.copied {
        let mut keys = ReferencedKeys::default();
        while let Some(page) = keys.next_page(&mut conn).await? {
            for key in page {
                if !restored.exists(&key).await? {
                    return Err(RestoreError::MissingBlob(key));
                }
            }
        }
    }
    drop(conn);
    let audit_entries = match audit::verify_chain(db).await? {
        Ok(n) => n,
        Err(broken) => return Err(RestoreError::AuditBroken(broken)),
    };
    Ok(audit_entries)
}

fn same<T: PartialEq + std::fmt::Display>(
    what: &str,
    manifest: T,
    found: T,
) -> Result<(), RestoreError> {
    if manifest == found {
        Ok(())
    } else {
        Err(RestoreError::Mismatch {
            what: what.to_string(),
            manifest: manifest.to_string(),
            found: found.to_string(),
        })
    }
}

/// Copies every blob of the backup into the restored store, each checked against its key;
/// how many and their bytes.
async fn copy_blobs(from: &FsBlobStore, to: &FsBlobStore) -> Result<(u64, u64), RestoreError> {
    let (mut count, mut bytes) = (0u64, 0u64);
    let mut after: Option<String> = None;
    loop {
        let page = from.list_after(after.as_deref(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for blob in page {
            let content = from.get(&blob.key).await?;
            if sha256_hex(&content) != blob.key {
                return Err(RestoreError::AlteredBlob(blob.key));
            }
            bytes += content.len() as u64;
            to.put_owned(content).await?;
            count += 1;
        }
    }
    Ok((count, bytes))
}
