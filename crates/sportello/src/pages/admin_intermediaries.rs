//! The register of intermediaries on the chamber office's pages (issue 15, item 3): the list
//! with the registration form, and each intermediary with its people, invitations, mandates
//! and suspension. Every form goes through `intermediary::register`, as the API and the
//! command line do.

use crate::app::AppState;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::Action;
use sportello_core::display;
use sportello_core::i18n::Lang;
use sportello_core::intermediary::mandate::{self, Mandate};
use sportello_core::intermediary::register::{self, Added};
use sportello_core::intermediary::{
    self, Intermediary, IntermediaryError, IntermediaryKind, NewIntermediary,
};

struct Row {
    id: String,
    name: String,
    tax_code: String,
    kind: String,
    users: i64,
    mandates: i64,
    state: String,
    suspended: bool,
    open_label: String,
}

#[derive(Template)]
#[template(path = "admin_intermediaries.html")]
struct IndexPage {
    layout: Layout,
    count: String,
    rows: Vec<Row>,
    kinds: Vec<(&'static str, String)>,
    form: RegisterForm,
    errors: Vec<(String, String)>,
    error: Option<String>,
}

impl IndexPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

fn state_label(i: &Intermediary, lang: Lang) -> String {
    match &i.suspended_at {
        Some(at) => lang.t_args(
            "intermediary-state-suspended",
            &[("date", display::stored(at))],
        ),
        None => lang.t("intermediary-state-active"),
    }
}

fn kinds(lang: Lang) -> Vec<(&'static str, String)> {
    IntermediaryKind::ALL
        .into_iter()
        .map(|k| (k.as_str(), lang.t(k.label_key())))
        .collect()
}

async fn index_page(
    state: &AppState,
    viewer: &Viewer,
    form: RegisterForm,
    errors: Vec<(String, String)>,
    error: Option<String>,
) -> Result<IndexPage, AppError> {
    viewer.require_action(Action::ManageIntermediaries)?;
    let lang = viewer.lang;
    let entries = register::entries(&state.db, state.clock.today()).await?;
    Ok(IndexPage {
        layout: Layout::new(viewer, "intermediary-admin-title"),
        count: lang.t_count("intermediary-admin-count", entries.len() as u64),
        rows: entries
            .into_iter()
            .map(|e| Row {
                open_label: lang.t_args(
                    "intermediary-open",
                    &[("name", e.intermediary.name.clone())],
                ),
                state: state_label(&e.intermediary, lang),
                suspended: e.intermediary.suspended(),
                kind: lang.t(e.intermediary.kind.label_key()),
                id: e.intermediary.id,
                name: e.intermediary.name,
                tax_code: e.intermediary.tax_code,
                users: e.users,
                mandates: e.mandates_in_force,
            })
            .collect(),
        kinds: kinds(lang),
        form,
        errors,
        error,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    kind: String,
}

/// The register, with the form to add one.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let page = index_page(&state, &viewer, RegisterForm::default(), Vec::new(), None).await?;
    Ok(render(&page)?.into_response())
}

/// The field and its message of a refusal for what was typed.
fn field_message(e: &IntermediaryError, lang: Lang) -> Option<(String, String)> {
    let f = e.field_error()?;
    let args: Vec<(&str, String)> = f.args.clone();
    Some((f.field, lang.t_args(f.key, &args)))
}

/// Registers an intermediary and opens its page; a refusal shows the form as typed, each
/// problem next to its field (422, or 409 for a tax code already registered). A double click
/// lands on the same page: the second registration answers the first's record.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageIntermediaries)?;
    let new = NewIntermediary {
        name: form.name.clone(),
        tax_code: form.tax_code.clone(),
        email: form.email.clone(),
        kind: form.kind.clone(),
    };
    match intermediary::create(&state, &p.actor(), new).await {
        Ok(i) => Ok(
            Redirect::to(&format!("/admin/intermediaries/{}?notice=registered", i.id))
                .into_response(),
        ),
        Err(e) => {
            let Some(problem) = field_message(&e, viewer.lang) else {
                return Err(e.into());
            };
            let status = match e {
                IntermediaryError::DuplicateTaxCode(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let error = Some(viewer.lang.t("intermediary-invalid"));
            let page = index_page(&state, &viewer, form, vec![problem], error).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

struct MemberRow {
    id: String,
    name: String,
    email: String,
    tax_code: String,
    active: bool,
    remove_label: String,
}

struct InvitationRow {
    id: String,
    tax_code: String,
    email: String,
    sent_on: String,
}

struct MandateRow {
    company: String,
    types: String,
    chambers: String,
    period: String,
    state: String,
}

#[derive(Template)]
#[template(path = "admin_intermediary.html")]
struct ShowPage {
    layout: Layout,
    id: String,
    tax_code: String,
    email: String,
    kind: String,
    state: String,
    suspended: bool,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    mandates: Vec<MandateRow>,
    notice: Option<String>,
    error: Option<String>,
    person_error: Option<String>,
    person_tax_code: String,
    person_email: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeParams {
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct PersonForm {
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    email: String,
}

async fn mandate_row(state: &AppState, m: Mandate, lang: Lang) -> Result<MandateRow, AppError> {
    let mut chambers = Vec::new();
    for id in &m.chamber_ids {
        chambers.push(
            sportello_core::chambers::get_chamber(&state.db, id)
                .await?
                .map(|c| c.name)
                .unwrap_or_else(|| id.clone()),
        );
    }
    let today = state.clock.today();
    let st = m.state(today);
    let state_text = match (st, m.revoked_on, m.revoked_side.as_deref()) {
        (mandate::MandateState::Revoked, Some(on), Some("intermediary")) => lang.t_args(
            "mandate-revoked-by-intermediary",
            &[("date", display::date(on))],
        ),
        (mandate::MandateState::Revoked, Some(on), _) => {
            lang.t_args("mandate-revoked-by-company", &[("date", display::date(on))])
        }
        _ => lang.t(st.label_key()),
    };
    Ok(MandateRow {
        company: m.company_name,
        types: m
            .practice_types
            .iter()
            .map(|t| lang.t(t.label_key()))
            .collect::<Vec<_>>()
            .join(", "),
        chambers: chambers.join(", "),
        period: lang.t_args(
            "mandate-period",
            &[
                ("from", display::date(m.valid_from)),
                ("to", display::date(m.valid_to)),
            ],
        ),
        state: state_text,
    })
}

async fn show_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    notice: Option<String>,
    person: Option<(&PersonForm, String)>,
) -> Result<ShowPage, AppError> {
    viewer.require_action(Action::ManageIntermediaries)?;
    let lang = viewer.lang;
    let i = intermediary::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let members = register::members(&state.db, &i.id).await?;
    let invitations = register::invitations(&state.db, &i.id).await?;
    let mut mandates = Vec::new();
    for m in mandate::of_intermediary(&state.db, &i.id).await? {
        mandates.push(mandate_row(state, m, lang).await?);
    }
    let mut layout = Layout::new(viewer, "intermediary-admin-title");
    layout.title = i.name.clone();
    Ok(ShowPage {
        layout,
        state: state_label(&i, lang),
        suspended: i.suspended(),
        kind: lang.t(i.kind.label_key()),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                remove_label: lang.t_args(
                    "intermediary-person-remove-label",
                    &[("name", m.name.clone())],
                ),
                id: m.user_id,
                name: m.name,
                email: m.email,
                tax_code: m.tax_code.unwrap_or_default(),
                active: m.active,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|inv| InvitationRow {
                id: inv.id,
                tax_code: inv.tax_code,
                email: inv.email,
                sent_on: display::stored(&inv.created_at),
            })
            .collect(),
        mandates,
        notice,
        error: None,
        person_error: person.as_ref().map(|(_, e)| e.clone()),
        person_tax_code: person
            .as_ref()
            .map(|(f, _)| f.tax_code.clone())
            .unwrap_or_default(),
        person_email: person
            .as_ref()
            .map(|(f, _)| f.email.clone())
            .unwrap_or_default(),
        id: i.id,
        tax_code: i.tax_code,
        email: i.email,
    })
}

/// One intermediary: its record, people, invitations and mandates, with the office's forms.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<NoticeParams>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let notice = params.notice.as_deref().and_then(|n| {
        let key = match n {
            "registered" => "intermediary-registered",
            "linked" => "intermediary-person-linked",
            "invited" => "intermediary-person-invited",
            "removed" => "intermediary-person-removed",
            "cancelled" => "intermediary-invitation-cancelled",
            "suspended" => "intermediary-suspended",
            "reactivated" => "intermediary-reactivated",
            _ => return None,
        };
        Some(lang.t(key))
    });
    let page = show_page(&state, &viewer, &id, notice, None).await?;
    Ok(render(&page)?.into_response())
}

fn back(id: &str, notice: &str) -> Response {
    Redirect::to(&format!("/admin/intermediaries/{id}?notice={notice}")).into_response()
}

/// Adds a person by tax code and e-mail; a refusal shows the page with the form as typed.
pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageIntermediaries)?;
    match register::add_member(&state, &p.actor(), &id, &form.tax_code, &form.email).await {
        Ok(Added::Linked { .. }) => Ok(back(&id, "linked")),
        Ok(Added::Invited { .. }) => Ok(back(&id, "invited")),
        Err(e) => {
            let Some((_, message)) = field_message(&e, viewer.lang) else {
                return Err(e.into());
            };
            let status = match e {
                IntermediaryError::OtherIntermediary(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let page = show_page(&state, &viewer, &id, None, Some((&form, message))).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageIntermediaries)?;
    register::remove_member(&state, &p.actor(), &id, &user_id).await?;
    Ok(back(&id, "removed"))
}

pub async fn cancel_invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, invitation_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageIntermediaries)?;
    register::cancel_invitation(&state, &p.actor(), &id, &invitation_id).await?;
    Ok(back(&id, "cancelled"))
}

pub async fn suspend(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageIntermediaries)?;
    register::suspend(&state, &p.actor(), &id).await?;
    Ok(back(&id, "suspended"))
}

pub async fn reactivate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageIntermediaries)?;
    register::reactivate(&state, &p.actor(), &id).await?;
    Ok(back(&id, "reactivated"))
}
