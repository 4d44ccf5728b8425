//! Logins under way: what the callback needs to finish a login another instance may have
//! begun, kept in the database for a few minutes and taken once.

use crate::accounts::session::{random_token, token_hash};
use crate::db::{self, Db};
use chrono::{DateTime, Duration, Utc};

/// How long a person has at the identity provider before the login must start again.
pub const PENDING_MINUTES: i64 = 10;

/// What the start of a login hands to the shell: the values for the authorisation request
/// and the cookie that ties the callback to this browser.
#[derive(Clone, Debug)]
pub struct Started {
    pub state: String,
    pub nonce: String,
    pub browser_token: String,
}

/// What the callback finds for a state it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub nonce: String,
    pub pkce_verifier: String,
    pub browser_hash: String,
    pub next_path: String,
}

impl Pending {
    /// Whether the browser that came back is the one that started the login (its cookie).
    pub fn started_by(&self, browser_token: Option<&str>) -> bool {
        browser_token.is_some_and(|t| {
            let hash = token_hash(t);
            hash.len() == self.browser_hash.len()
                && hash
                    .bytes()
                    .zip(self.browser_hash.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
    }
}

/// Records a login the browser is about to start at the provider, with the PKCE verifier the
/// shell made for it; `next_path` must already be a local path.
pub async fn begin(
    db: &Db,
    now: DateTime<Utc>,
    pkce_verifier: &str,
    next_path: &str,
) -> Result<Started, sqlx::Error> {
    let started = Started {
        state: random_token(),
        nonce: random_token(),
        browser_token: random_token(),
    };
    sqlx::query(
        "INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, browser_hash, next_path, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash(&started.state))
    .bind(&started.nonce)
    .bind(pkce_verifier)
    .bind(token_hash(&started.browser_token))
    .bind(next_path)
    .bind(db::instant(now))
    .bind(db::instant(now + Duration::minutes(PENDING_MINUTES)))
    .execute(db.pool())
    .await?;
    Ok(started)
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    nonce: String,
    pkce_verifier: String,
    browser_hash: String,
    next_path: String,
    expires_at: String,
}

/// Takes the login of `state` once: the row is deleted by the same statement that reads it,
/// so two callbacks with one state (a replay, a double click) cannot both go on. `None` for
/// an unknown, used or expired state.
pub async fn take(
    db: &Db,
    now: DateTime<Utc>,
    state: &str,
) -> Result<Option<Pending>, sqlx::Error> {
    let row: Option<PendingRow> = sqlx::query_as(
        "DELETE FROM oidc_logins WHERE state_hash = $1 \
         RETURNING nonce, pkce_verifier, browser_hash, next_path, expires_at",
    )
    .bind(token_hash(state))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    if db::parse_instant(&row.expires_at)? <= now {
        return Ok(None);
    }
    Ok(Some(Pending {
        nonce: row.nonce,
        pkce_verifier: row.pkce_verifier,
        browser_hash: row.browser_hash,
        next_path: row.next_path,
    }))
}

/// Removes the logins that were never finished; returns how many.
pub async fn purge(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1")
            .bind(db::instant(now))
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}
