//! The convention with the Certification Authority (RA procedure: signed 29/07/2020, ending
//! 28/07/2026). Its end caps every mandate. A renewal never extends a mandate silently:
//! [`extendable`] lists the mandates a renewal would lengthen, and [`extend_mandates`] is the
//! explicit action that does it.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::ra::accreditation::State;
use crate::ra::mandate::{MandateBasis, mandate_dates_with_term};
use crate::ra::operator::{self, Operator};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Convention {
    pub id: String,
    pub chamber_id: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The CA's certified e-mail address (PEC), where documents and revocations go.
    pub ca_pec: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    chamber_id: String,
    start_date: String,
    end_date: String,
    ca_pec: Option<String>,
}

impl TryFrom<Row> for Convention {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        Ok(Convention {
            start: db::parse_date(&r.start_date)?,
            end: db::parse_date(&r.end_date)?,
            id: r.id,
            chamber_id: r.chamber_id,
            ca_pec: r.ca_pec,
        })
    }
}

const SELECT_CURRENT: &str = "SELECT id, chamber_id, start_date, end_date, ca_pec FROM ra_conventions \
     WHERE chamber_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1";

/// The convention in force for a chamber (the latest one recorded).
pub async fn current(db: &Db, chamber_id: &str) -> Result<Option<Convention>, sqlx::Error> {
    sqlx::query_as::<_, Row>(SELECT_CURRENT)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await?
        .map(Convention::try_from)
        .transpose()
}

pub async fn current_tx(tx: &mut Tx, chamber_id: &str) -> Result<Option<Convention>, sqlx::Error> {
    sqlx::query_as::<_, Row>(SELECT_CURRENT)
        .bind(chamber_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Convention::try_from)
        .transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum ConventionError {
    #[error("the convention must end after it starts")]
    EndBeforeStart,
    #[error("a renewal cannot end before the convention in force ({0})")]
    Shortened(NaiveDate),
    #[error("not a valid e-mail address for the CA")]
    CaPec,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A mandate that the convention in force would allow to last longer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub operator_id: String,
    pub name: String,
    pub end: NaiveDate,
    pub would_end: NaiveDate,
}

/// RA procedure: a mandate cannot outlast the convention. The longer end a mandate capped by an earlier convention would get under a
/// convention ending on `convention_end`; `None` when it would not change.
pub fn extension(op: &Operator, convention_end: NaiveDate) -> Option<NaiveDate> {
    if matches!(op.state, State::Revoked) {
        return None;
    }
    let m = op.mandate?;
    // An organisation RAO's mandate keeps the term of its act.
    let would = mandate_dates_with_term(
        op.kind,
        op.is_organisation(),
        op.first_phase,
        MandateBasis::Appointment {
            protocol_date: m.start,
        },
        op.act_term,
        convention_end,
    )
    .ok()?;
    (would.end > m.end).then_some(would.end)
}

/// The mandates of the chamber that the convention in force would extend.
pub async fn extendable(db: &Db, chamber_id: &str) -> Result<Vec<Extension>, sqlx::Error> {
    let Some(conv) = current(db, chamber_id).await? else {
        return Ok(Vec::new());
    };
    Ok(operator::list_in_chamber(db, chamber_id)
        .await?
        .into_iter()
        .filter_map(|op| {
            let would_end = extension(&op, conv.end)?;
            Some(Extension {
                end: op.mandate?.end,
                operator_id: op.id,
                name: op.name,
                would_end,
            })
        })
        .collect())
}

/// The caller records the convention of their own chamber (the first one or a renewal), from
/// the page or the API. Mandates are not touched: [`extend`] is the explicit step after it.
pub async fn record(
    ctx: &Ctx,
    p: &Principal,
    start: NaiveDate,
    end: NaiveDate,
    ca_pec: Option<&str>,
) -> Result<Convention, ConventionError> {
    let chamber_id = chamber_of(p)?;
    let mut tx = ctx.db.begin().await?;
    let c = set(
        &mut tx,
        ctx.clock.now(),
        &p.actor(),
        chamber_id,
        start,
        end,
        ca_pec,
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// The caller extends the named mandates of their own chamber to what the convention in
/// force allows (ids of another chamber, or not extendable, are skipped).
pub async fn extend(
    ctx: &Ctx,
    p: &Principal,
    operator_ids: &[String],
) -> Result<Vec<Extension>, ConventionError> {
    let chamber_id = chamber_of(p)?;
    let mut tx = ctx.db.begin().await?;
    let done = extend_mandates(
        &mut tx,
        ctx.clock.now(),
        &p.actor(),
        chamber_id,
        operator_ids,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// Records a convention (the first one or a renewal) inside `tx`; the demo seed shares it.
/// Mandates are not touched.
pub async fn set(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    start: NaiveDate,
    end: NaiveDate,
    ca_pec: Option<&str>,
) -> Result<Convention, ConventionError> {
    if end <= start {
        return Err(ConventionError::EndBeforeStart);
    }
    let ca_pec = match ca_pec.map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Some(crate::accounts::normalise_email(p).ok_or(ConventionError::CaPec)?),
        None => None,
    };
    let before = current_tx(tx, chamber_id).await?;
    if let Some(b) = &before
        && end < b.end
    {
        return Err(ConventionError::Shortened(b.end));
    }
    let ca_pec = ca_pec.or_else(|| before.as_ref().and_then(|b| b.ca_pec.clone()));
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_conventions (id, chamber_id, start_date, end_date, ca_pec, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(db::date(start))
    .bind(db::date(end))
    .bind(&ca_pec)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new(
            if before.is_some() {
                "ra.convention.renew"
            } else {
                "ra.convention.set"
            },
            "ra_convention",
            Some(&id),
        )
        .before(json!(
            before
                .as_ref()
                .map(|b| json!({"start": b.start, "end": b.end}))
        ))
        .after(json!({"start": start, "end": end, "ca_pec": ca_pec})),
    )
    .await?;
    Ok(Convention {
        id,
        chamber_id: chamber_id.to_string(),
        start,
        end,
        ca_pec,
    })
}

/// The step of [`extend`] inside `tx` (the demo seed shares it): extends the listed mandates
/// to what the convention in force allows. Returns the extensions made (operators that cannot
/// be extended are skipped).
pub async fn extend_mandates(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_ids: &[String],
) -> Result<Vec<Extension>, sqlx::Error> {
    let Some(conv) = current_tx(tx, chamber_id).await? else {
        return Ok(Vec::new());
    };
    let mut done = Vec::new();
    for id in operator_ids {
        let Some(op) = operator::get_tx(tx, id)
            .await?
            .filter(|o| o.chamber_id == chamber_id)
        else {
            continue;
        };
        let (Some(m), Some(would_end)) = (op.mandate, extension(&op, conv.end)) else {
            continue;
        };
        sqlx::query("UPDATE ra_operators SET mandate_end = $2, updated_at = $3 WHERE id = $1")
            .bind(&op.id)
            .bind(db::date(would_end))
            .bind(db::instant(now))
            .execute(&mut **tx)
            .await?;
        audit::record(
            tx,
            now,
            &actor.clone().in_chamber(Some(chamber_id)),
            Change::new("ra.mandate.extend", "ra_operator", Some(&op.id))
                .before(json!({"end": m.end}))
                .after(json!({"end": would_end, "convention_id": conv.id})),
        )
        .await?;
        done.push(Extension {
            operator_id: op.id,
            name: op.name,
            end: m.end,
            would_end,
        });
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ra::operator::{Mandate, OperatorKind};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_renewal_extends_only_mandates_capped_by_the_old_end() {
        let mut capped = Operator::sample(OperatorKind::Odr);
        capped.mandate = Some(Mandate {
            start: d("2024-09-01"),
            end: d("2026-07-28"),
        });
        assert_eq!(extension(&capped, d("2030-07-28")), Some(d("2027-09-01")));
        let mut full = Operator::sample(OperatorKind::Odr);
        full.mandate = Some(Mandate {
            start: d("2022-01-10"),
            end: d("2025-01-10"),
        });
        assert_eq!(extension(&full, d("2030-07-28")), None);
        capped.state = State::Revoked;
        assert_eq!(extension(&capped, d("2030-07-28")), None);
    }
}
