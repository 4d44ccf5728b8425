//! Certification paths to the configured trust anchors, and revocation by CRL.
//!
//! We build paths ourselves instead of using `rustls-webpki`: webpki is made for TLS (it insists
//! on an extended key usage for the leaf and has no notion of a document-signing purpose). A
//! signer's path here is short (leaf, one or two CAs, anchor), so a depth-first search over the
//! certificates at hand is simple and cheap.
//!
//! Rules: every certificate on the path is valid at the verification time (the anchor too);
//! each issuer has the same name as the subject's issuer field, is a CA (basicConstraints),
//! may sign certificates (keyUsage keyCertSign when keyUsage is present), respects its
//! pathLenConstraint, and its key verifies the subject's signature over the raw TBSCertificate.
//! SHA-1 is accepted on certificates and CRLs: the 2011 rule is about signatures on documents.

use crate::algorithm;
use crate::ber::{self, Reader};
use crate::certificate::Cert;
use crate::problem::Problem;
use der::{Decode as _, Encode as _};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::SystemTime;
use x509_cert::certificate::Raw;
use x509_cert::crl::CertificateList;

/// Longest path searched (intermediates between the leaf and the anchor).
const MAX_PATH: usize = 6;

/// Signature checks one verification may spend on path building, shared by all its signers
/// (hostile envelopes could otherwise make the search explode).
pub const SIGNATURE_CHECK_BUDGET: usize = 1024;

/// CA-certificate signatures remembered per thread (see [`VERIFIED_CA_LINKS`]).
const VERIFIED_CA_LINKS_KEPT: usize = 64;

thread_local! {
    /// CA certificates (subject DER, issuer DER) whose signature verified. Every file signed
    /// under one qualified CA carries the same intermediate certificate, so a service checks
    /// the same intermediate-to-root signature again and again; an entry is the exact bytes
    /// of both certificates, so a hit is the same check with the same answer. End-entity
    /// certificates are always checked. Bounded: the oldest entry goes first.
    static VERIFIED_CA_LINKS: RefCell<VecDeque<(Vec<u8>, Vec<u8>)>> =
        const { RefCell::new(VecDeque::new()) };
}

/// Checks `subject`'s signature with `issuer`'s key, if the budget allows. A check answered
/// from [`VERIFIED_CA_LINKS`] spends the budget too, so the outcome never depends on what
/// this thread verified before.
fn signed_within_budget(subject: &Cert, issuer: &Cert, budget: &Cell<usize>) -> bool {
    let left = budget.get();
    if left == 0 {
        return false;
    }
    budget.set(left - 1);
    if !subject.is_ca() {
        return subject.is_signed_by(issuer);
    }
    // `try_with`: during the thread's teardown nothing is remembered.
    let known = VERIFIED_CA_LINKS
        .try_with(|links| {
            links
                .borrow()
                .iter()
                .any(|(s, i)| *s == subject.der && *i == issuer.der)
        })
        .unwrap_or(false);
    if known {
        return true;
    }
    let signed = subject.is_signed_by(issuer);
    if signed {
        let _ = VERIFIED_CA_LINKS.try_with(|links| {
            let mut links = links.borrow_mut();
            if links.len() == VERIFIED_CA_LINKS_KEPT {
                links.pop_front();
            }
            links.push_back((subject.der.clone(), issuer.der.clone()));
        });
    }
    signed
}

/// A parsed CRL with the raw TBSCertList its signature covers.
#[derive(Clone)]
pub struct Crl {
    pub(crate) tbs: Vec<u8>,
    pub(crate) list: CertificateList<Raw>,
}

impl std::fmt::Debug for Crl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crl")
    }
}

impl Crl {
    /// Parses a DER CRL.
    pub fn parse(der: &[u8]) -> Option<Self> {
        let list = CertificateList::<Raw>::from_der(der).ok()?;
        let outer = Reader::new(der).expect(ber::SEQUENCE).ok()?;
        let tbs = outer.children().expect(ber::SEQUENCE).ok()?.raw.to_vec();
        Some(Self { tbs, list })
    }

    pub(crate) fn is_signed_by(&self, issuer: &Cert) -> bool {
        let Ok(key) = issuer.public_key() else {
            return false;
        };
        let alg = &self.list.signature_algorithm;
        let params = alg.parameters.as_ref().and_then(|p| p.to_der().ok());
        let Ok(sig_alg) =
            algorithm::signature_algorithm(&alg.oid.to_string(), params.as_deref(), None)
        else {
            return false;
        };
        key.verify(&sig_alg, &self.tbs, self.list.signature.raw_bytes())
            .is_ok()
    }
}

/// Finds a path from `leaf` to one of `anchors` through `pool`. Returns the certificates
/// above the leaf, nearest first, ending with the anchor; `None` when there is no path.
pub fn build_path<'a>(
    leaf: &'a Cert,
    pool: &[&'a Cert],
    anchors: &'a [Cert],
    at: SystemTime,
    budget: &Cell<usize>,
) -> Option<Vec<&'a Cert>> {
    if anchors.iter().any(|a| a.der == leaf.der) {
        return Some(Vec::new());
    }
    let mut path = Vec::new();
    extend(leaf, pool, anchors, at, &mut path, budget).then_some(path)
}

fn issues(issuer: &Cert, subject: &Cert) -> bool {
    issuer.cert.tbs_certificate().subject() == subject.cert.tbs_certificate().issuer()
        && match (issuer.subject_key_id(), subject.authority_key_id()) {
            (Some(ski), Some(aki)) => ski == aki,
            _ => true,
        }
}

/// Intermediates below `ca` on the current path (self-issued ones do not count).
fn intermediates_below(path: &[&Cert]) -> usize {
    path.iter().filter(|c| !c.is_self_issued()).count()
}

fn acceptable_ca(
    ca: &Cert,
    subject: &Cert,
    path: &[&Cert],
    at: SystemTime,
    budget: &Cell<usize>,
) -> bool {
    issues(ca, subject)
        && ca.is_ca()
        && ca.may_sign_certificates()
        && ca.is_valid_at(at)
        && ca
            .path_len()
            .is_none_or(|n| intermediates_below(path) <= usize::from(n))
        && signed_within_budget(subject, ca, budget)
}

fn extend<'a>(
    current: &'a Cert,
    pool: &[&'a Cert],
    anchors: &'a [Cert],
    at: SystemTime,
    path: &mut Vec<&'a Cert>,
    budget: &Cell<usize>,
) -> bool {
    for anchor in anchors {
        // An anchor is trusted as configured: it need not carry basicConstraints.
        if issues(anchor, current)
            && anchor.is_valid_at(at)
            && anchor
                .path_len()
                .is_none_or(|n| intermediates_below(path) <= usize::from(n))
            && signed_within_budget(current, anchor, budget)
        {
            path.push(anchor);
            return true;
        }
    }
    if path.len() >= MAX_PATH {
        return false;
    }
    for &ca in pool {
        if ca.der == current.der || path.iter().any(|p| p.der == ca.der) {
            continue;
        }
        if acceptable_ca(ca, current, path, at, budget) {
            path.push(ca);
            if extend(ca, pool, anchors, at, path, budget) {
                return true;
            }
            path.pop();
        }
    }
    false
}

/// Checks `leaf` against the CRLs of `issuer`. CRLs of other issuers are ignored; a CRL that
/// names the issuer but is not signed by it is a problem only when no good CRL is found.
pub fn check_revocation(
    leaf: &Cert,
    issuer: &Cert,
    crls: &[&Crl],
    at: SystemTime,
) -> Option<Problem> {
    let issuer_name = leaf.cert.tbs_certificate().issuer();
    let mut bad_signature = false;
    let mut good = false;
    for crl in crls
        .iter()
        .filter(|c| &c.list.tbs_cert_list.issuer == issuer_name)
    {
        if !issuer.may_sign_crls() || !crl.is_signed_by(issuer) {
            bad_signature = true;
            continue;
        }
        good = true;
        let revoked = crl.list.tbs_cert_list.revoked_certificates.iter().flatten();
        for entry in revoked {
            if entry.serial_number.as_bytes() == leaf.serial_bytes()
                && entry.revocation_date.to_system_time() <= at
            {
                return Some(Problem::Revoked {
                    date: entry.revocation_date.to_date_time().to_string(),
                });
            }
        }
    }
    (bad_signature && !good).then_some(Problem::CrlSignatureInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn a_remembered_ca_signature_vouches_only_for_the_same_bytes_and_spends_the_budget() {
        let root = Cert::parse(&fixture("root.der")).expect("root");
        let inter_der = fixture("inter.der");
        let inter = Cert::parse(&inter_der).expect("intermediate");
        let budget = Cell::new(3);
        assert!(signed_within_budget(&inter, &root, &budget));
        assert!(signed_within_budget(&inter, &root, &budget), "remembered");
        assert_eq!(budget.get(), 1, "a remembered check spends the budget too");
        // The same certificate with one bit of its signature changed.
        let mut forged_der = inter_der.clone();
        let last = forged_der.len() - 1;
        forged_der[last] ^= 0x01;
        let forged = Cert::parse(&forged_der).expect("still parses");
        assert!(!signed_within_budget(&forged, &root, &budget));
        assert_eq!(budget.get(), 0);
        assert!(
            !signed_within_budget(&inter, &root, &budget),
            "no budget left"
        );
    }
}
