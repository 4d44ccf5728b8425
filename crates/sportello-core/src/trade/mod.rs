//! Foreign-trade documents (Module 1): base models, practices, fees and wallet, the desk's
//! work, issued certificates and their public verification.

pub mod blank_paper;
pub mod country;
pub mod dashboard;
pub mod desk;
pub mod document;
pub mod einvoice;
pub mod fee;
pub mod form;
pub mod model;
pub mod pdf;
pub mod practice;
pub mod practice_type;
pub mod profile;
pub mod xml;

pub use country::Country;
pub use document::ModelDocument;
pub use form::{BaseModelForm, CertificateNumber, FieldProblem, FormInput, FormSerial};
pub use practice_type::{DocumentCode, PracticeType, PrintMode};
