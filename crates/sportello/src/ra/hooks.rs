//! What revocation and the periodic checks need from the devices and appointments areas,
//! which do not exist yet. Each function here answers "nothing" today; the devices issue
//! (inventory, consignments) and the desk issue (appointments) replace the bodies with
//! their real queries, keeping the signatures.

use crate::db::{Db, Tx};
use chrono::NaiveDate;

/// How many devices the given operators hold (consigned and not yet issued or returned),
/// to be recalled on revocation. The devices module will supply it; 0 until then.
pub async fn devices_held(_db: &Db, _operator_ids: &[String]) -> Result<i64, sqlx::Error> {
    Ok(0)
}

/// Cancels the appointments booked with the given operators from `from` on, inside the
/// revocation's transaction; returns how many were cancelled. The appointments module will
/// supply it; 0 until then.
pub async fn cancel_future_appointments(
    _tx: &mut Tx,
    _operator_ids: &[String],
    _from: NaiveDate,
) -> Result<i64, sqlx::Error> {
    Ok(0)
}

/// An operator whose device deliveries are not fully recorded (seed 004, part 1: "verifica
/// ... dell'esatta procedura di registrazione della consegna informatica dei dispositivi").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IncompleteDeliveries {
    pub operator_id: String,
    pub missing: i64,
}

/// Operators of the chamber with device deliveries not recorded completely. The devices
/// module will supply it; empty until then.
pub async fn incomplete_deliveries(
    _db: &Db,
    _chamber_id: &str,
) -> Result<Vec<IncompleteDeliveries>, sqlx::Error> {
    Ok(Vec::new())
}
