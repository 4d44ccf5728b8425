//! Login with a digital identity (SPID, CIE) through a chamber's OpenID Connect broker, and
//! sign-up on the first login (issue 15, items 1 and 2).
//!
//! The protocol (discovery, PKCE, the code exchange, the ID token's signature, audience,
//! expiry and nonce) is the shell's, with a maintained client crate; the core keeps what the
//! browser must not: the [`pending`] logins (state, nonce, PKCE verifier), and decides who
//! the verified claims are. A person is recognised by their tax code, never by e-mail.

mod fiscal_number;
pub mod pending;

pub use crate::accounts::company_users::LinkReason;
pub use fiscal_number::{FiscalNumberError, person_tax_code};

use crate::Ctx;
use crate::accounts::{Role, User, get, normalise_email};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::registry::TaxCode;
use chrono::{DateTime, Utc};
use serde_json::json;

/// What `users.password_hash` holds for an account made by a digital identity: not a PHC
/// string, so no password ever matches it, and password recovery skips the account.
pub const NO_PASSWORD: &str = "!digital-identity";

/// What the shell read from an ID token (and the UserInfo endpoint) it verified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub issuer: String,
    pub subject: String,
    pub fiscal_number: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

impl VerifiedClaims {
    /// The person's name: `name`, else given and family name.
    fn person_name(&self) -> Option<String> {
        let full = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if let Some(full) = full {
            return Some(full.to_string());
        }
        let parts: Vec<&str> = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// Why a verified identity does not sign in. Nothing is created for any of them.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    TaxCode(#[from] FiscalNumberError),
    #[error("the identity provider sent no e-mail address")]
    EmailMissing,
    #[error("the identity provider sent no name")]
    NameMissing,
    /// Another account has the e-mail: never joined by e-mail alone.
    #[error("another account has the e-mail address {0}")]
    EmailTaken(String),
    #[error("account disabled")]
    Disabled,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A company a user acts for, and why.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CompanyLink {
    pub company_id: String,
    pub name: String,
    pub tax_code: String,
    #[sqlx(rename = "reason")]
    reason_stored: Option<String>,
}

impl CompanyLink {
    pub fn reason(&self) -> LinkReason {
        LinkReason::parse(self.reason_stored.as_deref())
    }
}

/// The outcome of a login with a digital identity.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    /// The account was made by this login.
    pub created: bool,
    /// Companies linked by this login (the Registry lists the person as representative).
    pub newly_linked: Vec<String>,
}

/// Signs in the person of verified claims: the account with their tax code, or a new
/// company-user account (name and e-mail from the claims, the e-mail flagged unverified
/// unless the provider says otherwise). Either way the companies whose legal representative
/// the Registry lists them as are linked, so they act for them at once.
pub async fn sign_in(ctx: &Ctx, claims: &VerifiedClaims) -> Result<SignedIn, SignInError> {
    let code = person_tax_code(claims.fiscal_number.as_deref())?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let existing: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT id, active, role FROM users WHERE tax_code = $1 OR tax_code = $2 \
         ORDER BY created_at LIMIT 1",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let (user_id, created, role) = match existing {
        Some((_, 0, _)) => return Err(SignInError::Disabled),
        Some((id, _, role)) => {
            sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
                .bind(&id)
                .bind(db::instant(now))
                .execute(&mut *tx)
                .await?;
            (id, false, Role::parse(&role))
        }
        None => (
            sign_up(&mut tx, now, &code, claims).await?,
            true,
            Some(Role::Company),
        ),
    };
    let user = UserRef::load(&mut tx, &user_id).await?;
    let newly_linked = if role == Some(Role::Company) {
        let mut linked = link_as_representative(&mut tx, now, &user, &code).await?;
        linked.extend(
            crate::accounts::company_users::take_up_invitations(
                &mut tx,
                now,
                &user.actor(),
                &user.id,
                &code,
            )
            .await?,
        );
        linked
    } else {
        Vec::new()
    };
    audit::record(
        &mut tx,
        now,
        &user.actor(),
        Change::new("user.login", "user", Some(&user_id))
            .after(json!({"method": "oidc", "issuer": claims.issuer})),
    )
    .await?;
    tx.commit().await?;
    let user = get(&ctx.db, &user_id).await?.ok_or(SignInError::Disabled)?;
    Ok(SignedIn {
        user,
        created,
        newly_linked,
    })
}

/// The few columns the audit entries of a sign-in need.
struct UserRef {
    id: String,
    email: String,
    chamber_id: Option<String>,
}

impl UserRef {
    async fn load(tx: &mut Tx, id: &str) -> Result<Self, sqlx::Error> {
        let (email, chamber_id): (String, Option<String>) =
            sqlx::query_as("SELECT email, chamber_id FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        Ok(Self {
            id: id.to_string(),
            email,
            chamber_id,
        })
    }

    fn actor(&self) -> Actor {
        Actor::user(&self.id, &self.email, self.chamber_id.as_deref())
    }
}

/// Creates the account of a person seen for the first time; returns its id.
async fn sign_up(
    tx: &mut Tx,
    now: DateTime<Utc>,
    code: &TaxCode,
    claims: &VerifiedClaims,
) -> Result<String, SignInError> {
    let email = claims
        .email
        .as_deref()
        .and_then(normalise_email)
        .ok_or(SignInError::EmailMissing)?;
    let name = claims.person_name().ok_or(SignInError::NameMissing)?;
    let verified = claims.email_verified == Some(true);
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, chamber_id, active, \
         failed_logins, created_at, last_login_at, tax_code, email_verified) \
         VALUES ($1, $2, $3, $4, $5, NULL, 1, 0, $6, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&email)
    .bind(&name)
    .bind(NO_PASSWORD)
    .bind(Role::Company.as_str())
    .bind(db::instant(now))
    .bind(code.as_str())
    .bind(i64::from(verified))
    .execute(&mut **tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => SignInError::EmailTaken(email.clone()),
        None => e.into(),
    })?;
    audit::record(
        tx,
        now,
        &Actor::user(&id, &email, None),
        Change::new("user.sign_up", "user", Some(&id)).after(json!({
            "email": email, "name": name, "role": Role::Company.as_str(),
            "tax_code": code.as_str(), "email_verified": verified,
            "issuer": claims.issuer,
        })),
    )
    .await?;
    Ok(id)
}

/// Links the user to every active company whose legal representative the Registry lists
/// them as (`company_representatives`, from the import's `rappresentanti`), with that reason;
/// returns the companies linked now. Links already there stay as they are.
async fn link_as_representative(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user: &UserRef,
    code: &TaxCode,
) -> Result<Vec<String>, sqlx::Error> {
    let companies: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT c.id, c.tax_code FROM company_representatives r \
         JOIN companies c ON c.id = r.company_id \
         WHERE (r.tax_code = $1 OR r.tax_code = $2) AND c.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM user_companies uc \
                         WHERE uc.user_id = $3 AND uc.company_id = c.id) \
         ORDER BY c.id",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .bind(&user.id)
    .fetch_all(&mut **tx)
    .await?;
    for (company_id, company_tax_code) in &companies {
        sqlx::query(
            "INSERT INTO user_companies (user_id, company_id, reason, linked_at) \
             VALUES ($1, $2, 'representative', $3)",
        )
        .bind(&user.id)
        .bind(company_id)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
        audit::record(
            tx,
            now,
            &user.actor(),
            Change::new("user.company_link", "user", Some(&user.id)).after(json!({
                "company_id": company_id, "company_tax_code": company_tax_code,
                "reason": "representative",
            })),
        )
        .await?;
    }
    Ok(companies.into_iter().map(|(id, _)| id).collect())
}

/// The companies a user acts for, with why, by name.
pub async fn company_links(db: &Db, user_id: &str) -> Result<Vec<CompanyLink>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id AS company_id, c.name, c.tax_code, uc.reason FROM user_companies uc \
         JOIN companies c ON c.id = uc.company_id WHERE uc.user_id = $1 ORDER BY c.name, c.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await
}

/// Whether the account has a password (else it signs in only with its digital identity).
pub async fn has_password(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(hash.is_some_and(|h| h != NO_PASSWORD))
}

/// What the welcome page says of an account: its tax code and whether its e-mail is known
/// to be the person's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub tax_code: Option<String>,
    pub email_verified: bool,
}

pub async fn profile(db: &Db, user_id: &str) -> Result<Profile, sqlx::Error> {
    let row: Option<(Option<String>, i64)> =
        sqlx::query_as("SELECT tax_code, email_verified FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    let (tax_code, verified) = row.unwrap_or((None, 0));
    Ok(Profile {
        tax_code,
        email_verified: verified != 0,
    })
}
