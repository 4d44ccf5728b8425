//! The seal's private key with its certificate and chain.

use crate::seal::SealError;
use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::KeyUsage;
use zeroize::Zeroizing;

/// `rsaEncryption`.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// `id-ecPublicKey`.
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

/// A chamber's seal: private key, certificate and chain. Never printed: `Debug` shows the
/// certificate's subject only.
pub struct SealKey {
    signer: Signer,
    /// The private key as PKCS#8 DER, kept for encryption at rest; zeroized on drop.
    pkcs8: Zeroizing<Vec<u8>>,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    subject: String,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
}

/// The signing half. Both key types zeroize themselves on drop.
enum Signer {
    Rsa(rsa::pkcs1v15::SigningKey<Sha256>, usize),
    P256(p256::ecdsa::SigningKey),
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey")
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .field("key", &"***")
            .finish_non_exhaustive()
    }
}

/// How the signature is computed, for the SignerInfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// `sha256WithRSAEncryption`.
    RsaSha256,
    /// `ecdsa-with-SHA256`.
    EcdsaSha256,
}

impl SealKey {
    /// Reads a PKCS#12 (`.p12`/`.pfx`) file as OpenSSL 3 writes it by default (PBES2 with
    /// AES and PBKDF2, HMAC-SHA-256 integrity): the one private key, the certificate that
    /// matches it, and any other certificates as its chain.
    pub fn from_pkcs12(bytes: &[u8], password: &str) -> Result<SealKey, SealError> {
        let contents = crate::seal::pkcs12::read(bytes, password)?;
        SealKey::from_parts(contents.key, contents.certificates)
    }

    /// A seal from a PKCS#8 private key and certificates (DER, any order): the one matching
    /// the key is the seal's, the others its chain.
    pub(crate) fn from_parts(
        pkcs8: Zeroizing<Vec<u8>>,
        certificates: Vec<Vec<u8>>,
    ) -> Result<SealKey, SealError> {
        let (signer, public) = parse_private_key(&pkcs8)?;
        let mut signer_cert = None;
        let mut chain = Vec::new();
        for der in certificates {
            let cert = Certificate::from_der(&der).map_err(|_| {
                SealError::UnusableCertificate("a certificate cannot be parsed".into())
            })?;
            // The CMS carries certificates as parsed values: they must encode back to the
            // same bytes, or their signatures and the ESSCertIDv2 hash would break.
            if cert.to_der().ok().as_deref() != Some(der.as_slice()) {
                return Err(SealError::UnusableCertificate(
                    "a certificate is not in canonical DER".into(),
                ));
            }
            if signer_cert.is_none() && public.matches(&cert) {
                signer_cert = Some((der, cert));
            } else {
                chain.push(der);
            }
        }
        let (certificate, cert) = signer_cert.ok_or(SealError::KeyDoesNotMatchCertificate)?;
        let usable = cert
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .ok()
            .flatten()
            .is_some_and(|(_, ku)| ku.digital_signature() || ku.non_repudiation());
        if !usable {
            return Err(SealError::UnusableCertificate(
                "its key usage has neither digitalSignature nor nonRepudiation".into(),
            ));
        }
        let summary = firma::certificate_summary(&certificate).ok_or_else(|| {
            SealError::UnusableCertificate("a certificate cannot be parsed".into())
        })?;
        let validity = cert.tbs_certificate().validity();
        Ok(SealKey {
            signer,
            pkcs8,
            chain: order_chain(&cert, chain),
            certificate,
            subject: summary.subject,
            not_before: instant(validity.not_before.to_unix_duration()),
            not_after: instant(validity.not_after.to_unix_duration()),
        })
    }

    /// The certificate's subject, RFC 4514 style (as `firma` reports signers).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Start of the certificate's validity.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }

    /// End of the certificate's validity.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// The seal certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    /// The other certificates, DER, issuer first when they form a chain.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// SHA-256 of the certificate, lowercase hex.
    pub fn sha256_fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.certificate))
    }

    /// The private key, PKCS#8 DER (for encryption at rest only).
    pub(crate) fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        match self.signer {
            Signer::Rsa(..) => Algorithm::RsaSha256,
            Signer::P256(_) => Algorithm::EcdsaSha256,
        }
    }

    /// Refuses to seal outside the certificate's validity: the result would not verify.
    pub fn check_valid_at(&self, at: DateTime<Utc>) -> Result<(), SealError> {
        if at < self.not_before || at > self.not_after {
            return Err(SealError::CertificateNotValidAt {
                at,
                not_after: self.not_after,
            });
        }
        Ok(())
    }

    /// Signs `message` (the DER of the signed attributes).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        use rsa::signature::{SignatureEncoding, Signer as _};
        match &self.signer {
            Signer::Rsa(key, _) => key
                .try_sign(message)
                .map(|s| s.to_vec())
                .map_err(|e| SealError::Signing(format!("RSA: {e}"))),
            Signer::P256(key) => {
                let sig: p256::ecdsa::Signature = key
                    .try_sign(message)
                    .map_err(|e| SealError::Signing(format!("ECDSA: {e}")))?;
                Ok(sig.to_der().to_vec())
            }
        }
    }

    /// An upper bound of the DER size of the CMS this key makes: the certificates, the
    /// signature and a margin for the structure and the signed attributes.
    pub(crate) fn cms_size_bound(&self) -> usize {
        let certificates: usize =
            self.certificate.len() + self.chain.iter().map(Vec::len).sum::<usize>();
        let signature = match &self.signer {
            Signer::Rsa(_, bytes) => *bytes,
            Signer::P256(_) => 72,
        };
        // The issuer name twice (sid, ESSCertIDv2), the other attributes and the framing
        // take well under 3 KiB; whole KiB keep the size stable for a key.
        (certificates + signature + 3 * 1024).div_ceil(1024) * 1024
    }
}

fn instant(since_epoch: std::time::Duration) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX), 0)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The public half, to find the matching certificate.
enum Public {
    Rsa(rsa::PublicKey),
    P256(p256::PublicKey),
}

impl Public {
    fn matches(&self, cert: &Certificate) -> bool {
        let Ok(spki) = cert.tbs_certificate().subject_public_key_info().to_der() else {
            return false;
        };
        use rsa::pkcs8::DecodePublicKey;
        match self {
            Public::Rsa(key) => rsa::PublicKey::from_public_key_der(&spki).is_ok_and(|k| &k == key),
            Public::P256(key) => {
                p256::PublicKey::from_public_key_der(&spki).is_ok_and(|k| &k == key)
            }
        }
    }
}

fn parse_private_key(pkcs8: &[u8]) -> Result<(Signer, Public), SealError> {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let info = rsa::pkcs8::PrivateKeyInfoRef::try_from(pkcs8)
        .map_err(|_| SealError::UnsupportedKey("the private key is not PKCS#8".into()))?;
    match info.algorithm.oid.to_string().as_str() {
        RSA_ENCRYPTION => {
            let key = rsa::PrivateKey::from_pkcs8_der(pkcs8)
                .map_err(|_| SealError::UnsupportedKey("malformed RSA key".into()))?;
            let bits = key.n().bit_width();
            if bits < 2048 {
                return Err(SealError::UnsupportedKey(format!(
                    "RSA keys need at least 2048 bits, this one has {bits}"
                )));
            }
            let public = key.to_public_key();
            let bytes = usize::try_from(bits.div_ceil(8)).unwrap_or(usize::MAX);
            Ok((
                Signer::Rsa(rsa::pkcs1v15::SigningKey::new(key), bytes),
                Public::Rsa(public),
            ))
        }
        EC_PUBLIC_KEY => {
            let secret = p256::SecretKey::from_pkcs8_der(pkcs8).map_err(|_| {
                SealError::UnsupportedKey("EC keys must be on the P-256 curve".into())
            })?;
            let public = secret.public_key();
            Ok((
                Signer::P256(p256::ecdsa::SigningKey::from(secret)),
                Public::P256(public),
            ))
        }
        other => Err(SealError::UnsupportedKey(format!(
            "key algorithm {other} (RSA or ECDSA P-256 only)"
        ))),
    }
}

/// Puts the certificates in issuer order from the seal's certificate, unrelated ones last.
fn order_chain(leaf: &Certificate, mut rest: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut ordered = Vec::new();
    let mut issuer = leaf.tbs_certificate().issuer().clone();
    while let Some(i) = rest.iter().position(|der| {
        Certificate::from_der(der).is_ok_and(|c| c.tbs_certificate().subject() == &issuer)
    }) {
        let der = rest.remove(i);
        let Ok(cert) = Certificate::from_der(&der) else {
            break;
        };
        let self_signed = cert.tbs_certificate().subject() == cert.tbs_certificate().issuer();
        issuer = cert.tbs_certificate().issuer().clone();
        ordered.push(der);
        if self_signed {
            break;
        }
    }
    ordered.extend(rest);
    ordered
}
