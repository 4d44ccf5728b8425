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
            let amount = table
                .get(item)
                .map(Money::to_decimal_string)
                .unwrap_or_default();
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
