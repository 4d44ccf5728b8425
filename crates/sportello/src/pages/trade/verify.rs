//! Public verification pages (no login; Italian and English): the form, and the result the
//! certificate's QR code opens.

use crate::app::AppState;
use crate::web::client::ClientAddr;
use crate::web::form_errors::FormErrors;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_core::trade::country::Country;
use sportello_core::trade::desk::verify::{self, Verification};

#[derive(Template)]
#[template(path = "trade/verify.html")]
struct VerifyPage {
    layout: Layout,
    number: String,
    code: String,
    result: Option<Verification>,
    consignee_country: String,
    origin_country: String,
    not_found: bool,
    errors: FormErrors,
}

#[derive(serde::Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

fn country_name(code: &str, viewer: &Viewer) -> String {
    match Country::parse(code) {
        Ok(c) => match viewer.lang {
            sportello_core::i18n::Lang::It => c.name_it().to_string(),
            sportello_core::i18n::Lang::En => c.name_en().to_string(),
        },
        Err(_) => code.to_string(),
    }
}

async fn answer(
    state: &AppState,
    viewer: &Viewer,
    client: ClientAddr,
    number: String,
    code: String,
) -> Result<Response, AppError> {
    let mut page = VerifyPage {
        layout: Layout::new(viewer, "verify-title"),
        number: number.trim().to_uppercase(),
        code: code.trim().to_uppercase(),
        result: None,
        consignee_country: String::new(),
        origin_country: String::new(),
        not_found: false,
        errors: FormErrors::new(),
    };
    match (page.number.is_empty(), page.code.is_empty()) {
        // The form, not yet filled in.
        (true, true) => return Ok(render(&page)?.into_response()),
        // Half filled in (or a QR code without its code): name what is missing.
        (true, false) | (false, true) => {
            let lang = viewer.lang;
            if page.number.is_empty() {
                page.errors.field(
                    "number",
                    lang.t("verify-number"),
                    lang.t("verify-error-number-required"),
                );
            }
            if page.code.is_empty() {
                page.errors.field(
                    "code",
                    lang.t("verify-code"),
                    lang.t("verify-error-code-required"),
                );
            }
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        (false, false) => {}
    }
    match verify::verify(state, &client.key(), &page.number, &page.code).await? {
        Some(v) => {
            page.consignee_country = country_name(&v.consignee_country, viewer);
            page.origin_country = country_name(&v.origin_country, viewer);
            page.result = Some(v);
            Ok(render(&page)?.into_response())
        }
        None => {
            page.not_found = true;
            Ok((StatusCode::NOT_FOUND, render(&page)?).into_response())
        }
    }
}

/// `GET /verify?number=…&code=…` (the form, and its answer).
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddr,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    answer(&state, &viewer, client, q.number, q.code).await
}

/// `GET /verify/{number}?code=…` (what the QR code opens).
pub async fn by_number(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddr,
    Path(number): Path<String>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    answer(&state, &viewer, client, number, q.code).await
}
