//! Why a signature or an envelope is not valid.
//!
//! Every problem has a stable snake_case [`Problem::code`] (for machines, logs and tests) and a
//! plain-word sentence in Italian and English (for people). Codes never change meaning; add a
//! new variant instead.

use std::fmt;

/// Language of the problem sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Italian (the default).
    #[default]
    It,
    /// English.
    En,
}

/// One reason why a signature, a signer or an envelope is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    // --- envelope ---
    /// The envelope is damaged or truncated and cannot be read.
    MalformedEnvelope,
    /// The envelope does not contain the signed document (a detached signature given alone).
    DetachedContent,
    /// More nested envelopes than the verifier accepts.
    NestingTooDeep,
    /// The envelope has no signer at all.
    NoSigners,
    /// More signers than the verifier checks in one envelope; the rest were not checked.
    TooManySigners,
    /// Bytes follow the signed envelope (after its end, inside its base64 or PEM wrapping, or
    /// after an inner envelope): they are not covered by any signature.
    TrailingData,
    // --- signer ---
    /// A SignerInfo that cannot be read.
    MalformedSignerInfo,
    /// The signer's certificate is not in the envelope nor among the given intermediates.
    SignerCertificateNotFound,
    /// No signed attributes: not CAdES.
    MissingSignedAttributes,
    /// The contentType signed attribute is missing.
    MissingContentType,
    /// The contentType signed attribute differs from the envelope's content type.
    ContentTypeMismatch,
    /// The messageDigest signed attribute is missing.
    MissingMessageDigest,
    /// The document's digest differs from the signed one: the document was changed.
    DigestMismatch,
    /// No ESS signing-certificate-v2 attribute (CAdES-BES requires it).
    MissingSigningCertificateV2,
    /// Only the legacy ESS signing-certificate (v1, SHA-1) attribute is present.
    LegacySigningCertificate,
    /// The signing-certificate-v2 hash does not match the signer's certificate.
    SigningCertificateMismatch,
    /// SHA-1 is not allowed (DigitPA 69/2010, since 30 June 2011).
    Sha1NotAllowed,
    /// An algorithm this verifier does not support or allow (dotted OID or name).
    UnsupportedAlgorithm(String),
    /// An RSA key shorter than 2048 bits.
    WeakRsaKey {
        /// Modulus size in bits.
        bits: usize,
    },
    /// The cryptographic signature does not verify.
    SignatureInvalid,
    /// The certificate's keyUsage allows neither nonRepudiation nor digitalSignature.
    KeyUsage,
    /// The certificate had expired at the verification time.
    CertificateExpired,
    /// The certificate was not yet valid at the verification time.
    CertificateNotYetValid,
    /// The certificate does not chain to a configured trust anchor.
    UntrustedChain,
    /// The certificate is listed in its issuer's CRL.
    Revoked {
        /// Revocation date (RFC 3339, UTC).
        date: String,
    },
    /// A CRL for the issuer was given but its signature does not verify.
    CrlSignatureInvalid,
    // --- PAdES ---
    /// The /ByteRange does not start at 0 or leaves out more than the /Contents string.
    PdfByteRangeIncomplete,
    /// The PDF was changed after this signature (data after the signed revision).
    PdfModifiedAfterSigning,
    /// A /SubFilter other than ETSI.CAdES.detached and adbe.pkcs7.detached.
    PdfUnsupportedSubFilter(String),
    /// A signature dictionary whose /Contents is not a readable CMS signature.
    PdfSignatureMalformed,
}

impl Problem {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedEnvelope => "malformed_envelope",
            Self::DetachedContent => "detached_content",
            Self::NestingTooDeep => "nesting_too_deep",
            Self::NoSigners => "no_signers",
            Self::TooManySigners => "too_many_signers",
            Self::TrailingData => "trailing_data",
            Self::MalformedSignerInfo => "malformed_signer_info",
            Self::SignerCertificateNotFound => "signer_certificate_not_found",
            Self::MissingSignedAttributes => "missing_signed_attributes",
            Self::MissingContentType => "missing_content_type",
            Self::ContentTypeMismatch => "content_type_mismatch",
            Self::MissingMessageDigest => "missing_message_digest",
            Self::DigestMismatch => "digest_mismatch",
            Self::MissingSigningCertificateV2 => "missing_signing_certificate_v2",
            Self::LegacySigningCertificate => "legacy_signing_certificate",
            Self::SigningCertificateMismatch => "signing_certificate_mismatch",
            Self::Sha1NotAllowed => "sha1_not_allowed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::WeakRsaKey { .. } => "weak_rsa_key",
            Self::SignatureInvalid => "signature_invalid",
            Self::KeyUsage => "key_usage",
            Self::CertificateExpired => "certificate_expired",
            Self::CertificateNotYetValid => "certificate_not_yet_valid",
            Self::UntrustedChain => "untrusted_chain",
            Self::Revoked { .. } => "revoked",
            Self::CrlSignatureInvalid => "crl_signature_invalid",
            Self::PdfByteRangeIncomplete => "pdf_byte_range_incomplete",
            Self::PdfModifiedAfterSigning => "pdf_modified_after_signing",
            Self::PdfUnsupportedSubFilter(_) => "pdf_unsupported_sub_filter",
            Self::PdfSignatureMalformed => "pdf_signature_malformed",
        }
    }

    /// The sentence in the given language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::It => self.message_it(),
            Lang::En => self.message_en(),
        }
    }

    /// Plain-word sentence in Italian.
    pub fn message_it(&self) -> String {
        match self {
            Self::MalformedEnvelope => "La busta firmata è danneggiata o incompleta e non si può leggere.".into(),
            Self::DetachedContent => "La busta non contiene il documento firmato (firma separata): da sola non si può verificare.".into(),
            Self::NestingTooDeep => "Ci sono troppe buste firmate una dentro l'altra.".into(),
            Self::NoSigners => "La busta non contiene nessuna firma.".into(),
            Self::TooManySigners => {
                "La busta contiene troppe firme: non sono state verificate tutte.".into()
            }
            Self::TrailingData => "Dopo la busta firmata ci sono altri dati, non coperti da nessuna firma: il file non contiene solo il documento firmato.".into(),
            Self::MalformedSignerInfo => "I dati di una firma sono danneggiati e non si possono leggere.".into(),
            Self::SignerCertificateNotFound => "Il certificato del firmatario non è presente nella busta.".into(),
            Self::MissingSignedAttributes => "La firma non ha attributi firmati: non è una firma CAdES.".into(),
            Self::MissingContentType => "Manca l'attributo firmato con il tipo di contenuto.".into(),
            Self::ContentTypeMismatch => "Il tipo di contenuto firmato non corrisponde a quello della busta.".into(),
            Self::MissingMessageDigest => "Manca l'impronta del documento tra gli attributi firmati.".into(),
            Self::DigestMismatch => "Il documento è stato modificato dopo la firma: l'impronta non corrisponde.".into(),
            Self::MissingSigningCertificateV2 => "Manca l'attributo signing-certificate-v2 richiesto dalle firme CAdES.".into(),
            Self::LegacySigningCertificate => "La firma usa il vecchio attributo signing-certificate (v1, SHA-1) invece di signing-certificate-v2.".into(),
            Self::SigningCertificateMismatch => "L'attributo signing-certificate-v2 non corrisponde al certificato del firmatario.".into(),
            Self::Sha1NotAllowed => "La firma usa SHA-1, non più ammesso dalle regole italiane dal 2011 (DigitPA 69/2010).".into(),
            Self::UnsupportedAlgorithm(a) => format!("Algoritmo non supportato o non ammesso: {a}."),
            Self::WeakRsaKey { bits } => format!("La chiave RSA del firmatario è troppo corta ({bits} bit; servono almeno 2048 bit)."),
            Self::SignatureInvalid => "La firma non corrisponde: i dati firmati o la firma sono stati alterati.".into(),
            Self::KeyUsage => "Il certificato non è abilitato alla firma (keyUsage senza nonRepudiation né digitalSignature).".into(),
            Self::CertificateExpired => "Il certificato del firmatario era scaduto alla data di verifica.".into(),
            Self::CertificateNotYetValid => "Il certificato del firmatario non era ancora valido alla data di verifica.".into(),
            Self::UntrustedChain => "Il certificato non è stato emesso da un certificatore riconosciuto come attendibile.".into(),
            Self::Revoked { date } => format!("Il certificato del firmatario è stato revocato il {date}."),
            Self::CrlSignatureInvalid => "La lista di revoca (CRL) del certificatore non ha una firma valida.".into(),
            Self::PdfByteRangeIncomplete => "La firma del PDF non copre tutto il file (ByteRange incompleto).".into(),
            Self::PdfModifiedAfterSigning => "Il PDF è stato modificato dopo questa firma.".into(),
            Self::PdfUnsupportedSubFilter(s) => format!("Tipo di firma PDF non supportato: {s}."),
            Self::PdfSignatureMalformed => "Una firma nel PDF è danneggiata e non si può leggere.".into(),
        }
    }

    /// Plain-word sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            Self::MalformedEnvelope => "The signed envelope is damaged or incomplete and cannot be read.".into(),
            Self::DetachedContent => "The envelope does not contain the signed document (detached signature): it cannot be verified alone.".into(),
            Self::NestingTooDeep => "There are too many signed envelopes inside one another.".into(),
            Self::NoSigners => "The envelope contains no signature.".into(),
            Self::TooManySigners => {
                "The envelope contains too many signatures: not all of them were checked.".into()
            }
            Self::TrailingData => "There are more data after the signed envelope, not covered by any signature: the file is not only the signed document.".into(),
            Self::MalformedSignerInfo => "The data of a signature are damaged and cannot be read.".into(),
            Self::SignerCertificateNotFound => "The signer's certificate is not in the envelope.".into(),
            Self::MissingSignedAttributes => "The signature has no signed attributes: it is not a CAdES signature.".into(),
            Self::MissingContentType => "The signed content-type attribute is missing.".into(),
            Self::ContentTypeMismatch => "The signed content type does not match the envelope's.".into(),
            Self::MissingMessageDigest => "The document digest is missing from the signed attributes.".into(),
            Self::DigestMismatch => "The document was changed after signing: its digest does not match.".into(),
            Self::MissingSigningCertificateV2 => "The signing-certificate-v2 attribute required by CAdES is missing.".into(),
            Self::LegacySigningCertificate => "The signature uses the old signing-certificate attribute (v1, SHA-1) instead of signing-certificate-v2.".into(),
            Self::SigningCertificateMismatch => "The signing-certificate-v2 attribute does not match the signer's certificate.".into(),
            Self::Sha1NotAllowed => "The signature uses SHA-1, not allowed by Italian rules since 2011 (DigitPA 69/2010).".into(),
            Self::UnsupportedAlgorithm(a) => format!("Unsupported or not allowed algorithm: {a}."),
            Self::WeakRsaKey { bits } => format!("The signer's RSA key is too short ({bits} bits; at least 2048 are required)."),
            Self::SignatureInvalid => "The signature does not match: the signed data or the signature were altered.".into(),
            Self::KeyUsage => "The certificate is not enabled for signing (keyUsage has neither nonRepudiation nor digitalSignature).".into(),
            Self::CertificateExpired => "The signer's certificate had expired at the verification time.".into(),
            Self::CertificateNotYetValid => "The signer's certificate was not yet valid at the verification time.".into(),
            Self::UntrustedChain => "The certificate was not issued by a trusted certification authority.".into(),
            Self::Revoked { date } => format!("The signer's certificate was revoked on {date}."),
            Self::CrlSignatureInvalid => "The issuer's revocation list (CRL) does not have a valid signature.".into(),
            Self::PdfByteRangeIncomplete => "The PDF signature does not cover the whole file (incomplete ByteRange).".into(),
            Self::PdfModifiedAfterSigning => "The PDF was changed after this signature.".into(),
            Self::PdfUnsupportedSubFilter(s) => format!("Unsupported PDF signature type: {s}."),
            Self::PdfSignatureMalformed => "A signature in the PDF is damaged and cannot be read.".into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_messages_differ_by_language() {
        let all = [
            Problem::MalformedEnvelope,
            Problem::TrailingData,
            Problem::UnsupportedAlgorithm("1.2.3".into()),
            Problem::WeakRsaKey { bits: 1024 },
            Problem::Revoked {
                date: "2024-06-01T00:00:00Z".into(),
            },
            Problem::PdfModifiedAfterSigning,
        ];
        for p in all {
            assert!(
                p.code()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            );
            assert_ne!(p.message_it(), p.message_en());
        }
    }
}
