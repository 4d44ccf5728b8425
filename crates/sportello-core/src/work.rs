//! The work waiting for someone, shown on their home page with counts: for an officer the
//! practices on their desks, for a company its drafts and rectifications, for the
//! registration authority today's appointments, approvals and expiring mandates, for a
//! chamber administrator their users and the jobs that gave up.
//!
//! Every count is read through the same query, with the same scope, as the list it links to
//! (the inbox, the company's lists, the day view, the devices page, the operators list), so
//! a count never tells of something the list would not show.

use crate::Ctx;
use crate::accounts::{Principal, Role, offboarding};
use crate::appointments::booking::{self, Standing};
use crate::authz::{self, AccessError, Action};
use crate::chambers::Desk;
use crate::devices::{withdrawal, write_off};
use crate::ra::access;
use crate::trade::desk::{self, InboxFilter};
use crate::trade::practice::lists::{self, ListKind, Summary};

/// The work waiting for one person, by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waiting {
    Officer(OfficerWork),
    Company(CompanyWork),
    Ra(RaWork),
    ChamberAdmin(AdminWork),
    /// Roles whose home page lists no work (manager, auditor).
    Nothing,
}

/// An officer's inbox, over the desks they work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfficerWork {
    /// Sent and nobody has taken them yet.
    pub to_review: u64,
    /// In review, taken by this officer.
    pub taken_by_me: u64,
    /// Sent back to the company, waiting for its rectification.
    pub waiting_rectification: u64,
}

/// A company user's lists, over the companies they act for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompanyWork {
    pub drafts: Summary,
    /// With the nearest deadline (Cert'O guide: the practice is rejected when it passes).
    pub to_rectify: Summary,
    pub sent: Summary,
}

/// The registration authority's day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaWork {
    /// Confirmed appointments of today, per desk of the operator's subtree (the day view).
    pub appointments_today: Vec<(Desk, u64)>,
    /// Withdrawals from the cabinet waiting for a second person (the devices page); `None`
    /// for a role that does not manage the inventory.
    pub withdrawals_pending: Option<u64>,
    /// Lost, damaged and destroyed reports waiting for a second person.
    pub write_offs_pending: Option<u64>,
    /// Visible operators whose mandate ends soon (the operators list, filtered).
    pub mandates_expiring: u64,
}

/// A chamber administrator's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminWork {
    pub users: u64,
    /// Background jobs that gave up after their last attempt.
    pub dead_jobs: u64,
}

/// What waits for `p` now.
pub async fn waiting(ctx: &Ctx, p: &Principal) -> Result<Waiting, AccessError> {
    let db = &ctx.db;
    Ok(match p.role() {
        Role::Officer => {
            let count = |status: &str, taken: &str| InboxFilter {
                status: status.into(),
                taken: taken.into(),
                ..InboxFilter::default()
            };
            let total = |f: InboxFilter| async move { desk::inbox_count(db, p, &f).await };
            Waiting::Officer(OfficerWork {
                to_review: total(count("sent", "")).await?,
                taken_by_me: total(count("in_review", "me")).await?,
                waiting_rectification: total(count("to_rectify", "")).await?,
            })
        }
        Role::Company => {
            let now = ctx.clock.now();
            let summary = |kind| lists::summary(db, &p.company_ids, kind, now);
            Waiting::Company(CompanyWork {
                drafts: summary(ListKind::ToSend).await?,
                to_rectify: summary(ListKind::ToRectify).await?,
                sent: summary(ListKind::Sent).await?,
            })
        }
        Role::MasterRao | Role::MasterRaoOrdinary | Role::Rao | Role::Odr | Role::Ir => {
            let today = ctx.clock.today();
            let now = ctx.clock.now();
            let mut appointments_today = Vec::new();
            for d in access::visible_desks(db, p).await? {
                let confirmed = booking::day(db, &d.id, today)
                    .await?
                    .iter()
                    .filter(|a| a.standing(now) == Standing::Confirmed)
                    .count() as u64;
                appointments_today.push((d, confirmed));
            }
            let inventory = authz::allows(p.role(), Action::ManageInventory);
            let (withdrawals_pending, write_offs_pending) = match (inventory, &p.user.chamber_id) {
                (true, Some(chamber_id)) => (
                    Some(withdrawal::pending_count(db, chamber_id).await?),
                    Some(write_off::pending_count(db, chamber_id).await?),
                ),
                _ => (None, None),
            };
            Waiting::Ra(RaWork {
                appointments_today,
                withdrawals_pending,
                write_offs_pending,
                mandates_expiring: access::visible_operators_count(db, p, Some(today)).await?,
            })
        }
        Role::ChamberAdmin => {
            let dead_jobs = crate::jobs::overview(ctx, p)
                .await?
                .counts
                .into_iter()
                .find(|(status, _)| status == "dead")
                .map_or(0, |(_, n)| u64::try_from(n).unwrap_or(0));
            Waiting::ChamberAdmin(AdminWork {
                users: offboarding::managed_users_count(db, p).await?,
                dead_jobs,
            })
        }
        _ => Waiting::Nothing,
    })
}
