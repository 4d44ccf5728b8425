//! The prepaid wallet (borsellino) from which chamber fees are paid (Cert'O guide, slide 45:
//! "only payment from the wallet").
//!
//! An append-only ledger per company: every top-up, charge and refund is an entry; the
//! balance is their sum and is never negative. A `wallets` row keeps the running balance so
//! that a charge is one conditional update (`… WHERE balance_cents >= fee`), safe under
//! concurrent sends on both engines (the row lock on PostgreSQL, the single writer on
//! SQLite); a test checks that the row always equals the sum of the entries.

mod payments;
mod top_up;

pub use payments::{ManualPayments, PaymentClaim, PaymentError, PaymentProvider, VerifiedPayment};
pub use top_up::{TopUp, TopUpError, TopUpRequest, top_up};

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::money::Money;
use crate::paging::{self, Counted, Page, PageRequest};
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

/// One page of the company's ledger, newest first.
pub async fn entries_page(
    db: &Db,
    company_id: &str,
    request: PageRequest,
) -> Result<Page<Entry>, sqlx::Error> {
    paging::fetch(request, |limit, offset| async move {
        sqlx::query_as::<_, Counted<Entry>>(
            "SELECT id, kind, amount_cents, balance_after_cents, practice_id, reference, created_at, \
             COUNT(*) OVER () AS page_total FROM wallet_entries WHERE company_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(company_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await
    })
    .await
}

/// One ledger entry to write.
struct NewEntry<'a> {
    company_id: &'a str,
    chamber_id: Option<&'a str>,
    kind: &'static str,
    amount: Money,
    balance_after: i64,
    practice_id: Option<&'a str>,
    reference: &'a str,
    provider: Option<&'a str>,
}

async fn append(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    e: NewEntry<'_>,
) -> Result<String, sqlx::Error> {
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, \
         balance_after_cents, practice_id, reference, provider, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(e.company_id)
    .bind(e.chamber_id)
    .bind(e.kind)
    .bind(e.amount.cents())
    .bind(e.balance_after)
    .bind(e.practice_id)
    .bind(e.reference)
    .bind(e.provider)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    let action = match e.kind {
        "top_up" => "wallet.top_up",
        "charge" => "wallet.charge",
        _ => "wallet.refund",
    };
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(e.chamber_id),
        Change::new(action, "wallet", Some(e.company_id)).after(json!({
            "entry": id, "amount": e.amount.to_decimal_string(),
            "balance_after": Money::from_cents(e.balance_after).to_decimal_string(),
            "practice_id": e.practice_id, "reference": e.reference,
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
    let entry = NewEntry {
        company_id,
        chamber_id,
        kind: "top_up",
        amount: payment.amount,
        balance_after: after,
        practice_id: None,
        reference: &payment.reference,
        provider: Some(payment.provider),
    };
    append(tx, now, actor, entry).await?;
    Ok(Money::from_cents(after))
}

/// The fee of one practice, charged or refunded.
#[derive(Clone, Copy, Debug)]
pub struct PracticeFee<'a> {
    pub company_id: &'a str,
    pub chamber_id: &'a str,
    pub practice_id: &'a str,
    pub amount: Money,
    /// The protocol number, shown in the ledger.
    pub reference: &'a str,
}

/// Charges a practice's fee inside `tx`; fails, writing nothing, when the balance does not
/// cover it.
pub async fn charge(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    fee: PracticeFee<'_>,
) -> Result<Money, WalletError> {
    if fee.amount.cents() < 0 {
        return Err(WalletError::NotPositive);
    }
    let after: Option<i64> = sqlx::query_scalar(
        "UPDATE wallets SET balance_cents = balance_cents - $2, updated_at = $3 \
         WHERE company_id = $1 AND balance_cents >= $2 RETURNING balance_cents",
    )
    .bind(fee.company_id)
    .bind(fee.amount.cents())
    .bind(db::instant(now))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(after) = after else {
        let balance: Option<i64> =
            sqlx::query_scalar("SELECT balance_cents FROM wallets WHERE company_id = $1")
                .bind(fee.company_id)
                .fetch_optional(&mut **tx)
                .await?;
        let balance = Money::from_cents(balance.unwrap_or(0));
        return Err(WalletError::InsufficientBalance {
            balance,
            missing: Money::from_cents(fee.amount.cents() - balance.cents()),
        });
    };
    let entry = NewEntry {
        company_id: fee.company_id,
        chamber_id: Some(fee.chamber_id),
        kind: "charge",
        amount: Money::from_cents(-fee.amount.cents()),
        balance_after: after,
        practice_id: Some(fee.practice_id),
        reference: fee.reference,
        provider: None,
    };
    append(tx, now, actor, entry).await?;
    Ok(Money::from_cents(after))
}

/// Gives a practice's fee back inside `tx` (a rejected practice).
pub async fn refund(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    fee: PracticeFee<'_>,
) -> Result<Money, WalletError> {
    if fee.amount.cents() <= 0 {
        return Err(WalletError::NotPositive);
    }
    let after = add_to_balance(tx, now, fee.company_id, fee.amount).await?;
    let entry = NewEntry {
        company_id: fee.company_id,
        chamber_id: Some(fee.chamber_id),
        kind: "refund",
        amount: fee.amount,
        balance_after: after,
        practice_id: Some(fee.practice_id),
        reference: fee.reference,
        provider: None,
    };
    append(tx, now, actor, entry).await?;
    Ok(Money::from_cents(after))
}

/// The balance computed from the ledger (for consistency checks).
pub async fn ledger_sum(db: &Db, company_id: &str) -> Result<Money, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM wallet_entries WHERE company_id = $1",
    )
    .bind(company_id)
    .fetch_one(db.pool())
    .await?;
    Ok(Money::from_cents(sum.unwrap_or(0)))
}
