//! The company's pages (Cert'O for exporters) and the chamber administrator's tariff and
//! wallet pages.

pub mod admin;
mod company;
mod dashboard;
mod desk;
pub mod form_view;
mod forms;
mod models;
mod practices;
mod verify;

use crate::app::AppState;
use crate::web::{AppError, Viewer};
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sportello_core::accounts::Principal;
use sportello_core::authz::Action;
use sportello_core::registry::{self, Company};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/company", get(company::choose).post(company::act))
        .route(
            "/company/profile",
            get(company::profile).post(company::save_profile),
        )
        .route("/models", get(models::index).post(models::create))
        .route("/models/new", get(models::start))
        .route("/models/{id}", get(models::edit).post(models::save))
        .route("/models/{id}/xml", get(models::xml))
        .route("/models/{id}/preview.pdf", get(models::preview))
        .route("/models/{id}/copy", post(models::copy))
        .route("/practices", get(practices::index).post(practices::create))
        .route("/practices/new", get(practices::new_form))
        .route("/practices/{id}", get(practices::show))
        .route("/practices/{id}/details", post(practices::details))
        .route("/practices/{id}/attachments", post(practices::attach))
        .route(
            "/practices/{id}/attachments/{aid}",
            get(practices::attachment_file),
        )
        .route(
            "/practices/{id}/attachments/{aid}/delete",
            post(practices::detach),
        )
        .route("/practices/{id}/signed", get(practices::signed_file))
        .route("/practices/{id}/send", post(practices::send))
        .route("/wallet", get(company::wallet))
        .route(
            "/admin/tariffs",
            get(admin::tariffs).post(admin::set_tariff),
        )
        .route("/admin/wallet", get(admin::wallet).post(admin::credit))
        .route(
            "/practices/{id}/certificate.pdf",
            get(desk::certificate_pdf),
        )
        .route(
            "/practices/{id}/documents/{doc_id}",
            get(desk::document_pdf),
        )
        .route("/desk", get(desk::inbox))
        .route("/desk/forms", get(forms::show).post(forms::act))
        .route("/desk/practices/{id}", get(desk::show))
        .route(
            "/desk/practices/{id}/form-returned",
            post(desk::form_returned),
        )
        .route("/desk/practices/{id}/{action}", post(desk::decide))
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard.csv", get(dashboard::csv))
        .route("/dashboard.xlsx", get(dashboard::xlsx))
        .route("/verify", get(verify::form))
        .route("/verify/{number}", get(verify::by_number))
}

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
