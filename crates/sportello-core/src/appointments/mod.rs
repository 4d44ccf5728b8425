//! Appointments at the desks (RA procedure, part 2): "AGENDA DIGITALE on line di
//! pre-registrazione" at the head office and a booking module for each branch desk. Each desk
//! has an opening plan; a slot's capacity is the number of the desk's operators who may act
//! that day (a valid mandate and course, `ra::can_act`); the applicant pre-registers their data
//! so the operator only verifies it; confirmation and reminder e-mails carry a cancel link;
//! the desk's day view records no-shows.
//!
//! The public form is bounded: every field has a length limit, names hold no link
//! or markup, an applicant has one active booking per service, requests are limited per
//! client address and per e-mail address (`limits`), and a booking holds its slot only briefly
//! until the applicant confirms it from the e-mail (`booking::confirm`).

pub mod applicant;
pub mod booking;
pub mod limits;
pub mod plan;
pub mod reminders;

pub use applicant::ApplicantForm;
pub use booking::{Applicant, Appointment, BookingError, ExpireHolds};
pub use reminders::SendReminders;
