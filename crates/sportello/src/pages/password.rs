//! Password recovery: the form that asks for the e-mail, and the page of the link that sets
//! a new password. The rules are in `accounts::recovery`.

use crate::app::AppState;
use crate::web::client::ClientAddr;
use crate::web::error::AppError;
use crate::web::form_errors::FormErrors;
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_core::accounts::normalise_email;
use sportello_core::accounts::password::{self, PasswordError};
use sportello_core::accounts::recovery::{self, RecoveryError, ResetError};

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    sent: bool,
    errors: FormErrors,
}

pub async fn forgot_form(viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&ForgotPage {
        layout: Layout::new(&viewer, "recovery-title"),
        email: String::new(),
        sent: false,
        errors: FormErrors::new(),
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Asks for a recovery link. The answer is the same page whether or not an account has the
/// address; only a malformed address or too many requests from this client say otherwise.
pub async fn forgot(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddr,
    Form(form): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let page = |sent, errors| ForgotPage {
        layout: Layout::new(&viewer, "recovery-title"),
        email: if sent {
            String::new()
        } else {
            form.email.trim().to_string()
        },
        sent,
        errors,
    };
    if normalise_email(&form.email).is_none() {
        let mut errors = FormErrors::new();
        errors.field(
            "email",
            lang.t("login-email"),
            lang.t("recovery-error-email"),
        );
        let body = render(&page(false, errors))?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response());
    }
    match recovery::request_reset(&state, &client.key(), &form.email).await {
        Ok(()) => Ok(render(&page(true, FormErrors::new()))?.into_response()),
        Err(RecoveryError::TooManyRequests) => {
            let mut errors = FormErrors::new();
            errors.form(lang.t("recovery-error-too-many"));
            let body = render(&page(false, errors))?;
            Ok((StatusCode::TOO_MANY_REQUESTS, body).into_response())
        }
        Err(RecoveryError::Db(e)) => Err(e.into()),
    }
}

/// What the link's page shows: the form, the outcome, or why the link does not work.
enum ResetState {
    Form { intro: String },
    Done,
    Invalid { message: String },
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    state: ResetState,
    errors: FormErrors,
}

fn invalid_message(viewer: &Viewer, e: &ResetError) -> Option<String> {
    let key = match e {
        ResetError::Unknown => "reset-link-unknown",
        ResetError::Used => "reset-link-used",
        ResetError::Expired => "reset-link-expired",
        ResetError::Disabled => "reset-link-disabled",
        _ => return None,
    };
    Some(viewer.lang.t(key))
}

fn invalid_page(viewer: &Viewer, token: String, message: String) -> Result<Response, AppError> {
    let body = render(&ResetPage {
        layout: Layout::new(viewer, "reset-invalid-title"),
        token,
        state: ResetState::Invalid { message },
        errors: FormErrors::new(),
    })?;
    Ok((StatusCode::GONE, body).into_response())
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    token: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    match recovery::check_link(state, &token).await {
        Ok(link) => {
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let intro = viewer.lang.t_args(
                "reset-intro",
                &[
                    ("email", link.email),
                    ("until", sportello_core::display::date_time(link.expires_at)),
                ],
            );
            let body = render(&ResetPage {
                layout: Layout::new(viewer, "reset-title"),
                token,
                state: ResetState::Form { intro },
                errors,
            })?;
            Ok((status, body).into_response())
        }
        Err(ResetError::Db(e)) => Err(e.into()),
        Err(e) => match invalid_message(viewer, &e) {
            Some(message) => invalid_page(viewer, token, message),
            None => Err(AppError::internal(e)),
        },
    }
}

pub async fn reset_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    form_page(&state, &viewer, token, FormErrors::new()).await
}

#[derive(serde::Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

/// Sets the new password through the link.
pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let new_password = || lang.t("account-new-password");
    let confirm = || lang.t("account-confirm-password");
    let policy = || {
        lang.t_args(
            "account-error-policy",
            &[("min", password::MIN_PASSWORD_LEN.to_string())],
        )
    };
    let mut errors = FormErrors::new();
    if form.new_password.is_empty() {
        errors.field("new_password", new_password(), policy());
    }
    if form.confirm.is_empty() {
        errors.field(
            "confirm",
            confirm(),
            lang.t("account-error-confirm-required"),
        );
    }
    if errors.is_empty() {
        match recovery::reset_password(&state, &token, &form.new_password, &form.confirm).await {
            Ok(()) => {
                return Ok(render(&ResetPage {
                    layout: Layout::new(&viewer, "reset-done-title"),
                    token: String::new(),
                    state: ResetState::Done,
                    errors: FormErrors::new(),
                })?
                .into_response());
            }
            Err(ResetError::Mismatch) => {
                errors.field("confirm", confirm(), lang.t("account-error-confirm"))
            }
            Err(ResetError::Policy(PasswordError::Hash)) => {
                return Err(AppError::internal(PasswordError::Hash));
            }
            Err(ResetError::Policy(_)) => errors.field("new_password", new_password(), policy()),
            Err(ResetError::Db(e)) => return Err(e.into()),
            Err(e) => {
                let message = invalid_message(&viewer, &e).unwrap_or_else(|| e.to_string());
                return invalid_page(&viewer, token, message);
            }
        }
    }
    form_page(&state, &viewer, token, errors).await
}
