//! Runs the registry import with a chosen batch size, for tuning (bench/registry/README.md).
//! The command itself is `sportello admin import-registry FILE.csv [--json]`.
//!
//! ```sh
//! DATABASE_URL=sqlite://bench.db cargo run --release -p sportello --example import_registry -- \
//!     extract.csv [--batch-size N] [--json]
//! ```

use sportello_core::db::Db;
use sportello_core::registry::{self, ImportOptions};
use std::process::ExitCode;
use std::time::Instant;

#[tokio::main]
async fn main() -> ExitCode {
    let mut file = None;
    let mut options = ImportOptions::default();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--batch-size" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => options.batch_size = n,
                None => return usage(),
            },
            _ if file.is_none() => file = Some(arg),
            _ => return usage(),
        }
    }
    let (Some(file), Ok(url)) = (file, std::env::var("DATABASE_URL")) else {
        return usage();
    };
    let db = match Db::connect(&url, 2).await {
        Ok(db) => db,
        Err(e) => return fail(&format!("cannot connect: {e}")),
    };
    if let Err(e) = db.migrate().await {
        return fail(&format!("cannot migrate: {e}"));
    }
    let started = Instant::now();
    let outcome = match registry::import_csv(&db, chrono::Utc::now(), file.as_ref(), options).await
    {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let rows = outcome.imported + outcome.rejected_total;
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    if let Err(e) = outcome.write_report(json, &mut stdout, &mut stderr) {
        return fail(&format!("writing the report: {e}"));
    }
    eprintln!(
        "{rows} rows in {seconds:.1} s: {:.0} rows/s (batch size {})",
        rows as f64 / seconds,
        options.batch_size
    );
    db.close().await;
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: DATABASE_URL=… import_registry FILE.csv [--batch-size N] [--json]");
    ExitCode::from(2)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}
