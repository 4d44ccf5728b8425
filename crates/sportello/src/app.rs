//! Building the application: state, router, worker. The port is bound outside
//! ([`serve`]), so tests run the whole app in-process on port 0.

use sportello_core::Ctx;
use sportello_core::config::MailTransport;
use std::ops::Deref;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What a request handler needs: the core's [`Ctx`]. Derefs to the `Ctx`, so a handler
/// passes `&state` to a use case. (Rate limits live in the database, shared by every
/// instance: `sportello_core::throttle`.)
#[derive(Clone, Debug)]
pub struct AppState {
    pub ctx: Ctx,
    /// The identity provider of the login with a digital identity, when configured.
    pub oidc: Option<Arc<crate::oidc::OidcLogin>>,
}

impl AppState {
    /// The shell's state over `ctx`, with the HTTP fetcher for revocation checks and the HTTP
    /// client that delivers webhooks.
    pub fn new(mut ctx: Ctx) -> Self {
        match crate::fetch::HttpFetcher::new() {
            Ok(fetcher) => ctx.revocation = Arc::new(fetcher),
            Err(e) => tracing::error!(error = %e, "no HTTP client: revocation is checked offline"),
        }
        let transport = Arc::new(crate::webhooks::HttpTransport::new(
            ctx.config.webhooks.clone(),
        ));
        let oidc = ctx.config.oidc.clone().and_then(|settings| {
            match crate::oidc::OidcLogin::new(settings, &ctx.config.public_url) {
                Ok(login) => Some(Arc::new(login)),
                Err(e) => {
                    tracing::error!(error = %e, "no login with a digital identity");
                    None
                }
            }
        });
        Self {
            ctx: ctx.with_webhook_transport(transport),
            oidc,
        }
    }
}

impl Deref for AppState {
    type Target = Ctx;

    fn deref(&self) -> &Ctx {
        &self.ctx
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
        tokio::spawn(crate::worker::run(state.ctx.clone(), stop_rx.clone()))
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

/// Runs only the worker (`sportello worker`) until Ctrl-C or SIGTERM, then lets the job in
/// hand finish.
pub async fn work(state: AppState) {
    let (stop_tx, stop_rx) = watch::channel(false);
    if let MailTransport::Files(dir) = &state.config.mail {
        tracing::info!(
            dir = %dir.display(),
            "no SMTP relay configured (SPORTELLO_SMTP_HOST): e-mails are written as .eml files here"
        );
    }
    let worker = tokio::spawn(crate::worker::run(state.ctx.clone(), stop_rx));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    let _ = worker.await;
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
