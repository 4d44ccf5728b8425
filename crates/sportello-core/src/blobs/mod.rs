//! Blob storage (attachments, signed files, certificates, the RA archive, publications),
//! content-addressed by SHA-256. Files are never stored or served under a user-chosen name or
//! path: the key is the hash, checked to be 64 hex digits, laid out as `ab/cdef…`.
//!
//! One interface, [`BlobStore`], two places: a local folder ([`FsBlobStore`], the embedded
//! default) and any S3-compatible service (implemented in the shell, whose HTTP client the core
//! may not depend on). [`Location`] says which, from `SPORTELLO_BLOBS`.
//!
//! # Durability
//! A blob's key is written into the database in the transaction that follows `put`, so `put`
//! returns only once the blob would survive a crash: in a folder, the bytes are fsynced in a
//! temporary file, renamed and the folder fsynced (see [`fs`]); on S3, the PUT has returned.
//!
//! # Orphans
//! A blob whose transaction rolled back, or whose row was deleted (a draft, an attachment),
//! stays until the [`reaper`] removes it: objects no row refers to, older than a grace period.
//! A `put` of content already stored makes the object young again, so a blob about to be
//! referenced is not reaped under the writer.

pub mod fs;
pub mod location;
pub mod migrate;
pub mod reaper;

pub use fs::FsBlobStore;
pub use location::Location;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("not a blob key: {0}")]
    BadKey(String),
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
    /// A remote store's failure (network, permissions), its text free of credentials.
    #[error("object store: {0}")]
    Remote(String),
}

/// One object as a listing reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: String,
    /// When it was last written (a `put` of the same content counts).
    pub modified: DateTime<Utc>,
    pub size: u64,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` durably; returns their SHA-256 (hex), which is the key. Storing content
    /// already there succeeds and makes the object young again (see the module docs).
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError>;
    /// [`BlobStore::put`] of bytes the caller owns, given back with the key: a store that
    /// writes on another thread takes them there instead of copying them.
    async fn put_owned(&self, bytes: Vec<u8>) -> Result<(String, Vec<u8>), BlobError> {
        let key = self.put(&bytes).await?;
        Ok((key, bytes))
    }
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError>;
    /// Removes the blob; a missing one is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    async fn exists(&self, key: &str) -> Result<bool, BlobError>;
    /// Up to `limit` blobs in key order, after `after` when given.
    async fn list_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredBlob>, BlobError>;
    /// When the blob was last written; `None` when it does not exist.
    async fn modified(&self, key: &str) -> Result<Option<DateTime<Utc>>, BlobError>;
    /// Removes what interrupted writes left behind before `before` (temporary files);
    /// returns how many. Nothing to do for a store whose writes are atomic.
    async fn remove_leftovers(&self, _before: DateTime<Utc>) -> Result<u64, BlobError> {
        Ok(0)
    }
    /// Where the blobs are, for logs and reports (never a credential).
    fn describe(&self) -> String;
}

/// The SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `key` is a blob key: 64 lowercase hex digits, so it can never be a path.
pub fn check_key(key: &str) -> Result<(), BlobError> {
    if key.len() == 64
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(BlobError::BadKey(key.chars().take(80).collect()))
    }
}

/// The object name of a key inside a store: `ab/cdef…` (the folder layout, kept on S3 too so a
/// migrated store has the same names).
pub fn object_name(key: &str) -> Result<String, BlobError> {
    check_key(key)?;
    Ok(format!("{}/{}", &key[..2], &key[2..]))
}

/// The key of an object name `ab/cdef…`, if it is one (temporary files and strangers are not).
pub fn key_of_name(name: &str) -> Option<String> {
    let (dir, rest) = name.split_once('/')?;
    let key = format!("{dir}{rest}");
    (dir.len() == 2 && check_key(&key).is_ok()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_and_keys_map_one_to_one() {
        let key = sha256_hex(b"x");
        let name = object_name(&key).unwrap();
        assert_eq!(&name[2..3], "/");
        assert_eq!(key_of_name(&name), Some(key));
        assert_eq!(key_of_name("ab/.tmp-123"), None);
        assert_eq!(key_of_name("../etc/passwd"), None);
        assert!(object_name("../../etc").is_err());
    }
}
