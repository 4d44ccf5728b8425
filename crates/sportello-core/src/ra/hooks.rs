//! What revocation and the periodic checks need from the devices and appointments areas,
//! supplied by them, so `ra` does not depend on those areas.

use crate::db::{Db, Tx};
use chrono::NaiveDate;

/// How many devices the given operators hold (in their box, or consigned and not yet issued
/// or returned), to be recalled on revocation.
pub async fn devices_held(db: &Db, operator_ids: &[String]) -> Result<i64, sqlx::Error> {
    crate::devices::inventory::held_by(db, operator_ids).await
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

/// An operator whose device deliveries are not fully recorded (RA procedure, part 1: "verifica
/// ... dell'esatta procedura di registrazione della consegna informatica dei dispositivi").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IncompleteDeliveries {
    pub operator_id: String,
    pub missing: i64,
}

/// Operators of the chamber holding devices that the Certification Authority has already
/// personalised (certificates issued for their serial) but whose delivery to the holder was
/// never recorded: the device is still in the operator's box or the ODR's consignment.
pub async fn incomplete_deliveries(
    db: &Db,
    chamber_id: &str,
) -> Result<Vec<IncompleteDeliveries>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT d.holder_operator_id, COUNT(DISTINCT d.id) FROM dev_devices d \
         JOIN iss_certificates c ON c.chamber_id = d.chamber_id AND c.device_serial = d.serial \
         AND c.revoked_at IS NULL \
         WHERE d.chamber_id = $1 AND d.holder_operator_id IS NOT NULL \
         AND d.state IN ('in_operator_box', 'consigned_to_odr') \
         GROUP BY d.holder_operator_id ORDER BY d.holder_operator_id",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(operator_id, missing)| IncompleteDeliveries {
            operator_id,
            missing,
        })
        .collect())
}
