//! Attachment storage, content-addressed by SHA-256. Files are never stored or served
//! under a user-chosen name or path: the key is the hash, checked to be 64 hex digits.
//! The embedded default is a folder (`<data>/blobs/ab/cdef…`); an S3-compatible store can
//! implement the same trait.
//!
//! # Durability
//! A blob's key is written into the database in the transaction that follows `put`, so `put`
//! returns only once the blob would survive a crash or a power cut: the bytes go to a
//! temporary file in the blob's folder (a name that is never a key), the file is fsynced,
//! renamed over the final name, and the folder is fsynced (its parent too when the folder was
//! just made). A crash at any point leaves either no file under the key or the whole blob,
//! never a torn one. A file already under the key is trusted only if its content hashes to
//! the key: one left torn by an earlier crash (on a store written before these rules) is
//! replaced. Writers of the same content at the same time each write their own temporary file
//! and rename it over the same name with the same bytes, so any order is fine.

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
    /// [`BlobStore::put`] of bytes the caller owns, given back with the key: a store that
    /// writes on another thread takes them there instead of copying them.
    async fn put_owned(&self, bytes: Vec<u8>) -> Result<(String, Vec<u8>), BlobError> {
        let key = self.put(&bytes).await?;
        Ok((key, bytes))
    }
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

/// What the durable write did, for the tests of its order.
#[cfg(test)]
static TRACE: std::sync::Mutex<Vec<(PathBuf, &'static str)>> = std::sync::Mutex::new(Vec::new());

fn trace(_path: &Path, _event: &'static str) {
    #[cfg(test)]
    if let Ok(mut t) = TRACE.lock() {
        t.push((_path.to_path_buf(), _event));
    }
}

/// Flushes a folder's entries (a new or renamed file in it) to the disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    // On Unix a folder opens read-only and fsyncs; elsewhere renames are durable by other means.
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    trace(dir, "dir synced");
    Ok(())
}

/// Whether the file at `path` holds exactly the blob `key` (fsynced when it does, in case a
/// concurrent writer renamed it and has not synced it yet).
fn holds(path: &Path, key: &str) -> std::io::Result<bool> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut content)?;
    if sha256_hex(&content) != key {
        return Ok(false);
    }
    file.sync_all()?;
    Ok(true)
}

/// The durable write (see the module docs), blocking.
fn write_durably(path: &Path, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
    let dir = path
        .parent()
        .ok_or_else(|| BlobError::BadKey(key.to_string()))?;
    if holds(path, key)? {
        sync_dir(dir)?;
        return Ok(());
    }
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        if let Some(root) = dir.parent() {
            sync_dir(root)?;
        }
    }
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        trace(&tmp, "file synced");
        std::fs::rename(&tmp, path)?;
        trace(path, "renamed");
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(written?)
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        Ok(self.put_owned(bytes.to_vec()).await?.0)
    }

    async fn put_owned(&self, bytes: Vec<u8>) -> Result<(String, Vec<u8>), BlobError> {
        let key = sha256_hex(&bytes);
        let path = self.path_of(&key)?;
        let for_write = key.clone();
        let bytes = tokio::task::spawn_blocking(move || {
            write_durably(&path, &for_write, &bytes).map(|()| bytes)
        })
        .await
        .map_err(|e| BlobError::Io(std::io::Error::other(e)))??;
        Ok((key, bytes))
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

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_blob_is_fsynced_and_renamed_and_its_folder_fsynced_before_put_returns() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path());
        let key = store.put(b"certificato sigillato").await.unwrap();
        let path = store.path_of(&key).unwrap();
        let folder = path.parent().unwrap().to_path_buf();
        let events: Vec<&str> = TRACE
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(dir.path()))
            .map(|(p, e)| {
                if *e == "dir synced" && p == dir.path() {
                    "root synced"
                } else {
                    assert!(p == &path || p.starts_with(&folder), "{p:?}");
                    *e
                }
            })
            .collect();
        assert_eq!(
            events,
            ["root synced", "file synced", "renamed", "dir synced"],
            "the new folder's entry, the bytes, the rename, the folder: all before returning"
        );
        // A new store on the same folder (a restart) reads it back; no temporary file is left.
        let again = FsBlobStore::new(dir.path());
        assert_eq!(again.get(&key).await.unwrap(), b"certificato sigillato");
        assert_eq!(files_in(&folder), [key[2..].to_string()]);
    }

    #[tokio::test]
    async fn a_half_written_temporary_file_is_never_seen_under_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path());
        let bytes = b"%PDF-1.7 the whole document".to_vec();
        let key = sha256_hex(&bytes);
        let folder = store.path_of(&key).unwrap().parent().unwrap().to_path_buf();
        // A crash in the middle of a write leaves a temporary file with part of the bytes.
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(".tmp-crashed"), &bytes[..7]).unwrap();
        assert!(!store.exists(&key).await.unwrap());
        assert!(matches!(store.get(&key).await, Err(BlobError::NotFound(_))));
        for name in files_in(&folder) {
            assert!(store.path_of(&format!("{}{name}", &key[..2])).is_err());
        }
        assert_eq!(store.put(&bytes).await.unwrap(), key);
        assert_eq!(store.get(&key).await.unwrap(), bytes);
        // A torn file under the key (left by a store that did not sync) is replaced, not trusted.
        std::fs::write(store.path_of(&key).unwrap(), &bytes[..3]).unwrap();
        assert_eq!(store.put(&bytes).await.unwrap(), key);
        assert_eq!(store.get(&key).await.unwrap(), bytes);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_of_the_same_content_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(FsBlobStore::new(dir.path()));
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let (store, bytes) = (store.clone(), bytes.clone());
                tokio::spawn(async move { store.put(&bytes).await })
            })
            .collect();
        let mut keys = Vec::new();
        for w in writers {
            keys.push(w.await.unwrap().unwrap());
        }
        assert!(keys.iter().all(|k| *k == sha256_hex(&bytes)));
        assert_eq!(store.get(&keys[0]).await.unwrap(), bytes);
        let folder = store
            .path_of(&keys[0])
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        assert_eq!(
            files_in(&folder),
            [keys[0][2..].to_string()],
            "no temporary file left"
        );
    }
}
