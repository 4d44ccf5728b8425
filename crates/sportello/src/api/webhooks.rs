//! Webhooks for ERP clients: register an address and the events it wants, list them, read one
//! with its delivery log, delete it. A company token reaches only its own companies' webhooks
//! (404 for anyone else's). What is delivered and how to verify it: README, "Webhooks".

use crate::api::Caller;
use crate::api::trade::chosen_company;
use crate::app::AppState;
use crate::web::AppError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sportello_core::authz::Action;
use sportello_core::webhooks::{self, NewWebhook, Webhook, WebhookDetail};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct NewWebhookBody {
    /// Where to POST the events: `https://…` (a host that resolves to a public address).
    pub url: String,
    /// Any of `practice.sent`, `practice.to_rectify`, `practice.approved`,
    /// `practice.rejected`, `certificate.cancelled`.
    pub events: Vec<String>,
    /// Needed only when the caller acts for several companies.
    #[serde(default)]
    pub company_tax_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookOut {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret (`whsec_…`), shown this once: keep it to verify the
    /// `Sportello-Signature` header of each delivery.
    pub secret: String,
}

/// Registers a webhook for the caller's company. The answer carries the signing secret, shown
/// only now.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhookBody,
    security(("bearer" = [])), responses((status = 201, body = CreatedWebhookOut),
        (status = 422, description = "`validation_failed`: the URL (not https, private address…) or the events"),
        (status = 409, description = "`too_many_webhooks`")))]
pub async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewWebhookBody>,
) -> Result<(StatusCode, Json<CreatedWebhookOut>), AppError> {
    let p = caller.require(Action::ManageWebhooks)?;
    let company = chosen_company(&state, p, body.company_tax_code.as_deref()).await?;
    let created = webhooks::create(
        &state,
        p,
        &company.id,
        &NewWebhook {
            url: body.url,
            events: body.events,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookOut {
            webhook: created.webhook,
            secret: created.secret.to_string(),
        }),
    ))
}

/// The webhooks of the caller's companies (without secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("bearer" = [])), responses((status = 200, body = [Webhook])))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Webhook>>, AppError> {
    let p = caller.require(Action::ManageWebhooks)?;
    Ok(Json(webhooks::list(&state, p).await?))
}

/// A webhook with its delivery log: the latest attempts, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    security(("bearer" = [])), responses((status = 200, body = WebhookDetail), (status = 404)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookDetail>, AppError> {
    let p = caller.require(Action::ManageWebhooks)?;
    Ok(Json(webhooks::get(&state, p, &id).await?))
}

/// Deletes a webhook: nothing more is delivered to it, including what was waiting.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    security(("bearer" = [])), responses((status = 204), (status = 404)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let p = caller.require(Action::ManageWebhooks)?;
    webhooks::delete(&state, p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
