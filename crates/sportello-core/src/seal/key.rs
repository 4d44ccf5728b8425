//! The seal's private key with its certificate and chain.

use crate::seal::SealError;
use chrono::{DateTime, Utc};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256,
};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::KeyUsage;
use zeroize::Zeroizing;

/// `rsaEncryption`.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey`.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `prime256v1` (P-256).
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

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

/// The signing half, in *ring*: its private-key operations run in constant time (RSA with
/// blinding and constant-time modular exponentiation), unlike the `rsa` crate's, which leak
/// timing (RUSTSEC-2023-0071). *ring* does not wipe its copy of the key on drop; the PKCS#8
/// bytes above are wiped.
enum Signer {
    Rsa(ring::rsa::KeyPair),
    P256(EcdsaKeyPair),
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
        let mut parsed = Vec::with_capacity(certificates.len());
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
            parsed.push((der, cert));
        }
        let signer = parse_private_key(&pkcs8, &parsed)?;
        let mut signer_cert = None;
        let mut chain = Vec::new();
        for (der, cert) in parsed {
            if signer_cert.is_none() && signer.matches(&cert) {
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

    /// Signs `message` (the DER of the signed attributes): PKCS#1 v1.5 with SHA-256, or
    /// ECDSA with SHA-256 as a DER `Ecdsa-Sig-Value`, the form CMS carries.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| SealError::Signing("RSA signing failed".into()))?;
                Ok(signature)
            }
            Signer::P256(key) => key
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SealError::Signing("ECDSA signing failed".into())),
        }
    }

    /// An upper bound of the DER size of the CMS this key makes: the certificates, the
    /// signature and a margin for the structure and the signed attributes.
    pub(crate) fn cms_size_bound(&self) -> usize {
        let certificates: usize =
            self.certificate.len() + self.chain.iter().map(Vec::len).sum::<usize>();
        let signature = match &self.signer {
            Signer::Rsa(key) => key.public().modulus_len(),
            // SEQUENCE { INTEGER r, INTEGER s }, each at most 33 bytes with its sign byte.
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

impl Signer {
    /// Whether `cert` carries this key's public half. *ring* gives it in the encoding the
    /// certificate's `subjectPublicKey` holds: a DER `RSAPublicKey`, or an uncompressed
    /// P-256 point.
    fn matches(&self, cert: &Certificate) -> bool {
        let spki = cert.tbs_certificate().subject_public_key_info();
        let Some(bits) = spki.subject_public_key.as_bytes() else {
            return false;
        };
        match self {
            Signer::Rsa(key) => {
                spki.algorithm.oid == RSA_ENCRYPTION && bits == key.public().as_ref()
            }
            Signer::P256(key) => is_p256(&spki.algorithm) && bits == key.public_key().as_ref(),
        }
    }
}

/// `id-ecPublicKey` on the named curve P-256.
fn is_p256(algorithm: &spki::AlgorithmIdentifierOwned) -> bool {
    algorithm.oid == EC_PUBLIC_KEY
        && algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            == Some(P256)
}

fn parse_private_key(
    pkcs8: &[u8],
    certificates: &[(Vec<u8>, Certificate)],
) -> Result<Signer, SealError> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(pkcs8)
        .map_err(|_| SealError::UnsupportedKey("the private key is not PKCS#8".into()))?;
    match info.algorithm.oid {
        RSA_ENCRYPTION => {
            // The inner RSAPrivateKey: *ring*'s PKCS#8 reader would refuse a v2 wrapper or
            // attributes, which change nothing about the key.
            let key = ring::rsa::KeyPair::from_der(info.private_key.as_bytes()).map_err(|e| {
                SealError::UnsupportedKey(format!(
                    "unusable RSA key ({e}): RSA keys of 2048, 3072 or 4096 bits with a public \
                     exponent of at least 65537 are accepted"
                ))
            })?;
            Ok(Signer::Rsa(key))
        }
        EC_PUBLIC_KEY => {
            if info.algorithm.parameters_oid().ok() != Some(P256) {
                return Err(SealError::UnsupportedKey(
                    "EC keys must be on the P-256 curve".into(),
                ));
            }
            p256_key_pair(info.private_key.as_bytes(), certificates).map(Signer::P256)
        }
        other => Err(SealError::UnsupportedKey(format!(
            "key algorithm {other} (RSA or ECDSA P-256 only)"
        ))),
    }
}

/// A P-256 key pair from an `ECPrivateKey` (RFC 5915). Its public key is optional there and
/// *ring* needs it: when absent, the one of a P-256 certificate that *ring* finds consistent
/// with the private key is taken.
fn p256_key_pair(
    ec_private_key: &[u8],
    certificates: &[(Vec<u8>, Certificate)],
) -> Result<EcdsaKeyPair, SealError> {
    let malformed = || SealError::UnsupportedKey("malformed EC key".into());
    let key = sec1::EcPrivateKey::try_from(ec_private_key).map_err(|_| malformed())?;
    if key
        .parameters
        .is_some_and(|p| p.named_curve() != Some(P256))
    {
        return Err(SealError::UnsupportedKey(
            "EC keys must be on the P-256 curve".into(),
        ));
    }
    // *ring* wants the scalar as exactly 32 big-endian bytes.
    if key.private_key.len() > 32 {
        return Err(malformed());
    }
    let mut scalar = Zeroizing::new([0u8; 32]);
    scalar[32 - key.private_key.len()..].copy_from_slice(key.private_key);
    let rng = SystemRandom::new();
    let pair = |public: &[u8]| {
        EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            scalar.as_slice(),
            public,
            &rng,
        )
    };
    match key.public_key {
        Some(public) => pair(public).map_err(|_| {
            SealError::UnsupportedKey("the EC key's public half does not match it".into())
        }),
        None => certificates
            .iter()
            .filter_map(|(_, cert)| {
                let spki = cert.tbs_certificate().subject_public_key_info();
                is_p256(&spki.algorithm)
                    .then(|| spki.subject_public_key.as_bytes())
                    .flatten()
            })
            .find_map(|public| pair(public).ok())
            .ok_or(SealError::KeyDoesNotMatchCertificate),
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
