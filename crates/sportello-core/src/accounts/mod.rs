//! Accounts: users and roles, passwords, login sessions, API tokens, and the
//! [`Principal`] — who is asking, with the chamber, desks and companies they are tied to.

mod change_password;
pub mod cns;
pub mod company_access;
pub mod company_users;
pub mod delegation;
pub mod identity;
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
/// user does not exist or is disabled. Two round trips, since this runs on every request: the
/// user with the intermediary they work for, then their desks, company links and the
/// intermediary's mandates together; the companies they act for today follow from these and
/// the clock's day ([`company_access::in_force`]).
pub async fn load_principal(
    ctx: &Ctx,
    user_id: &str,
    acting_company_id: Option<String>,
) -> Result<Option<Principal>, sqlx::Error> {
    let db = &ctx.db;
    let Some((user, intermediary)) = user::get_with_intermediary(db, user_id).await? else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    let ties = Ties::load(db, user_id).await?;
    let today = crate::clock::italian_day(ctx.clock.now());
    let companies = company_access::in_force(ties.links, &ties.mandates, today);
    let company_ids: Vec<String> = companies.iter().map(|a| a.company_id.clone()).collect();
    // The acting company must be one of the user's companies; with only one, it is that one.
    let acting_company_id = match acting_company_id {
        Some(c) if company_ids.contains(&c) => Some(c),
        _ if company_ids.len() == 1 => company_ids.first().cloned(),
        _ => None,
    };
    Ok(Some(Principal {
        user,
        desk_ids: ties.desk_ids,
        company_ids,
        acting_company_id,
        companies,
        intermediary,
        mandates: ties.mandates,
    }))
}

/// A user's desks, company links and (for an intermediary's user) the intermediary's mandates,
/// read in one statement.
struct Ties {
    desk_ids: Vec<String>,
    links: Vec<(String, CompanyScope)>,
    mandates: Vec<crate::intermediary::mandate::Mandate>,
}

impl Ties {
    async fn load(db: &Db, user_id: &str) -> Result<Ties, sqlx::Error> {
        let rows: Vec<TieRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT 'desk' AS kind, desk_id AS id, NULL AS scope, {none} FROM user_desks \
             WHERE user_id = $1 \
             UNION ALL SELECT 'company' AS kind, company_id AS id, scope, {none} \
             FROM user_companies WHERE user_id = $1 \
             UNION ALL SELECT 'mandate' AS kind, m.id AS id, NULL AS scope, {mandate} \
             WHERE m.intermediary_id = (SELECT u.intermediary_id FROM users u \
             JOIN intermediaries i ON i.id = u.intermediary_id \
             WHERE u.id = $1 AND i.suspended_at IS NULL) \
             ORDER BY kind, id",
            none = crate::intermediary::mandate::TIE_NONE,
            mandate = crate::intermediary::mandate::TIE_COLUMNS,
        )))
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
        let mut ties = Ties {
            desk_ids: Vec::new(),
            links: Vec::new(),
            mandates: Vec::new(),
        };
        for r in rows {
            match r.kind.as_str() {
                "desk" => ties.desk_ids.push(r.id),
                "company" => ties.links.push((
                    r.id,
                    CompanyScope::from_stored(r.scope.as_deref().unwrap_or_default()),
                )),
                _ => ties.mandates.push(r.mandate.into_mandate(r.id)?),
            }
        }
        // As the intermediary's pages list them: by client, newest first.
        ties.mandates.sort_by(|a, b| {
            (&a.company_name, &b.created_at, &a.id).cmp(&(&b.company_name, &a.created_at, &b.id))
        });
        Ok(ties)
    }
}

#[derive(sqlx::FromRow)]
struct TieRow {
    kind: String,
    id: String,
    scope: Option<String>,
    #[sqlx(flatten)]
    mandate: crate::intermediary::mandate::TieMandateRow,
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
