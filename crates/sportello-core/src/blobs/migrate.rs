//! Copying every blob from one store to another (`sportello admin blobs migrate --to …`),
//! checking each object's SHA-256 after the copy.
//!
//! Idempotent: an object already in the target whose content hashes to its key is counted as
//! present and not copied again, so an interrupted migration is finished by running it again.
//! An object whose source content does not hash to its key is reported and not copied.

use super::{BlobError, BlobStore, sha256_hex};
use serde::Serialize;

/// What a migration did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Migrated {
    /// Objects read from the source.
    pub listed: u64,
    /// Objects copied and verified in the target.
    pub copied: u64,
    /// Objects the target already held, verified.
    pub already_there: u64,
    /// Bytes copied.
    pub bytes: u64,
    /// Keys that could not be copied, each with the reason.
    pub failed: Vec<(String, String)>,
}

/// How many objects are listed per page.
const PAGE: usize = 500;

/// Copies every blob of `from` into `to`, verifying each by its hash once in the target.
/// `progress` is called after each object with the running totals.
pub async fn copy_all(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    mut progress: impl FnMut(&Migrated),
) -> Result<Migrated, BlobError> {
    let mut done = Migrated::default();
    let mut after: Option<String> = None;
    loop {
        let page = from.list_after(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for blob in page {
            done.listed += 1;
            match copy_one(from, to, &blob.key).await {
                Ok(Some(n)) => {
                    done.copied += 1;
                    done.bytes += n;
                }
                Ok(None) => done.already_there += 1,
                Err(e) => done.failed.push((blob.key, e.to_string())),
            }
            progress(&done);
        }
    }
    Ok(done)
}

/// Copies one blob unless the target holds it whole; `Some(bytes copied)` or `None` when it was
/// already there.
async fn copy_one(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    key: &str,
) -> Result<Option<u64>, BlobError> {
    if to.exists(key).await? && sha256_hex(&to.get(key).await?) == key {
        return Ok(None);
    }
    let bytes = from.get(key).await?;
    if sha256_hex(&bytes) != key {
        return Err(BlobError::Remote(
            "the source's content does not match its key".into(),
        ));
    }
    let stored = to.put(&bytes).await?;
    let back = to.get(&stored).await?;
    if stored != key || sha256_hex(&back) != key {
        return Err(BlobError::Remote(
            "the copy read back does not match its key".into(),
        ));
    }
    Ok(Some(bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blobs::FsBlobStore;

    #[tokio::test]
    async fn a_migration_copies_and_verifies_every_blob_and_runs_again_harmlessly() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (from, to) = (FsBlobStore::new(a.path()), FsBlobStore::new(b.path()));
        let mut keys = Vec::new();
        for i in 0..7u8 {
            keys.push(from.put(&[i; 100]).await.unwrap());
        }
        // A blob damaged on disk is reported, not copied.
        let damaged = from.put(b"to be damaged").await.unwrap();
        std::fs::write(from.path_of(&damaged).unwrap(), b"other bytes").unwrap();

        let first = copy_all(&from, &to, |_| {}).await.unwrap();
        assert_eq!((first.listed, first.copied, first.already_there), (8, 7, 0));
        assert_eq!(first.bytes, 700);
        assert_eq!(first.failed.len(), 1);
        assert_eq!(first.failed[0].0, damaged);
        for key in &keys {
            assert_eq!(sha256_hex(&to.get(key).await.unwrap()), *key);
        }
        let again = copy_all(&from, &to, |_| {}).await.unwrap();
        assert_eq!((again.copied, again.already_there), (0, 7));
    }
}
