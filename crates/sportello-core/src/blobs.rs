//! Attachment storage, content-addressed by SHA-256. Files are never stored or served
//! under a user-chosen name or path: the key is the hash, checked to be 64 hex digits.
//! The embedded default is a folder (`<data>/blobs/ab/cdef…`); an S3-compatible store can
//! implement the same trait.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("not a blob key: {0}")]
    BadKey(String),
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes`; returns their SHA-256 (hex), which is the key.
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError>;
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    async fn exists(&self, key: &str) -> Result<bool, BlobError>;
}

/// The SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn check_key(key: &str) -> Result<(), BlobError> {
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

/// Blobs in a local folder.
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Where the blob with this key lives (whether or not it exists).
    pub fn path_of(&self, key: &str) -> Result<PathBuf, BlobError> {
        check_key(key)?;
        Ok(self.root.join(&key[..2]).join(&key[2..]))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let key = sha256_hex(bytes);
        let path = self.path_of(&key)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(key);
        }
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Write to a temporary name first, so a crash never leaves a partial blob under
        // its final key.
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(key)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(BlobError::NotFound(key.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        Ok(tokio::fs::try_exists(self.path_of(key)?).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_are_addressed_by_content_and_keys_cannot_be_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path());
        let key = store.put(b"fattura").await.unwrap();
        assert_eq!(key, sha256_hex(b"fattura"));
        assert_eq!(store.put(b"fattura").await.unwrap(), key);
        assert_eq!(store.get(&key).await.unwrap(), b"fattura");
        assert!(matches!(
            store.get("../../etc/passwd").await,
            Err(BlobError::BadKey(_))
        ));
        store.delete(&key).await.unwrap();
        assert!(!store.exists(&key).await.unwrap());
    }
}
