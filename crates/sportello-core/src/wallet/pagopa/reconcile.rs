//! The reconciliation import: pagoPA's flow (*flusso di rendicontazione*) tells the chamber
//! which notices were paid; each payment of a pending position is credited to the company's
//! wallet at that chamber, once.
//!
//! - **Idempotent per payment.** A payment is (IUV, IUR, index), unique per chamber: a second
//!   import of the same flow, or another flow reporting the same payment, credits nothing. A
//!   flow already imported is recognised by its identifier and not read again.
//! - **Anomalies for the office.** An unknown IUV, an amount other than the position's, a
//!   second payment of a position already paid, a payment of an expired or cancelled position,
//!   a payment not executed (revoked): recorded, never credited, listed for the office.
//! - **One transaction.** The flow, its payments, the credits and the positions' states are
//!   written together; a failure leaves nothing half-imported.

use super::flow::{self, Flow, FlowError, ReportedPayment};
use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::blobs::BlobError;
use crate::db::{self, Db};
use crate::money::Money;
use crate::wallet::{PaymentClaim, PaymentError, PaymentProvider, VerifiedPayment, WalletError};
use async_trait::async_trait;
use serde::Serialize;
use serde_json::json;

/// The [`PaymentProvider`] of pagoPA: a payment is confirmed when the reconciliation flow
/// reports it executed, for the IUV and the amount of the position.
pub struct PagoPaFlow<'a> {
    pub flow: &'a Flow,
}

#[async_trait]
impl PaymentProvider for PagoPaFlow<'_> {
    fn id(&self) -> &'static str {
        "pagopa"
    }

    /// `claim.reference` is the IUV, `claim.amount` the position's amount.
    async fn confirm(&self, claim: &PaymentClaim) -> Result<VerifiedPayment, PaymentError> {
        let reported = self
            .flow
            .payments
            .iter()
            .filter(|p| p.iuv == claim.reference && p.executed())
            .collect::<Vec<_>>();
        let Some(p) = reported.first() else {
            return Err(PaymentError::NotConfirmed("not in the flow".into()));
        };
        if p.amount != claim.amount {
            return Err(PaymentError::NotConfirmed(format!(
                "paid {}, due {}",
                p.amount.to_decimal_string(),
                claim.amount.to_decimal_string()
            )));
        }
        Ok(VerifiedPayment {
            amount: p.amount,
            reference: format!("pagoPA IUV {} (IUR {})", p.iuv, p.iur),
            provider: self.id(),
        })
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub flow_id: String,
    pub chamber_name: String,
    /// The flow had been imported before: nothing was done.
    pub already_imported: bool,
    pub credited: usize,
    pub credited_total: Money,
    /// Payments recorded by an earlier import (skipped).
    pub duplicates: usize,
    /// (IUV, result) of each anomaly.
    pub anomalies: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The flow is for a creditor that is no chamber here.
    #[error("the flow is addressed to {0}, which is not the tax code of a chamber")]
    UnknownCreditor(String),
    /// The office of one chamber imports only its own flows.
    #[error("the flow is addressed to another chamber")]
    OtherChamber,
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl ImportError {
    /// The message key of the error (`pagopa-import-…`, or the flow's).
    pub fn key(&self) -> &'static str {
        match self {
            ImportError::Flow(e) => e.key(),
            ImportError::UnknownCreditor(_) => "pagopa-import-unknown-creditor",
            ImportError::OtherChamber => "pagopa-import-other-chamber",
            _ => "pagopa-import-failed",
        }
    }
}

#[derive(sqlx::FromRow)]
struct Target {
    id: String,
    company_id: String,
    amount_cents: i64,
    state: String,
    expires_on: String,
}

/// Imports a reconciliation flow file. `only_chamber`: the importing office's chamber (the
/// page); `None` from the command line.
pub async fn import(
    ctx: &Ctx,
    actor: &Actor,
    bytes: &[u8],
    only_chamber: Option<&str>,
) -> Result<ImportReport, ImportError> {
    let flow = flow::parse(bytes)?;
    let chamber_id = super::chamber_by_tax_code(&ctx.db, &flow.receiver_tax_code)
        .await?
        .ok_or_else(|| ImportError::UnknownCreditor(flow.receiver_tax_code.clone()))?;
    if only_chamber.is_some_and(|c| c != chamber_id) {
        return Err(ImportError::OtherChamber);
    }
    let chamber_name = crate::chambers::get_chamber(&ctx.db, &chamber_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let mut report = ImportReport {
        flow_id: flow.flow_id.clone(),
        chamber_name,
        ..ImportReport::default()
    };
    let seen: Option<String> = sqlx::query_scalar(
        "SELECT id FROM reconciliation_flows WHERE chamber_id = $1 AND flow_id = $2",
    )
    .bind(&chamber_id)
    .bind(&flow.flow_id)
    .fetch_optional(ctx.db.pool())
    .await?;
    if seen.is_some() {
        report.already_imported = true;
        return Ok(report);
    }
    let blob = ctx.blobs.put(bytes).await?;
    let now = ctx.clock.now();
    let provider = PagoPaFlow { flow: &flow };
    let mut tx = ctx.db.begin().await?;
    let flow_row = db::new_id();
    sqlx::query(
        "INSERT INTO reconciliation_flows (id, chamber_id, flow_id, flow_at, settlement_id, \
         settlement_date, sender, payments, total_cents, blob, imported_by, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&flow_row)
    .bind(&chamber_id)
    .bind(&flow.flow_id)
    .bind(&flow.flow_at)
    .bind(&flow.settlement_id)
    .bind(flow.settlement_date.to_string())
    .bind(&flow.sender)
    .bind(flow.payment_count)
    .bind(flow.total.cents())
    .bind(&blob)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    let mut credited_cents = 0;
    for p in &flow.payments {
        let recorded: Option<String> = sqlx::query_scalar(
            "SELECT id FROM reconciliation_payments WHERE chamber_id = $1 AND iuv = $2 \
             AND iur = $3 AND payment_index = $4",
        )
        .bind(&chamber_id)
        .bind(&p.iuv)
        .bind(&p.iur)
        .bind(p.index)
        .fetch_optional(&mut *tx)
        .await?;
        if recorded.is_some() {
            report.duplicates += 1;
            continue;
        }
        let target: Option<Target> = sqlx::query_as(
            "SELECT id, company_id, amount_cents, state, expires_on FROM payment_positions \
             WHERE chamber_id = $1 AND iuv = $2",
        )
        .bind(&chamber_id)
        .bind(&p.iuv)
        .fetch_optional(&mut *tx)
        .await?;
        let result = match &target {
            None => "unknown_iuv",
            Some(_) if !p.executed() => "not_executed",
            Some(t) if t.state == "paid" => "already_paid",
            Some(t) if t.state != "pending" || t.expires_on < p.outcome_date.to_string() => {
                "expired"
            }
            Some(t) => {
                let claim = PaymentClaim {
                    amount: Money::from_cents(t.amount_cents),
                    reference: p.iuv.clone(),
                };
                match provider.confirm(&claim).await {
                    Ok(payment) => {
                        credit(&mut tx, now, actor, &chamber_id, t, &payment).await?;
                        credited_cents += payment.amount.cents();
                        "credited"
                    }
                    Err(_) => "amount_mismatch",
                }
            }
        };
        if result == "expired"
            && let Some(t) = &target
        {
            sqlx::query(
                "UPDATE payment_positions SET state = 'expired' WHERE id = $1 AND state = 'pending'",
            )
            .bind(&t.id)
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            &flow_row,
            &chamber_id,
            p,
            target.as_ref().map(|t| t.id.as_str()),
            result,
            now,
        )
        .await?;
        if result == "credited" {
            report.credited += 1;
        } else {
            report.anomalies.push((p.iuv.clone(), result.to_string()));
        }
    }
    report.credited_total = Money::from_cents(credited_cents);
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&chamber_id)),
        Change::new(
            "wallet.pagopa_import",
            "reconciliation_flow",
            Some(&flow_row),
        )
        .after(json!({
            "flow": flow.flow_id, "payments": flow.payments.len(), "credited": report.credited,
            "credited_total": report.credited_total.to_decimal_string(),
            "anomalies": report.anomalies.len(), "duplicates": report.duplicates,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

async fn credit(
    tx: &mut db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    chamber_id: &str,
    t: &Target,
    payment: &VerifiedPayment,
) -> Result<(), ImportError> {
    let (_, entry) =
        crate::wallet::credit_entry(tx, now, actor, &t.company_id, chamber_id, payment).await?;
    sqlx::query(
        "UPDATE payment_positions SET state = 'paid', paid_at = $1, wallet_entry_id = $2 \
         WHERE id = $3",
    )
    .bind(db::instant(now))
    .bind(entry)
    .bind(&t.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn record(
    tx: &mut db::Tx,
    flow_row: &str,
    chamber_id: &str,
    p: &ReportedPayment,
    position_id: Option<&str>,
    result: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reconciliation_payments (id, flow_id, chamber_id, iuv, iur, payment_index, \
         amount_cents, outcome_code, outcome_date, position_id, result, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(db::new_id())
    .bind(flow_row)
    .bind(chamber_id)
    .bind(&p.iuv)
    .bind(&p.iur)
    .bind(p.index)
    .bind(p.amount.cents())
    .bind(&p.outcome_code)
    .bind(p.outcome_date.to_string())
    .bind(position_id)
    .bind(result)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A payment the import did not credit, for the office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Anomaly {
    pub id: String,
    pub created_at: String,
    pub flow_id: String,
    pub iuv: String,
    pub iur: String,
    pub amount_cents: i64,
    /// `unknown_iuv`, `amount_mismatch`, `already_paid`, `expired` or `not_executed`.
    pub result: String,
    /// What the position asked, when there is one.
    pub due_cents: Option<i64>,
    pub company_name: Option<String>,
    pub company_tax_code: Option<String>,
    /// `note` or `credited` once the office resolved it ([`super::resolve`]).
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    /// The company whose wallet was credited.
    pub resolved_company_name: Option<String>,
}

/// The columns of an [`Anomaly`], before its `WHERE`.
macro_rules! select_anomalies {
    () => {
        "SELECT rp.id, rp.created_at, rf.flow_id, rp.iuv, rp.iur, rp.amount_cents, rp.result, \
         pp.amount_cents AS due_cents, companies.name AS company_name, \
         companies.tax_code AS company_tax_code, rp.resolution, rp.resolution_note, \
         rp.resolved_by, rp.resolved_at, rc.name AS resolved_company_name \
         FROM reconciliation_payments rp \
         JOIN reconciliation_flows rf ON rf.id = rp.flow_id \
         LEFT JOIN payment_positions pp ON pp.id = rp.position_id \
         LEFT JOIN companies ON companies.id = pp.company_id \
         LEFT JOIN companies rc ON rc.id = rp.resolved_company_id "
    };
}

/// The chamber's anomalies, the unresolved first, each group newest first.
pub async fn anomalies(db: &Db, chamber_id: &str, limit: i64) -> Result<Vec<Anomaly>, sqlx::Error> {
    sqlx::query_as(concat!(
        select_anomalies!(),
        "WHERE rp.chamber_id = $1 AND rp.result <> 'credited' \
         ORDER BY CASE WHEN rp.resolution IS NULL THEN 0 ELSE 1 END, \
         rp.created_at DESC, rp.id DESC LIMIT $2",
    ))
    .bind(chamber_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// The anomaly `id` of `chamber_id`; `None` for another chamber's or a credited payment.
pub async fn anomaly(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Anomaly>, sqlx::Error> {
    sqlx::query_as(concat!(
        select_anomalies!(),
        "WHERE rp.chamber_id = $1 AND rp.id = $2 AND rp.result <> 'credited'",
    ))
    .bind(chamber_id)
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// A flow imported, for the office's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ImportedFlow {
    pub flow_id: String,
    pub settlement_date: String,
    pub sender: String,
    pub payments: i64,
    pub total_cents: i64,
    pub imported_at: String,
}

/// The chamber's flows, newest first.
pub async fn flows(
    db: &Db,
    chamber_id: &str,
    limit: i64,
) -> Result<Vec<ImportedFlow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT flow_id, settlement_date, sender, payments, total_cents, imported_at \
         FROM reconciliation_flows WHERE chamber_id = $1 ORDER BY imported_at DESC, id DESC LIMIT $2",
    )
    .bind(chamber_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
