//! The client's address: the TCP peer, or, when the peer is one of the configured trusted
//! proxies (`SPORTELLO_TRUSTED_PROXIES`), the address it reports in `X-Forwarded-For`
//! (`TrustedProxies::client_of`). Every per-address limit (login, verification, pairing of
//! a second screen) keys on this, never on the raw header.

use crate::app::AppState;
use crate::web::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// The address of the client that made the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// As stored by the throttles.
    pub fn key(&self) -> String {
        self.0.to_string()
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no peer address")))?;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientAddr(
            state.config.trusted_proxies.client_of(peer, forwarded),
        ))
    }
}
