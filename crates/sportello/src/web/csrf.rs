//! CSRF protection for every form: an unsafe request to a page route must carry the
//! visitor's token, as the `csrf` form field or the `X-CSRF-Token` header (htmx sends the
//! header). Checked here, once, before any handler runs. The API is exempt because it
//! authenticates with bearer tokens only, never cookies.

use crate::web::error::AppError;
use crate::web::session::Viewer;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// Largest body read to look for the token; larger uploads are refused by the body limit
/// before they get here.
const MAX_BUFFERED: usize = 64 * 1024 * 1024;

pub async fn check_csrf(request: Request, next: Next) -> Result<Response, AppError> {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !unsafe_method || request.uri().path().starts_with("/api/") {
        return Ok(next.run(request).await);
    }
    let expected = request
        .extensions()
        .get::<Viewer>()
        .map(|v| v.csrf.clone())
        .unwrap_or_default();
    if let Some(sent) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if !expected.is_empty() && constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            Ok(next.run(request).await)
        } else {
            Err(csrf_error())
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BUFFERED)
        .await
        .map_err(|_| {
            AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "error-payload-too-large",
            )
        })?;
    let sent = if content_type.starts_with("application/x-www-form-urlencoded") {
        form_field(&bytes)
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&content_type, bytes.clone()).await
    } else {
        None
    };
    match sent {
        Some(sent)
            if !expected.is_empty() && constant_time_eq(sent.as_bytes(), expected.as_bytes()) =>
        {
            Ok(next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await)
        }
        _ => Err(csrf_error()),
    }
}

fn csrf_error() -> AppError {
    AppError::new(axum::http::StatusCode::FORBIDDEN, "csrf", "error-csrf")
}

fn form_field(bytes: &[u8]) -> Option<String> {
    form_urlencoded_pairs(bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(bytes: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    bytes.split(|b| *b == b'&').filter_map(|pair| {
        let mut it = pair.splitn(2, |b| *b == b'=');
        let k = decode_component(it.next()?)?;
        let v = decode_component(it.next().unwrap_or_default())?;
        Some((k, v))
    })
}

fn decode_component(raw: &[u8]) -> Option<String> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

async fn multipart_field(content_type: &str, bytes: Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("csrf") {
            return field.text().await.ok();
        }
    }
    None
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_urlencoded_forms() {
        assert_eq!(
            form_field(b"a=1&csrf=abc%2Bd&b=2").as_deref(),
            Some("abc+d")
        );
        assert_eq!(form_field(b"a=1"), None);
    }

    #[tokio::test]
    async fn the_token_is_read_from_multipart_forms() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XX--\r\n";
        let got = multipart_field("multipart/form-data; boundary=XX", Bytes::from(body)).await;
        assert_eq!(got.as_deref(), Some("tok"));
    }
}
