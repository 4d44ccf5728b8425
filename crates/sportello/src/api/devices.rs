//! The devices JSON API under `/api/v1/devices`: free-device eligibility, stock, two-person
//! withdrawals and consignments, advance accounts.

use crate::api::{Caller, Problem};
use crate::app::AppState;
use crate::web::{AppError, FieldError, Viewer};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sportello_core::authz::{self, Action};
use sportello_core::devices::advance;
use sportello_core::devices::chamber_of;
use sportello_core::devices::free;
use sportello_core::devices::kind::DeviceKind;
use sportello_core::devices::odr_account;
use sportello_core::devices::stock;
use sportello_core::devices::withdrawal::{self, Destination, NewWithdrawal, Withdrawal};
use sportello_core::money::Money;
use sportello_core::registry::TaxCode;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct EligibilityQuery {
    /// The company's tax code (11 digits, or 16 characters for a sole trader).
    pub company_tax_code: String,
    /// `smart_card` or `token`.
    pub device: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReasonOut {
    pub rule: free::Rule,
    pub ok: bool,
    pub detail: String,
}

/// One year of the annual-fee check.
#[derive(Serialize, ToSchema)]
pub struct FeeYearOut {
    pub year: i32,
    /// When the fee of this year fell or falls due (`YYYY-MM-DD`); absent when the company was
    /// not registered yet, so nothing was due.
    pub due_on: Option<String>,
    /// Whether the year is one of the (at most two) years the rule counts.
    pub counted: bool,
    pub paid: bool,
}

/// RA procedure, part 2: which years of annual fee were due and which were paid. Only years in
/// which the company was registered and the fee had fallen due count, the last two of them.
#[derive(Serialize, ToSchema)]
pub struct AnnualFeeOut {
    /// The registration date from the Registry (`YYYY-MM-DD`), when known.
    pub registered_on: Option<String>,
    /// The years the rule counts, ascending (none for a company registered less than 30 days ago).
    pub years_due: Vec<i32>,
    pub years_paid: Vec<i32>,
    pub years_missing: Vec<i32>,
    /// When no year is due yet: the day the first fee falls due.
    pub first_due_on: Option<String>,
    /// The current year and the two before, oldest first.
    pub years: Vec<FeeYearOut>,
}

#[derive(Serialize, ToSchema)]
pub struct EligibilityOut {
    pub eligible: bool,
    pub reasons: Vec<ReasonOut>,
    pub annual_fee: AnnualFeeOut,
}

/// RA procedure, part 2: whether the company may receive a free device, with every rule's verdict.
#[utoipa::path(get, path = "/api/v1/devices/free-eligibility", tag = "devices",
    params(EligibilityQuery),
    responses((status = 200, body = EligibilityOut), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn free_eligibility(
    State(state): State<AppState>,
    caller: Caller,
    viewer: Viewer,
    Query(q): Query<EligibilityQuery>,
) -> Result<Json<EligibilityOut>, AppError> {
    let p = caller.require(Action::RunIssuance)?;
    let chamber_id = chamber_of(p)?;
    let mut fields = Vec::new();
    let tax_code = TaxCode::parse(&q.company_tax_code)
        .map_err(|_| fields.push(FieldError::new("company_tax_code", "dev-error-tax-code")))
        .ok();
    let device = DeviceKind::parse(&q.device)
        .filter(|_| matches!(q.device.as_str(), "smart_card" | "token"))
        .or_else(|| {
            fields.push(FieldError::new("device", "dev-error-device"));
            None
        });
    let (Some(tax_code), Some(device)) = (tax_code, device) else {
        return Err(AppError::invalid(fields));
    };
    let e = free::check(
        &state.db,
        chamber_id,
        state.clock.today(),
        &tax_code,
        device,
    )
    .await?;
    Ok(Json(EligibilityOut {
        eligible: e.eligible,
        reasons: e
            .reasons
            .iter()
            .map(|r| ReasonOut {
                rule: r.rule,
                ok: r.ok,
                detail: viewer.lang.t_args(r.key, &r.args),
            })
            .collect(),
        annual_fee: fee_out(&e.annual_fee),
    }))
}

fn fee_out(f: &free::FeeStanding) -> AnnualFeeOut {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    AnnualFeeOut {
        registered_on: date(f.registered_on),
        years_due: f.years_due.clone(),
        years_paid: f.years_paid.clone(),
        years_missing: f.years_missing.clone(),
        first_due_on: date(f.first_due_on),
        years: f
            .years
            .iter()
            .map(|y| FeeYearOut {
                year: y.year,
                due_on: date(y.due_on),
                counted: y.counted,
                paid: y.paid,
            })
            .collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct StockRow {
    /// `delivered`, `cabinet`, `operator_box`, `odr`, `issued`, `damaged`, `lost`, `returned_to_ca`, `destroyed`.
    pub location: String,
    pub operator_id: Option<String>,
    pub smart_cards: i64,
    pub tokens: i64,
}

/// Devices per location; the rows add up to every device delivered.
#[utoipa::path(get, path = "/api/v1/devices/stock", tag = "devices",
    responses((status = 200, body = [StockRow])), security(("bearer" = [])))]
pub async fn get_stock(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<StockRow>>, AppError> {
    let p = caller.require(Action::ManageInventory)?;
    let s = stock::of_chamber(&state.db, chamber_of(p)?).await?;
    Ok(Json(
        s.counts
            .iter()
            .map(|(loc, c)| StockRow {
                location: serde_json::to_value(loc)
                    .ok()
                    .and_then(|v| v["location"].as_str().map(str::to_string))
                    .unwrap_or_default(),
                operator_id: loc.operator_id().map(str::to_string),
                smart_cards: c[0],
                tokens: c[1],
            })
            .collect(),
    ))
}

/// Asks for devices from the cabinet (for an operator's box, or consigned to an ODR). Nothing
/// moves until a different user approves.
#[utoipa::path(post, path = "/api/v1/devices/withdrawals", tag = "devices", request_body = NewWithdrawal,
    responses((status = 201, body = Withdrawal), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn request_withdrawal(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewWithdrawal>,
) -> Result<(StatusCode, Json<Withdrawal>), AppError> {
    let p = match body.destination {
        Some(Destination::Odr) => caller.require(Action::ConsignDevices)?,
        _ => caller.require(Action::ManageInventory)?,
    };
    let chamber_id = chamber_of(p)?;
    let w = withdrawal::request(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        chamber_id,
        body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(w)))
}

/// The second person approves: the devices move, an ODR's fees are held.
#[utoipa::path(post, path = "/api/v1/devices/withdrawals/{id}/approve", tag = "devices",
    params(("id" = String, Path)),
    responses((status = 200, body = Withdrawal), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn approve_withdrawal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Withdrawal>, AppError> {
    let p = caller.require(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?;
    let w = withdrawal::approve(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        chamber_id,
        &id,
    )
    .await?;
    Ok(Json(w))
}

#[derive(Serialize, ToSchema)]
pub struct AdvanceOut {
    pub operator_id: String,
    pub balance: String,
    pub held: String,
}

/// An ODR's advance account.
#[utoipa::path(get, path = "/api/v1/devices/advance-accounts/{operator_id}", tag = "devices",
    params(("operator_id" = String, Path)), responses((status = 200, body = AdvanceOut)), security(("bearer" = [])))]
pub async fn get_advance(
    State(state): State<AppState>,
    caller: Caller,
    Path(operator_id): Path<String>,
) -> Result<Json<AdvanceOut>, AppError> {
    let p = &caller.0;
    if !authz::allows(p.role(), Action::ConsignDevices)
        && !authz::allows(p.role(), Action::ReportIssuedDevices)
    {
        return Err(AppError::forbidden());
    }
    odr_account::visible_odr(&state.db, p, &operator_id).await?;
    let a = advance::account(&state.db, &operator_id).await?;
    Ok(Json(AdvanceOut {
        operator_id,
        balance: Money::from_cents(a.balance_cents).to_decimal_string(),
        held: Money::from_cents(a.held_cents).to_decimal_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TopUpIn {
    /// The amount paid, e.g. `250.00`.
    pub amount: String,
    /// The payment's reference (bank transfer, pagoPA notice).
    pub reference: String,
}

/// Records an advance the ODR paid.
#[utoipa::path(post, path = "/api/v1/devices/advance-accounts/{operator_id}/top-ups", tag = "devices",
    params(("operator_id" = String, Path)), request_body = TopUpIn,
    responses((status = 200, body = AdvanceOut)), security(("bearer" = [])))]
pub async fn top_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(operator_id): Path<String>,
    Json(body): Json<TopUpIn>,
) -> Result<Json<AdvanceOut>, AppError> {
    let p = caller.require(Action::ConsignDevices)?;
    let a = odr_account::top_up(&state, p, &operator_id, &body.amount, &body.reference).await?;
    Ok(Json(AdvanceOut {
        operator_id,
        balance: Money::from_cents(a.balance_cents).to_decimal_string(),
        held: Money::from_cents(a.held_cents).to_decimal_string(),
    }))
}
