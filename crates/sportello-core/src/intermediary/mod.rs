//! Intermediaries: customs brokers (spedizionieri doganali), forwarding agents and consultancies
//! that act for many companies under scoped [`mandate`]s (issue 15, item 3: "A broker
//! organisation acts for many companies under scoped mandates").
//!
//! An intermediary has its own record (name, tax code or VAT number, the e-mail address its
//! mandate notices go to) and its people: users with the company role tied to it
//! (`users.intermediary_id`) instead of to companies. What they may do for a client is what an
//! active mandate of that client covers, checked by [`mandate::check`] on the server.

pub mod mandate;

use crate::Ctx;
use crate::accounts::{Role, User, normalise_email, password};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use crate::registry::TaxCode;
use serde::Serialize;
use serde_json::json;

/// An intermediary's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Intermediary {
    pub id: String,
    pub name: String,
    pub tax_code: String,
    pub email: String,
    pub created_at: String,
}

/// The intermediary a user works for, as the principal carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IntermediaryTie {
    pub id: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IntermediaryError {
    #[error("the name is empty")]
    EmptyName,
    #[error("'{0}' is not a valid tax code or VAT number")]
    InvalidTaxCode(String),
    #[error("'{0}' is not a valid e-mail address")]
    InvalidEmail(String),
    #[error("an intermediary with tax code {0} already exists")]
    DuplicateTaxCode(String),
    #[error("a user with e-mail {0} already exists")]
    DuplicateEmail(String),
    #[error("unknown intermediary")]
    Unknown,
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What an administrator types to register an intermediary.
#[derive(Clone, Debug, Default)]
pub struct NewIntermediary {
    pub name: String,
    pub tax_code: String,
    pub email: String,
}

/// Registers an intermediary (administrator command line).
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    new: NewIntermediary,
) -> Result<Intermediary, IntermediaryError> {
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(IntermediaryError::EmptyName);
    }
    let tax_code = TaxCode::parse(&new.tax_code)
        .map_err(|_| IntermediaryError::InvalidTaxCode(new.tax_code.clone()))?
        .as_str()
        .to_string();
    let email =
        normalise_email(&new.email).ok_or_else(|| IntermediaryError::InvalidEmail(new.email))?;
    let now = ctx.clock.now();
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO intermediaries (id, name, tax_code, email, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&name)
    .bind(&tax_code)
    .bind(&email)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => IntermediaryError::DuplicateTaxCode(tax_code.clone()),
        None => e.into(),
    })?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("intermediary.create", "intermediary", Some(&id))
            .after(json!({"name": name, "tax_code": tax_code, "email": email})),
    )
    .await?;
    tx.commit().await?;
    get(&ctx.db, &id).await?.ok_or(IntermediaryError::Unknown)
}

/// What an administrator types to add a person who works for an intermediary.
#[derive(Clone, Debug, Default)]
pub struct NewIntermediaryUser {
    pub email: String,
    pub name: String,
    pub password: String,
}

/// Adds a user who works for the intermediary: a company-role user tied to no company of
/// its own, acting for clients only through their mandates.
pub async fn add_user(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
    new: NewIntermediaryUser,
) -> Result<User, IntermediaryError> {
    let inter = get(&ctx.db, intermediary_id)
        .await?
        .ok_or(IntermediaryError::Unknown)?;
    let email = normalise_email(&new.email)
        .ok_or_else(|| IntermediaryError::InvalidEmail(new.email.clone()))?;
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(IntermediaryError::EmptyName);
    }
    let hash = password::hash(&new.password)?;
    let now = ctx.clock.now();
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, chamber_id, active, \
         failed_logins, created_at, intermediary_id) VALUES ($1, $2, $3, $4, $5, NULL, 1, 0, $6, $7)",
    )
    .bind(&id)
    .bind(&email)
    .bind(&name)
    .bind(&hash)
    .bind(Role::Company.as_str())
    .bind(db::instant(now))
    .bind(&inter.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => IntermediaryError::DuplicateEmail(email.clone()),
        None => e.into(),
    })?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("intermediary.add_user", "user", Some(&id)).after(json!({
            "email": email, "name": name, "intermediary_id": inter.id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(User {
        id,
        email,
        name,
        role: Role::Company,
        chamber_id: None,
        active: true,
    })
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Intermediary>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, tax_code, email, created_at FROM intermediaries WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Every intermediary, by name (the company's mandate form offers them).
pub async fn list(db: &Db) -> Result<Vec<Intermediary>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, tax_code, email, created_at FROM intermediaries ORDER BY name, id",
    )
    .fetch_all(db.pool())
    .await
}

/// The intermediary a user works for, if any.
pub async fn of_user(db: &Db, user_id: &str) -> Result<Option<IntermediaryTie>, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT i.id, i.name FROM users u JOIN intermediaries i ON i.id = u.intermediary_id \
         WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(id, name)| IntermediaryTie { id, name }))
}

/// The name of an intermediary (for "Presentata da … per conto di …").
pub async fn name_of(db: &Db, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM intermediaries WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
}
