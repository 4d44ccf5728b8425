#![allow(clippy::unwrap_used)]

use crate::seal::pdf::*;

/// A PDF with correct offsets from `objects` (number 1 upwards) and a trailer `extra`.
fn small_pdf(objects: &[&str], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn fields() -> SignatureFields<'static> {
    SignatureFields {
        at: chrono::DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap(),
        reason: "r",
        location: "l",
        contents_len: 16,
    }
}

fn update_text(pdf: &[u8]) -> (Update, String) {
    let update = prepare(pdf, &fields()).unwrap();
    let text = String::from_utf8_lossy(&update.bytes[pdf.len()..]).into_owned();
    (update, text)
}

#[test]
fn indirect_arrays_and_an_existing_acroform_are_extended_in_place() {
    let pdf = small_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
            "<< /Type /Pages /Kids [6 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 6 0 R /Annots 4 0 R /MediaBox [0 0 10 10] >>",
            "[]",
            "<< /Fields 7 0 R /DA (/Helv 0 Tf) >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1 >>",
            "[8 0 R]",
            "<< /FT /Tx /T (name) >>",
        ],
        "/ID [<01> <02>]",
    );
    let (update, text) = update_text(&pdf);
    // The page (3) and the catalog (1) are untouched; the arrays and the AcroForm change.
    assert!(
        !text.contains("\n3 0 obj") && !text.contains("\n1 0 obj"),
        "{text}"
    );
    assert!(text.contains("4 0 obj\n[ 10 0 R]"), "{text}");
    assert!(text.contains("7 0 obj\n[8 0 R 10 0 R]"), "{text}");
    assert!(
        text.contains("5 0 obj\n<</Fields 7 0 R/DA (/Helv 0 Tf)/SigFlags 3>>"),
        "{text}"
    );
    assert!(text.contains("/T(SigilloCamerale2)"), "{text}");
    assert!(text.contains("/P 3 0 R"), "{text}");
    assert!(
        text.contains("trailer\n<</Size 12/Root 1 0 R/ID [<01> <02>]/Prev "),
        "{text}"
    );
    // Cross-reference runs: 4-5, 7, 9-11.
    assert!(
        text.contains("xref\n4 2\n") && text.contains("\n7 1\n") && text.contains("\n9 3\n"),
        "{text}"
    );
    // Every offset in the new section points at its object.
    let bytes = &update.bytes;
    let xref_at = pdf.len() + text.find("xref\n").unwrap();
    let section = String::from_utf8_lossy(&bytes[xref_at..]).into_owned();
    let mut lines = section.lines().skip(1);
    while let Some(header) = lines.next() {
        if header.starts_with("trailer") {
            break;
        }
        let mut h = header.split(' ');
        let first: usize = h.next().unwrap().parse().unwrap();
        let count: usize = h.next().unwrap().parse().unwrap();
        for i in 0..count {
            let entry = lines.next().unwrap();
            let offset: usize = entry[..10].parse().unwrap();
            let expected = format!("{} 0 obj", first + i);
            assert!(
                bytes[offset..].starts_with(expected.as_bytes()),
                "{expected} at {offset}"
            );
        }
    }
}

#[test]
fn the_byte_range_leaves_out_exactly_the_contents() {
    let pdf = small_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R >>",
        ],
        "",
    );
    let (mut update, text) = update_text(&pdf);
    let at = text.find("/ByteRange[").unwrap() + "/ByteRange[".len();
    let close = text[at..].find(']').unwrap();
    let nums: Vec<usize> = text[at..at + close]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(nums[0], 0);
    assert_eq!(nums[1], update.contents.start);
    assert_eq!(nums[2], update.contents.end);
    assert_eq!(nums[2] + nums[3], update.bytes.len());
    assert_eq!(update.bytes[nums[1]], b'<');
    assert_eq!(update.bytes[nums[2] - 1], b'>');
    assert_eq!(nums[2] - nums[1], 2 + 32);
    assert!(
        text.contains("3 0 obj\n<</Type /Page/Parent 2 0 R/Annots [5 0 R]>>"),
        "{text}"
    );
    // Filling changes only the Contents; a too-large CMS is refused.
    let digest = update.digest();
    update.fill(&[0xab; 16]).unwrap();
    assert_eq!(update.digest(), digest);
    assert!(update.fill(&[0; 17]).is_err());
}

#[test]
fn cross_reference_streams_and_encrypted_files_are_refused() {
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /XRef /Size 2 /Root 1 0 R >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n";
    let err = prepare(pdf, &fields()).unwrap_err();
    assert!(err.to_string().contains("cross-reference streams"), "{err}");
    let encrypted = small_pdf(&["<< /Type /Catalog /Pages 2 0 R >>"], "/Encrypt 5 0 R");
    let err = prepare(&encrypted, &fields()).unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
    assert!(prepare(b"not a pdf", &fields()).is_err());
    assert!(prepare(b"%PDF-1.7\nstartxref\n999999\n%%EOF", &fields()).is_err());
}

#[test]
fn text_strings_are_literal_or_utf16() {
    assert_eq!(text_string("Genova"), "(Genova)");
    assert_eq!(text_string("a(b)\\"), "(a\\(b\\)\\\\)");
    assert_eq!(text_string("Città"), "<FEFF004300690074007400E0>");
    assert_eq!(text_string("<<x>>"), "<FEFF003C003C0078003E003E>");
}
