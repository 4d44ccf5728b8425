//! What is checked about the signers of an uploaded model beyond the signature itself: that
//! no certificate on their paths is revoked (`revocation`), that they are among the company's
//! people ([`check_company_people`]), and what the officer is told about both on the practice
//! page.

use crate::Ctx;
use crate::chambers::settings::{self, Setting};
use crate::db;
use crate::db::Tx;
use crate::registry::TaxCode;
use crate::revocation::{self, Outcome, Sources, State};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Why the signers stop an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerRefusal {
    /// A certificate on a signer's path is revoked: its holder and the revocation instant.
    Revoked { holder: String, at: String },
    /// No responder or CRL answered and the chamber refuses in that case.
    RevocationUnavailable { holder: String },
    /// No signer is among the company's people and the chamber refuses in that case: the
    /// first signer's name and tax code (none when the certificate carries none).
    NotCompanyPerson {
        holder: String,
        tax_code: Option<String>,
    },
}

/// What a signer is to the company the model is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// A legal representative the Registry lists (column `rappresentanti` of the import).
    Representative,
    /// A user linked to the company (and active), by the tax code on their account.
    User,
    /// Neither, or the certificate carries no tax code to compare.
    None,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Representative => "representative",
            Relation::User => "user",
            Relation::None => "none",
        }
    }

    fn parse(s: &str) -> Relation {
        match s {
            "representative" => Relation::Representative,
            "user" => Relation::User,
            _ => Relation::None,
        }
    }
}

/// One signer of the model compared with the company's people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerPerson {
    pub signer_index: usize,
    pub holder: String,
    pub tax_code: Option<String>,
    pub relation: Relation,
}

/// The same person's codes compare equal: omocodia undone, case and spacing ignored.
fn person_key(code: &str) -> String {
    TaxCode::parse(code).map_or_else(
        |_| code.trim().to_ascii_uppercase(),
        |c| c.normalised_omocodia().as_str().to_string(),
    )
}

/// Compares each signer's tax code (read by firma from the certificate) with the company's
/// people: its legal representatives in the Registry and the active users linked to it. Cert'O
/// guide: the base model is signed by the company's legal representative or by a person the
/// company authorised to act for it. Where no signer is among them, the chamber's
/// [`Setting::SignerNotCompanyPerson`] says whether the upload is refused (`refuse`) or the
/// practice created and the officer told (`flag`, the default); each stranger is shown either
/// way.
pub async fn check_company_people(
    ctx: &Ctx,
    chamber_id: &str,
    company_id: &str,
    report: &firma::Report,
) -> Result<Result<Vec<SignerPerson>, SignerRefusal>, sqlx::Error> {
    // Both lists in one statement: (1, code) a representative, (0, code) a user.
    let people: Vec<(i64, String)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) AS representative, tax_code FROM company_representatives \
         WHERE company_id = $1 \
         UNION ALL SELECT CAST(0 AS BIGINT) AS representative, u.tax_code FROM users u \
         JOIN user_companies uc ON uc.user_id = u.id \
         WHERE uc.company_id = $1 AND u.active = 1 AND u.tax_code IS NOT NULL",
    )
    .bind(company_id)
    .fetch_all(ctx.db.pool())
    .await?;
    let (representatives, users): (HashSet<String>, HashSet<String>) = (
        people
            .iter()
            .filter(|(r, _)| *r == 1)
            .map(|(_, c)| person_key(c))
            .collect(),
        people
            .iter()
            .filter(|(r, _)| *r == 0)
            .map(|(_, c)| person_key(c))
            .collect(),
    );
    let people: Vec<SignerPerson> = report
        .signers
        .iter()
        .enumerate()
        .map(|(signer_index, s)| {
            let key = s.tax_code.as_deref().map(person_key);
            let relation = match &key {
                Some(k) if representatives.contains(k) => Relation::Representative,
                Some(k) if users.contains(k) => Relation::User,
                _ => Relation::None,
            };
            let holder = Some(revocation::holder_name(&s.certificate_der))
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| s.subject.clone());
            SignerPerson {
                signer_index,
                holder,
                tax_code: s.tax_code.clone(),
                relation,
            }
        })
        .collect();
    if let Some(first) = people.first()
        && people.iter().all(|p| p.relation == Relation::None)
    {
        let rule = settings::get(&ctx.db, chamber_id, Setting::SignerNotCompanyPerson).await?;
        if rule == "refuse" {
            return Ok(Err(SignerRefusal::NotCompanyPerson {
                holder: first.holder.clone(),
                tax_code: first.tax_code.clone(),
            }));
        }
    }
    Ok(Ok(people))
}

/// Keeps what each signer was to the company with the practice, in the upload's transaction.
pub async fn record_people(
    tx: &mut Tx,
    practice_id: &str,
    signed_blob: &str,
    people: &[SignerPerson],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for p in people {
        sqlx::query(
            "INSERT INTO practice_signer_people (id, practice_id, signed_blob, signer_index, \
             holder, tax_code, relation, checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(db::new_id())
        .bind(practice_id)
        .bind(signed_blob)
        .bind(i64::try_from(p.signer_index).unwrap_or(i64::MAX))
        .bind(&p.holder)
        .bind(&p.tax_code)
        .bind(p.relation.as_str())
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What each signer of the practice's signed file was to the company at upload, in signer
/// order.
pub async fn people(
    db: &db::Db,
    practice_id: &str,
    signed_blob: &str,
) -> Result<Vec<SignerPerson>, sqlx::Error> {
    let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT signer_index, holder, tax_code, relation FROM practice_signer_people \
         WHERE practice_id = $1 AND signed_blob = $2 ORDER BY signer_index",
    )
    .bind(practice_id)
    .bind(signed_blob)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(index, holder, tax_code, relation)| SignerPerson {
            signer_index: usize::try_from(index).unwrap_or_default(),
            holder,
            tax_code,
            relation: Relation::parse(&relation),
        })
        .collect())
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
