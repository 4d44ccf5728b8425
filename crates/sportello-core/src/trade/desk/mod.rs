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
use crate::paging::{self, Counted, Page, PageRequest};
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
/// longest on top).
pub async fn inbox(
    db: &Db,
    principal: &Principal,
    f: &InboxFilter,
    request: PageRequest,
) -> Result<Page<InboxItem>, sqlx::Error> {
    let text = |s: &str| Some(s.trim().to_string()).filter(|v| !v.is_empty());
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let from = day(&f.from).map(|d| format!("{}T00:00:00", db::date(d)));
    let to = day(&f.to)
        .and_then(|d| d.succ_opt())
        .map(|d| format!("{}T00:00:00", db::date(d)));
    let company = text(&f.company).map(|c| format!("%{}%", c.to_lowercase()));
    let (s1, s2, s3) = match f.status.as_str() {
        "sent" => ("sent", "sent", "sent"),
        "in_review" => ("in_review", "in_review", "in_review"),
        "to_rectify" => ("to_rectify", "to_rectify", "to_rectify"),
        "closed" => ("approved", "rejected", "rejected"),
        _ => ("sent", "in_review", "to_rectify"),
    };
    // $1 user (desks), $2-$4 statuses, $5 type, $6 company, $7 from, $8 to, $9 desk,
    // $10 the officer who took it.
    const WHERE: &str = " FROM practices p JOIN companies c ON c.id = p.company_id \
        WHERE p.desk_id IN (SELECT desk_id FROM user_desks WHERE user_id = $1) \
        AND p.status IN ($2, $3, $4) \
        AND ($5 IS NULL OR p.practice_type = $5) \
        AND ($6 IS NULL OR LOWER(c.name) LIKE $6 OR LOWER(c.tax_code) LIKE $6) \
        AND ($7 IS NULL OR p.sent_at >= $7) \
        AND ($8 IS NULL OR p.sent_at < $8) \
        AND ($9 IS NULL OR p.desk_id = $9) \
        AND ($10 IS NULL OR p.assigned_to = $10)";
    let cols = practice_columns!()
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let practice_type = text(&f.practice_type);
    let desk_id = text(&f.desk_id);
    let taken = (f.taken == "me").then(|| principal.user.id.clone());
    let (sql, practice_type, company, from, to, desk_id, taken) = (
        format!(
            "SELECT {cols}, COUNT(*) OVER () AS page_total{WHERE} \
             ORDER BY p.sent_at, p.id LIMIT $11 OFFSET $12"
        ),
        &practice_type,
        &company,
        &from,
        &to,
        &desk_id,
        &taken,
    );
    let sql = &sql;
    let page = paging::fetch(request, |limit, offset| async move {
        sqlx::query_as::<_, Counted<PracticeRow>>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&principal.user.id)
            .bind(s1)
            .bind(s2)
            .bind(s3)
            .bind(practice_type)
            .bind(company)
            .bind(from)
            .bind(to)
            .bind(desk_id)
            .bind(taken)
            .bind(limit)
            .bind(offset)
            .fetch_all(db.pool())
            .await
    })
    .await?;
    let (total, number, size) = (page.total, page.number, page.size);
    let mut items = Vec::with_capacity(page.items.len());
    for r in page.items {
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
    Ok(Page {
        items,
        total,
        number,
        size,
    })
}

/// Practices per status over the officer's desks, whatever the inbox's filter.
pub async fn inbox_counts(
    db: &Db,
    principal: &Principal,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT status, COUNT(*) FROM practices WHERE desk_id IN (SELECT desk_id FROM user_desks WHERE user_id = $1) \
         AND status <> 'draft' GROUP BY status ORDER BY status",
    )
    .bind(&principal.user.id)
    .fetch_all(db.pool())
    .await
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
