//! Issuing a certificate of origin: the national number (`C` + year + chamber code + 7
//! digits, gapless per chamber and year, the national certificate numbering), a random security code
//! (kept hashed and encrypted, never in clear: see `security_code`), the PDF with the signed base
//! model embedded, sealed by the chamber (PAdES), and the record the public verification reads. Also cancellation (Cert'O guide, slide 46), replacement and
//! duplicates (certificate-of-origin special cases).

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::blobs::sha256_hex;
use crate::chambers::{self, settings::Setting};
use crate::clock::{in_italy, italian_day};
use crate::db::{self, Db, Tx, counters};
use crate::i18n::Lang;
use crate::registry;
use crate::trade::desk::security_code::{self, CodeError};
use crate::trade::document::ModelDocument;
use crate::trade::form::{
    BaseModelForm, CancellationReason, CertificateNumber, FormInput, FormSerial,
};
use crate::trade::pdf::{self, CertificateIssue};
use crate::trade::practice::{self, Practice};
use crate::trade::practice_type::PrintMode;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the signed base model no longer validates")]
    InvalidModel,
    #[error("the chamber has no seal configured")]
    NoSeal,
    #[error(
        "the certificate to replace does not exist, is not cancelled, or belongs to another company"
    )]
    BadReplacement,
    #[error("a duplicate needs the original cancelled for loss or theft within the last 6 months")]
    BadDuplicate,
    #[error("the certificate to cancel does not exist or belongs to another company")]
    UnknownCertificate,
    #[error("the certificate was printed on an official form: record the form's return first")]
    FormNotReturned,
    #[error("the certificate is already cancelled")]
    AlreadyCancelled,
    #[error("PDF: {0}")]
    Pdf(String),
    #[error("seal: {0}")]
    Seal(String),
    #[error(transparent)]
    SecurityCode(#[from] CodeError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// An issued certificate, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Certificate {
    pub id: String,
    pub practice_id: String,
    pub chamber_id: String,
    pub number: String,
    pub status: String,
    pub issued_on: String,
    pub company_name: String,
    pub consignee_country: String,
    pub origin_country: String,
    pub print_mode: String,
    pub form_serial: Option<String>,
    pub pdf_blob: String,
    pub pdf_sha256: String,
    pub duplicate_of: Option<String>,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub form_returned_at: Option<String>,
}

const COLUMNS: &str = "id, practice_id, chamber_id, number, status, issued_on, company_name, consignee_country, \
     origin_country, print_mode, form_serial, pdf_blob, pdf_sha256, duplicate_of, replaces, replaced_by, \
     cancelled_at, cancel_reason, form_returned_at";

pub async fn by_number(db: &Db, number: &str) -> Result<Option<Certificate>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM certificates WHERE number = $1"
    )))
    .bind(number.trim().to_ascii_uppercase())
    .fetch_optional(db.pool())
    .await
}

/// The engine's plan of [`by_number`]'s statement: one probe of the unique index on the
/// number, whatever the number of certificates (issue 14).
pub async fn by_number_plan(db: &Db, number: &str) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "{}SELECT {COLUMNS} FROM certificates WHERE number = $1",
        crate::paging::explain(db)
    );
    crate::paging::plan(
        db,
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(number.trim().to_ascii_uppercase()),
    )
    .await
}

pub async fn of_practice(db: &Db, practice_id: &str) -> Result<Option<Certificate>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM certificates WHERE practice_id = $1"
    )))
    .bind(practice_id)
    .fetch_optional(db.pool())
    .await
}

/// What approval needs, gathered before the transaction.
pub struct Prepared {
    doc: ModelDocument,
    model_xml: Vec<u8>,
    chamber: chambers::Chamber,
    place: String,
    copies: u32,
    duplicate_of: Option<(CertificateNumber, NaiveDate)>,
    replaces: Option<CertificateNumber>,
    seal: crate::seal::SealKey,
    stamped: Vec<pdf::StampedDocument>,
}

/// The document a practice's signed model describes, exactly as signed, and the signed XML.
pub async fn signed_document(
    state: &Ctx,
    p: &Practice,
) -> Result<(ModelDocument, Vec<u8>), IssueError> {
    let (xml, form_json, created_at): (Vec<u8>, String, String) =
        sqlx::query_as("SELECT xml, form_json, created_at FROM base_model_versions WHERE model_id = $1 AND version = $2")
            .bind(&p.model_id)
            .bind(p.model_version)
            .fetch_one(state.db.pool())
            .await?;
    let input: FormInput =
        serde_json::from_str(&form_json).map_err(|_| IssueError::InvalidModel)?;
    let created = db::parse_instant(&created_at)?;
    let signed_on = italian_day(created);
    let form = BaseModelForm::validate(p.practice_type, &input, signed_on)
        .map_err(|_| IssueError::InvalidModel)?;
    let company = registry::get_company(&state.db, &p.company_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    let site = registry::get_site(&state.db, &p.site_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    let doc = ModelDocument {
        model_id: p.model_id.clone(),
        version: p.model_version,
        created_at: created,
        company,
        site,
        form,
    };
    Ok((doc, xml))
}

/// Checks that the certificate can be issued and loads what it is made of: the signed model
/// exactly as signed, the chamber's seal, the certificate it replaces or duplicates.
pub async fn prepare(state: &Ctx, p: &Practice) -> Result<Prepared, IssueError> {
    let (doc, xml) = signed_document(state, p).await?;
    let chamber = chambers::get_chamber(&state.db, &p.chamber_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    let desk = chambers::get_desk(&state.db, &p.desk_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    let seal = crate::seal::load(state, &chamber.id)
        .await
        .map_err(|e| IssueError::Seal(e.to_string()))?
        .ok_or(IssueError::NoSeal)?;
    let mandatory =
        chambers::settings::get_bool(&state.db, &chamber.id, Setting::BlankPaperMandatoryCopy)
            .await?;
    let mut copies = p.copies.max(0);
    if p.print_mode == PrintMode::BlankPaper && mandatory {
        copies = copies.max(1);
    }
    let (mut duplicate_of, mut replaces) = (None, None);
    if let Some(n) = p.replaces_number.as_deref() {
        let old = by_number(&state.db, n)
            .await?
            .filter(|c| c.chamber_id == chamber.id && c.status == "cancelled");
        let old_company = match &old {
            Some(c) => practice::get(&state.db, &c.practice_id)
                .await?
                .map(|op| op.company_id),
            None => None,
        };
        let number = CertificateNumber::parse(n);
        match (old, old_company, number) {
            (Some(old), Some(company_id), Some(number)) if company_id == p.company_id => {
                if p.duplicate {
                    // certificate-of-origin special cases: a duplicate for a lost or stolen certificate, asked
                    // for within 6 months of the original's issue.
                    let issued = db::parse_date(&old.issued_on)?;
                    let lost = matches!(
                        old.cancel_reason
                            .as_deref()
                            .and_then(|r| r.split(':').next()),
                        Some("loss" | "theft")
                    );
                    let within = state.clock.today()
                        <= issued.checked_add_months(Months::new(6)).unwrap_or(issued);
                    if !(lost && within) {
                        return Err(IssueError::BadDuplicate);
                    }
                    duplicate_of = Some((number, issued));
                } else {
                    replaces = Some(number);
                }
            }
            _ => {
                return Err(if p.duplicate {
                    IssueError::BadDuplicate
                } else {
                    IssueError::BadReplacement
                });
            }
        }
    }
    // The documents stamped with the certificate, numbered as approval numbers their sealed
    // visas (`documents::prepare`); blobs are keyed by their SHA-256.
    let protocol = p.protocol_number.clone().unwrap_or_default();
    let stamped = practice::attachments::stamped(
        &protocol,
        practice::attachments::list(&state.db, &p.id).await?,
    )
    .into_iter()
    .map(|(visa_number, a)| pdf::StampedDocument {
        visa_number,
        invoice: a.code == crate::trade::practice_type::DocumentCode::Invoice.as_str(),
        description: a.description,
        file_name: a.file_name,
        sha256: a.blob,
        visas: a.visas,
        legalisations: a.legalisations,
    })
    .collect();
    Ok(Prepared {
        stamped,
        doc,
        model_xml: xml,
        place: desk.name.clone(),
        chamber,
        copies: copies as u32,
        duplicate_of,
        replaces,
        seal,
    })
}

/// Issues the certificate inside the approval's transaction; returns its number.
pub async fn issue(
    tx: &mut Tx,
    state: &Ctx,
    now: DateTime<Utc>,
    actor: &Actor,
    p: &Practice,
    prep: Prepared,
) -> Result<String, IssueError> {
    let local = in_italy(now);
    let year = local.year();
    let seq = counters::next(tx, &format!("certificate:{}:{year}", prep.chamber.id)).await?;
    let number = format!("C{:02}{}{seq:07}", year % 100, prep.chamber.code.as_str());
    let number = CertificateNumber::parse(&number).ok_or(IssueError::InvalidModel)?;
    let code = security_code::new_code();
    let issue = CertificateIssue {
        verify_url: pdf::verification_url(&state.config.public_url, &number, &code),
        number: number.clone(),
        security_code: code.clone(),
        issued_on: local.date_naive(),
        chamber_name: prep.chamber.name.clone(),
        place: prep.place.clone(),
        duplicate_of: prep.duplicate_of.clone(),
        replaces: prep.replaces.clone(),
        print_mode: p.print_mode,
        form_serial: p.form_serial.as_deref().and_then(FormSerial::parse),
        model_xml: prep.model_xml.clone(),
        stamped: prep.stamped.clone(),
    };
    let unsealed = pdf::certificate_copies(&prep.doc, &issue, Lang::It, prep.copies)
        .map_err(|e| IssueError::Pdf(e.to_string()))?;
    let sealed = crate::seal::seal_pdf(
        &unsealed,
        &prep.seal,
        now,
        &format!("Certificato d'origine {number}"),
        &prep.place,
    )
    .map_err(|e| IssueError::Seal(e.to_string()))?;
    let blob = state.blobs.put(&sealed).await?;
    let BaseModelForm::CertificateOfOrigin(form) = &prep.doc.form else {
        return Err(IssueError::InvalidModel);
    };
    let id = db::new_id();
    let secret = crate::seal::SealSecret::from_config(&state.config)
        .map_err(|e| IssueError::Seal(e.to_string()))?;
    let kept = security_code::keep(&secret, &id, number.as_str(), &code).await?;
    sqlx::query(
        "INSERT INTO certificates (id, practice_id, chamber_id, number, year, seq, security_code_hash, status, \
         issued_on, issued_at, company_name, consignee_country, origin_country, print_mode, form_serial, pdf_blob, \
         pdf_sha256, duplicate_of, replaces, security_code_sealed, security_code_key) VALUES ($1, $2, $3, $4, $5, \
         $6, $7, 'valid', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(&id)
    .bind(&p.id)
    .bind(&prep.chamber.id)
    .bind(number.as_str())
    .bind(i64::from(year))
    .bind(seq)
    .bind(&kept.hash)
    .bind(db::date(local.date_naive()))
    .bind(db::instant(now))
    .bind(&prep.doc.company.name)
    .bind(form.consignee.country.code())
    .bind(form.origin_country.code())
    .bind(p.print_mode.as_str())
    .bind(&p.form_serial)
    .bind(&blob)
    .bind(sha256_hex(&sealed))
    .bind(prep.duplicate_of.as_ref().map(|(n, _)| n.as_str().to_string()))
    .bind(prep.replaces.as_ref().map(|n| n.as_str().to_string()))
    .bind(&kept.sealed)
    .bind(&kept.key_id)
    .execute(&mut **tx)
    .await?;
    if let Some(old) = &prep.replaces {
        sqlx::query("UPDATE certificates SET replaced_by = $2 WHERE number = $1")
            .bind(old.as_str())
            .bind(number.as_str())
            .execute(&mut **tx)
            .await?;
    }
    if let Some(serial) = &p.form_serial {
        sqlx::query("UPDATE blank_forms SET status = 'used', practice_id = $2, used_at = $3 WHERE serial = $1 AND status = 'assigned'")
            .bind(serial)
            .bind(&p.id)
            .bind(db::instant(now))
            .execute(&mut **tx)
            .await?;
    }
    audit::record(
        tx,
        now,
        actor,
        Change::new("certificate.issue", "certificate", Some(&id)).after(json!({
            "number": number.as_str(), "practice_id": p.id, "pdf_sha256": sha256_hex(&sealed),
            "duplicate_of": prep.duplicate_of.as_ref().map(|(n, _)| n.as_str()), "replaces": prep.replaces.as_ref().map(|n| n.as_str()),
        })),
    )
    .await?;
    Ok(number.as_str().to_string())
}

/// Approving a cancellation practice cancels the certificate it names (Cert'O guide, slide 46).
/// A certificate printed on a pre-printed form is cancelled only after the officer recorded
/// the form's physical return.
pub async fn cancel_from_practice(
    tx: &mut Tx,
    state: &Ctx,
    now: DateTime<Utc>,
    actor: &Actor,
    p: &Practice,
) -> Result<(), IssueError> {
    let input = practice::signed_form(&state.db, p).await?;
    let reason = CancellationReason::parse(&input.reason).ok_or(IssueError::UnknownCertificate)?;
    let cert = by_number(&state.db, &input.certificate_number)
        .await?
        .ok_or(IssueError::UnknownCertificate)?;
    let owner = practice::get(&state.db, &cert.practice_id)
        .await?
        .map(|op| op.company_id);
    if owner.as_deref() != Some(p.company_id.as_str()) || cert.chamber_id != p.chamber_id {
        return Err(IssueError::UnknownCertificate);
    }
    cancel(
        tx,
        &state.config,
        now,
        actor,
        &cert,
        &format!("{}:{}", reason.as_str(), input.notes.trim()),
    )
    .await
}

/// Cancels a certificate (verification then shows it as cancelled), and tells the company's
/// webhooks.
pub async fn cancel(
    tx: &mut Tx,
    config: &crate::config::Config,
    now: DateTime<Utc>,
    actor: &Actor,
    cert: &Certificate,
    reason: &str,
) -> Result<(), IssueError> {
    if cert.status == "cancelled" {
        return Err(IssueError::AlreadyCancelled);
    }
    if cert.print_mode == PrintMode::Form.as_str() && cert.form_returned_at.is_none() {
        return Err(IssueError::FormNotReturned);
    }
    let cancelled = sqlx::query("UPDATE certificates SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3 WHERE id = $1 AND status = 'valid'")
        .bind(&cert.id)
        .bind(db::instant(now))
        .bind(reason)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if cancelled == 0 {
        return Err(IssueError::AlreadyCancelled);
    }
    crate::webhooks::practice_event(
        tx,
        config,
        now,
        &cert.practice_id,
        crate::webhooks::Event::CertificateCancelled,
    )
    .await?;
    audit::record(
        tx,
        now,
        actor,
        Change::new("certificate.cancel", "certificate", Some(&cert.id))
            .before(json!({"status": "valid"}))
            .after(json!({"status": "cancelled", "number": cert.number, "reason": reason})),
    )
    .await?;
    Ok(())
}

/// The officer records that the pre-printed form of a certificate came back (slide 46, 5).
pub async fn record_form_return(
    state: &Ctx,
    actor: &Actor,
    cert: &Certificate,
) -> Result<(), IssueError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE certificates SET form_returned_at = $2 WHERE id = $1 AND form_returned_at IS NULL",
    )
    .bind(&cert.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    if let Some(serial) = &cert.form_serial {
        sqlx::query(
            "UPDATE blank_forms SET status = 'returned', returned_at = $2 WHERE serial = $1",
        )
        .bind(serial)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("certificate.form_returned", "certificate", Some(&cert.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
