//! Digests, public keys and signature checks (RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384).
//!
//! SHA-1 is recognised only so that it can be reported; the caller decides whether it is
//! allowed (never for document signatures, still accepted on certificates and CRLs).
//!
//! Signatures are checked with `ring` where it offers the parameter set, else with the
//! pure-Rust `rsa`, `p256` and `p384` crates ([`ring_algorithm`] decides).

use crate::ber::{self, Reader};
use sha2::Digest as _;

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// SHA-1 (only to recognise and report it).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Digest {
    /// From a dotted OID.
    pub fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            "1.3.14.3.2.26" => Some(Self::Sha1),
            "2.16.840.1.101.3.4.2.1" => Some(Self::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(Self::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Conventional name, e.g. `SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// Hashes `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Digests of one content, each computed at most once: every signer of an envelope signs the
/// same content, usually with the same digest, and the report gives its SHA-256 too.
#[derive(Debug, Default)]
pub struct ContentDigests {
    computed: std::cell::RefCell<Vec<(Digest, Vec<u8>)>>,
}

impl ContentDigests {
    /// The `digest` of `content`, which must be the content these digests are kept for.
    pub fn of(&self, digest: Digest, content: &[u8]) -> Vec<u8> {
        if let Some((_, value)) = self.computed.borrow().iter().find(|(d, _)| *d == digest) {
            return value.clone();
        }
        let value = digest.hash(content);
        self.computed.borrow_mut().push((digest, value.clone()));
        value
    }

    /// The SHA-256 if it has been computed already.
    pub fn sha256(&self) -> Option<Vec<u8>> {
        self.computed
            .borrow()
            .iter()
            .find(|(d, _)| *d == Digest::Sha256)
            .map(|(_, value)| value.clone())
    }
}

/// How the signature value is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RSASSA-PKCS1-v1_5.
    Pkcs1v15,
    /// RSASSA-PSS with MGF1 over the same digest; `None` salt length means "any".
    Pss {
        /// Salt length from the parameters.
        salt_len: Option<usize>,
    },
    /// ECDSA (signature as a DER SEQUENCE of two INTEGERs).
    Ecdsa,
}

/// A signature algorithm: scheme and digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureAlgorithm {
    /// Padding or curve scheme.
    pub scheme: Scheme,
    /// Digest of the signed bytes.
    pub digest: Digest,
}

#[cfg(test)]
impl Scheme {
    /// This scheme with `digest`.
    pub fn with(self, digest: Digest) -> SignatureAlgorithm {
        SignatureAlgorithm {
            scheme: self,
            digest,
        }
    }
}

impl SignatureAlgorithm {
    /// Readable name, e.g. `RSA PKCS#1 v1.5 with SHA-256`.
    pub fn name(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Pkcs1v15 => "RSA PKCS#1 v1.5",
            Scheme::Pss { .. } => "RSA-PSS",
            Scheme::Ecdsa => "ECDSA",
        };
        format!("{scheme} with {}", self.digest.name())
    }
}

/// Why a signature could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// Algorithm, curve or key type not supported (text for the message).
    Unsupported(String),
    /// The key cannot be read.
    BadKey,
    /// RSA modulus too short to be checked at all (under 1024 bits).
    TooShort(usize),
    /// The signature does not verify.
    Invalid,
}

/// Resolves a signature algorithm identifier. `fallback` is the digest to use when the OID
/// names only the key type (`rsaEncryption`, `id-ecPublicKey`), as CMS allows.
pub fn signature_algorithm(
    oid: &str,
    params: Option<&[u8]>,
    fallback: Option<Digest>,
) -> Result<SignatureAlgorithm, SigError> {
    let with = |scheme, digest: Option<Digest>| {
        digest
            .map(|digest| SignatureAlgorithm { scheme, digest })
            .ok_or_else(|| SigError::Unsupported(oid.to_owned()))
    };
    match oid {
        "1.2.840.113549.1.1.1" => with(Scheme::Pkcs1v15, fallback),
        "1.2.840.113549.1.1.5" => with(Scheme::Pkcs1v15, Some(Digest::Sha1)),
        "1.2.840.113549.1.1.11" => with(Scheme::Pkcs1v15, Some(Digest::Sha256)),
        "1.2.840.113549.1.1.12" => with(Scheme::Pkcs1v15, Some(Digest::Sha384)),
        "1.2.840.113549.1.1.13" => with(Scheme::Pkcs1v15, Some(Digest::Sha512)),
        "1.2.840.113549.1.1.10" => pss_parameters(params.unwrap_or(&[])),
        "1.2.840.10045.2.1" => with(Scheme::Ecdsa, fallback),
        "1.2.840.10045.4.1" => with(Scheme::Ecdsa, Some(Digest::Sha1)),
        "1.2.840.10045.4.3.2" => with(Scheme::Ecdsa, Some(Digest::Sha256)),
        "1.2.840.10045.4.3.3" => with(Scheme::Ecdsa, Some(Digest::Sha384)),
        "1.2.840.10045.4.3.4" => with(Scheme::Ecdsa, Some(Digest::Sha512)),
        _ => Err(SigError::Unsupported(oid.to_owned())),
    }
}

/// Reads the OID (dotted) and raw parameters of an AlgorithmIdentifier TLV's contents.
pub fn algorithm_identifier(value: &[u8]) -> Option<(String, Option<&[u8]>)> {
    let mut r = Reader::new(value);
    let oid = r.expect(ber::OID).ok()?;
    let params = r.read().ok().map(|t| t.raw);
    Some((ber::oid_to_string(oid.value)?, params))
}

/// RSASSA-PSS-params: hash [0], MGF1 [1] over the same hash, salt length [2].
fn pss_parameters(params: &[u8]) -> Result<SignatureAlgorithm, SigError> {
    let bad = || SigError::Unsupported("RSA-PSS parameters".to_owned());
    let mut digest = Digest::Sha1;
    let mut mgf_digest = Digest::Sha1;
    let mut salt_len = 20usize;
    if let Ok(seq) = Reader::new(params).expect(ber::SEQUENCE) {
        let mut fields = seq.children();
        while !fields.is_empty() {
            let field = fields.read().map_err(|_| bad())?;
            let inner = field.children().read().map_err(|_| bad())?;
            match field.tag {
                0xa0 => {
                    let (oid, _) = algorithm_identifier(inner.value).ok_or_else(bad)?;
                    digest = Digest::from_oid(&oid).ok_or(SigError::Unsupported(oid))?;
                }
                0xa1 => {
                    let (oid, p) = algorithm_identifier(inner.value).ok_or_else(bad)?;
                    if oid != "1.2.840.113549.1.1.8" {
                        return Err(SigError::Unsupported(oid));
                    }
                    let p = Reader::new(p.unwrap_or(&[]))
                        .expect(ber::SEQUENCE)
                        .map_err(|_| bad())?;
                    let (hash, _) = algorithm_identifier(p.value).ok_or_else(bad)?;
                    mgf_digest = Digest::from_oid(&hash).ok_or(SigError::Unsupported(hash))?;
                }
                0xa2 => {
                    salt_len = unsigned(inner.value).ok_or_else(bad)?;
                }
                _ => {}
            }
        }
    }
    if digest != mgf_digest {
        return Err(SigError::Unsupported(
            "RSA-PSS with a different MGF1 digest".to_owned(),
        ));
    }
    Ok(SignatureAlgorithm {
        scheme: Scheme::Pss {
            salt_len: Some(salt_len),
        },
        digest,
    })
}

fn unsigned(bytes: &[u8]) -> Option<usize> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
    )
}

/// An elliptic curve this crate verifies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
}

/// A public key from a SubjectPublicKeyInfo, kept as the bytes the verifiers take.
///
/// Signatures are checked by `ring` (assembly-optimised, constant parameters) for every
/// parameter set it offers, and by the pure-Rust RustCrypto crates for the rest: RSA-PSS whose
/// salt length is not the digest length or whose digest is SHA-1, RSA PKCS#1 v1.5 with SHA-384
/// on keys under 2048 bits, ECDSA with SHA-1 or SHA-512, and compressed EC points. See
/// [`ring_algorithm`].
#[derive(Clone)]
pub enum PublicKey {
    /// RSA: the DER `RSAPublicKey` (modulus and exponent) and its modulus size in bits.
    Rsa {
        /// DER RSAPublicKey.
        pkcs1: Vec<u8>,
        /// Modulus size in bits.
        bits: usize,
    },
    /// RSA too short to be checked at all; only its size is known.
    ShortRsa(usize),
    /// ECDSA: the curve and the SEC1 point (validated on the curve when parsed).
    Ec {
        /// Curve.
        curve: Curve,
        /// SEC1 point encoding.
        point: Vec<u8>,
    },
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa { bits, .. } | Self::ShortRsa(bits) => write!(f, "RSA-{bits}"),
            Self::Ec {
                curve: Curve::P256, ..
            } => f.write_str("P-256"),
            Self::Ec {
                curve: Curve::P384, ..
            } => f.write_str("P-384"),
        }
    }
}

/// RSA moduli under this many bits are not checked at all.
const RSA_MIN_BITS: usize = 1024;
/// Largest RSA modulus accepted (by `ring` and by the `rsa` crate alike).
const RSA_MAX_BITS: usize = 8192;
/// Largest RSA public exponent, in bits (by `ring` and by the `rsa` crate alike).
const RSA_MAX_EXPONENT_BITS: usize = 33;

impl PublicKey {
    /// Parses the DER of a SubjectPublicKeyInfo.
    pub fn from_spki(spki_der: &[u8]) -> Result<Self, SigError> {
        let seq = Reader::new(spki_der)
            .expect(ber::SEQUENCE)
            .map_err(|_| SigError::BadKey)?;
        let mut r = seq.children();
        let alg = r.expect(ber::SEQUENCE).map_err(|_| SigError::BadKey)?;
        let bits = r.expect(0x03).map_err(|_| SigError::BadKey)?;
        let (oid, params) = algorithm_identifier(alg.value).ok_or(SigError::BadKey)?;
        let key = bits.value.get(1..).ok_or(SigError::BadKey)?; // skip the unused-bits octet
        match oid.as_str() {
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => rsa_key(key),
            "1.2.840.10045.2.1" => {
                let curve = params
                    .and_then(|p| Reader::new(p).expect(ber::OID).ok())
                    .and_then(|t| ber::oid_to_string(t.value))
                    .unwrap_or_default();
                // The point is checked to lie on the curve once, here; the key is kept with
                // its certificate, so this is paid once per certificate and verification.
                let curve = match curve.as_str() {
                    "1.2.840.10045.3.1.7" => {
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                            .map_err(|_| SigError::BadKey)?;
                        Curve::P256
                    }
                    "1.3.132.0.34" => {
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                            .map_err(|_| SigError::BadKey)?;
                        Curve::P384
                    }
                    _ => return Err(SigError::Unsupported(format!("EC curve {curve}"))),
                };
                Ok(Self::Ec {
                    curve,
                    point: key.to_vec(),
                })
            }
            _ => Err(SigError::Unsupported(oid)),
        }
    }

    /// RSA modulus size, if RSA.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::Rsa { bits, .. } | Self::ShortRsa(bits) => Some(*bits),
            Self::Ec { .. } => None,
        }
    }

    /// Checks `signature` over `message` with algorithm `alg`: with `ring` when it supports
    /// the parameter set, else with the pure-Rust path.
    pub fn verify(
        &self,
        alg: &SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        if let Self::ShortRsa(bits) = self {
            return Err(SigError::TooShort(*bits));
        }
        match ring_algorithm(self, alg)? {
            Some((algorithm, key)) => ring::signature::UnparsedPublicKey::new(algorithm, key)
                .verify(message, signature)
                .map_err(|_| SigError::Invalid),
            None => self.verify_pure(alg, message, signature),
        }
    }

    /// The pure-Rust path (RustCrypto `rsa`, `p256`, `p384`), for the parameter sets `ring`
    /// does not offer; also used by the tests to check both paths on the same signatures.
    pub fn verify_pure(
        &self,
        alg: &SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        let hashed = alg.digest.hash(message);
        match (self, alg.scheme) {
            (Self::ShortRsa(bits), _) => Err(SigError::TooShort(*bits)),
            (Self::Rsa { pkcs1, .. }, Scheme::Pkcs1v15) => {
                let key = pure_rsa_key(pkcs1)?;
                let scheme = match alg.digest {
                    Digest::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                    Digest::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    Digest::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    Digest::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                key.verify(scheme, &hashed, signature)
                    .map_err(|_| SigError::Invalid)
            }
            (Self::Rsa { pkcs1, .. }, Scheme::Pss { salt_len }) => {
                let key = pure_rsa_key(pkcs1)?;
                let result = match alg.digest {
                    Digest::Sha1 => key.verify(pss::<sha1::Sha1>(salt_len), &hashed, signature),
                    Digest::Sha256 => key.verify(pss::<sha2::Sha256>(salt_len), &hashed, signature),
                    Digest::Sha384 => key.verify(pss::<sha2::Sha384>(salt_len), &hashed, signature),
                    Digest::Sha512 => key.verify(pss::<sha2::Sha512>(salt_len), &hashed, signature),
                };
                result.map_err(|_| SigError::Invalid)
            }
            (
                Self::Ec {
                    curve: Curve::P256,
                    point,
                },
                Scheme::Ecdsa,
            ) => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| SigError::BadKey)?;
                let sig =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| SigError::Invalid)?;
                key.verify_prehash(&hashed, &sig)
                    .map_err(|_| SigError::Invalid)
            }
            (
                Self::Ec {
                    curve: Curve::P384,
                    point,
                },
                Scheme::Ecdsa,
            ) => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| SigError::BadKey)?;
                let sig =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| SigError::Invalid)?;
                key.verify_prehash(&hashed, &sig)
                    .map_err(|_| SigError::Invalid)
            }
            _ => Err(mismatch()),
        }
    }
}

fn mismatch() -> SigError {
    SigError::Unsupported("key type and signature algorithm do not match".to_owned())
}

/// A `ring` verification algorithm and the key bytes it takes.
pub type RingCheck<'k> = (
    &'static dyn ring::signature::VerificationAlgorithm,
    &'k [u8],
);

/// The `ring` algorithm for this key and signature algorithm, with the key bytes it takes;
/// `None` when `ring` does not offer the parameter set (the pure-Rust path checks it).
///
/// `ring` offers RSA PKCS#1 v1.5 with SHA-256/384/512 on 2048–8192-bit keys (SHA-1, SHA-256
/// and SHA-512 from 1024 bits as "legacy"), RSA-PSS with SHA-256/384/512 and a salt as long as
/// the digest (the usual choice, and the only one `ring` verifies), and ECDSA on P-256 and
/// P-384 with SHA-256 or SHA-384 on uncompressed points.
pub fn ring_algorithm<'k>(
    key: &'k PublicKey,
    alg: &SignatureAlgorithm,
) -> Result<Option<RingCheck<'k>>, SigError> {
    use ring::signature as s;
    let (chosen, key_bytes): (Option<&'static dyn s::VerificationAlgorithm>, _) = match key {
        PublicKey::ShortRsa(bits) => return Err(SigError::TooShort(*bits)),
        PublicKey::Rsa { pkcs1, bits } => {
            let full = *bits >= 2048;
            let chosen: Option<&'static dyn s::VerificationAlgorithm> =
                match (alg.scheme, alg.digest) {
                    (Scheme::Ecdsa, _) => return Err(mismatch()),
                    (Scheme::Pkcs1v15, Digest::Sha1) => {
                        Some(&s::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY)
                    }
                    (Scheme::Pkcs1v15, Digest::Sha256) if full => {
                        Some(&s::RSA_PKCS1_2048_8192_SHA256)
                    }
                    (Scheme::Pkcs1v15, Digest::Sha256) => {
                        Some(&s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY)
                    }
                    (Scheme::Pkcs1v15, Digest::Sha384) if full => {
                        Some(&s::RSA_PKCS1_2048_8192_SHA384)
                    }
                    (Scheme::Pkcs1v15, Digest::Sha512) if full => {
                        Some(&s::RSA_PKCS1_2048_8192_SHA512)
                    }
                    (Scheme::Pkcs1v15, Digest::Sha512) => {
                        Some(&s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY)
                    }
                    (Scheme::Pss { salt_len: Some(32) }, Digest::Sha256) if full => {
                        Some(&s::RSA_PSS_2048_8192_SHA256)
                    }
                    (Scheme::Pss { salt_len: Some(48) }, Digest::Sha384) if full => {
                        Some(&s::RSA_PSS_2048_8192_SHA384)
                    }
                    (Scheme::Pss { salt_len: Some(64) }, Digest::Sha512) if full => {
                        Some(&s::RSA_PSS_2048_8192_SHA512)
                    }
                    _ => None,
                };
            (chosen, pkcs1.as_slice())
        }
        PublicKey::Ec { curve, point } => {
            let chosen: Option<&'static dyn s::VerificationAlgorithm> =
                match (alg.scheme, curve, alg.digest) {
                    (Scheme::Pkcs1v15 | Scheme::Pss { .. }, _, _) => return Err(mismatch()),
                    // A compressed point: only the pure path decompresses it.
                    _ if point.first() != Some(&0x04) => None,
                    (_, Curve::P256, Digest::Sha256) => Some(&s::ECDSA_P256_SHA256_ASN1),
                    (_, Curve::P256, Digest::Sha384) => Some(&s::ECDSA_P256_SHA384_ASN1),
                    (_, Curve::P384, Digest::Sha256) => Some(&s::ECDSA_P384_SHA256_ASN1),
                    (_, Curve::P384, Digest::Sha384) => Some(&s::ECDSA_P384_SHA384_ASN1),
                    _ => None,
                };
            (chosen, point.as_slice())
        }
    };
    Ok(chosen.map(|algorithm| (algorithm, key_bytes)))
}

fn pss<D: sha2::Digest + sha2::digest::FixedOutputReset>(
    salt_len: Option<usize>,
) -> rsa::pss::Pss<D> {
    rsa::pss::Pss {
        blinded: false,
        digest: D::new(),
        salt_len,
    }
}

fn pure_rsa_key(pkcs1: &[u8]) -> Result<rsa::PublicKey, SigError> {
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    rsa::PublicKey::from_pkcs1_der(pkcs1).map_err(|_| SigError::BadKey)
}

/// Reads an `RSAPublicKey` without building big-number state, only its modulus size. A key
/// that neither `ring` nor the `rsa` crate would take (not two positive INTEGERs, even
/// modulus, even exponent or under 3, exponent over 33 bits, modulus over 8192 bits, trailing
/// bytes) is [`SigError::BadKey`].
fn rsa_key(pkcs1: &[u8]) -> Result<PublicKey, SigError> {
    let mut outer = Reader::new(pkcs1);
    let seq = outer.expect(ber::SEQUENCE).map_err(|_| SigError::BadKey)?;
    if !outer.is_empty() {
        return Err(SigError::BadKey);
    }
    let mut fields = seq.children();
    let modulus = fields.expect(ber::INTEGER).map_err(|_| SigError::BadKey)?;
    let exponent = fields.expect(ber::INTEGER).map_err(|_| SigError::BadKey)?;
    if !fields.is_empty() {
        return Err(SigError::BadKey);
    }
    let positive = |v: &[u8]| v.first().is_some_and(|b| b & 0x80 == 0);
    if !positive(modulus.value) || !positive(exponent.value) {
        return Err(SigError::BadKey);
    }
    let significant = |v: &'_ [u8]| -> usize {
        let skip = v.iter().take_while(|b| **b == 0).count();
        match v.get(skip) {
            Some(first) => (v.len() - skip) * 8 - first.leading_zeros() as usize,
            None => 0,
        }
    };
    let bits = significant(modulus.value);
    let exponent_bits = significant(exponent.value);
    let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
    if !odd(modulus.value)
        || !odd(exponent.value)
        || !(2..=RSA_MAX_EXPONENT_BITS).contains(&exponent_bits)
        || bits > RSA_MAX_BITS
    {
        return Err(SigError::BadKey);
    }
    if bits < RSA_MIN_BITS {
        return Ok(PublicKey::ShortRsa(bits));
    }
    Ok(PublicKey::Rsa {
        pkcs1: pkcs1.to_vec(),
        bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_oids_resolve() {
        let a = signature_algorithm("1.2.840.113549.1.1.11", None, None).expect("known");
        assert_eq!(a.name(), "RSA PKCS#1 v1.5 with SHA-256");
        let b =
            signature_algorithm("1.2.840.10045.2.1", None, Some(Digest::Sha384)).expect("known");
        assert_eq!(b.name(), "ECDSA with SHA-384");
        assert!(signature_algorithm("1.2.840.113549.1.1.1", None, None).is_err());
        assert!(signature_algorithm("1.2.3.4", None, Some(Digest::Sha256)).is_err());
    }

    /// Which verifier a parameter set goes to.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Path {
        Ring,
        Pure,
    }

    fn path_of(key: &PublicKey, alg: &SignatureAlgorithm) -> Path {
        match ring_algorithm(key, alg) {
            Ok(Some(_)) => Path::Ring,
            Ok(None) => Path::Pure,
            Err(e) => panic!("{alg:?} on {key:?}: {e:?}"),
        }
    }

    fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
        let mut out = bytes.to_vec();
        out[at] ^= 0x01;
        out
    }

    /// The signature verifies on the chosen path and on the pure one, and a changed byte of
    /// the message or of the signature fails on both.
    fn assert_both_paths(
        what: &str,
        key: &PublicKey,
        alg: &SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) {
        assert_eq!(key.verify(alg, message, signature), Ok(()), "{what}");
        assert_eq!(
            key.verify_pure(alg, message, signature),
            Ok(()),
            "{what}, pure"
        );
        let message_changed = flipped(message, message.len() / 2);
        let signature_changed = flipped(signature, signature.len() - 1);
        for (bad_message, bad_signature) in [
            (&message_changed[..], signature),
            (message, &signature_changed[..]),
        ] {
            assert!(
                key.verify(alg, bad_message, bad_signature).is_err(),
                "{what} tampered"
            );
            assert!(
                key.verify_pure(alg, bad_message, bad_signature).is_err(),
                "{what} tampered, pure"
            );
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The first signer of an attached fixture: its signed attributes as signed, its
    /// algorithm, its signature value and its certificate.
    fn first_signer(name: &str) -> (Vec<u8>, SignatureAlgorithm, Vec<u8>, Cert) {
        let der = ber::normalise(&fixture(name)).expect("envelope");
        let sd = crate::envelope::parse_signed_data(&der).expect("signed data");
        let mut fields = Reader::new(sd.signer_infos[0])
            .expect(ber::SEQUENCE)
            .expect("signer info")
            .children();
        fields.read().expect("version");
        fields.read().expect("sid");
        let digest_alg = fields.expect(ber::SEQUENCE).expect("digest algorithm");
        let attrs = fields.expect(0xa0).expect("signed attributes");
        let sig_alg = fields.expect(ber::SEQUENCE).expect("signature algorithm");
        let signature = fields.expect(ber::OCTET_STRING).expect("signature");
        let (digest_oid, _) = algorithm_identifier(digest_alg.value).expect("digest");
        let (oid, params) = algorithm_identifier(sig_alg.value).expect("algorithm");
        let alg = signature_algorithm(&oid, params, Digest::from_oid(&digest_oid)).expect("known");
        let mut signed = attrs.raw.to_vec();
        signed[0] = ber::SET;
        let cert = sd
            .certificates
            .iter()
            .filter_map(|c| Cert::parse(c))
            .find(|c| !c.is_ca())
            .expect("signer certificate");
        (signed, alg, signature.value.to_vec(), cert)
    }

    use crate::certificate::Cert;

    #[test]
    fn openssl_fixture_signatures_verify_on_ring_and_on_the_pure_path() {
        for (name, path) in [
            ("valid_rsa.p7m", Path::Ring),  // RSA-2048, PKCS#1 v1.5, SHA-256
            ("weak_rsa.p7m", Path::Ring),   // RSA-1024 (legacy set), SHA-256
            ("valid_ec.p7m", Path::Ring),   // P-256, SHA-256
            ("valid_p384.p7m", Path::Ring), // P-384, SHA-384
            ("sha1.p7m", Path::Ring),       // RSA-2048 with SHA-1 (refused, but checked)
            ("pss.p7m", Path::Pure),        // RSA-PSS, SHA-256, OpenSSL's longest salt (222)
        ] {
            let (signed, alg, signature, cert) = first_signer(name);
            let key = cert.public_key().expect("key");
            assert_eq!(path_of(key, &alg), path, "{name}: {alg:?}");
            assert_both_paths(name, key, &alg, &signed, &signature);
        }
    }

    #[test]
    fn openssl_fixture_certificate_signatures_verify_on_ring_and_on_the_pure_path() {
        let root = Cert::parse(&fixture("root.der")).expect("root");
        let inter = Cert::parse(&fixture("inter.der")).expect("intermediate");
        for (subject, issuer) in [
            (&inter, &root),
            (&Cert::parse(&fixture("mario.der")).expect("mario"), &inter),
            (&Cert::parse(&fixture("laura.der")).expect("laura"), &inter),
        ] {
            let alg = subject.cert.signature_algorithm();
            let (oid, params) = (alg.oid.to_string(), alg.parameters.as_ref());
            let params = params.map(|p| der::Encode::to_der(p).expect("params"));
            let alg = signature_algorithm(&oid, params.as_deref(), None).expect("known");
            let key = issuer.public_key().expect("key");
            assert_eq!(path_of(key, &alg), Path::Ring);
            let signature = subject.cert.signature().raw_bytes();
            assert_both_paths(&subject.subject(), key, &alg, &subject.tbs, signature);
        }
    }

    /// Runs `openssl` with `args`; its standard output.
    fn openssl(args: &[&str]) -> Vec<u8> {
        let out = std::process::Command::new("openssl")
            .args(args)
            .env("OPENSSL_CONF", "/dev/null")
            .output()
            .expect("openssl runs (the oracle tests need it too)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Every parameter set the verifier knows, signed by OpenSSL over the same message: each
    /// verifies on the path chosen for it and on the pure one, and tampering fails on both.
    #[test]
    fn every_parameter_set_signed_by_openssl_verifies_on_its_path() {
        let dir = std::env::temp_dir().join(format!("firma-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let message = file("message.bin");
        std::fs::write(&message, b"Certificato di origine n. 2026/0042\n").expect("message");
        let keys = [
            (
                "rsa2048",
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"][..],
            ),
            (
                "rsa1024",
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"][..],
            ),
            (
                "p256",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
            ),
            (
                "p384",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"][..],
            ),
        ];
        for (name, opts) in keys {
            let mut args = vec!["genpkey", "-out"];
            let out = file(&format!("{name}.key"));
            args.push(&out);
            args.extend_from_slice(opts);
            openssl(&args);
        }
        let pss = |digest, salt| {
            Scheme::Pss {
                salt_len: Some(salt),
            }
            .with(digest)
        };
        let cases: Vec<(&str, SignatureAlgorithm, &[&str], Path)> = vec![
            (
                "rsa2048",
                Scheme::Pkcs1v15.with(Digest::Sha256),
                &[],
                Path::Ring,
            ),
            (
                "rsa2048",
                Scheme::Pkcs1v15.with(Digest::Sha384),
                &[],
                Path::Ring,
            ),
            (
                "rsa2048",
                Scheme::Pkcs1v15.with(Digest::Sha512),
                &[],
                Path::Ring,
            ),
            (
                "rsa2048",
                Scheme::Pkcs1v15.with(Digest::Sha1),
                &[],
                Path::Ring,
            ),
            (
                "rsa1024",
                Scheme::Pkcs1v15.with(Digest::Sha256),
                &[],
                Path::Ring,
            ),
            (
                "rsa1024",
                Scheme::Pkcs1v15.with(Digest::Sha384),
                &[],
                Path::Pure,
            ),
            (
                "rsa2048",
                pss(Digest::Sha256, 32),
                &["rsa_pss_saltlen:32"],
                Path::Ring,
            ),
            (
                "rsa2048",
                pss(Digest::Sha384, 48),
                &["rsa_pss_saltlen:48"],
                Path::Ring,
            ),
            (
                "rsa2048",
                pss(Digest::Sha512, 64),
                &["rsa_pss_saltlen:64"],
                Path::Ring,
            ),
            (
                "rsa2048",
                pss(Digest::Sha256, 20),
                &["rsa_pss_saltlen:20"],
                Path::Pure,
            ),
            (
                "rsa2048",
                pss(Digest::Sha256, 222),
                &["rsa_pss_saltlen:222"],
                Path::Pure,
            ),
            (
                "rsa2048",
                pss(Digest::Sha1, 20),
                &["rsa_pss_saltlen:20"],
                Path::Pure,
            ),
            ("p256", Scheme::Ecdsa.with(Digest::Sha256), &[], Path::Ring),
            ("p256", Scheme::Ecdsa.with(Digest::Sha384), &[], Path::Ring),
            ("p256", Scheme::Ecdsa.with(Digest::Sha512), &[], Path::Pure),
            ("p256", Scheme::Ecdsa.with(Digest::Sha1), &[], Path::Pure),
            ("p384", Scheme::Ecdsa.with(Digest::Sha256), &[], Path::Ring),
            ("p384", Scheme::Ecdsa.with(Digest::Sha384), &[], Path::Ring),
            ("p384", Scheme::Ecdsa.with(Digest::Sha512), &[], Path::Pure),
        ];
        for (i, (key_name, alg, extra, path)) in cases.into_iter().enumerate() {
            let key_file = file(&format!("{key_name}.key"));
            let sig_file = file(&format!("{i}.sig"));
            let digest = format!("-{}", alg.digest.name().replace('-', "").to_lowercase());
            let mut args = vec![
                "dgst",
                digest.as_str(),
                "-sign",
                &key_file,
                "-out",
                &sig_file,
            ];
            let sigopts: Vec<String> = match alg.scheme {
                Scheme::Pss { .. } => ["rsa_padding_mode:pss", "rsa_mgf1_md:"]
                    .iter()
                    .map(|o| (*o).to_owned())
                    .chain(extra.iter().map(|o| (*o).to_owned()))
                    .map(|o| match o.as_str() {
                        "rsa_mgf1_md:" => format!("rsa_mgf1_md:{}", &digest[1..]),
                        _ => o,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for o in &sigopts {
                args.extend_from_slice(&["-sigopt", o]);
            }
            args.push(&message);
            openssl(&args);
            let spki = openssl(&["pkey", "-in", &key_file, "-pubout", "-outform", "DER"]);
            let key = PublicKey::from_spki(&spki).expect("key");
            let what = format!("{key_name} {}", alg.name());
            assert_eq!(path_of(&key, &alg), path, "{what}");
            let signature = std::fs::read(&sig_file).expect("signature");
            let signed = std::fs::read(&message).expect("message");
            assert_both_paths(&what, &key, &alg, &signed, &signature);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn malformed_rsa_keys_are_bad_keys() {
        // SEQUENCE { INTEGER n, INTEGER e } with an even modulus, then an even exponent.
        let mut n = vec![0x00];
        n.extend(std::iter::repeat_n(0xab, 256));
        let key = |n: &[u8], e: &[u8]| {
            let mut body = vec![0x02, 0x82, 0x01, 0x01];
            body.extend_from_slice(n);
            body.extend_from_slice(&[0x02, e.len() as u8]);
            body.extend_from_slice(e);
            let mut der = vec![0x30, 0x82];
            der.extend_from_slice(&(body.len() as u16).to_be_bytes());
            der.extend(body);
            rsa_key(&der)
        };
        let mut odd = n.clone();
        *odd.last_mut().expect("modulus") = 0xad;
        *n.last_mut().expect("modulus") = 0xaa;
        assert!(matches!(
            key(&odd, &[0x01, 0x00, 0x01]),
            Ok(PublicKey::Rsa { bits: 2048, .. })
        ));
        assert_eq!(key(&n, &[0x01, 0x00, 0x01]).err(), Some(SigError::BadKey));
        assert_eq!(key(&odd, &[0x01, 0x00, 0x00]).err(), Some(SigError::BadKey));
        assert_eq!(key(&odd, &[0x01]).err(), Some(SigError::BadKey));
        assert_eq!(
            key(&odd, &[0x03, 0x00, 0x00, 0x00, 0x01]).err(),
            Some(SigError::BadKey),
            "exponent over 33 bits"
        );
    }

    #[test]
    fn pss_defaults_are_sha1_with_salt_20() {
        let a = signature_algorithm("1.2.840.113549.1.1.10", None, None).expect("known");
        assert_eq!(a.digest, Digest::Sha1);
        assert_eq!(a.scheme, Scheme::Pss { salt_len: Some(20) });
    }
}
