//! The JSON API under `/api/v1` for ERP clients, described by OpenAPI at
//! `/api/v1/openapi.json` (Swagger UI at `/api/docs`). Authentication is by bearer token
//! only; errors are `application/problem+json` with a stable `code`.

pub mod auth;
pub mod delegations;
pub mod desk;
pub mod devices;
pub mod intermediaries;
pub mod pagopa;
pub mod ra;
pub mod trade;
pub mod webhooks;

use crate::app::AppState;
use crate::web::{AppError, Viewer};
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use sportello_core::accounts::Principal;
use sportello_core::authz::{self, Action};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sportello API",
        description = "Foreign-trade documents and registration authority of the Italian Chambers of Commerce. \
                       Authenticate with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`. \
                       Errors are RFC 9457 problem documents with a stable `code`.",
        version = "1"
    ),
    components(schemas(
        Problem,
        sportello_core::webhooks::EventBody,
        sportello_core::webhooks::EventData
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "ra", description = "Registration authority: convention, operators, mandates, courses, revocations"),
        (name = "devices", description = "Device inventory, consignments to ODRs, free devices"),
        (name = "intermediaries", description = "The register of customs brokers and other intermediaries, kept by the chambers' administrators: registration, people, suspension"),
        (name = "delegations", description = "A person's requests to act for a company on a delegation signed by one of its legal representatives"),
        (name = "webhooks", description = "Events pushed to the company's ERP when its practices change state: each delivery is a \
            `POST` of an `EventBody` (JSON) with `Sportello-Event: <event>` and `Sportello-Signature: t=<unix seconds>,v1=<hex>`, \
            where `v1` is the HMAC-SHA256, keyed with the webhook's secret, of `t`, a full stop and the raw body. Answer 2xx; \
            anything else is retried with exponential back-off (1, 2, 4… minutes, 10 attempts).")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// An error document (RFC 9457).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable error code.
    pub code: String,
    /// Human-readable explanation (Italian, or English with `Accept-Language: en`).
    pub detail: String,
}

/// Swagger UI at `/api/docs` over the generated document, served at `/api/v1/openapi.json`.
pub fn docs(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        // Swagger UI's page uses inline styles; loosen the policy for it alone.
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                 script-src 'self'; frame-ancestors 'none'",
            ),
        ))
}

/// The authenticated API caller.
pub struct Caller(pub Principal);

impl Caller {
    /// The caller if their role may perform `action`; 403 otherwise.
    pub fn require(&self, action: Action) -> Result<&Principal, AppError> {
        if authz::permits(&self.0, action) {
            Ok(&self.0)
        } else {
            Err(AppError::forbidden())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        viewer
            .principal
            .map(Caller)
            .ok_or_else(AppError::unauthorized)
    }
}
