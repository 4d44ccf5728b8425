//! pagoPA top-ups and receipts for software (issue 15, item 4): a company's payment positions
//! at a chamber (list, create, the notice PDF) and its wallet's receipts (list, PDF).
//!
//! Each call acts for one company: the one named by `company_tax_code`, which must be one the
//! caller acts for, or the caller's only one. A position or receipt id of another company is
//! not found (404), never revealed. Creating a position spends nothing but asks for a payment,
//! so it needs the scope that sends practices and spends the wallet.

use crate::api::Caller;
use crate::api::trade::chosen_company;
use crate::app::AppState;
use crate::web::download::Download;
use crate::web::{AppError, FieldError};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sportello_core::authz::Action;
use sportello_core::clock::italian_day;
use sportello_core::trade::pdf;
use sportello_core::wallet::{self, pagopa, receipts};
use utoipa::{IntoParams, ToSchema};

/// How many positions or receipts a list gives, newest first.
const LIST_LIMIT: i64 = 100;

#[derive(Deserialize, IntoParams)]
pub struct CompanyChamberQuery {
    /// Needed only when the caller acts for several companies.
    company_tax_code: Option<String>,
    /// The chamber's code (`GE`); needed only when the company deals with several chambers.
    chamber: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct CompanyQuery {
    /// Needed only when the caller acts for several companies.
    company_tax_code: Option<String>,
}

/// A payment position: a pagoPA notice to top up the company's wallet at a chamber.
#[derive(Serialize, ToSchema)]
pub struct PositionOut {
    pub id: String,
    /// The code of the chamber the notice is payable to (`GE`).
    pub chamber: String,
    /// `pending`, `paid`, `expired` or `cancelled`.
    pub state: String,
    /// The 18-digit notice code (`3` + segregation code + IUV).
    pub notice_code: String,
    pub iuv: String,
    pub creditor_tax_code: String,
    pub amount_cents: i64,
    /// The last day the notice can be paid (`YYYY-MM-DD`).
    pub expires_on: String,
    pub created_at: String,
    pub paid_at: Option<String>,
    /// The notice PDF (`GET`).
    pub notice_url: String,
    /// The QR code's text: `PAGOPA|002|<notice code>|<creditor tax code>|<amount in cents>`.
    pub qr_text: String,
}

impl PositionOut {
    fn of(p: pagopa::position::Position, chamber: &str) -> Self {
        Self {
            notice_url: format!("/api/v1/wallet/positions/{}/notice", p.id),
            qr_text: p.qr_text(),
            id: p.id,
            chamber: chamber.to_string(),
            state: p.state,
            notice_code: p.notice_code,
            iuv: p.iuv,
            creditor_tax_code: p.creditor_tax_code,
            amount_cents: p.amount_cents,
            expires_on: p.expires_on,
            created_at: p.created_at,
            paid_at: p.paid_at,
        }
    }
}

/// The company's positions at one chamber, newest first (at most 100).
#[derive(Serialize, ToSchema)]
pub struct PositionsOut {
    pub company_tax_code: String,
    pub chamber: String,
    pub positions: Vec<PositionOut>,
}

#[utoipa::path(get, path = "/api/v1/wallet/positions", tag = "wallet",
    params(CompanyChamberQuery), security(("bearer" = [])),
    responses((status = 200, body = PositionsOut),
    (status = 400, description = "The company deals with several chambers: name one")))]
pub async fn list_positions(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CompanyChamberQuery>,
) -> Result<Json<PositionsOut>, AppError> {
    let p = caller.require(Action::ViewWallet)?;
    let company = chosen_company(&state, p, q.company_tax_code.as_deref()).await?;
    let chamber = wallet::chamber_of_wallet(&state.db, &company.id, q.chamber.as_deref()).await?;
    let today = italian_day(state.clock.now());
    let positions =
        pagopa::position::positions(&state.db, &company.id, &chamber.id, today, LIST_LIMIT).await?;
    Ok(Json(PositionsOut {
        company_tax_code: company.tax_code.as_str().into(),
        chamber: chamber.code.to_string(),
        positions: positions
            .into_iter()
            .map(|p| PositionOut::of(p, chamber.code.as_str()))
            .collect(),
    }))
}

/// A top-up the company asks for.
#[derive(Deserialize, ToSchema)]
pub struct PositionBody {
    /// Needed only when the caller acts for several companies.
    pub company_tax_code: Option<String>,
    /// The chamber's code; needed only when the company deals with several chambers.
    pub chamber: Option<String>,
    /// The amount in euro, `50.00` or `50,00` (at most 50000.00).
    pub amount: String,
}

/// Makes a payment position and its notice (also mailed to the caller).
#[utoipa::path(post, path = "/api/v1/wallet/positions", tag = "wallet",
    request_body = PositionBody, security(("bearer" = [])),
    responses((status = 201, body = PositionOut),
    (status = 409, description = "The chamber does not take pagoPA payments yet (`pagopa_not_configured`)"),
    (status = 422, description = "The amount is not a positive amount up to 50.000,00 €")))]
pub async fn create_position(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PositionBody>,
) -> Result<Response, AppError> {
    let p = caller.require(Action::SendPractice)?;
    let company = chosen_company(&state, p, body.company_tax_code.as_deref()).await?;
    if p.scope_at(&company.id)
        .is_some_and(|scope| !scope.admits(Action::SendPractice))
    {
        return Err(AppError::forbidden());
    }
    let chamber =
        wallet::chamber_of_wallet(&state.db, &company.id, body.chamber.as_deref()).await?;
    let actor = p.actor();
    let who = pagopa::position::Requester {
        actor: &actor,
        email: &p.user.email,
        company_id: &company.id,
    };
    match pagopa::position::request(&state, &who, &chamber.id, &body.amount).await {
        Ok(position) => Ok((
            StatusCode::CREATED,
            Json(PositionOut::of(position, chamber.code.as_str())),
        )
            .into_response()),
        Err(e @ pagopa::position::RequestError::NotConfigured) => {
            Err(AppError::conflict("pagopa_not_configured", e.key()))
        }
        Err(
            e @ (pagopa::position::RequestError::Amount(_)
            | pagopa::position::RequestError::TooLarge),
        ) => Err(AppError::invalid(vec![FieldError::new("amount", e.key())])),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The notice PDF of one of the company's positions.
#[utoipa::path(get, path = "/api/v1/wallet/positions/{id}/notice", tag = "wallet",
    params(("id" = String, Path, description = "The position's id"), CompanyQuery),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
    (status = 404, description = "No such position of the company")))]
pub async fn position_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<CompanyQuery>,
) -> Result<Response, AppError> {
    let p = caller.require(Action::ViewWallet)?;
    let company = chosen_company(&state, p, q.company_tax_code.as_deref()).await?;
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
    .into_response())
}

/// A numbered receipt: one entry of the wallet's ledger.
#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    pub id: String,
    /// `RIC-2026-000001`, gapless per chamber and year.
    pub number: String,
    /// `top_up`, `charge` or `refund`.
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub reference: String,
    pub created_at: String,
    /// The receipt PDF (`GET`).
    pub pdf_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptsOut {
    pub company_tax_code: String,
    pub chamber: String,
    pub receipts: Vec<ReceiptOut>,
}

/// The receipts of the company's wallet at one chamber, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/wallet/receipts", tag = "wallet",
    params(CompanyChamberQuery), security(("bearer" = [])),
    responses((status = 200, body = ReceiptsOut),
    (status = 400, description = "The company deals with several chambers: name one")))]
pub async fn list_receipts(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CompanyChamberQuery>,
) -> Result<Json<ReceiptsOut>, AppError> {
    let p = caller.require(Action::ViewWallet)?;
    let company = chosen_company(&state, p, q.company_tax_code.as_deref()).await?;
    let chamber = wallet::chamber_of_wallet(&state.db, &company.id, q.chamber.as_deref()).await?;
    let list = receipts::list(&state.db, &company.id, &chamber.id, LIST_LIMIT).await?;
    Ok(Json(ReceiptsOut {
        company_tax_code: company.tax_code.as_str().into(),
        chamber: chamber.code.to_string(),
        receipts: list
            .into_iter()
            .map(|r| ReceiptOut {
                pdf_url: format!("/api/v1/wallet/receipts/{}", r.id),
                id: r.id,
                number: r.number,
                kind: r.kind,
                amount_cents: r.amount_cents,
                balance_after_cents: r.balance_after_cents,
                reference: r.reference,
                created_at: r.created_at,
            })
            .collect(),
    }))
}

/// The receipt PDF of one of the company's ledger entries.
#[utoipa::path(get, path = "/api/v1/wallet/receipts/{id}", tag = "wallet",
    params(("id" = String, Path, description = "The ledger entry's id"), CompanyQuery),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
    (status = 404, description = "No such entry of the company")))]
pub async fn receipt_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<CompanyQuery>,
) -> Result<Response, AppError> {
    let p = caller.require(Action::ViewWallet)?;
    let company = chosen_company(&state, p, q.company_tax_code.as_deref()).await?;
    let receipt = receipts::receipt(&state.db, &id, &company.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes =
        pdf::receipt(&receipt, sportello_core::i18n::Lang::It).map_err(AppError::internal)?;
    Ok(Download::new(
        "application/pdf",
        &format!("ricevuta-{}.pdf", receipt.number),
        bytes,
    )
    .into_response())
}
