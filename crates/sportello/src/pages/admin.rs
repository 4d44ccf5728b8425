//! Chamber administration: users and desks of the administrator's own chamber, and the
//! platform's background jobs (read-only).

use crate::app::AppState;
use crate::pages::account::{revoke_error, token_views};
use crate::web::error::AppError;
use crate::web::form::RepeatedForm;
use crate::web::form_errors::{FieldLabel, FormErrors};
use crate::web::pager::{CursorParam, Pager};
use crate::web::session::Viewer;
use crate::web::{FieldError, Layout, render};
use askama::Template;
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::offboarding::{self, OffboardingError};
use sportello_core::accounts::{self, CreateUserError, NewStaff, Role, User, token};
use sportello_core::authz::Action;
use sportello_core::chambers::{self, ChamberError, Desk, DeskCode};

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    pager: Pager,
    desks: Vec<Desk>,
    roles: Vec<(String, String)>,
    form: NewUserForm,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    desks: Vec<String>,
}

impl NewUserForm {
    fn has_desk(&self, id: &str) -> bool {
        self.desks.iter().any(|d| d == id)
    }
}

const USERS_PER_PAGE: u32 = 50;

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    page: &CursorParam,
    form: NewUserForm,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<UsersPage, AppError> {
    let p = viewer.require_action(Action::ManageUsers)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let lang = viewer.lang;
    // A page by e-mail, read by keyset in SQL (issue 14).
    let users =
        offboarding::managed_users_page(&state.db, p, &page.request(USERS_PER_PAGE)).await?;
    let pager = Pager::keyset(lang, &users, "/admin/users", &[]);
    Ok(UsersPage {
        layout: Layout::new(viewer, "admin-users-title"),
        users: users.items,
        pager,
        desks: chambers::desks_of(&state.db, &chamber_id).await?,
        roles: Role::assignable_by_chamber_admin()
            .into_iter()
            .map(|r| (r.as_str().to_string(), lang.t(r.label_key())))
            .collect(),
        form,
        errors,
        notice,
    })
}

pub async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(page): Query<CursorParam>,
) -> Result<Response, AppError> {
    Ok(render(
        &users_page(
            &state,
            &viewer,
            &page,
            NewUserForm::default(),
            FormErrors::new(),
            None,
        )
        .await?,
    )?
    .into_response())
}

pub async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    RepeatedForm(form): RepeatedForm<NewUserForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageUsers)?;
    let lang = viewer.lang;
    let new = NewStaff {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
        role: form.role.clone(),
        desk_ids: form.desks.clone(),
    };
    // The fields of the form in its order: the name sent (and its id), the label.
    const FIELDS: &[FieldLabel] = &[
        ("name", "name", "account-name"),
        ("email", "email", "login-email"),
        ("role", "role", "account-role"),
        ("desks", "desks", "account-desks"),
        ("password", "password", "admin-users-initial-password"),
    ];
    // Every empty field at once; then the use case names the first other problem it meets.
    let mut missing = Vec::new();
    for (field, value, key) in [
        ("name", &form.name, "admin-users-error-name"),
        ("email", &form.email, "admin-users-error-email"),
        ("role", &form.role, "admin-users-error-role"),
        ("password", &form.password, "admin-users-error-password"),
    ] {
        if value.trim().is_empty() {
            missing.push(FieldError::new(field, key));
        }
    }
    let errors = if !missing.is_empty() {
        FormErrors::from_fields(lang, FIELDS, &missing)
    } else {
        match accounts::add_staff(&state, p, new).await {
            Ok(user) => {
                let notice = lang.t_args("admin-users-created", &[("email", user.email)]);
                let page = users_page(
                    &state,
                    &viewer,
                    &CursorParam::default(),
                    NewUserForm::default(),
                    FormErrors::new(),
                    Some(notice),
                )
                .await?;
                return Ok(render(&page)?.into_response());
            }
            Err(e) => {
                let (field, key) = match e {
                    CreateUserError::RoleNotAssignable(_) => ("role", "admin-users-error-role"),
                    CreateUserError::InvalidEmail(_) => ("email", "admin-users-error-email"),
                    CreateUserError::DuplicateEmail(_) => ("email", "admin-users-error-duplicate"),
                    CreateUserError::EmptyName => ("name", "admin-users-error-name"),
                    CreateUserError::Password(_) => ("password", "admin-users-error-password"),
                    CreateUserError::DeskRequired | CreateUserError::DeskOfAnotherChamber(_) => {
                        ("desks", "admin-users-error-desks")
                    }
                    CreateUserError::ChamberRequired(_) => return Err(AppError::forbidden()),
                    CreateUserError::Db(e) => return Err(e.into()),
                    other => return Err(AppError::internal(other)),
                };
                FormErrors::from_fields(lang, FIELDS, &[FieldError::new(field, key)])
            }
        }
    };
    let mut form = form;
    form.password.clear();
    let page =
        render(&users_page(&state, &viewer, &CursorParam::default(), form, errors, None).await?)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    layout: Layout,
    overview: sportello_core::jobs::Overview,
}

/// The background jobs, read-only: they are the platform's, not one chamber's.
pub async fn jobs(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewJobs)?;
    let overview = sportello_core::jobs::overview(&state, p).await?;
    Ok(render(&JobsPage {
        layout: Layout::new(&viewer, "admin-jobs-title"),
        overview,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "admin_desks.html")]
struct DesksPage {
    layout: Layout,
    desks: Vec<Desk>,
    code: String,
    name: String,
    errors: FormErrors,
}

pub async fn desks(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageDesks)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    Ok(render(&DesksPage {
        layout: Layout::new(&viewer, "admin-desks-title"),
        desks: chambers::desks_of(&state.db, &chamber_id).await?,
        code: String::new(),
        name: String::new(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct NewDeskForm {
    code: String,
    name: String,
}

pub async fn create_desk(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Form(form): axum::extract::Form<NewDeskForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageDesks)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let chamber = chambers::get_chamber(&state.db, &chamber_id)
        .await?
        .ok_or_else(AppError::forbidden)?;
    let lang = viewer.lang;
    const FIELDS: &[FieldLabel] = &[
        ("code", "code", "admin-desks-code"),
        ("name", "name", "account-name"),
    ];
    let mut problems = Vec::new();
    // Both fields at once: a bad code and an empty name are named together.
    if form.name.trim().is_empty() {
        problems.push(FieldError::new("name", "admin-desks-error-name"));
    }
    match DeskCode::parse(&form.code) {
        Err(_) => problems.insert(0, FieldError::new("code", "admin-desks-error-code")),
        Ok(code) if problems.is_empty() => {
            match chambers::create_desk(&state, &p.actor(), &chamber, &code, &form.name).await {
                Ok(_) => return Ok(Redirect::to("/admin/desks").into_response()),
                Err(ChamberError::DuplicateDesk(_)) => {
                    problems.push(FieldError::new("code", "admin-desks-error-duplicate"))
                }
                Err(ChamberError::EmptyName) => {
                    problems.push(FieldError::new("name", "admin-desks-error-name"))
                }
                Err(e) => return Err(AppError::internal(e)),
            }
        }
        Ok(_) => {}
    }
    let errors = FormErrors::from_fields(lang, FIELDS, &problems);
    let page = render(&DesksPage {
        layout: Layout::new(&viewer, "admin-desks-title"),
        desks: chambers::desks_of(&state.db, &chamber_id).await?,
        code: form.code,
        name: form.name,
        errors,
    })?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    layout: Layout,
    user: User,
    last_login: String,
    own: bool,
    notice: Option<String>,
    error: Option<String>,
    tokens: Vec<crate::pages::account::TokenView>,
    revoke_base: String,
}

fn offboarding_error(e: OffboardingError) -> AppError {
    match e {
        OffboardingError::NotFound => AppError::not_found(),
        OffboardingError::OwnAccount => {
            AppError::conflict("own_account", "admin-users-error-own-account")
        }
        OffboardingError::Db(e) => e.into(),
    }
}

async fn user_page(
    state: &AppState,
    viewer: &Viewer,
    user_id: &str,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageUsers)?;
    let user = offboarding::managed_user(&state.db, p, user_id)
        .await
        .map_err(offboarding_error)?;
    let lang = viewer.lang;
    let last_login = offboarding::last_login(&state.db, &user.id)
        .await?
        .map(sportello_core::display::date_time)
        .unwrap_or_else(|| lang.t("admin-users-never"));
    let tokens = token::list_for(&state.db, &user.id).await?;
    Ok(render(&UserPage {
        layout: Layout::new(viewer, "admin-users-title"),
        own: user.id == p.user.id,
        revoke_base: format!("/admin/users/{}/tokens", user.id),
        tokens: token_views(lang, tokens, state.clock.now()),
        user,
        last_login,
        notice,
        error: None,
    })?
    .into_response())
}

/// `GET /admin/users/{id}`: one user the administrator manages, with their API tokens.
pub async fn user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user_page(&state, &viewer, &id, None).await
}

async fn set_active(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    active: bool,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageUsers)?;
    let user = offboarding::set_active(state, p, id, active)
        .await
        .map_err(offboarding_error)?;
    let key = if active {
        "admin-users-enabled"
    } else {
        "admin-users-disabled-notice"
    };
    let notice = viewer.lang.t_args(key, &[("email", user.email)]);
    user_page(state, viewer, id, Some(notice)).await
}

/// `POST /admin/users/{id}/disable`: every session and API token of the user ends at once.
pub async fn disable_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_active(&state, &viewer, &id, false).await
}

/// `POST /admin/users/{id}/enable`.
pub async fn enable_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_active(&state, &viewer, &id, true).await
}

/// `POST /admin/users/{id}/tokens/{token}/revoke`: an administrator revokes one API token of
/// a user they manage.
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageUsers)?;
    let user = offboarding::managed_user(&state.db, p, &id)
        .await
        .map_err(offboarding_error)?;
    let t = token::revoke(&state, p, &token_id, false)
        .await
        .map_err(revoke_error)?;
    if t.user_id != user.id {
        return Err(AppError::not_found());
    }
    let notice = viewer.lang.t_args("tokens-revoked", &[("name", t.name)]);
    user_page(&state, &viewer, &id, Some(notice)).await
}
