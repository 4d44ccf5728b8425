//! Searching the audit trail (auditors, chamber administrators).

use crate::audit::Entry;
use crate::db::Db;

/// Filters; every field is optional. Text filters match exactly, except `text`, which
/// matches a substring of the action or entity id.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub chamber_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub before_seq: Option<i64>,
}

/// Newest first, at most `limit` entries.
pub async fn search(db: &Db, q: &AuditQuery, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let non_empty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor_id, actor, chamber_id, action, entity_type, entity_id, \
         before_json, after_json, prev_hash, hash FROM audit_log \
         WHERE ($1 IS NULL OR actor = $1) \
           AND ($2 IS NULL OR action = $2) \
           AND ($3 IS NULL OR entity_type = $3) \
           AND ($4 IS NULL OR entity_id = $4) \
           AND ($5 IS NULL OR chamber_id = $5) \
           AND ($6 IS NULL OR at >= $6) \
           AND ($7 IS NULL OR at < $7) \
           AND ($8 IS NULL OR seq < $8) \
         ORDER BY seq DESC LIMIT $9",
    )
    .bind(non_empty(&q.actor))
    .bind(non_empty(&q.action))
    .bind(non_empty(&q.entity_type))
    .bind(non_empty(&q.entity_id))
    .bind(non_empty(&q.chamber_id))
    .bind(non_empty(&q.from))
    .bind(non_empty(&q.to))
    .bind(q.before_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
