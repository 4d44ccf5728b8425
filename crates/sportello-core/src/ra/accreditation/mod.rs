//! The accreditation of an operator as a typed state machine (RA procedure, part 1): expression
//! of interest (ODR/IR) → mandate sent → signed documents received → sent to the CA →
//! course requested → course passed → (ODR: 48 hours for the CA's corrections) → active;
//! then revocation. One function per transition, each returning the new state or why not.

mod ca;
pub mod steps;

use crate::ra::operator::OperatorKind;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Where an operator stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Registered, nothing done yet.
    New,
    /// RA procedure, part 1: the Master RAO collected the expression of interest (ODR/IR).
    Interest,
    /// The mandate letter signed by the Manager and the forms were sent.
    MandateSent,
    /// The signed documents came back and their signatures were verified.
    DocumentsReceived,
    /// Everything, with the identity document, went to the CA by PEC.
    SentToCa,
    /// The e-learning course was requested from the CA.
    CourseRequested,
    /// The course was passed (RAO, IR): ready to enter the office tree.
    CoursePassed,
    /// RA procedure, part 1: ODR only, about 48 hours for the CA's corrections.
    AwaitingCaCorrections,
    /// In the office tree.
    Active,
    /// A collaborator of a revoked organisation.
    Suspended,
    /// The mandate was revoked.
    Revoked,
}

impl State {
    pub const ALL: [State; 11] = [
        State::New,
        State::Interest,
        State::MandateSent,
        State::DocumentsReceived,
        State::SentToCa,
        State::CourseRequested,
        State::CoursePassed,
        State::AwaitingCaCorrections,
        State::Active,
        State::Suspended,
        State::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Interest => "interest",
            State::MandateSent => "mandate_sent",
            State::DocumentsReceived => "documents_received",
            State::SentToCa => "sent_to_ca",
            State::CourseRequested => "course_requested",
            State::CoursePassed => "course_passed",
            State::AwaitingCaCorrections => "awaiting_ca_corrections",
            State::Active => "active",
            State::Suspended => "suspended",
            State::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Message key of the state's name.
    pub fn label_key(self) -> String {
        format!("ra-state-{}", self.as_str().replace('_', "-"))
    }
}

/// What can be done to an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    RecordInterest,
    SendMandate,
    ReceiveDocuments,
    SendToCa,
    RequestCourse,
    PassCourse,
    Activate,
    Revoke,
    Suspend,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::RecordInterest,
        Step::SendMandate,
        Step::ReceiveDocuments,
        Step::SendToCa,
        Step::RequestCourse,
        Step::PassCourse,
        Step::Activate,
        Step::Revoke,
        Step::Suspend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::RecordInterest => "record_interest",
            Step::SendMandate => "send_mandate",
            Step::ReceiveDocuments => "receive_documents",
            Step::SendToCa => "send_to_ca",
            Step::RequestCourse => "request_course",
            Step::PassCourse => "pass_course",
            Step::Activate => "activate",
            Step::Revoke => "revoke",
            Step::Suspend => "suspend",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("ra-step-{}", self.as_str().replace('_', "-"))
    }
}

/// RA procedure, part 1: after the course, the Master RAO waits about 48 hours for the CA's
/// corrections before entering an ODR in the office tree.
pub const CA_CORRECTION_HOURS: i64 = 48;

/// Why a step cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{step:?} is not possible for an operator in state {state:?}")]
    NotAllowed { state: State, step: Step },
    #[error("a RAO is internal staff: there is no expression of interest")]
    NoInterestForRao,
    #[error("the CA may still send corrections until {until}")]
    CaCorrectionWindow { until: DateTime<Utc> },
}

/// The facts a transition needs besides the state.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub kind: OperatorKind,
    pub now: DateTime<Utc>,
    /// When the ODR's 48-hour wait for the CA's corrections started (the day the course was passed).
    pub ca_window_start: Option<DateTime<Utc>>,
}

/// The allowed-transition table: from which states each step may be taken, and to where.
/// Guards that need more than the state (the 48 hours, RAO without interest) are in
/// [`apply`].
pub fn target(state: State, step: Step, kind: OperatorKind) -> Option<State> {
    use State::*;
    use Step::*;
    match (step, state) {
        (RecordInterest, New) => Some(Interest),
        // RA procedure, part 1: a RAO's letter goes out directly; ODR/IR after their interest.
        (SendMandate, New) if kind == OperatorKind::Rao => Some(MandateSent),
        (SendMandate, Interest) => Some(MandateSent),
        (ReceiveDocuments, MandateSent) => Some(DocumentsReceived),
        (SendToCa, DocumentsReceived) => Some(SentToCa),
        (RequestCourse, SentToCa) => Some(CourseRequested),
        (PassCourse, CourseRequested) if kind == OperatorKind::Odr => Some(AwaitingCaCorrections),
        (PassCourse, CourseRequested) => Some(CoursePassed),
        // A yearly renewal of the course keeps the operator where they are.
        (PassCourse, Active) => Some(Active),
        (PassCourse, Suspended) => Some(Suspended),
        (Activate, CoursePassed) if kind != OperatorKind::Odr => Some(Active),
        (Activate, AwaitingCaCorrections) => Some(Active),
        (Revoke, Revoked) => None,
        (Revoke, _) => Some(Revoked),
        (Suspend, Revoked | Suspended) => None,
        (Suspend, _) => Some(Suspended),
        _ => None,
    }
}

/// Takes `step` from `state`, with its guards.
pub fn apply(state: State, step: Step, ctx: &Context) -> Result<State, TransitionError> {
    if step == Step::RecordInterest && ctx.kind == OperatorKind::Rao {
        return Err(TransitionError::NoInterestForRao);
    }
    let next = target(state, step, ctx.kind).ok_or(TransitionError::NotAllowed { state, step })?;
    if step == Step::Activate && state == State::AwaitingCaCorrections {
        let until = ca_corrections_until(ctx.ca_window_start.unwrap_or(ctx.now));
        if ctx.now < until {
            return Err(TransitionError::CaCorrectionWindow { until });
        }
    }
    Ok(next)
}

/// RA procedure, part 1: the end of the ODR's wait for the CA's corrections.
pub fn ca_corrections_until(ca_window_start: DateTime<Utc>) -> DateTime<Utc> {
    ca_window_start + Duration::hours(CA_CORRECTION_HOURS)
}

pub fn record_interest(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::RecordInterest, ctx)
}
pub fn send_mandate(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::SendMandate, ctx)
}
pub fn receive_documents(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::ReceiveDocuments, ctx)
}
pub fn send_to_ca(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::SendToCa, ctx)
}
pub fn request_course(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::RequestCourse, ctx)
}
pub fn pass_course(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::PassCourse, ctx)
}
pub fn activate(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::Activate, ctx)
}
pub fn revoke(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::Revoke, ctx)
}
pub fn suspend(state: State, ctx: &Context) -> Result<State, TransitionError> {
    apply(state, Step::Suspend, ctx)
}

/// The steps that may be offered for an operator in `state`.
pub fn next_steps(state: State, kind: OperatorKind) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| !(kind == OperatorKind::Rao && *s == Step::RecordInterest))
        .filter(|s| target(state, *s, kind).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx(kind: OperatorKind) -> Context {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        Context {
            kind,
            now,
            ca_window_start: Some(now - Duration::hours(49)),
        }
    }

    /// The whole matrix, written out: for each kind, state and step, the expected outcome
    /// ("-" = refused). Changing the workflow means changing this table.
    const MATRIX: &[(&str, &str, [&str; 3])] = &[
        // (state, step, [rao, odr, ir])
        ("new", "record_interest", ["-", "interest", "interest"]),
        ("new", "send_mandate", ["mandate_sent", "-", "-"]),
        (
            "interest",
            "send_mandate",
            ["mandate_sent", "mandate_sent", "mandate_sent"],
        ),
        (
            "mandate_sent",
            "receive_documents",
            ["documents_received"; 3],
        ),
        ("documents_received", "send_to_ca", ["sent_to_ca"; 3]),
        ("sent_to_ca", "request_course", ["course_requested"; 3]),
        (
            "course_requested",
            "pass_course",
            ["course_passed", "awaiting_ca_corrections", "course_passed"],
        ),
        ("course_passed", "activate", ["active", "-", "active"]),
        ("awaiting_ca_corrections", "activate", ["active"; 3]),
        ("active", "pass_course", ["active"; 3]),
        ("suspended", "pass_course", ["suspended"; 3]),
    ];

    fn expected(state: State, step: Step, kind: OperatorKind) -> Option<State> {
        let col = match kind {
            OperatorKind::Rao => 0,
            OperatorKind::Odr => 1,
            OperatorKind::Ir => 2,
        };
        if step == Step::Revoke {
            return (state != State::Revoked).then_some(State::Revoked);
        }
        if step == Step::Suspend {
            return (!matches!(state, State::Revoked | State::Suspended))
                .then_some(State::Suspended);
        }
        MATRIX
            .iter()
            .find(|(s, a, _)| *s == state.as_str() && *a == step.as_str())
            .and_then(|(_, _, out)| State::parse(out[col]))
    }

    #[test]
    fn transition_matrix_covers_every_state_and_step() {
        for kind in [OperatorKind::Rao, OperatorKind::Odr, OperatorKind::Ir] {
            for state in State::ALL {
                for step in Step::ALL {
                    let got = apply(state, step, &ctx(kind)).ok();
                    assert_eq!(
                        got,
                        expected(state, step, kind),
                        "{kind:?}: {state:?} × {step:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_odr_waits_48_hours_for_the_ca_corrections() {
        let mut c = ctx(OperatorKind::Odr);
        c.ca_window_start = Some(c.now - Duration::hours(47));
        assert!(matches!(
            activate(State::AwaitingCaCorrections, &c),
            Err(TransitionError::CaCorrectionWindow { .. })
        ));
        c.ca_window_start = Some(c.now - Duration::hours(48));
        assert_eq!(
            activate(State::AwaitingCaCorrections, &c),
            Ok(State::Active)
        );
    }

    #[test]
    fn a_rao_has_no_expression_of_interest() {
        assert_eq!(
            record_interest(State::New, &ctx(OperatorKind::Rao)),
            Err(TransitionError::NoInterestForRao)
        );
        assert!(!next_steps(State::New, OperatorKind::Rao).contains(&Step::RecordInterest));
    }

    #[test]
    fn the_same_step_twice_is_refused() {
        let c = ctx(OperatorKind::Ir);
        let s = send_mandate(State::Interest, &c).unwrap();
        assert!(matches!(
            send_mandate(s, &c),
            Err(TransitionError::NotAllowed { .. })
        ));
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
    }
}
