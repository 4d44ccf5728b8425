//! Notices past their expiry are marked expired by a daily job, so the positions say what
//! they are in the table too, not only when read. pagoPA SACI: a notice can be paid up to its
//! expiry date; after it the debt is no longer payable on that notice.
//!
//! Idempotent: a position is moved from `pending` to `expired` by a statement that names its
//! state, so a second run (or a run on another instance) changes nothing. Each position moved
//! is audited. A payment reported later for an expired notice stays an anomaly for the office
//! (the reconciliation import never credits a position that is not pending).

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::jobs::Job;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How many positions one transaction expires; the job loops until none is left.
const BATCH: i64 = 500;

#[derive(sqlx::FromRow)]
struct Due {
    id: String,
    chamber_id: String,
    company_id: String,
    notice_code: String,
    expires_on: String,
}

/// pagoPA SACI: marks every pending position whose expiry day is before today (Italian
/// time) as expired; returns how many were marked.
pub async fn expire_notices(ctx: &Ctx, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let today = crate::clock::italian_day(now).to_string();
    let actor = Actor::system("pagopa-expiry");
    let mut total = 0;
    loop {
        let mut tx = ctx.db.begin().await?;
        let due: Vec<Due> = sqlx::query_as(
            "SELECT id, chamber_id, company_id, notice_code, expires_on FROM payment_positions \
             WHERE state = 'pending' AND expires_on < $1 ORDER BY expires_on, id LIMIT $2",
        )
        .bind(&today)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            tx.rollback().await?;
            return Ok(total);
        }
        for d in &due {
            let moved = sqlx::query(
                "UPDATE payment_positions SET state = 'expired' WHERE id = $1 AND state = 'pending'",
            )
            .bind(&d.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                continue;
            }
            total += moved;
            audit::record(
                &mut tx,
                now,
                &actor.clone().in_chamber(Some(&d.chamber_id)),
                Change::new("wallet.pagopa_expire", "payment_position", Some(&d.id))
                    .before(json!({"state": "pending"}))
                    .after(json!({
                        "state": "expired", "company_id": d.company_id,
                        "notice_code": d.notice_code, "expires_on": d.expires_on,
                    })),
            )
            .await?;
        }
        tx.commit().await?;
    }
}

/// Daily job: [`expire_notices`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExpireNotices {}

impl Job for ExpireNotices {
    const KIND: &'static str = "expire_pagopa_notices";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let n = expire_notices(state, state.clock.now()).await?;
        tracing::info!(
            expired = n,
            "pagoPA notices past their expiry marked expired"
        );
        Ok(())
    }
}
