//! FatturaPA e-invoices on a base model's page: upload (which prefills the form for the
//! company to review), removal, the file itself; and the check of the invoice table shown on
//! the practice page (company) and the desk page (officer).

use crate::app::AppState;
use crate::pages::trade::models::{FormPage, form_page, own_model};
use crate::web::download::Download;
use crate::web::form::MultipartForm;
use crate::web::{AppError, Viewer, render};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_core::i18n::Lang;
use sportello_core::trade::einvoice::{
    self, EInvoiceError, Mismatch, ParseError, Prefilled, StoredEInvoice,
};
use sportello_core::trade::practice::Practice;

/// One uploaded file as its row on the model page.
pub struct EInvoiceRow {
    pub id: String,
    pub file_name: String,
    /// Each invoice of the file: `Fattura 2026/118 del 20/11/2026: 15.400,00 €`.
    pub invoices: Vec<String>,
    pub buyer: String,
    /// `firmata, firma valida` and the signer, when signed.
    pub signature: Option<String>,
}

impl EInvoiceRow {
    pub fn of(e: &StoredEInvoice, lang: Lang) -> Self {
        EInvoiceRow {
            id: e.id.clone(),
            file_name: e.file_name.clone(),
            invoices: e
                .content
                .invoices
                .iter()
                .map(|i| {
                    let total = if i.in_euro() {
                        i.total.to_italian()
                    } else {
                        i.total.to_italian().replace('€', &i.currency)
                    };
                    let summed = if i.total_stated {
                        String::new()
                    } else {
                        format!(" ({})", lang.t("einvoice-total-summed"))
                    };
                    lang.t_args(
                        "einvoice-invoice",
                        &[
                            ("number", i.number.clone()),
                            ("date", sportello_core::display::date(i.date)),
                            ("total", format!("{total}{summed}")),
                        ],
                    )
                })
                .collect(),
            buyer: format!("{} ({})", e.content.buyer.name, e.content.buyer.country),
            signature: e.signed.then(|| {
                let state = if e.signature_valid {
                    lang.t("einvoice-signed-valid")
                } else {
                    lang.t("einvoice-signed-not-valid")
                };
                match &e.signer {
                    Some(s) if !s.is_empty() => format!("{state}: {s}"),
                    _ => state,
                }
            }),
        }
    }
}

/// The check of a practice's invoice table, as the practice and desk pages show it.
pub struct CheckView {
    pub files: Vec<String>,
    pub mismatches: Vec<String>,
}

/// The check for a practice the viewer may read (`None`: no e-invoice was uploaded).
pub async fn check_view(
    state: &AppState,
    practice: &Practice,
    lang: Lang,
) -> Result<Option<CheckView>, AppError> {
    Ok(einvoice::practice_check(&state.db, practice)
        .await?
        .map(|(files, mismatches)| CheckView {
            files: files.iter().map(|f| f.file_name.clone()).collect(),
            mismatches: mismatches
                .iter()
                .map(|m: &Mismatch| m.for_people(lang))
                .collect(),
        }))
}

/// The sentence for an upload that was refused for what the file is; `None` for a failure
/// of ours (it becomes an error page).
fn refusal(e: &EInvoiceError, lang: Lang) -> Option<String> {
    Some(match e {
        EInvoiceError::NoFile => lang.t("einvoice-error-no-file"),
        EInvoiceError::NotForThisType => lang.t("einvoice-error-type"),
        EInvoiceError::UnreadableSignature => lang.t("einvoice-error-unreadable-signature"),
        EInvoiceError::Sent { protocol_number } => lang.t_args(
            "einvoice-error-sent",
            &[("protocol", protocol_number.clone())],
        ),
        EInvoiceError::Parse(p) => match p {
            ParseError::TooLarge => lang.t("einvoice-error-too-large"),
            ParseError::NotText => lang.t("einvoice-error-not-text"),
            ParseError::Dtd => lang.t("einvoice-error-dtd"),
            ParseError::Entity => lang.t("einvoice-error-entity"),
            ParseError::Malformed => lang.t("einvoice-error-malformed"),
            ParseError::NotFatturaPa => lang.t("einvoice-error-not-fatturapa"),
            ParseError::UnsupportedFormat(f) => {
                lang.t_args("einvoice-error-format", &[("format", f.clone())])
            }
            ParseError::Missing(el) => {
                lang.t_args("einvoice-error-missing", &[("element", el.to_string())])
            }
            ParseError::BadValue(el) => {
                lang.t_args("einvoice-error-bad-value", &[("element", el.to_string())])
            }
            ParseError::TooMany => lang.t("einvoice-error-too-many"),
        },
        EInvoiceError::NotFound
        | EInvoiceError::Model(_)
        | EInvoiceError::Blob(_)
        | EInvoiceError::Db(_) => return None,
    })
}

fn summary(done: &Prefilled, lang: Lang) -> String {
    let mut parts = Vec::new();
    if done.consignee {
        parts.push(lang.t("einvoice-prefilled-consignee"));
    }
    if done.items > 0 {
        parts.push(lang.t_count("einvoice-prefilled-items", done.items as u64));
    }
    if done.invoices > 0 {
        parts.push(lang.t_count("einvoice-prefilled-invoices", done.invoices as u64));
    }
    for n in &done.foreign_currency {
        parts.push(lang.t_args("einvoice-prefilled-currency", &[("number", n.clone())]));
    }
    if parts.is_empty() {
        parts.push(lang.t("einvoice-prefilled-nothing"));
    }
    parts.join("; ")
}

/// Uploads an e-invoice to the model and shows the prefilled form, with what is still
/// missing, for the company to review. A refused file shows the form unchanged with the
/// reason (422); nothing is stored.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = crate::pages::trade::company_user(&viewer)?;
    let m = crate::pages::trade::writable_model(&state, p, &id).await?;
    let mut form = MultipartForm::read(mp).await?;
    let file = form.take_file("einvoice").unwrap_or_default();
    match einvoice::attach(&state, p, &m, &file.file_name, &file.bytes).await {
        Ok((stored, done)) => {
            let m = own_model(&state, &viewer, &id).await?;
            let input = m.input.clone();
            let mut page: FormPage = form_page(&state, &viewer, m, &input, true, false).await?;
            page.einvoice_notice = Some(viewer.lang.t_args(
                "einvoice-prefilled",
                &[
                    ("file", stored.file_name.clone()),
                    ("summary", summary(&done, viewer.lang)),
                ],
            ));
            Ok(render(&page)?.into_response())
        }
        Err(e) => refused(&state, &viewer, m, e).await,
    }
}

/// The model's page unchanged, with why the e-invoice was refused: 409 when a practice made
/// from the model was sent, 422 for the file itself.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    m: sportello_core::trade::model::Model,
    e: EInvoiceError,
) -> Result<Response, AppError> {
    let Some(message) = refusal(&e, viewer.lang) else {
        return Err(internal(e));
    };
    let status = match e {
        EInvoiceError::Sent { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let input = m.input.clone();
    let mut page = form_page(state, viewer, m, &input, false, false).await?;
    page.einvoice_error = Some(message);
    Ok((status, render(&page)?).into_response())
}

fn internal(e: EInvoiceError) -> AppError {
    match e {
        EInvoiceError::NotFound => AppError::not_found(),
        EInvoiceError::Model(e) => crate::web::error::trade::model_error(e),
        EInvoiceError::Db(e) => e.into(),
        EInvoiceError::Blob(e) => e.into(),
        other => AppError::internal(other),
    }
}

/// Removes an e-invoice from the model; the form keeps what it prefilled.
pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, eid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = crate::pages::trade::company_user(&viewer)?;
    let m = crate::pages::trade::writable_model(&state, p, &id).await?;
    if let Err(e) = einvoice::remove(&state, p, &m, &eid).await {
        return refused(&state, &viewer, m, e).await;
    }
    let m = own_model(&state, &viewer, &id).await?;
    let input = m.input.clone();
    let mut page = form_page(&state, &viewer, m, &input, false, false).await?;
    page.einvoice_notice = Some(viewer.lang.t("einvoice-removed"));
    Ok(render(&page)?.into_response())
}

/// The file as uploaded, to the model's company only.
pub async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, eid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let m = own_model(&state, &viewer, &id).await?;
    let e = einvoice::get(&state.db, &m.id, &eid)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&e.blob).await?;
    let content_type = if e.signed {
        "application/pkcs7-mime"
    } else {
        "application/xml"
    };
    Ok(Download::new(content_type, &e.file_name, bytes).into_response())
}
