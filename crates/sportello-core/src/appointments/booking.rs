//! Booking an appointment with pre-registration, cancelling it by its link, recording
//! no-shows, and the desk's day view.
//!
//! A slot holds as many appointments as the desk has operators who may act that day; each
//! appointment is given to one free operator, and a unique index on (operator, start) for
//! booked appointments makes a double booking impossible even with concurrent requests.

use crate::appointments::plan::{self, Slot};
use crate::audit::{self, Actor, Change};
use crate::chambers::Desk;
use crate::clock::italian_day;
use crate::db::{self, Db, Tx};
use crate::display;
use crate::i18n::Lang;
use crate::notify::{self, OutgoingEmail};
use crate::ra::operator;
use crate::validation::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How far ahead a slot may be booked.
pub const HORIZON_DAYS: i64 = 60;

pub use crate::appointments::applicant::{Applicant, ApplicantForm};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Appointment {
    pub id: String,
    pub chamber_id: String,
    pub desk_id: String,
    pub operator_id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub slot_date: String,
    pub status: String,
    pub given_name: String,
    pub surname: String,
    pub tax_code: String,
    pub birth_date: String,
    pub birth_place: String,
    pub email: String,
    pub phone: String,
    pub company_tax_code: Option<String>,
    pub device_kind: String,
    pub wants_free: i64,
    pub cancel_reason: Option<String>,
}

impl Appointment {
    pub fn local_start(&self) -> String {
        db::parse_instant(&self.starts_at)
            .map(display::date_time)
            .unwrap_or_default()
    }
    pub fn local_time(&self) -> String {
        db::parse_instant(&self.starts_at)
            .map(display::time)
            .unwrap_or_default()
    }
}

macro_rules! select_appointments {
    ($rest:literal) => {
        concat!(
            "SELECT id, chamber_id, desk_id, operator_id, starts_at, ends_at, slot_date, status, ",
            "given_name, surname, tax_code, birth_date, birth_place, email, phone, company_tax_code, ",
            "device_kind, wants_free, cancel_reason FROM appointments ",
            $rest
        )
    };
}

pub async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Appointment>, sqlx::Error> {
    sqlx::query_as(select_appointments!("WHERE id = $1 AND chamber_id = $2"))
        .bind(id)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await
}

/// The desk's appointments of a day, by time.
pub async fn day(db: &Db, desk_id: &str, date: NaiveDate) -> Result<Vec<Appointment>, sqlx::Error> {
    sqlx::query_as(select_appointments!(
        "WHERE desk_id = $1 AND slot_date = $2 ORDER BY starts_at, surname"
    ))
    .bind(desk_id)
    .bind(db::date(date))
    .fetch_all(db.pool())
    .await
}

/// A slot with its capacity and the operators still free in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Availability {
    pub slot: Slot,
    pub capacity: usize,
    pub free_operators: Vec<String>,
}

/// The slots of `date` at `desk` with their capacity: the roster's operators who may act that
/// day (RA procedure, part 1: a valid mandate and course), less those already booked.
pub async fn availability(
    db: &Db,
    desk: &Desk,
    date: NaiveDate,
) -> Result<Vec<Availability>, sqlx::Error> {
    let opening = plan::of_desk(db, &desk.id).await?;
    let slots = plan::slots_on(&opening, date);
    if slots.is_empty() {
        return Ok(Vec::new());
    }
    let mut able = Vec::new();
    for id in plan::roster(db, &desk.id).await? {
        if let Some(op) = operator::get(db, &id).await?
            && op.chamber_id == desk.chamber_id
            && crate::ra::eligibility::eligibility(&op, date).can_act
        {
            able.push(op.id);
        }
    }
    let booked: Vec<(String, String)> = sqlx::query_as(
        "SELECT starts_at, operator_id FROM appointments WHERE desk_id = $1 AND slot_date = $2 AND status = 'booked'",
    )
    .bind(&desk.id)
    .bind(db::date(date))
    .fetch_all(db.pool())
    .await?;
    // Operators with fewer appointments that day come first, so the work is shared.
    let load = |id: &String| booked.iter().filter(|(_, o)| o == id).count();
    able.sort_by_key(|id| (load(id), id.clone()));
    Ok(slots
        .into_iter()
        .map(|slot| {
            let at = db::instant(slot.starts_at);
            let free = able
                .iter()
                .filter(|id| !booked.iter().any(|(s, o)| *s == at && o == *id))
                .cloned()
                .collect();
            Availability {
                slot,
                capacity: able.len(),
                free_operators: free,
            }
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error("the desk has no such slot")]
    NoSuchSlot,
    #[error("the slot is in the past or too far ahead")]
    OutOfRange,
    /// Every operator of the slot is taken.
    #[error("the slot is full")]
    SlotFull,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Books `starts_at` at `desk` for the applicant and queues the confirmation e-mail with the
/// cancel link. Returns the appointment and its cancel token (shown once, sent by e-mail).
pub async fn book(
    db: &Db,
    now: DateTime<Utc>,
    public_url: &str,
    desk: &Desk,
    starts_at: DateTime<Utc>,
    a: &Applicant,
) -> Result<(Appointment, String), BookingError> {
    let date = italian_day(starts_at);
    if starts_at <= now || starts_at > now + chrono::Duration::days(HORIZON_DAYS) {
        return Err(BookingError::OutOfRange);
    }
    let avail = availability(db, desk, date).await?;
    let slot = avail
        .into_iter()
        .find(|s| s.slot.starts_at == starts_at)
        .ok_or(BookingError::NoSuchSlot)?;
    for operator_id in &slot.free_operators {
        let token = crate::accounts::session::random_token();
        let id = db::new_id();
        let mut tx = db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO appointments (id, chamber_id, desk_id, operator_id, starts_at, ends_at, \
             slot_date, status, given_name, surname, tax_code, birth_date, birth_place, email, \
             phone, company_tax_code, device_kind, wants_free, cancel_token_hash, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'booked', $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19, $19)",
        )
        .bind(&id)
        .bind(&desk.chamber_id)
        .bind(&desk.id)
        .bind(operator_id)
        .bind(db::instant(slot.slot.starts_at))
        .bind(db::instant(slot.slot.ends_at))
        .bind(db::date(date))
        .bind(&a.given_name)
        .bind(&a.surname)
        .bind(a.tax_code.as_str())
        .bind(db::date(a.birth_date))
        .bind(&a.birth_place)
        .bind(&a.email)
        .bind(&a.phone)
        .bind(a.company_tax_code.as_ref().map(|t| t.as_str().to_string()))
        .bind(a.device.as_str())
        .bind(i64::from(a.wants_free))
        .bind(token_hash(&token))
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            // Another applicant took this operator a moment ago: try the next one.
            Err(e) if db::unique_violation(&e).is_some() => continue,
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        audit::record(
            &mut tx,
            now,
            &Actor::system("public").in_chamber(Some(&desk.chamber_id)),
            Change::new("appointment.book", "appointment", Some(&id)).after(json!({
                "desk": desk.code.as_str(), "starts_at": db::instant(slot.slot.starts_at),
                "operator_id": operator_id, "tax_code": a.tax_code.as_str(), "device": a.device.as_str(),
            })),
        )
        .await?;
        let when = display::date_time(slot.slot.starts_at);
        let lang = Lang::It;
        let args = [
            ("name", format!("{} {}", a.given_name, a.surname)),
            ("when", when),
            ("desk", desk.name.clone()),
            (
                "link",
                format!("{}/book/cancel/{token}", public_url.trim_end_matches('/')),
            ),
        ];
        notify::queue(
            &mut tx,
            now,
            OutgoingEmail {
                to: a.email.clone(),
                subject: lang.t_args("appt-mail-confirm-subject", &args),
                body_text: lang.t_args("appt-mail-confirm-body", &args),
                chamber_id: Some(desk.chamber_id.clone()),
                attachments: Vec::new(),
            },
        )
        .await?;
        tx.commit().await?;
        let appt = get(db, &desk.chamber_id, &id)
            .await?
            .ok_or(BookingError::NoSuchSlot)?;
        return Ok((appt, token));
    }
    Err(BookingError::SlotFull)
}

/// The appointment a cancel link points to.
pub async fn by_token(db: &Db, token: &str) -> Result<Option<Appointment>, sqlx::Error> {
    sqlx::query_as(select_appointments!("WHERE cancel_token_hash = $1"))
        .bind(token_hash(token))
        .fetch_optional(db.pool())
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no such appointment")]
    NotFound,
    #[error("the appointment is not booked any more")]
    NotBooked,
    #[error("the appointment has not started yet")]
    NotStarted,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Moves a booked appointment to `to` (cancelled, no_show, served) inside `tx`.
async fn set_status(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    appt: &Appointment,
    to: &'static str,
    reason: Option<&str>,
) -> Result<(), StatusError> {
    let n = sqlx::query(
        "UPDATE appointments SET status = $2, updated_at = $3, \
         cancelled_at = CASE WHEN $2 = 'cancelled' THEN $3 ELSE cancelled_at END, \
         no_show_at = CASE WHEN $2 = 'no_show' THEN $3 ELSE no_show_at END, \
         cancel_reason = COALESCE($4, cancel_reason) WHERE id = $1 AND status = 'booked'",
    )
    .bind(&appt.id)
    .bind(to)
    .bind(db::instant(now))
    .bind(reason)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StatusError::NotBooked);
    }
    let action = match to {
        "cancelled" => "appointment.cancel",
        "no_show" => "appointment.no_show",
        _ => "appointment.served",
    };
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&appt.chamber_id)),
        Change::new(action, "appointment", Some(&appt.id))
            .before(json!({"status": appt.status}))
            .after(json!({"status": to, "reason": reason})),
    )
    .await?;
    Ok(())
}

/// The applicant cancels with the link of the e-mail.
pub async fn cancel_by_token(
    db: &Db,
    now: DateTime<Utc>,
    token: &str,
) -> Result<Appointment, StatusError> {
    let appt = by_token(db, token).await?.ok_or(StatusError::NotFound)?;
    let mut tx = db.begin().await?;
    set_status(
        &mut tx,
        now,
        &Actor::system("public"),
        &appt,
        "cancelled",
        Some("applicant"),
    )
    .await?;
    tx.commit().await?;
    by_token(db, token).await?.ok_or(StatusError::NotFound)
}

/// The desk records that the applicant did not come (only once the slot has started).
pub async fn mark_no_show(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    id: &str,
) -> Result<Appointment, StatusError> {
    let appt = get(db, chamber_id, id)
        .await?
        .ok_or(StatusError::NotFound)?;
    if db::parse_instant(&appt.starts_at)? > now {
        return Err(StatusError::NotStarted);
    }
    let mut tx = db.begin().await?;
    set_status(&mut tx, now, actor, &appt, "no_show", None).await?;
    tx.commit().await?;
    get(db, chamber_id, id).await?.ok_or(StatusError::NotFound)
}

/// The appointment became an issuance session (inside the session's transaction).
pub async fn mark_served(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    appt: &Appointment,
) -> Result<(), StatusError> {
    set_status(tx, now, actor, appt, "served", None).await
}

/// Cancels the booked appointments of the given operators from `from` on and takes them off
/// every desk's roster (an operator revoked, inside the revocation's transaction); tells each
/// applicant by e-mail. Returns how many appointments were cancelled.
pub async fn cancel_for_operators(
    tx: &mut Tx,
    now: DateTime<Utc>,
    operator_ids: &[String],
    from: NaiveDate,
) -> Result<i64, sqlx::Error> {
    let mut n = 0;
    for op in operator_ids {
        let appts: Vec<Appointment> = sqlx::query_as(select_appointments!(
            "WHERE operator_id = $1 AND status = 'booked' AND slot_date >= $2"
        ))
        .bind(op)
        .bind(db::date(from))
        .fetch_all(&mut **tx)
        .await?;
        for a in appts {
            match set_status(
                tx,
                now,
                &Actor::system("revocation"),
                &a,
                "cancelled",
                Some("operator_revoked"),
            )
            .await
            {
                Ok(()) => n += 1,
                Err(StatusError::Db(e)) => return Err(e),
                Err(_) => continue,
            }
            let args = [
                ("name", format!("{} {}", a.given_name, a.surname)),
                ("when", a.local_start()),
            ];
            notify::queue(
                tx,
                now,
                OutgoingEmail {
                    to: a.email.clone(),
                    subject: Lang::It.t_args("appt-mail-cancelled-subject", &args),
                    body_text: Lang::It.t_args("appt-mail-cancelled-body", &args),
                    chamber_id: Some(a.chamber_id.clone()),
                    attachments: Vec::new(),
                },
            )
            .await?;
        }
        sqlx::query("DELETE FROM appt_desk_operators WHERE operator_id = $1")
            .bind(op)
            .execute(&mut **tx)
            .await?;
    }
    Ok(n)
}
