//! The context every use case and job runs in.

use crate::blobs::{BlobStore, FsBlobStore};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::notify::{self, Mailer};
use crate::revocation;
use crate::webhooks;
use std::sync::Arc;

/// What a use case or a job needs: the database, the clock, the configuration, the mailer,
/// the blob store, the metrics, the revocation fetcher and the way webhooks leave. Cheap to
/// clone.
#[derive(Clone)]
pub struct Ctx {
    pub db: Db,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub mailer: Arc<dyn Mailer>,
    pub blobs: Arc<dyn BlobStore>,
    pub metrics: Arc<Metrics>,
    /// Fetches OCSP answers and CRLs; [`revocation::Offline`] until the shell gives its HTTP
    /// client.
    pub revocation: Arc<dyn revocation::Fetcher>,
    /// How webhook deliveries are sent: the shell's HTTP client ([`Ctx::with_webhook_transport`]);
    /// [`webhooks::NoTransport`] until it is set.
    pub webhook_transport: Arc<dyn webhooks::Transport>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("engine", &self.db.engine())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("e-mail: {0}")]
    Mail(#[from] notify::MailError),
    #[error("keeping the certificates' security codes: {0}")]
    SecurityCodes(#[from] crate::trade::desk::security_code::CodeError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

impl Ctx {
    /// Connects to the database, applies migrations, sets up mail and blob storage, and
    /// protects any security code still kept in clear (`security_code::protect_stored_codes`).
    pub async fn open(config: Config, clock: Clock) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let db = Db::connect(&config.database_url, config.db_max_connections).await?;
        db.migrate().await?;
        let mailer = notify::mailer_from_config(&config)?;
        let ctx = Self::from_parts(config, clock, db, mailer);
        // Codes kept in clear by earlier versions are hashed and encrypted before serving.
        let protected = crate::trade::desk::security_code::protect_stored_codes(&ctx).await?;
        if protected > 0 {
            tracing::info!(
                certificates = protected,
                "security codes kept in clear are now hashed and encrypted"
            );
        }
        Ok(ctx)
    }

    /// Assembles a context from ready parts (tests pass their own mailer).
    pub fn from_parts(config: Config, clock: Clock, db: Db, mailer: Arc<dyn Mailer>) -> Self {
        let blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(config.blobs_dir()));
        Self {
            db,
            clock,
            config: Arc::new(config),
            mailer,
            blobs,
            metrics: Arc::new(Metrics::default()),
            revocation: Arc::new(revocation::Offline),
            webhook_transport: Arc::new(webhooks::NoTransport),
        }
    }

    /// The same context, keeping blobs in `blobs` (the shell's S3 store).
    pub fn with_blob_store(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = blobs;
        self
    }

    /// The same context, delivering webhooks through `transport`.
    pub fn with_webhook_transport(mut self, transport: Arc<dyn webhooks::Transport>) -> Self {
        self.webhook_transport = transport;
        self
    }
}
