//! The foreign-trade office's API (officer decisions, the certificate PDF) and the public
//! verification API. Officers reach only the practices of their desks.

use crate::api::Caller;
use crate::app::AppState;
use crate::web::AppError;
use crate::web::client::ClientAddr;
use crate::web::download::Download;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sportello_core::authz::Action;
use sportello_core::trade::desk::decide;
use sportello_core::trade::desk::{certificate, verify};
use sportello_core::trade::practice;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct DecisionOut {
    pub id: String,
    pub status: String,
    /// The certificate's national number, once issued.
    pub certificate_number: Option<String>,
}

async fn out(
    state: &AppState,
    p: sportello_core::trade::practice::Practice,
) -> Result<Json<DecisionOut>, AppError> {
    let cert = certificate::of_practice(&state.db, &p.id).await?;
    Ok(Json(DecisionOut {
        id: p.id,
        status: p.status.as_str().into(),
        certificate_number: cert.map(|c| c.number),
    }))
}

/// Takes a sent practice in charge.
#[utoipa::path(post, path = "/api/v1/practices/{id}/take", tag = "desk", security(("bearer" = [])),
    responses((status = 200, body = DecisionOut), (status = 409, description = "`not_allowed`, `taken_by_other`")))]
pub async fn take(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DecisionOut>, AppError> {
    let p = caller.require(Action::WorkInbox)?;
    out(&state, decide::take(&state, p, &id).await?).await
}

#[derive(Deserialize, ToSchema)]
pub struct RectificationBody {
    pub reason: String,
    /// The fields concerned, e.g. `consignee.name`, `invoices`, `attachments`.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// Sends the practice back to the company, to correct and resend within the chamber's
/// deadline (24 hours by default) or it is rejected automatically.
#[utoipa::path(post, path = "/api/v1/practices/{id}/request-rectification", tag = "desk", request_body = RectificationBody,
    security(("bearer" = [])), responses((status = 200, body = DecisionOut)))]
pub async fn request_rectification(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RectificationBody>,
) -> Result<Json<DecisionOut>, AppError> {
    let p = caller.require(Action::WorkInbox)?;
    out(
        &state,
        decide::request_rectification(&state, p, &id, &body.reason, &body.fields).await?,
    )
    .await
}

/// Approves a practice the caller took in charge; a certificate of origin is sealed and issued.
#[utoipa::path(post, path = "/api/v1/practices/{id}/approve", tag = "desk",
    security(("bearer" = [])), responses((status = 200, body = DecisionOut), (status = 409, description = "`not_taken_in_charge`, `taken_by_other`, `seal_missing`, …")))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DecisionOut>, AppError> {
    let p = caller.require(Action::WorkInbox)?;
    out(&state, decide::approve(&state, p, &id).await?).await
}

#[derive(Deserialize, ToSchema)]
pub struct RejectBody {
    pub reason: String,
}

/// Rejects the practice; the fee is refunded unless the chamber's setting says otherwise.
#[utoipa::path(post, path = "/api/v1/practices/{id}/reject", tag = "desk", request_body = RejectBody,
    security(("bearer" = [])), responses((status = 200, body = DecisionOut)))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RejectBody>,
) -> Result<Json<DecisionOut>, AppError> {
    let p = caller.require(Action::WorkInbox)?;
    out(&state, decide::reject(&state, p, &id, &body.reason).await?).await
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CancelBody {
    #[serde(default)]
    pub reason: String,
}

/// Cancels the certificate issued by this practice (for a material error, on the
/// company's request). A certificate printed on a form needs the form returned first.
#[utoipa::path(post, path = "/api/v1/practices/{id}/cancel", tag = "desk", request_body = CancelBody,
    security(("bearer" = [])), responses((status = 200, body = DecisionOut), (status = 409, description = "`form_not_returned`, `already_cancelled`")))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Option<Json<CancelBody>>,
) -> Result<Json<DecisionOut>, AppError> {
    let p = caller.require(Action::WorkInbox)?;
    let reason = body.map(|b| b.0.reason).unwrap_or_default();
    out(&state, decide::cancel(&state, p, &id, &reason).await?).await
}

/// The sealed certificate PDF (the company's users and the desk's officers).
#[utoipa::path(get, path = "/api/v1/practices/{id}/certificate.pdf", tag = "desk",
    security(("bearer" = [])), responses((status = 200, content_type = "application/pdf", body = Vec<u8>)))]
pub async fn certificate_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let practice = practice::get_readable(&state.db, &caller.0, &id).await?;
    let cert = certificate::of_practice(&state.db, &practice.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&cert.pdf_blob).await?;
    Ok(Download::new(
        "application/pdf",
        &format!("certificato-{}.pdf", cert.number),
        bytes,
    )
    .into_response())
}

/// A sealed document the practice issued (a visa, copies of a certificate), as listed in the
/// practice's `documents`: for the company's users and the desk's officers.
#[utoipa::path(get, path = "/api/v1/practices/{id}/documents/{doc_id}", tag = "desk",
    security(("bearer" = [])), responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404)))]
pub async fn document_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let practice = practice::get_readable(&state.db, &caller.0, &id).await?;
    let doc = sportello_core::trade::desk::documents::of_practice(&state.db, &practice.id)
        .await?
        .into_iter()
        .find(|d| d.id == doc_id)
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&doc.blob).await?;
    Ok(Download::new(
        "application/pdf",
        &format!("{}-{}.pdf", doc.kind, doc.number),
        bytes,
    )
    .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct VerificationOut {
    pub number: String,
    /// `valid`, `cancelled`, `replaced`, `duplicate`.
    pub status: String,
    pub issued_on: String,
    pub chamber: String,
    /// ISO 3166 code.
    pub consignee_country: String,
    pub replaced_by: Option<String>,
    pub duplicate_of: Option<String>,
    pub pdf_sha256: String,
}

#[derive(Deserialize, IntoParams)]
pub struct CodeQuery {
    /// The security code printed on the certificate.
    code: String,
}

/// Public verification of a certificate by number and security code (no authentication).
/// A wrong pair answers 404 and reveals nothing; repeated failures are rate-limited (429).
#[utoipa::path(get, path = "/api/v1/verify/{number}", tag = "verification", params(CodeQuery),
    responses((status = 200, body = VerificationOut), (status = 404), (status = 429)))]
pub async fn verify_certificate(
    State(state): State<AppState>,
    client: ClientAddr,
    Path(number): Path<String>,
    Query(q): Query<CodeQuery>,
) -> Result<(StatusCode, Json<VerificationOut>), AppError> {
    match verify::verify(&state, &client.key(), &number, &q.code).await? {
        Some(v) => Ok((
            StatusCode::OK,
            Json(VerificationOut {
                number: v.number,
                status: v.status.into(),
                issued_on: v.issued_on,
                chamber: v.chamber,
                consignee_country: v.consignee_country,
                replaced_by: v.replaced_by,
                duplicate_of: v.duplicate_of,
                pdf_sha256: v.pdf_sha256,
            }),
        )),
        None => Err(AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "verify-not-found",
        )),
    }
}
