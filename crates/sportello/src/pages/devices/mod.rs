//! The devices pages (Italian first). Every handler checks the role on the server
//! (`Viewer::require_action`) and then the chamber of the object: an id from the client is
//! never trusted, another chamber's device or operator is not found.

pub mod inventory;
pub mod odr;
pub mod stats;

use crate::web::AppError;
use sportello_core::i18n::Lang;

/// What a refused form shows: the message and the fields' messages, in the visitor's language.
pub(crate) struct Problem {
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl Problem {
    pub fn of(e: &AppError, lang: Lang) -> Problem {
        Problem {
            message: e.message(lang),
            fields: e
                .fields
                .iter()
                .map(|f| (f.field.clone(), crate::web::error::field_text(f, lang)))
                .collect(),
        }
    }

    /// The message of `field`, if it has one.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// Keeps a refused form's user errors on the page; a server error stays an error.
pub(crate) fn user_error(e: AppError) -> Result<AppError, AppError> {
    if e.status.is_server_error() {
        Err(e)
    } else {
        Ok(e)
    }
}

/// `12,50 €` from cents.
pub(crate) fn euro(cents: i64) -> String {
    sportello_core::money::Money::from_cents(cents).to_italian()
}

/// A random key for a form, so a double submission is recorded once.
pub(crate) fn form_key() -> String {
    sportello_core::accounts::session::random_token()
}
