//! Periodic checks (alerts, registry changes, the yearly sample of self-declarations, device
//! deliveries) and the course spreadsheets exchanged with the CA.

use crate::app::AppState;
use crate::pages::ra::it_date;
use crate::web::download::{Download, XLSX};
use crate::web::error::AppError;
use crate::web::form::MultipartForm;
use crate::web::pager::{CursorParam, Pager};
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use sportello_core::authz::{self, Action};
use sportello_core::i18n::Lang;
use sportello_core::ra::access::chamber_of;
use sportello_core::ra::checks::{self, Ending, RegistryFlag, SelfCheck};
use sportello_core::ra::course_sheet::{self, ImportReport, Unmatched};
use sportello_core::ra::hooks::{DeliveryAnomaly, DeliveryAnomalyKind};
use sportello_core::ra::{convention, hooks, operator};
use std::collections::HashMap;

struct CheckView {
    check: SelfCheck,
    redraw_ok: bool,
    rows: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "ra/checks.html")]
struct ChecksPage {
    layout: Layout,
    endings: Vec<Ending>,
    /// (operator's name, sentence), newest first, 50 a page.
    flags: Vec<(String, String)>,
    /// The links to the flags' pages before and after.
    pager: Pager,
    checks: Vec<CheckView>,
    /// Said when older yearly checks may exist than the ones shown.
    checks_recent: Option<String>,
    /// (operator's name, sentence)
    deliveries: Vec<(String, String)>,
    can_manage: bool,
    year: i32,
    notice: Option<String>,
}

impl ChecksPage {
    fn d(&self, d: &chrono::NaiveDate) -> String {
        it_date(*d)
    }
}

fn require_checks(viewer: &Viewer) -> Result<&sportello_core::accounts::Principal, AppError> {
    let p = viewer.require()?;
    if authz::allows(p.role(), Action::ManageOperators)
        || authz::allows(p.role(), Action::ViewRestrictedArchive)
    {
        Ok(p)
    } else {
        Err(AppError::forbidden())
    }
}

async fn checks_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: &CursorParam,
    notice: Option<String>,
) -> Result<ChecksPage, AppError> {
    let p = require_checks(viewer)?;
    let chamber_id = chamber_of(p)?;
    let lang = viewer.lang;
    let today = state.clock.today();
    let conv = convention::current(&state.db, chamber_id).await?;
    // Issue 14: each list is read for what the page shows, never the chamber's whole
    // history: the alerts' window, a page of flags, the latest yearly checks.
    let endings = checks::window_endings(&state.db, chamber_id, conv.map(|c| c.end), today).await?;
    let flags =
        checks::registry_flags_page(&state.db, chamber_id, &cursor.request(checks::FLAGS_PAGE))
            .await?;
    let self_checks = checks::recent_self_checks(&state.db, chamber_id).await?;
    let deliveries = hooks::delivery_anomalies(&state.db, chamber_id).await?;
    // The names of the operators shown, and only theirs.
    let shown: Vec<String> = flags
        .items
        .iter()
        .map(|f| f.operator_id.clone())
        .chain(self_checks.iter().flat_map(|c| c.sample.iter().cloned()))
        .chain(deliveries.iter().map(|d| d.operator_id.clone()))
        .collect();
    let names: HashMap<String, String> = operator::names_of(&state.db, &shown).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    let mut checks_out = Vec::new();
    let checks_capped = self_checks.len() as i64 >= checks::CHECKS_SHOWN;
    for c in self_checks {
        let outcomes = checks::outcomes(&state.db, &c.id).await?;
        let rows = c
            .sample
            .iter()
            .map(|id| {
                let o = outcomes.iter().find(|o| &o.operator_id == id);
                let outcome = match o.map(|o| o.outcome.as_str()) {
                    Some("compliant") => lang.t("ra-check-compliant"),
                    Some(_) => lang.t("ra-check-non-compliant"),
                    None => lang.t("ra-check-pending"),
                };
                (id.clone(), name(id), outcome)
            })
            .collect();
        checks_out.push(CheckView {
            redraw_ok: c.redraw_matches(),
            check: c,
            rows,
        });
    }
    Ok(ChecksPage {
        layout: Layout::new(viewer, "ra-checks-title"),
        endings,
        pager: Pager::keyset(lang, &flags, "/ra/checks", &[]),
        flags: flags
            .items
            .iter()
            .map(|f| (name(&f.operator_id), flag_sentence(lang, f)))
            .collect(),
        checks: checks_out,
        checks_recent: checks_capped.then(|| {
            lang.t_args(
                "ra-checks-self-recent",
                &[("count", checks::CHECKS_SHOWN.to_string())],
            )
        }),
        deliveries: deliveries
            .iter()
            .map(|d| (name(&d.operator_id), delivery_sentence(lang, d)))
            .collect(),
        can_manage: authz::allows(p.role(), Action::ManageOperators),
        year: today.year(),
        notice,
    })
}

/// A registry flag in the reader's words.
fn flag_sentence(lang: Lang, f: &RegistryFlag) -> String {
    let key = match f.kind.as_str() {
        "ceased" => "ra-flag-ceased",
        "renamed" => "ra-flag-renamed",
        "representative" => "ra-flag-representative",
        "no_longer_representative" => "ra-flag-no-longer-representative",
        _ => "ra-flag-missing",
    };
    lang.t_args(key, &[("detail", f.detail.clone())])
}

/// A device-delivery anomaly in the reader's words.
fn delivery_sentence(lang: Lang, d: &DeliveryAnomaly) -> String {
    let key = match d.kind {
        DeliveryAnomalyKind::NotRecorded => "ra-delivery-not-recorded",
        DeliveryAnomalyKind::NoRecipient => "ra-delivery-no-recipient",
        DeliveryAnomalyKind::RecordedByOther => "ra-delivery-recorded-by-other",
    };
    lang.t_args(
        key,
        &[
            ("serial", d.serial.clone()),
            ("by", d.recorded_by.clone().unwrap_or_default()),
        ],
    )
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(cursor): Query<CursorParam>,
) -> Result<Response, AppError> {
    Ok(render(&checks_page(&state, &viewer, &cursor, None).await?)?.into_response())
}

pub async fn run_now(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let chamber_id = chamber_of(p)?.to_string();
    let n = checks::run_for_chamber(&state, &chamber_id)
        .await
        .map_err(AppError::internal)?;
    let notice = viewer
        .lang
        .t_args("ra-checks-ran", &[("count", n.to_string())]);
    Ok(
        render(&checks_page(&state, &viewer, &CursorParam::default(), Some(notice)).await?)?
            .into_response(),
    )
}

#[derive(serde::Deserialize)]
pub struct DrawForm {
    #[serde(default)]
    size: String,
}

pub async fn draw(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Form(form): axum::extract::Form<DrawForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let size = form.size.trim().parse::<usize>().ok().filter(|n| *n > 0);
    match checks::draw_yearly_check(&state, p, size).await {
        Ok(_) => Ok(Redirect::to("/ra/checks").into_response()),
        // Already drawn this year, or nobody to check: said on the page itself.
        Err(e) => {
            let e = AppError::from(e);
            if e.status != StatusCode::CONFLICT {
                return Err(e);
            }
            let notice = e.message(viewer.lang);
            Ok((
                e.status,
                render(
                    &checks_page(&state, &viewer, &CursorParam::default(), Some(notice)).await?,
                )?,
            )
                .into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct OutcomeForm {
    operator_id: String,
    outcome: String,
    #[serde(default)]
    note: String,
}

pub async fn outcome(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::extract::Form(form): axum::extract::Form<OutcomeForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    checks::record_outcome(
        &state,
        p,
        &id,
        &form.operator_id,
        form.outcome == "compliant",
        &form.note,
    )
    .await?;
    Ok(Redirect::to("/ra/checks").into_response())
}

/// The course request for the operators ticked on the list (an .xlsx download).
pub async fn request_courses(
    State(state): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let chamber_id = chamber_of(p)?.to_string();
    let ids: Vec<String> = serde_html_form::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k == "operator_ids")
        .map(|(_, v)| v)
        .collect();
    let bytes = course_sheet::request_courses(&state, &p.actor(), &chamber_id, &ids).await?;
    Ok(Download::new(XLSX, "richiesta-corso.xlsx", bytes).into_response())
}

#[derive(Template)]
#[template(path = "ra/course_results.html")]
struct ResultsPage {
    layout: Layout,
    report: ImportReport,
    /// (line, tax code, why), the reason in the visitor's language.
    unmatched: Vec<(usize, String, String)>,
}

/// Imports the course results (CSV or XLSX) and shows what matched and what did not.
pub async fn import_results(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let chamber_id = chamber_of(p)?.to_string();
    let mut form = MultipartForm::read(multipart).await?;
    let file = form.take_file("results").ok_or_else(|| {
        AppError::invalid(vec![sportello_core::validation::FieldError::new(
            "results",
            "ra-error-results-file",
        )])
    })?;
    let rows = course_sheet::parse_results(&file.bytes).map_err(|e| match e {
        course_sheet::SheetError::Sheet(e) => AppError::from(e),
        course_sheet::SheetError::NoTaxCodeColumn => AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "no_tax_code_column",
            "ra-error-results-no-tax-code",
        ),
    })?;
    let mut report = course_sheet::import_results(&state, &p.actor(), &chamber_id, rows).await?;
    let unmatched = std::mem::take(&mut report.unmatched)
        .into_iter()
        .map(|(line, tax_code, why)| {
            let code = match why {
                Unmatched::UnknownOperator => "unknown_operator",
                Unmatched::IncompleteRow => "incomplete_row",
                Unmatched::Refused(e) => AppError::from(e).code,
            };
            let key = format!("ra-import-{}", code.replace('_', "-"));
            let text = viewer.lang.t(&key);
            let reason = if text == key {
                viewer
                    .lang
                    .t_args("ra-import-other", &[("code", code.to_string())])
            } else {
                text
            };
            (line, tax_code, reason)
        })
        .collect();
    Ok(render(&ResultsPage {
        layout: Layout::new(&viewer, "ra-course-results-title"),
        report,
        unmatched,
    })?
    .into_response())
}
