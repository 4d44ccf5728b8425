//! `sportello verify`: checks a signed file (CAdES `.p7m` or PAdES PDF) from the command line.
//!
//! Contract (other tools rely on it): exit 0 when every signature of every layer is valid,
//! 1 for a signature file that is not valid, 2 for a file that is not a signature file or
//! cannot be read as one at all (a truncated or damaged envelope: `firma::Report::unreadable`).
//! `--json` prints one object (see `firma::Report::to_contract_json`); for exit 2 it is
//! `{"valid": false, "error", "detail"}`.
//!
//! Revocation: each signer's certificate and the CAs above it are checked by OCSP or CRL
//! (`sportello_core::revocation`; with `--offline` only against CRLs at hand). A revoked
//! certificate, or one whose responder and CRL give no answer, makes the file not valid (exit
//! 1); the JSON then has `"revocation": [{"signer", "position", "holder", "method", "status",
//! "revoked_at"}]` (present whenever a certificate names a way to check it).

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
    /// Do not ask OCSP responders or download CRLs: check revocation only against the CRLs
    /// given with --crl and those stored by `admin trust crl add` (or fetched earlier).
    #[arg(long)]
    pub offline: bool,
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

/// Runs the command. `open` opens the application when no `--trust` is given: its trust
/// store gives the anchors and its stored CRLs answer revocation (`--trust` alone needs no
/// database).
pub async fn run<F, Fut>(args: VerifyArgs, open: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<sportello_core::Ctx, String>>,
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
    let mut app = None;
    if args.trust.is_empty() {
        let stored = match open().await {
            Ok(ctx) => sportello_core::trust::all_anchors(&ctx.db)
                .await
                .map_err(|e| e.to_string())
                .map(|anchors| (anchors, ctx)),
            Err(e) => Err(e),
        };
        match stored {
            Ok((anchors, ctx)) => {
                trust_anchors = anchors;
                app = Some(ctx);
            }
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
        crls: crls.clone(),
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
    let revocation = check_revocation(&args, app.as_ref(), &report, &crls, at).await;
    let revocation_ok = revocation.revoked().is_none() && revocation.unavailable().next().is_none();
    let valid = report.valid && revocation_ok;
    if args.json {
        let mut json = report.to_contract_json(lang);
        json["valid"] = valid.into();
        let checked: Vec<_> = revocation
            .checks
            .iter()
            .filter(|c| c.state != State::NoSource)
            .collect();
        if !checked.is_empty() {
            json["revocation"] = checked
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "signer": c.signer_index, "position": c.position, "holder": c.holder,
                        "method": c.method.as_str(), "status": state_name(&c.state),
                        "revoked_at": match &c.state { State::Revoked { at } => Some(at.clone()), _ => None },
                    })
                })
                .collect::<Vec<_>>()
                .into();
        }
        println!("{json}");
    } else {
        print_text(&args.file, &report, lang);
        print_revocation(&revocation, lang);
    }
    ExitCode::from(if valid { EXIT_VALID } else { EXIT_INVALID })
}

use sportello_core::revocation::{Outcome, State};

fn state_name(state: &State) -> &'static str {
    match state {
        State::Good => "good",
        State::Revoked { .. } => "revoked",
        State::Unavailable => "unavailable",
        State::NoSource => "no_source",
    }
}

async fn check_revocation(
    args: &VerifyArgs,
    app: Option<&sportello_core::Ctx>,
    report: &firma::Report,
    crls: &[Vec<u8>],
    at: std::time::SystemTime,
) -> Outcome {
    let http = if args.offline {
        None
    } else {
        crate::fetch::HttpFetcher::new().ok()
    };
    let offline = sportello_core::revocation::Offline;
    let fetcher: &dyn sportello_core::revocation::Fetcher = match &http {
        Some(h) => h,
        None => &offline,
    };
    let sources = sportello_core::revocation::Sources {
        db: app.map(|c| &c.db),
        fetcher,
        extra_crls: crls,
    };
    sportello_core::revocation::check(&sources, report, at.into()).await
}

fn print_revocation(outcome: &Outcome, lang: firma::Lang) {
    let it = lang == firma::Lang::It;
    for c in outcome.checks.iter().filter(|c| c.state != State::NoSource) {
        let whose = if c.position == 0 {
            c.holder.clone()
        } else if it {
            format!("CA {} (firmatario {})", c.holder, c.signer_index + 1)
        } else {
            format!("CA {} (signer {})", c.holder, c.signer_index + 1)
        };
        let line = match (&c.state, it) {
            (State::Good, true) => format!("non revocato ({})", c.method.as_str().to_uppercase()),
            (State::Good, false) => format!("not revoked ({})", c.method.as_str().to_uppercase()),
            (State::Revoked { at }, true) => format!("REVOCATO il {at}"),
            (State::Revoked { at }, false) => format!("REVOKED on {at}"),
            (_, true) => format!(
                "revoca non verificabile: {}",
                c.detail.as_deref().unwrap_or("nessuna risposta")
            ),
            (_, false) => format!(
                "revocation cannot be checked: {}",
                c.detail.as_deref().unwrap_or("no answer")
            ),
        };
        println!(
            "{} {whose}: {line}",
            if it { "Revoca" } else { "Revocation" }
        );
    }
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
