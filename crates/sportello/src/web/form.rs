//! Reading what a form sends: multipart forms (uploads) and URL-encoded forms with repeated
//! fields. Pages and the API read the same fields the same way through these.

use crate::web::{AppError, FieldError};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use sportello_core::trade::practice::attachments::NewAttachment;
use sportello_core::trade::practice::details::Details;
use std::collections::HashMap;

/// A file sent with a form, under the name the sender gave it (shown, never used as a path).
#[derive(Debug, Default)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The text fields and files of a multipart form. An empty file input counts as absent.
#[derive(Debug, Default)]
pub struct MultipartForm {
    texts: HashMap<String, String>,
    files: HashMap<String, Upload>,
}

impl MultipartForm {
    /// Reads the whole form; a malformed body is a 400, a body over the limit a 413 that
    /// names the limit (a page says it with a link back to the form).
    pub async fn read(mut multipart: Multipart) -> Result<Self, AppError> {
        let failed = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large(crate::web::MAX_BODY_BYTES)
            } else {
                AppError::bad_request("bad_multipart", "error-bad-request")
            }
        };
        let mut form = Self::default();
        while let Some(field) = multipart.next_field().await.map_err(failed)? {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(failed)?;
            match file_name {
                Some(file_name) => {
                    if !file_name.is_empty() && !bytes.is_empty() {
                        // Takes over the buffer the body was read into (no copy when it
                        // is not shared).
                        let bytes = Vec::from(bytes);
                        form.files.insert(name, Upload { file_name, bytes });
                    }
                }
                None => {
                    let text = String::from_utf8_lossy(&bytes).trim().to_string();
                    form.texts.insert(name, text);
                }
            }
        }
        Ok(form)
    }

    /// A text field that was filled in.
    pub fn filled(&self, name: &str) -> Option<&str> {
        self.texts
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Takes a file out of the form.
    pub fn take_file(&mut self, name: &str) -> Option<Upload> {
        self.files.remove(name)
    }

    /// A date typed in an `<input type="date">` (`YYYY-MM-DD`); `error_key` names the
    /// problem when it is not one.
    pub fn date(
        &self,
        name: &str,
        error_key: &'static str,
    ) -> Result<Option<chrono::NaiveDate>, AppError> {
        self.filled(name)
            .map(|s| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| AppError::invalid(vec![FieldError::new(name, error_key)]))
            })
            .transpose()
    }
}

/// The text fields of a form, whichever way it was encoded.
pub trait FormFields {
    /// A text field, trimmed; empty when absent.
    fn text(&self, name: &str) -> String;

    /// A count: 0 when empty, -1 when not a number (the use case names the field then).
    fn count(&self, name: &str) -> i64 {
        match self.text(name).as_str() {
            "" => 0,
            t => t.parse().unwrap_or(-1),
        }
    }

    /// A yes/no field: `true`, `1`, `yes`, `sì`/`si`, `on` or `false`, `0`, `no`, `off`;
    /// `None` when empty or anything else.
    fn flag(&self, name: &str) -> Option<bool> {
        parse_flag(&self.text(name))
    }
}

impl FormFields for MultipartForm {
    fn text(&self, name: &str) -> String {
        self.texts.get(name).cloned().unwrap_or_default()
    }
}

/// An URL-encoded form read as a map (`Form<HashMap<String, String>>`).
impl FormFields for HashMap<String, String> {
    fn text(&self, name: &str) -> String {
        self.get(name)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }
}

/// See [`FormFields::flag`].
pub fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "sì" | "si" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The practice details of the upload form (page and API share the field names).
pub fn practice_details(form: &impl FormFields) -> Details {
    Details {
        annotations: form.text("annotations"),
        proforma: form.flag("proforma"),
        goods_location: form.text("goods_location"),
        print_mode: form.text("print_mode"),
        form_serial: form.text("form_serial"),
        copies: form.count("copies"),
        replaces: form.text("replaces"),
        duplicate: form.flag("duplicate").unwrap_or(false),
    }
}

/// An attachment of a practice: the `file` and its `description`, `code`, `visas`,
/// `legalisations` (page and API share the field names).
pub fn new_attachment(mut form: MultipartForm) -> NewAttachment {
    let file = form.take_file("file").unwrap_or_default();
    NewAttachment {
        file_name: file.file_name,
        bytes: file.bytes,
        description: form.text("description"),
        code: form.text("code"),
        visas: form.count("visas"),
        legalisations: form.count("legalisations"),
    }
}

/// An URL-encoded form whose fields may repeat (several desks, several operators), which
/// axum's `Form` does not decode.
pub struct RepeatedForm<T>(pub T);

/// Largest URL-encoded form accepted.
const MAX_FORM_BYTES: usize = 1024 * 1024;

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for RepeatedForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bad = || AppError::bad_request("bad_request", "error-bad-request");
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| bad())?;
        serde_html_form::from_bytes(&bytes)
            .map(RepeatedForm)
            .map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_flag;

    #[test]
    fn yes_and_no_are_read_alike_by_pages_and_the_api() {
        for yes in ["true", "1", "yes", "sì", "SI", "on"] {
            assert_eq!(parse_flag(yes), Some(true), "{yes}");
        }
        for no in ["false", "0", "no", "off", " NO "] {
            assert_eq!(parse_flag(no), Some(false), "{no}");
        }
        for neither in ["", "maybe", "2"] {
            assert_eq!(parse_flag(neither), None, "{neither}");
        }
    }
}
