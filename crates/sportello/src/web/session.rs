//! Who is asking: the session cookie (pages) or the bearer token (API), the language, and
//! the CSRF token of the forms rendered for this visitor.
//!
//! Pages authenticate only with the session cookie, the API only with bearer tokens, so a
//! browser's cookies can never drive the API (no CSRF there) and tokens never drive pages.

use crate::app::AppState;
use crate::web::error::AppError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sportello_core::accounts::{self, Principal, session};
use sportello_core::authz::{self, Action};
use sportello_core::i18n::Lang;

pub const SESSION_COOKIE: &str = "sp_session";
pub const CSRF_COOKIE: &str = "sp_csrf";
pub const LANG_COOKIE: &str = "sp_lang";

/// The visitor of this request, available to every handler and to the error pages.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub lang: Lang,
    pub principal: Option<Principal>,
    /// The token every form of this visitor must echo back.
    pub csrf: String,
    /// The session cookie, when logged in with one.
    pub session_token: Option<String>,
    /// Path and query of the request (language switch, login redirect).
    pub path: String,
}

impl Viewer {
    pub fn anonymous(lang: Lang, path: String) -> Self {
        Self {
            lang,
            principal: None,
            csrf: String::new(),
            session_token: None,
            path,
        }
    }

    /// The principal, or 401.
    pub fn require(&self) -> Result<&Principal, AppError> {
        self.principal.as_ref().ok_or_else(AppError::unauthorized)
    }

    /// The principal if they may perform `action` (their role, and a company user's scope at
    /// the company they act for); 401 or 403 otherwise.
    pub fn require_action(&self, action: Action) -> Result<&Principal, AppError> {
        let p = self.require()?;
        if authz::permits(p, action) {
            Ok(p)
        } else {
            Err(AppError::forbidden())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("session layer missing")))
    }
}

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value with the attributes every cookie of ours carries.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    // The session and the digital-identity login cookie come back with the identity
    // provider's redirect, a top-level navigation from another site: `Lax`, not `Strict`.
    let same_site = if name == SESSION_COOKIE || name == crate::pages::oidc::OIDC_COOKIE {
        "Lax"
    } else {
        "Strict"
    };
    let value = format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite={same_site}{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The visitor's language: the language cookie, else `Accept-Language`, else Italian.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Resolves the [`Viewer`] and puts it in the request extensions (for handlers) and in the
/// response extensions (for the error pages rendered outside this layer).
pub async fn resolve_viewer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let headers = request.headers();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let lang = lang_of(headers);
    let now = state.clock.now();
    let lifetime = chrono::Duration::hours(state.config.session_hours);
    let is_api = request.uri().path().starts_with("/api/");

    let mut viewer = Viewer::anonymous(lang, path);
    let mut new_csrf_cookie = None;
    if is_api {
        if let Some(token) = bearer(headers) {
            viewer.principal = accounts::token::principal(&state, token).await?;
        }
    } else {
        let session = match cookie(headers, SESSION_COOKIE) {
            Some(token) => session::load(&state.db, now, &token, lifetime)
                .await?
                .map(|s| (token, s)),
            None => None,
        };
        match session {
            Some((token, s)) => {
                viewer.principal =
                    accounts::load_principal(&state, &s.user_id, s.acting_company_id).await?;
                viewer.csrf = s.csrf_token;
                viewer.session_token = Some(token);
            }
            None => match cookie(headers, CSRF_COOKIE).filter(|c| c.len() >= 32) {
                Some(c) => viewer.csrf = c,
                None => {
                    let c = session::random_token();
                    viewer.csrf = c.clone();
                    new_csrf_cookie = Some(c);
                }
            },
        }
    }
    request.extensions_mut().insert(viewer.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(viewer);
    if let Some(c) = new_csrf_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &c, 60 * 60 * 24, state.config.secure_cookies()),
        );
    }
    Ok(response)
}
