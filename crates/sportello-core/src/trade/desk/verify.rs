//! Public verification of an issued certificate (beyond the seeds: what the national
//! database of certificates of origin offers, the national database of certificates of origin): with the number and the
//! security code printed on it, anyone — a customs officer abroad — sees the certificate's
//! key data and status. A wrong pair reveals nothing, not even whether the number exists.

use crate::Ctx;
use crate::chambers;
use crate::throttle::{self, Scope};
use crate::trade::desk::certificate::{self, Certificate};
use crate::trade::desk::security_code::{self, CodeError};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub number: String,
    /// `valid`, `cancelled`, `replaced`, or `duplicate` (a valid duplicate of another one).
    pub status: &'static str,
    pub issued_on: String,
    pub chamber: String,
    pub company_name: String,
    pub consignee_country: String,
    pub origin_country: String,
    pub replaced_by: Option<String>,
    pub duplicate_of: Option<String>,
    pub replaces: Option<String>,
    pub pdf_sha256: String,
}

fn status_of(c: &Certificate) -> &'static str {
    match (c.status.as_str(), &c.replaced_by, &c.duplicate_of) {
        ("cancelled", Some(_), _) => "replaced",
        ("cancelled", None, _) => "cancelled",
        (_, _, Some(_)) => "duplicate",
        _ => "valid",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Too many wrong codes for this number from this client address, or from this address
    /// altogether, in the throttle's window.
    #[error("too many failed verifications from this address")]
    Throttled,
    #[error(transparent)]
    Code(#[from] CodeError),
}

impl From<sqlx::Error> for VerifyError {
    fn from(e: sqlx::Error) -> Self {
        VerifyError::Code(CodeError::Db(e))
    }
}

/// The certificate's public data, only when number and code match. The code is checked
/// against its salted hash (`security_code::check`), which costs the same for an unknown
/// number.
///
/// Wrong codes are throttled in the database, shared by every instance, per (client
/// address, certificate number) and per client address ([`throttle`]); `client` is the
/// address the web shell read through the trusted proxies, so one guesser behind the load
/// balancer never locks out everyone else, and a right code from another address still
/// works while the guesser is refused. A check that succeeds gives its attempt back.
pub async fn verify(
    state: &Ctx,
    client: &str,
    number: &str,
    code: &str,
) -> Result<Option<Verification>, VerifyError> {
    let db = &state.db;
    let now = state.clock.now();
    // Keyed on the number as the check reads it, so spelling variants share one count.
    let pair = format!("{client} {}", number.trim().to_uppercase());
    let subjects = [
        (Scope::VerifyAddress, client),
        (Scope::VerifyNumber, pair.as_str()),
    ];
    if !throttle::take_each(db, now, &subjects)
        .await?
        .into_iter()
        .all(|within| within)
    {
        return Err(VerifyError::Throttled);
    }
    if security_code::check(state, number, code).await?.is_none() {
        return Ok(None);
    }
    throttle::give_back_each(db, &subjects).await?;
    let Some(c) = certificate::by_number(db, number).await? else {
        return Ok(None);
    };
    let chamber = chambers::get_chamber(db, &c.chamber_id)
        .await?
        .map(|ch| ch.name)
        .unwrap_or_default();
    Ok(Some(Verification {
        status: status_of(&c),
        number: c.number,
        issued_on: c.issued_on,
        chamber,
        company_name: c.company_name,
        consignee_country: c.consignee_country,
        origin_country: c.origin_country,
        replaced_by: c.replaced_by,
        duplicate_of: c.duplicate_of,
        replaces: c.replaces,
        pdf_sha256: c.pdf_sha256,
    }))
}
