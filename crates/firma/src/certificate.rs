//! A parsed X.509 certificate with the raw bytes its signature covers, readable names,
//! validity and the extensions the policy needs.

use crate::algorithm::{self, PublicKey, SigError};
use crate::ber::{self, Reader};
use der::{Decode as _, Encode as _, Tagged as _};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

/// A certificate: the typed view (x509-cert, lenient `Raw` profile) plus raw TLVs.
///
/// What path building asks for again and again (the key identifiers, the public key) is
/// read once per certificate: the identifiers when parsing, the key on first use.
#[derive(Clone)]
pub struct Cert {
    /// The certificate as found (DER).
    pub der: Vec<u8>,
    /// The TBSCertificate TLV, exactly as signed.
    pub tbs: Vec<u8>,
    /// Typed view.
    pub cert: CertificateInner<Raw>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    basic_constraints: Option<BasicConstraints>,
    key: Arc<OnceLock<Result<PublicKey, SigError>>>,
}

impl std::fmt::Debug for Cert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cert({})", self.subject())
    }
}

impl Cert {
    /// Parses a DER certificate. Trailing bytes are not allowed.
    pub fn parse(der: &[u8]) -> Option<Self> {
        let cert = CertificateInner::<Raw>::from_der(der).ok()?;
        let outer = Reader::new(der).expect(ber::SEQUENCE).ok()?;
        let tbs = outer.children().expect(ber::SEQUENCE).ok()?.raw.to_vec();
        let subject_key_id = cert
            .tbs_certificate()
            .get_extension::<SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .map(|(_, ski)| ski.0.as_bytes().to_vec());
        let authority_key_id = cert
            .tbs_certificate()
            .get_extension::<AuthorityKeyIdentifier>()
            .ok()
            .flatten()
            .and_then(|(_, aki)| aki.key_identifier.map(|k| k.as_bytes().to_vec()));
        let basic_constraints = cert
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .ok()
            .flatten()
            .map(|(_, bc)| bc);
        Some(Self {
            der: der.to_vec(),
            tbs,
            cert,
            subject_key_id,
            authority_key_id,
            basic_constraints,
            key: Arc::default(),
        })
    }

    /// Subject, RFC 4514 style (most specific attribute first).
    pub fn subject(&self) -> String {
        name_to_string(self.cert.tbs_certificate().subject())
    }

    /// Issuer, RFC 4514 style.
    pub fn issuer(&self) -> String {
        name_to_string(self.cert.tbs_certificate().issuer())
    }

    /// Subject attributes as `(dotted OID, text)` in certificate order.
    pub fn subject_attributes(&self) -> Vec<(String, String)> {
        name_attributes(self.cert.tbs_certificate().subject())
    }

    /// Serial number, lowercase hex without leading zero octets.
    pub fn serial_hex(&self) -> String {
        serial_hex(self.cert.tbs_certificate().serial_number().as_bytes())
    }

    /// Serial number octets (as encoded).
    pub fn serial_bytes(&self) -> &[u8] {
        self.cert.tbs_certificate().serial_number().as_bytes()
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.cert
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    /// End of validity.
    pub fn not_after(&self) -> SystemTime {
        self.cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }

    /// Start of validity, RFC 3339 UTC.
    pub fn not_before_string(&self) -> String {
        self.cert
            .tbs_certificate()
            .validity()
            .not_before
            .to_date_time()
            .to_string()
    }

    /// End of validity, RFC 3339 UTC.
    pub fn not_after_string(&self) -> String {
        self.cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_date_time()
            .to_string()
    }

    /// Valid at `at` (bounds included, as RFC 5280 says).
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.not_before() <= at && at <= self.not_after()
    }

    /// The keyUsage extension, if present and readable.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.cert
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .ok()
            .flatten()
            .map(|(_, ku)| ku)
    }

    /// basicConstraints cA = TRUE.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.as_ref().is_some_and(|bc| bc.ca)
    }

    /// pathLenConstraint of a CA, if any.
    pub fn path_len(&self) -> Option<u8> {
        self.basic_constraints
            .as_ref()
            .and_then(|bc| bc.path_len_constraint)
    }

    /// May this certificate sign certificates (keyUsage absent, or with keyCertSign)?
    pub fn may_sign_certificates(&self) -> bool {
        self.key_usage().is_none_or(|ku| ku.key_cert_sign())
    }

    /// May this certificate sign CRLs (keyUsage absent, or with cRLSign)?
    pub fn may_sign_crls(&self) -> bool {
        self.key_usage().is_none_or(|ku| ku.crl_sign())
    }

    /// subjectKeyIdentifier octets.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }

    /// authorityKeyIdentifier keyIdentifier octets.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// The subject equals the issuer (byte-wise on the typed names).
    pub fn is_self_issued(&self) -> bool {
        let tbs = self.cert.tbs_certificate();
        tbs.subject() == tbs.issuer()
    }

    /// The subject public key, read on first use and kept with the certificate.
    pub fn public_key(&self) -> Result<&PublicKey, SigError> {
        self.key
            .get_or_init(|| {
                let spki = self
                    .cert
                    .tbs_certificate()
                    .subject_public_key_info()
                    .to_der()
                    .map_err(|_| SigError::BadKey)?;
                PublicKey::from_spki(&spki)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Was this certificate signed by `issuer`'s key? (Name matching is the caller's job.)
    pub fn is_signed_by(&self, issuer: &Cert) -> bool {
        let Ok(key) = issuer.public_key() else {
            return false;
        };
        let alg = self.cert.signature_algorithm();
        let params = alg.parameters.as_ref().and_then(|p| p.to_der().ok());
        let Ok(sig_alg) =
            algorithm::signature_algorithm(&alg.oid.to_string(), params.as_deref(), None)
        else {
            return false;
        };
        key.verify(&sig_alg, &self.tbs, self.cert.signature().raw_bytes())
            .is_ok()
    }

    /// SHA-256 of the DER, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&algorithm::Digest::Sha256.hash(&self.der))
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Serial octets as lowercase hex, leading zero octets dropped (at least one octet kept).
pub fn serial_hex(bytes: &[u8]) -> String {
    let skip = bytes
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(bytes.len().saturating_sub(1));
    hex(&bytes[skip..])
}

fn label(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// Text of a directory string value (UTF8, Printable, IA5, Teletex as Latin-1, BMP).
fn value_text(tag: der::Tag, bytes: &[u8]) -> Option<String> {
    use der::Tag;
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => Some(String::from_utf8_lossy(bytes).into_owned()),
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// Attributes of a name as `(dotted OID, text)`, in encoded order; non-text values become `#hex`.
pub fn name_attributes(name: &Name) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for rdn in name.iter_rdn() {
        for atv in rdn.iter() {
            let tag = atv.value.tag();
            let text = value_text(tag, atv.value.value())
                .unwrap_or_else(|| format!("#{}", hex(&atv.value.to_der().unwrap_or_default())));
            out.push((atv.oid.to_string(), text));
        }
    }
    out
}

fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let edge =
            (i == 0 && (c == ' ' || c == '#')) || (i + 1 == value.chars().count() && c == ' ');
        if edge || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// RFC 4514 style string: RDNs in reverse order, `,` between RDNs, `+` inside one.
pub fn name_to_string(name: &Name) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.oid.to_string();
                    let key = label(&oid).map(str::to_owned).unwrap_or(oid);
                    let tag = atv.value.tag();
                    match value_text(tag, atv.value.value()) {
                        Some(text) => format!("{key}={}", escape(&text)),
                        None => format!("{key}=#{}", hex(&atv.value.to_der().unwrap_or_default())),
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_drops_leading_zero_octets() {
        assert_eq!(serial_hex(&[0x00, 0x9a, 0x01]), "9a01");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[0x10, 0x01]), "1001");
    }

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(escape("ROSSI, MARIO"), "ROSSI\\, MARIO");
        assert_eq!(escape("a/b=c"), "a/b=c");
    }
}
