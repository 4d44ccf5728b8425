//! Blobs in a local folder (`<data>/blobs/ab/cdef…`), the embedded default.
//!
//! # Durability
//! `put` returns only once the blob would survive a crash or a power cut: the bytes go to a
//! temporary file in the blob's folder (a name that is never a key), the file is fsynced,
//! renamed over the final name, and the folder is fsynced (its parent too when the folder was
//! just made). A crash at any point leaves either no file under the key or the whole blob,
//! never a torn one (a crashed write's temporary file is removed by the reaper). A file
//! already under the key is trusted only if its content is the blob's bytes (compared, not hashed
//! again: the key is the hash of the bytes being stored): one left torn by an
//! earlier crash (on a store written before these rules) is replaced; a whole one gets a fresh
//! modification time, so the reaper sees it young. Writers of the same content at the same time
//! each write their own temporary file and rename it over the same name with the same bytes,
//! so any order is fine.

use super::{BlobError, BlobStore, StoredBlob, check_key, sha256_hex};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The prefix of a write's temporary file: never a key, and skipped by listings.
const TEMPORARY: &str = ".tmp-";

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

/// Whether the file at `path` holds exactly `bytes`, the blob being stored (fsynced when it
/// does, in case a concurrent writer renamed it and has not synced it yet, and made young
/// again). A file of another length is not read; one of the same length is compared byte for
/// byte, which proves what a second SHA-256 pass would at a fraction of its cost.
fn holds(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if file.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut content = Vec::with_capacity(bytes.len());
    std::io::Read::read_to_end(&mut file, &mut content)?;
    if content != bytes {
        return Ok(false);
    }
    file.set_modified(SystemTime::now())?;
    file.sync_all()?;
    Ok(true)
}

/// The durable write (see the module docs), blocking.
fn write_durably(path: &Path, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
    let dir = path
        .parent()
        .ok_or_else(|| BlobError::BadKey(key.to_string()))?;
    if holds(path, bytes)? {
        sync_dir(dir)?;
        return Ok(());
    }
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        if let Some(root) = dir.parent() {
            sync_dir(root)?;
        }
    }
    let tmp = dir.join(format!("{TEMPORARY}{}", uuid::Uuid::new_v4().simple()));
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

    async fn list_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredBlob>, BlobError> {
        let root = self.root.clone();
        let after = after.map(str::to_string);
        tokio::task::spawn_blocking(move || list_folder(&root, after.as_deref(), limit))
            .await
            .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
    }

    async fn modified(&self, key: &str) -> Result<Option<DateTime<Utc>>, BlobError> {
        match tokio::fs::metadata(self.path_of(key)?).await {
            Ok(m) => Ok(Some(m.modified()?.into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn remove_leftovers(&self, before: DateTime<Utc>) -> Result<u64, BlobError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || remove_temporaries(&root, before))
            .await
            .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
    }

    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }
}

/// The names in `dir`, sorted; none when it does not exist.
fn sorted_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                names.push(entry?.file_name().to_string_lossy().into_owned());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    names.sort();
    Ok(names)
}

/// The blobs of the folder in key order (two-digit folders, then names, both sorted, is key
/// order), after `after`, at most `limit`.
fn list_folder(
    root: &Path,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<StoredBlob>, BlobError> {
    let mut out = Vec::new();
    for dir in sorted_names(root)? {
        if dir.len() != 2 || after.is_some_and(|a| dir.as_str() < &a[..2.min(a.len())]) {
            continue;
        }
        for name in sorted_names(&root.join(&dir))? {
            let Some(key) = super::key_of_name(&format!("{dir}/{name}")) else {
                continue;
            };
            if after.is_some_and(|a| key.as_str() <= a) {
                continue;
            }
            let meta = match std::fs::metadata(root.join(&dir).join(&name)) {
                Ok(m) => m,
                // Deleted since the folder was read.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            out.push(StoredBlob {
                key,
                modified: meta.modified()?.into(),
                size: meta.len(),
            });
            if out.len() >= limit {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// Removes the temporary files of writes that never finished, older than `before`.
fn remove_temporaries(root: &Path, before: DateTime<Utc>) -> Result<u64, BlobError> {
    let mut removed = 0;
    for dir in sorted_names(root)? {
        if dir.len() != 2 {
            continue;
        }
        for name in sorted_names(&root.join(&dir))? {
            let path = root.join(&dir).join(&name);
            if !name.starts_with(TEMPORARY) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if DateTime::<Utc>::from(meta.modified()?) < before {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(removed)
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
    async fn a_file_under_the_key_is_trusted_only_when_its_bytes_are_the_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path());
        let bytes = b"%PDF-1.7 fattura commerciale".to_vec();
        let key = store.put(&bytes).await.unwrap();
        // Torn by a crash to the right length (zeroed blocks): replaced, not trusted.
        std::fs::write(store.path_of(&key).unwrap(), vec![0u8; bytes.len()]).unwrap();
        assert_eq!(store.put(&bytes).await.unwrap(), key);
        assert_eq!(store.get(&key).await.unwrap(), bytes);
        // Cut short: replaced as well.
        std::fs::write(store.path_of(&key).unwrap(), &bytes[..5]).unwrap();
        assert_eq!(store.put(&bytes).await.unwrap(), key);
        assert_eq!(store.get(&key).await.unwrap(), bytes);
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

    #[tokio::test]
    async fn storing_content_already_there_makes_it_young_and_listings_skip_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path());
        let key = store.put(b"allegato").await.unwrap();
        let path = store.path_of(&key).unwrap();
        let long_ago = SystemTime::now() - std::time::Duration::from_secs(3 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let old = store.modified(&key).await.unwrap().unwrap();
        assert_eq!(store.put(b"allegato").await.unwrap(), key);
        let young = store.modified(&key).await.unwrap().unwrap();
        assert!(
            young - old > chrono::Duration::days(2),
            "{old} then {young}"
        );

        let leftover = path.with_file_name(".tmp-crashed");
        std::fs::write(&leftover, b"alleg").unwrap();
        let listed = store.list_after(None, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].key.as_str(), listed[0].size), (key.as_str(), 8));
        // A temporary file is removed only once older than the cutoff.
        assert_eq!(store.remove_leftovers(old).await.unwrap(), 0);
        let later = Utc::now() + chrono::Duration::minutes(1);
        assert_eq!(store.remove_leftovers(later).await.unwrap(), 1);
        assert!(!leftover.exists() && path.exists());
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
