//! Tamper-evident audit trail: every state-changing action appends who, when, what and the
//! before/after state to an append-only log whose entries are hash-chained (each carries the
//! SHA-256 of the previous one). Trust-service rules ask a registration authority for exactly
//! this; `sportello admin audit verify` recomputes the chain.
//!
//! Entries are appended inside the business transaction, so an action and its record commit
//! or roll back together. The sequence number comes from the `audit` counter, whose row lock
//! also serialises appends on PostgreSQL, so the previous entry is always committed and
//! visible when the next one is chained to it.

pub mod describe;
mod search;
mod verify;

pub use describe::{ACTIONS, Described, describe};
pub use search::{AuditQuery, entry, search, search_plan};
pub use verify::{ChainBreak, verify_chain};

use crate::db::{self, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who performed an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The user, when a person acted.
    pub user_id: Option<String>,
    /// A readable label: the user's e-mail, `cli`, `worker`, `public`.
    pub label: String,
    /// The chamber the action belongs to, when there is one.
    pub chamber_id: Option<String>,
    /// The intermediary through which the user acted for a company (issue 15, item 3: "who
    /// acted for whom"); recorded with the entry's data.
    pub intermediary_id: Option<String>,
}

impl Actor {
    pub fn user(user_id: &str, email: &str, chamber_id: Option<&str>) -> Self {
        Self {
            user_id: Some(user_id.to_string()),
            label: email.to_string(),
            chamber_id: chamber_id.map(str::to_string),
            intermediary_id: None,
        }
    }

    /// An administrator at the command line.
    pub fn cli() -> Self {
        Self::system("cli")
    }

    /// The background worker or another non-person actor.
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_string(),
            chamber_id: None,
            intermediary_id: None,
        }
    }

    pub fn in_chamber(mut self, chamber_id: Option<&str>) -> Self {
        self.chamber_id = chamber_id.map(str::to_string);
        self
    }

    /// The same actor, acting through an intermediary.
    pub fn through(mut self, intermediary_id: Option<&str>) -> Self {
        self.intermediary_id = intermediary_id.map(str::to_string);
        self
    }
}

/// What changed.
#[derive(Clone, Debug, Default)]
pub struct Change {
    /// A stable dotted name, e.g. `user.create`, `practice.send`.
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Change {
    pub fn new(action: &'static str, entity_type: &'static str, entity_id: Option<&str>) -> Self {
        Self {
            action,
            entity_type,
            entity_id: entity_id.map(str::to_string),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, value: serde_json::Value) -> Self {
        self.before = Some(value);
        self
    }

    pub fn after(mut self, value: serde_json::Value) -> Self {
        self.after = Some(value);
        self
    }
}

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor: String,
    pub chamber_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash of this entry's content chained to `prev_hash`. Fields are length-prefixed
    /// so that no two different entries can produce the same input.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let fields: [&str; 11] = [
            &self.prev_hash,
            &self.seq.to_string(),
            &self.at,
            self.actor_id.as_deref().unwrap_or("\u{0}"),
            &self.actor,
            self.chamber_id.as_deref().unwrap_or("\u{0}"),
            &self.action,
            &self.entity_type,
            self.entity_id.as_deref().unwrap_or("\u{0}"),
            self.before_json.as_deref().unwrap_or("\u{0}"),
            self.after_json.as_deref().unwrap_or("\u{0}"),
        ];
        for field in fields {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Takes the next sequence number from the `audit` counter and reads the hash of the entry
/// before it, in one statement when it can (a subquery in the counter's `RETURNING`).
///
/// The counter's row lock is what orders appends. On SQLite the write transaction holds the
/// database's one write lock from its start, so the previous entry is always visible to the
/// subquery. On PostgreSQL a transaction that waited for the row lock still reads with the
/// snapshot its statement began with, which cannot see the entry committed by the
/// transaction it waited for: the subquery then finds nothing for a number above 1, and a
/// second statement (a fresh snapshot, taken after the lock) reads it. Without contention
/// that second statement is never run. An entry that is missing either way chains to
/// [`GENESIS`], as the first one does.
async fn next_seq_and_prev_hash(tx: &mut Tx) -> Result<(i64, String), sqlx::Error> {
    let (seq, prev_hash): (i64, Option<String>) = sqlx::query_as(
        "INSERT INTO counters (scope, value) VALUES ('audit', 1) \
         ON CONFLICT (scope) DO UPDATE SET value = counters.value + 1 \
         RETURNING value, (SELECT a.hash FROM audit_log a WHERE a.seq = counters.value - 1)",
    )
    .fetch_one(&mut **tx)
    .await?;
    let prev_hash = match prev_hash {
        Some(hash) => Some(hash),
        None if seq > 1 => {
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(seq - 1)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    };
    Ok((seq, prev_hash.unwrap_or_else(|| GENESIS.to_string())))
}

/// Appends an entry inside `tx`; returns its sequence number.
pub async fn record(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    change: Change,
) -> Result<i64, sqlx::Error> {
    let (seq, prev_hash) = next_seq_and_prev_hash(tx).await?;
    // Who acted for whom: an intermediary's user's entries name the intermediary in their data.
    let after = match (change.after, &actor.intermediary_id) {
        (after, None) => after,
        (Some(serde_json::Value::Object(mut m)), Some(i)) => {
            m.entry("acting_intermediary_id")
                .or_insert_with(|| serde_json::Value::String(i.clone()));
            Some(serde_json::Value::Object(m))
        }
        (None, Some(i)) => Some(serde_json::json!({ "acting_intermediary_id": i })),
        (Some(other), Some(_)) => Some(other),
    };
    let mut entry = Entry {
        seq,
        at: db::instant(now),
        actor_id: actor.user_id.clone(),
        actor: actor.label.clone(),
        chamber_id: actor.chamber_id.clone(),
        action: change.action.to_string(),
        entity_type: change.entity_type.to_string(),
        entity_id: change.entity_id,
        before_json: change.before.map(|v| v.to_string()),
        after_json: after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor, chamber_id, action, entity_type, \
         entity_id, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(&entry.actor_id)
    .bind(&entry.actor)
    .bind(&entry.chamber_id)
    .bind(&entry.action)
    .bind(&entry.entity_type)
    .bind(&entry.entity_id)
    .bind(&entry.before_json)
    .bind(&entry.after_json)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}
