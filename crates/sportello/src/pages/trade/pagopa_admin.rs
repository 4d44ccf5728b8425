//! The chamber administrator's pagoPA pages besides the import: the creditor settings (what
//! `sportello admin chamber pagopa` sets, through the same `pagopa::configure`) and the
//! resolution of a reconciliation anomaly (a note, or a credit to a company's wallet).
//!
//! Both act on the administrator's own chamber only: its id comes from the session, never
//! from the form, and an anomaly of another chamber is not found (404).

use crate::app::AppState;
use crate::pages::trade::pagopa::resolution_text;
use crate::web::form_errors::FormErrors;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::{self, Action};
use sportello_core::display;
use sportello_core::money::Money;
use sportello_core::wallet::pagopa::{self, ConfigureError, resolve};

#[derive(Template)]
#[template(path = "trade/admin_pagopa_settings.html")]
struct SettingsPage {
    layout: Layout,
    chamber_name: String,
    tax_code: String,
    segregation_code: String,
    cbill: String,
    errors: FormErrors,
}

/// The chamber's pagoPA settings, as stored (empty while not configured).
pub async fn settings(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let chamber_id = authz::chamber_of(p).map_err(|_| AppError::forbidden())?;
    let chamber = sportello_core::chambers::get_chamber(&state.db, chamber_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let creditor = pagopa::creditor(&state.db, chamber_id).await?;
    let page = SettingsPage {
        layout: Layout::new(&viewer, "pagopa-settings-title"),
        chamber_name: chamber.name,
        tax_code: creditor
            .as_ref()
            .map(|c| c.tax_code.clone())
            .unwrap_or_default(),
        segregation_code: creditor
            .as_ref()
            .map(|c| c.segregation.to_string())
            .unwrap_or_default(),
        cbill: creditor.and_then(|c| c.cbill).unwrap_or_default(),
        errors: FormErrors::new(),
    };
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    segregation_code: String,
    #[serde(default)]
    cbill: String,
}

/// Saves the settings with the rules of the command line; each error next to its field, what
/// was typed kept.
pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let chamber_id = authz::chamber_of(p).map_err(|_| AppError::forbidden())?;
    let chamber = sportello_core::chambers::get_chamber(&state.db, chamber_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let lang = viewer.lang;
    let result = pagopa::configure(
        &state,
        &p.actor(),
        chamber.code.as_str(),
        &form.tax_code,
        &form.segregation_code,
        Some(form.cbill.as_str()),
    )
    .await;
    let mut errors = FormErrors::new();
    match result {
        Ok(_) => return Ok(Redirect::to("/admin/payments?configured=1").into_response()),
        Err(ConfigureError::TaxCode(_)) => errors.field(
            "tax_code",
            lang.t("pagopa-creditor-tax-code"),
            lang.t("pagopa-settings-error-tax-code"),
        ),
        Err(ConfigureError::TaxCodeTaken(_)) => errors.field(
            "tax_code",
            lang.t("pagopa-creditor-tax-code"),
            lang.t("pagopa-settings-error-tax-code-taken"),
        ),
        Err(ConfigureError::SegregationCode(_)) => errors.field(
            "segregation_code",
            lang.t("pagopa-segregation-code"),
            lang.t("pagopa-settings-error-segregation"),
        ),
        Err(ConfigureError::Cbill(_)) => errors.field(
            "cbill",
            lang.t("pagopa-cbill"),
            lang.t("pagopa-settings-error-cbill"),
        ),
        Err(ConfigureError::UnknownChamber(_)) => return Err(AppError::not_found()),
        Err(ConfigureError::Db(e)) => return Err(e.into()),
    }
    let page = SettingsPage {
        layout: Layout::new(&viewer, "pagopa-settings-title"),
        chamber_name: chamber.name,
        tax_code: form.tax_code.trim().to_string(),
        segregation_code: form.segregation_code.trim().to_string(),
        cbill: form.cbill.trim().to_string(),
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "trade/admin_payment_anomaly.html")]
struct AnomalyPage {
    layout: Layout,
    id: String,
    iuv: String,
    iur: String,
    flow_id: String,
    when: String,
    company: String,
    paid: String,
    due: String,
    reason: String,
    /// A revoked payment moved no money: it can be noted, not credited.
    creditable: bool,
    /// "Risolta da … il …", once resolved.
    resolved: Option<String>,
    credit_label: String,
    company_help: String,
    /// What was typed in the form that failed (`note` or `credit`), kept.
    action: String,
    note: String,
    company_tax_code: String,
    errors: FormErrors,
}

async fn anomaly_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    typed: Option<(&ResolveForm, FormErrors)>,
) -> Result<AnomalyPage, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let chamber_id = authz::chamber_of(p).map_err(|_| AppError::forbidden())?;
    let a = pagopa::reconcile::anomaly(&state.db, chamber_id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let lang = viewer.lang;
    let paid = Money::from_cents(a.amount_cents).to_italian();
    let (action, note, company_tax_code, errors) = match typed {
        Some((form, errors)) => (
            form.action.clone(),
            form.note.clone(),
            form.company_tax_code.trim().to_string(),
            errors,
        ),
        None => (
            String::new(),
            String::new(),
            a.company_tax_code.clone().unwrap_or_default(),
            FormErrors::new(),
        ),
    };
    Ok(AnomalyPage {
        layout: Layout::new(viewer, "pagopa-anomaly-title"),
        resolved: resolution_text(lang, &a),
        creditable: a.result != "not_executed",
        credit_label: lang.t_args("pagopa-resolve-credit-submit", &[("amount", paid.clone())]),
        company_help: lang.t_args("pagopa-resolve-company-help", &[("amount", paid.clone())]),
        id: a.id,
        iuv: a.iuv,
        iur: a.iur,
        flow_id: a.flow_id,
        when: display::stored(&a.created_at),
        company: a.company_name.unwrap_or_else(|| "—".into()),
        due: a
            .due_cents
            .map(|c| Money::from_cents(c).to_italian())
            .unwrap_or_else(|| "—".into()),
        reason: lang.t(&format!("pagopa-anomaly-{}", a.result.replace('_', "-"))),
        paid,
        action,
        note,
        company_tax_code,
        errors,
    })
}

/// One anomaly of the office's chamber, with the two ways to resolve it.
pub async fn anomaly(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(render(&anomaly_page(&state, &viewer, &id, None).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ResolveForm {
    /// `note` or `credit`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    company_tax_code: String,
}

/// The office resolves one of its chamber's anomalies. A second click finds it resolved and
/// lands on the anomaly's page as the first left it; a refusal shows the page again with the
/// error next to its field and the typing kept.
pub async fn resolve_anomaly(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let chamber_id = authz::chamber_of(p)
        .map_err(|_| AppError::forbidden())?
        .to_string();
    let resolution = match form.action.as_str() {
        "credit" => resolve::Resolution::Credit {
            company_tax_code: form.company_tax_code.clone(),
            note: form.note.clone(),
        },
        _ => resolve::Resolution::Note(form.note.clone()),
    };
    match resolve::resolve(&state, &p.actor(), &chamber_id, &id, &resolution).await {
        Ok(()) | Err(resolve::ResolveError::AlreadyResolved) => {
            Ok(Redirect::to(&format!("/admin/payments/anomalies/{id}?resolved=1")).into_response())
        }
        Err(resolve::ResolveError::NotFound) => Err(AppError::not_found()),
        Err(resolve::ResolveError::Db(e)) => Err(e.into()),
        Err(e @ resolve::ResolveError::Wallet(_)) => Err(AppError::internal(e)),
        Err(e) => {
            let lang = viewer.lang;
            let mut errors = FormErrors::new();
            match e {
                resolve::ResolveError::TaxCode(_) | resolve::ResolveError::UnknownCompany(_) => {
                    errors.field(
                        "company_tax_code",
                        lang.t("pagopa-resolve-company"),
                        lang.t(e.key()),
                    )
                }
                resolve::ResolveError::NoteRequired | resolve::ResolveError::NoteTooLong => {
                    let (field, label) = if form.action == "credit" {
                        ("credit_note", "pagopa-resolve-credit-note")
                    } else {
                        ("note", "pagopa-resolve-note")
                    };
                    errors.field(field, lang.t(label), lang.t(e.key()))
                }
                _ => errors.form(lang.t(e.key())),
            }
            let page = anomaly_page(&state, &viewer, &id, Some((&form, errors))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
