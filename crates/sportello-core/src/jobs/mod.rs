//! Background jobs: serialisable structs enqueued in the business transaction, claimed by
//! a worker inside `serve`, and run until done. Every job must be idempotent: a job whose
//! lease expires (the process died mid-run) is claimed again.
//!
//! Attempts are counted when a job is claimed, so a job that crashes the process uses them
//! up too: once `max_attempts` claims have been made, it is not claimed again, and when its
//! last lease has expired it is parked as `dead`, with its last error (or the lease expiry)
//! kept for the administrators' page and counted in `/metrics`. A claim is a lease held by
//! one worker for one attempt: [`complete`] and [`fail`] apply only for the worker and the
//! attempt that hold it, so a worker that stalled past its lease while another took the job
//! over changes nothing when it wakes up.
//!
//! Claiming is the one place where the engines differ: PostgreSQL uses
//! `FOR UPDATE SKIP LOCKED`, so several instances never take the same job; SQLite has a
//! single writer, so the claiming `UPDATE … RETURNING` inside `BEGIN IMMEDIATE` is enough.

pub mod schedule;

use crate::Ctx;
use crate::accounts::Principal;
use crate::authz::{self, AccessError, Action};
use crate::db::{self, Db, Engine, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why the queue could not be driven.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A cron expression in code that does not parse or never fires again.
    #[error("schedule '{cron}': {problem}")]
    Cron { cron: String, problem: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A kind of background work. The payload is stored as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + Sync {
    /// Stable name stored in the `jobs` table.
    const KIND: &'static str;
    /// How many times to try before giving up.
    const MAX_ATTEMPTS: i64 = 8;

    /// Does the work. Must be idempotent: it may run again after a crash.
    fn run(self, state: &Ctx) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// A claimed job, ready to run: the lease of `locked_by` for attempt `attempts`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: String,
    /// The request that enqueued it, if a request did.
    pub request_id: Option<String>,
}

/// The statuses of a job, in the order the admin page lists them.
pub const STATUSES: [&str; 4] = ["queued", "running", "done", "dead"];

/// Written as the last error of a job whose last lease expired: its worker stopped while
/// running it (a crash, a kill, a lost machine).
const LEASE_EXPIRED: &str =
    "the lease expired with no attempt left: the worker stopped while running it";

/// Enqueues `job` inside `tx`, runnable from `run_at`. With a `dedupe_key`, a second
/// enqueue with the same key is ignored (returns `false`). The job keeps the id of the request
/// being served ([`crate::request_id::current`]), which the worker logs it under.
pub async fn enqueue<J: Job>(
    tx: &mut Tx,
    job: &J,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let payload = serde_json::to_string(job)
        .map_err(|e| sqlx::Error::Encode(format!("job {}: {e}", J::KIND).into()))?;
    let now = db::instant(Utc::now());
    let result = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, \
         dedupe_key, created_at, request_id) \
         VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $7, $8) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(db::new_id())
    .bind(J::KIND)
    .bind(payload)
    .bind(db::instant(run_at))
    .bind(J::MAX_ATTEMPTS)
    .bind(dedupe_key)
    .bind(now)
    .bind(crate::request_id::current())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Claims the oldest due job for `lease` seconds on behalf of `worker_id`, if it has attempts
/// left; first parks as `dead` the jobs whose last lease expired with none left.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    worker_id: &str,
    lease: chrono::Duration,
) -> Result<Option<Claimed>, sqlx::Error> {
    // The same statement on both engines, but PostgreSQL skips rows other workers hold.
    let sql = match db.engine() {
        Engine::Postgres => concat!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, ",
            "locked_by = $3 WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'running') ",
            "AND run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) ",
            "AND attempts < max_attempts ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) ",
            "RETURNING id, kind, payload, attempts, max_attempts, locked_by, request_id"
        ),
        Engine::Sqlite => concat!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, ",
            "locked_by = $3 WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'running') ",
            "AND run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) ",
            "AND attempts < max_attempts ORDER BY run_at LIMIT 1) ",
            "RETURNING id, kind, payload, attempts, max_attempts, locked_by, request_id"
        ),
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE jobs SET status = 'dead', locked_until = NULL, finished_at = $1, \
         last_error = $2 || COALESCE(' (last error: ' || last_error || ')', '') \
         WHERE status IN ('queued', 'running') AND attempts >= max_attempts \
         AND (locked_until IS NULL OR locked_until < $1)",
    )
    .bind(db::instant(now))
    .bind(LEASE_EXPIRED)
    .execute(&mut *tx)
    .await?;
    let claimed = sqlx::query_as::<_, Claimed>(sql)
        .bind(db::instant(now))
        .bind(db::instant(now + lease))
        .bind(worker_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Marks a claimed job done, if the claim is still the caller's (same worker, same attempt);
/// returns whether it did.
pub async fn complete(db: &Db, job: &Claimed, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', locked_until = NULL, finished_at = $2, \
         last_error = NULL WHERE id = $1 AND status = 'running' AND locked_by = $3 AND attempts = $4",
    )
    .bind(&job.id)
    .bind(db::instant(now))
    .bind(&job.locked_by)
    .bind(job.attempts)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// How long a job waits after its `attempts`-th attempt failed: 30 seconds doubled at each
/// attempt (1 minute after the first, 2 after the second…), at most about 8½ hours.
pub fn backoff(attempts: i64) -> chrono::Duration {
    chrono::Duration::seconds(30 * (1i64 << attempts.clamp(0, 10)))
}

/// The attempt a job enqueued with `dedupe_key` is at (counted when claimed, so a running job
/// reads its own) and its limit; `None` when there is no such job.
pub async fn attempts_of(db: &Db, dedupe_key: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT attempts, max_attempts FROM jobs WHERE dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_optional(db.pool())
        .await
}

/// Records a failure, if the claim is still the caller's: retried later with exponential
/// back-off, or parked as `dead` when the attempts are used up. Returns whether it applied.
pub async fn fail(
    db: &Db,
    job: &Claimed,
    now: DateTime<Utc>,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let exhausted = job.attempts >= job.max_attempts;
    let backoff = backoff(job.attempts);
    let applied = sqlx::query(
        "UPDATE jobs SET status = $2, locked_until = NULL, last_error = $3, run_at = $4, \
         finished_at = $5 WHERE id = $1 AND status = 'running' AND locked_by = $6 AND attempts = $7",
    )
    .bind(&job.id)
    .bind(if exhausted { "dead" } else { "queued" })
    .bind(error)
    .bind(db::instant(now + backoff))
    .bind(exhausted.then(|| db::instant(now)))
    .bind(&job.locked_by)
    .bind(job.attempts)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(applied == 1)
}

/// A job that ran out of attempts, as the administrators' page lists it (no payload: it may
/// hold data of any chamber).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct DeadJob {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// The most recently parked dead jobs, at most `limit`.
pub async fn dead(db: &Db, limit: i64) -> Result<Vec<DeadJob>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, attempts, max_attempts, last_error, created_at, finished_at FROM jobs \
         WHERE status = 'dead' ORDER BY finished_at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// What the administrators' page shows: the count per status and the latest dead jobs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Overview {
    pub counts: Vec<(String, i64)>,
    pub dead: Vec<DeadJob>,
}

/// The jobs page, for those who may see it ([`Action::ViewJobs`]): jobs are platform-wide.
pub async fn overview(state: &Ctx, p: &Principal) -> Result<Overview, AccessError> {
    if !authz::allows(p.role(), Action::ViewJobs) {
        return Err(AccessError::Forbidden);
    }
    Ok(Overview {
        counts: counts(&state.db).await?,
        dead: dead(&state.db, 100).await?,
    })
}

/// Counts of jobs per status, every status of [`STATUSES`] listed (0 when none), for the
/// admin page (`/metrics` reads [`depth`], which leaves out the done ones).
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            .fetch_all(db.pool())
            .await?;
    Ok(STATUSES
        .iter()
        .map(|s| {
            let n = rows.iter().find(|(r, _)| r == s).map_or(0, |(_, n)| *n);
            (s.to_string(), n)
        })
        .collect())
}

/// Jobs not done, by kind and status (`queued`, `running`, `dead`), for `/metrics`: a range of
/// the `jobs_status_kind` index, bounded by the queue, not by the history of done jobs.
pub async fn depth(db: &Db) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running', 'dead') \
         GROUP BY kind, status ORDER BY kind, status",
    )
    .fetch_all(db.pool())
    .await
}

/// When the longest-waiting due job became due (`jobs_due` index), for `/metrics`.
pub async fn oldest_due(db: &Db, now: DateTime<Utc>) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE status = 'queued' AND run_at <= $1")
        .bind(db::instant(now))
        .fetch_one(db.pool())
        .await
}
