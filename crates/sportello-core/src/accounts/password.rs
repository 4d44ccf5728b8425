//! Password hashing with Argon2id (PHC string format, parameters stored with the hash).

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use std::cell::RefCell;

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
    hash_phc(Params::default(), password.as_bytes(), &salt).ok_or(PasswordError::Hash)
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    verify_phc(password.as_bytes(), phc)
}

thread_local! {
    /// The memory Argon2 works in on this thread, kept from one computation to the next.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 with `argon`'s parameters into `out`, in this thread's own memory ([`BLOCKS`],
/// grown to the largest cost met, never given back). The `argon2` crate would allocate and
/// free its memory at each computation, and the allocator keeps what a thread freed (up to
/// 64 MiB per arena): a verification burst left 235 MiB resident. Reused here, it is one
/// buffer per pool thread (see [`pool`]).
fn compute(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let needed = argon.params().block_count();
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// The Argon2id (version 0x13) PHC string (`$argon2id$v=19$m=…`) of `password` with `salt`
/// and `params`, computed by [`compute`]. Shared with the certificates' security codes.
pub(crate) fn hash_phc(params: Params, password: &[u8], salt: &SaltString) -> Option<String> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = salt.as_salt();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).ok()?;
    let len = argon
        .params()
        .output_len()
        .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(len, |out| {
        compute(&argon, password, salt_bytes, out).map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .ok()?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).ok()?,
        salt: Some(salt),
        hash: Some(output),
    };
    Some(hash.to_string())
}

/// Whether `password` matches the PHC string `phc` (its algorithm, version, parameters and
/// salt), computed by [`compute`] and compared in constant time. A malformed hash never
/// matches.
pub(crate) fn verify_phc(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if compute(&argon, password, salt_bytes, &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|o| o == expected)
}

/// A piece of Argon2 work for the pool.
type HashJob = Box<dyn FnOnce() + Send>;

/// The pool every Argon2 computation runs on (passwords here, certificates' security codes in
/// `trade::desk::security_code`): a fixed set of threads, one per core, fed in order from one
/// queue. Never an async worker, so `/healthz` and every other request keep being served
/// during a login or verification flood; and never more threads than cores, because each
/// thread that has run Argon2 keeps its memory (19 MiB for a password, 8 MiB for a code) in
/// its allocator arena after freeing it. A burst on tokio's blocking pool (hundreds of
/// threads) left 150-332 MiB resident; here what stays is bounded by the core count.
/// Requests beyond the cores wait their turn in the queue, holding no thread.
fn pool() -> &'static std::sync::mpsc::Sender<HashJob> {
    static POOL: std::sync::OnceLock<std::sync::mpsc::Sender<HashJob>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<HashJob>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..cores {
            let receiver = receiver.clone();
            // A thread that cannot be started leaves the others; with none, the queue's
            // receiver is gone and every computation answers `None`.
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = {
                            let queue = receiver.lock().unwrap_or_else(|e| e.into_inner());
                            match queue.recv() {
                                Ok(job) => job,
                                Err(_) => return,
                            }
                        };
                        // A panic in one computation must not take a pool thread with it.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
        }
        sender
    })
}

/// Runs `f` on the Argon2 pool; `None` if the pool could not run it.
pub(crate) async fn on_pool<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (answer, result) = tokio::sync::oneshot::channel();
    pool()
        .send(Box::new(move || {
            let _ = answer.send(f());
        }))
        .ok()?;
    result.await.ok()
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
                hash_phc(
                    Params::default(),
                    uuid::Uuid::new_v4().to_string().as_bytes(),
                    &salt,
                )
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_computed_in_the_pools_memory_are_those_of_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = new_salt().unwrap();
        let ours = hash_phc(Params::default(), b"correct horse battery", &salt).unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, theirs);
        assert!(verify("correct horse battery", &theirs));
        assert!(!verify("correct horse batterz", &theirs));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        // A smaller cost after a larger one reuses the thread's memory.
        let small = Params::new(8 * 1024, 2, 1, None).unwrap();
        let code = hash_phc(small, b"C26GE0000001:ABCDEFGHJK", &salt).unwrap();
        assert!(code.starts_with("$argon2id$v=19$m=8192,t=2,p=1$"));
        assert!(verify_phc(b"C26GE0000001:ABCDEFGHJK", &code));
    }

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
