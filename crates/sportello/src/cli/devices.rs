//! `sportello admin devices …`: the CA's delivery from the command line.

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
}

pub async fn run(state: &AppState, command: DevicesCommand) -> ExitCode {
    let DevicesCommand::ImportDelivery {
        chamber,
        file,
        store,
    } = command;
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
