//! Is a certificate revoked? OCSP (RFC 6960) and CRLs (RFC 5280), without I/O.
//!
//! The caller fetches; this module builds the OCSP request and judges what came back:
//! - where to ask: [`ocsp_urls`] (the certificate's authorityInfoAccess) and [`crl_urls`]
//!   (its cRLDistributionPoints), HTTP(S) only;
//! - [`ocsp_request`] for one certificate (CertID with SHA-1, as RFC 5019 responders expect),
//!   with an optional nonce;
//! - [`check_ocsp`]: the response is `successful`, of the basic type, signed by the issuer or
//!   by a responder the issuer delegated (a certificate in the response, issued and signed by
//!   the issuer, with extendedKeyUsage id-kp-OCSPSigning, valid at the time), over the exact
//!   bytes of its `tbsResponseData`; it answers for this certificate (hash of the issuer's name
//!   and key, serial number); it is current (`thisUpdate` not in the future, `nextUpdate` not
//!   passed, or `thisUpdate` under a day old when there is no `nextUpdate`), with
//!   [`CLOCK_SKEW`] of tolerance; and the nonce, when we sent one and the responder returned
//!   one, is ours;
//! - [`check_crl`]: the CRL names the certificate's issuer, is signed by it (keyUsage cRLSign
//!   when present), is current by the same rule, and lists the serial number or not;
//!   [`crl_info`] describes a CRL for storage (issuer key, number, dates, SHA-256).
//!
//! Not handled: delta CRLs and indirect CRLs (an entry's certificateIssuer); a CRL is read as
//! complete for its issuer.

use crate::algorithm::{self, Digest};
use crate::ber::{self, Reader, Tlv};
use crate::certificate::{self, Cert};
use crate::chain::Crl;
use der::asn1::GeneralizedTime;
use der::{Decode as _, Encode as _};
use std::time::{Duration, SystemTime};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints, ExtendedKeyUsage};

/// Clocks differ: answers dated up to this much in the future, or expired this much ago,
/// are still taken.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// An answer without `nextUpdate` is current for this long after its `thisUpdate`.
pub const MAX_AGE_WITHOUT_NEXT_UPDATE: Duration = Duration::from_secs(24 * 60 * 60);

const OID_SHA1: [u8; 7] = [0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_NONCE: [u8; 11] = [
    0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02,
];
const AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const BASIC_RESPONSE: &str = "1.3.6.1.5.5.7.48.1.1";
const NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
const KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
const CRL_NUMBER: &str = "2.5.29.20";

/// What the answer says about the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not revoked.
    Good,
    /// Revoked at this time (RFC 3339 UTC), for this reason code when given.
    Revoked {
        /// When, RFC 3339 UTC.
        at: String,
        /// CRLReason code (RFC 5280 §5.3.1), when given.
        reason: Option<u8>,
    },
    /// The OCSP responder does not know the certificate.
    Unknown,
}

/// A judged answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The certificate's status.
    pub status: Status,
    /// `thisUpdate`, RFC 3339 UTC.
    pub this_update: String,
    /// `nextUpdate`, RFC 3339 UTC, when given.
    pub next_update: Option<String>,
    /// OCSP only: `producedAt`, RFC 3339 UTC.
    pub produced_at: Option<String>,
}

/// Why an answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationError {
    /// The certificate or the issuer cannot be read.
    BadCertificate,
    /// The bytes are not an OCSP response or a CRL.
    Malformed,
    /// The responder did not answer `successful` (its responseStatus).
    ResponderStatus(u8),
    /// Not a basic OCSP response.
    UnsupportedResponseType,
    /// Not signed by the issuer or a responder it delegated, or the signature does not verify.
    SignatureInvalid,
    /// No answer for this certificate in the response, or a CRL of another issuer.
    NotForThisCertificate,
    /// `thisUpdate` is in the future.
    NotYetValid,
    /// `nextUpdate` has passed (or, without it, `thisUpdate` is too old).
    Stale,
    /// The responder returned another nonce than ours.
    NonceMismatch,
}

impl std::fmt::Display for RevocationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadCertificate => f.write_str("the certificate or its issuer cannot be read"),
            Self::Malformed => f.write_str("not a readable OCSP response or CRL"),
            Self::ResponderStatus(s) => write!(f, "the OCSP responder answered status {s}"),
            Self::UnsupportedResponseType => f.write_str("not a basic OCSP response"),
            Self::SignatureInvalid => {
                f.write_str("not signed by the issuer or a responder it authorised")
            }
            Self::NotForThisCertificate => f.write_str("the answer is about another certificate"),
            Self::NotYetValid => f.write_str("the answer is dated in the future"),
            Self::Stale => f.write_str("the answer is out of date"),
            Self::NonceMismatch => f.write_str("the OCSP nonce is not the one sent"),
        }
    }
}

impl std::error::Error for RevocationError {}

fn parse_pair(cert_der: &[u8], issuer_der: &[u8]) -> Result<(Cert, Cert), RevocationError> {
    match (Cert::parse(cert_der), Cert::parse(issuer_der)) {
        (Some(c), Some(i)) => Ok((c, i)),
        _ => Err(RevocationError::BadCertificate),
    }
}

fn http_uri(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::UniformResourceIdentifier(uri) => {
            let s = uri.as_str();
            let lower = s.to_ascii_lowercase();
            (lower.starts_with("http://") || lower.starts_with("https://")).then(|| s.to_owned())
        }
        _ => None,
    }
}

/// The OCSP responders named in the certificate's authorityInfoAccess (HTTP(S) only).
pub fn ocsp_urls(cert_der: &[u8]) -> Vec<String> {
    let Some(cert) = Cert::parse(cert_der) else {
        return Vec::new();
    };
    let Ok(Some((_, aia))) = cert
        .cert
        .tbs_certificate()
        .get_extension::<AuthorityInfoAccessSyntax>()
    else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|d| d.access_method.to_string() == AD_OCSP)
        .filter_map(|d| http_uri(&d.access_location))
        .collect()
}

/// The CRL locations named in the certificate's cRLDistributionPoints (HTTP(S) only).
pub fn crl_urls(cert_der: &[u8]) -> Vec<String> {
    let Some(cert) = Cert::parse(cert_der) else {
        return Vec::new();
    };
    let Ok(Some((_, cdp))) = cert
        .cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    else {
        return Vec::new();
    };
    cdp.0
        .iter()
        .filter_map(|dp| match &dp.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(http_uri)
        .collect()
}

/// The key under which CRLs of the certificate's issuer are filed: SHA-256 (hex) of the
/// DER of the certificate's issuer name. [`CrlInfo::issuer_key`] is the same for its CRLs.
pub fn crl_issuer_key(cert_der: &[u8]) -> Option<String> {
    let cert = Cert::parse(cert_der)?;
    let der = cert.cert.tbs_certificate().issuer().to_der().ok()?;
    Some(certificate::hex(&Digest::Sha256.hash(&der)))
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    ber::write_header(&mut out, &[tag], content.len());
    out.extend_from_slice(content);
    out
}

fn issuer_name_der(cert: &Cert) -> Option<Vec<u8>> {
    cert.cert.tbs_certificate().issuer().to_der().ok()
}

fn issuer_key_bits(issuer: &Cert) -> &[u8] {
    issuer
        .cert
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
}

/// An OCSP request (DER) for `cert_der` issued by `issuer_der`, with the nonce extension
/// (RFC 8954) when `nonce` is given. `None` when a certificate cannot be read.
pub fn ocsp_request(cert_der: &[u8], issuer_der: &[u8], nonce: Option<&[u8]>) -> Option<Vec<u8>> {
    let (cert, issuer) = parse_pair(cert_der, issuer_der).ok()?;
    let name_hash = Digest::Sha1.hash(&issuer_name_der(&cert)?);
    let key_hash = Digest::Sha1.hash(issuer_key_bits(&issuer));
    let mut alg = OID_SHA1.to_vec();
    alg.extend_from_slice(&[0x05, 0x00]);
    let mut cert_id = tlv(ber::SEQUENCE, &alg);
    cert_id.extend(tlv(ber::OCTET_STRING, &name_hash));
    cert_id.extend(tlv(ber::OCTET_STRING, &key_hash));
    cert_id.extend(tlv(ber::INTEGER, cert.serial_bytes()));
    let request = tlv(ber::SEQUENCE, &tlv(ber::SEQUENCE, &cert_id));
    let mut tbs = tlv(ber::SEQUENCE, &request);
    if let Some(nonce) = nonce {
        let mut ext = OID_NONCE.to_vec();
        ext.extend(tlv(ber::OCTET_STRING, &tlv(ber::OCTET_STRING, nonce)));
        let extensions = tlv(ber::SEQUENCE, &tlv(ber::SEQUENCE, &ext));
        tbs.extend(tlv(0xa2, &extensions));
    }
    Some(tlv(ber::SEQUENCE, &tlv(ber::SEQUENCE, &tbs)))
}

fn generalized_time(t: &Tlv<'_>) -> Result<(SystemTime, String), RevocationError> {
    let time = GeneralizedTime::from_der(t.raw).map_err(|_| RevocationError::Malformed)?;
    Ok((time.to_system_time(), time.to_date_time().to_string()))
}

/// The time rule shared by OCSP answers and CRLs.
fn current(
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    at: SystemTime,
) -> Result<(), RevocationError> {
    if this_update > at + CLOCK_SKEW {
        return Err(RevocationError::NotYetValid);
    }
    let until = next_update.unwrap_or(this_update + MAX_AGE_WITHOUT_NEXT_UPDATE);
    if until + CLOCK_SKEW < at {
        return Err(RevocationError::Stale);
    }
    Ok(())
}

/// Reads a signature AlgorithmIdentifier TLV and checks `signature` over `signed`.
fn verify_with(key_holder: &Cert, alg: &Tlv<'_>, signed: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = key_holder.public_key() else {
        return false;
    };
    let Some((oid, params)) = algorithm::algorithm_identifier(alg.value) else {
        return false;
    };
    let Ok(sig_alg) = algorithm::signature_algorithm(&oid, params, None) else {
        return false;
    };
    key.verify(&sig_alg, signed, signature).is_ok()
}

fn has_ocsp_signing(cert: &Cert) -> bool {
    cert.cert
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .ok()
        .flatten()
        .is_some_and(|(_, eku)| eku.0.iter().any(|o| o.to_string() == KP_OCSP_SIGNING))
}

/// Does this CertID (contents of the SEQUENCE) name `cert` issued by `issuer`?
fn cert_id_matches(value: &[u8], cert: &Cert, issuer: &Cert) -> bool {
    let mut r = Reader::new(value);
    let (Ok(alg), Ok(name_hash), Ok(key_hash), Ok(serial)) = (
        r.expect(ber::SEQUENCE),
        r.expect(ber::OCTET_STRING),
        r.expect(ber::OCTET_STRING),
        r.expect(ber::INTEGER),
    ) else {
        return false;
    };
    let Some(digest) =
        algorithm::algorithm_identifier(alg.value).and_then(|(oid, _)| Digest::from_oid(&oid))
    else {
        return false;
    };
    let Some(name) = issuer_name_der(cert) else {
        return false;
    };
    serial.value == cert.serial_bytes()
        && name_hash.value == digest.hash(&name).as_slice()
        && key_hash.value == digest.hash(issuer_key_bits(issuer)).as_slice()
}

fn bit_string_bytes<'a>(t: &Tlv<'a>) -> Result<&'a [u8], RevocationError> {
    match t.value.split_first() {
        Some((0, rest)) => Ok(rest),
        _ => Err(RevocationError::Malformed),
    }
}

/// Judges an OCSP response about `cert_der` (issued by `issuer_der`) at `at`. `nonce` is the
/// nonce sent in the request, if any.
pub fn check_ocsp(
    response: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    at: SystemTime,
    nonce: Option<&[u8]>,
) -> Result<Answer, RevocationError> {
    use RevocationError::Malformed;
    let (cert, issuer) = parse_pair(cert_der, issuer_der)?;
    let m = |_| Malformed;
    // OCSPResponse
    let outer = Reader::new(response).expect(ber::SEQUENCE).map_err(m)?;
    if ber::element_len(response).map_err(m)? != response.len() {
        return Err(Malformed);
    }
    let mut fields = outer.children();
    let status = fields.expect(0x0a).map_err(m)?;
    match status.value {
        [0] => {}
        [s] => return Err(RevocationError::ResponderStatus(*s)),
        _ => return Err(Malformed),
    }
    let bytes = fields.expect(0xa0).map_err(m)?;
    let mut rb = bytes
        .children()
        .expect(ber::SEQUENCE)
        .map_err(m)?
        .children();
    let kind = rb.expect(ber::OID).map_err(m)?;
    if ber::oid_to_string(kind.value).as_deref() != Some(BASIC_RESPONSE) {
        return Err(RevocationError::UnsupportedResponseType);
    }
    let basic = rb.expect(ber::OCTET_STRING).map_err(m)?;
    // BasicOCSPResponse
    let mut b = Reader::new(basic.value)
        .expect(ber::SEQUENCE)
        .map_err(m)?
        .children();
    let tbs = b.expect(ber::SEQUENCE).map_err(m)?;
    let sig_alg = b.expect(ber::SEQUENCE).map_err(m)?;
    let signature = bit_string_bytes(&b.expect(0x03).map_err(m)?)?;
    let mut delegates = Vec::new();
    if let Some(certs) = b.read_optional(0xa0).map_err(m)? {
        let mut list = certs
            .children()
            .expect(ber::SEQUENCE)
            .map_err(m)?
            .children();
        while !list.is_empty() && delegates.len() < 8 {
            if let Some(c) = Cert::parse(list.read().map_err(m)?.raw) {
                delegates.push(c);
            }
        }
    }
    // Who may sign: the issuer itself, or a responder it delegated.
    let signed_by_issuer = verify_with(&issuer, &sig_alg, tbs.raw, signature);
    let signed_by_delegate = || {
        delegates.iter().any(|d| {
            d.cert.tbs_certificate().issuer() == issuer.cert.tbs_certificate().subject()
                && has_ocsp_signing(d)
                && d.is_valid_at(at)
                && d.is_signed_by(&issuer)
                && verify_with(d, &sig_alg, tbs.raw, signature)
        })
    };
    if !signed_by_issuer && !signed_by_delegate() {
        return Err(RevocationError::SignatureInvalid);
    }
    // ResponseData
    let mut data = tbs.children();
    data.read_optional(0xa0).map_err(m)?; // version
    let responder = data.read().map_err(m)?;
    if !matches!(responder.tag, 0xa1 | 0xa2) {
        return Err(Malformed);
    }
    let (_, produced_at) = generalized_time(&data.expect(0x18).map_err(m)?)?;
    let mut responses = data.expect(ber::SEQUENCE).map_err(m)?.children();
    if let Some(ext) = data.read_optional(0xa1).map_err(m)?
        && let Some(sent) = nonce
    {
        let mut list = ext.children().expect(ber::SEQUENCE).map_err(m)?.children();
        while !list.is_empty() {
            let mut e = list.expect(ber::SEQUENCE).map_err(m)?.children();
            let oid = e.expect(ber::OID).map_err(m)?;
            e.read_optional(0x01).map_err(m)?; // critical
            let value = e.expect(ber::OCTET_STRING).map_err(m)?;
            if ber::oid_to_string(oid.value).as_deref() == Some(NONCE)
                && value.value != tlv(ber::OCTET_STRING, sent).as_slice()
            {
                return Err(RevocationError::NonceMismatch);
            }
        }
    }
    while !responses.is_empty() {
        let mut single = responses.expect(ber::SEQUENCE).map_err(m)?.children();
        let cert_id = single.expect(ber::SEQUENCE).map_err(m)?;
        if !cert_id_matches(cert_id.value, &cert, &issuer) {
            continue;
        }
        let cert_status = single.read().map_err(m)?;
        let (this_time, this_update) = generalized_time(&single.expect(0x18).map_err(m)?)?;
        let next = match single.read_optional(0xa0).map_err(m)? {
            Some(n) => Some(generalized_time(&n.children().expect(0x18).map_err(m)?)?),
            None => None,
        };
        current(this_time, next.as_ref().map(|n| n.0), at)?;
        let status = match cert_status.tag {
            0x80 => Status::Good,
            0x82 => Status::Unknown,
            0xa1 => {
                let mut info = cert_status.children();
                let (when, at_text) = generalized_time(&info.expect(0x18).map_err(m)?)?;
                let reason = match info.read_optional(0xa0).map_err(m)? {
                    Some(r) => r.children().expect(0x0a).map_err(m)?.value.first().copied(),
                    None => None,
                };
                if when > at {
                    Status::Good
                } else {
                    Status::Revoked {
                        at: at_text,
                        reason,
                    }
                }
            }
            _ => return Err(Malformed),
        };
        return Ok(Answer {
            status,
            this_update,
            next_update: next.map(|n| n.1),
            produced_at: Some(produced_at),
        });
    }
    Err(RevocationError::NotForThisCertificate)
}

/// A CRL described for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInfo {
    /// SHA-256 (hex) of the DER of the CRL's issuer name (see [`crl_issuer_key`]).
    pub issuer_key: String,
    /// The issuer, RFC 4514 style.
    pub issuer: String,
    /// The cRLNumber extension, in decimal (hex when over 128 bits), when present.
    pub number: Option<String>,
    /// `thisUpdate`, RFC 3339 UTC.
    pub this_update: String,
    /// `nextUpdate`, RFC 3339 UTC, when present.
    pub next_update: Option<String>,
    /// SHA-256 (hex) of the CRL's DER.
    pub sha256: String,
}

/// Describes a DER CRL; `None` when it cannot be read.
pub fn crl_info(der: &[u8]) -> Option<CrlInfo> {
    let crl = Crl::parse(der)?;
    let tbs = &crl.list.tbs_cert_list;
    let number = tbs
        .crl_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id.to_string() == CRL_NUMBER)
        .and_then(|e| {
            let value = Reader::new(e.extn_value.as_bytes())
                .expect(ber::INTEGER)
                .ok()?;
            Some(integer_text(value.value))
        });
    Some(CrlInfo {
        issuer_key: certificate::hex(&Digest::Sha256.hash(&tbs.issuer.to_der().ok()?)),
        issuer: certificate::name_to_string(&tbs.issuer),
        number,
        this_update: tbs.this_update.to_date_time().to_string(),
        next_update: tbs.next_update.map(|t| t.to_date_time().to_string()),
        sha256: certificate::hex(&Digest::Sha256.hash(der)),
    })
}

fn integer_text(bytes: &[u8]) -> String {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if trimmed.len() <= 16 {
        let mut n: u128 = 0;
        for b in &trimmed {
            n = (n << 8) | u128::from(*b);
        }
        n.to_string()
    } else {
        certificate::hex(&trimmed)
    }
}

/// Judges `cert_der` (issued by `issuer_der`) against the DER CRL `crl_der` at `at`.
pub fn check_crl(
    crl_der: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    at: SystemTime,
) -> Result<Answer, RevocationError> {
    let (cert, issuer) = parse_pair(cert_der, issuer_der)?;
    let crl = Crl::parse(crl_der).ok_or(RevocationError::Malformed)?;
    let tbs = &crl.list.tbs_cert_list;
    if &tbs.issuer != cert.cert.tbs_certificate().issuer()
        || tbs.issuer != *issuer.cert.tbs_certificate().subject()
    {
        return Err(RevocationError::NotForThisCertificate);
    }
    if !issuer.may_sign_crls() || !crl.is_signed_by(&issuer) {
        return Err(RevocationError::SignatureInvalid);
    }
    current(
        tbs.this_update.to_system_time(),
        tbs.next_update.map(|t| t.to_system_time()),
        at,
    )?;
    let revoked = tbs
        .revoked_certificates
        .iter()
        .flatten()
        .find(|e| e.serial_number.as_bytes() == cert.serial_bytes())
        .filter(|e| e.revocation_date.to_system_time() <= at);
    let status = match revoked {
        Some(entry) => Status::Revoked {
            at: entry.revocation_date.to_date_time().to_string(),
            reason: entry
                .crl_entry_extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id.to_string() == "2.5.29.21")
                .and_then(|e| {
                    Reader::new(e.extn_value.as_bytes())
                        .expect(0x0a)
                        .ok()
                        .and_then(|t| t.value.first().copied())
                }),
        },
        None => Status::Good,
    };
    Ok(Answer {
        status,
        this_update: tbs.this_update.to_date_time().to_string(),
        next_update: tbs.next_update.map(|t| t.to_date_time().to_string()),
        produced_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_numbers_read_as_people_write_them() {
        assert_eq!(integer_text(&[0x00, 0x10]), "16");
        assert_eq!(integer_text(&[]), "0");
        assert_eq!(integer_text(&[0x01; 17]), "01".repeat(17));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let err = check_ocsp(b"\x30\x03\x0a\x01\x00", &[], &[], SystemTime::now(), None);
        assert_eq!(err, Err(RevocationError::BadCertificate));
        assert!(ocsp_urls(b"nonsense").is_empty());
        assert!(crl_info(b"\x30\x00").is_none());
    }
}
