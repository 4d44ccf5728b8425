//! What each engine needs to take a bulk load well, on the run's own connections: on SQLite
//! settings undone before the connection goes back to the pool; on PostgreSQL planner settings
//! and the staging table, on connections closed at the end. Measured in BENCHMARKS.md,
//! "Registry import".

use crate::registry::import::copy;
use sqlx::any::Any;
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgConnection;
use sqlx::{AnyConnection, Connection};

/// The connection a writer lane owns for the run: one of the pool's on SQLite; on PostgreSQL a
/// native one of its own, since `COPY` is not in the `Any` driver.
pub(super) enum LaneConnection {
    Sqlite(PoolConnection<Any>),
    Postgres(PgConnection),
}

/// SQLite page cache for the run, in KiB (the default is 2 MiB): the indexes of a national
/// extract are far larger, and each batch would read their pages back from the OS.
const SQLITE_CACHE_KIB: i64 = 64 * 1024;

/// SQLite WAL pages before a checkpoint (the default is 1000): checkpointing less often writes
/// a hot index page to the database file once for many commits instead of once per commit.
const SQLITE_CHECKPOINT_PAGES: i64 = 16 * 1024;

/// The tuning of one run.
pub(super) struct Session {
    /// SQLite's `cache_size` and `wal_autocheckpoint` before the run.
    previous: Option<(i64, i64)>,
}

impl Session {
    pub(super) async fn start(conn: &mut LaneConnection) -> Result<Self, sqlx::Error> {
        let mut session = Self { previous: None };
        if let LaneConnection::Sqlite(pooled) = conn {
            let conn: &mut AnyConnection = pooled;
            let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *conn)
                .await?;
            let checkpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await?;
            session.previous = Some((cache, checkpoint));
            set_pragmas(conn, -SQLITE_CACHE_KIB, SQLITE_CHECKPOINT_PAGES).await?;
        }
        if let LaneConnection::Postgres(conn) = conn {
            copy::prepare(conn).await?;
        }
        Ok(session)
    }

    /// Puts the connection's settings back, or closes the run's own connection.
    pub(super) async fn finish(self, conn: LaneConnection) {
        match conn {
            LaneConnection::Sqlite(mut conn) => {
                let Some((cache, checkpoint)) = self.previous else {
                    return;
                };
                if let Err(error) = set_pragmas(&mut conn, cache, checkpoint).await {
                    tracing::warn!(%error, "could not restore the SQLite connection settings");
                }
            }
            LaneConnection::Postgres(conn) => {
                if let Err(error) = conn.close().await {
                    tracing::warn!(%error, "could not close the import connection");
                }
            }
        }
    }
}

async fn set_pragmas(
    conn: &mut AnyConnection,
    cache: i64,
    checkpoint: i64,
) -> Result<(), sqlx::Error> {
    for sql in [
        format!("PRAGMA cache_size = {cache}"),
        format!("PRAGMA wal_autocheckpoint = {checkpoint}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
