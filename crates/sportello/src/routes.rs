//! Every route of Sportello in one table: the pages by area, then the JSON API, the
//! operations endpoints and the static assets.
//!
//! A page's path is written here and nowhere else. An API path is written once, in its
//! handler's `#[utoipa::path]`; `routes!` registers the handler under that path and adds it
//! to the OpenAPI document, so an API route cannot exist undocumented.

use crate::api::{self, ApiDoc};
use crate::app::AppState;
use crate::pages::{
    account, admin, appointments, audit, devices, home, issuance, lang, login, ra, trade,
};
use crate::web::{AppError, assets, ops};
use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// All routes, before the middleware of [`crate::web::router`].
pub fn all() -> Router<AppState> {
    let (api, doc) = api_routes().split_for_parts();
    Router::new()
        .merge(pages())
        .merge(api)
        .merge(api::docs(doc))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/{*path}", get(assets::serve))
        .fallback(|| async { AppError::not_found() })
}

/// The OpenAPI document of the JSON API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().into_openapi()
}

fn pages() -> Router<AppState> {
    Router::new()
        // Everyone: home, login, language, account.
        .route("/", get(home::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang/{code}", get(lang::switch))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        // The chamber's administration and audit.
        .route("/audit", get(audit::search))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/desks", get(admin::desks).post(admin::create_desk))
        .route("/admin/jobs", get(admin::jobs))
        .route(
            "/admin/tariffs",
            get(trade::admin::tariffs).post(trade::admin::set_tariff),
        )
        .route(
            "/admin/wallet",
            get(trade::admin::wallet).post(trade::admin::credit),
        )
        // Foreign trade, company side.
        .route(
            "/company",
            get(trade::company::choose).post(trade::company::act),
        )
        .route(
            "/company/profile",
            get(trade::company::profile).post(trade::company::save_profile),
        )
        .route(
            "/models",
            get(trade::models::index).post(trade::models::create),
        )
        .route("/models/new", get(trade::models::start))
        .route(
            "/models/{id}",
            get(trade::models::edit).post(trade::models::save),
        )
        .route("/models/{id}/xml", get(trade::models::xml))
        .route("/models/{id}/preview.pdf", get(trade::models::preview))
        .route("/models/{id}/copy", post(trade::models::copy))
        .route(
            "/practices",
            get(trade::practices::index).post(trade::practices::create),
        )
        .route("/practices/new", get(trade::practices::new_form))
        .route("/practices/{id}", get(trade::practices::show))
        .route("/practices/{id}/details", post(trade::practices::details))
        .route(
            "/practices/{id}/attachments",
            post(trade::practices::attach),
        )
        .route(
            "/practices/{id}/attachments/{aid}",
            get(trade::practices::attachment_file),
        )
        .route(
            "/practices/{id}/attachments/{aid}/delete",
            post(trade::practices::detach),
        )
        .route("/practices/{id}/signed", get(trade::practices::signed_file))
        .route("/practices/{id}/send", post(trade::practices::send))
        .route(
            "/practices/{id}/certificate.pdf",
            get(trade::desk::certificate_pdf),
        )
        .route(
            "/practices/{id}/documents/{doc_id}",
            get(trade::desk::document_pdf),
        )
        .route("/wallet", get(trade::company::wallet))
        // Foreign trade, the chamber's office.
        .route("/desk", get(trade::desk::inbox))
        .route(
            "/desk/forms",
            get(trade::forms::show).post(trade::forms::act),
        )
        .route("/desk/practices/{id}", get(trade::desk::show))
        .route(
            "/desk/practices/{id}/form-returned",
            post(trade::desk::form_returned),
        )
        .route("/desk/practices/{id}/{action}", post(trade::desk::decide))
        .route("/dashboard", get(trade::dashboard::show))
        .route("/dashboard.csv", get(trade::dashboard::csv))
        .route("/dashboard.xlsx", get(trade::dashboard::xlsx))
        // Public verification of certificates.
        .route("/verify", get(trade::verify::form))
        .route("/verify/{number}", get(trade::verify::by_number))
        // Registration authority: convention, offices, operators, checks, courses.
        .route(
            "/ra/operators",
            get(ra::operators::list).post(ra::operators::create),
        )
        .route("/ra/operators/{id}", get(ra::operators::show))
        .route("/ra/operators/{id}/steps/{step}", post(ra::operators::step))
        .route("/ra/operators/{id}/link", post(ra::operators::link_user))
        .route(
            "/ra/convention",
            get(ra::chamber::convention).post(ra::chamber::set_convention),
        )
        .route("/ra/convention/extend", post(ra::chamber::extend))
        .route("/ra/tree", get(ra::chamber::tree))
        .route("/ra/offices", post(ra::chamber::create_office))
        .route("/ra/archive", get(ra::chamber::archive))
        .route("/ra/archive/{id}", get(ra::chamber::open_document))
        .route("/ra/checks", get(ra::checks::page))
        .route("/ra/checks/run", post(ra::checks::run_now))
        .route("/ra/checks/draw", post(ra::checks::draw))
        .route("/ra/checks/{id}/outcome", post(ra::checks::outcome))
        .route("/ra/courses/request", post(ra::checks::request_courses))
        .route("/ra/courses/results", post(ra::checks::import_results))
        // Devices: inventory, withdrawals, consignments to ODRs, reports, statistics.
        .route("/devices", get(devices::inventory::page))
        .route(
            "/devices/deliveries",
            post(devices::inventory::import_delivery),
        )
        .route("/devices/store", post(devices::inventory::store_all))
        .route("/devices/withdrawals", post(devices::inventory::request))
        .route(
            "/devices/withdrawals/{id}/approve",
            post(devices::inventory::approve),
        )
        .route(
            "/devices/withdrawals/{id}/reject",
            post(devices::inventory::reject),
        )
        .route("/devices/free", get(devices::inventory::free_check))
        .route("/devices/d/{id}", get(devices::inventory::device))
        .route(
            "/devices/d/{id}/move",
            post(devices::inventory::manual_move),
        )
        .route("/devices/d/{id}/refund", post(devices::inventory::refund))
        .route(
            "/devices/odr",
            get(devices::odr::page).post(devices::odr::request_consignment),
        )
        .route("/devices/odr/{id}", get(devices::odr::account))
        .route("/devices/odr/{id}/top-up", post(devices::odr::top_up))
        .route(
            "/devices/odr/{id}/full-service",
            post(devices::odr::full_service),
        )
        .route(
            "/devices/reports",
            get(devices::odr::reports).post(devices::odr::submit_report),
        )
        .route("/devices/reports/{id}", get(devices::odr::report))
        .route(
            "/devices/reports/{id}/reconcile",
            post(devices::odr::reconcile),
        )
        .route("/devices/stats", get(devices::stats::page))
        .route("/devices/stats.xlsx", get(devices::stats::xlsx))
        // Appointments: public booking, then the desk's day and opening plan.
        .route("/book", get(appointments::desks))
        .route(
            "/book/cancel/{token}",
            get(appointments::cancel_page).post(appointments::cancel),
        )
        .route(
            "/book/{code}",
            get(appointments::slots).post(appointments::submit),
        )
        .route("/book/{code}/form", get(appointments::form))
        .route("/appointments", get(appointments::desk::day_view))
        .route(
            "/appointments/{id}/no-show",
            post(appointments::desk::no_show),
        )
        .route(
            "/appointments/plan",
            get(appointments::desk::plan_page).post(appointments::desk::save_plan),
        )
        .route(
            "/appointments/plan/roster",
            post(appointments::desk::save_roster),
        )
        // Issuance at the desk, and the applicant's second screen.
        .route("/issuance", get(issuance::index).post(issuance::walk_in))
        .route(
            "/issuance/from-appointment/{id}",
            post(issuance::from_appointment),
        )
        .route("/issuance/{id}", get(issuance::show))
        .route("/issuance/{id}/live", get(issuance::live))
        .route("/issuance/{id}/verify", post(issuance::verify))
        .route(
            "/issuance/{id}/scan",
            post(issuance::scan).get(issuance::read_scan),
        )
        .route("/issuance/{id}/device", post(issuance::device))
        .route("/issuance/{id}/otp", post(issuance::otp))
        .route("/issuance/{id}/personalise", post(issuance::personalise))
        .route("/issuance/{id}/hand-over", post(issuance::hand_over))
        .route("/issuance/{id}/abort", post(issuance::abort))
        .route("/issuance/{id}/pairing", post(issuance::pairing))
        .route("/issuance/{id}/holder.pdf", get(issuance::holder))
        .route(
            "/screen",
            get(issuance::screen::screen_pair).post(issuance::screen::screen_submit),
        )
        .route("/screen/session", get(issuance::screen::screen))
        .route("/screen/session/live", get(issuance::screen::screen_live))
        .route("/screen/clauses/{n}", post(issuance::screen::screen_clause))
        .route("/screen/otp", post(issuance::screen::screen_otp))
}

/// The JSON API under `/api/v1`. Handlers of one path with several methods go in one
/// `routes!`.
fn api_routes() -> OpenApiRouter<AppState> {
    use api::{auth, desk, devices, ra, trade};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::issue_token))
        .routes(routes!(auth::me))
        // Foreign trade: the registry, base models, practices, wallet, profile.
        .routes(routes!(trade::lookup_companies))
        .routes(routes!(trade::create_model))
        .routes(routes!(trade::get_model, trade::update_model))
        .routes(routes!(trade::model_xml))
        .routes(routes!(trade::model_preview))
        .routes(routes!(trade::create_practice, trade::list_practices))
        .routes(routes!(trade::get_practice))
        .routes(routes!(trade::add_attachment))
        .routes(routes!(trade::send_practice))
        .routes(routes!(trade::get_wallet))
        .routes(routes!(trade::put_profile))
        // The office's decisions and the public verification.
        .routes(routes!(desk::take))
        .routes(routes!(desk::request_rectification))
        .routes(routes!(desk::approve))
        .routes(routes!(desk::reject))
        .routes(routes!(desk::cancel))
        .routes(routes!(desk::certificate_pdf))
        .routes(routes!(desk::verify_certificate))
        // Registration authority.
        .routes(routes!(ra::put_convention))
        .routes(routes!(ra::extend_mandates))
        .routes(routes!(ra::create_operator))
        .routes(routes!(ra::get_operator))
        .routes(routes!(ra::send_mandate))
        .routes(routes!(ra::record_course))
        .routes(routes!(ra::revoke))
        // Devices.
        .routes(routes!(devices::free_eligibility))
        .routes(routes!(devices::get_stock))
        .routes(routes!(devices::request_withdrawal))
        .routes(routes!(devices::approve_withdrawal))
        .routes(routes!(devices::get_advance))
        .routes(routes!(devices::top_up))
}
