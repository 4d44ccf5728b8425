//! Revocation of a mandate (RA procedure, part 1). RAO: effective from the day the requirements
//! were lost, possibly in the past — every action the operator took since then is listed for
//! the CA. ODR and IR: effective when the signed revocation notice is received. Revoking an
//! organisation suspends its collaborators, recalls its devices and cancels its future
//! appointments. The CA is informed by PEC with the revocation attached.

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::notify::{self, EmailAttachment, OutgoingEmail};
use crate::ra::accreditation::Step;
use crate::ra::accreditation::steps::{StepError, start_of_day, transition, verify_options};
use crate::ra::archive::{self, DocumentKind, SignatureError, Upload};
use crate::ra::convention;
use crate::ra::hooks;
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
    #[error(transparent)]
    Signature(#[from] SignatureError),
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
    pub appointments_cancelled: i64,
    pub actions_since: Vec<ActionSince>,
    /// False when the convention names no PEC address of the CA (the page warns).
    pub ca_informed: bool,
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

/// Revokes `op` (see the module documentation).
pub async fn revoke(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    req: RevocationRequest,
) -> Result<RevocationOutcome, RevocationError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let effective = effective_date(op.kind, req.effective, req.notice_received_on, today)?;
    let reason = req.reason.trim().to_string();
    if reason.is_empty() {
        return Err(RevocationError::Reason);
    }
    if let Some(n) = &req.notice {
        let opts = verify_options(state, &op.chamber_id).await?;
        let report = firma::verify(&n.bytes, &opts).map_err(|_| SignatureError::NotSigned {
            filename: n.filename.clone(),
        })?;
        if !report.valid {
            return Err(SignatureError::Invalid {
                filename: n.filename.clone(),
                problems: report
                    .problems
                    .iter()
                    .map(|p| p.message_it())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
            .into());
        }
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
        archive::store(&mut tx, now, &op.id, Some(&step_id), &upload, blob, None).await?;
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
        notify::queue(
            &mut tx,
            now,
            OutgoingEmail {
                to: to.clone(),
                subject: format!("Revoca mandato RA: {} ({})", op.name, op.tax_code),
                body_text: body,
                chamber_id: Some(op.chamber_id.clone()),
                attachments: vec![attachment],
            },
        )
        .await?;
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&op.chamber_id)),
        Change::new("ra.revocation", "ra_operator", Some(&op.id)).after(json!({
            "effective": effective, "reason": reason, "suspended": suspended,
            "devices_to_recall": devices_to_recall, "appointments_cancelled": appointments_cancelled,
            "actions_since": actions_since.len(), "ca_informed": ca_pec.is_some(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(RevocationOutcome {
        effective,
        suspended,
        devices_to_recall,
        appointments_cancelled,
        actions_since,
        ca_informed: ca_pec.is_some(),
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
}
