//! `sportello admin blobs …`: copy the blob store elsewhere, reap orphans now.

use crate::app::AppState;
use clap::Subcommand;
use sportello_core::blobs::{Location, migrate, reaper};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum BlobsCommand {
    /// Copy every blob of the current store (SPORTELLO_BLOBS) to another, checking each
    /// object's SHA-256 in the target; safe to run again. Exit 0 when every object is there,
    /// 1 when some could not be copied.
    Migrate {
        /// Where to: `s3://bucket/prefix` (endpoint and credentials from the usual variables)
        /// or `file:///folder`.
        #[arg(long)]
        to: String,
    },
    /// Remove now the blobs no row refers to, older than SPORTELLO_BLOBS_GRACE_HOURS.
    Reap,
}

pub async fn run(state: &AppState, command: BlobsCommand) -> ExitCode {
    match command {
        BlobsCommand::Migrate { to } => migrate_to(state, &to).await,
        BlobsCommand::Reap => {
            let grace = chrono::Duration::hours(state.config.blobs_grace_hours);
            match reaper::reap(state, state.clock.now(), grace).await {
                Ok(r) => {
                    println!(
                        "{}: listed {}, removed {}, referenced {}, young {}, leftovers {}",
                        state.blobs.describe(),
                        r.listed,
                        r.removed,
                        r.referenced,
                        r.young,
                        r.leftovers
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn migrate_to(state: &AppState, to: &str) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let target = match Location::parse(to.trim(), &env) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("--to: {e}");
            return ExitCode::from(2);
        }
    };
    let target = match crate::blob_store::open(&target) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("--to: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "copying {} to {}",
        state.blobs.describe(),
        target.describe()
    );
    let result = migrate::copy_all(state.blobs.as_ref(), target.as_ref(), |m| {
        if m.listed % 1000 == 0 {
            eprintln!("… {} objects", m.listed);
        }
    })
    .await;
    match result {
        Ok(m) => {
            for (key, reason) in &m.failed {
                eprintln!("{key}: {reason}");
            }
            println!(
                "listed {}, copied {} ({} bytes), already there {}, failed {}; every copy verified by SHA-256",
                m.listed,
                m.copied,
                m.bytes,
                m.already_there,
                m.failed.len()
            );
            if m.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
