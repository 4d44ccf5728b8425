//! The worker inside `serve`: enqueues due schedules, claims jobs and runs them.

use sportello_core::Ctx;
use sportello_core::jobs::schedule::{self, Schedule};
use sportello_core::jobs::{Claimed, Job, QueueError, claim, complete, fail};
use sportello_core::request_id;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

/// Every recurring job of the application.
pub fn schedules() -> Vec<Schedule> {
    vec![
        Schedule {
            name: "purge_expired_sessions",
            cron: "17 3 * * *",
            enqueue: schedule::enqueue_default::<sportello_core::accounts::PurgeExpiredSessions>,
        },
        Schedule {
            // Cert'O guide, slide 60: a rectification not done in time means rejection.
            name: "reject_expired_rectifications",
            cron: "*/5 * * * *",
            enqueue: schedule::enqueue_default::<
                sportello_core::trade::desk::expiry::RejectExpiredRectifications,
            >,
        },
        Schedule {
            name: "ra_daily_checks",
            cron: "0 7 * * *",
            enqueue: schedule::enqueue_default::<sportello_core::ra::checks::DailyChecks>,
        },
        Schedule {
            // RA procedure, part 1: a revoked ODR is reminded until its devices are back; the
            // job sends only the reminders due (every 7 days, the platform's choice).
            name: "recall_reminders",
            cron: "30 8 * * *",
            enqueue: schedule::enqueue_default::<
                sportello_core::devices::recall::SendRecallReminders,
            >,
        },
        Schedule {
            name: "appointment_reminders",
            cron: "0 8 * * *",
            enqueue: schedule::enqueue_default::<sportello_core::appointments::SendReminders>,
        },
        Schedule {
            // A booking not confirmed in time frees its slot.
            name: "appointment_holds",
            cron: "*/5 * * * *",
            enqueue: schedule::enqueue_default::<sportello_core::appointments::ExpireHolds>,
        },
        Schedule {
            // Blobs no row refers to (deleted drafts, rolled-back uploads), past their grace.
            name: "reap_orphan_blobs",
            cron: "41 2 * * *",
            enqueue: schedule::enqueue_default::<sportello_core::blobs::reaper::ReapOrphanBlobs>,
        },
        Schedule {
            // pagoPA SACI: a notice past its expiry is no longer payable; mark it expired.
            name: "expire_pagopa_notices",
            cron: "10 0 * * *",
            enqueue: schedule::enqueue_default::<
                sportello_core::wallet::pagopa::expiry::ExpireNotices,
            >,
        },
        Schedule {
            name: "issuance_expiry",
            cron: "*/15 * * * *",
            enqueue: schedule::enqueue_default::<sportello_core::issuance::AbortStaleSessions>,
        },
    ]
}

/// Runs one kind of job from its stored payload.
async fn dispatch(state: &Ctx, job: &Claimed) -> anyhow::Result<()> {
    async fn run<J: Job>(state: &Ctx, payload: &str) -> anyhow::Result<()> {
        let job: J = serde_json::from_str(payload)?;
        job.run(state).await
    }
    match job.kind.as_str() {
        sportello_core::notify::SendEmail::KIND => {
            run::<sportello_core::notify::SendEmail>(state, &job.payload).await
        }
        sportello_core::accounts::PurgeExpiredSessions::KIND => {
            run::<sportello_core::accounts::PurgeExpiredSessions>(state, &job.payload).await
        }
        sportello_core::trade::desk::expiry::RejectExpiredRectifications::KIND => {
            run::<sportello_core::trade::desk::expiry::RejectExpiredRectifications>(
                state,
                &job.payload,
            )
            .await
        }
        sportello_core::ra::checks::DailyChecks::KIND => {
            run::<sportello_core::ra::checks::DailyChecks>(state, &job.payload).await
        }
        sportello_core::ra::PurgeIdentityDocument::KIND => {
            run::<sportello_core::ra::PurgeIdentityDocument>(state, &job.payload).await
        }
        sportello_core::devices::recall::SendRecallReminders::KIND => {
            run::<sportello_core::devices::recall::SendRecallReminders>(state, &job.payload).await
        }
        sportello_core::appointments::SendReminders::KIND => {
            run::<sportello_core::appointments::SendReminders>(state, &job.payload).await
        }
        sportello_core::appointments::ExpireHolds::KIND => {
            run::<sportello_core::appointments::ExpireHolds>(state, &job.payload).await
        }
        sportello_core::issuance::AbortStaleSessions::KIND => {
            run::<sportello_core::issuance::AbortStaleSessions>(state, &job.payload).await
        }
        sportello_core::webhooks::DeliverWebhook::KIND => {
            run::<sportello_core::webhooks::DeliverWebhook>(state, &job.payload).await
        }
        sportello_core::blobs::reaper::ReapOrphanBlobs::KIND => {
            run::<sportello_core::blobs::reaper::ReapOrphanBlobs>(state, &job.payload).await
        }
        sportello_core::wallet::pagopa::expiry::ExpireNotices::KIND => {
            run::<sportello_core::wallet::pagopa::expiry::ExpireNotices>(state, &job.payload).await
        }
        other => anyhow::bail!("unknown job kind '{other}'"),
    }
}

/// Registers the schedules, enqueues the due ones and runs every job that is due now, then
/// returns how many ran. Tests and `sportello admin jobs run` use it to drive the queue
/// deterministically.
pub async fn run_due(state: &Ctx, worker_id: &str) -> Result<usize, QueueError> {
    schedule::register(&state.db, &schedules(), state.clock.now()).await?;
    run_registered(state, worker_id).await
}

/// One round of the worker: due schedules, then due jobs.
async fn run_registered(state: &Ctx, worker_id: &str) -> Result<usize, QueueError> {
    let schedules = schedules();
    schedule::enqueue_due(&state.db, &schedules, state.clock.now()).await?;
    let mut ran = 0;
    while let Some(job) = claim(
        &state.db,
        state.clock.now(),
        worker_id,
        chrono::Duration::seconds(state.config.job_lease_seconds),
    )
    .await?
    {
        ran += 1;
        // The job's log lines carry the request that enqueued it, and what it enqueues in
        // turn keeps that request's id.
        let span = tracing::info_span!(
            "job",
            job_id = %job.id,
            kind = %job.kind,
            attempt = job.attempts,
            request_id = tracing::field::Empty,
        );
        if let Some(id) = &job.request_id {
            span.record("request_id", id.as_str());
        }
        request_id::maybe_scope(
            job.request_id.clone(),
            run_one(state, &job).instrument(span),
        )
        .await?;
    }
    Ok(ran)
}

/// Runs a claimed job and reports its outcome.
async fn run_one(state: &Ctx, job: &Claimed) -> Result<(), QueueError> {
    let started = std::time::Instant::now();
    let reported = match dispatch(state, job).await {
        Ok(()) => {
            let applied = complete(&state.db, job, state.clock.now()).await?;
            if applied {
                state.metrics.job_done();
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                tracing::info!(latency_ms, "job done");
            }
            applied
        }
        Err(e) => {
            tracing::warn!(error = %e, "job failed");
            let applied = fail(&state.db, job, state.clock.now(), &e.to_string()).await?;
            if applied {
                state.metrics.job_failed();
            }
            applied
        }
    };
    if !reported {
        // The lease ran out while the job ran and another worker took it over: its
        // report is the one that counts.
        tracing::warn!("job outcome ignored: the lease is no longer ours");
    }
    Ok(())
}

/// The worker loop: polls once a second until `shutdown` turns true.
pub async fn run(state: Ctx, mut shutdown: watch::Receiver<bool>) {
    let worker_id = format!("worker-{}", sportello_core::db::new_id());
    if let Err(e) = schedule::register(&state.db, &schedules(), state.clock.now()).await {
        tracing::error!(error = %e, "could not register schedules");
    }
    tracing::info!(%worker_id, "worker started");
    loop {
        if let Err(e) = run_registered(&state, &worker_id).await {
            tracing::error!(error = %e, "worker could not reach the database");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
    tracing::info!("worker stopped");
}
