//! The security code printed on a certificate of origin, and how it is kept.
//!
//! With the certificate's number, the code opens the public verification; the chamber needs it
//! again only to print copies. So the database never holds it in clear:
//! - **to check it**, a salted Argon2id hash of `NUMBER:CODE` (PHC string, parameters stored
//!   with it) in `certificates.security_code_hash`: 4 MiB, 1 pass, 1 lane, about 1.4 ms per
//!   check on one core of the reference server. The code is random (about 49 bits), not a
//!   password people choose, so the cost per guess only has to make exhausting it hopeless:
//!   half of 2^49 guesses at 1.4 ms is about 12 000 core-years for one certificate, and the
//!   4 MiB per guess limit what a GPU gains. The public verification stays under its 5 ms
//!   (issue 14; it was 8 MiB and 2 passes, about 6 ms, before). Hashes made with other
//!   parameters still check, and are replaced with the current ones on their first success;
//! - **to print it again**, the code encrypted with AES-256-GCM under the key that keeps the
//!   chamber seals at rest (`seal::encrypt_value`, from `SPORTELLO_SEAL_KEY`), bound to the
//!   certificate's id, in `security_code_sealed` with the secret's id in `security_code_key`.
//!
//! Certificates issued before were kept with the code in clear (`security_code`) beside an
//! unsalted SHA-256. [`protect_stored_codes`] runs at start-up (`Ctx::open`): it hashes and
//! encrypts every clear code it finds and empties the clear column, row by row, so it is
//! idempotent and an interrupted run resumes. A row that only ever had the SHA-256 (no code
//! kept) is upgraded on its first successful verification ([`check`]), when the code is known.

use crate::Ctx;
use crate::db::Db;
use crate::seal::{SealError, SealSecret, decrypt_value, encrypt_value};
use argon2::Params;
use argon2::password_hash::SaltString;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Characters of a security code: no 0/O, 1/I/L, so it can be read off paper and typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Length of a security code (about 49 bits).
pub(crate) const CODE_LEN: usize = 10;

/// Argon2id cost: memory in KiB, passes, lanes (see the module docs for why these).
const M_COST: u32 = 4 * 1024;
const T_COST: u32 = 1;
const P_COST: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("the security code could not be hashed")]
    Hash,
    #[error("the security code could not be encrypted or decrypted: {0}")]
    Secret(#[from] SealError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

fn params() -> Params {
    Params::new(M_COST, T_COST, P_COST, None).unwrap_or_default()
}

/// What is hashed: number and code, upper case, without spaces around.
fn pair(number: &str, code: &str) -> String {
    format!(
        "{}:{}",
        number.trim().to_ascii_uppercase(),
        code.trim().to_ascii_uppercase()
    )
}

/// The salted Argon2id hash (PHC string) of a certificate's number and code.
pub fn hash(number: &str, code: &str) -> Result<String, CodeError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| CodeError::Hash)?;
    crate::accounts::password::hash_phc(params(), pair(number, code).as_bytes(), &salt)
        .ok_or(CodeError::Hash)
}

/// The unsalted SHA-256 that certificates issued before were checked with.
fn legacy_hash(number: &str, code: &str) -> String {
    hex::encode(Sha256::digest(pair(number, code).as_bytes()))
}

fn is_legacy(stored: &str) -> bool {
    !stored.starts_with("$argon2")
}

/// Whether `stored` was made with today's parameters; any other hash that matches is
/// replaced when it is next verified.
fn is_current(stored: &str) -> bool {
    stored.starts_with(&format!("$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}$"))
}

/// Whether `code` is the one `stored` was made from (Argon2id, or the legacy SHA-256).
pub fn matches(number: &str, code: &str, stored: &str) -> bool {
    if is_legacy(stored) {
        let given = legacy_hash(number, code);
        return given.len() == stored.len()
            && given
                .bytes()
                .zip(stored.bytes())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0;
    }
    crate::accounts::password::verify_phc(pair(number, code).as_bytes(), stored)
}

/// A hash of a random code, checked against when the number is unknown, so that an unknown
/// number takes as long as a wrong code.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("C00XX0000000", &new_code()).unwrap_or_default())
}

/// Runs the slow hashing on the Argon2 pool shared with passwords: off the async workers,
/// at most one computation per core, so a burst of verifications leaves bounded memory
/// (issue 14; see `accounts::password`).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CodeError> {
    crate::accounts::password::on_pool(f)
        .await
        .ok_or(CodeError::Hash)
}

fn aad(certificate_id: &str) -> Vec<u8> {
    format!("sportello certificate security code {certificate_id}").into_bytes()
}

/// The code as stored: its hash, and the code encrypted for reprints with the secret's id.
#[derive(Clone, Debug)]
pub struct Kept {
    pub hash: String,
    pub sealed: Vec<u8>,
    pub key_id: String,
}

/// Hashes and encrypts the code of certificate `certificate_id` numbered `number`.
pub async fn keep(
    secret: &SealSecret,
    certificate_id: &str,
    number: &str,
    code: &str,
) -> Result<Kept, CodeError> {
    let (n, c) = (number.to_string(), code.to_string());
    let hash = blocking(move || hash(&n, &c)).await??;
    Ok(Kept {
        hash,
        sealed: encrypt_value(secret, &aad(certificate_id), code.trim().as_bytes())?,
        key_id: secret.id().to_string(),
    })
}

/// The code of a certificate, decrypted to print it again; `None` when none was kept (issued
/// before codes were kept, and not verified since).
pub async fn reveal(state: &Ctx, certificate_id: &str) -> Result<Option<String>, CodeError> {
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT security_code_sealed FROM certificates WHERE id = $1")
            .bind(certificate_id)
            .fetch_optional(state.db.pool())
            .await?
            .flatten();
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let secret = SealSecret::from_config(&state.config)?;
    let plain = decrypt_value(&secret, &aad(certificate_id), &sealed)?;
    Ok(Some(
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Undecryptable)?,
    ))
}

/// A certificate's stored code as the verification read it with the certificate's row: its
/// id and its hash.
#[derive(Clone, Copy, Debug)]
pub struct Stored<'a> {
    pub certificate_id: &'a str,
    pub hash: &'a str,
}

/// Whether `code` opens certificate `number`, whose stored code `stored` the caller read
/// (`None`: no certificate has that number). `number` is as stored: trimmed, upper case.
/// Unknown numbers cost a check too. A legacy hash, or an Argon2id hash with other
/// parameters, that matches is replaced at once by the current Argon2id hash and the
/// encrypted code.
pub async fn check(
    state: &Ctx,
    number: &str,
    code: &str,
    stored: Option<Stored<'_>>,
) -> Result<bool, CodeError> {
    let Some(stored) = stored else {
        let c = code.to_string();
        blocking(move || matches("C00XX0000000", &c, decoy())).await?;
        return Ok(false);
    };
    let (n, c, s) = (
        number.to_string(),
        code.to_string(),
        stored.hash.to_string(),
    );
    if !blocking(move || matches(&n, &c, &s)).await? {
        return Ok(false);
    }
    if !is_current(stored.hash) {
        let secret = SealSecret::from_config(&state.config)?;
        let kept = keep(&secret, stored.certificate_id, number, code).await?;
        sqlx::query(
            "UPDATE certificates SET security_code_hash = $2, security_code_sealed = $3, \
             security_code_key = $4, security_code = NULL WHERE id = $1 AND security_code_hash = $5",
        )
        .bind(stored.certificate_id)
        .bind(&kept.hash)
        .bind(&kept.sealed)
        .bind(&kept.key_id)
        .bind(stored.hash)
        .execute(state.db.pool())
        .await?;
    }
    Ok(true)
}

/// Hashes and encrypts every code still kept in clear, and empties the clear column; returns
/// how many rows it changed. Idempotent: a row is done once its clear code is gone.
pub async fn protect_stored_codes(state: &Ctx) -> Result<usize, CodeError> {
    protect_with(&state.db, || SealSecret::from_config(&state.config)).await
}

/// The codes still kept in clear: one read of the partial index `certificates_clear_codes`
/// (empty once they are protected), not of every certificate, since it runs at each start.
const CLEAR_CODES: &str =
    "SELECT id, number, security_code FROM certificates WHERE security_code IS NOT NULL";

/// The engine's plan of the start-up look for codes in clear (the plan test reads it).
pub async fn clear_codes_plan(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!("{}{CLEAR_CODES}", crate::paging::explain(db));
    crate::paging::plan(db, sqlx::query_as(sqlx::AssertSqlSafe(sql))).await
}

async fn protect_with(
    db: &Db,
    secret: impl FnOnce() -> Result<SealSecret, SealError>,
) -> Result<usize, CodeError> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as(CLEAR_CODES).fetch_all(db.pool()).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let secret = secret()?;
    let mut done = 0;
    for (id, number, code) in rows {
        let kept = keep(&secret, &id, &number, &code).await?;
        done += sqlx::query(
            "UPDATE certificates SET security_code_hash = $2, security_code_sealed = $3, \
             security_code_key = $4, security_code = NULL WHERE id = $1 AND security_code = $5",
        )
        .bind(&id)
        .bind(&kept.hash)
        .bind(&kept.sealed)
        .bind(&kept.key_id)
        .bind(&code)
        .execute(db.pool())
        .await?
        .rows_affected() as usize;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_codes_avoid_ambiguous_characters() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), CODE_LEN);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        }
    }

    #[test]
    fn a_code_is_hashed_with_its_own_salt_and_checked_ignoring_case_and_spaces() {
        let a = hash("C26GE0000001", "ABCDEFGHJK").expect("hash");
        let b = hash("C26GE0000001", "ABCDEFGHJK").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=4096,t=1,p=1$"), "{a}");
        assert!(is_current(&a));
        assert_ne!(a, b, "salted: the same code hashes differently");
        assert!(matches(" c26ge0000001 ", " abcdefghjk ", &a));
        assert!(!matches("C26GE0000001", "ABCDEFGHJM", &a));
        assert!(
            !matches("C26GE0000002", "ABCDEFGHJK", &a),
            "bound to its number"
        );
        assert!(!matches("C26GE0000001", "ABCDEFGHJK", "$argon2id$broken"));
    }

    /// Certificates issued before the cost was lowered (8 MiB, 2 passes) keep opening; their
    /// hash is not current, so `check` replaces it on the first success.
    #[test]
    fn a_security_code_hashed_with_the_earlier_cost_still_checks_and_is_replaced() {
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
        let earlier = crate::accounts::password::hash_phc(
            Params::new(8 * 1024, 2, 1, None).expect("params"),
            pair("C26GE0000001", "ABCDEFGHJK").as_bytes(),
            &salt,
        )
        .expect("hash");
        assert!(earlier.starts_with("$argon2id$v=19$m=8192,t=2,p=1$"));
        assert!(matches("C26GE0000001", "abcdefghjk", &earlier));
        assert!(!matches("C26GE0000001", "ABCDEFGHJM", &earlier));
        assert!(!is_current(&earlier));
        assert!(!is_current(&legacy_hash("C26GE0000001", "ABCDEFGHJK")));
    }

    #[test]
    fn legacy_sha256_hashes_still_check() {
        let legacy = legacy_hash("C26GE0000001", "ABCDEFGHJK");
        assert_eq!(legacy.len(), 64);
        assert!(matches("c26ge0000001", "abcdefghjk ", &legacy));
        assert!(!matches("C26GE0000001", "ABCDEFGHJM", &legacy));
    }

    #[test]
    fn an_encrypted_code_opens_only_for_its_certificate() {
        let secret = SealSecret::parse(&"ab".repeat(32)).expect("secret");
        let sealed = encrypt_value(&secret, &aad("cert-1"), b"ABCDEFGHJK").expect("sealed");
        assert!(!sealed.windows(10).any(|w| w == b"ABCDEFGHJK"));
        assert_eq!(
            decrypt_value(&secret, &aad("cert-1"), &sealed)
                .expect("opens")
                .as_slice(),
            b"ABCDEFGHJK"
        );
        assert!(decrypt_value(&secret, &aad("cert-2"), &sealed).is_err());
    }

    /// Run by hand for the figure in the module docs and BENCHMARKS.md:
    /// `cargo test --release -p sportello-core --lib one_code_check -- --ignored --nocapture`.
    #[test]
    #[ignore = "a timing, not a rule"]
    fn one_code_check_takes_about() {
        let stored = hash("C26GE0000001", "ABCDEFGHJK").expect("hash");
        let n = 50;
        let start = std::time::Instant::now();
        for _ in 0..n {
            assert!(matches("C26GE0000001", "ABCDEFGHJK", &stored));
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        println!("one security-code check: {ms:.1} ms");
    }
}
