//! A chamber administrator records a payment received for a company (bank transfer,
//! counter): the page and `sportello admin wallet credit` both come here.

use super::{ManualPayments, PaymentClaim, PaymentError, PaymentProvider, WalletError, credit};
use crate::Ctx;
use crate::audit::Actor;
use crate::money::Money;
use crate::registry::{self, TaxCode};

/// What was typed: the company's tax code, the amount in either decimal style, the payment's
/// reference.
#[derive(Clone, Debug, Default)]
pub struct TopUpRequest {
    pub tax_code: String,
    pub amount: String,
    pub reference: String,
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
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Credits the company's wallet with a payment the administrator confirms.
pub async fn top_up(
    ctx: &Ctx,
    actor: &Actor,
    chamber_id: Option<&str>,
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
    let mut tx = ctx.db.begin().await?;
    let balance = credit(
        &mut tx,
        ctx.clock.now(),
        actor,
        &company.id,
        chamber_id,
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
