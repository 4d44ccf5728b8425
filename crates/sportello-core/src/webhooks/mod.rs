//! Webhooks: a company's ERP registers an address and the events it wants, and is told when
//! its practices change state instead of polling.
//!
//! - **Registration.** `create` checks the URL (`address`), draws a signing secret, shows it
//!   once and keeps it encrypted (AES-256-GCM under the key that keeps the seals at rest,
//!   bound to the webhook's id): it must be recoverable, since every delivery is signed with
//!   it. A company sees and deletes only its own webhooks.
//! - **Events.** The use case that changes a practice calls [`practice_event`] inside its own
//!   transaction (send and resend, rectification request, approval, rejection by an officer or
//!   by the expiry job, cancellation of a certificate): one message per subscribed webhook,
//!   its body fixed there, and one [`DeliverWebhook`] job each. A rolled-back change tells
//!   nobody; a committed one is never forgotten.
//! - **Delivery.** The job POSTs the body through the context's [`Transport`] (the shell's
//!   HTTP client: short timeout, no redirects, addresses checked when it connects), signed in
//!   the `Sportello-Signature` header ([`signature`]), and writes each attempt in the delivery
//!   log. A failure is retried by the queue with exponential back-off ([`jobs::backoff`]) up
//!   to [`DeliverWebhook::MAX_ATTEMPTS`]; then the message is marked failed.

pub mod address;
mod delivery;

pub use delivery::{
    DeliverWebhook, Delivery, DeliveryError, NoTransport, SIGNATURE_HEADER, Transport, signature,
};

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::authz::{self, Action};
use crate::config::Config;
use crate::db::{self, Tx};
use crate::jobs;
use crate::seal::{SealError, SealSecret, decrypt_value, encrypt_value};
use crate::trade::desk::issued::{self, CertificateBlock};
use crate::validation::FieldError;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zeroize::Zeroizing;

/// How many live webhooks a company may have.
pub const MAX_PER_COMPANY: i64 = 10;
/// How many attempts of the delivery log a webhook's page shows, newest first.
pub const LOG_LENGTH: i64 = 100;

/// What a webhook can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The practice was sent, or sent again after a rectification.
    PracticeSent,
    /// The office asked for a rectification.
    PracticeToRectify,
    /// The office approved it: its certificate or documents are issued.
    PracticeApproved,
    /// The office rejected it, or the rectification deadline passed.
    PracticeRejected,
    /// A certificate of the company was cancelled.
    CertificateCancelled,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::PracticeSent,
        Event::PracticeToRectify,
        Event::PracticeApproved,
        Event::PracticeRejected,
        Event::CertificateCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::PracticeSent => "practice.sent",
            Event::PracticeToRectify => "practice.to_rectify",
            Event::PracticeApproved => "practice.approved",
            Event::PracticeRejected => "practice.rejected",
            Event::CertificateCancelled => "certificate.cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s.trim())
    }
}

/// Why a webhook could not be registered, read or deleted.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("not allowed")]
    Forbidden,
    #[error("no such webhook")]
    NotFound,
    #[error("invalid webhook")]
    Invalid(Vec<FieldError>),
    #[error("the company already has {MAX_PER_COMPANY} webhooks")]
    TooMany,
    #[error("the signing secret could not be kept: {0}")]
    Secret(#[from] SealError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<authz::AccessError> for WebhookError {
    fn from(e: authz::AccessError) -> Self {
        match e {
            authz::AccessError::Forbidden => WebhookError::Forbidden,
            authz::AccessError::NotFound => WebhookError::NotFound,
            authz::AccessError::Db(e) => WebhookError::Db(e),
        }
    }
}

/// A registered webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    /// The tax code of the company it belongs to.
    pub company_tax_code: String,
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// One attempt to deliver one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeliveryAttempt {
    /// The event's `id`, as in the body sent.
    pub event_id: String,
    pub event: String,
    /// Where the event's delivery stands now: `pending`, `delivered`, `failed` (no attempt
    /// left) or `dropped` (the webhook was deleted first).
    pub event_status: String,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// RFC 3339, UTC.
    pub attempted_at: String,
    /// The HTTP status the receiver answered, if it answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed: no answer in time, connection refused, a status other than 2xx…
    pub error: Option<String>,
    pub duration_ms: i64,
    /// When the next attempt is due (RFC 3339, UTC); `null` when delivered or out of attempts.
    pub next_attempt_at: Option<String>,
}

/// A webhook and its delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct WebhookDetail {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The latest attempts, newest first.
    pub deliveries: Vec<DeliveryAttempt>,
}

/// A webhook just registered, with its secret: shown this once.
#[derive(Clone, Debug)]
pub struct Created {
    pub webhook: Webhook,
    pub secret: Zeroizing<String>,
}

/// What a company asks to register.
#[derive(Clone, Debug, Default)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
}

fn secret_aad(webhook_id: &str) -> Vec<u8> {
    format!("sportello webhook secret {webhook_id}").into_bytes()
}

/// A new signing secret: `whsec_` and 32 random bytes in hex.
fn new_secret() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("whsec_{}", hex::encode(bytes.as_ref())))
}

/// The events asked for, checked: at least one, each known; duplicates dropped.
fn events_of(asked: &[String]) -> Result<Vec<Event>, FieldError> {
    let mut out: Vec<Event> = Vec::new();
    for name in asked {
        let event = Event::parse(name).ok_or_else(|| {
            FieldError::new("events", "webhook-event-unknown").arg("event", name.trim())
        })?;
        if !out.contains(&event) {
            out.push(event);
        }
    }
    if out.is_empty() {
        return Err(FieldError::new("events", "webhook-events-required"));
    }
    Ok(out)
}

fn url_error(problem: &address::UrlProblem) -> FieldError {
    use address::UrlProblem;
    match problem {
        UrlProblem::Invalid => FieldError::new("url", "webhook-url-invalid"),
        UrlProblem::NotHttps => FieldError::new("url", "webhook-url-https"),
        UrlProblem::Credentials => FieldError::new("url", "webhook-url-credentials"),
        UrlProblem::Unresolvable => FieldError::new("url", "webhook-url-unresolvable"),
        UrlProblem::Private(ip) => FieldError::new("url", "webhook-url-private").arg("address", ip),
    }
}

/// Registers a webhook for `company_id`, one of the principal's companies.
pub async fn create(
    state: &Ctx,
    principal: &Principal,
    company_id: &str,
    new: &NewWebhook,
) -> Result<Created, WebhookError> {
    // Issue 15, items 2 and 3: the scope at that company reaches sending, within a mandate in
    // force for an intermediary's user.
    if !authz::allows(principal.role(), Action::ManageWebhooks)
        || !crate::accounts::company_access::may(
            principal,
            crate::accounts::CompanyScope::Send,
            crate::accounts::company_access::Target::company(company_id),
            state.clock.now(),
        )
    {
        return Err(WebhookError::Forbidden);
    }
    let mut problems = Vec::new();
    let events = events_of(&new.events).map_err(|e| problems.push(e)).ok();
    let url = match address::check(&new.url, &state.config.webhooks).await {
        Ok(url) => Some(url.to_string()),
        Err(p) => {
            problems.push(url_error(&p));
            None
        }
    };
    let (Some(events), Some(url)) = (events, url) else {
        return Err(WebhookError::Invalid(problems));
    };
    let company = crate::registry::get_company(&state.db, company_id)
        .await?
        .ok_or(WebhookError::NotFound)?;
    let id = db::new_id();
    let secret = new_secret();
    let key = SealSecret::from_config(&state.config)?;
    let sealed = encrypt_value(&key, &secret_aad(&id), secret.as_bytes())?;
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhooks WHERE company_id = $1 AND deleted_at IS NULL",
    )
    .bind(company_id)
    .fetch_one(&mut *tx)
    .await?;
    if live >= MAX_PER_COMPANY {
        return Err(WebhookError::TooMany);
    }
    sqlx::query(
        "INSERT INTO webhooks (id, company_id, url, events, secret_sealed, secret_key, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(company_id)
    .bind(&url)
    .bind(names.join(" "))
    .bind(sealed)
    .bind(key.id())
    .bind(&principal.user.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &principal.actor(),
        Change::new("webhook.create", "webhook", Some(&id))
            .after(json!({"company_id": company_id, "url": url, "events": names})),
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        webhook: Webhook {
            id,
            company_tax_code: company.tax_code.as_str().into(),
            url,
            events: names.into_iter().map(String::from).collect(),
            created_at: db::instant(now),
        },
        secret,
    })
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    tax_code: String,
    url: String,
    events: String,
    created_at: String,
}

impl From<Row> for Webhook {
    fn from(r: Row) -> Self {
        Webhook {
            id: r.id,
            company_tax_code: r.tax_code,
            url: r.url,
            events: r.events.split_whitespace().map(String::from).collect(),
            created_at: r.created_at,
        }
    }
}

const SELECT: &str = "SELECT w.id, w.company_id, c.tax_code, w.url, w.events, w.created_at \
    FROM webhooks w JOIN companies c ON c.id = w.company_id WHERE w.deleted_at IS NULL";

/// The live webhooks of the principal's companies, oldest first.
pub async fn list(state: &Ctx, principal: &Principal) -> Result<Vec<Webhook>, WebhookError> {
    if !authz::allows(principal.role(), Action::ManageWebhooks) {
        return Err(WebhookError::Forbidden);
    }
    let mut out = Vec::new();
    for company_id in &principal.company_ids {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} AND w.company_id = $1 ORDER BY w.created_at, w.id"
        )))
        .bind(company_id)
        .fetch_all(state.db.pool())
        .await?;
        out.extend(rows.into_iter().map(Webhook::from));
    }
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(out)
}

/// A live webhook of one of the principal's companies; `NotFound` for anyone else's, so ids
/// of others reveal nothing.
async fn own(state: &Ctx, principal: &Principal, id: &str) -> Result<Row, WebhookError> {
    if !authz::allows(principal.role(), Action::ManageWebhooks) {
        return Err(WebhookError::Forbidden);
    }
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} AND w.id = $1")))
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?;
    row.filter(|r| principal.acts_for_company(&r.company_id))
        .ok_or(WebhookError::NotFound)
}

/// A webhook of the principal's companies with its latest delivery attempts.
pub async fn get(
    state: &Ctx,
    principal: &Principal,
    id: &str,
) -> Result<WebhookDetail, WebhookError> {
    let row = own(state, principal, id).await?;
    let deliveries: Vec<DeliveryAttempt> = sqlx::query_as(
        "SELECT m.event_id, m.event, m.status AS event_status, d.attempt, \
         d.attempted_at, d.status_code, d.error, d.duration_ms, d.next_attempt_at \
         FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id \
         WHERE d.webhook_id = $1 ORDER BY d.attempted_at DESC, d.attempt DESC, d.id DESC LIMIT $2",
    )
    .bind(&row.id)
    .bind(LOG_LENGTH)
    .fetch_all(state.db.pool())
    .await?;
    Ok(WebhookDetail {
        webhook: row.into(),
        deliveries,
    })
}

/// Deletes a webhook of the principal's companies: it receives nothing more, and what was
/// waiting to be delivered is dropped. The row and its log stay, for the audit.
pub async fn delete(state: &Ctx, principal: &Principal, id: &str) -> Result<(), WebhookError> {
    let row = own(state, principal, id).await?;
    // Issue 15, items 2 and 3: as for registering one, at the webhook's own company.
    if !crate::accounts::company_access::may(
        principal,
        crate::accounts::CompanyScope::Send,
        crate::accounts::company_access::Target::company(&row.company_id),
        state.clock.now(),
    ) {
        return Err(WebhookError::Forbidden);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let n = sqlx::query("UPDATE webhooks SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
        .bind(&row.id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(WebhookError::NotFound);
    }
    sqlx::query(
        "UPDATE webhook_messages SET status = 'dropped', finished_at = $2 \
         WHERE webhook_id = $1 AND status = 'pending'",
    )
    .bind(&row.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &principal.actor(),
        Change::new("webhook.delete", "webhook", Some(&row.id))
            .before(json!({"company_id": row.company_id, "url": row.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signing secret of webhook `id`, decrypted.
pub(crate) fn reveal_secret(
    config: &Config,
    webhook_id: &str,
    sealed: &[u8],
) -> Result<Zeroizing<String>, SealError> {
    let key = SealSecret::from_config(config)?;
    let plain = decrypt_value(&key, &secret_aad(webhook_id), sealed)?;
    String::from_utf8(plain.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| SealError::Undecryptable)
}

/// The `data` of an event's body: the practice as it stands after the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventData {
    pub practice_id: String,
    pub protocol_number: Option<String>,
    /// The practice's status: `sent`, `in_review`, `to_rectify`, `approved`, `rejected`…
    pub status: String,
    /// The certificate of origin it issued (`null` until issued), without the security code.
    pub certificate: Option<CertificateBlock>,
}

/// The body POSTed to a webhook. Stable: fields may be added, never renamed or removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventBody {
    /// The event's id: the same on every attempt and for every webhook told, so a receiver
    /// can recognise a repeat.
    pub id: String,
    /// `practice.sent`, `practice.to_rectify`, `practice.approved`, `practice.rejected` or
    /// `certificate.cancelled`.
    pub event: String,
    /// When the change happened (RFC 3339, UTC).
    pub created_at: String,
    pub data: EventData,
}

/// Tells the webhooks of the practice's company that `event` happened to it, inside `tx`, the
/// transaction that made the change: a message with its body and a delivery job for each
/// subscribed webhook. Returns how many were queued.
pub async fn practice_event(
    tx: &mut Tx,
    config: &Config,
    now: DateTime<Utc>,
    practice_id: &str,
    event: Event,
) -> Result<usize, sqlx::Error> {
    // The practice with its company's webhooks, in one statement: one row per webhook (one
    // with no webhook when the company has none).
    type Row = (
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.company_id, p.protocol_number, p.status, w.id, w.events FROM practices p \
         LEFT JOIN webhooks w ON w.company_id = p.company_id AND w.deleted_at IS NULL \
         WHERE p.id = $1 ORDER BY w.created_at, w.id",
    )
    .bind(practice_id)
    .fetch_all(&mut **tx)
    .await?;
    let Some((_, protocol_number, status, _, _)) = rows.first().cloned() else {
        return Ok(0);
    };
    let subscribed: Vec<String> = rows
        .into_iter()
        .filter_map(|(_, _, _, id, events)| Some((id?, events?)))
        .filter(|(_, events)| events.split_whitespace().any(|e| e == event.as_str()))
        .map(|(id, _)| id)
        .collect();
    if subscribed.is_empty() {
        return Ok(0);
    }
    let body = EventBody {
        id: db::new_id(),
        event: event.as_str().into(),
        created_at: db::instant(now),
        data: EventData {
            practice_id: practice_id.into(),
            protocol_number,
            status,
            certificate: issued::certificate_in(tx, &config.public_url, practice_id).await?,
        },
    };
    let text = serde_json::to_string(&body).map_err(|e| sqlx::Error::Encode(e.into()))?;
    for webhook_id in &subscribed {
        let message_id = db::new_id();
        sqlx::query(
            "INSERT INTO webhook_messages (id, webhook_id, event_id, event, body, status, \
             created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
        )
        .bind(&message_id)
        .bind(webhook_id)
        .bind(&body.id)
        .bind(event.as_str())
        .bind(&text)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
        let job = DeliverWebhook {
            message_id: message_id.clone(),
        };
        jobs::enqueue(tx, &job, now, Some(&job.dedupe_key())).await?;
    }
    Ok(subscribed.len())
}
