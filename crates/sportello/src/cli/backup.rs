//! `sportello admin backup --to DIR` and `sportello admin restore --from DIR`.

use crate::app::AppState;
use sportello_core::backup::{self, BackupOptions, Manifest, RestoreTarget};
use sportello_core::config::Config;
use sportello_core::db::Engine;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The main figures of a manifest, for the one line each command prints.
fn summary(m: &Manifest) -> String {
    let practices = m.counts.get("practices").copied().unwrap_or(0);
    let blobs = if m.blobs.copied {
        format!("{} blobs ({} bytes)", m.blobs.count, m.blobs.bytes)
    } else {
        format!(
            "blobs not copied: they stay in {} (kept by its own replication)",
            m.blobs.store
        )
    };
    format!(
        "{} database, schema version {}, {practices} practices, {} audit entries, {blobs}, taken at {}",
        m.engine, m.schema_version, m.audit.seq, m.taken_at
    )
}

pub async fn backup(state: &AppState, to: &Path, with_blobs: bool) -> ExitCode {
    println!(
        "backing up the {} database and the blobs it refers to ({}) into {}",
        state.db.engine().name(),
        state.blobs.describe(),
        to.display()
    );
    match backup::backup(state, to, BackupOptions { with_blobs }).await {
        Ok(manifest) => {
            println!("backup written to {}: {}", to.display(), summary(&manifest));
            if state.config.seal_key.is_some() {
                println!(
                    "SPORTELLO_SEAL_KEY is set, so it is not in the backup: keep it with the \
                     backup, the restored instance needs the same value"
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("nothing was written to {}", to.display());
            ExitCode::FAILURE
        }
    }
}

pub async fn restore(config: &Config, from: &Path, data_dir: Option<PathBuf>) -> ExitCode {
    let data_dir = data_dir.unwrap_or_else(|| config.data_dir.clone());
    let postgres_url = (Engine::from_url(&config.database_url) == Some(Engine::Postgres))
        .then(|| config.database_url.clone());
    let target = RestoreTarget {
        data_dir: data_dir.clone(),
        postgres_url,
    };
    println!("restoring {} into {}", from.display(), data_dir.display());
    match backup::restore(from, &target).await {
        Ok(r) => {
            println!(
                "restored and verified: {}; database SHA-256 checked, {} blobs checked against \
                 their SHA-256, audit trail intact ({} entries)",
                summary(&r.manifest),
                r.blobs,
                r.audit_entries
            );
            match target.postgres_url {
                None => println!(
                    "start it with SPORTELLO_DATA_DIR={} (DATABASE_URL and SPORTELLO_BLOBS unset)",
                    data_dir.display()
                ),
                Some(_) => println!(
                    "start it with the same DATABASE_URL{}",
                    if r.manifest.blobs.copied {
                        format!(
                            " and SPORTELLO_DATA_DIR={} (or copy its blobs to the object store \
                             with `admin blobs migrate`)",
                            data_dir.display()
                        )
                    } else {
                        " and the object store the blobs were kept in".to_string()
                    }
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("nothing was restored into {}", data_dir.display());
            ExitCode::FAILURE
        }
    }
}
