//! The reaper: removes blobs no row refers to, once older than a grace period.
//!
//! A blob is written before the transaction that records its key, so a rolled-back action,
//! a deleted draft or attachment, or a crash between the two leaves an object nobody refers to.
//! The scheduled [`ReapOrphanBlobs`] job lists the store a page at a time and, for the objects
//! older than `SPORTELLO_BLOBS_GRACE_HOURS` (24 by default), asks every column that holds a
//! blob key ([`REFERENCES`], plus the attachments of e-mails not sent yet) whether one still
//! refers to it; an object none does is removed after its age is read again (a `put` of the
//! same content in between makes it young, see `blobs`). The grace period covers every upload
//! still on its way to its commit; the remaining window, a `put` that lands between that last
//! read and the delete, is milliseconds wide against a day.

use super::{BlobError, StoredBlob};
use crate::Ctx;
use crate::db::Db;
use crate::jobs::Job;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Every column that holds a blob key, as (table, column). A test checks that every column of
/// the live schema named `blob` or `…_blob` is listed here.
pub const REFERENCES: &[(&str, &str)] = &[
    ("practices", "signed_blob"),
    ("practice_signed_models", "signed_blob"),
    ("practice_revocation_checks", "signed_blob"),
    ("practice_signer_people", "signed_blob"),
    ("practice_attachments", "blob"),
    ("certificates", "pdf_blob"),
    ("issued_documents", "blob"),
    ("ra_documents", "blob"),
    ("ra_publications", "blob"),
    ("iss_sessions", "scan_blob"),
    ("model_einvoices", "blob"),
    ("intermediary_mandates", "delegation_blob"),
    ("ra_signature_requests", "blob"),
    ("payment_positions", "notice_blob"),
    ("reconciliation_flows", "blob"),
    ("delegation_requests", "signed_blob"),
];

/// How many objects are looked at per page of the listing.
const PAGE: usize = 500;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reaped {
    /// Objects listed.
    pub listed: u64,
    /// Objects removed: old and referred to by no row.
    pub removed: u64,
    /// Old objects kept because a row refers to them.
    pub referenced: u64,
    /// Objects younger than the grace period, kept whatever refers to them.
    pub young: u64,
    /// Temporary files of interrupted writes removed.
    pub leftovers: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReapError {
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Removes the objects of `ctx.blobs` that no row refers to and that were last written before
/// `now - grace`.
pub async fn reap(ctx: &Ctx, now: DateTime<Utc>, grace: Duration) -> Result<Reaped, ReapError> {
    let cutoff = now - grace;
    let mut done = Reaped::default();
    // E-mails waiting to go carry their attachments by key, in a JSON list: few, read once.
    let outbox = outbox_references(&mut *ctx.db.pool().acquire().await?).await?;
    let mut after: Option<String> = None;
    loop {
        let page = ctx.blobs.list_after(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        done.listed += page.len() as u64;
        let (old, young): (Vec<StoredBlob>, Vec<StoredBlob>) =
            page.into_iter().partition(|b| b.modified < cutoff);
        done.young += young.len() as u64;
        let keys: Vec<&str> = old.iter().map(|b| b.key.as_str()).collect();
        let referenced = referenced_among(&ctx.db, &keys).await?;
        for blob in &old {
            if referenced.contains(&blob.key) || outbox.contains(&blob.key) {
                done.referenced += 1;
                continue;
            }
            // Read the age again: a writer that stored the same content since the listing is
            // about to refer to it.
            match ctx.blobs.modified(&blob.key).await? {
                Some(m) if m < cutoff => {
                    ctx.blobs.delete(&blob.key).await?;
                    done.removed += 1;
                }
                Some(_) => done.young += 1,
                None => {}
            }
        }
    }
    done.leftovers = ctx.blobs.remove_leftovers(cutoff).await?;
    Ok(done)
}

/// The keys among `keys` that some row of [`REFERENCES`] holds.
async fn referenced_among(db: &Db, keys: &[&str]) -> Result<HashSet<String>, sqlx::Error> {
    let mut found = HashSet::new();
    if keys.is_empty() {
        return Ok(found);
    }
    let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let placeholders = placeholders.join(", ");
    for (table, column) in REFERENCES {
        // Table and column names come from the constant above, never from input.
        let sql =
            format!("SELECT DISTINCT {column} FROM {table} WHERE {column} IN ({placeholders})");
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for key in keys {
            query = query.bind(*key);
        }
        found.extend(query.fetch_all(db.pool()).await?);
    }
    Ok(found)
}

/// The blob keys attached to e-mails not sent yet.
pub(crate) async fn outbox_references(
    conn: &mut sqlx::AnyConnection,
) -> Result<HashSet<String>, sqlx::Error> {
    let lists: Vec<String> = sqlx::query_scalar(
        "SELECT attachments FROM outbox_emails WHERE status <> 'sent' AND attachments <> '[]'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut keys = HashSet::new();
    for list in lists {
        match serde_json::from_str::<Vec<crate::notify::EmailAttachment>>(&list) {
            Ok(attachments) => keys.extend(attachments.into_iter().map(|a| a.blob)),
            Err(e) => {
                // Unreadable: keep whatever it might name rather than guess.
                tracing::warn!(error = %e, "an outbox message's attachments cannot be read");
                keys.extend(
                    list.split('"')
                        .filter(|s| super::check_key(s).is_ok())
                        .map(str::to_string),
                );
            }
        }
    }
    Ok(keys)
}

/// Scheduled job: one [`reap`] with the configured grace period.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReapOrphanBlobs {}

impl Job for ReapOrphanBlobs {
    const KIND: &'static str = "reap_orphan_blobs";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let grace = Duration::hours(state.config.blobs_grace_hours);
        let done = reap(state, state.clock.now(), grace).await?;
        tracing::info!(
            store = %state.blobs.describe(),
            listed = done.listed,
            removed = done.removed,
            referenced = done.referenced,
            young = done.young,
            leftovers = done.leftovers,
            "orphan blobs reaped"
        );
        Ok(())
    }
}
