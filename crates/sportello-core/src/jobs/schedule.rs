//! Recurring jobs on cron expressions (evaluated in Europe/Rome, the chambers' time).
//!
//! Each schedule is a row with its next due instant. When due, the worker enqueues the job
//! with a dedupe key made of the schedule name and the due instant, so several instances
//! running the same schedule enqueue it once.

use crate::clock::in_italy;
use crate::db::{self, Db};
use crate::jobs::{Job, QueueError, enqueue};
use chrono::{DateTime, Utc};
use croner::Cron;
use std::str::FromStr;

/// Enqueues one run of a schedule inside the transaction, given the due instant and the
/// dedupe key.
pub type EnqueueRun = for<'a> fn(
    &'a mut db::Tx,
    DateTime<Utc>,
    &'a str,
) -> futures::future::BoxFuture<'a, Result<bool, sqlx::Error>>;

/// A recurring job declared in code.
pub struct Schedule {
    pub name: &'static str,
    pub cron: &'static str,
    pub enqueue: EnqueueRun,
}

/// Enqueue helper for schedules whose job has a `Default` payload.
pub fn enqueue_default<'a, J: Job + Default + 'static>(
    tx: &'a mut db::Tx,
    due: DateTime<Utc>,
    key: &'a str,
) -> futures::future::BoxFuture<'a, Result<bool, sqlx::Error>> {
    let key = key.to_string();
    Box::pin(async move { enqueue(tx, &J::default(), due, Some(&key)).await })
}

/// The next instant after `after` matching `cron`, in Italian time.
pub fn next_after(cron: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>, QueueError> {
    let problem = |e: croner::errors::CronError| QueueError::Cron {
        cron: cron.to_string(),
        problem: e.to_string(),
    };
    Cron::from_str(cron)
        .map_err(problem)?
        .find_next_occurrence(&in_italy(after), false)
        .map(|t| t.with_timezone(&Utc))
        .map_err(problem)
}

/// Makes sure every schedule has a row (and the current cron expression).
pub async fn register(
    db: &Db,
    schedules: &[Schedule],
    now: DateTime<Utc>,
) -> Result<(), QueueError> {
    for s in schedules {
        let next = next_after(s.cron, now)?;
        sqlx::query(
            "INSERT INTO job_schedules (name, cron, next_run_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, \
             next_run_at = CASE WHEN job_schedules.cron = excluded.cron \
                 THEN job_schedules.next_run_at ELSE excluded.next_run_at END",
        )
        .bind(s.name)
        .bind(s.cron)
        .bind(db::instant(next))
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Enqueues every schedule that is due at `now`; returns how many runs were enqueued.
pub async fn enqueue_due(
    db: &Db,
    schedules: &[Schedule],
    now: DateTime<Utc>,
) -> Result<usize, QueueError> {
    let mut enqueued = 0;
    for s in schedules {
        let mut tx = db.begin().await?;
        let next: Option<String> =
            sqlx::query_scalar("SELECT next_run_at FROM job_schedules WHERE name = $1")
                .bind(s.name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(next) = next else {
            tx.rollback().await?;
            continue;
        };
        let due = db::parse_instant(&next)?;
        if due > now {
            tx.rollback().await?;
            continue;
        }
        let key = format!("schedule:{}:{}", s.name, next);
        if (s.enqueue)(&mut tx, now, &key).await? {
            enqueued += 1;
        }
        let following = next_after(s.cron, now)?;
        sqlx::query("UPDATE job_schedules SET next_run_at = $2, last_run_at = $3 WHERE name = $1")
            .bind(s.name)
            .bind(db::instant(following))
            .bind(db::instant(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cron_is_evaluated_in_italian_time() {
        // 03:00 in Rome in winter is 02:00 UTC.
        let after = Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        let next = next_after("0 3 * * *", after).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 1, 11, 2, 0, 0).unwrap());
    }
}
