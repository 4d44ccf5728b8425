//! Appointments at the desks (RA procedure, part 2): "AGENDA DIGITALE on line di
//! pre-registrazione" at the head office and a booking module for each branch desk. Each desk
//! has an opening plan; a slot's capacity is the number of the desk's operators who may act
//! that day (a valid mandate and course, `ra::can_act`); the applicant pre-registers their data
//! so the operator only verifies it; confirmation and reminder e-mails carry a cancel link;
//! the desk's day view records no-shows.

pub mod applicant;
pub mod booking;
pub mod plan;
pub mod reminders;

pub use booking::{Applicant, Appointment, BookingError};
pub use reminders::SendReminders;
