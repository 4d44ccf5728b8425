//! The office's page for the inventory of pre-printed forms: assign a range to a company,
//! record the forms it hands back unused, see where each form is.

use crate::app::AppState;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_core::authz::Action;
use sportello_core::registry::{self, Company, TaxCode};
use sportello_core::trade::desk::forms::{self, BlankForm, FormsError};
use sportello_core::trade::form::FormSerial;

#[derive(Template)]
#[template(path = "trade/forms.html")]
struct Page {
    layout: Layout,
    tax_code: String,
    company: Option<Company>,
    forms: Vec<BlankForm>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct Lookup {
    #[serde(default)]
    tax_code: String,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    tax_code: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Page, AppError> {
    let p = viewer.require_action(Action::WorkInbox)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let company = match TaxCode::parse(tax_code) {
        Ok(tc) => registry::find_company_by_tax_code(&state.db, &tc).await?,
        Err(_) => None,
    };
    let forms = match &company {
        Some(c) => forms::of_company(&state.db, &chamber_id, &c.id).await?,
        None => Vec::new(),
    };
    let error = error.or_else(|| {
        (!tax_code.trim().is_empty() && company.is_none())
            .then(|| viewer.lang.t("trade-start-not-found"))
    });
    Ok(Page {
        layout: Layout::new(viewer, "forms-title"),
        tax_code: tax_code.trim().to_string(),
        company,
        forms,
        notice,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Lookup>,
) -> Result<Response, AppError> {
    Ok(render(&page(&state, &viewer, &q.tax_code, None, None).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ActionForm {
    tax_code: String,
    /// `assign` or `return`.
    action: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    serials: String,
}

fn message(e: &FormsError, lang: sportello_core::i18n::Lang) -> String {
    match e {
        FormsError::BadCount => lang.t("forms-error-count"),
        FormsError::Overflow => lang.t("forms-error-overflow"),
        FormsError::AlreadyAssigned(s) => {
            lang.t_args("forms-error-assigned", &[("serial", s.clone())])
        }
        FormsError::NotReturnable(s) => {
            lang.t_args("forms-error-not-returnable", &[("serial", s.clone())])
        }
        FormsError::Db(_) => lang.t("error-internal"),
    }
}

pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::WorkInbox)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let lang = viewer.lang;
    let company = match TaxCode::parse(&f.tax_code) {
        Ok(tc) => registry::find_company_by_tax_code(&state.db, &tc).await?,
        Err(_) => None,
    };
    let Some(company) = company else {
        let page = render(
            &page(
                &state,
                &viewer,
                &f.tax_code,
                None,
                Some(lang.t("trade-start-not-found")),
            )
            .await?,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let actor = p.actor();
    let now = state.clock.now();
    let result: Result<String, String> = match f.action.as_str() {
        "assign" => match (FormSerial::parse(&f.first), f.count.trim().parse::<u32>()) {
            (Some(first), Ok(count)) => match forms::range(&first, count) {
                Ok(serials) => {
                    forms::assign(&state.db, now, &actor, &chamber_id, &company.id, &serials)
                        .await
                        .map(|_| {
                            lang.t_args("forms-assigned", &[("count", serials.len().to_string())])
                        })
                        .map_err(|e| message(&e, lang))
                }
                Err(e) => Err(message(&e, lang)),
            },
            _ => Err(lang.t("trade-field-form-serial")),
        },
        "return" => {
            let parsed: Option<Vec<FormSerial>> = f
                .serials
                .split([',', ' ', '\n', ';'])
                .filter(|s| !s.trim().is_empty())
                .map(FormSerial::parse)
                .collect();
            match parsed.filter(|v| !v.is_empty()) {
                Some(serials) => {
                    forms::record_return(&state.db, now, &actor, &chamber_id, &company.id, &serials)
                        .await
                        .map(|_| {
                            lang.t_args("forms-returned", &[("count", serials.len().to_string())])
                        })
                        .map_err(|e| message(&e, lang))
                }
                None => Err(lang.t("trade-field-form-serial")),
            }
        }
        _ => return Err(AppError::bad_request("bad_request", "error-bad-request")),
    };
    let tax_code = company.tax_code.as_str().to_string();
    match result {
        Ok(notice) => Ok(
            render(&page(&state, &viewer, &tax_code, Some(notice), None).await?)?.into_response(),
        ),
        Err(error) => {
            let page = render(&page(&state, &viewer, &tax_code, None, Some(error)).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
