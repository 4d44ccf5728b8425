//! Revocation of a mandate (RA procedure, part 1). RAO: effective from the day the requirements
//! were lost, possibly in the past — every action the operator took since then is listed for
//! the CA; the office records it ([`revoke`]), with the notice the Manager signed when it has
//! one. ODR and IR: effective when the revocation notice signed by the Manager is received, so
//! only the Manager's queue revokes them ([`crate::ra::manager::sign`]), with the notice the
//! office prepared and the Manager signed. Revoking an
//! organisation suspends its collaborators, recalls its devices and cancels its future
//! appointments. The CA is informed by PEC with the revocation attached; an ODR or IR gets the
//! same notice at the contacts of its acceptance form, and the devices consigned to a revoked
//! ODR are recalled ([`crate::devices::recall`]).

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::notify::{self, EmailAttachment, OutgoingEmail};
use crate::ra::accreditation::Step;
use crate::ra::accreditation::steps::{StepError, start_of_day, transition};
use crate::ra::archive::{self, DocumentKind, Signature, Upload};
use crate::ra::convention;
use crate::ra::hooks;
use crate::ra::manager_signature::{self, ManagerSignatureError};
use crate::ra::operator::{self, Operator, OperatorKind};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, Default)]
pub struct RevocationRequest {
    /// RAO: the day the requirements were lost.
    pub effective: Option<NaiveDate>,
    /// ODR/IR: the day the signed revocation notice was received.
    pub notice_received_on: Option<NaiveDate>,
    pub reason: String,
    /// The signed revocation notice, when uploaded.
    pub notice: Option<Upload>,
}

#[derive(Debug, thiserror::Error)]
pub enum RevocationError {
    #[error("a RAO revocation needs the day the requirements were lost")]
    EffectiveRequired,
    #[error("an ODR or IR revocation takes effect when the notice is received: give that day")]
    NoticeDateRequired,
    #[error("the revocation cannot take effect in the future ({0})")]
    InTheFuture(NaiveDate),
    #[error("the reason must not be empty")]
    Reason,
    #[error("an ODR or IR is revoked by the notice the Manager signs in the Manager's queue")]
    ThroughTheManager,
    #[error(transparent)]
    ManagerSignature(#[from] ManagerSignatureError),
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<crate::ra::accreditation::TransitionError> for RevocationError {
    fn from(e: crate::ra::accreditation::TransitionError) -> Self {
        RevocationError::Step(e.into())
    }
}

/// One action of the audit trail taken by the operator after the effective day.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ActionSince {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RevocationOutcome {
    pub effective: NaiveDate,
    pub suspended: Vec<String>,
    pub devices_to_recall: i64,
    /// The serial numbers on the recall opened for the consigned devices.
    pub recalled: Vec<String>,
    pub appointments_cancelled: i64,
    pub actions_since: Vec<ActionSince>,
    /// False when the convention names no PEC address of the CA (the page warns).
    pub ca_informed: bool,
    /// Where the notice went to the operator, when it goes to the operator.
    pub operator_informed: Option<String>,
}

/// Why a revocation sent an e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailPurpose {
    /// The signed notice to the revoked operator.
    NoticeOperator,
    /// The same notice forwarded to the CA.
    NoticeCa,
    /// A reminder of the devices still to return.
    RecallReminder,
}

impl MailPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            MailPurpose::NoticeOperator => "notice_operator",
            MailPurpose::NoticeCa => "notice_ca",
            MailPurpose::RecallReminder => "recall_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            MailPurpose::NoticeOperator,
            MailPurpose::NoticeCa,
            MailPurpose::RecallReminder,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("ra-mail-{}", self.as_str().replace('_', "-"))
    }
}

/// RA procedure, part 1: the Manager sends the signed revocation "ai recapiti di contatto
/// indicati nel Modulo di Accettazione" of an ODR or IR; a RAO's revocation goes to the CA only.
pub fn notice_goes_to_the_operator(kind: OperatorKind) -> bool {
    matches!(kind, OperatorKind::Odr | OperatorKind::Ir)
}

/// RA procedure, part 1: the notice goes "ai recapiti di contatto indicati nel Modulo di
/// Accettazione": the e-mail address and, when the form gives one, the PEC address.
pub fn notice_recipients(op: &Operator) -> Vec<String> {
    let mut to = vec![op.email.clone()];
    if let Some(pec) = op
        .pec
        .as_ref()
        .filter(|p| !p.eq_ignore_ascii_case(&op.email))
    {
        to.push(pec.clone());
    }
    to
}

/// RA procedure, part 1: an ODR's or IR's revocation "avrà effetto dal momento della relativa
/// ricezione" of the notice the Manager signed, so it goes through the Manager's queue, where
/// the signed notice is checked against the one the office prepared; a RAO's is recorded by
/// the office from the day the requirements were lost.
pub fn revoked_through_the_managers_queue(kind: OperatorKind) -> bool {
    matches!(kind, OperatorKind::Odr | OperatorKind::Ir)
}

/// Keeps which outbox message a revocation (or its recall) sent, inside `tx`.
pub async fn record_mail(
    tx: &mut crate::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    operator_id: &str,
    outbox_id: &str,
    purpose: MailPurpose,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ra_revocation_mails (id, operator_id, outbox_id, purpose, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(db::new_id())
    .bind(operator_id)
    .bind(outbox_id)
    .bind(purpose.as_str())
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One e-mail a revocation sent: to whom, why, queued when, sent when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentMail {
    pub purpose: MailPurpose,
    pub to: String,
    pub queued_at: String,
    pub sent_at: Option<String>,
}

/// The e-mails of the revocation of `operator_id`, oldest first.
pub async fn mails(db: &crate::db::Db, operator_id: &str) -> Result<Vec<SentMail>, sqlx::Error> {
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT m.purpose, o.to_addr, o.created_at, o.sent_at FROM ra_revocation_mails m \
         JOIN outbox_emails o ON o.id = m.outbox_id WHERE m.operator_id = $1 \
         ORDER BY m.created_at, m.id",
    )
    .bind(operator_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(purpose, to, queued_at, sent_at)| {
            Ok(SentMail {
                purpose: MailPurpose::parse(&purpose).ok_or_else(|| {
                    sqlx::Error::Decode(format!("mail purpose '{purpose}'").into())
                })?,
                to,
                queued_at,
                sent_at,
            })
        })
        .collect()
}

/// RA procedure, part 1: when a revocation takes effect — RAO from the loss of requirements,
/// ODR/IR from the receipt of the signed notice — never in the future.
pub fn effective_date(
    kind: OperatorKind,
    effective: Option<NaiveDate>,
    notice_received_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate, RevocationError> {
    let d = match kind {
        OperatorKind::Rao => effective.ok_or(RevocationError::EffectiveRequired)?,
        OperatorKind::Odr | OperatorKind::Ir => {
            notice_received_on.ok_or(RevocationError::NoticeDateRequired)?
        }
    };
    if d > today {
        return Err(RevocationError::InTheFuture(d));
    }
    Ok(d)
}

/// The office revokes a RAO (see the module documentation). An ODR or IR is refused
/// ([`RevocationError::ThroughTheManager`]). A notice, when given, must carry the signature of
/// one of the chamber's Managers ([`manager_signature::check`]); otherwise nothing is kept.
pub async fn revoke(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    req: RevocationRequest,
) -> Result<RevocationOutcome, RevocationError> {
    if revoked_through_the_managers_queue(op.kind) {
        return Err(RevocationError::ThroughTheManager);
    }
    let today = state.clock.today();
    effective_date(op.kind, req.effective, req.notice_received_on, today)?;
    if req.reason.trim().is_empty() {
        return Err(RevocationError::Reason);
    }
    let signature = match &req.notice {
        Some(n) => {
            let managers = manager_signature::chamber_managers(&state.db, &op.chamber_id).await?;
            Some(manager_signature::check(state, &op.chamber_id, n, &managers, None).await?)
        }
        None => None,
    };
    apply(state, actor, op, req, signature.as_ref()).await
}

/// The revocation of an ODR or IR by the notice the Manager signed in the queue; the caller
/// ([`crate::ra::manager::sign`]) has checked the signature and the document.
pub(crate) async fn revoke_by_signed_notice(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    req: RevocationRequest,
    signature: &Signature,
) -> Result<RevocationOutcome, RevocationError> {
    apply(state, actor, op, req, Some(signature)).await
}

async fn apply(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    req: RevocationRequest,
    signature: Option<&Signature>,
) -> Result<RevocationOutcome, RevocationError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let effective = effective_date(op.kind, req.effective, req.notice_received_on, today)?;
    let reason = req.reason.trim().to_string();
    if reason.is_empty() {
        return Err(RevocationError::Reason);
    }
    let notice_blob = match &req.notice {
        Some(n) => Some(state.blobs.put(&n.bytes).await?),
        None => None,
    };
    let summary = format!(
        "Revoca del mandato di {} ({}, {}) con effetto dal {}.\nMotivo: {}\n",
        op.name,
        op.tax_code,
        op.kind.as_str().to_uppercase(),
        crate::display::date(effective),
        reason
    );
    let generated_blob = state.blobs.put(summary.as_bytes()).await?;
    let mut tx = state.db.begin().await?;
    let (_, step_id) =
        transition(&mut tx, now, today, actor, op, Step::Revoke, Some(&reason)).await?;
    sqlx::query(
        "UPDATE ra_operators SET revoked_effective = $2, revocation_reason = $3, \
         mandate_end = CASE WHEN mandate_end IS NOT NULL AND mandate_end > $2 THEN $2 \
         ELSE mandate_end END WHERE id = $1",
    )
    .bind(&op.id)
    .bind(db::date(effective))
    .bind(&reason)
    .execute(&mut *tx)
    .await?;
    if let (Some(n), Some(blob)) = (&req.notice, &notice_blob) {
        let upload = Upload {
            kind: DocumentKind::RevocationNotice,
            filename: n.filename.clone(),
            bytes: n.bytes.clone(),
        };
        archive::store(
            &mut tx,
            now,
            &op.id,
            Some(&step_id),
            &upload,
            blob,
            signature,
        )
        .await?;
    }
    let mut suspended = Vec::new();
    if op.is_organisation() {
        for c in operator::collaborators_tx(&mut tx, &op.id).await? {
            if transition(&mut tx, now, today, actor, &c, Step::Suspend, Some(&reason))
                .await
                .is_ok()
            {
                suspended.push(c.id);
            }
        }
    }
    let mut affected = suspended.clone();
    affected.push(op.id.clone());
    let devices_to_recall = hooks::devices_held(&state.db, &affected).await?;
    let recalled = hooks::open_recall(&mut tx, now, today, actor, op, &affected, effective).await?;
    let appointments_cancelled =
        hooks::cancel_future_appointments(&mut tx, &affected, today).await?;
    let actions_since: Vec<ActionSince> = match (&op.user_id, op.kind) {
        (Some(user_id), OperatorKind::Rao) => {
            sqlx::query_as(
                "SELECT seq, at, action, entity_type, entity_id FROM audit_log \
             WHERE actor_id = $1 AND at >= $2 ORDER BY seq",
            )
            .bind(user_id)
            .bind(db::instant(start_of_day(effective)))
            .fetch_all(&mut *tx)
            .await?
        }
        _ => Vec::new(),
    };
    let conv = convention::current_tx(&mut tx, &op.chamber_id).await?;
    let ca_pec = conv.and_then(|c| c.ca_pec);
    let attachment = match (&req.notice, notice_blob) {
        (Some(n), Some(blob)) => EmailAttachment {
            filename: archive::safe_filename(&n.filename),
            content_type: archive::content_type_of(&n.bytes).into(),
            blob,
        },
        _ => EmailAttachment {
            filename: format!("revoca-{}.txt", op.tax_code),
            content_type: "text/plain".into(),
            blob: generated_blob,
        },
    };
    if let Some(to) = &ca_pec {
        let mut body = summary.clone();
        if !actions_since.is_empty() {
            body.push_str(&format!(
                "\nOperazioni compiute dall'operatore dal {}: {}\n",
                crate::display::date(effective),
                actions_since.len()
            ));
            for a in &actions_since {
                body.push_str(&format!(
                    "- {} {} {}\n",
                    a.at,
                    a.action,
                    a.entity_id.clone().unwrap_or_default()
                ));
            }
        }
        let outbox_id = notify::queue(
            &mut tx,
            now,
            OutgoingEmail {
                to: to.clone(),
                subject: format!("Revoca mandato RA: {} ({})", op.name, op.tax_code),
                body_text: body,
                chamber_id: Some(op.chamber_id.clone()),
                attachments: vec![attachment.clone()],
            },
        )
        .await?;
        record_mail(&mut tx, now, &op.id, &outbox_id, MailPurpose::NoticeCa).await?;
    }
    let operator_informed = if notice_goes_to_the_operator(op.kind) {
        let mut body = format!(
            "Gentile {},\nla Camera di Commercio le comunica la revoca del mandato di {} con \
             effetto dal {}.\nMotivo: {}\nIn allegato la comunicazione di revoca.\n",
            op.name,
            op.kind.as_str().to_uppercase(),
            crate::display::date(effective),
            reason
        );
        if !recalled.is_empty() {
            body.push_str(
                "\nCome previsto in caso di revoca, restituisca alla Camera di Commercio il \
                 materiale ricevuto, cioè questi dispositivi:\n",
            );
            for d in &recalled {
                body.push_str(&format!(
                    "- {} ({})\n",
                    d.serial,
                    crate::devices::recall::kind_word(d.kind)
                ));
            }
        }
        let to = notice_recipients(op);
        for address in &to {
            let outbox_id = notify::queue(
                &mut tx,
                now,
                OutgoingEmail {
                    to: address.clone(),
                    subject: format!("Comunicazione di revoca del mandato: {}", op.name),
                    body_text: body.clone(),
                    chamber_id: Some(op.chamber_id.clone()),
                    attachments: vec![attachment.clone()],
                },
            )
            .await?;
            record_mail(
                &mut tx,
                now,
                &op.id,
                &outbox_id,
                MailPurpose::NoticeOperator,
            )
            .await?;
        }
        Some(to.join(", "))
    } else {
        None
    };
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&op.chamber_id)),
        Change::new("ra.revocation", "ra_operator", Some(&op.id)).after(json!({
            "effective": effective, "reason": reason, "suspended": suspended,
            "devices_to_recall": devices_to_recall, "recalled": recalled.len(),
            "appointments_cancelled": appointments_cancelled,
            "actions_since": actions_since.len(), "ca_informed": ca_pec.is_some(),
            "operator_informed": operator_informed,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(RevocationOutcome {
        effective,
        suspended,
        devices_to_recall,
        recalled: recalled.into_iter().map(|d| d.serial).collect(),
        appointments_cancelled,
        actions_since,
        ca_informed: ca_pec.is_some(),
        operator_informed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_rao_revocation_takes_effect_when_requirements_were_lost() {
        let e = effective_date(
            OperatorKind::Rao,
            Some(d("2026-01-10")),
            None,
            d("2026-03-01"),
        );
        assert_eq!(e.unwrap(), d("2026-01-10"));
        assert!(matches!(
            effective_date(
                OperatorKind::Rao,
                None,
                Some(d("2026-01-10")),
                d("2026-03-01")
            ),
            Err(RevocationError::EffectiveRequired)
        ));
    }

    #[test]
    fn an_odr_revocation_takes_effect_when_the_notice_is_received() {
        let e = effective_date(
            OperatorKind::Odr,
            Some(d("2025-01-01")),
            Some(d("2026-02-01")),
            d("2026-03-01"),
        );
        assert_eq!(e.unwrap(), d("2026-02-01"));
        assert!(matches!(
            effective_date(
                OperatorKind::Ir,
                None,
                Some(d("2026-04-01")),
                d("2026-03-01")
            ),
            Err(RevocationError::InTheFuture(_))
        ));
    }

    #[test]
    fn the_notice_goes_to_the_acceptance_forms_email_and_pec() {
        let mut op = Operator::sample(OperatorKind::Odr);
        assert_eq!(notice_recipients(&op), ["mario@example.it"]);
        op.pec = Some("mario.rossi@pec.example.it".into());
        assert_eq!(
            notice_recipients(&op),
            ["mario@example.it", "mario.rossi@pec.example.it"]
        );
        op.pec = Some("MARIO@example.it".into());
        assert_eq!(notice_recipients(&op), ["mario@example.it"], "once");
    }

    #[test]
    fn an_odr_or_ir_is_revoked_only_through_the_managers_queue() {
        assert!(revoked_through_the_managers_queue(OperatorKind::Odr));
        assert!(revoked_through_the_managers_queue(OperatorKind::Ir));
        assert!(!revoked_through_the_managers_queue(OperatorKind::Rao));
    }

    #[test]
    fn the_signed_notice_goes_to_a_revoked_odr_or_ir_and_a_rao_s_only_to_the_ca() {
        assert!(notice_goes_to_the_operator(OperatorKind::Odr));
        assert!(notice_goes_to_the_operator(OperatorKind::Ir));
        assert!(!notice_goes_to_the_operator(OperatorKind::Rao));
    }
}
