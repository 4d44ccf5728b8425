//! The ODR's advance account (conto anticipo): RA procedure, part 2 — devices are consigned to
//! ODRs "facendo pagare in conto anticipo il diritto di segreteria".
//!
//! The same pattern as the wallet: an append-only ledger plus an account row with the running
//! figures. `balance` is what the ODR may still spend; `held` is the fees of devices consigned
//! and not yet issued. A consignment moves fees from balance to held with one conditional
//! `UPDATE … WHERE balance_cents >= $n`, so concurrent consignments can never exceed the
//! balance (the row lock on PostgreSQL, the single writer on SQLite). Issuing a consigned
//! device consumes its held fee; a device returned to the chamber gives it back to the
//! balance. A test checks that the row always equals the sums of the ledger.

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::devices::kind::DeviceKind;
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    pub balance_cents: i64,
    pub held_cents: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub id: String,
    pub kind: String,
    pub amount_cents: i64,
    pub held_delta_cents: i64,
    pub balance_after_cents: i64,
    pub held_after_cents: i64,
    pub device_id: Option<String>,
    pub reference: String,
    /// Who wrote the entry: the label of the actor (a user's e-mail, or `cli`, `worker`, …).
    pub created_by: String,
    /// The same person by the name of their user account; `None` when no account has that
    /// e-mail or the account has no name (the pages then read the label, see
    /// [`crate::audit::describe::actor_label`]).
    #[serde(skip)]
    pub created_by_name: Option<String>,
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdvanceError {
    /// RA procedure, part 2: consignments only up to the advance paid.
    #[error("the advance account holds {balance}, {needed} are needed")]
    InsufficientBalance { balance: Money, needed: Money },
    #[error("the amount must be positive")]
    NotPositive,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The fee of a device of `kind` in the chamber (its own, or the chambers' device fees's default).
pub async fn fee_of(tx: &mut Tx, chamber_id: &str, kind: DeviceKind) -> Result<i64, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT amount_cents FROM dev_fees WHERE chamber_id = $1 AND kind = $2")
            .bind(chamber_id)
            .bind(kind.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(v.unwrap_or_else(|| kind.default_fee_cents()))
}

pub async fn fees(db: &Db, chamber_id: &str) -> Result<[i64; 2], sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let sc = fee_of(&mut tx, chamber_id, DeviceKind::SmartCard).await?;
    let tk = fee_of(&mut tx, chamber_id, DeviceKind::Token).await?;
    tx.rollback().await?;
    Ok([sc, tk])
}

pub async fn account(db: &Db, operator_id: &str) -> Result<Account, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT balance_cents, held_cents FROM dev_advance_accounts WHERE operator_id = $1",
    )
    .bind(operator_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|(b, h)| Account {
            balance_cents: b,
            held_cents: h,
        })
        .unwrap_or_default())
}

/// The latest `limit` entries of an ODR's advance account, newest first, each with who wrote
/// it by name (a key lookup of the user account by e-mail, in the same statement).
pub async fn entries(db: &Db, operator_id: &str, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, e.kind, e.amount_cents, e.held_delta_cents, e.balance_after_cents, \
         e.held_after_cents, e.device_id, e.reference, e.created_by, \
         NULLIF(TRIM(u.name), '') AS created_by_name, e.created_at \
         FROM dev_advance_entries e LEFT JOIN users u ON u.email = e.created_by \
         WHERE e.operator_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT $2",
    )
    .bind(operator_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// The figures computed from the ledger (for consistency checks).
pub async fn ledger_sums(db: &Db, operator_id: &str) -> Result<Account, sqlx::Error> {
    let (b, h): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT CAST(SUM(amount_cents) AS BIGINT), CAST(SUM(held_delta_cents) AS BIGINT) \
         FROM dev_advance_entries WHERE operator_id = $1",
    )
    .bind(operator_id)
    .fetch_one(db.pool())
    .await?;
    Ok(Account {
        balance_cents: b.unwrap_or(0),
        held_cents: h.unwrap_or(0),
    })
}

struct NewEntry<'a> {
    chamber_id: &'a str,
    operator_id: &'a str,
    kind: &'static str,
    amount: i64,
    held_delta: i64,
    after: Account,
    device_id: Option<&'a str>,
    withdrawal_id: Option<&'a str>,
    reference: &'a str,
}

async fn append(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    e: NewEntry<'_>,
) -> Result<(), sqlx::Error> {
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO dev_advance_entries (id, operator_id, chamber_id, kind, amount_cents, \
         held_delta_cents, balance_after_cents, held_after_cents, device_id, withdrawal_id, \
         reference, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(e.operator_id)
    .bind(e.chamber_id)
    .bind(e.kind)
    .bind(e.amount)
    .bind(e.held_delta)
    .bind(e.after.balance_cents)
    .bind(e.after.held_cents)
    .bind(e.device_id)
    .bind(e.withdrawal_id)
    .bind(e.reference)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(e.chamber_id)),
        Change::new(entry_action(e.kind), "advance_account", Some(e.operator_id)).after(json!({
            "entry": id, "amount_cents": e.amount, "held_delta_cents": e.held_delta,
            "balance_after_cents": e.after.balance_cents, "held_after_cents": e.after.held_cents,
            "device_id": e.device_id, "withdrawal_id": e.withdrawal_id, "reference": e.reference,
        })),
    )
    .await?;
    Ok(())
}

fn entry_action(kind: &str) -> &'static str {
    match kind {
        "top_up" => "advance.top_up",
        "hold" => "advance.hold",
        "consume" => "advance.consume",
        "release" => "advance.release",
        _ => "advance.refund",
    }
}

/// Records an advance paid by the ODR.
pub async fn top_up(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    amount: Money,
    reference: &str,
) -> Result<Account, AdvanceError> {
    if amount.cents() <= 0 {
        return Err(AdvanceError::NotPositive);
    }
    let (b, h): (i64, i64) = sqlx::query_as(
        "INSERT INTO dev_advance_accounts (operator_id, chamber_id, balance_cents, held_cents, \
         updated_at) VALUES ($1, $2, $3, 0, $4) ON CONFLICT (operator_id) DO UPDATE SET \
         balance_cents = dev_advance_accounts.balance_cents + excluded.balance_cents, \
         updated_at = excluded.updated_at RETURNING balance_cents, held_cents",
    )
    .bind(operator_id)
    .bind(chamber_id)
    .bind(amount.cents())
    .bind(db::instant(now))
    .fetch_one(&mut **tx)
    .await?;
    let after = Account {
        balance_cents: b,
        held_cents: h,
    };
    let e = NewEntry {
        chamber_id,
        operator_id,
        kind: "top_up",
        amount: amount.cents(),
        held_delta: 0,
        after,
        device_id: None,
        withdrawal_id: None,
        reference,
    };
    append(tx, now, actor, e).await?;
    Ok(after)
}

/// Holds `cents` of fees for a consignment; fails, writing nothing, when the balance does not
/// cover them.
pub async fn hold(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    cents: i64,
    withdrawal_id: &str,
) -> Result<Account, AdvanceError> {
    if cents < 0 {
        return Err(AdvanceError::NotPositive);
    }
    if cents == 0 {
        return Ok(Account::default());
    }
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE dev_advance_accounts SET balance_cents = balance_cents - $2, \
         held_cents = held_cents + $2, updated_at = $3 \
         WHERE operator_id = $1 AND balance_cents >= $2 RETURNING balance_cents, held_cents",
    )
    .bind(operator_id)
    .bind(cents)
    .bind(db::instant(now))
    .fetch_optional(&mut **tx)
    .await?;
    let Some((b, h)) = row else {
        let balance: Option<i64> = sqlx::query_scalar(
            "SELECT balance_cents FROM dev_advance_accounts WHERE operator_id = $1",
        )
        .bind(operator_id)
        .fetch_optional(&mut **tx)
        .await?;
        return Err(AdvanceError::InsufficientBalance {
            balance: Money::from_cents(balance.unwrap_or(0)),
            needed: Money::from_cents(cents),
        });
    };
    let after = Account {
        balance_cents: b,
        held_cents: h,
    };
    let e = NewEntry {
        chamber_id,
        operator_id,
        kind: "hold",
        amount: -cents,
        held_delta: cents,
        after,
        device_id: None,
        withdrawal_id: Some(withdrawal_id),
        reference: "consignment",
    };
    append(tx, now, actor, e).await?;
    Ok(after)
}

/// What happens to the fee held for one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeOutcome {
    /// The device was issued: the fee is spent.
    Consume,
    /// The device came back to the chamber: the fee returns to the balance.
    Release,
}

/// Settles the fee held for `device_id` (consumed or released) inside `tx`.
#[allow(clippy::too_many_arguments)]
pub async fn settle(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    device_id: &str,
    cents: i64,
    outcome: FeeOutcome,
) -> Result<Account, AdvanceError> {
    if cents <= 0 {
        return Ok(Account::default());
    }
    let back = if outcome == FeeOutcome::Release {
        cents
    } else {
        0
    };
    let (b, h): (i64, i64) = sqlx::query_as(
        "UPDATE dev_advance_accounts SET held_cents = held_cents - $2, \
         balance_cents = balance_cents + $3, updated_at = $4 WHERE operator_id = $1 \
         RETURNING balance_cents, held_cents",
    )
    .bind(operator_id)
    .bind(cents)
    .bind(back)
    .bind(db::instant(now))
    .fetch_one(&mut **tx)
    .await?;
    let after = Account {
        balance_cents: b,
        held_cents: h,
    };
    let kind = match outcome {
        FeeOutcome::Consume => "consume",
        FeeOutcome::Release => "release",
    };
    let e = NewEntry {
        chamber_id,
        operator_id,
        kind,
        amount: back,
        held_delta: -cents,
        after,
        device_id: Some(device_id),
        withdrawal_id: None,
        reference: kind,
    };
    append(tx, now, actor, e).await?;
    Ok(after)
}

/// Gives an issued device's fee back to the balance after a refund decision.
pub async fn refund(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    device_id: &str,
    cents: i64,
) -> Result<Account, AdvanceError> {
    if cents <= 0 {
        return Err(AdvanceError::NotPositive);
    }
    let (b, h): (i64, i64) = sqlx::query_as(
        "UPDATE dev_advance_accounts SET balance_cents = balance_cents + $2, updated_at = $3 \
         WHERE operator_id = $1 RETURNING balance_cents, held_cents",
    )
    .bind(operator_id)
    .bind(cents)
    .bind(db::instant(now))
    .fetch_one(&mut **tx)
    .await?;
    let after = Account {
        balance_cents: b,
        held_cents: h,
    };
    let e = NewEntry {
        chamber_id,
        operator_id,
        kind: "refund",
        amount: cents,
        held_delta: 0,
        after,
        device_id: Some(device_id),
        withdrawal_id: None,
        reference: "refund",
    };
    append(tx, now, actor, e).await?;
    Ok(after)
}

/// Whether the ODR serves companies end to end (RA procedure, part 2: "dall'iscrizione
/// dell'impresa individuale al rilascio delle smart card"), and so may receive free cards.
pub async fn is_full_service(db: &Db, operator_id: &str) -> Result<bool, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT full_service FROM dev_odr_profiles WHERE operator_id = $1")
            .bind(operator_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(v.unwrap_or(0) != 0)
}

/// RA procedure, part 2: a full-service ODR receives, besides the devices in advance account,
/// "un numero n di smart card senza corrispettivo". The chamber sets `n` per ODR: the free
/// smart cards it may hold at once, unissued (consigned free and still with the ODR, plus those
/// asked for and not yet decided). An ODR that is not full-service has none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FreeAllowance {
    /// `n`, as the chamber set it.
    pub allowance: i64,
    /// Free smart cards consigned to the ODR and not issued yet.
    pub held: i64,
    /// Free smart cards in consignments asked for and not yet decided.
    pub pending: i64,
}

impl FreeAllowance {
    /// How many more free smart cards may be asked for now.
    pub fn remaining(&self) -> i64 {
        (self.allowance - self.held - self.pending).max(0)
    }
}

/// The ODR's allowance of free smart cards and how much of it is in use.
pub async fn free_allowance(db: &Db, operator_id: &str) -> Result<FreeAllowance, sqlx::Error> {
    let set: Option<(i64, i64)> = sqlx::query_as(
        "SELECT full_service, free_smart_cards FROM dev_odr_profiles WHERE operator_id = $1",
    )
    .bind(operator_id)
    .fetch_optional(db.pool())
    .await?;
    let allowance = match set {
        Some((full, n)) if full != 0 => n,
        _ => 0,
    };
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_devices WHERE holder_operator_id = $1          AND state = 'consigned_to_odr' AND free_allowance = 1",
    )
    .bind(operator_id)
    .fetch_one(db.pool())
    .await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(free_smart_cards), 0) AS BIGINT) FROM dev_withdrawals WHERE operator_id = $1          AND destination = 'odr' AND status = 'pending'",
    )
    .bind(operator_id)
    .fetch_one(db.pool())
    .await?;
    Ok(FreeAllowance {
        allowance,
        held,
        pending,
    })
}

/// The chamber sets `n`, the free smart cards the full-service ODR may hold at once.
pub async fn set_free_allowance(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    n: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dev_odr_profiles (operator_id, chamber_id, full_service, free_smart_cards,          updated_at) VALUES ($1, $2, 0, $3, $4) ON CONFLICT (operator_id) DO UPDATE SET          free_smart_cards = excluded.free_smart_cards, updated_at = excluded.updated_at",
    )
    .bind(operator_id)
    .bind(chamber_id)
    .bind(n)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("advance.free_allowance", "ra_operator", Some(operator_id))
            .after(json!({"free_smart_cards": n})),
    )
    .await?;
    Ok(())
}

pub async fn set_full_service(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    full: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dev_odr_profiles (operator_id, chamber_id, full_service, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (operator_id) DO UPDATE SET \
         full_service = excluded.full_service, updated_at = excluded.updated_at",
    )
    .bind(operator_id)
    .bind(chamber_id)
    .bind(i64::from(full))
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("advance.full_service", "ra_operator", Some(operator_id))
            .after(json!({"full_service": full})),
    )
    .await?;
    Ok(())
}
