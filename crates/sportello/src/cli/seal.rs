//! `sportello admin chamber seal --chamber GE --pkcs12 FILE --password-stdin`: imports the
//! chamber's seal. The password is read from standard input and used once.

use crate::app::AppState;
use sportello_core::audit::Actor;
use sportello_core::chambers;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use zeroize::Zeroizing;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// Reads the PKCS#12 file and the password, checks them, and stores the seal.
pub async fn import(
    state: &AppState,
    chamber: &str,
    pkcs12: &Path,
    password_stdin: bool,
) -> ExitCode {
    if !password_stdin {
        return fail("--password-stdin is required: the password is read from standard input");
    }
    let chamber = match chambers::find_chamber_by_code(&state.db, chamber).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail(format!("--chamber: no chamber with code {chamber}")),
        Err(e) => return fail(e),
    };
    let bytes = match std::fs::read(pkcs12) {
        Ok(b) => Zeroizing::new(b),
        Err(e) => return fail(format!("--pkcs12 {}: {e}", pkcs12.display())),
    };
    let mut password = Zeroizing::new(String::new());
    if let Err(e) = std::io::stdin().read_to_string(&mut password) {
        return fail(format!("reading the password: {e}"));
    }
    let password = password.trim_end_matches(['\r', '\n']);
    let key = match sportello_core::seal::SealKey::from_pkcs12(&bytes, password) {
        Ok(k) => k,
        Err(e) => return fail(format!("--pkcs12 {}: {e}", pkcs12.display())),
    };
    let now = state.clock.now();
    if key.check_valid_at(now).is_err() {
        return fail(format!(
            "the seal certificate is not valid now (valid from {} to {})",
            key.not_before(),
            key.not_after()
        ));
    }
    match sportello_core::seal::store(state, now, &Actor::cli(), &chamber.id, &key).await {
        Ok(seal) => {
            println!(
                "seal of chamber {} stored: {} (valid until {}, SHA-256 {})",
                chamber.code,
                seal.subject,
                seal.not_after.format("%Y-%m-%d"),
                seal.sha256
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
