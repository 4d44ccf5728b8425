//! The chamber administrator's pages: the tariff table and wallet top-ups (payments received,
//! recorded by hand: the embedded payment provider).

use crate::app::AppState;
use crate::web::error::trade::top_up_error_key;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sportello_core::authz::Action;
use sportello_core::chambers::tariff::{self, TariffError, TariffItem};
use sportello_core::money::Money;
use sportello_core::trade::blank_paper::{self, BlankPaperError, NewAuthorisation};
use sportello_core::wallet::{self, TopUpError, TopUpRequest};

#[derive(Template)]
#[template(path = "trade/admin_tariffs.html")]
struct TariffsPage {
    layout: Layout,
    rows: Vec<(String, String, String)>,
    error: Option<String>,
    notice: Option<String>,
    today: String,
}

async fn tariffs_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    notice: Option<String>,
) -> Result<TariffsPage, AppError> {
    let p = viewer.require_action(Action::ManageTariffs)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let table = tariff::table(&state.db, &chamber_id, state.clock.today()).await?;
    let lang = viewer.lang;
    let rows = TariffItem::all()
        .into_iter()
        .map(|item| {
            let amount = table.get(item).map(Money::to_italian).unwrap_or_default();
            (item.key(), lang.t(item.label_key()), amount)
        })
        .collect();
    Ok(TariffsPage {
        layout: Layout::new(viewer, "trade-tariffs-title"),
        rows,
        error,
        notice,
        today: sportello_core::db::date(state.clock.today()),
    })
}

pub async fn tariffs(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&tariffs_page(&state, &viewer, None, None).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct TariffForm {
    item: String,
    amount: String,
    from: String,
}

pub async fn set_tariff(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TariffForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageTariffs)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let lang = viewer.lang;
    let item = TariffItem::parse(&form.item);
    let amount = Money::parse(&form.amount).ok();
    let from = NaiveDate::parse_from_str(form.from.trim(), "%Y-%m-%d").ok();
    let (Some(item), Some(amount), Some(from)) = (item, amount, from) else {
        let page = render(
            &tariffs_page(&state, &viewer, Some(lang.t("trade-tariffs-error")), None).await?,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    match tariff::change(&state, &p.actor(), &chamber_id, item, amount, from).await {
        Ok(()) => {}
        Err(TariffError::Db(e)) => return Err(e.into()),
        Err(_) => {
            let error = Some(lang.t("trade-tariffs-error"));
            let page = render(&tariffs_page(&state, &viewer, error, None).await?)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    }
    Ok(
        render(&tariffs_page(&state, &viewer, None, Some(lang.t("trade-tariffs-saved"))).await?)?
            .into_response(),
    )
}

#[derive(Template)]
#[template(path = "trade/admin_wallet.html")]
struct WalletPage {
    layout: Layout,
    tax_code: String,
    amount: String,
    reference: String,
    error: Option<String>,
    notice: Option<String>,
}

pub async fn wallet(viewer: Viewer) -> Result<Response, AppError> {
    viewer.require_action(Action::CreditWallet)?;
    Ok(render(&WalletPage {
        layout: Layout::new(&viewer, "trade-admin-wallet-title"),
        tax_code: String::new(),
        amount: String::new(),
        reference: String::new(),
        error: None,
        notice: None,
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct CreditForm {
    tax_code: String,
    amount: String,
    reference: String,
}

pub async fn credit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CreditForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::CreditWallet)?;
    let lang = viewer.lang;
    let request = TopUpRequest {
        tax_code: form.tax_code.clone(),
        amount: form.amount.clone(),
        reference: form.reference.clone(),
        // A chamber administrator credits only their own chamber's wallet.
        chamber: None,
    };
    let result = wallet::top_up(&state, &p.actor(), p.user.chamber_id.as_deref(), &request).await;
    let (error, notice) = match result {
        Ok(done) => (
            None,
            Some(lang.t_args(
                "trade-admin-wallet-credited",
                &[
                    ("company", done.company_name),
                    ("balance", done.balance.to_italian()),
                ],
            )),
        ),
        Err(TopUpError::Db(e)) => return Err(e.into()),
        Err(e) => (Some(lang.t(top_up_error_key(&e))), None),
    };
    let failed = error.is_some();
    let page = render(&WalletPage {
        layout: Layout::new(&viewer, "trade-admin-wallet-title"),
        tax_code: if failed { form.tax_code } else { String::new() },
        amount: if failed { form.amount } else { String::new() },
        reference: if failed {
            form.reference
        } else {
            String::new()
        },
        error,
        notice,
    })?;
    Ok(if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page.into_response()
    })
}

#[derive(Template)]
#[template(path = "trade/admin_blank_paper.html")]
struct BlankPaperPage {
    layout: Layout,
    /// (id, company name, tax code, reference, date as written for people)
    rows: Vec<BlankPaperRow>,
    tax_code: String,
    reference: String,
    authorised_on: String,
    errors: Vec<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

struct BlankPaperRow {
    id: String,
    company: String,
    tax_code: String,
    reference: String,
    authorised_on: String,
    withdraw_label: String,
}

impl BlankPaperPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn blank_paper_page(
    state: &AppState,
    viewer: &Viewer,
    form: Option<&BlankPaperForm>,
    errors: Vec<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<BlankPaperPage, AppError> {
    let p = viewer.require_action(Action::AuthoriseBlankPaper)?;
    let list = blank_paper::list(state, p)
        .await
        .map_err(blank_paper_error)?;
    let rows = list
        .into_iter()
        .map(|a| BlankPaperRow {
            withdraw_label: viewer.lang.t_args(
                "trade-blank-paper-withdraw-label",
                &[("company", a.company_name.clone())],
            ),
            authorised_on: NaiveDate::parse_from_str(&a.authorised_on, "%Y-%m-%d")
                .map(sportello_core::display::date)
                .unwrap_or(a.authorised_on),
            id: a.id,
            company: a.company_name,
            tax_code: a.company_tax_code,
            reference: a.reference,
        })
        .collect();
    Ok(BlankPaperPage {
        layout: Layout::new(viewer, "trade-blank-paper-title"),
        rows,
        tax_code: form.map(|f| f.tax_code.clone()).unwrap_or_default(),
        reference: form.map(|f| f.reference.clone()).unwrap_or_default(),
        authorised_on: form
            .map(|f| f.authorised_on.clone())
            .unwrap_or_else(|| sportello_core::db::date(state.clock.today())),
        errors,
        error,
        notice,
    })
}

fn blank_paper_error(e: BlankPaperError) -> AppError {
    match e {
        BlankPaperError::Db(e) => e.into(),
        BlankPaperError::Forbidden => AppError::forbidden(),
        BlankPaperError::NotFound => AppError::not_found(),
        BlankPaperError::Invalid(p) => {
            AppError::invalid(p.into_iter().map(crate::web::FieldError::from).collect())
        }
        BlankPaperError::AlreadyAuthorised => {
            AppError::conflict("already_authorised", "trade-blank-paper-already")
        }
    }
}

pub async fn blank_paper(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    Ok(
        render(&blank_paper_page(&state, &viewer, None, Vec::new(), None, None).await?)?
            .into_response(),
    )
}

#[derive(serde::Deserialize)]
pub struct BlankPaperForm {
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    authorised_on: String,
}

pub async fn authorise_blank_paper(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<BlankPaperForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::AuthoriseBlankPaper)?;
    let lang = viewer.lang;
    let new = NewAuthorisation {
        tax_code: form.tax_code.clone(),
        reference: form.reference.clone(),
        authorised_on: form.authorised_on.clone(),
    };
    let (errors, error) = match blank_paper::authorise(&state, p, &new).await {
        Ok(done) => {
            let notice = lang.t_args(
                "trade-blank-paper-authorised",
                &[("company", done.company_name)],
            );
            let page = blank_paper_page(&state, &viewer, None, Vec::new(), None, Some(notice));
            return Ok(render(&page.await?)?.into_response());
        }
        Err(BlankPaperError::Invalid(problems)) => (
            problems
                .into_iter()
                .map(|p| (p.field, lang.t(p.key)))
                .collect(),
            Some(lang.t("trade-blank-paper-invalid")),
        ),
        Err(BlankPaperError::AlreadyAuthorised) => {
            (Vec::new(), Some(lang.t("trade-blank-paper-already")))
        }
        Err(e) => return Err(blank_paper_error(e)),
    };
    let page = blank_paper_page(&state, &viewer, Some(&form), errors, error, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

pub async fn withdraw_blank_paper(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::AuthoriseBlankPaper)?;
    let lang = viewer.lang;
    match blank_paper::withdraw(&state, p, &id).await {
        Ok(done) => {
            let notice = lang.t_args(
                "trade-blank-paper-withdrawn",
                &[("company", done.company_name)],
            );
            let page = blank_paper_page(&state, &viewer, None, Vec::new(), None, Some(notice));
            Ok(render(&page.await?)?.into_response())
        }
        Err(BlankPaperError::NotFound) => {
            let error = Some(lang.t("trade-blank-paper-not-found"));
            let page = blank_paper_page(&state, &viewer, None, Vec::new(), error, None).await?;
            Ok((StatusCode::NOT_FOUND, render(&page)?).into_response())
        }
        Err(e) => Err(blank_paper_error(e)),
    }
}
