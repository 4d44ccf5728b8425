//! What every request leaves behind: its id (`X-Request-Id`), the `request` span every log
//! line of it carries, its latency in `/metrics` by route template, and one closing log line
//! with its status and latency.
//!
//! The id is taken from the request's `X-Request-Id` only when the peer is a trusted proxy
//! (`SPORTELLO_TRUSTED_PROXIES`) and the id is well-formed (`request_id::well_formed`);
//! otherwise a UUID v7 is made. The request runs inside `request_id::scope`, so the jobs and
//! e-mails it enqueues keep the id for the worker's log lines.

use crate::app::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use sportello_core::config::TrustedProxies;
use sportello_core::metrics::UNMATCHED_ROUTE;
use sportello_core::request_id;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;
use tracing::Instrument;

/// The header that carries a request's id, in and out.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request: the trusted proxy's, when well-formed, or a new one.
pub fn request_id_of(
    proxies: &TrustedProxies,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> String {
    let from_proxy = peer.is_some_and(|p| proxies.contains(p));
    let given = headers
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match given {
        Some(id) if from_proxy && request_id::well_formed(id) => id.to_string(),
        _ => request_id::generate(),
    }
}

/// The peer of the connection (absent only for requests built in-process without one).
pub fn peer_of(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The outermost middleware: id, span, metrics, closing log line.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id_of(
        &state.config.trusted_proxies,
        peer_of(&request),
        request.headers(),
    );
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_string();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
    );
    let mut response =
        request_id::scope(id.clone(), next.run(request).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .request(&route, method.as_str(), status, elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request served");
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(&X_REQUEST_ID, HeaderValue::from_str(id).unwrap());
        h
    }

    #[test]
    fn a_request_id_is_believed_only_from_a_trusted_proxy_and_only_well_formed() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let proxy = Some("10.1.2.3".parse().unwrap());
        let stranger = Some("203.0.113.9".parse().unwrap());
        assert_eq!(
            request_id_of(&proxies, proxy, &headers("abc-123")),
            "abc-123"
        );
        let made = request_id_of(&proxies, stranger, &headers("abc-123"));
        assert_ne!(made, "abc-123");
        assert!(uuid::Uuid::parse_str(&made).is_ok_and(|u| u.get_version_num() == 7));
        assert_ne!(request_id_of(&proxies, proxy, &headers("a b")), "a b");
        assert_ne!(
            request_id_of(&proxies, None, &headers("abc-123")),
            "abc-123"
        );
    }
}
