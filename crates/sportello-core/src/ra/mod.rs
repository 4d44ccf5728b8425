//! Registration authority, part 1 (RA procedure): the convention with the Certification
//! Authority, the office tree, operators (RAO, ODR, IR) with their mandates and courses, the
//! accreditation workflow, revocation, periodic checks and the restricted archive.
//!
//! Other areas ask [`can_act`] whether an operator may issue devices or book appointments.

pub mod accreditation;
pub mod archive;
pub mod checks;
pub mod convention;
pub mod course;
pub mod course_sheet;
pub mod demo;
pub mod eligibility;
pub mod hooks;
pub mod manager;
pub mod manager_signature;
pub mod mandate;
pub mod office;
pub mod operator;
pub mod publications;
pub mod registry_monitoring;
pub mod required_documents;
pub mod revocation;
pub mod staff_sheet;

pub use eligibility::{CanActError, Eligibility, Reason, can_act};

pub mod access;

pub use accreditation::steps::PurgeIdentityDocument;
