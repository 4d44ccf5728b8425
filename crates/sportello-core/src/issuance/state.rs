//! The issuance session as a typed state machine: a table of allowed steps and a test that
//! walks the whole matrix. RA procedure, part 2: the operator only verifies the pre-registered
//! data; the identity document is scanned; the applicant follows on a second screen the data,
//! the contract clauses to accept and the OTP entry; the device is personalised and handed
//! over with its holder.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Opened,
    Verified,
    DocumentScanned,
    DeviceAssigned,
    ClausesAccepted,
    OtpSent,
    OtpConfirmed,
    Personalised,
    HandedOver,
    Aborted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The operator checks identity and data (corrections recorded).
    Verify,
    /// The identity document is scanned.
    Scan,
    /// The operator picks the device (from their box or the ODR's consignment).
    AssignDevice,
    /// The applicant accepted every clause on the second screen.
    AcceptClauses,
    /// The CA sends the OTP (again, if asked).
    SendOtp,
    /// The applicant typed the right OTP on the second screen.
    ConfirmOtp,
    /// The CA issued the certificates onto the device.
    Personalise,
    /// The device and its holder were handed over.
    HandOver,
    Abort,
}

use SessionState::*;
use Step::*;

/// Every allowed step: (from, step, to).
pub const TRANSITIONS: &[(SessionState, Step, SessionState)] = &[
    (Opened, Verify, Verified),
    (Verified, Scan, DocumentScanned),
    (DocumentScanned, AssignDevice, DeviceAssigned),
    (DeviceAssigned, AcceptClauses, ClausesAccepted),
    (ClausesAccepted, SendOtp, OtpSent),
    (OtpSent, SendOtp, OtpSent),
    (OtpSent, ConfirmOtp, OtpConfirmed),
    (OtpConfirmed, Personalise, Personalised),
    (Personalised, HandOver, HandedOver),
    (Opened, Abort, Aborted),
    (Verified, Abort, Aborted),
    (DocumentScanned, Abort, Aborted),
    (DeviceAssigned, Abort, Aborted),
    (ClausesAccepted, Abort, Aborted),
    (OtpSent, Abort, Aborted),
    (OtpConfirmed, Abort, Aborted),
    (Personalised, Abort, Aborted),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("step {step:?} is not allowed from {from:?}")]
pub struct StepError {
    pub from: SessionState,
    pub step: Step,
}

impl SessionState {
    pub const ALL: [SessionState; 10] = [
        Opened,
        Verified,
        DocumentScanned,
        DeviceAssigned,
        ClausesAccepted,
        OtpSent,
        OtpConfirmed,
        Personalised,
        HandedOver,
        Aborted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Opened => "opened",
            Verified => "verified",
            DocumentScanned => "document_scanned",
            DeviceAssigned => "device_assigned",
            ClausesAccepted => "clauses_accepted",
            OtpSent => "otp_sent",
            OtpConfirmed => "otp_confirmed",
            Personalised => "personalised",
            HandedOver => "handed_over",
            Aborted => "aborted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("iss-state-{}", self.as_str().replace('_', "-"))
    }

    /// A session has ended: its identity scan is gone.
    pub fn is_final(self) -> bool {
        matches!(self, HandedOver | Aborted)
    }

    pub fn after(self, step: Step) -> Result<SessionState, StepError> {
        TRANSITIONS
            .iter()
            .find(|(f, s, _)| *f == self && *s == step)
            .map(|(_, _, t)| *t)
            .ok_or(StepError { from: self, step })
    }

    pub fn allows(self, step: Step) -> bool {
        self.after(step).is_ok()
    }
}

impl Step {
    pub const ALL: [Step; 9] = [
        Verify,
        Scan,
        AssignDevice,
        AcceptClauses,
        SendOtp,
        ConfirmOtp,
        Personalise,
        HandOver,
        Abort,
    ];
}

/// The stages of a desk issuance as the operator and the applicant see them, in order: the
/// steps of the RA procedure (part 2) grouped the way the desk works them. Sending the OTP and
/// typing it are one stage; a finished session has every stage behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The operator checks the pre-registered data against the identity document.
    Data,
    /// The identity document is scanned.
    Document,
    /// The operator picks the device.
    Device,
    /// The applicant accepts the contract clauses on the second screen.
    Clauses,
    /// The CA sends the OTP; the applicant types it on the second screen.
    Otp,
    /// The CA issues the certificates onto the device.
    Personalisation,
    /// The device goes to the applicant with its holder.
    HandOver,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Data,
        Stage::Document,
        Stage::Device,
        Stage::Clauses,
        Stage::Otp,
        Stage::Personalisation,
        Stage::HandOver,
    ];

    /// The key of the stage's name in the locale files.
    pub fn label_key(self) -> &'static str {
        match self {
            Stage::Data => "iss-stage-data",
            Stage::Document => "iss-stage-document",
            Stage::Device => "iss-stage-device",
            Stage::Clauses => "iss-stage-clauses",
            Stage::Otp => "iss-stage-otp",
            Stage::Personalisation => "iss-stage-personalisation",
            Stage::HandOver => "iss-stage-hand-over",
        }
    }
}

/// Where a stage stands in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageStatus {
    Done,
    Current,
    Ahead,
}

impl SessionState {
    /// The stage the session is at: `None` once it ended (handed over or aborted).
    pub fn stage(self) -> Option<Stage> {
        match self {
            Opened => Some(Stage::Data),
            Verified => Some(Stage::Document),
            DocumentScanned => Some(Stage::Device),
            DeviceAssigned => Some(Stage::Clauses),
            ClausesAccepted | OtpSent => Some(Stage::Otp),
            OtpConfirmed => Some(Stage::Personalisation),
            Personalised => Some(Stage::HandOver),
            HandedOver | Aborted => None,
        }
    }

    /// Every stage with where it stands: a handed-over session has them all done; an aborted
    /// one has none done (nothing was issued).
    pub fn stages(self) -> Vec<(Stage, StageStatus)> {
        let current = self
            .stage()
            .map(|c| Stage::ALL.iter().position(|s| *s == c));
        Stage::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let status = match (self, current) {
                    (HandedOver, _) => StageStatus::Done,
                    (_, Some(Some(c))) if i < c => StageStatus::Done,
                    (_, Some(Some(c))) if i == c => StageStatus::Current,
                    _ => StageStatus::Ahead,
                };
                (*s, status)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_step_names_the_session_state_in_words() {
        for lang in [crate::i18n::Lang::It, crate::i18n::Lang::En] {
            for state in SessionState::ALL {
                let text = lang.t_args("iss-error-step", &[("state", state.as_str().to_string())]);
                let label = lang.t(&state.label_key());
                assert!(text.contains(&label), "{text} should name {label}");
                assert!(!text.contains('_'), "{text} shows a code");
            }
        }
    }

    /// Rows: states in `SessionState::ALL` order; columns: steps in `Step::ALL` order
    /// (verify, scan, assign, clauses, send otp, confirm otp, personalise, hand over, abort).
    /// A number is the index of the state reached; `.` refused.
    const MATRIX: [&str; 10] = [
        "1.......9",
        ".2......9",
        "..3.....9",
        "...4....9",
        "....5...9",
        "....56..9",
        "......7.9",
        ".......89",
        ".........",
        ".........",
    ];

    #[test]
    fn every_session_state_and_step_follows_the_table() {
        for (state, row) in SessionState::ALL.into_iter().zip(MATRIX) {
            for (step, cell) in Step::ALL.into_iter().zip(row.chars()) {
                let got = state
                    .after(step)
                    .map(|s| {
                        char::from(
                            b'0' + SessionState::ALL.iter().position(|x| *x == s).unwrap() as u8,
                        )
                    })
                    .unwrap_or('.');
                assert_eq!(got, cell, "{state:?} × {step:?}");
            }
        }
    }

    #[test]
    fn an_ended_session_takes_no_step() {
        for s in [HandedOver, Aborted] {
            assert!(Step::ALL.iter().all(|st| !s.allows(*st)));
            assert!(s.is_final());
        }
    }

    #[test]
    fn the_issuance_stages_follow_the_session_states_in_order() {
        // Every live state is at a stage, and a later state never sits at an earlier stage.
        let live: Vec<_> = SessionState::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .collect();
        let positions: Vec<usize> = live
            .iter()
            .map(|s| {
                let stage = s.stage().expect("a live state is at a stage");
                Stage::ALL.iter().position(|x| *x == stage).unwrap()
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
        assert_eq!(positions.first(), Some(&0));
        assert_eq!(positions.last(), Some(&(Stage::ALL.len() - 1)));
        // Sending the OTP and typing it are the same stage.
        assert_eq!(ClausesAccepted.stage(), OtpSent.stage());
        // One current stage while live; all done once handed over; none done once aborted.
        for s in live {
            let st = s.stages();
            assert_eq!(
                st.iter()
                    .filter(|(_, x)| *x == StageStatus::Current)
                    .count(),
                1
            );
        }
        assert!(
            HandedOver
                .stages()
                .iter()
                .all(|(_, x)| *x == StageStatus::Done)
        );
        assert!(
            Aborted
                .stages()
                .iter()
                .all(|(_, x)| *x == StageStatus::Ahead)
        );
        assert_eq!(
            DeviceAssigned.stages()[..4],
            [
                (Stage::Data, StageStatus::Done),
                (Stage::Document, StageStatus::Done),
                (Stage::Device, StageStatus::Done),
                (Stage::Clauses, StageStatus::Current),
            ]
        );
    }
}
