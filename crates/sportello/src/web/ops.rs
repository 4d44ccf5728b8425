//! Operations endpoints: liveness, readiness, Prometheus metrics.

use crate::app::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
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

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let outbox = sportello_core::notify::pending_count(&state.db)
        .await
        .unwrap_or(-1);
    let jobs = sportello_core::jobs::counts(&state.db)
        .await
        .unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(outbox, &jobs),
    )
}
