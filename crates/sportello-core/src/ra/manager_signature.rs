//! The Manager's signature (RA procedure, part 1: the mandate letter and the revocation notice
//! are "firmata digitalmente dal Dirigente"). One check for every document that must carry it,
//! in the Manager's queue and on a RAO's revocation recorded by the office: `firma` verifies
//! the file, a signer's tax code is a Manager's own (from the user's profile), the document
//! signed is the one the office prepared (when it prepared one), and the signer's certificate
//! is not revoked — checked last, since it may use the network.

use crate::Ctx;
use crate::accounts::Role;
use crate::db::Db;
use crate::ra::accreditation::steps::verify_options;
use crate::ra::archive::{self, Signature, SignatureError, Upload};
use crate::trade::practice::signer_checks::{SignerRefusal, check_revocation};

#[derive(Debug, thiserror::Error)]
pub enum ManagerSignatureError {
    /// Not signed, not valid, or not signed by the Manager.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("{filename}: the Manager signed another document, not the one prepared")]
    NotThePreparedDocument { filename: String },
    #[error("the signer's certificate is revoked ({holder}, {at})")]
    Revoked { holder: String, at: String },
    #[error("the revocation of the signer's certificate could not be checked ({holder})")]
    RevocationUnavailable { holder: String },
    #[error("no Manager of the chamber has a tax code in their profile")]
    NoManager,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// RA procedure, part 1: `upload` must be signed by one of `managers` (tax codes) and, when
/// `prepared` is given, sign exactly that document ([`firma::Report::signs_document`]: the
/// content of a `.p7m`, the unsigned revision of a signed PDF). Answers who signed.
pub async fn check(
    ctx: &Ctx,
    chamber_id: &str,
    upload: &Upload,
    managers: &[String],
    prepared: Option<&[u8]>,
) -> Result<Signature, ManagerSignatureError> {
    if managers.is_empty() {
        return Err(ManagerSignatureError::NoManager);
    }
    let opts = verify_options(ctx, chamber_id).await?;
    let report = firma::verify(&upload.bytes, &opts).map_err(|_| SignatureError::NotSigned {
        filename: upload.filename.clone(),
    })?;
    let managers: Vec<&str> = managers.iter().map(String::as_str).collect();
    let (signature, _) = archive::check_report(&report, &upload.filename, &managers)?;
    if let Some(prepared) = prepared {
        let by_a_manager = report
            .signers
            .iter()
            .filter(|s| s.valid && s.tax_code.as_deref().is_some_and(|t| managers.contains(&t)));
        let mut by_a_manager = by_a_manager;
        if !by_a_manager.any(|s| report.signs_document(s, &upload.bytes, prepared)) {
            return Err(ManagerSignatureError::NotThePreparedDocument {
                filename: upload.filename.clone(),
            });
        }
    }
    match check_revocation(ctx, chamber_id, &report, ctx.clock.now()).await? {
        Ok(_) | Err(SignerRefusal::NotCompanyPerson { .. }) => Ok(signature),
        Err(SignerRefusal::Revoked { holder, at }) => {
            Err(ManagerSignatureError::Revoked { holder, at })
        }
        Err(SignerRefusal::RevocationUnavailable { holder }) => {
            Err(ManagerSignatureError::RevocationUnavailable { holder })
        }
    }
}

/// The tax codes of the chamber's active Managers, from their profiles: who may sign a
/// document the office did not put in the queue.
pub async fn chamber_managers(db: &Db, chamber_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let codes: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT tax_code FROM users WHERE chamber_id = $1 AND role = $2 AND active = 1 \
         ORDER BY tax_code",
    )
    .bind(chamber_id)
    .bind(Role::Manager.as_str())
    .fetch_all(db.pool())
    .await?;
    Ok(codes
        .into_iter()
        .flatten()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect())
}
