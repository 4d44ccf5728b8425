//! How the devices area's errors become HTTP: every error of a use case maps to a status, a
//! stable code and a message key (see `web::error` for the policy).

use crate::web::{AppError, FieldError};
use axum::http::StatusCode;
use sportello_core::devices::advance::AdvanceError;
use sportello_core::devices::delivery::DeliveryError;
use sportello_core::devices::free::GrantError;
use sportello_core::devices::inventory::{ManualMoveError, MoveError};
use sportello_core::devices::odr_account::OdrAccountError;
use sportello_core::devices::odr_report::ReportError;
use sportello_core::devices::recall::RecallError;
use sportello_core::devices::refund::RefundError;
use sportello_core::devices::withdrawal::WithdrawalError;
use sportello_core::devices::write_off::WriteOffError;

impl From<AdvanceError> for AppError {
    fn from(e: AdvanceError) -> Self {
        match e {
            AdvanceError::InsufficientBalance { balance, needed } => AppError::new(
                StatusCode::CONFLICT,
                "insufficient_advance",
                "dev-error-insufficient-advance",
            )
            .arg("balance", balance.to_italian())
            .arg("needed", needed.to_italian()),
            AdvanceError::NotPositive => {
                AppError::invalid(vec![FieldError::new("amount", "dev-error-amount")])
            }
            AdvanceError::Db(e) => e.into(),
        }
    }
}

impl From<MoveError> for AppError {
    fn from(e: MoveError) -> Self {
        match e {
            MoveError::Transition(t) => AppError::conflict("move_not_allowed", "dev-error-move")
                .arg("state", t.from.as_str())
                .arg("move", t.attempted.as_str()),
            MoveError::Changed => AppError::conflict("device_changed", "dev-error-changed"),
            MoveError::HolderNeeded => {
                AppError::invalid(vec![FieldError::new("operator_id", "dev-error-holder")])
            }
            MoveError::Db(e) => e.into(),
        }
    }
}

impl From<WithdrawalError> for AppError {
    fn from(e: WithdrawalError) -> Self {
        use WithdrawalError::*;
        match e {
            Quantity => {
                AppError::invalid(vec![FieldError::new("smart_cards", "dev-error-quantity")])
            }
            UnknownOperator => {
                AppError::invalid(vec![FieldError::new("operator_id", "dev-error-operator")])
            }
            WrongOperatorKind => AppError::invalid(vec![FieldError::new(
                "operator_id",
                "dev-error-operator-kind",
            )]),
            OperatorCannotAct(reasons) => {
                AppError::conflict("operator_cannot_act", "dev-error-cannot-act")
                    .arg("reasons", reasons.join(", "))
            }
            FreeNotAllowed => AppError::invalid(vec![FieldError::new(
                "free_smart_cards",
                "dev-error-free-not-allowed",
            )]),
            FreeAllowanceExceeded {
                allowance,
                in_use,
                asked,
            } => {
                let mut f = FieldError::new("free_smart_cards", "dev-error-free-allowance");
                f.args.push(("allowance", allowance.to_string()));
                f.args.push(("in_use", in_use.to_string()));
                f.args.push(("asked", asked.to_string()));
                AppError::invalid(vec![f])
            }
            NotEnoughInCabinet {
                kind,
                available,
                needed,
            } => AppError::conflict("not_enough_in_cabinet", "dev-error-cabinet")
                .arg("kind", kind.as_str())
                .arg("available", available)
                .arg("needed", needed),
            SamePerson => AppError::new(
                StatusCode::FORBIDDEN,
                "same_person",
                "dev-error-same-person",
            ),
            NotPending => AppError::conflict("already_decided", "dev-error-decided"),
            NotFound => AppError::not_found(),
            Advance(e) => e.into(),
            Move(e) => e.into(),
            Db(e) => e.into(),
        }
    }
}

impl From<DeliveryError> for AppError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Header => {
                AppError::bad_request("bad_delivery_file", "dev-import-header")
            }
            DeliveryError::Empty => {
                AppError::bad_request("empty_delivery_file", "dev-import-empty")
            }
            DeliveryError::Lines(lines) => {
                let mut err = AppError::invalid(
                    lines
                        .iter()
                        .map(|l| {
                            let mut f = FieldError::new(format!("line {}", l.line), l.reason);
                            f.args.push(("value", l.value.clone()));
                            f
                        })
                        .collect(),
                );
                err.code = "bad_delivery_lines";
                err
            }
            DeliveryError::Sheet(e) => e.into(),
            DeliveryError::Move(e) => e.into(),
            DeliveryError::Db(e) => e.into(),
        }
    }
}

impl From<ManualMoveError> for AppError {
    fn from(e: ManualMoveError) -> Self {
        match e {
            ManualMoveError::NotFound => AppError::not_found(),
            ManualMoveError::NotManual => {
                AppError::invalid(vec![FieldError::new("move", "dev-error-move-unknown")])
            }
            ManualMoveError::NeedsApproval => AppError::new(
                StatusCode::FORBIDDEN,
                "needs_second_person",
                "dev-error-move-needs-approval",
            ),
            ManualMoveError::UnderRecall => {
                AppError::conflict("device_under_recall", "dev-error-under-recall")
            }
            ManualMoveError::Move(e) => e.into(),
            ManualMoveError::Advance(e) => e.into(),
            ManualMoveError::Access(e) => e.into(),
            ManualMoveError::Db(e) => e.into(),
        }
    }
}

impl From<OdrAccountError> for AppError {
    fn from(e: OdrAccountError) -> Self {
        match e {
            OdrAccountError::Receiver(e) => e.into(),
            OdrAccountError::Invalid(fields) => AppError::invalid(fields),
            OdrAccountError::Advance(e) => e.into(),
            OdrAccountError::Access(e) => e.into(),
            OdrAccountError::Db(e) => e.into(),
        }
    }
}

impl From<ReportError> for AppError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Period => {
                AppError::invalid(vec![FieldError::new("period_to", "dev-report-bad-period")])
            }
            ReportError::Header => AppError::bad_request("bad_report_file", "dev-report-header"),
            ReportError::Lines(lines) => AppError::invalid(
                lines
                    .iter()
                    .map(|l| FieldError::new(format!("line {}", l.line), l.key))
                    .collect(),
            ),
            ReportError::Sheet(e) => e.into(),
            ReportError::Db(e) => e.into(),
        }
    }
}

impl From<RefundError> for AppError {
    fn from(e: RefundError) -> Self {
        match e {
            RefundError::NotFound => AppError::not_found(),
            RefundError::NotIssued => AppError::conflict("not_issued", "dev-refund-not-issued"),
            RefundError::NoReason => AppError::invalid(vec![FieldError::new(
                "reason",
                "dev-refund-reason-required",
            )]),
            RefundError::AlreadyDecided => {
                AppError::conflict("already_decided", "dev-refund-already")
            }
            RefundError::NothingToRefund => {
                AppError::conflict("nothing_to_refund", "dev-refund-nothing")
            }
            RefundError::Advance(e) => e.into(),
            RefundError::Db(e) => e.into(),
        }
    }
}

impl From<GrantError> for AppError {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::NotEligible(_) => {
                AppError::conflict("not_eligible_free", "dev-free-not-eligible")
            }
            GrantError::AlreadyGranted => {
                AppError::conflict("free_already_granted", "dev-free-first-no-short")
            }
            GrantError::Db(e) => e.into(),
        }
    }
}

impl From<WriteOffError> for AppError {
    fn from(e: WriteOffError) -> Self {
        match e {
            WriteOffError::NotFound => AppError::not_found(),
            WriteOffError::NotWriteOff => {
                AppError::invalid(vec![FieldError::new("move", "dev-error-move-unknown")])
            }
            WriteOffError::NoReason => AppError::invalid(vec![FieldError::new(
                "reason",
                "dev-write-off-reason-required",
            )]),
            WriteOffError::ReasonTooLong => AppError::invalid(vec![FieldError::new(
                "reason",
                "dev-write-off-reason-too-long",
            )]),
            WriteOffError::Transition(t) => MoveError::Transition(t).into(),
            WriteOffError::AlreadyPending => {
                AppError::conflict("write_off_pending", "dev-write-off-already-pending")
            }
            WriteOffError::SamePerson => AppError::new(
                StatusCode::FORBIDDEN,
                "same_person",
                "dev-write-off-same-person",
            ),
            WriteOffError::NotPending => {
                AppError::conflict("already_decided", "dev-write-off-decided")
            }
            WriteOffError::Move(e) => e.into(),
            WriteOffError::Advance(e) => e.into(),
            WriteOffError::Access(e) => e.into(),
            WriteOffError::Db(e) => e.into(),
        }
    }
}

impl From<RecallError> for AppError {
    fn from(e: RecallError) -> Self {
        match e {
            RecallError::NotFound => AppError::not_found(),
            RecallError::Closed => AppError::conflict("recall_closed", "recall-error-closed"),
            RecallError::NotOutstanding => {
                AppError::conflict("device_not_outstanding", "recall-error-not-outstanding")
            }
            RecallError::AlreadyReported => {
                AppError::conflict("return_already_reported", "recall-error-already-reported")
            }
            RecallError::NotReported => {
                AppError::conflict("return_not_reported", "recall-error-not-reported")
            }
            RecallError::SamePerson => AppError::new(
                StatusCode::FORBIDDEN,
                "same_person",
                "recall-error-same-person",
            ),
            RecallError::NoteTooLong => {
                AppError::invalid(vec![FieldError::new("note", "recall-error-note-too-long")])
            }
            RecallError::Move(e) => e.into(),
            RecallError::Advance(e) => e.into(),
            RecallError::Access(e) => e.into(),
            RecallError::Db(e) => e.into(),
        }
    }
}
