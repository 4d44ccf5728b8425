//! A payment position: a company's request to top up its wallet at a chamber, as a pagoPA
//! debt with a notice code, an amount and an expiry. The IUV base comes from a gapless counter
//! per chamber (`pagopa-iuv:<chamber>`) taken in the transaction that writes the position, so
//! a rolled-back request gives its number back and two instances never hand out the same one.
//! The notice PDF is rendered in the same transaction, kept as a blob and mailed via the
//! outbox to whoever asked.

use super::notice_code::{NoticeCode, qr_text};
use super::{Creditor, creditor};
use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::blobs::BlobError;
use crate::db::{self, Db, counters};
use crate::i18n::Lang;
use crate::money::Money;
use crate::notify::{self, EmailAttachment, OutgoingEmail};
use crate::registry;
use crate::trade::pdf::{self, PaymentNotice, PdfError};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use serde_json::json;

/// A notice can be paid for 30 days; after that it is expired and a new one must be asked.
pub const NOTICE_VALIDITY_DAYS: i64 = 30;

/// The largest top-up one notice asks for: 50.000,00 €.
pub const MAX_TOP_UP: Money = Money::from_cents(5_000_000);

/// A payment position as the company and the office see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Position {
    pub id: String,
    pub chamber_id: String,
    pub company_id: String,
    pub iuv: String,
    pub notice_code: String,
    pub creditor_tax_code: String,
    pub amount_cents: i64,
    pub expires_on: String,
    /// `pending`, `paid`, `expired` (also a pending position past its expiry) or `cancelled`.
    pub state: String,
    pub notice_blob: String,
    pub created_at: String,
    pub paid_at: Option<String>,
}

impl Position {
    pub fn amount(&self) -> Money {
        Money::from_cents(self.amount_cents)
    }

    /// The notice code in groups of four, as the notice prints it.
    pub fn notice_code_grouped(&self) -> String {
        NoticeCode::parse(&self.notice_code)
            .map(|c| c.grouped())
            .unwrap_or_else(|_| self.notice_code.clone())
    }

    /// The QR code's text.
    pub fn qr_text(&self) -> String {
        format!(
            "PAGOPA|002|{}|{}|{}",
            self.notice_code, self.creditor_tax_code, self.amount_cents
        )
    }
}

/// A query of [`Position`]s ending in `$tail`, a pending position past its expiry read as
/// expired on `$1` (today).
macro_rules! select_positions {
    ($tail:literal) => {
        concat!(
            "SELECT id, chamber_id, company_id, iuv, notice_code, creditor_tax_code, amount_cents, \
             expires_on, CASE WHEN state = 'pending' AND expires_on < $1 THEN 'expired' ELSE state END \
             AS state, notice_blob, created_at, paid_at FROM payment_positions ",
            $tail
        )
    };
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The chamber has no tax code or segregation code yet.
    #[error("the chamber does not take pagoPA payments yet")]
    NotConfigured,
    #[error("'{0}' is not a positive amount")]
    Amount(String),
    #[error("a notice asks for at most {}", MAX_TOP_UP.to_italian())]
    TooLarge,
    #[error("the company is not in the registry")]
    UnknownCompany,
    /// The chamber's 13-digit IUV space is used up (ten trillion notices).
    #[error("no IUV left")]
    Exhausted,
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl RequestError {
    /// The message key of the error (`pagopa-request-…`).
    pub fn key(&self) -> &'static str {
        match self {
            RequestError::NotConfigured => "pagopa-request-not-configured",
            RequestError::Amount(_) => "pagopa-request-amount",
            RequestError::TooLarge => "pagopa-request-too-large",
            _ => "pagopa-request-failed",
        }
    }
}

/// Who asks: the user (whose e-mail gets the notice) acting for a company.
#[derive(Clone, Debug)]
pub struct Requester<'a> {
    pub actor: &'a Actor,
    pub email: &'a str,
    pub company_id: &'a str,
}

/// Makes a payment position for `amount` (as typed, either decimal style) at `chamber_id`,
/// renders its notice, and mails it.
pub async fn request(
    ctx: &Ctx,
    who: &Requester<'_>,
    chamber_id: &str,
    amount: &str,
) -> Result<Position, RequestError> {
    let money = Money::parse(amount)
        .ok()
        .filter(|m| m.cents() > 0)
        .ok_or_else(|| RequestError::Amount(amount.to_string()))?;
    if money.cents() > MAX_TOP_UP.cents() {
        return Err(RequestError::TooLarge);
    }
    let creditor = creditor(&ctx.db, chamber_id)
        .await?
        .ok_or(RequestError::NotConfigured)?;
    let company = registry::get_company(&ctx.db, who.company_id)
        .await?
        .ok_or(RequestError::UnknownCompany)?;
    let now = ctx.clock.now();
    let today = crate::clock::italian_day(now);
    let expires_on = today + Duration::days(NOTICE_VALIDITY_DAYS);
    let mut tx = ctx.db.begin().await?;
    let base = counters::next(&mut tx, &format!("pagopa-iuv:{chamber_id}")).await?;
    let notice =
        NoticeCode::new(creditor.segregation, base).map_err(|_| RequestError::Exhausted)?;
    let doc = notice_document(
        &creditor,
        &company.name,
        company.tax_code.as_str(),
        money,
        expires_on,
        &notice,
        today,
    );
    let bytes = pdf::payment_notice(&doc, Lang::It)?;
    let blob = ctx.blobs.put(&bytes).await?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO payment_positions (id, chamber_id, company_id, iuv, notice_code, \
         creditor_tax_code, amount_cents, expires_on, state, notice_blob, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(who.company_id)
    .bind(notice.iuv())
    .bind(notice.as_str())
    .bind(&creditor.tax_code)
    .bind(money.cents())
    .bind(expires_on.to_string())
    .bind(&blob)
    .bind(&who.actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &who.actor.clone().in_chamber(Some(chamber_id)),
        Change::new("wallet.pagopa_position", "payment_position", Some(&id)).after(json!({
            "company_id": who.company_id, "notice_code": notice.as_str(),
            "amount": money.to_decimal_string(), "expires_on": expires_on.to_string(),
        })),
    )
    .await?;
    notify::queue(
        &mut tx,
        now,
        OutgoingEmail {
            to: who.email.to_string(),
            subject: format!(
                "Avviso di pagamento pagoPA {} — ricarica del borsellino",
                notice.grouped()
            ),
            body_text: format!(
                "In allegato l'avviso di pagamento pagoPA per ricaricare il borsellino di {} presso la {}.\n\
                 Importo: {}\nCodice avviso: {}\nCodice fiscale ente creditore: {}\nDa pagare entro il {}.\n\
                 Il borsellino sarà ricaricato quando pagoPA ci comunicherà il pagamento.\n\n\
                 Attached is the pagoPA payment notice to top up the wallet of {} at the {}; \
                 the wallet is credited when pagoPA reports the payment.\n",
                company.name,
                creditor.chamber.name,
                money.to_italian(),
                notice.grouped(),
                creditor.tax_code,
                crate::display::date(expires_on),
                company.name,
                creditor.chamber.name,
            ),
            chamber_id: Some(chamber_id.to_string()),
            attachments: vec![EmailAttachment {
                filename: format!("avviso-pagopa-{notice}.pdf"),
                content_type: "application/pdf".into(),
                blob: blob.clone(),
            }],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Position {
        id,
        chamber_id: chamber_id.to_string(),
        company_id: who.company_id.to_string(),
        iuv: notice.iuv().to_string(),
        notice_code: notice.as_str().to_string(),
        creditor_tax_code: creditor.tax_code,
        amount_cents: money.cents(),
        expires_on: expires_on.to_string(),
        state: "pending".into(),
        notice_blob: blob,
        created_at: db::instant(now),
        paid_at: None,
    })
}

fn notice_document(
    creditor: &Creditor,
    company_name: &str,
    company_tax_code: &str,
    amount: Money,
    expires_on: NaiveDate,
    notice: &NoticeCode,
    today: NaiveDate,
) -> PaymentNotice {
    PaymentNotice {
        chamber_name: creditor.chamber.name.clone(),
        creditor_tax_code: creditor.tax_code.clone(),
        cbill: creditor.cbill.clone(),
        company_name: company_name.to_string(),
        company_tax_code: company_tax_code.to_string(),
        subject: format!(
            "Ricarica del borsellino per i diritti di segreteria — {}",
            creditor.chamber.name
        ),
        amount,
        expires_on,
        notice_code: notice.to_string(),
        notice_code_grouped: notice.grouped(),
        qr_text: qr_text(notice, &creditor.tax_code, amount.cents()),
        issued_on: today,
    }
}

/// The company's positions at `chamber_id`, newest first (at most `limit`).
pub async fn positions(
    db: &Db,
    company_id: &str,
    chamber_id: &str,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Position>, sqlx::Error> {
    sqlx::query_as(select_positions!(
        "WHERE company_id = $2 AND chamber_id = $3 ORDER BY created_at DESC, id DESC LIMIT $4"
    ))
    .bind(today.to_string())
    .bind(company_id)
    .bind(chamber_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// The position `id` if it is the company's; `None` otherwise (another company's position is
/// not revealed).
pub async fn position_of_company(
    db: &Db,
    id: &str,
    company_id: &str,
    today: NaiveDate,
) -> Result<Option<Position>, sqlx::Error> {
    sqlx::query_as(select_positions!("WHERE id = $2 AND company_id = $3"))
        .bind(today.to_string())
        .bind(id)
        .bind(company_id)
        .fetch_optional(db.pool())
        .await
}

/// The company cancels a pending position it no longer means to pay; `false` when it is not
/// the company's or no longer pending.
pub async fn cancel(
    ctx: &Ctx,
    actor: &Actor,
    id: &str,
    company_id: &str,
) -> Result<bool, sqlx::Error> {
    let now = ctx.clock.now();
    let today = crate::clock::italian_day(now).to_string();
    let mut tx = ctx.db.begin().await?;
    let chamber: Option<String> = sqlx::query_scalar(
        "UPDATE payment_positions SET state = 'cancelled' WHERE id = $1 AND company_id = $2 \
         AND state = 'pending' AND expires_on >= $3 RETURNING chamber_id",
    )
    .bind(id)
    .bind(company_id)
    .bind(&today)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(chamber) = chamber else {
        return Ok(false);
    };
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&chamber)),
        Change::new("wallet.pagopa_cancel", "payment_position", Some(id)),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
