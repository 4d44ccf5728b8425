//! The user's own account: who they are, what they are tied to, password change.

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_core::accounts::password;
use sportello_core::audit::{self, Change};
use sportello_core::chambers;

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
    error: Option<String>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    error: Option<String>,
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
    let companies: Vec<String> = if p.company_ids.is_empty() {
        Vec::new()
    } else {
        let mut names = Vec::new();
        for id in &p.company_ids {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT name, tax_code FROM companies WHERE id = $1")
                    .bind(id)
                    .fetch_optional(state.db.pool())
                    .await?;
            if let Some((name, tax_code)) = row {
                names.push(format!("{name} ({tax_code})"));
            }
        }
        names
    };
    Ok(AccountPage {
        layout: Layout::new(viewer, "account-title"),
        name: p.user.name.clone(),
        email: p.user.email.clone(),
        role: viewer.lang.t(p.role().label_key()),
        chamber,
        desks,
        companies,
        notice,
        error,
    })
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&page(&state, &viewer, None, None).await?)?.into_response())
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
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(&p.user.id)
        .fetch_one(state.db.pool())
        .await?;
    let problem = if !password::verify(&form.current, &stored) {
        Some(lang.t("account-error-current"))
    } else if form.new_password != form.confirm {
        Some(lang.t("account-error-confirm"))
    } else {
        password::check_policy(&form.new_password).err().map(|_| {
            lang.t_args(
                "account-error-policy",
                &[("min", password::MIN_PASSWORD_LEN.to_string())],
            )
        })
    };
    if let Some(message) = problem {
        let page = render(&page(&state, &viewer, None, Some(message)).await?)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = password::hash(&form.new_password).map_err(AppError::internal)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(&p.user.id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    if let Some(token) = &viewer.session_token {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(&p.user.id)
            .bind(sportello_core::accounts::session::token_hash(token))
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        now,
        &p.actor(),
        Change::new("user.password_change", "user", Some(&p.user.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(render(
        &page(
            &state,
            &viewer,
            Some(lang.t("account-password-changed")),
            None,
        )
        .await?,
    )?
    .into_response())
}
