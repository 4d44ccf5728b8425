//! Attachments of a practice (Cert'O guide, slide 42): a file, a description and a document code
//! from the practice type's list; the visas and legalisations asked for that document where
//! the practice type and the document allow them (slides 44 and 55; see [`stamps_problems`]).
//! They can be changed while the company may change the practice, and the fee follows. The file's type is read from its content, never from its name
//! or the browser's word; stored content-addressed.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::db::{self, Db, Tx};
use crate::trade::form::FieldProblem;
use crate::trade::practice::{Practice, PracticeStatus};
use crate::trade::practice_type::{DocumentCode, PracticeType};
use crate::validation::FieldError;
use serde::Serialize;

/// Largest attachment.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most attachments on one practice.
pub const MAX_ATTACHMENTS: i64 = 30;
/// Most visas or legalisations on one document.
pub const MAX_STAMPS: i64 = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Attachment {
    pub id: String,
    pub practice_id: String,
    pub blob: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub description: String,
    pub code: String,
    pub visas: i64,
    pub legalisations: i64,
    pub created_at: String,
}

/// An attachment to add, as received.
#[derive(Clone, Debug, Default)]
pub struct NewAttachment {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub description: String,
    pub code: String,
    pub visas: i64,
    pub legalisations: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("some fields are not valid")]
    Invalid(Vec<FieldError>),
    #[error("the practice can no longer be changed")]
    NotEditable(PracticeStatus),
    #[error("too many attachments")]
    TooMany,
    /// The user's scope at the practice's company, or an intermediary's mandate, does not
    /// allow it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(#[from] crate::accounts::company_access::CompanyRefusal),
    #[error("no such attachment")]
    NotFound,
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The kinds of file accepted, told by their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let trimmed = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &bytes[i..])
        .unwrap_or(bytes);
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("image/tiff")
    } else if trimmed.starts_with(b"<?xml")
        || trimmed.starts_with(b"<") && bytes.len() > 1 && std::str::from_utf8(bytes).is_ok()
    {
        Some("application/xml")
    } else if firma::verify(
        bytes,
        &firma::VerifyOptions {
            trust_anchors: Vec::new(),
            intermediates: Vec::new(),
            crls: Vec::new(),
            at: std::time::SystemTime::now(),
        },
    )
    .is_ok_and(|r| !r.unreadable() && !r.problems.contains(&firma::Problem::TrailingData))
    {
        // A signed document (CAdES .p7m): chambers accept documents signed as PAdES or CAdES;
        // one with bytes after its envelope, or that cannot be read, is no such document.
        Some("application/pkcs7-mime")
    } else {
        None
    }
}

pub async fn list(db: &Db, practice_id: &str) -> Result<Vec<Attachment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, practice_id, blob, file_name, content_type, size_bytes, description, code, visas, \
         legalisations, created_at FROM practice_attachments WHERE practice_id = $1 ORDER BY created_at, id",
    )
    .bind(practice_id)
    .fetch_all(db.pool())
    .await
}

/// Adds an attachment while the company may still change the practice.
pub async fn add(
    state: &Ctx,
    principal: &Principal,
    practice: &Practice,
    new: NewAttachment,
) -> Result<Attachment, AttachmentError> {
    if !practice.status.editable_by_company() {
        return Err(AttachmentError::NotEditable(practice.status));
    }
    crate::trade::practice::require_write(
        &state.db,
        principal,
        practice,
        crate::accounts::CompanyScope::Prepare,
        state.clock.now(),
    )
    .await?;
    let mut problems = Vec::new();
    let content_type = if new.bytes.is_empty() {
        problems.push(FieldProblem {
            field: "file".into(),
            key: "trade-attachment-empty",
        });
        None
    } else if new.bytes.len() > MAX_ATTACHMENT_BYTES {
        problems.push(FieldProblem {
            field: "file".into(),
            key: "trade-attachment-too-large",
        });
        None
    } else {
        let t = sniff(&new.bytes);
        if t.is_none() {
            problems.push(FieldProblem {
                field: "file".into(),
                key: "trade-attachment-type",
            });
        }
        t
    };
    let description = new.description.trim();
    if description.is_empty() {
        problems.push(FieldProblem {
            field: "description".into(),
            key: "trade-field-required",
        });
    } else if description.chars().count() > 300 {
        problems.push(FieldProblem {
            field: "description".into(),
            key: "trade-field-too-long",
        });
    }
    let code = DocumentCode::parse(&new.code)
        .filter(|c| practice.practice_type.document_codes().contains(c));
    if code.is_none() {
        problems.push(FieldProblem {
            field: "code".into(),
            key: "trade-attachment-code",
        });
    }
    let mut problems: Vec<FieldError> = problems.into_iter().map(FieldError::from).collect();
    if let Some(code) = code {
        problems.extend(stamps_problems(
            practice.practice_type,
            code,
            description,
            new.visas,
            new.legalisations,
        ));
    }
    let (Some(content_type), Some(code)) = (content_type, code) else {
        return Err(AttachmentError::Invalid(problems));
    };
    if !problems.is_empty() {
        return Err(AttachmentError::Invalid(problems));
    }
    let size = new.bytes.len() as i64;
    let (blob, _) = state.blobs.put_owned(new.bytes).await?;
    let now = state.clock.now();
    let id = db::new_id();
    let file_name = clean_name(&new.file_name, content_type);
    let mut tx = state.db.begin().await?;
    guard_editable(&mut tx, state, practice, now).await?;
    // Written only while the practice has fewer than MAX_ATTACHMENTS: the count and the insert
    // in one statement, inside the transaction that raised the revision.
    let created_at = db::instant(now);
    let inserted = sqlx::query(
        "INSERT INTO practice_attachments (id, practice_id, blob, file_name, content_type, size_bytes, \
         description, code, visas, legalisations, created_by, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
         WHERE (SELECT COUNT(*) FROM practice_attachments WHERE practice_id = $2) < $13",
    )
    .bind(&id)
    .bind(&practice.id)
    .bind(&blob)
    .bind(&file_name)
    .bind(content_type)
    .bind(size)
    .bind(description)
    .bind(code.as_str())
    .bind(new.visas)
    .bind(new.legalisations)
    .bind(&principal.user.id)
    .bind(&created_at)
    .bind(MAX_ATTACHMENTS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        return Err(AttachmentError::TooMany);
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&practice.chamber_id)),
        Change::new("practice.attach", "practice", Some(&practice.id)).after(serde_json::json!({
            "attachment": id, "blob": blob, "code": code.as_str(), "content_type": content_type,
            "visas": new.visas, "legalisations": new.legalisations,
        })),
    )
    .await?;
    tx.commit().await?;
    // What was just written, as `list` would read it back.
    Ok(Attachment {
        id,
        practice_id: practice.id.clone(),
        blob,
        file_name,
        content_type: content_type.to_string(),
        size_bytes: size,
        description: description.to_string(),
        code: code.as_str().to_string(),
        visas: new.visas,
        legalisations: new.legalisations,
        created_at,
    })
}

/// The rule of visas and legalisations on one attached document (Cert'O guide, slides 44 and
/// 55): each count from 0 to [`MAX_STAMPS`]; more than 0 only where the practice type allows
/// them ([`PracticeType::has_visas`]) and on a document the chamber stamps
/// ([`DocumentCode::stampable`]). A refusal names the document and the practice type.
pub fn stamps_problems(
    practice_type: PracticeType,
    code: DocumentCode,
    description: &str,
    visas: i64,
    legalisations: i64,
) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (field, n) in [("visas", visas), ("legalisations", legalisations)] {
        if !(0..=MAX_STAMPS).contains(&n) {
            out.push(FieldError::new(field, "trade-attachment-stamps"));
        }
    }
    if visas > 0 || legalisations > 0 {
        let key = if !practice_type.has_visas() {
            Some("trade-attachment-stamps-type")
        } else if !code.stampable() {
            Some("trade-attachment-stamps-document")
        } else {
            None
        };
        if let Some(key) = key {
            let field = if visas > 0 { "visas" } else { "legalisations" };
            out.push(
                FieldError::new(field, key)
                    .arg("document", description.trim())
                    .arg("code", code.as_str())
                    .arg("type", practice_type.as_str()),
            );
        }
    }
    out
}

/// Changes the visas and legalisations asked for one attached document while the company may
/// still change the practice (a draft, or during a rectification): the fee follows at the
/// next send, which charges or refunds the difference.
pub async fn set_stamps(
    state: &Ctx,
    principal: &Principal,
    practice: &Practice,
    attachment_id: &str,
    visas: i64,
    legalisations: i64,
) -> Result<Attachment, AttachmentError> {
    if !practice.status.editable_by_company() {
        return Err(AttachmentError::NotEditable(practice.status));
    }
    crate::trade::practice::require_write(
        &state.db,
        principal,
        practice,
        crate::accounts::CompanyScope::Prepare,
        state.clock.now(),
    )
    .await?;
    let current = list(&state.db, &practice.id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or(AttachmentError::NotFound)?;
    let code = DocumentCode::parse(&current.code).unwrap_or(DocumentCode::Other);
    let problems = stamps_problems(
        practice.practice_type,
        code,
        &current.description,
        visas,
        legalisations,
    );
    if !problems.is_empty() {
        return Err(AttachmentError::Invalid(problems));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    guard_editable(&mut tx, state, practice, now).await?;
    let written = sqlx::query(
        "UPDATE practice_attachments SET visas = $3, legalisations = $4 WHERE id = $1 AND practice_id = $2",
    )
    .bind(attachment_id)
    .bind(&practice.id)
    .bind(visas)
    .bind(legalisations)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if written == 0 {
        tx.rollback().await?;
        return Err(AttachmentError::NotFound);
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&practice.chamber_id)),
        Change::new("practice.stamps", "practice", Some(&practice.id))
            .before(serde_json::json!({
                "attachment": attachment_id, "visas": current.visas, "legalisations": current.legalisations,
            }))
            .after(serde_json::json!({
                "attachment": attachment_id, "visas": visas, "legalisations": legalisations,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Attachment {
        visas,
        legalisations,
        ..current
    })
}

/// The attachments that carry visas or legalisations, each with the number of the visa its
/// practice issues for it: the protocol number and `-V1`, `-V2`… in the order of the list.
/// Approval numbers the sealed visas and the certificate's list of stamped documents with it,
/// so both name the same numbers.
pub fn stamped(protocol_number: &str, all: Vec<Attachment>) -> Vec<(String, Attachment)> {
    all.into_iter()
        .filter(|a| a.visas + a.legalisations > 0)
        .enumerate()
        .map(|(i, a)| (format!("{protocol_number}-V{}", i + 1), a))
        .collect()
}

/// Removes an attachment while the company may still change the practice, for a user who
/// may prepare at the practice's company (within a mandate in force, for an intermediary's
/// user).
pub async fn remove(
    state: &Ctx,
    principal: &Principal,
    practice: &Practice,
    attachment_id: &str,
) -> Result<(), AttachmentError> {
    if !practice.status.editable_by_company() {
        return Err(AttachmentError::NotEditable(practice.status));
    }
    crate::trade::practice::require_write(
        &state.db,
        principal,
        practice,
        crate::accounts::CompanyScope::Prepare,
        state.clock.now(),
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    guard_editable(&mut tx, state, practice, now).await?;
    let removed =
        sqlx::query("DELETE FROM practice_attachments WHERE id = $1 AND practice_id = $2")
            .bind(attachment_id)
            .bind(&practice.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if removed == 0 {
        return Err(AttachmentError::NotFound);
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&practice.chamber_id)),
        Change::new("practice.detach", "practice", Some(&practice.id))
            .before(serde_json::json!({"attachment": attachment_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the practice changed (a new revision for sending to notice), only while it still has
/// the status the caller read; otherwise rolls back and answers `NotEditable` with the status
/// it has now. Taken first in the transaction, so it also orders concurrent writers on the
/// practice's row.
async fn guard_editable(
    tx: &mut Tx,
    state: &Ctx,
    practice: &Practice,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AttachmentError> {
    let marked = sqlx::query(
        "UPDATE practices SET updated_at = $2, revision = revision + 1 WHERE id = $1 AND status = $3",
    )
    .bind(&practice.id)
    .bind(db::instant(now))
    .bind(practice.status.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if marked == 1 {
        return Ok(());
    }
    let status = crate::trade::practice::get(&state.db, &practice.id)
        .await?
        .map(|p| p.status);
    Err(match status {
        Some(status) => AttachmentError::NotEditable(status),
        None => AttachmentError::NotFound,
    })
}

/// A safe label for the file: its own name's safe characters, with the extension of the
/// detected type.
fn clean_name(name: &str, content_type: &str) -> String {
    let ext = match content_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/tiff" => "tif",
        "application/xml" => "xml",
        _ => "p7m",
    };
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem: String = base
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(base)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(100)
        .collect();
    let stem = stem.trim_matches('.');
    format!("{}.{ext}", if stem.is_empty() { "allegato" } else { stem })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_are_read_from_the_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxxxx"), Some("image/png"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><a/>"),
            Some("application/xml")
        );
        assert_eq!(sniff(b"MZ\x90\x00 an executable"), None);
        assert_eq!(sniff(b"plain text pretending"), None);
    }

    #[test]
    fn stored_names_carry_the_detected_extension() {
        assert_eq!(
            clean_name("fattura 118.exe", "application/pdf"),
            "fattura118.pdf"
        );
        assert_eq!(clean_name("../../x", "image/png"), "x.png");
        assert_eq!(clean_name("", "application/xml"), "allegato.xml");
    }
}
