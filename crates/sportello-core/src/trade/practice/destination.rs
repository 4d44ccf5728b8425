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

/// What an upload needs to know of a company and a chamber, read in one statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admission {
    /// [`chamber_admits`]: the destination desk rule with the chamber's exception.
    pub admits: bool,
    /// Whether the company is already among the chamber's companies (`chamber_companies`,
    /// written with its first practice for the chamber).
    pub linked: bool,
}

/// [`chamber_admits`] and whether `company_id` is already linked to `chamber_id`, in one
/// statement: an upload writes the link only with the company's first practice there.
pub async fn admission(
    db: &Db,
    chamber_id: &str,
    company_id: &str,
) -> Result<Admission, sqlx::Error> {
    let (sites_served, accept_other, linked): (i64, Option<String>, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sites JOIN chamber_provinces cp ON cp.province = sites.province \
         WHERE sites.company_id = $1 AND cp.chamber_id = $2) AS sites_served, \
         (SELECT value FROM chamber_settings WHERE chamber_id = $2 AND name = $3) AS accept_other, \
         (SELECT COUNT(*) FROM chamber_companies WHERE chamber_id = $2 AND company_id = $1) AS linked",
    )
    .bind(company_id)
    .bind(chamber_id)
    .bind(Setting::AcceptOtherCompanies.name())
    .fetch_one(db.pool())
    .await?;
    // As `chamber_admits`: a site in the chamber's provinces, else the chamber's setting.
    let admits = sites_served > 0
        || accept_other
            .as_deref()
            .unwrap_or(Setting::AcceptOtherCompanies.default_value())
            == "true";
    Ok(Admission {
        admits,
        linked: linked > 0,
    })
}

/// The chamber and desk of a practice with [`chamber_admits`] for its company, in one
/// statement (sending needs the three); `None` when the chamber or the desk does not exist.
pub async fn chamber_desk_admitting(
    db: &Db,
    chamber_id: &str,
    desk_id: &str,
    company_id: &str,
) -> Result<Option<(Chamber, Desk, bool)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        c_id: String,
        c_code: String,
        c_name: String,
        d_id: String,
        d_chamber_id: String,
        d_code: String,
        d_name: String,
        sites_served: i64,
        accept_other: Option<String>,
    }
    let Some(r) = sqlx::query_as::<_, Row>(
        "SELECT c.id AS c_id, c.code AS c_code, c.name AS c_name, d.id AS d_id, \
         d.chamber_id AS d_chamber_id, d.code AS d_code, d.name AS d_name, \
         (SELECT COUNT(*) FROM sites JOIN chamber_provinces cp ON cp.province = sites.province \
         WHERE sites.company_id = $3 AND cp.chamber_id = c.id) AS sites_served, \
         (SELECT value FROM chamber_settings WHERE chamber_id = c.id AND name = $4) \
         AS accept_other \
         FROM chambers c JOIN desks d ON d.id = $2 WHERE c.id = $1",
    )
    .bind(chamber_id)
    .bind(desk_id)
    .bind(company_id)
    .bind(Setting::AcceptOtherCompanies.name())
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let (chamber, desk) = chambers::chamber_and_desk((
        r.c_id,
        r.c_code,
        r.c_name,
        r.d_id,
        r.d_chamber_id,
        r.d_code,
        r.d_name,
    ))?;
    // As `chamber_admits`: a site in the chamber's provinces, else the chamber's setting.
    let admits = r.sites_served > 0
        || r.accept_other
            .as_deref()
            .unwrap_or(Setting::AcceptOtherCompanies.default_value())
            == "true";
    Ok(Some((chamber, desk, admits)))
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
