//! The chamber office's register of intermediaries (issue 15, item 3, kept by the office
//! instead of the command line alone): each intermediary with its people and how many
//! mandates are in force, the people added by tax code and e-mail (at once when they have an
//! account, else at their first login with a digital identity), removed, and the
//! intermediary suspended and reactivated. Every act is audited on the intermediary.

use crate::Ctx;
use crate::accounts::{Role, normalise_email};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::intermediary::{Intermediary, IntermediaryError, get, list_all};
use crate::notify::{self, OutgoingEmail};
use crate::registry::TaxCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

/// One line of the register: the intermediary, its people and its mandates in force today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub intermediary: Intermediary,
    pub users: i64,
    pub mandates_in_force: i64,
}

/// Every intermediary, by name, with the number of its users and of its mandates in force on
/// `today` (begun, not ended, not revoked).
pub async fn entries(db: &Db, today: NaiveDate) -> Result<Vec<Entry>, sqlx::Error> {
    let counts: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT i.id, \
         (SELECT COUNT(*) FROM users u WHERE u.intermediary_id = i.id), \
         (SELECT COUNT(*) FROM intermediary_mandates m WHERE m.intermediary_id = i.id \
           AND m.revoked_at IS NULL AND m.valid_from <= $1 AND m.valid_to >= $1) \
         FROM intermediaries i",
    )
    .bind(db::date(today))
    .fetch_all(db.pool())
    .await?;
    Ok(list_all(db)
        .await?
        .into_iter()
        .map(|i| {
            let (users, mandates_in_force) = counts
                .iter()
                .find(|(id, _, _)| *id == i.id)
                .map(|(_, u, m)| (*u, *m))
                .unwrap_or_default();
            Entry {
                intermediary: i,
                users,
                mandates_in_force,
            }
        })
        .collect())
}

/// A person who works for the intermediary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub tax_code: Option<String>,
    pub active: bool,
}

/// The intermediary's people, by name.
pub async fn members(db: &Db, intermediary_id: &str) -> Result<Vec<Member>, sqlx::Error> {
    let rows: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT id, name, email, tax_code, active FROM users WHERE intermediary_id = $1 \
         ORDER BY name, id",
    )
    .bind(intermediary_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, email, tax_code, active)| Member {
            user_id,
            name,
            email,
            tax_code,
            active: active != 0,
        })
        .collect())
}

/// A person invited who has not logged in yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: String,
    pub tax_code: String,
    pub email: String,
    pub created_at: String,
}

/// The open invitations of the intermediary, oldest first.
pub async fn invitations(db: &Db, intermediary_id: &str) -> Result<Vec<Invitation>, sqlx::Error> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, tax_code, email, created_at FROM intermediary_invitations \
         WHERE intermediary_id = $1 AND state = 'open' ORDER BY created_at, id",
    )
    .bind(intermediary_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, tax_code, email, created_at)| Invitation {
            id,
            tax_code,
            email,
            created_at,
        })
        .collect())
}

/// What adding a person did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Added {
    /// The person had an account: it works for the intermediary from now on.
    Linked { user_id: String },
    /// No account yet: their first login with SPID, CIE or CNS ties it.
    Invited { invitation_id: String },
}

async fn existing(db: &Db, id: &str) -> Result<Intermediary, IntermediaryError> {
    get(db, id).await?.ok_or(IntermediaryError::Unknown)
}

/// Adds a person to the intermediary by their own tax code and e-mail (issue 15, item 3,
/// like a company's invitations): an account with that tax code is tied at once, and told by
/// e-mail; otherwise an invitation waits for their first login with a digital identity and
/// the address is told how to log in. The same request again changes nothing and answers
/// the same.
pub async fn add_member(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
    tax_code: &str,
    email: &str,
) -> Result<Added, IntermediaryError> {
    let inter = existing(&ctx.db, intermediary_id).await?;
    let code = TaxCode::parse(tax_code).map_err(|reason| IntermediaryError::InvalidTaxCode {
        input: tax_code.to_string(),
        reason,
    })?;
    if !code.is_personal() {
        return Err(IntermediaryError::NotPersonalTaxCode(code.as_str().into()));
    }
    let email =
        normalise_email(email).ok_or_else(|| IntermediaryError::InvalidEmail(email.into()))?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let account: Option<(String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, role, email, active, intermediary_id FROM users \
         WHERE tax_code = $1 OR tax_code = $2 ORDER BY created_at LIMIT 1",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let added = match account {
        Some((_, role, _, active, _)) if role != Role::Company.as_str() || active == 0 => {
            return Err(IntermediaryError::NotCompanyAccount);
        }
        Some((user_id, _, _, _, Some(tied))) if tied == inter.id => {
            return Ok(Added::Linked { user_id });
        }
        Some((_, _, _, _, Some(other))) => {
            let name = crate::intermediary::name_of(&ctx.db, &other)
                .await?
                .unwrap_or(other);
            return Err(IntermediaryError::OtherIntermediary(name));
        }
        Some((user_id, _, account_email, _, None)) => {
            sqlx::query(
                "UPDATE users SET intermediary_id = $2 WHERE id = $1 AND intermediary_id IS NULL",
            )
            .bind(&user_id)
            .bind(&inter.id)
            .execute(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                now,
                actor,
                Change::new("intermediary.add_user", "intermediary", Some(&inter.id)).after(
                    json!({"user_id": user_id, "tax_code": code.as_str(), "email": account_email}),
                ),
            )
            .await?;
            tell(&mut tx, now, &account_email, &inter.name, false).await?;
            Added::Linked { user_id }
        }
        None => {
            let open: Option<String> = sqlx::query_scalar(
                "SELECT id FROM intermediary_invitations WHERE intermediary_id = $1 \
                 AND tax_code = $2 AND state = 'open'",
            )
            .bind(&inter.id)
            .bind(code.normalised_omocodia().as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(invitation_id) = open {
                return Ok(Added::Invited { invitation_id });
            }
            let id = db::new_id();
            let inserted = sqlx::query(
                "INSERT INTO intermediary_invitations (id, intermediary_id, tax_code, email, \
                 state, invited_by, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6)",
            )
            .bind(&id)
            .bind(&inter.id)
            .bind(code.normalised_omocodia().as_str())
            .bind(&email)
            .bind(&actor.user_id)
            .bind(db::instant(now))
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                // A concurrent double click inserted the same invitation first.
                if db::unique_violation(&e).is_some() {
                    drop(tx);
                    let id: String = sqlx::query_scalar(
                        "SELECT id FROM intermediary_invitations WHERE intermediary_id = $1 \
                         AND tax_code = $2 AND state = 'open'",
                    )
                    .bind(&inter.id)
                    .bind(code.normalised_omocodia().as_str())
                    .fetch_one(ctx.db.pool())
                    .await?;
                    return Ok(Added::Invited { invitation_id: id });
                }
                return Err(e.into());
            }
            audit::record(
                &mut tx,
                now,
                actor,
                Change::new("intermediary.invite_user", "intermediary", Some(&inter.id))
                    .after(json!({"tax_code": code.as_str(), "email": email})),
            )
            .await?;
            tell(&mut tx, now, &email, &inter.name, true).await?;
            Added::Invited { invitation_id: id }
        }
    };
    tx.commit().await?;
    Ok(added)
}

/// The e-mail to the person added: they act for the intermediary's clients now, or at their
/// first login with a digital identity.
async fn tell(
    tx: &mut Tx,
    now: DateTime<Utc>,
    to: &str,
    intermediary: &str,
    invited: bool,
) -> Result<(), sqlx::Error> {
    let (it, en) = if invited {
        (
            format!(
                "La camera di commercio vi ha aggiunto alle persone che operano per {intermediary}: \
                 entrate in Sportello con SPID, CIE o la vostra CNS e opererete per i suoi clienti."
            ),
            format!(
                "The chamber of commerce added you to the people who work for {intermediary}: \
                 sign in to Sportello with SPID, CIE or your CNS card to act for its clients."
            ),
        )
    } else {
        (
            format!(
                "La camera di commercio vi ha aggiunto alle persone che operano per {intermediary}: \
                 da ora operate per i suoi clienti su Sportello."
            ),
            format!(
                "The chamber of commerce added you to the people who work for {intermediary}: \
                 you now act for its clients on Sportello."
            ),
        )
    };
    notify::queue(
        tx,
        now,
        OutgoingEmail {
            to: to.to_string(),
            subject: format!("Operate per {intermediary} su Sportello"),
            body_text: format!("{it}\n\n{en}\n"),
            chamber_id: None,
            attachments: Vec::new(),
        },
    )
    .await
    .map(drop)
}

/// Ties a person who logs in with a digital identity for the first time to the intermediaries
/// that invited them (called inside the sign-in's transaction); an account already working
/// for an intermediary keeps it, and the invitation stays open.
pub(crate) async fn take_up_invitations(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: &str,
    code: &TaxCode,
) -> Result<(), sqlx::Error> {
    let open: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, intermediary_id FROM intermediary_invitations \
         WHERE (tax_code = $1 OR tax_code = $2) AND state = 'open' ORDER BY created_at, id",
    )
    .bind(code.as_str())
    .bind(code.normalised_omocodia().as_str())
    .fetch_all(&mut **tx)
    .await?;
    for (invitation_id, intermediary_id) in open {
        let tied = sqlx::query(
            "UPDATE users SET intermediary_id = $2 WHERE id = $1 AND intermediary_id IS NULL \
             AND role = 'company'",
        )
        .bind(user_id)
        .bind(&intermediary_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if tied == 0 {
            break;
        }
        sqlx::query(
            "UPDATE intermediary_invitations SET state = 'accepted', closed_at = $2, user_id = $3 \
             WHERE id = $1 AND state = 'open'",
        )
        .bind(&invitation_id)
        .bind(db::instant(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        audit::record(
            tx,
            now,
            actor,
            Change::new(
                "intermediary.invitation_accept",
                "intermediary",
                Some(&intermediary_id),
            )
            .after(json!({"user_id": user_id, "tax_code": code.as_str()})),
        )
        .await?;
    }
    Ok(())
}

/// Removes a person from the intermediary: their account stays, acting for no client of it.
/// Removing someone already removed changes nothing (`false`).
pub async fn remove_member(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
    user_id: &str,
) -> Result<bool, IntermediaryError> {
    let inter = existing(&ctx.db, intermediary_id).await?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let person: Option<(String, String)> =
        sqlx::query_as("SELECT name, email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((name, email)) = person else {
        return Err(IntermediaryError::NotFound);
    };
    let removed = sqlx::query(
        "UPDATE users SET intermediary_id = NULL WHERE id = $1 AND intermediary_id = $2",
    )
    .bind(user_id)
    .bind(&inter.id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if !removed {
        return Ok(false);
    }
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("intermediary.remove_user", "intermediary", Some(&inter.id))
            .before(json!({"user_id": user_id, "name": name, "email": email})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Cancels an open invitation of the intermediary; one already closed changes nothing.
pub async fn cancel_invitation(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
    invitation_id: &str,
) -> Result<bool, IntermediaryError> {
    let inter = existing(&ctx.db, intermediary_id).await?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT tax_code, email, state FROM intermediary_invitations \
         WHERE id = $1 AND intermediary_id = $2",
    )
    .bind(invitation_id)
    .bind(&inter.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((tax_code, email, _)) = found else {
        return Err(IntermediaryError::NotFound);
    };
    let cancelled = sqlx::query(
        "UPDATE intermediary_invitations SET state = 'cancelled', closed_at = $2 \
         WHERE id = $1 AND state = 'open'",
    )
    .bind(invitation_id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if !cancelled {
        return Ok(false);
    }
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new(
            "intermediary.invitation_cancel",
            "intermediary",
            Some(&inter.id),
        )
        .before(json!({"tax_code": tax_code, "email": email})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Issue 15, item 3, kept by the office: a suspended intermediary's users act for no one
/// (`of_user` gives them no intermediary, so no mandate); its mandates stay recorded and
/// count again once it is reactivated. Suspending one already suspended changes nothing
/// (`false`).
pub async fn suspend(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
) -> Result<bool, IntermediaryError> {
    set_suspended(ctx, actor, intermediary_id, true).await
}

/// Lifts the suspension: the users act again within the mandates in force.
pub async fn reactivate(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
) -> Result<bool, IntermediaryError> {
    set_suspended(ctx, actor, intermediary_id, false).await
}

async fn set_suspended(
    ctx: &Ctx,
    actor: &Actor,
    intermediary_id: &str,
    suspend: bool,
) -> Result<bool, IntermediaryError> {
    let inter = existing(&ctx.db, intermediary_id).await?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let query = if suspend {
        sqlx::query(
            "UPDATE intermediaries SET suspended_at = $2 WHERE id = $1 AND suspended_at IS NULL",
        )
        .bind(&inter.id)
        .bind(db::instant(now))
    } else {
        sqlx::query(
            "UPDATE intermediaries SET suspended_at = NULL WHERE id = $1 \
             AND suspended_at IS NOT NULL",
        )
        .bind(&inter.id)
    };
    let changed = query.execute(&mut *tx).await?.rows_affected() > 0;
    if !changed {
        return Ok(false);
    }
    let action = if suspend {
        "intermediary.suspend"
    } else {
        "intermediary.reactivate"
    };
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new(action, "intermediary", Some(&inter.id))
            .before(json!({"suspended": !suspend}))
            .after(json!({"suspended": suspend})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
