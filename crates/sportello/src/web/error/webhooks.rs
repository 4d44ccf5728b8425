//! How the webhook use cases' errors become HTTP answers.

use crate::web::AppError;
use sportello_core::webhooks::WebhookError;

impl From<WebhookError> for AppError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Forbidden => AppError::forbidden(),
            WebhookError::NotFound => AppError::not_found(),
            WebhookError::Invalid(fields) => AppError::invalid(fields),
            WebhookError::TooMany => AppError::conflict("too_many_webhooks", "webhook-too-many"),
            WebhookError::Secret(e) => AppError::internal(e),
            WebhookError::Db(e) => e.into(),
        }
    }
}
