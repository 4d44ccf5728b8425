//! PAdES rules on the hand-written, OpenSSL-signed PDFs.

mod support;

use firma::Format;
use support::{fixture, options, signer_codes, verify};

#[test]
fn pades_signature_over_the_whole_file_is_valid() {
    let r = verify("pades_valid.pdf");
    assert!(r.valid, "{:?} {:?}", r.problem_codes(), signer_codes(&r));
    assert_eq!(r.format, Format::Pades);
    assert_eq!(r.signers.len(), 1);
    assert_eq!(r.signers[0].tax_code.as_deref(), Some("RSSMRA80A01H501U"));
    assert_eq!(r.content, fixture("pades_valid.pdf"));
}

#[test]
fn pades_signer_reports_a_signing_time() {
    // OpenSSL always writes a signingTime attribute, so the fallback to /M (unit-tested in the
    // pades module) cannot be exercised with these fixtures.
    assert!(verify("pades_valid.pdf").signers[0].signing_time.is_some());
}

#[test]
fn pades_changed_inside_the_byte_range_is_a_digest_mismatch() {
    let r = verify("pades_tampered.pdf");
    assert!(!r.valid);
    assert_eq!(signer_codes(&r), [["digest_mismatch"]]);
}

#[test]
fn pades_with_an_update_appended_after_signing_is_modified_after_signing() {
    let r = verify("pades_appended.pdf");
    assert!(!r.valid);
    assert_eq!(signer_codes(&r), [["pdf_modified_after_signing"]]);
    // The reported content is the signed revision, not the whole file.
    assert_eq!(r.content, fixture("pades_valid.pdf"));
}

#[test]
fn pades_byte_range_that_skips_more_than_contents_is_incomplete() {
    let pdf = fixture("pades_valid.pdf");
    let text = String::from_utf8_lossy(&pdf).into_owned();
    let at = text.find("/ByteRange [0 ").expect("byte range") + "/ByteRange [0 ".len();
    let end = at + text[at..].find(' ').expect("number end");
    let first: usize = text[at..end].parse().expect("number");
    // Leave one more byte (the "<") out of the first range, keeping the same width.
    let shorter = format!("{:<width$}", first - 1, width = end - at);
    let mut changed = pdf.clone();
    changed[at..end].copy_from_slice(shorter.as_bytes());
    let r = firma::verify(&changed, &options()).expect("still a signed PDF");
    assert!(!r.valid);
    assert!(signer_codes(&r)[0].contains(&"pdf_byte_range_incomplete"));
}

#[test]
fn pdf_without_signature_is_not_a_signature_file() {
    assert!(
        firma::verify(
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
            &options()
        )
        .is_err()
    );
}

#[test]
fn pdf_with_an_empty_signature_placeholder_is_malformed() {
    let r = verify("unsigned.pdf");
    assert!(!r.valid);
    assert_eq!(r.problem_codes(), ["pdf_signature_malformed"]);
}

#[test]
fn every_prefix_of_a_signed_pdf_is_handled_without_panic() {
    let full = fixture("pades_appended.pdf");
    for len in (0..full.len()).step_by(97) {
        let _ = firma::verify(&full[..len], &options());
    }
}
