//! How the intermediary use cases' errors become HTTP answers: a mandate refusal names the
//! company and why (issue 15, item 3), the same for pages and the API.

use crate::web::{AppError, FieldError};
use axum::http::StatusCode;
use sportello_core::accounts::company_access::CompanyRefusal;
use sportello_core::accounts::delegation::DelegationRefusal;
use sportello_core::display;
use sportello_core::intermediary::IntermediaryError;
use sportello_core::intermediary::mandate::{MandateError, MandateRefusal};

/// A company-side act refused at the object's company (issue 15, items 2 and 3): not found
/// outside the principal's companies, the scope named, or the mandate's reason.
impl From<CompanyRefusal> for AppError {
    fn from(r: CompanyRefusal) -> Self {
        match r {
            CompanyRefusal::NotFound => AppError::not_found(),
            CompanyRefusal::Scope { company, needed } => AppError::new(
                StatusCode::FORBIDDEN,
                "company_scope",
                match needed {
                    sportello_core::accounts::CompanyScope::Send => "company-scope-refused-send",
                    _ => "company-scope-refused-prepare",
                },
            )
            .arg("company", company),
            CompanyRefusal::Mandate(r) => r.into(),
            CompanyRefusal::Db(e) => e.into(),
        }
    }
}

impl From<MandateRefusal> for AppError {
    fn from(r: MandateRefusal) -> Self {
        let refused = |code, key| AppError::new(StatusCode::FORBIDDEN, code, key);
        match r {
            MandateRefusal::NoMandate { company } => {
                refused("mandate_missing", "mandate-refused-none").arg("company", company)
            }
            MandateRefusal::TypeNotCovered {
                company,
                practice_type,
            } => refused("mandate_type_not_covered", "mandate-refused-type")
                .arg("company", company)
                .arg("type", practice_type.as_str()),
            MandateRefusal::ChamberNotCovered { company, chamber } => {
                refused("mandate_chamber_not_covered", "mandate-refused-chamber")
                    .arg("company", company)
                    .arg("chamber", chamber)
            }
            MandateRefusal::NotStarted { company, from } => {
                refused("mandate_not_started", "mandate-refused-not-started")
                    .arg("company", company)
                    .arg("date", display::date(from))
            }
            MandateRefusal::Expired { company, to } => {
                refused("mandate_expired", "mandate-refused-expired")
                    .arg("company", company)
                    .arg("date", display::date(to))
            }
            MandateRefusal::Revoked { company, on } => {
                refused("mandate_revoked", "mandate-refused-revoked")
                    .arg("company", company)
                    .arg("date", display::date(on))
            }
        }
    }
}

impl From<MandateError> for AppError {
    fn from(e: MandateError) -> Self {
        let field = |f, key| AppError::invalid(vec![FieldError::new(f, key)]);
        match e {
            MandateError::NotRepresentative => AppError::forbidden(),
            MandateError::UnknownIntermediary => {
                field("intermediary_id", "mandate-field-intermediary")
            }
            MandateError::NoPracticeTypes => field("practice_types", "mandate-field-types"),
            MandateError::NoChambers | MandateError::UnknownChamber => {
                field("chamber_ids", "mandate-field-chambers")
            }
            MandateError::BadDates => field("valid_from", "mandate-field-dates"),
            MandateError::EndBeforeStart => field("valid_to", "mandate-field-end-before-start"),
            MandateError::EndInThePast => field("valid_to", "mandate-field-end-past"),
            MandateError::NotFound => AppError::not_found(),
            MandateError::AlreadyRevoked => {
                AppError::conflict("mandate_already_revoked", "mandate-already-revoked")
            }
            MandateError::NotIntermediary => AppError::forbidden(),
            MandateError::UnknownCompany => field("company_tax_code", "mandate-field-company"),
            MandateError::Delegation(r) => {
                let mut f = FieldError::new("delegation", r.key());
                f.args = match &r {
                    DelegationRefusal::SignatureInvalid { problems } => {
                        vec![("problems", problems.clone())]
                    }
                    DelegationRefusal::Revoked { holder, at } => vec![
                        ("holder", display::usual_case(holder)),
                        ("date", display::stored(at)),
                    ],
                    DelegationRefusal::RevocationUnavailable { holder } => {
                        vec![("holder", display::usual_case(holder))]
                    }
                    DelegationRefusal::NotRepresentative { holder, tax_code } => vec![
                        ("holder", display::usual_case(holder)),
                        ("tax_code", tax_code.clone().unwrap_or_default()),
                    ],
                    _ => Vec::new(),
                };
                AppError::invalid(vec![f])
            }
            MandateError::Blob(e) => e.into(),
            MandateError::Db(e) => e.into(),
        }
    }
}

/// A registration or a person refused for what was typed is 422 with the field (a tax code
/// another intermediary holds, or a person working for another one, 409); an intermediary,
/// user or invitation that is not there is 404.
impl From<IntermediaryError> for AppError {
    fn from(e: IntermediaryError) -> Self {
        if let Some(field) = e.field_error() {
            let mut err = AppError::invalid(vec![field]);
            if matches!(
                e,
                IntermediaryError::DuplicateTaxCode(_) | IntermediaryError::OtherIntermediary(_)
            ) {
                err.status = StatusCode::CONFLICT;
            }
            return err;
        }
        match e {
            IntermediaryError::Db(e) => e.into(),
            IntermediaryError::Password(e) => AppError::internal(e),
            IntermediaryError::Unknown | IntermediaryError::NotFound => AppError::not_found(),
            other => AppError::internal(anyhow::anyhow!(other.to_string())),
        }
    }
}
