//! What a rectification is about (Cert'O guide, slide 60: the office asks for a rectification
//! "per aggiungere un allegato o correzioni di compilazione", and the company has 24 hours).
//!
//! The officer names the fields to correct from a fixed list per practice type — the model's
//! fields, its rows of goods and invoices, the practice's details, the attachments — each with
//! its label, so the company reads "Paese di origine", never a path. When the company corrects
//! the model and re-signs it, [`changes`] compares the model sent before with the new one,
//! field by field, for the officer.

use crate::trade::form::FormInput;
use crate::trade::practice::Practice;
use crate::trade::practice_type::PracticeType;

/// A field the officer may name in a rectification request: its name (the path the forms and
/// the API use) and the message key of its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RectifyField {
    pub name: &'static str,
    pub label_key: &'static str,
}

const fn f(name: &'static str, label_key: &'static str) -> RectifyField {
    RectifyField { name, label_key }
}

const APPLICANT: [RectifyField; 4] = [
    f("applicant.name", "trade-f-applicant-name"),
    f("applicant.capacity", "trade-f-applicant-capacity"),
    f("applicant.email", "trade-f-applicant-email"),
    f("applicant.phone", "trade-f-applicant-phone"),
];

/// The fields of the model of each type, in the order of its form.
fn model_fields(t: PracticeType) -> Vec<RectifyField> {
    match t {
        PracticeType::CertificateOfOrigin => vec![
            f("consignee.name", "trade-f-consignee-name"),
            f("consignee.address", "trade-f-consignee-address"),
            f("consignee.country", "trade-f-consignee-country"),
            f("origin_country", "trade-f-origin-country"),
            f("transport", "trade-f-transport"),
            f("remarks", "trade-f-remarks"),
            f("items", "trade-s-box6"),
            f("invoices", "trade-s-invoices"),
        ],
        PracticeType::InvoiceVisa => {
            let mut v = APPLICANT.to_vec();
            v.extend([
                f("destination_country", "trade-f-destination-country"),
                f("notes", "trade-f-notes"),
                f("invoices", "trade-s-invoices"),
            ]);
            v
        }
        PracticeType::VisasAttestations => {
            let mut v = APPLICANT.to_vec();
            v.extend([
                f("destination_country", "trade-f-destination-country"),
                f("request", "trade-f-request"),
                f("notes", "trade-f-notes"),
            ]);
            v
        }
        PracticeType::CertificateCopy => {
            let mut v = APPLICANT.to_vec();
            v.extend([
                f("certificate_number", "trade-f-certificate-number"),
                f("form_serial", "trade-f-form-serial"),
                f("notes", "trade-f-notes"),
            ]);
            v
        }
        PracticeType::Cancellation => {
            let mut v = APPLICANT.to_vec();
            v.extend([
                f("certificate_number", "trade-f-certificate-number"),
                f("reason", "trade-f-reason"),
                f("notes", "trade-f-explanation"),
            ]);
            v
        }
    }
}

/// Every field an officer may name for a practice of type `t`: the model's, then the
/// practice's details, then the attachments.
pub fn fields_of(t: PracticeType) -> Vec<RectifyField> {
    let mut v = model_fields(t);
    v.extend([
        f("proforma", "trade-d-proforma"),
        f("goods_location", "trade-d-goods-location"),
        f("print_mode", "trade-d-print-mode"),
    ]);
    if t.has_copies() {
        v.push(f("copies", "trade-d-copies"));
    }
    v.extend([
        f("annotations", "trade-d-annotations"),
        f("attachments", "trade-attachments"),
    ]);
    v
}

/// The field of that name for the type, if the officer may name it.
pub fn field(t: PracticeType, name: &str) -> Option<RectifyField> {
    fields_of(t).into_iter().find(|f| f.name == name)
}

/// The fields named by the rectification the practice is in (or was last in).
pub fn flagged(practice: &Practice) -> Vec<RectifyField> {
    practice
        .rectify_fields
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| field(practice.practice_type, n.trim()))
        .collect()
}

/// How a value is written for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    /// An ISO 3166 code (or `EU`), shown as the country's name.
    Country,
    /// A `YYYY-MM-DD` date, shown as `20/11/2026`.
    Date,
    /// A cancellation reason code, shown by its label.
    Reason,
}

/// One field of a model as compared: its path, label, row (for goods and invoices), kind.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    path: String,
    label_key: &'static str,
    row: Option<usize>,
    kind: ValueKind,
    value: String,
}

/// A field whose value differs between two versions of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// The path, e.g. `consignee.country` or `items.1.quantity`.
    pub field: String,
    pub label_key: &'static str,
    /// The row (from 1) of goods or invoices the field is in.
    pub row: Option<usize>,
    pub kind: ValueKind,
    pub before: String,
    pub after: String,
}

fn entries(t: PracticeType, input: &FormInput) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut one = |path: &str, label_key: &'static str, kind: ValueKind, value: &str| {
        out.push(Entry {
            path: path.to_string(),
            label_key,
            row: None,
            kind,
            value: value.trim().to_string(),
        });
    };
    let applicant = |one: &mut dyn FnMut(&str, &'static str, ValueKind, &str)| {
        let a = &input.applicant;
        one(
            "applicant.name",
            "trade-f-applicant-name",
            ValueKind::Text,
            &a.name,
        );
        one(
            "applicant.capacity",
            "trade-f-applicant-capacity",
            ValueKind::Text,
            &a.capacity,
        );
        one(
            "applicant.email",
            "trade-f-applicant-email",
            ValueKind::Text,
            &a.email,
        );
        one(
            "applicant.phone",
            "trade-f-applicant-phone",
            ValueKind::Text,
            &a.phone,
        );
    };
    use ValueKind::{Country, Reason, Text};
    let i = input;
    match t {
        PracticeType::CertificateOfOrigin => {
            one(
                "consignee.name",
                "trade-f-consignee-name",
                Text,
                &i.consignee.name,
            );
            one(
                "consignee.address",
                "trade-f-consignee-address",
                Text,
                &i.consignee.address,
            );
            one(
                "consignee.country",
                "trade-f-consignee-country",
                Country,
                &i.consignee.country,
            );
            one(
                "origin_country",
                "trade-f-origin-country",
                Country,
                &i.origin_country,
            );
            one("transport", "trade-f-transport", Text, &i.transport);
            one("remarks", "trade-f-remarks", Text, &i.remarks);
        }
        PracticeType::InvoiceVisa => {
            applicant(&mut one);
            one(
                "destination_country",
                "trade-f-destination-country",
                Country,
                &i.destination_country,
            );
            one("notes", "trade-f-notes", Text, &i.notes);
        }
        PracticeType::VisasAttestations => {
            applicant(&mut one);
            one(
                "destination_country",
                "trade-f-destination-country",
                Country,
                &i.destination_country,
            );
            one("request", "trade-f-request", Text, &i.request);
            one("notes", "trade-f-notes", Text, &i.notes);
        }
        PracticeType::CertificateCopy => {
            applicant(&mut one);
            one(
                "certificate_number",
                "trade-f-certificate-number",
                Text,
                &i.certificate_number,
            );
            one("form_serial", "trade-f-form-serial", Text, &i.form_serial);
            one("notes", "trade-f-notes", Text, &i.notes);
        }
        PracticeType::Cancellation => {
            applicant(&mut one);
            one(
                "certificate_number",
                "trade-f-certificate-number",
                Text,
                &i.certificate_number,
            );
            one("reason", "trade-f-reason", Reason, &i.reason);
            one("notes", "trade-f-explanation", Text, &i.notes);
        }
    }
    let mut row = |path: String, label_key: &'static str, n: usize, kind, value: &str| {
        out.push(Entry {
            path,
            label_key,
            row: Some(n + 1),
            kind,
            value: value.trim().to_string(),
        });
    };
    if t == PracticeType::CertificateOfOrigin {
        for (n, it) in i.items.iter().enumerate() {
            row(
                format!("items.{n}.marks"),
                "trade-f-item-marks",
                n,
                Text,
                &it.marks,
            );
            row(
                format!("items.{n}.packages"),
                "trade-f-item-packages",
                n,
                Text,
                &it.packages,
            );
            row(
                format!("items.{n}.description"),
                "trade-f-item-description",
                n,
                Text,
                &it.description,
            );
            row(
                format!("items.{n}.quantity"),
                "trade-f-item-quantity",
                n,
                Text,
                &it.quantity,
            );
        }
    }
    if matches!(
        t,
        PracticeType::CertificateOfOrigin | PracticeType::InvoiceVisa
    ) {
        for (n, inv) in i.invoices.iter().enumerate() {
            row(
                format!("invoices.{n}.number"),
                "trade-f-invoice-number",
                n,
                Text,
                &inv.number,
            );
            row(
                format!("invoices.{n}.date"),
                "trade-f-invoice-date",
                n,
                ValueKind::Date,
                &inv.date,
            );
            row(
                format!("invoices.{n}.amount"),
                "trade-f-invoice-amount",
                n,
                Text,
                &inv.amount,
            );
        }
    }
    out
}

/// The fields of a model of type `t` whose value differs from `before` to `after`, in the
/// order of the form; a row of goods or invoices added or removed shows as its fields going
/// from or to nothing.
pub fn changes(t: PracticeType, before: &FormInput, after: &FormInput) -> Vec<FieldChange> {
    let old = entries(t, before);
    let new = entries(t, after);
    let mut out = Vec::new();
    let value_in = |list: &[Entry], path: &str| {
        list.iter()
            .find(|e| e.path == path)
            .map(|e| e.value.clone())
            .unwrap_or_default()
    };
    // The new form's order, then the fields only the old one had (rows taken away).
    let mut seen = std::collections::HashSet::new();
    for e in new.iter().chain(old.iter()) {
        if !seen.insert(e.path.clone()) {
            continue;
        }
        let (b, a) = (value_in(&old, &e.path), value_in(&new, &e.path));
        if b != a {
            out.push(FieldChange {
                field: e.path.clone(),
                label_key: e.label_key,
                row: e.row,
                kind: e.kind,
                before: b,
                after: a,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trade::form::{InvoiceInput, ItemInput};

    fn co() -> FormInput {
        let mut f = FormInput::default();
        f.consignee.name = "ACME Trading LLC".into();
        f.consignee.country = "US".into();
        f.origin_country = "IT".into();
        f.items = vec![ItemInput {
            number: Some(1),
            description: "Valvole".into(),
            quantity: "1.250 kg".into(),
            ..ItemInput::default()
        }];
        f.invoices = vec![InvoiceInput {
            number: "2026/118".into(),
            date: "2026-11-20".into(),
            amount: "15.400,00".into(),
        }];
        f
    }

    #[test]
    fn the_officer_names_fields_of_the_practice_type_only() {
        let co = fields_of(PracticeType::CertificateOfOrigin);
        assert!(co.iter().any(|f| f.name == "consignee.country"));
        assert!(co.iter().any(|f| f.name == "attachments"));
        assert!(co.iter().any(|f| f.name == "goods_location"));
        assert!(field(PracticeType::CertificateOfOrigin, "request").is_none());
        assert!(field(PracticeType::InvoiceVisa, "items").is_none());
        assert!(field(PracticeType::InvoiceVisa, "invoices").is_some());
        // Every name appears once.
        for t in PracticeType::ALL {
            let names: Vec<_> = fields_of(t).iter().map(|f| f.name).collect();
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(names.len(), unique.len(), "{t:?}");
        }
    }

    #[test]
    fn model_changes_name_each_changed_field_with_before_and_after() {
        let before = co();
        let mut after = co();
        after.consignee.country = "CA".into();
        after.items[0].quantity = "1.300 kg".into();
        after.items.push(ItemInput {
            number: Some(2),
            description: "Guarnizioni".into(),
            ..ItemInput::default()
        });
        let c = changes(PracticeType::CertificateOfOrigin, &before, &after);
        let fields: Vec<_> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "consignee.country",
                "items.0.quantity",
                "items.1.description"
            ]
        );
        assert_eq!(c[0].kind, ValueKind::Country);
        assert_eq!((c[0].before.as_str(), c[0].after.as_str()), ("US", "CA"));
        assert_eq!(c[1].row, Some(1));
        assert_eq!(c[2].before, "");
        // A row taken away shows its fields going to nothing.
        let back = changes(PracticeType::CertificateOfOrigin, &after, &before);
        assert!(
            back.iter()
                .any(|c| c.field == "items.1.description" && c.after.is_empty())
        );
        assert!(changes(PracticeType::CertificateOfOrigin, &before, &co()).is_empty());
    }
}
