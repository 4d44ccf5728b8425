//! The certificate's list of stamped documents: when visas or legalisations were asked on the
//! documents of a certificate-of-origin practice (Cert'O guide, slide 44: "selezione di
//! eventuali copie, visti, autentiche"), the issued certificate ends with a page that names
//! each stamped document, the number of the sealed visa issued for it, its SHA-256 fingerprint
//! and the visas and legalisations put on it.
//!
//! Why a list on the certificate rather than a stamp drawn on its boxes: the EU form has no
//! box for it, and a customs officer checks the certificate and the invoice separately. The
//! invoice travels as its own sealed visa (the document embedded, bound by its fingerprint);
//! the list ties the two together, so the officer holding the certificate can tell which
//! documents the chamber stamped with it, and check that the invoice presented is the one
//! stamped by comparing fingerprints.

use crate::trade::pdf::StampedDocument;
use crate::trade::pdf::canvas::{BLUE, GREY, Sheet};
use crate::trade::pdf::layout::{self, Flow, LEFT, TOP};
use crate::trade::pdf::summary::Writer;
use crate::trade::pdf::text::{Fonts, Weight};

/// The pages that list `stamped` for certificate `number`; none when the list is empty.
pub(super) fn sheets(
    fonts: &Fonts,
    number: &str,
    chamber_name: &str,
    stamped: &[StampedDocument],
) -> Vec<Sheet> {
    if stamped.is_empty() {
        return Vec::new();
    }
    let flow = Flow::new(|sheet| {
        sheet.coloured(LEFT, TOP + 16.0, 14.0, Weight::Bold, BLUE, chamber_name);
        sheet.coloured(
            LEFT,
            TOP + 34.0,
            12.0,
            Weight::Bold,
            BLUE,
            "DOCUMENTI VISTATI / STAMPED DOCUMENTS",
        );
        sheet.coloured(
            LEFT,
            TOP + 50.0,
            10.0,
            Weight::Regular,
            GREY,
            &format!("Allegato al certificato / Annex to certificate N. {number}"),
        );
        TOP + 64.0
    });
    let mut w = Writer { fonts, flow };
    w.paragraph(
        "Con questo certificato la Camera di commercio ha apposto visti e legalizzazioni sui \
         documenti elencati. Ciascun documento è rilasciato come visto sigillato, con il numero \
         indicato, che lo contiene e ne riporta l'impronta SHA-256.",
        9.0,
        Weight::Regular,
    );
    w.flow.y += 2.0;
    w.paragraph(
        "With this certificate the Chamber of Commerce put visas and legalisations on the \
         documents listed. Each document is issued as a sealed visa, with the number given, \
         which embeds it and states its SHA-256 fingerprint.",
        9.0,
        Weight::Regular,
    );
    for (i, d) in stamped.iter().enumerate() {
        w.heading(&format!("{}. {}", i + 1, d.description));
        w.field("Visto N. / Visa No.", &d.visa_number);
        w.field("File", &d.file_name);
        w.field("Impronta SHA-256 / SHA-256 fingerprint", &d.sha256);
        let kind = if d.invoice {
            "Visto poteri di firma sulla fattura / Visa of signing powers on the invoice"
        } else {
            "Visto / Visa"
        };
        if d.visas > 0 {
            w.field(kind, &d.visas.to_string());
        }
        if d.legalisations > 0 {
            w.field(
                "Legalizzazione di firma / Legalisation of signature",
                &d.legalisations.to_string(),
            );
        }
    }
    let mut sheets = w.flow.sheets;
    layout::number_pages(
        &mut sheets,
        fonts,
        &format!("Documenti vistati / Stamped documents — {number}"),
    );
    sheets
}
