//! The inventory by serial number: reading devices and moving them. Every move checks the
//! transition table, updates the device only if nobody moved it meanwhile (a conditional
//! `UPDATE … WHERE state = $from`), and writes the per-device activity log (who, when, from,
//! to) and the audit trail in the caller's transaction.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::devices::advance::{self, AdvanceError, FeeOutcome};
use crate::devices::kind::{DeviceKind, DeviceSerial};
use crate::devices::state::{DeviceState, Move, TransitionError};
use crate::paging::{self, Key, Keyed, Keyset, Order, Slice};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: String,
    pub chamber_id: String,
    pub serial: String,
    pub kind: DeviceKind,
    pub batch: String,
    pub state: DeviceState,
    pub holder_operator_id: Option<String>,
    /// Consigned to an ODR as one of its free smart cards (RA procedure, part 2).
    pub free_allowance: bool,
    /// The fee held in the ODR's advance account for this device.
    pub held_fee_cents: i64,
    pub delivered_on: NaiveDate,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    chamber_id: String,
    serial: String,
    kind: String,
    batch: String,
    state: String,
    holder_operator_id: Option<String>,
    free_allowance: i64,
    held_fee_cents: i64,
    delivered_on: String,
    updated_at: String,
}

impl TryFrom<Row> for Device {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        let bad = |w: &str, v: &str| sqlx::Error::Decode(format!("device {w} '{v}'").into());
        Ok(Device {
            kind: DeviceKind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
            state: DeviceState::parse(&r.state).ok_or_else(|| bad("state", &r.state))?,
            delivered_on: db::parse_date(&r.delivered_on)?,
            id: r.id,
            chamber_id: r.chamber_id,
            serial: r.serial,
            batch: r.batch,
            holder_operator_id: r.holder_operator_id,
            free_allowance: r.free_allowance != 0,
            held_fee_cents: r.held_fee_cents,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_devices {
    ($rest:literal) => {
        concat!(
            "SELECT id, chamber_id, serial, kind, batch, state, holder_operator_id, ",
            "free_allowance, held_fee_cents, delivered_on, updated_at FROM dev_devices ",
            $rest
        )
    };
}

/// The device `id` of `chamber_id` (another chamber's device does not exist for the caller).
pub async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Device>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_devices!("WHERE id = $1 AND chamber_id = $2"))
        .bind(id)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await?
        .map(Device::try_from)
        .transpose()
}

pub async fn get_tx(
    tx: &mut Tx,
    chamber_id: &str,
    id: &str,
) -> Result<Option<Device>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_devices!("WHERE id = $1 AND chamber_id = $2"))
        .bind(id)
        .bind(chamber_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Device::try_from)
        .transpose()
}

pub async fn by_serial(
    db: &Db,
    chamber_id: &str,
    serial: &DeviceSerial,
) -> Result<Option<Device>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_devices!("WHERE chamber_id = $1 AND serial = $2"))
        .bind(chamber_id)
        .bind(serial.as_str())
        .fetch_optional(db.pool())
        .await?
        .map(Device::try_from)
        .transpose()
}

/// Devices of the chamber, optionally only those in `state` or held by `holder`.
pub async fn list(
    db: &Db,
    chamber_id: &str,
    state: Option<DeviceState>,
    holder: Option<&str>,
    limit: i64,
) -> Result<Vec<Device>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_devices!(
        "WHERE chamber_id = $1 AND ($2 = '' OR state = $2) AND ($3 = '' OR holder_operator_id = $3) \
         ORDER BY serial LIMIT $4"
    ))
    .bind(chamber_id)
    .bind(state.map(DeviceState::as_str).unwrap_or_default())
    .bind(holder.unwrap_or_default())
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Device::try_from)
    .collect()
}

/// One page of the chamber's devices by serial number, optionally only those in `state`,
/// read by keyset on the serial (issue 14): a range of the chamber's `UNIQUE (chamber_id,
/// serial)` index, or of `dev_devices_state_serial` (chamber, state, serial) for one state.
pub async fn page(
    db: &Db,
    chamber_id: &str,
    state: Option<DeviceState>,
    request: &Keyset,
) -> Result<Slice<Device>, sqlx::Error> {
    paging::keyset(request, Order::Ascending, 1, |_, range| async move {
        let sql = page_sql("", state, &range);
        bind_page(
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)),
            chamber_id,
            state,
            &range,
        )
        .fetch_all(db.pool())
        .await
    })
    .await?
    .try_map(Device::try_from)
}

/// The engine's plan of the statement [`page`] runs for the page after `from`.
pub async fn page_plan(
    db: &Db,
    chamber_id: &str,
    state: Option<DeviceState>,
    from: Option<&Key>,
) -> Result<Vec<String>, sqlx::Error> {
    let range = paging::Range {
        from: from.cloned(),
        ascending: true,
        limit: 101,
    };
    let sql = page_sql(paging::explain(db), state, &range);
    paging::plan(
        db,
        bind_page(
            sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql)),
            chamber_id,
            state,
            &range,
        ),
    )
    .await
}

impl Keyed for Row {
    /// The serial, unique in the chamber, is the whole key.
    fn key(&self) -> Key {
        Key::new(self.serial.clone(), self.serial.clone())
    }
}

fn page_sql(prefix: &str, state: Option<DeviceState>, range: &paging::Range) -> String {
    let mut sql = format!(
        "{prefix}SELECT id, chamber_id, serial, kind, batch, state, holder_operator_id, \
         free_allowance, held_fee_cents, delivered_on, updated_at FROM dev_devices \
         WHERE chamber_id = $1"
    );
    let mut next = 2;
    if state.is_some() {
        sql.push_str(" AND state = $2");
        next = 3;
    }
    let (cmp, dir) = if range.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    if range.from.is_some() {
        sql.push_str(&format!(" AND serial {cmp} ${next}"));
        next += 1;
    }
    sql.push_str(&format!(" ORDER BY serial {dir} LIMIT ${next}"));
    sql
}

fn bind_page<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    chamber_id: &'q str,
    state: Option<DeviceState>,
    range: &paging::Range,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    let mut q = q.bind(chamber_id);
    if let Some(s) = state {
        q = q.bind(s.as_str());
    }
    if let Some(k) = &range.from {
        q = q.bind(k.sort.clone());
    }
    q.bind(range.limit)
}

/// The first `n` devices of `kind` in `state` (held by `holder` when given), oldest delivery
/// first, inside `tx`.
pub async fn pick_tx(
    tx: &mut Tx,
    chamber_id: &str,
    kind: DeviceKind,
    state: DeviceState,
    holder: Option<&str>,
    n: i64,
) -> Result<Vec<Device>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_devices!(
        "WHERE chamber_id = $1 AND kind = $2 AND state = $3 \
         AND ($4 = '' OR holder_operator_id = $4) ORDER BY delivered_on, serial LIMIT $5"
    ))
    .bind(chamber_id)
    .bind(kind.as_str())
    .bind(state.as_str())
    .bind(holder.unwrap_or_default())
    .bind(n)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(Device::try_from)
    .collect()
}

/// One line of a device's activity log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MoveRecord {
    pub id: String,
    #[sqlx(rename = "move")]
    pub mv: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub from_holder: Option<String>,
    pub to_holder: Option<String>,
    pub actor: String,
    /// Who moved it, by the name of their user account; `None` when the account is gone or
    /// has no name, or the actor is not a person (the pages then read [`MoveRecord::actor`]
    /// as [`crate::audit::describe::actor_label`] does).
    #[serde(skip)]
    pub actor_name: Option<String>,
    pub approved_by: Option<String>,
    /// The second person, by name as [`MoveRecord::actor_name`] (found by the e-mail stored as
    /// the label); for the pages.
    #[serde(skip)]
    pub approved_by_name: Option<String>,
    pub ref_id: Option<String>,
    pub note: Option<String>,
    pub at: String,
}

/// A device's activity log, oldest first. The people are named from their user accounts in
/// the same statement (a key lookup each, no query per line).
pub async fn history(db: &Db, device_id: &str) -> Result<Vec<MoveRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.move, m.from_state, m.to_state, m.from_holder, m.to_holder, m.actor, \
         NULLIF(TRIM(u.name), '') AS actor_name, m.approved_by, \
         NULLIF(TRIM(a.name), '') AS approved_by_name, \
         m.ref_id, m.note, m.at FROM dev_moves m \
         LEFT JOIN users u ON u.id = m.actor_id LEFT JOIN users a ON a.email = m.approved_by \
         WHERE m.device_id = $1 ORDER BY m.at, m.id",
    )
    .bind(device_id)
    .fetch_all(db.pool())
    .await
}

/// What a move carries besides the arrow.
#[derive(Clone, Copy, Debug, Default)]
pub struct MoveSpec<'a> {
    /// The operator (box or ODR) who receives the device, for the moves that need one.
    pub holder: Option<&'a str>,
    /// The second person of a two-person withdrawal.
    pub approved_by: Option<&'a str>,
    /// What caused the move (a withdrawal, an issuance session, a delivery).
    pub ref_id: Option<&'a str>,
    pub note: Option<&'a str>,
    /// For a consignment: the fee held for this device, and whether it is a free smart card.
    pub held_fee_cents: i64,
    pub free_allowance: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Someone else moved the device since it was read.
    #[error("the device was moved meanwhile")]
    Changed,
    #[error("this move needs the operator who receives the device")]
    HolderNeeded,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ManualMoveError {
    /// No such device in the caller's chamber.
    #[error("no such device")]
    NotFound,
    /// Only some moves are made by hand (see [`Move::is_manual`]).
    #[error("not a move made by hand")]
    NotManual,
    /// Lost, damaged and destroyed take a second person ([`crate::devices::write_off`]).
    #[error("a write-off needs another person's approval")]
    NeedsApproval,
    /// A device recalled from a revoked ODR comes back through its recall, by two people
    /// ([`crate::devices::recall`]).
    #[error("a recalled device is returned through its recall")]
    UnderRecall,
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Advance(#[from] AdvanceError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Inventory staff move a device of their chamber by hand (`mv` as the form sends it: store,
/// return to the cabinet or to the CA). Lost, damaged and destroyed are not moves one person
/// makes: they go through [`crate::devices::write_off`]. A device an ODR gives back
/// settles the fee held for it in the ODR's advance account in the same transaction: released
/// to the balance when it comes back to the cabinet, consumed otherwise (RA procedure: the
/// fee of a consigned device is paid from the advance).
pub async fn move_by_hand(
    ctx: &Ctx,
    p: &Principal,
    device_id: &str,
    mv: &str,
    note: &str,
) -> Result<Device, ManualMoveError> {
    let chamber_id = chamber_of(p)?;
    let device = get(&ctx.db, chamber_id, device_id)
        .await?
        .ok_or(ManualMoveError::NotFound)?;
    let mv = Move::parse(mv).ok_or(ManualMoveError::NotManual)?;
    if mv.is_write_off() {
        return Err(ManualMoveError::NeedsApproval);
    }
    if !mv.is_manual() {
        return Err(ManualMoveError::NotManual);
    }
    if mv == Move::ReturnToCabinet
        && crate::devices::recall::is_outstanding(&ctx.db, &device.id).await?
    {
        return Err(ManualMoveError::UnderRecall);
    }
    let note = Some(note.trim()).filter(|n| !n.is_empty());
    let (now, actor) = (ctx.clock.now(), p.actor());
    let mut tx = ctx.db.begin().await?;
    let after = apply_move(
        &mut tx,
        now,
        &actor,
        &device,
        mv,
        MoveSpec {
            note,
            ..Default::default()
        },
    )
    .await?;
    settle_held_fee(&mut tx, now, &actor, chamber_id, &device, after.state).await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves `device` with `mv` inside `tx`; returns the device as it is now.
pub async fn apply_move(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    device: &Device,
    mv: Move,
    spec: MoveSpec<'_>,
) -> Result<Device, MoveError> {
    let to = device.state.after(mv)?;
    let holder: Option<String> = if to.has_holder() {
        match (spec.holder, &device.holder_operator_id) {
            (Some(h), _) => Some(h.to_string()),
            (None, Some(h)) if device.state.has_holder() => Some(h.clone()),
            _ => return Err(MoveError::HolderNeeded),
        }
    } else {
        None
    };
    let (free, fee) = match mv {
        Move::Consign => (spec.free_allowance, spec.held_fee_cents),
        Move::ReturnToCabinet => (false, 0),
        _ if to == DeviceState::ConsignedToOdr => (device.free_allowance, device.held_fee_cents),
        _ => (device.free_allowance, 0),
    };
    let at = db::instant(now);
    // The holder read is part of the condition too: the stock counters are moved from the
    // (state, holder) the device really leaves.
    let changed = sqlx::query(
        "UPDATE dev_devices SET state = $3, holder_operator_id = $4, free_allowance = $5, \
         held_fee_cents = $6, updated_at = $7 WHERE id = $1 AND state = $2 \
         AND COALESCE(holder_operator_id, '') = $8",
    )
    .bind(&device.id)
    .bind(device.state.as_str())
    .bind(to.as_str())
    .bind(&holder)
    .bind(i64::from(free))
    .bind(fee)
    .bind(&at)
    .bind(device.holder_operator_id.as_deref().unwrap_or_default())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(MoveError::Changed);
    }
    crate::devices::stock::record_move(
        tx,
        &device.chamber_id,
        device.kind,
        (device.state, device.holder_operator_id.as_deref()),
        (to, holder.as_deref()),
    )
    .await?;
    sqlx::query(
        "INSERT INTO dev_moves (id, device_id, move, from_state, to_state, from_holder, \
         to_holder, actor_id, actor, approved_by, ref_id, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(db::new_id())
    .bind(&device.id)
    .bind(mv.as_str())
    .bind(device.state.as_str())
    .bind(to.as_str())
    .bind(&device.holder_operator_id)
    .bind(&holder)
    .bind(&actor.user_id)
    .bind(&actor.label)
    .bind(spec.approved_by)
    .bind(spec.ref_id)
    .bind(spec.note)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&device.chamber_id)),
        Change::new(move_action(mv), "device", Some(&device.id))
            .before(json!({"state": device.state, "holder": device.holder_operator_id}))
            .after(json!({
                "serial": device.serial, "state": to, "holder": holder,
                "approved_by": spec.approved_by, "ref": spec.ref_id, "note": spec.note,
            })),
    )
    .await?;
    if device.state == DeviceState::ConsignedToOdr && to != DeviceState::ConsignedToOdr {
        crate::devices::recall::record_outcome(tx, now, actor, device, to).await?;
    }
    Ok(Device {
        state: to,
        holder_operator_id: holder,
        free_allowance: free,
        held_fee_cents: fee,
        updated_at: at,
        ..device.clone()
    })
}

fn move_action(mv: Move) -> &'static str {
    match mv {
        Move::Store => "device.store",
        Move::WithdrawToBox => "device.withdraw_to_box",
        Move::Consign => "device.consign",
        Move::ReturnToCabinet => "device.return_to_cabinet",
        Move::Issue => "device.issue",
        Move::MarkDamaged => "device.mark_damaged",
        Move::MarkLost => "device.mark_lost",
        Move::ReturnToCa => "device.return_to_ca",
        Move::MarkDestroyed => "device.mark_destroyed",
    }
}

/// How many devices the given operators hold (box or ODR consignment).
pub async fn held_by(db: &Db, operator_ids: &[String]) -> Result<i64, sqlx::Error> {
    let mut n = 0;
    for id in operator_ids {
        let c: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dev_devices WHERE holder_operator_id = $1 \
             AND state IN ('in_operator_box', 'consigned_to_odr')",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        n += c;
    }
    Ok(n)
}

/// A device leaving an ODR's consignment settles the fee held for it on the ODR's advance
/// account (RA procedure, part 2): released when it comes back to the cabinet, spent otherwise
/// (handed over, lost, damaged, destroyed). Inside the move's transaction, so it happens once.
pub(crate) async fn settle_held_fee(
    tx: &mut db::Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    before: &Device,
    after: DeviceState,
) -> Result<(), AdvanceError> {
    if before.state != DeviceState::ConsignedToOdr || before.held_fee_cents <= 0 {
        return Ok(());
    }
    let Some(odr) = &before.holder_operator_id else {
        return Ok(());
    };
    let outcome = if after == DeviceState::InCabinet {
        FeeOutcome::Release
    } else {
        FeeOutcome::Consume
    };
    advance::settle(
        tx,
        now,
        actor,
        chamber_id,
        odr,
        &before.id,
        before.held_fee_cents,
        outcome,
    )
    .await
    .map(drop)
}
