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
        "SELECT COUNT(*) FROM user_companies uc JOIN chamber_companies cc \
         ON cc.company_id = uc.company_id WHERE uc.user_id = $1 AND cc.chamber_id = $2",
    )
    .bind(&user.id)
    .bind(chamber_id)
    .fetch_one(db.pool())
    .await?;
    Ok(filed > 0)
}

impl crate::paging::Keyed for super::user::UserRow {
    fn key(&self) -> crate::paging::Key {
        crate::paging::Key::new(self.email.clone(), self.id.clone())
    }
}

/// The statement of one part of [`managed_users_page`], `$1` the chamber, then the range:
/// part 0 the chamber's staff, a range of `users_chamber_email` (chamber, e-mail, id); part 1
/// the company users of companies that deal with the chamber (the rule of [`manages`]), a
/// range of `chamber_company_users`' key (chamber, e-mail, user), each user then read by its
/// key. Both read at most a page and a row, whatever the chamber's size (issue 14: part 1
/// joined every company of the chamber with its users and sorted them; see
/// [`super::managed_users`] for how the table is kept).
fn managed_sql(part: usize, prefix: &str, range: &crate::paging::Range) -> String {
    if part == 0 {
        let (condition, order) = range.sql("email", "id", 2);
        return format!(
            "{prefix}SELECT id, email, name, role, chamber_id, active FROM users \
             WHERE chamber_id = $1 AND role <> 'company'{condition}{order}"
        );
    }
    let (condition, order) = range.sql("m.email", "m.user_id", 2);
    format!(
        "{prefix}SELECT u.id, u.email, u.name, u.role, u.chamber_id, u.active \
         FROM chamber_company_users m CROSS JOIN users u \
         WHERE m.chamber_id = $1 AND u.id = m.user_id{condition}{order}"
    )
}

/// One page of the users an administrator manages: their chamber's staff and the company
/// users of the companies that file with it ([`manages`]), by e-mail, read by keyset in SQL
/// (issue 14): never every user of the chamber in memory.
pub async fn managed_users_page(
    db: &Db,
    admin: &Principal,
    request: &crate::paging::Keyset,
) -> Result<crate::paging::Slice<User>, sqlx::Error> {
    let empty = crate::paging::Slice {
        items: Vec::new(),
        previous: None,
        next: None,
    };
    let Some(chamber_id) = admin.user.chamber_id.as_deref() else {
        return Ok(empty);
    };
    if !authz::allows(admin.role(), Action::ManageUsers) {
        return Ok(empty);
    }
    crate::paging::keyset(
        request,
        crate::paging::Order::Ascending,
        2,
        |part, range| async move {
            let sql = managed_sql(part, "", &range);
            range
                .bind(
                    sqlx::query_as::<_, super::user::UserRow>(sqlx::AssertSqlSafe(sql))
                        .bind(chamber_id),
                )
                .fetch_all(db.pool())
                .await
        },
    )
    .await?
    .try_map(User::try_from)
}

/// How many users [`managed_users_page`] lists, read from at most
/// [`crate::paging::COUNT_CAP`] + 1 rows (the administrator's home page).
pub async fn managed_users_count(db: &Db, admin: &Principal) -> Result<u64, sqlx::Error> {
    let Some(chamber_id) = admin.user.chamber_id.as_deref() else {
        return Ok(0);
    };
    if !authz::allows(admin.role(), Action::ManageUsers) {
        return Ok(0);
    }
    let mut total = 0u64;
    for part in 0..2 {
        let left = (crate::paging::COUNT_CAP + 1).saturating_sub(total);
        if left == 0 {
            break;
        }
        let range = crate::paging::Range {
            from: None,
            ascending: true,
            limit: i64::try_from(left).unwrap_or(i64::MAX),
        };
        let sql = crate::paging::capped_count_sql(&managed_sql(part, "", &range), "");
        let (n,): (i64,) = range
            .bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(chamber_id))
            .fetch_one(db.pool())
            .await?;
        total += u64::try_from(n).unwrap_or(0);
    }
    Ok(total)
}

/// The engine's plan of each statement [`managed_users_page`] runs after `from` (the first
/// page without): the staff's range, then the company users'.
pub async fn managed_users_plans(
    db: &Db,
    chamber_id: &str,
    from: Option<&crate::paging::Key>,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let mut plans = Vec::new();
    for part in 0..2 {
        let range = crate::paging::Range {
            from: from.cloned(),
            ascending: true,
            limit: 51,
        };
        let sql = managed_sql(part, crate::paging::explain(db), &range);
        plans.push(
            crate::paging::plan(
                db,
                range.bind(
                    sqlx::query_as::<_, crate::paging::PlanLine>(sqlx::AssertSqlSafe(sql))
                        .bind(chamber_id),
                ),
            )
            .await?,
        );
    }
    Ok(plans)
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
