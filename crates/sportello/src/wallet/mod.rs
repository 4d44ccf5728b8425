//! The prepaid wallet (borsellino) from which chamber fees are paid (seed 000, slide 45:
//! "only payment from the wallet").
//!
//! An append-only ledger per company: every top-up, charge and refund is an entry; the
//! balance is their sum and is never negative. A `wallets` row keeps the running balance so
//! that a charge is one conditional update (`… WHERE balance_cents >= fee`), safe under
//! concurrent sends on both engines (the row lock on PostgreSQL, the single writer on
//! SQLite); a test checks that the row always equals the sum of the entries.

mod payments;

pub use payments::{ManualPayments, PaymentClaim, PaymentError, PaymentProvider, VerifiedPayment};

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub id: String,
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub practice_id: Option<String>,
    pub reference: String,
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The balance does not cover the amount; says how much is missing.
    #[error("insufficient balance: {missing} missing")]
    InsufficientBalance { balance: Money, missing: Money },
    #[error("the amount must be positive")]
    NotPositive,
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The current balance (zero for a company that never topped up).
pub async fn balance(db: &Db, company_id: &str) -> Result<Money, sqlx::Error> {
    let cents: Option<i64> =
        sqlx::query_scalar("SELECT balance_cents FROM wallets WHERE company_id = $1")
            .bind(company_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(Money::from_cents(cents.unwrap_or(0)))
}

/// The latest entries, newest first.
pub async fn entries(db: &Db, company_id: &str, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, amount_cents, balance_after_cents, practice_id, reference, created_at \
         FROM wallet_entries WHERE company_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(company_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

#[allow(clippy::too_many_arguments)]
async fn append(
    tx: &mut Tx,
    now: DateTime<Utc>,
    company_id: &str,
    chamber_id: Option<&str>,
    kind: &str,
    amount: Money,
    balance_after: i64,
    practice_id: Option<&str>,
    reference: &str,
    provider: Option<&str>,
    actor: &Actor,
) -> Result<String, sqlx::Error> {
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, \
         balance_after_cents, practice_id, reference, provider, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(company_id)
    .bind(chamber_id)
    .bind(kind)
    .bind(amount.cents())
    .bind(balance_after)
    .bind(practice_id)
    .bind(reference)
    .bind(provider)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(chamber_id),
        Change::new(match kind {
            "top_up" => "wallet.top_up",
            "charge" => "wallet.charge",
            _ => "wallet.refund",
        }, "wallet", Some(company_id))
        .after(json!({
            "entry": id, "amount": amount.to_decimal_string(), "balance_after": Money::from_cents(balance_after).to_decimal_string(),
            "practice_id": practice_id, "reference": reference,
        })),
    )
    .await?;
    Ok(id)
}

async fn add_to_balance(
    tx: &mut Tx,
    now: DateTime<Utc>,
    company_id: &str,
    amount: Money,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO wallets (company_id, balance_cents, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (company_id) DO UPDATE SET balance_cents = wallets.balance_cents + excluded.balance_cents, \
         updated_at = excluded.updated_at RETURNING balance_cents",
    )
    .bind(company_id)
    .bind(amount.cents())
    .bind(db::instant(now))
    .fetch_one(&mut **tx)
    .await
}

/// Credits a verified payment (a top-up) inside `tx`.
pub async fn credit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    company_id: &str,
    chamber_id: Option<&str>,
    payment: &VerifiedPayment,
) -> Result<Money, WalletError> {
    if payment.amount.cents() <= 0 {
        return Err(WalletError::NotPositive);
    }
    let after = add_to_balance(tx, now, company_id, payment.amount).await?;
    append(
        tx,
        now,
        company_id,
        chamber_id,
        "top_up",
        payment.amount,
        after,
        None,
        &payment.reference,
        Some(payment.provider),
        actor,
    )
    .await?;
    Ok(Money::from_cents(after))
}

/// Charges `fee` for a practice inside `tx`; fails, writing nothing, when the balance does
/// not cover it.
pub async fn charge(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    company_id: &str,
    chamber_id: &str,
    practice_id: &str,
    fee: Money,
    reference: &str,
) -> Result<Money, WalletError> {
    if fee.cents() < 0 {
        return Err(WalletError::NotPositive);
    }
    let after: Option<i64> = sqlx::query_scalar(
        "UPDATE wallets SET balance_cents = balance_cents - $2, updated_at = $3 \
         WHERE company_id = $1 AND balance_cents >= $2 RETURNING balance_cents",
    )
    .bind(company_id)
    .bind(fee.cents())
    .bind(db::instant(now))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(after) = after else {
        let balance: Option<i64> =
            sqlx::query_scalar("SELECT balance_cents FROM wallets WHERE company_id = $1")
                .bind(company_id)
                .fetch_optional(&mut **tx)
                .await?;
        let balance = Money::from_cents(balance.unwrap_or(0));
        return Err(WalletError::InsufficientBalance {
            balance,
            missing: Money::from_cents(fee.cents() - balance.cents()),
        });
    };
    append(
        tx,
        now,
        company_id,
        Some(chamber_id),
        "charge",
        Money::from_cents(-fee.cents()),
        after,
        Some(practice_id),
        reference,
        None,
        actor,
    )
    .await?;
    Ok(Money::from_cents(after))
}

/// Gives `amount` back for a practice inside `tx` (a rejected practice).
#[allow(clippy::too_many_arguments)]
pub async fn refund(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    company_id: &str,
    chamber_id: &str,
    practice_id: &str,
    amount: Money,
    reference: &str,
) -> Result<Money, WalletError> {
    if amount.cents() <= 0 {
        return Err(WalletError::NotPositive);
    }
    let after = add_to_balance(tx, now, company_id, amount).await?;
    append(
        tx,
        now,
        company_id,
        Some(chamber_id),
        "refund",
        amount,
        after,
        Some(practice_id),
        reference,
        None,
        actor,
    )
    .await?;
    Ok(Money::from_cents(after))
}

/// The balance computed from the ledger (for consistency checks).
pub async fn ledger_sum(db: &Db, company_id: &str) -> Result<Money, sqlx::Error> {
    let sum: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(amount_cents) AS BIGINT) FROM wallet_entries WHERE company_id = $1")
            .bind(company_id)
            .fetch_one(db.pool())
            .await?;
    Ok(Money::from_cents(sum.unwrap_or(0)))
}
