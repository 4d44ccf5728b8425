//! `/ra/documents`: the Certification Authority's Operating Manual and Certificate Policy as
//! each chamber publishes them (RA procedure, part 2: "consultabile" at the desks and on the
//! chamber's site). Anyone may read them; the Master RAO uploads new versions.

use crate::app::AppState;
use crate::pages::devices::{Problem, user_error};
use crate::web::download::Download;
use crate::web::form::{FormFields, MultipartForm};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::{self, Action};
use sportello_core::chambers;
use sportello_core::ra::publications::{self, NewPublication, Publication, PublicationKind};

/// One version as the page lists it.
pub(crate) struct Row {
    pub id: String,
    pub kind: String,
    pub version: String,
    pub effective_on: String,
    pub size: String,
    pub uploaded_at: String,
    pub in_force: bool,
}

/// A chamber's documents: those in force first, then every version.
pub(crate) struct ChamberDocs {
    pub chamber: String,
    pub current: Vec<Row>,
    pub all: Vec<Row>,
}

#[derive(Template)]
#[template(path = "ra/documents.html")]
struct Page {
    layout: Layout,
    chambers: Vec<ChamberDocs>,
    can_publish: bool,
    kinds: Vec<(&'static str, String)>,
    kind: String,
    version: String,
    effective_on: String,
    notice: Option<String>,
    problem: Option<Problem>,
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0).replace('.', ",")
    } else {
        format!("{} kB", (bytes + 1023) / 1024)
    }
}

fn row(viewer: &Viewer, p: &Publication, in_force: bool) -> Row {
    Row {
        id: p.id.clone(),
        kind: viewer.lang.t(p.kind.label_key()),
        version: p.version.clone(),
        effective_on: sportello_core::display::date(p.effective_on),
        size: size(p.size_bytes),
        uploaded_at: sportello_core::display::stored(&p.uploaded_at),
        in_force,
    }
}

async fn build(state: &AppState, viewer: &Viewer) -> Result<Page, AppError> {
    let today = state.clock.today();
    let own = viewer
        .principal
        .as_ref()
        .and_then(|p| authz::chamber_of(p).ok().map(str::to_string));
    let mut out = Vec::new();
    for c in chambers::list_chambers(&state.db).await? {
        let all = publications::of_chamber(&state.db, &c.id).await?;
        if all.is_empty() && own.as_deref() != Some(c.id.as_str()) {
            continue;
        }
        let current: Vec<String> = publications::in_force(&all, today)
            .iter()
            .map(|p| p.id.clone())
            .collect();
        out.push(ChamberDocs {
            chamber: c.name.clone(),
            current: publications::in_force(&all, today)
                .into_iter()
                .map(|p| row(viewer, p, true))
                .collect(),
            all: all
                .iter()
                .map(|p| row(viewer, p, current.contains(&p.id)))
                .collect(),
        });
    }
    let can_publish = viewer
        .principal
        .as_ref()
        .is_some_and(|p| authz::allows(p.role(), Action::ManageOperators));
    Ok(Page {
        layout: Layout::new(viewer, "ra-doc-title"),
        chambers: out,
        can_publish,
        kinds: PublicationKind::ALL
            .into_iter()
            .map(|k| (k.as_str(), viewer.lang.t(k.label_key())))
            .collect(),
        kind: String::new(),
        version: String::new(),
        effective_on: today.format("%Y-%m-%d").to_string(),
        notice: None,
        problem: None,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    ok: String,
}

/// The list: public.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Notice>,
) -> Result<Response, AppError> {
    let mut page = build(&state, &viewer).await?;
    if q.ok == "published" {
        page.notice = Some(viewer.lang.t("ra-doc-published"));
    }
    Ok(render(&page)?.into_response())
}

/// One version's PDF, shown in the browser: public, like the list.
pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let doc = publications::get(&state.db, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&doc.blob).await?;
    Ok(Download::new("application/pdf", &doc.file_name(), bytes)
        .uploaded()
        .into_response())
}

/// The Master RAO publishes a new version. A refused upload keeps what was typed.
pub async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let chamber_id = authz::chamber_of(p)?.to_string();
    let mut form = MultipartForm::read(multipart).await?;
    let kind_text = form.text("kind");
    let version = form.text("version");
    let effective_text = form.text("effective_on");
    let result = async {
        let effective_on = form
            .date("effective_on", "ra-doc-error-date")?
            .ok_or_else(|| {
                AppError::invalid(vec![FieldError::new("effective_on", "ra-doc-error-date")])
            })?;
        let file = form
            .take_file("pdf")
            .ok_or_else(|| AppError::invalid(vec![FieldError::new("pdf", "ra-doc-error-file")]))?;
        publications::publish(
            &state.db,
            state.blobs.as_ref(),
            state.clock.now(),
            &p.actor(),
            &chamber_id,
            NewPublication {
                kind: PublicationKind::parse(&kind_text),
                version: &version,
                effective_on,
                pdf: &file.bytes,
            },
        )
        .await
        .map_err(AppError::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/ra/documents?ok=published").into_response()),
        Err(e) => {
            let e = user_error(e)?;
            let mut page = build(&state, &viewer).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            page.kind = kind_text;
            page.version = version;
            page.effective_on = effective_text;
            Ok((e.status, render(&page)?).into_response())
        }
    }
}
