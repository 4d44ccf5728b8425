//! `sportello admin …`: chambers, desks, users, audit verification, registry import, jobs.

use crate::app::AppState;
use crate::web::error::trade::top_up_error_key;
use clap::Subcommand;
use sportello_core::accounts::offboarding::{self, OffboardingError};
use sportello_core::accounts::{self, NewUser, Role};
use sportello_core::audit::{self, Actor};
use sportello_core::chambers::{self, ChamberCode, DeskCode};
use sportello_core::i18n::Lang;
use sportello_core::registry::{self, TaxCode};
use sportello_core::wallet;
use std::io::Read;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Chambers of Commerce.
    Chamber {
        #[command(subcommand)]
        command: ChamberCommand,
    },
    /// Desks of a chamber.
    Desk {
        #[command(subcommand)]
        command: DeskCommand,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The blob store: migrate it to another, reap orphans.
    Blobs {
        #[command(subcommand)]
        command: crate::cli::blobs::BlobsCommand,
    },
    /// Back up the database and the blobs it refers to into a new folder, while the server
    /// runs (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump`, which must be on PATH); exit 0
    /// when the backup was written whole, 1 when nothing was written.
    Backup {
        /// The folder to write: it must not exist or be empty.
        #[arg(long)]
        to: std::path::PathBuf,
        /// With an S3 blob store, copy its objects into the backup too (by default they are
        /// left to the store's own replication). A folder store's blobs are always copied.
        #[arg(long)]
        with_blobs: bool,
    },
    /// Restore a backup into a new, empty data folder (and, for a PostgreSQL backup, the
    /// empty database of DATABASE_URL), checking the manifest, every SHA-256 and the audit
    /// chain before it says done; exit 0 restored, 1 refused or failed (nothing restored).
    Restore {
        /// The backup folder (`admin backup --to`).
        #[arg(long)]
        from: std::path::PathBuf,
        /// The data folder to restore into (default SPORTELLO_DATA_DIR); it must not exist or
        /// be empty.
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
    },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Intermediaries (customs brokers, consultancies) acting for companies under mandates.
    Intermediary {
        #[command(subcommand)]
        command: IntermediaryCommand,
    },
    /// Company wallets.
    Wallet {
        #[command(subcommand)]
        command: WalletCommand,
    },
    /// pagoPA payments: reconciliation flows.
    Payments {
        #[command(subcommand)]
        command: PaymentsCommand,
    },
    /// Trust anchors for signature verification.
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Registration-authority operators (course request spreadsheet).
    Operators {
        #[command(subcommand)]
        command: crate::cli::ra::OperatorsCommand,
    },
    /// Device inventory: the CA's deliveries.
    Devices {
        #[command(subcommand)]
        command: crate::cli::devices::DevicesCommand,
    },
    /// Import a Registro Imprese extract (CSV); exit 0 when the file was read, 2 when it
    /// could not be read at all.
    ImportRegistry {
        file: std::path::PathBuf,
        /// Print `{"imported":X,"rejected":[…]}` instead of the text report.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum IntermediaryCommand {
    /// Register an intermediary:
    /// `admin intermediary add --name "Rossi Spedizioni S.r.l." --tax-code 01234560993 --email uffici@rossi.example`.
    Add {
        #[arg(long)]
        name: String,
        /// Its tax code or VAT number.
        #[arg(long)]
        tax_code: String,
        /// Where its mandate notices go.
        #[arg(long)]
        email: String,
        /// `customs-broker` (default), `freight-forwarder`, `trade-association`, `consultancy`.
        #[arg(long, default_value = "customs-broker")]
        kind: String,
    },
    /// Add a person who works for it; the password is read from standard input.
    AddUser {
        /// The intermediary's id (printed by `add`).
        #[arg(long)]
        intermediary: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Add a person by their own tax code and e-mail, as the office's page does: an account
    /// with that tax code works for the intermediary at once, anyone else from their first
    /// login with SPID, CIE or CNS.
    Invite {
        #[arg(long)]
        intermediary: String,
        #[arg(long)]
        tax_code: String,
        #[arg(long)]
        email: String,
    },
    /// Remove a person (by user id) from the intermediary.
    RemoveUser {
        #[arg(long)]
        intermediary: String,
        #[arg(long)]
        user: String,
    },
    /// Suspend the intermediary: its people act for no client; its mandates stay.
    Suspend {
        #[arg(long)]
        intermediary: String,
    },
    /// Lift the suspension.
    Reactivate {
        #[arg(long)]
        intermediary: String,
    },
    /// List intermediaries (suspended ones too).
    List,
}

#[derive(Subcommand, Debug)]
pub enum WalletCommand {
    /// Record a payment received into a company's wallet at one chamber:
    /// `admin wallet credit --company 01879020517 --amount 50.00 --reference "CRO …" --chamber GE`.
    Credit {
        #[arg(long)]
        company: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reference: String,
        /// The chamber keeping the wallet (its code); required only when more than one
        /// chamber exists.
        #[arg(long)]
        chamber: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PaymentsCommand {
    /// Import a pagoPA reconciliation flow (flusso di rendicontazione, XML): each payment of a
    /// pending notice tops up the company's wallet, once; the rest are listed as anomalies.
    /// Exit 0 when the flow was read (anomalies included), 2 when it was refused.
    Import { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum TrustCommand {
    /// Trust the CA certificate(s) of a PEM or DER file.
    Add {
        file: std::path::PathBuf,
        /// Only this chamber trusts it (default: every chamber).
        #[arg(long)]
        chamber: Option<String>,
    },
    /// List the trust anchors.
    List,
    /// Stop trusting an anchor.
    Remove { id: String },
    /// Load the CA certificates of the granted qualified services of an EU trusted list
    /// (ETSI TS 119 612 XML, e.g. AgID's TSL-IT.xml).
    ImportTsl { file: std::path::PathBuf },
    /// Certificate revocation lists kept for offline checks.
    Crl {
        #[command(subcommand)]
        command: CrlCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum CrlCommand {
    /// Keep the CRL(s) of a PEM or DER file: uploads and `verify` use them when the CA's
    /// responder and distribution point cannot be reached (and `verify --offline` always).
    Add { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum ChamberCommand {
    /// Add a chamber: `admin chamber add --code GE --name "CCIAA di Genova"`.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List chambers.
    List,
    /// Configure the chamber as a pagoPA creditor:
    /// `admin chamber pagopa --chamber GE --tax-code 80043770106 --segregation-code 01`.
    Pagopa {
        #[arg(long)]
        chamber: String,
        /// The chamber's own tax code (11 digits), the creditor's on every notice.
        #[arg(long)]
        tax_code: String,
        /// The segregation code PagoPA S.p.A. gave the chamber (two digits).
        #[arg(long)]
        segregation_code: String,
        /// The chamber's CBILL code (five characters), printed on the notice if given.
        #[arg(long)]
        cbill: Option<String>,
    },
    /// Import the chamber's seal for issued PDFs from a PKCS#12 file:
    /// `admin chamber seal --chamber GE --pkcs12 seal.p12 --password-stdin`.
    Seal {
        #[arg(long)]
        chamber: String,
        #[arg(long)]
        pkcs12: std::path::PathBuf,
        /// Read the PKCS#12 password from standard input (required).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeskCommand {
    /// Add a desk: `admin desk add --chamber GE --code GE-GENOVA --name Genova`.
    Add {
        #[arg(long)]
        chamber: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// company, officer, chamber-admin, master-rao, master-rao-ordinary, rao, odr, ir, manager, auditor
        #[arg(long)]
        role: String,
        /// Chamber code (every role but company).
        #[arg(long)]
        chamber: Option<String>,
        /// Desk code (officers; repeatable).
        #[arg(long = "desk")]
        desks: Vec<String>,
        /// Company tax code (company users; repeatable).
        #[arg(long = "company")]
        companies: Vec<String>,
        /// The person's tax code (codice fiscale): a base model they sign for one of their
        /// companies is recognised as signed by one of its people.
        #[arg(long)]
        tax_code: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: every login session ends and every API token is revoked at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again (a lock-out is cleared too).
    Enable {
        #[arg(long)]
        email: String,
    },
    /// List users (all, or one chamber's): e-mail, role, chamber, state.
    List {
        /// Chamber code.
        #[arg(long)]
        chamber: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first broken entry.
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Run every job that is due now, then exit.
    Run,
}

async fn intermediary(state: &AppState, command: IntermediaryCommand) -> ExitCode {
    use sportello_core::intermediary::{self, NewIntermediary, NewIntermediaryUser};
    match command {
        IntermediaryCommand::Add {
            name,
            tax_code,
            email,
            kind,
        } => {
            let new = NewIntermediary {
                name,
                tax_code,
                email,
                kind,
            };
            match intermediary::create(state, &Actor::cli(), new).await {
                Ok(i) => {
                    println!("{}", i.id);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        IntermediaryCommand::AddUser {
            intermediary: id,
            email,
            name,
        } => {
            let mut password = String::new();
            if std::io::stdin().read_line(&mut password).is_err() || password.trim().is_empty() {
                return fail("give the password on standard input");
            }
            let new = NewIntermediaryUser {
                email,
                name,
                password: password.trim_end_matches(['\r', '\n']).to_string(),
            };
            match intermediary::add_user(state, &Actor::cli(), &id, new).await {
                Ok(u) => {
                    println!("{}", u.id);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        IntermediaryCommand::Invite {
            intermediary: id,
            tax_code,
            email,
        } => {
            use sportello_core::intermediary::register::{self, Added};
            match register::add_member(state, &Actor::cli(), &id, &tax_code, &email).await {
                Ok(Added::Linked { user_id }) => {
                    println!("linked {user_id}");
                    ExitCode::SUCCESS
                }
                Ok(Added::Invited { invitation_id }) => {
                    println!("invited {invitation_id}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        IntermediaryCommand::RemoveUser {
            intermediary: id,
            user,
        } => match intermediary::register::remove_member(state, &Actor::cli(), &id, &user).await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
        IntermediaryCommand::Suspend { intermediary: id } => {
            match intermediary::register::suspend(state, &Actor::cli(), &id).await {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        IntermediaryCommand::Reactivate { intermediary: id } => {
            match intermediary::register::reactivate(state, &Actor::cli(), &id).await {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        IntermediaryCommand::List => match intermediary::list_all(&state.db).await {
            Ok(all) => {
                for i in all {
                    let state = if i.suspended() { "suspended" } else { "active" };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        i.id,
                        i.tax_code,
                        i.name,
                        i.email,
                        i.kind.as_str(),
                        state
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

pub async fn run(state: &AppState, command: AdminCommand) -> ExitCode {
    match command {
        AdminCommand::Chamber { command } => chamber(state, command).await,
        AdminCommand::Desk { command } => desk(state, command).await,
        AdminCommand::Intermediary { command } => intermediary(state, command).await,
        AdminCommand::User { command } => user(state, command).await,
        AdminCommand::Trust { command } => trust(state, command).await,
        AdminCommand::Operators { command } => crate::cli::ra::run(state, command).await,
        AdminCommand::Devices { command } => crate::cli::devices::run(state, command).await,
        AdminCommand::Blobs { command } => crate::cli::blobs::run(state, command).await,
        AdminCommand::Backup { to, with_blobs } => {
            crate::cli::backup::backup(state, &to, with_blobs).await
        }
        // Handled before the database is opened (see `cli::run`): opening it would create one.
        AdminCommand::Restore { from, data_dir } => {
            crate::cli::backup::restore(&state.config, &from, data_dir).await
        }
        AdminCommand::Wallet {
            command:
                WalletCommand::Credit {
                    company,
                    amount,
                    reference,
                    chamber,
                },
        } => {
            let request = wallet::TopUpRequest {
                tax_code: company,
                amount,
                reference,
                chamber,
            };
            match wallet::top_up(state, &Actor::cli(), None, &request).await {
                Ok(done) => {
                    let balance = done.balance.to_decimal_string();
                    println!("credited {}: balance {balance}", done.company_name);
                    ExitCode::SUCCESS
                }
                Err(wallet::TopUpError::Db(e)) => fail(e),
                Err(
                    e @ (wallet::TopUpError::UnknownChamber(_)
                    | wallet::TopUpError::ChamberRequired(_)),
                ) => fail(format!("{e} (--chamber)")),
                Err(e) => fail(Lang::En.t(top_up_error_key(&e))),
            }
        }
        AdminCommand::ImportRegistry { file, json } => import_registry(state, &file, json).await,
        AdminCommand::Payments {
            command: PaymentsCommand::Import { file },
        } => import_payments(state, &file).await,
        AdminCommand::Audit {
            command: AuditCommand::Verify,
        } => match audit::verify_chain(&state.db).await {
            Ok(Ok(n)) => {
                println!("audit trail intact: {n} entries");
                ExitCode::SUCCESS
            }
            Ok(Err(broken)) => {
                println!("audit trail BROKEN at {broken}");
                ExitCode::FAILURE
            }
            Err(e) => fail(e),
        },
        AdminCommand::Jobs {
            command: JobsCommand::Run,
        } => match crate::worker::run_due(state, "cli").await {
            Ok(n) => {
                println!("ran {n} jobs");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

async fn chamber(state: &AppState, command: ChamberCommand) -> ExitCode {
    match command {
        ChamberCommand::Add { code, name } => {
            let code = match ChamberCode::parse(&code) {
                Ok(c) => c,
                Err(e) => return fail(format!("--code: {e}")),
            };
            match chambers::create_chamber(state, &Actor::cli(), &code, &name).await {
                Ok(c) => {
                    println!("chamber {} added ({})", c.code, c.id);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        ChamberCommand::List => match chambers::list_chambers(&state.db).await {
            Ok(list) => {
                for c in list {
                    println!("{}\t{}\t{}", c.code, c.name, c.id);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        ChamberCommand::Seal {
            chamber,
            pkcs12,
            password_stdin,
        } => crate::cli::seal::import(state, &chamber, &pkcs12, password_stdin).await,
        ChamberCommand::Pagopa {
            chamber,
            tax_code,
            segregation_code,
            cbill,
        } => match wallet::pagopa::configure(
            state,
            &Actor::cli(),
            &chamber,
            &tax_code,
            &segregation_code,
            cbill.as_deref(),
        )
        .await
        {
            Ok(c) => {
                println!(
                    "chamber {} is a pagoPA creditor: tax code {}, segregation code {}",
                    c.chamber.code, c.tax_code, c.segregation
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

async fn import_payments(state: &AppState, file: &std::path::Path) -> ExitCode {
    use wallet::pagopa::reconcile::{self, ImportError};
    let bytes = match read_bounded(file, wallet::pagopa::flow::MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    match reconcile::import(state, &Actor::cli(), &bytes, None).await {
        Ok(r) => {
            println!("{}", crate::pages::trade::pagopa::report_text(Lang::En, &r));
            for (iuv, result) in &r.anomalies {
                println!("anomaly\t{iuv}\t{result}");
            }
            ExitCode::SUCCESS
        }
        Err(e @ (ImportError::Flow(_) | ImportError::UnknownCreditor(_))) => {
            eprintln!("error: {}: {e}", file.display());
            ExitCode::from(2)
        }
        Err(e) => fail(e),
    }
}

/// The file, or an error when it is larger than `limit` (read no further than that).
fn read_bounded(file: &std::path::Path, limit: usize) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(file)?;
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} MB: not a reconciliation flow",
            limit / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

async fn desk(state: &AppState, command: DeskCommand) -> ExitCode {
    let DeskCommand::Add {
        chamber,
        code,
        name,
    } = command;
    let code = match DeskCode::parse(&code) {
        Ok(c) => c,
        Err(e) => return fail(format!("--code: {e}")),
    };
    let chamber = match chambers::find_chamber_by_code(&state.db, &chamber).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail(format!("--chamber: no chamber with code {chamber}")),
        Err(e) => return fail(e),
    };
    match chambers::create_desk(state, &Actor::cli(), &chamber, &code, &name).await {
        Ok(d) => {
            println!("desk {} added to {} ({})", d.code, chamber.code, d.id);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn user(state: &AppState, command: UserCommand) -> ExitCode {
    let (email, name, role, chamber, desks, companies, tax_code, password_stdin) = match command {
        UserCommand::Add {
            email,
            name,
            role,
            chamber,
            desks,
            companies,
            tax_code,
            password_stdin,
        } => (
            email,
            name,
            role,
            chamber,
            desks,
            companies,
            tax_code,
            password_stdin,
        ),
        UserCommand::Disable { email } => return set_active(state, &email, false).await,
        UserCommand::Enable { email } => return set_active(state, &email, true).await,
        UserCommand::List { chamber } => return list_users(state, chamber).await,
    };
    let Some(role) = Role::parse(&role) else {
        return fail(format!("--role: '{role}' is not a role"));
    };
    let tax_code = match tax_code.as_deref().map(TaxCode::parse) {
        None => None,
        Some(Ok(code)) => Some(code),
        Some(Err(e)) => return fail(format!("--tax-code: {e}")),
    };
    if !password_stdin {
        return fail("--password-stdin is required: the password is read from standard input");
    }
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut password) {
        return fail(format!("reading the password: {e}"));
    }
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let chamber_id = match chamber {
        Some(code) => match chambers::find_chamber_by_code(&state.db, &code).await {
            Ok(Some(c)) => Some(c.id),
            Ok(None) => return fail(format!("--chamber: no chamber with code {code}")),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let mut desk_ids = Vec::new();
    for code in desks {
        match chambers::find_desk_by_code(&state.db, &code).await {
            Ok(Some(d)) => desk_ids.push(d.id),
            Ok(None) => return fail(format!("--desk: no desk with code {code}")),
            Err(e) => return fail(e),
        }
    }
    let mut company_ids = Vec::new();
    for tax_code in companies {
        let Ok(parsed) = TaxCode::parse(&tax_code) else {
            return fail(format!("--company: '{tax_code}' is not a valid tax code"));
        };
        match registry::find_company_by_tax_code(&state.db, &parsed).await {
            Ok(Some(c)) => company_ids.push(c.id),
            Ok(None) => {
                return fail(format!(
                    "--company: no company with tax code {tax_code} in the registry"
                ));
            }
            Err(e) => return fail(e),
        }
    }
    let new = NewUser {
        email,
        name,
        password,
        role,
        chamber_id,
        desk_ids,
        company_ids,
        tax_code,
    };
    match accounts::create_user(state, &Actor::cli(), new).await {
        Ok(u) => {
            println!("user {} added as {} ({})", u.email, u.role, u.id);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn import_registry(state: &AppState, file: &std::path::Path, json: bool) -> ExitCode {
    let options = sportello_core::registry::ImportOptions::default();
    match sportello_core::registry::import_csv(&state.db, state.clock.now(), file, options).await {
        Ok(outcome) => {
            let mut stdout = std::io::stdout().lock();
            let mut stderr = std::io::stderr().lock();
            match outcome.write_report(json, &mut stdout, &mut stderr) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("writing the report: {e}")),
            }
        }
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            ExitCode::from(e.exit_code())
        }
    }
}

async fn trust(state: &AppState, command: TrustCommand) -> ExitCode {
    use sportello_core::trust::{self, Added};
    let now = state.clock.now();
    let actor = Actor::cli();
    match command {
        TrustCommand::Add { file, chamber } => {
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => return fail(format!("{}: {e}", file.display())),
            };
            let chamber_id = match chamber {
                Some(code) => match chambers::find_chamber_by_code(&state.db, &code).await {
                    Ok(Some(c)) => Some(c.id),
                    Ok(None) => return fail(format!("--chamber: no chamber with code {code}")),
                    Err(e) => return fail(e),
                },
                None => None,
            };
            match trust::add_file(&state.db, now, &actor, &bytes, chamber_id.as_deref()).await {
                Ok(added) => {
                    for a in added {
                        match a {
                            Added::New(a) => println!("trusted {} ({})", a.subject, a.id),
                            Added::AlreadyTrusted(id) => println!("already trusted ({id})"),
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        TrustCommand::List => match trust::list(&state.db).await {
            Ok(list) => {
                for a in list {
                    println!(
                        "{}\t{}\t{} → {}\t{}\t{}",
                        a.id,
                        a.subject,
                        a.not_before,
                        a.not_after,
                        a.source,
                        a.label.unwrap_or_default()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        TrustCommand::Remove { id } => match trust::remove(&state.db, now, &actor, &id).await {
            Ok(()) => {
                println!("removed {id}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        TrustCommand::Crl {
            command: CrlCommand::Add { file },
        } => {
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => return fail(format!("{}: {e}", file.display())),
            };
            match sportello_core::revocation::add_crl_file(&state.db, now, &actor, &bytes).await {
                Ok(stored) => {
                    for c in stored {
                        println!(
                            "{} CRL of {} no. {} ({} → {}) {}",
                            if c.already_known {
                                "already kept:"
                            } else {
                                "kept"
                            },
                            c.issuer,
                            c.crl_number.as_deref().unwrap_or("-"),
                            c.this_update,
                            c.next_update.as_deref().unwrap_or("-"),
                            c.id
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        TrustCommand::ImportTsl { file } => {
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => return fail(format!("{}: {e}", file.display())),
            };
            match trust::import_trusted_list(&state.db, now, &actor, &bytes).await {
                Ok((added, known)) => {
                    println!("trusted list loaded: {added} new anchors, {known} already trusted");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}

async fn set_active(state: &AppState, email: &str, active: bool) -> ExitCode {
    match offboarding::set_active_by_email(state, &Actor::cli(), email, active).await {
        Ok(u) if active => {
            println!("user {} enabled", u.email);
            ExitCode::SUCCESS
        }
        Ok(u) => {
            println!(
                "user {} disabled: sessions ended, API tokens revoked",
                u.email
            );
            ExitCode::SUCCESS
        }
        Err(OffboardingError::NotFound) => fail(format!("--email: no user with e-mail {email}")),
        Err(e) => fail(e),
    }
}

async fn list_users(state: &AppState, chamber: Option<String>) -> ExitCode {
    let chamber_id = match chamber {
        Some(code) => match chambers::find_chamber_by_code(&state.db, &code).await {
            Ok(Some(c)) => Some(c.id),
            Ok(None) => return fail(format!("--chamber: no chamber with code {code}")),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let users = match offboarding::list_all(&state.db, chamber_id.as_deref()).await {
        Ok(u) => u,
        Err(e) => return fail(e),
    };
    let codes: std::collections::HashMap<String, String> =
        match chambers::list_chambers(&state.db).await {
            Ok(list) => list
                .into_iter()
                .map(|c| (c.id, c.code.to_string()))
                .collect(),
            Err(e) => return fail(e),
        };
    for u in users {
        let chamber = u
            .chamber_id
            .as_ref()
            .and_then(|id| codes.get(id))
            .map_or("-", String::as_str);
        let state = if u.active { "active" } else { "disabled" };
        println!("{}\t{}\t{}\t{}", u.email, u.role, chamber, state);
    }
    ExitCode::SUCCESS
}
