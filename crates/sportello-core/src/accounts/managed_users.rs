//! The company users each chamber manages, kept as a table (`chamber_company_users`, keyed
//! by chamber, e-mail and user) so the administrator's users page reads one range of its key
//! a page at a time, whatever the chamber's size (issue 14: the page joined every company of
//! the largest chamber with its users and sorted them before cutting the page).
//!
//! A row says what [`super::offboarding::manages`] says of a company user: they are linked
//! to a company (`user_companies`) that has made a practice for the chamber
//! (`chamber_companies`). The table is derived, and written in the same transaction as every
//! change to what it derives from:
//! - a user linked to or unlinked from a company, or created with companies:
//!   [`refresh_user`] (`company_users::link` and `remove`, `user::insert_user`, the
//!   representative's links at a digital-identity login);
//! - a company's first practice for a chamber: [`company_joined`] (`practice::create`);
//! - a user's e-mail or role changed: [`refresh_user`] (nothing changes either today; a
//!   change that does must call it).
//!
//! On PostgreSQL each writer first locks the rows it derives from (the company's, then the
//! user's), so of two transactions touching the same company or user the second reads what
//! the first committed; SQLite has one writer at a time (`BEGIN IMMEDIATE`).

use crate::db::{ConnectionEngine, Engine, Tx};

/// Locks `table`'s row `id` until the transaction ends, on PostgreSQL; nothing on SQLite,
/// whose transactions write one at a time. `FOR NO KEY UPDATE`: two writers of the same
/// company or user still take turns, but the share lock a foreign key check takes (a new
/// practice of the company, in a transaction waiting for this one's `chamber_companies`
/// row) does not block it; `FOR UPDATE` did, and two first practices at once deadlocked.
async fn lock(tx: &mut Tx, table: &'static str, id: &str) -> Result<(), sqlx::Error> {
    if tx.engine() != Engine::Postgres {
        return Ok(());
    }
    let sql = format!("SELECT id FROM {table} WHERE id = $1 FOR NO KEY UPDATE");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(())
}

/// Writes again the chambers that manage `user_id`, from their links and their companies'
/// chambers: after a link or unlink (`company_id`, locked first), a user's creation or a
/// change of their e-mail or role (`company_id` `None`). Reads the user's own links only.
pub async fn refresh_user(
    tx: &mut Tx,
    user_id: &str,
    company_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    if let Some(company_id) = company_id {
        lock(tx, "companies", company_id).await?;
    }
    lock(tx, "users", user_id).await?;
    sqlx::query("DELETE FROM chamber_company_users WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO chamber_company_users (chamber_id, email, user_id) \
         SELECT cc.chamber_id, u.email, u.id FROM users u \
         JOIN user_companies uc ON uc.user_id = u.id \
         JOIN chamber_companies cc ON cc.company_id = uc.company_id \
         WHERE u.id = $1 AND u.role = 'company' \
         GROUP BY cc.chamber_id, u.email, u.id \
         ON CONFLICT (chamber_id, email, user_id) DO NOTHING",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A company's first practice for a chamber (a new `chamber_companies` row): the chamber now
/// manages the company's users. Reads the company's own links only.
pub async fn company_joined(
    tx: &mut Tx,
    chamber_id: &str,
    company_id: &str,
) -> Result<(), sqlx::Error> {
    lock(tx, "companies", company_id).await?;
    sqlx::query(
        "INSERT INTO chamber_company_users (chamber_id, email, user_id) \
         SELECT $1, u.email, u.id FROM user_companies uc JOIN users u ON u.id = uc.user_id \
         WHERE uc.company_id = $2 AND u.role = 'company' \
         ON CONFLICT (chamber_id, email, user_id) DO NOTHING",
    )
    .bind(chamber_id)
    .bind(company_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
