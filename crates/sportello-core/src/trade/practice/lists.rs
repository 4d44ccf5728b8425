//! The company's lists (Cert'O guide, slide 27): to send, to rectify, sent (with the progress of
//! each, closed ones included), and the archive of practices closed more than two years ago;
//! searchable by invoice number, consignee, protocol number and date, and paged.

use crate::db::{self, Db};
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page {
    pub items: Vec<Practice>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Cert'O guide, slide 27: the archive ("storico") holds practices closed more than two years ago.
pub fn archive_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(24)).unwrap_or(now)
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// One page of a list, over the companies `user_id` acts for.
pub async fn list(
    db: &Db,
    user_id: &str,
    kind: ListKind,
    search: &Search,
    now: DateTime<Utc>,
    page: i64,
    per_page: i64,
) -> Result<Page, sqlx::Error> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, 100);
    let cutoff = db::instant(archive_cutoff(now));
    let statuses: &[&str] = match kind {
        ListKind::ToSend => &["draft"],
        ListKind::ToRectify => &["to_rectify"],
        ListKind::Sent | ListKind::Archive => {
            &["sent", "in_review", "approved", "rejected", "withdrawn"]
        }
    };
    let text = |s: &str| Some(s.trim().to_string()).filter(|v| !v.is_empty());
    let consignee = text(&search.consignee).map(|c| format!("%{}%", c.to_lowercase()));
    let from = day(&search.from).map(|d| format!("{}T00:00:00", db::date(d)));
    let to = day(&search.to)
        .and_then(|d| d.succ_opt())
        .map(|d| format!("{}T00:00:00", db::date(d)));
    // $1 user, $2-$6 statuses (repeated to fill), $7 archive?, $8 cutoff, $9 invoice,
    // $10 consignee, $11 protocol, $12 from, $13 to, $14 company.
    const WHERE: &str = " FROM practices p WHERE p.company_id IN (SELECT company_id FROM user_companies WHERE user_id = $1) \
        AND p.status IN ($2, $3, $4, $5, $6) \
        AND ($7 <> 1 OR (p.closed_at IS NOT NULL AND p.closed_at < $8)) \
        AND ($7 <> 0 OR p.closed_at IS NULL OR p.closed_at >= $8) \
        AND ($9 IS NULL OR EXISTS (SELECT 1 FROM practice_invoices i WHERE i.practice_id = p.id AND i.number = $9)) \
        AND ($10 IS NULL OR LOWER(p.consignee_name) LIKE $10) \
        AND ($11 IS NULL OR p.protocol_number = $11) \
        AND ($12 IS NULL OR COALESCE(p.sent_at, p.created_at) >= $12) \
        AND ($13 IS NULL OR COALESCE(p.sent_at, p.created_at) < $13) \
        AND ($14 IS NULL OR p.company_id = $14)";
    // $7: 1 = archive only, 0 = current only, 2 = drafts and rectifications (never archived).
    let archive_mode: i64 = match kind {
        ListKind::Archive => 1,
        ListKind::Sent => 0,
        ListKind::ToSend | ListKind::ToRectify => 2,
    };
    let status_at = |i: usize| {
        statuses
            .get(i)
            .or(statuses.first())
            .copied()
            .unwrap_or("draft")
    };
    macro_rules! bind_all {
        ($q:expr) => {
            $q.bind(user_id)
                .bind(status_at(0))
                .bind(status_at(1))
                .bind(status_at(2))
                .bind(status_at(3))
                .bind(status_at(4))
                .bind(archive_mode)
                .bind(&cutoff)
                .bind(text(&search.invoice))
                .bind(&consignee)
                .bind(text(&search.protocol).map(|p| p.to_uppercase()))
                .bind(&from)
                .bind(&to)
                .bind(text(&search.company_id))
        };
    }
    let total: i64 = bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*){WHERE}"
    ))))
    .fetch_one(db.pool())
    .await?;
    let rows: Vec<PracticeRow> = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {}{WHERE} ORDER BY COALESCE(p.sent_at, p.created_at) DESC, p.id DESC LIMIT $15 OFFSET $16",
        practice_columns!()
    ))))
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(db.pool())
    .await?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(Practice::try_from)
            .collect::<Result<_, _>>()?,
        total,
        page,
        per_page,
    })
}
