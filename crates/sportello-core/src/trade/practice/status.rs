//! The life of a practice, as a typed state machine.
//!
//! Company side (Cert'O guide): a practice is composed (*to send*), sent (gets its protocol
//! number), and may come back *to rectify*, to be resent within the chamber's deadline.
//! Chamber side: the office takes it in charge, asks for a rectification, approves or
//! rejects it; a rectification not done in time is rejected automatically. Every change of
//! status is one of the transitions below; anything else is refused.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeStatus {
    /// Composed, not yet sent ("da inviare").
    Draft,
    /// Sent to the chamber, waiting for an officer.
    Sent,
    /// An officer is working on it.
    InReview,
    /// Sent back to the company for corrections ("da rettificare").
    ToRectify,
    /// Closed positively: the certificate or visa is issued.
    Approved,
    /// Closed negatively, by an officer or because the rectification deadline passed.
    Rejected,
    /// Withdrawn by the company before sending.
    Withdrawn,
}

/// What can happen to a practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeAction {
    Send,
    Withdraw,
    TakeInCharge,
    RequestRectification,
    Resend,
    Approve,
    Reject,
    /// The rectification deadline passed (the scheduled job).
    Expire,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a practice that is {from:?} cannot {action:?}")]
pub struct TransitionError {
    pub from: PracticeStatus,
    pub action: PracticeAction,
}

impl PracticeStatus {
    pub const ALL: [PracticeStatus; 7] = [
        PracticeStatus::Draft,
        PracticeStatus::Sent,
        PracticeStatus::InReview,
        PracticeStatus::ToRectify,
        PracticeStatus::Approved,
        PracticeStatus::Rejected,
        PracticeStatus::Withdrawn,
    ];

    /// The states a practice leaves again: the work in flight, which `/metrics` counts at
    /// every scrape. The others only grow.
    pub const OPEN: [PracticeStatus; 4] = [
        PracticeStatus::Draft,
        PracticeStatus::Sent,
        PracticeStatus::InReview,
        PracticeStatus::ToRectify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PracticeStatus::Draft => "draft",
            PracticeStatus::Sent => "sent",
            PracticeStatus::InReview => "in_review",
            PracticeStatus::ToRectify => "to_rectify",
            PracticeStatus::Approved => "approved",
            PracticeStatus::Rejected => "rejected",
            PracticeStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<PracticeStatus> {
        PracticeStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            PracticeStatus::Draft => "trade-status-draft",
            PracticeStatus::Sent => "trade-status-sent",
            PracticeStatus::InReview => "trade-status-in-review",
            PracticeStatus::ToRectify => "trade-status-to-rectify",
            PracticeStatus::Approved => "trade-status-approved",
            PracticeStatus::Rejected => "trade-status-rejected",
            PracticeStatus::Withdrawn => "trade-status-withdrawn",
        }
    }

    /// Whether the practice is closed (and will move to the archive after two years).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            PracticeStatus::Approved | PracticeStatus::Rejected | PracticeStatus::Withdrawn
        )
    }

    /// Whether the company may still change the practice's attachments and details.
    pub fn editable_by_company(self) -> bool {
        matches!(self, PracticeStatus::Draft | PracticeStatus::ToRectify)
    }

    /// The allowed transitions; everything else is a [`TransitionError`].
    pub fn apply(self, action: PracticeAction) -> Result<PracticeStatus, TransitionError> {
        use PracticeAction as A;
        use PracticeStatus as S;
        match (self, action) {
            (S::Draft, A::Send) => Ok(S::Sent),
            (S::Draft, A::Withdraw) => Ok(S::Withdrawn),
            (S::Sent, A::TakeInCharge) => Ok(S::InReview),
            (S::Sent | S::InReview, A::RequestRectification) => Ok(S::ToRectify),
            // Cert'O guide, slide 60: the company corrects and resends; the office works it again.
            (S::ToRectify, A::Resend) => Ok(S::Sent),
            (S::ToRectify, A::Expire) => Ok(S::Rejected),
            // Approval ends the examination an officer started by taking the practice in
            // charge (`desk::decide::approval_needs_the_practice_in_charge`).
            (S::InReview, A::Approve) => Ok(S::Approved),
            (S::Sent | S::InReview | S::ToRectify, A::Reject) => Ok(S::Rejected),
            (from, action) => Err(TransitionError { from, action }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PracticeAction as A;
    use PracticeStatus as S;

    const ACTIONS: [PracticeAction; 8] = [
        A::Send,
        A::Withdraw,
        A::TakeInCharge,
        A::RequestRectification,
        A::Resend,
        A::Approve,
        A::Reject,
        A::Expire,
    ];

    /// Every state × every action, written out: `None` means refused.
    fn expected(from: S, action: A) -> Option<S> {
        match (from, action) {
            (S::Draft, A::Send) => Some(S::Sent),
            (S::Draft, A::Withdraw) => Some(S::Withdrawn),
            (S::Sent, A::TakeInCharge) => Some(S::InReview),
            (S::Sent, A::RequestRectification) => Some(S::ToRectify),
            (S::InReview, A::RequestRectification) => Some(S::ToRectify),
            (S::ToRectify, A::Resend) => Some(S::Sent),
            (S::ToRectify, A::Expire) => Some(S::Rejected),
            (S::InReview, A::Approve) => Some(S::Approved),
            (S::Sent, A::Reject) => Some(S::Rejected),
            (S::InReview, A::Reject) => Some(S::Rejected),
            (S::ToRectify, A::Reject) => Some(S::Rejected),
            _ => None,
        }
    }

    #[test]
    fn practice_transition_matrix_is_exactly_the_workflow() {
        for from in S::ALL {
            for action in ACTIONS {
                assert_eq!(
                    from.apply(action).ok(),
                    expected(from, action),
                    "{from:?} × {action:?}"
                );
            }
        }
    }

    #[test]
    fn closed_practices_accept_no_action() {
        for from in S::ALL.into_iter().filter(|s| s.is_closed()) {
            for action in ACTIONS {
                assert!(from.apply(action).is_err());
            }
        }
    }
}
