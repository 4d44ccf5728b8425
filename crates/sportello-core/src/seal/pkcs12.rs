//! Reading a PKCS#12 file (RFC 7292) as OpenSSL 3 writes it by default: an HMAC-SHA-256
//! integrity MAC keyed by the PKCS#12 KDF, certificates in a PBES2-encrypted `encryptedData`,
//! the key in a PBES2 `pkcs8ShroudedKeyBag`. Plain `data` safes and unencrypted key bags are
//! read too. Legacy PKCS#12 PBE (RC2, 3DES: `openssl pkcs12 -legacy`) is refused with a
//! message saying how to re-export.
//!
//! RustCrypto's `pkcs12` crate pins an older prerelease of `cms` than the workspace, so the
//! few structures are declared here on `der`; decryption is `pkcs5`'s PBES2.

use crate::seal::SealError;
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::{Any, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
/// PBMAC1 (RFC 9579), written by OpenSSL 3.4+ with `-pbmac1_pbkdf2`.
const PBMAC1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.14");

/// More KDF iterations than this is a hostile or broken file, not a stronger one.
const MAX_ITERATIONS: u32 = 10_000_000;

/// What a PKCS#12 file holds.
pub(crate) struct Contents {
    /// The private key, PKCS#8 DER.
    pub key: Zeroizing<Vec<u8>>,
    /// Every certificate, DER.
    pub certificates: Vec<Vec<u8>>,
}

#[derive(Sequence)]
struct Pfx {
    version: u8,
    auth_safe: ContentInfo,
    mac_data: Option<MacData>,
}

#[derive(Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: OctetString,
    #[asn1(default = "one")]
    iterations: u32,
}

fn one() -> u32 {
    1
}

#[derive(Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

#[derive(Sequence)]
struct SafeBag {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: Any,
    /// `SET OF PKCS12Attribute` (friendly name, local key id): not needed, not decoded.
    bag_attributes: Option<Any>,
}

#[derive(Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}

#[derive(Sequence)]
struct EncryptedPrivateKeyInfo {
    algorithm: AlgorithmIdentifierOwned,
    encrypted_data: OctetString,
}

/// Reads `bytes` with `password`.
pub(crate) fn read(bytes: &[u8], password: &str) -> Result<Contents, SealError> {
    let pfx = Pfx::from_der(bytes).map_err(|_| SealError::NotPkcs12)?;
    if pfx.version != 3 || pfx.auth_safe.content_type != ID_DATA {
        return Err(SealError::NotPkcs12);
    }
    let auth_safe = pfx
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(|_| SealError::NotPkcs12)?;
    if let Some(mac) = &pfx.mac_data {
        check_mac(mac, auth_safe.as_bytes(), password)?;
    }
    let safes =
        Vec::<ContentInfo>::from_der(auth_safe.as_bytes()).map_err(|_| SealError::NotPkcs12)?;
    let mut keys = Vec::new();
    let mut certificates = Vec::new();
    for safe in safes {
        let contents: Zeroizing<Vec<u8>> = if safe.content_type == ID_DATA {
            let octets = safe
                .content
                .decode_as::<OctetString>()
                .map_err(|_| SealError::NotPkcs12)?;
            Zeroizing::new(octets.as_bytes().to_vec())
        } else if safe.content_type == ID_ENCRYPTED_DATA {
            let data = safe
                .content
                .decode_as::<EncryptedData>()
                .map_err(|_| SealError::NotPkcs12)?;
            let info = data.enc_content_info;
            let ciphertext = info.encrypted_content.ok_or(SealError::NotPkcs12)?;
            decrypt(&info.content_enc_alg, ciphertext.as_bytes(), password)?
        } else {
            return Err(SealError::UnsupportedPkcs12(format!(
                "a safe of type {} (public-key encrypted safes are not supported)",
                safe.content_type
            )));
        };
        let bags = Vec::<SafeBag>::from_der(&contents).map_err(|_| SealError::NotPkcs12)?;
        for bag in bags {
            let value = bag.bag_value.to_der().map_err(|_| SealError::NotPkcs12)?;
            match bag.bag_id {
                id if id == KEY_BAG => keys.push(Zeroizing::new(value)),
                id if id == SHROUDED_KEY_BAG => {
                    let info = EncryptedPrivateKeyInfo::from_der(&value)
                        .map_err(|_| SealError::NotPkcs12)?;
                    keys.push(decrypt(
                        &info.algorithm,
                        info.encrypted_data.as_bytes(),
                        password,
                    )?);
                }
                id if id == CERT_BAG => {
                    let cert = CertBag::from_der(&value).map_err(|_| SealError::NotPkcs12)?;
                    if cert.cert_id == X509_CERTIFICATE {
                        certificates.push(cert.cert_value.as_bytes().to_vec());
                    }
                }
                // CRL bags, secret bags and nested safes are not needed for a seal.
                _ => {}
            }
        }
    }
    if keys.len() != 1 {
        return Err(SealError::NoPrivateKey);
    }
    let key = keys.swap_remove(0);
    Ok(Contents { key, certificates })
}

/// Checks the integrity MAC: HMAC-SHA-256 with a key from the PKCS#12 KDF (RFC 7292 B.2).
fn check_mac(mac: &MacData, content: &[u8], password: &str) -> Result<(), SealError> {
    let alg = mac.mac.algorithm.oid;
    if alg == PBMAC1 {
        return Err(SealError::UnsupportedPkcs12(
            "PBMAC1 integrity; export without -pbmac1_pbkdf2".into(),
        ));
    }
    if alg != SHA256 {
        return Err(SealError::UnsupportedPkcs12(format!(
            "integrity MAC with digest {alg}; re-export with OpenSSL 3's defaults \
             (openssl pkcs12 -export without -legacy)"
        )));
    }
    if mac.iterations == 0 || mac.iterations > MAX_ITERATIONS {
        return Err(SealError::UnsupportedPkcs12(format!(
            "{} MAC iterations",
            mac.iterations
        )));
    }
    let key = pkcs12_kdf_sha256(password, mac.mac_salt.as_bytes(), mac.iterations, 3, 32);
    let mut hmac = hmac::Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| SealError::Signing("HMAC key".into()))?;
    hmac.update(content);
    hmac.verify_slice(mac.mac.digest.as_bytes())
        .map_err(|_| SealError::WrongPassword)
}

/// The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256, for the MAC key
/// (`id` 3). The password is a NUL-terminated BMPString (UTF-16BE).
fn pkcs12_kdf_sha256(
    password: &str,
    salt: &[u8],
    iterations: u32,
    id: u8,
    len: usize,
) -> Zeroizing<Vec<u8>> {
    const U: usize = 32; // SHA-256 output
    const V: usize = 64; // SHA-256 block
    let mut pass = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
    for unit in password.encode_utf16() {
        pass.extend_from_slice(&unit.to_be_bytes());
    }
    pass.extend_from_slice(&[0, 0]);
    let fill = |src: &[u8]| -> Vec<u8> {
        if src.is_empty() {
            return Vec::new();
        }
        let n = V * src.len().div_ceil(V);
        src.iter().copied().cycle().take(n).collect()
    };
    let mut i = Zeroizing::new(fill(salt));
    i.extend_from_slice(&fill(&pass));
    let d = [id; V];
    let mut out = Zeroizing::new(Vec::with_capacity(len + U));
    while out.len() < len {
        let mut a: [u8; U] = Sha256::new()
            .chain_update(d)
            .chain_update(&*i)
            .finalize()
            .into();
        for _ in 1..iterations {
            a = Sha256::digest(a).into();
        }
        out.extend_from_slice(&a);
        if out.len() >= len {
            break;
        }
        // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
        let b: Vec<u8> = a.iter().copied().cycle().take(V).collect();
        for block in i.chunks_mut(V) {
            let mut carry = 1u16;
            for k in (0..V).rev() {
                let sum = u16::from(block[k]) + u16::from(b[k]) + carry;
                block[k] = (sum & 0xff) as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(len);
    out
}

/// Decrypts a PBES2 payload; the password is used as its UTF-8 bytes, as OpenSSL does.
fn decrypt(
    alg: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if alg.oid != PBES2 {
        return Err(SealError::UnsupportedPkcs12(format!(
            "encryption {} (legacy PKCS#12 PBE); re-export with OpenSSL 3's defaults, \
             e.g. openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC",
            alg.oid
        )));
    }
    let der = alg.to_der().map_err(|_| SealError::NotPkcs12)?;
    let scheme = pkcs5::EncryptionScheme::from_der(&der).map_err(|_| {
        SealError::UnsupportedPkcs12("PBES2 with a KDF or cipher we do not know".into())
    })?;
    if let Some(params) = scheme.pbes2()
        && let pkcs5::pbes2::Kdf::Pbkdf2(p) = &params.kdf
        && p.iteration_count > MAX_ITERATIONS
    {
        return Err(SealError::UnsupportedPkcs12(format!(
            "{} PBKDF2 iterations",
            p.iteration_count
        )));
    }
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let len = scheme
        .decrypt_in_place(password.as_bytes(), &mut buffer)
        .map_err(|_| SealError::WrongPassword)?
        .len();
    buffer.truncate(len);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers from OpenSSL: `openssl kdf -keylen N -kdfopt digest:SHA256
    /// -kdfopt hexpass:<BMPString> -kdfopt salt:S -kdfopt iter:I -kdfopt id:ID PKCS12KDF`.
    #[test]
    fn the_kdf_matches_openssl() {
        let mac_key = pkcs12_kdf_sha256("sigillo-demo", b"saltsalt", 2048, 3, 32);
        assert_eq!(
            hex::encode(&*mac_key),
            "093e0187e99d3e4097fa11ea28863a41a3fcc6b122fcf186c2ed7166d6dc81b6"
        );
        // Longer than one hash: the I_j update between blocks.
        let long = pkcs12_kdf_sha256("x", b"s", 1, 1, 80);
        assert_eq!(
            hex::encode(&*long),
            "8249f32cb3dc2d898f4dc23baf2d2db1cde94a04f62d4a3f7c1e7fa1075c93967d9916d35904ad3d\
             03c1a96c7bac9aa769b42bc4cb317442df9a946b8dcdfdf4d56cef87f396eb3d0e5700026d6e56aa"
        );
    }

    #[test]
    fn garbage_is_not_pkcs12() {
        assert!(matches!(read(b"hello", "x"), Err(SealError::NotPkcs12)));
        assert!(matches!(
            read(&[0x30, 0x03, 2, 1, 3], "x"),
            Err(SealError::NotPkcs12)
        ));
    }
}
