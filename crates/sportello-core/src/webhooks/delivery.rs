//! Delivering one webhook message: the signature, the transport it goes through, the job
//! that tries, and the log of each attempt.

use super::reveal_secret;
use crate::Ctx;
use crate::db;
use crate::jobs::{self, Job};
use async_trait::async_trait;
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Sportello-Signature";

/// The `Sportello-Signature` value for `body` sent at `t` (Unix seconds): the HMAC-SHA256,
/// keyed with the webhook's secret (its text, `whsec_…`, as bytes), of `t`, a full stop and
/// the body's exact bytes, in lower-case hex.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(t.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("t={t},v1={}", hex::encode(ctx.sign().as_ref()))
}

/// One POST to make.
#[derive(Clone, Debug)]
pub struct Delivery<'a> {
    pub url: &'a str,
    /// Headers besides `Content-Type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    pub body: &'a [u8],
}

/// Why an attempt got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("no answer within {0} ms")]
    Timeout(u128),
    #[error("address not allowed: {0}")]
    AddressRefused(String),
    #[error("this process cannot deliver webhooks (no HTTP transport)")]
    Unavailable,
    #[error("{0}")]
    Failed(String),
}

/// How webhook requests leave the platform. The shell implements it with its HTTP client;
/// an implementation must follow no redirect, give up after
/// `config.webhooks.timeout`, and connect only to addresses `address::admitted` accepts
/// (checked when it connects, not only when the webhook was registered).
#[async_trait]
pub trait Transport: Send + Sync {
    /// POSTs the body; the HTTP status the receiver answered.
    async fn post(&self, delivery: &Delivery<'_>) -> Result<u16, DeliveryError>;
}

/// The transport of a context built without one (the core's own tests, tools that run no
/// worker): every attempt fails, and is logged as such.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTransport;

#[async_trait]
impl Transport for NoTransport {
    async fn post(&self, _: &Delivery<'_>) -> Result<u16, DeliveryError> {
        Err(DeliveryError::Unavailable)
    }
}

/// Delivers one webhook message; retried by the queue with exponential back-off. Idempotent:
/// a message already delivered, failed or dropped is not sent again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub message_id: String,
}

impl DeliverWebhook {
    /// The job's key in the queue, one per message (also how the job reads its attempt).
    pub fn dedupe_key(&self) -> String {
        format!("webhook:{}", self.message_id)
    }
}

#[derive(sqlx::FromRow)]
struct Pending {
    webhook_id: String,
    event: String,
    body: String,
    status: String,
    url: String,
    secret_sealed: Vec<u8>,
    deleted_at: Option<String>,
}

impl Job for DeliverWebhook {
    const KIND: &'static str = "deliver_webhook";
    /// Ten attempts: with the queue's back-off, the last comes about eight and a half hours
    /// after the first.
    const MAX_ATTEMPTS: i64 = 10;

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let row: Option<Pending> = sqlx::query_as(
            "SELECT m.webhook_id, m.event, m.body, m.status, w.url, w.secret_sealed, w.deleted_at \
             FROM webhook_messages m JOIN webhooks w ON w.id = m.webhook_id WHERE m.id = $1",
        )
        .bind(&self.message_id)
        .fetch_optional(state.db.pool())
        .await?;
        let Some(row) = row else {
            anyhow::bail!("webhook message {} does not exist", self.message_id);
        };
        if row.status != "pending" {
            return Ok(());
        }
        if row.deleted_at.is_some() {
            sqlx::query(
                "UPDATE webhook_messages SET status = 'dropped', finished_at = $2 \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(&self.message_id)
            .bind(db::instant(state.clock.now()))
            .execute(state.db.pool())
            .await?;
            return Ok(());
        }
        let (attempt, max) = jobs::attempts_of(&state.db, &self.dedupe_key())
            .await?
            .unwrap_or((1, Self::MAX_ATTEMPTS));
        let secret = reveal_secret(&state.config, &row.webhook_id, &row.secret_sealed)?;
        let t = state.clock.now().timestamp();
        let delivery = Delivery {
            url: &row.url,
            headers: vec![
                (SIGNATURE_HEADER, signature(&secret, t, row.body.as_bytes())),
                ("Sportello-Event", row.event.clone()),
                ("User-Agent", "Sportello-Webhooks/1".into()),
            ],
            body: row.body.as_bytes(),
        };
        let started = Instant::now();
        let outcome = state.webhook_transport.post(&delivery).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let now = state.clock.now();
        let (status_code, error) = match &outcome {
            Ok(code) if (200..300).contains(code) => (Some(i64::from(*code)), None),
            Ok(code) => (
                Some(i64::from(*code)),
                Some(format!("the receiver answered {code}")),
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        let delivered = error.is_none();
        let exhausted = !delivered && attempt >= max;
        let next_attempt_at =
            (!delivered && !exhausted).then(|| db::instant(now + jobs::backoff(attempt)));
        let mut tx = state.db.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, message_id, webhook_id, attempt, attempted_at, \
             status_code, error, duration_ms, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(db::new_id())
        .bind(&self.message_id)
        .bind(&row.webhook_id)
        .bind(attempt)
        .bind(db::instant(now))
        .bind(status_code)
        .bind(&error)
        .bind(duration_ms)
        .bind(&next_attempt_at)
        .execute(&mut *tx)
        .await?;
        if delivered || exhausted {
            sqlx::query(
                "UPDATE webhook_messages SET status = $2, finished_at = $3 \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(&self.message_id)
            .bind(if delivered { "delivered" } else { "failed" })
            .bind(db::instant(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        match error {
            None => Ok(()),
            Some(e) => anyhow::bail!("webhook {} attempt {attempt}: {e}", row.webhook_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_time_a_dot_and_the_body() {
        // Computed independently: printf '1700000000.{"a":1}' |
        //   openssl dgst -sha256 -hmac whsec_test
        let s = signature("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(
            s,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
