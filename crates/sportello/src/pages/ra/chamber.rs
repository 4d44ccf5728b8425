//! Chamber-wide pages: the convention with the CA, the office tree, the restricted archive.

use crate::app::AppState;
use crate::pages::ra::it_date;
use crate::web::download::Download;
use crate::web::error::AppError;
use crate::web::pager::{CursorParam, Pager};
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::{self, Action};
use sportello_core::ra::access::chamber_of;
use sportello_core::ra::archive::{self, ArchivedDocument, DocumentKind};
use sportello_core::ra::convention::{self, Convention, Extension};
use sportello_core::ra::office::{self, OfficeKind, TreeOffice};
use sportello_core::ra::operator;

#[derive(Template)]
#[template(path = "ra/convention.html")]
struct ConventionPage {
    layout: Layout,
    current: Option<Convention>,
    extendable: Vec<Extension>,
    can_extend: bool,
    start: String,
    end: String,
    ca_pec: String,
    error: Option<String>,
    notice: Option<String>,
}

impl ConventionPage {
    fn d(&self, d: &chrono::NaiveDate) -> String {
        it_date(*d)
    }
}

async fn convention_page(state: &AppState, viewer: &Viewer) -> Result<ConventionPage, AppError> {
    let p = viewer.require_action(Action::ManageConvention)?;
    let chamber_id = chamber_of(p)?;
    let current = convention::current(&state.db, chamber_id).await?;
    Ok(ConventionPage {
        layout: Layout::new(viewer, "ra-convention-title"),
        extendable: convention::extendable(&state.db, chamber_id).await?,
        can_extend: authz::allows(p.role(), Action::ManageOperators),
        start: current
            .as_ref()
            .map(|c| c.start.to_string())
            .unwrap_or_default(),
        end: current
            .as_ref()
            .map(|c| c.end.to_string())
            .unwrap_or_default(),
        ca_pec: current
            .as_ref()
            .and_then(|c| c.ca_pec.clone())
            .unwrap_or_default(),
        current,
        error: None,
        notice: None,
    })
}

pub async fn convention(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    Ok(render(&convention_page(&state, &viewer).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ConventionForm {
    start: String,
    end: String,
    #[serde(default)]
    ca_pec: String,
}

pub async fn set_convention(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Form(form): axum::extract::Form<ConventionForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageConvention)?;
    let parse = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let result: Result<(), AppError> = async {
        let (Some(start), Some(end)) = (parse(&form.start), parse(&form.end)) else {
            return Err(AppError::invalid(vec![
                sportello_core::validation::FieldError::new("end", "ra-error-date"),
            ]));
        };
        convention::record(&state, p, start, end, Some(&form.ca_pec)).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/ra/convention").into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let mut page = convention_page(&state, &viewer).await?;
            page.error = Some(e.message(viewer.lang));
            page.start = form.start;
            page.end = form.end;
            page.ca_pec = form.ca_pec;
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

pub async fn extend(
    State(state): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let ids: Vec<String> = form_urlencoded_values(&body, "operator_ids");
    let done = convention::extend(&state, p, &ids).await?;
    let mut page = convention_page(&state, &viewer).await?;
    page.notice = Some(viewer.lang.t_args(
        "ra-convention-extended",
        &[("count", done.len().to_string())],
    ));
    Ok(render(&page)?.into_response())
}

fn form_urlencoded_values(body: &[u8], name: &str) -> Vec<String> {
    serde_html_form::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

#[derive(Template)]
#[template(path = "ra/tree.html")]
struct TreePage {
    layout: Layout,
    chamber: String,
    offices: Vec<TreeOffice>,
    can_manage: bool,
    error: Option<String>,
}

impl TreePage {
    fn office_kind(&self, k: &OfficeKind) -> String {
        self.layout.t(&k.label_key())
    }
    fn op_kind(&self, k: &operator::OperatorKind) -> String {
        self.layout.t(k.label_key())
    }
    fn suspended(&self, op: &operator::Operator) -> bool {
        op.state == sportello_core::ra::accreditation::State::Suspended
    }
}

async fn tree_page(state: &AppState, viewer: &Viewer) -> Result<TreePage, AppError> {
    let p = viewer.require_action(Action::ViewOfficeTree)?;
    let chamber_id = chamber_of(p)?;
    let scope = office::scope_of(&state.db, p).await?;
    let operators = operator::list_in_chamber(&state.db, chamber_id).await?;
    let offices = office::build_tree(
        office::list(&state.db, chamber_id).await?,
        &operators,
        &scope,
    );
    let chamber = sportello_core::chambers::get_chamber(&state.db, chamber_id)
        .await?
        .map(|c| c.name.to_uppercase())
        .unwrap_or_default();
    Ok(TreePage {
        layout: Layout::new(viewer, "ra-tree-title"),
        chamber,
        offices,
        can_manage: authz::allows(p.role(), Action::ManageOperators),
        error: None,
    })
}

pub async fn tree(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&tree_page(&state, &viewer).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct OfficeForm {
    kind: String,
    name: String,
}

pub async fn create_office(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Form(form): axum::extract::Form<OfficeForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    match office::add(&state, p, &form.kind, &form.name).await {
        Ok(_) => Ok(Redirect::to("/ra/tree").into_response()),
        Err(e) => {
            let e: AppError = e.into();
            if e.status.is_server_error() {
                return Err(e);
            }
            let mut page = tree_page(&state, &viewer).await?;
            page.error = Some(e.message(viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

struct ArchiveRow {
    id: String,
    operator: String,
    kind: String,
    filename: String,
    signer: String,
    format: String,
    created_at: String,
}

#[derive(Template)]
#[template(path = "ra/archive.html")]
struct ArchivePage {
    layout: Layout,
    documents: Vec<ArchiveRow>,
    pager: Pager,
}

/// The restricted archive, newest first, 50 documents a page read by keyset (issue 14): the
/// operators' names come with the page's rows.
pub async fn archive(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(cursor): Query<CursorParam>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewRestrictedArchive)?;
    let chamber_id = chamber_of(p)?;
    let slice = archive::page(&state.db, chamber_id, &cursor.request(archive::PAGE)).await?;
    let pager = Pager::keyset(viewer.lang, &slice, "/ra/archive", &[]);
    let documents = slice
        .items
        .into_iter()
        .map(
            |ArchivedDocument {
                 document: d,
                 operator_name,
             }| ArchiveRow {
                operator: operator_name,
                kind: DocumentKind::parse(&d.kind)
                    .map(|k| viewer.lang.t(&k.label_key()))
                    .unwrap_or(d.kind),
                signer: match (&d.signer_tax_code, &d.signer_subject) {
                    (None, None) => String::new(),
                    (tax_code, subject) => sportello_core::display::signer(
                        viewer.lang,
                        subject.as_deref().unwrap_or_default(),
                        tax_code.as_deref(),
                        "",
                        None,
                    ),
                },
                format: d.signature_format.unwrap_or_default(),
                created_at: sportello_core::display::stored_instant(&d.created_at),
                id: d.id,
                filename: d.filename,
            },
        )
        .collect();
    Ok(render(&ArchivePage {
        layout: Layout::new(&viewer, "ra-archive-title"),
        documents,
        pager,
    })?
    .into_response())
}

/// RA procedure, part 1: a mandate document is opened only by the archive roles, and
/// every opening is in the audit trail.
pub async fn open_document(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewRestrictedArchive)?;
    let chamber_id = chamber_of(p)?;
    let doc = archive::open(&state.db, state.clock.now(), &p.actor(), chamber_id, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&doc.blob).await?;
    // The restricted archive: saved, never cached.
    let file = Download::new(&doc.content_type, &doc.filename, bytes);
    Ok(file.no_store().into_response())
}
