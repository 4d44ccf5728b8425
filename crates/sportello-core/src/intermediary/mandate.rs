//! Mandates: what a company lets an intermediary do for it (issue 15, item 3: "scoped
//! mandates: practice types, chambers, from/to dates, granted by the company … and revocable
//! by either side").
//!
//! A mandate is granted by the company's legal representative (a user linked to the company
//! with `user_companies.reason = 'representative'`), names the practice types and chambers it
//! covers and its first and last day (Italian days, both included). Either side revokes it;
//! the other is told by e-mail. [`covers`] is the one rule every write of an intermediary's user
//! goes through (models, practices, sending, and so spending the client's wallet), asked by
//! `accounts::company_access`, which also keeps a client's objects out of reach while no
//! mandate is in force.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::chambers;
use crate::clock::italian_day;
use crate::db::{self, Db, Tx};
use crate::notify::{self, OutgoingEmail};
use crate::trade::PracticeType;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

/// How a mandate was granted.
pub const VIA_REPRESENTATIVE: &str = "representative";
/// A delegation file signed by the company's legal representative.
pub const VIA_DELEGATION: &str = "delegation";

/// One mandate, with the names of both parties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mandate {
    pub id: String,
    pub intermediary_id: String,
    pub intermediary_name: String,
    pub company_id: String,
    pub company_name: String,
    pub practice_types: Vec<PracticeType>,
    pub chamber_ids: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub granted_via: String,
    pub created_at: String,
    /// The Italian day of the revocation, when revoked.
    pub revoked_on: Option<NaiveDate>,
    /// `company` or `intermediary`.
    pub revoked_side: Option<String>,
}

/// Where a mandate stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MandateState {
    NotStarted,
    Active,
    Expired,
    Revoked,
}

impl MandateState {
    pub fn label_key(self) -> &'static str {
        match self {
            MandateState::NotStarted => "mandate-state-not-started",
            MandateState::Active => "mandate-state-active",
            MandateState::Expired => "mandate-state-expired",
            MandateState::Revoked => "mandate-state-revoked",
        }
    }
}

impl Mandate {
    /// Issue 15, item 3: a mandate acts from its first day to its last, both included, until
    /// revoked.
    pub fn state(&self, today: NaiveDate) -> MandateState {
        if self.revoked_on.is_some() {
            MandateState::Revoked
        } else if today < self.valid_from {
            MandateState::NotStarted
        } else if today > self.valid_to {
            MandateState::Expired
        } else {
            MandateState::Active
        }
    }
}

/// Why an intermediary's user may not act for a company: each names the company and what is
/// missing, said to the user in plain words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MandateRefusal {
    #[error("{company} granted no mandate")]
    NoMandate { company: String },
    #[error("the mandate of {company} does not cover {practice_type:?}")]
    TypeNotCovered {
        company: String,
        practice_type: PracticeType,
    },
    #[error("the mandate of {company} does not cover the chamber {chamber}")]
    ChamberNotCovered { company: String, chamber: String },
    #[error("the mandate of {company} starts on {from}")]
    NotStarted { company: String, from: NaiveDate },
    #[error("the mandate of {company} expired on {to}")]
    Expired { company: String, to: NaiveDate },
    #[error("the mandate of {company} was revoked on {on}")]
    Revoked { company: String, on: NaiveDate },
}

/// Issue 15, item 3: an intermediary's user acts for a client only within an active mandate's
/// scope — the practice type (when the action concerns one), the chamber (when it concerns
/// one), between its first and last day, not revoked. `Ok` with the mandate that covers the
/// action; otherwise the most telling reason: a mandate whose scope covers the action says
/// when it starts, or when it was revoked or expired; else the type or chamber missing.
pub fn covers<'a>(
    mandates: &'a [Mandate],
    company_id: &str,
    company_name: &str,
    practice_type: Option<PracticeType>,
    chamber_id: Option<&str>,
    today: NaiveDate,
) -> Result<&'a Mandate, MandateRefusal> {
    let mut best: Option<(u8, MandateRefusal)> = None;
    let mut consider = |rank: u8, r: MandateRefusal| {
        if best.as_ref().is_none_or(|(b, _)| rank < *b) {
            best = Some((rank, r));
        }
    };
    // Latest first, so among equals the newest mandate speaks.
    let mut of_company: Vec<&Mandate> = mandates
        .iter()
        .filter(|m| m.company_id == company_id)
        .collect();
    of_company.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    for m in of_company {
        let company = m.company_name.clone();
        if let Some(t) = practice_type
            && !m.practice_types.contains(&t)
        {
            consider(
                2,
                MandateRefusal::TypeNotCovered {
                    company,
                    practice_type: t,
                },
            );
            continue;
        }
        if let Some(c) = chamber_id
            && !m.chamber_ids.iter().any(|x| x == c)
        {
            consider(
                2,
                MandateRefusal::ChamberNotCovered {
                    company,
                    chamber: c.to_string(),
                },
            );
            continue;
        }
        match m.state(today) {
            MandateState::Active => return Ok(m),
            MandateState::NotStarted => consider(
                0,
                MandateRefusal::NotStarted {
                    company,
                    from: m.valid_from,
                },
            ),
            MandateState::Revoked => consider(
                1,
                MandateRefusal::Revoked {
                    company,
                    on: m.revoked_on.unwrap_or(m.valid_to),
                },
            ),
            MandateState::Expired => consider(
                1,
                MandateRefusal::Expired {
                    company,
                    to: m.valid_to,
                },
            ),
        }
    }
    Err(best.map(|(_, r)| r).unwrap_or(MandateRefusal::NoMandate {
        company: company_name.to_string(),
    }))
}

#[derive(sqlx::FromRow)]
struct MandateRow {
    id: String,
    intermediary_id: String,
    intermediary_name: String,
    company_id: String,
    company_name: String,
    practice_types: String,
    chamber_ids: String,
    valid_from: String,
    valid_to: String,
    granted_via: String,
    created_at: String,
    revoked_at: Option<String>,
    revoked_side: Option<String>,
}

impl TryFrom<MandateRow> for Mandate {
    type Error = sqlx::Error;
    fn try_from(r: MandateRow) -> Result<Self, sqlx::Error> {
        let revoked_on = match &r.revoked_at {
            Some(at) => Some(italian_day(db::parse_instant(at)?)),
            None => None,
        };
        Ok(Mandate {
            practice_types: split(&r.practice_types)
                .filter_map(PracticeType::parse)
                .collect(),
            chamber_ids: split(&r.chamber_ids).map(str::to_string).collect(),
            valid_from: db::parse_date(&r.valid_from)?,
            valid_to: db::parse_date(&r.valid_to)?,
            id: r.id,
            intermediary_id: r.intermediary_id,
            intermediary_name: r.intermediary_name,
            company_id: r.company_id,
            company_name: r.company_name,
            granted_via: r.granted_via,
            created_at: r.created_at,
            revoked_on,
            revoked_side: r.revoked_side,
        })
    }
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// A mandate's columns (but its id) as the principal's one statement of ties reads them
/// (`accounts::load_principal`), with the tables they come from; [`TIE_NONE`] pads the other
/// kinds of tie.
pub(crate) const TIE_COLUMNS: &str = "m.intermediary_id AS m_intermediary_id, \
     i.name AS m_intermediary_name, m.company_id AS m_company_id, c.name AS m_company_name, \
     m.practice_types AS m_practice_types, m.chamber_ids AS m_chamber_ids, \
     m.valid_from AS m_valid_from, m.valid_to AS m_valid_to, m.granted_via AS m_granted_via, \
     m.created_at AS m_created_at, m.revoked_at AS m_revoked_at, \
     m.revoked_side AS m_revoked_side \
     FROM intermediary_mandates m JOIN intermediaries i ON i.id = m.intermediary_id \
     JOIN companies c ON c.id = m.company_id";

/// [`TIE_COLUMNS`] empty, for the ties that are not mandates.
pub(crate) const TIE_NONE: &str = "NULL AS m_intermediary_id, NULL AS m_intermediary_name, \
     NULL AS m_company_id, NULL AS m_company_name, NULL AS m_practice_types, \
     NULL AS m_chamber_ids, NULL AS m_valid_from, NULL AS m_valid_to, NULL AS m_granted_via, \
     NULL AS m_created_at, NULL AS m_revoked_at, NULL AS m_revoked_side";

/// A mandate read among the principal's ties ([`TIE_COLUMNS`]); its id is the tie's.
#[derive(sqlx::FromRow)]
pub(crate) struct TieMandateRow {
    m_intermediary_id: Option<String>,
    m_intermediary_name: Option<String>,
    m_company_id: Option<String>,
    m_company_name: Option<String>,
    m_practice_types: Option<String>,
    m_chamber_ids: Option<String>,
    m_valid_from: Option<String>,
    m_valid_to: Option<String>,
    m_granted_via: Option<String>,
    m_created_at: Option<String>,
    m_revoked_at: Option<String>,
    m_revoked_side: Option<String>,
}

impl TieMandateRow {
    /// The mandate `id`, from a row of the mandate kind.
    pub(crate) fn into_mandate(self, id: String) -> Result<Mandate, sqlx::Error> {
        let need = |v: Option<String>| {
            v.ok_or_else(|| sqlx::Error::Decode("a mandate tie without its columns".into()))
        };
        Mandate::try_from(MandateRow {
            id,
            intermediary_id: need(self.m_intermediary_id)?,
            intermediary_name: need(self.m_intermediary_name)?,
            company_id: need(self.m_company_id)?,
            company_name: need(self.m_company_name)?,
            practice_types: need(self.m_practice_types)?,
            chamber_ids: need(self.m_chamber_ids)?,
            valid_from: need(self.m_valid_from)?,
            valid_to: need(self.m_valid_to)?,
            granted_via: need(self.m_granted_via)?,
            created_at: need(self.m_created_at)?,
            revoked_at: self.m_revoked_at,
            revoked_side: self.m_revoked_side,
        })
    }
}

const SELECT: &str = "SELECT m.id, m.intermediary_id, i.name AS intermediary_name, m.company_id, \
     c.name AS company_name, m.practice_types, m.chamber_ids, m.valid_from, m.valid_to, \
     m.granted_via, m.created_at, m.revoked_at, m.revoked_side \
     FROM intermediary_mandates m JOIN intermediaries i ON i.id = m.intermediary_id \
     JOIN companies c ON c.id = m.company_id";

async fn select(db: &Db, filter: &str, bind: &str) -> Result<Vec<Mandate>, sqlx::Error> {
    sqlx::query_as::<_, MandateRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {filter} ORDER BY c.name, m.created_at DESC, m.id"
    )))
    .bind(bind)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Mandate::try_from)
    .collect()
}

/// Every mandate an intermediary holds, by client name, newest first.
pub async fn of_intermediary(db: &Db, intermediary_id: &str) -> Result<Vec<Mandate>, sqlx::Error> {
    select(db, "m.intermediary_id = $1", intermediary_id).await
}

/// Every mandate a company granted.
pub async fn of_company(db: &Db, company_id: &str) -> Result<Vec<Mandate>, sqlx::Error> {
    select(db, "m.company_id = $1", company_id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Mandate>, sqlx::Error> {
    Ok(select(db, "m.id = $1", id).await?.into_iter().next())
}

/// Whether the user is linked to the company as its legal representative (issue 15, item 2:
/// the Registry lists them in `rappresentanti`).
pub async fn is_representative(
    db: &Db,
    user_id: &str,
    company_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_companies WHERE user_id = $1 AND company_id = $2 \
         AND reason = 'representative'",
    )
    .bind(user_id)
    .bind(company_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// What a company grants.
#[derive(Clone, Debug, Default)]
pub struct Grant {
    pub intermediary_id: String,
    pub company_id: String,
    pub practice_types: Vec<String>,
    pub chamber_ids: Vec<String>,
    pub valid_from: String,
    pub valid_to: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    #[error("only the company's legal representative grants or revokes its mandates")]
    NotRepresentative,
    #[error("unknown intermediary")]
    UnknownIntermediary,
    #[error("choose at least one practice type")]
    NoPracticeTypes,
    #[error("choose at least one chamber")]
    NoChambers,
    #[error("unknown chamber")]
    UnknownChamber,
    #[error("the dates are not valid")]
    BadDates,
    #[error("the last day comes before the first")]
    EndBeforeStart,
    #[error("the last day is already past")]
    EndInThePast,
    #[error("mandate not found")]
    NotFound,
    #[error("the mandate was already revoked")]
    AlreadyRevoked,
    #[error("only an intermediary's user uploads a delegation")]
    NotIntermediary,
    #[error("no company in the Registry has this tax code")]
    UnknownCompany,
    /// The delegation file is not signed by a legal representative of the company.
    #[error(transparent)]
    Delegation(#[from] crate::accounts::delegation::DelegationRefusal),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A date typed in a form: `07/12/2026` or `2026-12-07`.
fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// The company's legal representative, logged in, grants a mandate (issue 15, item 3).
pub async fn grant_by_representative(
    ctx: &Ctx,
    principal: &Principal,
    grant: Grant,
) -> Result<Mandate, MandateError> {
    if !principal.acts_for_company(&grant.company_id)
        || !is_representative(&ctx.db, &principal.user.id, &grant.company_id).await?
    {
        return Err(MandateError::NotRepresentative);
    }
    insert(ctx, principal, grant, VIA_REPRESENTATIVE).await
}

/// The intermediary uploads a delegation signed by the company's legal representative (issue
/// 15, item 3: "granted by the company (signed delegation)"): the company is found by the tax
/// code typed, the intermediary is the uploader's own, and the file must pass
/// `accounts::delegation::check_representative_signature`. The file is kept with the mandate.
pub async fn grant_by_delegation(
    ctx: &Ctx,
    principal: &Principal,
    company_tax_code: &str,
    mut grant: Grant,
    file: &[u8],
    file_name: &str,
) -> Result<Mandate, MandateError> {
    let Some(inter) = &principal.intermediary else {
        return Err(MandateError::NotIntermediary);
    };
    let tax_code = crate::registry::TaxCode::parse(company_tax_code)
        .map_err(|_| MandateError::UnknownCompany)?;
    let company = crate::registry::find_company_by_tax_code(&ctx.db, &tax_code)
        .await?
        .ok_or(MandateError::UnknownCompany)?;
    let signed = crate::accounts::delegation::check_representative_signature(
        ctx,
        &company.id,
        file,
        file_name,
    )
    .await?;
    let blob = ctx.blobs.put(file).await?;
    grant.intermediary_id = inter.id.clone();
    grant.company_id = company.id;
    let safe_name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(120)
        .collect();
    let evidence = Evidence {
        blob,
        file_name: safe_name,
        signer: signed.signer_tax_code,
    };
    insert_with(ctx, principal, grant, VIA_DELEGATION, Some(evidence)).await
}

/// The delegation file kept with a mandate granted through one.
struct Evidence {
    blob: String,
    file_name: String,
    signer: String,
}

async fn insert(
    ctx: &Ctx,
    principal: &Principal,
    grant: Grant,
    via: &str,
) -> Result<Mandate, MandateError> {
    insert_with(ctx, principal, grant, via, None).await
}

async fn insert_with(
    ctx: &Ctx,
    principal: &Principal,
    grant: Grant,
    via: &str,
    evidence: Option<Evidence>,
) -> Result<Mandate, MandateError> {
    // A suspended intermediary is not offered to companies, and a form posted with its id
    // anyway is refused as for an unknown one.
    let inter = super::get(&ctx.db, &grant.intermediary_id)
        .await?
        .filter(|i| !i.suspended())
        .ok_or(MandateError::UnknownIntermediary)?;
    let mut types: Vec<PracticeType> = Vec::new();
    for t in &grant.practice_types {
        let t = PracticeType::parse(t).ok_or(MandateError::NoPracticeTypes)?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        return Err(MandateError::NoPracticeTypes);
    }
    let mut chamber_ids: Vec<String> = Vec::new();
    for c in &grant.chamber_ids {
        chambers::get_chamber(&ctx.db, c)
            .await?
            .ok_or(MandateError::UnknownChamber)?;
        if !chamber_ids.contains(c) {
            chamber_ids.push(c.clone());
        }
    }
    if chamber_ids.is_empty() {
        return Err(MandateError::NoChambers);
    }
    let (Some(from), Some(to)) = (parse_day(&grant.valid_from), parse_day(&grant.valid_to)) else {
        return Err(MandateError::BadDates);
    };
    if to < from {
        return Err(MandateError::EndBeforeStart);
    }
    let now = ctx.clock.now();
    if to < italian_day(now) {
        return Err(MandateError::EndInThePast);
    }
    let types_text = types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let chambers_text = chamber_ids.join(",");
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO intermediary_mandates (id, intermediary_id, company_id, practice_types, \
         chamber_ids, valid_from, valid_to, granted_via, granted_by, created_at, delegation_blob, \
         delegation_file_name, delegation_signer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(&inter.id)
    .bind(&grant.company_id)
    .bind(&types_text)
    .bind(&chambers_text)
    .bind(db::date(from))
    .bind(db::date(to))
    .bind(via)
    .bind(&principal.user.id)
    .bind(db::instant(now))
    .bind(evidence.as_ref().map(|e| e.blob.clone()))
    .bind(evidence.as_ref().map(|e| e.file_name.clone()))
    .bind(evidence.as_ref().map(|e| e.signer.clone()))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &principal.actor(),
        Change::new(
            "intermediary_mandate.grant",
            "intermediary_mandate",
            Some(&id),
        )
        .after(json!({
            "intermediary_id": inter.id, "company_id": grant.company_id,
            "practice_types": types_text, "chamber_ids": chambers_text,
            "valid_from": db::date(from), "valid_to": db::date(to), "via": via,
            "delegation_blob": evidence.as_ref().map(|e| e.blob.clone()),
            "delegation_signer": evidence.as_ref().map(|e| e.signer.clone()),
        })),
    )
    .await?;
    let company = crate::registry::get_company(&ctx.db, &grant.company_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    notify::queue(
        &mut tx,
        now,
        OutgoingEmail {
            to: inter.email.clone(),
            subject: format!("Mandato ricevuto da {company}"),
            body_text: format!(
                "{company} ha conferito a {} un mandato dal {} al {}.\n\
                 Lo trovate nella pagina Clienti di Sportello.\n",
                inter.name,
                crate::display::date(from),
                crate::display::date(to),
            ),
            chamber_id: None,
            attachments: Vec::new(),
        },
    )
    .await?;
    tx.commit().await?;
    get(&ctx.db, &id).await?.ok_or(MandateError::NotFound)
}

/// Revokes a mandate, from either side (issue 15, item 3: "revocable by either side"): the
/// company's legal representative or a user of the intermediary. Audited, and the other side
/// is told by e-mail. A mandate the principal is neither side of is `NotFound`.
pub async fn revoke(
    ctx: &Ctx,
    principal: &Principal,
    mandate_id: &str,
) -> Result<Mandate, MandateError> {
    let m = get(&ctx.db, mandate_id)
        .await?
        .ok_or(MandateError::NotFound)?;
    let side = if principal
        .intermediary
        .as_ref()
        .is_some_and(|i| i.id == m.intermediary_id)
    {
        "intermediary"
    } else if principal.acts_for_company(&m.company_id) {
        if !is_representative(&ctx.db, &principal.user.id, &m.company_id).await? {
            return Err(MandateError::NotRepresentative);
        }
        "company"
    } else {
        return Err(MandateError::NotFound);
    };
    if m.revoked_on.is_some() {
        return Err(MandateError::AlreadyRevoked);
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let done = sqlx::query(
        "UPDATE intermediary_mandates SET revoked_at = $2, revoked_by = $3, revoked_side = $4 \
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(&m.id)
    .bind(db::instant(now))
    .bind(&principal.user.id)
    .bind(side)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(MandateError::AlreadyRevoked);
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor(),
        Change::new(
            "intermediary_mandate.revoke",
            "intermediary_mandate",
            Some(&m.id),
        )
        .after(json!({
            "intermediary_id": m.intermediary_id, "company_id": m.company_id, "side": side,
        })),
    )
    .await?;
    tell_other_side(&mut tx, now, &m, side).await?;
    tx.commit().await?;
    get(&ctx.db, &m.id).await?.ok_or(MandateError::NotFound)
}

/// The e-mail to the side that did not revoke: the intermediary's address, or the company's
/// legal representatives' accounts.
async fn tell_other_side(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    m: &Mandate,
    side: &str,
) -> Result<(), sqlx::Error> {
    let day = crate::display::date(italian_day(now));
    let to: Vec<String> = if side == "company" {
        sqlx::query_scalar("SELECT email FROM intermediaries WHERE id = $1")
            .bind(&m.intermediary_id)
            .fetch_all(&mut **tx)
            .await?
    } else {
        sqlx::query_scalar(
            "SELECT u.email FROM user_companies uc JOIN users u ON u.id = uc.user_id \
             WHERE uc.company_id = $1 AND uc.reason = 'representative' AND u.active = 1 \
             ORDER BY u.email",
        )
        .bind(&m.company_id)
        .fetch_all(&mut **tx)
        .await?
    };
    let (subject, body) = if side == "company" {
        (
            format!("Mandato revocato da {}", m.company_name),
            format!(
                "{} ha revocato il {day} il mandato conferito a {}.\n\
                 Da oggi non potete più operare per suo conto.\n",
                m.company_name, m.intermediary_name
            ),
        )
    } else {
        (
            format!("{} ha rinunciato al mandato", m.intermediary_name),
            format!(
                "{} ha revocato il {day} il mandato con cui operava per conto di {}.\n",
                m.intermediary_name, m.company_name
            ),
        )
    };
    for to in to {
        notify::queue(
            tx,
            now,
            OutgoingEmail {
                to,
                subject: subject.clone(),
                body_text: body.clone(),
                chamber_id: None,
                attachments: Vec::new(),
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn mandate() -> Mandate {
        Mandate {
            id: "m1".into(),
            intermediary_id: "i1".into(),
            intermediary_name: "Rossi Spedizioni S.r.l.".into(),
            company_id: "c1".into(),
            company_name: "ACME S.p.A.".into(),
            practice_types: vec![PracticeType::CertificateOfOrigin],
            chamber_ids: vec!["ge".into()],
            valid_from: day("2026-12-01"),
            valid_to: day("2026-12-31"),
            granted_via: VIA_REPRESENTATIVE.into(),
            created_at: "2026-11-30T10:00:00.000000Z".into(),
            revoked_on: None,
            revoked_side: None,
        }
    }

    const CO: Option<PracticeType> = Some(PracticeType::CertificateOfOrigin);

    #[test]
    fn mandate_covers_its_types_and_chambers_between_its_days() {
        let ms = [mandate()];
        assert!(covers(&ms, "c1", "ACME", CO, Some("ge"), day("2026-12-01")).is_ok());
        assert!(covers(&ms, "c1", "ACME", CO, Some("ge"), day("2026-12-31")).is_ok());
        assert!(covers(&ms, "c1", "ACME", None, None, day("2026-12-15")).is_ok());
    }

    #[test]
    fn mandate_out_of_scope_names_why() {
        let ms = [mandate()];
        let today = day("2026-12-07");
        assert!(matches!(
            covers(
                &ms,
                "c1",
                "ACME",
                Some(PracticeType::InvoiceVisa),
                Some("ge"),
                today
            ),
            Err(MandateRefusal::TypeNotCovered {
                practice_type: PracticeType::InvoiceVisa,
                ..
            })
        ));
        assert!(matches!(
            covers(&ms, "c1", "ACME", CO, Some("mi"), today),
            Err(MandateRefusal::ChamberNotCovered { .. })
        ));
        assert_eq!(
            covers(&ms, "c1", "ACME", CO, Some("ge"), day("2026-11-30")),
            Err(MandateRefusal::NotStarted {
                company: "ACME S.p.A.".into(),
                from: day("2026-12-01")
            })
        );
        assert_eq!(
            covers(&ms, "c1", "ACME", CO, Some("ge"), day("2027-01-01")),
            Err(MandateRefusal::Expired {
                company: "ACME S.p.A.".into(),
                to: day("2026-12-31")
            })
        );
        assert_eq!(
            covers(&ms, "c2", "Beta S.r.l.", CO, Some("ge"), today),
            Err(MandateRefusal::NoMandate {
                company: "Beta S.r.l.".into()
            })
        );
    }

    #[test]
    fn revoked_mandate_covers_nothing() {
        let mut m = mandate();
        m.revoked_on = Some(day("2026-12-05"));
        assert_eq!(
            covers(&[m], "c1", "ACME", CO, Some("ge"), day("2026-12-07")),
            Err(MandateRefusal::Revoked {
                company: "ACME S.p.A.".into(),
                on: day("2026-12-05")
            })
        );
    }

    #[test]
    fn a_mandate_covering_the_scope_says_when_it_starts_before_another_says_what_it_lacks() {
        let mut elsewhere = mandate();
        elsewhere.id = "m0".into();
        elsewhere.chamber_ids = vec!["mi".into()];
        let mut later = mandate();
        later.valid_from = day("2026-12-10");
        let ms = [elsewhere, later];
        assert!(matches!(
            covers(&ms, "c1", "ACME", CO, Some("ge"), day("2026-12-07")),
            Err(MandateRefusal::NotStarted { .. })
        ));
    }

    #[test]
    fn an_active_mandate_wins_over_an_expired_one() {
        let mut old = mandate();
        old.id = "m0".into();
        old.valid_to = day("2026-12-03");
        old.created_at = "2026-11-01T10:00:00.000000Z".into();
        let ms = [old, mandate()];
        assert!(covers(&ms, "c1", "ACME", CO, Some("ge"), day("2026-12-07")).is_ok());
    }
}
