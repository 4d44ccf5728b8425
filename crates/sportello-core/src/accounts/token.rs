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

/// How stale a token's `last_used_at` may get before a request writes it again: the tokens
/// page shows it to the minute, and a write per API call would queue every request behind
/// the database's write lock (SQLite has one writer).
const LAST_USED_PRECISION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The principal of an API call: the owner of a live token, read with the token in one
/// statement (`accounts::read_principal`); `None` for an unknown, revoked or expired token,
/// or a disabled user. It writes the token's `last_used_at` when the stored
/// value is a minute old or more.
pub async fn principal(
    ctx: &crate::Ctx,
    token: &str,
) -> Result<Option<crate::accounts::Principal>, sqlx::Error> {
    if !token.starts_with("sp_") {
        return Ok(None);
    }
    let hash = token_hash(token);
    let Some(read) =
        crate::accounts::read_principal(&ctx.db, crate::accounts::Who::TokenHash(&hash)).await?
    else {
        return Ok(None);
    };
    let key = &read.key;
    let live = check(
        &ctx.db,
        ctx.clock.now(),
        &hash,
        key.k_expires_at.as_deref(),
        key.k_revoked_at.as_deref(),
        key.k_last_used_at.as_deref(),
    )
    .await?;
    Ok(if live {
        read.into_principal(ctx, None)
    } else {
        None
    })
}

/// Whether a token with these stored columns is live at `now`; for a live one, writes its
/// `last_used_at` unless the stored value is recent.
async fn check(
    db: &Db,
    now: DateTime<Utc>,
    hash: &str,
    expires_at: Option<&str>,
    revoked_at: Option<&str>,
    last_used_at: Option<&str>,
) -> Result<bool, sqlx::Error> {
    if revoked_at.is_some() {
        return Ok(false);
    }
    if let Some(exp) = expires_at.map(db::parse_instant).transpose()?
        && exp <= now
    {
        return Ok(false);
    }
    let recent = last_used_at
        .map(db::parse_instant)
        .transpose()?
        .is_some_and(|at| at <= now && now - at < LAST_USED_PRECISION);
    if !recent {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1")
            .bind(hash)
            .bind(db::instant(now))
            .execute(db.pool())
            .await?;
    }
    Ok(true)
}

/// An API token as its owner and administrators see it: never its value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Neither revoked nor expired.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

type TokenRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn token_of(r: TokenRow) -> Result<ApiToken, sqlx::Error> {
    let at = |s: Option<String>| s.as_deref().map(db::parse_instant).transpose();
    Ok(ApiToken {
        id: r.0,
        user_id: r.1,
        name: r.2,
        created_at: db::parse_instant(&r.3)?,
        last_used_at: at(r.4)?,
        expires_at: at(r.5)?,
        revoked_at: at(r.6)?,
    })
}

/// A user's tokens, newest first.
pub async fn list_for(db: &Db, user_id: &str) -> Result<Vec<ApiToken>, sqlx::Error> {
    sqlx::query_as::<_, TokenRow>(
        "SELECT id, user_id, name, created_at, last_used_at, expires_at, revoked_at \
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(token_of)
    .collect()
}

/// Revokes every live token of a user, inside `tx`; returns how many.
pub(crate) async fn revoke_all(
    tx: &mut db::Tx,
    now: DateTime<Utc>,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// No such token, or one the principal may not revoke (the same answer).
    #[error("no such token")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Revokes one token: its owner may, and so may an administrator who manages the owner
/// (`offboarding::manages`) unless `only_own` (the account page). Revoking a revoked token
/// changes nothing.
pub async fn revoke(
    ctx: &crate::Ctx,
    p: &crate::accounts::Principal,
    token_id: &str,
    only_own: bool,
) -> Result<ApiToken, RevokeError> {
    let row: Option<TokenRow> = sqlx::query_as(
        "SELECT id, user_id, name, created_at, last_used_at, expires_at, revoked_at \
         FROM api_tokens WHERE id = $1",
    )
    .bind(token_id)
    .fetch_optional(ctx.db.pool())
    .await?;
    let token = row
        .map(token_of)
        .transpose()?
        .ok_or(RevokeError::NotFound)?;
    if token.user_id != p.user.id {
        if only_own {
            return Err(RevokeError::NotFound);
        }
        let owner = crate::accounts::get(&ctx.db, &token.user_id)
            .await?
            .ok_or(RevokeError::NotFound)?;
        if !crate::accounts::offboarding::manages(&ctx.db, p, &owner).await? {
            return Err(RevokeError::NotFound);
        }
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let changed =
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(&token.id)
            .bind(db::instant(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if changed > 0 {
        audit::record(
            &mut tx,
            now,
            &p.actor(),
            Change::new("api_token.revoke", "api_token", Some(&token.id))
                .after(serde_json::json!({"user_id": token.user_id, "name": token.name})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ApiToken {
        revoked_at: token.revoked_at.or(Some(now)),
        ..token
    })
}
