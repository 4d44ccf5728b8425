//! Deleting a practice the company has not sent (Cert'O guide, slide 27: the list "da inviare"
//! holds what the company composed and may still change).
//!
//! Only a draft goes: once sent, a practice has a protocol number and is the chamber's record,
//! so it is refused with its status. The practice's own rows go with it (attachments' records,
//! invoices, signed-model history, signature checks, status history); the base model it came
//! from stays, and so does the audit trail, which records the deletion with what was deleted.
//! Files are content-addressed and may be shared, so the blob store is left as it is.

use crate::Ctx;
use crate::accounts::company_access::CompanyRefusal;
use crate::accounts::{CompanyScope, Principal};
use crate::audit::{self, Change};
use crate::db;
use crate::trade::practice::{self, Practice, PracticeStatus};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum DraftDeletionError {
    /// No such practice, or another company's (ids of others reveal nothing).
    #[error("practice not found")]
    NotFound,
    /// Sent already (or sent meanwhile): it is the chamber's record now.
    #[error("the practice is {0:?}, not a draft")]
    NotADraft(PracticeStatus),
    /// The user's scope at the practice's company, or an intermediary's mandate, does not
    /// allow it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(CompanyRefusal),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The tables holding a practice's own rows, deleted before the practice itself.
const OWN_ROWS: &[&str] = &[
    "practice_attachments",
    "practice_invoices",
    "practice_signed_models",
    "practice_revocation_checks",
    "practice_signer_people",
    "practice_events",
    "idempotency_keys",
];

/// Deletes the draft practice `id` of one of the principal's companies, for a user who may
/// prepare there (within a mandate in force, for an intermediary's user).
pub async fn delete_draft(
    state: &Ctx,
    principal: &Principal,
    id: &str,
) -> Result<Practice, DraftDeletionError> {
    let pr = practice::get_for_write(
        &state.db,
        principal,
        id,
        CompanyScope::Prepare,
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        CompanyRefusal::NotFound => DraftDeletionError::NotFound,
        CompanyRefusal::Db(e) => DraftDeletionError::Db(e),
        other => DraftDeletionError::Refused(other),
    })?;
    if pr.status != PracticeStatus::Draft {
        return Err(DraftDeletionError::NotADraft(pr.status));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Taken first: a send running at the same time either finds the practice gone or has
    // already moved it out of draft, and then nothing is deleted.
    let still_draft = sqlx::query(
        "UPDATE practices SET updated_at = $2, revision = revision + 1 WHERE id = $1 AND status = 'draft'",
    )
    .bind(&pr.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if still_draft != 1 {
        drop(tx);
        let status = practice::get(&state.db, &pr.id)
            .await?
            .map_or(PracticeStatus::Sent, |p| p.status);
        return Err(DraftDeletionError::NotADraft(status));
    }
    for table in OWN_ROWS {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE practice_id = $1"
        )))
        .bind(&pr.id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM practices WHERE id = $1 AND status = 'draft'")
        .bind(&pr.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&pr.chamber_id)),
        Change::new("practice.delete_draft", "practice", Some(&pr.id)).before(json!({
            "type": pr.practice_type.as_str(),
            "consignee": pr.consignee_name,
            "filename": pr.signed_file_name,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(pr)
}
