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
    attempting_at: Option<String>,
}

impl Job for SendEmail {
    const KIND: &'static str = "send_email";

    /// One message, in three steps that leave a kill nothing worse than one copy:
    ///
    /// 1. **Attempting.** `attempting_at` is committed on its own before anything goes to
    ///    the relay. Finding it already set means an earlier attempt was interrupted (a kill,
    ///    a lost connection) after this point, so the relay may hold the message already: the
    ///    retry says so in the log and sends it under the same `Message-ID` (the outbox id),
    ///    which lets receivers that de-duplicate by it drop the copy.
    /// 2. **Envelope.** Connect, greet, `MAIL`, `RCPT`, `DATA` (`Mailer::prepare`): slow, may
    ///    fail, delivers nothing. A failure here clears `attempting_at` (nothing went out).
    /// 3. **Content and record.** The row is marked sent inside a transaction opened before
    ///    the content goes (PostgreSQL: a row lock, so a worker whose lease ran out waits and
    ///    then finds it sent; SQLite: the write lock), the content is handed over
    ///    (`Prepared::finish`), and the commit follows the relay's `250` with nothing in
    ///    between. What is left is the one window SMTP cannot close: from the last byte of
    ///    the content written to the socket to that commit (see ARCHITECTURE.md, "Crash
    ///    safety").
    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let row: Option<OutboxRow> = sqlx::query_as(
            "SELECT to_addr, subject, body_text, attachments, status, attempting_at \
             FROM outbox_emails WHERE id = $1",
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
        if let Some(at) = &row.attempting_at {
            tracing::warn!(
                outbox_id = %self.outbox_id,
                interrupted_attempt = %at,
                "an earlier attempt to send this e-mail was interrupted and may have delivered \
                 it: sending it again with the same Message-ID"
            );
        }
        let marked = sqlx::query(
            "UPDATE outbox_emails SET attempting_at = $2, attempts = attempts + 1 \
             WHERE id = $1 AND status <> 'sent'",
        )
        .bind(&self.outbox_id)
        .bind(db::instant(state.clock.now()))
        .execute(state.db.pool())
        .await?
        .rows_affected();
        if marked == 0 {
            // Sent meanwhile by a worker that held this job before.
            return Ok(());
        }
        let prepared = match state.mailer.prepare(&message).await {
            Ok(p) => p,
            Err(e) => return failed(state, &self.outbox_id, e, true).await,
        };
        let mut tx = state.db.begin().await?;
        // Everything written before the content goes: after the relay's answer only the commit.
        let taken = sqlx::query(
            "UPDATE outbox_emails SET status = 'sent', sent_at = $2, delivered_to = $3, \
             last_error = NULL WHERE id = $1 AND status <> 'sent'",
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
                // The content may have reached the relay before the error: keep the mark.
                failed(state, &self.outbox_id, e, false).await
            }
        }
    }
}

/// Records a failed delivery on the outbox row; the job is retried. `nothing_sent`: the
/// failure came before the content, so the attempt's mark is cleared.
async fn failed(
    state: &Ctx,
    outbox_id: &str,
    e: MailError,
    nothing_sent: bool,
) -> anyhow::Result<()> {
    let sql = if nothing_sent {
        "UPDATE outbox_emails SET last_error = $2, attempting_at = NULL WHERE id = $1"
    } else {
        "UPDATE outbox_emails SET last_error = $2 WHERE id = $1"
    };
    sqlx::query(sql)
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
