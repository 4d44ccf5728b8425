//! Recomputes the hash chain of the audit log.

use crate::audit::{Entry, GENESIS};
use crate::db::Db;
use futures::TryStreamExt;

/// The first entry whose stored hash or link does not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: &'static str,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit entry {}: {}", self.seq, self.reason)
    }
}

/// Walks the whole log in order. `Ok(n)` is the number of entries checked.
pub async fn verify_chain(db: &Db) -> Result<Result<u64, ChainBreak>, sqlx::Error> {
    let mut rows = sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor_id, actor, chamber_id, action, entity_type, entity_id, \
         before_json, after_json, prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch(db.pool());
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    while let Some(entry) = rows.try_next().await? {
        if entry.seq != expected_seq {
            return Ok(Err(ChainBreak {
                seq: expected_seq,
                reason: "entry missing from the sequence",
            }));
        }
        if entry.prev_hash != expected_prev {
            return Ok(Err(ChainBreak {
                seq: entry.seq,
                reason: "does not link to the previous entry",
            }));
        }
        if entry.compute_hash() != entry.hash {
            return Ok(Err(ChainBreak {
                seq: entry.seq,
                reason: "content does not match its hash",
            }));
        }
        expected_prev = entry.hash;
        expected_seq += 1;
        checked += 1;
    }
    Ok(Ok(checked))
}
