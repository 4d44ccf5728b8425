//! `sportello admin devices …`: the CA's delivery from the command line, and the check of
//! the stock counters against the devices.

use crate::app::AppState;
use clap::Subcommand;
use sportello_core::audit::Actor;
use sportello_core::devices::delivery::{self, DeliveryError};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum DevicesCommand {
    /// Records the CA's delivery of blank devices (CSV: serial;type;batch); all or nothing.
    /// Exit 0 when recorded (or already recorded), 1 when the file was refused.
    ImportDelivery {
        /// The chamber's code (e.g. GE).
        #[arg(long)]
        chamber: String,
        file: std::path::PathBuf,
        /// Lock the delivered devices in the cabinet at once.
        #[arg(long)]
        store: bool,
    },
    /// Recounts every chamber's devices and compares them with the stock counters the
    /// devices page reads. Exit 0 when they agree, 1 listing each difference.
    CheckStock,
}

pub async fn run(state: &AppState, command: DevicesCommand) -> ExitCode {
    match command {
        DevicesCommand::ImportDelivery {
            chamber,
            file,
            store,
        } => import_delivery(state, chamber, file, store).await,
        DevicesCommand::CheckStock => check_stock(state).await,
    }
}

async fn check_stock(state: &AppState) -> ExitCode {
    match sportello_core::devices::stock::differences(&state.db).await {
        Ok(d) if d.is_empty() => {
            println!("device stock counters agree with the devices");
            ExitCode::SUCCESS
        }
        Ok(d) => {
            for x in &d {
                println!(
                    "chamber {} {} {} holder '{}': counter {}, devices {}",
                    x.chamber_id, x.state, x.kind, x.holder_operator_id, x.counted, x.devices
                );
            }
            println!("device stock counters DIFFER: {} counters", d.len());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn import_delivery(
    state: &AppState,
    chamber: String,
    file: std::path::PathBuf,
    store: bool,
) -> ExitCode {
    let chamber = match sportello_core::chambers::find_chamber_by_code(&state.db, &chamber).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("no chamber with code {chamber}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let result = delivery::receive(state, &Actor::cli(), &chamber.id, &name, &bytes, store).await;
    match result {
        Ok(r) => {
            println!(
                "imported {}, already recorded {}, stored in the cabinet {}",
                r.outcome.imported, r.outcome.already_recorded, r.stored
            );
            ExitCode::SUCCESS
        }
        Err(DeliveryError::Lines(lines)) => {
            for l in &lines {
                eprintln!(
                    "line {}: {}",
                    l.line,
                    sportello_core::i18n::Lang::En.t_args(l.reason, &[("value", l.value.clone())])
                );
            }
            eprintln!("refused: {} bad lines, nothing recorded", lines.len());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
