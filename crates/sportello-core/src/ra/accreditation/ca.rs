//! Sending a mandate's documents to the CA by PEC (RA procedure, part 1), with the identity
//! document — which is then not kept: only its type, number, expiry and hash stay.

use crate::Ctx;
use crate::audit::Actor;
use crate::blobs::sha256_hex;
use crate::db;
use crate::jobs::{self, Job};
use crate::notify::{self, EmailAttachment, OutgoingEmail};
use crate::ra::accreditation::Step;
use crate::ra::accreditation::steps::{StepError, followers, transition};
use crate::ra::archive;
use crate::ra::convention;
use crate::ra::operator::Operator;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An identity document sent to the CA. Only its type, number, expiry and hash are kept.
#[derive(Clone, Debug)]
pub struct IdentityDocument {
    pub doc_type: String,
    pub number: String,
    pub expires_on: Option<NaiveDate>,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// RA procedure, part 1: everything goes to the CA by PEC with the identity document, which is
/// then not kept (data minimisation: only its type, number, expiry and SHA-256 stay).
pub async fn send_to_ca(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    id_doc: IdentityDocument,
) -> Result<(), StepError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    if id_doc.doc_type.trim().is_empty() {
        return Err(StepError::Identity("type"));
    }
    if id_doc.number.trim().is_empty() {
        return Err(StepError::Identity("number"));
    }
    let expires_on = id_doc.expires_on.ok_or(StepError::Identity("expiry"))?;
    if expires_on < today {
        return Err(StepError::Identity("expired"));
    }
    if id_doc.bytes.is_empty() {
        return Err(StepError::Identity("file"));
    }
    let id_blob = state.blobs.put(&id_doc.bytes).await?;
    let mut tx = state.db.begin().await?;
    let conv = convention::current_tx(&mut tx, &op.chamber_id)
        .await?
        .ok_or(StepError::NoConvention)?;
    let ca_pec = conv.ca_pec.ok_or(StepError::NoCaPec)?;
    let (_, _step_id) = transition(&mut tx, now, today, actor, op, Step::SendToCa, None).await?;
    let mut attachments: Vec<EmailAttachment> = archive::list_tx(&mut tx, &op.chamber_id, &op.id)
        .await?
        .into_iter()
        .map(|d| EmailAttachment {
            filename: d.filename,
            content_type: d.content_type,
            blob: d.blob,
        })
        .collect();
    attachments.push(EmailAttachment {
        filename: archive::safe_filename(&id_doc.filename),
        content_type: "application/octet-stream".into(),
        blob: id_blob.clone(),
    });
    let outbox_id = notify::queue(
        &mut tx,
        now,
        OutgoingEmail {
            to: ca_pec,
            subject: format!("Mandato RA: documentazione di {} ({})", op.name, op.tax_code),
            body_text: format!(
                "Si trasmette la documentazione del mandato di {} ({}, {}), con il documento d'identità.\n",
                op.name,
                op.tax_code,
                op.kind.as_str().to_uppercase()
            ),
            chamber_id: Some(op.chamber_id.clone()),
            attachments,
        },
    )
    .await?;
    let identity_id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_identity_documents (id, operator_id, doc_type, doc_number, expires_on, \
         sha256, outbox_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&identity_id)
    .bind(&op.id)
    .bind(id_doc.doc_type.trim())
    .bind(id_doc.number.trim())
    .bind(db::date(expires_on))
    .bind(sha256_hex(&id_doc.bytes))
    .bind(&outbox_id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    // A minute later, so the PEC (enqueued at `now`) normally goes first.
    let later = now + chrono::Duration::minutes(1);
    jobs::enqueue(&mut tx, &PurgeIdentityDocument { identity_id }, later, None).await?;
    for c in followers(&mut tx, op).await? {
        transition(&mut tx, now, today, actor, &c, Step::SendToCa, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes the file of an identity document once the PEC to the CA has gone out.
/// Idempotent; retried (with back-off) while the e-mail is still queued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PurgeIdentityDocument {
    pub identity_id: String,
}

impl Job for PurgeIdentityDocument {
    const KIND: &'static str = "ra_purge_identity_document";
    const MAX_ATTEMPTS: i64 = 20;

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let row: Option<(Option<String>, Option<String>, String)> = sqlx::query_as(
            "SELECT i.outbox_id, i.file_purged_at, o.attachments FROM ra_identity_documents i \
             JOIN outbox_emails o ON o.id = i.outbox_id WHERE i.id = $1 AND o.status = 'sent'",
        )
        .bind(&self.identity_id)
        .fetch_optional(state.db.pool())
        .await?;
        let Some((_, purged, attachments)) = row else {
            anyhow::bail!(
                "the PEC with identity document {} is not sent yet",
                self.identity_id
            );
        };
        if purged.is_some() {
            return Ok(());
        }
        let attachments: Vec<EmailAttachment> = serde_json::from_str(&attachments)?;
        if let Some(id_file) = attachments.last() {
            // Blobs are shared by content: another PEC still waiting with the same file
            // keeps it until that one has gone too (its own purge job deletes it then).
            let pattern = format!("%{}%", id_file.blob);
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox_emails WHERE status = 'queued' AND attachments LIKE $1",
            )
            .bind(pattern)
            .fetch_one(state.db.pool())
            .await?;
            if waiting > 0 {
                anyhow::bail!(
                    "another PEC still carries identity document {}",
                    self.identity_id
                );
            }
            state.blobs.delete(&id_file.blob).await?;
        }
        sqlx::query("UPDATE ra_identity_documents SET file_purged_at = $2 WHERE id = $1")
            .bind(&self.identity_id)
            .bind(db::instant(state.clock.now()))
            .execute(state.db.pool())
            .await?;
        Ok(())
    }
}
