//! Verification of CAdES (`.p7m`) and PAdES signatures under Italian rules.
//!
//! Bytes in, report out: no I/O, no clock (the caller passes the verification time), no
//! knowledge of the application. [`verify`] takes a `.p7m` (DER, BER, base64 with or without
//! PEM header, nested `.p7m.p7m`) or a signed PDF and returns a [`Report`] with one
//! [`SignerReport`] per signer; [`Report::to_contract_json`] gives the JSON the CLI prints.
//!
//! # Policy
//! A signer is valid when all of these hold (each failure is a [`Problem`] with a stable code):
//! - CAdES-BES: signed attributes with `contentType`, `messageDigest` matching the content, and
//!   `signing-certificate-v2` (RFC 5035) hashing the signer's certificate; the legacy v1
//!   attribute alone is not enough. Unknown signed attributes are ignored (Delib. CNIPA 45/2009
//!   art. 21 c.7).
//! - Digest SHA-256, SHA-384 or SHA-512; SHA-1 is refused (DigitPA 69/2010, from 30 June 2011).
//! - RSA (PKCS#1 v1.5 or PSS) with at least 2048 bits, or ECDSA on P-256 / P-384.
//! - The certificate's keyUsage includes nonRepudiation or digitalSignature, it is valid at the
//!   verification time, it chains to a configured trust anchor through the envelope's
//!   certificates and the given intermediates, and it is not in a given CRL of its issuer
//!   whose signature verifies.
//! - The content is attached: a detached `.p7m` alone is reported as `detached_content`.
//! - Nothing follows the envelope: bytes after its end (or its BER end-of-contents), inside its
//!   base64 or PEM wrapping after it, text or another block after the PEM block, or bytes after
//!   an inner envelope of a `.p7m.p7m` are `trailing_data`, so a verified file is exactly what
//!   was signed.
//! - PAdES: the `/ByteRange` starts at 0 and covers the whole revision except exactly the
//!   `/Contents` string; data after the last signed revision is `pdf_modified_after_signing`
//!   on the signature that no longer covers the file.
//!
//! # Traps handled
//! - BER (indefinite lengths, chunked OCTET STRINGs) from Italian tools: the `ber` module
//!   normalises the framing to DER while copying DER elements unchanged.
//! - Signed bytes are never re-encoded: the signature over the signed attributes is checked on
//!   their raw TLV with the `[0]` tag replaced by `SET OF` (0x31), and certificate signatures
//!   on the raw TBSCertificate.
//! - Signers are matched by `sid` (issuerAndSerialNumber or subjectKeyIdentifier).
//! - keyUsage is checked here (generic path validators do not).
//! - Path building is our own: `rustls-webpki` is made for TLS (it insists on an extended key
//!   usage for the leaf and has no document-signing purpose). Signer paths are short (leaf, one
//!   or two CAs, anchor), so a bounded depth-first search over the certificates at hand is
//!   enough.
//!
//! # Speed
//! Public-key operations go to `ring` (assembly-optimised) for every parameter set it offers;
//! the rest (RSA-PSS with a salt
//! other than the digest length or with SHA-1, PKCS#1 v1.5 SHA-384 under 2048 bits, ECDSA with
//! SHA-1 or SHA-512, compressed points) stays on the pure-Rust RustCrypto crates, and tests
//! check both paths on OpenSSL's signatures. The content is hashed once (the report's SHA-256
//! reuses the messageDigest check's), a DER envelope is read in place, each certificate is parsed
//! once per call with its key read once, and per thread the parsed trust material of the
//! previous call and the CA-certificate signatures already verified (exact bytes) are kept:
//! memory is one set of trust material and at most 64 certificate pairs per thread that
//! verifies. `BENCHMARKS.md` has the figures.
//!
//! # Limits
//! Never panics on any input (fuzzed). Nesting is limited to 8 envelope layers, TLV depth to
//! 48, signers to 32 per envelope (more is `too_many_signers`), path building to a budget of
//! signature checks, inputs to [`MAX_INPUT`] bytes.
//!
//! `authentication` (a smart card's TLS client certificate judged for a login), `tax_code`
//! (codice fiscale checks and extraction), `tsl` (EU trusted lists) and
//! `revocation` (OCSP requests and responses, CRLs: built and judged here, fetched by the caller)
//! are public because the application needs them too.

mod algorithm;
pub mod authentication;
mod ber;
mod certificate;
mod chain;
mod envelope;
mod pades;
mod problem;
mod report;
pub mod revocation;
mod signer;
pub mod tax_code;
pub mod tsl;
mod wrapping;

pub use problem::{Lang, Problem};
pub use report::{Format, Report, SignerReport};

use certificate::Cert;
use std::time::SystemTime;

/// Largest input accepted (256 MiB); larger inputs are reported as malformed.
pub const MAX_INPUT: usize = 256 * 1024 * 1024;

/// What to verify against.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Trusted root (or other anchor) certificates, DER.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Extra intermediate CA certificates, DER (used only to build paths).
    pub intermediates: Vec<Vec<u8>>,
    /// CRLs, DER.
    pub crls: Vec<Vec<u8>>,
    /// Verification time.
    pub at: SystemTime,
}

/// The input is not a signature file at all (neither a CMS SignedData, in any wrapping, nor
/// a PDF with a signature dictionary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotASignature;

impl std::fmt::Display for NotASignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a signed file (neither a CMS SignedData nor a signed PDF)")
    }
}

impl std::error::Error for NotASignature {}

/// Verifies a `.p7m` or a signed PDF. `Err` only when the input is not a signature file; an
/// input that starts like one but whose envelope cannot be read is a report with
/// [`Report::unreadable`] true.
pub fn verify(input: &[u8], opts: &VerifyOptions) -> Result<Report, NotASignature> {
    if input.len() > MAX_INPUT {
        let problems = vec![Problem::MalformedEnvelope];
        let format = if pades::is_pdf(input) {
            Format::Pades
        } else {
            Format::Cades
        };
        return Ok(finish_report(
            format,
            0,
            Vec::new(),
            None,
            Vec::new(),
            problems,
        ));
    }
    if pades::is_pdf(input) {
        return pades::verify(input, opts);
    }
    envelope::verify(input, opts)
}

/// Builds the report and its overall verdict. `content_sha256` is the content's SHA-256 when
/// the caller has it already (computed for a signer's messageDigest).
pub(crate) fn finish_report(
    format: Format,
    layers: usize,
    content: Vec<u8>,
    content_sha256: Option<Vec<u8>>,
    signers: Vec<SignerReport>,
    problems: Vec<Problem>,
) -> Report {
    let valid = problems.is_empty() && !signers.is_empty() && signers.iter().all(|s| s.valid);
    Report {
        valid,
        format,
        layers,
        content_sha256: certificate::hex(
            &content_sha256.unwrap_or_else(|| algorithm::Digest::Sha256.hash(&content)),
        ),
        content,
        signers,
        problems,
    }
}

/// Why trust material could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustFileError {
    /// No certificate (or CRL) found in the input.
    Empty,
    /// An entry that is not a valid certificate or CRL (its 0-based position).
    Invalid(usize),
}

impl std::fmt::Display for TrustFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("no certificate or CRL found"),
            Self::Invalid(i) => write!(f, "entry {} is not a valid certificate or CRL", i + 1),
        }
    }
}

impl std::error::Error for TrustFileError {}

fn der_entries(pem_or_der: &[u8], labels: &[&str]) -> Vec<Vec<u8>> {
    if wrapping::is_pem(pem_or_der) {
        wrapping::pem_blocks(pem_or_der)
            .into_iter()
            .filter(|b| labels.contains(&b.label.as_str()))
            .map(|b| b.der)
            .collect()
    } else if pem_or_der.is_empty() {
        Vec::new()
    } else {
        vec![pem_or_der.to_vec()]
    }
}

/// Certificates from PEM (one or more `CERTIFICATE` blocks) or a single DER certificate.
pub fn parse_certificates(pem_or_der: &[u8]) -> Result<Vec<Vec<u8>>, TrustFileError> {
    let entries = der_entries(pem_or_der, &["CERTIFICATE", "TRUSTED CERTIFICATE"]);
    if entries.is_empty() {
        return Err(TrustFileError::Empty);
    }
    for (i, der) in entries.iter().enumerate() {
        if Cert::parse(der).is_none() {
            return Err(TrustFileError::Invalid(i));
        }
    }
    Ok(entries)
}

/// CRLs from PEM (one or more `X509 CRL` blocks) or a single DER CRL.
pub fn parse_crl(pem_or_der: &[u8]) -> Result<Vec<Vec<u8>>, TrustFileError> {
    let entries = der_entries(pem_or_der, &["X509 CRL"]);
    if entries.is_empty() {
        return Err(TrustFileError::Empty);
    }
    for (i, der) in entries.iter().enumerate() {
        if chain::Crl::parse(der).is_none() {
            return Err(TrustFileError::Invalid(i));
        }
    }
    Ok(entries)
}

/// A certificate described for a trust-store listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertSummary {
    /// Subject, RFC 4514 style.
    pub subject: String,
    /// Issuer, RFC 4514 style.
    pub issuer: String,
    /// Serial, lowercase hex.
    pub serial: String,
    /// Validity start, RFC 3339 UTC.
    pub not_before: String,
    /// Validity end, RFC 3339 UTC.
    pub not_after: String,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256_fingerprint: String,
    /// basicConstraints cA.
    pub is_ca: bool,
}

/// Describes a DER certificate; `None` when it cannot be parsed.
pub fn certificate_summary(der: &[u8]) -> Option<CertSummary> {
    let cert = Cert::parse(der)?;
    Some(CertSummary {
        subject: cert.subject(),
        issuer: cert.issuer(),
        serial: cert.serial_hex(),
        not_before: cert.not_before_string(),
        not_after: cert.not_after_string(),
        sha256_fingerprint: cert.sha256_hex(),
        is_ca: cert.is_ca(),
    })
}

/// The holder's name as people read it: the common name, else given name and surname, else
/// the whole subject; `None` when the certificate cannot be read.
pub fn holder_name(der: &[u8]) -> Option<String> {
    let cert = Cert::parse(der)?;
    let attributes = cert.subject_attributes();
    let find = |oid: &str| {
        attributes
            .iter()
            .find(|(o, v)| o == oid && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    if let Some(cn) = find("2.5.4.3") {
        return Some(cn);
    }
    match (find("2.5.4.42"), find("2.5.4.4")) {
        (Some(given), Some(surname)) => Some(format!("{given} {surname}")),
        _ => Some(cert.subject()),
    }
}
