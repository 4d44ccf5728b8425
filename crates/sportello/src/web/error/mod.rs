//! The one place where errors become HTTP.
//!
//! Policy: a use case returns its own error enum; handlers convert it into [`AppError`] with
//! `?`. An `AppError` carries an HTTP status, a stable machine `code`, and a message key
//! (translated when rendered); internal causes are logged with a correlation id and never
//! shown. The [`render_errors`] middleware turns every error response into either an
//! `application/problem+json` body (under `/api/`) or a full HTML error page in the user's
//! language; an unauthenticated page request is redirected to the login page instead.

use crate::web::session::Viewer;
use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;
use sportello_core::i18n::Lang;

pub mod appointments;
pub mod delegation;
pub mod devices;
pub mod intermediary;
pub mod issuance;
pub mod publications;
pub mod ra;
pub mod trade;
pub mod webhooks;

pub use sportello_core::validation::FieldError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub fields: Vec<FieldError>,
    source: Option<anyhow::Error>,
}

/// What [`render_errors`] needs, carried in the response extensions.
#[derive(Clone, Debug)]
struct ErrorInfo {
    code: &'static str,
    key: &'static str,
    args: Vec<(&'static str, String)>,
    fields: Vec<FieldError>,
    incident: Option<String>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, key: &'static str) -> Self {
        Self {
            status,
            code,
            key,
            args: Vec::new(),
            fields: Vec::new(),
            source: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "error-not-found")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "error-forbidden")
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "error-unauthorized",
        )
    }

    pub fn bad_request(code: &'static str, key: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, key)
    }

    pub fn conflict(code: &'static str, key: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code, key)
    }

    /// Invalid input, with the fields concerned.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "error-validation",
        );
        e.fields = fields;
        e
    }

    /// A body larger than `limit` bytes: the message names the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "error-upload-too-large",
        )
        .arg("limit", crate::web::form_errors::size_limit(limit))
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "error-rate-limited",
        )
    }

    /// Something went wrong on our side; the cause is logged, not shown.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "error-internal",
        );
        e.source = Some(source.into());
        e
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The translated message.
    pub fn message(&self, lang: Lang) -> String {
        lang.t_args(self.key, &self.args)
    }
}

impl From<sportello_core::db::Error> for AppError {
    fn from(e: sportello_core::db::Error) -> Self {
        Self::internal(e)
    }
}

/// A field's message for people: the message only (a field's raw name means nothing to a
/// person), and a line of an imported file named as people count it ("Riga 3: …").
pub fn field_text(f: &FieldError, lang: Lang) -> String {
    let text = lang.t_args(f.key, &f.args);
    match f.field.strip_prefix("line ") {
        Some(n) if n.parse::<u64>().is_ok() => {
            lang.t_args("error-line", &[("line", n.to_string()), ("text", text)])
        }
        _ => text,
    }
}

/// A spreadsheet refused by its bounds: 422 with a message naming the limit (the same for
/// every import).
impl From<sportello_core::spreadsheet::SheetError> for AppError {
    fn from(e: sportello_core::spreadsheet::SheetError) -> Self {
        use sportello_core::spreadsheet::SheetError;
        let code = match e {
            SheetError::Unreadable => "unreadable_sheet",
            SheetError::FileTooLarge { .. } => "sheet_too_large",
            SheetError::TooManyRows { .. } => "sheet_too_many_rows",
            SheetError::TooManyColumns { .. } => "sheet_too_many_columns",
            SheetError::CellTooLong { .. } => "sheet_cell_too_long",
            SheetError::Unpacked { .. } => "sheet_unpacked_too_large",
            SheetError::NotUtf8 => "sheet_not_utf8",
        };
        let (key, args) = e.message();
        let mut err = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, key);
        err.args = args;
        err
    }
}

impl From<sportello_core::authz::AccessError> for AppError {
    fn from(e: sportello_core::authz::AccessError) -> Self {
        use sportello_core::authz::AccessError;
        match e {
            AccessError::Forbidden => Self::forbidden(),
            AccessError::NotFound => Self::not_found(),
            AccessError::Db(e) => Self::internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::internal(e)
    }
}

impl From<sportello_core::blobs::BlobError> for AppError {
    fn from(e: sportello_core::blobs::BlobError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let incident = self.source.as_ref().map(|source| {
            let incident = uuid::Uuid::new_v4().simple().to_string();
            tracing::error!(%incident, code = self.code, error = ?source, "request failed");
            incident
        });
        let mut response = self.status.into_response();
        response.extensions_mut().insert(ErrorInfo {
            code: self.code,
            key: self.key,
            args: self.args,
            fields: self.fields,
            incident,
        });
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: crate::web::Layout,
    status: u16,
    message: String,
    fields: Vec<String>,
    incident: Option<&'a str>,
    /// Where the form that was sent can be found again (a page of this site).
    back: Option<String>,
}

/// Renders error responses (see the module documentation).
pub async fn render_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let header_lang = crate::web::session::lang_of(request.headers());
    let referer = same_site_path(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let viewer = response.extensions().get::<Viewer>().cloned();
    let lang = viewer.as_ref().map(|v| v.lang).unwrap_or(header_lang);
    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None => {
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            // A page or problem we rendered ourselves (e.g. the login form with its error).
            if content_type.starts_with("text/html")
                || content_type.starts_with("application/problem+json")
            {
                return response;
            }
            // Errors produced outside our handlers: extractor rejections (malformed form or
            // JSON), body too large, wrong method, unknown route. Their text (e.g. "missing
            // field `name`") is safe and useful to an API client.
            let mut info = generic_info(status);
            if is_api && status.is_client_error() {
                let (parts, body) = response.into_parts();
                let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
                let text = String::from_utf8_lossy(&text).trim().to_string();
                return problem(parts, status, &info, lang, Some(text));
            }
            info.incident = None;
            info
        }
    };
    let (mut parts, _) = response.into_parts();
    let message = lang.t_args(info.key, &info.args);
    if is_api {
        return problem(parts, status, &info, lang, None);
    }
    if status == StatusCode::UNAUTHORIZED {
        let next = percent_encoding::utf8_percent_encode(&path, percent_encoding::NON_ALPHANUMERIC);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let viewer = viewer.unwrap_or_else(|| Viewer::anonymous(lang, path));
    let too_large = status == StatusCode::PAYLOAD_TOO_LARGE;
    let title = if too_large {
        "error-upload-too-large-title"
    } else {
        "error-title"
    };
    let page = ErrorPage {
        layout: crate::web::Layout::new(&viewer, title),
        status: status.as_u16(),
        message: message.clone(),
        // The messages only: a field's raw name means nothing to a person.
        fields: info.fields.iter().map(|f| field_text(f, lang)).collect(),
        incident: info.incident.as_deref(),
        back: referer.filter(|_| status.is_client_error()),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{} {}", status.as_u16(), message));
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(Html(body).0))
}

/// The page a request came from, when it is one of ours: the path of a same-origin
/// `Referer` (the site sends `Referrer-Policy: same-origin`, so others never arrive), never a
/// link to another site.
fn same_site_path(headers: &axum::http::HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let path = rest.strip_prefix(host)?;
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

/// An `application/problem+json` response (RFC 9457) with our stable `code`.
fn problem(
    mut parts: axum::http::response::Parts,
    status: StatusCode,
    info: &ErrorInfo,
    lang: Lang,
    cause: Option<String>,
) -> Response {
    let message = lang.t_args(info.key, &info.args);
    let lang_fields: Vec<_> = info
        .fields
        .iter()
        .map(|f| json!({"field": f.field, "code": f.key, "detail": lang.t_args(f.key, &f.args)}))
        .collect();
    let detail = match cause.filter(|c| !c.is_empty()) {
        Some(cause) => format!("{message} ({cause})"),
        None => message.to_string(),
    };
    let mut body = json!({
        "type": format!("/problems/{}", info.code),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "code": info.code,
        "detail": detail,
    });
    if !lang_fields.is_empty() {
        body["errors"] = json!(lang_fields);
    }
    if let Some(incident) = &info.incident {
        body["incident"] = json!(incident);
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

fn generic_info(status: StatusCode) -> ErrorInfo {
    let (code, key) = match status {
        StatusCode::NOT_FOUND => ("not_found", "error-not-found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "error-method-not-allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "error-upload-too-large"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "error-unauthorized"),
        StatusCode::FORBIDDEN => ("forbidden", "error-forbidden"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY
        | StatusCode::BAD_REQUEST => ("bad_request", "error-bad-request"),
        s if s.is_server_error() => ("internal", "error-internal"),
        _ => ("error", "error-bad-request"),
    };
    let args = if status == StatusCode::PAYLOAD_TOO_LARGE {
        vec![(
            "limit",
            crate::web::form_errors::size_limit(crate::web::MAX_BODY_BYTES),
        )]
    } else {
        Vec::new()
    };
    ErrorInfo {
        code,
        key,
        args,
        fields: Vec::new(),
        incident: None,
    }
}
