//! CMS SignedData envelopes (`.p7m`): wrappings, BER, nesting, signers of every layer.
//!
//! The framing (ContentInfo, SignedData, its SETs) is read with our own lenient TLV reader
//! after BER→DER normalisation, so the order of signers and certificates is the file's and
//! every signed structure is available as its original bytes. The typed views come from the
//! `cms` and `x509-cert` crates (SignerInfo, certificates, CRLs).

use crate::algorithm::ContentDigests;
use crate::ber::{self, Reader};
use crate::certificate::Cert;
use crate::chain::{self, Crl};
use crate::problem::Problem;
use crate::report::{Format, Report, SignerReport};
use crate::signer::{self, Context, Signed};
use crate::{NotASignature, VerifyOptions, wrapping};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

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

/// Base64 characters decoded to recognise a SignedData (24 bytes, more than its tag, longest
/// length and content-type OID).
const BASE64_PREFIX_CHARS: usize = 32;

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
pub fn unwrap_envelope(bytes: &[u8]) -> Option<(Cow<'_, [u8]>, bool)> {
    if looks_like_signed_data(bytes) {
        return Some((Cow::Borrowed(bytes), false));
    }
    if bytes.first() == Some(&ber::SEQUENCE) {
        return None;
    }
    // Bare base64 is decoded only when its first characters encode the start of a
    // SignedData: most contents (PDF, XML, text) are not base64, and a large base64 content
    // that is not an envelope need not be decoded either.
    if !wrapping::is_pem(bytes)
        && !wrapping::decode_base64_prefix(bytes, BASE64_PREFIX_CHARS)
            .is_some_and(|start| looks_like_signed_data(&start))
    {
        return None;
    }
    let der = wrapping::unwrap_text(bytes).filter(|d| looks_like_signed_data(d))?;
    let text_after = wrapping::is_pem(bytes) && wrapping::text_after_first_pem_block(bytes);
    Some((Cow::Owned(der), text_after))
}

/// The caller's trust material, parsed.
#[derive(Debug)]
pub struct TrustMaterial {
    /// Trust anchors.
    pub anchors: Vec<Cert>,
    /// Caller's intermediates.
    pub intermediates: Vec<Cert>,
    /// Caller's CRLs.
    pub crls: Vec<Crl>,
}

/// The options' DER entries and what they parsed to, kept from the previous verification on
/// this thread.
type CachedTrust = (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>, Rc<TrustMaterial>);

thread_local! {
    /// A service verifies every file against the same anchors (a whole trusted list, possibly
    /// hundreds of certificates): parsing them, and reading their keys, is done once and
    /// reused while the options' bytes are the same. Comparing the bytes costs far less than
    /// parsing them.
    static LAST_TRUST: RefCell<Option<CachedTrust>> = const { RefCell::new(None) };
}

/// Parsed trust material shared by every layer, and this verification's path budget.
#[derive(Debug)]
pub struct Trust {
    /// Anchors, intermediates and CRLs.
    pub material: Rc<TrustMaterial>,
    /// Signature checks left for path building in this verification.
    pub budget: Cell<usize>,
}

impl Trust {
    /// Parses the options (or reuses this thread's previous parse of the same bytes);
    /// unreadable entries are skipped.
    pub fn from_options(opts: &VerifyOptions) -> Self {
        let parse = || {
            Rc::new(TrustMaterial {
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
            })
        };
        // `try_with`: during the thread's teardown there is no cache, only parsing.
        let cached = LAST_TRUST.try_with(|cell| {
            let mut cached = cell.borrow_mut();
            if let Some((anchors, intermediates, crls, material)) = cached.as_ref()
                && *anchors == opts.trust_anchors
                && *intermediates == opts.intermediates
                && *crls == opts.crls
            {
                return Rc::clone(material);
            }
            let material = parse();
            *cached = Some((
                opts.trust_anchors.clone(),
                opts.intermediates.clone(),
                opts.crls.clone(),
                Rc::clone(&material),
            ));
            material
        });
        Self {
            material: cached.unwrap_or_else(|_| parse()),
            budget: Cell::new(chain::SIGNATURE_CHECK_BUDGET),
        }
    }
}

/// Verifies every signer of a SignedData over `content` (given when the envelope is detached,
/// as in PAdES) and returns their reports in file order, plus [`Problem::TooManySigners`]
/// when some were left unchecked.
/// `digests` keeps the digests of that content for the caller.
pub fn verify_signers(
    sd: &SignedData<'_>,
    content: Option<&[u8]>,
    digests: &ContentDigests,
    trust: &Trust,
    opts: &VerifyOptions,
) -> (Vec<SignerReport>, Option<Problem>) {
    let material = &*trust.material;
    let envelope_certs: Vec<Cert> = sd
        .certificates
        .iter()
        .take(MAX_ENVELOPE_ITEMS)
        .filter_map(|d| Cert::parse(d))
        .collect();
    let pool: Vec<&Cert> = envelope_certs
        .iter()
        .chain(&material.intermediates)
        .collect();
    let envelope_crls: Vec<Crl> = sd
        .crls
        .iter()
        .take(MAX_ENVELOPE_ITEMS)
        .filter_map(|d| Crl::parse(d))
        .collect();
    let crls: Vec<&Crl> = material.crls.iter().chain(&envelope_crls).collect();
    let ctx = Context {
        pool: &pool,
        anchors: &material.anchors,
        crls: &crls,
        at: opts.at,
        budget: &trust.budget,
    };
    let signed = Signed {
        content: content.or(sd.content),
        content_type: Some(&sd.content_type),
        digests,
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
    let mut content_sha256 = None;
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
        let Ok(der) = ber::normalise_borrowed(&current) else {
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
        let digests = ContentDigests::default();
        let (layer_signers, too_many) = verify_signers(&sd, None, &digests, &trust, opts);
        signers.extend(layer_signers);
        problems.extend(too_many);
        let inner = match sd.content {
            None => {
                problems.push(Problem::DetachedContent);
                break Vec::new();
            }
            Some(c) => match unwrap_envelope(c) {
                // Nested envelopes are rare: the inner one is copied out of this layer.
                Some((inner, inner_text_after)) => (inner.into_owned(), inner_text_after),
                None => {
                    content_sha256 = digests.sha256();
                    break c.to_vec();
                }
            },
        };
        current = Cow::Owned(inner.0);
        text_after = inner.1;
    };
    Ok(crate::finish_report(
        Format::Cades,
        layers,
        content,
        content_sha256,
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
