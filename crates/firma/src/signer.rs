//! One SignerInfo against the CAdES-BES rules, and its countersignatures.
//!
//! The signature covers the DER `SET OF` encoding of the signed attributes: we take the raw
//! `[0] IMPLICIT` TLV from the envelope and replace its first octet with `0x31`, never
//! re-encoding the typed attributes (re-encoding would sort or normalise them and break
//! signatures made over slightly different but valid encodings).

use crate::algorithm::{self, ContentDigests, Digest, SigError};
use crate::ber::{self, Reader};
use crate::certificate::Cert;
use crate::chain::{self, Crl};
use crate::problem::Problem;
use crate::report::SignerReport;
use crate::tax_code;
use cms::signed_data::{SignerIdentifier, SignerInfo};
use der::asn1::ObjectIdentifier;
use der::{Any, Decode as _, Encode as _};
use std::cell::Cell;
use std::time::SystemTime;

const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const COUNTERSIGNATURE: &str = "1.2.840.113549.1.9.6";
const SIGNING_CERTIFICATE_V1: &str = "1.2.840.113549.1.9.16.2.12";
const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";

/// Countersignatures on countersignatures are followed this deep.
const MAX_COUNTERSIGNATURE_DEPTH: usize = 3;
/// Signers (countersigners included) checked per envelope layer or PDF signature; more is
/// reported as [`Problem::TooManySigners`] by the caller.
pub const MAX_SIGNERS: usize = 32;

/// What a signer is checked against.
#[derive(Debug)]
pub struct Context<'a> {
    /// Certificates of the envelope followed by the caller's intermediates.
    pub pool: &'a [&'a Cert],
    /// Trust anchors.
    pub anchors: &'a [Cert],
    /// CRLs (the caller's and the envelope's).
    pub crls: &'a [&'a Crl],
    /// Verification time.
    pub at: SystemTime,
    /// Signature checks left for path building (see [`chain::SIGNATURE_CHECK_BUDGET`]).
    pub budget: &'a Cell<usize>,
}

/// What the signature is over.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// The signed content; `None` for a detached signature given alone.
    pub content: Option<&'a [u8]>,
    /// eContentType OID (dotted); `None` for countersignatures, which carry no contentType.
    pub content_type: Option<&'a str>,
    /// The content's digests, computed once for all the signers of this content.
    pub digests: &'a ContentDigests,
}

/// Verifies the SignerInfo TLV `raw` and appends its report (and its countersigners') to `out`.
pub fn verify(
    raw: &[u8],
    signed: Signed<'_>,
    ctx: &Context<'_>,
    out: &mut Vec<SignerReport>,
    depth: usize,
) {
    let index = out.len();
    if index >= MAX_SIGNERS {
        return;
    }
    let (mut report, countersignatures) = verify_one(raw, signed, ctx);
    report.valid = report.problems.is_empty();
    out.push(report);
    if depth >= MAX_COUNTERSIGNATURE_DEPTH {
        return;
    }
    for (counter, signature_value) in countersignatures {
        let digests = ContentDigests::default();
        let counter_signed = Signed {
            content: Some(&signature_value),
            content_type: None,
            digests: &digests,
        };
        let before = out.len();
        verify(&counter, counter_signed, ctx, out, depth + 1);
        if let Some(r) = out.get_mut(before) {
            r.countersignature_of = Some(index);
        }
    }
}

type Countersignatures = Vec<(Vec<u8>, Vec<u8>)>;

fn verify_one(
    raw: &[u8],
    signed: Signed<'_>,
    ctx: &Context<'_>,
) -> (SignerReport, Countersignatures) {
    let mut report = SignerReport::default();
    let (Ok(info), Some(raw_attrs)) = (SignerInfo::from_der(raw), raw_signed_attributes(raw))
    else {
        report.problems.push(Problem::MalformedSignerInfo);
        return (report, Vec::new());
    };
    let p = &mut report.problems;

    // Algorithms.
    let digest_oid = info.digest_alg.oid.to_string();
    let digest = Digest::from_oid(&digest_oid);
    report.digest_algorithm = digest.map_or(digest_oid.clone(), |d| d.name().to_owned());
    let sig_params = info
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|a| a.to_der().ok());
    let sig_alg_oid = info.signature_algorithm.oid.to_string();
    let sig_alg = algorithm::signature_algorithm(&sig_alg_oid, sig_params.as_deref(), digest);
    report.signature_algorithm = sig_alg.as_ref().map_or(sig_alg_oid.clone(), |a| a.name());
    match digest {
        None => p.push(Problem::UnsupportedAlgorithm(digest_oid)),
        Some(Digest::Sha1) => p.push(Problem::Sha1NotAllowed),
        Some(_) => {}
    }
    match &sig_alg {
        Err(SigError::Unsupported(what)) => p.push(Problem::UnsupportedAlgorithm(what.clone())),
        Err(_) => p.push(Problem::UnsupportedAlgorithm(sig_alg_oid)),
        Ok(a) if a.digest == Digest::Sha1 && digest != Some(Digest::Sha1) => {
            p.push(Problem::Sha1NotAllowed)
        }
        Ok(_) => {}
    }

    // Signed attributes.
    let attrs = info.signed_attrs.as_ref();
    let attr = |oid: &str| {
        let oid = ObjectIdentifier::new(oid).ok()?;
        attrs?
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    report.signing_time = attr(SIGNING_TIME).and_then(time_text);
    if attrs.is_none() {
        p.push(Problem::MissingSignedAttributes);
    } else {
        if let Some(expected) = signed.content_type {
            match attr(CONTENT_TYPE).and_then(|v| v.decode_as::<ObjectIdentifier>().ok()) {
                None => p.push(Problem::MissingContentType),
                Some(oid) if oid.to_string() != expected => p.push(Problem::ContentTypeMismatch),
                Some(_) => {}
            }
        }
        match (attr(MESSAGE_DIGEST), signed.content, digest) {
            (None, _, _) => p.push(Problem::MissingMessageDigest),
            (Some(md), Some(content), Some(d))
                if md.value() != signed.digests.of(d, content).as_slice() =>
            {
                p.push(Problem::DigestMismatch);
            }
            _ => {}
        }
    }

    // The signer's certificate.
    let Some(cert) = find_certificate(&info.sid, ctx.pool) else {
        p.push(Problem::SignerCertificateNotFound);
        return (report, countersignatures(&info));
    };
    fill_certificate_fields(&mut report, cert);
    let p = &mut report.problems;

    if attrs.is_some() {
        match (attr(SIGNING_CERTIFICATE_V2), attr(SIGNING_CERTIFICATE_V1)) {
            (Some(v2), _) => {
                if !signing_certificate_v2_matches(v2, &cert.der) {
                    p.push(Problem::SigningCertificateMismatch);
                }
            }
            (None, Some(_)) => p.push(Problem::LegacySigningCertificate),
            (None, None) => p.push(Problem::MissingSigningCertificateV2),
        }
    }

    // The cryptographic signature.
    let signed_bytes: Option<Vec<u8>> = match raw_attrs {
        RawAttributes::Present(tlv) => {
            let mut bytes = tlv.to_vec();
            bytes[0] = ber::SET;
            Some(bytes)
        }
        RawAttributes::Absent => signed.content.map(<[u8]>::to_vec),
    };
    match cert.public_key() {
        Err(SigError::Unsupported(what)) => p.push(Problem::UnsupportedAlgorithm(what)),
        Err(_) => p.push(Problem::UnsupportedAlgorithm("public key".to_owned())),
        Ok(key) => {
            if let Some(bits) = key.rsa_bits().filter(|b| *b < 2048) {
                p.push(Problem::WeakRsaKey { bits });
            }
            if let (Ok(alg), Some(bytes)) = (&sig_alg, signed_bytes) {
                match key.verify(alg, &bytes, info.signature.as_bytes()) {
                    Ok(()) | Err(SigError::TooShort(_)) => {}
                    Err(SigError::Unsupported(what)) => p.push(Problem::UnsupportedAlgorithm(what)),
                    Err(_) => p.push(Problem::SignatureInvalid),
                }
            }
        }
    }

    // The certificate at the verification time.
    if !cert
        .key_usage()
        .is_some_and(|ku| ku.non_repudiation() || ku.digital_signature())
    {
        p.push(Problem::KeyUsage);
    }
    if ctx.at < cert.not_before() {
        p.push(Problem::CertificateNotYetValid);
    } else if ctx.at > cert.not_after() {
        p.push(Problem::CertificateExpired);
    }
    match chain::build_path(cert, ctx.pool, ctx.anchors, ctx.at, ctx.budget) {
        None => p.push(Problem::UntrustedChain),
        Some(path) => {
            report.path = path.iter().map(|c| c.der.clone()).collect();
            let p = &mut report.problems;
            if let Some(issuer) = path.first()
                && let Some(problem) = chain::check_revocation(cert, issuer, ctx.crls, ctx.at)
            {
                p.push(problem);
            }
        }
    }
    (report, countersignatures(&info))
}

/// Copies the certificate's identity into the report.
pub fn fill_certificate_fields(report: &mut SignerReport, cert: &Cert) {
    report.subject = cert.subject();
    report.issuer = cert.issuer();
    report.serial = cert.serial_hex();
    report.not_before = cert.not_before_string();
    report.not_after = cert.not_after_string();
    report.certificate_der = cert.der.clone();
    if let Some((cf, source)) = tax_code::extract(&cert.subject_attributes()) {
        report.tax_code = Some(cf);
        report.tax_code_source = Some(source);
    }
}

enum RawAttributes<'a> {
    Present(&'a [u8]),
    Absent,
}

/// The raw `[0] IMPLICIT SignedAttributes` TLV of a SignerInfo, if any.
fn raw_signed_attributes(raw: &[u8]) -> Option<RawAttributes<'_>> {
    let seq = Reader::new(raw).expect(ber::SEQUENCE).ok()?;
    let mut fields = seq.children();
    fields.read().ok()?; // version
    fields.read().ok()?; // sid
    fields.read().ok()?; // digestAlgorithm
    Some(match fields.read_optional(0xa0).ok()? {
        Some(tlv) => RawAttributes::Present(tlv.raw),
        None => RawAttributes::Absent,
    })
}

fn find_certificate<'a>(sid: &SignerIdentifier, pool: &[&'a Cert]) -> Option<&'a Cert> {
    let mut pool = pool.iter().copied();
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => pool.find(|c| {
            c.cert.tbs_certificate().issuer() == &isn.issuer
                && crate::certificate::serial_hex(c.serial_bytes())
                    == crate::certificate::serial_hex(isn.serial_number.as_bytes())
        }),
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            pool.find(|c| c.subject_key_id() == Some(ski.0.as_bytes()))
        }
    }
}

fn time_text(value: &Any) -> Option<String> {
    let der = value.to_der().ok()?;
    x509_cert::time::Time::from_der(&der)
        .ok()
        .map(|t| t.to_date_time().to_string())
}

/// ESS SigningCertificateV2: the first ESSCertIDv2 must hash the signer's certificate
/// (hashAlgorithm defaults to SHA-256).
fn signing_certificate_v2_matches(value: &Any, cert_der: &[u8]) -> bool {
    let Ok(der) = value.to_der() else {
        return false;
    };
    let first_id = Reader::new(&der)
        .expect(ber::SEQUENCE)
        .and_then(|s| s.children().expect(ber::SEQUENCE))
        .and_then(|certs| certs.children().expect(ber::SEQUENCE));
    let Ok(id) = first_id else {
        return false;
    };
    let mut fields = id.children();
    let digest = match fields.read_optional(ber::SEQUENCE) {
        Ok(Some(alg)) => {
            algorithm::algorithm_identifier(alg.value).and_then(|(oid, _)| Digest::from_oid(&oid))
        }
        Ok(None) => Some(Digest::Sha256),
        Err(_) => None,
    };
    match (digest, fields.expect(ber::OCTET_STRING)) {
        (Some(d), Ok(hash)) => d.hash(cert_der) == hash.value,
        _ => false,
    }
}

/// Countersignatures (unsigned attribute 1.2.840.113549.1.9.6): each SignerInfo with the
/// signature value it countersigns.
fn countersignatures(info: &SignerInfo) -> Countersignatures {
    let Ok(oid) = ObjectIdentifier::new(COUNTERSIGNATURE) else {
        return Vec::new();
    };
    info.unsigned_attrs
        .iter()
        .flat_map(|attrs| attrs.iter())
        .filter(|a| a.oid == oid)
        .flat_map(|a| a.values.iter())
        .filter_map(|v| v.to_der().ok())
        .map(|der| (der, info.signature.as_bytes().to_vec()))
        .collect()
}
