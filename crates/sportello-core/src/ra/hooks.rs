//! What revocation and the periodic checks need from the devices and appointments areas,
//! supplied by them, so `ra` does not depend on those areas.

use crate::db::{Db, Tx};
use chrono::NaiveDate;

/// How many devices the given operators hold (in their box, or consigned and not yet issued
/// or returned), to be recalled on revocation.
pub async fn devices_held(db: &Db, operator_ids: &[String]) -> Result<i64, sqlx::Error> {
    crate::devices::inventory::held_by(db, operator_ids).await
}

/// Opens the recall of the devices consigned to a revoked ODR and its collaborators
/// (`holders`) inside the revocation's transaction; returns the devices listed.
pub async fn open_recall(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
    actor: &crate::audit::Actor,
    op: &crate::ra::operator::Operator,
    holders: &[String],
    effective: NaiveDate,
) -> Result<Vec<crate::devices::recall::Recalled>, sqlx::Error> {
    crate::devices::recall::open(
        tx,
        now,
        today,
        actor,
        &op.chamber_id,
        &op.id,
        holders,
        effective,
    )
    .await
}

/// Cancels the appointments booked with the given operators from `from` on, inside the
/// revocation's transaction, tells each applicant by e-mail and takes the operators off the
/// desks' rosters; returns how many were cancelled.
pub async fn cancel_future_appointments(
    tx: &mut Tx,
    operator_ids: &[String],
    from: NaiveDate,
) -> Result<i64, sqlx::Error> {
    // The hook is not given the revocation's instant: take it from the revocation's own
    // audit entry, the latest of this transaction (the start of `from` if there is none).
    let last: Option<String> =
        sqlx::query_scalar("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let now = match last {
        Some(at) => crate::db::parse_instant(&at)?,
        None => crate::clock::start_of_italian_day(from),
    };
    crate::appointments::booking::cancel_for_operators(tx, now, operator_ids, from).await
}

/// What is wrong with how a device's delivery to its holder was recorded (RA procedure, part 1,
/// "Verifiche periodiche": "la verifica periodica circa l'operatività dei RAO/ODR/IR, in
/// particolare controllando l'esatta procedura di registrazione della consegna informatica dei
/// dispositivi agli utenti").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryAnomalyKind {
    /// The Certification Authority personalised the device (a certificate was issued for its
    /// serial, not revoked) but its delivery was never recorded: it is still in the operator's
    /// box or the ODR's consignment.
    NotRecorded,
    /// The delivery was recorded without its recipient: no holder's tax code, or no issuance
    /// session it belongs to.
    NoRecipient,
    /// The delivery was recorded by a user who is not the operator holding the device, nor one
    /// of the staff of the ODR organisation it was consigned to.
    RecordedByOther,
}

impl DeliveryAnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryAnomalyKind::NotRecorded => "not_recorded",
            DeliveryAnomalyKind::NoRecipient => "no_recipient",
            DeliveryAnomalyKind::RecordedByOther => "recorded_by_other",
        }
    }
}

/// One device whose delivery record is wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryAnomaly {
    /// The operator (or ODR organisation) that held the device.
    pub operator_id: String,
    pub serial: String,
    pub kind: DeliveryAnomalyKind,
    /// Who recorded the delivery, as the record names them; `None` when none was recorded.
    pub recorded_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct IssueRecord {
    holder: String,
    serial: String,
    ref_id: Option<String>,
    note: Option<String>,
    actor_id: Option<String>,
    actor: String,
}

/// RA procedure, part 1: the periodic check of the device-delivery records of the chamber's
/// operators, device by device, ordered by operator, serial and kind (see
/// [`DeliveryAnomalyKind`] for the rules).
pub async fn delivery_anomalies(
    db: &Db,
    chamber_id: &str,
) -> Result<Vec<DeliveryAnomaly>, sqlx::Error> {
    let not_recorded: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT d.holder_operator_id, d.serial FROM dev_devices d \
         JOIN iss_certificates c ON c.chamber_id = d.chamber_id AND c.device_serial = d.serial \
         AND c.revoked_at IS NULL \
         WHERE d.chamber_id = $1 AND d.holder_operator_id IS NOT NULL \
         AND d.state IN ('in_operator_box', 'consigned_to_odr')",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<DeliveryAnomaly> = not_recorded
        .into_iter()
        .map(|(operator_id, serial)| DeliveryAnomaly {
            operator_id,
            serial,
            kind: DeliveryAnomalyKind::NotRecorded,
            recorded_by: None,
        })
        .collect();
    let issues: Vec<IssueRecord> = sqlx::query_as(
        "SELECT m.from_holder AS holder, d.serial, m.ref_id, m.note, m.actor_id, m.actor \
         FROM dev_moves m JOIN dev_devices d ON d.id = m.device_id \
         WHERE d.chamber_id = $1 AND m.move = 'issue' AND m.from_holder IS NOT NULL",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    // Each operator's linked user, and the organisation a staff member works for.
    let people: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, user_id, organisation_id FROM ra_operators WHERE chamber_id = $1",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    let may_record = |holder: &str, user: Option<&str>| {
        user.is_some_and(|u| {
            people.iter().any(|(id, user_id, org)| {
                user_id.as_deref() == Some(u) && (id == holder || org.as_deref() == Some(holder))
            })
        })
    };
    for r in issues {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
        if blank(&r.note) || blank(&r.ref_id) {
            out.push(DeliveryAnomaly {
                operator_id: r.holder.clone(),
                serial: r.serial.clone(),
                kind: DeliveryAnomalyKind::NoRecipient,
                recorded_by: Some(r.actor.clone()),
            });
        }
        if !may_record(&r.holder, r.actor_id.as_deref()) {
            out.push(DeliveryAnomaly {
                operator_id: r.holder,
                serial: r.serial,
                kind: DeliveryAnomalyKind::RecordedByOther,
                recorded_by: Some(r.actor),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.operator_id, &a.serial, a.kind).cmp(&(&b.operator_id, &b.serial, b.kind))
    });
    Ok(out)
}
