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
use sportello_core::accounts::Principal;
use sportello_core::authz::Action;
use sportello_core::registry::{self, Company};

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
        None if p.company_ids.is_empty() => Err(AppError::forbidden()),
        None => Ok(Err(Redirect::to("/company").into_response())),
    }
}

/// The company user behind a page, if their role composes practices.
pub(crate) fn company_user(viewer: &Viewer) -> Result<&Principal, AppError> {
    viewer.require_action(Action::ComposePractice)
}
