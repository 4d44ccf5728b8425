//! A company's users, managed by its legal representative (issue 15, item 2): who acts for the
//! company, why and since when; invite by tax code and e-mail; remove; what each may do.

use crate::app::AppState;
use crate::web::error::delegation::manage_error;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::company_users::{
    self, CompanyScope, Invited, LinkReason, ManageError,
};
use sportello_core::authz::Action;
use sportello_core::display;
use sportello_core::registry;

#[derive(Template)]
#[template(path = "company_users_index.html")]
struct IndexPage {
    layout: Layout,
    companies: Vec<(String, String)>,
}

/// The companies the user represents; straight to the one when there is one.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageCompanyUsers)?;
    let companies = company_users::represented(&state.db, p).await?;
    if let [(id, _)] = companies.as_slice() {
        return Ok(Redirect::to(&format!("/companies/{id}/users")).into_response());
    }
    Ok(render(&IndexPage {
        layout: Layout::new(&viewer, "company-users-title"),
        companies,
    })?
    .into_response())
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    tax_code: String,
    reason: String,
    since: String,
    scope: &'static str,
    scope_label: String,
    /// A legal representative's link follows the Registry: neither removed nor limited.
    managed: bool,
    remove_label: String,
    active: bool,
}

struct InvitationRow {
    id: String,
    tax_code: String,
    email: String,
    scope_label: String,
    sent_on: String,
}

#[derive(Template)]
#[template(path = "company_users.html")]
struct UsersPage {
    layout: Layout,
    company_id: String,
    users: Vec<UserRow>,
    invitations: Vec<InvitationRow>,
    scopes: Vec<(&'static str, String)>,
    notice: Option<String>,
    error: Option<String>,
    tax_code: String,
    email: String,
    scope: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeParams {
    notice: Option<String>,
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    company_id: &str,
    notice: Option<String>,
    error: Option<String>,
    form: Option<&InviteForm>,
) -> Result<UsersPage, AppError> {
    let p = viewer.require_action(Action::ManageCompanyUsers)?;
    let lang = viewer.lang;
    let users = company_users::list(&state.db, p, company_id)
        .await
        .map_err(manage_error)?;
    let invitations = company_users::invitations(&state.db, p, company_id)
        .await
        .map_err(manage_error)?;
    let company = registry::get_company(&state.db, company_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut layout = Layout::new(viewer, "company-users-title");
    layout.title = lang.t_args("company-users-of", &[("company", company.name.clone())]);
    Ok(UsersPage {
        layout,
        company_id: company_id.to_string(),
        users: users
            .into_iter()
            .map(|u| UserRow {
                remove_label: lang
                    .t_args("company-users-remove-label", &[("name", u.name.clone())]),
                id: u.user_id,
                name: u.name,
                email: u.email,
                tax_code: u.tax_code.unwrap_or_default(),
                reason: lang.t(u.reason.label_key()),
                since: u.linked_at.map(display::date_time).unwrap_or_default(),
                scope: u.scope.as_str(),
                scope_label: lang.t(u.scope.label_key()),
                managed: u.reason != LinkReason::Representative,
                active: u.active,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id,
                tax_code: i.tax_code,
                email: i.email,
                scope_label: lang.t(i.scope.label_key()),
                sent_on: display::date_time(i.created_at),
            })
            .collect(),
        scopes: CompanyScope::ALL
            .into_iter()
            .map(|s| (s.as_str(), lang.t(s.label_key())))
            .collect(),
        notice,
        error,
        tax_code: form.map(|f| f.tax_code.clone()).unwrap_or_default(),
        email: form.map(|f| f.email.clone()).unwrap_or_default(),
        scope: form
            .map(|f| f.scope.clone())
            .unwrap_or_else(|| CompanyScope::Prepare.as_str().to_string()),
    })
}

/// The company's users and invitations, with the forms.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(company_id): Path<String>,
    Query(params): Query<NoticeParams>,
) -> Result<Response, AppError> {
    let notice = params.notice.as_deref().and_then(|n| match n {
        "invited" => Some(viewer.lang.t("company-users-invited")),
        "linked" => Some(viewer.lang.t("company-users-linked")),
        "removed" => Some(viewer.lang.t("company-users-removed")),
        "scope" => Some(viewer.lang.t("company-users-scope-saved")),
        "cancelled" => Some(viewer.lang.t("company-users-invitation-cancelled")),
        _ => None,
    });
    Ok(
        render(&users_page(&state, &viewer, &company_id, notice, None, None).await?)?
            .into_response(),
    )
}

#[derive(serde::Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    scope: String,
}

/// After a change: back to the list, saying what happened; a refusal is said on the page with
/// the form as it was typed.
async fn after(
    state: &AppState,
    viewer: &Viewer,
    company_id: &str,
    outcome: Result<&str, ManageError>,
    form: Option<&InviteForm>,
) -> Result<Response, AppError> {
    match outcome {
        Ok(notice) => Ok(
            Redirect::to(&format!("/companies/{company_id}/users?notice={notice}")).into_response(),
        ),
        Err(e @ (ManageError::NotFound | ManageError::Db(_))) => Err(manage_error(e)),
        Err(e) => {
            let message = viewer.lang.t(e.key());
            let status = manage_error(e).status;
            let page = users_page(state, viewer, company_id, None, Some(message), form).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

pub async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(company_id): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageCompanyUsers)?;
    let outcome = company_users::invite(
        &state,
        p,
        &company_id,
        &form.tax_code,
        &form.email,
        &form.scope,
    )
    .await
    .map(|i| match i {
        Invited::Linked { .. } => "linked",
        Invited::Pending { .. } => "invited",
    });
    after(&state, &viewer, &company_id, outcome, Some(&form)).await
}

pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((company_id, user_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageCompanyUsers)?;
    let outcome = company_users::remove(&state, p, &company_id, &user_id)
        .await
        .map(|()| "removed");
    after(&state, &viewer, &company_id, outcome, None).await
}

#[derive(serde::Deserialize)]
pub struct ScopeForm {
    #[serde(default)]
    scope: String,
}

pub async fn set_scope(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((company_id, user_id)): Path<(String, String)>,
    Form(form): Form<ScopeForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageCompanyUsers)?;
    let outcome = company_users::set_scope(&state, p, &company_id, &user_id, &form.scope)
        .await
        .map(|()| "scope");
    after(&state, &viewer, &company_id, outcome, None).await
}

pub async fn cancel_invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((company_id, invitation_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageCompanyUsers)?;
    let outcome = company_users::cancel_invitation(&state, p, &company_id, &invitation_id)
        .await
        .map(|()| "cancelled");
    after(&state, &viewer, &company_id, outcome, None).await
}
