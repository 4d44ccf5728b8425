//! Operations endpoints: liveness, readiness, Prometheus metrics.

use crate::app::AppState;
use crate::web::AppError;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// How long a readiness check may take before it counts as failed.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// The key the readiness check asks the blob store about: the SHA-256 of a fixed text, which
/// may or may not be stored; only the store's answering matters.
fn probe_key() -> String {
    sportello_core::blobs::sha256_hex(b"sportello readiness probe")
}

/// The process can serve: the database answers and so does the blob store (an `exists` of a
/// probe key). 200 or 503, with each check's outcome in JSON; what went wrong is logged, never
/// shown (it may name hosts or buckets).
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            false
        }
    };
    let blobs = match tokio::time::timeout(READY_TIMEOUT, state.blobs.exists(&probe_key())).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the blob store does not answer");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: the blob store did not answer in time");
            false
        }
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let status = if database && blobs {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if status == StatusCode::OK { "ready" } else { "unavailable" },
        "checks": { "database": word(database), "blobs": word(blobs) },
    });
    (status, Json(body))
}

/// Who may read `/metrics`. With `SPORTELLO_METRICS_TOKEN` set: whoever shows it as a
/// bearer token. Without: only a request from this machine (a loopback peer) that no proxy
/// forwarded, since a load balancer on the same machine would otherwise pass the public's
/// requests in from the loopback address too.
pub fn may_read_metrics(
    token: Option<&sportello_core::config::Secret>,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> bool {
    match token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            // Compared as digests, so the time taken says nothing about the token.
            .is_some_and(|given| {
                sportello_core::blobs::sha256_hex(given.trim().as_bytes())
                    == sportello_core::blobs::sha256_hex(token.expose().as_bytes())
            }),
        None => {
            peer.is_some_and(|p| p.is_loopback())
                && ["x-forwarded-for", "forwarded", "x-real-ip"]
                    .iter()
                    .all(|h| !headers.contains_key(*h))
        }
    }
}

/// The Prometheus text format: this process's counters and histograms, and gauges read from
/// the database. Anyone else than [`may_read_metrics`] allows gets "not found".
pub async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    let peer = crate::web::observe::peer_of(&request);
    if !may_read_metrics(state.config.metrics_token.as_ref(), peer, request.headers()) {
        tracing::warn!("metrics: refused a reader without the token or from elsewhere");
        return AppError::not_found().into_response();
    }
    let gauges = sportello_core::metrics::gauges_for_scrape(&state.db, state.clock.now()).await;
    let build = sportello_core::metrics::BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        instance_id: state.config.instance_id.clone(),
        engine: state.db.engine().name().to_string(),
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&build, gauges.as_ref()),
    )
        .into_response()
}
