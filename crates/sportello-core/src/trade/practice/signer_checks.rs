//! What is checked about the signers of an uploaded model beyond the signature itself: that
//! no certificate on their paths is revoked (`revocation`), and what the officer is told
//! about it on the practice page.

use crate::Ctx;
use crate::chambers::settings::{self, Setting};
use crate::db;
use crate::revocation::{self, Outcome, Sources, State};
use chrono::{DateTime, Utc};

/// Why the signers stop an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerRefusal {
    /// A certificate on a signer's path is revoked: its holder and the revocation instant.
    Revoked { holder: String, at: String },
    /// No responder or CRL answered and the chamber refuses in that case.
    RevocationUnavailable { holder: String },
}

/// Checks revocation for every signer of `report` and applies the chamber's rule on
/// unreachable sources ([`Setting::RevocationUnavailable`]). A revoked certificate is always
/// refused (Cert'O guide: the model must carry a valid qualified signature).
pub async fn check_revocation(
    ctx: &Ctx,
    chamber_id: &str,
    report: &firma::Report,
    now: DateTime<Utc>,
) -> Result<Result<Outcome, SignerRefusal>, sqlx::Error> {
    let sources = Sources {
        db: Some(&ctx.db),
        fetcher: ctx.revocation.as_ref(),
        extra_crls: &[],
    };
    let outcome = revocation::check(&sources, report, now).await;
    if let Some(revoked) = outcome.revoked() {
        let at = match &revoked.state {
            State::Revoked { at } => at.clone(),
            _ => String::new(),
        };
        return Ok(Err(SignerRefusal::Revoked {
            holder: signer_holder(&outcome, revoked),
            at,
        }));
    }
    if let Some(missing) = outcome.unavailable().next() {
        let rule = settings::get(&ctx.db, chamber_id, Setting::RevocationUnavailable).await?;
        if rule == "refuse" {
            return Ok(Err(SignerRefusal::RevocationUnavailable {
                holder: signer_holder(&outcome, missing),
            }));
        }
    }
    Ok(Ok(outcome))
}

/// The name of the signer whose path holds `check` (the signer, even when the certificate in
/// question is a CA's).
fn signer_holder(outcome: &Outcome, check: &revocation::CertCheck) -> String {
    outcome
        .checks
        .iter()
        .find(|c| c.signer_index == check.signer_index && c.position == 0)
        .map_or_else(|| check.holder.clone(), |c| c.holder.clone())
}

/// One line for the officer about a signer's certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Not revoked, learnt by `method` (`ocsp` or `crl`) from an answer dated `this_update`.
    NotRevoked {
        holder: String,
        method: String,
        this_update: Option<DateTime<Utc>>,
        crl_number: Option<String>,
    },
    /// The revocation of the certificate of `holder` (or of the CA `ca` on their path) could
    /// not be checked at upload: flagged.
    Unverified {
        holder: String,
        ca: Option<String>,
        checked_at: DateTime<Utc>,
    },
    /// The certificate names no way to check its revocation.
    NoSource { holder: String },
}

impl Note {
    /// Needs the officer's attention.
    pub fn is_flag(&self) -> bool {
        matches!(self, Note::Unverified { .. })
    }
}

/// What the officer is told about the revocation checks of the practice's signed file.
pub async fn notes(
    db: &db::Db,
    practice_id: &str,
    signed_blob: &str,
) -> Result<Vec<Note>, sqlx::Error> {
    let rows = revocation::evidence(db, practice_id, signed_blob).await?;
    let holder_of = |signer: i64| {
        rows.iter()
            .find(|r| r.signer_index == signer && r.position == 0)
            .map(|r| r.holder.clone())
            .unwrap_or_default()
    };
    let instant = |s: &Option<String>| s.as_deref().and_then(|t| db::parse_instant(t).ok());
    let mut out = Vec::new();
    for r in &rows {
        let note = match (r.status.as_str(), r.position) {
            ("unavailable", position) => Note::Unverified {
                holder: holder_of(r.signer_index),
                ca: (position > 0).then(|| r.holder.clone()),
                checked_at: db::parse_instant(&r.checked_at)?,
            },
            ("good", 0) => Note::NotRevoked {
                holder: r.holder.clone(),
                method: r.method.clone(),
                this_update: instant(&r.this_update).or_else(|| {
                    chrono::DateTime::parse_from_rfc3339(r.this_update.as_deref()?)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                }),
                crl_number: r.crl_number.clone(),
            },
            ("no_source", 0) => Note::NoSource {
                holder: r.holder.clone(),
            },
            _ => continue,
        };
        out.push(note);
    }
    Ok(out)
}
