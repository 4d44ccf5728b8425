//! A company's users as its legal representative manages them (issue 15, item 2: "a company's
//! representative manages its users (invite, remove, scopes)"): who acts for the company, why
//! and since when; invitations by tax code, taken up at the person's first login with a
//! digital identity or at once when they have an account; removal; and what each may do.

use crate::Ctx;
use crate::accounts::{Principal, Role, normalise_email};
use crate::audit::{self, Actor, Change};
use crate::authz::Action;
use crate::db::{self, Db, Tx};
use crate::notify::{self, OutgoingEmail};
use crate::registry::TaxCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// What a user may do for a company (issue 15, item 2: the representative sets "scopes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanyScope {
    /// Reads the company's practices and wallet; changes nothing.
    Read,
    /// May prepare practices (base models, signed uploads, attachments) but not send them.
    Prepare,
    /// May also send practices, which charges the wallet, and ask for top-ups.
    Send,
}

impl CompanyScope {
    pub const ALL: [CompanyScope; 3] = [Self::Read, Self::Prepare, Self::Send];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Prepare => "prepare",
            Self::Send => "send",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// What is stored, read leniently: an unknown value grants the least.
    pub(crate) fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(Self::Read)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Read => "company-scope-read",
            Self::Prepare => "company-scope-prepare",
            Self::Send => "company-scope-send",
        }
    }

    /// Whether a company user with this scope may perform `action` (the role matrix is
    /// asked first). Sending (and the wallet's money) needs [`CompanyScope::Send`], preparing
    /// [`CompanyScope::Prepare`]; reading, asking for a delegation and managing the company's
    /// users (checked against the representative's own link) need nothing more.
    pub fn admits(self, action: Action) -> bool {
        match action {
            Action::SendPractice | Action::ManageWebhooks => self == Self::Send,
            Action::ComposePractice => self >= Self::Prepare,
            _ => true,
        }
    }
}

/// Why a user acts for a company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkReason {
    /// Linked by an administrator.
    Administrator,
    /// Cert'O guide, prerequisites: an account linked to its company; the Registry lists the
    /// person as the company's legal representative (`rappresentanti`).
    Representative,
    /// Issue 15, item 2: a delegation signed by a legal representative, approved by the office.
    Delegation,
    /// Issue 15, item 2: invited by one of the company's representatives.
    Invitation,
}

impl LinkReason {
    pub(crate) fn parse(stored: Option<&str>) -> Self {
        match stored {
            Some("representative") => Self::Representative,
            Some("delegation") => Self::Delegation,
            Some("invitation") => Self::Invitation,
            _ => Self::Administrator,
        }
    }

    /// Message key of the reason.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Administrator => "link-reason-administrator",
            Self::Representative => "link-reason-representative",
            Self::Delegation => "link-reason-delegation",
            Self::Invitation => "link-reason-invitation",
        }
    }
}

/// One user of a company, as its representative sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyUser {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub tax_code: Option<String>,
    pub reason: LinkReason,
    pub scope: CompanyScope,
    pub linked_at: Option<DateTime<Utc>>,
    pub active: bool,
}

/// A person invited and not yet linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub tax_code: String,
    pub email: String,
    pub scope: CompanyScope,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// Not a legal representative of the company (or not its user at all): not shown.
    #[error("not found")]
    NotFound,
    #[error("the tax code is not valid")]
    TaxCode,
    #[error("the e-mail address is not valid")]
    Email,
    #[error("the scope is not valid")]
    Scope,
    #[error("the person already acts for the company")]
    AlreadyLinked,
    #[error("the person is already invited")]
    AlreadyInvited,
    /// The Registry lists the user as representative: the link follows the Registry.
    #[error("a legal representative cannot be removed or limited here")]
    Representative,
    /// A staff account (or a disabled one) has the tax code.
    #[error("the tax code belongs to an account that cannot act for companies")]
    NotCompanyAccount,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl ManageError {
    /// The message key (`company-users-error-…`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotFound => "error-not-found",
            Self::TaxCode => "company-users-error-tax-code",
            Self::Email => "company-users-error-email",
            Self::Scope => "company-users-error-scope",
            Self::AlreadyLinked => "company-users-error-already-linked",
            Self::AlreadyInvited => "company-users-error-already-invited",
            Self::Representative => "company-users-error-representative",
            Self::NotCompanyAccount => "company-users-error-not-company-account",
            Self::Db(_) => "error-internal",
        }
    }
}

/// Issue 15, item 2: only a user the Registry lists as the company's legal representative
/// (link reason `representative`) manages its users.
pub async fn is_representative(
    db: &Db,
    principal: &Principal,
    company_id: &str,
) -> Result<bool, sqlx::Error> {
    if principal.role() != Role::Company || !principal.acts_for_company(company_id) {
        return Ok(false);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_companies WHERE user_id = $1 AND company_id = $2 \
         AND reason = 'representative'",
    )
    .bind(&principal.user.id)
    .bind(company_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// The companies the principal is a legal representative of: (id, name).
pub async fn represented(
    db: &Db,
    principal: &Principal,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.name FROM user_companies uc JOIN companies c ON c.id = uc.company_id \
         WHERE uc.user_id = $1 AND uc.reason = 'representative' ORDER BY c.name, c.id",
    )
    .bind(&principal.user.id)
    .fetch_all(db.pool())
    .await
}

async fn require_representative(
    db: &Db,
    principal: &Principal,
    company_id: &str,
) -> Result<(), ManageError> {
    if is_representative(db, principal, company_id).await? {
        Ok(())
    } else {
        Err(ManageError::NotFound)
    }
}

type UserRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
);

/// The company's users with why and since when, by name.
pub async fn list(
    db: &Db,
    principal: &Principal,
    company_id: &str,
) -> Result<Vec<CompanyUser>, ManageError> {
    require_representative(db, principal, company_id).await?;
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.tax_code, uc.reason, uc.scope, uc.linked_at, u.active \
         FROM user_companies uc JOIN users u ON u.id = uc.user_id \
         WHERE uc.company_id = $1 ORDER BY u.name, u.id",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, name, email, tax_code, reason, scope, linked_at, active)| CompanyUser {
                user_id,
                name,
                email,
                tax_code,
                reason: LinkReason::parse(reason.as_deref()),
                scope: CompanyScope::from_stored(&scope),
                linked_at: linked_at.and_then(|t| db::parse_instant(&t).ok()),
                active: active != 0,
            },
        )
        .collect())
}

/// The invitations not yet taken up, newest first.
pub async fn invitations(
    db: &Db,
    principal: &Principal,
    company_id: &str,
) -> Result<Vec<Invitation>, ManageError> {
    require_representative(db, principal, company_id).await?;
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, tax_code, email, scope, created_at FROM company_invitations \
         WHERE company_id = $1 AND state = 'open' ORDER BY created_at DESC, id",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(
            |(id, tax_code, email, scope, created_at)| -> Result<Invitation, sqlx::Error> {
                Ok(Invitation {
                    id,
                    tax_code,
                    email,
                    scope: CompanyScope::from_stored(&scope),
                    created_at: db::parse_instant(&created_at)?,
                })
            },
        )
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ManageError::from)
}

/// What an invitation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invited {
    /// The person had an account: linked now.
    Linked { user_id: String },
    /// Linked at their first login with a digital identity.
    Pending { invitation_id: String },
}

async fn company_name(tx: &mut Tx, company_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM companies WHERE id = $1")
        .bind(company_id)
        .fetch_one(&mut **tx)
        .await
}

/// Invites a person by tax code and e-mail with a scope (issue 15, item 2). A person with an
/// account is linked at once and told by e-mail; anyone else is linked at their first login
/// with a digital identity (recognised by tax code, never by e-mail) and the e-mail says so.
pub async fn invite(
    ctx: &Ctx,
    principal: &Principal,
    company_id: &str,
    tax_code: &str,
    email: &str,
    scope: &str,
) -> Result<Invited, ManageError> {
    require_representative(&ctx.db, principal, company_id).await?;
    let code = TaxCode::parse(tax_code).map_err(|_| ManageError::TaxCode)?;
    if code.as_str().len() != 16 {
        return Err(ManageError::TaxCode);
    }
    let email = normalise_email(email).ok_or(ManageError::Email)?;
    let scope = CompanyScope::parse(scope).ok_or(ManageError::Scope)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let name = company_name(&mut tx, company_id).await?;
    let account: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, role, email, active FROM users WHERE tax_code = $1 OR tax_code = $2 \
         ORDER BY created_at LIMIT 1",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let actor = principal.actor();
    let outcome = match account {
        Some((_, role, _, active)) if role != Role::Company.as_str() || active == 0 => {
            return Err(ManageError::NotCompanyAccount);
        }
        Some((user_id, _, account_email, _)) => {
            let linked: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM user_companies WHERE user_id = $1 AND company_id = $2",
            )
            .bind(&user_id)
            .bind(company_id)
            .fetch_one(&mut *tx)
            .await?;
            if linked > 0 {
                return Err(ManageError::AlreadyLinked);
            }
            link(&mut tx, now, &user_id, company_id, "invitation", scope).await?;
            audit::record(
                &mut tx,
                now,
                &actor,
                Change::new("company_user.invite", "company", Some(company_id)).after(json!({
                    "tax_code": code.as_str(), "email": email, "scope": scope.as_str(),
                    "user_id": user_id,
                })),
            )
            .await?;
            notify::queue(
                &mut tx,
                now,
                OutgoingEmail {
                    to: account_email,
                    subject: format!("Ora agisci per {name} su Sportello"),
                    body_text: format!(
                        "Un legale rappresentante di {name} ti ha aggiunto agli utenti \
                         dell'impresa: da ora agisci per l'impresa su Sportello.\n\n\
                         A legal representative of {name} added you to the company's users: \
                         you now act for the company on Sportello.\n"
                    ),
                    chamber_id: None,
                    attachments: Vec::new(),
                },
            )
            .await?;
            Invited::Linked { user_id }
        }
        None => {
            let id = db::new_id();
            sqlx::query(
                "INSERT INTO company_invitations (id, company_id, tax_code, email, scope, state, \
                 invited_by, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7)",
            )
            .bind(&id)
            .bind(company_id)
            .bind(code.normalised_omocodia().as_str())
            .bind(&email)
            .bind(scope.as_str())
            .bind(&principal.user.id)
            .bind(db::instant(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| match db::unique_violation(&e) {
                Some(_) => ManageError::AlreadyInvited,
                None => e.into(),
            })?;
            audit::record(
                &mut tx,
                now,
                &actor,
                Change::new("company_user.invite", "company", Some(company_id)).after(json!({
                    "tax_code": code.as_str(), "email": email, "scope": scope.as_str(),
                })),
            )
            .await?;
            notify::queue(
                &mut tx,
                now,
                OutgoingEmail {
                    to: email.clone(),
                    subject: format!("Invito ad agire per {name} su Sportello"),
                    body_text: format!(
                        "Un legale rappresentante di {name} ti ha invitato ad agire per \
                         l'impresa su Sportello. Accedi con SPID o CIE: al primo accesso sarai \
                         collegato all'impresa.\n\n\
                         A legal representative of {name} invited you to act for the company \
                         on Sportello. Log in with SPID or CIE: at your first login you will be \
                         linked to the company.\n"
                    ),
                    chamber_id: None,
                    attachments: Vec::new(),
                },
            )
            .await?;
            Invited::Pending { invitation_id: id }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Links a user to a company (nothing when already linked).
pub(crate) async fn link(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user_id: &str,
    company_id: &str,
    reason: &str,
    scope: CompanyScope,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO user_companies (user_id, company_id, reason, linked_at, scope) \
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS \
         (SELECT 1 FROM user_companies WHERE user_id = $1 AND company_id = $2)",
    )
    .bind(user_id)
    .bind(company_id)
    .bind(reason)
    .bind(db::instant(now))
    .bind(scope.as_str())
    .execute(&mut **tx)
    .await?;
    let linked = done.rows_affected() > 0;
    if linked {
        super::managed_users::refresh_user(tx, user_id, Some(company_id)).await?;
    }
    Ok(linked)
}

/// Withdraws an invitation not yet taken up.
pub async fn cancel_invitation(
    ctx: &Ctx,
    principal: &Principal,
    company_id: &str,
    invitation_id: &str,
) -> Result<(), ManageError> {
    require_representative(&ctx.db, principal, company_id).await?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let done = sqlx::query(
        "UPDATE company_invitations SET state = 'cancelled', closed_at = $3 \
         WHERE id = $1 AND company_id = $2 AND state = 'open'",
    )
    .bind(invitation_id)
    .bind(company_id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        audit::record(
            &mut tx,
            now,
            &principal.actor(),
            Change::new(
                "company_user.invitation_cancel",
                "company",
                Some(company_id),
            )
            .after(json!({ "invitation_id": invitation_id })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The link of `user_id` to the company, if any: (reason, scope).
async fn link_of(
    tx: &mut Tx,
    user_id: &str,
    company_id: &str,
) -> Result<Option<(LinkReason, CompanyScope)>, sqlx::Error> {
    let row: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT reason, scope FROM user_companies WHERE user_id = $1 AND company_id = $2",
    )
    .bind(user_id)
    .bind(company_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(r, s)| {
        (
            LinkReason::parse(r.as_deref()),
            CompanyScope::from_stored(&s),
        )
    }))
}

/// Removes a user from the company. A legal representative's link follows the Registry and
/// stays. Removing someone no longer linked changes nothing.
pub async fn remove(
    ctx: &Ctx,
    principal: &Principal,
    company_id: &str,
    user_id: &str,
) -> Result<(), ManageError> {
    require_representative(&ctx.db, principal, company_id).await?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    match link_of(&mut tx, user_id, company_id).await? {
        None => return Ok(()),
        Some((LinkReason::Representative, _)) => return Err(ManageError::Representative),
        Some((reason, scope)) => {
            sqlx::query("DELETE FROM user_companies WHERE user_id = $1 AND company_id = $2")
                .bind(user_id)
                .bind(company_id)
                .execute(&mut *tx)
                .await?;
            super::managed_users::refresh_user(&mut tx, user_id, Some(company_id)).await?;
            // The session acting for the company forgets it.
            sqlx::query(
                "UPDATE sessions SET acting_company_id = NULL WHERE user_id = $1 \
                 AND acting_company_id = $2",
            )
            .bind(user_id)
            .bind(company_id)
            .execute(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                now,
                &principal.actor(),
                Change::new("company_user.remove", "company", Some(company_id)).before(json!({
                    "user_id": user_id, "reason": reason_value(reason),
                    "scope": scope.as_str(),
                })),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn reason_value(reason: LinkReason) -> &'static str {
    match reason {
        LinkReason::Administrator => "administrator",
        LinkReason::Representative => "representative",
        LinkReason::Delegation => "delegation",
        LinkReason::Invitation => "invitation",
    }
}

/// Sets what a user may do for the company. A legal representative's scope is the whole.
pub async fn set_scope(
    ctx: &Ctx,
    principal: &Principal,
    company_id: &str,
    user_id: &str,
    scope: &str,
) -> Result<(), ManageError> {
    require_representative(&ctx.db, principal, company_id).await?;
    let scope = CompanyScope::parse(scope).ok_or(ManageError::Scope)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    match link_of(&mut tx, user_id, company_id).await? {
        None => return Err(ManageError::NotFound),
        Some((LinkReason::Representative, _)) => return Err(ManageError::Representative),
        Some((_, old)) if old == scope => return Ok(()),
        Some((_, old)) => {
            sqlx::query(
                "UPDATE user_companies SET scope = $3 WHERE user_id = $1 AND company_id = $2",
            )
            .bind(user_id)
            .bind(company_id)
            .bind(scope.as_str())
            .execute(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                now,
                &principal.actor(),
                Change::new("company_user.scope", "company", Some(company_id))
                    .before(json!({ "user_id": user_id, "scope": old.as_str() }))
                    .after(json!({ "user_id": user_id, "scope": scope.as_str() })),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// At a login with a digital identity: the invitations for the person's tax code are taken
/// up, each linking them with its scope. Returns the companies linked now.
pub(crate) async fn take_up_invitations(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: &str,
    code: &TaxCode,
) -> Result<Vec<String>, sqlx::Error> {
    let open: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, company_id, scope FROM company_invitations \
         WHERE (tax_code = $1 OR tax_code = $2) AND state = 'open' ORDER BY created_at, id",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .fetch_all(&mut **tx)
    .await?;
    let mut linked = Vec::new();
    for (id, company_id, scope) in open {
        sqlx::query(
            "UPDATE company_invitations SET state = 'accepted', closed_at = $2, user_id = $3 \
             WHERE id = $1",
        )
        .bind(&id)
        .bind(db::instant(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        let scope = CompanyScope::from_stored(&scope);
        if link(tx, now, user_id, &company_id, "invitation", scope).await? {
            audit::record(
                tx,
                now,
                actor,
                Change::new("user.company_link", "user", Some(user_id)).after(json!({
                    "company_id": company_id, "reason": "invitation", "scope": scope.as_str(),
                })),
            )
            .await?;
            linked.push(company_id);
        }
    }
    Ok(linked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_user_prepares_and_sends_nothing() {
        let read = CompanyScope::Read;
        assert!(read.admits(Action::ViewOwnPractices));
        assert!(read.admits(Action::ViewWallet));
        assert!(!read.admits(Action::ComposePractice));
        assert!(!read.admits(Action::SendPractice));
        let prepare = CompanyScope::Prepare;
        assert!(prepare.admits(Action::ComposePractice));
        assert!(!prepare.admits(Action::SendPractice));
        assert!(CompanyScope::Send.admits(Action::SendPractice));
    }

    #[test]
    fn scopes_round_trip_and_unknown_grants_least() {
        for s in CompanyScope::ALL {
            assert_eq!(CompanyScope::parse(s.as_str()), Some(s));
        }
        assert_eq!(CompanyScope::from_stored("admin"), CompanyScope::Read);
    }
}
