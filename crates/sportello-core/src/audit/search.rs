//! Searching the audit trail (auditors, chamber administrators).

use crate::audit::Entry;
use crate::db::Db;
use crate::paging::{self, Key, Keyed, Keyset, Order, PlanLine, Slice};

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

/// One page of the entries matching `q`, newest first, read by keyset on the sequence
/// number (issue 14: a trail of tens of millions of entries). Only the filters given enter
/// the statement, so a chamber's search is a range of `audit_chamber_seq` (chamber, seq)
/// read backwards from the cursor; the other filters narrow its rows.
pub async fn search(
    db: &Db,
    q: &AuditQuery,
    request: &Keyset,
) -> Result<Slice<Entry>, sqlx::Error> {
    let filters = Filters::new(q);
    let filters = &filters;
    paging::keyset(request, Order::Descending, 1, |_, range| async move {
        let sql = filters.sql("", &range);
        filters
            .bind(sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(sql)), &range)
            .fetch_all(db.pool())
            .await
    })
    .await
}

/// The engine's plan of the statement [`search`] runs for the page after `from` (the first
/// page without).
pub async fn search_plan(
    db: &Db,
    q: &AuditQuery,
    from: Option<&Key>,
) -> Result<Vec<String>, sqlx::Error> {
    let filters = Filters::new(q);
    let range = paging::Range {
        from: from.cloned(),
        ascending: false,
        limit: 51,
    };
    let sql = filters.sql(paging::explain(db), &range);
    paging::plan(
        db,
        filters.bind(
            sqlx::query_as::<_, PlanLine>(sqlx::AssertSqlSafe(sql)),
            &range,
        ),
    )
    .await
}

impl Keyed for Entry {
    /// The sequence number, zero-padded so that keys sort as numbers.
    fn key(&self) -> Key {
        let seq = format!("{:020}", self.seq);
        Key::new(seq.clone(), seq)
    }
}

/// The filters given, in the order they are numbered.
struct Filters {
    given: Vec<(&'static str, String)>,
}

impl Filters {
    fn new(q: &AuditQuery) -> Filters {
        let non_empty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        let given = [
            ("chamber_id = ", non_empty(&q.chamber_id)),
            ("actor = ", non_empty(&q.actor)),
            ("action = ", non_empty(&q.action)),
            ("entity_type = ", non_empty(&q.entity_type)),
            ("entity_id = ", non_empty(&q.entity_id)),
            ("at >= ", non_empty(&q.from)),
            ("at < ", non_empty(&q.to)),
        ]
        .into_iter()
        .filter_map(|(c, v)| v.map(|v| (c, v)))
        .collect();
        Filters { given }
    }

    /// `prefix` (nothing, or the engine's `EXPLAIN`), the columns, one `$n` per filter given,
    /// then the sequence number the page starts from (when there is one) and the limit.
    fn sql(&self, prefix: &str, range: &paging::Range) -> String {
        let mut sql = format!(
            "{prefix}SELECT seq, at, actor_id, actor, chamber_id, action, entity_type, entity_id, \
             before_json, after_json, prev_hash, hash FROM audit_log WHERE 1 = 1"
        );
        for (i, (condition, _)) in self.given.iter().enumerate() {
            sql.push_str(&format!(" AND {condition}${}", i + 1));
        }
        let mut next = self.given.len() + 1;
        let dir = if range.ascending { "ASC" } else { "DESC" };
        if range.from.is_some() {
            let cmp = if range.ascending { ">" } else { "<" };
            sql.push_str(&format!(" AND seq {cmp} ${next}"));
            next += 1;
        }
        sql.push_str(&format!(" ORDER BY seq {dir} LIMIT ${next}"));
        sql
    }

    fn bind<'q, O>(
        &'q self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
        range: &paging::Range,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        for (_, value) in &self.given {
            q = q.bind(value.as_str());
        }
        if let Some(k) = &range.from {
            // A key that is not a number starts before every entry: an empty page.
            q = q.bind(k.sort.parse::<i64>().unwrap_or(0));
        }
        q.bind(range.limit)
    }
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
