//! Searching the audit trail (auditors, chamber administrators).

use crate::audit::Entry;
use crate::db::Db;
use crate::paging::{self, Counted, Page, PageRequest};

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
}

/// One page of the entries matching `q`, newest first.
pub async fn search(
    db: &Db,
    q: &AuditQuery,
    request: PageRequest,
) -> Result<Page<Entry>, sqlx::Error> {
    let non_empty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    let (actor, action, entity_type, entity_id, chamber_id, from, to) = (
        non_empty(&q.actor),
        non_empty(&q.action),
        non_empty(&q.entity_type),
        non_empty(&q.entity_id),
        non_empty(&q.chamber_id),
        non_empty(&q.from),
        non_empty(&q.to),
    );
    let (actor, action, entity_type, entity_id, chamber_id, from, to) = (
        &actor,
        &action,
        &entity_type,
        &entity_id,
        &chamber_id,
        &from,
        &to,
    );
    paging::fetch(request, |limit, offset| async move {
        sqlx::query_as::<_, Counted<Entry>>(
            "SELECT seq, at, actor_id, actor, chamber_id, action, entity_type, entity_id, \
         before_json, after_json, prev_hash, hash, COUNT(*) OVER () AS page_total FROM audit_log \
         WHERE ($1 IS NULL OR actor = $1) \
           AND ($2 IS NULL OR action = $2) \
           AND ($3 IS NULL OR entity_type = $3) \
           AND ($4 IS NULL OR entity_id = $4) \
           AND ($5 IS NULL OR chamber_id = $5) \
           AND ($6 IS NULL OR at >= $6) \
           AND ($7 IS NULL OR at < $7) \
         ORDER BY seq DESC LIMIT $8 OFFSET $9",
        )
        .bind(actor)
        .bind(action)
        .bind(entity_type)
        .bind(entity_id)
        .bind(chamber_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await
    })
    .await
}

/// The entry numbered `seq`, when it belongs to `chamber_id` (every entry when `None`).
pub async fn entry(
    db: &Db,
    chamber_id: Option<&str>,
    seq: i64,
) -> Result<Option<Entry>, sqlx::Error> {
    sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor_id, actor, chamber_id, action, entity_type, entity_id, \
         before_json, after_json, prev_hash, hash FROM audit_log \
         WHERE seq = $1 AND ($2 IS NULL OR chamber_id = $2)",
    )
    .bind(seq)
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await
}
