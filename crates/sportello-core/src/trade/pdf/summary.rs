//! The preview of a practice that is not a certificate of origin: a summary of the request
//! (applicant, destination, request, notes, invoices) and the declaration the applicant
//! signs, on one page when it fits.

use crate::i18n::Lang;
use crate::trade::document::ModelDocument;
use crate::trade::form::{Applicant, BaseModelForm, CancellationReason, Invoice};
use crate::trade::pdf::canvas::{BLUE, GREY, Sheet};
use crate::trade::pdf::layout::{
    self, BODY, Flow, LABEL, LEADING, LEFT, RIGHT, WIDTH, country, date,
};
use crate::trade::pdf::text::{Fonts, Weight};
use crate::trade::xml::declaration;

const LABEL_W: f32 = 150.0;

fn title(form: &BaseModelForm) -> (&'static str, &'static str) {
    match form {
        BaseModelForm::CertificateOfOrigin(_) => (
            "Richiesta di certificato di origine",
            "Request for a certificate of origin",
        ),
        BaseModelForm::InvoiceVisa(_) => (
            "Richiesta di visto su fattura",
            "Request for an invoice visa",
        ),
        BaseModelForm::VisasAttestations(_) => (
            "Richiesta di visti, autorizzazioni, attestazioni",
            "Request for visas, authorisations, attestations",
        ),
        BaseModelForm::CertificateCopy(_) => (
            "Richiesta di copie di un certificato rilasciato",
            "Request for copies of an issued certificate",
        ),
        BaseModelForm::Cancellation(_) => (
            "Annullamento, distruzione, smarrimento o furto di un certificato",
            "Cancellation, destruction, loss or theft of a certificate",
        ),
    }
}

fn reason(r: CancellationReason) -> &'static str {
    match r {
        CancellationReason::Cancellation => "Annullamento / Cancellation",
        CancellationReason::Destruction => "Distruzione / Destruction",
        CancellationReason::Loss => "Smarrimento / Loss",
        CancellationReason::Theft => "Furto / Theft",
    }
}

pub(super) struct Writer<'f> {
    pub(super) fonts: &'f Fonts,
    pub(super) flow: Flow<'f>,
}

impl Writer<'_> {
    pub(super) fn heading(&mut self, text: &str) {
        self.flow.need(20.0 + 2.0 * LEADING);
        self.flow.y += 4.0;
        let y = self.flow.y;
        self.flow.y = layout::heading(self.flow.sheet(), y, text);
    }

    /// A label and its value, the value wrapped beside the label.
    pub(super) fn field(&mut self, label: &str, value: &str) {
        let label_lines = self
            .fonts
            .wrap(label, Weight::Regular, LABEL + 0.5, LABEL_W - 8.0);
        let value_lines = self
            .fonts
            .wrap(value, Weight::Regular, BODY, WIDTH - LABEL_W - 4.0);
        for i in 0..label_lines.len().max(value_lines.len()) {
            self.flow.need(LEADING);
            let y = self.flow.y + 0.75 * LEADING;
            let sheet = self.flow.sheet();
            if let Some(l) = label_lines.get(i) {
                sheet.coloured(LEFT + 4.0, y, LABEL + 0.5, Weight::Regular, GREY, l);
            }
            if let Some(v) = value_lines.get(i) {
                sheet.text(LEFT + LABEL_W, y, BODY, Weight::Regular, v);
            }
            self.flow.y += LEADING;
        }
        self.flow.y += 2.0;
    }

    pub(super) fn paragraph(&mut self, text: &str, size: f32, weight: Weight) {
        for line in self.fonts.wrap(text, weight, size, WIDTH - 8.0) {
            self.flow.need(size + 3.0);
            let y = self.flow.y + size;
            self.flow.sheet().text(LEFT + 4.0, y, size, weight, &line);
            self.flow.y += size + 3.0;
        }
    }

    fn applicant(&mut self, doc: &ModelDocument, a: Option<&Applicant>) {
        self.heading("Richiedente / Applicant");
        let c = &doc.company;
        self.field("Impresa / Company", &c.name);
        self.field("Codice fiscale / Tax code", c.tax_code.as_str());
        if let Some(v) = &c.vat_number {
            self.field("Partita IVA / VAT number", v.as_str());
        }
        let s = &doc.site;
        let kind = match s.kind.extract_code() {
            "SEDE" => "Sede / Head office",
            _ => "Unità locale / Local unit",
        };
        self.field(
            kind,
            &format!(
                "{}, {} {} — REA {}",
                s.address,
                s.postcode.as_str(),
                s.municipality,
                s.rea
            ),
        );
        if let Some(a) = a {
            self.field("Persona / Person", &a.name);
            self.field("Qualifica / Capacity", &a.capacity);
            if let Some(e) = &a.email {
                self.field("E-mail", e);
            }
            if let Some(p) = &a.phone {
                self.field("Telefono / Phone", p);
            }
        }
    }

    fn invoices(&mut self, invoices: &[Invoice]) {
        self.heading("Fatture / Invoices");
        let cols = [LEFT + 4.0, LEFT + 300.0, RIGHT - 4.0];
        let header = |sheet: &mut Sheet, fonts: &Fonts, y: f32| {
            sheet.coloured(
                cols[0],
                y,
                LABEL + 0.5,
                Weight::Bold,
                GREY,
                "Numero / Number",
            );
            sheet.coloured(cols[1], y, LABEL + 0.5, Weight::Bold, GREY, "Data / Date");
            sheet.right(
                fonts,
                cols[2],
                y,
                LABEL + 0.5,
                Weight::Bold,
                GREY,
                "Importo / Amount",
            );
        };
        self.flow.need(2.0 * LEADING);
        let y = self.flow.y + 8.0;
        header(self.flow.sheet(), self.fonts, y);
        self.flow.y += LEADING;
        for inv in invoices {
            let lines =
                self.fonts
                    .wrap(&inv.number, Weight::Regular, BODY, cols[1] - cols[0] - 8.0);
            if self.flow.need(LEADING * lines.len() as f32) {
                let y = self.flow.y + 8.0;
                header(self.flow.sheet(), self.fonts, y);
                self.flow.y += LEADING;
            }
            let y = self.flow.y + 0.75 * LEADING;
            let fonts = self.fonts;
            let sheet = self.flow.sheet();
            for (i, l) in lines.iter().enumerate() {
                sheet.text(cols[0], y + i as f32 * LEADING, BODY, Weight::Regular, l);
            }
            sheet.text(cols[1], y, BODY, Weight::Regular, &date(inv.date));
            sheet.right(
                fonts,
                cols[2],
                y,
                BODY,
                Weight::Regular,
                crate::trade::pdf::canvas::BLACK,
                &inv.amount.to_italian(),
            );
            self.flow.y += LEADING * lines.len() as f32;
        }
        let total = invoices
            .iter()
            .try_fold(crate::money::Money::ZERO, |acc, i| {
                acc.checked_add(i.amount)
            });
        if let Some(total) = total {
            self.flow.need(LEADING);
            let y = self.flow.y + 0.75 * LEADING;
            let fonts = self.fonts;
            let sheet = self.flow.sheet();
            sheet.line(cols[1], y - 9.0, cols[2], y - 9.0, 0.4);
            sheet.coloured(cols[1], y, BODY, Weight::Bold, BLUE, "Totale / Total");
            sheet.right(
                fonts,
                cols[2],
                y,
                BODY,
                Weight::Bold,
                crate::trade::pdf::canvas::BLACK,
                &total.to_italian(),
            );
            self.flow.y += LEADING;
        }
    }
}

pub(super) fn sheets(fonts: &Fonts, doc: &ModelDocument, lang: Lang) -> Vec<Sheet> {
    let (it, en) = title(&doc.form);
    let flow = Flow::new(move |sheet: &mut Sheet| {
        let y = layout::preview_banner(sheet, fonts);
        layout::preview_watermark(sheet, fonts);
        sheet.coloured(LEFT, y + 14.0, 13.0, Weight::Bold, BLUE, it);
        sheet.coloured(LEFT, y + 29.0, 10.5, Weight::Bold, GREY, en);
        y + 40.0
    });
    let mut w = Writer { fonts, flow };
    match &doc.form {
        BaseModelForm::CertificateOfOrigin(f) => {
            // Normally drawn as the certificate; kept here so every form has a summary.
            w.applicant(doc, None);
            w.heading("Destinatario / Consignee");
            w.field("Nome / Name", &f.consignee.name);
            w.field("Indirizzo / Address", &f.consignee.address);
            w.field("Paese / Country", &country(f.consignee.country, lang));
            w.field(
                "Paese di origine / Country of origin",
                &country(f.origin_country, lang),
            );
            w.invoices(&f.invoices);
        }
        BaseModelForm::InvoiceVisa(f) => {
            w.applicant(doc, Some(&f.applicant));
            w.heading("Richiesta / Request");
            w.field(
                "Paese di destinazione / Country of destination",
                &country(f.destination_country, lang),
            );
            if let Some(n) = &f.notes {
                w.field("Note / Notes", n);
            }
            w.invoices(&f.invoices);
        }
        BaseModelForm::VisasAttestations(f) => {
            w.applicant(doc, Some(&f.applicant));
            w.heading("Richiesta / Request");
            w.field(
                "Paese di destinazione / Country of destination",
                &country(f.destination_country, lang),
            );
            w.field("Richiesta / Request", &f.request);
            if let Some(n) = &f.notes {
                w.field("Note / Notes", n);
            }
        }
        BaseModelForm::CertificateCopy(f) => {
            w.applicant(doc, Some(&f.applicant));
            w.heading("Richiesta / Request");
            if let Some(n) = &f.certificate_number {
                w.field("Certificato n. / Certificate No.", n.as_str());
            }
            if let Some(s) = &f.form_serial {
                w.field("Formulario n. / Form No.", s.as_str());
            }
            if let Some(n) = &f.notes {
                w.field("Note / Notes", n);
            }
        }
        BaseModelForm::Cancellation(f) => {
            w.applicant(doc, Some(&f.applicant));
            w.heading("Richiesta / Request");
            w.field(
                "Certificato n. / Certificate No.",
                f.certificate_number.as_str(),
            );
            w.field("Motivo / Reason", reason(f.reason));
            w.field("Spiegazione / Explanation", &f.explanation);
        }
    }
    let (decl_it, decl_en) = declaration(doc.form.practice_type());
    w.heading("Dichiarazione del richiedente / Applicant's declaration");
    w.paragraph(decl_it, 8.5, Weight::Regular);
    w.flow.y += 3.0;
    w.paragraph(decl_en, 8.5, Weight::Regular);
    let mut sheets = w.flow.sheets;
    let note = format!(
        "Modello base / Base model {} v{} — {}",
        doc.model_id,
        doc.version,
        doc.created_at.format("%d/%m/%Y %H:%M UTC")
    );
    layout::number_pages(&mut sheets, fonts, &note);
    sheets
}
