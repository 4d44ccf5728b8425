//! pagoPA on the wallet's pages: the company asks for a top-up notice, downloads it, cancels
//! it; every ledger entry has its receipt and the wallet its statement (PDF, XLSX); the
//! chamber's office imports reconciliation flows and reads the anomalies.
//!
//! Every object is looked up with the company the session acts for (`acting_company`) or the
//! office's chamber: an id from the client never reaches another company's position or entry.

use crate::app::AppState;
use crate::pages::trade::acting_company;
use crate::pages::trade::company::{WalletParams, wallet_page};
use crate::web::download::{Download, XLSX};
use crate::web::form::MultipartForm;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use sportello_core::accounts::CompanyScope;
use sportello_core::accounts::company_access::{self, Target};
use sportello_core::authz::{self, Action};
use sportello_core::clock::italian_day;
use sportello_core::display;
use sportello_core::i18n::Lang;
use sportello_core::money::Money;
use sportello_core::trade::pdf;
use sportello_core::wallet::{self, pagopa, receipts};

#[derive(serde::Deserialize)]
pub struct TopUpForm {
    chamber: String,
    amount: String,
}

/// The company asks for a top-up notice at one of the chambers it deals with.
pub async fn request(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TopUpForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewWallet)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let code = form.chamber.trim().to_ascii_uppercase();
    let chamber = wallet::balances(&state.db, &company.id)
        .await?
        .into_iter()
        .map(|b| b.chamber)
        .find(|c| c.code.as_str() == code)
        .ok_or_else(AppError::not_found)?;
    // Issue 15: a top-up spends like a send: the scope at the company reaches sending, and an
    // intermediary's user needs a mandate in force for that chamber.
    company_access::require(
        &state.db,
        p,
        CompanyScope::Send,
        Target {
            company_id: &company.id,
            practice_type: None,
            chamber_id: Some(&chamber.id),
        },
        state.clock.now(),
    )
    .await?;
    let actor = p.actor();
    let who = pagopa::position::Requester {
        actor: &actor,
        email: &p.user.email,
        company_id: &company.id,
    };
    match pagopa::position::request(&state, &who, &chamber.id, &form.amount).await {
        Ok(position) => Ok(Redirect::to(&format!(
            "/wallet?chamber={}&notice={}#notice",
            chamber.code, position.id
        ))
        .into_response()),
        Err(
            e @ (pagopa::position::RequestError::NotConfigured
            | pagopa::position::RequestError::Amount(_)
            | pagopa::position::RequestError::TooLarge),
        ) => {
            let params = WalletParams::of_chamber(chamber.code.as_str());
            let message = viewer.lang.t(e.key());
            wallet_page(&state, &viewer, params, Some((message, form.amount))).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The notice PDF of one of the company's positions.
pub async fn notice_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewWallet)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let today = italian_day(state.clock.now());
    let position = pagopa::position::position_of_company(&state.db, &id, &company.id, today)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&position.notice_blob).await?;
    Ok(Download::new(
        "application/pdf",
        &format!("avviso-pagopa-{}.pdf", position.notice_code),
        bytes,
    )
    .inline()
    .into_response())
}

/// The company cancels a pending notice.
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewWallet)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let today = italian_day(state.clock.now());
    let position = pagopa::position::position_of_company(&state.db, &id, &company.id, today)
        .await?
        .ok_or_else(AppError::not_found)?;
    company_access::require(
        &state.db,
        p,
        CompanyScope::Send,
        Target {
            company_id: &company.id,
            practice_type: None,
            chamber_id: Some(&position.chamber_id),
        },
        state.clock.now(),
    )
    .await?;
    pagopa::position::cancel(&state, &p.actor(), &position.id, &company.id).await?;
    let code = sportello_core::chambers::get_chamber(&state.db, &position.chamber_id)
        .await?
        .map(|c| c.code.to_string())
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/wallet?chamber={code}")).into_response())
}

/// The receipt of one of the company's ledger entries.
pub async fn receipt_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewWallet)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let receipt = receipts::receipt(&state.db, &id, &company.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = pdf::receipt(&receipt, viewer.lang).map_err(AppError::internal)?;
    Ok(Download::new(
        "application/pdf",
        &format!("ricevuta-{}.pdf", receipt.number),
        bytes,
    )
    .inline()
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct StatementParams {
    #[serde(default)]
    chamber: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// The statement of the company's wallet at a chamber for a period (by default this year up
/// to today), as a PDF or (`format=xlsx`) a workbook.
pub async fn statement(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<StatementParams>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewWallet)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let chamber = wallet::chamber_of_wallet(&state.db, &company.id, q.chamber.as_deref())
        .await
        .map_err(|_| AppError::not_found())?;
    let today = italian_day(state.clock.now());
    let day = |s: &Option<String>| {
        s.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d"))
    };
    let from = match day(&q.from) {
        None => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            return Err(AppError::bad_request(
                "bad_date",
                "pagopa-statement-bad-date",
            ));
        }
    };
    let to = match day(&q.to) {
        None => today,
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            return Err(AppError::bad_request(
                "bad_date",
                "pagopa-statement-bad-date",
            ));
        }
    };
    if from > to {
        return Err(AppError::bad_request(
            "bad_period",
            "pagopa-statement-bad-period",
        ));
    }
    let st = receipts::statement(&state.db, &company.id, &chamber.id, from, to)
        .await?
        .ok_or_else(AppError::not_found)?;
    let name = format!("estratto-conto-{}-{from}-{to}", chamber.code);
    if q.format.as_deref() == Some("xlsx") {
        let bytes = receipts::statement_xlsx(&st).map_err(AppError::internal)?;
        return Ok(Download::new(XLSX, &format!("{name}.xlsx"), bytes).into_response());
    }
    let bytes = pdf::statement(&st, viewer.lang).map_err(AppError::internal)?;
    Ok(
        Download::new("application/pdf", &format!("{name}.pdf"), bytes)
            .inline()
            .into_response(),
    )
}

#[derive(Template)]
#[template(path = "trade/admin_payments.html")]
struct PaymentsPage {
    layout: Layout,
    configured: Option<(String, String, Option<String>)>,
    flows: Vec<FlowRow>,
    anomalies: Vec<AnomalyRow>,
    notice: Option<String>,
    error: Option<String>,
}

struct FlowRow {
    flow_id: String,
    settlement_date: String,
    sender: String,
    payments: i64,
    total: String,
    imported_at: String,
}

struct AnomalyRow {
    id: String,
    when: String,
    flow_id: String,
    iuv: String,
    company: String,
    paid: String,
    due: String,
    reason: String,
    /// "Risolta da … il …: …", once resolved.
    resolved: Option<String>,
}

async fn payments_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    error: Option<String>,
) -> Result<PaymentsPage, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let chamber_id = authz::chamber_of(p).map_err(|_| AppError::forbidden())?;
    let lang = viewer.lang;
    let configured = pagopa::creditor(&state.db, chamber_id)
        .await?
        .map(|c| (c.tax_code, c.segregation.to_string(), c.cbill));
    let flows = pagopa::reconcile::flows(&state.db, chamber_id, 20)
        .await?
        .into_iter()
        .map(|f| FlowRow {
            flow_id: f.flow_id,
            settlement_date: display::stored(&f.settlement_date),
            sender: f.sender,
            payments: f.payments,
            total: Money::from_cents(f.total_cents).to_italian(),
            imported_at: display::stored(&f.imported_at),
        })
        .collect();
    let anomalies = pagopa::reconcile::anomalies(&state.db, chamber_id, 100)
        .await?
        .into_iter()
        .map(|a| AnomalyRow {
            resolved: resolution_text(lang, &a),
            id: a.id,
            when: display::stored(&a.created_at),
            flow_id: a.flow_id,
            iuv: a.iuv,
            company: a.company_name.unwrap_or_else(|| "—".into()),
            paid: Money::from_cents(a.amount_cents).to_italian(),
            due: a
                .due_cents
                .map(|c| Money::from_cents(c).to_italian())
                .unwrap_or_else(|| "—".into()),
            reason: lang.t(&format!("pagopa-anomaly-{}", a.result.replace('_', "-"))),
        })
        .collect();
    Ok(PaymentsPage {
        layout: Layout::new(viewer, "pagopa-admin-title"),
        configured,
        flows,
        anomalies,
        notice,
        error,
    })
}

/// How an anomaly was resolved, by whom and when, in a sentence.
pub(crate) fn resolution_text(lang: Lang, a: &pagopa::reconcile::Anomaly) -> Option<String> {
    let kind = a.resolution.as_deref()?;
    let args = [
        ("who", a.resolved_by.clone().unwrap_or_default()),
        (
            "when",
            a.resolved_at
                .as_deref()
                .map(display::stored)
                .unwrap_or_default(),
        ),
        ("note", a.resolution_note.clone().unwrap_or_default()),
        (
            "company",
            a.resolved_company_name.clone().unwrap_or_default(),
        ),
    ];
    Some(if kind == "credited" {
        lang.t_args("pagopa-resolved-credited", &args)
    } else {
        lang.t_args("pagopa-resolved-note", &args)
    })
}

#[derive(serde::Deserialize)]
pub struct PaymentsParams {
    #[serde(default)]
    configured: Option<String>,
}

/// The office's page: the chamber's pagoPA configuration, the upload of a reconciliation
/// flow, the flows imported and the anomalies, unresolved first, each with its resolution.
pub async fn payments(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PaymentsParams>,
) -> Result<Response, AppError> {
    let notice = q
        .configured
        .is_some()
        .then(|| viewer.lang.t("pagopa-settings-saved"));
    Ok(render(&payments_page(&state, &viewer, notice, None).await?)?.into_response())
}

/// Imports a reconciliation flow uploaded by the office (its own chamber's flows only).
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let chamber_id = authz::chamber_of(p)
        .map_err(|_| AppError::forbidden())?
        .to_string();
    let mut form = MultipartForm::read(mp).await?;
    let file = form.take_file("flow").unwrap_or_default();
    let lang = viewer.lang;
    let result =
        pagopa::reconcile::import(&state, &p.actor(), &file.bytes, Some(&chamber_id)).await;
    let (notice, error) = match result {
        Ok(r) => (Some(report_text(lang, &r)), None),
        Err(
            e @ (pagopa::reconcile::ImportError::Flow(_)
            | pagopa::reconcile::ImportError::UnknownCreditor(_)
            | pagopa::reconcile::ImportError::OtherChamber),
        ) => (None, Some(lang.t(e.key()))),
        Err(e) => return Err(AppError::internal(e)),
    };
    let failed = error.is_some();
    let page = render(&payments_page(&state, &viewer, notice, error).await?)?;
    Ok(if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page.into_response()
    })
}

/// What an import did, in a sentence.
pub fn report_text(lang: Lang, r: &pagopa::reconcile::ImportReport) -> String {
    if r.already_imported {
        return lang.t_args("pagopa-import-already", &[("flow", r.flow_id.clone())]);
    }
    lang.t_args(
        "pagopa-import-done",
        &[
            ("flow", r.flow_id.clone()),
            (
                "credited",
                lang.t_count("pagopa-import-credited", r.credited as u64),
            ),
            ("total", r.credited_total.to_italian()),
            (
                "anomalies",
                lang.t_count("pagopa-import-anomalies", r.anomalies.len() as u64),
            ),
            (
                "duplicates",
                lang.t_count("pagopa-import-duplicates", r.duplicates as u64),
            ),
        ],
    )
}
