//! Scope checks shared by pages and API: an operator id from the client is never trusted —
//! it must belong to the caller's chamber and, for an operator, to their own subtree.

use crate::accounts::Principal;
use crate::authz::AccessError;
pub use crate::authz::chamber_of;
use crate::db::Db;
use crate::ra::office;
use crate::ra::operator::{self, Operator};

/// The operator `id` if the caller may see it; 404 otherwise (another chamber, another
/// subtree, or no such operator look the same).
pub async fn visible_operator(db: &Db, p: &Principal, id: &str) -> Result<Operator, AccessError> {
    let chamber_id = chamber_of(p)?;
    let op = operator::get(db, id)
        .await?
        .filter(|o| o.chamber_id == chamber_id)
        .ok_or(AccessError::NotFound)?;
    if office::scope_of(db, p).await?.sees(&op) {
        Ok(op)
    } else {
        Err(AccessError::NotFound)
    }
}
