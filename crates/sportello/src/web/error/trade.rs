//! How the foreign-trade use cases' errors become HTTP answers: a status, a stable `code`,
//! and a message key (with the fields concerned). Shared by pages and the API, so both say
//! the same thing.

use crate::web::{AppError, FieldError};
use axum::http::StatusCode;
use sportello_core::i18n::Lang;
use sportello_core::trade::desk::certificate::IssueError;
use sportello_core::trade::desk::decide::DecisionError;
use sportello_core::trade::desk::security_code::CodeError;
use sportello_core::trade::desk::verify::VerifyError;
use sportello_core::trade::model::ModelError;
use sportello_core::trade::practice::attachments::AttachmentError;
use sportello_core::trade::practice::create::CreateError;
use sportello_core::trade::practice::details::DetailsError;
use sportello_core::trade::practice::send::SendError;
use sportello_core::trade::practice::signed_model::ReplaceError;
use sportello_core::wallet::{ChamberChoiceError, TopUpError};

fn invalid(problems: Vec<sportello_core::trade::form::FieldProblem>) -> AppError {
    AppError::invalid(problems.into_iter().map(FieldError::from).collect())
}

fn unprocessable(code: &'static str, key: &'static str) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, key)
}

/// The problems of a signature report, in Italian and in English.
pub fn signature_problems(report: &firma::Report) -> (String, String) {
    let mut it = Vec::new();
    let mut en = Vec::new();
    for p in &report.problems {
        it.push(p.message_it());
        en.push(p.message_en());
    }
    for s in &report.signers {
        let name = |lang| {
            sportello_core::display::signer(lang, &s.subject, s.tax_code.as_deref(), "", None)
        };
        let (name_it, name_en) = (name(Lang::It), name(Lang::En));
        for p in &s.problems {
            it.push(format!("{name_it}: {}", p.message_it()));
            en.push(format!("{name_en}: {}", p.message_en()));
        }
    }
    (it.join("; "), en.join("; "))
}

pub fn create_error(e: CreateError) -> AppError {
    match e {
        CreateError::NoFile => unprocessable("signed_model_missing", "trade-upload-missing"),
        CreateError::TooLarge => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "error-payload-too-large",
        ),
        CreateError::NotSigned => unprocessable("not_signed", "trade-upload-not-signed"),
        CreateError::NotCades => unprocessable("not_cades", "trade-upload-not-cades"),
        CreateError::SignatureInvalid(report) => {
            let (it, en) = signature_problems(&report);
            unprocessable("signature_invalid", "trade-upload-signature-invalid")
                .arg("problems_it", it)
                .arg("problems_en", en)
        }
        CreateError::ModelMismatch => {
            unprocessable("model_mismatch", "trade-upload-model-mismatch")
        }
        CreateError::ModelOfAnotherCompany => {
            unprocessable("model_other_company", "trade-upload-model-other-company")
        }
        CreateError::Refused(r) => r.into(),
        CreateError::UnknownDesk => {
            AppError::invalid(vec![FieldError::new("desk", "trade-field-desk")])
        }
        CreateError::DeskOfAnotherChamber { chamber } => {
            unprocessable("desk_of_another_chamber", "trade-desk-other-chamber")
                .arg("chamber", chamber)
        }
        CreateError::SignerRevoked { holder, at } => {
            unprocessable("signer_revoked", "trade-upload-signer-revoked")
                .arg("holder", sportello_core::display::usual_case(&holder))
                .arg("date", revocation_date(&at))
        }
        CreateError::RevocationUnavailable { holder } => unprocessable(
            "revocation_unavailable",
            "trade-upload-revocation-unavailable",
        )
        .arg("holder", sportello_core::display::usual_case(&holder)),
        CreateError::SignerNotCompanyPerson {
            holder,
            tax_code: Some(tax_code),
        } => unprocessable(
            "signer_not_company_person",
            "trade-upload-signer-not-company-person",
        )
        .arg("holder", sportello_core::display::usual_case(&holder))
        .arg("tax_code", tax_code),
        CreateError::SignerNotCompanyPerson {
            holder,
            tax_code: None,
        } => unprocessable(
            "signer_not_company_person",
            "trade-upload-signer-without-tax-code",
        )
        .arg("holder", sportello_core::display::usual_case(&holder)),
        CreateError::Details(e) => details_error(e),
        CreateError::Blob(e) => AppError::internal(e),
        CreateError::Db(e) => e.into(),
    }
}

/// A revocation instant (RFC 3339) as people read it: `06/12/2026`.
pub(crate) fn revocation_date(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            sportello_core::display::date(sportello_core::clock::italian_day(
                t.with_timezone(&chrono::Utc),
            ))
        })
        .unwrap_or_else(|_| at.to_string())
}

/// A refused replacement of the signed model: the upload's own checks say what they say for
/// the first upload; the rest names the rule of the rectification.
pub fn replace_error(e: ReplaceError) -> AppError {
    match e {
        ReplaceError::NotFound => AppError::not_found(),
        ReplaceError::NotInRectification(_) => {
            AppError::conflict("not_in_rectification", "trade-resign-not-in-rectification")
        }
        ReplaceError::DeadlinePassed => {
            AppError::conflict("rectification_expired", "trade-resign-deadline-passed")
        }
        ReplaceError::ChangedMeanwhile => {
            AppError::conflict("changed_meanwhile", "trade-resign-changed-meanwhile")
        }
        ReplaceError::OtherModel => {
            unprocessable("model_of_other_practice", "trade-resign-other-model")
        }
        ReplaceError::SameModel => unprocessable("same_model", "trade-resign-same-model"),
        ReplaceError::Upload(e) => create_error(e),
        ReplaceError::Blob(e) => AppError::internal(e),
        ReplaceError::Db(e) => e.into(),
    }
}

pub fn details_error(e: DetailsError) -> AppError {
    match e {
        DetailsError::Invalid(p) => invalid(p),
        DetailsError::NotEditable(_) => AppError::conflict("not_editable", "trade-not-editable"),
        DetailsError::NotFound => AppError::not_found(),
        DetailsError::Refused(r) => r.into(),
        DetailsError::Db(e) => e.into(),
    }
}

pub fn attachment_error(e: AttachmentError) -> AppError {
    match e {
        AttachmentError::Invalid(p) => AppError::invalid(p),
        AttachmentError::NotEditable(_) => AppError::conflict("not_editable", "trade-not-editable"),
        AttachmentError::TooMany => {
            unprocessable("too_many_attachments", "trade-attachment-too-many")
        }
        AttachmentError::NotFound => AppError::not_found(),
        AttachmentError::Refused(r) => r.into(),
        AttachmentError::Blob(e) => AppError::internal(e),
        AttachmentError::Db(e) => e.into(),
    }
}

pub fn model_error(e: ModelError) -> AppError {
    match e {
        ModelError::Invalid(p) => invalid(p),
        ModelError::SiteOfAnotherCompany => {
            AppError::invalid(vec![FieldError::new("site_id", "trade-field-site")])
        }
        ModelError::UnknownCompanyOrSite => {
            AppError::invalid(vec![FieldError::new("site_id", "trade-field-site")])
        }
        ModelError::Refused(r) => r.into(),
        ModelError::Db(e) => e.into(),
    }
}

pub fn send_error(e: SendError) -> AppError {
    match e {
        SendError::NotFound => AppError::not_found(),
        SendError::NotSendable(_) => AppError::conflict("not_sendable", "trade-send-not-sendable"),
        SendError::Incomplete(p) => invalid(p),
        SendError::ProfileIncomplete => AppError::invalid(vec![FieldError::new(
            "profile",
            "trade-send-profile-required",
        )]),
        SendError::DeskOfAnotherChamber { chamber } => {
            unprocessable("desk_of_another_chamber", "trade-desk-other-chamber")
                .arg("chamber", chamber)
        }
        SendError::InsufficientBalance {
            fee,
            resend,
            balance,
            missing,
        } => AppError::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_balance",
            if resend {
                "trade-resend-insufficient-balance"
            } else {
                "trade-send-insufficient-balance"
            },
        )
        .arg("fee", fee.to_italian())
        .arg("balance", balance.to_italian())
        .arg("missing", missing.to_italian()),
        SendError::Fee(_) => AppError::conflict("tariff_missing", "trade-send-tariff-missing"),
        SendError::Refused(r) => r.into(),
        SendError::KeyReused => unprocessable("idempotency_key_reused", "trade-send-key-reused"),
        SendError::Wallet(e) => AppError::internal(e),
        SendError::Db(e) => e.into(),
    }
}

/// The message of a refused top-up (the page shows it beside the form, the CLI prints it).
pub fn top_up_error_key(e: &TopUpError) -> &'static str {
    match e {
        TopUpError::TaxCode(_) => "trade-lookup-tax-code",
        TopUpError::UnknownCompany(_) => "trade-start-not-found",
        TopUpError::Amount(_) => "trade-field-amount",
        TopUpError::MissingReference => "trade-admin-wallet-reference",
        TopUpError::UnknownChamber(_) | TopUpError::ChamberRequired(_) => {
            "trade-admin-wallet-chamber"
        }
        TopUpError::Db(_) => "error-internal",
    }
}

/// The officer's refused decisions: the page shows the message, the API the code.
impl From<DecisionError> for AppError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::NotFound => AppError::not_found(),
            DecisionError::NotAllowed(_) => {
                AppError::conflict("not_allowed", "desk-error-not-allowed")
            }
            DecisionError::TakenByOther => AppError::conflict("taken_by_other", "desk-error-taken"),
            DecisionError::NotTakenInCharge => {
                AppError::conflict("not_taken_in_charge", "desk-error-not-taken")
            }
            DecisionError::ReasonRequired => {
                AppError::invalid(vec![FieldError::new("reason", "desk-error-reason")])
            }
            DecisionError::UnknownField(name) => AppError::invalid(vec![
                FieldError::new("fields", "desk-error-unknown-field").arg("field", name),
            ]),
            DecisionError::Issue(e) => e.into(),
            DecisionError::Wallet(e) => AppError::internal(e),
            DecisionError::Db(e) => e.into(),
        }
    }
}

impl From<IssueError> for AppError {
    fn from(e: IssueError) -> Self {
        let (code, key) = match e {
            IssueError::NoSeal => ("seal_missing", "desk-error-no-seal"),
            IssueError::BadReplacement => ("bad_replacement", "desk-error-replacement"),
            IssueError::BadDuplicate => ("bad_duplicate", "desk-error-duplicate"),
            IssueError::UnknownCertificate => {
                ("unknown_certificate", "desk-error-unknown-certificate")
            }
            IssueError::FormNotReturned => ("form_not_returned", "desk-error-form-not-returned"),
            IssueError::AlreadyCancelled => ("already_cancelled", "desk-error-already-cancelled"),
            IssueError::InvalidModel => ("invalid_model", "desk-error-invalid-model"),
            other => return AppError::internal(other),
        };
        AppError::conflict(code, key)
    }
}

/// Too many wrong codes: 429; anything else is not the visitor's.
impl From<VerifyError> for AppError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Throttled => AppError::too_many_requests(),
            VerifyError::Code(e) => e.into(),
        }
    }
}

/// The public verification's errors are never the visitor's: storage or the at-rest key.
impl From<CodeError> for AppError {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::Db(e) => e.into(),
            other => AppError::internal(other),
        }
    }
}

/// The wallet meant cannot be told: a 400 naming the chamber, or listing those to choose from.
impl From<ChamberChoiceError> for AppError {
    fn from(e: ChamberChoiceError) -> Self {
        match e {
            ChamberChoiceError::UnknownChamber(code) => {
                AppError::bad_request("unknown_chamber", "trade-wallet-unknown-chamber")
                    .arg("chamber", code)
            }
            ChamberChoiceError::ChamberRequired(codes) => {
                AppError::bad_request("chamber_required", "trade-wallet-chamber-required")
                    .arg("chambers", codes.join(", "))
            }
            ChamberChoiceError::Db(e) => e.into(),
        }
    }
}
