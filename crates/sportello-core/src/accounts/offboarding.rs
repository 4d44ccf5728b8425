//! Off-boarding: disabling and enabling a user, and who may do it. Disabling ends every
//! login session and revokes every API token of the user in the same transaction, so a
//! disabled user's cookie and token stop working at the next request.

use super::token;
use super::user::{User, get};
use super::{Principal, Role};
use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::authz::{self, Action};
use crate::db::{self, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum OffboardingError {
    /// No such user, or one the administrator does not manage (the same answer for both).
    #[error("no such user")]
    NotFound,
    /// An administrator does not disable their own account.
    #[error("you cannot disable your own account")]
    OwnAccount,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who an administrator manages: a chamber administrator manages the staff of their own
/// chamber and the company users of the companies that file practices with that chamber
/// (company users belong to no chamber; the chamber they deal with is the one they file
/// with). Nobody else, and no user of another chamber.
pub async fn manages(db: &Db, admin: &Principal, user: &User) -> Result<bool, sqlx::Error> {
    if !authz::allows(admin.role(), Action::ManageUsers) {
        return Ok(false);
    }
    let Some(chamber_id) = admin.user.chamber_id.as_deref() else {
        return Ok(false);
    };
    if user.role != Role::Company {
        return Ok(user.chamber_id.as_deref() == Some(chamber_id));
    }
    let filed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_companies uc JOIN practices p ON p.company_id = uc.company_id \
         WHERE uc.user_id = $1 AND p.chamber_id = $2",
    )
    .bind(&user.id)
    .bind(chamber_id)
    .fetch_one(db.pool())
    .await?;
    Ok(filed > 0)
}

/// The users an administrator manages: their chamber's staff, then the company users of
/// the companies that file with it.
pub async fn managed_users(db: &Db, admin: &Principal) -> Result<Vec<User>, sqlx::Error> {
    let Some(chamber_id) = admin.user.chamber_id.as_deref() else {
        return Ok(Vec::new());
    };
    if !authz::allows(admin.role(), Action::ManageUsers) {
        return Ok(Vec::new());
    }
    let mut users = super::list_in_chamber(db, chamber_id).await?;
    let company_user_ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT u.id FROM users u JOIN user_companies uc ON uc.user_id = u.id \
         JOIN practices p ON p.company_id = uc.company_id \
         WHERE p.chamber_id = $1 AND u.role = 'company' ORDER BY u.id",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    let mut companies = Vec::new();
    for id in company_user_ids {
        if let Some(u) = get(db, &id).await? {
            companies.push(u);
        }
    }
    companies.sort_by(|a, b| a.email.cmp(&b.email));
    users.extend(companies);
    Ok(users)
}

/// A user the administrator manages, or [`OffboardingError::NotFound`].
pub async fn managed_user(
    db: &Db,
    admin: &Principal,
    user_id: &str,
) -> Result<User, OffboardingError> {
    match get(db, user_id).await? {
        Some(u) if manages(db, admin, &u).await? => Ok(u),
        _ => Err(OffboardingError::NotFound),
    }
}

/// A chamber administrator disables or enables a user they manage.
pub async fn set_active(
    ctx: &Ctx,
    admin: &Principal,
    user_id: &str,
    active: bool,
) -> Result<User, OffboardingError> {
    let user = managed_user(&ctx.db, admin, user_id).await?;
    if !active && user.id == admin.user.id {
        return Err(OffboardingError::OwnAccount);
    }
    let actor = admin.actor();
    let mut tx = ctx.db.begin().await?;
    apply(&mut tx, ctx.clock.now(), &actor, &user, active).await?;
    tx.commit().await?;
    Ok(User { active, ..user })
}

/// The operator disables or enables a user by e-mail (`sportello admin user disable|enable`).
pub async fn set_active_by_email(
    ctx: &Ctx,
    actor: &Actor,
    email: &str,
    active: bool,
) -> Result<User, OffboardingError> {
    let user = super::find_by_email(&ctx.db, email)
        .await?
        .ok_or(OffboardingError::NotFound)?;
    let mut tx = ctx.db.begin().await?;
    apply(
        &mut tx,
        ctx.clock.now(),
        &actor.clone().in_chamber(user.chamber_id.as_deref()),
        &user,
        active,
    )
    .await?;
    tx.commit().await?;
    Ok(User { active, ..user })
}

/// Writes the change: disabling ends the user's sessions and revokes their tokens; enabling
/// also clears a lock-out.
async fn apply(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    user: &User,
    active: bool,
) -> Result<(), sqlx::Error> {
    if active {
        sqlx::query(
            "UPDATE users SET active = 1, failed_logins = 0, locked_until = NULL WHERE id = $1",
        )
        .bind(&user.id)
        .execute(&mut **tx)
        .await?;
    } else {
        sqlx::query("UPDATE users SET active = 0 WHERE id = $1")
            .bind(&user.id)
            .execute(&mut **tx)
            .await?;
    }
    let (sessions, tokens) = if active {
        (0, 0)
    } else {
        end_sessions_and_tokens(tx, now, &user.id, None).await?
    };
    audit::record(
        tx,
        now,
        actor,
        Change::new(
            if active {
                "user.enable"
            } else {
                "user.disable"
            },
            "user",
            Some(&user.id),
        )
        .before(json!({"active": user.active}))
        .after(json!({"active": active, "sessions_ended": sessions, "tokens_revoked": tokens})),
    )
    .await?;
    Ok(())
}

/// Ends every login session of a user but `keep` (the SHA-256 of the session token that
/// asked, if any) and revokes every live API token; returns how many of each.
pub(crate) async fn end_sessions_and_tokens(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user_id: &str,
    keep: Option<&str>,
) -> Result<(u64, u64), sqlx::Error> {
    let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut **tx)
        .await?
        .rows_affected();
    let tokens = token::revoke_all(tx, now, user_id).await?;
    Ok((sessions, tokens))
}

/// Every user, or those of one chamber, for `sportello admin user list`.
pub async fn list_all(db: &Db, chamber_id: Option<&str>) -> Result<Vec<User>, sqlx::Error> {
    match chamber_id {
        Some(c) => super::list_in_chamber(db, c).await,
        None => {
            let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM users ORDER BY email")
                .fetch_all(db.pool())
                .await?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(u) = get(db, &id).await? {
                    out.push(u);
                }
            }
            Ok(out)
        }
    }
}

/// When a user was last seen logging in, for lists.
pub async fn last_login(db: &Db, user_id: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let at: Option<String> = sqlx::query_scalar("SELECT last_login_at FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .flatten();
    at.as_deref().map(db::parse_instant).transpose()
}
