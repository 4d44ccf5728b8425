//! How the errors of delegations and of a company's users become HTTP answers, for the pages
//! and the API alike.

use crate::web::AppError;
use crate::web::error::trade::revocation_date;
use axum::http::StatusCode;
use sportello_core::accounts::company_users::ManageError;
use sportello_core::accounts::delegation::{DecideError, DelegationRefusal, SubmitError};
use sportello_core::display::usual_case;

fn unprocessable(code: &'static str, key: &'static str) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, key)
}

pub fn submit_error(e: SubmitError) -> AppError {
    let (code, key) = (e.code(), e.key());
    match e {
        SubmitError::CompanyCode(c) | SubmitError::UnknownCompany(c) => {
            unprocessable(code, key).arg("code", c)
        }
        SubmitError::Refused(r) => refusal(r),
        SubmitError::Blob(e) => AppError::internal(e),
        SubmitError::Db(e) => e.into(),
        SubmitError::AlreadyLinked | SubmitError::AlreadyPending => AppError::conflict(code, key),
        SubmitError::CompanyCeased => unprocessable(code, key),
    }
}

fn refusal(r: DelegationRefusal) -> AppError {
    let (code, key) = (r.code(), r.key());
    match r {
        DelegationRefusal::TooLarge => AppError::new(StatusCode::PAYLOAD_TOO_LARGE, code, key),
        DelegationRefusal::SignatureInvalid { problems } => {
            unprocessable(code, key).arg("problems", problems)
        }
        DelegationRefusal::Revoked { holder, at } => unprocessable(code, key)
            .arg("holder", usual_case(&holder))
            .arg("date", revocation_date(&at)),
        DelegationRefusal::RevocationUnavailable { holder } => {
            unprocessable(code, key).arg("holder", usual_case(&holder))
        }
        DelegationRefusal::NotRepresentative { holder, tax_code } => unprocessable(code, key)
            .arg("holder", usual_case(&holder))
            .arg("tax_code", tax_code.unwrap_or_default()),
        DelegationRefusal::Db(e) => e.into(),
        _ => unprocessable(code, key),
    }
}

pub fn decide_error(e: DecideError) -> AppError {
    let key = e.key();
    match e {
        DecideError::Access(e) => e.into(),
        DecideError::Db(e) => e.into(),
        DecideError::ReasonMissing => {
            AppError::invalid(vec![sportello_core::validation::FieldError::new(
                "reason", key,
            )])
        }
        DecideError::AlreadyDecided(_) => AppError::conflict("already_decided", key),
        DecideError::AccountUnusable => AppError::conflict("account_unusable", key),
    }
}

pub fn manage_error(e: ManageError) -> AppError {
    let key = e.key();
    match e {
        ManageError::NotFound => AppError::not_found(),
        ManageError::Db(e) => e.into(),
        ManageError::TaxCode => {
            AppError::invalid(vec![sportello_core::validation::FieldError::new(
                "tax_code", key,
            )])
        }
        ManageError::Email => AppError::invalid(vec![sportello_core::validation::FieldError::new(
            "email", key,
        )]),
        ManageError::Scope => AppError::invalid(vec![sportello_core::validation::FieldError::new(
            "scope", key,
        )]),
        ManageError::AlreadyLinked | ManageError::AlreadyInvited => {
            AppError::conflict("already_linked", key)
        }
        ManageError::Representative => AppError::conflict("representative", key),
        ManageError::NotCompanyAccount => unprocessable("not_company_account", key),
    }
}
