//! The restricted archive of mandate documents (RA procedure, part 1: "cartella nominativa ad
//! accesso limitato"). Signed documents are verified with `firma` before they are kept; only
//! the Master RAO, the Manager and the auditor may open them, and every opening is written
//! to the audit trail.

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::paging::{self, Key, Keyed, Keyset, Order, Range, Slice};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// The documents of a mandate (RA procedure, part 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Lettera di incarico, signed by the Manager.
    MandateLetter,
    /// Modulo di accettazione, signed by the operator.
    AcceptanceForm,
    /// Autorizzazione al trattamento dei dati.
    DataProcessingAuthorisation,
    /// Informativa privacy.
    PrivacyNotice,
    /// Modulo E: designation of an organisation's collaborators.
    FormE,
    /// Informativa privacy F for an organisation's collaborators.
    FormF,
    /// Scheda di riepilogo addetti.
    StaffSheet,
    /// The signed revocation notice.
    RevocationNotice,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 8] = [
        DocumentKind::MandateLetter,
        DocumentKind::AcceptanceForm,
        DocumentKind::DataProcessingAuthorisation,
        DocumentKind::PrivacyNotice,
        DocumentKind::FormE,
        DocumentKind::FormF,
        DocumentKind::StaffSheet,
        DocumentKind::RevocationNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::MandateLetter => "mandate_letter",
            DocumentKind::AcceptanceForm => "acceptance_form",
            DocumentKind::DataProcessingAuthorisation => "data_processing_authorisation",
            DocumentKind::PrivacyNotice => "privacy_notice",
            DocumentKind::FormE => "form_e",
            DocumentKind::FormF => "form_f",
            DocumentKind::StaffSheet => "staff_sheet",
            DocumentKind::RevocationNotice => "revocation_notice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("ra-doc-{}", self.as_str().replace('_', "-"))
    }
}

/// A file as uploaded.
#[derive(Clone, Debug)]
pub struct Upload {
    pub kind: DocumentKind,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// What the signature check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub format: String,
    pub signer_tax_code: String,
    pub signer_subject: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("{filename}: not a signed file (PAdES or CAdES)")]
    NotSigned { filename: String },
    #[error("{filename}: the signature is not valid: {problems}")]
    Invalid { filename: String, problems: String },
    #[error("{filename}: signed by {found}, expected {expected}")]
    WrongSigner {
        filename: String,
        found: String,
        expected: String,
    },
}

/// RA procedure: a returned document must carry a valid PAdES or CAdES signature by one of
/// `signers` (the operator or the organisation's legal representative), matched by tax code.
pub fn check_signature(
    upload: &Upload,
    opts: &firma::VerifyOptions,
    signers: &[&str],
) -> Result<Signature, SignatureError> {
    let report = firma::verify(&upload.bytes, opts).map_err(|_| SignatureError::NotSigned {
        filename: upload.filename.clone(),
    })?;
    check_report(&report, &upload.filename, signers).map(|(signature, _)| signature)
}

/// [`check_signature`] on a file already verified: the report must be valid and one of its
/// signers one of `signers`. Also answers which signer of the report it is.
pub fn check_report<'r>(
    report: &'r firma::Report,
    filename: &str,
    signers: &[&str],
) -> Result<(Signature, &'r firma::SignerReport), SignatureError> {
    if !report.valid {
        let problems: Vec<String> = report
            .problems
            .iter()
            .chain(report.signers.iter().flat_map(|s| s.problems.iter()))
            .map(|p| p.message(firma::Lang::It))
            .collect();
        return Err(SignatureError::Invalid {
            filename: filename.to_string(),
            problems: problems.join("; "),
        });
    }
    let signer = report
        .signers
        .iter()
        .find(|s| s.tax_code.as_deref().is_some_and(|t| signers.contains(&t)));
    match signer {
        Some(s) => Ok((
            Signature {
                format: report.format.as_str().to_string(),
                signer_tax_code: s.tax_code.clone().unwrap_or_default(),
                signer_subject: s.subject.clone(),
            },
            s,
        )),
        None => Err(SignatureError::WrongSigner {
            filename: filename.to_string(),
            found: report
                .signers
                .iter()
                .map(|s| {
                    crate::display::signer(
                        crate::i18n::Lang::It,
                        &s.subject,
                        s.tax_code.as_deref(),
                        "",
                        None,
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            expected: signers.join(" / "),
        }),
    }
}

/// The content type we serve a document with: PDF, or a CAdES envelope.
pub fn content_type_of(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else {
        "application/pkcs7-mime"
    }
}

/// A stored document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Document {
    pub id: String,
    pub operator_id: String,
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub blob: String,
    pub size: i64,
    pub signature_format: Option<String>,
    pub signer_tax_code: Option<String>,
    /// The signer's certificate subject (RFC 4514 text); show it with
    /// [`crate::display::signer`].
    pub signer_subject: Option<String>,
    pub created_at: String,
}

/// Keeps a document (its bytes already in the blob store under `blob`).
#[allow(clippy::too_many_arguments)]
pub async fn store(
    tx: &mut Tx,
    now: DateTime<Utc>,
    operator_id: &str,
    step_id: Option<&str>,
    upload: &Upload,
    blob: &str,
    signature: Option<&Signature>,
) -> Result<String, sqlx::Error> {
    let id = db::new_id();
    // The chamber is the operator's, read in the same statement: never the caller's word.
    let written = sqlx::query(
        "INSERT INTO ra_documents (id, operator_id, step_id, kind, filename, content_type, blob, \
         size, signature_format, signer_tax_code, signer_subject, created_at, chamber_id) \
         SELECT $1, o.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, o.chamber_id \
         FROM ra_operators o WHERE o.id = $2",
    )
    .bind(&id)
    .bind(operator_id)
    .bind(step_id)
    .bind(upload.kind.as_str())
    .bind(safe_filename(&upload.filename))
    .bind(content_type_of(&upload.bytes))
    .bind(blob)
    .bind(upload.bytes.len() as i64)
    .bind(signature.map(|s| s.format.clone()))
    .bind(signature.map(|s| s.signer_tax_code.clone()))
    .bind(signature.map(|s| s.signer_subject.clone()))
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    if written.rows_affected() != 1 {
        return Err(sqlx::Error::RowNotFound);
    }
    Ok(id)
}

/// A file name safe to show and to send: the last path component, printable, at most 120 chars.
pub fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect();
    if clean.trim().is_empty() {
        "documento".into()
    } else {
        clean
    }
}

const COLUMNS: &str = "d.id, d.operator_id, d.kind, d.filename, d.content_type, d.blob, d.size, \
     d.signature_format, d.signer_tax_code, d.signer_subject, d.created_at";

/// The documents of one operator of a chamber, oldest first: a handful (the mandate's
/// documents, a renewal's, a revocation notice), read through `ra_documents_operator`.
fn operator_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM ra_documents d WHERE d.operator_id = $2 AND d.chamber_id = $1 \
         ORDER BY d.created_at, d.id"
    )
}

/// The documents of one operator of the chamber, oldest first (the whole chamber's archive
/// is read a page at a time: [`page`]).
pub async fn list(
    db: &Db,
    chamber_id: &str,
    operator_id: &str,
) -> Result<Vec<Document>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(operator_sql()))
        .bind(chamber_id)
        .bind(operator_id)
        .fetch_all(db.pool())
        .await
}

/// The documents of one operator of the chamber, in a transaction (the CA's e-mail).
pub async fn list_tx(
    tx: &mut Tx,
    chamber_id: &str,
    operator_id: &str,
) -> Result<Vec<Document>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(operator_sql()))
        .bind(chamber_id)
        .bind(operator_id)
        .fetch_all(&mut **tx)
        .await
}

/// How many documents a page of the restricted archive holds.
pub const PAGE: u32 = 50;

/// A document of the archive page, with the name of its operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ArchivedDocument {
    #[sqlx(flatten)]
    pub document: Document,
    pub operator_name: String,
}

impl Keyed for ArchivedDocument {
    fn key(&self) -> Key {
        Key::new(self.document.created_at.clone(), self.document.id.clone())
    }
}

/// The statement of the archive page's range after `range` (`$1` the chamber), behind
/// `prefix` (empty, or [`paging::explain`] for its plan): one range of
/// `ra_documents_chamber_created` read backwards from the cursor, the operators' names joined
/// row by row.
fn page_sql(prefix: &str, range: &Range) -> String {
    let (condition, order) = range.sql("d.created_at", "d.id", 2);
    format!(
        "{prefix}SELECT {COLUMNS}, o.name AS operator_name FROM ra_documents d \
         JOIN ra_operators o ON o.id = d.operator_id WHERE d.chamber_id = $1{condition}{order}"
    )
}

/// One page of the chamber's restricted archive, newest first, read by keyset (issue 14: a
/// chamber keeps its mandate documents for years). The cursor only says where the page
/// starts: the chamber is always the caller's.
pub async fn page(
    db: &Db,
    chamber_id: &str,
    request: &Keyset,
) -> Result<Slice<ArchivedDocument>, sqlx::Error> {
    paging::keyset(request, Order::Descending, 1, |_, range| async move {
        let sql = page_sql("", &range);
        range
            .bind(sqlx::query_as::<_, ArchivedDocument>(sqlx::AssertSqlSafe(sql)).bind(chamber_id))
            .fetch_all(db.pool())
            .await
    })
    .await
}

/// The engine's plan of [`page`]'s statement for the page after `from` (the first page
/// without).
pub async fn page_plan(
    db: &Db,
    chamber_id: &str,
    from: Option<&Key>,
) -> Result<Vec<String>, sqlx::Error> {
    paging::range_plan(db, page_sql, chamber_id, Order::Descending, PAGE, from).await
}

/// Opens a document of the chamber for reading and logs the view. `None` when the document
/// does not exist in this chamber.
pub async fn open(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    document_id: &str,
) -> Result<Option<Document>, sqlx::Error> {
    let doc: Option<Document> = sqlx::query_as(
        "SELECT d.id, d.operator_id, d.kind, d.filename, d.content_type, d.blob, d.size, \
         d.signature_format, d.signer_tax_code, d.signer_subject, d.created_at FROM ra_documents d \
         WHERE d.chamber_id = $1 AND d.id = $2",
    )
    .bind(chamber_id)
    .bind(document_id)
    .fetch_optional(db.pool())
    .await?;
    if let Some(d) = &doc {
        let mut tx = db.begin().await?;
        audit::record(
            &mut tx,
            now,
            &actor.clone().in_chamber(Some(chamber_id)),
            Change::new("ra.document.view", "ra_document", Some(&d.id)).after(
                json!({"operator_id": d.operator_id, "kind": d.kind, "filename": d.filename}),
            ),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\x\\mandato.pdf"), "mandato.pdf");
        assert_eq!(safe_filename(""), "documento");
    }
}
