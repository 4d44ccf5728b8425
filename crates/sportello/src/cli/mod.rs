//! The `sportello` command line: one binary, several roles.

mod admin;
mod backup;
mod blobs;
mod devices;
mod log;
mod ra;
mod seal;
mod verify;

use crate::app::{self, AppState};
use clap::{Parser, Subcommand};
use sportello_core::clock::Clock;
use sportello_core::config::{Config, LogFormat};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "sportello",
    version,
    about = "Foreign-trade documents and CNS registration authority for Italian Chambers of Commerce"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web interface and API, and run the background worker (unless
    /// `SPORTELLO_WORKER=false`).
    Serve,
    /// Run only the background worker, no web server: the dedicated worker beside `serve`
    /// instances started with `SPORTELLO_WORKER=false`. Stops on Ctrl-C or SIGTERM.
    Worker,
    /// Seed a demo chamber (GE, desks Genova and Chiavari), companies and one user per
    /// role, print the logins, and serve. Safe to run again.
    Demo,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check a signed file (CAdES .p7m or PAdES PDF): exit 0 valid, 1 not valid, 2 not a
    /// signature file or unreadable.
    Verify(verify::VerifyArgs),
    /// Administration: chambers, desks, users, audit, registry, jobs.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli.command, config))
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SPORTELLO_LOG_LEVEL")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder
            .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .event_format(log::JsonLines {
                instance_id: config.instance_id.clone(),
            })
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn open(config: Config) -> Result<AppState, ExitCode> {
    let blobs = crate::blob_store::open(&config.blobs).map_err(|e| {
        eprintln!("SPORTELLO_BLOBS: cannot use the blob store: {e}");
        ExitCode::FAILURE
    })?;
    sportello_core::Ctx::open(config, Clock::system())
        .await
        .map(|ctx| AppState::new(ctx.with_blob_store(blobs)))
        .map_err(|e| {
            eprintln!("cannot start: {e}");
            ExitCode::FAILURE
        })
}

/// [`open`] for the roles that run beside other instances (`serve`, `worker`): refuses a
/// secret other than the one the database was served with (`seal::shared`).
async fn open_shared(config: Config) -> Result<AppState, ExitCode> {
    let state = open(config).await?;
    let claimed = match sportello_core::seal::SealSecret::from_config(&state.config) {
        Ok(secret) => {
            sportello_core::seal::shared::claim(&state.db, &secret, state.clock.now()).await
        }
        Err(e) => Err(e),
    };
    match claimed {
        Ok(()) => Ok(state),
        Err(e) => {
            eprintln!("cannot start: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

async fn run(command: Command, config: Config) -> ExitCode {
    match command {
        Command::Verify(args) => {
            verify::run(args, || async move {
                sportello_core::Ctx::open(config, Clock::system())
                    .await
                    .map_err(|e| e.to_string())
            })
            .await
        }
        Command::Migrate => match open(config).await {
            Ok(state) => {
                println!("migrations applied ({})", state.db.engine().name());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Serve => match open_shared(config).await {
            Ok(state) => serve(state).await,
            Err(code) => code,
        },
        Command::Worker => match open_shared(config).await {
            Ok(state) => {
                app::work(state).await;
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Demo => match open(config).await {
            Ok(state) => {
                if let Err(e) = sportello_core::demo::seed(&state).await {
                    eprintln!("cannot seed the demo: {e:#}");
                    return ExitCode::FAILURE;
                }
                serve(state).await
            }
            Err(code) => code,
        },
        // A restore goes into a new data folder: opening the configured one first would create
        // and migrate a database there.
        Command::Admin {
            command: admin::AdminCommand::Restore { from, data_dir },
        } => backup::restore(&config, &from, data_dir).await,
        Command::Admin { command } => match open(config).await {
            Ok(state) => admin::run(&state, command).await,
            Err(code) => code,
        },
    }
}

async fn serve(state: AppState) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(state.config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "SPORTELLO_LISTEN: cannot listen on {}: {e}",
                state.config.listen
            );
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        // Tools (the browser tests) read this exact line to find the port.
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => eprintln!("listening (address unknown: {e})"),
    }
    match app::serve(state, listener).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}
