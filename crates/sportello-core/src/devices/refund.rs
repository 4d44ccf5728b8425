//! RA procedure, part 2: no refund of a device after it was issued, save cases judged one by one.
//! The Manager records each decision with its reason (granted or not), once per device; a
//! granted refund of a device an ODR issued credits its advance account again.

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use crate::devices::advance;
use crate::devices::inventory;
use crate::devices::state::DeviceState;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Decision {
    pub id: String,
    pub device_id: String,
    pub granted: i64,
    pub amount_cents: i64,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("no such device")]
    NotFound,
    /// Only an issued device can be the object of a refund decision.
    #[error("the device was not issued")]
    NotIssued,
    /// A case-by-case decision must say why.
    #[error("the reason is required")]
    NoReason,
    #[error("a decision on this device was already recorded")]
    AlreadyDecided,
    #[error("a free device has no fee to refund")]
    NothingToRefund,
    #[error(transparent)]
    Advance(#[from] advance::AdvanceError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn of_device(db: &Db, device_id: &str) -> Result<Option<Decision>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, device_id, granted, amount_cents, reason, decided_by, decided_at \
         FROM dev_refund_decisions WHERE device_id = $1",
    )
    .bind(device_id)
    .fetch_optional(db.pool())
    .await
}

/// The fee paid for an issued device and, when an ODR issued it, the ODR: from the advance
/// ledger (a consumed fee) or the desk session.
async fn fee_paid(db: &Db, device_id: &str) -> Result<(i64, Option<String>), sqlx::Error> {
    let odr: Option<(String, i64)> = sqlx::query_as(
        "SELECT operator_id, held_delta_cents FROM dev_advance_entries \
         WHERE device_id = $1 AND kind = 'consume'",
    )
    .bind(device_id)
    .fetch_optional(db.pool())
    .await?;
    if let Some((op, delta)) = odr {
        return Ok((-delta, Some(op)));
    }
    let desk: Option<(i64, i64)> = sqlx::query_as(
        "SELECT fee_cents, free FROM iss_sessions WHERE device_id = $1 AND state = 'handed_over'",
    )
    .bind(device_id)
    .fetch_optional(db.pool())
    .await?;
    Ok((
        desk.map(|(f, free)| if free != 0 { 0 } else { f })
            .unwrap_or(0),
        None,
    ))
}

/// Records the Manager's decision on a refund for `device_id`.
pub async fn decide(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    device_id: &str,
    granted: bool,
    reason: &str,
) -> Result<Decision, RefundError> {
    let device = inventory::get(db, chamber_id, device_id)
        .await?
        .ok_or(RefundError::NotFound)?;
    if device.state != DeviceState::Issued {
        return Err(RefundError::NotIssued);
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RefundError::NoReason);
    }
    let (fee, odr) = fee_paid(db, device_id).await?;
    if granted && fee == 0 {
        return Err(RefundError::NothingToRefund);
    }
    let amount = if granted { fee } else { 0 };
    let mut tx = db.begin().await?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO dev_refund_decisions (id, chamber_id, device_id, granted, amount_cents, \
         reason, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(device_id)
    .bind(i64::from(granted))
    .bind(amount)
    .bind(reason)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => RefundError::AlreadyDecided,
        None => e.into(),
    })?;
    if granted && let Some(op) = &odr {
        advance::refund(&mut tx, now, actor, chamber_id, op, device_id, amount).await?;
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.refund_decision", "device", Some(device_id)).after(json!({
            "granted": granted, "amount_cents": amount, "reason": reason, "odr": odr,
        })),
    )
    .await?;
    tx.commit().await?;
    of_device(db, device_id).await?.ok_or(RefundError::NotFound)
}
