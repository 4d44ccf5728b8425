//! The Manager's signing queue (RA procedure, part 1): the mandate letter is "firmata
//! digitalmente dal Dirigente", and so is the revocation notice of an ODR or IR. The office
//! (the Master RAO with full operativity) prepares the unsigned PDF; the Manager downloads it,
//! signs it with their own device and sends it back as a signed PDF (PAdES) or `.p7m`. It is
//! accepted only when `firma` verifies it, the signer's tax code is the Manager's own (from
//! their profile), the document signed is the one prepared and the signer's certificate is not
//! revoked ([`manager_signature::check`]). A signed letter is kept in the restricted archive
//! and lets the mandate go out; a signed notice revokes the ODR or IR, effective the day it is
//! accepted — the only way they are revoked.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::authz::{self, AccessError, Action, chamber_of};
use crate::blobs::BlobError;
use crate::db::{self, Db};
use crate::ra::access::visible_operator;
use crate::ra::accreditation::State;
use crate::ra::archive::{self, DocumentKind, Upload};
use crate::ra::manager_signature::{self, ManagerSignatureError};
use crate::ra::operator::{Operator, OperatorKind};
use crate::ra::required_documents::{self, SignedBy};
use crate::ra::revocation::{self, RevocationError, RevocationRequest};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// What the Manager is asked to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// RA procedure, part 1: the mandate letter.
    MandateLetter,
    /// RA procedure, part 1: the revocation notice of an ODR or IR.
    RevocationNotice,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::MandateLetter => "mandate_letter",
            RequestKind::RevocationNotice => "revocation_notice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RequestKind::MandateLetter, RequestKind::RevocationNotice]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The archive's kind of the signed document.
    pub fn document_kind(self) -> DocumentKind {
        match self {
            RequestKind::MandateLetter => DocumentKind::MandateLetter,
            RequestKind::RevocationNotice => DocumentKind::RevocationNotice,
        }
    }
}

impl SignatureRequest {
    /// The operator's name as people read it ([`crate::ra::operator::display_name`]).
    pub fn operator_display_name(&self) -> String {
        let personal =
            crate::registry::TaxCode::parse(&self.operator_tax_code).is_ok_and(|t| t.is_personal());
        crate::ra::operator::display_name(&self.operator_name, personal)
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Waiting,
    Signed,
    Withdrawn,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Waiting => "waiting",
            RequestState::Signed => "signed",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            RequestState::Waiting,
            RequestState::Signed,
            RequestState::Withdrawn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One document in (or through) the Manager's queue, with its operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureRequest {
    pub id: String,
    pub operator_id: String,
    pub operator_name: String,
    pub operator_kind: OperatorKind,
    pub operator_tax_code: String,
    pub kind: RequestKind,
    pub state: RequestState,
    pub filename: String,
    pub size_bytes: i64,
    /// For a revocation: the reason written by the office.
    pub reason: Option<String>,
    /// Who prepared it: their name from the user's profile (their e-mail when the account is
    /// gone).
    pub prepared_by: String,
    pub prepared_at: DateTime<Utc>,
    pub signed_by: Option<String>,
    pub signer_tax_code: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    blob: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    operator_id: String,
    operator_name: String,
    operator_kind: String,
    operator_tax_code: String,
    kind: String,
    state: String,
    filename: String,
    size_bytes: i64,
    reason: Option<String>,
    prepared_by: String,
    prepared_at: String,
    signed_by: Option<String>,
    signer_tax_code: Option<String>,
    signed_at: Option<String>,
    blob: String,
}

fn bad(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored {what} '{value}' is not valid").into())
}

impl TryFrom<Row> for SignatureRequest {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        Ok(SignatureRequest {
            operator_kind: OperatorKind::parse(&r.operator_kind)
                .ok_or_else(|| bad("kind", &r.operator_kind))?,
            kind: RequestKind::parse(&r.kind).ok_or_else(|| bad("request kind", &r.kind))?,
            state: RequestState::parse(&r.state).ok_or_else(|| bad("state", &r.state))?,
            prepared_at: db::parse_instant(&r.prepared_at)?,
            signed_at: r.signed_at.as_deref().map(db::parse_instant).transpose()?,
            id: r.id,
            operator_id: r.operator_id,
            operator_name: r.operator_name,
            operator_tax_code: r.operator_tax_code,
            filename: r.filename,
            size_bytes: r.size_bytes,
            reason: r.reason,
            prepared_by: r.prepared_by,
            signed_by: r.signed_by,
            signer_tax_code: r.signer_tax_code,
            blob: r.blob,
        })
    }
}

macro_rules! select_requests {
    ($rest:literal) => {
        concat!(
            "SELECT r.id, r.operator_id, o.name AS operator_name, o.kind AS operator_kind, ",
            "o.tax_code AS operator_tax_code, r.kind, r.state, r.filename, r.size_bytes, ",
            "r.reason, COALESCE(u.name, r.prepared_by) AS prepared_by, r.prepared_at, ",
            "r.signed_by, r.signer_tax_code, r.signed_at, r.blob FROM ra_signature_requests r ",
            "JOIN ra_operators o ON o.id = r.operator_id ",
            "LEFT JOIN users u ON u.id = r.prepared_by_id ",
            $rest
        )
    };
}

fn decode(rows: Vec<Row>) -> Result<Vec<SignatureRequest>, sqlx::Error> {
    rows.into_iter().map(SignatureRequest::try_from).collect()
}

/// Every request about an operator, oldest first (the required documents read it).
pub async fn of_operator(db: &Db, operator_id: &str) -> Result<Vec<SignatureRequest>, sqlx::Error> {
    decode(
        sqlx::query_as::<_, Row>(select_requests!(
            "WHERE r.operator_id = $1 ORDER BY r.prepared_at, r.id"
        ))
        .bind(operator_id)
        .fetch_all(db.pool())
        .await?,
    )
}

/// How many requests a page of the Manager's queue holds.
pub const QUEUE_PAGE: u32 = 50;

impl crate::paging::Keyed for Row {
    fn key(&self) -> crate::paging::Key {
        crate::paging::Key::new(self.prepared_at.clone(), self.id.clone())
    }
}

/// The statement of [`queue`]: `$1` the chamber, then the range's key and limit; one range
/// of `ra_signature_requests_queue` (chamber, state, prepared at, id), each request's
/// operator and preparer then read by their keys.
fn queue_sql(prefix: &str, range: &crate::paging::Range) -> String {
    let (condition, order) = range.sql("r.prepared_at", "r.id", 2);
    format!(
        "{prefix}{}{condition}{order}",
        select_requests!("WHERE r.chamber_id = $1 AND r.state = 'waiting'")
    )
}

/// The Manager's queue: what waits for their signature in their chamber, oldest first, a
/// page read by keyset (issue 14: the queue read every waiting request of the chamber). A
/// cursor naming another chamber's request only says where to start: the rows are the
/// caller's chamber's own.
pub async fn queue(
    db: &Db,
    p: &Principal,
    request: &crate::paging::Keyset,
) -> Result<crate::paging::Slice<SignatureRequest>, AccessError> {
    let chamber_id = chamber_of(p)?;
    if !authz::allows(p.role(), Action::SignMandate) {
        return Err(AccessError::Forbidden);
    }
    Ok(crate::paging::keyset(
        request,
        crate::paging::Order::Ascending,
        1,
        |_, range| async move {
            let sql = queue_sql("", &range);
            range
                .bind(sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(chamber_id))
                .fetch_all(db.pool())
                .await
        },
    )
    .await?
    .try_map(SignatureRequest::try_from)?)
}

/// The engine's plan of the statement [`queue`] runs after `from` (the first page without).
pub async fn queue_plan(
    db: &Db,
    chamber_id: &str,
    from: Option<&crate::paging::Key>,
) -> Result<Vec<String>, sqlx::Error> {
    crate::paging::range_plan(
        db,
        queue_sql,
        chamber_id,
        crate::paging::Order::Ascending,
        QUEUE_PAGE,
        from,
    )
    .await
}

/// The request `id` of the caller's chamber; another chamber's looks like none.
pub async fn visible(db: &Db, p: &Principal, id: &str) -> Result<SignatureRequest, AccessError> {
    let chamber_id = chamber_of(p)?;
    sqlx::query_as::<_, Row>(select_requests!("WHERE r.chamber_id = $1 AND r.id = $2"))
        .bind(chamber_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(SignatureRequest::try_from)
        .transpose()?
        .ok_or(AccessError::NotFound)
}

/// The unsigned document, for the Manager to sign.
pub async fn unsigned(
    ctx: &Ctx,
    p: &Principal,
    id: &str,
) -> Result<(SignatureRequest, Vec<u8>), ManagerError> {
    if !authz::allows(p.role(), Action::SignMandate) {
        return Err(AccessError::Forbidden.into());
    }
    let r = visible(&ctx.db, p, id).await?;
    let bytes = ctx.blobs.get(&r.blob).await?;
    Ok((r, bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("attach the document as a PDF")]
    NotPdf,
    #[error("a revocation needs its reason")]
    Reason,
    #[error("this operator's mandate needs no letter from the Manager now")]
    NoLetterNeeded,
    #[error("only an ODR or IR in office is revoked through the Manager's notice")]
    NotRevocable,
    #[error("a document of this kind already waits for the Manager")]
    AlreadyWaiting,
    #[error("the request was already dealt with")]
    NotWaiting,
    #[error("the Manager's profile has no tax code")]
    NoManagerTaxCode,
    #[error(transparent)]
    Signature(#[from] ManagerSignatureError),
    #[error(transparent)]
    Revocation(#[from] Box<RevocationError>),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// RA procedure, part 1: the office prepares a document for the Manager to sign — the letter
/// of a mandate that needs one and has not gone out yet, or the revocation notice of an ODR or
/// IR (RAOs are revoked from the day the requirements were lost, by the office). `reason` is
/// the revocation's.
pub async fn prepare(
    ctx: &Ctx,
    p: &Principal,
    operator_id: &str,
    kind: RequestKind,
    reason: Option<&str>,
    filename: &str,
    bytes: &[u8],
) -> Result<SignatureRequest, ManagerError> {
    if !authz::allows(p.role(), Action::ManageOperators) {
        return Err(AccessError::Forbidden.into());
    }
    let op = visible_operator(&ctx.db, p, operator_id).await?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match kind {
        RequestKind::MandateLetter => {
            let needs_letter = required_documents::required_for(&op)
                .iter()
                .any(|r| r.signed_by == SignedBy::Manager);
            if !needs_letter || !matches!(op.state, State::New | State::Interest) {
                return Err(ManagerError::NoLetterNeeded);
            }
        }
        RequestKind::RevocationNotice => {
            if op.kind == OperatorKind::Rao || matches!(op.state, State::Revoked) {
                return Err(ManagerError::NotRevocable);
            }
            if reason.is_none() {
                return Err(ManagerError::Reason);
            }
        }
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(ManagerError::NotPdf);
    }
    let blob = ctx.blobs.put(bytes).await?;
    let now = ctx.clock.now();
    let actor = p.actor();
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO ra_signature_requests (id, chamber_id, operator_id, kind, state, filename, \
         blob, size_bytes, reason, prepared_by_id, prepared_by, prepared_at) \
         VALUES ($1, $2, $3, $4, 'waiting', $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(&op.chamber_id)
    .bind(&op.id)
    .bind(kind.as_str())
    .bind(archive::safe_filename(filename))
    .bind(&blob)
    .bind(bytes.len() as i64)
    .bind(reason.filter(|_| kind == RequestKind::RevocationNotice))
    .bind(&actor.user_id)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => ManagerError::AlreadyWaiting,
        None => e.into(),
    })?;
    audit::record(
        &mut tx,
        now,
        &actor.in_chamber(Some(&op.chamber_id)),
        Change::new("ra.manager.prepare", "ra_operator", Some(&op.id))
            .after(json!({"request_id": id, "kind": kind.as_str(), "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(visible(&ctx.db, p, &id).await?)
}

/// The Manager's own tax code, from their profile.
pub async fn manager_tax_code(db: &Db, p: &Principal) -> Result<Option<String>, sqlx::Error> {
    let code: Option<Option<String>> =
        sqlx::query_scalar("SELECT tax_code FROM users WHERE id = $1")
            .bind(&p.user.id)
            .fetch_optional(db.pool())
            .await?;
    Ok(code.flatten().filter(|c| !c.trim().is_empty()))
}

/// What the Manager's signature did.
#[derive(Clone, Debug, Serialize)]
pub struct Signed {
    pub request: SignatureRequest,
    /// For a revocation notice: what the revocation did.
    pub revocation: Option<revocation::RevocationOutcome>,
}

/// RA procedure, part 1: the Manager sends back the signed document. Refused, with nothing
/// kept, when it is not signed, when the signature does not verify (altered, untrusted), when
/// the signer is not the Manager (by tax code, from the Manager's profile), when what he signed
/// is not the document the office prepared, or when the signer's certificate is revoked.
pub async fn sign(
    ctx: &Ctx,
    p: &Principal,
    id: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Signed, ManagerError> {
    if !authz::allows(p.role(), Action::SignMandate) {
        return Err(AccessError::Forbidden.into());
    }
    let request = visible(&ctx.db, p, id).await?;
    if request.state != RequestState::Waiting {
        return Err(ManagerError::NotWaiting);
    }
    let own = manager_tax_code(&ctx.db, p)
        .await?
        .ok_or(ManagerError::NoManagerTaxCode)?;
    let chamber_id = chamber_of(p)?.to_string();
    let upload = Upload {
        kind: request.kind.document_kind(),
        filename: archive::safe_filename(filename),
        bytes,
    };
    let prepared = ctx.blobs.get(&request.blob).await?;
    let signature =
        manager_signature::check(ctx, &chamber_id, &upload, &[own], Some(&prepared)).await?;
    let actor = p.actor().in_chamber(Some(&chamber_id));
    let now = ctx.clock.now();
    let mut outcome = None;
    match request.kind {
        RequestKind::MandateLetter => {
            let blob = ctx.blobs.put(&upload.bytes).await?;
            let mut tx = ctx.db.begin().await?;
            let doc = archive::store(
                &mut tx,
                now,
                &request.operator_id,
                None,
                &upload,
                &blob,
                Some(&signature),
            )
            .await?;
            mark_signed(
                &mut tx,
                now,
                &request,
                p,
                &signature.signer_tax_code,
                Some(&doc),
            )
            .await?;
            audit::record(
                &mut tx,
                now,
                &actor,
                Change::new("ra.manager.sign", "ra_operator", Some(&request.operator_id)).after(
                    json!({"request_id": request.id, "kind": request.kind.as_str(),
                           "document_id": doc, "signer_tax_code": signature.signer_tax_code}),
                ),
            )
            .await?;
            tx.commit().await?;
        }
        RequestKind::RevocationNotice => {
            let op: Operator = crate::ra::operator::get(&ctx.db, &request.operator_id)
                .await?
                .ok_or(AccessError::NotFound)?;
            // RA procedure, part 1: an ODR's or IR's revocation takes effect when the signed
            // notice reaches them: it leaves today.
            let done = revocation::revoke_by_signed_notice(
                ctx,
                &actor,
                &op,
                RevocationRequest {
                    effective: None,
                    notice_received_on: Some(ctx.clock.today()),
                    reason: request.reason.clone().unwrap_or_default(),
                    notice: Some(upload),
                },
                &signature,
            )
            .await
            .map_err(Box::new)?;
            let mut tx = ctx.db.begin().await?;
            mark_signed(&mut tx, now, &request, p, &signature.signer_tax_code, None).await?;
            audit::record(
                &mut tx,
                now,
                &actor,
                Change::new("ra.manager.sign", "ra_operator", Some(&request.operator_id)).after(
                    json!({"request_id": request.id, "kind": request.kind.as_str(),
                           "signer_tax_code": signature.signer_tax_code}),
                ),
            )
            .await?;
            tx.commit().await?;
            outcome = Some(done);
        }
    }
    Ok(Signed {
        request: visible(&ctx.db, p, id).await?,
        revocation: outcome,
    })
}

async fn mark_signed(
    tx: &mut db::Tx,
    now: DateTime<Utc>,
    request: &SignatureRequest,
    p: &Principal,
    signer_tax_code: &str,
    document_id: Option<&str>,
) -> Result<(), ManagerError> {
    let actor = p.actor();
    let done = sqlx::query(
        "UPDATE ra_signature_requests SET state = 'signed', signed_document_id = $2, \
         signed_by_id = $3, signed_by = $4, signer_tax_code = $5, signed_at = $6 \
         WHERE id = $1 AND state = 'waiting'",
    )
    .bind(&request.id)
    .bind(document_id)
    .bind(&actor.user_id)
    .bind(&actor.label)
    .bind(signer_tax_code)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ManagerError::NotWaiting);
    }
    Ok(())
}
