//! The check of a file signed by one of a company's legal representatives (issue 15, item
//! 2): a delegation that lets a person act for the company, and any other paper the company
//! grants through its representative. `firma` verifies the file against the trust anchors of
//! the company's chamber; a valid signer's tax code must be one the Registry lists as the
//! company's legal representative (`rappresentanti` of the import); the signer's certificate
//! must not be revoked — asked last, since it may use the network.

use crate::Ctx;
use crate::blobs::sha256_hex;
use crate::trade::practice::signer_checks::{self, Relation, SignerRefusal};
use chrono::{DateTime, Utc};

/// The largest signed delegation accepted: a few pages of PDF, signed, with room to spare.
pub const MAX_DELEGATION_BYTES: usize = 20 * 1024 * 1024;

/// A file signed by one of the company's legal representatives (issue 15, item 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepresentativeSignature {
    /// `CAdES` (a `.p7m`) or `PAdES` (a signed PDF).
    pub format: String,
    /// The representative's tax code, as the certificate carries it.
    pub signer_tax_code: String,
    /// The representative's name from the certificate (as written there, often in capitals).
    pub signer_name: String,
    /// The certificate's subject and issuer (RFC 4514) and serial (hex), for the record.
    pub signer_subject: String,
    pub certificate_issuer: String,
    pub certificate_serial: String,
    /// When the signer's software says it signed (`signingTime`, or the PDF's `/M`); none
    /// when the signature does not say.
    pub signed_at: Option<DateTime<Utc>>,
    /// When the file was checked: the certificate was valid and not revoked then.
    pub checked_at: DateTime<Utc>,
    /// The revocation of a certificate on the signer's path could not be checked (no
    /// responder answered) and the chamber accepts the file anyway: the office is told.
    pub revocation_unverified: bool,
    /// SHA-256 of the uploaded file, lowercase hex.
    pub file_sha256: String,
    /// The signed PDF: the content of the `.p7m`, or the uploaded PDF itself for PAdES.
    pub content: Vec<u8>,
}

/// Why a file is not a delegation signed by a legal representative of the company. Each case
/// has its own message ([`DelegationRefusal::key`]); nothing is kept of a refused file.
#[derive(Debug, thiserror::Error)]
pub enum DelegationRefusal {
    #[error("no file was given")]
    Empty,
    #[error("the file is larger than {} MB", MAX_DELEGATION_BYTES / (1024 * 1024))]
    TooLarge,
    /// Neither a PDF nor a `.p7m`, or a `.p7m` whose content is not a PDF.
    #[error("the file is not a PDF nor a signed .p7m of a PDF")]
    NotPdf,
    /// A PDF without a signature, or a file that is no signature envelope at all.
    #[error("the file is not digitally signed")]
    NotSigned,
    /// The signature does not verify: the file was changed after signing, the certificate does
    /// not chain to a trusted authority, and the like (the verifier's sentences, in Italian).
    #[error("the signature is not valid: {problems}")]
    SignatureInvalid { problems: String },
    /// The signer's certificate had expired (or was not yet valid) when the file was checked.
    #[error("the signer's certificate is expired or not yet valid")]
    CertificateExpired,
    /// A certificate on the signer's path is revoked: holder and revocation instant.
    #[error("the signer's certificate is revoked ({holder}, {at})")]
    Revoked { holder: String, at: String },
    /// No responder answered and the chamber refuses in that case.
    #[error("the revocation of the signer's certificate could not be checked ({holder})")]
    RevocationUnavailable { holder: String },
    /// No valid signer is a legal representative of the company per the Registry: the first
    /// signer's name and tax code (none when the certificate carries none).
    #[error("the signer is not a legal representative of the company")]
    NotRepresentative {
        holder: String,
        tax_code: Option<String>,
    },
    #[error("the company is not in the Registry")]
    UnknownCompany,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl DelegationRefusal {
    /// The message key of the refusal (`delegation-refused-…`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Empty => "delegation-refused-empty",
            Self::TooLarge => "delegation-refused-too-large",
            Self::NotPdf => "delegation-refused-not-pdf",
            Self::NotSigned => "delegation-refused-not-signed",
            Self::SignatureInvalid { .. } => "delegation-refused-signature-invalid",
            Self::CertificateExpired => "delegation-refused-certificate-expired",
            Self::Revoked { .. } => "delegation-refused-revoked",
            Self::RevocationUnavailable { .. } => "delegation-refused-revocation-unavailable",
            Self::NotRepresentative { tax_code: None, .. } => {
                "delegation-refused-signer-without-tax-code"
            }
            Self::NotRepresentative { .. } => "delegation-refused-not-representative",
            Self::UnknownCompany => "delegation-refused-unknown-company",
            Self::Db(_) => "delegation-refused-failed",
        }
    }

    /// A stable machine-readable code (the API's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "file_missing",
            Self::TooLarge => "payload_too_large",
            Self::NotPdf => "not_pdf",
            Self::NotSigned => "not_signed",
            Self::SignatureInvalid { .. } => "signature_invalid",
            Self::CertificateExpired => "certificate_expired",
            Self::Revoked { .. } => "signer_revoked",
            Self::RevocationUnavailable { .. } => "revocation_unavailable",
            Self::NotRepresentative { .. } => "signer_not_representative",
            Self::UnknownCompany => "unknown_company",
            Self::Db(_) => "internal",
        }
    }
}

/// Does the input start as a PDF (the header PDF readers look for)?
fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// The chamber whose trust anchors and rules apply to the company's papers: the one serving
/// the province of its head office in the Registry, else of any of its sites (Cert'O guide:
/// the company's chamber is the one where it is registered). None when no chamber serves them.
pub async fn company_chamber(
    db: &crate::db::Db,
    company_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT cp.chamber_id FROM sites s JOIN chamber_provinces cp ON cp.province = s.province \
         WHERE s.company_id = $1 \
         ORDER BY CASE WHEN s.kind = 'head_office' THEN 0 ELSE 1 END, cp.chamber_id LIMIT 1",
    )
    .bind(company_id)
    .fetch_optional(db.pool())
    .await
}

/// A file signed by one of the company's legal representatives (issue 15, item 2).
///
/// Issue 15, item 2: a person the Registry does not list acts for a company on a delegation
/// "signed by a legal representative (PDF with PAdES or `.p7m`, checked with `firma`: signer =
/// a representative, not revoked)". In order: size, a signature `firma` can read, a PDF as
/// signed content, every signature valid now against the anchors of the company's chamber
/// (certificate in its validity period: the signing time in the file is the signer's own
/// claim, so the check time is what counts), a valid signer listed as the company's legal
/// representative, and no certificate on the signer's path revoked.
pub async fn check_representative_signature(
    ctx: &Ctx,
    company_id: &str,
    file: &[u8],
    file_name: &str,
) -> Result<RepresentativeSignature, DelegationRefusal> {
    if file.is_empty() {
        return Err(DelegationRefusal::Empty);
    }
    if file.len() > MAX_DELEGATION_BYTES {
        return Err(DelegationRefusal::TooLarge);
    }
    let known: Option<String> = sqlx::query_scalar("SELECT id FROM companies WHERE id = $1")
        .bind(company_id)
        .fetch_optional(ctx.db.pool())
        .await?;
    if known.is_none() {
        return Err(DelegationRefusal::UnknownCompany);
    }
    let chamber = company_chamber(&ctx.db, company_id).await?;
    let now = ctx.clock.now();
    let opts = firma::VerifyOptions {
        trust_anchors: crate::trust::anchors_for(&ctx.db, chamber.as_deref()).await?,
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: now.into(),
    };
    let named_p7m = file_name.trim().to_ascii_lowercase().ends_with(".p7m");
    let report = match firma::verify(file, &opts) {
        Ok(report) => report,
        Err(_) if is_pdf(file) || named_p7m => return Err(DelegationRefusal::NotSigned),
        Err(_) => return Err(DelegationRefusal::NotPdf),
    };
    let content = match report.format {
        firma::Format::Pades => file.to_vec(),
        firma::Format::Cades => report.content.clone(),
    };
    if !report.valid {
        return Err(invalid(&report));
    }
    if !is_pdf(&content) {
        return Err(DelegationRefusal::NotPdf);
    }
    // The chamber's rules (a signer not among the company's people, an unreachable
    // responder) are read from the company's chamber; the defaults when none serves it.
    let chamber = chamber.unwrap_or_default();
    let people =
        match signer_checks::check_company_people(ctx, &chamber, company_id, &report).await? {
            Ok(people) => people,
            Err(SignerRefusal::NotCompanyPerson { holder, tax_code }) => {
                return Err(DelegationRefusal::NotRepresentative { holder, tax_code });
            }
            Err(other) => return Err(refusal(other)),
        };
    let Some(person) = people
        .iter()
        .find(|p| p.relation == Relation::Representative)
    else {
        let first = people.first();
        return Err(DelegationRefusal::NotRepresentative {
            holder: first.map(|p| p.holder.clone()).unwrap_or_default(),
            tax_code: first.and_then(|p| p.tax_code.clone()),
        });
    };
    let outcome = signer_checks::check_revocation(ctx, &chamber, &report, now)
        .await?
        .map_err(refusal)?;
    let signer = report
        .signers
        .get(person.signer_index)
        .cloned()
        .unwrap_or_default();
    Ok(RepresentativeSignature {
        format: report.format.as_str().to_string(),
        signer_tax_code: person.tax_code.clone().unwrap_or_default(),
        signer_name: person.holder.clone(),
        signer_subject: signer.subject,
        certificate_issuer: signer.issuer,
        certificate_serial: signer.serial,
        signed_at: signer
            .signing_time
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        checked_at: now,
        revocation_unverified: outcome.unavailable().next().is_some(),
        file_sha256: sha256_hex(file),
        content,
    })
}

/// Why a report that does not verify is refused: an expired certificate and a revocation
/// the verifier found have their own message; anything else is told in the verifier's words.
fn invalid(report: &firma::Report) -> DelegationRefusal {
    let problems = || {
        report
            .problems
            .iter()
            .chain(report.signers.iter().flat_map(|s| s.problems.iter()))
    };
    if let Some(firma::Problem::Revoked { date }) =
        problems().find(|p| matches!(p, firma::Problem::Revoked { .. }))
    {
        let holder = report
            .signers
            .iter()
            .find(|s| s.problems.iter().any(|p| p.code() == "revoked"))
            .map(|s| crate::revocation::holder_name(&s.certificate_der))
            .unwrap_or_default();
        return DelegationRefusal::Revoked {
            holder,
            at: date.clone(),
        };
    }
    if problems().any(|p| {
        matches!(
            p,
            firma::Problem::CertificateExpired | firma::Problem::CertificateNotYetValid
        )
    }) {
        return DelegationRefusal::CertificateExpired;
    }
    let sentences: Vec<String> = problems().map(|p| p.message(firma::Lang::It)).collect();
    DelegationRefusal::SignatureInvalid {
        problems: sentences.join("; "),
    }
}

fn refusal(r: SignerRefusal) -> DelegationRefusal {
    match r {
        SignerRefusal::Revoked { holder, at } => DelegationRefusal::Revoked { holder, at },
        SignerRefusal::RevocationUnavailable { holder } => {
            DelegationRefusal::RevocationUnavailable { holder }
        }
        SignerRefusal::NotCompanyPerson { holder, tax_code } => {
            DelegationRefusal::NotRepresentative { holder, tax_code }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pdf_header_makes_a_pdf() {
        assert!(is_pdf(b"%PDF-1.7\n"));
        assert!(!is_pdf(b"PK\x03\x04"));
        assert!(!is_pdf(b""));
    }

    #[test]
    fn every_refusal_has_its_own_message() {
        let all = [
            DelegationRefusal::Empty,
            DelegationRefusal::TooLarge,
            DelegationRefusal::NotPdf,
            DelegationRefusal::NotSigned,
            DelegationRefusal::SignatureInvalid {
                problems: String::new(),
            },
            DelegationRefusal::CertificateExpired,
            DelegationRefusal::Revoked {
                holder: String::new(),
                at: String::new(),
            },
            DelegationRefusal::RevocationUnavailable {
                holder: String::new(),
            },
            DelegationRefusal::NotRepresentative {
                holder: String::new(),
                tax_code: Some("RSSMRA80A01H501U".into()),
            },
            DelegationRefusal::NotRepresentative {
                holder: String::new(),
                tax_code: None,
            },
            DelegationRefusal::UnknownCompany,
        ];
        let keys: std::collections::HashSet<&str> = all.iter().map(|r| r.key()).collect();
        assert_eq!(keys.len(), all.len());
    }
}
