//! Writing a device off as lost, damaged or destroyed takes two people, like a withdrawal from
//! the cabinet (RA procedure, part 2: devices are kept under the chamber's control, handed
//! over and taken back by two people): one user reports the device with the reason, a
//! different user approves or rejects. Only the approval moves the device, and only then is
//! the fee an ODR's advance account holds for a consigned device spent — once, whatever the
//! number of clicks: the approval takes the pending report with a guarded `UPDATE` in the same
//! transaction as the move and the fee.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db};
use crate::devices::advance::AdvanceError;
use crate::devices::inventory::{self, MoveError, MoveSpec};
use crate::devices::state::{Move, TransitionError};
use crate::devices::two_person::{self, person};
use serde::Serialize;
use serde_json::json;

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 1000;

/// One report of a lost, damaged or destroyed device, and its decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WriteOff {
    pub id: String,
    pub chamber_id: String,
    pub device_id: String,
    pub serial: String,
    /// `mark_lost`, `mark_damaged` or `mark_destroyed`.
    #[sqlx(rename = "move")]
    pub mv: String,
    pub reason: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub requested_by: String,
    pub requested_by_label: String,
    /// Who reported, by the name of their user account (the label when no name is known).
    #[serde(skip)]
    pub requested_by_name: String,
    pub requested_at: String,
    pub decided_by_label: Option<String>,
    /// Who decided, by name as [`WriteOff::requested_by_name`].
    #[serde(skip)]
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
}

impl WriteOff {
    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }

    /// The move asked for.
    pub fn move_(&self) -> Option<Move> {
        Move::parse(&self.mv)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteOffError {
    /// No such device or report in the caller's chamber.
    #[error("no such device or report")]
    NotFound,
    #[error("not a write-off (lost, damaged or destroyed)")]
    NotWriteOff,
    /// The report must say what happened.
    #[error("the reason is required")]
    NoReason,
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    /// The device's state does not allow the move (an issued device is not written off).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("a report on this device is already waiting for approval")]
    AlreadyPending,
    /// RA procedure, part 2: two people; the one who reported cannot decide.
    #[error("the person who reported cannot decide")]
    SamePerson,
    #[error("the report was already decided")]
    NotPending,
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Advance(#[from] AdvanceError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The columns of a [`WriteOff`], then `$rest`. The reporter and the decider are named from
/// their user accounts in the same statement (a primary-key lookup each, no query per row); a
/// missing or empty name falls back to the label stored with the report.
macro_rules! select_write_offs {
    ($rest:literal) => {
        concat!(
            "SELECT w.id, w.chamber_id, w.device_id, d.serial, w.move, w.reason, w.status, ",
            "w.requested_by, w.requested_by_label, ",
            "COALESCE(NULLIF(TRIM(r.name), ''), w.requested_by_label) AS requested_by_name, ",
            "w.requested_at, w.decided_by_label, ",
            "COALESCE(NULLIF(TRIM(k.name), ''), w.decided_by_label) AS decided_by_name, ",
            "w.decided_at FROM dev_write_offs w JOIN dev_devices d ON d.id = w.device_id ",
            "LEFT JOIN users r ON r.id = w.requested_by LEFT JOIN users k ON k.id = w.decided_by ",
            $rest
        )
    };
}

pub async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<WriteOff>, sqlx::Error> {
    sqlx::query_as(select_write_offs!("WHERE w.id = $1 AND w.chamber_id = $2"))
        .bind(id)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await
}

/// The two statements of [`recent`]: the pending reports, newest first, a range of
/// `dev_write_offs_status`; the chamber's latest, a range of
/// `dev_write_offs_chamber_requested`. Each reads at most 50 rows.
pub const RECENT_SQL: [&str; 2] = [
    select_write_offs!(
        "WHERE w.chamber_id = $1 AND w.status = 'pending' ORDER BY w.requested_at DESC LIMIT 50"
    ),
    select_write_offs!("WHERE w.chamber_id = $1 ORDER BY w.requested_at DESC LIMIT 50"),
];

/// The latest reports of the chamber, pending first (the approvals list): at most 50 pending
/// ones and the latest 50 of the chamber, two bounded index ranges merged here (issue 14:
/// the page sorted every report the chamber ever made).
pub async fn recent(db: &Db, chamber_id: &str) -> Result<Vec<WriteOff>, sqlx::Error> {
    let [pending, latest] = RECENT_SQL;
    let mut rows: Vec<WriteOff> = sqlx::query_as(pending)
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?;
    let latest: Vec<WriteOff> = sqlx::query_as(latest)
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?;
    rows.extend(latest.into_iter().filter(|w| !w.is_pending()));
    rows.truncate(super::withdrawal::RECENT);
    Ok(rows)
}

/// Reports of the chamber waiting for a second person's decision: those [`recent`] puts
/// first.
pub async fn pending_count(db: &Db, chamber_id: &str) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_write_offs WHERE chamber_id = $1 AND status = 'pending'",
    )
    .bind(chamber_id)
    .fetch_one(db.pool())
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The reports on one device, newest first.
pub async fn of_device(
    db: &Db,
    chamber_id: &str,
    device_id: &str,
) -> Result<Vec<WriteOff>, sqlx::Error> {
    sqlx::query_as(select_write_offs!(
        "WHERE w.chamber_id = $1 AND w.device_id = $2 ORDER BY w.requested_at DESC"
    ))
    .bind(chamber_id)
    .bind(device_id)
    .fetch_all(db.pool())
    .await
}

/// The first person reports the device of their chamber as lost, damaged or destroyed (`mv` as
/// the form sends it), with the reason. Nothing moves yet.
pub async fn request(
    ctx: &Ctx,
    p: &Principal,
    device_id: &str,
    mv: &str,
    reason: &str,
) -> Result<WriteOff, WriteOffError> {
    let chamber_id = chamber_of(p)?;
    let device = inventory::get(&ctx.db, chamber_id, device_id)
        .await?
        .ok_or(WriteOffError::NotFound)?;
    let mv = Move::parse(mv)
        .filter(|m| m.is_write_off())
        .ok_or(WriteOffError::NotWriteOff)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(WriteOffError::NoReason);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(WriteOffError::ReasonTooLong);
    }
    device.state.after(mv)?;
    let (now, actor) = (ctx.clock.now(), p.actor());
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO dev_write_offs (id, chamber_id, device_id, move, reason, status, \
         requested_by, requested_by_label, requested_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(&device.id)
    .bind(mv.as_str())
    .bind(reason)
    .bind(person(p))
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(if db::unique_violation(&e).is_some() {
            WriteOffError::AlreadyPending
        } else {
            e.into()
        });
    }
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("device.write_off.request", "device_write_off", Some(&id)).after(json!({
            "device_id": device.id, "serial": device.serial, "state": device.state,
            "move": mv.as_str(), "reason": reason,
        })),
    )
    .await?;
    tx.commit().await?;
    get(&ctx.db, chamber_id, &id)
        .await?
        .ok_or(WriteOffError::NotFound)
}

/// The pending report `id` of the caller's chamber, decidable by the caller.
async fn decidable(ctx: &Ctx, p: &Principal, id: &str) -> Result<WriteOff, WriteOffError> {
    let chamber_id = chamber_of(p)?;
    let w = get(&ctx.db, chamber_id, id)
        .await?
        .ok_or(WriteOffError::NotFound)?;
    two_person::second_person(&w.requested_by, &person(p))
        .map_err(|_| WriteOffError::SamePerson)?;
    if !w.is_pending() {
        return Err(WriteOffError::NotPending);
    }
    Ok(w)
}

/// Records the decision on a pending report, guarded on its status in the SQL: of two
/// concurrent decisions (a double click, two approvers) one finds it already decided.
async fn take(
    tx: &mut db::Tx,
    w: &WriteOff,
    decision: &str,
    p: &Principal,
    actor: &crate::audit::Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), WriteOffError> {
    let taken = sqlx::query(
        "UPDATE dev_write_offs SET status = $3, decided_by = $4, decided_by_label = $5, \
         decided_at = $6 WHERE id = $1 AND chamber_id = $2 AND status = 'pending'",
    )
    .bind(&w.id)
    .bind(&w.chamber_id)
    .bind(decision)
    .bind(person(p))
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if taken == 1 {
        Ok(())
    } else {
        Err(WriteOffError::NotPending)
    }
}

/// The second person approves: in one transaction the report is taken (once: a second click
/// finds it decided), the device moves, and a consigned device's held fee is spent from the
/// ODR's advance account.
pub async fn approve(ctx: &Ctx, p: &Principal, id: &str) -> Result<WriteOff, WriteOffError> {
    let w = decidable(ctx, p, id).await?;
    let mv = w.move_().ok_or(WriteOffError::NotWriteOff)?;
    let chamber_id = w.chamber_id.clone();
    let (now, actor) = (ctx.clock.now(), p.actor());
    let mut tx = ctx.db.begin().await?;
    take(&mut tx, &w, "approved", p, &actor, now).await?;
    let device = inventory::get_tx(&mut tx, &chamber_id, &w.device_id)
        .await?
        .ok_or(WriteOffError::NotFound)?;
    let note = format!("{} ({})", w.reason, w.requested_by_label);
    let after = inventory::apply_move(
        &mut tx,
        now,
        &actor,
        &device,
        mv,
        MoveSpec {
            approved_by: Some(&actor.label),
            ref_id: Some(&w.id),
            note: Some(&note),
            ..Default::default()
        },
    )
    .await?;
    inventory::settle_held_fee(&mut tx, now, &actor, &chamber_id, &device, after.state).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("device.write_off.approve", "device_write_off", Some(id))
            .before(json!({"status": "pending", "requested_by": w.requested_by_label}))
            .after(json!({"status": "approved", "serial": device.serial, "move": mv.as_str()})),
    )
    .await?;
    tx.commit().await?;
    get(&ctx.db, &chamber_id, id)
        .await?
        .ok_or(WriteOffError::NotFound)
}

/// The second person rejects: nothing moves, no fee is touched.
pub async fn reject(ctx: &Ctx, p: &Principal, id: &str) -> Result<WriteOff, WriteOffError> {
    let w = decidable(ctx, p, id).await?;
    let (now, actor) = (ctx.clock.now(), p.actor());
    let mut tx = ctx.db.begin().await?;
    take(&mut tx, &w, "rejected", p, &actor, now).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("device.write_off.reject", "device_write_off", Some(id))
            .before(json!({"status": "pending", "requested_by": w.requested_by_label}))
            .after(json!({"status": "rejected"})),
    )
    .await?;
    tx.commit().await?;
    get(&ctx.db, &w.chamber_id, id)
        .await?
        .ok_or(WriteOffError::NotFound)
}
