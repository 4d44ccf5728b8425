//! PostgreSQL: the backup is `pg_dump`'s, the restore `pg_restore`'s, both run as commands.
//!
//! The backup opens a repeatable-read transaction, exports its snapshot, reads the manifest's
//! facts and the blob keys in it, and runs `pg_dump --snapshot` on the same snapshot, so the
//! dump, the counts and the copied blobs describe one instant while the service keeps writing.

use super::create::{BackupError, Facts, read_facts};
use super::manifest::DatabaseFile;
use super::{PG_DUMP_FILE, RestoreError};
use crate::Ctx;
use crate::blobs::BlobStore;
use std::path::Path;
use std::process::Stdio;

/// The connection string for a PostgreSQL command (`--dbname`) and the password, which goes
/// in `PGPASSWORD` rather than on a command line every user of the machine can read.
fn connection(url: &str) -> (String, Option<String>) {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let password = parsed.password().map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned()
            });
            let _ = parsed.set_password(None);
            (parsed.to_string(), password)
        }
        Err(_) => (url.to_string(), None),
    }
}

/// Runs a PostgreSQL client command against `url`; `Ok(None)` when it is not installed.
async fn run_tool(
    tool: &str,
    url: &str,
    args: &[String],
) -> std::io::Result<Option<(bool, String)>> {
    let (dbname, password) = connection(url);
    let mut command = tokio::process::Command::new(tool);
    command
        .args(args)
        .arg("--dbname")
        .arg(dbname)
        .arg("--no-password")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    match command.output().await {
        Ok(out) => Ok(Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Dumps the database of `ctx` into `staging/database.pgdump` (custom format) and reads the
/// manifest's facts (copying the blobs when `from` is given) in the same snapshot.
pub(crate) async fn dump(
    ctx: &Ctx,
    staging: &Path,
    from: Option<&dyn BlobStore>,
) -> Result<(DatabaseFile, Facts), BackupError> {
    let mut tx = ctx.db.pool().begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *tx)
        .await?;
    let file = staging.join(PG_DUMP_FILE);
    let mut args = vec![
        "--format=custom".to_string(),
        format!("--snapshot={snapshot}"),
        "--file".to_string(),
        file.display().to_string(),
    ];
    // A schema of its own (`search_path`) is dumped alone, with its CREATE SCHEMA; the usual
    // `public` is dumped as the whole database, without one, since every new database has it
    // already and `pg_restore` would stop on creating it again.
    if schema != "public" {
        args.push(format!("--schema={schema}"));
    }
    // The snapshot lives as long as the transaction: pg_dump runs while it is open.
    match run_tool("pg_dump", &ctx.config.database_url, &args).await {
        Ok(Some((true, _))) => {}
        Ok(Some((false, stderr))) => return Err(BackupError::PgDump(stderr)),
        Ok(None) => return Err(BackupError::PgDumpMissing),
        Err(e) => return Err(BackupError::PgDump(e.to_string())),
    }
    let facts = read_facts(&mut tx, from, staging).await?;
    tx.commit().await?;
    std::fs::File::open(&file)
        .and_then(|f| f.sync_all())
        .map_err(super::create::io_at(&file))?;
    let (sha256, bytes) = super::file_digest(&file).map_err(super::create::io_at(&file))?;
    Ok((
        DatabaseFile {
            file: PG_DUMP_FILE.into(),
            bytes,
            sha256,
        },
        facts,
    ))
}

/// Whether the database of `url` holds no table of its own: the only kind a restore fills.
pub(crate) async fn is_empty(db: &crate::db::Db) -> Result<bool, sqlx::Error> {
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(tables == 0)
}

/// Loads `dump` into the (empty) database of `url` with `pg_restore`, in one transaction.
pub(crate) async fn load(url: &str, dump: &Path) -> Result<(), RestoreError> {
    let args = vec![
        "--no-owner".to_string(),
        "--no-privileges".to_string(),
        "--exit-on-error".to_string(),
        "--single-transaction".to_string(),
        dump.display().to_string(),
    ];
    match run_tool("pg_restore", url, &args).await {
        Ok(Some((true, _))) => Ok(()),
        Ok(Some((false, stderr))) => Err(RestoreError::PgRestore(stderr)),
        Ok(None) => Err(RestoreError::PgRestoreMissing),
        Err(e) => Err(RestoreError::PgRestore(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_command_line_for_pgpassword() {
        let (dbname, password) =
            connection("postgres://sportello:s%40cret@db.internal:5432/sportello?sslmode=require");
        assert_eq!(
            dbname,
            "postgres://sportello@db.internal:5432/sportello?sslmode=require"
        );
        assert_eq!(password.as_deref(), Some("s@cret"));
        assert_eq!(
            connection("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_string(), None)
        );
    }
}
