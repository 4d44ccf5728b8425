//! Delegations on the pages (issue 15, item 2): the person's own requests and the upload of a
//! signed delegation; the chamber office's queue, one request with its signature check, and
//! the decision.

use crate::app::AppState;
use crate::web::download::Download;
use crate::web::error::delegation::{decide_error, submit_error};
use crate::web::form::{FormFields, MultipartForm};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::delegation::{
    self, DecideError, DelegationRequest, RequestState, SubmitError,
};
use sportello_core::authz::Action;
use sportello_core::display;
use sportello_core::i18n::Lang;

/// `?notice=…` after a form.
#[derive(serde::Deserialize, Default)]
pub struct NoticeParams {
    notice: Option<String>,
}

/// One request as people read it.
pub struct RequestView {
    pub id: String,
    pub person: String,
    pub person_email: String,
    pub person_tax_code: String,
    pub company: String,
    pub company_tax_code: String,
    pub signer: String,
    pub signer_tax_code: String,
    pub format: String,
    pub file_name: String,
    pub signed_on: String,
    pub checked_on: String,
    pub sent_on: String,
    pub state: &'static str,
    pub state_label: String,
    pub state_class: &'static str,
    pub decided: String,
    pub reason: String,
    pub revocation_unverified: bool,
    pub pending: bool,
}

impl RequestView {
    fn of(lang: Lang, r: DelegationRequest) -> Self {
        let decided = match (&r.decided_at, &r.decided_by) {
            (Some(at), Some(by)) => lang.t_args(
                "delegation-decided-by",
                &[("date", display::date_time(*at)), ("name", by.clone())],
            ),
            (Some(at), None) => display::date_time(*at),
            _ => String::new(),
        };
        Self {
            person: r.user_name,
            person_email: r.user_email,
            person_tax_code: r.user_tax_code.unwrap_or_default(),
            company: r.company_name,
            company_tax_code: r.company_tax_code,
            signer: display::usual_case(&r.signer_name),
            signer_tax_code: r.signer_tax_code,
            format: if r.format == "PAdES" {
                lang.t("delegation-format-pades")
            } else {
                lang.t("delegation-format-cades")
            },
            file_name: r.file_name,
            signed_on: r
                .signed_at
                .map(display::date_time)
                .unwrap_or_else(|| lang.t("delegation-signed-at-unknown")),
            checked_on: display::date_time(r.checked_at),
            sent_on: display::date_time(r.created_at),
            state: r.state.as_str(),
            state_label: lang.t(r.state.label_key()),
            state_class: match r.state {
                RequestState::Pending => "bg-warning text-dark",
                RequestState::Approved => "bg-success",
                RequestState::Rejected => "bg-danger",
            },
            decided,
            reason: r.rejection_reason.unwrap_or_default(),
            revocation_unverified: r.revocation_unverified,
            pending: r.state == RequestState::Pending,
            id: r.id,
        }
    }
}

#[derive(Template)]
#[template(path = "delegations.html")]
struct MinePage {
    layout: Layout,
    rows: Vec<RequestView>,
    company: String,
    error: Option<String>,
    notice: Option<String>,
    file_help: String,
}

async fn mine_page(
    state: &AppState,
    viewer: &Viewer,
    company: String,
    error: Option<String>,
    notice: Option<String>,
) -> Result<MinePage, AppError> {
    let p = viewer.require_action(Action::RequestDelegation)?;
    let rows = delegation::request::mine(&state.db, p)
        .await?
        .into_iter()
        .map(|r| RequestView::of(viewer.lang, r))
        .collect();
    Ok(MinePage {
        layout: Layout::new(viewer, "delegation-mine-title"),
        rows,
        company,
        error,
        notice,
        file_help: viewer.lang.t_args(
            "delegation-file-help",
            &[(
                "mb",
                (delegation::MAX_DELEGATION_BYTES / (1024 * 1024)).to_string(),
            )],
        ),
    })
}

/// The person's requests and the form to upload a delegation.
pub async fn mine(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<NoticeParams>,
) -> Result<Response, AppError> {
    let notice = match params.notice.as_deref() {
        Some("sent") => Some(viewer.lang.t("delegation-sent")),
        _ => None,
    };
    Ok(render(&mine_page(&state, &viewer, String::new(), None, notice).await?)?.into_response())
}

/// Uploads a signed delegation; on a refusal the page says why and keeps the company typed.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RequestDelegation)?;
    let mut form = MultipartForm::read(mp).await?;
    let company = form.text("company");
    let file = form.take_file("file").unwrap_or_default();
    let outcome = delegation::submit(&state, p, &company, &file.bytes, &file.file_name).await;
    match outcome {
        Ok(_) => Ok(Redirect::to("/delegations?notice=sent").into_response()),
        Err(e @ (SubmitError::Db(_) | SubmitError::Blob(_))) => Err(submit_error(e)),
        Err(e) => {
            let error = submit_error(e);
            let status = error.status;
            let message = error.message(viewer.lang);
            let page = mine_page(&state, &viewer, company, Some(message), None).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "admin_delegations.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<RequestView>,
    waiting: String,
}

/// The office's queue: waiting requests first.
pub async fn queue(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::DecideDelegations)?;
    let rows: Vec<RequestView> = delegation::request::queue(&state.db, p)
        .await?
        .into_iter()
        .map(|r| RequestView::of(viewer.lang, r))
        .collect();
    let waiting = rows.iter().filter(|r| r.pending).count();
    Ok(render(&QueuePage {
        layout: Layout::new(&viewer, "delegation-queue-title"),
        waiting: viewer
            .lang
            .t_count("delegation-queue-waiting", waiting as u64),
        rows,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "admin_delegation.html")]
struct RequestPage {
    layout: Layout,
    r: RequestView,
    notice: Option<String>,
    error: Option<String>,
    reason: String,
}

async fn request_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
    reason: String,
) -> Result<RequestPage, AppError> {
    let p = viewer.require_action(Action::DecideDelegations)?;
    let r = delegation::request::get_for_office(&state.db, p, id).await?;
    let title = viewer.lang.t_args(
        "delegation-request-title",
        &[("company", r.company_name.clone())],
    );
    let mut layout = Layout::new(viewer, "delegation-queue-title");
    layout.title = title;
    Ok(RequestPage {
        layout,
        r: RequestView::of(viewer.lang, r),
        notice,
        error,
        reason,
    })
}

/// One request: who asked, for which company, the signer and the check.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<NoticeParams>,
) -> Result<Response, AppError> {
    let notice = match params.notice.as_deref() {
        Some("approved") => Some(viewer.lang.t("delegation-approved")),
        Some("rejected") => Some(viewer.lang.t("delegation-rejected")),
        Some("unchanged") => Some(viewer.lang.t("delegation-unchanged")),
        _ => None,
    };
    Ok(
        render(&request_page(&state, &viewer, &id, notice, None, String::new()).await?)?
            .into_response(),
    )
}

/// The signed file, as the person uploaded it.
pub async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::DecideDelegations)?;
    let r = delegation::request::get_for_office(&state.db, p, &id).await?;
    let bytes = state.blobs.get(&r.signed_blob).await?;
    let content_type = if r.format == "PAdES" {
        "application/pdf"
    } else {
        "application/pkcs7-mime"
    };
    Ok(Download::new(content_type, &r.file_name, bytes).into_response())
}

#[derive(serde::Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::DecideDelegations)?;
    let outcome = delegation::approve(&state, p, &id).await;
    decided(&state, &viewer, &id, outcome, "approved", String::new()).await
}

pub async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<RejectForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::DecideDelegations)?;
    let outcome = delegation::reject(&state, p, &id, &form.reason).await;
    decided(&state, &viewer, &id, outcome, "rejected", form.reason).await
}

/// After a decision: back to the request, saying what happened; a refusal is said on it.
async fn decided(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    outcome: Result<delegation::Decided, DecideError>,
    done: &str,
    reason: String,
) -> Result<Response, AppError> {
    match outcome {
        Ok(d) => {
            let notice = if d.changed { done } else { "unchanged" };
            Ok(Redirect::to(&format!("/admin/delegations/{id}?notice={notice}")).into_response())
        }
        Err(
            e @ (DecideError::ReasonMissing
            | DecideError::AlreadyDecided(_)
            | DecideError::AccountUnusable),
        ) => {
            let message = viewer.lang.t(e.key());
            let status = decide_error(e).status;
            let page = request_page(state, viewer, id, None, Some(message), reason).await?;
            Ok((status, render(&page)?).into_response())
        }
        Err(e) => Err(decide_error(e)),
    }
}
