//! The identity document at the desk: stored encrypted (see `scan`), read by the desk staff
//! while the session is open, deleted with its key when the session ends. Only the type,
//! number, expiry and hash remain, and the deletion is in the audit trail.

use crate::audit::{self, Actor, Change};
use crate::blobs::BlobStore;
use crate::db::{self, Db, Tx};
use crate::issuance::scan;
use crate::issuance::session::{Session, SessionError, step};
use crate::issuance::state::Step;
use crate::validation::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

/// The identity document as scanned at the desk.
pub struct IdentityScan {
    pub doc_type: String,
    pub number: String,
    pub expires_on: Option<NaiveDate>,
    pub bytes: Vec<u8>,
}

/// Stores the scan encrypted; keeps type, number, expiry and hash in the session.
pub async fn store_scan(
    db: &Db,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    s: &Session,
    id: IdentityScan,
) -> Result<(), SessionError> {
    let mut fields = Vec::new();
    if !matches!(
        id.doc_type.as_str(),
        "carta_identita" | "passaporto" | "patente"
    ) {
        fields.push(FieldError::new("doc_type", "iss-error-doc-type"));
    }
    if id.number.trim().len() < 5 {
        fields.push(FieldError::new("doc_number", "iss-error-doc-number"));
    }
    match id.expires_on {
        Some(d) if d >= today => {}
        _ => fields.push(FieldError::new("doc_expires_on", "iss-error-doc-expired")),
    }
    let content_type = match scan::content_type(&id.bytes) {
        Ok(t) => Some(t),
        Err(_) => {
            fields.push(FieldError::new("file", "iss-error-scan-type"));
            None
        }
    };
    let (Some(content_type), true) = (content_type, fields.is_empty()) else {
        return Err(SessionError::Invalid(fields));
    };
    s.state().after(Step::Scan)?;
    let (key, sealed) = scan::encrypt(&s.id, &id.bytes)?;
    let blob = blobs.put(&sealed).await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE iss_sessions SET id_doc_type = $2, id_doc_number = $3, id_doc_expires_on = $4, \
         id_doc_sha256 = $5, scan_blob = $6, scan_key = $7, scan_content_type = $8 WHERE id = $1",
    )
    .bind(&s.id)
    .bind(&id.doc_type)
    .bind(id.number.trim().to_uppercase())
    .bind(id.expires_on.map(db::date))
    .bind(crate::blobs::sha256_hex(&id.bytes))
    .bind(&blob)
    .bind(key.to_vec())
    .bind(content_type)
    .execute(&mut *tx)
    .await?;
    match step(&mut tx, now, actor, s, Step::Scan, None).await {
        Ok(_) => tx.commit().await?,
        Err(e) => {
            drop(tx);
            blobs.delete(&blob).await?;
            return Err(e);
        }
    }
    Ok(())
}

/// Blob name, wrapped key and content type of a session's scan, each absent once deleted.
type ScanRow = (Option<String>, Option<Vec<u8>>, Option<String>);

/// The plain scan, for the desk staff while the session is open.
pub async fn read_scan(
    db: &Db,
    blobs: &dyn BlobStore,
    s: &Session,
) -> Result<Option<(String, Vec<u8>)>, SessionError> {
    let row: Option<ScanRow> = sqlx::query_as(
        "SELECT scan_blob, scan_key, scan_content_type FROM iss_sessions WHERE id = $1",
    )
    .bind(&s.id)
    .fetch_optional(db.pool())
    .await?;
    let Some((Some(blob), Some(key), Some(ct))) = row else {
        return Ok(None);
    };
    let sealed = blobs.get(&blob).await?;
    Ok(Some((ct, scan::decrypt(&s.id, &key, &sealed)?)))
}

/// Deletes the scan (blob and key) inside the session's ending transaction; the deletion is
/// in the audit trail. Only type, number, expiry and hash remain.
pub(crate) async fn delete_scan(
    tx: &mut Tx,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
    actor: &Actor,
    s: &Session,
) -> Result<(), SessionError> {
    let blob: Option<String> =
        sqlx::query_scalar("SELECT scan_blob FROM iss_sessions WHERE id = $1")
            .bind(&s.id)
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query("UPDATE iss_sessions SET scan_blob = NULL, scan_key = NULL, scan_deleted_at = $2 WHERE id = $1")
        .bind(&s.id)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
    if let Some(blob) = blob {
        blobs.delete(&blob).await?;
        audit::record(
            tx,
            now,
            &actor.clone().in_chamber(Some(&s.chamber_id)),
            Change::new("issuance.id_scan.delete", "issuance_session", Some(&s.id)).after(json!({
                "blob": blob, "doc_type": s.id_doc_type, "doc_number": s.id_doc_number,
                "expires_on": s.id_doc_expires_on, "sha256": s.id_doc_sha256,
            })),
        )
        .await?;
    }
    Ok(())
}
