//! Users: creation with the rules of each role, lookup, login with lock-out.

use crate::Ctx;
use crate::accounts::Principal;
use crate::accounts::password::{self, PasswordError};
use crate::accounts::role::Role;
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::i18n::Lang;
use crate::notify::{self, OutgoingEmail};
use crate::registry::TaxCode;
use crate::throttle::{self, Scope};
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
    /// The person's tax code, unique among users; with it a signature by this user on a base
    /// model of their company is recognised as theirs (`signer_checks`).
    pub tax_code: Option<TaxCode>,
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
    #[error("{0} is not a person's tax code")]
    TaxCodeNotPersonal(String),
    #[error("a user with tax code {0} already exists")]
    DuplicateTaxCode(String),
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
            tax_code: None,
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
    let tax_code = new.tax_code.as_ref().map(|t| t.as_str().to_string());
    if let Some(code) = &new.tax_code
        && !code.is_personal()
    {
        return Err(CreateUserError::TaxCodeNotPersonal(
            code.as_str().to_string(),
        ));
    }
    let password_hash = password::hash(&new.password)?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, chamber_id, active, \
         failed_logins, created_at, tax_code) VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $7, $8)",
    )
    .bind(&id)
    .bind(&email)
    .bind(&name)
    .bind(&password_hash)
    .bind(new.role.as_str())
    .bind(&new.chamber_id)
    .bind(db::instant(now))
    .bind(&tax_code)
    .execute(&mut **tx)
    .await
    .map_err(|e| match (db::unique_violation(&e), &tax_code) {
        (Some(c), Some(code)) if c.contains("tax_code") => {
            CreateUserError::DuplicateTaxCode(code.clone())
        }
        (Some(_), _) => CreateUserError::DuplicateEmail(email.clone()),
        (None, _) => e.into(),
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
    if !new.company_ids.is_empty() {
        super::managed_users::refresh_user(tx, &id, None).await?;
    }
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(new.chamber_id.as_deref()),
        Change::new("user.create", "user", Some(&id)).after(json!({
            "email": email, "name": name, "role": new.role.as_str(),
            "chamber_id": new.chamber_id, "desk_ids": new.desk_ids, "company_ids": new.company_ids,
            "tax_code": tax_code,
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
    /// Wrong e-mail or password, or an account locked after too many failures: the same
    /// answer for the three, so that it never tells whether an account exists (the owner of
    /// a locked account is told by e-mail).
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// Too many failed logins from this client address.
    #[error("too many failed logins from this address")]
    TooManyAttempts,
    /// The right password of a disabled account.
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
    locked_until: Option<String>,
    chamber_id: Option<String>,
    email: String,
}

/// Checks e-mail and password for a login from `client` (the client's address as the web
/// shell sees it through the trusted proxies).
///
/// In front of Argon2, two throttles shared by every instance ([`throttle`]): one per
/// e-mail typed (an account or not) and one per client address; an attempt beyond them runs
/// no hash at all. Past them, exactly one Argon2 verification runs on the bounded hashing
/// pool, against the account's hash or a decoy, so an unknown e-mail, a wrong password and
/// a locked account cost the same and answer the same ([`LoginError::InvalidCredentials`]).
///
/// A wrong password of an account counts one failure with an atomic increment whose result
/// decides the lock in the same transaction: after [`MAX_FAILED_LOGINS`] failures in a row
/// the account is locked for [`LOCK_MINUTES`], once, with an audit entry and a notice to the
/// account's e-mail.
pub async fn authenticate(
    ctx: &Ctx,
    client: &str,
    email: &str,
    password_attempt: &str,
) -> Result<User, LoginError> {
    let db = &ctx.db;
    let now = ctx.clock.now();
    let typed = normalise_email(email).unwrap_or_else(|| email.trim().to_lowercase());
    let account_key = crate::accounts::session::token_hash(&typed);
    // An address over its limit is refused before it can count against any account.
    if !throttle::take(db, now, Scope::LoginAddress, client).await? {
        return Err(LoginError::TooManyAttempts);
    }
    if !throttle::take(db, now, Scope::LoginAccount, &account_key).await? {
        return Err(LoginError::InvalidCredentials);
    }
    let row: Option<LoginRow> = match normalise_email(email) {
        Some(email) => {
            sqlx::query_as(
                "SELECT id, password_hash, active, locked_until, chamber_id, email \
                 FROM users WHERE email = $1",
            )
            .bind(&email)
            .fetch_optional(db.pool())
            .await?
        }
        None => None,
    };
    ctx.metrics.password_check();
    let Some(row) = row else {
        password::verify_decoy_pooled(password_attempt).await;
        return Err(LoginError::InvalidCredentials);
    };
    let ok = password::verify_pooled(password_attempt, &row.password_hash).await;
    let locked = row
        .locked_until
        .as_deref()
        .map(db::parse_instant)
        .transpose()?
        .is_some_and(|until| until > now);
    if locked {
        return Err(LoginError::InvalidCredentials);
    }
    let actor = Actor::user(&row.id, &row.email, row.chamber_id.as_deref());
    if !ok {
        record_failure(ctx, &row, &actor).await?;
        return Err(LoginError::InvalidCredentials);
    }
    if row.active == 0 {
        return Err(LoginError::Disabled);
    }
    let mut tx = db.begin().await?;
    // A lock taken meanwhile by parallel failures wins over this attempt.
    let done = sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 \
         WHERE id = $1 AND active = 1 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(&row.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        tx.rollback().await?;
        return Err(LoginError::InvalidCredentials);
    }
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("user.login", "user", Some(&row.id)),
    )
    .await?;
    tx.commit().await?;
    throttle::clear(db, Scope::LoginAccount, &account_key).await?;
    throttle::give_back(db, Scope::LoginAddress, client).await?;
    get(db, &row.id)
        .await?
        .ok_or(LoginError::InvalidCredentials)
}

/// Counts a failed login of an account and locks it when that count reaches
/// [`MAX_FAILED_LOGINS`]: the count comes from the atomic increment, and the lock is decided
/// from it in the same transaction, so parallel failures cannot skip the lock.
async fn record_failure(ctx: &Ctx, row: &LoginRow, actor: &Actor) -> Result<(), sqlx::Error> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let failed: i64 = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(&row.id)
    .fetch_one(&mut *tx)
    .await?;
    let lock = lock_after(failed).then(|| now + chrono::Duration::minutes(LOCK_MINUTES));
    if let Some(until) = lock {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $2 WHERE id = $1")
            .bind(&row.id)
            .bind(db::instant(until))
            .execute(&mut *tx)
            .await?;
        notify::queue(&mut tx, now, lockout_notice(&row.email, until)).await?;
    }
    audit::record(
        &mut tx,
        now,
        actor,
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
    tx.commit().await
}

/// Whether this many failed logins in a row lock the account.
fn lock_after(failed: i64) -> bool {
    failed >= MAX_FAILED_LOGINS
}

/// The e-mail that tells an account's owner it was locked, Italian first, English second:
/// the login page says nothing that would tell a stranger the account exists.
fn lockout_notice(to: &str, until: DateTime<Utc>) -> OutgoingEmail {
    let args = [
        ("until", crate::display::date_time(until)),
        ("minutes", LOCK_MINUTES.to_string()),
        ("failures", MAX_FAILED_LOGINS.to_string()),
    ];
    let (it, en) = (Lang::It, Lang::En);
    OutgoingEmail {
        to: to.to_string(),
        subject: format!(
            "{} / {}",
            it.t("login-lock-mail-subject"),
            en.t("login-lock-mail-subject")
        ),
        body_text: format!(
            "{}\n\n---\n\n{}",
            it.t_args("login-lock-mail-body", &args),
            en.t_args("login-lock-mail-body", &args)
        ),
        chamber_id: None,
        attachments: Vec::new(),
    }
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

    #[test]
    fn an_account_locks_after_five_failed_logins_in_a_row() {
        assert!(!lock_after(MAX_FAILED_LOGINS - 1));
        assert!(lock_after(MAX_FAILED_LOGINS));
        assert_eq!(MAX_FAILED_LOGINS, 5);
    }
}
