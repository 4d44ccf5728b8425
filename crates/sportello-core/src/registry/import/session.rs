//! What each engine needs to take a bulk load well, set on the run's own connection and undone
//! before the connection goes back to the pool. Measured in BENCHMARKS.md, "Registry import".

use crate::db::Engine;
use sqlx::AnyConnection;

/// SQLite page cache for the run, in KiB (the default is 2 MiB): the indexes of a national
/// extract are far larger, and each batch would read their pages back from the OS.
const SQLITE_CACHE_KIB: i64 = 64 * 1024;

/// SQLite WAL pages before a checkpoint (the default is 1000): checkpointing less often writes
/// a hot index page to the database file once for many commits instead of once per commit.
const SQLITE_CHECKPOINT_PAGES: i64 = 16 * 1024;

/// The tuning of one run.
pub(super) struct Session {
    engine: Engine,
    /// Whether this connection refreshes PostgreSQL's statistics.
    analyze: bool,
    /// SQLite's `cache_size` and `wal_autocheckpoint` before the run.
    previous: Option<(i64, i64)>,
    batches: u64,
}

impl Session {
    pub(super) async fn start(
        conn: &mut AnyConnection,
        engine: Engine,
        analyze: bool,
    ) -> Result<Self, sqlx::Error> {
        let mut session = Self {
            engine,
            analyze,
            previous: None,
            batches: 0,
        };
        if engine == Engine::Sqlite {
            let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *conn)
                .await?;
            let checkpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await?;
            session.previous = Some((cache, checkpoint));
            set_pragmas(conn, -SQLITE_CACHE_KIB, SQLITE_CHECKPOINT_PAGES).await?;
        }
        Ok(session)
    }

    /// After each committed batch. PostgreSQL plans the batch lookups from table statistics,
    /// which a bulk load leaves behind: with none, 512 ids in an `IN` list look like most of
    /// the table and get a sequential scan. So the tables are analysed after batches 1, 2, 4,
    /// 8…, that is whenever they have about doubled.
    pub(super) async fn after_batch(
        &mut self,
        conn: &mut AnyConnection,
    ) -> Result<(), sqlx::Error> {
        self.batches += 1;
        if self.analyze && self.engine == Engine::Postgres && self.batches.is_power_of_two() {
            sqlx::query("ANALYZE companies, company_annual_fees, sites")
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Puts the connection's settings back.
    pub(super) async fn finish(self, conn: &mut AnyConnection) {
        let Some((cache, checkpoint)) = self.previous else {
            return;
        };
        if let Err(error) = set_pragmas(conn, cache, checkpoint).await {
            tracing::warn!(%error, "could not restore the SQLite connection settings");
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
