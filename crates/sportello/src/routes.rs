//! Every route of Sportello in one table: the pages by area, then the JSON API, the
//! operations endpoints and the static assets.
//!
//! A page's path is written here and nowhere else, with who may call it: the table checks
//! the [`Access`] before the handler runs, so a handler cannot forget the role (it still
//! checks the scope of the object through the core). An API path is written once, in its
//! handler's `#[utoipa::path]`; `routes!` registers the handler under that path and adds it
//! to the OpenAPI document, so an API route cannot exist undocumented.

use crate::api::{self, ApiDoc};
use crate::app::AppState;
use crate::pages::{
    account, admin, admin_intermediaries, appointments, audit, cns, company_users, delegations,
    devices, home, issuance, lang, login, oidc, password, ra, trade,
};
use crate::web::{AppError, Viewer, assets, ops};
use Access::{Public, SignedIn};
use Action::*;
use axum::Router;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sportello_core::authz::{self, Action};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

/// All routes, before the middleware of [`crate::web::router`].
pub fn all() -> Router<AppState> {
    let (api, doc) = api_routes().split_for_parts();
    Router::new()
        .merge(pages().router)
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

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user whose role may perform at least one of these actions.
    AnyOf(&'static [Action]),
}

const fn can(actions: &'static [Action]) -> Access {
    Access::AnyOf(actions)
}

impl Access {
    /// How the OpenAPI document says it: `"public"`, `"signed_in"`, or the actions of the
    /// role matrix of which the caller's role needs one.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Public => serde_json::json!("public"),
            SignedIn => serde_json::json!("signed_in"),
            Access::AnyOf(actions) => serde_json::json!({ "any_of": actions }),
        }
    }

    /// Whether a caller with this role (`None`: not signed in) passes.
    pub fn admits(self, role: Option<sportello_core::accounts::Role>) -> bool {
        match (self, role) {
            (Public, _) => true,
            (_, None) => false,
            (SignedIn, Some(_)) => true,
            (Access::AnyOf(actions), Some(role)) => actions.iter().any(|a| authz::allows(role, *a)),
        }
    }

    /// Whether this caller passes: their role, and for a company user the scope at the
    /// company they act for ([`authz::permits`]).
    pub fn admits_principal(self, principal: Option<&sportello_core::accounts::Principal>) -> bool {
        match (self, principal) {
            (Public, _) => true,
            (_, None) => false,
            (SignedIn, Some(_)) => true,
            (Access::AnyOf(actions), Some(p)) => actions.iter().any(|a| authz::permits(p, *a)),
        }
    }
}

/// One page route: method, path, who may call it.
#[derive(Clone, Copy, Debug)]
pub struct PageRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// The page routes being built, with their table.
#[derive(Default)]
struct Pages {
    router: Router<AppState>,
    table: Vec<PageRoute>,
}

impl Pages {
    fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, axum::routing::get(handler))
    }

    fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, axum::routing::post(handler))
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        let route = match access {
            Public => route,
            _ => route.route_layer(middleware::from_fn_with_state(access, gate)),
        };
        self.router = self.router.route(path, route);
        self.table.push(PageRoute {
            method,
            path,
            access,
        });
        self
    }
}

/// Refuses a caller the route's [`Access`] does not admit: 401 (the login page) when not
/// signed in, 403 otherwise.
async fn gate(
    State(access): State<Access>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let principal = request
        .extensions()
        .get::<Viewer>()
        .and_then(|v| v.principal.as_ref());
    match principal {
        None if access != Public => Err(AppError::unauthorized()),
        _ if !access.admits_principal(principal) => Err(AppError::forbidden()),
        _ => Ok(next.run(request).await),
    }
}

/// Every page route with who may call it (for the authorisation matrix test and the docs).
pub fn page_table() -> Vec<PageRoute> {
    pages().table
}

fn pages() -> Pages {
    Pages::default()
        // Everyone: home, login, language, account.
        .get("/", Public, home::home)
        .get("/login", Public, login::form)
        .post("/login", Public, login::submit)
        .post("/logout", Public, login::logout)
        .post("/login/oidc", Public, oidc::start)
        .post("/login/cns", Public, cns::start)
        .get("/login/cns/email", Public, cns::address_form)
        .post("/login/cns/email", Public, cns::address)
        .get("/login/cns/confirm/{token}", Public, cns::confirm_form)
        .post("/login/cns/confirm/{token}", Public, cns::confirm)
        .get(crate::oidc::CALLBACK_PATH, Public, oidc::callback)
        .get("/welcome", SignedIn, oidc::welcome)
        .get("/password/forgot", Public, password::forgot_form)
        .post("/password/forgot", Public, password::forgot)
        .get("/password/reset/{token}", Public, password::reset_form)
        .post("/password/reset/{token}", Public, password::reset)
        .get("/lang/{code}", Public, lang::switch)
        .get("/account", SignedIn, account::show)
        .post("/account/password", SignedIn, account::change_password)
        .post(
            "/account/tokens/{id}/revoke",
            SignedIn,
            account::revoke_token,
        )
        // Delegations signed by a legal representative, and the company's users as its
        // representative manages them (issue 15, item 2).
        .get("/delegations", can(&[RequestDelegation]), delegations::mine)
        .post(
            "/delegations",
            can(&[RequestDelegation]),
            delegations::submit,
        )
        .get(
            "/admin/delegations",
            can(&[DecideDelegations]),
            delegations::queue,
        )
        .get(
            "/admin/delegations/{id}",
            can(&[DecideDelegations]),
            delegations::show,
        )
        .get(
            "/admin/delegations/{id}/file",
            can(&[DecideDelegations]),
            delegations::file,
        )
        .post(
            "/admin/delegations/{id}/approve",
            can(&[DecideDelegations]),
            delegations::approve,
        )
        .post(
            "/admin/delegations/{id}/reject",
            can(&[DecideDelegations]),
            delegations::reject,
        )
        .get(
            "/company/users",
            can(&[ManageCompanyUsers]),
            company_users::index,
        )
        .get(
            "/companies/{id}/users",
            can(&[ManageCompanyUsers]),
            company_users::show,
        )
        .post(
            "/companies/{id}/users/invite",
            can(&[ManageCompanyUsers]),
            company_users::invite,
        )
        .post(
            "/companies/{id}/users/{user}/remove",
            can(&[ManageCompanyUsers]),
            company_users::remove,
        )
        .post(
            "/companies/{id}/users/{user}/scope",
            can(&[ManageCompanyUsers]),
            company_users::set_scope,
        )
        .post(
            "/companies/{id}/invitations/{invitation}/cancel",
            can(&[ManageCompanyUsers]),
            company_users::cancel_invitation,
        )
        // The chamber's administration and audit.
        .get("/audit", can(&[SearchAudit]), audit::search)
        .get("/audit/{seq}", can(&[SearchAudit]), audit::entry)
        .get("/admin/users", can(&[ManageUsers]), admin::users)
        .post("/admin/users", can(&[ManageUsers]), admin::create_user)
        .get("/admin/users/{id}", can(&[ManageUsers]), admin::user)
        .post(
            "/admin/users/{id}/disable",
            can(&[ManageUsers]),
            admin::disable_user,
        )
        .post(
            "/admin/users/{id}/enable",
            can(&[ManageUsers]),
            admin::enable_user,
        )
        .post(
            "/admin/users/{id}/tokens/{token}/revoke",
            can(&[ManageUsers]),
            admin::revoke_token,
        )
        .get("/admin/desks", can(&[ManageDesks]), admin::desks)
        .post("/admin/desks", can(&[ManageDesks]), admin::create_desk)
        .get("/admin/jobs", can(&[ViewJobs]), admin::jobs)
        .get(
            "/admin/tariffs",
            can(&[ManageTariffs]),
            trade::admin::tariffs,
        )
        .post(
            "/admin/tariffs",
            can(&[ManageTariffs]),
            trade::admin::set_tariff,
        )
        .get("/admin/wallet", can(&[CreditWallet]), trade::admin::wallet)
        .post("/admin/wallet", can(&[CreditWallet]), trade::admin::credit)
        .get(
            "/admin/payments",
            can(&[CreditWallet]),
            trade::pagopa::payments,
        )
        .post(
            "/admin/payments/import",
            can(&[CreditWallet]),
            trade::pagopa::import,
        )
        .get(
            "/admin/intermediaries",
            can(&[ManageIntermediaries]),
            admin_intermediaries::index,
        )
        .post(
            "/admin/intermediaries",
            can(&[ManageIntermediaries]),
            admin_intermediaries::create,
        )
        .get(
            "/admin/intermediaries/{id}",
            can(&[ManageIntermediaries]),
            admin_intermediaries::show,
        )
        .post(
            "/admin/intermediaries/{id}/users",
            can(&[ManageIntermediaries]),
            admin_intermediaries::add_member,
        )
        .post(
            "/admin/intermediaries/{id}/users/{user_id}/remove",
            can(&[ManageIntermediaries]),
            admin_intermediaries::remove_member,
        )
        .post(
            "/admin/intermediaries/{id}/invitations/{invitation_id}/cancel",
            can(&[ManageIntermediaries]),
            admin_intermediaries::cancel_invitation,
        )
        .post(
            "/admin/intermediaries/{id}/suspend",
            can(&[ManageIntermediaries]),
            admin_intermediaries::suspend,
        )
        .post(
            "/admin/intermediaries/{id}/reactivate",
            can(&[ManageIntermediaries]),
            admin_intermediaries::reactivate,
        )
        .get(
            "/admin/payments/settings",
            can(&[CreditWallet]),
            trade::pagopa_admin::settings,
        )
        .post(
            "/admin/payments/settings",
            can(&[CreditWallet]),
            trade::pagopa_admin::save_settings,
        )
        .get(
            "/admin/payments/anomalies/{id}",
            can(&[CreditWallet]),
            trade::pagopa_admin::anomaly,
        )
        .post(
            "/admin/payments/anomalies/{id}/resolve",
            can(&[CreditWallet]),
            trade::pagopa_admin::resolve_anomaly,
        )
        .get(
            "/admin/blank-paper",
            can(&[AuthoriseBlankPaper]),
            trade::admin::blank_paper,
        )
        .post(
            "/admin/blank-paper",
            can(&[AuthoriseBlankPaper]),
            trade::admin::authorise_blank_paper,
        )
        .post(
            "/admin/blank-paper/{id}/withdraw",
            can(&[AuthoriseBlankPaper]),
            trade::admin::withdraw_blank_paper,
        )
        // Foreign trade, company side.
        .get("/company", can(&[ViewOwnPractices]), trade::company::choose)
        .post("/company", can(&[ViewOwnPractices]), trade::company::act)
        .get(
            "/company/profile",
            can(&[ComposePractice]),
            trade::company::profile,
        )
        .post(
            "/company/profile",
            can(&[ComposePractice]),
            trade::company::save_profile,
        )
        // Mandates to intermediaries: the company's page, the intermediary's clients, and the
        // revocation by either side (the core decides which side the user is on).
        .get(
            "/company/mandates",
            can(&[ComposePractice]),
            trade::mandates::company,
        )
        .post(
            "/company/mandates",
            can(&[ComposePractice]),
            trade::mandates::grant,
        )
        .get(
            "/clients",
            can(&[ComposePractice]),
            trade::mandates::clients,
        )
        .post(
            "/clients/delegation",
            can(&[ComposePractice]),
            trade::mandates::delegation,
        )
        .post(
            "/mandates/{id}/revoke",
            can(&[ComposePractice]),
            trade::mandates::revoke,
        )
        .get("/models", can(&[ComposePractice]), trade::models::index)
        .post("/models", can(&[ComposePractice]), trade::models::create)
        .get("/models/new", can(&[ComposePractice]), trade::models::start)
        .get("/models/{id}", can(&[ComposePractice]), trade::models::edit)
        .post(
            "/models/{id}/einvoices",
            can(&[ComposePractice]),
            trade::einvoices::upload,
        )
        .get(
            "/models/{id}/einvoices/{eid}",
            can(&[ComposePractice]),
            trade::einvoices::file,
        )
        .post(
            "/models/{id}/einvoices/{eid}/delete",
            can(&[ComposePractice]),
            trade::einvoices::remove,
        )
        .post("/models/{id}", can(&[ComposePractice]), trade::models::save)
        .get(
            "/models/{id}/xml",
            can(&[ComposePractice]),
            trade::models::xml,
        )
        .get(
            "/models/{id}/preview.pdf",
            can(&[ComposePractice]),
            trade::models::preview,
        )
        .post(
            "/models/{id}/copy",
            can(&[ComposePractice]),
            trade::models::copy,
        )
        .get(
            "/models/{id}/delete",
            can(&[ComposePractice]),
            trade::drafts::confirm_model,
        )
        .post(
            "/models/{id}/delete",
            can(&[ComposePractice]),
            trade::drafts::delete_model,
        )
        .get(
            "/practices",
            can(&[ViewOwnPractices]),
            trade::practices::index,
        )
        .post(
            "/practices",
            can(&[ComposePractice]),
            trade::practices::create,
        )
        .get(
            "/practices/new",
            can(&[ComposePractice]),
            trade::practices::new_form,
        )
        .get(
            "/practices/{id}",
            can(&[ViewOwnPractices]),
            trade::practices::show,
        )
        .post(
            "/practices/{id}/details",
            can(&[ComposePractice]),
            trade::practices::details,
        )
        .get(
            "/practices/{id}/delete",
            can(&[ComposePractice]),
            trade::drafts::confirm_practice,
        )
        .post(
            "/practices/{id}/delete",
            can(&[ComposePractice]),
            trade::drafts::delete_practice,
        )
        .post(
            "/practices/{id}/attachments",
            can(&[ComposePractice]),
            trade::practices::attach,
        )
        .get(
            "/practices/{id}/attachments/{aid}",
            can(&[ViewOwnPractices, WorkInbox]),
            trade::practices::attachment_file,
        )
        .post(
            "/practices/{id}/attachments/{aid}/delete",
            can(&[ComposePractice]),
            trade::practices::detach,
        )
        .post(
            "/practices/{id}/attachments/{aid}/stamps",
            can(&[ComposePractice]),
            trade::practices::stamps,
        )
        .get(
            "/practices/{id}/signed",
            can(&[ViewOwnPractices, WorkInbox]),
            trade::practices::signed_file,
        )
        .post(
            "/practices/{id}/signed-model",
            can(&[ComposePractice]),
            trade::practices::replace_signed_model,
        )
        .get(
            "/practices/{id}/signed-models/{sid}",
            can(&[ViewOwnPractices, WorkInbox]),
            trade::practices::signed_model_file,
        )
        .post(
            "/practices/{id}/send",
            can(&[SendPractice]),
            trade::practices::send,
        )
        .get(
            "/practices/{id}/certificate.pdf",
            can(&[ViewOwnPractices, WorkInbox]),
            trade::desk::certificate_pdf,
        )
        .get(
            "/practices/{id}/documents/{doc_id}",
            can(&[ViewOwnPractices, WorkInbox]),
            trade::desk::document_pdf,
        )
        .get("/wallet", can(&[ViewWallet]), trade::company::wallet)
        .post(
            "/wallet/top-ups",
            can(&[SendPractice]),
            trade::pagopa::request,
        )
        .get(
            "/wallet/top-ups/{id}/notice.pdf",
            can(&[ViewWallet]),
            trade::pagopa::notice_pdf,
        )
        .post(
            "/wallet/top-ups/{id}/cancel",
            can(&[SendPractice]),
            trade::pagopa::cancel,
        )
        .get(
            "/wallet/receipts/{id}",
            can(&[ViewWallet]),
            trade::pagopa::receipt_pdf,
        )
        .get(
            "/wallet/statement",
            can(&[ViewWallet]),
            trade::pagopa::statement,
        )
        // Foreign trade, the chamber's office.
        .get("/desk", can(&[WorkInbox]), trade::desk::inbox)
        .get("/desk/forms", can(&[WorkInbox]), trade::forms::show)
        .post("/desk/forms", can(&[WorkInbox]), trade::forms::act)
        .get("/desk/practices/{id}", can(&[WorkInbox]), trade::desk::show)
        .post(
            "/desk/practices/{id}/form-returned",
            can(&[WorkInbox]),
            trade::desk::form_returned,
        )
        .get(
            "/desk/practices/{id}/{action}",
            can(&[WorkInbox]),
            trade::desk::confirm_decision,
        )
        .post(
            "/desk/practices/{id}/{action}",
            can(&[WorkInbox]),
            trade::desk::decide,
        )
        .get("/dashboard", can(&[ViewDashboard]), trade::dashboard::show)
        .get(
            "/dashboard.csv",
            can(&[ViewDashboard]),
            trade::dashboard::csv,
        )
        .get(
            "/dashboard.xlsx",
            can(&[ViewDashboard]),
            trade::dashboard::xlsx,
        )
        // Public verification of certificates.
        .get("/verify", Public, trade::verify::form)
        .get("/verify/{number}", Public, trade::verify::by_number)
        // Registration authority: convention, offices, operators, checks, courses.
        .get("/ra/operators", can(&[ViewOfficeTree]), ra::operators::list)
        .post(
            "/ra/operators",
            can(&[ManageOperators]),
            ra::operators::create,
        )
        .get(
            "/ra/operators/{id}",
            can(&[ViewOfficeTree]),
            ra::operators::show,
        )
        .get(
            "/ra/operators/{id}/steps/{step}",
            can(&[ManageOperators]),
            ra::operators::confirm_step,
        )
        .post(
            "/ra/operators/{id}/steps/{step}",
            can(&[ManageOperators]),
            ra::operators::step,
        )
        .post(
            "/ra/operators/{id}/link",
            can(&[ManageOperators]),
            ra::operators::link_user,
        )
        // RA procedure, part 1: a revoked ODR's devices come back, two people per return.
        .get(
            "/ra/recalls/{id}",
            can(&[ManageInventory]),
            ra::recall::show,
        )
        .post(
            "/ra/recalls/{id}/devices/{device_id}/return",
            can(&[ManageInventory]),
            ra::recall::report_return,
        )
        .post(
            "/ra/recalls/{id}/devices/{device_id}/confirm",
            can(&[ManageInventory]),
            ra::recall::confirm_return,
        )
        .get(
            "/ra/operators/{id}/staff-sheets/new",
            can(&[ManageOperators]),
            ra::staff_sheets::new,
        )
        .post(
            "/ra/operators/{id}/staff-sheets",
            can(&[ManageOperators]),
            ra::staff_sheets::create,
        )
        // RA procedure, part 1: the Manager's queue; the office prepares, the Manager signs.
        .post(
            "/ra/operators/{id}/signature-requests",
            can(&[ManageOperators]),
            ra::manager::prepare,
        )
        .get("/ra/manager", can(&[SignMandate]), ra::manager::page)
        .get(
            "/ra/manager/{id}/unsigned",
            can(&[SignMandate]),
            ra::manager::unsigned,
        )
        .post(
            "/ra/manager/{id}/sign",
            can(&[SignMandate]),
            ra::manager::sign,
        )
        .get(
            "/ra/convention",
            can(&[ManageConvention]),
            ra::chamber::convention,
        )
        .post(
            "/ra/convention",
            can(&[ManageConvention]),
            ra::chamber::set_convention,
        )
        .post(
            "/ra/convention/extend",
            can(&[ManageOperators]),
            ra::chamber::extend,
        )
        .get("/ra/tree", can(&[ViewOfficeTree]), ra::chamber::tree)
        // The CA's Operating Manual and Certificate Policy: public; the Master RAO publishes.
        .get("/ra/documents", Public, ra::documents::page)
        .post(
            "/ra/documents",
            can(&[ManageOperators]),
            ra::documents::publish,
        )
        .get("/ra/documents/{id}", Public, ra::documents::open)
        .post(
            "/ra/offices",
            can(&[ManageOperators]),
            ra::chamber::create_office,
        )
        .get(
            "/ra/archive",
            can(&[ViewRestrictedArchive]),
            ra::chamber::archive,
        )
        .get(
            "/ra/archive/{id}",
            can(&[ViewRestrictedArchive]),
            ra::chamber::open_document,
        )
        .get(
            "/ra/checks",
            can(&[ManageOperators, ViewRestrictedArchive]),
            ra::checks::page,
        )
        .post(
            "/ra/checks/run",
            can(&[ManageOperators]),
            ra::checks::run_now,
        )
        .post("/ra/checks/draw", can(&[ManageOperators]), ra::checks::draw)
        .post(
            "/ra/checks/{id}/outcome",
            can(&[ManageOperators]),
            ra::checks::outcome,
        )
        .post(
            "/ra/courses/request",
            can(&[ManageOperators]),
            ra::checks::request_courses,
        )
        .post(
            "/ra/courses/results",
            can(&[ManageOperators]),
            ra::checks::import_results,
        )
        // Devices: inventory, withdrawals, consignments to ODRs, reports, statistics.
        .get(
            "/devices",
            can(&[ManageInventory]),
            devices::inventory::page,
        )
        .post(
            "/devices/deliveries",
            can(&[ManageInventory]),
            devices::inventory::import_delivery,
        )
        .post(
            "/devices/store",
            can(&[ManageInventory]),
            devices::inventory::store_all,
        )
        .post(
            "/devices/withdrawals",
            can(&[ManageInventory]),
            devices::inventory::request,
        )
        .post(
            "/devices/withdrawals/{id}/approve",
            can(&[ManageInventory]),
            devices::inventory::approve,
        )
        .post(
            "/devices/withdrawals/{id}/reject",
            can(&[ManageInventory]),
            devices::inventory::reject,
        )
        .get(
            "/devices/free",
            can(&[RunIssuance]),
            devices::inventory::free_check,
        )
        .get(
            "/devices/d/{id}",
            can(&[ManageInventory, DecideDeviceRefund]),
            devices::inventory::device,
        )
        .post(
            "/devices/d/{id}/move",
            can(&[ManageInventory]),
            devices::inventory::manual_move,
        )
        .post(
            "/devices/d/{id}/write-off",
            can(&[ManageInventory]),
            devices::inventory::request_write_off,
        )
        .post(
            "/devices/write-offs/{id}/approve",
            can(&[ManageInventory]),
            devices::inventory::approve_write_off,
        )
        .post(
            "/devices/write-offs/{id}/reject",
            can(&[ManageInventory]),
            devices::inventory::reject_write_off,
        )
        .post(
            "/devices/d/{id}/refund",
            can(&[DecideDeviceRefund]),
            devices::inventory::refund,
        )
        .get("/devices/odr", can(&[ConsignDevices]), devices::odr::page)
        .post(
            "/devices/odr",
            can(&[ConsignDevices]),
            devices::odr::request_consignment,
        )
        .get(
            "/devices/odr/{id}",
            can(&[ConsignDevices, ReportIssuedDevices]),
            devices::odr::account,
        )
        .post(
            "/devices/odr/{id}/top-up",
            can(&[ConsignDevices]),
            devices::odr::top_up,
        )
        .post(
            "/devices/odr/{id}/full-service",
            can(&[ConsignDevices]),
            devices::odr::full_service,
        )
        .get(
            "/devices/reports",
            can(&[ConsignDevices, ReportIssuedDevices]),
            devices::odr::reports,
        )
        .post(
            "/devices/reports",
            can(&[ReportIssuedDevices]),
            devices::odr::submit_report,
        )
        .get(
            "/devices/reports/{id}",
            can(&[ConsignDevices, ReportIssuedDevices]),
            devices::odr::report,
        )
        .post(
            "/devices/reports/{id}/reconcile",
            can(&[ConsignDevices]),
            devices::odr::reconcile,
        )
        .get(
            "/devices/stats",
            can(&[ManageInventory, ViewDashboard]),
            devices::stats::page,
        )
        .get(
            "/devices/stats.xlsx",
            can(&[ManageInventory, ViewDashboard]),
            devices::stats::xlsx,
        )
        // Appointments: public booking, then the desk's day and opening plan.
        .get("/book", Public, appointments::desks)
        .get("/book/cancel/{token}", Public, appointments::cancel_page)
        .post("/book/cancel/{token}", Public, appointments::cancel)
        .get("/book/confirm/{token}", Public, appointments::confirm_page)
        .post("/book/confirm/{token}", Public, appointments::confirm)
        .get("/book/{code}", Public, appointments::slots)
        .post("/book/{code}", Public, appointments::submit)
        .get("/book/{code}/form", Public, appointments::form)
        .get(
            "/appointments",
            can(&[ManageAppointments]),
            appointments::desk::day_view,
        )
        .get(
            "/appointments/{id}/no-show",
            can(&[ManageAppointments]),
            appointments::desk::confirm_no_show,
        )
        .post(
            "/appointments/{id}/no-show",
            can(&[ManageAppointments]),
            appointments::desk::no_show,
        )
        .get(
            "/appointments/plan",
            can(&[ManageOperators]),
            appointments::desk::plan_page,
        )
        .post(
            "/appointments/plan",
            can(&[ManageOperators]),
            appointments::desk::save_plan,
        )
        .post(
            "/appointments/plan/roster",
            can(&[ManageOperators]),
            appointments::desk::save_roster,
        )
        // Issuance at the desk, and the applicant's second screen.
        .get("/issuance", can(&[RunIssuance]), issuance::index)
        .post("/issuance", can(&[RunIssuance]), issuance::walk_in)
        .post(
            "/issuance/from-appointment/{id}",
            can(&[RunIssuance]),
            issuance::from_appointment,
        )
        .get("/issuance/{id}", can(&[RunIssuance]), issuance::show)
        .get("/issuance/{id}/live", can(&[RunIssuance]), issuance::live)
        .post(
            "/issuance/{id}/verify",
            can(&[RunIssuance]),
            issuance::verify,
        )
        .post("/issuance/{id}/scan", can(&[RunIssuance]), issuance::scan)
        .get(
            "/issuance/{id}/scan",
            can(&[RunIssuance]),
            issuance::read_scan,
        )
        .post(
            "/issuance/{id}/device",
            can(&[RunIssuance]),
            issuance::device,
        )
        .post("/issuance/{id}/otp", can(&[RunIssuance]), issuance::otp)
        .post(
            "/issuance/{id}/personalise",
            can(&[RunIssuance]),
            issuance::personalise,
        )
        .post(
            "/issuance/{id}/hand-over",
            can(&[RunIssuance]),
            issuance::hand_over,
        )
        .get(
            "/issuance/{id}/abort",
            can(&[RunIssuance]),
            issuance::confirm_abort,
        )
        .post("/issuance/{id}/abort", can(&[RunIssuance]), issuance::abort)
        .post(
            "/issuance/{id}/pairing",
            can(&[RunIssuance]),
            issuance::pairing,
        )
        .get(
            "/issuance/{id}/holder.pdf",
            can(&[RunIssuance]),
            issuance::holder,
        )
        .get("/screen", Public, issuance::screen::screen_pair)
        .post("/screen", Public, issuance::screen::screen_submit)
        .get("/screen/session", Public, issuance::screen::screen)
        .get(
            "/screen/session/live",
            Public,
            issuance::screen::screen_live,
        )
        .post(
            "/screen/clauses/{n}",
            Public,
            issuance::screen::screen_clause,
        )
        .post("/screen/otp", Public, issuance::screen::screen_otp)
}

/// Checks `access` before the handlers of one `routes!` run, and writes it in the OpenAPI
/// document as `x-sportello-access` on each operation, so API clients can read it too.
fn guarded(access: Access, routes: UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    let (schemas, mut paths, router) = routes;
    for item in paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .extensions
                .get_or_insert_with(Default::default)
                .insert("x-sportello-access".into(), access.to_json());
        }
    }
    let router = match access {
        Public => router,
        _ => router.route_layer(middleware::from_fn_with_state(access, gate)),
    };
    (schemas, paths, router)
}

/// The JSON API under `/api/v1`, each handler group with who may call it. Handlers of one
/// path with several methods go in one `routes!` (and share its access).
fn api_routes() -> OpenApiRouter<AppState> {
    use api::{auth, delegations, desk, devices, intermediaries, pagopa, ra, trade, webhooks};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(guarded(Public, routes!(auth::issue_token)))
        .routes(guarded(SignedIn, routes!(auth::me)))
        // Foreign trade: the registry, base models, practices, wallet, profile.
        .routes(guarded(
            can(&[LookupRegistry]),
            routes!(trade::lookup_companies),
        ))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::create_model),
        ))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::get_model, trade::update_model),
        ))
        .routes(guarded(can(&[ComposePractice]), routes!(trade::model_xml)))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::model_preview),
        ))
        .routes(guarded(
            can(&[ComposePractice, ViewOwnPractices]),
            routes!(trade::create_practice, trade::list_practices),
        ))
        .routes(guarded(
            can(&[ViewOwnPractices]),
            routes!(trade::get_practice),
        ))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::add_attachment),
        ))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::set_attachment_stamps),
        ))
        .routes(guarded(can(&[SendPractice]), routes!(trade::send_practice)))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::replace_signed_model),
        ))
        .routes(guarded(can(&[ViewWallet]), routes!(trade::get_wallet)))
        // pagoPA top-ups and the wallet's receipts (issue 15, item 4).
        .routes(guarded(
            can(&[ViewWallet]),
            routes!(pagopa::list_positions, pagopa::create_position),
        ))
        .routes(guarded(
            can(&[ViewWallet]),
            routes!(pagopa::position_notice),
        ))
        .routes(guarded(can(&[ViewWallet]), routes!(pagopa::list_receipts)))
        .routes(guarded(can(&[ViewWallet]), routes!(pagopa::receipt_pdf)))
        // Delegations signed by a legal representative (issue 15, item 2).
        .routes(guarded(
            can(&[RequestDelegation]),
            routes!(
                delegations::list_delegations,
                delegations::create_delegation
            ),
        ))
        .routes(guarded(
            can(&[RequestDelegation]),
            routes!(delegations::get_delegation),
        ))
        // The register of intermediaries, kept by the chamber's office (issue 15, item 3).
        .routes(guarded(
            can(&[ManageIntermediaries]),
            routes!(
                intermediaries::list_intermediaries,
                intermediaries::create_intermediary
            ),
        ))
        .routes(guarded(
            can(&[ManageIntermediaries]),
            routes!(intermediaries::get_intermediary),
        ))
        .routes(guarded(
            can(&[ManageIntermediaries]),
            routes!(intermediaries::add_member),
        ))
        .routes(guarded(
            can(&[ManageIntermediaries]),
            routes!(intermediaries::remove_member),
        ))
        .routes(guarded(
            can(&[ManageIntermediaries]),
            routes!(intermediaries::suspend_intermediary),
        ))
        .routes(guarded(
            can(&[ManageIntermediaries]),
            routes!(intermediaries::reactivate_intermediary),
        ))
        // Webhooks to the company's ERP.
        .routes(guarded(
            can(&[ManageWebhooks]),
            routes!(webhooks::create_webhook, webhooks::list_webhooks),
        ))
        .routes(guarded(
            can(&[ManageWebhooks]),
            routes!(webhooks::get_webhook, webhooks::delete_webhook),
        ))
        .routes(guarded(
            can(&[ComposePractice]),
            routes!(trade::put_profile),
        ))
        // The office's decisions and the public verification.
        .routes(guarded(can(&[WorkInbox]), routes!(desk::take)))
        .routes(guarded(
            can(&[WorkInbox]),
            routes!(desk::request_rectification),
        ))
        .routes(guarded(can(&[WorkInbox]), routes!(desk::approve)))
        .routes(guarded(can(&[WorkInbox]), routes!(desk::reject)))
        .routes(guarded(can(&[WorkInbox]), routes!(desk::cancel)))
        .routes(guarded(
            can(&[ViewOwnPractices, WorkInbox]),
            routes!(desk::certificate_pdf),
        ))
        .routes(guarded(
            can(&[ViewOwnPractices, WorkInbox]),
            routes!(desk::document_pdf),
        ))
        .routes(guarded(Public, routes!(desk::verify_certificate)))
        // Registration authority.
        .routes(guarded(
            can(&[ManageConvention]),
            routes!(ra::put_convention),
        ))
        .routes(guarded(
            can(&[ManageOperators]),
            routes!(ra::extend_mandates),
        ))
        .routes(guarded(
            can(&[ManageOperators]),
            routes!(ra::create_operator),
        ))
        .routes(guarded(can(&[ViewOfficeTree]), routes!(ra::get_operator)))
        .routes(guarded(can(&[ManageOperators]), routes!(ra::send_mandate)))
        .routes(guarded(can(&[ManageOperators]), routes!(ra::record_course)))
        .routes(guarded(can(&[ManageOperators]), routes!(ra::revoke)))
        .routes(guarded(
            can(&[ManageOperators]),
            routes!(ra::prepare_signature_request),
        ))
        .routes(guarded(
            can(&[SignMandate]),
            routes!(ra::list_signature_requests),
        ))
        .routes(guarded(
            can(&[SignMandate]),
            routes!(ra::signature_request_document),
        ))
        .routes(guarded(
            can(&[SignMandate]),
            routes!(ra::sign_signature_request),
        ))
        // Devices.
        .routes(guarded(
            can(&[RunIssuance]),
            routes!(devices::free_eligibility),
        ))
        .routes(guarded(
            can(&[ManageInventory]),
            routes!(devices::get_stock),
        ))
        .routes(guarded(
            can(&[ManageInventory, ConsignDevices]),
            routes!(devices::request_withdrawal),
        ))
        .routes(guarded(
            can(&[ManageInventory]),
            routes!(devices::approve_withdrawal),
        ))
        .routes(guarded(
            can(&[ConsignDevices, ReportIssuedDevices]),
            routes!(devices::get_advance),
        ))
        .routes(guarded(can(&[ConsignDevices]), routes!(devices::top_up)))
}
