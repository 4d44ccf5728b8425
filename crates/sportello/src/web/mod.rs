//! The web shell: router, layout, templates, assets, language, sessions, CSRF and error
//! pages. Every route of the application is wired in [`router`].

pub mod assets;
pub mod client;
pub mod confirm;
mod csrf;
pub mod download;
pub mod error;
pub mod form;
pub mod form_errors;
pub mod observe;
pub mod ops;
pub mod pager;
pub mod session;

use crate::app::AppState;
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Html;
pub use error::{AppError, FieldError};
pub use session::Viewer;
use sportello_core::authz::{self, Action};
use sportello_core::i18n::Lang;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body accepted (attachments included).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    let router = crate::routes::all()
        .layer(middleware::from_fn(csrf::check_csrf))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::resolve_viewer,
        ))
        .layer(middleware::from_fn(error::render_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
            ),
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ));
    // Behind a load balancer, which instance answered (checked by the multi-instance test,
    // useful when one instance misbehaves). The name was checked to be a plain word.
    let router = match state
        .config
        .instance
        .as_deref()
        .and_then(|name| HeaderValue::from_str(name).ok())
    {
        Some(name) => router.layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("sportello-instance"),
            name,
        )),
        None => router,
    };
    router.with_state(state)
}

/// Renders a template into a page.
pub fn render(template: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(template.render()?))
}

/// A link in the navigation or on a home page.
#[derive(Clone, Debug)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub description: String,
}

/// Where an action is performed in the web interface, when it has a page. The home page
/// of each role lists these links.
pub fn page_of(action: Action) -> Option<&'static str> {
    match action {
        Action::ManageUsers => Some("/admin/users"),
        Action::ManageDesks => Some("/admin/desks"),
        Action::SearchAudit => Some("/audit"),
        Action::ComposePractice => Some("/models/new"),
        Action::WorkInbox => Some("/desk"),
        Action::ViewDashboard => Some("/dashboard"),
        Action::ViewOwnPractices => Some("/practices"),
        Action::ViewWallet => Some("/wallet"),
        Action::ManageTariffs => Some("/admin/tariffs"),
        Action::CreditWallet => Some("/admin/wallet"),
        Action::ManageOperators => Some("/ra/operators"),
        Action::ManageConvention => Some("/ra/convention"),
        Action::ViewOfficeTree => Some("/ra/tree"),
        Action::ViewRestrictedArchive => Some("/ra/archive"),
        Action::SignMandate => Some("/ra/manager"),
        Action::ManageInventory => Some("/devices"),
        Action::ConsignDevices => Some("/devices/odr"),
        Action::ReportIssuedDevices => Some("/devices/reports"),
        Action::ManageAppointments => Some("/appointments"),
        Action::RunIssuance => Some("/issuance"),
        Action::ViewJobs => Some("/admin/jobs"),
        Action::AuthoriseBlankPaper => Some("/admin/blank-paper"),
        Action::RequestDelegation => Some("/delegations"),
        Action::DecideDelegations => Some("/admin/delegations"),
        Action::ManageCompanyUsers => Some("/company/users"),
        Action::ManageIntermediaries => Some("/admin/intermediaries"),
        _ => None,
    }
}

/// What every page's layout needs.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lang: Lang,
    pub title: String,
    pub csrf: String,
    pub path: String,
    pub user_name: Option<String>,
    pub role_label: Option<String>,
    pub nav: Vec<NavLink>,
}

impl Layout {
    pub fn new(viewer: &Viewer, title_key: &str) -> Self {
        let lang = viewer.lang;
        let mut nav = viewer
            .principal
            .as_ref()
            .map(|p| nav_links(p, lang))
            .unwrap_or_default();
        // Issue 15, item 3: an intermediary's people see their clients; a company's users,
        // the mandates it granted.
        if let Some(p) = &viewer.principal
            && authz::permits(p, Action::ComposePractice)
        {
            let (href, key, help) = if p.intermediary.is_some() {
                ("/clients", "mandate-clients-title", "mandate-clients-help")
            } else {
                (
                    "/company/mandates",
                    "mandate-company-title",
                    "mandate-company-help",
                )
            };
            let at = nav.len().saturating_sub(1);
            nav.insert(
                at,
                NavLink {
                    href,
                    label: lang.t(key),
                    description: lang.t(help),
                },
            );
        }
        Self {
            lang,
            title: lang.t(title_key),
            csrf: viewer.csrf.clone(),
            path: viewer.path.clone(),
            user_name: viewer.principal.as_ref().map(|p| p.user.name.clone()),
            role_label: viewer
                .principal
                .as_ref()
                .map(|p| lang.t(p.role().label_key())),
            nav,
        }
    }

    /// A translated message; templates call `layout.t` with a message key.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A stored UTC instant as Italian local time (`25/11/2026 16:58`), a stored date as
    /// `25/11/2026`; other text unchanged.
    pub fn when(&self, instant: &str) -> String {
        sportello_core::display::stored(instant)
    }

    /// A signer of a practice's model as people read it (name, tax code, issuer, verdict).
    pub fn signer(&self, s: &sportello_core::trade::practice::SignerSummary) -> String {
        s.for_people(self.lang)
    }

    /// An attachment's document code (`invoice`) by its name (`Fattura`).
    pub fn document_code(&self, code: &str) -> String {
        sportello_core::trade::practice_type::DocumentCode::parse(code)
            .map(|c| self.lang.t(c.label_key()))
            .unwrap_or_else(|| code.to_string())
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The link that switches to the other language and comes back here.
    pub fn switch_href(&self) -> String {
        let next =
            percent_encoding::utf8_percent_encode(&self.path, percent_encoding::NON_ALPHANUMERIC);
        format!("/lang/{}?next={next}", self.lang.other().code())
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }
}

/// The pages the principal can open, with their labels: their role's, less what their scope
/// at the company they act for does not admit (issue 15, item 2: a read-only user is not
/// offered "Nuova pratica"), by the rule the route table's gate applies (`authz::permits`).
pub fn nav_links(principal: &sportello_core::accounts::Principal, lang: Lang) -> Vec<NavLink> {
    let mut links: Vec<NavLink> = authz::actions_of(principal.role())
        .into_iter()
        .filter(|a| authz::permits(principal, *a))
        .filter_map(|a| page_of(a).map(|href| (a, href)))
        .map(|(a, href)| NavLink {
            href,
            label: lang.t(&action_key(a, "label")),
            description: lang.t(&action_key(a, "help")),
        })
        .collect();
    links.push(NavLink {
        href: "/account",
        label: lang.t("action-account-label"),
        description: lang.t("action-account-help"),
    });
    links
}

fn action_key(action: Action, suffix: &str) -> String {
    let name = serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
        .replace('_', "-");
    format!("action-{name}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_core::accounts::Role;

    #[test]
    fn every_action_and_role_has_a_label_in_both_languages() {
        for lang in [Lang::It, Lang::En] {
            for action in Action::ALL {
                for suffix in ["label", "help"] {
                    let key = action_key(action, suffix);
                    assert_ne!(lang.t(&key), key, "{key} missing in {lang:?}");
                }
            }
            for role in Role::ALL {
                assert_ne!(lang.t(role.label_key()), role.label_key());
            }
        }
    }
}
