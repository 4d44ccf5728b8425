//! Recomputes the hash chain of the audit log.

use crate::audit::{Entry, GENESIS};
use crate::db::Db;

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

/// How many entries are read at a time: the log is walked in pages by `seq`, so memory stays
/// flat however long it is (the SQLite driver hands a statement's rows over all at once).
const PAGE: i64 = 5_000;

/// Walks the whole log in order. `Ok(n)` is the number of entries checked.
pub async fn verify_chain(db: &Db) -> Result<Result<u64, ChainBreak>, sqlx::Error> {
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    let mut after = 0i64;
    loop {
        let page = sqlx::query_as::<_, Entry>(
            "SELECT seq, at, actor_id, actor, chamber_id, action, entity_type, entity_id, \
             before_json, after_json, prev_hash, hash FROM audit_log WHERE seq > $1 \
             ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        let full = page.len() as i64 == PAGE;
        for entry in page {
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
        if !full {
            break;
        }
    }
    Ok(Ok(checked))
}
