//! Users: creation with the rules of each role, lookup, login with lock-out.

use crate::Ctx;
use crate::accounts::Principal;
use crate::accounts::password::{self, PasswordError};
use crate::accounts::role::Role;
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub chamber_id: Option<String>,
    pub active: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub chamber_id: Option<String>,
    pub active: i64,
}

impl TryFrom<UserRow> for User {
    type Error = sqlx::Error;
    fn try_from(r: UserRow) -> Result<Self, sqlx::Error> {
        Ok(User {
            role: Role::parse(&r.role)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown role '{}'", r.role).into()))?,
            id: r.id,
            email: r.email,
            name: r.name,
            chamber_id: r.chamber_id,
            active: r.active != 0,
        })
    }
}

/// A `SELECT` of the user columns followed by the rest of the statement.
macro_rules! select_users {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, name, role, chamber_id, active FROM users ",
            $rest
        )
    };
}

/// What is needed to create a user. Desk and company ids must already be resolved (and
/// checked to exist) by the caller.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    pub chamber_id: Option<String>,
    pub desk_ids: Vec<String>,
    pub company_ids: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("'{0}' is not a valid e-mail address")]
    InvalidEmail(String),
    #[error("the name must not be empty")]
    EmptyName,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("a user with e-mail {0} already exists")]
    DuplicateEmail(String),
    #[error("the role {0} requires a chamber")]
    ChamberRequired(Role),
    #[error("'{0}' is not a role a chamber administrator may give")]
    RoleNotAssignable(String),
    #[error("a company user is not tied to a chamber")]
    ChamberNotAllowed,
    #[error("an officer needs at least one desk of their chamber")]
    DeskRequired,
    #[error("desk {0} does not belong to the user's chamber")]
    DeskOfAnotherChamber(String),
    #[error("only officers are linked to desks")]
    DesksNotAllowed,
    #[error("a company user needs at least one company")]
    CompanyRequired,
    #[error("only company users are linked to companies")]
    CompaniesNotAllowed,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Normalises and checks an e-mail address (lowercase; one `@`; a dot in the domain).
pub fn normalise_email(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

/// Creates a user, enforcing what each role needs.
pub async fn create_user(ctx: &Ctx, actor: &Actor, new: NewUser) -> Result<User, CreateUserError> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let user = insert_user(&mut tx, now, actor, new).await?;
    tx.commit().await?;
    Ok(user)
}

/// What a chamber administrator types to add a member of staff to their own chamber.
#[derive(Clone, Debug, Default)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: String,
    pub desk_ids: Vec<String>,
}

/// A chamber administrator adds a member of staff: to their own chamber only, with a role
/// they may give (company users come with their company, not from here) and, for an
/// officer, desks of that chamber — desk ids from the client are checked, not trusted.
pub async fn add_staff(
    ctx: &Ctx,
    admin: &Principal,
    new: NewStaff,
) -> Result<User, CreateUserError> {
    let chamber_id = crate::authz::chamber_of(admin)
        .map_err(|_| CreateUserError::ChamberRequired(admin.role()))?
        .to_string();
    let role = Role::parse(&new.role)
        .filter(|r| Role::assignable_by_chamber_admin().contains(r))
        .ok_or_else(|| CreateUserError::RoleNotAssignable(new.role.clone()))?;
    create_user(
        ctx,
        &admin.actor(),
        NewUser {
            email: new.email,
            name: new.name,
            password: new.password,
            role,
            chamber_id: Some(chamber_id),
            desk_ids: if role == Role::Officer {
                new.desk_ids
            } else {
                Vec::new()
            },
            company_ids: Vec::new(),
        },
    )
    .await
}

async fn insert_user(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    new: NewUser,
) -> Result<User, CreateUserError> {
    let email = normalise_email(&new.email)
        .ok_or_else(|| CreateUserError::InvalidEmail(new.email.clone()))?;
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(CreateUserError::EmptyName);
    }
    match (new.role.needs_chamber(), &new.chamber_id) {
        (true, None) => return Err(CreateUserError::ChamberRequired(new.role)),
        (false, Some(_)) => return Err(CreateUserError::ChamberNotAllowed),
        _ => {}
    }
    if new.role == Role::Officer {
        if new.desk_ids.is_empty() {
            return Err(CreateUserError::DeskRequired);
        }
        for desk_id in &new.desk_ids {
            let chamber: Option<String> =
                sqlx::query_scalar("SELECT chamber_id FROM desks WHERE id = $1")
                    .bind(desk_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            if chamber.as_ref() != new.chamber_id.as_ref() {
                return Err(CreateUserError::DeskOfAnotherChamber(desk_id.clone()));
            }
        }
    } else if !new.desk_ids.is_empty() {
        return Err(CreateUserError::DesksNotAllowed);
    }
    if new.role == Role::Company {
        if new.company_ids.is_empty() {
            return Err(CreateUserError::CompanyRequired);
        }
    } else if !new.company_ids.is_empty() {
        return Err(CreateUserError::CompaniesNotAllowed);
    }
    let password_hash = password::hash(&new.password)?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, chamber_id, active, \
         failed_logins, created_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $7)",
    )
    .bind(&id)
    .bind(&email)
    .bind(&name)
    .bind(&password_hash)
    .bind(new.role.as_str())
    .bind(&new.chamber_id)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => CreateUserError::DuplicateEmail(email.clone()),
        None => e.into(),
    })?;
    for desk_id in &new.desk_ids {
        sqlx::query("INSERT INTO user_desks (user_id, desk_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(desk_id)
            .execute(&mut **tx)
            .await?;
    }
    for company_id in &new.company_ids {
        sqlx::query("INSERT INTO user_companies (user_id, company_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(company_id)
            .execute(&mut **tx)
            .await?;
    }
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(new.chamber_id.as_deref()),
        Change::new("user.create", "user", Some(&id)).after(json!({
            "email": email, "name": name, "role": new.role.as_str(),
            "chamber_id": new.chamber_id, "desk_ids": new.desk_ids, "company_ids": new.company_ids,
        })),
    )
    .await?;
    Ok(User {
        id,
        email,
        name,
        role: new.role,
        chamber_id: new.chamber_id,
        active: true,
    })
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    let Some(email) = normalise_email(email) else {
        return Ok(None);
    };
    sqlx::query_as::<_, UserRow>(select_users!("WHERE email = $1"))
        .bind(email)
        .fetch_optional(db.pool())
        .await?
        .map(User::try_from)
        .transpose()
}

pub async fn get(db: &Db, id: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, UserRow>(select_users!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(User::try_from)
        .transpose()
}

/// Users of one chamber (or the company users linked to companies), for the admin page.
pub async fn list_in_chamber(db: &Db, chamber_id: &str) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as::<_, UserRow>(select_users!("WHERE chamber_id = $1 ORDER BY role, email"))
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(User::try_from)
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong e-mail or password; never says which.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("account locked until {until}")]
    Locked { until: DateTime<Utc> },
    #[error("account disabled")]
    Disabled,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: String,
    password_hash: String,
    active: i64,
    failed_logins: i64,
    locked_until: Option<String>,
    chamber_id: Option<String>,
    email: String,
}

/// Checks e-mail and password. After [`MAX_FAILED_LOGINS`] failures in a row the account is
/// locked for [`LOCK_MINUTES`]; the lock and every failure are in the audit trail.
pub async fn authenticate(
    db: &Db,
    now: DateTime<Utc>,
    email: &str,
    password_attempt: &str,
) -> Result<User, LoginError> {
    let Some(email) = normalise_email(email) else {
        password::verify(password_attempt, password::decoy_hash());
        return Err(LoginError::InvalidCredentials);
    };
    let row: Option<LoginRow> = sqlx::query_as(
        "SELECT id, password_hash, active, failed_logins, locked_until, chamber_id, email \
         FROM users WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        password::verify(password_attempt, password::decoy_hash());
        return Err(LoginError::InvalidCredentials);
    };
    if let Some(until) = row
        .locked_until
        .as_deref()
        .map(db::parse_instant)
        .transpose()?
        && until > now
    {
        return Err(LoginError::Locked { until });
    }
    let ok = password::verify(password_attempt, &row.password_hash);
    let actor = Actor::user(&row.id, &row.email, row.chamber_id.as_deref());
    let mut tx = db.begin().await?;
    if !ok {
        let failed = row.failed_logins + 1;
        let lock =
            (failed >= MAX_FAILED_LOGINS).then(|| now + chrono::Duration::minutes(LOCK_MINUTES));
        sqlx::query("UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1")
            .bind(&row.id)
            .bind(if lock.is_some() { 0 } else { failed })
            .bind(lock.map(db::instant))
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            now,
            &actor,
            Change::new(
                if lock.is_some() {
                    "user.locked"
                } else {
                    "user.login_failed"
                },
                "user",
                Some(&row.id),
            )
            .after(json!({"failed_logins": failed})),
        )
        .await?;
        tx.commit().await?;
        return Err(match lock {
            Some(until) => LoginError::Locked { until },
            None => LoginError::InvalidCredentials,
        });
    }
    if row.active == 0 {
        tx.rollback().await?;
        return Err(LoginError::Disabled);
    }
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1",
    )
    .bind(&row.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("user.login", "user", Some(&row.id)),
    )
    .await?;
    tx.commit().await?;
    get(db, &row.id)
        .await?
        .ok_or(LoginError::InvalidCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email(" Mario.Rossi@Example.IT ").as_deref(),
            Some("mario.rossi@example.it")
        );
        assert_eq!(normalise_email("no-at-sign"), None);
        assert_eq!(normalise_email("a@b"), None);
        assert_eq!(normalise_email("a b@c.it"), None);
    }
}
