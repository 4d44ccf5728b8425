//! `sportello admin operators …`: the course request spreadsheet from the command line.

use crate::app::AppState;
use clap::Subcommand;
use sportello_core::ra::course_sheet::{awaiting_course, request_rows, request_xlsx};
use sportello_core::ra::operator;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum OperatorsCommand {
    /// Write the course request the CA expects (.xlsx): operators sent to the CA or whose
    /// course was requested (`--all`: every operator not revoked).
    Export {
        /// Only `xlsx` is supported.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// Chamber code (default: the only chamber).
        #[arg(long)]
        chamber: Option<String>,
        /// Output file.
        #[arg(long, default_value = "richiesta-corso.xlsx")]
        out: std::path::PathBuf,
        #[arg(long)]
        all: bool,
    },
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

pub async fn run(state: &AppState, command: OperatorsCommand) -> ExitCode {
    let OperatorsCommand::Export {
        format,
        chamber,
        out,
        all,
    } = command;
    if format != "xlsx" {
        return fail(format!("--format: only xlsx is supported, not '{format}'"));
    }
    let chambers = match sportello_core::chambers::list_chambers(&state.db).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let chamber = match chamber {
        Some(code) => chambers
            .into_iter()
            .find(|c| c.code.as_str() == code.trim().to_uppercase()),
        None if chambers.len() == 1 => chambers.into_iter().next(),
        None => return fail("--chamber is needed when there are several chambers"),
    };
    let Some(chamber) = chamber else {
        return fail("--chamber: no such chamber");
    };
    let ops = match operator::list_in_chamber(&state.db, &chamber.id).await {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let ops = if all {
        ops.into_iter()
            .filter(|o| o.state != sportello_core::ra::accreditation::State::Revoked)
            .collect()
    } else {
        awaiting_course(&ops)
    };
    let rows = match request_rows(&state.db, &chamber.id, &ops).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let bytes = match request_xlsx(&rows) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::write(&out, bytes) {
        return fail(format!("{}: {e}", out.display()));
    }
    println!("{} operators written to {}", rows.len(), out.display());
    ExitCode::SUCCESS
}
