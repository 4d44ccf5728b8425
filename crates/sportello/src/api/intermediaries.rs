//! The register of intermediaries for the chamber's office (issue 15, item 3): list, register,
//! read one with its people and mandates, add and remove a person, suspend and reactivate.
//! The same use cases as the pages and the command line (`intermediary::register`).

use crate::api::Caller;
use crate::app::AppState;
use crate::web::AppError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sportello_core::authz::Action;
use sportello_core::intermediary::register::{self, Added};
use sportello_core::intermediary::{self, Intermediary, IntermediaryKind, NewIntermediary};
use utoipa::ToSchema;

/// An intermediary as the office reads it.
#[derive(Serialize, ToSchema)]
pub struct IntermediaryOut {
    pub id: String,
    pub name: String,
    /// Tax code or VAT number.
    pub tax_code: String,
    /// Where its mandate notices go.
    pub email: String,
    pub kind: IntermediaryKind,
    /// `active` or `suspended`.
    pub state: String,
    /// When it was suspended (RFC 3339), while it is.
    pub suspended_at: Option<String>,
    pub created_at: String,
    /// The people who work for it.
    pub users: i64,
    /// Its mandates in force today (begun, not ended, not revoked).
    pub mandates_in_force: i64,
}

fn out(i: Intermediary, users: i64, mandates_in_force: i64) -> IntermediaryOut {
    IntermediaryOut {
        state: if i.suspended() { "suspended" } else { "active" }.into(),
        id: i.id,
        name: i.name,
        tax_code: i.tax_code,
        email: i.email,
        kind: i.kind,
        suspended_at: i.suspended_at,
        created_at: i.created_at,
        users,
        mandates_in_force,
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub tax_code: Option<String>,
    pub active: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: String,
    pub tax_code: String,
    pub email: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct MandateOut {
    pub id: String,
    pub company_id: String,
    pub company_name: String,
    /// Practice types covered.
    pub practice_types: Vec<String>,
    /// Chambers covered, by id.
    pub chamber_ids: Vec<String>,
    pub valid_from: String,
    pub valid_to: String,
    /// `not_started`, `active`, `expired` or `revoked`.
    pub state: String,
}

/// One intermediary with its people, open invitations and mandates.
#[derive(Serialize, ToSchema)]
pub struct IntermediaryDetailOut {
    #[serde(flatten)]
    pub intermediary: IntermediaryOut,
    pub members: Vec<MemberOut>,
    pub invitations: Vec<InvitationOut>,
    pub mandates: Vec<MandateOut>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewIntermediaryIn {
    pub name: String,
    pub tax_code: String,
    pub email: String,
    /// `customs_broker` (default), `freight_forwarder`, `trade_association`, `consultancy`.
    #[serde(default)]
    pub kind: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewMemberIn {
    /// The person's own tax code (16 characters).
    pub tax_code: String,
    pub email: String,
}

/// What adding a person did: `linked` (an account already there works for the intermediary
/// now) or `invited` (at the person's first login with SPID, CIE or CNS).
#[derive(Serialize, ToSchema)]
pub struct AddedOut {
    pub outcome: String,
    pub user_id: Option<String>,
    pub invitation_id: Option<String>,
}

/// Every intermediary, by name, with its people and mandates in force counted.
#[utoipa::path(get, path = "/api/v1/intermediaries", tag = "intermediaries",
    security(("bearer" = [])), responses((status = 200, body = Vec<IntermediaryOut>)))]
pub async fn list_intermediaries(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<IntermediaryOut>>, AppError> {
    caller.require(Action::ManageIntermediaries)?;
    let rows = register::entries(&state.db, state.clock.today()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| out(e.intermediary, e.users, e.mandates_in_force))
            .collect(),
    ))
}

/// Registers an intermediary; the same registration sent again answers the same record.
#[utoipa::path(post, path = "/api/v1/intermediaries", tag = "intermediaries",
    request_body = NewIntermediaryIn, security(("bearer" = [])),
    responses((status = 201, body = IntermediaryOut),
        (status = 409, description = "`validation_failed`: another intermediary has this tax code"),
        (status = 422, description = "`validation_failed`, with the fields: `name`, `tax_code` (length, check digit), `email`, `kind`")))]
pub async fn create_intermediary(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewIntermediaryIn>,
) -> Result<(StatusCode, Json<IntermediaryOut>), AppError> {
    let p = caller.require(Action::ManageIntermediaries)?;
    let i = intermediary::create(
        &state,
        &p.actor(),
        NewIntermediary {
            name: body.name,
            tax_code: body.tax_code,
            email: body.email,
            kind: body.kind,
        },
    )
    .await?;
    let detail = detail(&state, &i.id).await?;
    Ok((StatusCode::CREATED, Json(detail.intermediary)))
}

async fn detail(state: &AppState, id: &str) -> Result<IntermediaryDetailOut, AppError> {
    let i = intermediary::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let members = register::members(&state.db, &i.id).await?;
    let invitations = register::invitations(&state.db, &i.id).await?;
    let mandates = intermediary::mandate::of_intermediary(&state.db, &i.id).await?;
    let today = state.clock.today();
    let in_force = mandates
        .iter()
        .filter(|m| m.state(today) == intermediary::mandate::MandateState::Active)
        .count() as i64;
    Ok(IntermediaryDetailOut {
        intermediary: out(i, members.len() as i64, in_force),
        members: members
            .into_iter()
            .map(|m| MemberOut {
                user_id: m.user_id,
                name: m.name,
                email: m.email,
                tax_code: m.tax_code,
                active: m.active,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationOut {
                id: i.id,
                tax_code: i.tax_code,
                email: i.email,
                created_at: i.created_at,
            })
            .collect(),
        mandates: mandates
            .into_iter()
            .map(|m| MandateOut {
                state: serde_json::to_value(m.state(today))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                id: m.id,
                company_id: m.company_id,
                company_name: m.company_name,
                practice_types: m
                    .practice_types
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect(),
                chamber_ids: m.chamber_ids,
                valid_from: m.valid_from.to_string(),
                valid_to: m.valid_to.to_string(),
            })
            .collect(),
    })
}

/// One intermediary with its people, open invitations and mandates.
#[utoipa::path(get, path = "/api/v1/intermediaries/{id}", tag = "intermediaries",
    security(("bearer" = [])), responses((status = 200, body = IntermediaryDetailOut),
        (status = 404, body = crate::api::Problem)))]
pub async fn get_intermediary(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IntermediaryDetailOut>, AppError> {
    caller.require(Action::ManageIntermediaries)?;
    Ok(Json(detail(&state, &id).await?))
}

/// Adds a person by their own tax code and e-mail: an account with that tax code works for
/// the intermediary at once, anyone else from their first login with a digital identity.
/// The same request again answers the same.
#[utoipa::path(post, path = "/api/v1/intermediaries/{id}/users", tag = "intermediaries",
    request_body = NewMemberIn, security(("bearer" = [])),
    responses((status = 201, body = AddedOut), (status = 404, body = crate::api::Problem),
        (status = 409, description = "`validation_failed`: the person works for another intermediary"),
        (status = 422, description = "`validation_failed`: `tax_code` (not a person's, wrong check character, a staff account), `email`")))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<NewMemberIn>,
) -> Result<(StatusCode, Json<AddedOut>), AppError> {
    let p = caller.require(Action::ManageIntermediaries)?;
    let added = register::add_member(&state, &p.actor(), &id, &body.tax_code, &body.email).await?;
    Ok((
        StatusCode::CREATED,
        Json(match added {
            Added::Linked { user_id } => AddedOut {
                outcome: "linked".into(),
                user_id: Some(user_id),
                invitation_id: None,
            },
            Added::Invited { invitation_id } => AddedOut {
                outcome: "invited".into(),
                user_id: None,
                invitation_id: Some(invitation_id),
            },
        }),
    ))
}

/// Removes a person from the intermediary (their account stays, acting for none of its
/// clients). Removing someone already removed answers 204 too.
#[utoipa::path(delete, path = "/api/v1/intermediaries/{id}/users/{user_id}", tag = "intermediaries",
    security(("bearer" = [])), responses((status = 204), (status = 404, body = crate::api::Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let p = caller.require(Action::ManageIntermediaries)?;
    register::remove_member(&state, &p.actor(), &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspends the intermediary: its people act for no client; its mandates stay recorded.
#[utoipa::path(post, path = "/api/v1/intermediaries/{id}/suspend", tag = "intermediaries",
    security(("bearer" = [])), responses((status = 200, body = IntermediaryOut),
        (status = 404, body = crate::api::Problem)))]
pub async fn suspend_intermediary(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IntermediaryOut>, AppError> {
    let p = caller.require(Action::ManageIntermediaries)?;
    register::suspend(&state, &p.actor(), &id).await?;
    Ok(Json(detail(&state, &id).await?.intermediary))
}

/// Reactivates a suspended intermediary.
#[utoipa::path(post, path = "/api/v1/intermediaries/{id}/reactivate", tag = "intermediaries",
    security(("bearer" = [])), responses((status = 200, body = IntermediaryOut),
        (status = 404, body = crate::api::Problem)))]
pub async fn reactivate_intermediary(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IntermediaryOut>, AppError> {
    let p = caller.require(Action::ManageIntermediaries)?;
    register::reactivate(&state, &p.actor(), &id).await?;
    Ok(Json(detail(&state, &id).await?.intermediary))
}
