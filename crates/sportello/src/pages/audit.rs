//! Searching the audit trail (auditors; chamber administrators for their chamber).

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::pager::{CursorParam, Pager};
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use sportello_core::accounts::Role;
use sportello_core::audit::{self, AuditQuery, Described};
use sportello_core::authz::Action;

const PAGE_SIZE: u32 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    query: AuditQuery,
    /// The actions to filter by: (action, what it does in words).
    actions: Vec<(String, String)>,
    entries: Vec<Described>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "audit_entry.html")]
struct EntryPage {
    layout: Layout,
    entry: Described,
}

/// The filters and the page, all in the query string.
#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(flatten)]
    filters: AuditQuery,
    #[serde(flatten)]
    page: CursorParam,
}

pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(SearchQuery {
        filters: mut query,
        page,
    }): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::SearchAudit)?;
    // Everyone here belongs to one chamber and sees that chamber's entries only.
    query.chamber_id = p.user.chamber_id.clone();
    if p.role() != Role::Auditor && p.role() != Role::ChamberAdmin {
        return Err(AppError::forbidden());
    }
    let entries = audit::search(&state.db, &query, &page.request(PAGE_SIZE)).await?;
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let filters = [
        ("actor", text(&query.actor)),
        ("action", text(&query.action)),
        ("entity_type", text(&query.entity_type)),
        ("entity_id", text(&query.entity_id)),
        ("from", text(&query.from)),
        ("to", text(&query.to)),
    ];
    let filters: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pager = Pager::keyset(viewer.lang, &entries, "/audit", &filters);
    Ok(render(&AuditPage {
        layout: Layout::new(&viewer, "audit-title"),
        query,
        actions: audit::ACTIONS
            .iter()
            .map(|a| {
                let text = audit::describe::sentence(viewer.lang, a, "…", None);
                (a.to_string(), text)
            })
            .collect(),
        entries: audit::describe(&state.db, viewer.lang, entries.items).await?,
        pager,
    })?
    .into_response())
}

/// One entry: its sentence, and what it recorded as a labelled list.
pub async fn entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(seq): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::SearchAudit)?;
    if p.role() != Role::Auditor && p.role() != Role::ChamberAdmin {
        return Err(AppError::forbidden());
    }
    let seq: i64 = seq.parse().map_err(|_| AppError::not_found())?;
    let found = audit::entry(&state.db, p.user.chamber_id.as_deref(), seq)
        .await?
        .ok_or_else(AppError::not_found)?;
    let entry = audit::describe(&state.db, viewer.lang, vec![found])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)?;
    let mut layout = Layout::new(&viewer, "audit-title");
    layout.title = viewer
        .lang
        .t_args("audit-entry-title", &[("seq", entry.seq.to_string())]);
    Ok(render(&EntryPage { layout, entry })?.into_response())
}
