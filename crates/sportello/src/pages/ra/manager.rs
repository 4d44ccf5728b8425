//! The Manager's queue (RA procedure, part 1: mandate letters and revocation notices "firmata
//! digitalmente dal Dirigente"): the list, the unsigned document, the signed upload; and the
//! office's form that puts a document in the queue.

use crate::app::AppState;
use crate::web::download::Download;
use crate::web::error::AppError;
use crate::web::form::{FormFields, MultipartForm};
use crate::web::pager::{CursorParam, Pager};
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::Action;
use sportello_core::ra::manager::{self, RequestKind, SignatureRequest};

/// One line of the queue.
pub struct QueueRow {
    pub id: String,
    pub kind: String,
    pub operator_id: String,
    pub operator: String,
    pub operator_kind: String,
    pub filename: String,
    pub reason: String,
    pub prepared_at: String,
    pub prepared_by: String,
}

fn row(r: &SignatureRequest, viewer: &Viewer) -> QueueRow {
    let lang = viewer.lang;
    QueueRow {
        id: r.id.clone(),
        kind: lang.t(&format!("ra-manager-kind-{}", r.kind.as_str())),
        operator_id: r.operator_id.clone(),
        operator: r.operator_display_name(),
        operator_kind: lang.t(r.operator_kind.label_key()),
        filename: r.filename.clone(),
        reason: r.reason.clone().unwrap_or_default(),
        prepared_at: sportello_core::display::date_time(r.prepared_at),
        prepared_by: r.prepared_by.clone(),
    }
}

#[derive(Template)]
#[template(path = "ra/manager.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
    done: Option<String>,
    error: Option<String>,
    error_id: String,
    no_tax_code: bool,
    /// The links to the pages before and after (50 requests a page, oldest first).
    pager: Pager,
}

async fn queue_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: &CursorParam,
) -> Result<QueuePage, AppError> {
    let p = viewer.require_action(Action::SignMandate)?;
    let slice = manager::queue(&state.db, p, &cursor.request(manager::QUEUE_PAGE)).await?;
    let pager = Pager::keyset(viewer.lang, &slice, "/ra/manager", &[]);
    let rows = slice.items.iter().map(|r| row(r, viewer)).collect();
    let no_tax_code = manager::manager_tax_code(&state.db, p).await?.is_none();
    Ok(QueuePage {
        layout: Layout::new(viewer, "ra-manager-title"),
        rows,
        done: None,
        error: None,
        error_id: String::new(),
        no_tax_code,
        pager,
    })
}

#[derive(serde::Deserialize)]
pub struct QueueQuery {
    done: Option<String>,
    #[serde(flatten)]
    page: CursorParam,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let mut page = queue_page(&state, &viewer, &q.page).await?;
    page.done = match q.done.as_deref().and_then(RequestKind::parse) {
        Some(RequestKind::MandateLetter) => Some(viewer.lang.t("ra-manager-done-letter")),
        Some(RequestKind::RevocationNotice) => Some(viewer.lang.t("ra-manager-done-revocation")),
        None => None,
    };
    Ok(render(&page)?.into_response())
}

/// The unsigned document, for the Manager to sign outside the platform.
pub async fn unsigned(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::SignMandate)?;
    let (r, bytes) = manager::unsigned(&state, p, &id).await?;
    Ok(Download::new("application/pdf", &r.filename, bytes)
        .no_store()
        .into_response())
}

/// The signed document comes back; a refusal shows the queue again with the reason next to
/// the document, and nothing is kept.
pub async fn sign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::SignMandate)?;
    let mut form = MultipartForm::read(multipart).await?;
    let file = form.take_file("signed").unwrap_or_default();
    match manager::sign(&state, p, &id, &file.file_name, file.bytes).await {
        Ok(signed) => Ok(Redirect::to(&format!(
            "/ra/manager?done={}",
            signed.request.kind.as_str()
        ))
        .into_response()),
        Err(e) => {
            let e: AppError = e.into();
            if e.status.is_server_error() || e.status == axum::http::StatusCode::NOT_FOUND {
                return Err(e);
            }
            let mut page = queue_page(&state, &viewer, &CursorParam::default()).await?;
            // The refused request is shown with its reason even when it waits past the
            // first page.
            if !page.rows.iter().any(|r| r.id == id) {
                let refused = manager::visible(&state.db, p, &id).await?;
                page.rows.insert(0, row(&refused, &viewer));
            }
            page.error = Some(e.message(viewer.lang));
            page.error_id = id;
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

/// The office puts a document in the Manager's queue: the mandate letter, or an ODR's or IR's
/// revocation notice with its reason. Back to the operator's page either way.
pub async fn prepare(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let mut form = MultipartForm::read(multipart).await?;
    let kind = RequestKind::parse(&form.text("kind")).ok_or_else(AppError::not_found)?;
    let reason = form.filled("reason").map(str::to_string);
    let file = form.take_file("document").unwrap_or_default();
    let result = manager::prepare(
        &state,
        p,
        &id,
        kind,
        reason.as_deref(),
        &file.file_name,
        &file.bytes,
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/ra/operators/{id}?prepared=1")).into_response()),
        Err(e) => {
            let e: AppError = e.into();
            if e.status.is_server_error() || e.status == axum::http::StatusCode::NOT_FOUND {
                return Err(e);
            }
            super::operators::page_with_error(&state, &viewer, &id, &e, kind.as_str()).await
        }
    }
}
