//! The signed base model of a practice, and its replacement during a rectification.
//!
//! Cert'O guide, slide 60: the office may send a practice back "per aggiungere un allegato o
//! correzioni di compilazione", and the company has the chamber's deadline (24 hours) to
//! correct it and resend. A correction of the model means a new version of the same base model,
//! downloaded, signed and uploaded again to the same practice ([`replace`]). The upload is
//! checked exactly as the first one (trust anchors, company, nothing after the envelope), must
//! be a version of the practice's own base model, and is accepted only while the practice is
//! to rectify and before its deadline. Every signed model the practice carried stays in its
//! history ([`history`]) with its file; sending marks the one sent, so the officer sees what
//! changed between the model sent before and the one resent ([`changes_since_sent`]).

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::db::{self, Db, Tx};
use crate::trade::form::FormInput;
use crate::trade::model;
use crate::trade::practice::create::{CreateError, VerifiedModel, verify_signed_model};
use crate::trade::practice::rectification::{self, FieldChange};
use crate::trade::practice::{Practice, PracticeStatus, SignatureSummary, get};
use chrono::{DateTime, Utc};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("no such practice")]
    NotFound,
    #[error("the signed model can be replaced only while the practice is to rectify")]
    NotInRectification(PracticeStatus),
    #[error("the rectification deadline has passed")]
    DeadlinePassed,
    #[error("the signed content is a version of another base model")]
    OtherModel,
    #[error("the file is the signed model the practice already carries")]
    SameModel,
    #[error("the practice changed meanwhile")]
    ChangedMeanwhile,
    /// The file failed a check of every upload (not signed, not trusted, another company…).
    #[error(transparent)]
    Upload(CreateError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<CreateError> for ReplaceError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::Db(e) => ReplaceError::Db(e),
            CreateError::Blob(e) => ReplaceError::Blob(e),
            other => ReplaceError::Upload(other),
        }
    }
}

/// One signed model a practice carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedModel {
    pub id: String,
    pub model_version: i64,
    pub model_sha256: String,
    pub signed_blob: String,
    pub signed_file_name: String,
    pub signature: SignatureSummary,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// When it was sent to the office (first send or a resend); `None` while it waits.
    pub sent_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SignedModelRow {
    id: String,
    model_version: i64,
    model_sha256: String,
    signed_blob: String,
    signed_file_name: String,
    signature_json: String,
    uploaded_by: String,
    uploaded_at: String,
    sent_at: Option<String>,
}

/// What a new row of the history holds.
pub(super) struct NewSignedModel<'a> {
    pub practice_id: &'a str,
    pub model_version: i64,
    pub model_sha256: &'a str,
    pub signed_blob: &'a str,
    pub signed_file_name: &'a str,
    pub signature: &'a SignatureSummary,
    pub uploaded_by: &'a str,
}

/// Adds a signed model to the practice's history, inside the upload's transaction.
pub(super) async fn record(
    tx: &mut Tx,
    m: &NewSignedModel<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO practice_signed_models (id, practice_id, model_version, model_sha256, signed_blob, \
         signed_file_name, signature_json, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(db::new_id())
    .bind(m.practice_id)
    .bind(m.model_version)
    .bind(m.model_sha256)
    .bind(m.signed_blob)
    .bind(m.signed_file_name)
    .bind(serde_json::to_string(m.signature).map_err(|e| sqlx::Error::Encode(e.into()))?)
    .bind(m.uploaded_by)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The invoices of the signed form, kept with the practice for the search by invoice number;
/// a replaced model replaces them.
pub(super) async fn write_invoices(
    tx: &mut Tx,
    practice_id: &str,
    form: &FormInput,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM practice_invoices WHERE practice_id = $1")
        .bind(practice_id)
        .execute(&mut **tx)
        .await?;
    insert_invoices(tx, practice_id, form).await
}

/// [`write_invoices`] for a practice that has none yet (a new one).
pub(super) async fn insert_invoices(
    tx: &mut Tx,
    practice_id: &str,
    form: &FormInput,
) -> Result<(), sqlx::Error> {
    for invoice in &form.invoices {
        if let (Ok(date), Ok(amount)) = (
            chrono::NaiveDate::parse_from_str(invoice.date.trim(), "%Y-%m-%d"),
            crate::money::Money::parse(&invoice.amount),
        ) {
            sqlx::query(
                "INSERT INTO practice_invoices (practice_id, number, invoice_date, amount_cents) VALUES ($1, $2, $3, $4)",
            )
            .bind(practice_id)
            .bind(invoice.number.trim())
            .bind(db::date(date))
            .bind(amount.cents())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Marks the practice's signed model in force as sent, inside the send's transaction.
pub(super) async fn mark_sent(
    tx: &mut Tx,
    practice: &Practice,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE practice_signed_models SET sent_at = $3 WHERE practice_id = $1 AND signed_blob = $2 \
         AND sent_at IS NULL",
    )
    .bind(&practice.id)
    .bind(&practice.signed_blob)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every signed model the practice carried, oldest first; the last is the one in force.
pub async fn history(db: &Db, practice_id: &str) -> Result<Vec<SignedModel>, sqlx::Error> {
    let rows: Vec<SignedModelRow> = sqlx::query_as(
        "SELECT id, model_version, model_sha256, signed_blob, signed_file_name, signature_json, \
         uploaded_by, uploaded_at, sent_at FROM practice_signed_models WHERE practice_id = $1 \
         ORDER BY uploaded_at, id",
    )
    .bind(practice_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(SignedModel {
                signature: serde_json::from_str(&r.signature_json)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                id: r.id,
                model_version: r.model_version,
                model_sha256: r.model_sha256,
                signed_blob: r.signed_blob,
                signed_file_name: r.signed_file_name,
                uploaded_by: r.uploaded_by,
                uploaded_at: r.uploaded_at,
                sent_at: r.sent_at,
            })
        })
        .collect()
}

/// What changed in the model between the one sent before and the one the practice carries now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelChanges {
    pub before: SignedModel,
    pub after: SignedModel,
    pub changes: Vec<FieldChange>,
}

/// The field-by-field difference between the last model sent before the one in force and the
/// one in force; `None` when the practice never carried another.
pub async fn changes_since_sent(
    db: &Db,
    practice: &Practice,
) -> Result<Option<ModelChanges>, sqlx::Error> {
    let mut all = history(db, &practice.id).await?;
    let Some(after) = all.pop() else {
        return Ok(None);
    };
    let Some(before) = all.into_iter().rev().find(|m| m.sent_at.is_some()) else {
        return Ok(None);
    };
    let form = |v: Option<model::Version>| -> Result<FormInput, sqlx::Error> {
        let v = v.ok_or_else(|| sqlx::Error::Decode("signed model version missing".into()))?;
        serde_json::from_str(&v.form_json).map_err(|e| sqlx::Error::Decode(e.into()))
    };
    let old = form(model::version(db, &practice.model_id, before.model_version).await?)?;
    let new = form(model::version(db, &practice.model_id, after.model_version).await?)?;
    Ok(Some(ModelChanges {
        changes: rectification::changes(practice.practice_type, &old, &new),
        before,
        after,
    }))
}

/// Replaces the signed model of a practice being rectified with a new signed version of the
/// same base model. The previous file stays in the history; the practice's revision is raised,
/// so a send working from the old model starts again (and its fee is worked out anew).
pub async fn replace(
    state: &Ctx,
    principal: &Principal,
    practice_id: &str,
    file_name: &str,
    signed: &[u8],
) -> Result<Practice, ReplaceError> {
    // Issue 15, items 2 and 3: preparing at the practice's own company, within a mandate in
    // force for an intermediary's user.
    let p = match crate::trade::practice::get_for_write(
        &state.db,
        principal,
        practice_id,
        crate::accounts::CompanyScope::Prepare,
        state.clock.now(),
    )
    .await
    {
        Ok(p) => p,
        Err(crate::accounts::company_access::CompanyRefusal::NotFound) => {
            return Err(ReplaceError::NotFound);
        }
        Err(e) => return Err(CreateError::from(e).into()),
    };
    if p.status != PracticeStatus::ToRectify {
        return Err(ReplaceError::NotInRectification(p.status));
    }
    let now = state.clock.now();
    if let Some(deadline) = p.rectify_deadline.as_deref()
        && now >= db::parse_instant(deadline)?
    {
        return Err(ReplaceError::DeadlinePassed);
    }
    let VerifiedModel {
        report, version, ..
    } = verify_signed_model(state, principal, &p.chamber_id, signed, now).await?;
    if version.model_id != p.model_id {
        return Err(ReplaceError::OtherModel);
    }
    if version.version == p.model_version {
        return Err(ReplaceError::SameModel);
    }
    let (people, revocation) =
        super::create::check_signers(state, &p.chamber_id, &p.company_id, &report, now).await?;
    let blob = state.blobs.put(signed).await?;
    let signature = SignatureSummary::from_report(&report, now);
    let form: FormInput =
        serde_json::from_str(&version.form_json).map_err(|e| sqlx::Error::Decode(e.into()))?;
    let consignee = Some(form.consignee.name.trim().to_string()).filter(|n| !n.is_empty());
    let safe_name = super::create::sanitise_file_name(file_name, &version.file_name);
    let signature_json =
        serde_json::to_string(&signature).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let mut tx = state.db.begin().await?;
    // Guarded on what was checked: still to rectify, still the model read above.
    let written = sqlx::query(
        "UPDATE practices SET model_version = $2, model_sha256 = $3, signed_blob = $4, \
         signed_file_name = $5, signature_json = $6, signer_tax_code = $7, consignee_name = $8, \
         updated_at = $9, revision = revision + 1 \
         WHERE id = $1 AND status = $10 AND model_version = $11 AND signed_blob = $12",
    )
    .bind(&p.id)
    .bind(version.version)
    .bind(&version.sha256)
    .bind(&blob)
    .bind(&safe_name)
    .bind(&signature_json)
    .bind(signature.signers.first().and_then(|s| s.tax_code.clone()))
    .bind(&consignee)
    .bind(db::instant(now))
    .bind(PracticeStatus::ToRectify.as_str())
    .bind(p.model_version)
    .bind(&p.signed_blob)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if written == 0 {
        tx.rollback().await?;
        return Err(match get(&state.db, &p.id).await? {
            Some(now) if now.status != PracticeStatus::ToRectify => {
                ReplaceError::NotInRectification(now.status)
            }
            Some(_) => ReplaceError::ChangedMeanwhile,
            None => ReplaceError::NotFound,
        });
    }
    write_invoices(&mut tx, &p.id, &form).await?;
    record(
        &mut tx,
        &NewSignedModel {
            practice_id: &p.id,
            model_version: version.version,
            model_sha256: &version.sha256,
            signed_blob: &blob,
            signed_file_name: &safe_name,
            signature: &signature,
            uploaded_by: &principal.user.id,
        },
        now,
    )
    .await?;
    crate::revocation::record_evidence(&mut tx, &p.id, &blob, &revocation, now).await?;
    super::signer_checks::record_people(&mut tx, &p.id, &blob, &people, now).await?;
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&p.chamber_id)),
        Change::new("practice.signed_model.replace", "practice", Some(&p.id))
            .before(json!({"model_version": p.model_version, "signed_blob": p.signed_blob}))
            .after(json!({
                "model_version": version.version, "model_sha256": version.sha256, "signed_blob": blob,
                "signers": signature.signers.iter().map(|s| s.tax_code.clone()).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    get(&state.db, &p.id).await?.ok_or(ReplaceError::NotFound)
}
