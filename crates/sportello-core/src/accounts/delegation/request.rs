//! Delegation requests (issue 15, item 2): a person who signed up and whom the Registry does
//! not list as a representative uploads a delegation for a company, signed by one of its legal
//! representatives; the office of the company's chamber approves it (the person then acts for
//! the company, link reason `delegation`) or rejects it with a reason. The person is told by
//! e-mail either way; a second click changes nothing.

use super::signature::{DelegationRefusal, check_representative_signature, company_chamber};
use crate::Ctx;
use crate::accounts::company_users::{self, CompanyScope};
use crate::accounts::{Principal, Role};
use crate::audit::{self, Change};
use crate::authz::{self, AccessError};
use crate::blobs::BlobError;
use crate::db::{self, Db};
use crate::notify::{self, OutgoingEmail};
use crate::registry::{self, Company, Rea, TaxCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the office.
    Pending,
    /// Approved: the person acts for the company.
    Approved,
    /// Rejected, with a reason.
    Rejected,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            _ => Self::Pending,
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Pending => "delegation-state-pending",
            Self::Approved => "delegation-state-approved",
            Self::Rejected => "delegation-state-rejected",
        }
    }
}

/// One delegation request, with who asked and for which company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegationRequest {
    pub id: String,
    pub user_id: String,
    pub user_name: String,
    pub user_email: String,
    pub user_tax_code: Option<String>,
    pub company_id: String,
    pub company_name: String,
    pub company_tax_code: String,
    pub chamber_id: Option<String>,
    pub state: RequestState,
    pub signed_blob: String,
    pub file_name: String,
    pub file_sha256: String,
    pub format: String,
    pub signer_tax_code: String,
    pub signer_name: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub checked_at: DateTime<Utc>,
    pub revocation_unverified: bool,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub rejection_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    user_id: String,
    user_name: String,
    user_email: String,
    user_tax_code: Option<String>,
    company_id: String,
    company_name: String,
    company_tax_code: String,
    chamber_id: Option<String>,
    state: String,
    signed_blob: String,
    file_name: String,
    file_sha256: String,
    format: String,
    signer_tax_code: String,
    signer_name: String,
    signed_at: Option<String>,
    checked_at: String,
    revocation_unverified: i64,
    created_at: String,
    decided_at: Option<String>,
    decided_by: Option<String>,
    rejection_reason: Option<String>,
}

impl TryFrom<Row> for DelegationRequest {
    type Error = sqlx::Error;

    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        let instant = |s: Option<String>| s.and_then(|t| db::parse_instant(&t).ok());
        Ok(Self {
            checked_at: db::parse_instant(&r.checked_at)?,
            created_at: db::parse_instant(&r.created_at)?,
            signed_at: instant(r.signed_at),
            decided_at: instant(r.decided_at),
            id: r.id,
            user_id: r.user_id,
            user_name: r.user_name,
            user_email: r.user_email,
            user_tax_code: r.user_tax_code,
            company_id: r.company_id,
            company_name: r.company_name,
            company_tax_code: r.company_tax_code,
            chamber_id: r.chamber_id,
            state: RequestState::parse(&r.state),
            signed_blob: r.signed_blob,
            file_name: r.file_name,
            file_sha256: r.file_sha256,
            format: r.format,
            signer_tax_code: r.signer_tax_code,
            signer_name: r.signer_name,
            revocation_unverified: r.revocation_unverified != 0,
            decided_by: r.decided_by,
            rejection_reason: r.rejection_reason,
        })
    }
}

/// The columns of a request with its person, company and decider, then `$filter`.
macro_rules! select {
    ($filter:literal) => {
        concat!(
            "SELECT d.id, d.user_id, u.name AS user_name, u.email AS user_email, \
             u.tax_code AS user_tax_code, d.company_id, c.name AS company_name, \
             c.tax_code AS company_tax_code, d.chamber_id, d.state, d.signed_blob, d.file_name, \
             d.file_sha256, d.format, d.signer_tax_code, d.signer_name, d.signed_at, \
             d.checked_at, d.revocation_unverified, d.created_at, d.decided_at, \
             decider.name AS decided_by, d.rejection_reason FROM delegation_requests d \
             JOIN users u ON u.id = d.user_id JOIN companies c ON c.id = d.company_id \
             LEFT JOIN users decider ON decider.id = d.decided_by ",
            $filter
        )
    };
}

async fn fetch(
    db: &Db,
    sql: &'static str,
    binds: &[&str],
) -> Result<Vec<DelegationRequest>, sqlx::Error> {
    let mut q = sqlx::query_as::<_, Row>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_all(db.pool())
        .await?
        .into_iter()
        .map(DelegationRequest::try_from)
        .collect()
}

pub async fn get(db: &Db, id: &str) -> Result<Option<DelegationRequest>, sqlx::Error> {
    Ok(fetch(db, select!("WHERE d.id = $1"), &[id])
        .await?
        .into_iter()
        .next())
}

/// The person's own requests, newest first.
pub async fn mine(db: &Db, principal: &Principal) -> Result<Vec<DelegationRequest>, sqlx::Error> {
    fetch(
        db,
        select!("WHERE d.user_id = $1 ORDER BY d.created_at DESC, d.id DESC"),
        &[&principal.user.id],
    )
    .await
}

/// One of the person's own requests; `None` for another's.
pub async fn get_mine(
    db: &Db,
    principal: &Principal,
    id: &str,
) -> Result<Option<DelegationRequest>, sqlx::Error> {
    Ok(get(db, id)
        .await?
        .filter(|r| r.user_id == principal.user.id))
}

/// The office's queue: the requests for the companies of its chamber (and those no chamber
/// serves), waiting ones first, then the decided, newest first.
pub async fn queue(db: &Db, principal: &Principal) -> Result<Vec<DelegationRequest>, AccessError> {
    let chamber = office_chamber(principal)?;
    Ok(fetch(
        db,
        select!(
            "WHERE (d.chamber_id = $1 OR d.chamber_id IS NULL) ORDER BY \
             CASE WHEN d.state = 'pending' THEN 0 ELSE 1 END, \
             CASE WHEN d.state = 'pending' THEN d.created_at ELSE '' END, \
             d.decided_at DESC, d.created_at DESC, d.id"
        ),
        &[chamber],
    )
    .await?)
}

fn office_chamber(principal: &Principal) -> Result<&str, AccessError> {
    if !authz::permits(principal, authz::Action::DecideDelegations) {
        return Err(AccessError::Forbidden);
    }
    authz::chamber_of(principal)
}

/// A request the office may decide: of its chamber, or of a company no chamber serves;
/// `NotFound` otherwise, so ids of other chambers reveal nothing.
pub async fn get_for_office(
    db: &Db,
    principal: &Principal,
    id: &str,
) -> Result<DelegationRequest, AccessError> {
    let chamber = office_chamber(principal)?;
    get(db, id)
        .await?
        .filter(|r| r.chamber_id.as_deref().is_none_or(|c| c == chamber))
        .ok_or(AccessError::NotFound)
}

/// Why a delegation is not taken.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Neither a company tax code nor a REA number.
    #[error("'{0}' is neither a tax code nor a REA number")]
    CompanyCode(String),
    #[error("no company in the Registry has '{0}'")]
    UnknownCompany(String),
    #[error("the company has ceased")]
    CompanyCeased,
    #[error("the person already acts for the company")]
    AlreadyLinked,
    /// Another request for the company waits (with another file): the office decides it first.
    #[error("another request for the company is waiting")]
    AlreadyPending,
    #[error(transparent)]
    Refused(#[from] DelegationRefusal),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl SubmitError {
    /// The message key (`delegation-…`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::CompanyCode(_) => "delegation-error-company-code",
            Self::UnknownCompany(_) => "delegation-error-unknown-company",
            Self::CompanyCeased => "delegation-error-company-ceased",
            Self::AlreadyLinked => "delegation-error-already-linked",
            Self::AlreadyPending => "delegation-error-already-pending",
            Self::Refused(r) => r.key(),
            Self::Blob(_) | Self::Db(_) => "error-internal",
        }
    }

    /// A stable machine-readable code (the API's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::CompanyCode(_) => "company_code",
            Self::UnknownCompany(_) => "unknown_company",
            Self::CompanyCeased => "company_ceased",
            Self::AlreadyLinked => "already_linked",
            Self::AlreadyPending => "already_pending",
            Self::Refused(r) => r.code(),
            Self::Blob(_) | Self::Db(_) => "internal",
        }
    }
}

/// The company a person names by its tax code (or VAT number) or its REA number
/// (`GE-123456`).
pub async fn find_company(db: &Db, code: &str) -> Result<Company, SubmitError> {
    let code = code.trim();
    if let Ok(tax_code) = TaxCode::parse(code) {
        return registry::find_company_by_tax_code(db, &tax_code)
            .await?
            .ok_or_else(|| SubmitError::UnknownCompany(code.to_string()));
    }
    let rea = Rea::parse(code).map_err(|_| SubmitError::CompanyCode(code.to_string()))?;
    registry::find_sites_by_rea(db, &rea)
        .await?
        .into_iter()
        .map(|(company, _)| company)
        .next()
        .ok_or_else(|| SubmitError::UnknownCompany(code.to_string()))
}

/// The uploaded file's name, kept only as a label: ASCII letters, digits, `.`, `-`, `_`.
fn file_label(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(120)
        .collect();
    if clean.trim_matches('.').is_empty() {
        "delega".to_string()
    } else {
        clean
    }
}

/// Takes a delegation for the company named by `company_code`, signed by one of its legal
/// representatives ([`check_representative_signature`]), as a request waiting for the office.
/// The same file sent twice answers the request already made.
pub async fn submit(
    ctx: &Ctx,
    principal: &Principal,
    company_code: &str,
    file: &[u8],
    file_name: &str,
) -> Result<DelegationRequest, SubmitError> {
    let company = find_company(&ctx.db, company_code).await?;
    if company.status != registry::CompanyStatus::Active {
        return Err(SubmitError::CompanyCeased);
    }
    if principal.acts_for_company(&company.id) {
        return Err(SubmitError::AlreadyLinked);
    }
    let sha = crate::blobs::sha256_hex(file);
    if let Some(existing) = pending_of(&ctx.db, principal, &company.id).await? {
        return if existing.file_sha256 == sha {
            Ok(existing)
        } else {
            Err(SubmitError::AlreadyPending)
        };
    }
    let signature = check_representative_signature(ctx, &company.id, file, file_name).await?;
    let chamber = company_chamber(&ctx.db, &company.id).await?;
    let blob = ctx.blobs.put(file).await?;
    let now = ctx.clock.now();
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO delegation_requests (id, user_id, company_id, chamber_id, state, \
         signed_blob, file_name, file_sha256, format, signer_tax_code, signer_name, signed_at, \
         checked_at, revocation_unverified, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $11, $12, $13, $12)",
    )
    .bind(&id)
    .bind(&principal.user.id)
    .bind(&company.id)
    .bind(&chamber)
    .bind(&blob)
    .bind(file_label(file_name))
    .bind(&signature.file_sha256)
    .bind(&signature.format)
    .bind(&signature.signer_tax_code)
    .bind(&signature.signer_name)
    .bind(signature.signed_at.map(db::instant))
    .bind(db::instant(now))
    .bind(i64::from(signature.revocation_unverified))
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        // Two clicks at once: the other one made the request.
        Err(e) if db::unique_violation(&e).is_some() => {
            drop(tx);
            return pending_of(&ctx.db, principal, &company.id)
                .await?
                .ok_or(SubmitError::AlreadyPending);
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(chamber.as_deref()),
        Change::new("delegation.request", "delegation_request", Some(&id)).after(json!({
            "company_id": company.id, "company_tax_code": company.tax_code.as_str(),
            "signer_tax_code": signature.signer_tax_code, "signer_name": signature.signer_name,
            "format": signature.format, "file_sha256": signature.file_sha256,
            "signed_blob": blob, "revocation_unverified": signature.revocation_unverified,
        })),
    )
    .await?;
    tx.commit().await?;
    get(&ctx.db, &id)
        .await?
        .ok_or(SubmitError::Db(sqlx::Error::RowNotFound))
}

async fn pending_of(
    db: &Db,
    principal: &Principal,
    company_id: &str,
) -> Result<Option<DelegationRequest>, sqlx::Error> {
    Ok(fetch(
        db,
        select!("WHERE d.user_id = $1 AND d.company_id = $2 AND d.state = 'pending'"),
        &[&principal.user.id, company_id],
    )
    .await?
    .into_iter()
    .next())
}

/// Why the office cannot decide a request.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Already decided the other way.
    #[error("the request was already decided")]
    AlreadyDecided(RequestState),
    #[error("a rejection needs a reason")]
    ReasonMissing,
    /// The person's account was disabled or is no company account.
    #[error("the person's account cannot act for companies")]
    AccountUnusable,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl DecideError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::AlreadyDecided(RequestState::Approved) => "delegation-error-already-approved",
            Self::AlreadyDecided(_) => "delegation-error-already-rejected",
            Self::ReasonMissing => "delegation-error-reason-missing",
            Self::AccountUnusable => "delegation-error-account-unusable",
            Self::Access(AccessError::NotFound) => "error-not-found",
            Self::Access(AccessError::Forbidden) => "error-forbidden",
            Self::Access(AccessError::Db(_)) | Self::Db(_) => "error-internal",
        }
    }
}

/// What a decision did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub request: DelegationRequest,
    /// False when the request was already decided this way (a second click): nothing done.
    pub changed: bool,
}

/// Approves a waiting request: the person acts for the company from now on (link reason
/// `delegation`, every scope until a representative narrows it) and is told by e-mail.
/// Approving it again changes nothing.
pub async fn approve(ctx: &Ctx, principal: &Principal, id: &str) -> Result<Decided, DecideError> {
    decide(ctx, principal, id, RequestState::Approved, None).await
}

/// Rejects a waiting request with a reason the person reads in the e-mail and on their page.
/// Rejecting it again changes nothing.
pub async fn reject(
    ctx: &Ctx,
    principal: &Principal,
    id: &str,
    reason: &str,
) -> Result<Decided, DecideError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DecideError::ReasonMissing);
    }
    decide(ctx, principal, id, RequestState::Rejected, Some(reason)).await
}

async fn decide(
    ctx: &Ctx,
    principal: &Principal,
    id: &str,
    to: RequestState,
    reason: Option<&str>,
) -> Result<Decided, DecideError> {
    let request = get_for_office(&ctx.db, principal, id).await?;
    if request.state == to {
        return Ok(Decided {
            request,
            changed: false,
        });
    }
    if request.state != RequestState::Pending {
        return Err(DecideError::AlreadyDecided(request.state));
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let done = sqlx::query(
        "UPDATE delegation_requests SET state = $2, decided_at = $3, decided_by = $4, \
         rejection_reason = $5 WHERE id = $1 AND state = 'pending'",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(db::instant(now))
    .bind(&principal.user.id)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        // Decided by another click in between: answer with what it did.
        drop(tx);
        let request = get_for_office(&ctx.db, principal, id).await?;
        return if request.state == to {
            Ok(Decided {
                request,
                changed: false,
            })
        } else {
            Err(DecideError::AlreadyDecided(request.state))
        };
    }
    let actor = principal.actor();
    let (action, subject, body) = match to {
        RequestState::Approved => {
            let account: Option<(String, i64)> =
                sqlx::query_as("SELECT role, active FROM users WHERE id = $1")
                    .bind(&request.user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if !account.is_some_and(|(role, active)| role == Role::Company.as_str() && active != 0)
            {
                return Err(DecideError::AccountUnusable);
            }
            company_users::link(
                &mut tx,
                now,
                &request.user_id,
                &request.company_id,
                "delegation",
                CompanyScope::Send,
            )
            .await?;
            audit::record(
                &mut tx,
                now,
                &actor,
                Change::new("user.company_link", "user", Some(&request.user_id)).after(json!({
                    "company_id": request.company_id,
                    "company_tax_code": request.company_tax_code,
                    "reason": "delegation", "delegation_request_id": id,
                })),
            )
            .await?;
            (
                "delegation.approve",
                format!("Delega approvata: ora agisci per {}", request.company_name),
                format!(
                    "La Camera di Commercio ha approvato la delega firmata da {} per {} \
                     (codice fiscale {}): da ora agisci per l'impresa su Sportello.\n\n\
                     The Chamber of Commerce approved the delegation signed by {} for {}: \
                     you now act for the company on Sportello.\n",
                    crate::display::usual_case(&request.signer_name),
                    request.company_name,
                    request.company_tax_code,
                    crate::display::usual_case(&request.signer_name),
                    request.company_name,
                ),
            )
        }
        _ => (
            "delegation.reject",
            format!("Delega respinta per {}", request.company_name),
            format!(
                "La Camera di Commercio ha respinto la delega per {} (codice fiscale {}).\n\
                 Motivo: {}\n\n\
                 The Chamber of Commerce rejected the delegation for {}.\nReason: {}\n",
                request.company_name,
                request.company_tax_code,
                reason.unwrap_or_default(),
                request.company_name,
                reason.unwrap_or_default(),
            ),
        ),
    };
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new(action, "delegation_request", Some(id))
            .before(json!({ "state": "pending" }))
            .after(json!({
                "state": to.as_str(), "user_id": request.user_id,
                "company_id": request.company_id, "reason": reason,
            })),
    )
    .await?;
    notify::queue(
        &mut tx,
        now,
        OutgoingEmail {
            to: request.user_email.clone(),
            subject,
            body_text: body,
            chamber_id: request.chamber_id.clone(),
            attachments: Vec::new(),
        },
    )
    .await?;
    tx.commit().await?;
    let request = get(&ctx.db, id)
        .await?
        .ok_or(DecideError::Db(sqlx::Error::RowNotFound))?;
    Ok(Decided {
        request,
        changed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_are_labels_not_paths() {
        assert_eq!(
            file_label("../../etc/delega firmata.pdf.p7m"),
            "delegafirmata.pdf.p7m"
        );
        assert_eq!(file_label(".."), "delega");
    }
}
