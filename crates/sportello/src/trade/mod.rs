//! Foreign-trade documents (Module 1): base models, practices, fees and wallet, the desk's
//! work, issued certificates and their public verification.

pub mod api;
pub mod api_desk;
pub mod country;
pub mod dashboard;
pub mod desk;
pub mod document;
pub mod errors;
pub mod fee;
pub mod form;
pub mod model;
pub mod pdf;
pub mod practice;
pub mod practice_type;
pub mod profile;
pub mod web;
pub mod xml;

pub use country::Country;
pub use document::ModelDocument;
pub use form::{BaseModelForm, CertificateNumber, FieldProblem, FormInput, FormSerial};
pub use practice_type::{DocumentCode, PracticeType, PrintMode};
