//! The sealed visa: one page per stamped document, stating which visas and legalisations the
//! chamber put on it, and carrying the document itself as an embedded file bound to the page
//! by its SHA-256 (Cert'O guide, slides 48–56; visas and legalisations). The chamber's PAdES seal,
//! added afterwards, covers both.

use crate::i18n::Lang;
use crate::trade::pdf::canvas::{BLUE, GREY};
use crate::trade::pdf::layout::{self, Flow, LEFT, TOP, date};
use crate::trade::pdf::summary::Writer;
use crate::trade::pdf::text::{Fonts, Weight};
use crate::trade::pdf::{PdfError, finish, pdf_instant};
use chrono::NaiveDate;
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};

/// What a visa page says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisaIssue {
    /// The visa's number: the practice's protocol number and the document's position.
    pub number: String,
    pub protocol_number: String,
    pub issued_on: NaiveDate,
    pub chamber_name: String,
    pub place: String,
    pub company_name: String,
    pub company_tax_code: String,
    /// Invoice visa (visto poteri di firma su fattura) or another visa/attestation.
    pub invoice_visa: bool,
    pub destination: Option<String>,
    pub document_description: String,
    pub document_file_name: String,
    pub document_content_type: String,
    pub document: Vec<u8>,
    pub document_sha256: String,
    pub visas: i64,
    pub legalisations: i64,
}

pub fn visa(v: &VisaIssue, lang: Lang) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load().ok_or(PdfError::Font)?;
    let chamber = v.chamber_name.clone();
    let number = v.number.clone();
    let flow = Flow::new(|sheet| {
        sheet.coloured(LEFT, TOP + 16.0, 14.0, Weight::Bold, BLUE, &chamber);
        sheet.coloured(LEFT, TOP + 34.0, 12.0, Weight::Bold, BLUE, "VISTO / VISA");
        sheet.coloured(
            LEFT,
            TOP + 50.0,
            10.0,
            Weight::Regular,
            GREY,
            &format!("N. / No. {number}"),
        );
        TOP + 64.0
    });
    let mut w = Writer {
        fonts: &fonts,
        flow,
    };
    w.heading("Pratica / Practice");
    w.field("Protocollo / Protocol", &v.protocol_number);
    w.field(
        "Impresa / Company",
        &format!("{} — {}", v.company_name, v.company_tax_code),
    );
    if let Some(d) = &v.destination {
        w.field("Paese di destinazione / Country of destination", d);
    }
    w.heading("Documento / Document");
    w.field("Descrizione / Description", &v.document_description);
    w.field("File", &v.document_file_name);
    w.field("Impronta SHA-256 / SHA-256 fingerprint", &v.document_sha256);
    w.heading("Visti e legalizzazioni / Visas and legalisations");
    let kind = if v.invoice_visa {
        "Visto poteri di firma sulla fattura / Visa of signing powers on the invoice"
    } else {
        "Visto / Visa"
    };
    w.field(kind, &v.visas.to_string());
    if v.legalisations > 0 {
        w.field(
            "Legalizzazione di firma / Legalisation of signature",
            &v.legalisations.to_string(),
        );
    }
    w.heading("Attestazione / Statement");
    w.paragraph(
        &format!(
            "La {} attesta che il documento identificato dall'impronta SHA-256 sopra indicata, allegato \
             a questo atto, è stato presentato con la pratica {} e reca i visti indicati. Il visto attesta \
             i poteri di firma del sottoscrittore o il deposito del documento, non la veridicità del suo contenuto.",
            v.chamber_name, v.protocol_number
        ),
        9.0,
        Weight::Regular,
    );
    w.flow.y += 4.0;
    w.paragraph(
        &format!(
            "The {} certifies that the document identified by the SHA-256 fingerprint above, embedded in this \
             file, was filed with practice {} and bears the visas listed. A visa attests the signatory's powers \
             or the filing of the document, not the truth of its content.",
            v.chamber_name, v.protocol_number
        ),
        9.0,
        Weight::Regular,
    );
    w.flow.y += 8.0;
    w.field(
        "Luogo e data / Place and date",
        &format!("{}, {}", v.place, date(v.issued_on)),
    );
    let mut sheets = w.flow.sheets;
    layout::number_pages(&mut sheets, &fonts, &format!("Visto / Visa {}", v.number));
    let issued = v.issued_on.and_hms_opt(0, 0, 0).unwrap_or_default();
    // PDF/A-3 wants a modification date on every embedded file: the day it was stamped.
    let attachment = EmbeddedFile {
        path: v.document_file_name.clone(),
        mime_type: MimeType::new(&v.document_content_type),
        description: Some(format!(
            "{} (SHA-256 {})",
            v.document_description, v.document_sha256
        )),
        association_kind: AssociationKind::Source,
        data: v.document.clone().into(),
        modification_date: Some(pdf_instant(issued)),
        compress: Some(true),
        location: None,
    };
    finish(
        &fonts,
        &sheets,
        format!("Visto / Visa {}", v.number),
        v.number.clone(),
        pdf_instant(issued),
        lang,
        Some(attachment),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue() -> VisaIssue {
        VisaIssue {
            number: "GE/2026/0000007-V1".into(),
            protocol_number: "GE/2026/0000007".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            chamber_name: "Camera di Commercio di Genova".into(),
            place: "Genova".into(),
            company_name: "LIGURE EXPORT S.R.L.".into(),
            company_tax_code: "01879020517".into(),
            invoice_visa: true,
            destination: Some("Arabia Saudita".into()),
            document_description: "Fattura 2026/200".into(),
            document_file_name: "fattura-200.pdf".into(),
            document_content_type: "application/pdf".into(),
            document: b"%PDF-1.4\n%%EOF\n".to_vec(),
            document_sha256: "ab".repeat(32),
            visas: 1,
            legalisations: 1,
        }
    }

    #[test]
    fn a_visa_page_embeds_the_stamped_document() {
        let pdf = visa(&issue(), Lang::It).expect("visa PDF");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(
            pdf.windows(b"fattura-200.pdf".len())
                .any(|w| w == b"fattura-200.pdf")
        );
    }
}
