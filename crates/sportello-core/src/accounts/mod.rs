//! Accounts: users and roles, passwords, login sessions, API tokens, and the
//! [`Principal`] — who is asking, with the chamber, desks and companies they are tied to.

mod change_password;
pub mod cns;
pub mod company_access;
pub mod company_users;
pub mod delegation;
pub mod identity;
pub mod managed_users;
pub mod offboarding;
pub mod oidc;
pub mod password;
pub mod recovery;
mod role;
pub mod session;
pub mod token;
mod user;

pub use change_password::{ChangePasswordError, change_password};
pub use company_access::CompanyAccess;
pub use company_users::CompanyScope;
pub use role::Role;
pub use user::{
    CreateUserError, LOCK_MINUTES, LoginError, MAX_FAILED_LOGINS, NewStaff, NewUser, User,
    add_staff, authenticate, create_user, find_by_email, get, list_in_chamber, normalise_email,
};

use crate::Ctx;
use crate::audit::Actor;
use crate::db::Db;
use crate::jobs::Job;
use serde::{Deserialize, Serialize};

/// The authenticated user of a request, with what they are tied to. Loaded from the
/// database on every request: nothing about scope is taken from the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user: User,
    pub desk_ids: Vec<String>,
    pub company_ids: Vec<String>,
    /// For a company user linked to several companies: the one chosen for this session.
    pub acting_company_id: Option<String>,
    /// What the user may do for each of `company_ids`: company links with their scopes (issue
    /// 15, item 2) and the clients whose mandate is in force today (item 3), computed once by
    /// [`company_access::in_force`].
    pub companies: Vec<CompanyAccess>,
    /// For a user who works for an intermediary (customs broker): the intermediary. Its
    /// clients with a mandate in force are in `companies`.
    pub intermediary: Option<crate::intermediary::IntermediaryTie>,
    /// The intermediary's mandates, in every state: what each covers is decided by
    /// `intermediary::mandate::covers`, and a write for a former client names why it is
    /// refused.
    pub mandates: Vec<crate::intermediary::mandate::Mandate>,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn actor(&self) -> Actor {
        Actor::user(
            &self.user.id,
            &self.user.email,
            self.user.chamber_id.as_deref(),
        )
        .through(self.intermediary.as_ref().map(|i| i.id.as_str()))
    }

    /// The intermediary the principal works for, by id.
    pub fn intermediary_id(&self) -> Option<&str> {
        self.intermediary.as_ref().map(|i| i.id.as_str())
    }

    /// Whether the principal belongs to this chamber.
    pub fn in_chamber(&self, chamber_id: &str) -> bool {
        self.user.chamber_id.as_deref() == Some(chamber_id)
    }

    pub fn works_desk(&self, desk_id: &str) -> bool {
        self.desk_ids.iter().any(|d| d == desk_id)
    }

    pub fn acts_for_company(&self, company_id: &str) -> bool {
        self.company_ids.iter().any(|c| c == company_id)
    }

    /// How the user acts for `company_id`; `None` when they do not (or no longer) act for it.
    pub fn access_at(&self, company_id: &str) -> Option<&CompanyAccess> {
        self.companies.iter().find(|a| a.company_id == company_id)
    }

    /// What the user may do for `company_id`; `None` when they do not act for it.
    pub fn scope_at(&self, company_id: &str) -> Option<CompanyScope> {
        self.access_at(company_id).map(|a| a.scope)
    }

    /// The scope the session works with: the acting company's; with none chosen, the
    /// narrowest of the user's companies (so no company's limits are stepped over before one
    /// is chosen); everything for a user linked to no company, who acts for none anyway.
    pub fn company_scope(&self) -> CompanyScope {
        if let Some(acting) = &self.acting_company_id
            && let Some(scope) = self.scope_at(acting)
        {
            return scope;
        }
        self.companies
            .iter()
            .map(|a| a.scope)
            .min()
            .unwrap_or(CompanyScope::Send)
    }
}

/// Loads the principal for a user id (from a session or an API token); `None` when the
/// user does not exist or is disabled. One round trip, since this runs on every request: the
/// user with the intermediary they work for, their desks, company links and the
/// intermediary's mandates together ([`read_principal`]); the companies they act for today
/// follow from these and the clock's day ([`company_access::in_force`]).
pub async fn load_principal(
    ctx: &Ctx,
    user_id: &str,
    acting_company_id: Option<String>,
) -> Result<Option<Principal>, sqlx::Error> {
    Ok(read_principal(&ctx.db, Who::User(user_id))
        .await?
        .and_then(|read| read.into_principal(ctx, acting_company_id)))
}

/// Whose principal [`read_principal`] reads: a user by id, or the owner of an API token by
/// the token's hash (then the token's own columns come with the user, so that authenticating
/// an API call is one statement).
pub(crate) enum Who<'a> {
    User(&'a str),
    TokenHash(&'a str),
}

impl Who<'_> {
    /// The statement that names the user (`user_id`) and the credential's columns.
    fn key_sql(&self) -> &'static str {
        match self {
            Who::User(_) => {
                "SELECT id AS user_id, NULL AS expires_at, NULL AS revoked_at, \
                 NULL AS last_used_at FROM users WHERE id = $1"
            }
            Who::TokenHash(_) => {
                "SELECT user_id, expires_at, revoked_at, last_used_at FROM api_tokens \
                 WHERE token_hash = $1"
            }
        }
    }

    fn value(&self) -> &str {
        match self {
            Who::User(v) | Who::TokenHash(v) => v,
        }
    }
}

/// What [`read_principal`] read: the user, the credential it was found by, and the ties.
pub(crate) struct PrincipalRead {
    pub user: User,
    pub intermediary: Option<crate::intermediary::IntermediaryTie>,
    /// The API token's `expires_at`, `revoked_at` and `last_used_at` ([`Who::TokenHash`]).
    pub key: KeyColumns,
    ties: Ties,
}

/// The credential's columns read with the user (all empty for [`Who::User`]).
#[derive(Default, sqlx::FromRow)]
pub(crate) struct KeyColumns {
    pub k_expires_at: Option<String>,
    pub k_revoked_at: Option<String>,
    pub k_last_used_at: Option<String>,
}

impl PrincipalRead {
    /// The principal at the clock's day; `None` for a disabled user.
    pub(crate) fn into_principal(
        self,
        ctx: &Ctx,
        acting_company_id: Option<String>,
    ) -> Option<Principal> {
        if !self.user.active {
            return None;
        }
        let ties = self.ties;
        let today = crate::clock::italian_day(ctx.clock.now());
        let companies = company_access::in_force(ties.links, &ties.mandates, today);
        let company_ids: Vec<String> = companies.iter().map(|a| a.company_id.clone()).collect();
        // The acting company must be one of the user's companies; with only one, it is that one.
        let acting_company_id = match acting_company_id {
            Some(c) if company_ids.contains(&c) => Some(c),
            _ if company_ids.len() == 1 => company_ids.first().cloned(),
            _ => None,
        };
        Some(Principal {
            user: self.user,
            desk_ids: ties.desk_ids,
            company_ids,
            acting_company_id,
            companies,
            intermediary: self.intermediary,
            mandates: ties.mandates,
        })
    }
}

/// The user (with the intermediary they work for, unless it is suspended), their desks,
/// company links and (for an intermediary's user) the intermediary's mandates, read in one
/// statement; `None` when there is no such user (or token).
pub(crate) async fn read_principal(
    db: &Db,
    who: Who<'_>,
) -> Result<Option<PrincipalRead>, sqlx::Error> {
    let rows: Vec<TieRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH k AS ({key}) \
         SELECT 'user' AS kind, u.id AS id, NULL AS scope, u.email AS u_email, \
         u.name AS u_name, u.role AS u_role, u.chamber_id AS u_chamber_id, \
         u.active AS u_active, i.id AS u_intermediary_id, i.name AS u_intermediary_name, \
         k.expires_at AS k_expires_at, k.revoked_at AS k_revoked_at, \
         k.last_used_at AS k_last_used_at, {none} \
         FROM k JOIN users u ON u.id = k.user_id \
         LEFT JOIN intermediaries i ON i.id = u.intermediary_id AND i.suspended_at IS NULL \
         UNION ALL SELECT 'desk' AS kind, desk_id AS id, NULL AS scope, {user_none}, {none} \
         FROM user_desks WHERE user_id = (SELECT user_id FROM k) \
         UNION ALL SELECT 'company' AS kind, company_id AS id, scope, {user_none}, {none} \
         FROM user_companies WHERE user_id = (SELECT user_id FROM k) \
         UNION ALL SELECT 'mandate' AS kind, m.id AS id, NULL AS scope, {user_none}, {mandate} \
         WHERE m.intermediary_id = (SELECT u.intermediary_id FROM users u \
         JOIN intermediaries i ON i.id = u.intermediary_id \
         WHERE u.id = (SELECT user_id FROM k) AND i.suspended_at IS NULL) \
         ORDER BY kind, id",
        key = who.key_sql(),
        user_none = USER_NONE,
        none = crate::intermediary::mandate::TIE_NONE,
        mandate = crate::intermediary::mandate::TIE_COLUMNS,
    )))
    .bind(who.value())
    .fetch_all(db.pool())
    .await?;
    let mut found: Option<(
        User,
        Option<crate::intermediary::IntermediaryTie>,
        KeyColumns,
    )> = None;
    let mut ties = Ties {
        desk_ids: Vec::new(),
        links: Vec::new(),
        mandates: Vec::new(),
    };
    for r in rows {
        match r.kind.as_str() {
            "user" => {
                let u = r.user;
                let need = |v: Option<String>| {
                    v.ok_or_else(|| sqlx::Error::Decode("a user row without its columns".into()))
                };
                let user = User::try_from(user::UserRow {
                    id: r.id,
                    email: need(u.u_email)?,
                    name: need(u.u_name)?,
                    role: need(u.u_role)?,
                    chamber_id: u.u_chamber_id,
                    active: u.u_active.unwrap_or_default(),
                })?;
                let tie = match (u.u_intermediary_id, u.u_intermediary_name) {
                    (Some(id), Some(name)) => {
                        Some(crate::intermediary::IntermediaryTie { id, name })
                    }
                    _ => None,
                };
                found = Some((user, tie, r.key));
            }
            "desk" => ties.desk_ids.push(r.id),
            "company" => ties.links.push((
                r.id,
                CompanyScope::from_stored(r.scope.as_deref().unwrap_or_default()),
            )),
            _ => ties.mandates.push(r.mandate.into_mandate(r.id)?),
        }
    }
    let Some((user, intermediary, key)) = found else {
        return Ok(None);
    };
    // As the intermediary's pages list them: by client, newest first.
    ties.mandates.sort_by(|a, b| {
        (&a.company_name, &b.created_at, &a.id).cmp(&(&b.company_name, &a.created_at, &b.id))
    });
    Ok(Some(PrincipalRead {
        user,
        intermediary,
        key,
        ties,
    }))
}

/// The user's and the credential's columns, empty, for the rows that are ties.
const USER_NONE: &str = "NULL AS u_email, NULL AS u_name, NULL AS u_role, \
     NULL AS u_chamber_id, NULL AS u_active, NULL AS u_intermediary_id, \
     NULL AS u_intermediary_name, NULL AS k_expires_at, NULL AS k_revoked_at, \
     NULL AS k_last_used_at";

/// A user's desks, company links and (for an intermediary's user) the intermediary's mandates.
struct Ties {
    desk_ids: Vec<String>,
    links: Vec<(String, CompanyScope)>,
    mandates: Vec<crate::intermediary::mandate::Mandate>,
}

#[derive(sqlx::FromRow)]
struct TieRow {
    kind: String,
    id: String,
    scope: Option<String>,
    #[sqlx(flatten)]
    user: UserColumns,
    #[sqlx(flatten)]
    key: KeyColumns,
    #[sqlx(flatten)]
    mandate: crate::intermediary::mandate::TieMandateRow,
}

/// The user's columns of the principal's statement, set on the `user` row only.
#[derive(sqlx::FromRow)]
struct UserColumns {
    u_email: Option<String>,
    u_name: Option<String>,
    u_role: Option<String>,
    u_chamber_id: Option<String>,
    u_active: Option<i64>,
    u_intermediary_id: Option<String>,
    u_intermediary_name: Option<String>,
}

/// Daily job: removes expired login sessions, throttle windows that ended long ago and
/// password recovery links expired for a day.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PurgeExpiredSessions {}

impl Job for PurgeExpiredSessions {
    const KIND: &'static str = "purge_expired_sessions";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let n = session::purge_expired(&state.db, state.clock.now()).await?;
        tracing::info!(removed = n, "expired sessions purged");
        let n = crate::throttle::purge(&state.db, state.clock.now()).await?;
        tracing::info!(removed = n, "old throttle windows purged");
        let n = recovery::purge(&state.db, state.clock.now()).await?;
        tracing::info!(removed = n, "expired password recovery links purged");
        let n = oidc::pending::purge(&state.db, state.clock.now()).await?;
        tracing::info!(removed = n, "unfinished digital-identity logins purged");
        Ok(())
    }
}
