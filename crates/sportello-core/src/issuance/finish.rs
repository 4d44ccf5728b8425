//! The later steps: the clauses and the OTP on the second screen, personalisation by the CA,
//! hand-over, abort, and the pairing of the second screen. The identity scan is deleted when
//! the session ends, whatever the outcome.

use crate::audit::Actor;
use crate::blobs::BlobStore;
use crate::db::{self, Db};
use crate::devices::advance::{self, FeeOutcome};
use crate::devices::inventory::{self, MoveSpec};
use crate::devices::{DeviceState, Move, free};
use crate::issuance::ca::{self, CertificationAuthority, IssueRequest};
use crate::issuance::session::{self, CLAUSES, Session, SessionError, select_sessions, step};
use crate::issuance::state::{SessionState, Step};
use crate::registry::TaxCode;
use crate::throttle;
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

/// How long an OTP is valid, and how many wrong tries it allows.
pub const OTP_MINUTES: i64 = 10;
pub const OTP_TRIES: i64 = 5;
/// Failed pairing codes allowed per address in 15 minutes (`throttle::Scope::PairAddress`).
pub const PAIRING_FAILURES: i64 = 10;

fn otp_hash(session_id: &str, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{session_id}:{}", code.trim()).as_bytes(),
    ))
}

fn screen_actor() -> Actor {
    Actor::system("second-screen")
}

/// The applicant accepts clause `n` on the second screen; with the last one the session moves
/// on.
pub async fn accept_clause(
    db: &Db,
    now: DateTime<Utc>,
    s: &Session,
    n: usize,
) -> Result<(), SessionError> {
    if n >= CLAUSES.len() || s.state() != SessionState::DeviceAssigned {
        return Err(SessionError::Step(crate::issuance::state::StepError {
            from: s.state(),
            step: Step::AcceptClauses,
        }));
    }
    let mut accepted = s.accepted();
    if !accepted.contains(&n) {
        accepted.push(n);
        accepted.sort_unstable();
    }
    let mut tx = db.begin().await?;
    // Guarded on the list as read too: two clauses accepted at once must not lose one.
    let written = sqlx::query("UPDATE iss_sessions SET clauses_accepted = $2, updated_at = $3 WHERE id = $1 AND state = 'device_assigned' AND clauses_accepted = $4")
        .bind(&s.id)
        .bind(serde_json::to_string(&accepted).unwrap_or_else(|_| "[]".into()))
        .bind(db::instant(now))
        .bind(&s.clauses_accepted)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if written != 1 {
        return Err(SessionError::Changed);
    }
    crate::audit::record(
        &mut tx,
        now,
        &screen_actor().in_chamber(Some(&s.chamber_id)),
        crate::audit::Change::new("issuance.clause_accepted", "issuance_session", Some(&s.id))
            .after(serde_json::json!({"clause": CLAUSES[n]})),
    )
    .await?;
    if accepted.len() == CLAUSES.len() {
        step(&mut tx, now, &screen_actor(), s, Step::AcceptClauses, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The CA sends a fresh OTP to the applicant's e-mail.
pub async fn send_otp(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    s: &Session,
) -> Result<(), SessionError> {
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE iss_sessions SET otp_hash = $2, otp_expires_at = $3, otp_attempts = 0 WHERE id = $1")
        .bind(&s.id)
        .bind(otp_hash(&s.id, &code))
        .bind(db::instant(now + chrono::Duration::minutes(OTP_MINUTES)))
        .execute(&mut *tx)
        .await?;
    step(&mut tx, now, actor, s, Step::SendOtp, None).await?;
    ca::adapter()
        .send_otp(&mut tx, now, &s.chamber_id, &s.email, &code)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant types the OTP on the second screen. Each try takes one attempt before the
/// code is compared, in one conditional statement (`otp_attempts < OTP_TRIES`, `RETURNING`
/// the OTP), so tries sent in parallel cannot compare more than `OTP_TRIES` codes; a right
/// code is used once.
pub async fn confirm_otp(
    db: &Db,
    now: DateTime<Utc>,
    s: &Session,
    code: &str,
) -> Result<(), SessionError> {
    s.state().after(Step::ConfirmOtp)?;
    let taken: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "UPDATE iss_sessions SET otp_attempts = otp_attempts + 1 WHERE id = $1 AND state = $2 \
         AND otp_attempts < $3 RETURNING otp_hash, otp_expires_at",
    )
    .bind(&s.id)
    .bind(s.state().as_str())
    .bind(OTP_TRIES)
    .fetch_optional(db.pool())
    .await?;
    let Some((hash, expires)) = taken else {
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM iss_sessions WHERE id = $1")
                .bind(&s.id)
                .fetch_optional(db.pool())
                .await?;
        return Err(if state.as_deref() == Some(s.state().as_str()) {
            SessionError::TooManyAttempts
        } else {
            SessionError::Changed
        });
    };
    let fresh = expires.is_some_and(|e| e > db::instant(now));
    let given = otp_hash(&s.id, code);
    if !fresh || hash.as_deref() != Some(given.as_str()) {
        return Err(SessionError::WrongCode);
    }
    let mut tx = db.begin().await?;
    let used =
        sqlx::query("UPDATE iss_sessions SET otp_hash = NULL WHERE id = $1 AND otp_hash = $2")
            .bind(&s.id)
            .bind(&given)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if used != 1 {
        return Err(SessionError::Changed);
    }
    step(&mut tx, now, &screen_actor(), s, Step::ConfirmOtp, None).await?;
    tx.commit().await?;
    Ok(())
}

/// The CA issues the certificates onto the device. The inventory records the delivery at
/// hand-over: until then the device is still in the operator's box (or the ODR's stock), which
/// is what the periodic check of recorded deliveries looks for.
pub async fn personalise(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    s: &Session,
) -> Result<(), SessionError> {
    s.state().after(Step::Personalise)?;
    let device_id = s.device_id.clone().ok_or(SessionError::DeviceUnavailable)?;
    let mut tx = db.begin().await?;
    let device = inventory::get_tx(&mut tx, &s.chamber_id, &device_id)
        .await?
        .ok_or(SessionError::DeviceUnavailable)?;
    let req = IssueRequest {
        chamber_id: &s.chamber_id,
        session_id: &s.id,
        device_serial: &device.serial,
        holder_tax_code: &s.tax_code,
        given_name: &s.given_name,
        surname: &s.surname,
        today,
    };
    ca::adapter().issue(&mut tx, now, &req).await?;
    step(
        &mut tx,
        now,
        actor,
        s,
        Step::Personalise,
        Some(device.serial.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The device and its holder are handed over: the device is issued in the inventory (an
/// ODR's held fee is consumed), a free device is recorded with the rules that allowed it
/// (checked again now), the session ends and the scan is deleted.
pub async fn hand_over(
    db: &Db,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    s: &Session,
) -> Result<(), SessionError> {
    s.state().after(Step::HandOver)?;
    let device_id = s.device_id.clone().ok_or(SessionError::DeviceUnavailable)?;
    let verdicts = match (
        s.free != 0,
        s.company_tax_code
            .as_deref()
            .and_then(|t| TaxCode::parse(t).ok()),
    ) {
        (true, Some(company)) => Some((
            free::check(db, &s.chamber_id, today, &company, s.kind()).await?,
            company,
        )),
        (true, None) => return Err(SessionError::DeviceUnavailable),
        _ => None,
    };
    let mut tx = db.begin().await?;
    let device = inventory::get_tx(&mut tx, &s.chamber_id, &device_id)
        .await?
        .ok_or(SessionError::DeviceUnavailable)?;
    inventory::apply_move(
        &mut tx,
        now,
        actor,
        &device,
        Move::Issue,
        MoveSpec {
            ref_id: Some(&s.id),
            note: Some(&s.tax_code),
            ..Default::default()
        },
    )
    .await?;
    if device.state == DeviceState::ConsignedToOdr
        && let Some(odr) = &device.holder_operator_id
    {
        advance::settle(
            &mut tx,
            now,
            actor,
            &s.chamber_id,
            odr,
            &device.id,
            device.held_fee_cents,
            FeeOutcome::Consume,
        )
        .await?;
    }
    if let Some((v, company)) = &verdicts {
        let grant = free::Grant {
            chamber_id: &s.chamber_id,
            company_tax_code: company,
            device_id: &device.id,
            session_id: Some(&s.id),
            operator_id: Some(&s.operator_id),
            today,
        };
        free::record_grant(&mut tx, now, actor, grant, v).await?;
    }
    step(&mut tx, now, actor, s, Step::HandOver, None).await?;
    session::delete_scan(&mut tx, blobs, now, actor, s).await?;
    sqlx::query(
        "UPDATE iss_sessions SET pairing_code = NULL, screen_token_hash = NULL WHERE id = $1",
    )
    .bind(&s.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the session without a device handed over; the scan is deleted. A device already
/// personalised has its certificates revoked and is marked damaged (it cannot be blank again).
pub async fn abort(
    db: &Db,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
    actor: &Actor,
    s: &Session,
    reason: Option<&str>,
) -> Result<(), SessionError> {
    s.state().after(Step::Abort)?;
    let mut tx = db.begin().await?;
    if s.state() == SessionState::Personalised
        && let Some(device_id) = &s.device_id
    {
        let device = inventory::get_tx(&mut tx, &s.chamber_id, device_id)
            .await?
            .ok_or(SessionError::DeviceUnavailable)?;
        ca::adapter()
            .revoke(&mut tx, now, &s.chamber_id, &device.serial)
            .await?;
        inventory::apply_move(
            &mut tx,
            now,
            actor,
            &device,
            Move::MarkDamaged,
            MoveSpec {
                ref_id: Some(&s.id),
                note: reason,
                ..Default::default()
            },
        )
        .await?;
        if device.state == DeviceState::ConsignedToOdr
            && let Some(odr) = &device.holder_operator_id
        {
            advance::settle(
                &mut tx,
                now,
                actor,
                &s.chamber_id,
                odr,
                &device.id,
                device.held_fee_cents,
                FeeOutcome::Consume,
            )
            .await?;
        }
    }
    step(
        &mut tx,
        now,
        actor,
        s,
        Step::Abort,
        reason.map(str::to_string),
    )
    .await?;
    session::delete_scan(&mut tx, blobs, now, actor, s).await?;
    sqlx::query(
        "UPDATE iss_sessions SET pairing_code = NULL, screen_token_hash = NULL WHERE id = $1",
    )
    .bind(&s.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum PairError {
    #[error("too many wrong codes from this address")]
    RateLimited,
    #[error("wrong or expired code")]
    WrongCode,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Pairs the customer-facing screen with the live session holding `code`: the code is used up
/// (one screen, one session) and the screen gets a random token for a cookie. Wrong codes are
/// counted per address in the database (`throttle`, shared by every instance) before the code
/// is looked at, and refused after [`PAIRING_FAILURES`] in 15 minutes.
pub async fn pair(db: &Db, now: DateTime<Utc>, ip: &str, code: &str) -> Result<String, PairError> {
    if !throttle::take(db, now, throttle::Scope::PairAddress, ip).await? {
        return Err(PairError::RateLimited);
    }
    let code = code.trim();
    if !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())) {
        return Err(PairError::WrongCode);
    }
    let token = crate::accounts::session::random_token();
    let paired = sqlx::query(
        "UPDATE iss_sessions SET screen_token_hash = $2, pairing_code = NULL, updated_at = $3 \
         WHERE pairing_code = $1 AND pairing_expires_at > $3 AND state NOT IN ('handed_over', 'aborted')",
    )
    .bind(code)
    .bind(token_hash(&token))
    .bind(db::instant(now))
    .execute(db.pool())
    .await?
    .rows_affected();
    if paired != 1 {
        return Err(PairError::WrongCode);
    }
    // Only wrong codes stay counted.
    throttle::give_back(db, throttle::Scope::PairAddress, ip).await?;
    Ok(token)
}

/// The live session a paired screen shows.
pub async fn by_screen_token(db: &Db, token: &str) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query_as(select_sessions!(
        "WHERE screen_token_hash = $1 AND state NOT IN ('handed_over', 'aborted')"
    ))
    .bind(token_hash(token))
    .fetch_optional(db.pool())
    .await
}

/// Sessions left open longer than this are aborted by the job, so no scan outlives them.
pub const STALE_HOURS: i64 = 2;

pub async fn abort_stale(
    db: &Db,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
) -> Result<usize, SessionError> {
    let stale: Vec<Session> = sqlx::query_as(select_sessions!(
        "WHERE state NOT IN ('handed_over', 'aborted') AND updated_at < $1"
    ))
    .bind(db::instant(now - chrono::Duration::hours(STALE_HOURS)))
    .fetch_all(db.pool())
    .await?;
    // The note goes to the session's history and the device's log, where notes are free text
    // written in the office's language.
    let note = format!("interrotta d'ufficio: sessione inattiva da oltre {STALE_HOURS} ore");
    let mut n = 0;
    for s in stale {
        match abort(db, blobs, now, &Actor::system("worker"), &s, Some(&note)).await {
            Ok(()) | Err(SessionError::Changed) => n += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
