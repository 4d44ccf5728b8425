//! The prepaid wallet (borsellino) from which chamber fees are paid (Cert'O guide, slide 45:
//! "only payment from the wallet").
//!
//! An append-only ledger per company and chamber: every top-up, charge and refund is an entry;
//! the balance is their sum and is never negative. Each chamber keeps its own wallet for a
//! company (issue 12: one chamber's prepaid credit never pays another chamber's fees), so a
//! charge or refund always goes to the wallet of the practice's chamber. A `wallets` row keeps the running balance so
//! that a charge is one conditional update (`… WHERE balance_cents >= fee`), safe under
//! concurrent sends on both engines (the row lock on PostgreSQL, the single writer on
//! SQLite); a test checks that the row always equals the sum of the entries.

pub mod pagopa;
mod payments;
pub mod receipts;
mod top_up;

pub use payments::{ManualPayments, PaymentClaim, PaymentError, PaymentProvider, VerifiedPayment};
pub use top_up::{TopUp, TopUpError, TopUpRequest, top_up};

use crate::audit::{self, Actor, Change};
use crate::chambers::{self, Chamber};
use crate::db::{self, Db, Tx};
use crate::money::Money;
use crate::paging::{self, Key, Keyed, Keyset, Order, Slice};
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
    /// The intermediary whose user made the entry for the company (issue 15, item 3), if any.
    pub intermediary_id: Option<String>,
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

/// The current balance of the company's wallet at `chamber_id` (zero when never topped up).
pub async fn balance(db: &Db, company_id: &str, chamber_id: &str) -> Result<Money, sqlx::Error> {
    let cents: Option<i64> = sqlx::query_scalar(
        "SELECT balance_cents FROM wallets WHERE company_id = $1 AND chamber_id = $2",
    )
    .bind(company_id)
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(Money::from_cents(cents.unwrap_or(0)))
}

/// One wallet of a company: the chamber keeping it and its balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChamberBalance {
    pub chamber: Chamber,
    pub balance: Money,
}

/// The chambers a company deals with: those whose desks it may send to, and any other that
/// keeps a wallet for it; each with the balance there (zero when never topped up), by code.
pub async fn balances(db: &Db, company_id: &str) -> Result<Vec<ChamberBalance>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT chambers.id, COALESCE(wallets.balance_cents, 0) FROM chambers \
         LEFT JOIN wallets ON wallets.chamber_id = chambers.id AND wallets.company_id = $1 \
         WHERE wallets.company_id IS NOT NULL OR EXISTS (SELECT 1 FROM sites \
         JOIN chamber_provinces cp ON cp.province = sites.province \
         WHERE sites.company_id = $2 AND cp.chamber_id = chambers.id) \
         ORDER BY chambers.code",
    )
    .bind(company_id)
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (chamber_id, cents) in rows {
        if let Some(chamber) = chambers::get_chamber(db, &chamber_id).await? {
            out.push(ChamberBalance {
                chamber,
                balance: Money::from_cents(cents),
            });
        }
    }
    Ok(out)
}

/// The latest entries of the company's wallet at `chamber_id`, newest first.
pub async fn entries(
    db: &Db,
    company_id: &str,
    chamber_id: &str,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, amount_cents, balance_after_cents, practice_id, reference, created_at, \
         intermediary_id FROM wallet_entries WHERE company_id = $1 AND chamber_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(company_id)
    .bind(chamber_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// One page of the company's ledger at `chamber_id`, newest first, read by keyset (issue
/// 14: a company charged for a hundred thousand practices): a range of
/// `wallet_entries_ledger` (company, chamber, instant, id) read backwards from the cursor.
pub async fn entries_page(
    db: &Db,
    company_id: &str,
    chamber_id: &str,
    request: &Keyset,
) -> Result<Slice<Entry>, sqlx::Error> {
    paging::keyset(request, Order::Descending, 1, |_, range| async move {
        let (condition, order) = range.sql("created_at", "id", 3);
        let sql = format!("{LEDGER}{condition}{order}");
        range
            .bind(
                sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(sql))
                    .bind(company_id)
                    .bind(chamber_id),
            )
            .fetch_all(db.pool())
            .await
    })
    .await
}

/// The engine's plan of [`entries_page`]'s statement for the page after `from`.
pub async fn entries_plan(
    db: &Db,
    company_id: &str,
    chamber_id: &str,
    from: Option<&Key>,
) -> Result<Vec<String>, sqlx::Error> {
    let range = paging::Range {
        from: from.cloned(),
        ascending: false,
        limit: 21,
    };
    let (condition, order) = range.sql("created_at", "id", 3);
    let sql = format!("{}{LEDGER}{condition}{order}", paging::explain(db));
    paging::plan(
        db,
        range.bind(
            sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql))
                .bind(company_id)
                .bind(chamber_id),
        ),
    )
    .await
}

const LEDGER: &str = "SELECT id, kind, amount_cents, balance_after_cents, practice_id, reference, \
    created_at, intermediary_id FROM wallet_entries WHERE company_id = $1 AND chamber_id = $2";

impl Keyed for Entry {
    fn key(&self) -> Key {
        Key::new(self.created_at.clone(), self.id.clone())
    }
}

/// One ledger entry to write.
struct NewEntry<'a> {
    company_id: &'a str,
    chamber_id: &'a str,
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
    let receipt = receipts::next_number(tx, e.chamber_id, now).await?;
    sqlx::query(
        "INSERT INTO wallet_entries (id, company_id, chamber_id, kind, amount_cents, \
         balance_after_cents, practice_id, reference, provider, created_by, created_at, \
         receipt_number, intermediary_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
    .bind(&receipt)
    .bind(&actor.intermediary_id)
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
        &actor.clone().in_chamber(Some(e.chamber_id)),
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
    chamber_id: &str,
    amount: Money,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO wallets (company_id, chamber_id, balance_cents, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (company_id, chamber_id) DO UPDATE SET balance_cents = wallets.balance_cents + excluded.balance_cents, \
         updated_at = excluded.updated_at RETURNING balance_cents",
    )
    .bind(company_id)
    .bind(chamber_id)
    .bind(amount.cents())
    .bind(db::instant(now))
    .fetch_one(&mut **tx)
    .await
}

/// Credits a verified payment (a top-up) to the company's wallet at `chamber_id` inside `tx`.
pub async fn credit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    company_id: &str,
    chamber_id: &str,
    payment: &VerifiedPayment,
) -> Result<Money, WalletError> {
    Ok(
        credit_entry(tx, now, actor, company_id, chamber_id, payment)
            .await?
            .0,
    )
}

/// [`credit`], answering the balance afterwards and the new entry's id.
pub async fn credit_entry(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    company_id: &str,
    chamber_id: &str,
    payment: &VerifiedPayment,
) -> Result<(Money, String), WalletError> {
    if payment.amount.cents() <= 0 {
        return Err(WalletError::NotPositive);
    }
    let after = add_to_balance(tx, now, company_id, chamber_id, payment.amount).await?;
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
    let id = append(tx, now, actor, entry).await?;
    Ok((Money::from_cents(after), id))
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

/// Charges a practice's fee to the company's wallet at the practice's chamber inside `tx`;
/// fails, writing nothing, when that balance does not cover it (another chamber's credit never
/// pays it).
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
         WHERE company_id = $1 AND chamber_id = $4 AND balance_cents >= $2 RETURNING balance_cents",
    )
    .bind(fee.company_id)
    .bind(fee.amount.cents())
    .bind(db::instant(now))
    .bind(fee.chamber_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(after) = after else {
        let balance: Option<i64> = sqlx::query_scalar(
            "SELECT balance_cents FROM wallets WHERE company_id = $1 AND chamber_id = $2",
        )
        .bind(fee.company_id)
        .bind(fee.chamber_id)
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
        chamber_id: fee.chamber_id,
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

/// Gives a practice's fee back to the wallet at the practice's chamber inside `tx` (a rejected
/// practice).
pub async fn refund(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    fee: PracticeFee<'_>,
) -> Result<Money, WalletError> {
    if fee.amount.cents() <= 0 {
        return Err(WalletError::NotPositive);
    }
    let after = add_to_balance(tx, now, fee.company_id, fee.chamber_id, fee.amount).await?;
    let entry = NewEntry {
        company_id: fee.company_id,
        chamber_id: fee.chamber_id,
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

/// The balance at `chamber_id` computed from the ledger (for consistency checks).
pub async fn ledger_sum(db: &Db, company_id: &str, chamber_id: &str) -> Result<Money, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM wallet_entries \
         WHERE company_id = $1 AND chamber_id = $2",
    )
    .bind(company_id)
    .bind(chamber_id)
    .fetch_one(db.pool())
    .await?;
    Ok(Money::from_cents(sum.unwrap_or(0)))
}

/// Why the wallet meant cannot be told.
#[derive(Debug, thiserror::Error)]
pub enum ChamberChoiceError {
    #[error("no chamber with code {0}")]
    UnknownChamber(String),
    /// The company deals with several chambers (or none): the codes to choose from.
    #[error("name the chamber of the wallet: one of {}", .0.join(", "))]
    ChamberRequired(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The chamber whose wallet is meant: the one `code` names, else the only chamber the company
/// deals with ([`balances`]), else the platform's only chamber.
pub async fn chamber_of_wallet(
    db: &Db,
    company_id: &str,
    code: Option<&str>,
) -> Result<Chamber, ChamberChoiceError> {
    if let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) {
        return chambers::find_chamber_by_code(db, code)
            .await?
            .ok_or_else(|| ChamberChoiceError::UnknownChamber(code.to_ascii_uppercase()));
    }
    let mut dealt: Vec<Chamber> = balances(db, company_id)
        .await?
        .into_iter()
        .map(|b| b.chamber)
        .collect();
    if dealt.is_empty() {
        dealt = chambers::list_chambers(db).await?;
    }
    match dealt.len() {
        1 => Ok(dealt.remove(0)),
        _ => Err(ChamberChoiceError::ChamberRequired(
            dealt.into_iter().map(|c| c.code.to_string()).collect(),
        )),
    }
}
