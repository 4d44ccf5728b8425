//! Password recovery by e-mail: whoever forgot their password asks for a link, the link
//! sets a new one.
//!
//! - **No account enumeration.** A request answers the same whether the address belongs to
//!   an active account, a disabled one or none: only the mailbox learns the difference.
//! - **Throttled in the database** ([`throttle`]): per client address (an answer the client
//!   sees) and per address typed (beyond it nothing is sent, silently, so nobody can flood a
//!   mailbox through us).
//! - **A single-use link that expires** after [`RESET_MINUTES`]: the token is random (256
//!   bits) and stored only as its SHA-256; a newer link supersedes the older ones, and using
//!   one marks them all used.
//! - **The new password follows the rules of a password change** ([`password::check_policy`]),
//!   ends every session and revokes every API token of the user, as a change does.
//! - **Lock-out.** A successful reset clears the failed-login count, the lock and the login
//!   throttle of the account: the lock protects a password from guessing, and whoever reads
//!   the account's mailbox has proved more than the password would. A disabled account
//!   cannot reset: disabling is the chamber's decision, not the password's.

use super::offboarding::end_sessions_and_tokens;
use super::password::{self, PasswordError};
use super::session::{random_token, token_hash};
use super::user::normalise_email;
use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::i18n::Lang;
use crate::notify::{self, OutgoingEmail};
use crate::throttle::{self, Scope};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// How long a recovery link stays valid.
pub const RESET_MINUTES: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// Too many requests from this client address.
    #[error("too many password recovery requests from this address")]
    TooManyRequests,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Why a recovery link does not set a password.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("this recovery link is not valid")]
    Unknown,
    #[error("this recovery link was already used")]
    Used,
    #[error("this recovery link expired")]
    Expired,
    /// The account was disabled after the link was sent.
    #[error("the account is disabled")]
    Disabled,
    #[error("the new password and its confirmation differ")]
    Mismatch,
    #[error(transparent)]
    Policy(PasswordError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The account a valid link resets, for the page that asks the new password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetLink {
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Asks for a recovery link for `email` from `client` (the client's address). Returns
/// `Ok(())` whether or not an account has the address; the link is queued only for an
/// active account, within the per-address limit. Audited when an account is concerned.
pub async fn request_reset(ctx: &Ctx, client: &str, email: &str) -> Result<(), RecoveryError> {
    let now = ctx.clock.now();
    if !throttle::take(&ctx.db, now, Scope::ResetAddress, client).await? {
        return Err(RecoveryError::TooManyRequests);
    }
    let Some(email) = normalise_email(email) else {
        return Ok(());
    };
    if !throttle::take(&ctx.db, now, Scope::ResetAccount, &token_hash(&email)).await? {
        return Ok(());
    }
    let Some(user) = super::find_by_email(&ctx.db, &email).await? else {
        return Ok(());
    };
    let actor = Actor::user(&user.id, &user.email, user.chamber_id.as_deref());
    // An account made by a digital identity has no password to recover: it signs in
    // with that identity only, whoever reads its (maybe unverified) e-mail.
    let has_password = super::oidc::has_password(&ctx.db, &user.id).await?;
    let mut tx = ctx.db.begin().await?;
    if !user.active || !has_password {
        let reason = if user.active {
            "digital_identity"
        } else {
            "disabled"
        };
        audit::record(
            &mut tx,
            now,
            &actor,
            Change::new("user.password_reset_request", "user", Some(&user.id))
                .after(json!({"sent": false, "reason": reason})),
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    // Only the newest link works.
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(&user.id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?;
    let token = random_token();
    let expires_at = now + Duration::minutes(RESET_MINUTES);
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&user.id)
    .bind(token_hash(&token))
    .bind(db::instant(now))
    .bind(db::instant(expires_at))
    .execute(&mut *tx)
    .await?;
    let link = format!(
        "{}/password/reset/{token}",
        ctx.config.public_url.trim_end_matches('/')
    );
    notify::queue(&mut tx, now, reset_mail(&user.email, &link, expires_at)).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("user.password_reset_request", "user", Some(&user.id))
            .after(json!({"sent": true, "expires_at": db::instant(expires_at)})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: String,
    user_id: String,
    expires_at: String,
    used_at: Option<String>,
    email: String,
    active: i64,
    chamber_id: Option<String>,
}

async fn find_link(ctx: &Ctx, token: &str) -> Result<LinkRow, ResetError> {
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT r.id, r.user_id, r.expires_at, r.used_at, u.email, u.active, u.chamber_id \
         FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(ctx.db.pool())
    .await?;
    let row = row.ok_or(ResetError::Unknown)?;
    if row.used_at.is_some() {
        return Err(ResetError::Used);
    }
    if db::parse_instant(&row.expires_at)? <= ctx.clock.now() {
        return Err(ResetError::Expired);
    }
    if row.active == 0 {
        return Err(ResetError::Disabled);
    }
    Ok(row)
}

/// Whether `token` is a link that can still set a password, and for which account.
pub async fn check_link(ctx: &Ctx, token: &str) -> Result<ResetLink, ResetError> {
    let row = find_link(ctx, token).await?;
    Ok(ResetLink {
        expires_at: db::parse_instant(&row.expires_at)?,
        email: row.email,
    })
}

/// Sets a new password through the link `token`: the link and every other link of the user
/// are used up, the lock-out is cleared, every session ends and every API token is revoked,
/// in one transaction with the audit entry and a notice to the account's e-mail.
pub async fn reset_password(
    ctx: &Ctx,
    token: &str,
    new_password: &str,
    confirm: &str,
) -> Result<(), ResetError> {
    let row = find_link(ctx, token).await?;
    if new_password != confirm {
        return Err(ResetError::Mismatch);
    }
    let hash = password::hash_pooled(new_password)
        .await
        .map_err(ResetError::Policy)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    // The link is spent once: of two parallel uses, one finds it used.
    let spent = sqlx::query(
        "UPDATE password_resets SET used_at = $2 \
         WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(&row.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if spent == 0 {
        tx.rollback().await?;
        return Err(ResetError::Used);
    }
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(&row.user_id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?;
    let changed = sqlx::query(
        "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL \
         WHERE id = $1 AND active = 1",
    )
    .bind(&row.user_id)
    .bind(hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        tx.rollback().await?;
        return Err(ResetError::Disabled);
    }
    let (sessions, tokens) = end_sessions_and_tokens(&mut tx, now, &row.user_id, None).await?;
    notify::queue(&mut tx, now, changed_notice(&row.email, now)).await?;
    audit::record(
        &mut tx,
        now,
        &Actor::user(&row.user_id, &row.email, row.chamber_id.as_deref()),
        Change::new("user.password_reset", "user", Some(&row.user_id)).after(json!({
            "sessions_ended": sessions, "tokens_revoked": tokens, "lock_cleared": true,
        })),
    )
    .await?;
    tx.commit().await?;
    throttle::clear(&ctx.db, Scope::LoginAccount, &token_hash(&row.email)).await?;
    Ok(())
}

/// Forgets links that expired more than a day ago (the daily purge job).
pub async fn purge(db: &db::Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1")
            .bind(db::instant(now - Duration::days(1)))
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

/// Italian first, English second: the visitor's language is not known to the mailbox.
fn bilingual(to: &str, key: &str, args: &[(&str, String)]) -> OutgoingEmail {
    let (it, en) = (Lang::It, Lang::En);
    OutgoingEmail {
        to: to.to_string(),
        subject: format!(
            "{} / {}",
            it.t(&format!("{key}-subject")),
            en.t(&format!("{key}-subject"))
        ),
        body_text: format!(
            "{}\n\n---\n\n{}",
            it.t_args(&format!("{key}-body"), args),
            en.t_args(&format!("{key}-body"), args)
        ),
        chamber_id: None,
        attachments: Vec::new(),
    }
}

fn reset_mail(to: &str, link: &str, expires_at: DateTime<Utc>) -> OutgoingEmail {
    bilingual(
        to,
        "recovery-mail",
        &[
            ("link", link.to_string()),
            ("until", crate::display::date_time(expires_at)),
            ("minutes", RESET_MINUTES.to_string()),
        ],
    )
}

fn changed_notice(to: &str, at: DateTime<Utc>) -> OutgoingEmail {
    bilingual(
        to,
        "recovery-done-mail",
        &[("when", crate::display::date_time(at))],
    )
}
