//! Sign-in and sign-up with a digital identity, whatever proved it: SPID or CIE through the
//! chamber's OpenID Connect broker ([`super::oidc`]) or the smart card (CNS) presented to the
//! TLS proxy ([`super::cns`]) (issue 15, items 1 and 2).
//!
//! Both end here with a verified personal tax code: the account with that tax code signs in,
//! or a company-user account is made for the person seen for the first time. Either way the
//! companies the Registry lists the person as legal representative of are linked (Cert'O
//! guide, prerequisites), so they act for them at once. A person is recognised by their tax
//! code, never by e-mail.

use crate::Ctx;
use crate::accounts::{Role, User, get, normalise_email};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Tx};
use crate::registry::TaxCode;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// What `users.password_hash` holds for an account made by a digital identity: not a PHC
/// string, so no password ever matches it, and password recovery skips the account.
pub const NO_PASSWORD: &str = "!digital-identity";

/// How the person proved who they are; named in the audit entries of the login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// SPID or CIE through the OpenID Connect provider `issuer`.
    Oidc { issuer: String },
    /// The smart card (CNS): its authentication certificate, by issuer and serial.
    Cns { issuer: String, serial: String },
}

impl Method {
    /// The fields of the audit entries that say how the person came in.
    fn audit_fields(&self) -> Map<String, Value> {
        let value = match self {
            Self::Oidc { issuer } => json!({"method": "oidc", "issuer": issuer}),
            Self::Cns { issuer, serial } => {
                json!({"method": "CNS", "certificate_issuer": issuer, "certificate_serial": serial})
            }
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// A person whose digital identity was verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub tax_code: TaxCode,
    /// Name and surname, as the identity states them.
    pub name: Option<String>,
    pub email: Option<String>,
    /// The identity vouches for the e-mail address.
    pub email_verified: bool,
    pub method: Method,
}

/// Why a verified identity does not sign in. Nothing is created for any of them.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the identity gives no e-mail address")]
    EmailMissing,
    #[error("the identity gives no name")]
    NameMissing,
    /// Another account has the e-mail: never joined by e-mail alone.
    #[error("another account has the e-mail address {0}")]
    EmailTaken(String),
    #[error("account disabled")]
    Disabled,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
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

/// Signs in the person of `identity`: the account with their tax code, or a new
/// company-user account (name and e-mail from the identity, the e-mail flagged unverified
/// unless the identity vouches for it). Either way the companies whose legal representative
/// the Registry lists them as are linked. The login is audited with its method.
pub async fn sign_in(ctx: &Ctx, identity: &Identity) -> Result<SignedIn, SignInError> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let (user_id, created, newly_linked) = enter(&mut tx, now, identity, true).await?;
    tx.commit().await?;
    let user = get(&ctx.db, &user_id).await?.ok_or(SignInError::Disabled)?;
    Ok(SignedIn {
        user,
        created,
        newly_linked,
    })
}

/// [`sign_in`] inside the caller's transaction, without the login: the account is found or
/// made and its companies linked, but no login is recorded (the CNS sign-up confirmed by an
/// e-mail link makes the account; the person then logs in with the card). Returns the user's
/// id, whether it was made now, and the companies linked now.
pub async fn enrol_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    identity: &Identity,
) -> Result<(String, bool, Vec<String>), SignInError> {
    enter(tx, now, identity, false).await
}

async fn enter(
    tx: &mut Tx,
    now: DateTime<Utc>,
    identity: &Identity,
    login: bool,
) -> Result<(String, bool, Vec<String>), SignInError> {
    let code = &identity.tax_code;
    let existing: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT id, active, role FROM users WHERE tax_code = $1 OR tax_code = $2 \
         ORDER BY created_at LIMIT 1",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let (user_id, created, role) = match existing {
        Some((_, 0, _)) => return Err(SignInError::Disabled),
        Some((id, _, role)) => {
            if login {
                sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
                    .bind(&id)
                    .bind(db::instant(now))
                    .execute(&mut **tx)
                    .await?;
            }
            (id, false, Role::parse(&role))
        }
        None => (sign_up(tx, now, identity).await?, true, Some(Role::Company)),
    };
    let user = UserRef::load(tx, &user_id).await?;
    let newly_linked = if role == Some(Role::Company) {
        let mut linked = link_as_representative(tx, now, &user, code).await?;
        linked.extend(
            crate::accounts::company_users::take_up_invitations(
                tx,
                now,
                &user.actor(),
                &user.id,
                code,
            )
            .await?,
        );
        // Issue 15, item 3: a person the office added to an intermediary by tax code.
        crate::intermediary::register::take_up_invitations(tx, now, &user.actor(), &user.id, code)
            .await?;
        linked
    } else {
        Vec::new()
    };
    if login {
        audit::record(
            tx,
            now,
            &user.actor(),
            Change::new("user.login", "user", Some(&user_id))
                .after(Value::Object(identity.method.audit_fields())),
        )
        .await?;
    }
    Ok((user_id, created, newly_linked))
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
    identity: &Identity,
) -> Result<String, SignInError> {
    let email = identity
        .email
        .as_deref()
        .and_then(normalise_email)
        .ok_or(SignInError::EmailMissing)?;
    let name = identity
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or(SignInError::NameMissing)?
        .to_string();
    let code = &identity.tax_code;
    let verified = identity.email_verified;
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
    let mut after = identity.method.audit_fields();
    for (key, value) in [
        ("email", json!(email)),
        ("name", json!(name)),
        ("role", json!(Role::Company.as_str())),
        ("tax_code", json!(code.as_str())),
        ("email_verified", json!(verified)),
    ] {
        after.insert(key.to_string(), value);
    }
    audit::record(
        tx,
        now,
        &Actor::user(&id, &email, None),
        Change::new("user.sign_up", "user", Some(&id)).after(Value::Object(after)),
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
        super::managed_users::refresh_user(tx, &user.id, Some(company_id)).await?;
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
