//! One secret for every instance. Chamber seals, certificates' security codes and webhook
//! secrets are encrypted under the key derived from `SPORTELLO_SEAL_KEY` (or the data
//! directory's file when the variable is unset); an instance with another secret would serve
//! pages that fail on every value another instance stored. So the first instance to serve
//! records the secret's id (never the key) in `instance_secrets`, and every later one must
//! have the same.

use crate::db::{self, Db};
use crate::seal::{SealError, SealSecret};
use chrono::{DateTime, Utc};

const PURPOSE: &str = "seal";

/// Records `secret` as the database's secret when none is recorded yet; refuses a different
/// one, naming both ids and the variable to set.
pub async fn claim(db: &Db, secret: &SealSecret, now: DateTime<Utc>) -> Result<(), SealError> {
    sqlx::query(
        "INSERT INTO instance_secrets (purpose, secret_id, recorded_at) VALUES ($1, $2, $3) \
         ON CONFLICT (purpose) DO NOTHING",
    )
    .bind(PURPOSE)
    .bind(secret.id())
    .bind(db::instant(now))
    .execute(db.pool())
    .await?;
    let recorded: String =
        sqlx::query_scalar("SELECT secret_id FROM instance_secrets WHERE purpose = $1")
            .bind(PURPOSE)
            .fetch_one(db.pool())
            .await?;
    if recorded != secret.id() {
        return Err(SealError::Secret(format!(
            "this instance's secret ({}) is not the one the database was served with ({recorded}): \
             set SPORTELLO_SEAL_KEY to the same value on every instance",
            secret.id()
        )));
    }
    Ok(())
}
