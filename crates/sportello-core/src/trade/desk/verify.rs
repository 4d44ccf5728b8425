//! Public verification of an issued certificate (beyond the seeds: what the national
//! database of certificates of origin offers, the national database of certificates of origin): with the number and the
//! security code printed on it, anyone — a customs officer abroad — sees the certificate's
//! key data and status. A wrong pair reveals nothing, not even whether the number exists.

use crate::Ctx;
use crate::db::Db;
use crate::paging;
use crate::throttle::{self, Scope};
use crate::trade::desk::security_code::{self, CodeError, Stored};
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

/// What a verification reads of a certificate, in one statement: the stored code's hash
/// (with the id, to replace an outdated hash) and what the page shows, its chamber's name
/// included.
#[derive(sqlx::FromRow)]
struct Found {
    id: String,
    security_code_hash: String,
    number: String,
    status: String,
    issued_on: String,
    chamber: String,
    company_name: String,
    consignee_country: String,
    origin_country: String,
    replaced_by: Option<String>,
    duplicate_of: Option<String>,
    replaces: Option<String>,
    pdf_sha256: String,
}

impl Found {
    fn status(&self) -> &'static str {
        match (self.status.as_str(), &self.replaced_by, &self.duplicate_of) {
            ("cancelled", Some(_), _) => "replaced",
            ("cancelled", None, _) => "cancelled",
            (_, _, Some(_)) => "duplicate",
            _ => "valid",
        }
    }

    fn into_verification(self) -> Verification {
        Verification {
            status: self.status(),
            number: self.number,
            issued_on: self.issued_on,
            chamber: self.chamber,
            company_name: self.company_name,
            consignee_country: self.consignee_country,
            origin_country: self.origin_country,
            replaced_by: self.replaced_by,
            duplicate_of: self.duplicate_of,
            replaces: self.replaces,
            pdf_sha256: self.pdf_sha256,
        }
    }
}

/// The statement of [`verify`]'s read, bound to `number` (as stored: see
/// [`stored_number`]): one probe of the unique index on `certificates.number`, and one of the
/// chambers' key. `prefix` is empty to run it, the engine's `EXPLAIN` to plan it
/// ([`lookup_plan`]): the plan tested is the statement run.
fn lookup<'q, O>(
    prefix: &str,
    number: &'q str,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let sql = format!(
        "{prefix}SELECT c.id, c.security_code_hash, c.number, c.status, c.issued_on, \
         COALESCE(ch.name, '') AS chamber, c.company_name, c.consignee_country, \
         c.origin_country, c.replaced_by, c.duplicate_of, c.replaces, c.pdf_sha256 \
         FROM certificates c LEFT JOIN chambers ch ON ch.id = c.chamber_id WHERE c.number = $1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(number)
}

/// The number as a certificate stores it (and as its code was hashed with it).
fn stored_number(number: &str) -> String {
    number.trim().to_ascii_uppercase()
}

/// The engine's plan of the statement [`verify`] reads the certificate with (issue 14).
pub async fn lookup_plan(db: &Db, number: &str) -> Result<Vec<String>, sqlx::Error> {
    let number = stored_number(number);
    paging::plan(db, lookup(paging::explain(db), &number)).await
}

/// The certificate's public data, only when number and code match. The code is checked
/// against its salted hash (`security_code::check`), which costs the same for an unknown
/// number. The certificate is read once, with its chamber's name: that row answers both
/// the check and the page.
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
    let number = stored_number(number);
    // Keyed on the number as stored, so spelling variants share one count.
    let pair = format!("{client} {number}");
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
    let found: Option<Found> = lookup("", &number).fetch_optional(db.pool()).await?;
    let stored = found.as_ref().map(|f| Stored {
        certificate_id: &f.id,
        hash: &f.security_code_hash,
    });
    if !security_code::check(state, &number, code, stored).await? {
        return Ok(None);
    }
    throttle::give_back_each(db, &subjects).await?;
    Ok(found.map(Found::into_verification))
}
