//! Gapless, unique numbering (protocol numbers, certificate numbers, audit sequence).
//!
//! A number comes from a `counters` row updated inside the caller's business transaction:
//! if the transaction rolls back, so does the number, so no gaps appear. SQLite has one
//! writer at a time; on PostgreSQL the row lock makes concurrent transactions, on any
//! number of app instances, take turns.

use crate::db::Tx;

/// Takes the next number of `scope` (1 for a new scope) inside `tx`.
pub async fn next(tx: &mut Tx, scope: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO counters (scope, value) VALUES ($1, 1) \
         ON CONFLICT (scope) DO UPDATE SET value = counters.value + 1 \
         RETURNING value",
    )
    .bind(scope)
    .fetch_one(&mut **tx)
    .await
}

/// The last number handed out in `scope`, 0 when none was.
pub async fn current(tx: &mut Tx, scope: &str) -> Result<i64, sqlx::Error> {
    let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE scope = $1")
        .bind(scope)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(value.unwrap_or(0))
}
