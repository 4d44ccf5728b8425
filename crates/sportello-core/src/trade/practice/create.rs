//! A practice starts from the upload of the signed base model (Cert'O guide, slide 39: "Allegare
//! modello base firmato .p7m").
//!
//! The file must be a valid CAdES signature, trusted by the destination chamber, and its
//! signed content must be byte-identical to a base model version created here for one of
//! the user's companies — recognised by the SHA-256 of that content, so renaming the file
//! does not matter. Each way it can be wrong has its own error, said in plain words. Then the
//! signers are compared with the company's people (`signer_checks::check_company_people`:
//! its legal representatives and users), a stranger flagged or refused as the chamber says.
//! Last, no certificate on a signer's path may be revoked (`signer_checks::check_revocation`,
//! OCSP or CRL). What both found is kept with the practice in the same transaction.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::chambers;
use crate::db;
use crate::trade::model;
use crate::trade::practice::destination;
use crate::trade::practice::details::{self, Details, DetailsError};
use crate::trade::practice::signer_checks::{self, SignerPerson, SignerRefusal};
use crate::trade::practice::{
    Practice, PracticeRow, PracticeStatus, SignatureSummary, practice_columns, record_event,
};
use serde_json::json;

/// Largest signed model accepted.
pub const MAX_SIGNED_MODEL_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the file is empty or missing")]
    NoFile,
    #[error("the file is larger than allowed")]
    TooLarge,
    #[error("the file is not a digitally signed file")]
    NotSigned,
    #[error("the base model must be signed as CAdES (.p7m), not as a signed PDF")]
    NotCades,
    #[error("the signature is not valid")]
    SignatureInvalid(Box<firma::Report>),
    #[error("the signed content is not a base model created here")]
    ModelMismatch,
    #[error("the base model belongs to a company you do not act for")]
    ModelOfAnotherCompany,
    #[error("unknown desk")]
    UnknownDesk,
    /// The user's scope at the practice's company, or an intermediary's mandate, does not
    /// allow it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(#[from] crate::accounts::company_access::CompanyRefusal),
    /// The destination desk rule: the company has no site in the chamber's provinces.
    #[error("{chamber} does not accept practices from this company")]
    DeskOfAnotherChamber { chamber: String },
    #[error("the certificate of {holder} was revoked on {at}")]
    SignerRevoked { holder: String, at: String },
    #[error("the revocation of {holder}'s certificate cannot be checked now")]
    RevocationUnavailable { holder: String },
    #[error("the signer {holder} is neither a legal representative nor a user of the company")]
    SignerNotCompanyPerson {
        holder: String,
        tax_code: Option<String>,
    },
    #[error(transparent)]
    Details(#[from] DetailsError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a practice (to send) from a signed model uploaded for `desk_code`.
pub async fn create(
    state: &Ctx,
    principal: &Principal,
    desk_code: &str,
    file_name: &str,
    signed: &[u8],
    details: &Details,
) -> Result<Practice, CreateError> {
    if signed.is_empty() {
        return Err(CreateError::NoFile);
    }
    if signed.len() > MAX_SIGNED_MODEL_BYTES {
        return Err(CreateError::TooLarge);
    }
    let desk = chambers::find_desk_by_code(&state.db, desk_code)
        .await?
        .ok_or(CreateError::UnknownDesk)?;
    let mut checked = details::validate(details)?;
    let now = state.clock.now();
    let VerifiedModel {
        report,
        version,
        base,
    } = verify_signed_model(state, principal, &desk.chamber_id, signed, now).await?;
    let admission = destination::admission(&state.db, &desk.chamber_id, &base.company_id).await?;
    if !admission.admits {
        let chamber = chambers::get_chamber(&state.db, &desk.chamber_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        return Err(CreateError::DeskOfAnotherChamber { chamber });
    }
    details::check_print_mode(
        &state.db,
        &desk.chamber_id,
        &base.company_id,
        false,
        details,
        &mut checked,
    )
    .await?;
    let details = checked;
    let (people, revocation) =
        check_signers(state, &desk.chamber_id, &base.company_id, &report, now).await?;
    // Stored exactly as verified: bytes after the envelope (or inside its wrapping, or after
    // an inner envelope) made the report not valid above (`trailing_data`), so the file the
    // officers open as "the signed file" is what was signed and nothing more.
    let blob = state.blobs.put(signed).await?;
    let signature = SignatureSummary::from_report(&report, now);
    let form: crate::trade::FormInput =
        serde_json::from_str(&version.form_json).map_err(|e| sqlx::Error::Decode(e.into()))?;
    let consignee = Some(form.consignee.name.trim().to_string()).filter(|n| !n.is_empty());
    let id = db::new_id();
    let safe_name = sanitise_file_name(file_name, &version.file_name);
    let mut tx = state.db.begin().await?;
    // The row comes back as stored (what `get` would read after the commit).
    let row: PracticeRow = sqlx::query_as(concat!(
        "INSERT INTO practices (id, chamber_id, desk_id, company_id, site_id, model_id, model_version, \
         model_sha256, practice_type, status, consignee_name, annotations, proforma, goods_location, \
         print_mode, form_serial, copies, signed_blob, signed_file_name, signature_json, signer_tax_code, \
         created_by, created_at, updated_at, replaces_number, duplicate, intermediary_id) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23, $24, $25, $26) \
         RETURNING ",
        practice_columns!()
    ))
    .bind(&id)
    .bind(&desk.chamber_id)
    .bind(&desk.id)
    .bind(&base.company_id)
    .bind(&base.site_id)
    .bind(&base.id)
    .bind(version.version)
    .bind(&version.sha256)
    .bind(base.practice_type.as_str())
    .bind(PracticeStatus::Draft.as_str())
    .bind(&consignee)
    .bind(&details.annotations)
    .bind(details.proforma.map(i64::from))
    .bind(&details.goods_location)
    .bind(details.print_mode.as_str())
    .bind(&details.form_serial)
    .bind(details.copies)
    .bind(&blob)
    .bind(&safe_name)
    .bind(serde_json::to_string(&signature).map_err(|e| sqlx::Error::Encode(e.into()))?)
    .bind(signature.signers.first().and_then(|s| s.tax_code.clone()))
    .bind(&principal.user.id)
    .bind(db::instant(now))
    .bind(&details.replaces)
    .bind(i64::from(details.duplicate))
    .bind(principal.intermediary_id())
    .fetch_one(&mut *tx)
    .await?;
    // The company now deals with this chamber: its administrator manages the company's users
    // (`accounts::offboarding::manages`), listed from `chamber_company_users` a page at a
    // time. Written with the company's first practice for the chamber only (two first uploads
    // at once both try; the conflict clause keeps one, and only that one adds the users).
    if !admission.linked {
        let first_with_chamber = sqlx::query(
            "INSERT INTO chamber_companies (chamber_id, company_id) VALUES ($1, $2) \
             ON CONFLICT (chamber_id, company_id) DO NOTHING",
        )
        .bind(&desk.chamber_id)
        .bind(&base.company_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if first_with_chamber {
            crate::accounts::managed_users::company_joined(
                &mut tx,
                &desk.chamber_id,
                &base.company_id,
            )
            .await?;
        }
    }
    super::signed_model::insert_invoices(&mut tx, &id, &form).await?;
    super::signed_model::record(
        &mut tx,
        &super::signed_model::NewSignedModel {
            practice_id: &id,
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
    crate::revocation::record_evidence(&mut tx, &id, &blob, &revocation, now).await?;
    signer_checks::record_people(&mut tx, &id, &blob, &people, now).await?;
    let actor = principal.actor().in_chamber(Some(&desk.chamber_id));
    record_event(&mut tx, now, &id, &actor, None, PracticeStatus::Draft, None).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("practice.create", "practice", Some(&id)).after(json!({
            "desk": desk.code.as_str(), "model_id": base.id, "model_version": version.version,
            "model_sha256": version.sha256, "signed_blob": blob,
            "signers": signature.signers.iter().map(|s| s.tax_code.clone()).collect::<Vec<_>>(),
            "signers_to_company": people.iter().map(|p| p.relation.as_str()).collect::<Vec<_>>(),
            "revocation": revocation.checks.iter().map(|c| json!({
                "signer": c.signer_index, "position": c.position, "serial": c.serial,
                "method": c.method.as_str(), "unavailable": c.state == crate::revocation::State::Unavailable,
            })).collect::<Vec<_>>(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Practice::try_from(row)?)
}

/// A signed model that passed every check of an upload.
pub(super) struct VerifiedModel {
    pub report: firma::Report,
    /// The frozen version whose XML is the signed content.
    pub version: model::Version,
    /// Its base model, of one of the principal's companies.
    pub base: model::Model,
}

/// The checks of every upload of a signed model, first or after a rectification: a CAdES
/// signature valid now against the chamber's trust anchors, with nothing after the envelope,
/// whose content is byte for byte a version frozen here of a model of one of the principal's
/// companies.
pub(super) async fn verify_signed_model(
    state: &Ctx,
    principal: &Principal,
    chamber_id: &str,
    signed: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<VerifiedModel, CreateError> {
    if signed.is_empty() {
        return Err(CreateError::NoFile);
    }
    if signed.len() > MAX_SIGNED_MODEL_BYTES {
        return Err(CreateError::TooLarge);
    }
    let anchors = crate::trust::anchors_for(&state.db, Some(chamber_id)).await?;
    let report = firma::verify(
        signed,
        &firma::VerifyOptions {
            trust_anchors: anchors,
            intermediates: Vec::new(),
            crls: Vec::new(),
            at: now.into(),
        },
    )
    .map_err(|_| CreateError::NotSigned)?;
    if report.format != firma::Format::Cades {
        return Err(CreateError::NotCades);
    }
    if !report.valid {
        return Err(CreateError::SignatureInvalid(Box::new(report)));
    }
    let (version, base) = model::version_by_hash_with_model(&state.db, &report.content_sha256)
        .await?
        .ok_or(CreateError::ModelMismatch)?;
    // Issue 15, items 2 and 3: presenting a practice needs preparing at the model's own
    // company and, for an intermediary's user, a mandate in force covering its type and the
    // destination chamber. A model of a company the user has nothing to do with is named so.
    let target = crate::accounts::company_access::Target {
        company_id: &base.company_id,
        practice_type: Some(base.practice_type),
        chamber_id: Some(chamber_id),
    };
    match crate::accounts::company_access::require(
        &state.db,
        principal,
        crate::accounts::CompanyScope::Prepare,
        target,
        now,
    )
    .await
    {
        Ok(()) => {}
        Err(crate::accounts::company_access::CompanyRefusal::NotFound) => {
            return Err(CreateError::ModelOfAnotherCompany);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(VerifiedModel {
        report,
        version,
        base,
    })
}

/// Who signed, against the company's people, then whether any certificate on a signer's
/// path is revoked: asked last, since it may go to the network, so only for a file that passed
/// everything else. Both the first upload and a re-signed model go through it.
pub(super) async fn check_signers(
    state: &Ctx,
    chamber_id: &str,
    company_id: &str,
    report: &firma::Report,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<SignerPerson>, crate::revocation::Outcome), CreateError> {
    let people = signer_checks::check_company_people(state, chamber_id, company_id, report)
        .await?
        .map_err(refusal)?;
    let revocation = signer_checks::check_revocation(state, chamber_id, report, now)
        .await?
        .map_err(refusal)?;
    Ok((people, revocation))
}

fn refusal(r: SignerRefusal) -> CreateError {
    match r {
        SignerRefusal::Revoked { holder, at } => CreateError::SignerRevoked { holder, at },
        SignerRefusal::RevocationUnavailable { holder } => {
            CreateError::RevocationUnavailable { holder }
        }
        SignerRefusal::NotCompanyPerson { holder, tax_code } => {
            CreateError::SignerNotCompanyPerson { holder, tax_code }
        }
    }
}

/// The uploaded file's name is kept only as a label: ASCII letters, digits, `.`, `-`, `_`,
/// at most 120 characters; the model's own file name when nothing usable remains.
pub(super) fn sanitise_file_name(name: &str, fallback_xml: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(120)
        .collect();
    if clean.trim_matches('.').is_empty() {
        format!("{fallback_xml}.p7m")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use crate::trade::practice::create::sanitise_file_name;

    #[test]
    fn uploaded_names_are_labels_not_paths() {
        assert_eq!(sanitise_file_name("../../etc/passwd", "m.xml"), "passwd");
        assert_eq!(
            sanitise_file_name("modello base.xml.p7m", "m.xml"),
            "modellobase.xml.p7m"
        );
        assert_eq!(sanitise_file_name("..", "m.xml"), "m.xml.p7m");
    }
}
