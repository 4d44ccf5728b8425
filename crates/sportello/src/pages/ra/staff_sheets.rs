//! An organisation's staff sheet: its versions on the operator's page, and the form that
//! records a new version (the RA office, on the organisation's behalf).

use crate::app::AppState;
use crate::pages::ra::it_date;
use crate::web::error::AppError;
use crate::web::form::{FormFields, MultipartForm};
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::{self, Action};
use sportello_core::display::usual_case;
use sportello_core::i18n::Lang;
use sportello_core::ra::access::visible_operator;
use sportello_core::ra::operator::Operator;
use sportello_core::ra::staff_sheet::{self, NewStaffSheet, StaffMember};

/// One version, as the operator's page lists it.
pub struct VersionRow {
    pub version: i64,
    pub sheet_date: String,
    pub sent_by: String,
    pub recorded: String,
    pub members: usize,
    pub added: String,
    pub dropped: String,
    pub document_id: Option<String>,
}

/// The staff-sheet section of an organisation's page.
pub struct Section {
    pub versions: Vec<VersionRow>,
    /// The people the latest version lists.
    pub current: Vec<StaffMember>,
    pub can_record: bool,
    pub archive_links: bool,
}

/// The section for `op` when it is an organisation.
pub async fn section(
    state: &AppState,
    role: sportello_core::accounts::Role,
    op: &Operator,
) -> Result<Option<Section>, AppError> {
    if !op.is_organisation() {
        return Ok(None);
    }
    let history = staff_sheet::history(&state.db, &op.id).await?;
    // People's names as people read them ("Mario Rossi"), whatever case the sheet used; the
    // stored sheet is unchanged.
    let current = history
        .first()
        .map(|v| {
            v.members
                .iter()
                .map(|m| StaffMember {
                    name: usual_case(&m.name),
                    ..m.clone()
                })
                .collect()
        })
        .unwrap_or_default();
    let names = |list: &[String]| {
        list.iter()
            .map(|n| usual_case(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let versions = history
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            sheet_date: it_date(v.sheet_date),
            sent_by: v.sent_by,
            recorded: format!(
                "{} — {}",
                sportello_core::display::date_time(v.recorded_at),
                v.recorded_by
            ),
            members: v.members.len(),
            added: names(&v.added),
            dropped: names(&v.dropped),
            document_id: v.document_id,
        })
        .collect();
    Ok(Some(Section {
        versions,
        current,
        can_record: authz::allows(role, Action::ManageOperators)
            && op.state != sportello_core::ra::accreditation::State::Revoked,
        archive_links: authz::allows(role, Action::ViewRestrictedArchive),
    }))
}

/// One line of the form.
pub struct Line {
    pub name: String,
    pub tax_code: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "ra/staff_sheet_new.html")]
struct NewPage {
    layout: Layout,
    op: Operator,
    sheet_date: String,
    sent_by: String,
    lines: Vec<Line>,
    error: Option<String>,
}

impl NewPage {
    fn legend(&self, line: &usize) -> String {
        self.layout
            .lang
            .t_args("ra-staff-sheet-line", &[("line", line.to_string())])
    }
}

/// Blank lines offered under the listed people.
const BLANK_LINES: usize = 3;
/// The most lines a sheet may have (a bound on what the form reads).
const MAX_LINES: usize = 500;

#[derive(serde::Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    rows: Option<usize>,
}

fn blank() -> Line {
    Line {
        name: String::new(),
        tax_code: String::new(),
        email: String::new(),
    }
}

async fn organisation(state: &AppState, viewer: &Viewer, id: &str) -> Result<Operator, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let op = visible_operator(&state.db, p, id).await?;
    if !op.is_organisation() {
        return Err(AppError::not_found());
    }
    Ok(op)
}

/// The form of a new version, prefilled with the people the latest version lists.
pub async fn new(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let op = organisation(&state, &viewer, &id).await?;
    let history = staff_sheet::history(&state.db, &op.id).await?;
    let mut lines: Vec<Line> = history
        .first()
        .map(|v| {
            v.members
                .iter()
                .map(|m| Line {
                    name: m.name.clone(),
                    tax_code: m.tax_code.clone(),
                    email: m.email.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let total = (lines.len() + q.rows.unwrap_or(BLANK_LINES).max(1)).min(MAX_LINES);
    lines.resize_with(total.max(lines.len()), blank);
    let page = NewPage {
        layout: Layout::new(&viewer, "ra-staff-sheet-new-title"),
        sheet_date: state.clock.today().format("%Y-%m-%d").to_string(),
        sent_by: String::new(),
        lines,
        error: None,
        op,
    };
    Ok(render(&page)?.into_response())
}

/// The lines typed in the form (`name_N`, `tax_code_N`, `email_N` for N from 0 to `rows`).
fn lines_of(form: &MultipartForm) -> Vec<Line> {
    let rows = form
        .filled("rows")
        .and_then(|r| r.parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_LINES);
    (0..rows)
        .map(|i| Line {
            name: form.text(&format!("name_{i}")),
            tax_code: form.text(&format!("tax_code_{i}")),
            email: form.text(&format!("email_{i}")),
        })
        .collect()
}

/// Records the new version; on a mistake the form comes back as typed, with the reason.
/// "Aggiungi righe" posts the same form (`add_rows`): it comes back as typed, with more blank
/// lines, and nothing is recorded (a chosen file must be chosen again: browsers do not refill
/// a file field).
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let op = organisation(&state, &viewer, &id).await?;
    let p = viewer.require_action(Action::ManageOperators)?;
    let mut form = MultipartForm::read(multipart).await?;
    let mut lines = lines_of(&form);
    if form.filled("add_rows").is_some() {
        let total = (lines.len() + BLANK_LINES).min(MAX_LINES);
        lines.resize_with(total.max(lines.len()), blank);
        let page = NewPage {
            layout: Layout::new(&viewer, "ra-staff-sheet-new-title"),
            sheet_date: form.text("sheet_date"),
            sent_by: form.text("sent_by"),
            lines,
            error: None,
            op,
        };
        return Ok(render(&page)?.into_response());
    }
    let file = form.take_file("file").map(|f| (f.file_name, f.bytes));
    let result = match form.date("sheet_date", "ra-error-date") {
        Ok(sheet_date) => staff_sheet::record(
            &state,
            p,
            &op.id,
            NewStaffSheet {
                sheet_date,
                sent_by: form.text("sent_by"),
                members: lines
                    .iter()
                    .map(|l| StaffMember {
                        name: l.name.clone(),
                        tax_code: l.tax_code.clone(),
                        email: l.email.clone(),
                    })
                    .collect(),
                file,
            },
        )
        .await
        .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!(
            "/ra/operators/{}?sheet={}#staff-sheet",
            op.id, r.version
        ))
        .into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let message = error_message(viewer.lang, &e);
            let page = NewPage {
                layout: Layout::new(&viewer, "ra-staff-sheet-new-title"),
                sheet_date: form.text("sheet_date"),
                sent_by: form.text("sent_by"),
                lines,
                error: Some(message),
                op,
            };
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

fn error_message(lang: Lang, e: &AppError) -> String {
    let mut message = e.message(lang);
    for f in &e.fields {
        message.push(' ');
        message.push_str(&lang.t_args(f.key, &f.args));
    }
    message
}
