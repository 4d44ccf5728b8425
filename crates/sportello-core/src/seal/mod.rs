//! The chamber's seal: issued certificates of origin and visas are PDFs sealed by the
//! chamber with a PAdES signature (PAdES, ETSI EN 319 142), made with a key and certificate
//! configured per chamber.
//!
//! - [`SealKey`] is the private key (RSA of 2048, 3072 or 4096 bits with PKCS#1 v1.5 and
//!   SHA-256, or ECDSA P-256 with SHA-256) with its certificate and chain, imported once from
//!   a PKCS#12 file ([`SealKey::from_pkcs12`]). It signs with *ring*, whose private-key
//!   operations run in constant time.
//! - [`seal_pdf`] appends the signature to a PDF as an incremental update and returns the new
//!   file; the original bytes are kept unchanged in front of it.
//! - [`store`] keeps a chamber's key in the database, encrypted; [`load`] gives it back.
//!
//! # What the update looks like
//! After the original `%%EOF`: a signature dictionary (`/Type /Sig /Filter /Adobe.PPKLite
//! /SubFilter /ETSI.CAdES.detached`, `/M`, `/Reason`, `/Location`, `/ByteRange`,
//! `/Contents` last), an invisible signature field that is its own widget (`/Rect [0 0 0 0]`,
//! print and locked flags, an empty appearance stream), the page that lists the widget in its
//! `/Annots`, the catalog with an `/AcroForm` (`/Fields`, `/SigFlags 3`), then a classic
//! cross-reference section with a trailer whose `/Prev` is the original one. The CMS is a
//! CAdES-BES detached `SignedData` over the `/ByteRange` bytes (the whole file but the
//! `/Contents` hex string) with the signed attributes contentType, messageDigest, signingTime
//! and signingCertificateV2; it is written hex-encoded into a zero-padded placeholder whose
//! size depends only on the key and its chain. Given the same PDF, RSA key and instant, the
//! output is the same bytes (PKCS#1 v1.5 is deterministic); with an ECDSA key only the
//! signature value differs between runs (*ring* draws each nonce afresh).
//!
//! Only PDFs with classic cross-reference tables are sealed (what krilla writes for our
//! certificates); a PDF with cross-reference streams is refused with
//! [`SealError::UnsupportedPdf`] rather than given a section of the other kind.
//!
//! # PDF/A
//! The certificate is PDF/A-3u. PDF/A-2 and -3 (ISO 19005-2/-3 §6.4.3) allow signatures
//! whose `/ByteRange` covers the whole file except `/Contents`, whose CMS is DER with one
//! signer that carries its certificate, and PAdES signatures; incremental updates are allowed.
//! The widget follows the annotation rules (an `/F` with the print flag and without
//! hidden/no-view flags, an appearance stream), no `/NeedAppearances`, and the trailer keeps
//! the original `/ID` and `/Info`. The update does not touch the XMP metadata.
//!
//! # The key at rest
//! The PKCS#12 password is used once, at import, and never stored. The key (PKCS#8) and its
//! certificates are stored encrypted with AES-256-GCM under a key derived from the app
//! secret `SPORTELLO_SEAL_KEY` (32 random bytes, hex or base64), with the chamber id as
//! associated data, so a blob copied to another chamber does not open. Without the variable,
//! a random secret is made on first use in the data directory (`seal-secret.key`, mode 0600).
//! That suits the demo and a single-machine install, but the secret then lies next to the
//! database (a copy of the data directory holds both) and several instances behind a
//! PostgreSQL database would each make their own (`shared::claim` refuses to serve then): set
//! the variable in production, from a secret store, and keep a copy of it, because the stored
//! seals cannot be opened without it.
//!
//! The key never reaches a log: [`SealKey`]'s `Debug` shows the certificate only, and the
//! decrypted PKCS#8 bytes are zeroized when dropped (*ring*'s own copy of the key is not:
//! constant-time signing was judged worth more than wiping that copy).

mod at_rest;
mod cades;
mod key;
mod pdf;
mod pkcs12;
pub mod shared;

pub use at_rest::{
    SealSecret, StoredSeal, decrypt_value, encrypt_value, load, load_with, store, store_with,
    stored,
};
pub use key::SealKey;

use chrono::{DateTime, Utc};

/// Why a seal could not be imported, stored, loaded or applied.
///
/// Messages are safe to show to an administrator: they never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The input is not a PKCS#12 file (or is BER, which we do not read).
    #[error("the file is not a PKCS#12 (.p12/.pfx) archive in DER encoding")]
    NotPkcs12,
    /// The PKCS#12 MAC or decryption failed with the given password.
    #[error("wrong password for the PKCS#12 file")]
    WrongPassword,
    /// A PKCS#12 feature we do not read, e.g. legacy RC2/3DES encryption.
    #[error("unsupported PKCS#12 file: {0}")]
    UnsupportedPkcs12(String),
    /// The PKCS#12 file holds no private key, or more than one.
    #[error("the PKCS#12 file must hold exactly one private key")]
    NoPrivateKey,
    /// No certificate in the file matches the private key.
    #[error("no certificate in the PKCS#12 file matches its private key")]
    KeyDoesNotMatchCertificate,
    /// A key type or size we do not sign with.
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),
    /// The certificate cannot seal: malformed, or without the digitalSignature or
    /// nonRepudiation key usage.
    #[error("the seal certificate cannot be used: {0}")]
    UnusableCertificate(String),
    /// The certificate is not valid at the sealing instant.
    #[error("the seal certificate is not valid at {at} (valid until {not_after})")]
    CertificateNotValidAt {
        at: DateTime<Utc>,
        not_after: DateTime<Utc>,
    },
    /// The PDF is not one we can append a signature to.
    #[error("the PDF cannot be sealed: {0}")]
    UnsupportedPdf(&'static str),
    /// The signature could not be computed or encoded.
    #[error("the signature could not be made: {0}")]
    Signing(String),
    /// The app secret is missing or unusable.
    #[error("the seal secret: {0}")]
    Secret(String),
    /// The stored seal does not open with the current secret.
    #[error(
        "the stored seal of this chamber cannot be decrypted with the current \
         SPORTELLO_SEAL_KEY (was it changed?)"
    )]
    Undecryptable,
    /// The chamber does not exist.
    #[error("no such chamber")]
    NoChamber,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<der::Error> for SealError {
    fn from(e: der::Error) -> Self {
        SealError::Signing(format!("DER encoding: {e}"))
    }
}

/// Seals `pdf` with `key` at the instant `at`: appends a PAdES (CAdES-BES detached)
/// signature as an incremental update and returns the whole new file. `reason` and
/// `location` go into the signature dictionary (e.g. "Certificato di origine C26GE0000123",
/// "Genova").
pub fn seal_pdf(
    pdf: &[u8],
    key: &SealKey,
    at: DateTime<Utc>,
    reason: &str,
    location: &str,
) -> Result<Vec<u8>, SealError> {
    key.check_valid_at(at)?;
    let placeholder = key.cms_size_bound();
    let mut update = pdf::prepare(
        pdf,
        &pdf::SignatureFields {
            at,
            reason,
            location,
            contents_len: placeholder,
        },
    )?;
    let cms = cades::detached_signature(&update.digest(), key, at)?;
    update.fill(&cms)?;
    Ok(update.into_bytes())
}

#[cfg(test)]
mod tests;
