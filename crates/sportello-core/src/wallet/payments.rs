//! Where top-ups come from. A payment provider confirms that money was received; only then
//! is the wallet credited. The embedded default, [`ManualPayments`], is a chamber
//! administrator recording a payment received (bank transfer, counter): the administrator's
//! word is the confirmation, and it is in the audit trail. Online providers (pagoPA, iConto)
//! implement the same trait.

use crate::money::Money;
use async_trait::async_trait;

/// A claimed payment to be confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentClaim {
    pub amount: Money,
    /// The payment's reference (transfer CRO/TRN, receipt number, IUV…).
    pub reference: String,
}

/// A payment the provider confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPayment {
    pub amount: Money,
    pub reference: String,
    pub provider: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the amount must be positive")]
    NotPositive,
    #[error("a payment reference is required")]
    MissingReference,
    #[error("the provider did not confirm the payment: {0}")]
    NotConfirmed(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    fn id(&self) -> &'static str;
    async fn confirm(&self, claim: &PaymentClaim) -> Result<VerifiedPayment, PaymentError>;
}

/// A payment recorded by a chamber administrator.
#[derive(Clone, Copy, Debug, Default)]
pub struct ManualPayments;

#[async_trait]
impl PaymentProvider for ManualPayments {
    fn id(&self) -> &'static str {
        "manual"
    }

    async fn confirm(&self, claim: &PaymentClaim) -> Result<VerifiedPayment, PaymentError> {
        if claim.amount.cents() <= 0 {
            return Err(PaymentError::NotPositive);
        }
        let reference = claim.reference.trim();
        if reference.is_empty() {
            return Err(PaymentError::MissingReference);
        }
        Ok(VerifiedPayment {
            amount: claim.amount,
            reference: reference.to_string(),
            provider: self.id(),
        })
    }
}
