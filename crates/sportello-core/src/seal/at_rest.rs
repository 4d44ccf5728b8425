//! A chamber's seal in the database, encrypted with AES-256-GCM under a key derived from
//! the app secret (see the module docs of `seal` for the trade-off of the file fallback).
//!
//! Blob layout: `1` (format), a 12-byte random nonce, then the ciphertext and tag of
//! `len ‖ PKCS#8 key ‖ (len ‖ certificate)…` (lengths u32 big-endian, the seal certificate
//! first). The chamber id is the associated data.
//!
//! The same mechanism ([`encrypt_value`], [`decrypt_value`]) keeps other small secrets at
//! rest, such as the security code of an issued certificate: same key, same layout, and
//! associated data that names what the value is and which row it belongs to, so a value
//! copied to another row or used for another purpose does not open.

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::config::Config;
use crate::db::{self, Db};
use crate::seal::{SealError, SealKey};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::Mac;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;
use zeroize::{Zeroize, Zeroizing};

/// Format byte of the stored blob.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 12;
/// The fallback secret's file under the data directory.
const SECRET_FILE: &str = "seal-secret.key";

/// The key that encrypts seals at rest, derived from the app secret. Never printed.
pub struct SealSecret {
    key: Zeroizing<[u8; 32]>,
    /// Identifies the secret (not the key) in stored rows, to tell a changed secret apart.
    id: String,
}

impl std::fmt::Debug for SealSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealSecret({})", self.id)
    }
}

impl SealSecret {
    /// From 32 bytes of app secret.
    fn derive(secret: &[u8; 32]) -> Result<SealSecret, SealError> {
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|_| SealError::Secret("unusable secret".into()))?;
        mac.update(b"sportello chamber seal at rest v1");
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        let id = hex::encode(&Sha256::digest(Sha256::digest(key))[..8]);
        Ok(SealSecret {
            key: Zeroizing::new(key),
            id,
        })
    }

    /// Parses `SPORTELLO_SEAL_KEY`: 32 bytes as 64 hex digits or base64.
    pub fn parse(text: &str) -> Result<SealSecret, SealError> {
        let text = text.trim();
        let bytes = Zeroizing::new(
            hex::decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text))
                .map_err(|_| {
                    SealError::Secret("SPORTELLO_SEAL_KEY is neither hex nor base64".into())
                })?,
        );
        let secret: Zeroizing<[u8; 32]> =
            Zeroizing::new(bytes.as_slice().try_into().map_err(|_| {
                SealError::Secret("SPORTELLO_SEAL_KEY must be 32 bytes (64 hex digits)".into())
            })?);
        SealSecret::derive(&secret)
    }

    /// The configured secret, or the data directory's file (made on first use).
    pub fn from_config(config: &Config) -> Result<SealSecret, SealError> {
        match &config.seal_key {
            Some(secret) => SealSecret::parse(secret.expose()),
            None => SealSecret::from_file(&config.data_dir),
        }
    }

    fn from_file(data_dir: &Path) -> Result<SealSecret, SealError> {
        let path = data_dir.join(SECRET_FILE);
        let fail = |e: std::io::Error| SealError::Secret(format!("{}: {e}", path.display()));
        match std::fs::read_to_string(&path) {
            Ok(text) => return SealSecret::parse(&text),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(e)),
            Err(_) => {}
        }
        std::fs::create_dir_all(data_dir).map_err(fail)?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        let mut text = hex::encode(bytes.as_ref());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{text}\n").as_bytes()));
        text.zeroize();
        match written {
            Ok(()) => {
                tracing::warn!(
                    path = %path.display(),
                    "SPORTELLO_SEAL_KEY is not set: chamber seals are encrypted with a secret \
                     made in the data directory; set the variable in production"
                );
                SealSecret::derive(&bytes)
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                SealSecret::parse(&std::fs::read_to_string(&path).map_err(fail)?)
            }
            Err(e) => Err(fail(e)),
        }
    }

    /// Identifies the secret (not the key), to store beside what it encrypts.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Result<Aes256Gcm, SealError> {
        Aes256Gcm::new_from_slice(self.key.as_ref())
            .map_err(|_| SealError::Secret("unusable key".into()))
    }
}

fn aad(chamber_id: &str) -> Vec<u8> {
    format!("sportello chamber seal {chamber_id}").into_bytes()
}

/// Encrypts `plain` at rest under the secret, bound to `aad` (what the value is and where it
/// belongs): `1`, a random 12-byte nonce, then ciphertext and tag.
pub fn encrypt_value(secret: &SealSecret, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = secret
        .cipher()?
        .encrypt(&nonce.into(), Payload { msg: plain, aad })
        .map_err(|_| SealError::Secret("encryption failed".into()))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(FORMAT);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what [`encrypt_value`] made with the same secret and `aad`.
pub fn decrypt_value(
    secret: &SealSecret,
    aad: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if blob.len() < 1 + NONCE_LEN || blob[0] != FORMAT {
        return Err(SealError::Undecryptable);
    }
    let nonce: [u8; NONCE_LEN] = blob[1..1 + NONCE_LEN]
        .try_into()
        .map_err(|_| SealError::Undecryptable)?;
    secret
        .cipher()?
        .decrypt(
            &nonce.into(),
            Payload {
                msg: &blob[1 + NONCE_LEN..],
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| SealError::Undecryptable)
}

fn encrypt(secret: &SealSecret, chamber_id: &str, key: &SealKey) -> Result<Vec<u8>, SealError> {
    let mut plain = Zeroizing::new(Vec::new());
    let mut part = |bytes: &[u8]| {
        plain.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        plain.extend_from_slice(bytes);
    };
    part(key.pkcs8_der());
    part(key.certificate_der());
    for cert in key.chain_der() {
        part(cert);
    }
    encrypt_value(secret, &aad(chamber_id), &plain)
}

fn decrypt(secret: &SealSecret, chamber_id: &str, blob: &[u8]) -> Result<SealKey, SealError> {
    let plain = decrypt_value(secret, &aad(chamber_id), blob)?;
    let mut parts = Vec::new();
    let mut rest: &[u8] = &plain;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(4).ok_or(SealError::Undecryptable)?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| SealError::Undecryptable)?);
        let (part, tail) = tail
            .split_at_checked(usize::try_from(len).map_err(|_| SealError::Undecryptable)?)
            .ok_or(SealError::Undecryptable)?;
        parts.push(part);
        rest = tail;
    }
    let (key, certificates) = parts.split_first().ok_or(SealError::Undecryptable)?;
    SealKey::from_parts(
        Zeroizing::new(key.to_vec()),
        certificates.iter().map(|c| c.to_vec()).collect(),
    )
}

/// What is known about a chamber's seal without decrypting it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredSeal {
    pub chamber_id: String,
    /// The certificate's subject, RFC 4514 style.
    pub subject: String,
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the certificate, lowercase hex.
    pub sha256: String,
    pub updated_at: DateTime<Utc>,
}

/// Stores (or replaces) the seal of `chamber_id`, encrypted, with an audit entry.
pub async fn store(
    state: &Ctx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    key: &SealKey,
) -> Result<StoredSeal, SealError> {
    let secret = SealSecret::from_config(&state.config)?;
    store_with(&state.db, &secret, now, actor, chamber_id, key).await
}

/// [`store`] with an explicit secret.
pub async fn store_with(
    db: &Db,
    secret: &SealSecret,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    key: &SealKey,
) -> Result<StoredSeal, SealError> {
    let blob = encrypt(secret, chamber_id, key)?;
    let seal = StoredSeal {
        chamber_id: chamber_id.to_string(),
        subject: key.subject().to_string(),
        not_after: key.not_after(),
        sha256: key.sha256_fingerprint(),
        updated_at: now,
    };
    let mut tx = db.begin().await?;
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM chambers WHERE id = $1")
        .bind(chamber_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(SealError::NoChamber);
    }
    let before = stored_in(&mut tx, chamber_id).await?;
    sqlx::query(
        "INSERT INTO chamber_seals (chamber_id, encrypted_key, secret_id, certificate, subject, \
         not_after, sha256, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (chamber_id) DO UPDATE SET encrypted_key = excluded.encrypted_key, \
         secret_id = excluded.secret_id, certificate = excluded.certificate, \
         subject = excluded.subject, not_after = excluded.not_after, sha256 = excluded.sha256, \
         updated_at = excluded.updated_at",
    )
    .bind(chamber_id)
    .bind(&blob)
    .bind(&secret.id)
    .bind(key.certificate_der())
    .bind(&seal.subject)
    .bind(db::instant(seal.not_after))
    .bind(&seal.sha256)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    let public = |s: &StoredSeal| serde_json::json!({"subject": s.subject, "not_after": s.not_after, "sha256": s.sha256});
    let mut change =
        Change::new("chamber_seal.set", "chamber", Some(chamber_id)).after(public(&seal));
    if let Some(before) = &before {
        change = change.before(public(before));
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        change,
    )
    .await?;
    tx.commit().await?;
    Ok(seal)
}

type Row = (String, String, String, String, String);

fn to_stored(row: Row) -> Result<StoredSeal, sqlx::Error> {
    let (chamber_id, subject, not_after, sha256, updated_at) = row;
    Ok(StoredSeal {
        chamber_id,
        subject,
        not_after: db::parse_instant(&not_after)?,
        sha256,
        updated_at: db::parse_instant(&updated_at)?,
    })
}

const SELECT_STORED: &str = "SELECT chamber_id, subject, not_after, sha256, updated_at FROM chamber_seals WHERE chamber_id = $1";

async fn stored_in(tx: &mut db::Tx, chamber_id: &str) -> Result<Option<StoredSeal>, sqlx::Error> {
    sqlx::query_as::<_, Row>(SELECT_STORED)
        .bind(chamber_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(to_stored)
        .transpose()
}

/// The chamber's seal as stored (subject, expiry, fingerprint), without decrypting it.
pub async fn stored(db: &Db, chamber_id: &str) -> Result<Option<StoredSeal>, sqlx::Error> {
    sqlx::query_as::<_, Row>(SELECT_STORED)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await?
        .map(to_stored)
        .transpose()
}

/// The chamber's seal, decrypted; `None` when the chamber has none.
pub async fn load(state: &Ctx, chamber_id: &str) -> Result<Option<SealKey>, SealError> {
    let secret = SealSecret::from_config(&state.config)?;
    load_with(&state.db, &secret, chamber_id).await
}

/// [`load`] with an explicit secret.
pub async fn load_with(
    db: &Db,
    secret: &SealSecret,
    chamber_id: &str,
) -> Result<Option<SealKey>, SealError> {
    let row: Option<(Vec<u8>, String)> =
        sqlx::query_as("SELECT encrypted_key, secret_id FROM chamber_seals WHERE chamber_id = $1")
            .bind(chamber_id)
            .fetch_optional(db.pool())
            .await?;
    let Some((blob, secret_id)) = row else {
        return Ok(None);
    };
    if secret_id != secret.id {
        return Err(SealError::Undecryptable);
    }
    decrypt(secret, chamber_id, &blob).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_hex_or_base64_of_32_bytes() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let a = SealSecret::parse(hex).expect("hex");
        let bytes = hex::decode(hex).expect("hex");
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let b = SealSecret::parse(&b64).expect("base64");
        assert_eq!(a.id, b.id);
        assert!(SealSecret::parse("abcd").is_err());
        assert!(SealSecret::parse("not a secret at all!").is_err());
        assert!(!format!("{a:?}").contains("0011"));
    }

    #[test]
    fn the_fallback_secret_is_made_once_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let a = SealSecret::from_file(dir.path()).expect("made");
        let b = SealSecret::from_file(dir.path()).expect("read");
        assert_eq!(a.id, b.id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_blob_opens_only_for_its_chamber_and_secret() {
        let key = crate::seal::tests::demo_key();
        let secret = SealSecret::parse(&"ab".repeat(32)).expect("secret");
        let blob = encrypt(&secret, "chamber-1", &key).expect("encrypt");
        let back = decrypt(&secret, "chamber-1", &blob).expect("decrypt");
        assert_eq!(back.sha256_fingerprint(), key.sha256_fingerprint());
        assert_eq!(back.chain_der(), key.chain_der());
        assert!(matches!(
            decrypt(&secret, "chamber-2", &blob),
            Err(SealError::Undecryptable)
        ));
        let other = SealSecret::parse(&"cd".repeat(32)).expect("secret");
        assert!(matches!(
            decrypt(&other, "chamber-1", &blob),
            Err(SealError::Undecryptable)
        ));
        let mut flipped = blob.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(decrypt(&secret, "chamber-1", &flipped).is_err());
    }
}
