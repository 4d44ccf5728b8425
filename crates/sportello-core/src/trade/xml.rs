//! The base model as XML (modello base): the file the company downloads and signs as CAdES
//! `.p7m` (Cert'O guide, slides 34–37; PAdES, ETSI EN 319 142), described by
//! `schemas/base-model.xsd`.
//!
//! The bytes are **deterministic**: the same [`ModelDocument`] always gives the same bytes,
//! so the platform recognises a signed upload by the SHA-256 of its content. To keep that
//! true across storage round trips, the instant is written to the second, and text is
//! normalised the same way every time (line ends become `\n`; characters XML 1.0 cannot
//! carry are dropped). Elements are in Italian, as Cert'O users know them; the whole element
//! list is in the schema. Nothing here reads XML.

use crate::trade::country::Country;
use crate::trade::document::ModelDocument;
use crate::trade::form::{
    Applicant, BaseModelForm, CancellationForm, CancellationReason, CertificateCopyForm,
    CertificateOfOriginForm, Invoice, InvoiceVisaForm, VisasAttestationsForm,
};
use crate::trade::practice_type::PracticeType;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io;

/// The XML namespace of the base model, version 1 of its schema.
pub const NAMESPACE: &str = "urn:sportello:modello-base:1";

type W = Writer<Vec<u8>>;

/// The short code of a practice type: the `tipo` attribute and part of the file name.
pub fn type_code(practice_type: PracticeType) -> &'static str {
    match practice_type {
        PracticeType::CertificateOfOrigin => "CO",
        PracticeType::InvoiceVisa => "VF",
        PracticeType::VisasAttestations => "VA",
        PracticeType::CertificateCopy => "CC",
        PracticeType::Cancellation => "AN",
    }
}

/// The declaration the applicant signs at the foot of the model, Italian and English.
/// For a certificate of origin it is the declaration of origin (the EU certificate-of-origin form: "the
/// applicant also signs a declaration of origin"); for the other types, that the data and
/// attachments are true.
pub fn declaration(practice_type: PracticeType) -> (&'static str, &'static str) {
    match practice_type {
        PracticeType::CertificateOfOrigin => (
            "Il richiedente, firmando digitalmente questo modello, chiede il rilascio del \
             certificato di origine per le merci qui descritte e dichiara, sotto la propria \
             responsabilità, che le merci sono originarie del paese indicato nel riquadro 3, \
             che i dati indicati sono veri e corrispondono alla fattura di esportazione e agli \
             altri documenti commerciali, e che esibirà alla Camera di commercio, su sua \
             richiesta, i documenti che provano l'origine delle merci.",
            "By digitally signing this model, the applicant requests a certificate of origin \
             for the goods described here and declares, under their own responsibility, that \
             the goods originate in the country shown in box 3, that the data given are true \
             and match the export invoice and the other commercial documents, and that they \
             will produce to the Chamber of Commerce, at its request, the documents proving \
             the origin of the goods.",
        ),
        _ => (
            "Il richiedente, firmando digitalmente questo modello, dichiara sotto la propria \
             responsabilità che i dati indicati e i documenti allegati alla pratica sono veri.",
            "By digitally signing this model, the applicant declares, under their own \
             responsibility, that the data given and the documents attached to the practice \
             are true.",
        ),
    }
}

/// The XML of a base model: UTF-8 with an XML declaration, indented by two spaces,
/// deterministic (see the module documentation).
pub fn model_xml(doc: &ModelDocument) -> Vec<u8> {
    match write_model(doc) {
        Ok(bytes) => bytes,
        // The writer only writes to a Vec, which never fails.
        Err(e) => unreachable!("writing XML to memory failed: {e}"),
    }
}

/// The file name the model downloads as, stable for a model version and ASCII only:
/// `modello-base_<tipo>_<tax code>_<short id>_v<version>.xml`, e.g.
/// `modello-base_CO_01879020517_5f3a9c1e_v3.xml`, where `<tipo>` is [`type_code`] and
/// `<short id>` is the last 8 letters or digits of the model id, lowercased (the random tail
/// of a UUID v7; its head is a timestamp shared by models made in the same minute).
pub fn model_file_name(doc: &ModelDocument) -> String {
    let alnum: Vec<char> = doc
        .model_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let short: String = alnum[alnum.len().saturating_sub(8)..].iter().collect();
    let short = if short.is_empty() { "0".into() } else { short };
    format!(
        "modello-base_{}_{}_{}_v{}.xml",
        type_code(doc.form.practice_type()),
        doc.company.tax_code.as_str(),
        short,
        doc.version
    )
}

/// Text as the XML will carry it: `\r\n` and `\r` become `\n`, tabs and the characters XML
/// 1.0 forbids become spaces or disappear.
pub(crate) fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some('\n'),
            c if (c as u32) < 0x20 => None,
            '\u{FFFE}' | '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect()
}

fn write_model(doc: &ModelDocument) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let practice_type = doc.form.practice_type();
    let version = doc.version.to_string();
    w.create_element("ModelloBase")
        .with_attribute(("xmlns", NAMESPACE))
        .with_attribute(("id", clean_text(&doc.model_id).as_str()))
        .with_attribute(("versione", version.as_str()))
        .with_attribute(("tipo", type_code(practice_type)))
        .write_inner_content(|w| {
            let created = doc.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            text(w, "CreatoIl", &created)?;
            company(w, doc)?;
            site(w, doc)?;
            match &doc.form {
                BaseModelForm::CertificateOfOrigin(f) => certificate_of_origin(w, doc, f),
                BaseModelForm::InvoiceVisa(f) => invoice_visa(w, f),
                BaseModelForm::VisasAttestations(f) => visas(w, f),
                BaseModelForm::CertificateCopy(f) => copy(w, f),
                BaseModelForm::Cancellation(f) => cancellation(w, f),
            }?;
            let (it, en) = declaration(practice_type);
            w.create_element("Dichiarazione").write_inner_content(|w| {
                for (lang, body) in [("it", it), ("en", en)] {
                    w.create_element("Testo")
                        .with_attribute(("lingua", lang))
                        .write_text_content(BytesText::new(body))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&clean_text(value)))?;
    Ok(())
}

fn opt_text(w: &mut W, name: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(v) => text(w, name, v),
        None => Ok(()),
    }
}

fn company(w: &mut W, doc: &ModelDocument) -> io::Result<()> {
    w.create_element("Impresa").write_inner_content(|w| {
        text(w, "CodiceFiscale", doc.company.tax_code.as_str())?;
        opt_text(
            w,
            "PartitaIVA",
            doc.company.vat_number.as_ref().map(|v| v.as_str()),
        )?;
        text(w, "Denominazione", &doc.company.name)
    })?;
    Ok(())
}

fn site(w: &mut W, doc: &ModelDocument) -> io::Result<()> {
    let s = &doc.site;
    w.create_element("Sede")
        .with_attribute(("tipo", s.kind.extract_code()))
        .write_inner_content(|w| {
            text(w, "REA", &s.rea.to_string())?;
            text(w, "Indirizzo", &s.address)?;
            text(w, "CAP", s.postcode.as_str())?;
            text(w, "Comune", &s.municipality)
        })?;
    Ok(())
}

/// A country with its code and both names in full.
fn country(w: &mut W, name: &str, c: Country) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        text(w, "Codice", c.code())?;
        text(w, "Nome", c.name_it())?;
        text(w, "NomeInglese", c.name_en())
    })?;
    Ok(())
}

fn invoices(w: &mut W, list: &[Invoice]) -> io::Result<()> {
    w.create_element("Fatture").write_inner_content(|w| {
        for inv in list {
            w.create_element("Fattura").write_inner_content(|w| {
                text(w, "Numero", &inv.number)?;
                text(w, "Data", &inv.date.format("%Y-%m-%d").to_string())?;
                w.create_element("Importo")
                    .with_attribute(("valuta", "EUR"))
                    .write_text_content(BytesText::new(&inv.amount.to_decimal_string()))?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn applicant(w: &mut W, a: &Applicant) -> io::Result<()> {
    w.create_element("Richiedente").write_inner_content(|w| {
        text(w, "Nome", &a.name)?;
        text(w, "Qualifica", &a.capacity)?;
        opt_text(w, "Email", a.email.as_deref())?;
        opt_text(w, "Telefono", a.phone.as_deref())
    })?;
    Ok(())
}

fn certificate_of_origin(
    w: &mut W,
    doc: &ModelDocument,
    f: &CertificateOfOriginForm,
) -> io::Result<()> {
    w.create_element("CertificatoOrigine")
        .write_inner_content(|w| {
            // Box 1: the consignor is the company, at the site the request comes from.
            w.create_element("Speditore").write_inner_content(|w| {
                text(w, "Denominazione", &doc.company.name)?;
                text(w, "Indirizzo", &doc.site.address)?;
                text(w, "CAP", doc.site.postcode.as_str())?;
                text(w, "Comune", &doc.site.municipality)?;
                country(w, "Paese", italy())
            })?;
            // Box 2.
            w.create_element("Destinatario").write_inner_content(|w| {
                text(w, "Denominazione", &f.consignee.name)?;
                text(w, "Indirizzo", &f.consignee.address)?;
                country(w, "Paese", f.consignee.country)
            })?;
            country(w, "PaeseOrigine", f.origin_country)?; // box 3
            opt_text(w, "Trasporto", f.transport.as_deref())?; // box 4
            opt_text(w, "Osservazioni", f.remarks.as_deref())?; // box 5
            w.create_element("Merci").write_inner_content(|w| {
                for item in &f.items {
                    w.create_element("Riga").write_inner_content(|w| {
                        text(w, "Numero", &item.number.to_string())?; // box 6
                        if !item.marks.is_empty() {
                            text(w, "Marche", &item.marks)?;
                        }
                        text(w, "Colli", &item.packages)?;
                        text(w, "Descrizione", &item.description)?;
                        text(w, "Quantita", &item.quantity) // box 7
                    })?;
                }
                Ok(())
            })?;
            invoices(w, &f.invoices)
        })?;
    Ok(())
}

fn italy() -> Country {
    match Country::parse("IT") {
        Ok(c) => c,
        Err(_) => unreachable!("the country table lists IT"),
    }
}

fn invoice_visa(w: &mut W, f: &InvoiceVisaForm) -> io::Result<()> {
    w.create_element("VistoFattura").write_inner_content(|w| {
        applicant(w, &f.applicant)?;
        country(w, "PaeseDestinazione", f.destination_country)?;
        invoices(w, &f.invoices)?;
        opt_text(w, "Note", f.notes.as_deref())
    })?;
    Ok(())
}

fn visas(w: &mut W, f: &VisasAttestationsForm) -> io::Result<()> {
    w.create_element("VistiAttestazioni")
        .write_inner_content(|w| {
            applicant(w, &f.applicant)?;
            country(w, "PaeseDestinazione", f.destination_country)?;
            text(w, "Richiesta", &f.request)?;
            opt_text(w, "Note", f.notes.as_deref())
        })?;
    Ok(())
}

fn copy(w: &mut W, f: &CertificateCopyForm) -> io::Result<()> {
    w.create_element("CopiaCertificato")
        .write_inner_content(|w| {
            applicant(w, &f.applicant)?;
            opt_text(
                w,
                "NumeroCertificato",
                f.certificate_number.as_ref().map(|n| n.as_str()),
            )?;
            opt_text(
                w,
                "NumeroFormulario",
                f.form_serial.as_ref().map(|s| s.as_str()),
            )?;
            opt_text(w, "Note", f.notes.as_deref())
        })?;
    Ok(())
}

/// The reason code written in `Motivo`.
pub fn reason_code(reason: CancellationReason) -> &'static str {
    match reason {
        CancellationReason::Cancellation => "ANNULLAMENTO",
        CancellationReason::Destruction => "DISTRUZIONE",
        CancellationReason::Loss => "SMARRIMENTO",
        CancellationReason::Theft => "FURTO",
    }
}

fn cancellation(w: &mut W, f: &CancellationForm) -> io::Result<()> {
    w.create_element("Annullamento").write_inner_content(|w| {
        applicant(w, &f.applicant)?;
        text(w, "NumeroCertificato", f.certificate_number.as_str())?;
        text(w, "Motivo", reason_code(f.reason))?;
        text(w, "Spiegazione", &f.explanation)
    })?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::trade::pdf::samples;
    use sha2::{Digest, Sha256};
    use std::process::Command;

    /// Validates `xml` against `schemas/base-model.xsd` with xmllint (Debian libxml2-utils,
    /// installed by `scripts/test`). A missing xmllint fails the test: it is not skipped.
    fn assert_valid(name: &str, xml: &[u8]) {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let schema = format!("{root}/schemas/base-model.xsd");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, xml).unwrap();
        let out = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema", &schema])
            .arg(&file)
            .output()
            .unwrap_or_else(|e| {
                panic!("xmllint is needed (Debian package libxml2-utils; scripts/test installs it): {e}")
            });
        assert!(
            out.status.success(),
            "{name} does not validate:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(xml)
                .chars()
                .take(3000)
                .collect::<String>()
        );
    }

    #[test]
    fn every_practice_type_validates_against_the_schema() {
        for (name, doc) in samples::all() {
            assert_valid(name, &model_xml(&doc));
        }
    }

    #[test]
    fn the_largest_form_validates() {
        let doc = samples::co_max();
        let xml = model_xml(&doc);
        assert_valid("co_max", &xml);
        let s = String::from_utf8(xml).unwrap();
        assert_eq!(s.matches("<Riga>").count(), 200);
        assert_eq!(s.matches("<Fattura>").count(), 200);
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let a = model_xml(&samples::co_tricky());
        let b = model_xml(&samples::co_tricky());
        assert_eq!(Sha256::digest(&a), Sha256::digest(&b));
        // A new version is a different file.
        let mut doc = samples::co_tricky();
        doc.version += 1;
        assert_ne!(model_xml(&doc), a);
    }

    #[test]
    fn the_instant_is_written_to_the_second_in_utc() {
        let mut doc = samples::co_basic();
        let xml = String::from_utf8(model_xml(&doc)).unwrap();
        assert!(
            xml.contains("<CreatoIl>2026-11-25T10:15:30Z</CreatoIl>"),
            "{xml}"
        );
        // Sub-second precision lost in storage does not change the file.
        doc.created_at =
            doc.created_at.with_timezone(&chrono::Utc) - chrono::Duration::milliseconds(123);
        assert_eq!(model_xml(&doc), model_xml(&samples::co_basic()));
    }

    #[test]
    fn the_certificate_of_origin_carries_every_box() {
        let xml = String::from_utf8(model_xml(&samples::co_basic())).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ModelloBase"));
        for needle in [
            "xmlns=\"urn:sportello:modello-base:1\"",
            "tipo=\"CO\"",
            "versione=\"3\"",
            "<CodiceFiscale>01879020517</CodiceFiscale>",
            "<Sede tipo=\"SEDE\">",
            "<REA>GE-123456</REA>",
            "<Codice>US</Codice>",
            "<Nome>Stati Uniti d&apos;America</Nome>",
            "<NomeInglese>United States of America</NomeInglese>",
            "<Quantita>1.250 kg lordi</Quantita>",
            "<Importo valuta=\"EUR\">15400.00</Importo>",
            "<Data>2026-11-20</Data>",
            "<Testo lingua=\"it\">",
            "originarie del paese indicato nel riquadro 3",
            "originate in the country shown in box 3",
        ] {
            assert!(xml.contains(needle), "{needle} missing in\n{xml}");
        }
    }

    #[test]
    fn special_characters_are_escaped_and_survive() {
        let xml = String::from_utf8(model_xml(&samples::co_tricky())).unwrap();
        assert!(
            xml.contains("Società &amp; Figli &lt;Export&gt; &quot;Çağlayan&quot;"),
            "{xml}"
        );
        assert!(!xml.contains('\r'));
        assert!(!xml.contains('\u{7}'));
    }

    #[test]
    fn file_names_are_stable_ascii_and_meaningful() {
        let doc = samples::co_basic();
        assert_eq!(
            model_file_name(&doc),
            "modello-base_CO_01879020517_9a8b7c6d_v3.xml"
        );
        for (_, doc) in samples::all() {
            let name = model_file_name(&doc);
            assert!(name.is_ascii() && !name.contains(' '), "{name}");
            assert!(name.starts_with(&format!(
                "modello-base_{}_",
                type_code(doc.form.practice_type())
            )));
        }
    }
}
