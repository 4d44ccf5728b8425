//! Per-chamber settings, each with its default and the rule it comes from.

use crate::db::{self, Db, Tx};
use chrono::{DateTime, Utc};

/// A setting a chamber may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Cert'O guide, slide 60: the company must correct a practice within 24 hours, or it is
    /// rejected.
    RectificationHours,
    /// Whether a rejected practice's fee goes back to the wallet (default yes: a rejected practice
    /// issues nothing, so by default it costs nothing).
    RefundOnReject,
    /// the fees chambers publish: with blank-paper printing one copy is mandatory and charged.
    BlankPaperMandatoryCopy,
    /// The annual fee's deadline (MM-DD); "the last two years" are those whose deadline has
    /// passed (the annual fee is due by 30 June, the default).
    AnnualFeeDeadline,
    /// When no OCSP responder or CRL answers about a signer's certificate at upload:
    /// `accept` (default: the practice is created and flagged for the officer) or `refuse`.
    RevocationUnavailable,
    /// When no signer of the model is among the company's people (its users, its legal
    /// representatives in the Registry): `flag` (default: shown to the officer) or `refuse`.
    SignerNotCompanyPerson,
    /// Cert'O guide: the destination desk is one of the company's own chamber. `true` lets
    /// companies with no site in the chamber's provinces send to its desks too (default no).
    AcceptOtherCompanies,
}

impl Setting {
    pub fn name(self) -> &'static str {
        match self {
            Setting::RectificationHours => "rectification_hours",
            Setting::RefundOnReject => "refund_on_reject",
            Setting::BlankPaperMandatoryCopy => "blank_paper_mandatory_copy",
            Setting::AnnualFeeDeadline => "annual_fee_deadline",
            Setting::RevocationUnavailable => "revocation_unavailable",
            Setting::SignerNotCompanyPerson => "signer_not_company_person",
            Setting::AcceptOtherCompanies => "accept_other_companies",
        }
    }

    pub fn default_value(self) -> &'static str {
        match self {
            Setting::RectificationHours => "24",
            Setting::RefundOnReject => "true",
            Setting::BlankPaperMandatoryCopy => "true",
            Setting::AnnualFeeDeadline => "06-30",
            Setting::RevocationUnavailable => "accept",
            Setting::SignerNotCompanyPerson => "flag",
            Setting::AcceptOtherCompanies => "false",
        }
    }
}

/// The chamber's value of `setting`, or its default.
pub async fn get(db: &Db, chamber_id: &str, setting: Setting) -> Result<String, sqlx::Error> {
    let v: Option<String> = sqlx::query_scalar(
        "SELECT value FROM chamber_settings WHERE chamber_id = $1 AND name = $2",
    )
    .bind(chamber_id)
    .bind(setting.name())
    .fetch_optional(db.pool())
    .await?;
    Ok(v.unwrap_or_else(|| setting.default_value().to_string()))
}

pub async fn get_bool(db: &Db, chamber_id: &str, setting: Setting) -> Result<bool, sqlx::Error> {
    Ok(get(db, chamber_id, setting).await? == "true")
}

pub async fn get_i64(db: &Db, chamber_id: &str, setting: Setting) -> Result<i64, sqlx::Error> {
    let v = get(db, chamber_id, setting).await?;
    v.parse()
        .map_err(|_| sqlx::Error::Decode(format!("setting {} = '{v}'", setting.name()).into()))
}

pub async fn set(
    tx: &mut Tx,
    now: DateTime<Utc>,
    chamber_id: &str,
    setting: Setting,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO chamber_settings (chamber_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (chamber_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(chamber_id)
    .bind(setting.name())
    .bind(value)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
