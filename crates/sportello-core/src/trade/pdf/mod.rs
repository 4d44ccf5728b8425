//! The PDFs of the foreign-trade module: the print preview of a base model before it is
//! signed (Cert'O guide, slide 36) and the issued certificate of origin the company prints.
//!
//! Pure functions, bytes out. Every PDF is PDF/A-3u (archival, text extractable) on A4,
//! laid out in the boxes of the EU non-preferential certificate of origin
//! (the EU certificate-of-origin form), Italian first and English second. Long texts wrap and long item
//! lists continue on continuation sheets; nothing is cut off.
//!
//! **Determinism**: the same input gives the same bytes. Dates in the PDF come from the
//! document (the model's creation instant, the certificate's issue date), and krilla derives
//! the file identifiers from a hash of the content, with no clock and no randomness.
//!
//! The certificate is a plain, single-revision PDF, so the chamber's PAdES seal can later be
//! appended as an incremental update without rewriting it.

mod box8;
mod canvas;
mod certificate;
mod layout;
mod stamped;
mod summary;
mod text;
mod visa;
mod wallet;

pub use visa::{VisaIssue, visa};
pub use wallet::{
    PaymentNotice, Receipt, Statement, StatementLine, payment_notice, receipt, statement,
};

#[cfg(test)]
pub(crate) mod samples;
#[cfg(test)]
mod tests;

use crate::i18n::Lang;
use crate::trade::document::ModelDocument;
use crate::trade::form::{BaseModelForm, CertificateNumber, FormSerial};
use crate::trade::practice_type::PrintMode;
use crate::trade::xml::model_file_name;
use chrono::{Datelike, NaiveDate, Timelike};
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font could not be read (a broken build).
    #[error("the PDF font could not be loaded")]
    Font,
    /// The verification URL is too long for a QR code.
    #[error("the verification URL does not fit in a QR code")]
    QrCode,
    /// krilla refused the document (for example a PDF/A rule); the text is its report.
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// What the chamber adds when it issues a certificate of origin.
#[derive(Clone, Debug)]
pub struct CertificateIssue {
    /// The national certificate number, printed top right (e.g. `C26GE0000123`).
    pub number: CertificateNumber,
    /// The security code printed in box 8, asked for by the verification page.
    pub security_code: String,
    /// The issue date, printed in box 8 with the place.
    pub issued_on: NaiveDate,
    /// The issuing chamber, printed in box 8 (e.g. `Camera di Commercio di Genova`).
    pub chamber_name: String,
    /// The place of issue, printed in box 8 before the date: the desk's town (`Genova`).
    pub place: String,
    /// The public verification address, printed in box 8 and encoded in the QR code; build
    /// it with [`verification_url`].
    pub verify_url: String,
    /// For a duplicate of a lost or stolen certificate: the original's number and issue date
    /// (certificate-of-origin special cases). Prints "DUPLICATO / DUPLICATE" and cites the original.
    pub duplicate_of: Option<(CertificateNumber, NaiveDate)>,
    /// For a certificate that replaces a cancelled one: its number, cited in box 5.
    pub replaces: Option<CertificateNumber>,
    /// Plain paper (the norm) or a pre-printed official form (legacy).
    pub print_mode: PrintMode,
    /// The official form's serial, printed in the header with [`PrintMode::Form`].
    pub form_serial: Option<FormSerial>,
    /// The signed base model's XML (the content of the `.p7m`), embedded in the PDF as an
    /// attachment named by [`model_file_name`].
    pub model_xml: Vec<u8>,
    /// The documents of the practice on which the chamber put visas or legalisations, listed
    /// on a last page after the original and its copies (see `stamped`). Empty: no such page.
    pub stamped: Vec<StampedDocument>,
}

/// A document stamped with a certificate of origin, as the certificate lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StampedDocument {
    /// The number of the sealed visa issued for it (`GE/2026/0000007-V1`).
    pub visa_number: String,
    pub description: String,
    pub file_name: String,
    /// The SHA-256 of the document, hex.
    pub sha256: String,
    /// An invoice: its visa is the visa of signing powers on the invoice.
    pub invoice: bool,
    pub visas: i64,
    pub legalisations: i64,
}

/// Characters a query value keeps as they are (RFC 3986 unreserved).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `{public_url}/verify/{number}?code={security_code}`, the code percent-encoded.
pub fn verification_url(
    public_url: &str,
    number: &CertificateNumber,
    security_code: &str,
) -> String {
    let code = percent_encoding::utf8_percent_encode(security_code, QUERY_VALUE);
    format!(
        "{}/verify/{}?code={code}",
        public_url.trim_end_matches('/'),
        number.as_str()
    )
}

/// The print preview of a base model, before it is signed. A certificate of origin is drawn
/// in the certificate's layout with box 8 empty; the other practice types as a summary of
/// the request. Every page says "ANTEPRIMA — NON VALIDA / PREVIEW — NOT VALID". `lang`
/// chooses which name of a country comes first; labels are always Italian and English.
pub fn preview(doc: &ModelDocument, lang: Lang) -> Result<Vec<u8>, PdfError> {
    let fonts = text::Fonts::load().ok_or(PdfError::Font)?;
    let sheets = match &doc.form {
        BaseModelForm::CertificateOfOrigin(form) => {
            certificate::sheets(&fonts, doc, form, &certificate::Mode::Preview, lang)?
        }
        _ => summary::sheets(&fonts, doc, lang),
    };
    let title = format!(
        "Anteprima modello base / Base model preview {}",
        model_file_name(doc)
    );
    let created = pdf_instant(doc.created_at.naive_utc());
    finish(
        &fonts,
        &sheets,
        title,
        format!("{}-v{}", doc.model_id, doc.version),
        created,
        lang,
        None,
    )
}

/// The issued certificate of origin: the original only. See [`certificate_copies`].
pub fn certificate(
    doc: &ModelDocument,
    issue: &CertificateIssue,
    lang: Lang,
) -> Result<Vec<u8>, PdfError> {
    certificate_copies(doc, issue, lang, 0)
}

/// The issued certificate of origin: the original, then `copies` copies marked
/// "COPIA / COPY" with the same boxes (certificate-of-origin special cases), then the list of
/// the documents stamped with it (if any), in one PDF, with the signed base model embedded. A document that is not a certificate of origin gets its request
/// summary instead (nothing else is issued as a certificate).
pub fn certificate_copies(
    doc: &ModelDocument,
    issue: &CertificateIssue,
    lang: Lang,
    copies: u32,
) -> Result<Vec<u8>, PdfError> {
    let fonts = text::Fonts::load().ok_or(PdfError::Font)?;
    let mut sheets = Vec::new();
    match &doc.form {
        BaseModelForm::CertificateOfOrigin(form) => {
            for copy in 0..=copies {
                let mode = certificate::Mode::Issued {
                    issue,
                    copy: copy > 0,
                };
                sheets.extend(certificate::sheets(&fonts, doc, form, &mode, lang)?);
            }
        }
        _ => sheets.extend(summary::sheets(&fonts, doc, lang)),
    }
    sheets.extend(stamped::sheets(
        &fonts,
        issue.number.as_str(),
        &issue.chamber_name,
        &issue.stamped,
    ));
    let title = format!(
        "Certificato di origine / Certificate of origin {}",
        issue.number
    );
    let issued = issue.issued_on.and_hms_opt(0, 0, 0).unwrap_or_default();
    let attachment = EmbeddedFile {
        path: model_file_name(doc),
        mime_type: MimeType::new("application/xml"),
        description: Some(
            "Modello base firmato dal richiedente / Base model signed by the applicant".into(),
        ),
        association_kind: AssociationKind::Source,
        data: issue.model_xml.clone().into(),
        modification_date: Some(pdf_instant(doc.created_at.naive_utc())),
        compress: Some(true),
        location: None,
    };
    finish(
        &fonts,
        &sheets,
        title,
        issue.number.as_str().to_string(),
        pdf_instant(issued),
        lang,
        Some(attachment),
    )
}

/// Copies of an issued certificate, without the original: `copies` pages (sets) marked
/// "COPIA / COPY", for a certificate-copy practice (Cert'O guide, slides 48–56).
pub fn certificate_copies_only(
    doc: &ModelDocument,
    issue: &CertificateIssue,
    lang: Lang,
    copies: u32,
) -> Result<Vec<u8>, PdfError> {
    let fonts = text::Fonts::load().ok_or(PdfError::Font)?;
    let BaseModelForm::CertificateOfOrigin(form) = &doc.form else {
        return Err(PdfError::Write(
            "copies are made of certificates of origin only".into(),
        ));
    };
    let mut sheets = Vec::new();
    for _ in 0..copies.max(1) {
        let mode = certificate::Mode::Issued { issue, copy: true };
        sheets.extend(certificate::sheets(&fonts, doc, form, &mode, lang)?);
    }
    let issued = issue.issued_on.and_hms_opt(0, 0, 0).unwrap_or_default();
    finish(
        &fonts,
        &sheets,
        format!(
            "Copie del certificato / Copies of certificate {}",
            issue.number
        ),
        format!("{}-copie", issue.number),
        pdf_instant(issued),
        lang,
        None,
    )
}

fn pdf_instant(t: chrono::NaiveDateTime) -> DateTime {
    DateTime::new(u16::try_from(t.year()).unwrap_or(2000))
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

fn finish(
    fonts: &text::Fonts,
    sheets: &[canvas::Sheet],
    title: String,
    document_id: String,
    created: DateTime,
    lang: Lang,
    attachment: Option<EmbeddedFile>,
) -> Result<Vec<u8>, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_U)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(title)
            .creator("Sportello".into())
            .language(lang.code().into())
            .creation_date(created)
            .document_id(document_id),
    );
    canvas::draw(&mut document, fonts, sheets);
    if let Some(file) = attachment {
        document
            .embed_file(file)
            .ok_or_else(|| PdfError::Write("the attachment could not be embedded".into()))?;
    }
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}
