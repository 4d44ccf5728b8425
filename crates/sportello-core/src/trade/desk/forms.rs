//! The inventory of pre-printed official forms (legacy since October 2025): serials assigned
//! to a company by the chamber, used by a practice printed on one, returned unused (Cert'O guide,
//! slide 47: the company hands the unused forms back; the office records it).

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use crate::trade::form::FormSerial;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// Most forms assigned in one go.
pub const MAX_RANGE: u32 = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct BlankForm {
    pub serial: String,
    pub company_id: String,
    pub status: String,
    pub practice_id: Option<String>,
    pub assigned_at: String,
    pub used_at: Option<String>,
    pub returned_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormsError {
    #[error("between 1 and {MAX_RANGE} forms at a time")]
    BadCount,
    #[error("the serial numbers run past 9999999")]
    Overflow,
    #[error("form {0} is already in the inventory")]
    AlreadyAssigned(String),
    #[error("form {0} is not an unused form of this company")]
    NotReturnable(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The serials `first`, `first + 1`, … (`count` of them), same letter.
pub fn range(first: &FormSerial, count: u32) -> Result<Vec<FormSerial>, FormsError> {
    if count == 0 || count > MAX_RANGE {
        return Err(FormsError::BadCount);
    }
    let s = first.as_str();
    let letter = &s[..1];
    let start: u32 = s[1..].parse().map_err(|_| FormsError::Overflow)?;
    (0..count)
        .map(|i| {
            let n = start
                .checked_add(i)
                .filter(|n| *n <= 9_999_999)
                .ok_or(FormsError::Overflow)?;
            FormSerial::parse(&format!("{letter}{n:07}")).ok_or(FormsError::Overflow)
        })
        .collect()
}

/// Assigns a range of forms to a company (all or nothing).
pub async fn assign(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    company_id: &str,
    serials: &[FormSerial],
) -> Result<(), FormsError> {
    let mut tx = db.begin().await?;
    for s in serials {
        sqlx::query(
            "INSERT INTO blank_forms (serial, chamber_id, company_id, status, assigned_at) VALUES ($1, $2, $3, 'assigned', $4)",
        )
        .bind(s.as_str())
        .bind(chamber_id)
        .bind(company_id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| match db::unique_violation(&e) {
            Some(_) => FormsError::AlreadyAssigned(s.as_str().to_string()),
            None => e.into(),
        })?;
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("blank_forms.assign", "company", Some(company_id)).after(json!({
            "first": serials.first().map(FormSerial::as_str), "last": serials.last().map(FormSerial::as_str), "count": serials.len(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records forms handed back unused (all or nothing).
pub async fn record_return(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    company_id: &str,
    serials: &[FormSerial],
) -> Result<(), FormsError> {
    let mut tx = db.begin().await?;
    for s in serials {
        let n = sqlx::query(
            "UPDATE blank_forms SET status = 'returned', returned_at = $4 WHERE serial = $1 AND chamber_id = $2 \
             AND company_id = $3 AND status = 'assigned'",
        )
        .bind(s.as_str())
        .bind(chamber_id)
        .bind(company_id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(FormsError::NotReturnable(s.as_str().to_string()));
        }
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("blank_forms.return", "company", Some(company_id))
            .after(json!({"serials": serials.iter().map(FormSerial::as_str).collect::<Vec<_>>()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The forms of a company in a chamber.
pub async fn of_company(
    db: &Db,
    chamber_id: &str,
    company_id: &str,
) -> Result<Vec<BlankForm>, sqlx::Error> {
    sqlx::query_as(
        "SELECT serial, company_id, status, practice_id, assigned_at, used_at, returned_at FROM blank_forms \
         WHERE chamber_id = $1 AND company_id = $2 ORDER BY serial",
    )
    .bind(chamber_id)
    .bind(company_id)
    .fetch_all(db.pool())
    .await
}

/// Cert'O guide, slide 40: a practice printed on a form names the form's serial — one assigned to
/// this company by this chamber and not used yet.
pub async fn usable(
    db: &Db,
    chamber_id: &str,
    company_id: &str,
    serial: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM blank_forms WHERE serial = $1 AND chamber_id = $2 AND company_id = $3 AND status = 'assigned'",
    )
    .bind(serial)
    .bind(chamber_id)
    .bind(company_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_keeps_the_letter_and_counts_up() {
        let first = FormSerial::parse("A0000998").unwrap();
        let r: Vec<String> = range(&first, 3)
            .unwrap()
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        assert_eq!(r, vec!["A0000998", "A0000999", "A0001000"]);
        assert!(matches!(
            range(&FormSerial::parse("B9999999").unwrap(), 2),
            Err(FormsError::Overflow)
        ));
        assert!(matches!(range(&first, 0), Err(FormsError::BadCount)));
    }
}
