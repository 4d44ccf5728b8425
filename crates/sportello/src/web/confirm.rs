//! Confirmation before an irreversible action (approve, reject, revoke, abort, no-show).
//!
//! The page shows a link styled as a button. With JavaScript, Bootstrap Italia opens the
//! action's modal dialog, already in the page; without it, the link opens the action's
//! confirmation page (a GET that changes nothing). Both hold the same form, which posts to the
//! action's unchanged route with the session's CSRF token: the server-side action is the same
//! with or without the dialog, and stays safe against a forged request.

/// A field the person fills in before confirming (a reason, a date, a signed notice).
#[derive(Clone, Debug)]
pub struct ConfirmField {
    pub id: String,
    pub name: &'static str,
    /// `text`, `date`, `file` or `textarea`.
    pub kind: &'static str,
    pub label: String,
    pub value: String,
    pub help: String,
    pub required: bool,
}

impl ConfirmField {
    pub fn new(id: &str, name: &'static str, kind: &'static str, label: String) -> Self {
        Self {
            id: id.to_string(),
            name,
            kind,
            label,
            value: String::new(),
            help: String::new(),
            required: false,
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }
}

/// One irreversible action, said in human words.
#[derive(Clone, Debug)]
pub struct Confirmation {
    /// The dialog's element id (`confirm-approve`, `confirm-no-show-<id>` where a page has
    /// several of a kind).
    pub id: String,
    /// The `data-testid` of the dialog, the page and their parts (`confirm-approve`).
    pub testid: &'static str,
    /// The question: "Approvare la pratica 2026/000123?"
    pub title: String,
    /// What will happen, one sentence a line: the practice, the company, the fee, the person.
    pub lines: Vec<String>,
    /// The route of the action (POST).
    pub action: String,
    /// The confirmation page (GET), for browsers without JavaScript.
    pub page: String,
    /// Where "Annulla" goes back to from the confirmation page.
    pub back: String,
    /// The trigger's and the confirm button's label.
    pub button: String,
    /// `btn-danger`, `btn-success`, `btn-primary`…
    pub button_class: &'static str,
    pub fields: Vec<ConfirmField>,
    /// Whether the form carries a file (multipart).
    pub multipart: bool,
}

/// The confirmation page, for a browser without JavaScript.
#[derive(askama::Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: super::Layout,
    pub c: Confirmation,
}

/// Renders the confirmation page of `c`, titled by its question.
pub fn page(
    viewer: &super::Viewer,
    c: Confirmation,
) -> Result<axum::response::Response, super::AppError> {
    use axum::response::IntoResponse;
    let mut layout = super::Layout::new(viewer, "confirm-title");
    layout.title = c.title.clone();
    Ok(super::render(&ConfirmPage { layout, c })?.into_response())
}
