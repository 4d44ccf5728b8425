//! Scope checks shared by pages and API: an operator id from the client is never trusted —
//! it must belong to the caller's chamber and, for an operator, to their own subtree. The same
//! subtree decides which desks' appointments an operator sees and takes ([`desk_scope`]).

use crate::accounts::Principal;
use crate::appointments::booking::{self, Appointment};
use crate::authz::AccessError;
pub use crate::authz::chamber_of;
use crate::chambers::{self, Desk};
use crate::db::Db;
use crate::paging::{Keyset, Slice};
use crate::ra::operator::{self, Operator};
use crate::ra::{mandate, office};
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// The operator `id` if the caller may see it; 404 otherwise (another chamber, another
/// subtree, or no such operator look the same).
pub async fn visible_operator(db: &Db, p: &Principal, id: &str) -> Result<Operator, AccessError> {
    let chamber_id = chamber_of(p)?;
    let op = operator::get(db, id)
        .await?
        .filter(|o| o.chamber_id == chamber_id)
        .ok_or(AccessError::NotFound)?;
    if office::scope_of(db, p).await?.sees(&op) {
        Ok(op)
    } else {
        Err(AccessError::NotFound)
    }
}

/// The operators of the caller's chamber within their subtree ([`office::scope_of`]), by
/// kind and name; with `expiring_on`, only those whose mandate is in force on that day and
/// ends within [`mandate::EXPIRY_NOTICE_DAYS`]. The operators list and the home pages' count
/// both read it, so a count never shows more than the list.
pub async fn visible_operators(
    db: &Db,
    p: &Principal,
    expiring_on: Option<NaiveDate>,
) -> Result<Vec<Operator>, AccessError> {
    let chamber_id = chamber_of(p)?;
    let scope = office::scope_of(db, p).await?;
    Ok(operator::list_in_chamber(db, chamber_id)
        .await?
        .into_iter()
        .filter(|o| scope.sees(o))
        .filter(|o| match expiring_on {
            None => true,
            Some(today) => o.mandate.is_some_and(|m| mandate::expiring(m.end, today)),
        })
        .collect())
}

/// The list filter of the operators a caller sees: their subtree ([`office::scope_of`]) and,
/// with `expiring_on`, mandates in force that day ending within
/// [`mandate::EXPIRY_NOTICE_DAYS`], the rule [`visible_operators`] applies in memory.
async fn visible_filter(
    db: &Db,
    p: &Principal,
    expiring_on: Option<NaiveDate>,
) -> Result<operator::ListFilter, AccessError> {
    let only = match office::scope_of(db, p).await? {
        office::Scope::Chamber => None,
        office::Scope::Operators(ids) => Some(ids.into_iter().collect()),
    };
    let expiring = expiring_on.map(|today| {
        let limit = today
            .checked_add_days(chrono::Days::new(mandate::EXPIRY_NOTICE_DAYS))
            .unwrap_or(NaiveDate::MAX);
        (today, limit)
    });
    Ok(operator::ListFilter { only, expiring })
}

/// One page of the operators the caller sees, by name (the operators list), read by keyset
/// in SQL (issue 14): the same operators as [`visible_operators`].
pub async fn visible_operators_page(
    db: &Db,
    p: &Principal,
    expiring_on: Option<NaiveDate>,
    request: &Keyset,
) -> Result<Slice<Operator>, AccessError> {
    let chamber_id = chamber_of(p)?;
    let filter = visible_filter(db, p, expiring_on).await?;
    Ok(operator::page_in_chamber(db, chamber_id, &filter, request).await?)
}

/// How many operators [`visible_operators_page`] lists, at most [`crate::paging::COUNT_CAP`]
/// + 1 (the home page's count of expiring mandates).
pub async fn visible_operators_count(
    db: &Db,
    p: &Principal,
    expiring_on: Option<NaiveDate>,
) -> Result<u64, AccessError> {
    let chamber_id = chamber_of(p)?;
    let filter = visible_filter(db, p, expiring_on).await?;
    Ok(operator::count_in_chamber(db, chamber_id, &filter).await?)
}

/// The desks whose appointments a caller may see and act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeskScope {
    /// The Master RAO: every desk of the chamber.
    Chamber,
    /// An operator: the desks served by someone of their office subtree.
    Desks(BTreeSet<String>),
}

impl DeskScope {
    pub fn covers(&self, desk_id: &str) -> bool {
        match self {
            DeskScope::Chamber => true,
            DeskScope::Desks(ids) => ids.contains(desk_id),
        }
    }
}

/// RA procedure, office tree: each operator works within their subtree (every
/// RAO, ODR and IR of a chamber saw every desk's applicants, and an IR of one desk opened a
/// session from another desk's appointment). An operator's desks are those on whose roster
/// stands an operator of their subtree ([`office::scope_of`]: themselves and, for an
/// organisation, its collaborators); the Master RAO has the whole chamber. Desks of another
/// chamber are never in scope.
pub async fn desk_scope(db: &Db, p: &Principal) -> Result<DeskScope, AccessError> {
    let chamber_id = chamber_of(p)?;
    if p.role().is_master_rao() {
        return Ok(DeskScope::Chamber);
    }
    let office::Scope::Operators(ids) = office::scope_of(db, p).await? else {
        return Ok(DeskScope::Chamber);
    };
    let mut desks = BTreeSet::new();
    for id in &ids {
        let served: Vec<String> = sqlx::query_scalar(
            "SELECT o.desk_id FROM appt_desk_operators o JOIN desks d ON d.id = o.desk_id \
             WHERE o.operator_id = $1 AND d.chamber_id = $2",
        )
        .bind(id)
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?;
        desks.extend(served);
    }
    Ok(DeskScope::Desks(desks))
}

/// The desks of the caller's chamber within their [`desk_scope`], by name.
pub async fn visible_desks(db: &Db, p: &Principal) -> Result<Vec<Desk>, AccessError> {
    let scope = desk_scope(db, p).await?;
    Ok(chambers::desks_of(db, chamber_of(p)?)
        .await?
        .into_iter()
        .filter(|d| scope.covers(&d.id))
        .collect())
}

/// The desk `key` (code or id) if the caller may work it; another chamber's desk, a desk
/// outside the subtree and no desk look the same.
pub async fn visible_desk(db: &Db, p: &Principal, key: &str) -> Result<Desk, AccessError> {
    visible_desks(db, p)
        .await?
        .into_iter()
        .find(|d| d.code.as_str() == key || d.id == key)
        .ok_or(AccessError::NotFound)
}

/// The appointment `id` if its desk is within the caller's [`desk_scope`]; 404 otherwise.
pub async fn visible_appointment(
    db: &Db,
    p: &Principal,
    id: &str,
) -> Result<Appointment, AccessError> {
    let a = booking::get(db, chamber_of(p)?, id)
        .await?
        .ok_or(AccessError::NotFound)?;
    if desk_scope(db, p).await?.covers(&a.desk_id) {
        Ok(a)
    } else {
        Err(AccessError::NotFound)
    }
}
