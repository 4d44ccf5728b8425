//! Password hashing with Argon2id (PHC string format, parameters stored with the hash).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Minimum length of a password (NIST SP 800-63B recommends length over composition rules).
pub const MIN_PASSWORD_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("the password must have at most 256 characters")]
    TooLong,
    #[error("could not hash the password")]
    Hash,
}

pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        Err(PasswordError::TooShort)
    } else if n > 256 {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

fn new_salt() -> Result<SaltString, PasswordError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|_| PasswordError::Hash)
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    let salt = new_salt()?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The pool Argon2 runs on: a blocking thread (never an async worker, so `/healthz` and
/// every other request keep being served during a login flood), at most one per core at a
/// time. Requests beyond that wait their turn in a fair queue, holding no thread.
fn pool() -> &'static tokio::sync::Semaphore {
    static POOL: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// Runs `f` on the bounded hashing pool; `None` if the blocking task could not run.
async fn on_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _permit = pool().acquire().await.ok()?;
    tokio::task::spawn_blocking(f).await.ok()
}

/// [`verify`] on the bounded hashing pool.
pub async fn verify_pooled(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    on_pool(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

/// Verifies against the decoy hash on the bounded hashing pool: the work of a login to an
/// e-mail no account has, the same as for one that exists.
pub async fn verify_decoy_pooled(password: &str) {
    let password = password.to_string();
    on_pool(move || verify(&password, decoy_hash())).await;
}

/// [`hash`] on the bounded hashing pool.
pub async fn hash_pooled(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    let password = password.to_string();
    on_pool(move || hash(&password))
        .await
        .unwrap_or(Err(PasswordError::Hash))
}

/// A valid hash of a random password, verified against when the e-mail is unknown so that
/// a login attempt takes the same time whether or not the account exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        new_salt()
            .ok()
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(uuid::Uuid::new_v4().to_string().as_bytes(), &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash("correct horse battery").unwrap();
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(hash("short"), Err(PasswordError::TooShort));
    }
}
