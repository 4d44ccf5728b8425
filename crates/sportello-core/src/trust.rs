//! Trust anchors: the certification authorities whose signatures the platform accepts.
//!
//! Anchors are added by hand (`sportello admin trust add FILE.pem`) or loaded from an EU
//! trusted list (`admin trust import-tsl FILE.xml`, ETSI TS 119 612, as AgID publishes
//! TSL-IT.xml: the CA/QC services whose status is "granted", ETSI TS 119 612 trusted lists). An anchor
//! without a chamber is trusted by every chamber; one with a chamber only by that chamber.
//! Never trust a CA only because its name matches: anchors are whole certificates, matched by
//! their SHA-256.

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Anchor {
    pub id: String,
    pub chamber_id: Option<String>,
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub source: String,
    pub label: Option<String>,
    pub added_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("the file holds no certificate: {0}")]
    NotACertificate(String),
    #[error("certificate {0} is not a CA certificate (basicConstraints CA:TRUE is missing)")]
    NotACa(String),
    #[error("no trust anchor with id {0}")]
    UnknownAnchor(String),
    #[error("not an EU trusted list: {0}")]
    TrustedList(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What adding one certificate did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    New(Box<Anchor>),
    AlreadyTrusted(String),
}

/// Where an anchor comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Manual,
    TrustedList,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::TrustedList => "tsl",
        }
    }
}

/// Adds every certificate of a PEM or DER file. Only CA certificates are accepted: a trust
/// anchor that cannot issue certificates is a configuration mistake.
pub async fn add_file(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    bytes: &[u8],
    chamber_id: Option<&str>,
) -> Result<Vec<Added>, TrustError> {
    let certs =
        firma::parse_certificates(bytes).map_err(|e| TrustError::NotACertificate(e.to_string()))?;
    let mut out = Vec::new();
    for der in certs {
        out.push(add(db, now, actor, &der, Source::Manual, None, chamber_id).await?);
    }
    Ok(out)
}

/// Adds one DER certificate.
pub async fn add(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    der: &[u8],
    source: Source,
    label: Option<&str>,
    chamber_id: Option<&str>,
) -> Result<Added, TrustError> {
    let summary = firma::certificate_summary(der)
        .ok_or_else(|| TrustError::NotACertificate("unreadable certificate".into()))?;
    if !summary.is_ca {
        return Err(TrustError::NotACa(summary.subject));
    }
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM trust_anchors WHERE sha256 = $1")
            .bind(&summary.sha256_fingerprint)
            .fetch_optional(db.pool())
            .await?;
    if let Some(id) = existing {
        return Ok(Added::AlreadyTrusted(id));
    }
    let anchor = Anchor {
        id: db::new_id(),
        chamber_id: chamber_id.map(str::to_string),
        sha256: summary.sha256_fingerprint,
        subject: summary.subject,
        issuer: summary.issuer,
        serial: summary.serial,
        not_before: summary.not_before,
        not_after: summary.not_after,
        source: source.as_str().to_string(),
        label: label.map(str::to_string),
        added_at: db::instant(now),
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO trust_anchors (id, chamber_id, sha256, subject, issuer, serial, not_before, \
         not_after, is_ca, der, source, label, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12)",
    )
    .bind(&anchor.id)
    .bind(&anchor.chamber_id)
    .bind(&anchor.sha256)
    .bind(&anchor.subject)
    .bind(&anchor.issuer)
    .bind(&anchor.serial)
    .bind(&anchor.not_before)
    .bind(&anchor.not_after)
    .bind(der)
    .bind(&anchor.source)
    .bind(&anchor.label)
    .bind(&anchor.added_at)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(chamber_id),
        Change::new("trust_anchor.add", "trust_anchor", Some(&anchor.id)).after(json!({
            "subject": anchor.subject, "sha256": anchor.sha256, "source": anchor.source,
            "label": anchor.label, "chamber_id": anchor.chamber_id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Added::New(Box::new(anchor)))
}

/// Loads the CA certificates of the granted qualified services of an EU trusted list.
/// Returns (added, already trusted).
pub async fn import_trusted_list(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    xml: &[u8],
) -> Result<(usize, usize), TrustError> {
    let services =
        firma::tsl::parse_trusted_list(xml).map_err(|e| TrustError::TrustedList(e.to_string()))?;
    let (mut added, mut known) = (0, 0);
    for service in services {
        let label = format!("{} — {}", service.tsp_name, service.service_name);
        for der in &service.certificates {
            match add(db, now, actor, der, Source::TrustedList, Some(&label), None).await {
                Ok(Added::New(_)) => added += 1,
                Ok(Added::AlreadyTrusted(_)) => known += 1,
                // A service certificate that is not a CA (rare in CA/QC entries) is skipped.
                Err(TrustError::NotACa(subject)) => {
                    tracing::warn!(%subject, "trusted-list certificate is not a CA; skipped");
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok((added, known))
}

pub async fn list(db: &Db) -> Result<Vec<Anchor>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, chamber_id, sha256, subject, issuer, serial, not_before, not_after, source, \
         label, added_at FROM trust_anchors ORDER BY subject",
    )
    .fetch_all(db.pool())
    .await
}

pub async fn remove(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: &str,
) -> Result<(), TrustError> {
    let mut tx = db.begin().await?;
    let subject: Option<String> =
        sqlx::query_scalar("SELECT subject FROM trust_anchors WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(subject) = subject else {
        return Err(TrustError::UnknownAnchor(id.to_string()));
    };
    sqlx::query("DELETE FROM trust_anchors WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("trust_anchor.remove", "trust_anchor", Some(id))
            .before(json!({"subject": subject})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The DER certificates a chamber trusts (platform-wide anchors plus its own); `None` for
/// the platform-wide ones only.
pub async fn anchors_for(db: &Db, chamber_id: Option<&str>) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT der FROM trust_anchors WHERE chamber_id IS NULL OR chamber_id = $1 ORDER BY sha256",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await
}

/// Every stored anchor (the command line verifies for any chamber).
pub async fn all_anchors(db: &Db) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT der FROM trust_anchors ORDER BY sha256")
        .fetch_all(db.pool())
        .await
}
