//! Building the application: state, router, worker. The port is bound outside
//! ([`serve`]), so tests run the whole app in-process on port 0.

use crate::blobs::{BlobStore, FsBlobStore};
use crate::clock::Clock;
use crate::config::{Config, MailTransport};
use crate::db::Db;
use crate::metrics::Metrics;
use crate::notify::{self, Mailer};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Everything a request or a job needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub mailer: Arc<dyn Mailer>,
    pub blobs: Arc<dyn BlobStore>,
    pub metrics: Arc<Metrics>,
    /// Failed public verifications per address.
    pub verify_limiter: Arc<crate::web::rate_limit::FailureLimiter>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
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
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

impl AppState {
    /// Connects to the database, applies migrations and sets up mail and blob storage.
    pub async fn open(config: Config, clock: Clock) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let db = Db::connect(&config.database_url, config.db_max_connections).await?;
        db.migrate().await?;
        let mailer = notify::mailer_from_config(&config)?;
        Ok(Self::from_parts(config, clock, db, mailer))
    }

    /// Assembles a state from ready parts (tests pass their own mailer).
    pub fn from_parts(config: Config, clock: Clock, db: Db, mailer: Arc<dyn Mailer>) -> Self {
        let blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(config.blobs_dir()));
        Self {
            db,
            clock,
            config: Arc::new(config),
            mailer,
            blobs,
            metrics: Arc::new(Metrics::default()),
            verify_limiter: Arc::new(Default::default()),
        }
    }
}

/// Serves the app on `listener` (and runs the worker unless disabled) until Ctrl-C.
pub async fn serve(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = state.config.run_worker.then(|| {
        if let MailTransport::Files(dir) = &state.config.mail {
            tracing::info!(
                dir = %dir.display(),
                "no SMTP relay configured (SPORTELLO_SMTP_HOST): e-mails are written as .eml files here"
            );
        }
        tokio::spawn(crate::jobs::worker::run(state.clone(), stop_rx.clone()))
    });
    let app = crate::web::router(state);
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    result
}

/// Ctrl-C, or SIGTERM (what service managers and container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
