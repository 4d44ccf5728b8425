//! What a practice issued, as an ERP reads it: the certificate of origin (number, security
//! code, status, replacement, date, where to download it) and the other documents (visas,
//! copies), each with the API address of its PDF.
//!
//! The security code is printed on the certificate the company receives, so the company's own
//! view carries it; nobody else's does (an officer reads it on the certificate itself), and
//! neither does a webhook body, which is kept in the delivery queue: the code is never stored
//! in clear (see `security_code`).

use crate::Ctx;
use crate::accounts::Principal;
use crate::authz::{self, AccessError, Action};
use crate::clock::italian_day;
use crate::db::{self, Tx};
use crate::trade::desk::{certificate, documents, security_code};
use crate::trade::practice::{self, Practice};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// The certificate of origin a practice issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CertificateBlock {
    /// The national number, `C26GE0000001`.
    pub number: String,
    /// The security code printed on the certificate: only in the company's own view, `null`
    /// elsewhere (and in webhook bodies).
    pub security_code: Option<String>,
    /// `valid` or `cancelled`.
    pub status: String,
    /// The number of the certificate that replaced this one, if any.
    pub replaced_by: Option<String>,
    /// The day of issue (Italian calendar day, `YYYY-MM-DD`).
    pub issued_on: NaiveDate,
    /// Where the sealed PDF is downloaded (`GET`, bearer token).
    pub pdf_url: String,
}

/// Another document a practice issued: a visa on an attached document, or copies of a
/// certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DocumentBlock {
    /// `visa` or `copy`.
    pub kind: String,
    /// The document's number: the protocol number and `-V1`, `-V2`… for visas, `-C` for copies.
    pub number: String,
    /// The day of issue (Italian calendar day, `YYYY-MM-DD`).
    pub issued_on: NaiveDate,
    /// Where the sealed PDF is downloaded (`GET`, bearer token).
    pub url: String,
}

/// Everything a practice issued.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Issued {
    pub certificate: Option<CertificateBlock>,
    pub documents: Vec<DocumentBlock>,
}

/// The API address of a practice's certificate PDF.
pub fn certificate_url(public_url: &str, practice_id: &str) -> String {
    format!("{public_url}/api/v1/practices/{practice_id}/certificate.pdf")
}

/// The API address of a document a practice issued.
pub fn document_url(public_url: &str, practice_id: &str, document_id: &str) -> String {
    format!("{public_url}/api/v1/practices/{practice_id}/documents/{document_id}")
}

/// Whether `principal` reads the practice as its company does (and so sees the code printed
/// on the certificate the company receives).
pub fn company_view(principal: &Principal, p: &Practice) -> bool {
    authz::allows(principal.role(), Action::ViewOwnPractices)
        && principal.acts_for_company(&p.company_id)
}

/// What practice `p` issued, for a principal who may read it (`practice::readable_by`;
/// `NotFound` otherwise). The security code only in the company's own view.
pub async fn of_practice(
    state: &Ctx,
    principal: &Principal,
    p: &Practice,
) -> Result<Issued, AccessError> {
    if !practice::readable_by(principal, p) {
        return Err(AccessError::NotFound);
    }
    let docs = documents_of(&state.db, p).await?;
    of_practice_with_documents(state, principal, p, &docs).await
}

/// The documents issued for `p` (`documents::of_practice`), read only for a practice that
/// reached the office: a draft has issued nothing, since the office issues certificates and
/// documents only for what was sent to it, and nothing moves a practice back to draft
/// (`PracticeStatus::apply`).
pub async fn documents_of(
    db: &crate::db::Db,
    p: &Practice,
) -> Result<Vec<documents::IssuedDocument>, sqlx::Error> {
    if p.status == practice::PracticeStatus::Draft {
        return Ok(Vec::new());
    }
    documents::of_practice(db, &p.id).await
}

/// [`of_practice`] with the practice's issued documents already read ([`documents_of`]), for
/// a caller that shows them elsewhere too (the practice's JSON lists them with the
/// attachments).
pub async fn of_practice_with_documents(
    state: &Ctx,
    principal: &Principal,
    p: &Practice,
    docs: &[documents::IssuedDocument],
) -> Result<Issued, AccessError> {
    if !practice::readable_by(principal, p) {
        return Err(AccessError::NotFound);
    }
    let public_url = &state.config.public_url;
    // A draft has no certificate (see `documents_of`).
    let certificate = if p.status == practice::PracticeStatus::Draft {
        None
    } else {
        certificate::of_practice(&state.db, &p.id).await?
    };
    let certificate = match certificate {
        Some(c) => {
            let security_code = if company_view(principal, p) {
                match security_code::reveal(state, &c.id).await {
                    Ok(code) => code,
                    Err(security_code::CodeError::Db(e)) => return Err(e.into()),
                    // A code that no longer decrypts (the seal key changed) is missing from
                    // the answer rather than failing it: the PDF still carries it.
                    Err(e) => {
                        tracing::warn!(certificate = %c.id, error = %e, "security code not readable");
                        None
                    }
                }
            } else {
                None
            };
            Some(CertificateBlock {
                security_code,
                status: c.status,
                replaced_by: c.replaced_by,
                issued_on: db::parse_date(&c.issued_on)?,
                pdf_url: certificate_url(public_url, &p.id),
                number: c.number,
            })
        }
        None => None,
    };
    let mut documents_out = Vec::new();
    for d in docs {
        documents_out.push(DocumentBlock {
            url: document_url(public_url, &p.id, &d.id),
            issued_on: italian_day(db::parse_instant(&d.issued_at)?),
            kind: d.kind.clone(),
            number: d.number.clone(),
        });
    }
    Ok(Issued {
        certificate,
        documents: documents_out,
    })
}

/// The certificate block of practice `practice_id` as `tx` sees it (for a webhook body,
/// written in the transaction that changed it): never with the security code.
pub async fn certificate_in(
    tx: &mut Tx,
    public_url: &str,
    practice_id: &str,
) -> Result<Option<CertificateBlock>, sqlx::Error> {
    let row: Option<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT number, status, replaced_by, issued_on FROM certificates WHERE practice_id = $1",
    )
    .bind(practice_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|(number, status, replaced_by, issued_on)| {
        Ok(CertificateBlock {
            number,
            security_code: None,
            status,
            replaced_by,
            issued_on: db::parse_date(&issued_on)?,
            pdf_url: certificate_url(public_url, practice_id),
        })
    })
    .transpose()
}
