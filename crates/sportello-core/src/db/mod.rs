//! Storage on two engines: SQLite (the embedded default, WAL mode) and PostgreSQL.
//!
//! One set of queries for both, through sqlx's `Any` driver, with `$1` placeholders and
//! portable SQL. Values are kept to what both engines store alike: instants as UTC text in
//! a fixed, sortable RFC 3339 form ([`instant`]), dates as `YYYY-MM-DD`, money as integer
//! cents, flags as integers, ids as UUID v7 text. The few places where the engines differ
//! (write transactions, job claiming) ask [`Db::engine`].

pub mod counters;
mod dialect;
pub mod inline_sqlite;
pub mod migrations;
pub mod schema;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Any, AnyPool, Connection, Executor};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

/// What a query can fail with, for callers outside the core that only pass it on.
pub use sqlx::Error;

/// How long a pooled connection may sit idle and still be lent without a ping first.
const PING_IDLE_AFTER: Duration = Duration::from_secs(30);

/// How long a statement waits for SQLite's write lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 15_000;

/// Which driver serves `sqlite:` URLs in this process (`SPORTELLO_SQLITE_DRIVER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteDriver {
    /// [`inline_sqlite`]: statements run on the calling thread (the default).
    Inline,
    /// sqlx's own driver: a worker thread per connection, one hand-over per statement. Kept
    /// for comparison (`SPORTELLO_SQLITE_DRIVER=sqlx`).
    Sqlx,
}

/// The drivers `Any` may use, the inline SQLite driver first.
static INLINE_DRIVERS: [sqlx_core::any::driver::AnyDriver; 2] =
    [inline_sqlite::DRIVER, sqlx::postgres::any::DRIVER];
/// sqlx's own drivers.
static SQLX_DRIVERS: [sqlx_core::any::driver::AnyDriver; 2] =
    [sqlx::postgres::any::DRIVER, sqlx::sqlite::any::DRIVER];

/// The SQLite driver of this process, chosen (and sqlx's `Any` drivers installed) on first
/// use: `SPORTELLO_SQLITE_DRIVER=sqlx` selects sqlx's driver, anything else the inline one.
/// sqlx installs drivers once per process, so the choice cannot change afterwards.
pub fn sqlite_driver() -> SqliteDriver {
    static CHOSEN: OnceLock<SqliteDriver> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let driver = match std::env::var("SPORTELLO_SQLITE_DRIVER").as_deref() {
            Ok("sqlx") => SqliteDriver::Sqlx,
            _ => SqliteDriver::Inline,
        };
        let drivers: &'static [sqlx_core::any::driver::AnyDriver] = match driver {
            SqliteDriver::Inline => &INLINE_DRIVERS,
            SqliteDriver::Sqlx => &SQLX_DRIVERS,
        };
        if sqlx::any::install_drivers(drivers).is_err() {
            tracing::warn!("sqlx's Any drivers were installed elsewhere first");
        }
        driver
    })
}

/// A transaction on either engine.
pub type Tx = sqlx::Transaction<'static, Any>;

/// The engine behind a connection of the pool, or a [`Tx`] (through its connection): what
/// [`Db::engine`] says of the pool, for code that holds only a transaction.
pub trait ConnectionEngine {
    fn engine(&self) -> Engine;
}

impl ConnectionEngine for sqlx::AnyConnection {
    fn engine(&self) -> Engine {
        // The names sqlx's drivers report (the inline SQLite driver reports sqlx's).
        match self.backend_name() {
            "PostgreSQL" => Engine::Postgres,
            _ => Engine::Sqlite,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The application's database handle: a pool and the engine behind it.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    /// On PostgreSQL, how to open a native connection: the `Any` driver has no `COPY`, which
    /// the registry import needs (see [`Db::connect_postgres`]).
    postgres: Option<PgConnectOptions>,
}

impl std::fmt::Debug for Db {
    /// The engine only: the connect options hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("engine", &self.engine).finish()
    }
}

impl Db {
    /// Opens a pool. For SQLite the file (and its folder) is created when missing and the
    /// database is switched to WAL.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let sqlite_driver = sqlite_driver();
        let engine = Engine::from_url(url)
            .ok_or_else(|| sqlx::Error::Configuration("unsupported database URL".into()))?;
        let mut url = url.to_string();
        if engine == Engine::Sqlite {
            if let Some(path) = sqlite_path(&url)
                && let Some(parent) = std::path::Path::new(&path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            // The inline driver waits for locks off the async workers, so it owns the busy
            // timeout (see `inline_sqlite`); sqlx's driver gets it as a PRAGMA below.
            if sqlite_driver == SqliteDriver::Inline && !url.contains("busy_timeout=") {
                url.push_str(&format!("&busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"));
            }
        }
        let options = AnyConnectOptions::from_str(&url)?;
        let postgres = match engine {
            Engine::Postgres => Some(PgConnectOptions::from_str(&url)?),
            Engine::Sqlite => None,
        };
        // sqlx pings every idle connection before lending it (`test_before_acquire`): one
        // more round trip per query run on the pool — a hop to the connection's thread on
        // SQLite, a network round trip on PostgreSQL. A connection that was idle only
        // briefly is lent as it is; one idle longer than `PING_IDLE_AFTER` is still checked.
        let pool_options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            });
        let pool_options = match (engine, sqlite_driver) {
            (Engine::Sqlite, SqliteDriver::Inline) => pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            }),
            (Engine::Sqlite, SqliteDriver::Sqlx) => pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                         PRAGMA synchronous = NORMAL;"
                    )))
                    .await?;
                    Ok(())
                })
            }),
            (Engine::Postgres, _) => pool_options,
        };
        let pool = pool_options.connect_with(options).await?;
        if engine == Engine::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Self {
            pool,
            engine,
            postgres,
        })
    }

    /// Applies the migrations that are not applied yet. On PostgreSQL it first adopts the
    /// checksums recorded by the old per-engine migrations folder (see
    /// [`migrations::adopt_legacy_postgres_checksums`]).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let mut conn = self.pool.acquire().await?;
        if self.engine == Engine::Postgres {
            migrations::adopt_legacy_postgres_checksums(&mut conn).await?;
        }
        let result = migrations::migrator(self.engine).run(&mut *conn).await;
        if result.is_err() {
            // sqlx keeps its advisory lock (PostgreSQL) when it refuses to migrate: end the
            // session instead of returning it, still locked, to the pool.
            let _ = conn.close().await;
        }
        result
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A native PostgreSQL connection of its own, outside the pool, with the pool's options
    /// (schema, application name): for bulk work that needs what the `Any` driver lacks, such
    /// as `COPY FROM STDIN`. `None` on SQLite. The caller closes it.
    pub async fn connect_postgres(&self) -> Option<Result<PgConnection, sqlx::Error>> {
        let options = self.postgres.as_ref()?;
        Some(PgConnection::connect_with(options).await)
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue instead of failing on a lock upgrade.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
    }

    /// Begins a transaction for counters whose last moments may be lost in a crash without
    /// harm (failed-attempt throttles): on PostgreSQL its commit does not wait for the WAL to
    /// reach the disk (`SET LOCAL synchronous_commit TO OFF`), which is most of the cost of a
    /// one-row write there (a flush per commit); the commit is still atomic and in order, and a
    /// crash loses at most the last fraction of a second of such commits. On SQLite it is
    /// [`Db::begin`] (the write-ahead log is already not flushed per commit). On PostgreSQL
    /// the `BEGIN` and the `SET LOCAL` go in one round trip.
    pub async fn begin_relaxed(&self) -> Result<Tx, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.begin().await,
            Engine::Postgres => {
                self.pool
                    .begin_with("BEGIN; SET LOCAL synchronous_commit TO OFF")
                    .await
            }
        }
    }

    /// Whether the database answers (the readiness check).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}

/// A new identifier: UUID v7 (time-ordered) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Encodes an instant the way both engines store it: UTC, microseconds, `Z`.
/// The fixed width makes text order equal time order.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Decodes an instant written by [`instant`].
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| sqlx::Error::Decode(format!("bad instant '{s}': {e}").into()))
}

/// Encodes a calendar date as `YYYY-MM-DD`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Decodes a date written by [`date`].
pub fn parse_date(s: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| sqlx::Error::Decode(format!("bad date '{s}': {e}").into()))
}

/// The name of the unique constraint a write violated, if that is why it failed.
/// Callers turn it into their own error (a duplicate number, an existing e-mail…).
pub fn unique_violation(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            Some(db.constraint().unwrap_or_else(|| db.message()).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_sort_as_text_in_time_order() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        assert!(instant(a) < instant(b));
        assert_eq!(instant(a), "2026-01-02T03:04:05.000000Z");
        assert_eq!(parse_instant(&instant(b)).unwrap(), b);
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/x.db").as_deref(),
            Some("data/x.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.db?mode=rwc").as_deref(),
            Some("/tmp/x.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
