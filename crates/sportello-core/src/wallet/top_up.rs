//! A chamber administrator records a payment received for a company (bank transfer,
//! counter): the page and `sportello admin wallet credit` both come here. The payment goes to
//! the company's wallet at one chamber: the administrator's own, or (from the command line)
//! the one named, which may be left out only while the platform has a single chamber.

use super::{ManualPayments, PaymentClaim, PaymentError, PaymentProvider, WalletError, credit};
use crate::Ctx;
use crate::audit::Actor;
use crate::chambers;
use crate::money::Money;
use crate::registry::{self, TaxCode};

/// What was typed: the company's tax code, the amount in either decimal style, the payment's
/// reference.
#[derive(Clone, Debug, Default)]
pub struct TopUpRequest {
    pub tax_code: String,
    pub amount: String,
    pub reference: String,
    /// The chamber's code (`GE`); only the command line names it.
    pub chamber: Option<String>,
}

/// The company credited and its balance afterwards.
#[derive(Clone, Debug)]
pub struct TopUp {
    pub company_name: String,
    pub balance: Money,
}

#[derive(Debug, thiserror::Error)]
pub enum TopUpError {
    #[error("'{0}' is not a tax code")]
    TaxCode(String),
    #[error("no company with tax code {0} in the registry")]
    UnknownCompany(String),
    #[error("'{0}' is not a positive amount")]
    Amount(String),
    #[error("a payment reference is required")]
    MissingReference,
    #[error("no chamber with code {0}")]
    UnknownChamber(String),
    /// More than one chamber exists and none was named: the codes to choose from.
    #[error("name the chamber of the wallet: one of {}", .0.join(", "))]
    ChamberRequired(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Credits the company's wallet with a payment the administrator confirms: at
/// `own_chamber_id` (a chamber administrator credits only their own chamber's wallet), else at
/// the chamber the request names.
pub async fn top_up(
    ctx: &Ctx,
    actor: &Actor,
    own_chamber_id: Option<&str>,
    request: &TopUpRequest,
) -> Result<TopUp, TopUpError> {
    let tax_code = TaxCode::parse(&request.tax_code)
        .map_err(|_| TopUpError::TaxCode(request.tax_code.clone()))?;
    let company = registry::find_company_by_tax_code(&ctx.db, &tax_code)
        .await?
        .ok_or_else(|| TopUpError::UnknownCompany(tax_code.to_string()))?;
    let amount =
        Money::parse(&request.amount).map_err(|_| TopUpError::Amount(request.amount.clone()))?;
    let claim = PaymentClaim {
        amount,
        reference: request.reference.clone(),
    };
    let payment = ManualPayments.confirm(&claim).await.map_err(|e| match e {
        PaymentError::MissingReference => TopUpError::MissingReference,
        _ => TopUpError::Amount(request.amount.clone()),
    })?;
    let chamber_id = match own_chamber_id {
        Some(id) => id.to_string(),
        None => chamber_named(ctx, request.chamber.as_deref()).await?,
    };
    let mut tx = ctx.db.begin().await?;
    let balance = credit(
        &mut tx,
        ctx.clock.now(),
        actor,
        &company.id,
        &chamber_id,
        &payment,
    )
    .await
    .map_err(|e| match e {
        WalletError::Db(e) => TopUpError::Db(e),
        _ => TopUpError::Amount(request.amount.clone()),
    })?;
    tx.commit().await?;
    Ok(TopUp {
        company_name: company.name,
        balance,
    })
}

/// The chamber `code` names; with no code, the platform's only chamber.
async fn chamber_named(ctx: &Ctx, code: Option<&str>) -> Result<String, TopUpError> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Ok(chambers::find_chamber_by_code(&ctx.db, code)
            .await?
            .ok_or_else(|| TopUpError::UnknownChamber(code.to_ascii_uppercase()))?
            .id),
        None => {
            let mut all = chambers::list_chambers(&ctx.db).await?;
            match all.len() {
                1 => Ok(all.remove(0).id),
                _ => Err(TopUpError::ChamberRequired(
                    all.into_iter().map(|c| c.code.to_string()).collect(),
                )),
            }
        }
    }
}
