//! The Certification Authority behind an adapter: one method per capability (send the OTP,
//! issue the certificates onto a device, revoke them). The embedded default is a local test
//! CA that really issues X.509 certificates: an authentication certificate (CNS style, CN
//! `CF/serial.hash`, the CNS certificate profile) and a signature certificate, both with
//! `serialNumber=TINIT-<CF>` and real validity dates (3 years, the CNS certificate profile). Its own
//! key is made on first use and kept in the database: it is a test CA, trusted by nobody.

use crate::db::{self, Tx};
use crate::i18n::Lang;
use crate::notify::{self, OutgoingEmail};
use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use sha2::{Digest, Sha256};

/// How long the certificates last (the CNS certificate profile: three years).
pub const VALIDITY_YEARS: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("the certificate could not be made: {0}")]
    Certificate(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<rcgen::Error> for CaError {
    fn from(e: rcgen::Error) -> Self {
        CaError::Certificate(e.to_string())
    }
}

/// What the CA needs to personalise a device.
pub struct IssueRequest<'a> {
    pub chamber_id: &'a str,
    pub session_id: &'a str,
    pub device_serial: &'a str,
    pub holder_tax_code: &'a str,
    pub given_name: &'a str,
    pub surname: &'a str,
    pub today: NaiveDate,
}

/// One certificate written onto the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCertificate {
    pub purpose: &'static str,
    pub subject: String,
    pub not_before: NaiveDate,
    pub not_after: NaiveDate,
    pub der: Vec<u8>,
}

#[async_trait]
pub trait CertificationAuthority: Send + Sync {
    /// Sends the one-time code to the applicant, inside the session's transaction.
    async fn send_otp(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        chamber_id: &str,
        to: &str,
        code: &str,
    ) -> Result<(), CaError>;
    /// Issues the authentication and signature certificates for the device.
    async fn issue(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        req: &IssueRequest<'_>,
    ) -> Result<Vec<IssuedCertificate>, CaError>;
    /// Revokes the certificates of a device (a personalised session aborted).
    async fn revoke(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        chamber_id: &str,
        device_serial: &str,
    ) -> Result<(), CaError>;
}

/// The CA the application uses: the local test CA.
pub fn adapter() -> LocalTestCa {
    LocalTestCa
}

pub struct LocalTestCa;

const CA_ID: &str = "local-test-ca";

fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "IT");
    dn.push(DnType::OrganizationName, "Sportello (prova)");
    dn.push(
        DnType::CommonName,
        "Sportello Test CA - non valida per uso reale",
    );
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2045, 1, 1);
    p
}

/// The CA's key, made and stored on first use.
async fn ca_key(tx: &mut Tx, now: DateTime<Utc>) -> Result<KeyPair, CaError> {
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT key_der FROM iss_local_ca WHERE id = $1")
            .bind(CA_ID)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(der) = stored {
        return KeyPair::try_from(der.as_slice()).map_err(CaError::from);
    }
    let key = KeyPair::generate()?;
    let cert = ca_params().self_signed(&key)?;
    sqlx::query(
        "INSERT INTO iss_local_ca (id, cert_der, key_der, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(CA_ID)
    .bind(cert.der().to_vec())
    .bind(key.serialize_der())
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    let der: Vec<u8> = sqlx::query_scalar("SELECT key_der FROM iss_local_ca WHERE id = $1")
        .bind(CA_ID)
        .fetch_one(&mut **tx)
        .await?;
    KeyPair::try_from(der.as_slice()).map_err(CaError::from)
}

/// The CNS authentication certificate's CN: `<CF>/<card id>.<base64 of 20 bytes>`
/// (the CNS certificate profile; what the real hash covers is not documented, here it is the first
/// 20 bytes of SHA-256 of `CF/card id`).
pub fn cns_common_name(tax_code: &str, serial: &str) -> String {
    let digest = Sha256::digest(format!("{tax_code}/{serial}").as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(&digest[..20]);
    format!("{tax_code}/{serial}.{hash}")
}

fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year() + years, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + years, d.month(), 28))
        .unwrap_or(d)
}

#[async_trait]
impl CertificationAuthority for LocalTestCa {
    async fn send_otp(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        chamber_id: &str,
        to: &str,
        code: &str,
    ) -> Result<(), CaError> {
        let args = [("code", code.to_string())];
        notify::queue(
            tx,
            now,
            OutgoingEmail {
                to: to.to_string(),
                subject: Lang::It.t_args("iss-otp-subject", &args),
                body_text: Lang::It.t_args("iss-otp-body", &args),
                chamber_id: Some(chamber_id.to_string()),
                attachments: Vec::new(),
            },
        )
        .await?;
        Ok(())
    }

    async fn issue(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        req: &IssueRequest<'_>,
    ) -> Result<Vec<IssuedCertificate>, CaError> {
        let issuer = Issuer::new(ca_params(), ca_key(tx, now).await?);
        let not_after = add_years(req.today, VALIDITY_YEARS);
        let mut out = Vec::new();
        for purpose in ["authentication", "signature"] {
            let mut p = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CountryName, "IT");
            dn.push(
                DnType::CustomDnType(vec![2, 5, 4, 4]),
                req.surname.to_uppercase(),
            );
            dn.push(
                DnType::CustomDnType(vec![2, 5, 4, 42]),
                req.given_name.to_uppercase(),
            );
            dn.push(
                DnType::CustomDnType(vec![2, 5, 4, 5]),
                format!("TINIT-{}", req.holder_tax_code),
            );
            let cn = if purpose == "authentication" {
                cns_common_name(req.holder_tax_code, req.device_serial)
            } else {
                format!(
                    "{} {}",
                    req.surname.to_uppercase(),
                    req.given_name.to_uppercase()
                )
            };
            dn.push(DnType::CommonName, cn.clone());
            p.distinguished_name = dn;
            p.not_before = rcgen::date_time_ymd(
                req.today.year(),
                req.today.month() as u8,
                req.today.day() as u8,
            );
            p.not_after = rcgen::date_time_ymd(
                not_after.year(),
                not_after.month() as u8,
                not_after.day() as u8,
            );
            let mut serial = [0u8; 16];
            rand::rng().fill_bytes(&mut serial);
            serial[0] &= 0x7F;
            p.serial_number = Some(SerialNumber::from_slice(&serial));
            if purpose == "authentication" {
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyEncipherment,
                ];
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            } else {
                p.key_usages = vec![KeyUsagePurpose::ContentCommitment];
            }
            // The device's key: on a real card it never leaves the chip; here it is dropped.
            let device_key = KeyPair::generate()?;
            let cert = p.signed_by(&device_key, &issuer)?;
            let der = cert.der().to_vec();
            sqlx::query(
                "INSERT INTO iss_certificates (id, chamber_id, session_id, device_serial, purpose, \
                 holder_tax_code, subject, not_before, not_after, der, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(db::new_id())
            .bind(req.chamber_id)
            .bind(req.session_id)
            .bind(req.device_serial)
            .bind(purpose)
            .bind(req.holder_tax_code)
            .bind(&cn)
            .bind(db::date(req.today))
            .bind(db::date(not_after))
            .bind(&der)
            .bind(db::instant(now))
            .execute(&mut **tx)
            .await?;
            out.push(IssuedCertificate {
                purpose,
                subject: cn,
                not_before: req.today,
                not_after,
                der,
            });
        }
        Ok(out)
    }

    async fn revoke(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        chamber_id: &str,
        device_serial: &str,
    ) -> Result<(), CaError> {
        sqlx::query(
            "UPDATE iss_certificates SET revoked_at = $3 WHERE chamber_id = $1 AND device_serial = $2 \
             AND revoked_at IS NULL",
        )
        .bind(chamber_id)
        .bind(device_serial)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// The local CA's certificate (to check the issued ones against it).
pub async fn local_ca_certificate(db: &crate::db::Db) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT cert_der FROM iss_local_ca WHERE id = $1")
        .bind(CA_ID)
        .fetch_optional(db.pool())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cns_common_name_has_the_documented_shape() {
        let cn = cns_common_name("RSSMRA80A01H501U", "7420000000000001");
        let (cf, rest) = cn.split_once('/').unwrap();
        assert_eq!(cf, "RSSMRA80A01H501U");
        let (id, hash) = rest.split_once('.').unwrap();
        assert_eq!(id, "7420000000000001");
        assert_eq!(hash.len(), 28);
    }

    #[test]
    fn three_years_later_even_from_a_leap_day() {
        let d = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(
            add_years(d, 3),
            NaiveDate::from_ymd_opt(2031, 2, 28).unwrap()
        );
    }
}
