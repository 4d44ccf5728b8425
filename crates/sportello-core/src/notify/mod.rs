//! Notifications: e-mails are written to the outbox in the business transaction and sent
//! afterwards by the worker (job [`SendEmail`]), so a rolled-back action sends nothing and a
//! committed one is never forgotten. PEC is an SMTP relay like any other.

mod mailer;

pub use mailer::{FileMailer, MailError, Mailer, Prepared, SmtpMailer, mailer_from_config};

use crate::Ctx;
use crate::db::{self, Tx};
use crate::jobs::{self, Job};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub chamber_id: Option<String>,
    pub attachments: Vec<EmailAttachment>,
}

/// A file attached to an e-mail, kept in the blob store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAttachment {
    pub filename: String,
    pub content_type: String,
    pub blob: String,
}

/// Puts `email` in the outbox and enqueues its delivery, inside `tx`, both under the id of the
/// request being served.
pub async fn queue(
    tx: &mut Tx,
    now: DateTime<Utc>,
    email: OutgoingEmail,
) -> Result<String, sqlx::Error> {
    let id = db::new_id();
    let attachments = serde_json::to_string(&email.attachments)
        .map_err(|e| sqlx::Error::Encode(e.to_string().into()))?;
    sqlx::query(
        "INSERT INTO outbox_emails (id, chamber_id, to_addr, subject, body_text, attachments, \
         status, created_at, request_id) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8)",
    )
    .bind(&id)
    .bind(&email.chamber_id)
    .bind(&email.to)
    .bind(&email.subject)
    .bind(&email.body_text)
    .bind(attachments)
    .bind(db::instant(now))
    .bind(crate::request_id::current())
    .execute(&mut **tx)
    .await?;
    jobs::enqueue(
        tx,
        &SendEmail {
            outbox_id: id.clone(),
        },
        now,
        None,
    )
    .await?;
    Ok(id)
}

/// Delivers one outbox message. Idempotent: a message already sent is not sent again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendEmail {
    pub outbox_id: String,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    to_addr: String,
    subject: String,
    body_text: String,
    attachments: String,
    status: String,
}

impl Job for SendEmail {
    const KIND: &'static str = "send_email";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let row: Option<OutboxRow> = sqlx::query_as(
            "SELECT to_addr, subject, body_text, attachments, status FROM outbox_emails \
             WHERE id = $1",
        )
        .bind(&self.outbox_id)
        .fetch_optional(state.db.pool())
        .await?;
        let Some(row) = row else {
            anyhow::bail!("outbox message {} does not exist", self.outbox_id);
        };
        if row.status == "sent" {
            return Ok(());
        }
        let attachments: Vec<EmailAttachment> = serde_json::from_str(&row.attachments)?;
        let mut files = Vec::with_capacity(attachments.len());
        for a in attachments {
            let bytes = state.blobs.get(&a.blob).await?;
            files.push((a, bytes));
        }
        let message = mailer::build_message(
            &state.config.mail_from,
            &row.to_addr,
            &row.subject,
            &row.body_text,
            &files,
            &self.outbox_id,
        )?;
        // Connect and name the envelope first (slow, may fail, sends nothing); then take the
        // row (on PostgreSQL a row lock, so another worker holding an expired lease waits and
        // finds it sent; on SQLite the write lock, held only for the last step) and commit
        // right after the relay took the content. A kill before the commit leaves the row
        // queued and the relay without the message (it never got its end), a kill after it
        // a message sent and recorded; only a kill between the relay's answer and the commit
        // sends it twice (the fault test measures this; `Message-ID` is the outbox id, so a
        // receiver can recognise the copy).
        let prepared = match state.mailer.prepare(&message).await {
            Ok(p) => p,
            Err(e) => return failed(state, &self.outbox_id, e).await,
        };
        let mut tx = state.db.begin().await?;
        // Everything written before the content goes: after the relay's answer only the commit.
        let taken = sqlx::query(
            "UPDATE outbox_emails SET status = 'sent', sent_at = $2, delivered_to = $3, \
             attempts = attempts + 1, last_error = NULL WHERE id = $1 AND status <> 'sent'",
        )
        .bind(&self.outbox_id)
        .bind(db::instant(state.clock.now()))
        .bind(prepared.destination())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            // Sent meanwhile by a worker that held this job before: nothing to do.
            return Ok(());
        }
        match prepared.finish().await {
            Ok(_) => {
                tx.commit().await?;
                Ok(())
            }
            Err(e) => {
                tx.rollback().await?;
                failed(state, &self.outbox_id, e).await
            }
        }
    }
}

/// Records a failed delivery on the outbox row; the job is retried.
async fn failed(state: &Ctx, outbox_id: &str, e: MailError) -> anyhow::Result<()> {
    sqlx::query("UPDATE outbox_emails SET attempts = attempts + 1, last_error = $2 WHERE id = $1")
        .bind(outbox_id)
        .bind(e.to_string())
        .execute(state.db.pool())
        .await?;
    Err(e.into())
}

/// How far the outbox lags: the messages waiting and when the oldest of them was queued (a
/// range of the `outbox_status_created` index), for `/metrics`.
pub async fn lag(db: &db::Db) -> Result<(i64, Option<String>), sqlx::Error> {
    sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox_emails WHERE status = 'queued'")
        .fetch_one(db.pool())
        .await
}
