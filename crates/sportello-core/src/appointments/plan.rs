//! A desk's opening plan (weekday, opening and closing time, slot length) and the operators
//! who serve at the desk. Slots are computed, never stored: a slot is an opening time of the
//! plan on a date, in Italian local time (Europe/Rome), kept as a UTC instant.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::chambers::{self, Desk};
use crate::clock::{italian_day, italian_instant};
use crate::db::{self, Db, Tx};
use crate::ra::operator::{self, Operator};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use serde_json::json;

/// One opening period of a weekday (1 = Monday … 7 = Sunday).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Opening {
    pub weekday: i64,
    pub opens: String,
    pub closes: String,
    pub slot_minutes: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("a line of the plan is not valid: {0}")]
    Line(String),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// One bookable slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Slot {
    /// The start as people read it in Italy (`09:30`).
    pub fn local_time(&self) -> String {
        crate::display::time(self.starts_at)
    }
    pub fn local_date(&self) -> NaiveDate {
        italian_day(self.starts_at)
    }
}

fn time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// The slots of `date` under `plan`, in order.
pub fn slots_on(plan: &[Opening], date: NaiveDate) -> Vec<Slot> {
    let weekday = i64::from(date.weekday().number_from_monday());
    let mut out = Vec::new();
    for o in plan.iter().filter(|o| o.weekday == weekday) {
        let (Some(opens), Some(closes)) = (time(&o.opens), time(&o.closes)) else {
            continue;
        };
        let step = chrono::Duration::minutes(o.slot_minutes.max(5));
        let mut t = opens;
        while t + step <= closes {
            let local = date.and_time(t);
            if let Some(start) = italian_instant(local) {
                out.push(Slot {
                    starts_at: start,
                    ends_at: start + step,
                });
            }
            t += step;
        }
    }
    out.sort();
    out
}

/// Parses a plan written one period per line: `1 09:00 12:30 30` (weekday, opens, closes,
/// minutes per slot).
pub fn parse(text: &str) -> Result<Vec<Opening>, PlanError> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let bad = || PlanError::Line(line.to_string());
        let [wd, opens, closes, minutes] = parts.as_slice() else {
            return Err(bad());
        };
        let weekday: i64 = wd.parse().map_err(|_| bad())?;
        let slot_minutes: i64 = minutes.parse().map_err(|_| bad())?;
        let (Some(o), Some(c)) = (time(opens), time(closes)) else {
            return Err(bad());
        };
        if !(1..=7).contains(&weekday) || !(5..=240).contains(&slot_minutes) || o >= c {
            return Err(bad());
        }
        out.push(Opening {
            weekday,
            opens: o.format("%H:%M").to_string(),
            closes: c.format("%H:%M").to_string(),
            slot_minutes,
        });
    }
    Ok(out)
}

/// The plan written back as text, for the form.
pub fn to_text(plan: &[Opening]) -> String {
    plan.iter()
        .map(|o| format!("{} {} {} {}", o.weekday, o.opens, o.closes, o.slot_minutes))
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn of_desk(db: &Db, desk_id: &str) -> Result<Vec<Opening>, sqlx::Error> {
    sqlx::query_as(
        "SELECT weekday, opens, closes, slot_minutes FROM appt_opening_hours WHERE desk_id = $1 \
         ORDER BY weekday, opens",
    )
    .bind(desk_id)
    .fetch_all(db.pool())
    .await
}

/// The desk `desk_id` of the caller's chamber; another chamber's desk is not found.
async fn own_desk(ctx: &Ctx, p: &Principal, desk_id: &str) -> Result<Desk, AccessError> {
    let chamber_id = chamber_of(p)?;
    chambers::get_desk(&ctx.db, desk_id)
        .await?
        .filter(|d| d.chamber_id == chamber_id)
        .ok_or(AccessError::NotFound)
}

/// The Master RAO replaces the opening plan of a desk of their chamber with the plan written
/// in `text` (see [`parse`]); returns the plan as recorded.
pub async fn change(
    ctx: &Ctx,
    p: &Principal,
    desk_id: &str,
    text: &str,
) -> Result<Vec<Opening>, PlanError> {
    let desk = own_desk(ctx, p, desk_id).await?;
    let plan = parse(text)?;
    let mut tx = ctx.db.begin().await?;
    replace(&mut tx, ctx.clock.now(), &p.actor(), &desk, &plan).await?;
    tx.commit().await?;
    Ok(plan)
}

/// The operators who may serve at a desk of the chamber: people, not organisations (an
/// organisation acts through its collaborators).
pub async fn roster_candidates(db: &Db, chamber_id: &str) -> Result<Vec<Operator>, sqlx::Error> {
    Ok(operator::list_in_chamber(db, chamber_id)
        .await?
        .into_iter()
        .filter(|o| !o.is_organisation())
        .collect())
}

/// The Master RAO sets who serves at a desk of their chamber: exactly the candidates listed
/// in `chosen` (ids of anyone else are ignored). Only the changes are written and audited.
pub async fn change_roster(
    ctx: &Ctx,
    p: &Principal,
    desk_id: &str,
    chosen: &[String],
) -> Result<(), PlanError> {
    let desk = own_desk(ctx, p, desk_id).await?;
    let serving = roster(&ctx.db, &desk.id).await?;
    let candidates = roster_candidates(&ctx.db, &desk.chamber_id).await?;
    let (now, actor) = (ctx.clock.now(), p.actor());
    let mut tx = ctx.db.begin().await?;
    for op in &candidates {
        let want = chosen.contains(&op.id);
        if want != serving.contains(&op.id) {
            set_roster(&mut tx, now, &actor, &desk, &op.id, want).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Replaces a desk's plan inside `tx` (the demo seed shares it).
pub async fn replace(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    desk: &Desk,
    plan: &[Opening],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM appt_opening_hours WHERE desk_id = $1")
        .bind(&desk.id)
        .execute(&mut **tx)
        .await?;
    for o in plan {
        sqlx::query(
            "INSERT INTO appt_opening_hours (id, desk_id, weekday, opens, closes, slot_minutes, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(db::new_id())
        .bind(&desk.id)
        .bind(o.weekday)
        .bind(&o.opens)
        .bind(&o.closes)
        .bind(o.slot_minutes)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
    }
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&desk.chamber_id)),
        Change::new("appointment.plan", "desk", Some(&desk.id))
            .after(json!({"plan": to_text(plan)})),
    )
    .await?;
    Ok(())
}

/// The operators who serve at the desk.
pub async fn roster(db: &Db, desk_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT operator_id FROM appt_desk_operators WHERE desk_id = $1 ORDER BY operator_id",
    )
    .bind(desk_id)
    .fetch_all(db.pool())
    .await
}

/// Adds (`serve = true`) or removes an operator from the desk's roster inside `tx` (the demo
/// seed shares it).
pub async fn set_roster(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    desk: &Desk,
    operator_id: &str,
    serve: bool,
) -> Result<(), sqlx::Error> {
    if serve {
        sqlx::query(
            "INSERT INTO appt_desk_operators (desk_id, operator_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (desk_id, operator_id) DO NOTHING",
        )
        .bind(&desk.id)
        .bind(operator_id)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
    } else {
        sqlx::query("DELETE FROM appt_desk_operators WHERE desk_id = $1 AND operator_id = $2")
            .bind(&desk.id)
            .bind(operator_id)
            .execute(&mut **tx)
            .await?;
    }
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&desk.chamber_id)),
        Change::new("appointment.roster", "desk", Some(&desk.id))
            .after(json!({"operator_id": operator_id, "serves": serve})),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_plan_in_italian_time() {
        let plan = parse("3 09:00 10:00 30\n3 14:00 14:45 20\n1 09:00 12:00 30").unwrap();
        // 25 November 2026 is a Wednesday; Rome is UTC+1 in winter.
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let s = slots_on(&plan, d);
        let times: Vec<_> = s.iter().map(Slot::local_time).collect();
        assert_eq!(times, ["09:00", "09:30", "14:00", "14:20"]);
        assert_eq!(s[0].starts_at.to_rfc3339(), "2026-11-25T08:00:00+00:00");
        assert!(
            slots_on(&plan, d.succ_opt().unwrap()).is_empty(),
            "closed on Thursday"
        );
    }

    #[test]
    fn a_bad_plan_line_is_refused() {
        assert!(parse("8 09:00 10:00 30").is_err());
        assert!(parse("1 10:00 09:00 30").is_err());
        assert!(parse("1 09:00 10:00").is_err());
        assert_eq!(
            to_text(&parse("1 9:00 12:30 30").unwrap()),
            "1 09:00 12:30 30"
        );
    }
}
