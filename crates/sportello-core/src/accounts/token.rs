//! API tokens for ERP clients: `Authorization: Bearer sp_…`. Stored as SHA-256 only.

use crate::accounts::session::{random_token, token_hash};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use chrono::{DateTime, Utc};

/// How long a token issued by `POST /api/v1/auth/token` lasts.
pub const TOKEN_DAYS: i64 = 30;

/// Issues a token for `user_id`; the clear value is returned once and never stored.
pub async fn issue(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: &str,
    name: &str,
) -> Result<String, sqlx::Error> {
    let token = format!("sp_{}", random_token());
    let id = db::new_id();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(token_hash(&token))
    .bind(name)
    .bind(db::instant(now))
    .bind(db::instant(now + chrono::Duration::days(TOKEN_DAYS)))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("api_token.issue", "api_token", Some(&id))
            .after(serde_json::json!({"user_id": user_id, "name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The user a live token belongs to.
pub async fn resolve(
    db: &Db,
    now: DateTime<Utc>,
    token: &str,
) -> Result<Option<String>, sqlx::Error> {
    if !token.starts_with("sp_") {
        return Ok(None);
    }
    let hash = token_hash(token);
    let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT user_id, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some((user_id, expires_at, revoked_at)) = row else {
        return Ok(None);
    };
    if revoked_at.is_some() {
        return Ok(None);
    }
    if let Some(exp) = expires_at.as_deref().map(db::parse_instant).transpose()?
        && exp <= now
    {
        return Ok(None);
    }
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1")
        .bind(&hash)
        .bind(db::instant(now))
        .execute(db.pool())
        .await?;
    Ok(Some(user_id))
}
