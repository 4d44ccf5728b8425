//! The person's own delegation requests (issue 15, item 2): list, read one, send one.

use crate::api::Caller;
use crate::app::AppState;
use crate::web::AppError;
use crate::web::error::delegation::submit_error;
use crate::web::form::{FormFields, MultipartForm};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use sportello_core::accounts::delegation::{self, DelegationRequest};
use sportello_core::authz::Action;
use utoipa::ToSchema;

/// A delegation request as its author reads it.
#[derive(Serialize, ToSchema)]
pub struct DelegationOut {
    pub id: String,
    pub company_id: String,
    pub company_name: String,
    pub company_tax_code: String,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// `PAdES` (signed PDF) or `CAdES` (`.p7m`).
    pub format: String,
    pub file_name: String,
    /// SHA-256 of the uploaded file, lowercase hex.
    pub file_sha256: String,
    pub signer_name: String,
    pub signer_tax_code: String,
    /// When the signer's software says it signed (RFC 3339), when the signature says.
    pub signed_at: Option<String>,
    /// When the signature was checked (RFC 3339).
    pub checked_at: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    /// The office's reason, for a rejected request.
    pub rejection_reason: Option<String>,
}

impl From<DelegationRequest> for DelegationOut {
    fn from(r: DelegationRequest) -> Self {
        Self {
            id: r.id,
            company_id: r.company_id,
            company_name: r.company_name,
            company_tax_code: r.company_tax_code,
            state: r.state.as_str().to_string(),
            format: r.format,
            file_name: r.file_name,
            file_sha256: r.file_sha256,
            signer_name: r.signer_name,
            signer_tax_code: r.signer_tax_code,
            signed_at: r.signed_at.map(|t| t.to_rfc3339()),
            checked_at: r.checked_at.to_rfc3339(),
            created_at: r.created_at.to_rfc3339(),
            decided_at: r.decided_at.map(|t| t.to_rfc3339()),
            rejection_reason: r.rejection_reason,
        }
    }
}

/// The caller's own delegation requests, newest first.
#[utoipa::path(get, path = "/api/v1/delegations", tag = "delegations",
    security(("bearer" = [])), responses((status = 200, body = Vec<DelegationOut>)))]
pub async fn list_delegations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DelegationOut>>, AppError> {
    let p = caller.require(Action::RequestDelegation)?;
    let rows = delegation::request::mine(&state.db, p).await?;
    Ok(Json(rows.into_iter().map(DelegationOut::from).collect()))
}

/// Sends a delegation (multipart: `company`, the company's tax code or REA number; `file`,
/// the PDF signed as PAdES or the `.p7m` of the PDF), signed by one of the company's legal
/// representatives. The same file sent again answers the request already made.
#[utoipa::path(post, path = "/api/v1/delegations", tag = "delegations",
    security(("bearer" = [])), responses((status = 201, body = DelegationOut),
        (status = 409, description = "`already_linked`, `already_pending`"),
        (status = 413, description = "`payload_too_large`"),
        (status = 422, description = "`company_code`, `unknown_company`, `company_ceased`, `file_missing`, `not_pdf`, `not_signed`, `signature_invalid`, `certificate_expired`, `signer_revoked`, `revocation_unavailable`, `signer_not_representative`")))]
pub async fn create_delegation(
    State(state): State<AppState>,
    caller: Caller,
    mp: Multipart,
) -> Result<(StatusCode, Json<DelegationOut>), AppError> {
    let p = caller.require(Action::RequestDelegation)?;
    let mut form = MultipartForm::read(mp).await?;
    let file = form.take_file("file").unwrap_or_default();
    let request = delegation::submit(
        &state,
        p,
        &form.text("company"),
        &file.bytes,
        &file.file_name,
    )
    .await
    .map_err(submit_error)?;
    Ok((StatusCode::CREATED, Json(request.into())))
}

/// One of the caller's own delegation requests.
#[utoipa::path(get, path = "/api/v1/delegations/{id}", tag = "delegations",
    security(("bearer" = [])), responses((status = 200, body = DelegationOut), (status = 404, body = crate::api::Problem)))]
pub async fn get_delegation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DelegationOut>, AppError> {
    let p = caller.require(Action::RequestDelegation)?;
    let request = delegation::request::get_mine(&state.db, p, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(request.into()))
}
