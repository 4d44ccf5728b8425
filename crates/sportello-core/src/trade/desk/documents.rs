//! What approval issues beside the certificate of origin (Cert'O guide, slides 44 and 48–56):
//! a sealed visa for each attached document on which visas or legalisations were asked, on
//! every practice type that allows them, and, for a certificate-copy practice, the requested
//! copies of an issued certificate.
//!
//! Why one sealed visa per stamped document, also beside a certificate of origin: on paper
//! the chamber stamps the invoice itself, and the customs officer checks the stamp on the
//! invoice that travels with the goods. The digital equivalent is a sealed PDF that carries
//! the invoice (embedded, bound by its SHA-256) and states the visas and legalisations put on
//! it, so the invoice can be presented and checked on its own; the certificate of origin
//! lists the same visas by number and fingerprint (see `pdf::StampedDocument`), so the
//! officer reading the certificate knows which documents the chamber stamped with it.

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::blobs::sha256_hex;
use crate::chambers;
use crate::clock::italian_day;
use crate::db::{self, Db, Tx};
use crate::i18n::Lang;
use crate::trade::desk::certificate::{self, IssueError};
use crate::trade::form::{CertificateNumber, FormSerial};
use crate::trade::pdf::{self, CertificateIssue, VisaIssue};
use crate::trade::practice::{self, Practice, attachments};
use crate::trade::practice_type::{DocumentCode, PracticeType, PrintMode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// A document issued for a practice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct IssuedDocument {
    pub id: String,
    pub practice_id: String,
    pub kind: String,
    pub number: String,
    pub attachment_id: Option<String>,
    pub certificate_number: Option<String>,
    pub blob: String,
    pub sha256: String,
    pub issued_at: String,
}

pub async fn of_practice(db: &Db, practice_id: &str) -> Result<Vec<IssuedDocument>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, practice_id, kind, number, attachment_id, certificate_number, blob, sha256, issued_at \
         FROM issued_documents WHERE practice_id = $1 ORDER BY number",
    )
    .bind(practice_id)
    .fetch_all(db.pool())
    .await
}

/// One document to issue, already rendered and sealed.
pub struct Ready {
    kind: &'static str,
    number: String,
    attachment_id: Option<String>,
    certificate_number: Option<String>,
    pdf: Vec<u8>,
}

/// Renders and seals what approving `p` issues, before the transaction (slow work outside
/// the lock). Empty for practice types that issue nothing here.
pub async fn prepare(state: &Ctx, p: &Practice) -> Result<Vec<Ready>, IssueError> {
    if !p.practice_type.has_visas() {
        return Ok(Vec::new());
    }
    let chamber = chambers::get_chamber(&state.db, &p.chamber_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    let desk = chambers::get_desk(&state.db, &p.desk_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    let now = state.clock.now();
    let today = italian_day(now);
    let protocol = p.protocol_number.clone().unwrap_or_default();
    let mut out = Vec::new();
    if p.practice_type == PracticeType::CertificateCopy {
        out.extend(copies(state, p, &chamber, &desk, &protocol, now).await?);
    }
    let stamped = attachments::stamped(&protocol, attachments::list(&state.db, &p.id).await?);
    if stamped.is_empty() {
        return Ok(out);
    }
    let input = practice::signed_form(&state.db, p).await?;
    let destination = crate::trade::Country::parse(&input.destination_country)
        .or_else(|_| crate::trade::Country::parse(&input.consignee.country))
        .ok()
        .map(|c| c.name_it().to_string());
    let company = crate::registry::get_company(&state.db, &p.company_id)
        .await?
        .ok_or(IssueError::InvalidModel)?;
    for (number, a) in stamped {
        let document = state.blobs.get(&a.blob).await?;
        let issue = VisaIssue {
            number: number.clone(),
            protocol_number: protocol.clone(),
            issued_on: today,
            chamber_name: chamber.name.clone(),
            place: desk.name.clone(),
            company_name: company.name.clone(),
            company_tax_code: company.tax_code.as_str().into(),
            invoice_visa: p.practice_type == PracticeType::InvoiceVisa
                || a.code == DocumentCode::Invoice.as_str(),
            destination: destination.clone(),
            document_description: a.description.clone(),
            document_file_name: a.file_name.clone(),
            document_content_type: a.content_type.clone(),
            document_sha256: sha256_hex(&document),
            document,
            visas: a.visas,
            legalisations: a.legalisations,
        };
        let unsealed = pdf::visa(&issue, Lang::It).map_err(|e| IssueError::Pdf(e.to_string()))?;
        let pdf = seal(
            state,
            &chamber.id,
            &unsealed,
            now,
            &format!("Visto {number}"),
            &desk.name,
        )
        .await?;
        out.push(Ready {
            kind: "visa",
            number,
            attachment_id: Some(a.id),
            certificate_number: None,
            pdf,
        });
    }
    Ok(out)
}

/// The copies a certificate-copy practice asks for, when the certificate was issued here.
async fn copies(
    state: &Ctx,
    p: &Practice,
    chamber: &chambers::Chamber,
    desk: &chambers::Desk,
    protocol: &str,
    now: DateTime<Utc>,
) -> Result<Option<Ready>, IssueError> {
    let input = practice::signed_form(&state.db, p).await?;
    // A copy of a certificate issued here is printed again; one issued elsewhere (or on
    // paper, before this platform) is handled by the office outside it.
    let Some(cert) = certificate::by_number(&state.db, &input.certificate_number).await? else {
        return Ok(None);
    };
    let original = practice::get(&state.db, &cert.practice_id)
        .await?
        .ok_or(IssueError::UnknownCertificate)?;
    if original.company_id != p.company_id || cert.chamber_id != p.chamber_id {
        return Err(IssueError::UnknownCertificate);
    }
    let code = crate::trade::desk::security_code::reveal(state, &cert.id).await?;
    let (Some(code), Some(number)) = (code, CertificateNumber::parse(&cert.number)) else {
        return Ok(None);
    };
    let (doc, xml) = certificate::signed_document(state, &original).await?;
    let issue = CertificateIssue {
        verify_url: pdf::verification_url(&state.config.public_url, &number, &code),
        number: number.clone(),
        security_code: code,
        issued_on: db::parse_date(&cert.issued_on)?,
        chamber_name: chamber.name.clone(),
        place: desk.name.clone(),
        duplicate_of: None,
        replaces: cert.replaces.as_deref().and_then(CertificateNumber::parse),
        print_mode: PrintMode::parse(&cert.print_mode).unwrap_or(PrintMode::BlankPaper),
        form_serial: cert.form_serial.as_deref().and_then(FormSerial::parse),
        model_xml: xml,
        stamped: Vec::new(),
    };
    let copies = u32::try_from(p.copies.max(1)).unwrap_or(1);
    let unsealed = pdf::certificate_copies_only(&doc, &issue, Lang::It, copies)
        .map_err(|e| IssueError::Pdf(e.to_string()))?;
    let pdf = seal(
        state,
        &chamber.id,
        &unsealed,
        now,
        &format!("Copie del certificato {number}"),
        &desk.name,
    )
    .await?;
    Ok(Some(Ready {
        kind: "copy",
        number: format!("{protocol}-C"),
        attachment_id: None,
        certificate_number: Some(cert.number),
        pdf,
    }))
}

async fn seal(
    state: &Ctx,
    chamber_id: &str,
    pdf: &[u8],
    now: DateTime<Utc>,
    reason: &str,
    place: &str,
) -> Result<Vec<u8>, IssueError> {
    let key = crate::seal::load(state, chamber_id)
        .await
        .map_err(|e| IssueError::Seal(e.to_string()))?
        .ok_or(IssueError::NoSeal)?;
    crate::seal::seal_pdf(pdf, &key, now, reason, place)
        .map_err(|e| IssueError::Seal(e.to_string()))
}

/// Stores the prepared documents inside the approval's transaction; returns their numbers.
pub async fn issue(
    tx: &mut Tx,
    state: &Ctx,
    now: DateTime<Utc>,
    actor: &Actor,
    p: &Practice,
    ready: Vec<Ready>,
) -> Result<Vec<String>, IssueError> {
    let mut numbers = Vec::new();
    for r in ready {
        let blob = state.blobs.put(&r.pdf).await?;
        let id = db::new_id();
        sqlx::query(
            "INSERT INTO issued_documents (id, practice_id, kind, number, attachment_id, certificate_number, blob, sha256, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&p.id)
        .bind(r.kind)
        .bind(&r.number)
        .bind(&r.attachment_id)
        .bind(&r.certificate_number)
        .bind(&blob)
        .bind(sha256_hex(&r.pdf))
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
        audit::record(
            tx,
            now,
            actor,
            Change::new("document.issue", "issued_document", Some(&id))
                .after(json!({"kind": r.kind, "number": r.number, "practice_id": p.id, "sha256": sha256_hex(&r.pdf)})),
        )
        .await?;
        numbers.push(r.number);
    }
    Ok(numbers)
}
