//! The kinds of practice a company sends to the foreign-trade office, and the attachment
//! rules of each (Cert'O guide, slides 27, 46, 48–56).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeType {
    /// Non-preferential certificate of origin.
    CertificateOfOrigin,
    /// Visa on an export invoice (visto poteri di firma su fattura).
    InvoiceVisa,
    /// Visas, authorisations, attestations (e.g. free-sale attestation).
    VisasAttestations,
    /// Further copies of an issued certificate.
    CertificateCopy,
    /// Cancellation, destruction, loss or theft of an issued certificate (slide 46).
    Cancellation,
}

impl PracticeType {
    pub const ALL: [PracticeType; 5] = [
        PracticeType::CertificateOfOrigin,
        PracticeType::InvoiceVisa,
        PracticeType::VisasAttestations,
        PracticeType::CertificateCopy,
        PracticeType::Cancellation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PracticeType::CertificateOfOrigin => "certificate_of_origin",
            PracticeType::InvoiceVisa => "invoice_visa",
            PracticeType::VisasAttestations => "visas_attestations",
            PracticeType::CertificateCopy => "certificate_copy",
            PracticeType::Cancellation => "cancellation",
        }
    }

    pub fn parse(s: &str) -> Option<PracticeType> {
        PracticeType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
    }

    /// Message key of the type's name.
    pub fn label_key(self) -> &'static str {
        match self {
            PracticeType::CertificateOfOrigin => "trade-type-certificate-of-origin",
            PracticeType::InvoiceVisa => "trade-type-invoice-visa",
            PracticeType::VisasAttestations => "trade-type-visas-attestations",
            PracticeType::CertificateCopy => "trade-type-certificate-copy",
            PracticeType::Cancellation => "trade-type-cancellation",
        }
    }

    /// Cert'O guide, slide 54: visa, attestation and copy practices need at least one
    /// attachment (the signed request form, the documents to stamp, the certificate scan).
    pub fn requires_attachment(self) -> bool {
        !matches!(self, PracticeType::CertificateOfOrigin)
    }

    /// The document codes an attachment of this practice may carry (Cert'O guide, slide 42:
    /// "codice documento" from a per-type list).
    pub fn document_codes(self) -> &'static [DocumentCode] {
        use DocumentCode::*;
        match self {
            PracticeType::CertificateOfOrigin => &[
                Invoice,
                PackingList,
                OriginProof,
                BlankFormScan,
                RequestForm,
                Other,
            ],
            PracticeType::InvoiceVisa => &[Invoice, RequestForm, Other],
            PracticeType::VisasAttestations => &[Invoice, RequestForm, Other],
            PracticeType::CertificateCopy => &[CertificateScan, RequestForm, Other],
            PracticeType::Cancellation => &[RequestForm, PoliceReport, CertificateScan, Other],
        }
    }

    /// The documents a practice of this type must carry when it is sent, each with the message
    /// that names it (Cert'O guide, slides 42 and 54–56):
    /// - printing on the pre-printed form needs the scan of that form ("scansione del formulario
    ///   da utilizzare per stampa in azienda"), not needed on blank paper;
    /// - visas, attestations, invoice visas, copies and cancellations need the request form signed
    ///   digitally ("l'usuale modulo di domanda firmato digitalmente");
    /// - a copy needs the certificate, scanned or, when not available, its XML ("allegare
    ///   certificato scansionato in pdf o, se non disponibile, modello base xml"), with the
    ///   document code CERTIFICATO.
    ///
    /// At least one attachment ([`Self::requires_attachment`]) and the cancellation's police
    /// report (which depends on the reason given) are checked beside these.
    pub fn required_documents(self, print_mode: PrintMode) -> Vec<RequiredDocument> {
        let mut out = Vec::new();
        if print_mode == PrintMode::Form
            && self.document_codes().contains(&DocumentCode::BlankFormScan)
        {
            out.push(RequiredDocument {
                code: DocumentCode::BlankFormScan,
                key: "trade-send-blank-form-scan-required",
            });
        }
        if self != PracticeType::CertificateOfOrigin {
            out.push(RequiredDocument {
                code: DocumentCode::RequestForm,
                key: "trade-send-request-form-required",
            });
        }
        if self == PracticeType::CertificateCopy {
            out.push(RequiredDocument {
                code: DocumentCode::CertificateScan,
                key: "trade-send-certificate-required",
            });
        }
        out
    }

    /// Whether visas and legalisations may be asked on the practice's documents, chosen per
    /// attached document. The extras each type allows, as the Cert'O guide lists them:
    ///
    /// | type | copies | visas and legalisations |
    /// |---|---|---|
    /// | certificate of origin | yes | yes, on its invoices and other documents |
    /// | invoice visa | no | yes |
    /// | visas, authorisations, attestations | no | yes |
    /// | certificate copy | yes | yes, on its other documents |
    /// | cancellation | no | no |
    ///
    /// - slide 44, the certificate of origin's practice: "effettuare la selezione di eventuali
    ///   copie, visti, autentiche" — copies, visas and legalisations (autentiche);
    /// - slide 55, the practice "richiesta visti – autorizzazioni – copie certificato" (one
    ///   practice in the guide, three types here): "inserire visti e legalizzazioni per i
    ///   documenti presenti nella pratica" — so a copy practice may carry them too;
    /// - slide 56: "nel caso di copia certificato, indicare il numero copie necessarie";
    /// - slide 46: a cancellation issues nothing, so it has no extras.
    ///
    /// Which documents of a practice can be stamped is [`DocumentCode::stampable`].
    pub fn has_visas(self) -> bool {
        !matches!(self, PracticeType::Cancellation)
    }

    /// Whether the practice asks for copies of a certificate.
    pub fn has_copies(self) -> bool {
        matches!(
            self,
            PracticeType::CertificateOfOrigin | PracticeType::CertificateCopy
        )
    }
}

/// A document a practice must carry to be sent: an attachment with this code, and the message
/// key that names what is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredDocument {
    pub code: DocumentCode,
    pub key: &'static str,
}

/// The code of an attached document (Cert'O guide, slides 42 and 56).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentCode {
    Invoice,
    PackingList,
    OriginProof,
    BlankFormScan,
    RequestForm,
    PoliceReport,
    CertificateScan,
    Other,
}

impl DocumentCode {
    pub const ALL: [DocumentCode; 8] = [
        DocumentCode::Invoice,
        DocumentCode::PackingList,
        DocumentCode::OriginProof,
        DocumentCode::BlankFormScan,
        DocumentCode::RequestForm,
        DocumentCode::PoliceReport,
        DocumentCode::CertificateScan,
        DocumentCode::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentCode::Invoice => "invoice",
            DocumentCode::PackingList => "packing_list",
            DocumentCode::OriginProof => "origin_proof",
            DocumentCode::BlankFormScan => "blank_form_scan",
            DocumentCode::RequestForm => "request_form",
            DocumentCode::PoliceReport => "police_report",
            DocumentCode::CertificateScan => "certificate_scan",
            DocumentCode::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentCode> {
        DocumentCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
    }

    /// Whether the chamber puts visas or legalisations on a document of this kind (Cert'O
    /// guide, slides 44 and 55: visas and legalisations "per i documenti presenti nella
    /// pratica", such as the sales invoices of a free-sale attestation). The documents the
    /// company addresses to the chamber itself are not stamped: the signed request form (the
    /// application), the scan of the pre-printed form (printed on, not stamped), the police
    /// report (kept on file), and the certificate whose copies are asked (the copies are what
    /// is issued for it).
    pub fn stampable(self) -> bool {
        matches!(
            self,
            DocumentCode::Invoice
                | DocumentCode::PackingList
                | DocumentCode::OriginProof
                | DocumentCode::Other
        )
    }

    pub fn label_key(self) -> &'static str {
        match self {
            DocumentCode::Invoice => "trade-doc-invoice",
            DocumentCode::PackingList => "trade-doc-packing-list",
            DocumentCode::OriginProof => "trade-doc-origin-proof",
            DocumentCode::BlankFormScan => "trade-doc-blank-form-scan",
            DocumentCode::RequestForm => "trade-doc-request-form",
            DocumentCode::PoliceReport => "trade-doc-police-report",
            DocumentCode::CertificateScan => "trade-doc-certificate-scan",
            DocumentCode::Other => "trade-doc-other",
        }
    }
}

/// How the certificate will be printed (Cert'O guide, slide 45; print-at-company rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintMode {
    /// In colour on plain A4 paper: the only mode Italian chambers keep since 1 October 2025.
    BlankPaper,
    /// On a pre-printed, serial-numbered official form (legacy).
    Form,
}

impl PrintMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PrintMode::BlankPaper => "blank_paper",
            PrintMode::Form => "form",
        }
    }

    pub fn parse(s: &str) -> Option<PrintMode> {
        match s.trim() {
            "blank_paper" => Some(PrintMode::BlankPaper),
            "form" => Some(PrintMode::Form),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visa_attestation_and_copy_practices_require_an_attachment() {
        assert!(!PracticeType::CertificateOfOrigin.requires_attachment());
        for t in [
            PracticeType::InvoiceVisa,
            PracticeType::VisasAttestations,
            PracticeType::CertificateCopy,
            PracticeType::Cancellation,
        ] {
            assert!(t.requires_attachment(), "{t:?}");
        }
    }

    #[test]
    fn a_copy_practice_accepts_the_certificate_scan() {
        assert!(
            PracticeType::CertificateCopy
                .document_codes()
                .contains(&DocumentCode::CertificateScan)
        );
        assert!(
            PracticeType::Cancellation
                .document_codes()
                .contains(&DocumentCode::PoliceReport)
        );
    }

    fn required(t: PracticeType, mode: PrintMode) -> Vec<DocumentCode> {
        t.required_documents(mode).iter().map(|r| r.code).collect()
    }

    #[test]
    fn printing_on_the_form_needs_the_scan_of_the_form_and_blank_paper_does_not() {
        use PracticeType::*;
        assert_eq!(
            required(CertificateOfOrigin, PrintMode::Form),
            [DocumentCode::BlankFormScan]
        );
        assert!(required(CertificateOfOrigin, PrintMode::BlankPaper).is_empty());
    }

    #[test]
    fn visa_attestation_copy_and_cancellation_practices_need_the_signed_request_form() {
        use PracticeType::*;
        for t in [
            InvoiceVisa,
            VisasAttestations,
            CertificateCopy,
            Cancellation,
        ] {
            assert!(
                required(t, PrintMode::BlankPaper).contains(&DocumentCode::RequestForm),
                "{t:?}"
            );
        }
    }

    #[test]
    fn a_copy_needs_the_certificate_scanned_or_as_xml() {
        assert_eq!(
            required(PracticeType::CertificateCopy, PrintMode::BlankPaper),
            [DocumentCode::RequestForm, DocumentCode::CertificateScan]
        );
    }

    #[test]
    fn every_required_document_is_in_its_types_list() {
        for t in PracticeType::ALL {
            for mode in [PrintMode::Form, PrintMode::BlankPaper] {
                for r in t.required_documents(mode) {
                    assert!(t.document_codes().contains(&r.code), "{t:?} {:?}", r.code);
                }
            }
        }
    }

    #[test]
    fn a_certificate_of_origin_may_carry_copies_visas_and_legalisations() {
        let t = PracticeType::CertificateOfOrigin;
        assert!(t.has_copies() && t.has_visas());
        assert!(t.document_codes().iter().any(|c| c.stampable()));
    }

    #[test]
    fn every_type_but_cancellation_allows_visas_and_legalisations() {
        for t in PracticeType::ALL {
            assert_eq!(t.has_visas(), t != PracticeType::Cancellation, "{t:?}");
        }
        assert!(
            PracticeType::CertificateCopy
                .document_codes()
                .iter()
                .any(|c| c.stampable())
        );
    }

    #[test]
    fn the_documents_addressed_to_the_chamber_are_never_stamped() {
        use DocumentCode::*;
        for c in [RequestForm, BlankFormScan, PoliceReport, CertificateScan] {
            assert!(!c.stampable(), "{c:?}");
        }
        for c in [Invoice, PackingList, OriginProof, Other] {
            assert!(c.stampable(), "{c:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for t in PracticeType::ALL {
            assert_eq!(PracticeType::parse(t.as_str()), Some(t));
        }
        for c in DocumentCode::ALL {
            assert_eq!(DocumentCode::parse(c.as_str()), Some(c));
        }
    }
}
