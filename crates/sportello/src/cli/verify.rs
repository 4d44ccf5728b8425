//! `sportello verify`: checks a signed file (CAdES `.p7m` or PAdES PDF) from the command line.
//!
//! Contract (other tools rely on it): exit 0 when every signature of every layer is valid,
//! 1 for a signature file that is not valid, 2 for a file that is not a signature file or
//! cannot be read as one at all (a truncated or damaged envelope: `firma::Report::unreadable`).
//! `--json` prints one object (see `firma::Report::to_contract_json`); for exit 2 it is
//! `{"valid": false, "error", "detail"}`.

use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Trust anchors: a PEM/DER certificate file or a folder of them (repeatable). Without
    /// it, the trust anchors stored in the application are used.
    #[arg(long = "trust", value_name = "FILE_OR_DIR")]
    pub trust: Vec<PathBuf>,
    /// A CRL (PEM or DER) to check revocation against (repeatable).
    #[arg(long = "crl", value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// Verify at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the innermost signed content to this file.
    #[arg(long, value_name = "OUT")]
    pub extract: Option<PathBuf>,
    /// Language of the messages: it (default) or en.
    #[arg(long, default_value = "it")]
    pub lang: String,
    /// The signed file.
    pub file: PathBuf,
}

const EXIT_VALID: u8 = 0;
const EXIT_INVALID: u8 = 1;
const EXIT_NOT_SIGNATURE: u8 = 2;

fn read_trust_path(path: &Path, out: &mut Vec<Vec<u8>>) -> Result<(), String> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("--trust {}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                    matches!(
                        x.to_ascii_lowercase().as_str(),
                        "pem" | "crt" | "cer" | "der"
                    )
                })
            })
            .collect();
        entries.sort();
        for p in entries {
            read_trust_path(&p, out)?;
        }
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("--trust {}: {e}", path.display()))?;
    let certs = firma::parse_certificates(&bytes)
        .map_err(|e| format!("--trust {}: {e}", path.display()))?;
    out.extend(certs);
    Ok(())
}

/// Runs the command. `stored_anchors` loads the application's trust store when no
/// `--trust` is given (it needs the database, which `--trust` alone does not).
pub async fn run<F, Fut>(args: VerifyArgs, stored_anchors: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<Vec<u8>>, String>>,
{
    let lang = match args.lang.as_str() {
        "en" => firma::Lang::En,
        "it" => firma::Lang::It,
        other => {
            eprintln!("--lang: '{other}' is not it or en");
            return ExitCode::from(EXIT_NOT_SIGNATURE);
        }
    };
    let at = match &args.at {
        Some(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => std::time::SystemTime::from(t.with_timezone(&chrono::Utc)),
            Err(e) => {
                eprintln!("--at: '{s}' is not an RFC 3339 time: {e}");
                return ExitCode::from(EXIT_NOT_SIGNATURE);
            }
        },
        None => std::time::SystemTime::now(),
    };
    let mut trust_anchors = Vec::new();
    if args.trust.is_empty() {
        match stored_anchors().await {
            Ok(anchors) => trust_anchors = anchors,
            Err(e) => {
                eprintln!("cannot read the application's trust anchors: {e}");
                return ExitCode::from(EXIT_NOT_SIGNATURE);
            }
        }
    } else {
        for path in &args.trust {
            if let Err(e) = read_trust_path(path, &mut trust_anchors) {
                eprintln!("{e}");
                return ExitCode::from(EXIT_NOT_SIGNATURE);
            }
        }
    }
    let mut crls = Vec::new();
    for path in &args.crl {
        let parsed = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| firma::parse_crl(&b).map_err(|e| e.to_string()));
        match parsed {
            Ok(list) => crls.extend(list),
            Err(e) => {
                eprintln!("--crl {}: {e}", path.display());
                return ExitCode::from(EXIT_NOT_SIGNATURE);
            }
        }
    }
    let input = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", args.file.display());
            return ExitCode::from(EXIT_NOT_SIGNATURE);
        }
    };
    let opts = firma::VerifyOptions {
        trust_anchors,
        intermediates: Vec::new(),
        crls,
        at,
    };
    let report = match firma::verify(&input, &opts) {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"valid": false, "error": "not_a_signature", "detail": e.to_string()})
                );
            }
            eprintln!("{}: {e}", args.file.display());
            return ExitCode::from(EXIT_NOT_SIGNATURE);
        }
    };
    if report.unreadable() {
        let detail = report
            .problems
            .iter()
            .map(|p| p.message(lang))
            .collect::<Vec<_>>()
            .join(" ");
        if args.json {
            println!(
                "{}",
                serde_json::json!({"valid": false, "error": "malformed_envelope", "detail": detail})
            );
        }
        eprintln!("{}: {detail}", args.file.display());
        return ExitCode::from(EXIT_NOT_SIGNATURE);
    }
    if let Some(out) = &args.extract
        && let Err(e) = std::fs::write(out, &report.content)
    {
        eprintln!("--extract {}: {e}", out.display());
        return ExitCode::from(EXIT_NOT_SIGNATURE);
    }
    if args.json {
        println!("{}", report.to_contract_json(lang));
    } else {
        print_text(&args.file, &report, lang);
    }
    ExitCode::from(if report.valid {
        EXIT_VALID
    } else {
        EXIT_INVALID
    })
}

fn print_text(file: &Path, report: &firma::Report, lang: firma::Lang) {
    let it = lang == firma::Lang::It;
    let l = |it_text: &'static str, en_text: &'static str| if it { it_text } else { en_text };
    println!("{}: {}", l("File", "File"), file.display());
    println!(
        "{}: {} · {}: {}",
        l("Formato", "Format"),
        report.format.as_str(),
        l("livelli", "layers"),
        report.layers
    );
    println!(
        "{}: {}",
        l("Esito", "Result"),
        if report.valid {
            l("FIRMA VALIDA", "VALID SIGNATURE")
        } else {
            l("FIRMA NON VALIDA", "SIGNATURE NOT VALID")
        }
    );
    for p in &report.problems {
        println!("  - {}", p.message(lang));
    }
    for (i, s) in report.signers.iter().enumerate() {
        println!();
        println!(
            "{} {}: {} ({})",
            l("Firmatario", "Signer"),
            i + 1,
            s.subject,
            if s.valid {
                l("valida", "valid")
            } else {
                l("non valida", "not valid")
            }
        );
        println!(
            "  {}: {}",
            l("Codice fiscale", "Tax code"),
            s.tax_code.as_deref().unwrap_or("-")
        );
        println!("  {}: {}", l("Emesso da", "Issuer"), s.issuer);
        println!("  {}: {}", l("Numero di serie", "Serial"), s.serial);
        println!(
            "  {}: {} → {}",
            l("Validità", "Validity"),
            s.not_before,
            s.not_after
        );
        println!(
            "  {}: {}",
            l("Ora di firma dichiarata", "Claimed signing time"),
            s.signing_time.as_deref().unwrap_or("-")
        );
        println!(
            "  {}: {} / {}",
            l("Algoritmi", "Algorithms"),
            s.digest_algorithm,
            s.signature_algorithm
        );
        for p in &s.problems {
            println!("  - {}", p.message(lang));
        }
    }
    println!();
    println!(
        "SHA-256 {}: {}",
        l("del contenuto", "of the content"),
        report.content_sha256
    );
}
