//! Background jobs: serialisable structs enqueued in the business transaction, claimed by
//! a worker inside `serve`, and run until done. Every job must be idempotent: a job whose
//! lease expires (the process died mid-run) is claimed again.
//!
//! Claiming is the one place where the engines differ: PostgreSQL uses
//! `FOR UPDATE SKIP LOCKED`, so several instances never take the same job; SQLite has a
//! single writer, so the claiming `UPDATE … RETURNING` inside `BEGIN IMMEDIATE` is enough.

pub mod schedule;

use crate::Ctx;
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

/// A claimed job, ready to run.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Enqueues `job` inside `tx`, runnable from `run_at`. With a `dedupe_key`, a second
/// enqueue with the same key is ignored (returns `false`).
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
         dedupe_key, created_at) VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $7) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(db::new_id())
    .bind(J::KIND)
    .bind(payload)
    .bind(db::instant(run_at))
    .bind(J::MAX_ATTEMPTS)
    .bind(dedupe_key)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Claims the oldest due job for `lease` seconds on behalf of `worker_id`.
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
            "ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) ",
            "RETURNING id, kind, payload, attempts, max_attempts"
        ),
        Engine::Sqlite => concat!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, ",
            "locked_by = $3 WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'running') ",
            "AND run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) ",
            "ORDER BY run_at LIMIT 1) ",
            "RETURNING id, kind, payload, attempts, max_attempts"
        ),
    };
    let mut tx = db.begin().await?;
    let claimed = sqlx::query_as::<_, Claimed>(sql)
        .bind(db::instant(now))
        .bind(db::instant(now + lease))
        .bind(worker_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Marks a claimed job done.
pub async fn complete(db: &Db, id: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET status = 'done', locked_until = NULL, finished_at = $2, \
         last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(db::instant(now))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Records a failure: retried later with exponential back-off, or failed for good when
/// the attempts are used up.
pub async fn fail(
    db: &Db,
    job: &Claimed,
    now: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    let exhausted = job.attempts >= job.max_attempts;
    let backoff = chrono::Duration::seconds(30 * (1i64 << job.attempts.clamp(0, 10)));
    sqlx::query(
        "UPDATE jobs SET status = $2, locked_until = NULL, last_error = $3, run_at = $4, \
         finished_at = $5 WHERE id = $1",
    )
    .bind(&job.id)
    .bind(if exhausted { "failed" } else { "queued" })
    .bind(error)
    .bind(db::instant(now + backoff))
    .bind(exhausted.then(|| db::instant(now)))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Counts of jobs per status, for `/metrics` and the admin page.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
        .fetch_all(db.pool())
        .await
}
