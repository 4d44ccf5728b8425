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
use futures::StreamExt;
use std::sync::{Arc, Mutex};
use std::task::Poll;

/// Largest URL-encoded form read to look for the token (the largest base-model form is a
/// few tens of kilobytes).
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// How far into a multipart body the token may be: our forms put it first, before any
/// file, so an upload is never held in memory to find it.
const MAX_MULTIPART_PREFIX: usize = 64 * 1024;

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
    let matches =
        |sent: &str| !expected.is_empty() && constant_time_eq(sent.as_bytes(), expected.as_bytes());
    if let Some(sent) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if matches(sent) {
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
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| too_large())?;
        return match form_field(&bytes) {
            Some(sent) if matches(&sent) => Ok(next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await),
            _ => Err(csrf_error()),
        };
    }
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(&content_type).map_err(|_| csrf_error())?;
        let (sent, body) = multipart_field(boundary, body).await;
        return match sent {
            Some(sent) if matches(&sent) => Ok(next.run(Request::from_parts(parts, body)).await),
            _ => Err(csrf_error()),
        };
    }
    // Any other body cannot carry the form field: refused unread.
    Err(csrf_error())
}

fn too_large() -> AppError {
    AppError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "error-payload-too-large",
    )
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

/// The body's chunks as they are read, kept so the request can be replayed to the handler.
struct Recorded {
    chunks: Vec<Bytes>,
    len: usize,
}

/// Reads the `csrf` field of a multipart body, which must come before any file and within
/// [`MAX_MULTIPART_PREFIX`] bytes. Returns it with a body that replays what was read and
/// streams the rest: nothing beyond the prefix is held in memory here.
async fn multipart_field(boundary: String, body: Body) -> (Option<String>, Body) {
    let source = Arc::new(Mutex::new(Some(body.into_data_stream())));
    let recorded = Arc::new(Mutex::new(Recorded {
        chunks: Vec::new(),
        len: 0,
    }));
    let tee = {
        let source = source.clone();
        let recorded = recorded.clone();
        futures::stream::poll_fn(move |cx| {
            let mut recorded = recorded.lock().unwrap_or_else(|p| p.into_inner());
            if recorded.len > MAX_MULTIPART_PREFIX {
                return Poll::Ready(None);
            }
            let mut source = source.lock().unwrap_or_else(|p| p.into_inner());
            let Some(stream) = source.as_mut() else {
                return Poll::Ready(None);
            };
            match stream.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    recorded.len += chunk.len();
                    recorded.chunks.push(chunk.clone());
                    Poll::Ready(Some(Ok::<_, std::io::Error>(chunk)))
                }
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
    };
    let mut multipart = multer::Multipart::new(tee, boundary);
    let mut token = None;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if field.file_name().is_some() {
            break;
        }
        let is_token = field.name() == Some("csrf");
        let mut text = Vec::new();
        let mut complete = false;
        while let Ok(chunk) = field.chunk().await {
            match chunk {
                Some(c) if text.len() + c.len() <= MAX_MULTIPART_PREFIX => {
                    text.extend_from_slice(&c)
                }
                Some(_) => break,
                None => {
                    complete = true;
                    break;
                }
            }
        }
        if is_token {
            if complete {
                token = String::from_utf8(text).ok();
            }
            break;
        }
        if !complete {
            break;
        }
    }
    drop(multipart);
    let replay: Vec<Bytes> = {
        let mut r = recorded.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut r.chunks)
    };
    let rest = source.lock().unwrap_or_else(|p| p.into_inner()).take();
    let replayed = futures::stream::iter(replay.into_iter().map(Ok::<_, axum::Error>));
    let body = match rest {
        Some(rest) => Body::from_stream(replayed.chain(rest)),
        None => Body::from_stream(replayed),
    };
    (token, body)
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

    async fn read_all(body: Body) -> String {
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_token_is_read_from_multipart_forms_and_the_body_is_replayed_whole() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XX--\r\n";
        // Delivered in small pieces, as a network would.
        let pieces: Vec<Result<Bytes, std::io::Error>> = body
            .as_bytes()
            .chunks(7)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let (got, replay) = multipart_field(
            "XX".into(),
            Body::from_stream(futures::stream::iter(pieces)),
        )
        .await;
        assert_eq!(got.as_deref(), Some("tok"));
        assert_eq!(read_all(replay).await, body);
    }

    #[tokio::test]
    async fn a_token_after_a_file_is_not_looked_for() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XX--\r\n";
        let (got, _) = multipart_field("XX".into(), Body::from(body)).await;
        assert_eq!(got, None);
    }
}
