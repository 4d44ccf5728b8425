//! The HTTP side of revocation checking: the core's `revocation::Fetcher` over reqwest.
//!
//! Bounded on every side, since the addresses come from certificates: 5 s to connect, 15 s in
//! all, at most 3 redirects, answers read up to 1 MiB (OCSP) or 32 MiB (CRL) and refused past
//! that, and only `http`/`https` URLs.

use async_trait::async_trait;
use sportello_core::revocation::{FetchError, Fetcher};
use std::time::Duration;

const MAX_OCSP_BYTES: usize = 1024 * 1024;
const MAX_CRL_BYTES: usize = 32 * 1024 * 1024;

/// Fetches OCSP answers and CRLs over HTTP.
#[derive(Clone, Debug)]
pub struct HttpFetcher {
    client: reqwest::Client,
}

impl HttpFetcher {
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("sportello/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }
}

fn checked_url(url: &str) -> Result<reqwest::Url, FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| FetchError(format!("bad URL: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(FetchError(format!("unsupported scheme {other}"))),
    }
}

async fn body(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, FetchError> {
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError(format!("HTTP {status}")));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(FetchError("answer too large".into()));
    }
    let mut response = response;
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError(e.to_string()))?
    {
        if out.len() + chunk.len() > limit {
            return Err(FetchError("answer too large".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[async_trait]
impl Fetcher for HttpFetcher {
    async fn ocsp(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, FetchError> {
        let response = self
            .client
            .post(checked_url(url)?)
            .header("content-type", "application/ocsp-request")
            .header("accept", "application/ocsp-response")
            .body(request.to_vec())
            .send()
            .await
            .map_err(|e| FetchError(unreachable_text(&e)))?;
        body(response, MAX_OCSP_BYTES).await
    }

    async fn crl(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let response = self
            .client
            .get(checked_url(url)?)
            .send()
            .await
            .map_err(|e| FetchError(unreachable_text(&e)))?;
        body(response, MAX_CRL_BYTES).await
    }
}

fn unreachable_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        e.to_string()
    }
}
