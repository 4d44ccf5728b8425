//! Login and logout.

use crate::app::AppState;
use crate::pages::local_path;
use crate::web::client::ClientAddr;
use crate::web::error::AppError;
use crate::web::form_errors::FormErrors;
use crate::web::session::{SESSION_COOKIE, Viewer, set_cookie};
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use sportello_core::accounts::{self, LoginError, session};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    errors: FormErrors,
    /// A digital-identity provider is configured: the "Entra con SPID / CIE" button.
    oidc: bool,
    /// The login with a smart card is configured: the "Entra con CNS" button.
    cns: bool,
    /// Why the last login with a digital identity or a card failed.
    failure: Option<Failure>,
}

/// Why a login with a digital identity (SPID / CIE) or a card (CNS) failed, said at the top
/// of the login page.
pub struct Failure {
    pub title: String,
    pub message: String,
    /// The `data-testid` of the alert.
    pub testid: &'static str,
}

/// The login page with what was typed and the problems found. With a digital-identity
/// provider, its Content-Security-Policy also lets the "Entra con SPID / CIE" form lead to
/// the provider (browsers check `form-action` on the redirect a form's answer makes).
pub fn page(
    viewer: &Viewer,
    state: &AppState,
    email: String,
    next: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    page_with(viewer, state, email, next, errors, None)
}

/// [`page`], saying why a login with a digital identity or a card failed.
pub fn page_with(
    viewer: &Viewer,
    state: &AppState,
    email: String,
    next: String,
    errors: FormErrors,
    failure: Option<Failure>,
) -> Result<Response, AppError> {
    let html: Html<String> = render(&LoginPage {
        layout: Layout::new(viewer, "login-title"),
        email,
        next,
        errors,
        oidc: state.oidc.is_some(),
        cns: state.config.cns.is_some(),
        failure,
    })?;
    let mut response = html.into_response();
    if let Some(oidc) = &state.oidc {
        let policy = format!(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self' {}; base-uri 'self'",
            oidc.form_action_origins().join(" ")
        );
        if let Ok(value) = header::HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if viewer.principal.is_some() {
        return Ok(Redirect::to(local_path(q.next.as_deref())).into_response());
    }
    let next = local_path(q.next.as_deref()).to_string();
    page(&viewer, &state, String::new(), next, FormErrors::new())
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddr,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let next = local_path(form.next.as_deref()).to_string();
    let lang = viewer.lang;
    // An empty field is named before anything is tried (it could never log in).
    let mut missing = FormErrors::new();
    if form.email.trim().is_empty() {
        missing.field(
            "email",
            lang.t("login-email"),
            lang.t("login-error-email-required"),
        );
    }
    if form.password.is_empty() {
        missing.field(
            "password",
            lang.t("login-password"),
            lang.t("login-error-password-required"),
        );
    }
    if !missing.is_empty() {
        let page = page(
            &viewer,
            &state,
            form.email.trim().to_string(),
            next,
            missing,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    match accounts::authenticate(&state, &client.key(), &form.email, &form.password).await {
        Ok(user) => {
            state.metrics.login(true);
            if let Some(old) = &viewer.session_token {
                session::delete(&state.db, old).await?;
            }
            let lifetime = chrono::Duration::hours(state.config.session_hours);
            let (token, _) = session::create(&state.db, now, &user.id, lifetime).await?;
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &token,
                    lifetime.num_seconds(),
                    state.config.secure_cookies(),
                ),
            );
            Ok(response)
        }
        Err(e) => {
            state.metrics.login(false);
            let (status, message) = match e {
                LoginError::InvalidCredentials => {
                    (StatusCode::UNAUTHORIZED, lang.t("login-error-credentials"))
                }
                LoginError::TooManyAttempts => (
                    StatusCode::TOO_MANY_REQUESTS,
                    lang.t("login-error-too-many"),
                ),
                LoginError::Disabled => (StatusCode::UNAUTHORIZED, lang.t("login-error-disabled")),
                LoginError::Db(e) => return Err(e.into()),
            };
            // Which of the two was wrong is not told (no account enumeration): a problem of
            // the whole form.
            let mut errors = FormErrors::new();
            errors.form(message);
            let page = page(&viewer, &state, form.email.trim().to_string(), next, errors)?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    if let Some(token) = &viewer.session_token {
        session::delete(&state.db, token).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies()),
    );
    Ok(response)
}
