//! How the appointments area's errors become HTTP: booking, the desk's day (no-shows) and the
//! opening plan. Shared by every page that shows them (see `web::error` for the policy).

use crate::web::{AppError, FieldError};
use sportello_core::appointments::booking::{BookingError, StatusError};
use sportello_core::appointments::plan::PlanError;

impl From<BookingError> for AppError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Invalid(f) => AppError::invalid(f),
            BookingError::NoSuchSlot => AppError::conflict("no_such_slot", "appt-error-no-slot"),
            BookingError::OutOfRange => {
                AppError::conflict("slot_out_of_range", "appt-error-out-of-range")
            }
            BookingError::SlotFull => AppError::conflict("slot_full", "appt-error-slot-full"),
            BookingError::AlreadyBooked => {
                let mut e = AppError::conflict("already_booked", "appt-error-already-booked");
                e.fields = vec![FieldError::new("tax_code", "appt-error-already-booked")];
                e
            }
            BookingError::TooManyRequests => AppError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "appt-error-too-many",
            ),
            BookingError::Db(e) => e.into(),
        }
    }
}

impl From<StatusError> for AppError {
    fn from(e: StatusError) -> Self {
        match e {
            StatusError::NotFound => AppError::not_found(),
            StatusError::NotBooked => AppError::conflict("not_booked", "appt-error-not-booked"),
            StatusError::NotStarted => AppError::conflict("not_started", "appt-error-not-started"),
            StatusError::Db(e) => e.into(),
        }
    }
}

impl From<PlanError> for AppError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Line(line) => {
                AppError::invalid(vec![FieldError::new("plan", "appt-error-plan-line")])
                    .arg("line", line)
            }
            PlanError::Access(e) => e.into(),
            PlanError::Db(e) => e.into(),
        }
    }
}
