//! Booking an appointment with pre-registration, confirming it by its link, cancelling it by
//! its link, recording no-shows, and the desk's day view.
//!
//! A slot holds as many appointments as the desk has operators who may act that day; each
//! appointment is given to one free operator, and a unique index on (operator, start) for
//! booked appointments makes a double booking impossible even with concurrent requests.
//!
//! A new booking is *pending*: its status is `booked` but it holds the slot only until
//! `hold_until` ([`HOLD_MINUTES`] after the request), unless the applicant opens the link sent
//! to their e-mail and confirms it. A hold that ran out holds nothing: every query that counts
//! bookings reads it as free ([`ACTIVE`]), a new booking of the slot cancels it first, and the
//! [`ExpireHolds`] job cancels the rest (reason `unconfirmed`).

use crate::Ctx;
use crate::appointments::applicant::mail_safe;
use crate::appointments::limits;
use crate::appointments::plan::{self, Slot};
use crate::audit::{self, Actor, Change};
use crate::chambers::Desk;
use crate::clock::italian_day;
use crate::db::{self, Db, Tx};
use crate::display;
use crate::i18n::Lang;
use crate::jobs::Job;
use crate::notify::{self, OutgoingEmail};
use crate::ra::operator;
use crate::validation::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// How far ahead a slot may be booked.
pub const HORIZON_DAYS: i64 = 60;

/// How long an unconfirmed booking holds its slot (the applicant proves the e-mail
/// address is theirs by opening the link sent to it).
pub const HOLD_MINUTES: i64 = 30;

/// The SQL condition of a booking that holds its slot: booked, and confirmed or still within
/// its hold (`$now` is the parameter named in each query).
macro_rules! active {
    ($now:literal) => {
        concat!(
            "status = 'booked' AND (confirmed_at IS NOT NULL OR hold_until > ",
            $now,
            ")"
        )
    };
}

/// What [`active!`] expands to, for the documentation.
pub const ACTIVE: &str = active!("$now");

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
    pub confirmed_at: Option<String>,
    pub hold_until: Option<String>,
}

/// Where a booking stands for the applicant and the desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Booked, waiting for the applicant's confirmation, holding the slot.
    Pending,
    /// Booked and confirmed.
    Confirmed,
    /// Never confirmed: the hold ran out (cancelled or about to be).
    Expired,
    Cancelled,
    NoShow,
    Served,
}

impl Standing {
    /// The message key of the status shown to people.
    pub fn label_key(self) -> &'static str {
        match self {
            Standing::Pending => "appt-status-pending",
            Standing::Confirmed => "appt-status-booked",
            Standing::Expired => "appt-status-expired",
            Standing::Cancelled => "appt-status-cancelled",
            Standing::NoShow => "appt-status-no-show",
            Standing::Served => "appt-status-served",
        }
    }
}

impl Appointment {
    /// Where the booking stands at `now`.
    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        let held = self
            .hold_until
            .as_deref()
            .and_then(|h| db::parse_instant(h).ok())
            .is_some_and(|h| h > now);
        match self.status.as_str() {
            "booked" if self.confirmed_at.is_some() => Standing::Confirmed,
            "booked" if held => Standing::Pending,
            "booked" => Standing::Expired,
            "cancelled" if self.cancel_reason.as_deref() == Some("unconfirmed") => {
                Standing::Expired
            }
            "no_show" => Standing::NoShow,
            "served" => Standing::Served,
            _ => Standing::Cancelled,
        }
    }
    /// The end of the hold as people read it (`09:30`).
    pub fn local_hold_until(&self) -> String {
        self.hold_until
            .as_deref()
            .and_then(|h| db::parse_instant(h).ok())
            .map(display::time)
            .unwrap_or_default()
    }
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

/// `SELECT` of every [`Appointment`] column, then `$rest`.
macro_rules! select_appointments {
    ($rest:literal) => {
        concat!(
            "SELECT id, chamber_id, desk_id, operator_id, starts_at, ends_at, slot_date, status, ",
            "given_name, surname, tax_code, birth_date, birth_place, email, phone, company_tax_code, ",
            "device_kind, wants_free, cancel_reason, confirmed_at, hold_until FROM appointments ",
            $rest
        )
    };
}
pub(crate) use select_appointments;

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
/// day (RA procedure, part 1: a valid mandate and course), less those already booked (a hold
/// that ran out at `now` takes no place).
pub async fn availability(
    db: &Db,
    desk: &Desk,
    date: NaiveDate,
    now: DateTime<Utc>,
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
    let booked: Vec<(String, String)> = sqlx::query_as(concat!(
        "SELECT starts_at, operator_id FROM appointments WHERE desk_id = $1 AND slot_date = $2 AND ",
        active!("$3")
    ))
    .bind(&desk.id)
    .bind(db::date(date))
    .bind(db::instant(now))
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
    /// One active booking per tax code per service.
    #[error("the applicant already has a booking for this service")]
    AlreadyBooked,
    /// Too many requests from the client address or for the e-mail address.
    #[error("too many booking requests")]
    TooManyRequests,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The public booking form's use case: counts the request against the client address's limit
/// (refused requests count too), parses the form, then [`book`]s. Returns the pending booking.
pub async fn request(
    ctx: &Ctx,
    client: IpAddr,
    desk: &Desk,
    starts_at: DateTime<Utc>,
    form: &crate::appointments::ApplicantForm,
) -> Result<Appointment, BookingError> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let within = limits::hit(
        &mut tx,
        now,
        &limits::address_bucket(client),
        limits::PER_ADDRESS,
    )
    .await?;
    tx.commit().await?;
    if !within {
        return Err(BookingError::TooManyRequests);
    }
    let applicant = form
        .parse(ctx.clock.today())
        .map_err(BookingError::Invalid)?;
    book(
        &ctx.db,
        now,
        &ctx.config.public_url,
        desk,
        starts_at,
        &applicant,
    )
    .await
}

/// The service an applicant books: the device asked for at the desk (a smart card and a token
/// are two services).
fn service_of(a: &Applicant) -> &'static str {
    a.device.as_str()
}

/// Books `starts_at` at `desk` for the applicant, pending: the slot is held for
/// [`HOLD_MINUTES`] and the e-mail with the confirmation link is queued. Refused when the
/// applicant already has an active booking for the same service in the chamber, or when the
/// e-mail address has been given too often ([`limits::PER_EMAIL`]). Returns the appointment.
pub async fn book(
    db: &Db,
    now: DateTime<Utc>,
    public_url: &str,
    desk: &Desk,
    starts_at: DateTime<Utc>,
    a: &Applicant,
) -> Result<Appointment, BookingError> {
    let date = italian_day(starts_at);
    if starts_at <= now || starts_at > now + chrono::Duration::days(HORIZON_DAYS) {
        return Err(BookingError::OutOfRange);
    }
    let avail = availability(db, desk, date, now).await?;
    let slot = avail
        .into_iter()
        .find(|s| s.slot.starts_at == starts_at)
        .ok_or(BookingError::NoSuchSlot)?;
    let hold_until = (now + chrono::Duration::minutes(HOLD_MINUTES)).min(slot.slot.starts_at);
    for operator_id in &slot.free_operators {
        let confirm = crate::accounts::session::random_token();
        let cancel = crate::accounts::session::random_token();
        let id = db::new_id();
        let mut tx = db.begin().await?;
        // The applicant's row first: it serialises their concurrent requests, so the check
        // below sees any booking committed meanwhile.
        limits::hit(
            &mut tx,
            now,
            &limits::applicant_bucket(&desk.chamber_id, a.tax_code.as_str(), service_of(a)),
            limits::Limit {
                max: i64::MAX,
                window_minutes: 24 * 60,
            },
        )
        .await?;
        let active: i64 = sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM appointments WHERE chamber_id = $1 AND tax_code = $2 \
             AND device_kind = $3 AND starts_at > $4 AND ",
            active!("$4")
        ))
        .bind(&desk.chamber_id)
        .bind(a.tax_code.as_str())
        .bind(service_of(a))
        .bind(db::instant(now))
        .fetch_one(&mut *tx)
        .await?;
        if active > 0 {
            return Err(BookingError::AlreadyBooked);
        }
        if !limits::hit(
            &mut tx,
            now,
            &limits::email_bucket(&a.email),
            limits::PER_EMAIL,
        )
        .await?
        {
            return Err(BookingError::TooManyRequests);
        }
        expire_holds(&mut tx, now, Some((&desk.id, slot.slot.starts_at))).await?;
        let inserted = sqlx::query(
            "INSERT INTO appointments (id, chamber_id, desk_id, operator_id, starts_at, ends_at, \
             slot_date, status, given_name, surname, tax_code, birth_date, birth_place, email, \
             phone, company_tax_code, device_kind, wants_free, cancel_token_hash, created_at, \
             updated_at, hold_until, confirm_token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             'booked', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21)",
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
        .bind(token_hash(&cancel))
        .bind(db::instant(now))
        .bind(db::instant(hold_until))
        .bind(token_hash(&confirm))
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
                "hold_until": db::instant(hold_until),
            })),
        )
        .await?;
        let lang = Lang::It;
        let args = [
            (
                "name",
                mail_safe(&format!("{} {}", a.given_name, a.surname)),
            ),
            ("when", display::date_time(slot.slot.starts_at)),
            ("desk", desk.name.clone()),
            ("until", display::time(hold_until)),
            (
                "link",
                format!(
                    "{}/book/confirm/{confirm}",
                    public_url.trim_end_matches('/')
                ),
            ),
        ];
        notify::queue(
            &mut tx,
            now,
            OutgoingEmail {
                to: a.email.clone(),
                subject: lang.t_args("appt-mail-pending-subject", &args),
                body_text: lang.t_args("appt-mail-pending-body", &args),
                chamber_id: Some(desk.chamber_id.clone()),
                attachments: Vec::new(),
            },
        )
        .await?;
        tx.commit().await?;
        return get(db, &desk.chamber_id, &id)
            .await?
            .ok_or(BookingError::NoSuchSlot);
    }
    Err(BookingError::SlotFull)
}

/// Cancels, inside `tx`, the unconfirmed bookings whose hold ran out at `now` (reason
/// `unconfirmed`, with an audit entry each): of one slot of a desk, or all of them. Returns how
/// many.
pub async fn expire_holds(
    tx: &mut Tx,
    now: DateTime<Utc>,
    slot: Option<(&str, DateTime<Utc>)>,
) -> Result<u64, sqlx::Error> {
    let stale: Vec<Appointment> = match slot {
        Some((desk_id, starts_at)) => sqlx::query_as::<_, Appointment>(select_appointments!(
            "WHERE desk_id = $1 AND starts_at = $2 AND status = 'booked' \
             AND confirmed_at IS NULL AND hold_until <= $3"
        ))
        .bind(desk_id)
        .bind(db::instant(starts_at))
        .bind(db::instant(now)),
        None => sqlx::query_as::<_, Appointment>(select_appointments!(
            "WHERE status = 'booked' AND confirmed_at IS NULL AND hold_until <= $1 \
             ORDER BY hold_until LIMIT 500"
        ))
        .bind(db::instant(now)),
    }
    .fetch_all(&mut **tx)
    .await?;
    let mut n = 0;
    for a in stale {
        match set_status(
            tx,
            now,
            &Actor::system("booking"),
            &a,
            "cancelled",
            Some("unconfirmed"),
        )
        .await
        {
            Ok(()) => n += 1,
            Err(StatusError::Db(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(n)
}

/// Cancels the bookings never confirmed in time and forgets old request counters; scheduled
/// every few minutes. Reading a hold that ran out as free does not wait for it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExpireHolds {}

impl Job for ExpireHolds {
    const KIND: &'static str = "appointment_holds";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let expired = expire_holds(&mut tx, now, None).await?;
        let purged = limits::purge(&mut tx, now).await?;
        tx.commit().await?;
        tracing::info!(expired, purged, "appointment holds");
        Ok(())
    }
}

/// What opening a confirmation link did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// Confirmed now: the slot is the applicant's; the e-mail with the cancel link is queued.
    Confirmed,
    /// Confirmed before: nothing changed.
    AlreadyConfirmed,
    /// The hold ran out before the confirmation: the slot was freed.
    Expired,
    /// Cancelled, served or missed: nothing to confirm.
    Closed,
}

/// The appointment a confirmation link points to.
pub async fn by_confirm_token(db: &Db, token: &str) -> Result<Option<Appointment>, sqlx::Error> {
    sqlx::query_as(select_appointments!("WHERE confirm_token_hash = $1"))
        .bind(token_hash(token))
        .fetch_optional(db.pool())
        .await
}

/// What confirming the booking of `a` would do at `now` (the page before the button).
pub fn confirmation_of(a: &Appointment, now: DateTime<Utc>) -> Option<Confirmation> {
    match a.standing(now) {
        Standing::Pending => None,
        Standing::Confirmed => Some(Confirmation::AlreadyConfirmed),
        Standing::Expired => Some(Confirmation::Expired),
        Standing::Cancelled | Standing::NoShow | Standing::Served => Some(Confirmation::Closed),
    }
}

/// The applicant confirms with the link of the e-mail: a pending booking within its hold
/// becomes confirmed (one conditional update) and the e-mail with the cancel link is queued;
/// a hold that ran out is cancelled and reported as expired.
pub async fn confirm(ctx: &Ctx, token: &str) -> Result<(Appointment, Confirmation), StatusError> {
    let now = ctx.clock.now();
    let appt = by_confirm_token(&ctx.db, token)
        .await?
        .ok_or(StatusError::NotFound)?;
    let outcome = match confirmation_of(&appt, now) {
        Some(Confirmation::Expired) => {
            let mut tx = ctx.db.begin().await?;
            expire_holds(
                &mut tx,
                now,
                Some((&appt.desk_id, db::parse_instant(&appt.starts_at)?)),
            )
            .await?;
            tx.commit().await?;
            Confirmation::Expired
        }
        Some(done) => done,
        None => {
            let cancel = crate::accounts::session::random_token();
            let mut tx = ctx.db.begin().await?;
            let n = sqlx::query(
                "UPDATE appointments SET confirmed_at = $2, updated_at = $2, cancel_token_hash = $3 \
                 WHERE id = $1 AND status = 'booked' AND confirmed_at IS NULL AND hold_until > $2",
            )
            .bind(&appt.id)
            .bind(db::instant(now))
            .bind(token_hash(&cancel))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                // Confirmed or expired a moment ago: say what it is now.
                tx.rollback().await?;
                let now_is = by_confirm_token(&ctx.db, token)
                    .await?
                    .ok_or(StatusError::NotFound)?;
                let outcome =
                    confirmation_of(&now_is, now).unwrap_or(Confirmation::AlreadyConfirmed);
                return Ok((now_is, outcome));
            }
            audit::record(
                &mut tx,
                now,
                &Actor::system("public").in_chamber(Some(&appt.chamber_id)),
                Change::new("appointment.confirm", "appointment", Some(&appt.id))
                    .before(json!({"confirmed": false}))
                    .after(json!({"confirmed": true})),
            )
            .await?;
            let desk: String = sqlx::query_scalar("SELECT name FROM desks WHERE id = $1")
                .bind(&appt.desk_id)
                .fetch_one(&mut *tx)
                .await?;
            let args = [
                (
                    "name",
                    mail_safe(&format!("{} {}", appt.given_name, appt.surname)),
                ),
                ("when", appt.local_start()),
                ("desk", desk),
                (
                    "link",
                    format!(
                        "{}/book/cancel/{cancel}",
                        ctx.config.public_url.trim_end_matches('/')
                    ),
                ),
            ];
            notify::queue(
                &mut tx,
                now,
                OutgoingEmail {
                    to: appt.email.clone(),
                    subject: Lang::It.t_args("appt-mail-confirm-subject", &args),
                    body_text: Lang::It.t_args("appt-mail-confirm-body", &args),
                    chamber_id: Some(appt.chamber_id.clone()),
                    attachments: Vec::new(),
                },
            )
            .await?;
            tx.commit().await?;
            Confirmation::Confirmed
        }
    };
    let appt = by_confirm_token(&ctx.db, token)
        .await?
        .ok_or(StatusError::NotFound)?;
    Ok((appt, outcome))
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

/// Moves a booked appointment to `to` (cancelled, no_show, served) inside `tx`; only a
/// confirmed one is served or missed.
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
         cancel_reason = COALESCE($4, cancel_reason) WHERE id = $1 AND status = 'booked' \
         AND (confirmed_at IS NOT NULL OR $2 = 'cancelled')",
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

/// The desk records that the applicant did not come (only once the slot has started, and only
/// at a desk within the operator's subtree: `ra::access::visible_appointment`).
pub async fn mark_no_show(
    db: &Db,
    now: DateTime<Utc>,
    p: &crate::accounts::Principal,
    id: &str,
) -> Result<Appointment, StatusError> {
    let appt = crate::ra::access::visible_appointment(db, p, id)
        .await
        .map_err(|e| match e {
            crate::authz::AccessError::Db(e) => StatusError::Db(e),
            _ => StatusError::NotFound,
        })?;
    if db::parse_instant(&appt.starts_at)? > now {
        return Err(StatusError::NotStarted);
    }
    let mut tx = db.begin().await?;
    set_status(&mut tx, now, &p.actor(), &appt, "no_show", None).await?;
    tx.commit().await?;
    get(db, &appt.chamber_id, id)
        .await?
        .ok_or(StatusError::NotFound)
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
                (
                    "name",
                    mail_safe(&format!("{} {}", a.given_name, a.surname)),
                ),
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
