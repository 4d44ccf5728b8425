//! An SQLite driver for sqlx's `Any` that runs each statement on the calling thread.
//!
//! sqlx's own SQLite driver gives every connection a worker thread and sends it each
//! statement as a message, waking the caller when the answer is ready: two thread switches
//! per statement, which under load is most of the server's CPU (issue 17). This driver keeps
//! the `Any` interface — every `sqlx::query` of the code base works unchanged — and calls
//! SQLite (through `rusqlite`, on the bundled `libsqlite3-sys` sqlx links too) directly from
//! the task that runs the query.
//!
//! # Not blocking the async workers
//! SQLite reads in WAL mode never wait for a lock; writes wait for the single write lock. A
//! wait on a tokio worker could stall the server: the task holding the lock may need that
//! very worker to finish and commit. So:
//! - statements run inline with the connection's busy handler **off** (busy timeout 0): a
//!   statement that finds the database locked fails at once with `SQLITE_BUSY`, having
//!   changed nothing;
//! - that statement is then run again on tokio's blocking pool (`spawn_blocking`) with the
//!   connection's real busy timeout (`busy_timeout` in the URL, in milliseconds; 5 s by
//!   default), where waiting blocks no worker. In practice this is `BEGIN IMMEDIATE` finding
//!   another writer; statements inside a write transaction already hold the lock;
//! - a script of several statements (migrations, the PRAGMAs run at connect) always runs on
//!   the blocking pool, so a lock found half-way is waited for rather than retried.
//!
//! # Cancellation
//! A query's future may be dropped while its statement waits on the blocking pool. The
//! statement still finishes there (as with sqlx's worker thread). If it was the `BEGIN` of a
//! transaction nobody will receive, it is rolled back at once, so the write lock is not held
//! by an idle pooled connection. A transaction dropped while the connection is busy on the
//! blocking pool is rolled back by a task queued behind that statement; any later use of the
//! connection waits for both first. A connection found inside a transaction it does not know
//! of (depth 0 but not in autocommit) rolls it back before its next statement.
//!
//! # Limits
//! - Results are collected before they are handed over: `fetch` streams a vector, so a query
//!   that reads a whole large table holds it in memory at once (sqlx's driver streams through
//!   a channel of 50 rows).
//! - Types are the ones SQLite stores: integers are `BIGINT`, floats `DOUBLE`, text, blobs and
//!   NULL, as sqlx's driver reports them through `Any`. Columns' declared types are not read.
//! - No `describe` (the compile-time checked macros are not used with `Any`).
//! - The driver owns `busy_timeout`; a `PRAGMA busy_timeout` run through it would make inline
//!   statements wait on the worker again, so the pool does not run one (see `Db::connect`).

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt, TryFutureExt};
use rusqlite::types::ValueRef as SqlValue;
use rusqlite::{OpenFlags, ffi};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::{Either, Error};
use sqlx_core::any::driver::AnyDriver;
use sqlx_core::any::{
    AnyArguments, AnyColumn, AnyConnectOptions, AnyConnectionBackend, AnyQueryResult, AnyRow,
    AnyStatement, AnyTypeInfo, AnyTypeInfoKind, AnyValue, AnyValueKind,
};
use sqlx_core::connection::{ConnectOptions, Connection, LogSettings};
use sqlx_core::database::Database;
use sqlx_core::ext::ustr::UStr;
use sqlx_core::logger::QueryLogger;
use sqlx_core::sql_str::SqlStr;
use sqlx_core::transaction::{
    TransactionManager, begin_ansi_transaction_sql, commit_ansi_transaction_sql,
    rollback_ansi_transaction_sql,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The driver to install for `sqlite:` URLs (see [`super::Db::connect`]).
pub const DRIVER: AnyDriver = AnyDriver::without_migrate::<InlineSqlite>();

/// How long a statement may wait for a lock, unless the URL says otherwise (sqlx's default).
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection (sqlx's SQLite default is 100; the code base has
/// several hundred distinct statements, a request uses a few dozen).
const STATEMENT_CACHE: usize = 256;

/// The driver as an sqlx `Database`. Only the connection is real: everything is used
/// through `Any`, which has its own rows, values, arguments and statements.
#[derive(Debug)]
pub struct InlineSqlite;

impl Database for InlineSqlite {
    type Connection = InlineConnection;
    type TransactionManager = InlineTransactionManager;
    type Row = Unused;
    type QueryResult = ();
    type Column = Unused;
    type TypeInfo = Unused;
    type Value = Unused;
    type ValueRef<'r> = Unused;
    type Arguments = NoArguments;
    type ArgumentBuffer = ();
    type Statement = Unused;

    /// The name sqlx's SQLite driver reports, so `AnyConnection::backend_name` is unchanged.
    const NAME: &'static str = "SQLite";
    const URL_SCHEMES: &'static [&'static str] = &["sqlite"];
}

/// Error of the typed (non-`Any`) interface, which this driver does not offer.
fn typed_interface_unsupported() -> sqlx::error::BoxDynError {
    "the inline SQLite driver is used through sqlx's Any driver only".into()
}

// ---------------------------------------------------------------------------------------
// Connect options
// ---------------------------------------------------------------------------------------

/// What a `sqlite:` URL says: the file (or a private in-memory database), how to open it and
/// how long a statement may wait for a lock.
#[derive(Clone, Debug)]
pub struct InlineOptions {
    url: url::Url,
    filename: String,
    flags: OpenFlags,
    busy_timeout: Duration,
    log_settings: LogSettings,
}

/// Distinct names for the in-memory databases of `sqlite::memory:` pools.
static MEMORY_SEQ: AtomicU64 = AtomicU64::new(0);

impl InlineOptions {
    fn parse(url: &str) -> Result<Self, Error> {
        let parsed: url::Url = url.parse().map_err(Error::config)?;
        let rest = url
            .strip_prefix("sqlite:")
            .ok_or_else(|| Error::Configuration("not a sqlite: URL".into()))?;
        let (database, params) = match rest.split_once('?') {
            Some((d, p)) => (d, p),
            None => (rest, ""),
        };
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut busy_timeout = DEFAULT_BUSY_TIMEOUT;
        let mut memory = database == ":memory:";
        for (key, value) in url::form_urlencoded::parse(params.as_bytes()) {
            match (&*key, &*value) {
                ("mode", "ro") => flags = OpenFlags::SQLITE_OPEN_READ_ONLY,
                ("mode", "rw") => flags.remove(OpenFlags::SQLITE_OPEN_CREATE),
                ("mode", "rwc") => {}
                ("mode", "memory") => memory = true,
                ("busy_timeout", ms) => {
                    let ms: u64 = ms.parse().map_err(|_| {
                        Error::Configuration(format!("bad busy_timeout '{ms}'").into())
                    })?;
                    busy_timeout = Duration::from_millis(ms);
                }
                (key, value) => {
                    return Err(Error::Configuration(
                        format!("unknown SQLite URL parameter {key}={value}").into(),
                    ));
                }
            }
        }
        flags |= OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let filename = if memory {
            // Every connection of a pool sees the same in-memory database, as with sqlx.
            flags |= OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_SHARED_CACHE
                | OpenFlags::SQLITE_OPEN_CREATE;
            let n = MEMORY_SEQ.fetch_add(1, Ordering::Relaxed);
            format!("file:sportello-inline-{n}?mode=memory&cache=shared")
        } else {
            let path = database.trim_start_matches("//");
            percent_encoding::percent_decode_str(path)
                .decode_utf8()
                .map_err(Error::config)?
                .into_owned()
        };
        Ok(Self {
            url: parsed,
            filename,
            flags,
            busy_timeout,
            log_settings: LogSettings::default(),
        })
    }
}

impl FromStr for InlineOptions {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl<'a> TryFrom<&'a AnyConnectOptions> for InlineOptions {
    type Error = Error;

    fn try_from(opts: &'a AnyConnectOptions) -> Result<Self, Error> {
        let mut options = Self::parse(opts.database_url.as_str())?;
        options.log_settings = opts.log_settings.clone();
        Ok(options)
    }
}

impl ConnectOptions for InlineOptions {
    type Connection = InlineConnection;

    fn from_url(url: &url::Url) -> Result<Self, Error> {
        Self::parse(url.as_str())
    }

    fn to_url_lossy(&self) -> url::Url {
        self.url.clone()
    }

    fn connect(&self) -> impl Future<Output = Result<InlineConnection, Error>> + Send + '_ {
        // Opening a file and reading its header does not wait for locks.
        std::future::ready(InlineConnection::open(self))
    }

    fn log_statements(mut self, level: log::LevelFilter) -> Self {
        self.log_settings.log_statements(level);
        self
    }

    fn log_slow_statements(mut self, level: log::LevelFilter, duration: Duration) -> Self {
        self.log_settings.log_slow_statements(level, duration);
        self
    }
}

// ---------------------------------------------------------------------------------------
// The connection
// ---------------------------------------------------------------------------------------

/// One SQLite connection, used from whichever thread runs the query.
pub struct InlineConnection {
    shared: Arc<Shared>,
    log_settings: LogSettings,
}

impl fmt::Debug for InlineConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InlineConnection")
            .field("depth", &self.shared.depth.load(Ordering::Acquire))
            .finish()
    }
}

/// What the async side and the blocking pool share.
struct Shared {
    state: Mutex<State>,
    /// Transaction depth (0: none, 1: a transaction, 2+: savepoints), written under the lock.
    depth: AtomicUsize,
    /// Rollbacks asked for (a `Transaction` dropped) while the connection was busy on the
    /// blocking pool; done by whoever takes the lock next.
    rollbacks_pending: AtomicUsize,
    /// A `BEGIN` run on the blocking pool whose caller has not yet received it (its id, or
    /// 0): if the caller went away, the transaction is nobody's and is rolled back.
    unclaimed_begin: AtomicU64,
    next_begin: AtomicU64,
    busy_timeout: Duration,
}

/// The SQLite connection and what is cached alongside its prepared statements.
struct State {
    conn: rusqlite::Connection,
    shapes: HashMap<String, Arc<Shape>>,
}

/// What is derived once per statement text: its result columns and where each SQLite
/// parameter takes its value from.
struct Shape {
    names: Vec<UStr>,
    column_names: Arc<sqlx_core::HashMap<UStr, usize>>,
    /// For SQLite parameter `i + 1`, the index of the argument bound to it: `$N` and `?N`
    /// take argument N (as with sqlx), a bare `?` the next one.
    params: Vec<usize>,
}

impl InlineConnection {
    fn open(options: &InlineOptions) -> Result<Self, Error> {
        let conn = rusqlite::Connection::open_with_flags(&options.filename, options.flags)
            .map_err(map_error)?;
        // Inline statements never wait: see the module's documentation.
        conn.busy_timeout(Duration::ZERO).map_err(map_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // sqlx's SQLite driver turns foreign keys on by default; so does this one.
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(map_error)?;
        Ok(Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    conn,
                    shapes: HashMap::new(),
                }),
                depth: AtomicUsize::new(0),
                rollbacks_pending: AtomicUsize::new(0),
                unclaimed_begin: AtomicU64::new(0),
                next_begin: AtomicU64::new(1),
                busy_timeout: options.busy_timeout,
            }),
            log_settings: options.log_settings.clone(),
        })
    }

    /// Runs `op`: inline when the connection is free and no lock must be waited for, else on
    /// the blocking pool.
    async fn run(&mut self, op: Op) -> Result<Done, Error> {
        match self.shared.state.try_lock() {
            Ok(mut state) => {
                self.shared.settle(&mut state, true);
                match op.run(&self.shared, &mut state, Mode::Inline, &self.log_settings) {
                    Ok(done) => return Ok(done),
                    Err(Fail::Error(e)) => return Err(e),
                    Err(Fail::MustWait) => {}
                }
            }
            Err(std::sync::TryLockError::Poisoned(p)) => {
                // A panic while the lock was held: the connection itself is still sound.
                drop(p);
            }
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        self.run_waiting(op).await
    }

    async fn run_waiting(&mut self, op: Op) -> Result<Done, Error> {
        let shared = self.shared.clone();
        let log_settings = self.log_settings.clone();
        let is_begin = matches!(op, Op::Begin(_));
        let outcome = tokio::task::spawn_blocking(move || {
            let mut begin_id = 0;
            let result = {
                let mut state = shared.lock();
                shared.settle(&mut state, true);
                let result = match state.conn.busy_timeout(shared.busy_timeout) {
                    Ok(()) => match op.run(&shared, &mut state, Mode::Wait, &log_settings) {
                        Ok(done) => Ok(done),
                        Err(Fail::Error(e)) => Err(e),
                        Err(Fail::MustWait) => Err(Error::Protocol(
                            "inline SQLite: a statement asked to wait while waiting".into(),
                        )),
                    },
                    Err(e) => Err(map_error(e)),
                };
                if let Err(e) = state.conn.busy_timeout(Duration::ZERO) {
                    tracing::error!("inline SQLite: could not turn the busy handler off: {e}");
                }
                if is_begin && result.is_ok() {
                    begin_id = shared.next_begin.fetch_add(1, Ordering::AcqRel);
                    shared.unclaimed_begin.store(begin_id, Ordering::Release);
                }
                result
            };
            Outcome {
                begin_id,
                shared,
                result: Some(result),
            }
        })
        .await
        .map_err(|e| Error::Protocol(format!("inline SQLite: blocking task failed: {e}")))?;
        outcome.take()
    }

    fn start_rollback(&mut self) {
        match self.shared.state.try_lock() {
            Ok(mut state) => {
                self.shared.settle(&mut state, true);
                self.shared.rollback_one(&mut state);
            }
            Err(_) => {
                // The connection is busy on the blocking pool (or its lock poisoned): queue the
                // rollback behind that statement.
                self.shared.rollbacks_pending.fetch_add(1, Ordering::AcqRel);
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let shared = self.shared.clone();
                    handle.spawn_blocking(move || {
                        let mut state = shared.lock();
                        shared.settle(&mut state, false);
                    });
                }
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the connection to the state its user knows: rollbacks queued while it was busy
    /// and, when `owner` (the connection's current user is the caller, so any earlier caller
    /// is gone), a transaction begun for a caller that went away.
    fn settle(&self, state: &mut State, owner: bool) {
        while self
            .rollbacks_pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
        {
            self.rollback_one(state);
        }
        if !owner {
            return;
        }
        if self.unclaimed_begin.swap(0, Ordering::AcqRel) != 0 {
            tracing::warn!("inline SQLite: rolling back a transaction its caller left");
            self.rollback_one(state);
        }
        if self.depth.load(Ordering::Acquire) == 0 && !state.conn.is_autocommit() {
            tracing::warn!("inline SQLite: rolling back a transaction left open");
            if let Err(e) = state.conn.execute_batch("ROLLBACK") {
                tracing::error!("inline SQLite: rollback of a stray transaction failed: {e}");
            }
        }
    }

    /// Rolls back the innermost transaction or savepoint (a dropped `Transaction`).
    fn rollback_one(&self, state: &mut State) {
        let depth = self.depth.load(Ordering::Acquire);
        if depth == 0 {
            return;
        }
        if depth == 1 && state.conn.is_autocommit() {
            // SQLite already ended it (some errors roll back on their own).
            self.depth.store(0, Ordering::Release);
            return;
        }
        let sql = rollback_ansi_transaction_sql(depth);
        if let Err(e) = state.conn.execute_batch(sql.as_str()) {
            tracing::error!("inline SQLite: rollback failed: {e}");
        }
        self.depth.store(depth - 1, Ordering::Release);
    }
}

/// What a blocking-pool run hands back. Dropped unread (its caller went away) after a
/// successful `BEGIN`, it rolls that transaction back so no lock stays held by an idle
/// connection — unless the connection's next user already did.
struct Outcome {
    shared: Arc<Shared>,
    result: Option<Result<Done, Error>>,
    /// The id of the `BEGIN` this outcome reports (0: not a `BEGIN`).
    begin_id: u64,
}

impl Outcome {
    fn take(mut self) -> Result<Done, Error> {
        if self.begin_id != 0 {
            // The caller has it: the transaction is the caller's now.
            let _ = self.shared.unclaimed_begin.compare_exchange(
                self.begin_id,
                0,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            self.begin_id = 0;
        }
        self.result
            .take()
            .unwrap_or_else(|| Err(Error::Protocol("inline SQLite: result taken twice".into())))
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if self.begin_id != 0 {
            let mut state = self.shared.lock();
            if self
                .shared
                .unclaimed_begin
                .compare_exchange(self.begin_id, 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.shared.rollback_one(&mut state);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------

enum Op {
    Fetch {
        sql: SqlStr,
        persistent: bool,
        args: Vec<AnyValueKind>,
        first_only: bool,
    },
    Begin(Option<SqlStr>),
    Commit,
    Rollback,
}

enum Done {
    Results(Vec<Either<AnyQueryResult, AnyRow>>),
    Unit,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// On the caller's thread: never wait for a lock.
    Inline,
    /// On the blocking pool, with the busy timeout on.
    Wait,
}

enum Fail {
    /// Found a lock (or a script): run again on the blocking pool.
    MustWait,
    Error(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Error(e)
    }
}

/// Sorts a SQLite error: a lock found inline is retried on the blocking pool.
fn fail(e: rusqlite::Error, mode: Mode) -> Fail {
    if mode == Mode::Inline && is_busy(&e) {
        Fail::MustWait
    } else {
        Fail::Error(map_error(e))
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl Op {
    fn run(
        &self,
        shared: &Shared,
        state: &mut State,
        mode: Mode,
        log: &LogSettings,
    ) -> Result<Done, Fail> {
        match self {
            Op::Fetch {
                sql,
                persistent,
                args,
                first_only,
            } => {
                // A script must not be prepared whole: a statement may use a table an earlier
                // one creates. It runs statement by statement, on the blocking pool.
                let is_script = maybe_script(sql.as_str());
                if is_script && mode == Mode::Inline {
                    return Err(Fail::MustWait);
                }
                let mut logger = QueryLogger::new(sql.clone(), log.clone());
                let mut out = Vec::new();
                if is_script {
                    script(state, sql.as_str(), args, &mut out).map_err(|e| fail(e, mode))?;
                } else {
                    fetch(
                        state,
                        sql.as_str(),
                        *persistent,
                        args,
                        *first_only,
                        &mut out,
                    )
                    .map_err(|e| fail(e, mode))?;
                }
                for item in &out {
                    match item {
                        Either::Left(r) => logger.increase_rows_affected(r.rows_affected),
                        Either::Right(_) => logger.increment_rows_returned(),
                    }
                }
                Ok(Done::Results(out))
            }
            Op::Begin(statement) => {
                let depth = shared.depth.load(Ordering::Acquire);
                let sql = match statement {
                    Some(_) if depth > 0 => return Err(Error::InvalidSavePointStatement.into()),
                    Some(sql) => sql.clone(),
                    None => begin_ansi_transaction_sql(depth),
                };
                exec_control(state, sql.as_str()).map_err(|e| fail(e, mode))?;
                shared.depth.store(depth + 1, Ordering::Release);
                Ok(Done::Unit)
            }
            Op::Commit => {
                let depth = shared.depth.load(Ordering::Acquire);
                if depth > 0 {
                    if depth == 1 && state.conn.is_autocommit() {
                        shared.depth.store(0, Ordering::Release);
                        return Err(Error::Protocol(
                            "the transaction was already rolled back by SQLite".into(),
                        )
                        .into());
                    }
                    exec_control(state, commit_ansi_transaction_sql(depth).as_str())
                        .map_err(|e| fail(e, mode))?;
                    shared.depth.store(depth - 1, Ordering::Release);
                }
                Ok(Done::Unit)
            }
            Op::Rollback => {
                let depth = shared.depth.load(Ordering::Acquire);
                if depth > 0 {
                    if !(depth == 1 && state.conn.is_autocommit()) {
                        exec_control(state, rollback_ansi_transaction_sql(depth).as_str())
                            .map_err(|e| fail(e, mode))?;
                    }
                    shared.depth.store(depth - 1, Ordering::Release);
                }
                Ok(Done::Unit)
            }
        }
    }
}

/// Whether `sql` may hold more than one statement: a `;` before its end. A `;` inside a
/// literal only sends a single statement the slower way.
fn maybe_script(sql: &str) -> bool {
    sql.trim_end().trim_end_matches(';').contains(';')
}

/// A transaction statement (`BEGIN`, `COMMIT`, a savepoint), prepared once per connection.
fn exec_control(state: &mut State, sql: &str) -> rusqlite::Result<()> {
    state.conn.prepare_cached(sql)?.raw_execute().map(|_| ())
}

/// Runs one statement, appending its rows and then its result to `out`.
fn fetch(
    state: &mut State,
    sql: &str,
    persistent: bool,
    args: &[AnyValueKind],
    first_only: bool,
    out: &mut Vec<Either<AnyQueryResult, AnyRow>>,
) -> rusqlite::Result<()> {
    let State { conn, shapes } = state;
    if persistent {
        let mut stmt = conn.prepare_cached(sql)?;
        let shape = match shapes.get(sql) {
            Some(shape) => shape.clone(),
            None => {
                let shape = Arc::new(Shape::of(&stmt));
                // Statements built from varying text must not grow this without bound.
                if shapes.len() >= STATEMENT_CACHE * 2 {
                    shapes.clear();
                }
                shapes.insert(sql.to_owned(), shape.clone());
                shape
            }
        };
        step(conn, &mut stmt, &shape, args, first_only, out)
    } else {
        let mut stmt = conn.prepare(sql)?;
        let shape = Shape::of(&stmt);
        step(conn, &mut stmt, &shape, args, first_only, out)
    }
}

/// Runs a script of several statements in order (on the blocking pool only).
fn script(
    state: &mut State,
    sql: &str,
    args: &[AnyValueKind],
    out: &mut Vec<Either<AnyQueryResult, AnyRow>>,
) -> rusqlite::Result<()> {
    use rusqlite::fallible_iterator::FallibleIterator;
    let conn = &state.conn;
    let mut batch = rusqlite::Batch::new(conn, sql);
    while let Some(mut stmt) = batch.next()? {
        let shape = Shape::of(&stmt);
        step(conn, &mut stmt, &shape, args, false, out)?;
    }
    Ok(())
}

fn step(
    conn: &rusqlite::Connection,
    stmt: &mut rusqlite::Statement<'_>,
    shape: &Shape,
    args: &[AnyValueKind],
    first_only: bool,
    out: &mut Vec<Either<AnyQueryResult, AnyRow>>,
) -> rusqlite::Result<()> {
    for (i, &arg) in shape.params.iter().enumerate() {
        let value = args
            .get(arg)
            .ok_or_else(|| rusqlite::Error::InvalidParameterCount(arg + 1, args.len()))?;
        bind(stmt, i + 1, value)?;
    }
    let readonly = stmt.readonly();
    {
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            out.push(Either::Right(any_row(row, shape)?));
            if first_only {
                break;
            }
        }
    }
    out.push(Either::Left(AnyQueryResult {
        rows_affected: if readonly { 0 } else { conn.changes() },
        last_insert_id: None,
    }));
    Ok(())
}

fn bind(
    stmt: &mut rusqlite::Statement<'_>,
    index: usize,
    value: &AnyValueKind,
) -> rusqlite::Result<()> {
    match value {
        AnyValueKind::Null(_) => stmt.raw_bind_parameter(index, rusqlite::types::Null),
        AnyValueKind::Bool(b) => stmt.raw_bind_parameter(index, i64::from(*b)),
        AnyValueKind::SmallInt(i) => stmt.raw_bind_parameter(index, i64::from(*i)),
        AnyValueKind::Integer(i) => stmt.raw_bind_parameter(index, i64::from(*i)),
        AnyValueKind::BigInt(i) => stmt.raw_bind_parameter(index, *i),
        AnyValueKind::Real(r) => stmt.raw_bind_parameter(index, f64::from(*r)),
        AnyValueKind::Double(d) => stmt.raw_bind_parameter(index, *d),
        AnyValueKind::Text(t) => stmt.raw_bind_parameter(index, t.as_str()),
        AnyValueKind::TextSlice(t) => stmt.raw_bind_parameter(index, &**t),
        AnyValueKind::Blob(b) => stmt.raw_bind_parameter(index, b.as_slice()),
        other => Err(rusqlite::Error::ToSqlConversionFailure(
            format!("inline SQLite: cannot bind {other:?}").into(),
        )),
    }
}

fn any_row(row: &rusqlite::Row<'_>, shape: &Shape) -> rusqlite::Result<AnyRow> {
    let n = shape.names.len();
    let mut columns = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for (i, name) in shape.names.iter().enumerate() {
        let (kind, value) = match row.get_ref(i)? {
            SqlValue::Null => (
                AnyTypeInfoKind::Null,
                AnyValueKind::Null(AnyTypeInfoKind::Null),
            ),
            SqlValue::Integer(v) => (AnyTypeInfoKind::BigInt, AnyValueKind::BigInt(v)),
            SqlValue::Real(v) => (AnyTypeInfoKind::Double, AnyValueKind::Double(v)),
            SqlValue::Text(bytes) => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|e| rusqlite::Error::Utf8Error(i, e))?
                    .to_owned();
                (AnyTypeInfoKind::Text, AnyValueKind::Text(Arc::new(text)))
            }
            SqlValue::Blob(bytes) => (
                AnyTypeInfoKind::Blob,
                AnyValueKind::Blob(Arc::new(bytes.to_vec())),
            ),
        };
        columns.push(AnyColumn {
            ordinal: i,
            name: name.clone(),
            type_info: AnyTypeInfo { kind },
        });
        values.push(AnyValue { kind: value });
    }
    Ok(AnyRow {
        column_names: shape.column_names.clone(),
        columns,
        values,
    })
}

impl Shape {
    fn of(stmt: &rusqlite::Statement<'_>) -> Self {
        let names: Vec<UStr> = (0..stmt.column_count())
            .map(|i| UStr::new(stmt.column_name(i).unwrap_or("")))
            .collect();
        let column_names = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
        let mut next = 0;
        let params = (1..=stmt.parameter_count())
            .map(|i| {
                let numbered = stmt.parameter_name(i).and_then(|name| {
                    name.strip_prefix('$')
                        .or_else(|| name.strip_prefix('?'))
                        .and_then(|n| n.parse::<usize>().ok())
                });
                match numbered {
                    Some(n) => n.saturating_sub(1),
                    None => {
                        next += 1;
                        next - 1
                    }
                }
            })
            .collect();
        Self {
            names,
            column_names: Arc::new(column_names),
            params,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// An error SQLite reported: its extended result code and message, sorted into sqlx's kinds
/// as sqlx's SQLite driver does (unique and primary keys, foreign keys, NOT NULL, CHECK).
#[derive(Debug)]
pub struct InlineSqliteError {
    code: i32,
    message: String,
}

impl fmt::Display for InlineSqliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for InlineSqliteError {}

impl DatabaseError for InlineSqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn map_error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            Error::Database(Box::new(InlineSqliteError {
                code: f.extended_code,
                message: message.unwrap_or_else(|| f.to_string()),
            }))
        }
        rusqlite::Error::Utf8Error(_, e) => Error::Decode(Box::new(e)),
        other => Error::AnyDriverError(Box::new(other)),
    }
}

// ---------------------------------------------------------------------------------------
// sqlx's traits
// ---------------------------------------------------------------------------------------

impl Connection for InlineConnection {
    type Database = InlineSqlite;
    type Options = InlineOptions;

    fn close(self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        // The SQLite handle closes when its last owner (this or a blocking task) drops it.
        drop(self);
        std::future::ready(Ok(()))
    }

    fn close_hard(self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        drop(self);
        std::future::ready(Ok(()))
    }

    async fn ping(&mut self) -> Result<(), Error> {
        self.run(Op::Fetch {
            sql: SqlStr::from_static("SELECT 1"),
            persistent: true,
            args: Vec::new(),
            first_only: true,
        })
        .await
        .map(|_| ())
    }

    fn begin(
        &mut self,
    ) -> impl Future<Output = Result<sqlx_core::transaction::Transaction<'_, InlineSqlite>, Error>>
    + Send
    + '_ {
        sqlx_core::transaction::Transaction::begin(self, None)
    }

    fn shrink_buffers(&mut self) {}

    fn flush(&mut self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        std::future::ready(Ok(()))
    }

    fn should_flush(&self) -> bool {
        false
    }
}

/// Transactions and savepoints, with sqlx's statements (`BEGIN`, `SAVEPOINT
/// _sqlx_savepoint_N`, …) so nesting behaves as with sqlx's driver.
pub struct InlineTransactionManager;

impl TransactionManager for InlineTransactionManager {
    type Database = InlineSqlite;

    fn begin(
        conn: &mut InlineConnection,
        statement: Option<SqlStr>,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        conn.run(Op::Begin(statement)).map_ok(|_| ())
    }

    fn commit(conn: &mut InlineConnection) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        conn.run(Op::Commit).map_ok(|_| ())
    }

    fn rollback(
        conn: &mut InlineConnection,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        conn.run(Op::Rollback).map_ok(|_| ())
    }

    fn start_rollback(conn: &mut InlineConnection) {
        conn.start_rollback();
    }

    fn get_transaction_depth(conn: &InlineConnection) -> usize {
        conn.shared.depth.load(Ordering::Acquire)
    }
}

impl AnyConnectionBackend for InlineConnection {
    fn name(&self) -> &str {
        InlineSqlite::NAME
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>> {
        Connection::close(*self).boxed()
    }

    fn close_hard(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>> {
        Connection::close_hard(*self).boxed()
    }

    fn ping(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Connection::ping(self).boxed()
    }

    fn begin(&mut self, statement: Option<SqlStr>) -> BoxFuture<'_, Result<(), Error>> {
        InlineTransactionManager::begin(self, statement).boxed()
    }

    fn commit(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        InlineTransactionManager::commit(self).boxed()
    }

    fn rollback(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        InlineTransactionManager::rollback(self).boxed()
    }

    fn start_rollback(&mut self) {
        InlineConnection::start_rollback(self);
    }

    fn get_transaction_depth(&self) -> usize {
        self.shared.depth.load(Ordering::Acquire)
    }

    fn shrink_buffers(&mut self) {}

    fn flush(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn should_flush(&self) -> bool {
        false
    }

    fn as_migrate(&mut self) -> Result<&mut (dyn sqlx::migrate::Migrate + Send + 'static), Error> {
        Ok(self)
    }

    fn fetch_many(
        &mut self,
        query: SqlStr,
        persistent: bool,
        arguments: Option<AnyArguments>,
    ) -> BoxStream<'_, Result<Either<AnyQueryResult, AnyRow>, Error>> {
        let args = arguments.map(|a| a.values.0).unwrap_or_default();
        self.run(Op::Fetch {
            sql: query,
            persistent,
            args,
            first_only: false,
        })
        .map_ok(|done| match done {
            Done::Results(items) => futures::stream::iter(items.into_iter().map(Ok)),
            Done::Unit => futures::stream::iter(Vec::new().into_iter().map(Ok)),
        })
        .try_flatten_stream()
        .boxed()
    }

    fn fetch_optional(
        &mut self,
        query: SqlStr,
        persistent: bool,
        arguments: Option<AnyArguments>,
    ) -> BoxFuture<'_, Result<Option<AnyRow>, Error>> {
        let args = arguments.map(|a| a.values.0).unwrap_or_default();
        Box::pin(async move {
            let done = self
                .run(Op::Fetch {
                    sql: query,
                    persistent,
                    args,
                    first_only: true,
                })
                .await?;
            Ok(match done {
                Done::Results(items) => items.into_iter().find_map(Either::right),
                Done::Unit => None,
            })
        })
    }

    fn prepare_with<'c, 'q: 'c>(
        &'c mut self,
        sql: SqlStr,
        _parameters: &[AnyTypeInfo],
    ) -> BoxFuture<'c, Result<AnyStatement, Error>> {
        Box::pin(async move {
            // Preparing does not wait for locks; the connection is only busy here if a query of
            // a caller that went away still runs on the blocking pool.
            let state = self
                .shared
                .state
                .try_lock()
                .map_err(|_| Error::Protocol("inline SQLite: the connection is busy".into()))?;
            let stmt = state.conn.prepare_cached(sql.as_str()).map_err(map_error)?;
            let shape = Shape::of(&stmt);
            let parameters = stmt.parameter_count();
            drop(stmt);
            let columns = shape
                .names
                .iter()
                .enumerate()
                .map(|(i, name)| AnyColumn {
                    ordinal: i,
                    name: name.clone(),
                    type_info: AnyTypeInfo {
                        kind: AnyTypeInfoKind::Null,
                    },
                })
                .collect();
            Ok(AnyStatement {
                sql,
                parameters: Some(Either::Right(parameters)),
                column_names: shape.column_names.clone(),
                columns,
            })
        })
    }

    fn describe(
        &mut self,
        _sql: SqlStr,
    ) -> BoxFuture<'_, Result<sqlx_core::describe::Describe<sqlx::Any>, Error>> {
        Box::pin(std::future::ready(Err(Error::AnyDriverError(
            "the inline SQLite driver cannot describe statements".into(),
        ))))
    }
}

// ---------------------------------------------------------------------------------------
// Migrations: sqlx's bookkeeping, with the statements of sqlx's SQLite driver.
// ---------------------------------------------------------------------------------------

mod migrate;

// ---------------------------------------------------------------------------------------
// The typed interface's placeholders
// ---------------------------------------------------------------------------------------

/// Stands for the rows, columns, values, type infos and statements of the typed interface,
/// which this driver does not offer (it has no values: nothing of this type exists).
#[derive(Debug, Clone, PartialEq)]
pub enum Unused {}

impl fmt::Display for Unused {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl sqlx::TypeInfo for Unused {
    fn is_null(&self) -> bool {
        match *self {}
    }

    fn name(&self) -> &str {
        match *self {}
    }
}

impl sqlx::Column for Unused {
    type Database = InlineSqlite;

    fn ordinal(&self) -> usize {
        match *self {}
    }

    fn name(&self) -> &str {
        match *self {}
    }

    fn type_info(&self) -> &Unused {
        match *self {}
    }
}

impl sqlx::Row for Unused {
    type Database = InlineSqlite;

    fn columns(&self) -> &[Unused] {
        match *self {}
    }

    fn try_get_raw<I>(&self, _index: I) -> Result<Unused, Error>
    where
        I: sqlx::ColumnIndex<Self>,
    {
        match *self {}
    }
}

impl sqlx::Value for Unused {
    type Database = InlineSqlite;

    fn as_ref(&self) -> Unused {
        match *self {}
    }

    fn type_info(&self) -> Cow<'_, Unused> {
        match *self {}
    }

    fn is_null(&self) -> bool {
        match *self {}
    }
}

impl<'r> sqlx::ValueRef<'r> for Unused {
    type Database = InlineSqlite;

    fn to_owned(&self) -> Unused {
        match *self {}
    }

    fn type_info(&self) -> Cow<'_, Unused> {
        match *self {}
    }

    fn is_null(&self) -> bool {
        match *self {}
    }
}

impl sqlx::Statement for Unused {
    type Database = InlineSqlite;

    fn into_sql(self) -> SqlStr {
        match self {}
    }

    fn sql(&self) -> &SqlStr {
        match *self {}
    }

    fn parameters(&self) -> Option<Either<&[Unused], usize>> {
        match *self {}
    }

    fn columns(&self) -> &[Unused] {
        match *self {}
    }

    fn query(&self) -> sqlx::query::Query<'_, InlineSqlite, NoArguments> {
        match *self {}
    }

    fn query_with<A>(&self, _arguments: A) -> sqlx::query::Query<'_, InlineSqlite, A>
    where
        A: sqlx::IntoArguments<InlineSqlite>,
    {
        match *self {}
    }

    fn query_as<O>(&self) -> sqlx::query::QueryAs<'_, InlineSqlite, O, NoArguments>
    where
        O: for<'r> sqlx::FromRow<'r, Unused>,
    {
        match *self {}
    }

    fn query_as_with<'s, O, A>(
        &'s self,
        _arguments: A,
    ) -> sqlx::query::QueryAs<'s, InlineSqlite, O, A>
    where
        O: for<'r> sqlx::FromRow<'r, Unused>,
        A: sqlx::IntoArguments<InlineSqlite>,
    {
        match *self {}
    }

    fn query_scalar<O>(&self) -> sqlx::query::QueryScalar<'_, InlineSqlite, O, NoArguments>
    where
        (O,): for<'r> sqlx::FromRow<'r, Unused>,
    {
        match *self {}
    }

    fn query_scalar_with<'s, O, A>(
        &'s self,
        _arguments: A,
    ) -> sqlx::query::QueryScalar<'s, InlineSqlite, O, A>
    where
        (O,): for<'r> sqlx::FromRow<'r, Unused>,
        A: sqlx::IntoArguments<InlineSqlite>,
    {
        match *self {}
    }
}

/// The typed interface's arguments: none can be added.
#[derive(Default)]
pub struct NoArguments;

impl sqlx::Arguments for NoArguments {
    type Database = InlineSqlite;

    fn reserve(&mut self, _additional: usize, _size: usize) {}

    fn add<'t, T>(&mut self, _value: T) -> Result<(), sqlx::error::BoxDynError>
    where
        T: sqlx::Encode<'t, InlineSqlite> + sqlx::Type<InlineSqlite>,
    {
        Err(typed_interface_unsupported())
    }

    fn len(&self) -> usize {
        0
    }
}
