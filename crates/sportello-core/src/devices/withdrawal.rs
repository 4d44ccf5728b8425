//! Withdrawals from the cabinet need two people (maker-checker): one user requests devices
//! for an operator's box or for a consignment to an ODR, a different user approves, and only
//! then do the devices move. RA procedure, part 2: blank devices are kept in a locked cabinet and
//! handed to operators; devices are consigned to ODRs against their advance account, and an
//! ODR doing the full service also gets `n` smart cards to issue free of charge.

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::devices::advance::{self, AdvanceError};
use crate::devices::inventory::{self, MoveError, MoveSpec};
use crate::devices::kind::DeviceKind;
use crate::devices::state::{DeviceState, Move};
use crate::money::Money;
use crate::ra::operator::{self, Operator, OperatorKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    OperatorBox,
    Odr,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::OperatorBox => "operator_box",
            Destination::Odr => "odr",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator_box" => Some(Destination::OperatorBox),
            "odr" => Some(Destination::Odr),
            _ => None,
        }
    }
}

/// What the maker asks for.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewWithdrawal {
    pub destination: Option<Destination>,
    pub operator_id: String,
    #[serde(default)]
    pub smart_cards: i64,
    #[serde(default)]
    pub tokens: i64,
    /// Free smart cards for an ODR doing the full service.
    #[serde(default)]
    pub free_smart_cards: i64,
    #[serde(default)]
    pub note: Option<String>,
    /// A random key from the form: the same request sent twice is recorded once.
    #[serde(default)]
    pub request_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Withdrawal {
    pub id: String,
    pub chamber_id: String,
    pub destination: String,
    pub operator_id: String,
    pub smart_cards: i64,
    pub tokens: i64,
    pub free_smart_cards: i64,
    pub status: String,
    pub requested_by: String,
    pub requested_by_label: String,
    /// Who asked, by the name of their user account (the label when no name is known); for
    /// the pages, never sent by the API.
    #[serde(skip)]
    pub requested_by_name: String,
    pub requested_at: String,
    pub decided_by_label: Option<String>,
    /// Who decided, by name as [`Withdrawal::requested_by_name`]; for the pages.
    #[serde(skip)]
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WithdrawalError {
    #[error("ask for at least one device, and no negative quantities")]
    Quantity,
    #[error("no such operator")]
    UnknownOperator,
    #[error("devices go to an internal operator's box or to an ODR, not to this operator")]
    WrongOperatorKind,
    /// RA procedure, part 1: only an operator with a valid mandate and course may hold devices.
    #[error("the operator may not act: {0:?}")]
    OperatorCannotAct(Vec<String>),
    /// RA procedure, part 2: free smart cards only to an ODR doing the full service.
    #[error("free smart cards go only to an ODR doing the full service")]
    FreeNotAllowed,
    /// RA procedure, part 2: no more than the "n" free smart cards the chamber set for the ODR.
    #[error("the ODR may hold {allowance} free smart cards, {in_use} are in use, {asked} asked")]
    FreeAllowanceExceeded {
        allowance: i64,
        in_use: i64,
        asked: i64,
    },
    #[error("the cabinet has {available} {kind} devices, {needed} asked")]
    NotEnoughInCabinet {
        kind: DeviceKind,
        available: i64,
        needed: i64,
    },
    /// Maker-checker: the approver must be someone else.
    #[error("the person who asked cannot approve")]
    SamePerson,
    #[error("the withdrawal was already decided")]
    NotPending,
    #[error("no such withdrawal")]
    NotFound,
    #[error(transparent)]
    Advance(#[from] AdvanceError),
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The columns of a [`Withdrawal`] of the chamber `$1`, then `$rest`. The requester and the
/// decider are named from their user accounts in the same statement (a primary-key lookup
/// each, no query per row); a missing or empty name falls back to the label stored with the
/// request.
macro_rules! select_withdrawals {
    ($rest:literal) => {
        concat!(
            "SELECT w.id, w.chamber_id, w.destination, w.operator_id, w.smart_cards, w.tokens, ",
            "w.free_smart_cards, w.status, w.requested_by, w.requested_by_label, ",
            "COALESCE(NULLIF(TRIM(r.name), ''), w.requested_by_label) AS requested_by_name, ",
            "w.requested_at, w.decided_by_label, ",
            "COALESCE(NULLIF(TRIM(d.name), ''), w.decided_by_label) AS decided_by_name, ",
            "w.decided_at, w.note FROM dev_withdrawals w ",
            "LEFT JOIN users r ON r.id = w.requested_by LEFT JOIN users d ON d.id = w.decided_by ",
            "WHERE w.chamber_id = $1 ",
            $rest
        )
    };
}

pub async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Withdrawal>, sqlx::Error> {
    sqlx::query_as(select_withdrawals!("AND w.id = $2"))
        .bind(chamber_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// How many withdrawals and reports the devices page lists.
pub const RECENT: usize = 50;

/// The two statements of [`recent`]: the pending withdrawals, newest first, a range of
/// `dev_withdrawals_chamber_status_requested`; the chamber's latest, a range of
/// `dev_withdrawals_chamber_requested`. Each reads at most [`RECENT`] rows.
pub const RECENT_SQL: [&str; 2] = [
    select_withdrawals!("AND w.status = 'pending' ORDER BY w.requested_at DESC LIMIT 50"),
    select_withdrawals!("ORDER BY w.requested_at DESC LIMIT 50"),
];

/// The latest withdrawals of the chamber, pending first: at most [`RECENT`] pending ones and
/// the latest [`RECENT`] of the chamber, two bounded index ranges merged here (issue 14: the
/// page sorted every withdrawal the chamber ever made).
pub async fn recent(db: &Db, chamber_id: &str) -> Result<Vec<Withdrawal>, sqlx::Error> {
    let [pending, latest] = RECENT_SQL;
    let mut rows: Vec<Withdrawal> = sqlx::query_as(pending)
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?;
    let latest: Vec<Withdrawal> = sqlx::query_as(latest)
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?;
    rows.extend(latest.into_iter().filter(|w| w.status != "pending"));
    rows.truncate(RECENT);
    Ok(rows)
}

/// Withdrawals of the chamber waiting for a second person's decision: those [`recent`] puts
/// first.
pub async fn pending_count(db: &Db, chamber_id: &str) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_withdrawals WHERE chamber_id = $1 AND status = 'pending'",
    )
    .bind(chamber_id)
    .fetch_one(db.pool())
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The operator who would receive the devices, checked: in the chamber, of the right kind,
/// able to act today.
pub async fn receiver(
    db: &Db,
    chamber_id: &str,
    destination: Destination,
    operator_id: &str,
    today: NaiveDate,
) -> Result<Operator, WithdrawalError> {
    let op = operator::get(db, operator_id)
        .await?
        .filter(|o| o.chamber_id == chamber_id)
        .ok_or(WithdrawalError::UnknownOperator)?;
    let right_kind = match destination {
        Destination::OperatorBox => op.kind == OperatorKind::Rao,
        Destination::Odr => crate::devices::odr_account::holds_account(&op),
    };
    if !right_kind {
        return Err(WithdrawalError::WrongOperatorKind);
    }
    let e = crate::ra::eligibility::eligibility(&op, today);
    if !e.can_act {
        return Err(WithdrawalError::OperatorCannotAct(
            e.reasons.iter().map(|r| r.code().to_string()).collect(),
        ));
    }
    Ok(op)
}

async fn in_cabinet(db: &Db, chamber_id: &str, kind: DeviceKind) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_devices WHERE chamber_id = $1 AND kind = $2 AND state = 'in_cabinet'",
    )
    .bind(chamber_id)
    .bind(kind.as_str())
    .fetch_one(db.pool())
    .await
}

/// The maker's request. Checks what can be checked now (quantities, operator, stock, balance);
/// the approval checks it all again.
pub async fn request(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    chamber_id: &str,
    new: NewWithdrawal,
) -> Result<Withdrawal, WithdrawalError> {
    let destination = new.destination.ok_or(WithdrawalError::WrongOperatorKind)?;
    if let Some(key) = new.request_key.as_deref().filter(|k| !k.is_empty()) {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM dev_withdrawals WHERE request_key = $1 AND chamber_id = $2",
        )
        .bind(key)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await?;
        if let Some(id) = existing {
            return get(db, chamber_id, &id)
                .await?
                .ok_or(WithdrawalError::NotFound);
        }
    }
    let (sc, tk, free) = (new.smart_cards, new.tokens, new.free_smart_cards);
    if sc < 0 || tk < 0 || free < 0 || sc + tk + free == 0 {
        return Err(WithdrawalError::Quantity);
    }
    let op = receiver(db, chamber_id, destination, &new.operator_id, today).await?;
    if free > 0
        && (destination != Destination::Odr || !advance::is_full_service(db, &op.id).await?)
    {
        return Err(WithdrawalError::FreeNotAllowed);
    }
    if free > 0 {
        let a = advance::free_allowance(db, &op.id).await?;
        if free > a.remaining() {
            return Err(WithdrawalError::FreeAllowanceExceeded {
                allowance: a.allowance,
                in_use: a.held + a.pending,
                asked: free,
            });
        }
    }
    for (kind, needed) in [(DeviceKind::SmartCard, sc + free), (DeviceKind::Token, tk)] {
        let available = in_cabinet(db, chamber_id, kind).await?;
        if needed > available {
            return Err(WithdrawalError::NotEnoughInCabinet {
                kind,
                available,
                needed,
            });
        }
    }
    if destination == Destination::Odr {
        let [f_sc, f_tk] = advance::fees(db, chamber_id).await?;
        let needed = sc * f_sc + tk * f_tk;
        let balance = advance::account(db, &op.id).await?.balance_cents;
        if needed > balance {
            return Err(AdvanceError::InsufficientBalance {
                balance: Money::from_cents(balance),
                needed: Money::from_cents(needed),
            }
            .into());
        }
    }
    let id = db::new_id();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO dev_withdrawals (id, chamber_id, destination, operator_id, smart_cards, \
         tokens, free_smart_cards, status, requested_by, requested_by_label, requested_at, note, \
         request_key) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(destination.as_str())
    .bind(&op.id)
    .bind(sc)
    .bind(tk)
    .bind(free)
    .bind(actor.user_id.clone().unwrap_or_else(|| actor.label.clone()))
    .bind(&actor.label)
    .bind(db::instant(now))
    .bind(new.note.as_deref().map(str::trim).filter(|s| !s.is_empty()))
    .bind(new.request_key.as_deref().filter(|k| !k.is_empty()))
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        // The same request key arrived twice at once: the first one wins.
        if db::unique_violation(&e).is_some()
            && let Some(key) = new.request_key.as_deref()
        {
            drop(tx);
            let id: String =
                sqlx::query_scalar("SELECT id FROM dev_withdrawals WHERE request_key = $1")
                    .bind(key)
                    .fetch_one(db.pool())
                    .await?;
            return get(db, chamber_id, &id)
                .await?
                .ok_or(WithdrawalError::NotFound);
        }
        return Err(e.into());
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.withdrawal.request", "device_withdrawal", Some(&id)).after(json!({
            "destination": destination.as_str(), "operator_id": op.id, "smart_cards": sc,
            "tokens": tk, "free_smart_cards": free,
        })),
    )
    .await?;
    tx.commit().await?;
    get(db, chamber_id, &id)
        .await?
        .ok_or(WithdrawalError::NotFound)
}

/// Moves `n` devices of `kind` from the cabinet with `mv`, skipping any that another
/// transaction took meanwhile.
#[allow(clippy::too_many_arguments)]
async fn move_from_cabinet(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    w: &Withdrawal,
    kind: DeviceKind,
    n: i64,
    mv: Move,
    fee: i64,
    free: bool,
) -> Result<(), WithdrawalError> {
    let mut moved = 0;
    for _ in 0..8 {
        if moved == n {
            return Ok(());
        }
        let candidates = inventory::pick_tx(
            tx,
            &w.chamber_id,
            kind,
            DeviceState::InCabinet,
            None,
            n - moved,
        )
        .await?;
        if candidates.is_empty() {
            break;
        }
        for d in candidates {
            let spec = MoveSpec {
                holder: Some(&w.operator_id),
                approved_by: Some(&actor.label),
                ref_id: Some(&w.id),
                note: None,
                held_fee_cents: fee,
                free_allowance: free,
            };
            match inventory::apply_move(tx, now, actor, &d, mv, spec).await {
                Ok(_) => moved += 1,
                Err(MoveError::Changed) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    if moved == n {
        Ok(())
    } else {
        Err(WithdrawalError::NotEnoughInCabinet {
            kind,
            available: moved,
            needed: n,
        })
    }
}

/// The checker's approval: the devices move now, and for an ODR the fees are held in its
/// advance account. All or nothing.
pub async fn approve(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    chamber_id: &str,
    id: &str,
) -> Result<Withdrawal, WithdrawalError> {
    let w = get(db, chamber_id, id)
        .await?
        .ok_or(WithdrawalError::NotFound)?;
    let me = actor.user_id.clone().unwrap_or_else(|| actor.label.clone());
    if w.requested_by == me {
        return Err(WithdrawalError::SamePerson);
    }
    if w.status != "pending" {
        return Err(WithdrawalError::NotPending);
    }
    let destination = Destination::parse(&w.destination).ok_or(WithdrawalError::NotFound)?;
    receiver(db, chamber_id, destination, &w.operator_id, today).await?;
    if w.free_smart_cards > 0 {
        // The allowance may have been lowered since the request: what the ODR holds plus this
        // consignment must still fit in it.
        let a = advance::free_allowance(db, &w.operator_id).await?;
        if a.held + w.free_smart_cards > a.allowance {
            return Err(WithdrawalError::FreeAllowanceExceeded {
                allowance: a.allowance,
                in_use: a.held,
                asked: w.free_smart_cards,
            });
        }
    }
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE dev_withdrawals SET status = 'approved', decided_by = $3, decided_by_label = $4, \
         decided_at = $5 WHERE id = $1 AND chamber_id = $2 AND status = 'pending'",
    )
    .bind(id)
    .bind(chamber_id)
    .bind(&me)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(WithdrawalError::NotPending);
    }
    match destination {
        Destination::OperatorBox => {
            for (kind, n) in [
                (DeviceKind::SmartCard, w.smart_cards),
                (DeviceKind::Token, w.tokens),
            ] {
                move_from_cabinet(
                    &mut tx,
                    now,
                    actor,
                    &w,
                    kind,
                    n,
                    Move::WithdrawToBox,
                    0,
                    false,
                )
                .await?;
            }
        }
        Destination::Odr => {
            let f_sc = advance::fee_of(&mut tx, chamber_id, DeviceKind::SmartCard).await?;
            let f_tk = advance::fee_of(&mut tx, chamber_id, DeviceKind::Token).await?;
            let total = w.smart_cards * f_sc + w.tokens * f_tk;
            // The account row is locked from here to the commit: consignments to one ODR
            // take turns, and none can spend what another already held.
            advance::hold(
                &mut tx,
                now,
                actor,
                chamber_id,
                &w.operator_id,
                total,
                &w.id,
            )
            .await?;
            move_from_cabinet(
                &mut tx,
                now,
                actor,
                &w,
                DeviceKind::SmartCard,
                w.smart_cards,
                Move::Consign,
                f_sc,
                false,
            )
            .await?;
            move_from_cabinet(
                &mut tx,
                now,
                actor,
                &w,
                DeviceKind::Token,
                w.tokens,
                Move::Consign,
                f_tk,
                false,
            )
            .await?;
            move_from_cabinet(
                &mut tx,
                now,
                actor,
                &w,
                DeviceKind::SmartCard,
                w.free_smart_cards,
                Move::Consign,
                0,
                true,
            )
            .await?;
        }
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.withdrawal.approve", "device_withdrawal", Some(id))
            .before(json!({"status": "pending", "requested_by": w.requested_by_label}))
            .after(json!({"status": "approved"})),
    )
    .await?;
    tx.commit().await?;
    get(db, chamber_id, id)
        .await?
        .ok_or(WithdrawalError::NotFound)
}

/// The checker refuses the request; nothing moves.
pub async fn reject(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    id: &str,
) -> Result<Withdrawal, WithdrawalError> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE dev_withdrawals SET status = 'rejected', decided_by = $3, decided_by_label = $4, \
         decided_at = $5 WHERE id = $1 AND chamber_id = $2 AND status = 'pending'",
    )
    .bind(id)
    .bind(chamber_id)
    .bind(actor.user_id.clone().unwrap_or_else(|| actor.label.clone()))
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(match get(db, chamber_id, id).await? {
            Some(_) => WithdrawalError::NotPending,
            None => WithdrawalError::NotFound,
        });
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.withdrawal.reject", "device_withdrawal", Some(id))
            .after(json!({"status": "rejected"})),
    )
    .await?;
    tx.commit().await?;
    get(db, chamber_id, id)
        .await?
        .ok_or(WithdrawalError::NotFound)
}
