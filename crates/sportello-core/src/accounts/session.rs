//! Server-side login sessions. The browser holds a random token; the database holds only
//! its SHA-256, so a leaked database cannot be replayed as cookies. Each session has its
//! own CSRF token for the forms it renders.

use crate::db::{self, Db};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random token for cookies, CSRF fields and API tokens (256 bits, base64url).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    pub csrf_token: String,
    pub acting_company_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Opens a session for `user_id`; returns the cookie token and the session.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    user_id: &str,
    lifetime: chrono::Duration,
) -> Result<(String, Session), sqlx::Error> {
    let token = random_token();
    let session = Session {
        user_id: user_id.to_string(),
        csrf_token: random_token(),
        acting_company_id: None,
        expires_at: now + lifetime,
    };
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(&session.csrf_token)
    .bind(db::instant(now))
    .bind(db::instant(session.expires_at))
    .execute(db.pool())
    .await?;
    Ok((token, session))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: String,
    csrf_token: String,
    acting_company_id: Option<String>,
    last_seen_at: String,
    expires_at: String,
}

/// The live session behind a cookie token. The idle lifetime slides forward on use
/// (written at most every five minutes).
pub async fn load(
    db: &Db,
    now: DateTime<Utc>,
    token: &str,
    lifetime: chrono::Duration,
) -> Result<Option<Session>, sqlx::Error> {
    let hash = token_hash(token);
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT user_id, csrf_token, acting_company_id, last_seen_at, expires_at FROM sessions \
         WHERE id_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut expires_at = db::parse_instant(&row.expires_at)?;
    if expires_at <= now {
        return Ok(None);
    }
    let last_seen = db::parse_instant(&row.last_seen_at)?;
    if now - last_seen > chrono::Duration::minutes(5) {
        expires_at = now + lifetime;
        sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1")
            .bind(&hash)
            .bind(db::instant(now))
            .bind(db::instant(expires_at))
            .execute(db.pool())
            .await?;
    }
    Ok(Some(Session {
        user_id: row.user_id,
        csrf_token: row.csrf_token,
        acting_company_id: row.acting_company_id,
        expires_at,
    }))
}

/// Ends a session (logout).
pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(token_hash(token))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Records which company an intermediary acts for in this session.
pub async fn set_acting_company(
    db: &Db,
    token: &str,
    company_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET acting_company_id = $2 WHERE id_hash = $1")
        .bind(token_hash(token))
        .bind(company_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(db::instant(now))
        .execute(db.pool())
        .await?
        .rows_affected())
}
