//! What a form page shows of a submission's mistakes: each field in error by its label, with
//! its message, for the summary at the top of the form (`templates/_form.html`, macro
//! `summary`) and next to the field itself (macros `field`, `invalid` and `message`), tied to
//! it by `aria-invalid` and `aria-describedby`. A problem that belongs to no field (wrong
//! credentials) is listed too, without a link.

use sportello_core::i18n::Lang;
use sportello_core::validation::FieldError;

/// One problem of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// The `id` of the field in the page; empty for a problem of the whole form.
    pub id: String,
    /// The field's label as the page shows it; empty for a problem of the whole form.
    pub label: String,
    pub message: String,
}

/// The problems of one submission of a form, in the order of the form's fields.
#[derive(Clone, Debug, Default)]
pub struct FormErrors {
    items: Vec<FormError>,
}

/// A field of a form: the name it is sent under (and its problems are named by), the `id` of
/// its element in the page, and the message key of its label.
pub type FieldLabel = (&'static str, &'static str, &'static str);

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// The field errors of a use case, each named by its label from `fields`; a field not
    /// in `fields` is listed by its message only (never by its raw name). The summary follows
    /// the order of `fields`, which is the order of the form.
    pub fn from_fields(lang: Lang, fields: &[FieldLabel], errors: &[FieldError]) -> Self {
        let mut out = Self::new();
        for (name, id, label_key) in fields {
            for e in errors.iter().filter(|e| e.field == *name) {
                out.field(id, lang.t(label_key), lang.t_args(e.key, &e.args));
            }
        }
        for e in errors {
            if !fields.iter().any(|(name, _, _)| e.field == *name) {
                out.form(lang.t_args(e.key, &e.args));
            }
        }
        out
    }

    /// A problem of the field whose element has `id`, shown under `label`.
    pub fn field(&mut self, id: &str, label: impl Into<String>, message: impl Into<String>) {
        let label = label.into();
        // The label as the summary reads it: without the "required" mark.
        let label = label.trim_end_matches('*').trim_end().to_string();
        self.items.push(FormError {
            id: id.to_string(),
            label,
            message: message.into(),
        });
    }

    /// A problem of the form as a whole.
    pub fn form(&mut self, message: impl Into<String>) {
        self.items.push(FormError {
            id: String::new(),
            label: String::new(),
            message: message.into(),
        });
    }

    pub fn extend(&mut self, other: FormErrors) {
        self.items.extend(other.items);
    }

    /// The summary's heading: how many problems there are.
    pub fn title(&self, lang: &Lang) -> String {
        let lang = *lang;
        match self.items.len() {
            1 => lang.t("form-errors-one"),
            n => lang.t_args("form-errors-many", &[("count", n.to_string())]),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn items(&self) -> &[FormError] {
        &self.items
    }

    /// Whether the field whose element has `id` is in error.
    pub fn has(&self, id: &str) -> bool {
        self.items.iter().any(|e| !id.is_empty() && e.id == id)
    }

    /// The messages of the field whose element has `id`, joined.
    pub fn message(&self, id: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .items
            .iter()
            .filter(|e| !id.is_empty() && e.id == id)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }
}

/// A size limit as people read it: `5 MB`, `500 kB`.
pub fn size_limit(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64).replace('.', ",")
    } else {
        format!("{} kB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_is_named_by_its_label_in_form_order_and_never_by_its_raw_name() {
        let lang = Lang::It;
        let fields = [
            ("goods_location", "goods_location", "trade-d-goods-location"),
            ("proforma", "proforma-yes", "trade-d-proforma"),
        ];
        let errors = [
            FieldError::new("proforma", "trade-field-required"),
            FieldError::new("goods_location", "trade-field-required"),
            FieldError::new("mystery_field", "trade-field-required"),
        ];
        let e = FormErrors::from_fields(lang, &fields, &errors);
        let ids: Vec<&str> = e.items().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["goods_location", "proforma-yes", ""]);
        assert!(e.items().iter().all(|i| !i.label.contains('_')));
        assert!(e.has("proforma-yes"));
        assert!(!e.has(""));
        assert!(e.message("goods_location").is_some());
    }

    #[test]
    fn a_size_limit_reads_in_megabytes() {
        assert_eq!(size_limit(5 * 1024 * 1024), "5 MB");
        assert_eq!(size_limit(32 * 1024 * 1024), "32 MB");
        assert_eq!(size_limit(1536 * 1024), "1,5 MB");
        assert_eq!(size_limit(64 * 1024), "64 kB");
    }
}
