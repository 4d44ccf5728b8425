//! The user's own account: who they are, what they are tied to, password change.

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::form_errors::FormErrors;
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_core::accounts::password::{self, PasswordError};
use sportello_core::accounts::token::{self, ApiToken, RevokeError};
use sportello_core::accounts::{self, ChangePasswordError};
use sportello_core::{chambers, display, registry};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    role: String,
    chamber: Option<String>,
    desks: Vec<String>,
    companies: Vec<String>,
    notice: Option<String>,
    errors: FormErrors,
    tokens: Vec<TokenView>,
    revoke_base: String,
}

/// An API token as a row of the token table (account page and the admin's user page).
pub(crate) struct TokenView {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub state: String,
    pub live: bool,
}

/// The rows of a user's token table, in the viewer's language.
pub(crate) fn token_views(
    lang: sportello_core::i18n::Lang,
    tokens: Vec<ApiToken>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<TokenView> {
    tokens
        .into_iter()
        .map(|t| {
            let live = t.live(now);
            let state = match (t.revoked_at, t.expires_at) {
                (Some(at), _) => {
                    lang.t_args("tokens-revoked-on", &[("when", display::date_time(at))])
                }
                (None, Some(exp)) if exp <= now => lang.t("tokens-expired"),
                (None, Some(exp)) => {
                    lang.t_args("tokens-valid-until", &[("when", display::date_time(exp))])
                }
                (None, None) => lang.t("tokens-valid"),
            };
            TokenView {
                id: t.id,
                name: t.name,
                created: display::date_time(t.created_at),
                last_used: t
                    .last_used_at
                    .map(display::date_time)
                    .unwrap_or_else(|| lang.t("tokens-never-used")),
                state,
                live,
            }
        })
        .collect()
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    errors: FormErrors,
) -> Result<AccountPage, AppError> {
    let p = viewer.require()?;
    let chamber = match &p.user.chamber_id {
        Some(id) => chambers::get_chamber(&state.db, id).await?.map(|c| c.name),
        None => None,
    };
    let mut desks = Vec::new();
    for id in &p.desk_ids {
        if let Some(d) = chambers::get_desk(&state.db, id).await? {
            desks.push(d.name);
        }
    }
    let companies = registry::companies_by_id(&state.db, &p.company_ids)
        .await?
        .into_iter()
        .map(|c| format!("{} ({})", c.name, c.tax_code))
        .collect();
    let tokens = token::list_for(&state.db, &p.user.id).await?;
    Ok(AccountPage {
        tokens: token_views(viewer.lang, tokens, state.clock.now()),
        revoke_base: "/account/tokens".to_string(),
        layout: Layout::new(viewer, "account-title"),
        name: p.user.name.clone(),
        email: p.user.email.clone(),
        role: viewer.lang.t(p.role().label_key()),
        chamber,
        desks,
        companies,
        notice,
        errors,
    })
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&page(&state, &viewer, None, FormErrors::new()).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
}

/// Changes the password; all other sessions of the user end.
pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let p = viewer.require()?;
    let lang = viewer.lang;
    let current = || lang.t("account-current-password");
    let new_password = || lang.t("account-new-password");
    let confirm = || lang.t("account-confirm-password");
    let policy = || {
        lang.t_args(
            "account-error-policy",
            &[("min", password::MIN_PASSWORD_LEN.to_string())],
        )
    };
    // Every empty field at once, before the use case names the first problem it meets.
    let mut errors = FormErrors::new();
    if form.current.is_empty() {
        errors.field(
            "current",
            current(),
            lang.t("account-error-current-required"),
        );
    }
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
        let changed = accounts::change_password(
            &state,
            p,
            &form.current,
            &form.new_password,
            &form.confirm,
            viewer.session_token.as_deref(),
        )
        .await;
        match changed {
            Ok(()) => {}
            Err(ChangePasswordError::WrongCurrent) => {
                errors.field("current", current(), lang.t("account-error-current"))
            }
            Err(ChangePasswordError::Mismatch) => {
                errors.field("confirm", confirm(), lang.t("account-error-confirm"))
            }
            Err(ChangePasswordError::Policy(PasswordError::Hash)) => {
                return Err(AppError::internal(PasswordError::Hash));
            }
            Err(ChangePasswordError::Policy(_)) => {
                errors.field("new_password", new_password(), policy())
            }
            Err(ChangePasswordError::Db(e)) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        let page = render(&page(&state, &viewer, None, errors).await?)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    Ok(render(
        &page(
            &state,
            &viewer,
            Some(lang.t("account-password-changed")),
            FormErrors::new(),
        )
        .await?,
    )?
    .into_response())
}

/// `POST /account/tokens/{id}/revoke`: the owner revokes one of their API tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require()?;
    let t = token::revoke(&state, p, &id, true)
        .await
        .map_err(revoke_error)?;
    let notice = viewer.lang.t_args("tokens-revoked", &[("name", t.name)]);
    Ok(render(&page(&state, &viewer, Some(notice), FormErrors::new()).await?)?.into_response())
}

pub(crate) fn revoke_error(e: RevokeError) -> AppError {
    match e {
        RevokeError::NotFound => AppError::not_found(),
        RevokeError::Db(e) => e.into(),
    }
}
