//! Accounts: users and roles, passwords, login sessions, API tokens, and the
//! [`Principal`] — who is asking, with the chamber, desks and companies they are tied to.

mod change_password;
pub mod cns;
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
    /// What the user may do for each of `company_ids` (issue 15, item 2: scopes set by the
    /// company's representative).
    pub company_scopes: Vec<(String, CompanyScope)>,
    /// For a user who works for an intermediary (customs broker): the intermediary. Its
    /// clients are in `company_ids`, and what it may do for each is in `mandates`.
    pub intermediary: Option<crate::intermediary::IntermediaryTie>,
    /// The intermediary's mandates, in every state (what each covers is decided by
    /// `intermediary::mandate::covers`).
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

    /// What the user may do for `company_id`; `None` when they do not act for it.
    pub fn scope_at(&self, company_id: &str) -> Option<CompanyScope> {
        self.company_scopes
            .iter()
            .find(|(c, _)| c == company_id)
            .map(|(_, s)| *s)
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
        self.company_scopes
            .iter()
            .map(|(_, s)| *s)
            .min()
            .unwrap_or(CompanyScope::Send)
    }
}

/// Loads the principal for a user id (from a session or an API token); `None` when the
/// user does not exist or is disabled.
pub async fn load_principal(
    db: &Db,
    user_id: &str,
    acting_company_id: Option<String>,
) -> Result<Option<Principal>, sqlx::Error> {
    let Some(user) = get(db, user_id).await? else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    // Desks and companies in one round trip: this runs on every request.
    let ties: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT 'desk' AS kind, desk_id AS id, 'send' AS scope FROM user_desks \
         WHERE user_id = $1 \
         UNION ALL SELECT 'company' AS kind, company_id AS id, scope FROM user_companies \
         WHERE user_id = $1 ORDER BY kind, id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let (desks, companies): (Vec<_>, Vec<_>) =
        ties.into_iter().partition(|(kind, _, _)| kind == "desk");
    let desk_ids: Vec<String> = desks.into_iter().map(|(_, id, _)| id).collect();
    let company_scopes: Vec<(String, CompanyScope)> = companies
        .into_iter()
        .map(|(_, id, scope)| (id, CompanyScope::from_stored(&scope)))
        .collect();
    let mut company_scopes = company_scopes;
    // An intermediary's user acts for the clients that granted it a mandate (issue 15, item
    // 3): as far as the company's own scopes go it may send, and every write is narrowed by
    // the mandate (`intermediary::mandate::require`).
    let intermediary = crate::intermediary::of_user(db, user_id).await?;
    let mandates = match &intermediary {
        Some(i) => crate::intermediary::mandate::of_intermediary(db, &i.id).await?,
        None => Vec::new(),
    };
    for m in &mandates {
        if !company_scopes.iter().any(|(c, _)| c == &m.company_id) {
            company_scopes.push((m.company_id.clone(), CompanyScope::Send));
        }
    }
    let company_ids: Vec<String> = company_scopes.iter().map(|(id, _)| id.clone()).collect();
    // The acting company must be one of the user's companies; with only one, it is that one.
    let acting_company_id = match acting_company_id {
        Some(c) if company_ids.contains(&c) => Some(c),
        _ if company_ids.len() == 1 => company_ids.first().cloned(),
        _ => None,
    };
    Ok(Some(Principal {
        user,
        desk_ids,
        company_ids,
        acting_company_id,
        company_scopes,
        intermediary,
        mandates,
    }))
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
