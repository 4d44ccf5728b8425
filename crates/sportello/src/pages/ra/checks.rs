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
use sportello_core::paging::{Keyset, Slice};
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
    /// Said on the first page of yearly checks when older ones follow.
    checks_recent: Option<String>,
    /// The links to the newer and older years' checks.
    checks_pager: Pager,
    /// (operator's name, sentence), by operator, 50 a page.
    deliveries: Vec<(String, String)>,
    /// The links to the anomalies' pages before and after.
    deliveries_pager: Pager,
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

/// Where each of the page's three keyset lists starts: the registry flags (`after`,
/// `before`), the delivery anomalies and the yearly checks, each list paging on its own and
/// its links keeping the others' place.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ChecksCursors {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    deliveries_after: Option<String>,
    #[serde(default)]
    deliveries_before: Option<String>,
    #[serde(default)]
    years_after: Option<String>,
    #[serde(default)]
    years_before: Option<String>,
}

impl ChecksCursors {
    fn flags(&self) -> CursorParam {
        CursorParam {
            after: self.after.clone(),
            before: self.before.clone(),
        }
    }

    fn deliveries(&self) -> Keyset {
        Keyset::parse(
            self.deliveries_after.as_deref(),
            self.deliveries_before.as_deref(),
            hooks::ANOMALIES_PAGE,
        )
    }

    fn years(&self) -> Keyset {
        let size = u32::try_from(checks::CHECKS_SHOWN).unwrap_or(1);
        Keyset::parse(
            self.years_after.as_deref(),
            self.years_before.as_deref(),
            size,
        )
    }

    /// The cursors of the lists other than `list` ("flags", "deliveries", "years"), as the
    /// query a pager keeps.
    fn others(&self, list: &str) -> Vec<(&'static str, String)> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut out = Vec::new();
        if list != "flags" {
            out.push(("after", text(&self.after)));
            out.push(("before", text(&self.before)));
        }
        if list != "deliveries" {
            out.push(("deliveries_after", text(&self.deliveries_after)));
            out.push(("deliveries_before", text(&self.deliveries_before)));
        }
        if list != "years" {
            out.push(("years_after", text(&self.years_after)));
            out.push(("years_before", text(&self.years_before)));
        }
        out
    }
}

/// A pager of one of the page's lists: its own parameters, the others' place kept, and the
/// links landing on the list's section (`anchor`).
fn list_pager<T>(
    lang: Lang,
    slice: &Slice<T>,
    cursors: &ChecksCursors,
    list: &str,
    names: (&str, &str),
    anchor: &str,
) -> Pager {
    let others = cursors.others(list);
    let filters: Vec<(&str, &str)> = others.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut pager = Pager::keyset_named(lang, slice, "/ra/checks", &filters, names);
    if !anchor.is_empty() {
        pager.previous = pager.previous.map(|h| format!("{h}#{anchor}"));
        pager.next = pager.next.map(|h| format!("{h}#{anchor}"));
    }
    pager
}

async fn checks_page(
    state: &AppState,
    viewer: &Viewer,
    cursors: &ChecksCursors,
    notice: Option<String>,
) -> Result<ChecksPage, AppError> {
    let p = require_checks(viewer)?;
    let chamber_id = chamber_of(p)?;
    let lang = viewer.lang;
    let today = state.clock.today();
    let conv = convention::current(&state.db, chamber_id).await?;
    // Issue 14: each list is read for what the page shows, never the chamber's whole
    // history: the alerts' window, a page of flags, a page of yearly checks, a page of
    // delivery anomalies.
    let endings = checks::window_endings(&state.db, chamber_id, conv.map(|c| c.end), today).await?;
    let flags = checks::registry_flags_page(
        &state.db,
        chamber_id,
        &cursors.flags().request(checks::FLAGS_PAGE),
    )
    .await?;
    let years = checks::self_checks_page(&state.db, chamber_id, &cursors.years()).await?;
    let deliveries =
        hooks::delivery_anomalies_page(&state.db, chamber_id, &cursors.deliveries()).await?;
    let checks_pager = {
        let mut p = list_pager(
            lang,
            &years,
            cursors,
            "years",
            ("years_after", "years_before"),
            "selfchecks",
        );
        p.nav_label = lang.t("ra-checks-self-pages");
        p.previous_label = lang.t("ra-checks-self-newer");
        p.next_label = lang.t("ra-checks-self-older");
        p
    };
    let deliveries_pager = {
        let mut p = list_pager(
            lang,
            &deliveries,
            cursors,
            "deliveries",
            ("deliveries_after", "deliveries_before"),
            "deliveries",
        );
        p.nav_label = lang.t("ra-checks-deliveries-pages");
        p
    };
    // The first page of years says that older ones follow.
    let checks_recent = (years.previous.is_none() && years.next.is_some()).then(|| {
        lang.t_args(
            "ra-checks-self-recent",
            &[("count", checks::CHECKS_SHOWN.to_string())],
        )
    });
    let self_checks = years.items;
    let deliveries = deliveries.items;
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
        pager: list_pager(lang, &flags, cursors, "flags", ("after", "before"), ""),
        flags: flags
            .items
            .iter()
            .map(|f| (name(&f.operator_id), flag_sentence(lang, f)))
            .collect(),
        checks: checks_out,
        checks_recent,
        checks_pager,
        deliveries: deliveries
            .iter()
            .map(|d| (name(&d.operator_id), delivery_sentence(lang, d)))
            .collect(),
        deliveries_pager,
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
    Query(cursors): Query<ChecksCursors>,
) -> Result<Response, AppError> {
    Ok(render(&checks_page(&state, &viewer, &cursors, None).await?)?.into_response())
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
        render(&checks_page(&state, &viewer, &ChecksCursors::default(), Some(notice)).await?)?
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
                    &checks_page(&state, &viewer, &ChecksCursors::default(), Some(notice)).await?,
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
