//! Searching the audit trail (auditors; chamber administrators for their chamber).

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use sportello_core::accounts::Role;
use sportello_core::audit::{self, AuditQuery, Entry};
use sportello_core::authz::Action;

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    query: AuditQuery,
    entries: Vec<Entry>,
    next_before: Option<i64>,
}

pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(mut query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::SearchAudit)?;
    // Everyone here belongs to one chamber and sees that chamber's entries only.
    query.chamber_id = p.user.chamber_id.clone();
    if p.role() != Role::Auditor && p.role() != Role::ChamberAdmin {
        return Err(AppError::forbidden());
    }
    let entries = audit::search(&state.db, &query, PAGE_SIZE).await?;
    let next_before = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(render(&AuditPage {
        layout: Layout::new(&viewer, "audit-title"),
        query,
        entries,
        next_before,
    })?
    .into_response())
}
