//! The chamber administrator's pages: the tariff table and wallet top-ups (payments received,
//! recorded by hand: the embedded payment provider).

use crate::app::AppState;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sportello_core::authz::Action;
use sportello_core::chambers::tariff::{self, TariffItem};
use sportello_core::money::Money;
use sportello_core::registry::{self, TaxCode};
use sportello_core::wallet::{self, ManualPayments, PaymentClaim, PaymentProvider};

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
    let amount = Money::parse(&form.amount).ok().filter(|m| m.cents() >= 0);
    let from = NaiveDate::parse_from_str(form.from.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= state.clock.today());
    let (Some(item), Some(amount), Some(from)) = (item, amount, from) else {
        let page = render(
            &tariffs_page(&state, &viewer, Some(lang.t("trade-tariffs-error")), None).await?,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let mut tx = state.db.begin().await?;
    tariff::set(
        &mut tx,
        state.clock.now(),
        &p.actor(),
        &chamber_id,
        item,
        amount,
        from,
    )
    .await?;
    tx.commit().await?;
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
    let result = credit_company(
        &state,
        &p.actor(),
        p.user.chamber_id.as_deref(),
        &form.tax_code,
        &form.amount,
        &form.reference,
    )
    .await;
    let (error, notice) = match result {
        Ok((name, balance)) => (
            None,
            Some(lang.t_args(
                "trade-admin-wallet-credited",
                &[("company", name), ("balance", balance.to_italian())],
            )),
        ),
        Err(key) => (Some(lang.t(key)), None),
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

/// Records a payment received for a company: the shared path of the page and of
/// `sportello admin wallet credit`. Errors are message keys.
pub async fn credit_company(
    state: &AppState,
    actor: &sportello_core::audit::Actor,
    chamber_id: Option<&str>,
    tax_code: &str,
    amount: &str,
    reference: &str,
) -> Result<(String, Money), &'static str> {
    let tc = TaxCode::parse(tax_code).map_err(|_| "trade-lookup-tax-code")?;
    let company = registry::find_company_by_tax_code(&state.db, &tc)
        .await
        .map_err(|_| "error-internal")?
        .ok_or("trade-start-not-found")?;
    let amount = Money::parse(amount).map_err(|_| "trade-field-amount")?;
    let payment = ManualPayments
        .confirm(&PaymentClaim {
            amount,
            reference: reference.to_string(),
        })
        .await
        .map_err(|e| match e {
            wallet::PaymentError::MissingReference => "trade-admin-wallet-reference",
            _ => "trade-field-amount",
        })?;
    let mut tx = state.db.begin().await.map_err(|_| "error-internal")?;
    let balance = wallet::credit(
        &mut tx,
        state.clock.now(),
        actor,
        &company.id,
        chamber_id,
        &payment,
    )
    .await
    .map_err(|_| "error-internal")?;
    tx.commit().await.map_err(|_| "error-internal")?;
    Ok((company.name, balance))
}
