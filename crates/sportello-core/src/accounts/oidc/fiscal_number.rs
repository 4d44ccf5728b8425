//! The person's tax code as an identity provider states it.

use crate::registry::{TaxCode, TaxCodeError};

/// Why the tax-code claim cannot identify a person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FiscalNumberError {
    #[error("the identity provider sent no fiscal_number claim")]
    Missing,
    #[error("the fiscal_number claim is not a tax code: {0}")]
    Invalid(TaxCodeError),
    #[error("the fiscal_number claim is a company's tax code, not a person's")]
    NotPersonal,
}

/// SPID and CIE attribute `fiscalNumber` (AgID's SPID rules; the OpenID Connect brokers pass it
/// as the `fiscal_number` claim): the person's codice fiscale, usually in the ETSI form
/// `TINIT-<code>` (EN 319 412-1, as in qualified certificates). The prefix is accepted and
/// stripped; the code must be a person's, with its check character right.
pub fn person_tax_code(claim: Option<&str>) -> Result<TaxCode, FiscalNumberError> {
    let raw = claim.map(str::trim).filter(|c| !c.is_empty());
    let Some(raw) = raw else {
        return Err(FiscalNumberError::Missing);
    };
    let code = match raw.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("TINIT-") => &raw[6..],
        _ => raw,
    };
    let code = TaxCode::parse(code).map_err(FiscalNumberError::Invalid)?;
    if !code.is_personal() {
        return Err(FiscalNumberError::NotPersonal);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tax_code_claim_is_accepted_with_or_without_the_tinit_prefix() {
        for claim in [
            "TINIT-RSSMRA80A01H501U",
            "tinit-rssmra80a01h501u",
            "RSSMRA80A01H501U",
        ] {
            assert_eq!(
                person_tax_code(Some(claim)).map(|c| c.as_str().to_string()),
                Ok("RSSMRA80A01H501U".to_string()),
                "{claim}"
            );
        }
    }

    #[test]
    fn the_tax_code_claim_must_be_a_valid_personal_code() {
        assert_eq!(person_tax_code(None), Err(FiscalNumberError::Missing));
        assert_eq!(person_tax_code(Some(" ")), Err(FiscalNumberError::Missing));
        assert!(matches!(
            person_tax_code(Some("TINIT-RSSMRA80A01H501V")),
            Err(FiscalNumberError::Invalid(TaxCodeError::CheckCharacter))
        ));
        assert!(matches!(
            person_tax_code(Some("TINIT-12345")),
            Err(FiscalNumberError::Invalid(_))
        ));
        assert_eq!(
            person_tax_code(Some("TINIT-00743110157")),
            Err(FiscalNumberError::NotPersonal)
        );
    }
}
