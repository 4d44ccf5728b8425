//! Is a signer's certificate revoked? Asked for each signer of an uploaded signed model and by
//! `sportello verify`, for the signer's certificate and each CA certificate above it (the
//! trust anchor itself is trusted as configured).
//!
//! For each certificate, in this order:
//! 1. OCSP, when its authorityInfoAccess names a responder: a request with a fresh nonce,
//!    POSTed by the [`Fetcher`]; the answer is judged by `firma::revocation::check_ocsp`.
//! 2. Otherwise (or when no responder gave a usable answer) a CRL of its issuer: one already
//!    stored (fetched earlier and still before its nextUpdate, or added by an administrator
//!    for offline use), else the one at its cRLDistributionPoints, fetched and stored.
//!
//! A certificate that names no responder and whose issuer has no known CRL has nothing to be
//! checked against (`no_source`); one whose sources did not answer is `unavailable`, which
//! each chamber decides to refuse or to accept with a flag for the officer
//! ([`chambers::settings::Setting::RevocationUnavailable`]). The evidence (the OCSP answer as
//! received, or the CRL's number and SHA-256) is kept with the practice
//! ([`record_evidence`]).
//!
//! The core does no network I/O itself: the shell gives a [`Fetcher`] (HTTP with reqwest);
//! [`Offline`] is the default, and what `verify --offline` uses.
//!
//! [`chambers::settings::Setting::RevocationUnavailable`]: crate::chambers::settings::Setting::RevocationUnavailable

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use firma::revocation::{self as judge, Status};
use serde_json::json;

/// Why a fetch gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Fetches OCSP answers and CRLs over the network.
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// POSTs a DER OCSP request (`application/ocsp-request`) to `url`; returns the body.
    async fn ocsp(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, FetchError>;
    /// GETs the CRL at `url`; returns the body.
    async fn crl(&self, url: &str) -> Result<Vec<u8>, FetchError>;
}

/// No network: every fetch fails, so only stored CRLs answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

#[async_trait]
impl Fetcher for Offline {
    async fn ocsp(&self, _url: &str, _request: &[u8]) -> Result<Vec<u8>, FetchError> {
        Err(FetchError("offline".into()))
    }
    async fn crl(&self, _url: &str) -> Result<Vec<u8>, FetchError> {
        Err(FetchError("offline".into()))
    }
}

/// How a certificate's status was learnt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Ocsp,
    Crl,
    None,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Ocsp => "ocsp",
            Method::Crl => "crl",
            Method::None => "none",
        }
    }
}

/// What is known of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Good,
    /// Revoked at this instant (RFC 3339 UTC).
    Revoked {
        at: String,
    },
    /// Its sources gave no usable answer (each reason in `CertCheck::detail`).
    Unavailable,
    /// No responder named and no CRL of its issuer known.
    NoSource,
}

/// One certificate of one signer's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertCheck {
    /// Index of the signer in the report.
    pub signer_index: usize,
    /// 0 for the signer's certificate, 1 for its issuing CA, and so on.
    pub position: usize,
    /// The holder's name as people read it (common name).
    pub holder: String,
    pub subject: String,
    pub serial: String,
    pub method: Method,
    pub state: State,
    /// Where the answer came from (responder or CRL URL; none for a stored CRL added by hand).
    pub source_url: Option<String>,
    /// The OCSP answer as received.
    pub ocsp_response: Option<Vec<u8>>,
    pub crl_number: Option<String>,
    pub crl_sha256: Option<String>,
    /// thisUpdate of the answer used.
    pub this_update: Option<String>,
    /// Why sources failed, for the record.
    pub detail: Option<String>,
}

/// Every certificate checked for a report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub checks: Vec<CertCheck>,
}

impl Outcome {
    /// The first revoked certificate, if any.
    pub fn revoked(&self) -> Option<&CertCheck> {
        self.checks
            .iter()
            .find(|c| matches!(c.state, State::Revoked { .. }))
    }

    /// The certificates whose status could not be learnt.
    pub fn unavailable(&self) -> impl Iterator<Item = &CertCheck> {
        self.checks.iter().filter(|c| c.state == State::Unavailable)
    }
}

/// Where to look and whether the network may be used.
pub struct Sources<'a> {
    /// Stored CRLs are read from here and fetched ones kept here; `None` without a database.
    pub db: Option<&'a Db>,
    pub fetcher: &'a dyn Fetcher,
    /// CRLs given for this check only (DER), e.g. `verify --crl`.
    pub extra_crls: &'a [Vec<u8>],
}

/// The holder's name (common name, else given name and surname, else the subject).
pub fn holder_name(cert_der: &[u8]) -> String {
    firma::holder_name(cert_der).unwrap_or_default()
}

/// Checks every certificate on every signer's path of `report` at `at`.
pub async fn check(sources: &Sources<'_>, report: &firma::Report, at: DateTime<Utc>) -> Outcome {
    let mut outcome = Outcome::default();
    for (signer_index, signer) in report.signers.iter().enumerate() {
        if signer.certificate_der.is_empty() || signer.path.is_empty() {
            continue;
        }
        check_into(
            &mut outcome,
            sources,
            signer_index,
            &signer.certificate_der,
            &signer.path,
            at,
        )
        .await;
    }
    outcome
}

/// Checks one certificate and each CA above it on `path` (nearest first, ending with the
/// anchor, which is trusted as configured) at `at`: a login certificate's path, say.
pub async fn check_path(
    sources: &Sources<'_>,
    certificate: &[u8],
    path: &[Vec<u8>],
    at: DateTime<Utc>,
) -> Outcome {
    let mut outcome = Outcome::default();
    check_into(&mut outcome, sources, 0, certificate, path, at).await;
    outcome
}

async fn check_into(
    outcome: &mut Outcome,
    sources: &Sources<'_>,
    signer_index: usize,
    certificate: &[u8],
    path: &[Vec<u8>],
    at: DateTime<Utc>,
) {
    let chain: Vec<&[u8]> = std::iter::once(certificate)
        .chain(path.iter().map(Vec::as_slice))
        .collect();
    for (position, pair) in chain.windows(2).enumerate() {
        let check = check_one(sources, pair[0], pair[1], at).await;
        outcome.checks.push(CertCheck {
            signer_index,
            position,
            ..check
        });
    }
}

async fn check_one(
    sources: &Sources<'_>,
    cert: &[u8],
    issuer: &[u8],
    at: DateTime<Utc>,
) -> CertCheck {
    let summary = firma::certificate_summary(cert);
    let mut check = CertCheck {
        signer_index: 0,
        position: 0,
        holder: holder_name(cert),
        subject: summary
            .as_ref()
            .map(|s| s.subject.clone())
            .unwrap_or_default(),
        serial: summary.map(|s| s.serial).unwrap_or_default(),
        method: Method::None,
        state: State::NoSource,
        source_url: None,
        ocsp_response: None,
        crl_number: None,
        crl_sha256: None,
        this_update: None,
        detail: None,
    };
    let when: std::time::SystemTime = at.into();
    let mut failures: Vec<String> = Vec::new();
    let ocsp_urls = judge::ocsp_urls(cert);
    for url in &ocsp_urls {
        let nonce: [u8; 16] = rand::random();
        let Some(request) = judge::ocsp_request(cert, issuer, Some(&nonce)) else {
            failures.push(format!("{url}: cannot build the request"));
            continue;
        };
        let response = match sources.fetcher.ocsp(url, &request).await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{url}: {e}"));
                continue;
            }
        };
        match judge::check_ocsp(&response, cert, issuer, when, Some(&nonce)) {
            Ok(answer) if answer.status != Status::Unknown => {
                check.method = Method::Ocsp;
                check.state = state_of(&answer.status);
                check.source_url = Some(url.clone());
                check.ocsp_response = Some(response);
                check.this_update = Some(answer.this_update);
                return finish(check, failures);
            }
            Ok(_) => failures.push(format!(
                "{url}: the responder does not know the certificate"
            )),
            Err(e) => failures.push(format!("{url}: {e}")),
        }
    }
    // A CRL already at hand: given for this check, or stored.
    let mut candidates: Vec<(Vec<u8>, Option<String>)> = sources
        .extra_crls
        .iter()
        .map(|c| (c.clone(), None))
        .collect();
    if let (Some(db), Some(key)) = (sources.db, judge::crl_issuer_key(cert)) {
        match stored_crls(db, &key).await {
            Ok(stored) => candidates.extend(stored),
            Err(e) => failures.push(format!("stored CRLs: {e}")),
        }
    }
    for (der, url) in &candidates {
        if let Ok(answer) = judge::check_crl(der, cert, issuer, when) {
            use_crl(&mut check, der, url.clone(), &answer);
            return finish(check, failures);
        }
    }
    let crl_urls = judge::crl_urls(cert);
    for url in &crl_urls {
        let der = match sources.fetcher.crl(url).await {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{url}: {e}"));
                continue;
            }
        };
        let der = firma::parse_crl(&der)
            .ok()
            .and_then(|mut v| (v.len() == 1).then(|| v.remove(0)))
            .unwrap_or(der);
        match judge::check_crl(&der, cert, issuer, when) {
            Ok(answer) => {
                if let Some(db) = sources.db
                    && let Err(e) = store_crl(db, &der, Some(url), at).await
                {
                    tracing::warn!(%url, error = %e, "cannot keep the fetched CRL");
                }
                use_crl(&mut check, &der, Some(url.clone()), &answer);
                return finish(check, failures);
            }
            Err(e) => failures.push(format!("{url}: {e}")),
        }
    }
    if !ocsp_urls.is_empty() || !crl_urls.is_empty() || !candidates.is_empty() {
        check.state = State::Unavailable;
    }
    finish(check, failures)
}

fn state_of(status: &Status) -> State {
    match status {
        Status::Revoked { at, .. } => State::Revoked { at: at.clone() },
        Status::Good | Status::Unknown => State::Good,
    }
}

fn use_crl(check: &mut CertCheck, der: &[u8], url: Option<String>, answer: &judge::Answer) {
    let info = judge::crl_info(der);
    check.method = Method::Crl;
    check.state = state_of(&answer.status);
    check.source_url = url;
    check.crl_number = info.as_ref().and_then(|i| i.number.clone());
    check.crl_sha256 = info.map(|i| i.sha256);
    check.this_update = Some(answer.this_update.clone());
}

fn finish(mut check: CertCheck, failures: Vec<String>) -> CertCheck {
    if !failures.is_empty() {
        check.detail = Some(failures.join("; "));
    }
    check
}

/// Stored CRLs of the issuer filed under `issuer_key`, newest first, with their URL.
async fn stored_crls(
    db: &Db,
    issuer_key: &str,
) -> Result<Vec<(Vec<u8>, Option<String>)>, sqlx::Error> {
    let rows: Vec<(Vec<u8>, Option<String>)> = sqlx::query_as(
        "SELECT der, url FROM revocation_lists WHERE issuer_key = $1 ORDER BY this_update DESC LIMIT 8",
    )
    .bind(issuer_key)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// Why a CRL file cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum CrlError {
    #[error("the file holds no CRL: {0}")]
    NotACrl(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A stored CRL, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCrl {
    pub id: String,
    pub issuer: String,
    pub crl_number: Option<String>,
    pub this_update: String,
    pub next_update: Option<String>,
    pub sha256: String,
    pub already_known: bool,
}

/// Keeps a DER CRL (once: by its SHA-256). Its signature is checked each time it is used,
/// against the issuer on the certificate's path, so storing it trusts nothing.
async fn store_crl(
    db: &Db,
    der: &[u8],
    url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StoredCrl, CrlError> {
    let info = judge::crl_info(der).ok_or_else(|| CrlError::NotACrl("unreadable CRL".into()))?;
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM revocation_lists WHERE sha256 = $1")
            .bind(&info.sha256)
            .fetch_optional(db.pool())
            .await?;
    let already_known = existing.is_some();
    let id = match existing {
        Some(id) => id,
        None => {
            let id = db::new_id();
            sqlx::query(
                "INSERT INTO revocation_lists (id, issuer_key, issuer, crl_number, this_update, \
                 next_update, sha256, der, source, url, added_at) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9, $10, $11) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&id)
            .bind(&info.issuer_key)
            .bind(&info.issuer)
            .bind(&info.number)
            .bind(&info.this_update)
            .bind(&info.next_update)
            .bind(&info.sha256)
            .bind(der)
            .bind(if url.is_some() { "http" } else { "manual" })
            .bind(url)
            .bind(db::instant(now))
            .execute(db.pool())
            .await?;
            id
        }
    };
    Ok(StoredCrl {
        id,
        issuer: info.issuer,
        crl_number: info.number,
        this_update: info.this_update,
        next_update: info.next_update,
        sha256: info.sha256,
        already_known,
    })
}

/// `sportello admin trust crl add FILE`: keeps every CRL of a PEM or DER file for offline use,
/// with an audit entry for each new one.
pub async fn add_crl_file(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    bytes: &[u8],
) -> Result<Vec<StoredCrl>, CrlError> {
    let crls = firma::parse_crl(bytes).map_err(|e| CrlError::NotACrl(e.to_string()))?;
    let mut out = Vec::new();
    for der in crls {
        let stored = store_crl(db, &der, None, now).await?;
        if !stored.already_known {
            let mut tx = db.begin().await?;
            audit::record(
                &mut tx,
                now,
                actor,
                Change::new("revocation_list.add", "revocation_list", Some(&stored.id)).after(
                    json!({"issuer": stored.issuer, "crl_number": stored.crl_number,
                           "this_update": stored.this_update, "next_update": stored.next_update,
                           "sha256": stored.sha256}),
                ),
            )
            .await?;
            tx.commit().await?;
        }
        out.push(stored);
    }
    Ok(out)
}

/// Keeps the evidence of `outcome` with the practice, inside its transaction.
pub async fn record_evidence(
    tx: &mut Tx,
    practice_id: &str,
    signed_blob: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(&CertCheck, &str)> = outcome
        .checks
        .iter()
        .filter_map(|c| {
            let status = match c.state {
                State::Good => "good",
                State::Unavailable => "unavailable",
                State::NoSource => "no_source",
                // A revoked signer is refused before anything is stored.
                State::Revoked { .. } => return None,
            };
            Some((c, status))
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Every check in one statement: one row of 17 values each.
    const COLUMNS: usize = 17;
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let marks: Vec<String> = (1..=COLUMNS)
                .map(|c| format!("${}", r * COLUMNS + c))
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO practice_revocation_checks (id, practice_id, signed_blob, signer_index, \
         position, holder, subject, serial, method, status, source_url, ocsp_response, \
         crl_number, crl_sha256, this_update, detail, checked_at) VALUES {}",
        values.join(", ")
    );
    let at = db::instant(now);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (c, status) in rows {
        query = query
            .bind(db::new_id())
            .bind(practice_id)
            .bind(signed_blob)
            .bind(i64::try_from(c.signer_index).unwrap_or(i64::MAX))
            .bind(i64::try_from(c.position).unwrap_or(i64::MAX))
            .bind(&c.holder)
            .bind(&c.subject)
            .bind(&c.serial)
            .bind(c.method.as_str())
            .bind(status)
            .bind(&c.source_url)
            .bind(&c.ocsp_response)
            .bind(&c.crl_number)
            .bind(&c.crl_sha256)
            .bind(&c.this_update)
            .bind(&c.detail)
            .bind(at.clone());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A kept check, as the officer reads it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Evidence {
    pub signer_index: i64,
    pub position: i64,
    pub holder: String,
    pub method: String,
    pub status: String,
    pub source_url: Option<String>,
    pub crl_number: Option<String>,
    pub this_update: Option<String>,
    pub checked_at: String,
    pub has_ocsp_response: i64,
}

/// The evidence kept for the practice's current signed file, signer by signer.
pub async fn evidence(
    db: &Db,
    practice_id: &str,
    signed_blob: &str,
) -> Result<Vec<Evidence>, sqlx::Error> {
    sqlx::query_as(
        "SELECT signer_index, position, holder, method, status, source_url, crl_number, \
         this_update, checked_at, CAST(CASE WHEN ocsp_response IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_ocsp_response \
         FROM practice_revocation_checks WHERE practice_id = $1 AND signed_blob = $2 \
         ORDER BY signer_index, position",
    )
    .bind(practice_id)
    .bind(signed_blob)
    .fetch_all(db.pool())
    .await
}
