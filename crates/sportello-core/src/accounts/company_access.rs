//! Which companies a principal may read, prepare for and send for: the one rule behind the
//! principal's companies, every company-side write and the company's lists (issue 15, items 2
//! and 3).
//!
//! A person reaches a company in two ways: a link (`user_companies`, with the scope its
//! representative set: read, prepare, send) or, for an intermediary's user, a mandate of that
//! company **in force today** (first day reached, last day not passed, not revoked). A mandate
//! in force lets the intermediary read the client and, as far as the company's own scopes go,
//! send; what it may write is narrowed further by the mandate's practice types and chambers
//! (`intermediary::mandate::covers`). A mandate not yet started, expired or revoked gives
//! nothing: the client's objects are "not found", as any object outside scope. A write
//! attempted on such a client still says why it is refused ("… è scaduto il …"), since the
//! person may have the page open and can act on it (ask the company for a new mandate).
//!
//! [`in_force`] computes the set when the principal is loaded; [`require`] checks one write
//! at the object's own company, whatever company the session acts for.

use crate::accounts::{CompanyScope, Principal, Role};
use crate::chambers;
use crate::clock::italian_day;
use crate::db::Db;
use crate::intermediary::mandate::{self, Mandate, MandateRefusal, MandateState};
use crate::trade::PracticeType;
use chrono::{DateTime, NaiveDate, Utc};

/// One company the principal acts for, with what it may do there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CompanyAccess {
    pub company_id: String,
    pub scope: CompanyScope,
    /// Reached only through a mandate in force: every write is narrowed by the mandate's
    /// practice types and chambers.
    pub through_mandate: bool,
}

/// Issue 15, items 2 and 3: the companies a principal acts for today — each company link with
/// its scope, then each client whose mandate to the principal's intermediary is in force on
/// `today` (with the widest scope, narrowed per write by the mandate). A client whose
/// mandates are all not started, expired or revoked is not among them.
pub fn in_force(
    links: Vec<(String, CompanyScope)>,
    mandates: &[Mandate],
    today: NaiveDate,
) -> Vec<CompanyAccess> {
    let mut out: Vec<CompanyAccess> = links
        .into_iter()
        .map(|(company_id, scope)| CompanyAccess {
            company_id,
            scope,
            through_mandate: false,
        })
        .collect();
    for m in mandates {
        if m.state(today) == MandateState::Active
            && !out.iter().any(|a| a.company_id == m.company_id)
        {
            out.push(CompanyAccess {
                company_id: m.company_id.clone(),
                scope: CompanyScope::Send,
                through_mandate: true,
            });
        }
    }
    out.sort_by(|a, b| a.company_id.cmp(&b.company_id));
    out
}

/// What a write touches: the object's own company and, when known, its practice type and the
/// chamber it goes to.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub company_id: &'a str,
    pub practice_type: Option<PracticeType>,
    pub chamber_id: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub fn company(company_id: &'a str) -> Self {
        Self {
            company_id,
            practice_type: None,
            chamber_id: None,
        }
    }
}

/// Why a company-side act is refused.
#[derive(Debug, thiserror::Error)]
pub enum CompanyRefusal {
    /// The principal does not act for the company at all: its objects do not exist for them.
    #[error("not found")]
    NotFound,
    /// The principal's scope at the company does not reach the act (issue 15, item 2).
    #[error("the scope at {company} does not include {needed:?}")]
    Scope {
        company: String,
        needed: CompanyScope,
    },
    /// An intermediary's user outside the client's mandate (issue 15, item 3).
    #[error(transparent)]
    Mandate(#[from] MandateRefusal),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Whether the principal may perform, at `target`'s company, an act needing `needed`
/// (prepare: models, uploads, attachments, deletion of drafts; send: sending, top-ups,
/// webhooks). Checked at the object's own company, never the session's. `NotFound` for a
/// company the principal has nothing to do with; for a client of an intermediary whose
/// mandates are not in force, the mandate's refusal (when it starts, expired, revoked); a
/// company user's scope that does not reach the act is `Scope`; an intermediary's user is
/// then held to the mandate's practice types and chambers.
pub async fn require(
    db: &Db,
    principal: &Principal,
    needed: CompanyScope,
    target: Target<'_>,
    now: DateTime<Utc>,
) -> Result<(), CompanyRefusal> {
    if principal.role() != Role::Company {
        return Err(CompanyRefusal::NotFound);
    }
    let today = italian_day(now);
    let Some(access) = principal.access_at(target.company_id) else {
        // A former (or future) client: the mandate says why, where one was ever granted.
        if principal.intermediary.is_some()
            && principal
                .mandates
                .iter()
                .any(|m| m.company_id == target.company_id)
        {
            return mandate_refusal(db, principal, target, today).await;
        }
        return Err(CompanyRefusal::NotFound);
    };
    if access.scope < needed {
        let company = company_name(db, target.company_id).await?;
        return Err(CompanyRefusal::Scope { company, needed });
    }
    if access.through_mandate {
        return mandate_refusal(db, principal, target, today).await;
    }
    Ok(())
}

/// The intermediary's mandates judged for `target` ([`mandate::covers`]), a refused chamber
/// named by its name.
async fn mandate_refusal(
    db: &Db,
    principal: &Principal,
    target: Target<'_>,
    today: NaiveDate,
) -> Result<(), CompanyRefusal> {
    let name = company_name(db, target.company_id).await?;
    match mandate::covers(
        &principal.mandates,
        target.company_id,
        &name,
        target.practice_type,
        target.chamber_id,
        today,
    ) {
        Ok(_) => Ok(()),
        Err(MandateRefusal::ChamberNotCovered { company, chamber }) => {
            let chamber = chambers::get_chamber(db, &chamber)
                .await?
                .map(|c| c.name)
                .unwrap_or(chamber);
            Err(MandateRefusal::ChamberNotCovered { company, chamber }.into())
        }
        Err(r) => Err(r.into()),
    }
}

async fn company_name(db: &Db, company_id: &str) -> Result<String, sqlx::Error> {
    Ok(crate::registry::get_company(db, company_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default())
}

/// Whether the principal may, at `target`, perform an act needing `needed` — the same rule as
/// [`require`] without the database, for pages that show or hide a button: an act the
/// principal may not perform is not offered.
pub fn may(
    principal: &Principal,
    needed: CompanyScope,
    target: Target<'_>,
    now: DateTime<Utc>,
) -> bool {
    if principal.role() != Role::Company {
        return false;
    }
    let Some(access) = principal.access_at(target.company_id) else {
        return false;
    };
    access.scope >= needed
        && (!access.through_mandate
            || mandate::covers(
                &principal.mandates,
                target.company_id,
                "",
                target.practice_type,
                target.chamber_id,
                italian_day(now),
            )
            .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn mandate(company: &str, from: &str, to: &str) -> Mandate {
        Mandate {
            id: format!("m-{company}"),
            intermediary_id: "i1".into(),
            intermediary_name: "Rossi Spedizioni S.r.l.".into(),
            company_id: company.into(),
            company_name: company.into(),
            practice_types: vec![PracticeType::CertificateOfOrigin],
            chamber_ids: vec!["ge".into()],
            valid_from: day(from),
            valid_to: day(to),
            granted_via: mandate::VIA_REPRESENTATIVE.into(),
            created_at: "2026-11-30T10:00:00.000000Z".into(),
            revoked_on: None,
            revoked_side: None,
        }
    }

    fn ids(a: &[CompanyAccess]) -> Vec<&str> {
        a.iter().map(|x| x.company_id.as_str()).collect()
    }

    /// Issue 15, item 3: an intermediary acts for a client only while a mandate is in force.
    #[test]
    fn a_client_counts_only_while_its_mandate_is_in_force() {
        let mut revoked = mandate("c4", "2026-12-01", "2026-12-31");
        revoked.revoked_on = Some(day("2026-12-05"));
        let ms = [
            mandate("c1", "2026-12-01", "2026-12-31"),
            mandate("c2", "2026-12-10", "2026-12-31"),
            mandate("c3", "2026-11-01", "2026-12-06"),
            revoked,
        ];
        let today = day("2026-12-07");
        let access = in_force(Vec::new(), &ms, today);
        assert_eq!(ids(&access), ["c1"]);
        assert!(access[0].through_mandate);
        assert_eq!(access[0].scope, CompanyScope::Send);
        // The last day is still in force; the day after, nothing.
        assert_eq!(
            ids(&in_force(Vec::new(), &ms, day("2026-12-06"))),
            ["c1", "c3"]
        );
    }

    /// Issue 15, item 2: a company link keeps the scope its representative set.
    #[test]
    fn a_company_link_keeps_its_scope() {
        let links = vec![
            ("b".to_string(), CompanyScope::Read),
            ("a".to_string(), CompanyScope::Prepare),
        ];
        let access = in_force(
            links,
            &[mandate("b", "2026-12-01", "2026-12-31")],
            day("2026-12-07"),
        );
        assert_eq!(ids(&access), ["a", "b"]);
        assert_eq!(access[1].scope, CompanyScope::Read);
        assert!(!access[1].through_mandate);
    }
}
