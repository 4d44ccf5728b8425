//! ODR pages: advance accounts, consignments (requested here, approved by a second person on
//! the inventory page), the ODRs' periodic reports and their reconciliation.

use crate::app::AppState;
use crate::pages::devices::inventory::count;
use crate::pages::devices::{Problem, euro, form_key, user_error};
use crate::web::form::{FormFields, MultipartForm};
use crate::web::pager::{CursorParam, Pager};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::{self, Action};
use sportello_core::devices::advance::{self, Account, Entry};
use sportello_core::devices::chamber_of;
use sportello_core::devices::odr_account;
use sportello_core::devices::odr_report::{self, Line, Mismatch, Report};
use sportello_core::devices::withdrawal::{self, Destination, NewWithdrawal};
use sportello_core::paging::{Keyset, Slice};
use sportello_core::ra::operator::{self, Operator};

pub(crate) struct OdrRow {
    pub op: Operator,
    pub can_act: bool,
    pub full_service: bool,
    pub account: Account,
    pub holds: i64,
}

#[derive(Template)]
#[template(path = "devices/odr.html")]
struct Page {
    layout: Layout,
    rows: Vec<OdrRow>,
    pager: Pager,
    fees: [i64; 2],
    request_key: String,
    notice: Option<String>,
    problem: Option<Problem>,
}

impl Page {
    fn euro(&self, c: &i64) -> String {
        euro(*c)
    }
}

/// ODRs on one page of the consignments list.
const ODRS_PER_PAGE: u32 = 50;

/// One page by name of the ODRs that may receive consignments (an organisation or a
/// natural-person ODR), with their figures: four statements, whatever the number of the
/// chamber's operators (issue 14).
async fn odrs(
    state: &AppState,
    chamber_id: &str,
    request: &Keyset,
) -> Result<Slice<OdrRow>, AppError> {
    let today = state.clock.today();
    let page = operator::odr_accounts_page(&state.db, chamber_id, request).await?;
    let ids: Vec<String> = page.items.iter().map(|o| o.id.clone()).collect();
    let mut figures = odr_account::summaries(&state.db, chamber_id, &ids).await?;
    Ok(page.map(|op| {
        let f = figures.remove(&op.id).unwrap_or_default();
        OdrRow {
            can_act: sportello_core::ra::eligibility::eligibility(&op, today).can_act,
            full_service: f.full_service,
            account: f.account,
            holds: f.holds,
            op,
        }
    }))
}

#[derive(serde::Deserialize, Default)]
pub struct Ok_ {
    #[serde(default)]
    ok: String,
    #[serde(flatten)]
    page: CursorParam,
}

async fn build(state: &AppState, viewer: &Viewer, request: &Keyset) -> Result<Page, AppError> {
    let p = viewer.require_action(Action::ConsignDevices)?;
    let chamber_id = chamber_of(p)?;
    let rows = odrs(state, chamber_id, request).await?;
    Ok(Page {
        layout: Layout::new(viewer, "dev-odr-title"),
        pager: Pager::keyset(viewer.lang, &rows, "/devices/odr", &[]),
        rows: rows.items,
        fees: advance::fees(&state.db, chamber_id).await?,
        request_key: form_key(),
        notice: None,
        problem: None,
    })
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Ok_>,
) -> Result<Response, AppError> {
    let mut page = build(&state, &viewer, &q.page.request(ODRS_PER_PAGE)).await?;
    if q.ok == "requested" {
        page.notice = Some(viewer.lang.t("dev-ok-consignment-requested"));
    }
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ConsignForm {
    operator_id: String,
    #[serde(default)]
    smart_cards: String,
    #[serde(default)]
    tokens: String,
    #[serde(default)]
    free_smart_cards: String,
    #[serde(default)]
    request_key: String,
}

pub async fn request_consignment(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(f): axum::Form<ConsignForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ConsignDevices)?;
    let chamber_id = chamber_of(p)?.to_string();
    let new = NewWithdrawal {
        destination: Some(Destination::Odr),
        operator_id: f.operator_id,
        smart_cards: count(&f.smart_cards),
        tokens: count(&f.tokens),
        free_smart_cards: count(&f.free_smart_cards),
        note: None,
        request_key: Some(f.request_key),
    };
    match withdrawal::request(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &chamber_id,
        new,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/devices/odr?ok=requested").into_response()),
        Err(e) => {
            let e = user_error(e.into())?;
            let mut page = build(&state, &viewer, &Keyset::first(ODRS_PER_PAGE)).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "devices/odr_account.html")]
struct AccountPage {
    layout: Layout,
    op: Operator,
    account: Account,
    entries: Vec<Entry>,
    full_service: bool,
    /// RA procedure, part 2: the "n" free smart cards and how many are in use.
    free: advance::FreeAllowance,
    free_use: String,
    can_manage: bool,
    problem: Option<Problem>,
}

impl AccountPage {
    fn euro(&self, c: &i64) -> String {
        euro(*c)
    }
    fn kind(&self, k: &str) -> String {
        self.layout.t(&format!("dev-entry-{}", k.replace('_', "-")))
    }
    /// Who wrote a ledger entry: the person's name, or what a non-person actor is.
    fn who(&self, e: &Entry) -> String {
        match &e.created_by_name {
            Some(name) => name.clone(),
            None => sportello_core::audit::describe::actor_label(self.layout.lang, &e.created_by),
        }
    }
}

async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<AccountPage, AppError> {
    let p = viewer.require()?;
    let op = odr_account::visible_odr(&state.db, p, id).await?;
    let free = advance::free_allowance(&state.db, &op.id).await?;
    let free_use = viewer.lang.t_args(
        "dev-free-allowance-use",
        &[
            ("allowance", free.allowance.to_string()),
            ("held", free.held.to_string()),
            ("pending", free.pending.to_string()),
            ("remaining", free.remaining().to_string()),
        ],
    );
    Ok(AccountPage {
        layout: Layout::new(viewer, "dev-account-title"),
        account: advance::account(&state.db, &op.id).await?,
        entries: advance::entries(&state.db, &op.id, 100).await?,
        full_service: advance::is_full_service(&state.db, &op.id).await?,
        free,
        free_use,
        can_manage: authz::allows(p.role(), Action::ConsignDevices),
        op,
        problem: None,
    })
}

pub async fn account(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(render(&account_page(&state, &viewer, &id).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct TopUpForm {
    amount: String,
    #[serde(default)]
    reference: String,
}

pub async fn top_up(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<TopUpForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ConsignDevices)?;
    match odr_account::top_up(&state, p, &id, &f.amount, &f.reference).await {
        Ok(_) => Ok(Redirect::to(&format!("/devices/odr/{id}")).into_response()),
        Err(e) => {
            let e = user_error(e.into())?;
            let mut page = account_page(&state, &viewer, &id).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct FullServiceForm {
    #[serde(default)]
    full_service: String,
    #[serde(default)]
    free_smart_cards: Option<String>,
}

pub async fn full_service(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<FullServiceForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ConsignDevices)?;
    let full = f.full_service == "yes";
    match odr_account::set_full_service(&state, p, &id, full, f.free_smart_cards.as_deref()).await {
        Ok(()) => Ok(Redirect::to(&format!("/devices/odr/{id}")).into_response()),
        Err(e) => {
            let e = user_error(e.into())?;
            let mut page = account_page(&state, &viewer, &id).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "devices/reports.html")]
struct ReportsPage {
    layout: Layout,
    odr: Option<Operator>,
    reports: Vec<(Report, String)>,
    from: String,
    to: String,
    text: String,
    problem: Option<Problem>,
}

async fn reports_page(state: &AppState, viewer: &Viewer) -> Result<ReportsPage, AppError> {
    let p = viewer.require()?;
    let chamber_id = chamber_of(p)?;
    let (odr, reports) = if authz::allows(p.role(), Action::ConsignDevices) {
        (None, odr_report::list(&state.db, chamber_id, None).await?)
    } else if authz::allows(p.role(), Action::ReportIssuedDevices) {
        let odr = odr_account::own_odr(&state.db, p)
            .await?
            .ok_or_else(AppError::forbidden)?;
        let r = odr_report::list(&state.db, chamber_id, Some(&odr.id)).await?;
        (Some(odr), r)
    } else {
        return Err(AppError::forbidden());
    };
    let ops = operator::names_of(
        &state.db,
        &reports
            .iter()
            .map(|r| r.operator_id.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    let today = state.clock.today();
    Ok(ReportsPage {
        layout: Layout::new(viewer, "dev-reports-title"),
        odr,
        reports: reports
            .into_iter()
            .map(|r| {
                let n = ops.get(&r.operator_id).cloned().unwrap_or_default();
                (r, n)
            })
            .collect(),
        from: today
            .with_day0(0)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        to: today.to_string(),
        text: "serial;issued_on;holder_tax_code;company_tax_code;free\n".into(),
        problem: None,
    })
}

use chrono::Datelike;

pub async fn reports(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&reports_page(&state, &viewer).await?)?.into_response())
}

pub async fn submit_report(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ReportIssuedDevices)?;
    let chamber_id = chamber_of(p)?.to_string();
    let odr = odr_account::own_odr(&state.db, p)
        .await?
        .ok_or_else(AppError::forbidden)?;
    let mut form = MultipartForm::read(multipart).await?;
    let (source, text) = match form.take_file("file") {
        Some(f) => ("csv", String::from_utf8_lossy(&f.bytes).to_string()),
        None => ("form", form.text("lines")),
    };
    let result: Result<Report, AppError> = async {
        let (Some(from), Some(to)) = (
            form.date("period_from", "ra-error-date")?,
            form.date("period_to", "ra-error-date")?,
        ) else {
            return Err(AppError::invalid(vec![FieldError::new(
                "period_to",
                "dev-report-bad-period",
            )]));
        };
        Ok(odr_report::submit(
            &state.db,
            state.clock.now(),
            &p.actor(),
            &chamber_id,
            &odr.id,
            from,
            to,
            source,
            &text,
        )
        .await?)
    }
    .await;
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/devices/reports/{}", r.id)).into_response()),
        Err(e) => {
            let e = user_error(e)?;
            let mut page = reports_page(&state, &viewer).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            page.from = form.text("period_from");
            page.to = form.text("period_to");
            if source == "form" {
                page.text = text;
            }
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "devices/report.html")]
struct ReportPage {
    layout: Layout,
    report: Report,
    odr_name: String,
    lines: Vec<Line>,
    mismatches: Option<Vec<Mismatch>>,
}

pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require()?;
    if !authz::allows(p.role(), Action::ConsignDevices)
        && !authz::allows(p.role(), Action::ReportIssuedDevices)
    {
        return Err(AppError::forbidden());
    }
    let r = odr_report::visible(&state.db, p, &id).await?;
    let chamber_id = chamber_of(p)?;
    let mismatches = if authz::allows(p.role(), Action::ConsignDevices) {
        Some(odr_report::reconcile(&state.db, chamber_id, &r).await?)
    } else {
        None
    };
    let odr_name = operator::get(&state.db, &r.operator_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(render(&ReportPage {
        layout: Layout::new(&viewer, "dev-report-title"),
        lines: odr_report::lines(&state.db, &r.id).await?,
        report: r,
        odr_name,
        mismatches,
    })?
    .into_response())
}

pub async fn reconcile(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ConsignDevices)?;
    let r = odr_report::visible(&state.db, p, &id).await?;
    let chamber_id = chamber_of(p)?;
    let m = odr_report::reconcile(&state.db, chamber_id, &r).await?;
    odr_report::mark_reconciled(&state.db, state.clock.now(), &p.actor(), chamber_id, &r, &m)
        .await?;
    Ok(Redirect::to(&format!("/devices/reports/{id}")).into_response())
}
