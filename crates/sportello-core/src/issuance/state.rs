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

#[cfg(test)]
mod tests {
    use super::*;

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
}
