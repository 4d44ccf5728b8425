//! The office resolves a reconciliation anomaly (a payment the import did not credit): with a
//! note saying what was done outside Sportello ("rimborsato con bonifico del 03/12/2026"), or
//! by crediting the payment to the right company's wallet at the chamber after checking.
//!
//! - **Once.** The resolution is written by a statement that finds the anomaly unresolved, in
//!   the transaction of the credit and the audit entry: of two clicks, one resolves and the
//!   other is told it was resolved already; nothing is credited twice.
//! - **Only the chamber's own.** An anomaly of another chamber is not found.
//! - **A payment not executed** (revoked) moved no money: it can be noted, not credited.

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::money::Money;
use crate::registry::{self, TaxCode};
use crate::wallet::{VerifiedPayment, WalletError};
use serde_json::json;

/// How the office resolves an anomaly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Settled outside Sportello; the note says how.
    Note(String),
    /// The payment is credited to the wallet of the company with this tax code.
    Credit {
        company_tax_code: String,
        note: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No anomaly with this id at the office's chamber.
    #[error("no such anomaly")]
    NotFound,
    #[error("the anomaly was resolved already")]
    AlreadyResolved,
    #[error("a note is required")]
    NoteRequired,
    #[error("the note is too long")]
    NoteTooLong,
    #[error("'{0}' is not a tax code")]
    TaxCode(String),
    #[error("no company in the registry with tax code {0}")]
    UnknownCompany(String),
    /// A revoked payment moved no money.
    #[error("a payment not executed cannot be credited")]
    NotExecuted,
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl ResolveError {
    /// The message key (`pagopa-resolve-…`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotFound => "pagopa-resolve-not-found",
            Self::AlreadyResolved => "pagopa-resolve-already",
            Self::NoteRequired => "pagopa-resolve-note-required",
            Self::NoteTooLong => "pagopa-resolve-note-too-long",
            Self::TaxCode(_) => "pagopa-resolve-tax-code",
            Self::UnknownCompany(_) => "pagopa-resolve-unknown-company",
            Self::NotExecuted => "pagopa-resolve-not-executed",
            _ => "pagopa-resolve-failed",
        }
    }
}

/// The longest note kept.
pub const MAX_NOTE: usize = 500;

#[derive(sqlx::FromRow)]
struct Row {
    iuv: String,
    iur: String,
    amount_cents: i64,
    result: String,
    resolution: Option<String>,
}

/// Resolves the anomaly `id` of `chamber_id` as `resolution` says.
pub async fn resolve(
    ctx: &Ctx,
    actor: &Actor,
    chamber_id: &str,
    id: &str,
    resolution: &Resolution,
) -> Result<(), ResolveError> {
    let note = match resolution {
        Resolution::Note(n) | Resolution::Credit { note: n, .. } => n.trim(),
    };
    if matches!(resolution, Resolution::Note(_)) && note.is_empty() {
        return Err(ResolveError::NoteRequired);
    }
    if note.chars().count() > MAX_NOTE {
        return Err(ResolveError::NoteTooLong);
    }
    let row: Row = sqlx::query_as(
        "SELECT iuv, iur, amount_cents, result, resolution FROM reconciliation_payments \
         WHERE id = $1 AND chamber_id = $2 AND result <> 'credited'",
    )
    .bind(id)
    .bind(chamber_id)
    .fetch_optional(ctx.db.pool())
    .await?
    .ok_or(ResolveError::NotFound)?;
    if row.resolution.is_some() {
        return Err(ResolveError::AlreadyResolved);
    }
    let company = match resolution {
        Resolution::Note(_) => None,
        Resolution::Credit {
            company_tax_code, ..
        } => {
            if row.result == "not_executed" {
                return Err(ResolveError::NotExecuted);
            }
            let code = TaxCode::parse(company_tax_code)
                .map_err(|_| ResolveError::TaxCode(company_tax_code.trim().to_string()))?;
            Some(
                registry::find_company_by_tax_code(&ctx.db, &code)
                    .await?
                    .ok_or_else(|| ResolveError::UnknownCompany(code.to_string()))?,
            )
        }
    };
    let now = ctx.clock.now();
    let actor = actor.clone().in_chamber(Some(chamber_id));
    let mut tx = ctx.db.begin().await?;
    let kind = if company.is_some() {
        "credited"
    } else {
        "note"
    };
    let taken = sqlx::query(
        "UPDATE reconciliation_payments SET resolution = $3, resolution_note = $4, \
         resolved_by = $5, resolved_at = $6, resolved_company_id = $7 \
         WHERE id = $1 AND chamber_id = $2 AND resolution IS NULL",
    )
    .bind(id)
    .bind(chamber_id)
    .bind(kind)
    .bind(note)
    .bind(&actor.label)
    .bind(db::instant(now))
    .bind(company.as_ref().map(|c| c.id.as_str()))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken == 0 {
        tx.rollback().await?;
        return Err(ResolveError::AlreadyResolved);
    }
    let amount = Money::from_cents(row.amount_cents);
    if let Some(company) = &company {
        let payment = VerifiedPayment {
            amount,
            reference: format!(
                "pagoPA IUV {} (IUR {}), verificato dall'ufficio",
                row.iuv, row.iur
            ),
            provider: "pagopa",
        };
        let (_, entry) =
            crate::wallet::credit_entry(&mut tx, now, &actor, &company.id, chamber_id, &payment)
                .await?;
        sqlx::query("UPDATE reconciliation_payments SET resolved_entry_id = $2 WHERE id = $1")
            .bind(id)
            .bind(&entry)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new(
            "wallet.pagopa_anomaly_resolved",
            "reconciliation_payment",
            Some(id),
        )
        .after(json!({
            "resolution": kind, "note": note, "iuv": row.iuv, "iur": row.iur,
            "anomaly": row.result, "amount": amount.to_decimal_string(),
            "company_tax_code": company.as_ref().map(|c| c.tax_code.as_str().to_string()),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
