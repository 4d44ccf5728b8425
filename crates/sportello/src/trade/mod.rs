//! Foreign-trade documents (Module 1): base models, practices, fees and wallet, the desk's
//! work, issued certificates and their public verification.

pub mod country;
pub mod document;
pub mod form;
pub mod practice_type;

pub use country::Country;
pub use document::ModelDocument;
pub use form::{BaseModelForm, CertificateNumber, FieldProblem, FormInput, FormSerial};
pub use practice_type::{DocumentCode, PracticeType, PrintMode};
