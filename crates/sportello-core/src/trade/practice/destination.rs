//! The destination desk (sportello di destinazione): a company sends its practices to the
//! desks of its own chamber. Cert'O guide: the destination desk is one of the chamber where
//! the company is registered; for a Genoese company Genova or Chiavari. A company may send to
//! a chamber serving the province of one of its sites in the Registry (head office or local
//! unit); a chamber may accept other companies too (`accept_other_companies`).

use crate::chambers::settings::{self, Setting};
use crate::chambers::{self, Chamber, Desk};
use crate::db::Db;

/// Whether `company_id` may send practices to the desks of `chamber_id`: the destination desk
/// rule of the Cert'O guide, with the chamber's exception.
pub async fn chamber_admits(
    db: &Db,
    chamber_id: &str,
    company_id: &str,
) -> Result<bool, sqlx::Error> {
    if serves_a_site(db, chamber_id, company_id).await? {
        return Ok(true);
    }
    settings::get_bool(db, chamber_id, Setting::AcceptOtherCompanies).await
}

async fn serves_a_site(db: &Db, chamber_id: &str, company_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sites JOIN chamber_provinces cp ON cp.province = sites.province \
         WHERE sites.company_id = $1 AND cp.chamber_id = $2",
    )
    .bind(company_id)
    .bind(chamber_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// The desks `company_id` may send to, with their chamber, by chamber and desk code.
pub async fn allowed_desks(db: &Db, company_id: &str) -> Result<Vec<(Chamber, Desk)>, sqlx::Error> {
    let mut out = Vec::new();
    for chamber in chambers::list_chambers(db).await? {
        if chamber_admits(db, &chamber.id, company_id).await? {
            for desk in chambers::desks_of(db, &chamber.id).await? {
                out.push((chamber.clone(), desk));
            }
        }
    }
    Ok(out)
}
