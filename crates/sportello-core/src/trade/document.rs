//! What a base model says, ready to be encoded (XML, the file the company signs) or printed
//! (the print preview, later the certificate).

use crate::registry::{Company, Site};
use crate::trade::form::BaseModelForm;
use chrono::{DateTime, Utc};

/// A base model at one version: the company and site it comes from and its validated form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelDocument {
    pub model_id: String,
    /// Increases each time the model's content changes; each version has its own XML.
    pub version: i64,
    /// When this version was made (UTC).
    pub created_at: DateTime<Utc>,
    pub company: Company,
    pub site: Site,
    pub form: BaseModelForm,
}
