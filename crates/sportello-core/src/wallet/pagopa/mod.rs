//! pagoPA top-ups (issue 15, item 4): a company asks to top up its wallet at a chamber, the
//! chamber makes a payment position with a notice the company pays on any pagoPA channel, and
//! the wallet is credited when pagoPA's reconciliation flow reports the payment.
//!
//! - [`notice_code`]: the segregation code, the IUV with its check digits, the notice code and
//!   the QR code's text (pagoPA's SACI, aux digit 3).
//! - [`position`]: the payment position, its IUV from a gapless counter per chamber taken in
//!   the transaction that makes it, the notice PDF kept as a blob and mailed via the outbox.
//! - [`flow`]: the reconciliation flow (*flusso di rendicontazione*) read defensively.
//! - [`reconcile`]: the import, a [`super::PaymentProvider`] that confirms a position's payment
//!   from the flow; idempotent per payment; anomalies listed for the office.
//! - [`resolve`]: the office resolves an anomaly, with a note or by crediting a wallet, once.
//! - [`expiry`]: the daily job that marks notices past their expiry as expired.
//!
//! Each chamber is configured as a creditor ([`configure`]): its tax code, its segregation code
//! and, optionally, its CBILL code. A chamber that is not configured makes no notices.

pub mod expiry;
pub mod flow;
pub mod notice_code;
pub mod position;
pub mod reconcile;
pub mod resolve;

pub use notice_code::{NoticeCode, NoticeCodeError, SegregationCode};

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::chambers::{self, Chamber};
use crate::db::Db;
use crate::registry::{TaxCode, TaxCodeKind};
use serde_json::json;

/// A chamber as a pagoPA creditor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creditor {
    pub chamber: Chamber,
    /// The chamber's own tax code (11 digits): the creditor's on every notice.
    pub tax_code: String,
    pub segregation: SegregationCode,
    /// The chamber's CBILL code, when it has one (printed on the notice for home banking).
    pub cbill: Option<String>,
}

/// The chamber `chamber_id` as a creditor; `None` while it is not configured.
pub async fn creditor(db: &Db, chamber_id: &str) -> Result<Option<Creditor>, sqlx::Error> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT tax_code, pagopa_segregation_code, cbill_code FROM chambers WHERE id = $1",
    )
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await?;
    let Some((Some(tax_code), Some(segregation), cbill)) = row else {
        return Ok(None);
    };
    let Ok(segregation) = SegregationCode::parse(&segregation) else {
        return Ok(None);
    };
    let Some(chamber) = chambers::get_chamber(db, chamber_id).await? else {
        return Ok(None);
    };
    Ok(Some(Creditor {
        chamber,
        tax_code,
        segregation,
        cbill: cbill.filter(|c| !c.is_empty()),
    }))
}

/// The chamber whose tax code is `tax_code`.
pub async fn chamber_by_tax_code(db: &Db, tax_code: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM chambers WHERE tax_code = $1")
        .bind(tax_code.trim())
        .fetch_optional(db.pool())
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigureError {
    #[error("no chamber with code {0}")]
    UnknownChamber(String),
    #[error("'{0}' is not the 11-digit tax code of an entity")]
    TaxCode(String),
    #[error("'{0}' is not a segregation code (two digits)")]
    SegregationCode(String),
    #[error("'{0}' is not a CBILL code (five letters or digits)")]
    Cbill(String),
    #[error("another chamber has tax code {0}")]
    TaxCodeTaken(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Configures the chamber `code` as a pagoPA creditor: its tax code, the segregation code
/// PagoPA S.p.A. gave it, and its CBILL code if any. Audited.
pub async fn configure(
    ctx: &Ctx,
    actor: &Actor,
    code: &str,
    tax_code: &str,
    segregation: &str,
    cbill: Option<&str>,
) -> Result<Creditor, ConfigureError> {
    let chamber = chambers::find_chamber_by_code(&ctx.db, code)
        .await?
        .ok_or_else(|| ConfigureError::UnknownChamber(code.to_ascii_uppercase()))?;
    let tax = TaxCode::parse(tax_code)
        .ok()
        .filter(|t| t.kind() == TaxCodeKind::Entity)
        .ok_or_else(|| ConfigureError::TaxCode(tax_code.to_string()))?;
    let seg = SegregationCode::parse(segregation)
        .map_err(|_| ConfigureError::SegregationCode(segregation.to_string()))?;
    let cbill = cbill.map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = cbill
        && (c.len() != 5 || !c.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(ConfigureError::Cbill(c.to_string()));
    }
    if let Some(other) = chamber_by_tax_code(&ctx.db, tax.as_str()).await?
        && other != chamber.id
    {
        return Err(ConfigureError::TaxCodeTaken(tax.to_string()));
    }
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "UPDATE chambers SET tax_code = $1, pagopa_segregation_code = $2, cbill_code = $3 \
         WHERE id = $4",
    )
    .bind(tax.as_str())
    .bind(seg.to_string())
    .bind(cbill.map(str::to_ascii_uppercase))
    .bind(&chamber.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        ctx.clock.now(),
        &actor.clone().in_chamber(Some(&chamber.id)),
        Change::new("chamber.pagopa", "chamber", Some(&chamber.id)).after(json!({
            "tax_code": tax.as_str(), "segregation_code": seg.to_string(), "cbill": cbill,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Creditor {
        chamber,
        tax_code: tax.to_string(),
        segregation: seg,
        cbill: cbill.map(str::to_ascii_uppercase),
    })
}
