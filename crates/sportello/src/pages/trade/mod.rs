//! The company's pages (Cert'O for exporters) and the chamber administrator's tariff and
//! wallet pages.

pub mod admin;
pub mod company;
pub mod dashboard;
pub mod desk;
pub mod drafts;
pub mod einvoices;
pub mod form_view;
pub mod forms;
pub mod mandates;
pub mod models;
pub mod pagopa;
pub mod pagopa_admin;
pub mod practices;
pub mod verify;

use crate::app::AppState;
use crate::web::{AppError, Viewer};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::company_access::{self, CompanyRefusal, Target};
use sportello_core::accounts::{CompanyScope, Principal};
use sportello_core::authz::Action;
use sportello_core::registry::{self, Company};
use sportello_core::trade::model::{self, Model};
use sportello_core::trade::practice::{self, Practice};

/// The company the user is acting for; with several and none chosen, the answer is to go and
/// choose one.
pub(crate) async fn acting_company(
    state: &AppState,
    p: &Principal,
) -> Result<Result<Company, Response>, AppError> {
    match &p.acting_company_id {
        Some(id) => Ok(Ok(registry::get_company(&state.db, id)
            .await?
            .ok_or_else(AppError::not_found)?)),
        // An intermediary's user whose clients' mandates all ended is told why, by the
        // newest mandate (issue 15: "… è scaduto il …").
        None if p.company_ids.is_empty() => match p
            .mandates
            .iter()
            .max_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)))
        {
            Some(m) => {
                company_access::require(
                    &state.db,
                    p,
                    CompanyScope::Read,
                    Target::company(&m.company_id),
                    state.clock.now(),
                )
                .await?;
                Err(AppError::forbidden())
            }
            None => Err(AppError::forbidden()),
        },
        None => Ok(Err(Redirect::to("/company").into_response())),
    }
}

/// For a company the principal does not act for: a former client of an intermediary gets the
/// mandate's refusal, anyone else a plain refusal.
pub(crate) async fn refuse_company(
    state: &AppState,
    p: &Principal,
    company_id: &str,
) -> Result<(), AppError> {
    match company_access::require(
        &state.db,
        p,
        CompanyScope::Read,
        Target::company(company_id),
        state.clock.now(),
    )
    .await
    {
        Err(CompanyRefusal::NotFound) | Ok(()) => Err(AppError::forbidden()),
        Err(e) => Err(e.into()),
    }
}

/// A practice for a company-side write needing `needed`, checked at its own company
/// (`practice::get_for_write`): not found outside the principal's companies, else the scope
/// or the mandate named.
pub(crate) async fn writable_practice(
    state: &AppState,
    p: &Principal,
    id: &str,
    needed: CompanyScope,
) -> Result<Practice, AppError> {
    Ok(practice::get_for_write(&state.db, p, id, needed, state.clock.now()).await?)
}

/// A base model for a company-side write (`model::get_for_write`), as [`writable_practice`].
pub(crate) async fn writable_model(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> Result<Model, AppError> {
    model::get_for_write(&state.db, p, id, state.clock.now())
        .await
        .map_err(crate::web::error::trade::model_error)
}

/// The company user behind a page, if their role composes practices.
pub(crate) fn company_user(viewer: &Viewer) -> Result<&Principal, AppError> {
    viewer.require_action(Action::ComposePractice)
}
