//! The registration authority's JSON API under `/api/v1/ra`. Other tools
//! rely on these shapes. A Master RAO token may call every route.

use crate::api::{Caller, Problem};
use crate::app::AppState;
use crate::web::AppError;
use crate::web::FieldError;
use crate::web::download::Download;
use crate::web::form::{FormFields, MultipartForm};
use axum::Json;
use axum::extract::Multipart;
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sportello_core::authz::Action;
use sportello_core::ra::access::visible_operator;
use sportello_core::ra::accreditation::steps as accreditation;
use sportello_core::ra::convention;
use sportello_core::ra::eligibility::eligibility;
use sportello_core::ra::manager::{self, RequestKind, SignatureRequest};
use sportello_core::ra::mandate::{ActTerm, MandateAct, MandateBasis};
use sportello_core::ra::operator::{self, NewOperator, Operator};
use sportello_core::ra::revocation::{self, RevocationRequest};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct ConventionIn {
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub end: NaiveDate,
    /// The CA's PEC address (kept from the previous convention when omitted).
    pub ca_pec: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ExtensionOut {
    pub operator_id: String,
    pub name: String,
    #[schema(value_type = String, format = Date)]
    pub end: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub would_end: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct ConventionOut {
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub end: NaiveDate,
    pub ca_pec: Option<String>,
    /// Mandates this convention would extend: nothing changes until
    /// `POST /api/v1/ra/convention/extend-mandates` names them.
    pub extendable_mandates: Vec<ExtensionOut>,
}

fn ext(e: convention::Extension) -> ExtensionOut {
    ExtensionOut {
        operator_id: e.operator_id,
        name: e.name,
        end: e.end,
        would_end: e.would_end,
    }
}

/// Sets or renews the convention with the CA. Mandates are never extended silently.
#[utoipa::path(put, path = "/api/v1/ra/convention", tag = "ra", security(("bearer" = [])),
    request_body = ConventionIn,
    responses((status = 200, body = ConventionOut),
        (status = 422, description = "`end_before_start`, `convention_shortened`, `bad_ca_pec`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn put_convention(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Json(body): Json<ConventionIn>,
) -> Result<Json<ConventionOut>, AppError> {
    let p = caller.require(Action::ManageConvention)?;
    let c = convention::record(&state, p, body.start, body.end, body.ca_pec.as_deref()).await?;
    let extendable = convention::extendable(&state.db, &c.chamber_id).await?;
    Ok(Json(ConventionOut {
        start: c.start,
        end: c.end,
        ca_pec: c.ca_pec,
        extendable_mandates: extendable.into_iter().map(ext).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ExtendIn {
    pub operator_ids: Vec<String>,
}

/// The explicit action after a renewal: extends the named mandates.
#[utoipa::path(post, path = "/api/v1/ra/convention/extend-mandates", tag = "ra", security(("bearer" = [])),
    request_body = ExtendIn, responses((status = 200, body = [ExtensionOut])))]
pub async fn extend_mandates(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Json(body): Json<ExtendIn>,
) -> Result<Json<Vec<ExtensionOut>>, AppError> {
    let p = caller.require(Action::ManageOperators)?;
    let done = convention::extend(&state, p, &body.operator_ids).await?;
    Ok(Json(done.into_iter().map(ext).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct OperatorIn {
    /// `rao`, `odr` or `ir`.
    pub kind: String,
    pub name: String,
    /// A person's 16-character tax code, or an organisation's 11 digits (RAO, ODR and IR
    /// organisations).
    pub tax_code: String,
    pub email: String,
    /// The PEC address of the acceptance form's contacts; the revocation notice goes there
    /// too.
    #[serde(default)]
    pub pec: Option<String>,
    /// For a collaborator: the tax code of its organisation (already registered).
    pub organisation_tax_code: Option<String>,
    /// For an organisation: its legal representative, who signs its documents.
    pub legal_representative_tax_code: Option<String>,
    #[serde(default)]
    pub first_phase: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Registers an operator (state `new`).
#[utoipa::path(post, path = "/api/v1/ra/operators", tag = "ra", security(("bearer" = [])),
    request_body = OperatorIn,
    responses((status = 201, body = Created),
        (status = 409, description = "`duplicate_operator`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`bad_tax_code`, `bad_email`, `unknown_organisation`…", body = Problem, content_type = "application/problem+json")))]
pub async fn create_operator(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Json(body): Json<OperatorIn>,
) -> Result<(axum::http::StatusCode, Json<Created>), AppError> {
    let p = caller.require(Action::ManageOperators)?;
    let op = operator::register(
        &state,
        p,
        NewOperator {
            kind: body.kind,
            name: body.name,
            tax_code: body.tax_code,
            email: body.email,
            pec: body.pec,
            organisation_tax_code: body.organisation_tax_code,
            legal_representative_tax_code: body.legal_representative_tax_code,
            first_phase: body.first_phase,
        },
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(Created { id: op.id })))
}

#[derive(Serialize, ToSchema)]
pub struct MandateOut {
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub end: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct CourseOut {
    pub score_percent: i64,
    #[schema(value_type = String, format = Date)]
    pub passed_on: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub valid_until: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct OperatorOut {
    pub id: String,
    /// `rao`, `odr` or `ir`.
    pub kind: String,
    pub name: String,
    pub tax_code: String,
    /// new, interest, mandate_sent, documents_received, sent_to_ca, course_requested,
    /// course_passed, awaiting_ca_corrections, active, suspended, revoked.
    pub state: String,
    pub organisation_id: Option<String>,
    pub mandate: Option<MandateOut>,
    /// The mandate is for the remote issuance service (an organisation RAO such as Infocamere).
    pub remote_issuance: bool,
    pub course: Option<CourseOut>,
    /// Whether the operator may issue devices and book appointments on the day asked (today
    /// by default).
    pub can_act: bool,
    /// Why not: not_active, revoked, suspended, no_mandate, mandate_not_started,
    /// mandate_expired, no_course, course_expired.
    pub reasons: Vec<String>,
}

pub fn operator_out(op: &Operator, on: NaiveDate) -> OperatorOut {
    let e = eligibility(op, on);
    OperatorOut {
        id: op.id.clone(),
        kind: op.kind.as_str().to_string(),
        name: op.name.clone(),
        tax_code: op.tax_code.to_string(),
        state: op.state.as_str().to_string(),
        organisation_id: op.organisation_id.clone(),
        remote_issuance: op.remote_issuance,
        mandate: op.mandate.map(|m| MandateOut {
            start: m.start,
            end: m.end,
        }),
        course: op.course.map(|c| CourseOut {
            score_percent: c.score_percent,
            passed_on: c.passed_on,
            valid_until: c.valid_until,
        }),
        can_act: e.can_act,
        reasons: e.reasons.iter().map(|r| r.code().to_string()).collect(),
    }
}

#[derive(Deserialize)]
pub struct OnQuery {
    pub on: Option<NaiveDate>,
}

/// One operator, with whether it may act (`?on=YYYY-MM-DD`, default today in Italy).
#[utoipa::path(get, path = "/api/v1/ra/operators/{id}", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path), ("on" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = OperatorOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_operator(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<OnQuery>,
) -> Result<Json<OperatorOut>, AppError> {
    let p = caller.require(Action::ViewOfficeTree)?;
    let op = visible_operator(&state.db, p, &id).await?;
    Ok(Json(operator_out(
        &op,
        q.on.unwrap_or_else(|| state.clock.today()),
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct MandateIn {
    /// Protocol date of the appointment (or of the new staff sheet with `staff_sheet`).
    #[schema(value_type = String, format = Date)]
    pub protocol_date: NaiveDate,
    /// True for a collaborator added later: the date is the new staff sheet's.
    #[serde(default)]
    pub staff_sheet: bool,
    /// The term written in the act, in years (required, or `term_end`, for an organisation
    /// RAO; otherwise the procedure's term applies). Never past the convention's end.
    pub term_years: Option<u32>,
    /// The end date written in the act, instead of `term_years`.
    #[schema(value_type = Option<String>, format = Date)]
    pub term_end: Option<NaiveDate>,
    /// The appointment is for the remote issuance service (organisation RAO only).
    #[serde(default)]
    pub remote_issuance: bool,
}

/// Sends the mandate: fixes its dates from the protocol date (recording the expression of
/// interest first for an ODR/IR still `new`).
#[utoipa::path(post, path = "/api/v1/ra/operators/{id}/mandate", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MandateIn,
    responses((status = 200, body = MandateOut),
        (status = 409, description = "`step_not_allowed`, `no_convention`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`after_convention_end`, `act_term_required`, `act_term_twice`, `remote_only_for_rao_organisation`, `missing_document` (the letter signed by the Manager through the queue)", body = Problem, content_type = "application/problem+json")))]
pub async fn send_mandate(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<MandateIn>,
) -> Result<Json<MandateOut>, AppError> {
    let p = caller.require(Action::ManageOperators)?;
    let op = visible_operator(&state.db, p, &id).await?;
    let basis = if body.staff_sheet {
        MandateBasis::AddedCollaborator {
            staff_sheet_date: body.protocol_date,
        }
    } else {
        MandateBasis::Appointment {
            protocol_date: body.protocol_date,
        }
    };
    let act = MandateAct {
        term: ActTerm::from_fields(body.term_years, body.term_end)?,
        remote_issuance: body.remote_issuance,
    };
    let d = accreditation::send_mandate_with_interest(&state, &p.actor(), &op, basis, act).await?;
    Ok(Json(MandateOut {
        start: d.start,
        end: d.end,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct CourseIn {
    pub score_percent: i64,
    #[schema(value_type = String, format = Date)]
    pub passed_on: NaiveDate,
}

/// Records a passed course (≥ 90 %, valid one year).
#[utoipa::path(post, path = "/api/v1/ra/operators/{id}/course", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CourseIn,
    responses((status = 200, body = CourseOut),
        (status = 422, description = "`course_not_passed`, `date_in_future`, `organisation_takes_no_course`", body = Problem, content_type = "application/problem+json")))]
pub async fn record_course(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<CourseIn>,
) -> Result<Json<CourseOut>, AppError> {
    let p = caller.require(Action::ManageOperators)?;
    let op = visible_operator(&state.db, p, &id).await?;
    accreditation::pass_course(&state, &p.actor(), &op, body.score_percent, body.passed_on).await?;
    let op = visible_operator(&state.db, p, &id).await?;
    let c = op.course.ok_or_else(AppError::not_found)?;
    Ok(Json(CourseOut {
        score_percent: c.score_percent,
        passed_on: c.passed_on,
        valid_until: c.valid_until,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RevokeIn {
    /// RAO: the day the requirements were lost (may be in the past).
    #[schema(value_type = Option<String>, format = Date)]
    pub effective: Option<NaiveDate>,
    /// Not used: an ODR or IR is revoked by the notice the Manager signs in the queue
    /// (`/api/v1/ra/operators/{id}/signature-requests`), effective the day it is signed.
    #[schema(value_type = Option<String>, format = Date)]
    pub notice_received_on: Option<NaiveDate>,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct RevokeOut {
    #[schema(value_type = String, format = Date)]
    pub effective: NaiveDate,
    /// Collaborators suspended with their organisation.
    pub suspended: Vec<String>,
    pub devices_to_recall: i64,
    pub appointments_cancelled: i64,
    /// RAO: actions of the operator in the audit trail since the effective day.
    pub actions_since: Vec<serde_json::Value>,
    pub ca_informed: bool,
}

/// Revokes a RAO's mandate from the day the requirements were lost and informs the CA by PEC.
/// An ODR or IR is revoked by the notice the Manager signs in the queue instead.
#[utoipa::path(post, path = "/api/v1/ra/operators/{id}/revoke", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RevokeIn,
    responses((status = 200, body = RevokeOut),
        (status = 422, description = "`effective_required`, `date_in_future`, `reason_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`step_not_allowed` (already revoked), `revocation_through_manager` (an ODR or IR: prepare the notice for the Manager's queue)", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RevokeIn>,
) -> Result<Json<RevokeOut>, AppError> {
    let p = caller.require(Action::ManageOperators)?;
    let op = visible_operator(&state.db, p, &id).await?;
    let out = revocation::revoke(
        &state,
        &p.actor(),
        &op,
        RevocationRequest {
            effective: body.effective,
            notice_received_on: body.notice_received_on,
            reason: body.reason,
            notice: None,
        },
    )
    .await?;
    Ok(Json(RevokeOut {
        effective: out.effective,
        suspended: out.suspended,
        devices_to_recall: out.devices_to_recall,
        appointments_cancelled: out.appointments_cancelled,
        actions_since: out
            .actions_since
            .iter()
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .collect(),
        ca_informed: out.ca_informed,
    }))
}

/// A document in the Manager's queue (RA procedure, part 1: "firmata digitalmente dal
/// Dirigente").
#[derive(Serialize, ToSchema)]
pub struct SignatureRequestOut {
    pub id: String,
    /// `mandate_letter` or `revocation_notice`.
    pub kind: String,
    /// `waiting`, `signed` or `withdrawn`.
    pub state: String,
    pub operator_id: String,
    pub operator_name: String,
    pub filename: String,
    pub reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub prepared_at: chrono::DateTime<chrono::Utc>,
    pub signer_tax_code: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub signed_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn request_out(r: SignatureRequest) -> SignatureRequestOut {
    SignatureRequestOut {
        id: r.id,
        kind: r.kind.as_str().to_string(),
        state: r.state.as_str().to_string(),
        operator_id: r.operator_id,
        operator_name: r.operator_name,
        filename: r.filename,
        reason: r.reason,
        prepared_at: r.prepared_at,
        signer_tax_code: r.signer_tax_code,
        signed_at: r.signed_at,
    }
}

/// Puts a document in the Manager's queue (multipart: `kind` — `mandate_letter` or
/// `revocation_notice` —, `reason` for a revocation, `document`: the unsigned PDF).
#[utoipa::path(post, path = "/api/v1/ra/operators/{id}/signature-requests", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = SignatureRequestOut),
        (status = 409, description = "`no_letter_needed`, `not_revocable`, `already_waiting`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_pdf`, `reason_required`", body = Problem, content_type = "application/problem+json")))]
pub async fn prepare_signature_request(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<(StatusCode, Json<SignatureRequestOut>), AppError> {
    let p = caller.require(Action::ManageOperators)?;
    let mut form = MultipartForm::read(mp).await?;
    let kind = RequestKind::parse(&form.text("kind"))
        .ok_or_else(|| AppError::invalid(vec![FieldError::new("kind", "ra-error-manager-kind")]))?;
    let reason = form.filled("reason").map(str::to_string);
    let file = form.take_file("document").unwrap_or_default();
    let r = manager::prepare(
        &state,
        p,
        &id,
        kind,
        reason.as_deref(),
        &file.file_name,
        &file.bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(request_out(r))))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// Where the page starts: the cursor in the previous page's `Link` header (`rel="next"`).
    /// Leave it out for the first page; a cursor that is not one is refused (422, field
    /// `after`).
    after: Option<String>,
    /// Requests per page, 1 to 200; 50 when left out.
    per_page: Option<i64>,
}

/// The Manager's queue: what waits for the caller's signature in their chamber, oldest first.
///
/// A page at a time (50 unless `per_page` says otherwise). The body is the page's
/// requests, as it always was; when more wait, the `Link` header names the next page
/// (`</api/v1/ra/signature-requests?per_page=50&after=…>; rel="next"`), to be requested as
/// it is. Pages are read by cursor: a request prepared meanwhile is neither skipped nor
/// repeated.
#[utoipa::path(get, path = "/api/v1/ra/signature-requests", tag = "ra", security(("bearer" = [])),
    params(QueueQuery),
    responses((status = 200, body = Vec<SignatureRequestOut>,
            headers(("Link" = String, description = "the next page, `<…>; rel=\"next\"`; absent on the last page"))),
        (status = 422, description = "`validation_failed`: `after` is not a cursor", body = Problem, content_type = "application/problem+json")))]
pub async fn list_signature_requests(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    use sportello_core::paging::{Key, Keyset, MAX_SIZE};
    let p = caller.require(Action::SignMandate)?;
    let after = q.after.as_deref().filter(|a| !a.trim().is_empty());
    if after.is_some_and(|a| Key::from_token(a).is_none()) {
        return Err(AppError::invalid(vec![FieldError::new(
            "after",
            "ra-field-cursor",
        )]));
    }
    let per_page = u32::try_from(
        q.per_page
            .unwrap_or(i64::from(manager::QUEUE_PAGE))
            .clamp(1, i64::from(MAX_SIZE)),
    )
    .unwrap_or(manager::QUEUE_PAGE);
    let slice = manager::queue(&state.db, p, &Keyset::parse(after, None, per_page)).await?;
    let link = slice.next.as_ref().map(|key| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("per_page", &per_page.to_string());
        query.append_pair("after", &key.token());
        format!(
            "</api/v1/ra/signature-requests?{}>; rel=\"next\"",
            query.finish()
        )
    });
    let body = Json(slice.items.into_iter().map(request_out).collect::<Vec<_>>());
    Ok(match link {
        Some(link) => ([(axum::http::header::LINK, link)], body).into_response(),
        None => body.into_response(),
    })
}

/// The unsigned PDF of a request, to sign.
#[utoipa::path(get, path = "/api/v1/ra/signature-requests/{id}/document", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", description = "the unsigned document")))]
pub async fn signature_request_document(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = caller.require(Action::SignMandate)?;
    let (r, bytes) = manager::unsigned(&state, p, &id).await?;
    Ok(Download::new("application/pdf", &r.filename, bytes)
        .no_store()
        .into_response())
}

/// The Manager sends back the signed document (multipart: `signed`, a PAdES PDF or a `.p7m`).
/// Accepted only when the signature verifies, the signer's tax code is the Manager's own, the
/// document signed is the one prepared (the content of a `.p7m`; the unsigned revision of a
/// PDF) and the certificate is not revoked; a signed revocation notice revokes the operator
/// today.
#[utoipa::path(post, path = "/api/v1/ra/signature-requests/{id}/signed", tag = "ra", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SignatureRequestOut),
        (status = 409, description = "`not_waiting`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_signed`, `invalid_signature`, `wrong_signer`, `not_the_prepared_document`, `signer_revoked`, `revocation_unavailable`, `manager_without_tax_code`", body = Problem, content_type = "application/problem+json")))]
pub async fn sign_signature_request(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Json<SignatureRequestOut>, AppError> {
    let p = caller.require(Action::SignMandate)?;
    let mut form = MultipartForm::read(mp).await?;
    let file = form.take_file("signed").unwrap_or_default();
    let signed = manager::sign(&state, p, &id, &file.file_name, file.bytes).await?;
    Ok(Json(request_out(signed.request)))
}
