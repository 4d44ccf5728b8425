//! An ODR's account at the chamber, as people act on it: who may see it, the advance the ODR
//! paid, the full-service flag. The ledger itself is [`advance`]; the pages and the API come
//! here so both apply the same scope and the same rules.

use crate::Ctx;
use crate::accounts::Principal;
use crate::authz::{self, AccessError, Action, chamber_of};
use crate::db::Db;
use crate::devices::advance::{self, Account, AdvanceError};
use crate::devices::stock;
use crate::devices::withdrawal::{self, Destination, WithdrawalError};
use crate::money::Money;
use crate::paging;
use crate::ra::operator::{self, Operator, OperatorKind};
use crate::validation::FieldError;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum OdrAccountError {
    /// The ODR may not receive devices today, or is not an ODR with its own account.
    #[error(transparent)]
    Receiver(#[from] WithdrawalError),
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Advance(#[from] AdvanceError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Whether `op` holds an advance account and receives consignments: an ODR organisation or a
/// natural-person ODR, not a collaborator (who works on its organisation's account).
pub fn holds_account(op: &Operator) -> bool {
    op.kind == OperatorKind::Odr && op.organisation_id.is_none()
}

/// The ODR the user works for: the ODR they are, or the organisation they collaborate with.
pub async fn own_odr(db: &Db, p: &Principal) -> Result<Option<Operator>, sqlx::Error> {
    for op in operator::of_user(db, &p.user.id).await? {
        let top = match &op.organisation_id {
            Some(org) => operator::get(db, org).await?,
            None => Some(op),
        };
        if let Some(top) = top.filter(|o| o.kind == OperatorKind::Odr) {
            return Ok(Some(top));
        }
    }
    Ok(None)
}

/// The ODR `id` of the caller's chamber if the caller may see its account: whoever consigns
/// devices (the Master RAO), or the ODR itself. Anything else is not found, so another
/// chamber's or another ODR's account is not revealed.
pub async fn visible_odr(db: &Db, p: &Principal, id: &str) -> Result<Operator, AccessError> {
    let chamber_id = chamber_of(p)?;
    let op = operator::get(db, id)
        .await?
        .filter(|o| o.chamber_id == chamber_id && o.kind == OperatorKind::Odr)
        .ok_or(AccessError::NotFound)?;
    if authz::allows(p.role(), Action::ConsignDevices) {
        return Ok(op);
    }
    if authz::allows(p.role(), Action::ReportIssuedDevices)
        && own_odr(db, p).await?.is_some_and(|o| o.id == op.id)
    {
        return Ok(op);
    }
    Err(AccessError::NotFound)
}

/// Only who consigns devices changes an account: [`visible_odr`] also admits the ODR itself,
/// which may look but not top up its own advance.
async fn managed_odr(ctx: &Ctx, p: &Principal, id: &str) -> Result<Operator, AccessError> {
    if !authz::allows(p.role(), Action::ConsignDevices) {
        return Err(AccessError::Forbidden);
    }
    visible_odr(&ctx.db, p, id).await
}

/// Records an advance the ODR paid (`amount` as typed, in either decimal style, with the
/// payment's reference). RA procedure (RA procedure, part 2): devices are consigned against the
/// advance, so the account is an ODR's that may receive devices today — an ODR itself, not a
/// collaborator of one, with a valid mandate and course.
pub async fn top_up(
    ctx: &Ctx,
    p: &Principal,
    operator_id: &str,
    amount: &str,
    reference: &str,
) -> Result<Account, OdrAccountError> {
    let op = managed_odr(ctx, p, operator_id).await?;
    let today = ctx.clock.today();
    withdrawal::receiver(&ctx.db, &op.chamber_id, Destination::Odr, &op.id, today).await?;
    let mut fields = Vec::new();
    let amount = Money::parse(amount).ok().filter(|m| m.cents() > 0);
    if amount.is_none() {
        fields.push(FieldError::new("amount", "dev-error-amount"));
    }
    let reference = reference.trim();
    if reference.is_empty() {
        fields.push(FieldError::new("reference", "dev-error-reference"));
    }
    let Some(amount) = amount.filter(|_| fields.is_empty()) else {
        return Err(OdrAccountError::Invalid(fields));
    };
    let mut tx = ctx.db.begin().await?;
    let account = advance::top_up(
        &mut tx,
        ctx.clock.now(),
        &p.actor(),
        &op.chamber_id,
        &op.id,
        amount,
        reference,
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// The most free smart cards the chamber may set for one ODR: a guard against a slip of the
/// keyboard, far above what a desk hands out.
pub const MAX_FREE_ALLOWANCE: i64 = 1000;

/// Records whether the ODR serves companies end to end, which lets it receive free smart
/// cards (RA procedure, part 2), and, when given, `n`: how many free smart cards it may hold
/// at once (`free_smart_cards` as typed; empty leaves `n` as it is).
pub async fn set_full_service(
    ctx: &Ctx,
    p: &Principal,
    operator_id: &str,
    full: bool,
    free_smart_cards: Option<&str>,
) -> Result<(), OdrAccountError> {
    let op = managed_odr(ctx, p, operator_id).await?;
    let n = match free_smart_cards.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (0..=MAX_FREE_ALLOWANCE).contains(&n) => Some(n),
            _ => {
                let mut f = FieldError::new("free_smart_cards", "dev-error-free-allowance-value");
                f.args.push(("max", MAX_FREE_ALLOWANCE.to_string()));
                return Err(OdrAccountError::Invalid(vec![f]));
            }
        },
    };
    let mut tx = ctx.db.begin().await?;
    if let Some(n) = n {
        advance::set_free_allowance(
            &mut tx,
            ctx.clock.now(),
            &p.actor(),
            &op.chamber_id,
            &op.id,
            n,
        )
        .await?;
    }
    advance::set_full_service(
        &mut tx,
        ctx.clock.now(),
        &p.actor(),
        &op.chamber_id,
        &op.id,
        full,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the consignments page shows of one ODR besides its name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub account: Account,
    pub full_service: bool,
    /// Devices consigned to the ODR and not issued or returned yet.
    pub holds: i64,
}

/// `$first, $first + 1, …`: the placeholders of `n` ids.
fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The advance accounts of `n` ODRs, each a probe of the primary key.
fn accounts_sql(prefix: &str, n: usize) -> String {
    format!(
        "{prefix}SELECT operator_id, balance_cents, held_cents FROM dev_advance_accounts \
         WHERE operator_id IN ({})",
        marks(1, n)
    )
}

/// The full-service flags of `n` ODRs, each a probe of the primary key.
fn profiles_sql(prefix: &str, n: usize) -> String {
    format!(
        "{prefix}SELECT operator_id, full_service FROM dev_odr_profiles \
         WHERE operator_id IN ({})",
        marks(1, n)
    )
}

/// The figures of the ODRs `ids` (a page of them), in three statements whatever their
/// number (issue 14: three per ODR before): the advance accounts, the full-service flags and
/// the devices held, read from the stock counters. An ODR without an account has zeros.
pub async fn summaries(
    db: &Db,
    chamber_id: &str,
    ids: &[String],
) -> Result<HashMap<String, Summary>, sqlx::Error> {
    let mut out: HashMap<String, Summary> = ids
        .iter()
        .map(|id| (id.clone(), Summary::default()))
        .collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q =
        sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(accounts_sql("", ids.len())));
    for id in ids {
        q = q.bind(id.as_str());
    }
    for (id, balance_cents, held_cents) in q.fetch_all(db.pool()).await? {
        if let Some(s) = out.get_mut(&id) {
            s.account = Account {
                balance_cents,
                held_cents,
            };
        }
    }
    let mut q =
        sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(profiles_sql("", ids.len())));
    for id in ids {
        q = q.bind(id.as_str());
    }
    for (id, full) in q.fetch_all(db.pool()).await? {
        if let Some(s) = out.get_mut(&id) {
            s.full_service = full != 0;
        }
    }
    for (id, n) in stock::held_by_each(db, chamber_id, ids).await? {
        if let Some(s) = out.get_mut(&id) {
            s.holds = n;
        }
    }
    Ok(out)
}

/// The engine's plans of the three statements [`summaries`] runs for `ids`.
pub async fn summaries_plans(
    db: &Db,
    chamber_id: &str,
    ids: &[String],
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let mut plans = Vec::new();
    for sql in [
        accounts_sql(paging::explain(db), ids.len()),
        profiles_sql(paging::explain(db), ids.len()),
    ] {
        let mut q = sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.as_str());
        }
        plans.push(paging::plan(db, q).await?);
    }
    plans.push(stock::held_by_each_plan(db, chamber_id, ids).await?);
    Ok(plans)
}
