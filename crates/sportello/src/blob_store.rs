//! The S3-compatible blob store, and the choice between it and the folder.
//!
//! Requests are signed and spoken by the `object_store` crate (no hand-written S3 signing),
//! over the shell's own reqwest client ([`ReqwestConnector`]): `object_store`'s bundled
//! client would bring a second HTTP stack and TLS provider (reqwest 0.13 on aws-lc-rs) next
//! to ours (reqwest 0.12 on rustls with ring). The core cannot hold this store: its HTTP
//! client pulls tower (see `floors.rs`).
//!
//! Objects are named like the folder's files, `<prefix>/ab/cdef…`, so a migrated store keeps
//! its names. A `put` is durable once the PUT has returned; it always writes, even content
//! already there, so the object is young again for the reaper.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use sportello_core::blobs::location::S3Settings;
use sportello_core::blobs::{
    self, BlobError, BlobStore, FsBlobStore, Location, StoredBlob, check_key,
};
use std::sync::Arc;
use std::time::Duration;

/// The blob store `location` names.
pub fn open(location: &Location) -> Result<Arc<dyn BlobStore>, BlobError> {
    match location {
        Location::Folder(dir) => Ok(Arc::new(FsBlobStore::new(dir))),
        Location::S3(settings) => Ok(Arc::new(S3BlobStore::new(settings)?)),
    }
}

/// Blobs in an S3-compatible bucket.
#[derive(Debug)]
pub struct S3BlobStore {
    store: AmazonS3,
    prefix: String,
    url: String,
}

impl S3BlobStore {
    pub fn new(settings: &S3Settings) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_allow_http(settings.allow_http)
            .with_http_connector(ReqwestConnector {
                https_only: !settings.allow_http,
            })
            // A few quick retries: a store that does not answer is reported, not waited for.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &settings.endpoint {
            // Self-hosted services (and test servers) answer on paths, not bucket subdomains.
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token.expose());
        }
        let store = builder.build().map_err(remote)?;
        Ok(Self {
            store,
            prefix: settings.prefix.clone(),
            url: settings.url(),
        })
    }

    fn path_of(&self, key: &str) -> Result<Path, BlobError> {
        let name = blobs::object_name(key)?;
        Ok(if self.prefix.is_empty() {
            Path::from(name)
        } else {
            Path::from(format!("{}/{name}", self.prefix))
        })
    }

    /// The key of a listed object, if it is one of ours.
    fn key_of(&self, path: &Path) -> Option<String> {
        let name = path.as_ref();
        let name = if self.prefix.is_empty() {
            name
        } else {
            name.strip_prefix(&self.prefix)?.strip_prefix('/')?
        };
        blobs::key_of_name(name)
    }
}

/// An `object_store` error as a blob error, without credentials (the crate never puts the
/// secret key in its messages; signed URLs are not used).
fn remote(e: object_store::Error) -> BlobError {
    BlobError::Remote(e.to_string())
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let key = blobs::sha256_hex(bytes);
        let path = self.path_of(&key)?;
        self.store
            .put(&path, PutPayload::from(bytes.to_vec()))
            .await
            .map_err(remote)?;
        Ok(key)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(key)?;
        match self.store.get(&path).await {
            Ok(got) => Ok(got.bytes().await.map_err(remote)?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(key.into())),
            Err(e) => Err(remote(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path_of(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote(e)),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        Ok(self.modified(key).await?.is_some())
    }

    async fn list_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredBlob>, BlobError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let mut listing = match after {
            Some(a) => {
                check_key(a)?;
                self.store
                    .list_with_offset(prefix.as_ref(), &self.path_of(a)?)
            }
            None => self.store.list(prefix.as_ref()),
        };
        let mut out = Vec::new();
        // S3 lists in key order, so the first `limit` of ours are the page.
        while let Some(meta) = listing.try_next().await.map_err(remote)? {
            if let Some(key) = self.key_of(&meta.location) {
                out.push(StoredBlob {
                    key,
                    modified: meta.last_modified,
                    size: meta.size,
                });
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn modified(&self, key: &str) -> Result<Option<DateTime<Utc>>, BlobError> {
        let path = self.path_of(key)?;
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(meta.last_modified)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(remote(e)),
        }
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}

/// Gives `object_store` the shell's reqwest client: rustls with ring, no system proxy,
/// bounded in time.
#[derive(Debug)]
struct ReqwestConnector {
    https_only: bool,
}

impl HttpConnector for ReqwestConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .https_only(self.https_only)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(ReqwestService(client)))
    }
}

#[derive(Debug)]
struct ReqwestService(reqwest::Client);

fn http_error(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_connect() {
        HttpErrorKind::Connect
    } else if e.is_body() || e.is_decode() {
        HttpErrorKind::Decode
    } else {
        HttpErrorKind::Request
    };
    HttpError::new(kind, e.without_url())
}

#[async_trait]
impl HttpService for ReqwestService {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = req.into_parts();
        let bytes = match body.as_bytes() {
            Some(b) => b.clone(),
            None => http_body_util::BodyExt::collect(body)
                .await
                .map_err(|e| HttpError::new(HttpErrorKind::Request, e))?
                .to_bytes(),
        };
        let url = reqwest::Url::parse(&parts.uri.to_string())
            .map_err(|e| HttpError::new(HttpErrorKind::Request, e))?;
        let mut request = reqwest::Request::new(parts.method, url);
        *request.headers_mut() = parts.headers;
        *request.body_mut() = Some(reqwest::Body::from(bytes));
        let answer = self.0.execute(request).await.map_err(http_error)?;
        let status = answer.status();
        let headers = answer.headers().clone();
        // Blobs are read whole (attachments are size-limited), so the answer is too.
        let body = answer.bytes().await.map_err(http_error)?;
        let mut response = HttpResponse::new(HttpResponseBody::from(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}
