//! Scope checks shared by pages and API: an operator id from the client is never trusted —
//! it must belong to the caller's chamber and, for an operator, to their own subtree.

use super::office;
use super::operator::{self, Operator};
use crate::accounts::Principal;
use crate::db::Db;
use crate::web::AppError;

/// The caller's chamber, or 403 for a user without one.
pub fn chamber_of(p: &Principal) -> Result<&str, AppError> {
    p.user.chamber_id.as_deref().ok_or_else(AppError::forbidden)
}

/// The operator `id` if the caller may see it; 404 otherwise (another chamber, another
/// subtree, or no such operator look the same).
pub async fn visible_operator(db: &Db, p: &Principal, id: &str) -> Result<Operator, AppError> {
    let chamber_id = chamber_of(p)?;
    let op = operator::get(db, id)
        .await?
        .filter(|o| o.chamber_id == chamber_id)
        .ok_or_else(AppError::not_found)?;
    if office::scope_of(db, p).await?.sees(&op) {
        Ok(op)
    } else {
        Err(AppError::not_found())
    }
}
