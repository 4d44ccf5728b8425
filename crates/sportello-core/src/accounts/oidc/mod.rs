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
use crate::accounts::identity;
use crate::db::Db;

pub use super::identity::{NO_PASSWORD, SignedIn};

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

impl From<identity::SignInError> for SignInError {
    fn from(e: identity::SignInError) -> Self {
        match e {
            identity::SignInError::EmailMissing => Self::EmailMissing,
            identity::SignInError::NameMissing => Self::NameMissing,
            identity::SignInError::EmailTaken(email) => Self::EmailTaken(email),
            identity::SignInError::Disabled => Self::Disabled,
            identity::SignInError::Db(e) => Self::Db(e),
        }
    }
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

/// Signs in the person of verified claims by their tax code (`fiscal_number`), through the
/// sign-in every digital identity shares ([`identity::sign_in`]).
pub async fn sign_in(ctx: &Ctx, claims: &VerifiedClaims) -> Result<SignedIn, SignInError> {
    let tax_code = person_tax_code(claims.fiscal_number.as_deref())?;
    let person = identity::Identity {
        tax_code,
        name: claims.person_name(),
        email: claims.email.clone(),
        email_verified: claims.email_verified == Some(true),
        method: identity::Method::Oidc {
            issuer: claims.issuer.clone(),
        },
    };
    Ok(identity::sign_in(ctx, &person).await?)
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
