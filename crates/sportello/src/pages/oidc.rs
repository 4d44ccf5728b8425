//! Login with a digital identity (SPID, CIE) through the deployment's OpenID Connect
//! provider, and the page a person sees after signing up.
//!
//! `POST /login/oidc` records the login under way in the database (state, nonce, PKCE
//! verifier: `accounts::oidc::pending`), ties it to this browser with a short cookie, and
//! sends the browser to the provider. `GET /login/oidc/callback` takes that login once,
//! checks the cookie, lets [`crate::oidc`] exchange the code and verify the ID token, and
//! hands the claims to `accounts::oidc::sign_in`. Any failure shows the login page with a
//! message saying what went wrong, and creates nothing.

use crate::app::AppState;
use crate::oidc::{OidcFailure, OidcLogin};
use crate::pages::local_path;
use crate::web::error::AppError;
use crate::web::form_errors::FormErrors;
use crate::web::session::{SESSION_COOKIE, Viewer, cookie, set_cookie};
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::oidc::{self as identity, FiscalNumberError, SignInError, pending};
use sportello_core::accounts::session;
use sportello_core::i18n::Lang;

/// The cookie that ties the provider's answer to the browser that asked (no login CSRF).
pub const OIDC_COOKIE: &str = "sp_oidc";

#[derive(serde::Deserialize)]
pub struct StartForm {
    next: Option<String>,
}

/// Starts a login at the identity provider.
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let Some(oidc) = state.oidc.clone() else {
        return Err(AppError::not_found());
    };
    let next = local_path(form.next.as_deref()).to_string();
    let (challenge, verifier) = OidcLogin::pkce();
    let started = pending::begin(&state.db, state.clock.now(), &verifier, &next).await?;
    match oidc
        .authorize_url(&started.state, &started.nonce, challenge)
        .await
    {
        Ok(url) => {
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    OIDC_COOKIE,
                    &started.browser_token,
                    pending::PENDING_MINUTES * 60,
                    state.config.secure_cookies(),
                ),
            );
            Ok(response)
        }
        Err(e) => {
            tracing::warn!(error = %e, "OpenID provider unavailable");
            failed(
                &state,
                &viewer,
                StatusCode::SERVICE_UNAVAILABLE,
                viewer.lang.t("oidc-error-unavailable"),
                &next,
            )
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where the provider sends the browser back.
pub async fn callback(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let Some(oidc) = state.oidc.clone() else {
        return Err(AppError::not_found());
    };
    let lang = viewer.lang;
    let now = state.clock.now();
    let taken = match q.state.as_deref() {
        Some(s) if !s.is_empty() => pending::take(&state.db, now, s).await?,
        _ => None,
    };
    let browser = cookie(&headers, OIDC_COOKIE);
    let Some(login) = taken.filter(|p| p.started_by(browser.as_deref())) else {
        return failed(
            &state,
            &viewer,
            StatusCode::BAD_REQUEST,
            lang.t("oidc-error-state"),
            "/",
        );
    };
    let code = match (&q.error, q.code.as_deref()) {
        (None, Some(code)) if !code.is_empty() => code.to_string(),
        _ => {
            tracing::info!(error = ?q.error, "the identity provider did not confirm the login");
            return failed(
                &state,
                &viewer,
                StatusCode::BAD_REQUEST,
                lang.t("oidc-error-provider"),
                &login.next_path,
            );
        }
    };
    let claims = match oidc
        .finish(&state, &code, &login.pkce_verifier, &login.nonce)
        .await
    {
        Ok(claims) => claims,
        Err(e) => {
            tracing::warn!(error = %e, "login with the identity provider refused");
            let (status, key) = match e {
                OidcFailure::Unavailable(_) => {
                    (StatusCode::SERVICE_UNAVAILABLE, "oidc-error-unavailable")
                }
                OidcFailure::Exchange(_) => (StatusCode::BAD_REQUEST, "oidc-error-provider"),
                OidcFailure::Token(_) => (StatusCode::BAD_REQUEST, "oidc-error-token"),
            };
            return failed(&state, &viewer, status, lang.t(key), &login.next_path);
        }
    };
    let signed = match identity::sign_in(&state, &claims).await {
        Ok(signed) => signed,
        Err(SignInError::Db(e)) => return Err(e.into()),
        Err(e) => {
            tracing::info!(error = %e, issuer = %claims.issuer, "identity not signed in");
            let status = match e {
                SignInError::Disabled => StatusCode::UNAUTHORIZED,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return failed(
                &state,
                &viewer,
                status,
                sign_in_message(lang, &e),
                &login.next_path,
            );
        }
    };
    state.metrics.login(true);
    if let Some(old) = &viewer.session_token {
        session::delete(&state.db, old).await?;
    }
    let lifetime = chrono::Duration::hours(state.config.session_hours);
    let (token, _) = session::create(&state.db, now, &signed.user.id, lifetime).await?;
    let to = if signed.created || !signed.newly_linked.is_empty() {
        "/welcome".to_string()
    } else {
        login.next_path
    };
    let mut response = Redirect::to(&to).into_response();
    let secure = state.config.secure_cookies();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, lifetime.num_seconds(), secure),
    );
    headers.append(header::SET_COOKIE, set_cookie(OIDC_COOKIE, "", 0, secure));
    Ok(response)
}

/// What a refused identity is told, in words.
fn sign_in_message(lang: Lang, e: &SignInError) -> String {
    match e {
        SignInError::TaxCode(FiscalNumberError::Missing) => lang.t("oidc-error-tax-code-missing"),
        SignInError::TaxCode(FiscalNumberError::Invalid(reason)) => {
            let reason = match lang {
                Lang::It => reason.message_it().trim_end_matches('.').to_string(),
                _ => reason.to_string(),
            };
            lang.t_args("oidc-error-tax-code-invalid", &[("reason", reason)])
        }
        SignInError::TaxCode(FiscalNumberError::NotPersonal) => {
            lang.t("oidc-error-tax-code-entity")
        }
        SignInError::EmailMissing => lang.t("oidc-error-email-missing"),
        SignInError::NameMissing => lang.t("oidc-error-name-missing"),
        SignInError::EmailTaken(email) => {
            lang.t_args("oidc-error-email-taken", &[("email", email.clone())])
        }
        SignInError::Disabled => lang.t("login-error-disabled"),
        SignInError::Db(_) => lang.t("oidc-error-unavailable"),
    }
}

/// The login page again, with the failure said at the top; the browser's login cookie goes.
fn failed(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    message: String,
    next: &str,
) -> Result<Response, AppError> {
    state.metrics.login(false);
    let page = crate::pages::login::page_with(
        viewer,
        state,
        String::new(),
        next.to_string(),
        FormErrors::new(),
        Some(crate::pages::login::Failure {
            title: viewer.lang.t("oidc-error-title"),
            message,
            testid: "oidc-error",
        }),
    )?;
    let mut response = (status, page).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(OIDC_COOKIE, "", 0, state.config.secure_cookies()),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    layout: Layout,
    created: String,
    email: String,
    email_verified: bool,
    companies: Vec<(String, String, String)>,
}

/// After a first login with a digital identity: the account made, and the companies the
/// person acts for (or how to be linked to one).
pub async fn welcome(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let principal = viewer.require()?;
    let lang = viewer.lang;
    let profile = identity::profile(&state.db, &principal.user.id).await?;
    let companies = identity::company_links(&state.db, &principal.user.id)
        .await?
        .into_iter()
        .map(|c| {
            let reason = lang.t(c.reason().label_key());
            (c.name, c.tax_code, reason)
        })
        .collect();
    Ok(render(&WelcomePage {
        layout: Layout::new(&viewer, "welcome-title"),
        created: lang.t_args(
            "welcome-created",
            &[
                ("name", principal.user.name.clone()),
                ("tax_code", profile.tax_code.unwrap_or_default()),
            ],
        ),
        email: lang.t_args("welcome-email", &[("email", principal.user.email.clone())]),
        email_verified: profile.email_verified,
        companies,
    })?
    .into_response())
}
