//! The registration authority's pages (Italian first). Every handler checks the role
//! (`Viewer::require_action`) and then the scope of the object on the server.

pub mod chamber;
pub mod checks;
pub mod operators;

use crate::web::AppError;
use axum::extract::Multipart;
use std::collections::HashMap;

/// A file sent with a form.
pub(crate) struct FormFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The text fields and files of a multipart form; empty file inputs are left out.
pub(crate) struct MultiForm {
    pub fields: HashMap<String, String>,
    pub files: HashMap<String, FormFile>,
}

impl MultiForm {
    pub async fn read(mut multipart: Multipart) -> Result<Self, AppError> {
        let bad = |_| AppError::bad_request("bad_request", "error-bad-request");
        let mut fields = HashMap::new();
        let mut files = HashMap::new();
        while let Some(field) = multipart.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(filename) => {
                    let bytes = field.bytes().await.map_err(bad)?;
                    if !filename.is_empty() && !bytes.is_empty() {
                        files.insert(
                            name,
                            FormFile {
                                filename,
                                bytes: bytes.to_vec(),
                            },
                        );
                    }
                }
                None => {
                    let text = field.text().await.map_err(bad)?;
                    fields.insert(name, text);
                }
            }
        }
        Ok(Self { fields, files })
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
        self.text(name)
            .map(|s| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    AppError::invalid(vec![sportello_core::validation::FieldError::new(
                        name,
                        "ra-error-date",
                    )])
                })
            })
            .transpose()
    }
}

/// A date as people read it in Italy.
pub(crate) fn it_date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}
