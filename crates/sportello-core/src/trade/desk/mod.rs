//! The chamber's side of foreign-trade documents: the desk inbox, the officer's decisions,
//! issued certificates, cancellations, and public verification. An officer sees and acts
//! only on practices sent to the desks they work.

pub mod certificate;
pub mod decide;
pub mod documents;
pub mod expiry;
pub mod forms;
pub mod issued;
pub mod security_code;
pub mod verify;

use crate::accounts::Principal;
use crate::db::{self, Db, Tx};
use crate::notify::{self, OutgoingEmail};
use crate::paging::{self, Key, Keyset, Order, Slice};
use crate::trade::practice::{Practice, PracticeRow, practice_columns};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Inbox filters; empty fields are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InboxFilter {
    /// A practice type (`certificate_of_origin`…).
    pub practice_type: String,
    /// A status among those an officer works (`sent`, `in_review`, `to_rectify`), or
    /// `closed` for approved and rejected ones.
    pub status: String,
    /// Company name or tax code, in part.
    pub company: String,
    /// `YYYY-MM-DD`, inclusive, on the sending date.
    pub from: String,
    pub to: String,
    /// Only one desk of the officer's.
    pub desk_id: String,
    /// `me`: only the practices the officer has taken in charge.
    pub taken: String,
}

/// A line of the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    pub practice: Practice,
    pub company_name: String,
    pub company_tax_code: String,
}

/// One page of the inbox of the officer's desks: oldest first (the practice that waited
/// longest on top), read by keyset (issue 14: a chamber with a million closed practices).
///
/// The inbox is read as one range of `practices_desk_inbox` (desk, status, sending instant,
/// id) per desk and status, each at most a page and a row long, merged by
/// [`paging::keyset`]. The dates bound the range; the other filters narrow its rows.
pub async fn inbox(
    db: &Db,
    principal: &Principal,
    f: &InboxFilter,
    request: &Keyset,
) -> Result<Slice<InboxItem>, sqlx::Error> {
    let q = InboxQuery::new(&principal.user.id, f);
    let parts = q.ranges(db).await?;
    let (q, parts) = (&q, &parts);
    let slice = paging::keyset(
        request,
        Order::Ascending,
        parts.len(),
        |i, range| async move {
            let Some((desk, status)) = parts.get(i) else {
                return Ok(Vec::new());
            };
            let (condition, order) = range.sql("p.sent_at", "p.id", 9);
            let sql = format!("SELECT {}{}{condition}{order}", q.columns(), q.where_sql());
            range
                .bind(q.bind(
                    sqlx::query_as::<_, PracticeRow>(sqlx::AssertSqlSafe(sql)),
                    desk,
                    status,
                ))
                .fetch_all(db.pool())
                .await
        },
    )
    .await?;
    let (previous, next) = (slice.previous, slice.next);
    let mut items = Vec::with_capacity(slice.items.len());
    for r in slice.items {
        let practice = Practice::try_from(r)?;
        let (name, tax_code): (String, String) =
            sqlx::query_as("SELECT name, tax_code FROM companies WHERE id = $1")
                .bind(&practice.company_id)
                .fetch_one(db.pool())
                .await?;
        items.push(InboxItem {
            practice,
            company_name: name,
            company_tax_code: tax_code,
        });
    }
    Ok(Slice {
        items,
        previous,
        next,
    })
}

/// How many practices the inbox holds with filter `f`, for the officer's home page: the same
/// ranges and conditions as [`inbox`], each read oldest first only as far as the rows still
/// needed to pass [`paging::COUNT_CAP`] (issue 14), so the answer is at most that plus one,
/// "more than 999", however large the desks' history.
pub async fn inbox_count(
    db: &Db,
    principal: &Principal,
    f: &InboxFilter,
) -> Result<u64, sqlx::Error> {
    let q = InboxQuery::new(&principal.user.id, f);
    let mut total = 0u64;
    for (desk, status) in q.ranges(db).await? {
        let left = (paging::COUNT_CAP + 1).saturating_sub(total);
        if left == 0 {
            break;
        }
        let range = count_range(left);
        let sql = count_sql(&q, &range);
        let (n,): (i64,) = range
            .bind(q.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &desk, status))
            .fetch_one(db.pool())
            .await?;
        total += u64::try_from(n).unwrap_or(0);
    }
    Ok(total)
}

/// The range a capped count reads: the inbox's first rows, at most `rows` of them.
fn count_range(rows: u64) -> paging::Range {
    paging::Range {
        from: None,
        ascending: true,
        limit: i64::try_from(rows).unwrap_or(i64::MAX),
    }
}

fn count_sql(q: &InboxQuery, range: &paging::Range) -> String {
    let (condition, order) = range.sql("p.sent_at", "p.id", 9);
    paging::capped_count_sql(
        &format!("SELECT p.id{}{condition}{order}", q.where_sql()),
        "",
    )
}

/// The engine's plan of every statement [`inbox_count`] runs, one per range.
pub async fn inbox_count_plans(
    db: &Db,
    user_id: &str,
    f: &InboxFilter,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let q = InboxQuery::new(user_id, f);
    let mut plans = Vec::new();
    for (desk, status) in q.ranges(db).await? {
        let range = count_range(paging::COUNT_CAP + 1);
        let sql = format!("{}{}", paging::explain(db), count_sql(&q, &range));
        let stmt = sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql));
        plans.push(paging::plan(db, range.bind(q.bind(stmt, &desk, status))).await?);
    }
    Ok(plans)
}

/// The engine's plan of every statement [`inbox`] runs for a page after `from` (the first
/// page without), one per range.
pub async fn inbox_plans(
    db: &Db,
    user_id: &str,
    f: &InboxFilter,
    from: Option<&Key>,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let q = InboxQuery::new(user_id, f);
    let mut plans = Vec::new();
    for (desk, status) in q.ranges(db).await? {
        let range = paging::Range {
            from: from.cloned(),
            ascending: true,
            limit: 21,
        };
        let (condition, order) = range.sql("p.sent_at", "p.id", 9);
        let sql = format!(
            "{}SELECT {}{}{condition}{order}",
            paging::explain(db),
            q.columns(),
            q.where_sql()
        );
        let stmt = sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql));
        plans.push(paging::plan(db, range.bind(q.bind(stmt, &desk, status))).await?);
    }
    Ok(plans)
}

/// The inbox's filter, read once: what [`inbox`], [`inbox_count`] and [`inbox_plans`] share.
struct InboxQuery {
    user_id: String,
    statuses: Vec<&'static str>,
    practice_type: Option<String>,
    company: Option<String>,
    from: Option<String>,
    to: Option<String>,
    desk_id: Option<String>,
    taken: Option<String>,
}

impl InboxQuery {
    fn new(user_id: &str, f: &InboxFilter) -> InboxQuery {
        let text = |s: &str| Some(s.trim().to_string()).filter(|v| !v.is_empty());
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let statuses: &[&'static str] = match f.status.as_str() {
            "sent" => &["sent"],
            "in_review" => &["in_review"],
            "to_rectify" => &["to_rectify"],
            "closed" => &["approved", "rejected"],
            _ => &["sent", "in_review", "to_rectify"],
        };
        InboxQuery {
            user_id: user_id.to_string(),
            statuses: statuses.to_vec(),
            practice_type: text(&f.practice_type),
            company: text(&f.company).map(|c| format!("%{}%", c.to_lowercase())),
            from: day(&f.from).map(|d| format!("{}T00:00:00", db::date(d))),
            to: day(&f.to)
                .and_then(|d| d.succ_opt())
                .map(|d| format!("{}T00:00:00", db::date(d))),
            desk_id: text(&f.desk_id),
            taken: (f.taken == "me").then(|| user_id.to_string()),
        }
    }

    /// The (desk, status) pairs: the officer's desks (or the one asked for, if theirs) times
    /// the statuses of the filter.
    async fn ranges(&self, db: &Db) -> Result<Vec<(String, &'static str)>, sqlx::Error> {
        let desks: Vec<String> = sqlx::query_scalar(
            "SELECT desk_id FROM user_desks WHERE user_id = $1 ORDER BY desk_id",
        )
        .bind(&self.user_id)
        .fetch_all(db.pool())
        .await?;
        Ok(desks
            .into_iter()
            .filter(|d| self.desk_id.as_ref().is_none_or(|only| only == d))
            .flat_map(|d| self.statuses.iter().map(move |s| (d.clone(), *s)))
            .collect())
    }

    fn columns(&self) -> String {
        practice_columns!()
            .split(", ")
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `$1` desk, `$2` status, `$3` type, `$4` company, `$5` from, `$6` to, `$7` taken by,
    /// `$8` the officer (unused but bound, so every statement numbers alike); the dates
    /// bound the index range when given.
    fn where_sql(&self) -> String {
        let from = if self.from.is_some() {
            " AND p.sent_at >= $5"
        } else {
            " AND $5 IS NULL"
        };
        let to = if self.to.is_some() {
            " AND p.sent_at < $6"
        } else {
            " AND $6 IS NULL"
        };
        format!(
            " FROM practices p WHERE p.desk_id = $1 AND p.status = $2{from}{to} \
             AND ($3 IS NULL OR p.practice_type = $3) \
             AND ($4 IS NULL OR EXISTS (SELECT 1 FROM companies c WHERE c.id = p.company_id \
                  AND (LOWER(c.name) LIKE $4 OR LOWER(c.tax_code) LIKE $4))) \
             AND ($7 IS NULL OR p.assigned_to = $7) AND $8 IS NOT NULL"
        )
    }

    fn bind<'q, O>(
        &'q self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
        desk: &'q str,
        status: &'q str,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        q.bind(desk)
            .bind(status)
            .bind(&self.practice_type)
            .bind(&self.company)
            .bind(&self.from)
            .bind(&self.to)
            .bind(&self.taken)
            .bind(&self.user_id)
    }
}

/// The open statuses the desk page counts, in the order it shows them.
pub const COUNTED_STATUSES: [&str; 3] = ["in_review", "sent", "to_rectify"];

/// Open practices per status over the officer's desks, whatever the inbox's filter, for the
/// desk page: each count is [`inbox_count`] of that status, read from the same ranges of
/// `practices_desk_inbox` as the list and only as far as [`paging::COUNT_CAP`] + 1 rows
/// (issue 14: a desk's work in flight is not bounded by anything but the office's pace), so
/// a count above the cap means "più di 999". A status with no practice is left out. Closed
/// practices are not counted: a chamber's history runs to millions.
pub async fn inbox_counts(
    db: &Db,
    principal: &Principal,
) -> Result<Vec<(String, u64)>, sqlx::Error> {
    let mut counts = Vec::new();
    for status in COUNTED_STATUSES {
        let f = InboxFilter {
            status: status.to_string(),
            ..InboxFilter::default()
        };
        let n = inbox_count(db, principal, &f).await?;
        if n > 0 {
            counts.push((status.to_string(), n));
        }
    }
    Ok(counts)
}

/// The practice, if the officer works its desk and it has been sent; `None` otherwise, so
/// other desks' and chambers' practices are invisible.
pub async fn practice_for_officer(
    db: &Db,
    principal: &Principal,
    id: &str,
) -> Result<Option<Practice>, sqlx::Error> {
    Ok(crate::trade::practice::get(db, id)
        .await?
        .filter(|p| crate::trade::practice::handled_by(principal, p)))
}

/// Queues an e-mail to the company about its practice: to the notification address of the
/// user who created it (Cert'O guide, slide 22: "the e-mail that receives every notification").
pub async fn notify_company(
    tx: &mut Tx,
    now: DateTime<Utc>,
    practice: &Practice,
    subject: String,
    body: String,
) -> Result<(), sqlx::Error> {
    let to: Option<String> = sqlx::query_scalar(
        "SELECT notification_email FROM company_profiles WHERE user_id = $1 AND company_id = $2",
    )
    .bind(&practice.created_by)
    .bind(&practice.company_id)
    .fetch_optional(&mut **tx)
    .await?;
    let to = match to {
        Some(t) => t,
        None => {
            sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                .bind(&practice.created_by)
                .fetch_one(&mut **tx)
                .await?
        }
    };
    notify::queue(
        tx,
        now,
        OutgoingEmail {
            to,
            subject,
            body_text: body,
            chamber_id: Some(practice.chamber_id.clone()),
            attachments: Vec::new(),
        },
    )
    .await?;
    Ok(())
}
