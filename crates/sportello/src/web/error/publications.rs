//! How the publication of the Operating Manual and Certificate Policy fails, as HTTP answers.

use crate::web::{AppError, FieldError};
use sportello_core::ra::publications::{MAX_BYTES, PublicationError};

impl From<PublicationError> for AppError {
    fn from(e: PublicationError) -> Self {
        match e {
            PublicationError::Kind => {
                AppError::invalid(vec![FieldError::new("kind", "ra-doc-error-kind")])
            }
            PublicationError::Version => {
                AppError::invalid(vec![FieldError::new("version", "ra-doc-error-version")])
            }
            PublicationError::NotPdf => {
                AppError::invalid(vec![FieldError::new("pdf", "ra-doc-error-not-pdf")])
            }
            PublicationError::TooLarge => AppError::too_large(MAX_BYTES),
            PublicationError::VersionExists(version) => {
                let mut f = FieldError::new("version", "ra-doc-error-version-exists");
                f.args.push(("version", version));
                AppError::invalid(vec![f])
            }
            PublicationError::Blob(e) => e.into(),
            PublicationError::Db(e) => e.into(),
        }
    }
}
