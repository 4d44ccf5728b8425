//! How the registration authority's errors reach people and programs: each becomes an
//! [`AppError`] with a stable code (the API's `code`) and a message key (the page's text).
//! Database and storage failures stay internal.

use crate::web::AppError;
use axum::http::StatusCode;
use sportello_core::ra::accreditation::TransitionError;
use sportello_core::ra::accreditation::steps::StepError;
use sportello_core::ra::archive::SignatureError;
use sportello_core::ra::checks::SelfCheckError;
use sportello_core::ra::convention::ConventionError;
use sportello_core::ra::course::CourseError;
use sportello_core::ra::manager_signature::ManagerSignatureError;
use sportello_core::ra::mandate::MandateError;
use sportello_core::ra::office::OfficeError;
use sportello_core::ra::operator::{CreateOperatorError, LinkUserError};
use sportello_core::ra::revocation::RevocationError;
use sportello_core::ra::staff_sheet::{MemberProblem, StaffSheetError};

fn unprocessable(code: &'static str, key: &'static str) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, key)
}

use sportello_core::display::date;

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::NotAllowed { state, step } => {
                AppError::conflict("step_not_allowed", "ra-error-step-not-allowed")
                    .arg("step", step.as_str())
                    .arg("state", state.as_str())
            }
            TransitionError::NoInterestForRao => {
                AppError::conflict("no_interest_for_rao", "ra-error-no-interest-for-rao")
            }
            TransitionError::CaCorrectionWindow { until } => {
                AppError::conflict("ca_correction_window", "ra-error-ca-window")
                    .arg("until", sportello_core::display::date_time(until))
            }
        }
    }
}

impl From<SignatureError> for AppError {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::NotSigned { filename } => {
                unprocessable("not_signed", "ra-error-not-signed").arg("file", filename)
            }
            SignatureError::Invalid { filename, problems } => {
                unprocessable("invalid_signature", "ra-error-invalid-signature")
                    .arg("file", filename)
                    .arg("problems", problems)
            }
            SignatureError::WrongSigner {
                filename,
                found,
                expected,
            } => unprocessable("wrong_signer", "ra-error-wrong-signer")
                .arg("file", filename)
                .arg("found", found)
                .arg("expected", expected),
        }
    }
}

impl From<MandateError> for AppError {
    fn from(e: MandateError) -> Self {
        match e {
            MandateError::AfterConventionEnd { convention_end, .. } => {
                unprocessable("after_convention_end", "ra-error-after-convention-end")
                    .arg("date", date(convention_end))
            }
            MandateError::TermRequired => {
                unprocessable("act_term_required", "ra-error-term-required")
            }
            MandateError::TermYears => unprocessable("bad_act_term", "ra-error-term-years"),
            MandateError::TermEndBeforeStart { start, end } => {
                unprocessable("act_term_end_before_start", "ra-error-term-end")
                    .arg("start", date(start))
                    .arg("end", date(end))
            }
            MandateError::TermTwice => unprocessable("act_term_twice", "ra-error-term-twice"),
            MandateError::RemoteOnlyForRaoOrganisation => unprocessable(
                "remote_only_for_rao_organisation",
                "ra-error-remote-only-rao-organisation",
            ),
        }
    }
}

impl From<CourseError> for AppError {
    fn from(e: CourseError) -> Self {
        match e {
            CourseError::ScoreOutOfRange(s) => {
                unprocessable("score_out_of_range", "ra-error-score-range").arg("score", s)
            }
            CourseError::BelowPassMark(s) => {
                unprocessable("course_not_passed", "ra-error-course-not-passed").arg("score", s)
            }
            CourseError::InTheFuture(d) => {
                unprocessable("date_in_future", "ra-error-date-in-future").arg("date", date(d))
            }
        }
    }
}

impl From<StepError> for AppError {
    fn from(e: StepError) -> Self {
        match e {
            StepError::Transition(e) => e.into(),
            StepError::NoConvention => {
                AppError::conflict("no_convention", "ra-error-no-convention")
            }
            StepError::NoCaPec => AppError::conflict("no_ca_pec", "ra-error-no-ca-pec"),
            StepError::Mandate(e) => e.into(),
            StepError::Course(e) => e.into(),
            StepError::OrganisationTakesNoCourse => unprocessable(
                "organisation_takes_no_course",
                "ra-error-organisation-course",
            ),
            StepError::MissingDocument(kind) => {
                unprocessable("missing_document", "ra-error-missing-document")
                    .arg("kind", kind.as_str())
            }
            StepError::Signature(e) => e.into(),
            StepError::NoLegalRep => {
                unprocessable("no_legal_representative", "ra-error-no-legal-rep")
            }
            StepError::Identity(what) => {
                unprocessable("identity_document", "ra-error-identity").arg("what", what)
            }
            StepError::OrganisationNotActive => AppError::conflict(
                "organisation_not_active",
                "ra-error-organisation-not-active",
            ),
            StepError::Office => unprocessable("bad_office", "ra-error-office"),
            StepError::Blob(e) => AppError::internal(e),
            StepError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<CreateOperatorError> for AppError {
    fn from(e: CreateOperatorError) -> Self {
        let (code, key) = match e {
            CreateOperatorError::Kind => ("bad_kind", "ra-error-kind"),
            CreateOperatorError::Name => ("bad_name", "ra-error-name"),
            CreateOperatorError::TaxCode => ("bad_tax_code", "ra-error-tax-code"),
            CreateOperatorError::Email => ("bad_email", "ra-error-email"),
            CreateOperatorError::Pec => ("bad_pec", "ra-error-pec"),
            CreateOperatorError::CollaboratorKind => {
                ("collaborator_kind", "ra-error-collaborator-kind")
            }
            CreateOperatorError::UnknownOrganisation(_) => {
                ("unknown_organisation", "ra-error-unknown-organisation")
            }
            CreateOperatorError::CollaboratorIsAPerson => {
                ("collaborator_is_a_person", "ra-error-collaborator-person")
            }
            CreateOperatorError::OrganisationRevoked => {
                ("organisation_revoked", "ra-error-organisation-revoked")
            }
            CreateOperatorError::LegalRep => ("bad_legal_representative", "ra-error-legal-rep"),
            CreateOperatorError::Duplicate => {
                return AppError::conflict("duplicate_operator", "ra-error-duplicate");
            }
            CreateOperatorError::Access(e) => return e.into(),
            CreateOperatorError::Db(e) => return AppError::internal(e),
        };
        unprocessable(code, key)
    }
}

impl From<LinkUserError> for AppError {
    fn from(e: LinkUserError) -> Self {
        match e {
            LinkUserError::UnknownUser => AppError::not_found(),
            LinkUserError::RoleMismatch => unprocessable("role_mismatch", "ra-error-role-mismatch"),
            LinkUserError::Access(e) => e.into(),
            LinkUserError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<ConventionError> for AppError {
    fn from(e: ConventionError) -> Self {
        match e {
            ConventionError::EndBeforeStart => {
                unprocessable("end_before_start", "ra-error-end-before-start")
            }
            ConventionError::Shortened(d) => {
                unprocessable("convention_shortened", "ra-error-convention-shortened")
                    .arg("date", date(d))
            }
            ConventionError::CaPec => unprocessable("bad_ca_pec", "ra-error-ca-pec"),
            ConventionError::Access(e) => e.into(),
            ConventionError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<OfficeError> for AppError {
    fn from(e: OfficeError) -> Self {
        match e {
            OfficeError::EmptyName => unprocessable("bad_name", "ra-error-name"),
            OfficeError::Kind => unprocessable("bad_office", "ra-error-office"),
            OfficeError::Duplicate => {
                AppError::conflict("duplicate_office", "ra-error-duplicate-office")
            }
            OfficeError::Access(e) => e.into(),
            OfficeError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<SelfCheckError> for AppError {
    fn from(e: SelfCheckError) -> Self {
        match e {
            SelfCheckError::AlreadyDrawn(year) => {
                AppError::conflict("already_drawn", "ra-check-already").arg("year", year)
            }
            SelfCheckError::Empty => AppError::conflict("nothing_to_check", "ra-check-empty"),
            SelfCheckError::NotFound => AppError::not_found(),
            SelfCheckError::Access(e) => e.into(),
            SelfCheckError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<RevocationError> for AppError {
    fn from(e: RevocationError) -> Self {
        match e {
            RevocationError::EffectiveRequired => {
                unprocessable("effective_required", "ra-error-effective-required")
            }
            RevocationError::NoticeDateRequired => {
                unprocessable("notice_date_required", "ra-error-notice-required")
            }
            RevocationError::InTheFuture(d) => {
                unprocessable("date_in_future", "ra-error-date-in-future").arg("date", date(d))
            }
            RevocationError::Reason => unprocessable("reason_required", "ra-error-reason"),
            RevocationError::ThroughTheManager => AppError::conflict(
                "revocation_through_manager",
                "ra-error-revocation-through-manager",
            ),
            RevocationError::ManagerSignature(e) => e.into(),
            RevocationError::Step(e) => e.into(),
            RevocationError::Blob(e) => AppError::internal(e),
            RevocationError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<sportello_core::ra::eligibility::CanActError> for AppError {
    fn from(e: sportello_core::ra::eligibility::CanActError) -> Self {
        match e {
            sportello_core::ra::eligibility::CanActError::UnknownOperator(_) => {
                AppError::not_found()
            }
            sportello_core::ra::eligibility::CanActError::Db(e) => AppError::internal(e),
        }
    }
}

impl From<sportello_core::ra::course_sheet::CourseRequestError> for AppError {
    fn from(e: sportello_core::ra::course_sheet::CourseRequestError) -> Self {
        use sportello_core::ra::course_sheet::CourseRequestError;
        match e {
            CourseRequestError::Step(e) => e.into(),
            CourseRequestError::Db(e) => AppError::internal(e),
            CourseRequestError::Workbook(e) => AppError::internal(e),
        }
    }
}

impl From<StaffSheetError> for AppError {
    fn from(e: StaffSheetError) -> Self {
        match e {
            StaffSheetError::NotAnOrganisation => {
                unprocessable("not_an_organisation", "ra-error-staff-not-organisation")
            }
            StaffSheetError::OrganisationRevoked => {
                AppError::conflict("organisation_revoked", "ra-error-organisation-revoked")
            }
            StaffSheetError::DateRequired => {
                unprocessable("sheet_date_required", "ra-error-staff-date-required")
            }
            StaffSheetError::DateInFuture(d) => {
                unprocessable("date_in_future", "ra-error-staff-date-future").arg("date", date(d))
            }
            StaffSheetError::BeforePrevious(d) => {
                unprocessable("sheet_before_previous", "ra-error-staff-before-previous")
                    .arg("date", date(d))
            }
            StaffSheetError::OutsideMandate { start, end } => {
                unprocessable("sheet_outside_mandate", "ra-error-staff-outside-mandate")
                    .arg("start", date(start))
                    .arg("end", date(end))
            }
            StaffSheetError::SentByRequired => {
                unprocessable("sent_by_required", "ra-error-staff-sent-by")
            }
            StaffSheetError::NoMembers => unprocessable("no_staff", "ra-error-staff-no-members"),
            StaffSheetError::Member { line, problem } => {
                let (code, key) = match problem {
                    MemberProblem::Name => ("bad_name", "ra-error-staff-member-name"),
                    MemberProblem::TaxCode => ("bad_tax_code", "ra-error-staff-member-tax-code"),
                    MemberProblem::NotAPerson => (
                        "collaborator_is_a_person",
                        "ra-error-staff-member-not-a-person",
                    ),
                    MemberProblem::Email => ("bad_email", "ra-error-staff-member-email"),
                    MemberProblem::Twice => ("listed_twice", "ra-error-staff-member-twice"),
                    MemberProblem::TaxCodeTaken => {
                        ("tax_code_taken", "ra-error-staff-member-taken")
                    }
                    MemberProblem::NoLongerOnStaff => {
                        ("no_longer_on_staff", "ra-error-staff-member-no-longer")
                    }
                };
                unprocessable(code, key).arg("line", line)
            }
            StaffSheetError::Mandate(e) => e.into(),
            StaffSheetError::Step(e) => e.into(),
            StaffSheetError::Create(e) => e.into(),
            StaffSheetError::Access(e) => e.into(),
            StaffSheetError::Blob(e) => AppError::internal(e),
            StaffSheetError::Db(e) => AppError::internal(e),
        }
    }
}

/// The Manager's signature, in the queue or on a RAO's revocation notice: each refusal names
/// what is wrong (not signed, altered, someone else's signature — naming who signed —, another
/// document than the one prepared, a revoked certificate).
impl From<ManagerSignatureError> for AppError {
    fn from(e: ManagerSignatureError) -> Self {
        match e {
            ManagerSignatureError::Signature(e) => e.into(),
            ManagerSignatureError::NotThePreparedDocument { filename } => unprocessable(
                "not_the_prepared_document",
                "ra-error-manager-other-document",
            )
            .arg("file", filename),
            ManagerSignatureError::Revoked { holder, at } => {
                unprocessable("signer_revoked", "ra-error-manager-revoked")
                    .arg("holder", sportello_core::display::usual_case(&holder))
                    .arg("at", super::trade::revocation_date(&at))
            }
            ManagerSignatureError::RevocationUnavailable { holder } => unprocessable(
                "revocation_unavailable",
                "ra-error-manager-revocation-unavailable",
            )
            .arg("holder", sportello_core::display::usual_case(&holder)),
            ManagerSignatureError::NoManager => {
                unprocessable("no_manager_tax_code", "ra-error-no-manager")
            }
            ManagerSignatureError::Db(e) => AppError::internal(e),
        }
    }
}

/// The Manager's queue: each refusal of a signed document names what is wrong (not signed,
/// altered, someone else's signature — naming who signed —, a revoked certificate).
impl From<sportello_core::ra::manager::ManagerError> for AppError {
    fn from(e: sportello_core::ra::manager::ManagerError) -> Self {
        use sportello_core::ra::manager::ManagerError;
        match e {
            ManagerError::NotPdf => unprocessable("not_pdf", "ra-error-manager-not-pdf"),
            ManagerError::Reason => unprocessable("reason_required", "ra-error-manager-reason"),
            ManagerError::NoLetterNeeded => {
                AppError::conflict("no_letter_needed", "ra-error-manager-no-letter")
            }
            ManagerError::NotRevocable => {
                AppError::conflict("not_revocable", "ra-error-manager-not-revocable")
            }
            ManagerError::AlreadyWaiting => {
                AppError::conflict("already_waiting", "ra-error-manager-already-waiting")
            }
            ManagerError::NotWaiting => {
                AppError::conflict("not_waiting", "ra-error-manager-not-waiting")
            }
            ManagerError::NoManagerTaxCode => {
                unprocessable("manager_without_tax_code", "ra-error-manager-no-tax-code")
            }
            ManagerError::Signature(e) => e.into(),
            ManagerError::Revocation(e) => (*e).into(),
            ManagerError::Access(e) => e.into(),
            ManagerError::Blob(e) => AppError::internal(e),
            ManagerError::Db(e) => AppError::internal(e),
        }
    }
}
