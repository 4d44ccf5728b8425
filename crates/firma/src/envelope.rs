//! CMS SignedData envelopes (`.p7m`): wrappings, BER, nesting, signers of every layer.
//!
//! The framing (ContentInfo, SignedData, its SETs) is read with our own lenient TLV reader
//! after BER→DER normalisation, so the order of signers and certificates is the file's and
//! every signed structure is available as its original bytes. The typed views come from the
//! `cms` and `x509-cert` crates (SignerInfo, certificates, CRLs).

use crate::ber::{self, Reader};
use crate::certificate::Cert;
use crate::chain::{self, Crl};
use crate::problem::Problem;
use crate::report::{Format, Report, SignerReport};
use crate::signer::{self, Context, Signed};
use crate::{NotASignature, VerifyOptions, wrapping};
use std::cell::Cell;

/// More layers than this is treated as hostile.
pub const MAX_LAYERS: usize = 8;
/// Certificates and CRLs read from one envelope at most.
const MAX_ENVELOPE_ITEMS: usize = 256;

/// DER of the OID 1.2.840.113549.1.7.2 (signedData), with its tag and length.
const SIGNED_DATA_OID: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];

/// The parts of a SignedData the verifier needs, as raw TLVs of the normalised envelope.
#[derive(Debug)]
pub struct SignedData<'a> {
    /// eContentType, dotted.
    pub content_type: String,
    /// eContent octets; `None` when detached.
    pub content: Option<&'a [u8]>,
    /// `certificates` entries that are X.509 certificates.
    pub certificates: Vec<&'a [u8]>,
    /// `crls` entries that are X.509 CRLs.
    pub crls: Vec<&'a [u8]>,
    /// SignerInfo TLVs, in file order.
    pub signer_infos: Vec<&'a [u8]>,
}

/// Does `bytes` start like a ContentInfo of type signedData? Only the first few octets are
/// looked at, so a truncated envelope still counts as one.
pub fn looks_like_signed_data(bytes: &[u8]) -> bool {
    if bytes.first() != Some(&ber::SEQUENCE) {
        return false;
    }
    let skip = match bytes.get(1) {
        Some(&l) if l <= 0x80 => 2,
        Some(&l) if l <= 0x84 => 2 + usize::from(l & 0x7f),
        _ => return false,
    };
    bytes.get(skip..skip + SIGNED_DATA_OID.len()) == Some(&SIGNED_DATA_OID[..])
}

/// Parses a DER ContentInfo holding a SignedData.
pub fn parse_signed_data(der: &[u8]) -> Result<SignedData<'_>, ber::BerError> {
    use ber::BerError::BadTag;
    let content_info = Reader::new(der).expect(ber::SEQUENCE)?;
    let mut ci = content_info.children();
    let oid = ci.expect(ber::OID)?;
    if oid.raw != SIGNED_DATA_OID {
        return Err(BadTag);
    }
    let explicit = ci.expect(0xa0)?;
    let signed_data = explicit.children().expect(ber::SEQUENCE)?;
    let mut sd = signed_data.children();
    sd.expect(ber::INTEGER)?; // version
    sd.expect(ber::SET)?; // digestAlgorithms
    let encap = sd.expect(ber::SEQUENCE)?;
    let mut ec = encap.children();
    let content_type = ber::oid_to_string(ec.expect(ber::OID)?.value).ok_or(BadTag)?;
    let content = match ec.read_optional(0xa0)? {
        None => None,
        Some(wrapper) => {
            let inner = wrapper.children().read()?;
            // id-data is an OCTET STRING; old PKCS#7 files may put the content directly.
            Some(if inner.tag == ber::OCTET_STRING {
                inner.value
            } else {
                inner.raw
            })
        }
    };
    let certificates = match sd.read_optional(0xa0)? {
        Some(set) => children(&set)?
            .into_iter()
            .filter(|t| t.tag == ber::SEQUENCE)
            .map(|t| t.raw)
            .collect(),
        None => Vec::new(),
    };
    let crls = match sd.read_optional(0xa1)? {
        Some(set) => children(&set)?
            .into_iter()
            .filter(|t| t.tag == ber::SEQUENCE)
            .map(|t| t.raw)
            .collect(),
        None => Vec::new(),
    };
    let signer_set = sd.expect(ber::SET)?;
    let signer_infos = children(&signer_set)?.into_iter().map(|t| t.raw).collect();
    Ok(SignedData {
        content_type,
        content,
        certificates,
        crls,
        signer_infos,
    })
}

fn children<'a>(tlv: &ber::Tlv<'a>) -> Result<Vec<ber::Tlv<'a>>, ber::BerError> {
    let mut r = tlv.children();
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(r.read()?);
    }
    Ok(out)
}

/// The binary envelope inside `bytes`: itself when it starts like one, else its PEM or
/// base64 decoding when that does. The flag says that text follows the PEM block (text after
/// it, or another block), which no signature covers.
pub fn unwrap_envelope(bytes: &[u8]) -> Option<(Vec<u8>, bool)> {
    if looks_like_signed_data(bytes) {
        return Some((bytes.to_vec(), false));
    }
    if bytes.first() == Some(&ber::SEQUENCE) {
        return None;
    }
    let der = wrapping::unwrap_text(bytes).filter(|d| looks_like_signed_data(d))?;
    let text_after = wrapping::is_pem(bytes) && wrapping::text_after_first_pem_block(bytes);
    Some((der, text_after))
}

/// Parsed trust material shared by every layer.
#[derive(Debug)]
pub struct Trust {
    /// Trust anchors.
    pub anchors: Vec<Cert>,
    /// Caller's intermediates.
    pub intermediates: Vec<Cert>,
    /// Caller's CRLs.
    pub crls: Vec<Crl>,
    /// Signature checks left for path building in this verification.
    pub budget: Cell<usize>,
}

impl Trust {
    /// Parses the options; unreadable entries are skipped.
    pub fn from_options(opts: &VerifyOptions) -> Self {
        Self {
            anchors: opts
                .trust_anchors
                .iter()
                .filter_map(|d| Cert::parse(d))
                .collect(),
            intermediates: opts
                .intermediates
                .iter()
                .filter_map(|d| Cert::parse(d))
                .collect(),
            crls: opts.crls.iter().filter_map(|d| Crl::parse(d)).collect(),
            budget: Cell::new(chain::SIGNATURE_CHECK_BUDGET),
        }
    }
}

/// Verifies every signer of a SignedData over `content` (given when the envelope is detached,
/// as in PAdES) and returns their reports in file order, plus [`Problem::TooManySigners`]
/// when some were left unchecked.
pub fn verify_signers(
    sd: &SignedData<'_>,
    content: Option<&[u8]>,
    trust: &Trust,
    opts: &VerifyOptions,
) -> (Vec<SignerReport>, Option<Problem>) {
    let mut pool: Vec<Cert> = sd
        .certificates
        .iter()
        .take(MAX_ENVELOPE_ITEMS)
        .filter_map(|d| Cert::parse(d))
        .collect();
    pool.extend(trust.intermediates.iter().cloned());
    let mut crls = trust.crls.clone();
    crls.extend(
        sd.crls
            .iter()
            .take(MAX_ENVELOPE_ITEMS)
            .filter_map(|d| Crl::parse(d)),
    );
    let ctx = Context {
        pool: &pool,
        anchors: &trust.anchors,
        crls: &crls,
        at: opts.at,
        budget: &trust.budget,
    };
    let signed = Signed {
        content: content.or(sd.content),
        content_type: Some(&sd.content_type),
    };
    let mut out = Vec::new();
    let mut truncated = false;
    for raw in &sd.signer_infos {
        if out.len() >= signer::MAX_SIGNERS {
            truncated = true;
            break;
        }
        signer::verify(raw, signed, &ctx, &mut out, 0);
    }
    (out, truncated.then_some(Problem::TooManySigners))
}

/// Verifies a CAdES envelope (possibly wrapped in text and nested).
pub fn verify(input: &[u8], opts: &VerifyOptions) -> Result<Report, NotASignature> {
    let (mut current, mut text_after) = unwrap_envelope(input).ok_or(NotASignature)?;
    let trust = Trust::from_options(opts);
    let mut signers = Vec::new();
    let mut problems = Vec::new();
    let mut layers = 0;
    let content = loop {
        if layers == MAX_LAYERS {
            problems.push(Problem::NestingTooDeep);
            break Vec::new();
        }
        layers += 1;
        // Whatever follows the envelope (or its PEM block) is covered by no signature: the
        // file is more than what was signed.
        let trailing = match ber::element_len(&current) {
            Ok(used) => used < current.len(),
            Err(_) => false,
        };
        if (trailing || text_after) && !problems.contains(&Problem::TrailingData) {
            problems.push(Problem::TrailingData);
        }
        let Ok(der) = ber::normalise(&current) else {
            problems.push(Problem::MalformedEnvelope);
            break Vec::new();
        };
        let Ok(sd) = parse_signed_data(&der) else {
            problems.push(Problem::MalformedEnvelope);
            break Vec::new();
        };
        if sd.signer_infos.is_empty() {
            problems.push(Problem::NoSigners);
        }
        let (layer_signers, too_many) = verify_signers(&sd, None, &trust, opts);
        signers.extend(layer_signers);
        problems.extend(too_many);
        match sd.content {
            None => {
                problems.push(Problem::DetachedContent);
                break Vec::new();
            }
            Some(c) => match unwrap_envelope(c) {
                Some((inner, inner_text_after)) => {
                    current = inner;
                    text_after = inner_text_after;
                }
                None => break c.to_vec(),
            },
        }
    };
    Ok(crate::finish_report(
        Format::Cades,
        layers,
        content,
        signers,
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_data_prefix_is_recognised_even_when_truncated() {
        let mut prefix = vec![0x30, 0x80];
        prefix.extend_from_slice(&SIGNED_DATA_OID);
        assert!(looks_like_signed_data(&prefix));
        assert!(!looks_like_signed_data(b"%PDF-1.7"));
        assert!(!looks_like_signed_data(&[0x30, 0x03, 0x02, 0x01, 0x00]));
    }
}
