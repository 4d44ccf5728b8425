//! Intermediaries: customs brokers (spedizionieri doganali), forwarding agents and consultancies
//! that act for many companies under scoped [`mandate`]s (issue 15, item 3: "A broker
//! organisation acts for many companies under scoped mandates").
//!
//! An intermediary has its own record (name, tax code or VAT number, the e-mail address its
//! mandate notices go to) and its people: users with the company role tied to it
//! (`users.intermediary_id`) instead of to companies. What they may do for a client is what an
//! active mandate of that client covers, checked by [`mandate::check`] on the server.

pub mod mandate;
pub mod register;

use crate::Ctx;
use crate::accounts::{Role, User, normalise_email, password};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use crate::registry::{TaxCode, TaxCodeError};
use serde::Serialize;
use serde_json::json;

/// What kind of intermediary a record is: the trades that prepare export documents for their
/// clients (issue 15, item 3: "customs brokers and other intermediaries").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntermediaryKind {
    /// Spedizioniere doganale.
    CustomsBroker,
    /// Spedizioniere, casa di spedizioni.
    FreightForwarder,
    /// Associazione di categoria.
    TradeAssociation,
    /// Studio di consulenza.
    Consultancy,
}

impl IntermediaryKind {
    pub const ALL: [IntermediaryKind; 4] = [
        IntermediaryKind::CustomsBroker,
        IntermediaryKind::FreightForwarder,
        IntermediaryKind::TradeAssociation,
        IntermediaryKind::Consultancy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntermediaryKind::CustomsBroker => "customs_broker",
            IntermediaryKind::FreightForwarder => "freight_forwarder",
            IntermediaryKind::TradeAssociation => "trade_association",
            IntermediaryKind::Consultancy => "consultancy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            IntermediaryKind::CustomsBroker => "intermediary-kind-customs-broker",
            IntermediaryKind::FreightForwarder => "intermediary-kind-freight-forwarder",
            IntermediaryKind::TradeAssociation => "intermediary-kind-trade-association",
            IntermediaryKind::Consultancy => "intermediary-kind-consultancy",
        }
    }
}

/// An intermediary's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Intermediary {
    pub id: String,
    pub name: String,
    pub tax_code: String,
    pub email: String,
    pub kind: IntermediaryKind,
    /// When the office suspended it; while suspended its users act for no client.
    pub suspended_at: Option<String>,
    pub created_at: String,
}

impl Intermediary {
    pub fn suspended(&self) -> bool {
        self.suspended_at.is_some()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    tax_code: String,
    email: String,
    kind: String,
    suspended_at: Option<String>,
    created_at: String,
}

impl From<Row> for Intermediary {
    fn from(r: Row) -> Self {
        Intermediary {
            // Rows older than the column read as customs brokers, the column's default.
            kind: IntermediaryKind::parse(&r.kind).unwrap_or(IntermediaryKind::CustomsBroker),
            id: r.id,
            name: r.name,
            tax_code: r.tax_code,
            email: r.email,
            suspended_at: r.suspended_at,
            created_at: r.created_at,
        }
    }
}

const SELECT: &str =
    "SELECT id, name, tax_code, email, kind, suspended_at, created_at FROM intermediaries";

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
    #[error("the name is too long")]
    NameTooLong,
    #[error("'{input}' is not a valid tax code or VAT number: {reason}")]
    InvalidTaxCode { input: String, reason: TaxCodeError },
    #[error("'{0}' is not a valid e-mail address")]
    InvalidEmail(String),
    #[error("'{0}' is not a kind of intermediary")]
    InvalidKind(String),
    #[error("an intermediary with tax code {0} already exists")]
    DuplicateTaxCode(String),
    #[error("a user with e-mail {0} already exists")]
    DuplicateEmail(String),
    /// A person is added by their own tax code (16 characters), not a company's.
    #[error("{0} is not a person's tax code")]
    NotPersonalTaxCode(String),
    /// The account with that tax code is staff, or disabled.
    #[error("the account with this tax code cannot work for an intermediary")]
    NotCompanyAccount,
    /// The person already works for another intermediary.
    #[error("the person already works for {0}")]
    OtherIntermediary(String),
    #[error("unknown intermediary")]
    Unknown,
    /// A user or invitation that is not this intermediary's.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl IntermediaryError {
    /// The problem with what was typed, named by its field, for pages and the API alike;
    /// `None` for what is not the person's input.
    pub fn field_error(&self) -> Option<crate::validation::FieldError> {
        use crate::validation::FieldError;
        Some(match self {
            IntermediaryError::EmptyName => FieldError::new("name", "intermediary-field-name"),
            IntermediaryError::NameTooLong => {
                FieldError::new("name", "intermediary-field-name-long")
            }
            IntermediaryError::InvalidTaxCode { reason, .. } => FieldError::new(
                "tax_code",
                match reason {
                    TaxCodeError::Length { .. } => "intermediary-field-tax-code-length",
                    TaxCodeError::CheckCharacter | TaxCodeError::CheckDigit => {
                        "intermediary-field-tax-code-check"
                    }
                    _ => "intermediary-field-tax-code-format",
                },
            ),
            IntermediaryError::DuplicateTaxCode(_) => {
                FieldError::new("tax_code", "intermediary-field-tax-code-taken")
            }
            IntermediaryError::InvalidEmail(_) | IntermediaryError::DuplicateEmail(_) => {
                FieldError::new("email", "intermediary-field-email")
            }
            IntermediaryError::InvalidKind(_) => FieldError::new("kind", "intermediary-field-kind"),
            IntermediaryError::NotPersonalTaxCode(_) => {
                FieldError::new("tax_code", "intermediary-field-person-tax-code")
            }
            IntermediaryError::NotCompanyAccount => {
                FieldError::new("tax_code", "intermediary-field-not-company-account")
            }
            IntermediaryError::OtherIntermediary(name) => {
                FieldError::new("tax_code", "intermediary-field-other-intermediary")
                    .arg("intermediary", name)
            }
            IntermediaryError::Unknown
            | IntermediaryError::NotFound
            | IntermediaryError::Password(_)
            | IntermediaryError::Db(_) => return None,
        })
    }
}

/// What an administrator types to register an intermediary.
#[derive(Clone, Debug, Default)]
pub struct NewIntermediary {
    pub name: String,
    pub tax_code: String,
    pub email: String,
    /// `customs_broker` when left empty.
    pub kind: String,
}

const MAX_NAME: usize = 200;

/// A registration, checked: the name, the tax code or VAT number with its check digit (the
/// tax-code rules), the e-mail address and the kind.
struct Checked {
    name: String,
    tax_code: String,
    email: String,
    kind: IntermediaryKind,
}

fn check(new: &NewIntermediary) -> Result<Checked, IntermediaryError> {
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(IntermediaryError::EmptyName);
    }
    if name.chars().count() > MAX_NAME {
        return Err(IntermediaryError::NameTooLong);
    }
    let tax_code = TaxCode::parse(&new.tax_code)
        .map_err(|reason| IntermediaryError::InvalidTaxCode {
            input: new.tax_code.clone(),
            reason,
        })?
        .as_str()
        .to_string();
    let email = normalise_email(&new.email)
        .ok_or_else(|| IntermediaryError::InvalidEmail(new.email.clone()))?;
    let kind = if new.kind.trim().is_empty() {
        IntermediaryKind::CustomsBroker
    } else {
        IntermediaryKind::parse(&new.kind)
            .ok_or_else(|| IntermediaryError::InvalidKind(new.kind.clone()))?
    };
    Ok(Checked {
        name,
        tax_code,
        email,
        kind,
    })
}

/// Registers an intermediary, from the office's page, the API or the command line. The same
/// registration sent twice (a double click) answers the record made by the first, with no
/// second entry; another intermediary with that tax code is refused.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    new: NewIntermediary,
) -> Result<Intermediary, IntermediaryError> {
    let c = check(&new)?;
    let now = ctx.clock.now();
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO intermediaries (id, name, tax_code, email, kind, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&c.name)
    .bind(&c.tax_code)
    .bind(&c.email)
    .bind(c.kind.as_str())
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        drop(tx);
        if db::unique_violation(&e).is_none() {
            return Err(e.into());
        }
        return match by_tax_code(&ctx.db, &c.tax_code).await? {
            Some(same) if same.name == c.name && same.email == c.email && same.kind == c.kind => {
                Ok(same)
            }
            _ => Err(IntermediaryError::DuplicateTaxCode(c.tax_code)),
        };
    }
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("intermediary.create", "intermediary", Some(&id)).after(json!({
            "name": c.name, "tax_code": c.tax_code, "email": c.email, "kind": c.kind.as_str(),
        })),
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
    Ok(
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .map(Intermediary::from),
    )
}

/// The intermediary with this tax code or VAT number, as stored.
pub async fn by_tax_code(db: &Db, tax_code: &str) -> Result<Option<Intermediary>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE tax_code = $1")))
            .bind(tax_code)
            .fetch_optional(db.pool())
            .await?
            .map(Intermediary::from),
    )
}

/// The intermediaries a company may give a mandate to, by name: the suspended ones are left
/// out.
pub async fn list(db: &Db) -> Result<Vec<Intermediary>, sqlx::Error> {
    Ok(sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE suspended_at IS NULL ORDER BY name, id"
    )))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Intermediary::from)
    .collect())
}

/// Every intermediary, suspended or not, by name (the office's register, the command line).
pub async fn list_all(db: &Db) -> Result<Vec<Intermediary>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY name, id")))
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .map(Intermediary::from)
            .collect(),
    )
}

/// The intermediary a user works for, if any. A suspended intermediary is none: its users
/// act for no client while the office keeps it suspended (its mandates stay recorded).
pub async fn of_user(db: &Db, user_id: &str) -> Result<Option<IntermediaryTie>, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT i.id, i.name FROM users u JOIN intermediaries i ON i.id = u.intermediary_id \
         WHERE u.id = $1 AND i.suspended_at IS NULL",
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
