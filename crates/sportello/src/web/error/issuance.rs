//! How the issuance session's errors become HTTP (see `web::error` for the policy). A CA
//! adapter failure stays internal.

use crate::web::{AppError, FieldError};
use sportello_core::issuance::SessionError;

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> Self {
        use SessionError::*;
        match e {
            NotAnOperator => AppError::forbidden(),
            CannotAct(r) => AppError::conflict("operator_cannot_act", "dev-error-cannot-act")
                .arg("reasons", r.join(", ")),
            Step(s) => AppError::conflict("step_not_allowed", "iss-error-step")
                .arg("state", s.from.as_str()),
            Changed => AppError::conflict("session_changed", "iss-error-changed"),
            Invalid(f) => AppError::invalid(f),
            Scan(_) => AppError::invalid(vec![FieldError::new("file", "iss-error-scan-type")]),
            DeviceUnavailable => AppError::conflict("device_unavailable", "iss-error-device"),
            NotFree(_) => AppError::conflict("not_eligible_free", "dev-free-not-eligible"),
            AppointmentNotBooked => AppError::conflict("not_booked", "appt-error-not-booked"),
            WrongCode => AppError::invalid(vec![FieldError::new("code", "iss-error-code")]),
            TooManyAttempts => AppError::too_many_requests(),
            Move(e) => e.into(),
            Grant(e) => e.into(),
            Advance(e) => e.into(),
            Ca(e) => AppError::internal(e),
            Blob(e) => e.into(),
            Db(e) => e.into(),
        }
    }
}
