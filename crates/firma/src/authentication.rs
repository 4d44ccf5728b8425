//! Authentication certificates: the certificate a person's smart card (CNS, Carta Nazionale
//! dei Servizi) presents in a TLS handshake, judged for a login.
//!
//! Bytes in, verdict out, like the rest of the crate: the caller passes the trust anchors and
//! the time, and asks about revocation itself (OCSP and CRL are fetched by the caller; see
//! [`crate::revocation`]). A certificate is accepted when
//! - it chains to one of the given anchors (the same path building as signatures, every CA on
//!   the path valid at the time);
//! - it is valid at the time;
//! - it is an end-entity certificate for authentication: keyUsage with digitalSignature and,
//!   when it names extended key usages, clientAuth among them (a CNS authentication
//!   certificate, not a signature certificate with nonRepudiation alone).
//!
//! The holder's tax code is read as [`crate::tax_code::extract`] reads it: the subject
//! serialNumber `TINIT-<code>` of current cards, or the common name `<code>/<card>.<hash>` of
//! older ones.

use crate::certificate::Cert;
use crate::chain;
use std::cell::Cell;
use std::time::SystemTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};

/// id-kp-clientAuth (RFC 5280, 4.2.1.12).
const KP_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
/// anyExtendedKeyUsage.
const ANY_EXTENDED_KEY_USAGE: &str = "2.5.29.37.0";
/// emailAddress (PKCS #9) in a subject.
const EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";

/// Why an authentication certificate is refused, in the order the checks are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an X.509 certificate.
    Unreadable,
    /// No path to any of the given anchors.
    UnknownIssuer,
    /// Not yet valid at the time.
    NotYetValid,
    /// Expired at the time.
    Expired,
    /// A CA certificate, or one whose usages do not allow client authentication.
    NotForAuthentication,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unreadable => "not a certificate",
            Self::UnknownIssuer => "not issued by a trusted authority",
            Self::NotYetValid => "not yet valid",
            Self::Expired => "expired",
            Self::NotForAuthentication => "not an authentication certificate",
        })
    }
}

impl std::error::Error for Refusal {}

/// The holder of an accepted authentication certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The tax code found in the subject (personal or numeric), upper case.
    pub tax_code: Option<String>,
    /// The holder's name as people read it (see [`crate::holder_name`]).
    pub name: String,
    /// Given name and surname attributes, when present.
    pub given_name: Option<String>,
    pub surname: Option<String>,
    /// The e-mail address of the subjectAltName (rfc822Name) or of the subject.
    pub email: Option<String>,
    /// Subject and issuer, RFC 4514 style; serial, lowercase hex.
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// The certificates above the holder's, nearest first, ending with the anchor (DER).
    pub path: Vec<Vec<u8>>,
}

/// Judges `certificate` (DER) as an authentication certificate at `at`, against `anchors`
/// (DER; intermediate CAs may be among them: an anchor is trusted as given).
pub fn check(certificate: &[u8], anchors: &[Vec<u8>], at: SystemTime) -> Result<Holder, Refusal> {
    let cert = Cert::parse(certificate).ok_or(Refusal::Unreadable)?;
    let anchors: Vec<Cert> = anchors.iter().filter_map(|a| Cert::parse(a)).collect();
    let budget = Cell::new(chain::SIGNATURE_CHECK_BUDGET);
    let path = chain::build_path(&cert, &[], &anchors, at, &budget)
        .filter(|p| !p.is_empty())
        .ok_or(Refusal::UnknownIssuer)?;
    let path: Vec<Vec<u8>> = path.iter().map(|c| c.der.clone()).collect();
    if at < cert.not_before() {
        return Err(Refusal::NotYetValid);
    }
    if at > cert.not_after() {
        return Err(Refusal::Expired);
    }
    if !is_for_authentication(&cert) {
        return Err(Refusal::NotForAuthentication);
    }
    let attributes = cert.subject_attributes();
    let find = |oid: &str| {
        attributes
            .iter()
            .find(|(o, v)| o == oid && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    Ok(Holder {
        tax_code: crate::tax_code::extract(&attributes).map(|(code, _)| code),
        name: crate::holder_name(certificate).unwrap_or_default(),
        given_name: find("2.5.4.42"),
        surname: find("2.5.4.4"),
        email: alt_name_email(&cert).or_else(|| find(EMAIL_ADDRESS)),
        subject: cert.subject(),
        issuer: cert.issuer(),
        serial: cert.serial_hex(),
        path,
    })
}

/// An end-entity certificate with digitalSignature, and clientAuth when it lists extended
/// key usages.
fn is_for_authentication(cert: &Cert) -> bool {
    if cert.is_ca() {
        return false;
    }
    if !cert.key_usage().is_some_and(|ku| ku.digital_signature()) {
        return false;
    }
    match cert
        .cert
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
    {
        Ok(None) => true,
        Ok(Some((_, eku))) => eku.0.iter().any(|o| {
            let o = o.to_string();
            o == KP_CLIENT_AUTH || o == ANY_EXTENDED_KEY_USAGE
        }),
        Err(_) => false,
    }
}

/// The first rfc822Name of the subjectAltName.
fn alt_name_email(cert: &Cert) -> Option<String> {
    let (_, names) = cert
        .cert
        .tbs_certificate()
        .get_extension::<SubjectAltName>()
        .ok()
        .flatten()?;
    names.0.iter().find_map(|n| match n {
        GeneralName::Rfc822Name(mail) => {
            let text = mail.to_string();
            (!text.trim().is_empty()).then(|| text.trim().to_owned())
        }
        _ => None,
    })
}
