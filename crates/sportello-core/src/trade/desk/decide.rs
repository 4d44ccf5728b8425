//! The officer's decisions on a practice: take it in charge, ask for a rectification,
//! approve it, reject it. Each is one transition of the practice's state machine, recorded in
//! its history and in the audit trail, and notified to the company by e-mail.
//!
//! A practice in review belongs to the officer who took it: another officer's decision on it
//! is refused (no two officers work the same practice by accident). A practice merely sent
//! may be sent back for rectification or rejected directly (deciding it takes it), but it is
//! approved only after being taken in charge ([`approval_needs_the_practice_in_charge`]).

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::chambers::{self, settings::Setting};
use crate::db::{self, Tx};
use crate::money::Money;
use crate::trade::desk::certificate::{self, IssueError};
use crate::trade::desk::notify_company;
use crate::trade::practice::{
    self, Practice, PracticeAction, PracticeStatus, record_event, rectification,
};
use crate::trade::practice_type::PracticeType;
use crate::wallet::{self, PracticeFee};
use crate::webhooks::{self, Event};
use chrono::{DateTime, Utc};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("no such practice")]
    NotFound,
    #[error("the practice is {0:?}: this decision is not possible")]
    NotAllowed(PracticeStatus),
    #[error("another officer is working on this practice")]
    TakenByOther,
    /// Approval of a practice nobody took in charge.
    #[error("the practice must be taken in charge before it is approved")]
    NotTakenInCharge,
    #[error("a reason is required")]
    ReasonRequired,
    /// A rectification named a field that is not in the practice type's list.
    #[error("unknown field '{0}'")]
    UnknownField(String),
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// A refund the ledger refused (a programming error: refunds are of past charges).
    #[error(transparent)]
    Wallet(wallet::WalletError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<wallet::WalletError> for DecisionError {
    fn from(e: wallet::WalletError) -> Self {
        match e {
            wallet::WalletError::Db(e) => DecisionError::Db(e),
            other => DecisionError::Wallet(other),
        }
    }
}

/// Loads the practice for an officer of its desk, checks the transition and who holds it.
async fn prepare(
    state: &Ctx,
    officer: &Principal,
    id: &str,
    action: PracticeAction,
) -> Result<(Practice, PracticeStatus), DecisionError> {
    let p = crate::trade::desk::practice_for_officer(&state.db, officer, id)
        .await?
        .ok_or(DecisionError::NotFound)?;
    if action == PracticeAction::Approve {
        approval_needs_the_practice_in_charge(p.status)?;
    }
    let to = p
        .status
        .apply(action)
        .map_err(|_| DecisionError::NotAllowed(p.status))?;
    if p.status == PracticeStatus::InReview
        && p.assigned_to.as_deref() != Some(officer.user.id.as_str())
    {
        return Err(DecisionError::TakenByOther);
    }
    Ok((p, to))
}

/// An approval comes at the end of the chamber's examination ("istruttoria"), which starts
/// when an officer takes the practice in charge. The Cert'O guide shows the company, for
/// every sent practice, "lo stato di avanzamento della relativa istruttoria" of the practices
/// "in carico alla CCIAA" (slide 26, the INVIATE list): a certificate should never be issued
/// on a practice that was never in charge of anyone, and the officer who examined it is the
/// one who approves it — a colleague of the same desk is refused like any other officer
/// ([`DecisionError::TakenByOther`]), since the practice is theirs only once they take it.
/// A practice merely sent is refused with [`DecisionError::NotTakenInCharge`].
pub fn approval_needs_the_practice_in_charge(status: PracticeStatus) -> Result<(), DecisionError> {
    match status {
        PracticeStatus::Sent => Err(DecisionError::NotTakenInCharge),
        _ => Ok(()),
    }
}

/// Moves the practice from `from` to `to` only if nobody changed it meanwhile.
async fn guard(
    tx: &mut Tx,
    now: DateTime<Utc>,
    p: &Practice,
    to: PracticeStatus,
    officer: &Principal,
) -> Result<(), DecisionError> {
    let closed = to.is_closed().then(|| db::instant(now));
    let n = sqlx::query(
        "UPDATE practices SET status = $2, updated_at = $3, assigned_to = $4, \
         assigned_at = COALESCE(assigned_at, $3), closed_at = COALESCE($5, closed_at) \
         WHERE id = $1 AND status = $6",
    )
    .bind(&p.id)
    .bind(to.as_str())
    .bind(db::instant(now))
    .bind(&officer.user.id)
    .bind(closed)
    .bind(p.status.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(DecisionError::TakenByOther);
    }
    Ok(())
}

fn local(now: DateTime<Utc>) -> String {
    crate::display::date_time(now)
}

fn protocol(p: &Practice) -> &str {
    p.protocol_number.as_deref().unwrap_or("")
}

/// Takes a sent practice in charge (status "in review").
pub async fn take(state: &Ctx, officer: &Principal, id: &str) -> Result<Practice, DecisionError> {
    let (p, to) = prepare(state, officer, id, PracticeAction::TakeInCharge).await?;
    let now = state.clock.now();
    let actor = officer.actor();
    let mut tx = state.db.begin().await?;
    guard(&mut tx, now, &p, to, officer).await?;
    record_event(&mut tx, now, &p.id, &actor, Some(p.status), to, None).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("practice.take", "practice", Some(&p.id)).after(json!({"status": to.as_str()})),
    )
    .await?;
    notify_company(
        &mut tx,
        now,
        &p,
        format!("Pratica {} in istruttoria", protocol(&p)),
        format!(
            "La pratica {} è in istruttoria presso l'ufficio dal {}.\n\nPractice {} is being reviewed by the office.\n",
            protocol(&p),
            local(now),
            protocol(&p)
        ),
    )
    .await?;
    tx.commit().await?;
    practice::get(&state.db, &p.id)
        .await?
        .ok_or(DecisionError::NotFound)
}

/// Sends the practice back to the company to correct within the chamber's deadline (seed
/// 000, slide 60: 24 hours by default), naming the reason and the fields concerned.
pub async fn request_rectification(
    state: &Ctx,
    officer: &Principal,
    id: &str,
    reason: &str,
    fields: &[String],
) -> Result<Practice, DecisionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DecisionError::ReasonRequired);
    }
    let (p, to) = prepare(state, officer, id, PracticeAction::RequestRectification).await?;
    let now = state.clock.now();
    let hours =
        chambers::settings::get_i64(&state.db, &p.chamber_id, Setting::RectificationHours).await?;
    let deadline = now + chrono::Duration::hours(hours);
    // Only fields of the practice type's list (the model's, the details, the attachments),
    // each once, so the company reads each one by its label.
    let mut named: Vec<rectification::RectifyField> = Vec::new();
    for name in fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        let field = rectification::field(p.practice_type, name)
            .ok_or_else(|| DecisionError::UnknownField(name.chars().take(100).collect()))?;
        if !named.contains(&field) {
            named.push(field);
        }
    }
    let fields: Vec<String> = named.iter().map(|f| f.name.to_string()).collect();
    let actor = officer.actor();
    let mut tx = state.db.begin().await?;
    guard(&mut tx, now, &p, to, officer).await?;
    sqlx::query("UPDATE practices SET rectify_deadline = $2, rectify_reason = $3, rectify_fields = $4 WHERE id = $1")
        .bind(&p.id)
        .bind(db::instant(deadline))
        .bind(reason)
        .bind((!fields.is_empty()).then(|| fields.join(", ")))
        .execute(&mut *tx)
        .await?;
    record_event(
        &mut tx,
        now,
        &p.id,
        &actor,
        Some(p.status),
        to,
        Some(reason),
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("practice.request_rectification", "practice", Some(&p.id))
            .after(json!({"reason": reason, "fields": fields, "deadline": db::instant(deadline)})),
    )
    .await?;
    webhooks::practice_event(&mut tx, &state.config, now, &p.id, Event::PracticeToRectify).await?;
    let fields_line = if fields.is_empty() {
        String::new()
    } else {
        let labels: Vec<String> = named
            .iter()
            .map(|f| crate::i18n::Lang::It.t(f.label_key))
            .collect();
        format!("Campi da correggere: {}\n", labels.join("; "))
    };
    notify_company(
        &mut tx,
        now,
        &p,
        format!("Pratica {}: richiesta di rettifica", protocol(&p)),
        format!(
            "L'ufficio chiede di rettificare la pratica {}.\nMotivo: {reason}\n{fields_line}\
             Correggi e reinvia la pratica entro il {}: dopo quella scadenza sarà respinta automaticamente.\n\n\
             The office asks you to rectify practice {}. Correct and resend it by {} (Italian time), or it will be rejected.\n",
            protocol(&p),
            local(deadline),
            protocol(&p),
            local(deadline)
        ),
    )
    .await?;
    tx.commit().await?;
    practice::get(&state.db, &p.id)
        .await?
        .ok_or(DecisionError::NotFound)
}

/// Rejects the practice with a reason; the fee goes back to the wallet unless the chamber's
/// setting says otherwise (`Setting::RefundOnReject`).
pub async fn reject(
    state: &Ctx,
    officer: &Principal,
    id: &str,
    reason: &str,
) -> Result<Practice, DecisionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DecisionError::ReasonRequired);
    }
    let (p, to) = prepare(state, officer, id, PracticeAction::Reject).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    guard(&mut tx, now, &p, to, officer).await?;
    close_rejected(
        &mut tx,
        state,
        now,
        &officer.actor(),
        &p,
        reason,
        "practice.reject",
    )
    .await?;
    tx.commit().await?;
    practice::get(&state.db, &p.id)
        .await?
        .ok_or(DecisionError::NotFound)
}

/// What every rejection does after the status changed: reason, refund, history, audit, mail.
pub(super) async fn close_rejected(
    tx: &mut Tx,
    state: &Ctx,
    now: DateTime<Utc>,
    actor: &crate::audit::Actor,
    p: &Practice,
    reason: &str,
    action: &'static str,
) -> Result<(), DecisionError> {
    sqlx::query("UPDATE practices SET decision_reason = $2, rectify_deadline = NULL WHERE id = $1")
        .bind(&p.id)
        .bind(reason)
        .execute(&mut **tx)
        .await?;
    let refund =
        chambers::settings::get_bool(&state.db, &p.chamber_id, Setting::RefundOnReject).await?;
    let fee = Money::from_cents(p.fee_cents.unwrap_or(0));
    let refunded = if refund && fee.cents() > 0 {
        wallet::refund(
            tx,
            now,
            actor,
            PracticeFee {
                company_id: &p.company_id,
                chamber_id: &p.chamber_id,
                practice_id: &p.id,
                amount: fee,
                reference: protocol(p),
            },
        )
        .await?;
        fee
    } else {
        Money::ZERO
    };
    record_event(
        tx,
        now,
        &p.id,
        actor,
        Some(p.status),
        PracticeStatus::Rejected,
        Some(reason),
    )
    .await?;
    audit::record(
        tx,
        now,
        actor,
        Change::new(action, "practice", Some(&p.id))
            .before(json!({"status": p.status.as_str()}))
            .after(json!({"status": "rejected", "reason": reason, "refunded": refunded.to_decimal_string()})),
    )
    .await?;
    webhooks::practice_event(tx, &state.config, now, &p.id, Event::PracticeRejected).await?;
    let refund_line = if refunded.cents() > 0 {
        format!(
            "I diritti pagati ({}) sono stati restituiti al borsellino.\n",
            refunded.to_italian()
        )
    } else {
        String::new()
    };
    notify_company(
        tx,
        now,
        p,
        format!("Pratica {} respinta", protocol(p)),
        format!(
            "La pratica {} è stata respinta.\nMotivo: {reason}\n{refund_line}\nPractice {} was rejected. Reason: {reason}\n",
            protocol(p),
            protocol(p)
        ),
    )
    .await?;
    Ok(())
}

/// Approves the practice. A certificate of origin gets its national number, security code
/// and sealed PDF (see [`certificate::issue`]); the other types are closed positively.
pub async fn approve(
    state: &Ctx,
    officer: &Principal,
    id: &str,
) -> Result<Practice, DecisionError> {
    let (p, to) = prepare(state, officer, id, PracticeAction::Approve).await?;
    let now = state.clock.now();
    let actor = officer.actor();
    // Everything that can fail slowly (PDF, seal) is prepared before the transaction.
    let prepared = match p.practice_type {
        PracticeType::CertificateOfOrigin => Some(certificate::prepare(state, &p).await?),
        _ => None,
    };
    let documents = crate::trade::desk::documents::prepare(state, &p).await?;
    let mut tx = state.db.begin().await?;
    guard(&mut tx, now, &p, to, officer).await?;
    let number = match prepared {
        Some(prepared) => {
            Some(certificate::issue(&mut tx, state, now, &actor, &p, prepared).await?)
        }
        None => None,
    };
    let issued =
        crate::trade::desk::documents::issue(&mut tx, state, now, &actor, &p, documents).await?;
    if p.practice_type == PracticeType::Cancellation {
        certificate::cancel_from_practice(&mut tx, state, now, &actor, &p).await?;
    }
    record_event(
        &mut tx,
        now,
        &p.id,
        &actor,
        Some(p.status),
        to,
        number.as_deref(),
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("practice.approve", "practice", Some(&p.id))
            .before(json!({"status": p.status.as_str()}))
            .after(json!({"status": to.as_str(), "certificate": number, "documents": issued})),
    )
    .await?;
    webhooks::practice_event(&mut tx, &state.config, now, &p.id, Event::PracticeApproved).await?;
    let body = match &number {
        Some(n) => format!(
            "La pratica {} è stata approvata: il certificato d'origine {n} è pronto. Scaricalo dalla pratica e stampalo a colori su foglio bianco A4.\n\n\
             Practice {} was approved: certificate of origin {n} is ready to download and print.\n",
            protocol(&p),
            protocol(&p)
        ),
        None if !issued.is_empty() => format!(
            "La pratica {} è stata chiusa positivamente: i documenti rilasciati ({}) sono pronti da scaricare \
             dalla pratica.\n\nPractice {} was approved: the issued documents ({}) are ready to download.\n",
            protocol(&p),
            issued.join(", "),
            protocol(&p),
            issued.join(", ")
        ),
        None => format!(
            "La pratica {} è stata chiusa positivamente.\n\nPractice {} was approved.\n",
            protocol(&p),
            protocol(&p)
        ),
    };
    notify_company(
        &mut tx,
        now,
        &p,
        format!("Pratica {} approvata", protocol(&p)),
        body,
    )
    .await?;
    tx.commit().await?;
    practice::get(&state.db, &p.id)
        .await?
        .ok_or(DecisionError::NotFound)
}

/// Cancels the certificate a practice issued (a material error, on the company's request).
/// A certificate printed on a pre-printed form needs the form returned first.
pub async fn cancel(
    state: &Ctx,
    officer: &Principal,
    id: &str,
    reason: &str,
) -> Result<Practice, DecisionError> {
    let p = crate::trade::desk::practice_for_officer(&state.db, officer, id)
        .await?
        .ok_or(DecisionError::NotFound)?;
    let cert = certificate::of_practice(&state.db, &p.id)
        .await?
        .ok_or(DecisionError::NotFound)?;
    let reason = match reason.trim() {
        "" => "cancellation".to_string(),
        r => format!("cancellation:{r}"),
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let actor = officer.actor().in_chamber(Some(&p.chamber_id));
    certificate::cancel(&mut tx, &state.config, now, &actor, &cert, &reason).await?;
    tx.commit().await?;
    Ok(p)
}

/// Records that the pre-printed form of the practice's certificate came back.
pub async fn record_form_return(
    state: &Ctx,
    officer: &Principal,
    id: &str,
) -> Result<Practice, DecisionError> {
    let p = crate::trade::desk::practice_for_officer(&state.db, officer, id)
        .await?
        .ok_or(DecisionError::NotFound)?;
    let cert = certificate::of_practice(&state.db, &p.id)
        .await?
        .ok_or(DecisionError::NotFound)?;
    let actor = officer.actor().in_chamber(Some(&p.chamber_id));
    certificate::record_form_return(state, &actor, &cert).await?;
    Ok(p)
}
