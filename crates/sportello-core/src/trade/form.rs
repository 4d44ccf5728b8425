//! The content of a base model (modello base), one form per practice type.
//!
//! Forms arrive as loose input (a draft may be incomplete and is saved as it is) and become
//! a validated [`BaseModelForm`] only when every rule holds; the XML, the print preview and
//! the practice are made from validated forms only. Each problem names its field
//! (`items.0.description`, the names the forms post) and a message key, so pages show it next to the field and the
//! API lists it in the problem document.

use crate::money::Money;
use crate::trade::country::Country;
use crate::trade::practice_type::PracticeType;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest free-text field, in characters.
const MAX_TEXT: usize = 300;
/// Longest description of goods or remarks, in characters.
const MAX_LONG_TEXT: usize = 2000;
/// At most this many item lines and invoices on one certificate.
const MAX_LINES: usize = 200;

/// A problem with one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub key: &'static str,
}

impl FieldProblem {
    fn new(field: impl Into<String>, key: &'static str) -> Self {
        Self {
            field: field.into(),
            key,
        }
    }
}

impl From<FieldProblem> for crate::validation::FieldError {
    fn from(p: FieldProblem) -> Self {
        crate::validation::FieldError::new(p.field, p.key)
    }
}

// ---------------------------------------------------------------------------------------
// Input: what a page or an API client sends (every field optional, strings as typed).

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsigneeInput {
    pub name: String,
    pub address: String,
    pub country: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    pub number: Option<u32>,
    pub marks: String,
    pub packages: String,
    pub description: String,
    pub quantity: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceInput {
    pub number: String,
    pub date: String,
    pub amount: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplicantInput {
    pub name: String,
    pub capacity: String,
    pub email: String,
    pub phone: String,
}

/// Every field any practice type may use; each type reads its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormInput {
    // Certificate of origin.
    pub consignee: ConsigneeInput,
    pub origin_country: String,
    pub transport: String,
    pub remarks: String,
    pub items: Vec<ItemInput>,
    // Certificate of origin and invoice visa.
    pub invoices: Vec<InvoiceInput>,
    // Visas, copies, cancellations.
    pub applicant: ApplicantInput,
    pub destination_country: String,
    pub request: String,
    pub notes: String,
    pub certificate_number: String,
    pub form_serial: String,
    pub reason: String,
}

// ---------------------------------------------------------------------------------------
// Validated forms.

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Consignee {
    pub name: String,
    pub address: String,
    pub country: Country,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemLine {
    pub number: u32,
    pub marks: String,
    pub packages: String,
    pub description: String,
    pub quantity: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub number: String,
    pub date: NaiveDate,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applicant {
    pub name: String,
    pub capacity: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The boxes of the EU non-preferential certificate of origin (the EU certificate-of-origin form) plus
/// the invoice table Cert'O made mandatory (Cert'O guide, slide 33: "FATTURATO").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateOfOriginForm {
    pub consignee: Consignee,
    pub origin_country: Country,
    pub transport: Option<String>,
    pub remarks: Option<String>,
    pub items: Vec<ItemLine>,
    pub invoices: Vec<Invoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvoiceVisaForm {
    pub applicant: Applicant,
    pub destination_country: Country,
    pub invoices: Vec<Invoice>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VisasAttestationsForm {
    pub applicant: Applicant,
    pub destination_country: Country,
    pub request: String,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateCopyForm {
    pub applicant: Applicant,
    pub certificate_number: Option<CertificateNumber>,
    pub form_serial: Option<FormSerial>,
    pub notes: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationReason {
    Cancellation,
    Destruction,
    Loss,
    Theft,
}

impl CancellationReason {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "cancellation" => Some(Self::Cancellation),
            "destruction" => Some(Self::Destruction),
            "loss" => Some(Self::Loss),
            "theft" => Some(Self::Theft),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancellation => "cancellation",
            Self::Destruction => "destruction",
            Self::Loss => "loss",
            Self::Theft => "theft",
        }
    }

    /// Cert'O guide, slide 46: for loss or theft the report to the authorities is attached.
    pub fn needs_police_report(self) -> bool {
        matches!(self, Self::Loss | Self::Theft)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CancellationForm {
    pub applicant: Applicant,
    pub certificate_number: CertificateNumber,
    pub reason: CancellationReason,
    pub explanation: String,
}

/// A validated base-model form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BaseModelForm {
    CertificateOfOrigin(CertificateOfOriginForm),
    InvoiceVisa(InvoiceVisaForm),
    VisasAttestations(VisasAttestationsForm),
    CertificateCopy(CertificateCopyForm),
    Cancellation(CancellationForm),
}

impl BaseModelForm {
    pub fn practice_type(&self) -> PracticeType {
        match self {
            Self::CertificateOfOrigin(_) => PracticeType::CertificateOfOrigin,
            Self::InvoiceVisa(_) => PracticeType::InvoiceVisa,
            Self::VisasAttestations(_) => PracticeType::VisasAttestations,
            Self::CertificateCopy(_) => PracticeType::CertificateCopy,
            Self::Cancellation(_) => PracticeType::Cancellation,
        }
    }

    /// Checks `input` against the rules of `practice_type`.
    pub fn validate(
        practice_type: PracticeType,
        input: &FormInput,
        today: NaiveDate,
    ) -> Result<BaseModelForm, Vec<FieldProblem>> {
        let mut v = Validator::default();
        let form = match practice_type {
            PracticeType::CertificateOfOrigin => v
                .certificate_of_origin(input, today)
                .map(Self::CertificateOfOrigin),
            PracticeType::InvoiceVisa => v.invoice_visa(input, today).map(Self::InvoiceVisa),
            PracticeType::VisasAttestations => v.visas(input).map(Self::VisasAttestations),
            PracticeType::CertificateCopy => v.copy(input).map(Self::CertificateCopy),
            PracticeType::Cancellation => v.cancellation(input).map(Self::Cancellation),
        };
        match form {
            Some(form) if v.problems.is_empty() => Ok(form),
            _ => Err(v.problems),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Numbers printed on certificates.

/// The national certificate number: `C` + 2-digit year + 2 characters + 7 digits, e.g.
/// `C26GE0000123` (the national certificate numbering).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct CertificateNumber(String);

impl CertificateNumber {
    pub fn parse(input: &str) -> Option<Self> {
        let s: String = input
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let b = s.as_bytes();
        let ok = b.len() == 12
            && b[0] == b'C'
            && b[1..3].iter().all(u8::is_ascii_digit)
            && b[3..5].iter().all(u8::is_ascii_alphanumeric)
            && b[5..].iter().all(u8::is_ascii_digit);
        ok.then_some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<CertificateNumber> for String {
    fn from(n: CertificateNumber) -> String {
        n.0
    }
}

impl std::fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The serial of a pre-printed official form: one letter and 7 digits, no slash, e.g.
/// `A0123456` (print-at-company rules).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct FormSerial(String);

impl FormSerial {
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let ok = b.len() == 8 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
        ok.then_some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<FormSerial> for String {
    fn from(n: FormSerial) -> String {
        n.0
    }
}

// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Validator {
    problems: Vec<FieldProblem>,
}

impl Validator {
    fn problem(&mut self, field: impl Into<String>, key: &'static str) {
        self.problems.push(FieldProblem::new(field, key));
    }

    /// A required text field, trimmed and length-checked.
    fn required(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        let v = value.trim();
        if v.is_empty() {
            self.problem(field, "trade-field-required");
            None
        } else if v.chars().count() > max {
            self.problem(field, "trade-field-too-long");
            None
        } else {
            Some(v.to_string())
        }
    }

    fn optional(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        let v = value.trim();
        if v.is_empty() {
            None
        } else if v.chars().count() > max {
            self.problem(field, "trade-field-too-long");
            None
        } else {
            Some(v.to_string())
        }
    }

    fn country(&mut self, field: &str, value: &str) -> Option<Country> {
        if value.trim().is_empty() {
            self.problem(field, "trade-field-required");
            return None;
        }
        match Country::parse(value) {
            Ok(c) => Some(c),
            Err(_) => {
                self.problem(field, "trade-field-country");
                None
            }
        }
    }

    fn applicant(&mut self, a: &ApplicantInput) -> Option<Applicant> {
        // Cert'O guide, slide 50: the applicant's details are mandatory.
        let name = self.required("applicant.name", &a.name, MAX_TEXT);
        let capacity = self.required("applicant.capacity", &a.capacity, MAX_TEXT);
        let email = self.optional("applicant.email", &a.email, MAX_TEXT);
        if let Some(e) = &email
            && crate::accounts::normalise_email(e).is_none()
        {
            self.problem("applicant.email", "trade-field-email");
        }
        let phone = self.optional("applicant.phone", &a.phone, 40);
        Some(Applicant {
            name: name?,
            capacity: capacity?,
            email,
            phone,
        })
    }

    fn invoices(&mut self, invoices: &[InvoiceInput], today: NaiveDate) -> Option<Vec<Invoice>> {
        // Cert'O guide, slide 33: at least one invoice, and its amount is mandatory.
        if invoices.is_empty() {
            self.problem("invoices", "trade-field-invoice-required");
            return None;
        }
        if invoices.len() > MAX_LINES {
            self.problem("invoices", "trade-field-too-many");
            return None;
        }
        let mut out = Vec::new();
        for (i, inv) in invoices.iter().enumerate() {
            let number = self.required(&format!("invoices.{i}.number"), &inv.number, 60);
            let date = if inv.date.trim().is_empty() {
                self.problem(format!("invoices.{i}.date"), "trade-field-required");
                None
            } else {
                match NaiveDate::parse_from_str(inv.date.trim(), "%Y-%m-%d") {
                    Ok(d) if d > today => {
                        self.problem(format!("invoices.{i}.date"), "trade-field-date-future");
                        None
                    }
                    Ok(d) => Some(d),
                    Err(_) => {
                        self.problem(format!("invoices.{i}.date"), "trade-field-date");
                        None
                    }
                }
            };
            let amount = if inv.amount.trim().is_empty() {
                self.problem(format!("invoices.{i}.amount"), "trade-field-required");
                None
            } else {
                match Money::parse(&inv.amount) {
                    Ok(m) if m.cents() > 0 => Some(m),
                    _ => {
                        self.problem(format!("invoices.{i}.amount"), "trade-field-amount");
                        None
                    }
                }
            };
            if let (Some(number), Some(date), Some(amount)) = (number, date, amount) {
                out.push(Invoice {
                    number,
                    date,
                    amount,
                });
            }
        }
        (out.len() == invoices.len()).then_some(out)
    }

    fn certificate_of_origin(
        &mut self,
        f: &FormInput,
        today: NaiveDate,
    ) -> Option<CertificateOfOriginForm> {
        let name = self.required("consignee.name", &f.consignee.name, MAX_TEXT);
        let address = self.required("consignee.address", &f.consignee.address, MAX_TEXT);
        let country = self.country("consignee.country", &f.consignee.country);
        // the EU certificate-of-origin form, box 2: the consignee is never Italian.
        if country.is_some_and(Country::is_italy) {
            self.problem("consignee.country", "trade-field-consignee-italian");
        }
        let origin_country = self.country("origin_country", &f.origin_country);
        let transport = self.optional("transport", &f.transport, MAX_TEXT);
        let remarks = self.optional("remarks", &f.remarks, MAX_LONG_TEXT);
        let items = if f.items.is_empty() {
            self.problem("items", "trade-field-item-required");
            None
        } else if f.items.len() > MAX_LINES {
            self.problem("items", "trade-field-too-many");
            None
        } else {
            let mut out = Vec::new();
            for (i, item) in f.items.iter().enumerate() {
                let marks = self.optional(&format!("items.{i}.marks"), &item.marks, MAX_TEXT);
                let packages =
                    self.required(&format!("items.{i}.packages"), &item.packages, MAX_TEXT);
                let description = self.required(
                    &format!("items.{i}.description"),
                    &item.description,
                    MAX_LONG_TEXT,
                );
                let quantity =
                    self.required(&format!("items.{i}.quantity"), &item.quantity, MAX_TEXT);
                if let (Some(packages), Some(description), Some(quantity)) =
                    (packages, description, quantity)
                {
                    out.push(ItemLine {
                        number: item.number.unwrap_or(i as u32 + 1),
                        marks: marks.unwrap_or_default(),
                        packages,
                        description,
                        quantity,
                    });
                }
            }
            (out.len() == f.items.len()).then_some(out)
        };
        let invoices = self.invoices(&f.invoices, today);
        Some(CertificateOfOriginForm {
            consignee: Consignee {
                name: name?,
                address: address?,
                country: country?,
            },
            origin_country: origin_country?,
            transport,
            remarks,
            items: items?,
            invoices: invoices?,
        })
    }

    fn invoice_visa(&mut self, f: &FormInput, today: NaiveDate) -> Option<InvoiceVisaForm> {
        let applicant = self.applicant(&f.applicant);
        let destination_country = self.country("destination_country", &f.destination_country);
        let invoices = self.invoices(&f.invoices, today);
        let notes = self.optional("notes", &f.notes, MAX_LONG_TEXT);
        Some(InvoiceVisaForm {
            applicant: applicant?,
            destination_country: destination_country?,
            invoices: invoices?,
            notes,
        })
    }

    fn visas(&mut self, f: &FormInput) -> Option<VisasAttestationsForm> {
        let applicant = self.applicant(&f.applicant);
        let destination_country = self.country("destination_country", &f.destination_country);
        let request = self.required("request", &f.request, MAX_LONG_TEXT);
        let notes = self.optional("notes", &f.notes, MAX_LONG_TEXT);
        Some(VisasAttestationsForm {
            applicant: applicant?,
            destination_country: destination_country?,
            request: request?,
            notes,
        })
    }

    fn certificate_number(
        &mut self,
        value: &str,
        required: bool,
    ) -> Option<Option<CertificateNumber>> {
        if value.trim().is_empty() {
            if required {
                self.problem("certificate_number", "trade-field-required");
                return None;
            }
            return Some(None);
        }
        match CertificateNumber::parse(value) {
            Some(n) => Some(Some(n)),
            None => {
                self.problem("certificate_number", "trade-field-certificate-number");
                None
            }
        }
    }

    fn copy(&mut self, f: &FormInput) -> Option<CertificateCopyForm> {
        let applicant = self.applicant(&f.applicant);
        let certificate_number = self.certificate_number(&f.certificate_number, false);
        let form_serial = if f.form_serial.trim().is_empty() {
            Some(None)
        } else if let Some(s) = FormSerial::parse(&f.form_serial) {
            Some(Some(s))
        } else {
            self.problem("form_serial", "trade-field-form-serial");
            None
        };
        let notes = self.optional("notes", &f.notes, MAX_LONG_TEXT);
        Some(CertificateCopyForm {
            applicant: applicant?,
            certificate_number: certificate_number?,
            form_serial: form_serial?,
            notes,
        })
    }

    fn cancellation(&mut self, f: &FormInput) -> Option<CancellationForm> {
        let applicant = self.applicant(&f.applicant);
        let certificate_number = self.certificate_number(&f.certificate_number, true);
        let reason = CancellationReason::parse(&f.reason);
        if reason.is_none() {
            self.problem("reason", "trade-field-reason");
        }
        let explanation = self.required("notes", &f.notes, MAX_LONG_TEXT);
        Some(CancellationForm {
            applicant: applicant?,
            certificate_number: certificate_number??,
            reason: reason?,
            explanation: explanation?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    pub(crate) fn valid_co_input() -> FormInput {
        FormInput {
            consignee: ConsigneeInput {
                name: "ACME Trading LLC".into(),
                address: "1200 Harbor Blvd, Long Beach CA 90802".into(),
                country: "US".into(),
            },
            origin_country: "IT".into(),
            transport: "Nave da Genova a Long Beach".into(),
            remarks: "Invoice No. 2026/118 of 20/11/2026".into(),
            items: vec![ItemInput {
                number: Some(1),
                marks: "ACME 1-20".into(),
                packages: "20 casse di legno".into(),
                description: "Valvole a sfera in acciaio inox".into(),
                quantity: "1.250 kg lordi".into(),
            }],
            invoices: vec![InvoiceInput {
                number: "2026/118".into(),
                date: "2026-11-20".into(),
                amount: "15400.00".into(),
            }],
            ..FormInput::default()
        }
    }

    fn fields(r: Result<BaseModelForm, Vec<FieldProblem>>) -> Vec<(String, &'static str)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.field, p.key))
            .collect()
    }

    #[test]
    fn a_complete_certificate_of_origin_is_valid() {
        let form = BaseModelForm::validate(
            PracticeType::CertificateOfOrigin,
            &valid_co_input(),
            today(),
        )
        .unwrap();
        let BaseModelForm::CertificateOfOrigin(co) = form else {
            panic!()
        };
        assert_eq!(co.invoices[0].amount.cents(), 1_540_000);
        assert_eq!(co.consignee.country.code(), "US");
    }

    /// A goods line's problem is named as the form posts the field (`items.1.description`),
    /// so the page finds the field and its label.
    #[test]
    fn a_goods_line_problem_names_its_line_and_field() {
        let mut input = valid_co_input();
        input.items.push(input.items[0].clone());
        input.items[1].description = String::new();
        assert_eq!(
            fields(BaseModelForm::validate(
                PracticeType::CertificateOfOrigin,
                &input,
                today()
            )),
            vec![("items.1.description".to_string(), "trade-field-required")]
        );
    }

    #[test]
    fn the_invoice_amount_is_mandatory() {
        let mut input = valid_co_input();
        input.invoices[0].amount = String::new();
        assert_eq!(
            fields(BaseModelForm::validate(
                PracticeType::CertificateOfOrigin,
                &input,
                today()
            )),
            vec![("invoices.0.amount".to_string(), "trade-field-required")]
        );
        input.invoices.clear();
        assert_eq!(
            fields(BaseModelForm::validate(
                PracticeType::CertificateOfOrigin,
                &input,
                today()
            )),
            vec![("invoices".to_string(), "trade-field-invoice-required")]
        );
    }

    #[test]
    fn the_consignee_is_never_italian() {
        let mut input = valid_co_input();
        input.consignee.country = "Italia".into();
        assert!(
            fields(BaseModelForm::validate(
                PracticeType::CertificateOfOrigin,
                &input,
                today()
            ))
            .contains(&(
                "consignee.country".to_string(),
                "trade-field-consignee-italian"
            ))
        );
    }

    #[test]
    fn every_missing_field_is_named() {
        let got = fields(BaseModelForm::validate(
            PracticeType::CertificateOfOrigin,
            &FormInput::default(),
            today(),
        ));
        let names: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        for f in [
            "consignee.name",
            "consignee.address",
            "consignee.country",
            "origin_country",
            "items",
            "invoices",
        ] {
            assert!(names.contains(&f), "{f} in {names:?}");
        }
    }

    #[test]
    fn invoices_cannot_be_dated_in_the_future() {
        let mut input = valid_co_input();
        input.invoices[0].date = "2026-12-01".into();
        assert!(
            fields(BaseModelForm::validate(
                PracticeType::CertificateOfOrigin,
                &input,
                today()
            ))
            .contains(&("invoices.0.date".to_string(), "trade-field-date-future"))
        );
    }

    #[test]
    fn visa_practices_require_the_applicant() {
        let input = FormInput {
            destination_country: "SA".into(),
            request: "Visto poteri di firma".into(),
            ..FormInput::default()
        };
        let got = fields(BaseModelForm::validate(
            PracticeType::VisasAttestations,
            &input,
            today(),
        ));
        assert!(got.contains(&("applicant.name".to_string(), "trade-field-required")));
        assert!(got.contains(&("applicant.capacity".to_string(), "trade-field-required")));
    }

    #[test]
    fn a_cancellation_names_a_well_formed_certificate_number() {
        let mut input = FormInput {
            applicant: ApplicantInput {
                name: "Giulia Bianchi".into(),
                capacity: "Legale rappresentante".into(),
                ..Default::default()
            },
            certificate_number: "C2222123".into(),
            reason: "loss".into(),
            notes: "Smarrito durante la spedizione".into(),
            ..FormInput::default()
        };
        assert!(
            fields(BaseModelForm::validate(
                PracticeType::Cancellation,
                &input,
                today()
            ))
            .contains(&(
                "certificate_number".to_string(),
                "trade-field-certificate-number"
            ))
        );
        input.certificate_number = "c26ge0000123".into();
        let form = BaseModelForm::validate(PracticeType::Cancellation, &input, today()).unwrap();
        let BaseModelForm::Cancellation(c) = form else {
            panic!()
        };
        assert_eq!(c.certificate_number.as_str(), "C26GE0000123");
        assert!(c.reason.needs_police_report());
    }

    #[test]
    fn form_serials_are_a_letter_and_seven_digits() {
        assert!(FormSerial::parse("A0123456").is_some());
        assert!(FormSerial::parse("A/0123456").is_none());
        assert!(FormSerial::parse("01234567").is_none());
    }
}
