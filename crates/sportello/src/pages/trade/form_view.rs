//! The base-model form as the page shows it: sections of fields (each with its label, help
//! text and error), and repeating rows (goods, invoices). One generic template renders every
//! practice type; the fields of each type are listed here. Field names are the paths the
//! validation uses (`consignee.name`, `items.0.description`), so errors land next to their
//! field and a posted form is read back with [`input_from_pairs`].

use sportello_core::i18n::Lang;
use sportello_core::trade::country::Country;
use sportello_core::trade::form::{FieldProblem, FormInput, InvoiceInput, ItemInput};
use sportello_core::trade::practice::rectification::{FieldChange, ValueKind};
use sportello_core::trade::practice::signed_model::ModelChanges;
use sportello_core::trade::practice_type::PracticeType;

#[derive(Clone, Debug)]
pub enum Kind {
    Text,
    Long,
    Date,
    Amount,
    Select(Vec<(String, String)>),
}

#[derive(Clone, Debug)]
pub struct FieldView {
    /// Form field name and element id.
    pub name: String,
    pub id: String,
    pub label: String,
    pub help: String,
    pub value: String,
    pub error: Option<String>,
    pub required: bool,
    pub kind: Kind,
}

impl FieldView {
    pub fn is_long(&self) -> bool {
        matches!(self.kind, Kind::Long)
    }
    pub fn is_select(&self) -> bool {
        matches!(self.kind, Kind::Select(_))
    }
    pub fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Date => "date",
            _ => "text",
        }
    }
    /// The value as a reader sees it: a chosen option's label, not its code; a date as
    /// `20/11/2026`.
    pub fn display(&self) -> String {
        match &self.kind {
            Kind::Date => chrono::NaiveDate::parse_from_str(self.value.trim(), "%Y-%m-%d")
                .map(sportello_core::display::date)
                .unwrap_or_else(|_| self.value.clone()),
            Kind::Select(options) => options
                .iter()
                .find(|(v, _)| !v.is_empty() && *v == self.value)
                .map(|(_, l)| l.clone())
                .unwrap_or_else(|| self.value.clone()),
            _ => self.value.clone(),
        }
    }

    pub fn options(&self) -> &[(String, String)] {
        match &self.kind {
            Kind::Select(o) => o,
            _ => &[],
        }
    }
    pub fn inputmode(&self) -> &'static str {
        match self.kind {
            Kind::Amount => "decimal",
            _ => "text",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Section {
    /// The certificate box, when the section is one (1–7).
    pub title: String,
    pub fields: Vec<FieldView>,
}

#[derive(Clone, Debug)]
pub struct Rows {
    pub title: String,
    pub help: String,
    pub error: Option<String>,
    /// `items` or `invoices`: the add/remove buttons post `add_<group>` / `remove_<group>_<n>`.
    pub group: &'static str,
    pub rows: Vec<Vec<FieldView>>,
}

#[derive(Clone, Debug)]
pub struct FormView {
    pub sections: Vec<Section>,
    pub rows: Vec<Rows>,
    pub problems: usize,
}

struct Builder<'a> {
    lang: Lang,
    problems: &'a [FieldProblem],
}

impl Builder<'_> {
    fn error(&self, name: &str) -> Option<String> {
        self.problems
            .iter()
            .find(|p| p.field == name)
            .map(|p| self.lang.t(p.key))
    }

    fn field(&self, name: &str, key: &str, value: &str, required: bool, kind: Kind) -> FieldView {
        FieldView {
            name: name.to_string(),
            id: name.replace('.', "-"),
            label: self.lang.t(&format!("trade-f-{key}")),
            help: self.lang.t(&format!("trade-h-{key}")),
            value: value.to_string(),
            error: self.error(name),
            required,
            kind,
        }
    }

    fn countries(&self, allow_eu: bool) -> Kind {
        let mut options = vec![(String::new(), self.lang.t("choose"))];
        options.extend(
            Country::all()
                .into_iter()
                .filter(|c| allow_eu || c.code() != "EU")
                .map(|c| {
                    let name = match self.lang {
                        Lang::It => c.name_it(),
                        Lang::En => c.name_en(),
                    };
                    (c.code().to_string(), name.to_string())
                }),
        );
        Kind::Select(options)
    }

    fn applicant(&self, f: &FormInput) -> Section {
        Section {
            title: self.lang.t("trade-s-applicant"),
            fields: vec![
                self.field(
                    "applicant.name",
                    "applicant-name",
                    &f.applicant.name,
                    true,
                    Kind::Text,
                ),
                self.field(
                    "applicant.capacity",
                    "applicant-capacity",
                    &f.applicant.capacity,
                    true,
                    Kind::Text,
                ),
                self.field(
                    "applicant.email",
                    "applicant-email",
                    &f.applicant.email,
                    false,
                    Kind::Text,
                ),
                self.field(
                    "applicant.phone",
                    "applicant-phone",
                    &f.applicant.phone,
                    false,
                    Kind::Text,
                ),
            ],
        }
    }

    fn invoices(&self, f: &FormInput) -> Rows {
        let list: Vec<InvoiceInput> = if f.invoices.is_empty() {
            vec![InvoiceInput::default()]
        } else {
            f.invoices.clone()
        };
        Rows {
            title: self.lang.t("trade-s-invoices"),
            help: self.lang.t("trade-h-invoices"),
            error: self.error("invoices"),
            group: "invoices",
            rows: list
                .iter()
                .enumerate()
                .map(|(i, inv)| {
                    vec![
                        self.field(
                            &format!("invoices.{i}.number"),
                            "invoice-number",
                            &inv.number,
                            true,
                            Kind::Text,
                        ),
                        self.field(
                            &format!("invoices.{i}.date"),
                            "invoice-date",
                            &inv.date,
                            true,
                            Kind::Date,
                        ),
                        self.field(
                            &format!("invoices.{i}.amount"),
                            "invoice-amount",
                            &inv.amount,
                            true,
                            Kind::Amount,
                        ),
                    ]
                })
                .collect(),
        }
    }
}

/// The form of `practice_type` filled with `input`, with `problems` next to their fields.
pub fn form_view(
    practice_type: PracticeType,
    input: &FormInput,
    problems: &[FieldProblem],
    lang: Lang,
) -> FormView {
    let b = Builder { lang, problems };
    let f = input;
    let mut sections = Vec::new();
    let mut rows = Vec::new();
    match practice_type {
        PracticeType::CertificateOfOrigin => {
            sections.push(Section {
                title: lang.t("trade-s-box2"),
                fields: vec![
                    b.field(
                        "consignee.name",
                        "consignee-name",
                        &f.consignee.name,
                        true,
                        Kind::Text,
                    ),
                    b.field(
                        "consignee.address",
                        "consignee-address",
                        &f.consignee.address,
                        true,
                        Kind::Long,
                    ),
                    b.field(
                        "consignee.country",
                        "consignee-country",
                        &f.consignee.country,
                        true,
                        b.countries(false),
                    ),
                ],
            });
            sections.push(Section {
                title: lang.t("trade-s-box3"),
                fields: vec![b.field(
                    "origin_country",
                    "origin-country",
                    &f.origin_country,
                    true,
                    b.countries(true),
                )],
            });
            sections.push(Section {
                title: lang.t("trade-s-box4"),
                fields: vec![b.field("transport", "transport", &f.transport, false, Kind::Long)],
            });
            sections.push(Section {
                title: lang.t("trade-s-box5"),
                fields: vec![b.field("remarks", "remarks", &f.remarks, false, Kind::Long)],
            });
            let items: Vec<ItemInput> = if f.items.is_empty() {
                vec![ItemInput::default()]
            } else {
                f.items.clone()
            };
            rows.push(Rows {
                title: lang.t("trade-s-box6"),
                help: lang.t("trade-h-items"),
                error: b.error("items"),
                group: "items",
                rows: items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| {
                        vec![
                            b.field(
                                &format!("items.{i}.marks"),
                                "item-marks",
                                &it.marks,
                                false,
                                Kind::Text,
                            ),
                            b.field(
                                &format!("items.{i}.packages"),
                                "item-packages",
                                &it.packages,
                                true,
                                Kind::Text,
                            ),
                            b.field(
                                &format!("items.{i}.description"),
                                "item-description",
                                &it.description,
                                true,
                                Kind::Long,
                            ),
                            b.field(
                                &format!("items.{i}.quantity"),
                                "item-quantity",
                                &it.quantity,
                                true,
                                Kind::Text,
                            ),
                        ]
                    })
                    .collect(),
            });
            rows.push(b.invoices(f));
        }
        PracticeType::InvoiceVisa => {
            sections.push(b.applicant(f));
            sections.push(Section {
                title: lang.t("trade-s-request"),
                fields: vec![
                    b.field(
                        "destination_country",
                        "destination-country",
                        &f.destination_country,
                        true,
                        b.countries(false),
                    ),
                    b.field("notes", "notes", &f.notes, false, Kind::Long),
                ],
            });
            rows.push(b.invoices(f));
        }
        PracticeType::VisasAttestations => {
            sections.push(b.applicant(f));
            sections.push(Section {
                title: lang.t("trade-s-request"),
                fields: vec![
                    b.field(
                        "destination_country",
                        "destination-country",
                        &f.destination_country,
                        true,
                        b.countries(false),
                    ),
                    b.field("request", "request", &f.request, true, Kind::Long),
                    b.field("notes", "notes", &f.notes, false, Kind::Long),
                ],
            });
        }
        PracticeType::CertificateCopy => {
            sections.push(b.applicant(f));
            sections.push(Section {
                title: lang.t("trade-s-request"),
                fields: vec![
                    b.field(
                        "certificate_number",
                        "certificate-number",
                        &f.certificate_number,
                        false,
                        Kind::Text,
                    ),
                    b.field(
                        "form_serial",
                        "form-serial",
                        &f.form_serial,
                        false,
                        Kind::Text,
                    ),
                    b.field("notes", "notes", &f.notes, false, Kind::Long),
                ],
            });
        }
        PracticeType::Cancellation => {
            sections.push(b.applicant(f));
            let reasons = ["cancellation", "destruction", "loss", "theft"]
                .iter()
                .map(|r| (r.to_string(), lang.t(&format!("trade-reason-{r}"))))
                .collect::<Vec<_>>();
            let mut options = vec![(String::new(), lang.t("choose"))];
            options.extend(reasons);
            sections.push(Section {
                title: lang.t("trade-s-request"),
                fields: vec![
                    b.field(
                        "certificate_number",
                        "certificate-number",
                        &f.certificate_number,
                        true,
                        Kind::Text,
                    ),
                    b.field("reason", "reason", &f.reason, true, Kind::Select(options)),
                    b.field("notes", "explanation", &f.notes, true, Kind::Long),
                ],
            });
        }
    }
    FormView {
        sections,
        rows,
        problems: problems.len(),
    }
}

/// One changed field of a model as people read it: its label (with the row of goods or
/// invoices it is in), the value before and after, countries and reasons by name, dates as
/// `20/11/2026`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeView {
    pub field: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

/// The difference between the model sent before and the one signed again, for a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangesView {
    /// Which versions are compared, in words.
    pub help: String,
    pub rows: Vec<ChangeView>,
}

fn human(kind: ValueKind, value: &str, lang: Lang) -> String {
    if value.is_empty() {
        return lang.t("trade-change-empty");
    }
    match kind {
        ValueKind::Text => value.to_string(),
        ValueKind::Country => match Country::parse(value) {
            Ok(c) => match lang {
                Lang::It => c.name_it(),
                Lang::En => c.name_en(),
            }
            .to_string(),
            Err(_) => value.to_string(),
        },
        ValueKind::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(sportello_core::display::date)
            .unwrap_or_else(|_| value.to_string()),
        ValueKind::Reason => {
            let key = format!("trade-reason-{value}");
            let label = lang.t(&key);
            if label == key {
                value.to_string()
            } else {
                label
            }
        }
    }
}

fn change_view(c: &FieldChange, lang: Lang) -> ChangeView {
    let label = match c.row {
        Some(n) => format!("{} · {} {n}", lang.t(c.label_key), lang.t("trade-form-row")),
        None => lang.t(c.label_key),
    };
    ChangeView {
        field: c.field.clone(),
        label,
        before: human(c.kind, &c.before, lang),
        after: human(c.kind, &c.after, lang),
    }
}

/// The model's changes as a page shows them.
pub fn changes_view(m: &ModelChanges, lang: Lang) -> ChangesView {
    ChangesView {
        help: lang.t_args(
            "trade-model-changes-help",
            &[
                ("before", m.before.model_version.to_string()),
                ("after", m.after.model_version.to_string()),
            ],
        ),
        rows: m.changes.iter().map(|c| change_view(c, lang)).collect(),
    }
}

/// What the posted form asks besides saving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowAction {
    Add(&'static str),
    Remove(&'static str, usize),
}

/// Reads a posted form (`consignee.name`, `items.0.description`…) back into an input, and
/// the row button that was pressed, if any.
pub fn input_from_pairs(pairs: &[(String, String)]) -> (FormInput, Option<RowAction>) {
    let mut f = FormInput::default();
    let mut action = None;
    fn at<T: Default>(v: &mut Vec<T>, i: usize) -> Option<&mut T> {
        if i >= 200 {
            return None;
        }
        while v.len() <= i {
            v.push(T::default());
        }
        v.get_mut(i)
    }
    for (k, v) in pairs {
        let value = v.clone();
        match k.as_str() {
            "consignee.name" => f.consignee.name = value,
            "consignee.address" => f.consignee.address = value,
            "consignee.country" => f.consignee.country = value,
            "origin_country" => f.origin_country = value,
            "transport" => f.transport = value,
            "remarks" => f.remarks = value,
            "applicant.name" => f.applicant.name = value,
            "applicant.capacity" => f.applicant.capacity = value,
            "applicant.email" => f.applicant.email = value,
            "applicant.phone" => f.applicant.phone = value,
            "destination_country" => f.destination_country = value,
            "request" => f.request = value,
            "notes" => f.notes = value,
            "certificate_number" => f.certificate_number = value,
            "form_serial" => f.form_serial = value,
            "reason" => f.reason = value,
            "action" => {
                action = match v.as_str() {
                    "add_items" => Some(RowAction::Add("items")),
                    "add_invoices" => Some(RowAction::Add("invoices")),
                    other => other
                        .strip_prefix("remove_items_")
                        .and_then(|n| n.parse().ok())
                        .map(|n| RowAction::Remove("items", n))
                        .or_else(|| {
                            other
                                .strip_prefix("remove_invoices_")
                                .and_then(|n| n.parse().ok())
                                .map(|n| RowAction::Remove("invoices", n))
                        }),
                }
            }
            other => {
                let parts: Vec<&str> = other.splitn(3, '.').collect();
                if let [group, index, field] = parts[..]
                    && let Ok(i) = index.parse::<usize>()
                {
                    match (group, field) {
                        ("items", _) => {
                            if let Some(item) = at(&mut f.items, i) {
                                match field {
                                    "marks" => item.marks = value,
                                    "packages" => item.packages = value,
                                    "description" => item.description = value,
                                    "quantity" => item.quantity = value,
                                    _ => {}
                                }
                            }
                        }
                        ("invoices", _) => {
                            if let Some(inv) = at(&mut f.invoices, i) {
                                match field {
                                    "number" => inv.number = value,
                                    "date" => inv.date = value,
                                    "amount" => inv.amount = value,
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    // Rows left completely empty are dropped; row numbers follow the order.
    f.items.retain(|i| {
        !(i.marks.trim().is_empty()
            && i.packages.trim().is_empty()
            && i.description.trim().is_empty()
            && i.quantity.trim().is_empty())
    });
    f.invoices.retain(|i| {
        !(i.number.trim().is_empty() && i.date.trim().is_empty() && i.amount.trim().is_empty())
    });
    for (n, item) in f.items.iter_mut().enumerate() {
        item.number = Some(n as u32 + 1);
    }
    (f, action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn posted_rows_are_read_back_and_empty_rows_dropped() {
        let (f, action) = input_from_pairs(&pairs(&[
            ("consignee.name", "ACME"),
            ("items.0.description", "Valvole"),
            ("items.1.description", ""),
            ("invoices.0.number", "118"),
            ("invoices.0.amount", "10,00"),
            ("action", "add_items"),
        ]));
        assert_eq!(f.consignee.name, "ACME");
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.items[0].number, Some(1));
        assert_eq!(f.invoices[0].amount, "10,00");
        assert_eq!(action, Some(RowAction::Add("items")));
        let (_, action) = input_from_pairs(&pairs(&[("action", "remove_invoices_2")]));
        assert_eq!(action, Some(RowAction::Remove("invoices", 2)));
    }

    #[test]
    fn changes_are_written_in_human_words() {
        let c = FieldChange {
            field: "consignee.country".into(),
            label_key: "trade-f-consignee-country",
            row: None,
            kind: ValueKind::Country,
            before: "US".into(),
            after: "CA".into(),
        };
        let v = change_view(&c, Lang::It);
        assert_eq!(v.label, "Paese del destinatario");
        assert_eq!(
            (v.before.as_str(), v.after.as_str()),
            ("Stati Uniti d'America", "Canada")
        );
        let d = FieldChange {
            field: "invoices.0.date".into(),
            label_key: "trade-f-invoice-date",
            row: Some(1),
            kind: ValueKind::Date,
            before: "2026-11-20".into(),
            after: String::new(),
        };
        let v = change_view(&d, Lang::It);
        assert_eq!(v.label, "Data fattura · Riga 1");
        assert_eq!(
            (v.before.as_str(), v.after.as_str()),
            ("20/11/2026", "(vuoto)")
        );
    }

    #[test]
    fn absurd_row_numbers_are_ignored() {
        let (f, _) = input_from_pairs(&pairs(&[("items.99999.description", "x")]));
        assert!(f.items.is_empty());
    }
}
