//! The verification report and its JSON contract.
//!
//! The contract (printed by the CLI, read by other tools) is exactly:
//! `{"valid", "format", "layers", "content_sha256", "signers": [{"subject", "tax_code",
//! "issuer", "serial", "signing_time", "valid", "problems"}], "problems"}`, with problems as
//! sentences in the chosen language. `Serialize` writes that contract in Italian.

use crate::problem::{Lang, Problem};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// Kind of signed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CMS envelope (`.p7m`), CAdES.
    Cades,
    /// Signatures inside a PDF.
    Pades,
}

impl Format {
    /// Name used in the contract: `CAdES` or `PAdES`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cades => "CAdES",
            Self::Pades => "PAdES",
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Report {
    /// True when there is at least one signer, every signer is valid and there is no
    /// envelope problem.
    pub valid: bool,
    /// CAdES or PAdES.
    pub format: Format,
    /// Nested CMS envelopes unwrapped (1 for a plain `.p7m`; 1 for a PDF).
    pub layers: usize,
    /// Innermost signed content; for PAdES the bytes of the last signed revision.
    pub content: Vec<u8>,
    /// SHA-256 of `content`, lowercase hex.
    pub content_sha256: String,
    /// Every signer of every layer, outermost layer first (PAdES: in file order);
    /// countersigners follow the signer they countersign.
    pub signers: Vec<SignerReport>,
    /// Problems of the envelope or file as a whole.
    pub problems: Vec<Problem>,
}

/// The outcome for one signer.
#[derive(Debug, Clone, Default)]
pub struct SignerReport {
    /// Certificate subject, RFC 4514 style (empty when the certificate was not found).
    pub subject: String,
    /// Holder's codice fiscale, when the certificate carries a valid one.
    pub tax_code: Option<String>,
    /// Where the tax code was found: `serialNumber`, `commonName`, `dnQualifier` or `subject`.
    pub tax_code_source: Option<&'static str>,
    /// Certificate issuer, RFC 4514 style.
    pub issuer: String,
    /// Certificate serial number, lowercase hex.
    pub serial: String,
    /// Claimed signing time (signingTime attribute, or PDF `/M`), RFC 3339 UTC.
    pub signing_time: Option<String>,
    /// Digest algorithm name (or OID when unknown).
    pub digest_algorithm: String,
    /// Signature algorithm name (or OID when unknown).
    pub signature_algorithm: String,
    /// Certificate validity start, RFC 3339 UTC.
    pub not_before: String,
    /// Certificate validity end, RFC 3339 UTC.
    pub not_after: String,
    /// Signer's certificate (DER), empty when not found.
    pub certificate_der: Vec<u8>,
    /// The certificates above the signer's on the path to the trust anchor (DER), nearest
    /// first and ending with the anchor; empty when no path was found. Revocation is checked
    /// along it (see [`crate::revocation`]).
    pub path: Vec<Vec<u8>>,
    /// Index in `Report::signers` of the signer this one countersigns.
    pub countersignature_of: Option<usize>,
    /// PAdES: the signature's `/ByteRange` (offset, length, offset, length), when all four are
    /// offsets inside the file; `None` for CAdES. [`Report::signs_document`] reads it.
    pub byte_range: Option<[usize; 4]>,
    /// True when `problems` is empty.
    pub valid: bool,
    /// Every reason why this signature is not valid.
    pub problems: Vec<Problem>,
}

impl SignerReport {
    /// The contract JSON object of this signer.
    pub fn to_contract_json(&self, lang: Lang) -> Value {
        json!({
            "subject": self.subject,
            "tax_code": self.tax_code,
            "issuer": self.issuer,
            "serial": self.serial,
            "signing_time": self.signing_time,
            "valid": self.valid,
            "problems": messages(&self.problems, lang),
        })
    }

    /// Problem codes, in order (handy for logs and tests).
    pub fn problem_codes(&self) -> Vec<&'static str> {
        self.problems.iter().map(Problem::code).collect()
    }
}

fn messages(problems: &[Problem], lang: Lang) -> Vec<String> {
    problems.iter().map(|p| p.message(lang)).collect()
}

impl Report {
    /// Whether `signer`'s signature in `signed_file` (the file this report is about) signs
    /// exactly `prepared`, a document made before signing. CAdES: the signed content is
    /// `prepared` (same SHA-256). PAdES: `prepared` is what the signature covers before its
    /// own signature value — either the signed file starts with `prepared` and the signature
    /// was appended after it (an incremental update), or the signature value was written into
    /// a placeholder `prepared` already had and every other byte is the same. Changes made by
    /// the signing tool in its own incremental update are not analysed (see the module
    /// documentation of PAdES: no DocMDP).
    pub fn signs_document(
        &self,
        signer: &SignerReport,
        signed_file: &[u8],
        prepared: &[u8],
    ) -> bool {
        match self.format {
            Format::Cades => {
                crate::certificate::hex(&crate::algorithm::Digest::Sha256.hash(prepared))
                    == self.content_sha256
            }
            Format::Pades => signer
                .byte_range
                .is_some_and(|range| crate::pades::covers_prepared(signed_file, range, prepared)),
        }
    }

    /// The contract JSON with problem sentences in `lang`.
    pub fn to_contract_json(&self, lang: Lang) -> Value {
        json!({
            "valid": self.valid,
            "format": self.format.as_str(),
            "layers": self.layers,
            "content_sha256": self.content_sha256,
            "signers": self.signers.iter().map(|s| s.to_contract_json(lang)).collect::<Vec<_>>(),
            "problems": messages(&self.problems, lang),
        })
    }

    /// Envelope problem codes, in order.
    pub fn problem_codes(&self) -> Vec<&'static str> {
        self.problems.iter().map(Problem::code).collect()
    }

    /// True when the input starts like a signature file but its outermost envelope cannot be
    /// read at all (truncated, damaged framing, or too large): there is no signature to judge.
    /// A readable envelope whose signatures are not valid (or an inner layer that is damaged
    /// under a readable outer one) is not this: it is a signature file that is not valid.
    pub fn unreadable(&self) -> bool {
        self.signers.is_empty()
            && self.layers <= 1
            && self.problems.contains(&Problem::MalformedEnvelope)
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_contract_json(Lang::It).serialize(serializer)
    }
}

impl Serialize for SignerReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_contract_json(Lang::It).serialize(serializer)
    }
}
