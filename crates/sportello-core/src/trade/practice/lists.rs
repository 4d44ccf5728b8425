//! The company's lists (Cert'O guide, slide 27): to send, to rectify, sent (with the progress of
//! each, closed ones included), and the archive of practices closed more than two years ago;
//! searchable by invoice number, consignee, protocol number and date, and paged.

use crate::db::{self, Db};
use crate::paging::{self, Key, Keyed, Keyset, Order, Slice};
use crate::trade::practice::{Practice, PracticeRow, practice_columns};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    #[default]
    ToSend,
    ToRectify,
    Sent,
    Archive,
}

impl ListKind {
    pub const ALL: [ListKind; 4] = [
        ListKind::ToSend,
        ListKind::ToRectify,
        ListKind::Sent,
        ListKind::Archive,
    ];

    pub fn parse(s: &str) -> Option<ListKind> {
        match s {
            "to_send" => Some(ListKind::ToSend),
            "to_rectify" => Some(ListKind::ToRectify),
            "sent" => Some(ListKind::Sent),
            "archive" => Some(ListKind::Archive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::ToSend => "to_send",
            ListKind::ToRectify => "to_rectify",
            ListKind::Sent => "sent",
            ListKind::Archive => "archive",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            ListKind::ToSend => "trade-list-to-send",
            ListKind::ToRectify => "trade-list-to-rectify",
            ListKind::Sent => "trade-list-sent",
            ListKind::Archive => "trade-list-archive",
        }
    }
}

/// Filters; empty fields are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Search {
    pub invoice: String,
    pub consignee: String,
    pub protocol: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    pub to: String,
    /// One of the user's companies, or empty for all of them.
    pub company_id: String,
}

/// Cert'O guide, slide 27: the archive ("storico") holds practices closed more than two years ago.
pub fn archive_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(24)).unwrap_or(now)
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// One page of a list, over `companies` (the principal's companies, `Principal::company_ids`:
/// its links and the clients whose mandate is in force, issue 15), newest first, read by keyset
/// (issue 14: a company with a hundred thousand practices pages as fast as one with ten).
///
/// The list is read as one index range per company and status (`practices_company_list`:
/// company, status, sending instant, id; drafts, never sent, by their creation instant in
/// `practices_company_drafts`), each at most a page and a row long, merged by
/// [`paging::keyset`]. The archive's ranges start at the archive's cutoff: a practice closed
/// before it was sent before it. The search filters narrow each range's rows; the dates
/// narrow the range itself.
pub async fn list(
    db: &Db,
    companies: &[String],
    kind: ListKind,
    search: &Search,
    now: DateTime<Utc>,
    request: &Keyset,
) -> Result<Slice<Practice>, sqlx::Error> {
    let filter = Filter::new(companies, kind, search, now);
    let parts = ranges(&filter);
    let (filter, parts) = (&filter, &parts);
    paging::keyset(
        request,
        Order::Descending,
        parts.len(),
        |i, range| async move {
            let Some((company, status)) = parts.get(i) else {
                return Ok(Vec::new());
            };
            let sql = company_range_sql(filter, status, &range);
            let q = sqlx::query_as::<_, PracticeRow>(sqlx::AssertSqlSafe(sql));
            range
                .bind(filter.bind_range(q, company, status))
                .fetch_all(db.pool())
                .await
        },
    )
    .await?
    .try_map(Practice::try_from)
}

/// The engine's plan of every statement [`list`] runs for a page after `from` (the first
/// page without), one plan per index range.
pub async fn plans(
    db: &Db,
    companies: &[String],
    kind: ListKind,
    search: &Search,
    now: DateTime<Utc>,
    from: Option<&Key>,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let filter = Filter::new(companies, kind, search, now);
    let mut plans = Vec::new();
    for (company, status) in ranges(&filter) {
        let range = paging::Range {
            from: from.cloned(),
            ascending: false,
            limit: 21,
        };
        let sql = format!(
            "{}{}",
            paging::explain(db),
            company_range_sql(&filter, status, &range)
        );
        let q = sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql));
        plans.push(paging::plan(db, range.bind(filter.bind_range(q, &company, status))).await?);
    }
    Ok(plans)
}

/// The (company, status) pairs a list reads: every company of the list (or the one searched,
/// if among them), times the statuses of the list. An intermediary's user reads the clients
/// whose mandate is in force (issue 15, item 3: "the broker's lists span its clients with a
/// filter"), as the principal holds them: a former client's practices are not listed.
fn ranges(filter: &Filter) -> Vec<(String, &'static str)> {
    let mut statuses: Vec<&'static str> = filter.statuses.to_vec();
    statuses.dedup();
    filter
        .companies
        .iter()
        .filter(|c| filter.company_id.as_ref().is_none_or(|only| only == *c))
        .flat_map(|c| statuses.iter().map(move |s| (c.clone(), *s)))
        .collect()
}

/// The statement reading one company's practices in one status for [`list`]: `$1` company,
/// `$2` status, `$3`-`$9` the filter (see [`Filter::bind_range`]), then the range. A bound
/// the search gives (the dates, the archive's cutoff) is written as a plain condition on the
/// sort column, so it narrows the index range instead of filtering its rows.
fn company_range_sql(filter: &Filter, status: &str, range: &paging::Range) -> String {
    // Drafts were never sent: they stand by their creation; every other state by its sending.
    let sort = if status == "draft" {
        "p.created_at"
    } else {
        "p.sent_at"
    };
    let (condition, order) = range.sql(sort, "p.id", 10);
    let archive = match filter.archive_mode {
        // Closed before the cutoff, so sent before it too: the range starts there.
        1 => format!(" AND p.closed_at IS NOT NULL AND p.closed_at < $4 AND {sort} < $4"),
        0 => " AND (p.closed_at IS NULL OR p.closed_at >= $4)".to_string(),
        _ => " AND ($3 = 2 OR $4 IS NULL)".to_string(),
    };
    let from = if filter.from.is_some() {
        format!(" AND {sort} >= $8")
    } else {
        " AND $8 IS NULL".to_string()
    };
    let to = if filter.to.is_some() {
        format!(" AND {sort} < $9")
    } else {
        " AND $9 IS NULL".to_string()
    };
    format!(
        "SELECT {} FROM practices p WHERE p.company_id = $1 AND p.status = $2 \
         AND $3 IS NOT NULL{archive}{from}{to} \
         AND ($5 IS NULL OR EXISTS (SELECT 1 FROM practice_invoices i WHERE i.practice_id = p.id AND i.number = $5)) \
         AND ($6 IS NULL OR LOWER(p.consignee_name) LIKE $6) \
         AND ($7 IS NULL OR p.protocol_number = $7){condition}{order}",
        practice_columns!()
            .split(", ")
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Keyed for PracticeRow {
    /// Sent practices stand by their sending, drafts by their creation (the column of the
    /// range they were read from).
    fn key(&self) -> Key {
        Key::new(
            self.sent_at
                .clone()
                .unwrap_or_else(|| self.created_at.clone()),
            self.id.clone(),
        )
    }
}

/// How many practices a list holds and, for practices to rectify, the nearest deadline: the
/// same ranges, filter and scope as [`list`], so the company's home page never counts what
/// the list would not show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// At most [`paging::COUNT_CAP`] + 1, which reads "more than [`paging::COUNT_CAP`]".
    pub total: u64,
    /// The earliest `rectify_deadline` among the practices counted (stored instant).
    pub nearest_deadline: Option<String>,
}

/// The [`Summary`] of a list, bounded (issue 14: the "sent" count of the largest company read
/// every practice it sent in two years): each of the list's index ranges is read newest
/// first, only as far as the rows still needed to pass [`paging::COUNT_CAP`], so no count
/// reads more than a thousand rows however long the list.
pub async fn summary(
    db: &Db,
    companies: &[String],
    kind: ListKind,
    now: DateTime<Utc>,
) -> Result<Summary, sqlx::Error> {
    let filter = Filter::new(companies, kind, &Search::default(), now);
    let mut total = 0u64;
    let mut nearest_deadline: Option<String> = None;
    for (company, status) in ranges(&filter) {
        let left = (paging::COUNT_CAP + 1).saturating_sub(total);
        if left == 0 {
            break;
        }
        let range = count_range(left);
        let sql = count_sql(&filter, status, &range);
        let (n, nearest): (i64, Option<String>) = range
            .bind(filter.bind_range(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &company, status))
            .fetch_one(db.pool())
            .await?;
        total += u64::try_from(n).unwrap_or(0);
        nearest_deadline = match (nearest_deadline, nearest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(Summary {
        total,
        nearest_deadline,
    })
}

/// The statement of one capped count: the list's own range statement, reading only the two
/// columns the count needs instead of the whole practice.
fn count_sql(filter: &Filter, status: &str, range: &paging::Range) -> String {
    let list = company_range_sql(filter, status, range);
    let inner = match list.find(" FROM practices p ") {
        Some(at) => format!("SELECT p.id, p.rectify_deadline{}", &list[at..]),
        None => list,
    };
    paging::capped_count_sql(&inner, ", MIN(capped.rectify_deadline)")
}

/// The range a capped count reads: the list's first rows, at most `rows` of them.
fn count_range(rows: u64) -> paging::Range {
    paging::Range {
        from: None,
        ascending: false,
        limit: i64::try_from(rows).unwrap_or(i64::MAX),
    }
}

/// The engine's plan of every statement [`summary`] runs, one per index range.
pub async fn summary_plans(
    db: &Db,
    companies: &[String],
    kind: ListKind,
    now: DateTime<Utc>,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let filter = Filter::new(companies, kind, &Search::default(), now);
    let mut plans = Vec::new();
    for (company, status) in ranges(&filter) {
        let range = count_range(paging::COUNT_CAP + 1);
        let sql = format!(
            "{}{}",
            paging::explain(db),
            count_sql(&filter, status, &range)
        );
        let q = sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql));
        plans.push(paging::plan(db, range.bind(filter.bind_range(q, &company, status))).await?);
    }
    Ok(plans)
}

/// The bound values of a list's statements (see [`company_range_sql`]).
struct Filter {
    /// The companies of the list: the principal's, computed once (issue 15).
    companies: Vec<String>,
    statuses: [&'static str; 5],
    archive_mode: i64,
    cutoff: String,
    invoice: Option<String>,
    consignee: Option<String>,
    protocol: Option<String>,
    from: Option<String>,
    to: Option<String>,
    company_id: Option<String>,
}

impl Filter {
    fn new(companies: &[String], kind: ListKind, search: &Search, now: DateTime<Utc>) -> Filter {
        let statuses: &[&'static str] = match kind {
            ListKind::ToSend => &["draft"],
            ListKind::ToRectify => &["to_rectify"],
            ListKind::Sent | ListKind::Archive => {
                &["sent", "in_review", "approved", "rejected", "withdrawn"]
            }
        };
        let status_at = |i: usize| {
            statuses
                .get(i)
                .or(statuses.first())
                .copied()
                .unwrap_or("draft")
        };
        let text = |s: &str| Some(s.trim().to_string()).filter(|v| !v.is_empty());
        Filter {
            companies: companies.to_vec(),
            statuses: [0, 1, 2, 3, 4].map(status_at),
            archive_mode: match kind {
                ListKind::Archive => 1,
                ListKind::Sent => 0,
                ListKind::ToSend | ListKind::ToRectify => 2,
            },
            cutoff: db::instant(archive_cutoff(now)),
            invoice: text(&search.invoice),
            consignee: text(&search.consignee).map(|c| format!("%{}%", c.to_lowercase())),
            protocol: text(&search.protocol).map(|p| p.to_uppercase()),
            from: day(&search.from).map(|d| format!("{}T00:00:00", db::date(d))),
            to: day(&search.to)
                .and_then(|d| d.succ_opt())
                .map(|d| format!("{}T00:00:00", db::date(d))),
            company_id: text(&search.company_id),
        }
    }

    /// Binds `$1`-`$9` of [`company_range_sql`].
    fn bind_range<'q, O>(
        &'q self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
        company: &'q str,
        status: &'q str,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        q.bind(company)
            .bind(status)
            .bind(self.archive_mode)
            .bind(&self.cutoff)
            .bind(&self.invoice)
            .bind(&self.consignee)
            .bind(&self.protocol)
            .bind(&self.from)
            .bind(&self.to)
    }
}

/// Open practices (`PracticeStatus::OPEN`) by state and chamber code, for `/metrics`: a range
/// of the `practices_status_chamber` index, bounded by the work in flight, whatever the size
/// of the archive. Rows are (status, chamber code, count), chambers with none left out.
pub async fn open_by_chamber(db: &Db) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.status, c.code, p.n FROM (SELECT status, chamber_id, COUNT(*) AS n \
         FROM practices WHERE status IN ('draft', 'sent', 'in_review', 'to_rectify') \
         GROUP BY status, chamber_id) p JOIN chambers c ON c.id = p.chamber_id \
         ORDER BY p.status, c.code",
    )
    .fetch_all(db.pool())
    .await
}

#[cfg(test)]
mod open_tests {
    use crate::trade::practice::status::PracticeStatus;

    #[test]
    fn the_metrics_query_counts_exactly_the_open_states() {
        let open: Vec<&str> = PracticeStatus::OPEN.iter().map(|s| s.as_str()).collect();
        assert_eq!(open, ["draft", "sent", "in_review", "to_rectify"]);
    }
}
