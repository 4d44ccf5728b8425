//! The identity document's scan (RA procedure, part 2: saved "in una casella dedicata alla quale
//! possono accedere soltanto gli addetti al servizio"; "finito il procedimento di emissione i
//! file scansionati vengono eliminati").
//!
//! Choice: each scan is encrypted with AES-256-GCM under a random key made for that session
//! alone. The ciphertext goes to the blob store; the key lives only in the live session's
//! database row, which only the desk staff's pages read. When the session ends — handed over
//! or aborted, by the operator or by the expiry job — the blob is deleted and the key wiped,
//! so even a copy of the blob left in a backup or a versioned object store can no longer be
//! read (crypto-shredding). What remains is the document's type, number, expiry and the
//! SHA-256 of the plain scan. The trade-off: a database backup taken while a session is open
//! holds that session's key; sessions last minutes and stale ones are aborted every 15 minutes.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use rand::RngCore;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;
/// Largest scan accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScanError {
    #[error("the scan must be a PDF, JPEG or PNG file")]
    Type,
    #[error("the scan is larger than 10 MB")]
    TooLarge,
    #[error("the scan could not be encrypted or decrypted")]
    Crypto,
}

/// The content type of a scan, from its first bytes (never from the file name).
pub fn content_type(bytes: &[u8]) -> Result<&'static str, ScanError> {
    if bytes.len() > MAX_BYTES {
        return Err(ScanError::TooLarge);
    }
    if bytes.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else {
        Err(ScanError::Type)
    }
}

fn aad(session_id: &str) -> Vec<u8> {
    format!("sportello identity scan {session_id}").into_bytes()
}

/// Encrypts `plain` under a fresh key; returns (key, nonce ‖ ciphertext).
pub fn encrypt(session_id: &str, plain: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), ScanError> {
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rand::rng().fill_bytes(key.as_mut_slice());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| ScanError::Crypto)?;
    let sealed = cipher
        .encrypt(
            &nonce.into(),
            Payload {
                msg: plain,
                aad: &aad(session_id),
            },
        )
        .map_err(|_| ScanError::Crypto)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok((key, out))
}

pub fn decrypt(session_id: &str, key: &[u8], blob: &[u8]) -> Result<Vec<u8>, ScanError> {
    if blob.len() < NONCE_LEN {
        return Err(ScanError::Crypto);
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| ScanError::Crypto)?;
    let nonce: [u8; NONCE_LEN] = blob[..NONCE_LEN]
        .try_into()
        .map_err(|_| ScanError::Crypto)?;
    cipher
        .decrypt(
            &nonce.into(),
            Payload {
                msg: &blob[NONCE_LEN..],
                aad: &aad(session_id),
            },
        )
        .map_err(|_| ScanError::Crypto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_is_readable_only_with_its_session_key() {
        let plain = b"%PDF-1.4 carta d'identita";
        let (key, blob) = encrypt("s1", plain).unwrap();
        assert!(
            !blob.windows(8).any(|w| w == b"identita"),
            "the blob is not plain text"
        );
        assert_eq!(decrypt("s1", &key, &blob).unwrap(), plain);
        assert!(decrypt("s2", &key, &blob).is_err(), "bound to its session");
        let (other, _) = encrypt("s1", plain).unwrap();
        assert!(decrypt("s1", &other, &blob).is_err(), "a key per session");
    }

    #[test]
    fn only_pdf_and_images_are_accepted() {
        assert_eq!(content_type(b"%PDF-1.7").unwrap(), "application/pdf");
        assert_eq!(
            content_type(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            "image/jpeg"
        );
        assert_eq!(content_type(b"MZ\x90\x00"), Err(ScanError::Type));
    }
}
