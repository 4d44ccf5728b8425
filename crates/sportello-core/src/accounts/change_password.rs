//! A user changes their own password.

use super::Principal;
use super::offboarding::end_sessions_and_tokens;
use super::password::{self, PasswordError};
use super::session::token_hash;
use crate::Ctx;
use crate::audit::{self, Change};

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("the current password is wrong")]
    WrongCurrent,
    #[error("the new password and its confirmation differ")]
    Mismatch,
    #[error(transparent)]
    Policy(PasswordError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Replaces the principal's password after checking the current one; every other login
/// session of the user ends (`keep_session` is the token of the session that asked) and
/// every API token is revoked: whoever had the old password may have made one.
pub async fn change_password(
    ctx: &Ctx,
    p: &Principal,
    current: &str,
    new_password: &str,
    confirm: &str,
    keep_session: Option<&str>,
) -> Result<(), ChangePasswordError> {
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(&p.user.id)
        .fetch_one(ctx.db.pool())
        .await?;
    if !password::verify_pooled(current, &stored).await {
        return Err(ChangePasswordError::WrongCurrent);
    }
    if new_password != confirm {
        return Err(ChangePasswordError::Mismatch);
    }
    let hash = password::hash_pooled(new_password)
        .await
        .map_err(ChangePasswordError::Policy)?;
    let mut tx = ctx.db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(&p.user.id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    let keep = keep_session.map(token_hash);
    let (sessions, tokens) =
        end_sessions_and_tokens(&mut tx, ctx.clock.now(), &p.user.id, keep.as_deref()).await?;
    audit::record(
        &mut tx,
        ctx.clock.now(),
        &p.actor(),
        Change::new("user.password_change", "user", Some(&p.user.id))
            .after(serde_json::json!({"sessions_ended": sessions, "tokens_revoked": tokens})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
