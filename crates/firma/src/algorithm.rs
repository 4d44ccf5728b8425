//! Digests, public keys and signature checks (RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384).
//!
//! SHA-1 is recognised only so that it can be reported; the caller decides whether it is
//! allowed (never for document signatures, still accepted on certificates and CRLs).

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

/// A public key from a SubjectPublicKeyInfo.
pub enum PublicKey {
    /// RSA, with its modulus size in bits.
    Rsa(Box<rsa::PublicKey>, usize),
    /// RSA too short for the RSA crate; only its size is known.
    ShortRsa(usize),
    /// ECDSA on P-256.
    P256(Box<p256::ecdsa::VerifyingKey>),
    /// ECDSA on P-384.
    P384(Box<p384::ecdsa::VerifyingKey>),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa(_, bits) | Self::ShortRsa(bits) => write!(f, "RSA-{bits}"),
            Self::P256(_) => f.write_str("P-256"),
            Self::P384(_) => f.write_str("P-384"),
        }
    }
}

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
                match curve.as_str() {
                    "1.2.840.10045.3.1.7" => p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                        .map(|k| Self::P256(Box::new(k)))
                        .map_err(|_| SigError::BadKey),
                    "1.3.132.0.34" => p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                        .map(|k| Self::P384(Box::new(k)))
                        .map_err(|_| SigError::BadKey),
                    _ => Err(SigError::Unsupported(format!("EC curve {curve}"))),
                }
            }
            _ => Err(SigError::Unsupported(oid)),
        }
    }

    /// RSA modulus size, if RSA.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::Rsa(_, bits) | Self::ShortRsa(bits) => Some(*bits),
            _ => None,
        }
    }

    /// Checks `signature` over `message` with algorithm `alg`.
    pub fn verify(
        &self,
        alg: &SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        let hashed = alg.digest.hash(message);
        self.verify_prehashed(alg, &hashed, signature)
    }

    /// Checks `signature` over an already computed digest.
    pub fn verify_prehashed(
        &self,
        alg: &SignatureAlgorithm,
        hashed: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        match (self, alg.scheme) {
            (Self::Rsa(key, _), Scheme::Pkcs1v15) => {
                let scheme = match alg.digest {
                    Digest::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                    Digest::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    Digest::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    Digest::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                key.verify(scheme, hashed, signature)
                    .map_err(|_| SigError::Invalid)
            }
            (Self::Rsa(key, _), Scheme::Pss { salt_len }) => {
                let result = match alg.digest {
                    Digest::Sha1 => key.verify(pss::<sha1::Sha1>(salt_len), hashed, signature),
                    Digest::Sha256 => key.verify(pss::<sha2::Sha256>(salt_len), hashed, signature),
                    Digest::Sha384 => key.verify(pss::<sha2::Sha384>(salt_len), hashed, signature),
                    Digest::Sha512 => key.verify(pss::<sha2::Sha512>(salt_len), hashed, signature),
                };
                result.map_err(|_| SigError::Invalid)
            }
            (Self::ShortRsa(bits), _) => Err(SigError::TooShort(*bits)),
            (Self::P256(key), Scheme::Ecdsa) => {
                let sig =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| SigError::Invalid)?;
                key.verify_prehash(hashed, &sig)
                    .map_err(|_| SigError::Invalid)
            }
            (Self::P384(key), Scheme::Ecdsa) => {
                let sig =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| SigError::Invalid)?;
                key.verify_prehash(hashed, &sig)
                    .map_err(|_| SigError::Invalid)
            }
            _ => Err(SigError::Unsupported(
                "key type and signature algorithm do not match".to_owned(),
            )),
        }
    }
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

fn rsa_key(pkcs1: &[u8]) -> Result<PublicKey, SigError> {
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    let seq = Reader::new(pkcs1)
        .expect(ber::SEQUENCE)
        .map_err(|_| SigError::BadKey)?;
    let modulus = seq
        .children()
        .expect(ber::INTEGER)
        .map_err(|_| SigError::BadKey)?;
    let significant: &[u8] = {
        let skip = modulus.value.iter().take_while(|b| **b == 0).count();
        &modulus.value[skip..]
    };
    let bits = match significant.first() {
        Some(first) => significant.len() * 8 - first.leading_zeros() as usize,
        None => return Err(SigError::BadKey),
    };
    if bits < rsa::PublicKey::MIN_SIZE {
        return Ok(PublicKey::ShortRsa(bits));
    }
    rsa::PublicKey::from_pkcs1_der(pkcs1)
        .map(|k| PublicKey::Rsa(Box::new(k), bits))
        .map_err(|_| SigError::BadKey)
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

    #[test]
    fn pss_defaults_are_sha1_with_salt_20() {
        let a = signature_algorithm("1.2.840.113549.1.1.10", None, None).expect("known");
        assert_eq!(a.digest, Digest::Sha1);
        assert_eq!(a.scheme, Scheme::Pss { salt_len: Some(20) });
    }
}
