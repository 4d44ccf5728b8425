//! `POST /api/v1/auth/token` and `GET /api/v1/me`.

use crate::api::Caller;
use crate::app::AppState;
use crate::web::AppError;
use crate::web::client::ClientAddr;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sportello_core::accounts::{self, LoginError, token};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send it as `Authorization: Bearer <token>`; valid for 30 days.
    pub token: String,
}

/// Exchanges e-mail and password for an API token.
#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_credentials` (also for an account locked after \
         repeated failures, whose owner is told by e-mail) or `account_disabled`",
         body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many failed logins from this address",
         body = crate::api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn issue_token(
    State(state): State<AppState>,
    client: ClientAddr,
    Json(req): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let now = state.clock.now();
    let user = match accounts::authenticate(&state, &client.key(), &req.email, &req.password).await
    {
        Ok(user) => user,
        Err(LoginError::Db(e)) => return Err(e.into()),
        Err(LoginError::TooManyAttempts) => {
            state.metrics.login(false);
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "login-error-too-many",
            ));
        }
        Err(LoginError::Disabled) => {
            state.metrics.login(false);
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "account_disabled",
                "login-error-disabled",
            ));
        }
        Err(LoginError::InvalidCredentials) => {
            state.metrics.login(false);
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "login-error-credentials",
            ));
        }
    };
    state.metrics.login(true);
    let actor = accounts::Principal {
        user: user.clone(),
        desk_ids: Vec::new(),
        company_ids: Vec::new(),
        acting_company_id: None,
        companies: Vec::new(),
        intermediary: None,
        mandates: Vec::new(),
    }
    .actor();
    let token = token::issue(&state.db, now, &actor, &user.id, "api").await?;
    Ok(Json(TokenResponse { token }))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub chamber_id: Option<String>,
    pub desk_ids: Vec<String>,
    pub company_ids: Vec<String>,
}

/// Who the token belongs to.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"))
)]
pub async fn me(Caller(p): Caller) -> Json<Me> {
    Json(Me {
        id: p.user.id,
        email: p.user.email,
        name: p.user.name,
        role: p.user.role.as_str().to_string(),
        chamber_id: p.user.chamber_id,
        desk_ids: p.desk_ids,
        company_ids: p.company_ids,
    })
}
