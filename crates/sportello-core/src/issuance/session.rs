//! Opening a session and its first steps: verify the data (corrections recorded), scan the
//! identity document (encrypted, see `scan`), assign the device. Every step is one
//! conditional update (`… WHERE state = $from`), an event line and an audit entry.

use crate::accounts::Principal;
use crate::appointments::booking::{self, Applicant, ApplicantForm, Appointment};
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::devices::inventory;
use crate::devices::{DeviceKind, DeviceState, free};
pub(crate) use crate::issuance::id_document::delete_scan;
pub use crate::issuance::id_document::{IdentityScan, read_scan, store_scan};
use crate::issuance::scan::ScanError;
use crate::issuance::state::{SessionState, Step, StepError};
use crate::ra::operator::{self, Operator, OperatorKind};
use crate::registry::TaxCode;
use crate::validation::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::json;

/// RA procedure, part 2: the contract clauses the applicant accepts one by one on the second
/// screen (message keys).
pub const CLAUSES: [&str; 4] = [
    "iss-clause-1",
    "iss-clause-2",
    "iss-clause-3",
    "iss-clause-4",
];

/// How long a pairing code is valid.
pub const PAIRING_MINUTES: i64 = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub chamber_id: String,
    pub desk_id: Option<String>,
    pub operator_id: String,
    pub user_id: String,
    pub appointment_id: Option<String>,
    pub state: String,
    pub given_name: String,
    pub surname: String,
    pub tax_code: String,
    pub birth_date: String,
    pub birth_place: String,
    pub email: String,
    pub phone: String,
    pub company_tax_code: Option<String>,
    pub device_kind: String,
    pub corrections: String,
    pub device_id: Option<String>,
    pub free: i64,
    pub fee_cents: i64,
    pub id_doc_type: Option<String>,
    pub id_doc_number: Option<String>,
    pub id_doc_expires_on: Option<String>,
    pub id_doc_sha256: Option<String>,
    pub scan_blob: Option<String>,
    pub scan_deleted_at: Option<String>,
    pub pairing_code: Option<String>,
    pub pairing_expires_at: Option<String>,
    pub screen_token_hash: Option<String>,
    pub clauses_accepted: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Session {
    pub fn state(&self) -> SessionState {
        SessionState::parse(&self.state).unwrap_or(SessionState::Aborted)
    }
    pub fn kind(&self) -> DeviceKind {
        DeviceKind::parse(&self.device_kind).unwrap_or(DeviceKind::SmartCard)
    }
    pub fn accepted(&self) -> Vec<usize> {
        serde_json::from_str(&self.clauses_accepted).unwrap_or_default()
    }

    /// A short fingerprint of how far the session has gone: it changes with every step and
    /// every clause accepted, so a page that polls knows whether it is out of date without
    /// being sent the page again. It says nothing the applicant's screen may not know.
    pub fn progress_revision(&self) -> String {
        fingerprint(&[&self.state, &self.clauses_accepted])
    }

    /// The same for the pairing of the second screen: a new code, or the screen paired. Only
    /// the operator's page uses it.
    pub fn pairing_revision(&self) -> String {
        fingerprint(&[
            self.pairing_code.as_deref().unwrap_or_default(),
            if self.screen_token_hash.is_some() {
                "paired"
            } else {
                ""
            },
        ])
    }
}

fn fingerprint(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

macro_rules! select_sessions {
    ($rest:literal) => {
        concat!(
            "SELECT id, chamber_id, desk_id, operator_id, user_id, appointment_id, state, given_name, ",
            "surname, tax_code, birth_date, birth_place, email, phone, company_tax_code, device_kind, ",
            "corrections, device_id, free, fee_cents, id_doc_type, id_doc_number, id_doc_expires_on, ",
            "id_doc_sha256, scan_blob, scan_deleted_at, pairing_code, pairing_expires_at, ",
            "screen_token_hash, clauses_accepted, created_at, updated_at FROM iss_sessions ",
            $rest
        )
    };
}
pub(crate) use select_sessions;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the user is not a registration operator")]
    NotAnOperator,
    /// RA procedure, part 1: only with a valid mandate and course.
    #[error("the operator may not act today: {0:?}")]
    CannotAct(Vec<String>),
    #[error(transparent)]
    Step(#[from] StepError),
    #[error("the session moved on meanwhile")]
    Changed,
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("the device is not available to this operator")]
    DeviceUnavailable,
    #[error("the company may not have a free device")]
    NotFree(free::FreeEligibility),
    #[error("the appointment is not booked")]
    AppointmentNotBooked,
    #[error("wrong or expired code")]
    WrongCode,
    #[error("too many wrong codes: ask for a new one")]
    TooManyAttempts,
    #[error(transparent)]
    Move(#[from] inventory::MoveError),
    #[error(transparent)]
    Grant(#[from] free::GrantError),
    #[error(transparent)]
    Advance(#[from] crate::devices::advance::AdvanceError),
    #[error(transparent)]
    Ca(#[from] crate::issuance::ca::CaError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The session `id` if the caller may work it: the operator's user who opened it, or the
/// chamber's Master RAO. Anything else — another chamber, another operator — is not found.
pub async fn visible(db: &Db, p: &Principal, id: &str) -> Result<Session, AccessError> {
    let chamber_id = chamber_of(p)?;
    let s = get(db, chamber_id, id)
        .await?
        .ok_or(AccessError::NotFound)?;
    if s.user_id == p.user.id || p.role().is_master_rao() {
        Ok(s)
    } else {
        Err(AccessError::NotFound)
    }
}

pub async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query_as(select_sessions!("WHERE id = $1 AND chamber_id = $2"))
        .bind(id)
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await
}

/// The open sessions of an operator, newest first.
pub async fn open_of(db: &Db, operator_id: &str) -> Result<Vec<Session>, sqlx::Error> {
    sqlx::query_as(select_sessions!(
        "WHERE operator_id = $1 AND state NOT IN ('handed_over', 'aborted') ORDER BY created_at DESC"
    ))
    .bind(operator_id)
    .fetch_all(db.pool())
    .await
}

/// The operator the user acts as today: linked to the account, able to act (RA procedure,
/// part 1: a valid mandate and course).
pub async fn operator_for(
    db: &Db,
    user_id: &str,
    today: NaiveDate,
) -> Result<Operator, SessionError> {
    let ops = operator::of_user(db, user_id).await?;
    let mut reasons = Vec::new();
    for op in ops.into_iter().filter(|o| !o.is_organisation()) {
        let e = crate::ra::eligibility::eligibility(&op, today);
        if e.can_act {
            return Ok(op);
        }
        reasons.extend(e.reasons.iter().map(|r| r.code().to_string()));
    }
    if reasons.is_empty() {
        Err(SessionError::NotAnOperator)
    } else {
        Err(SessionError::CannotAct(reasons))
    }
}

/// Where an operator's devices are: their own box (RAO), or their ODR's consignment.
pub fn device_holder(op: &Operator) -> (DeviceState, String) {
    match (op.kind, &op.organisation_id) {
        (OperatorKind::Rao, _) => (DeviceState::InOperatorBox, op.id.clone()),
        (_, Some(org)) => (DeviceState::ConsignedToOdr, org.clone()),
        _ => (DeviceState::ConsignedToOdr, op.id.clone()),
    }
}

fn pairing_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Step `s` with `step` inside `tx` (conditional on its state), with an event and an audit
/// entry; returns the new state.
pub(crate) async fn step(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    s: &Session,
    step: Step,
    note: Option<String>,
) -> Result<SessionState, SessionError> {
    let from = s.state();
    let to = from.after(step)?;
    let n = sqlx::query("UPDATE iss_sessions SET state = $3, updated_at = $4, ended_at = CASE WHEN $5 = 1 THEN $4 ELSE ended_at END WHERE id = $1 AND state = $2")
        .bind(&s.id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(db::instant(now))
        .bind(i64::from(to.is_final()))
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(SessionError::Changed);
    }
    sqlx::query("INSERT INTO iss_events (id, session_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(db::new_id())
        .bind(&s.id)
        .bind(db::instant(now))
        .bind(&actor.label)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(&note)
        .execute(&mut **tx)
        .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&s.chamber_id)),
        Change::new("issuance.step", "issuance_session", Some(&s.id))
            .before(json!({"state": from}))
            .after(json!({"state": to, "step": step, "note": note})),
    )
    .await?;
    Ok(to)
}

/// What a session starts from.
pub enum Source<'a> {
    Appointment(&'a Appointment),
    WalkIn(&'a Applicant),
}

/// Opens a session for `op` from an appointment (marked served) or a walk-in applicant.
pub async fn open(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: &str,
    op: &Operator,
    desk_id: Option<&str>,
    source: Source<'_>,
) -> Result<Session, SessionError> {
    let id = db::new_id();
    let mut tx = db.begin().await?;
    let (appt_id, desk, fields) = match source {
        Source::Appointment(a) => {
            if a.status != "booked" || a.confirmed_at.is_none() {
                return Err(SessionError::AppointmentNotBooked);
            }
            booking::mark_served(&mut tx, now, actor, a)
                .await
                .map_err(|_| SessionError::AppointmentNotBooked)?;
            (
                Some(a.id.clone()),
                Some(a.desk_id.clone()),
                (
                    a.given_name.clone(),
                    a.surname.clone(),
                    a.tax_code.clone(),
                    a.birth_date.clone(),
                    a.birth_place.clone(),
                    a.email.clone(),
                    a.phone.clone(),
                    a.company_tax_code.clone(),
                    a.device_kind.clone(),
                ),
            )
        }
        Source::WalkIn(a) => (
            None,
            desk_id.map(str::to_string),
            (
                a.given_name.clone(),
                a.surname.clone(),
                a.tax_code.as_str().to_string(),
                db::date(a.birth_date),
                a.birth_place.clone(),
                a.email.clone(),
                a.phone.clone(),
                a.company_tax_code.as_ref().map(|t| t.as_str().to_string()),
                a.device.as_str().to_string(),
            ),
        ),
    };
    sqlx::query(
        "INSERT INTO iss_sessions (id, chamber_id, desk_id, operator_id, user_id, appointment_id, state, \
         given_name, surname, tax_code, birth_date, birth_place, email, phone, company_tax_code, \
         device_kind, pairing_code, pairing_expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'opened', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
    )
    .bind(&id)
    .bind(&op.chamber_id)
    .bind(&desk)
    .bind(&op.id)
    .bind(user_id)
    .bind(&appt_id)
    .bind(&fields.0)
    .bind(&fields.1)
    .bind(&fields.2)
    .bind(&fields.3)
    .bind(&fields.4)
    .bind(&fields.5)
    .bind(&fields.6)
    .bind(&fields.7)
    .bind(&fields.8)
    .bind(pairing_code())
    .bind(db::instant(now + chrono::Duration::minutes(PAIRING_MINUTES)))
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&op.chamber_id)),
        Change::new("issuance.open", "issuance_session", Some(&id)).after(json!({
            "operator_id": op.id, "appointment_id": appt_id, "tax_code": fields.2, "device": fields.8,
        })),
    )
    .await?;
    tx.commit().await?;
    get(db, &op.chamber_id, &id)
        .await?
        .ok_or(SessionError::Changed)
}

/// A new pairing code for the second screen (the old one and any paired screen stop working).
pub async fn new_pairing(db: &Db, now: DateTime<Utc>, s: &Session) -> Result<(), SessionError> {
    if s.state().is_final() {
        return Err(SessionError::Changed);
    }
    sqlx::query("UPDATE iss_sessions SET pairing_code = $2, pairing_expires_at = $3, screen_token_hash = NULL, updated_at = $4 WHERE id = $1")
        .bind(&s.id)
        .bind(pairing_code())
        .bind(db::instant(now + chrono::Duration::minutes(PAIRING_MINUTES)))
        .bind(db::instant(now))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The operator verifies the pre-registered data; every field changed is recorded as a
/// correction (field, before, after).
pub async fn verify(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    s: &Session,
    form: &ApplicantForm,
) -> Result<(), SessionError> {
    let a = form.parse(today).map_err(SessionError::Invalid)?;
    let pairs = [
        ("given_name", s.given_name.clone(), a.given_name.clone()),
        ("surname", s.surname.clone(), a.surname.clone()),
        (
            "tax_code",
            s.tax_code.clone(),
            a.tax_code.as_str().to_string(),
        ),
        ("birth_date", s.birth_date.clone(), db::date(a.birth_date)),
        ("birth_place", s.birth_place.clone(), a.birth_place.clone()),
        ("email", s.email.clone(), a.email.clone()),
        ("phone", s.phone.clone(), a.phone.clone()),
        (
            "company_tax_code",
            s.company_tax_code.clone().unwrap_or_default(),
            a.company_tax_code
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        ),
        (
            "device_kind",
            s.device_kind.clone(),
            a.device.as_str().to_string(),
        ),
    ];
    let corrections: Vec<_> = pairs
        .iter()
        .filter(|(_, b, a)| b != a)
        .map(|(f, b, a)| json!({"field": f, "before": b, "after": a}))
        .collect();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE iss_sessions SET given_name = $2, surname = $3, tax_code = $4, birth_date = $5, \
         birth_place = $6, email = $7, phone = $8, company_tax_code = $9, device_kind = $10, \
         corrections = $11 WHERE id = $1",
    )
    .bind(&s.id)
    .bind(&a.given_name)
    .bind(&a.surname)
    .bind(a.tax_code.as_str())
    .bind(db::date(a.birth_date))
    .bind(&a.birth_place)
    .bind(&a.email)
    .bind(&a.phone)
    .bind(a.company_tax_code.as_ref().map(|t| t.as_str().to_string()))
    .bind(a.device.as_str())
    .bind(json!(corrections).to_string())
    .execute(&mut *tx)
    .await?;
    let note = (!corrections.is_empty()).then(|| json!(corrections).to_string());
    step(&mut tx, now, actor, s, Step::Verify, note).await?;
    tx.commit().await?;
    Ok(())
}

/// The devices the operator may give for this session (their box or their ODR's stock).
pub async fn available_devices(
    db: &Db,
    op: &Operator,
    kind: DeviceKind,
) -> Result<Vec<inventory::Device>, sqlx::Error> {
    let (state, holder) = device_holder(op);
    let mut all = inventory::list(db, &op.chamber_id, Some(state), Some(&holder), 200).await?;
    all.retain(|d| d.kind == kind);
    Ok(all)
}

/// Assigns the device; for a free device the eligibility is checked now (and again when
/// personalised) and its verdicts are kept.
#[allow(clippy::too_many_arguments)]
pub async fn assign_device(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    op: &Operator,
    s: &Session,
    device_id: &str,
    want_free: bool,
) -> Result<(), SessionError> {
    let device = available_devices(db, op, s.kind())
        .await?
        .into_iter()
        .find(|d| d.id == device_id)
        .ok_or(SessionError::DeviceUnavailable)?;
    if want_free {
        let company = s
            .company_tax_code
            .as_deref()
            .and_then(|t| TaxCode::parse(t).ok());
        let verdicts = match company {
            Some(c) => free::check(db, &s.chamber_id, today, &c, s.kind()).await?,
            None => {
                return Err(SessionError::Invalid(vec![FieldError::new(
                    "free",
                    "iss-error-free-company",
                )]));
            }
        };
        if !verdicts.eligible {
            return Err(SessionError::NotFree(verdicts));
        }
    }
    let fee = if want_free {
        0
    } else if device.state == DeviceState::ConsignedToOdr {
        device.held_fee_cents
    } else {
        let mut tx = db.pool().begin().await?;
        let f = crate::devices::advance::fee_of(&mut tx, &s.chamber_id, s.kind()).await?;
        tx.rollback().await?;
        f
    };
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE iss_sessions SET device_id = $2, free = $3, fee_cents = $4 WHERE id = $1")
        .bind(&s.id)
        .bind(&device.id)
        .bind(i64::from(want_free))
        .bind(fee)
        .execute(&mut *tx)
        .await?;
    step(
        &mut tx,
        now,
        actor,
        s,
        Step::AssignDevice,
        Some(format!(
            "{} {}",
            device.serial,
            if want_free { "free" } else { "paid" }
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
