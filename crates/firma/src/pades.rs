//! PAdES: CMS signatures embedded in a PDF and checked over their `/ByteRange`.
//!
//! Signature dictionaries are found by their `/ByteRange` key, read with a small lexer (names,
//! strings, hex strings, arrays, nested dictionaries). We do not parse the whole PDF: the
//! signature dictionary must be a plain object (as ISO 32000 requires, since `/ByteRange`
//! holds file offsets), so this is enough. A signature is valid when its ByteRange starts at
//! 0 and leaves out exactly the `/Contents` hex string, the CMS (`ETSI.CAdES.detached` or
//! `adbe.pkcs7.detached`) verifies over the covered bytes with the same rules as CAdES, and,
//! for the signature covering the most, nothing follows the signed revision.
//! Document timestamps (`/Type /DocTimeStamp`) are skipped: they carry no signer.
//! Changes made in incremental updates between two signatures are not analysed (no DocMDP).

use crate::algorithm::ContentDigests;
use crate::envelope::{self, Trust};
use crate::problem::Problem;
use crate::report::{Format, Report};
use crate::{NotASignature, VerifyOptions, ber};

/// At most this many signature dictionaries are examined.
const MAX_SIGNATURES: usize = 64;
/// Nesting limit of the dictionary lexer.
const MAX_DICT_DEPTH: usize = 16;
/// `/ByteRange` occurrences examined at most (bounds the work on hostile files).
const MAX_CANDIDATES: usize = 128;
/// How far a signature dictionary may extend before or after its `/ByteRange` key.
const MAX_DICT_SPAN: usize = 2 * 1024 * 1024;

/// Does the input start as a PDF?
pub fn is_pdf(input: &[u8]) -> bool {
    input.starts_with(b"%PDF-")
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Name(Vec<u8>),
    Text(Vec<u8>),
    Hex { start: usize, end: usize },
    Number(i64),
    Array(Vec<Value>),
    Other,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%' | 0
        )
}

struct Lexer<'a> {
    pdf: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        while let Some(&b) = self.pdf.get(self.pos) {
            if b == b'%' {
                while self
                    .pdf
                    .get(self.pos)
                    .is_some_and(|c| *c != b'\n' && *c != b'\r')
                {
                    self.pos += 1;
                }
            } else if b.is_ascii_whitespace() || b == 0 {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> &[u8] {
        let start = self.pos;
        while self.pdf.get(self.pos).is_some_and(|b| !is_delimiter(*b)) {
            self.pos += 1;
        }
        &self.pdf[start..self.pos]
    }

    fn literal(&mut self) -> Option<Vec<u8>> {
        self.pos += 1; // (
        let mut depth = 1usize;
        let mut out = Vec::new();
        loop {
            let b = *self.pdf.get(self.pos)?;
            self.pos += 1;
            match b {
                b'\\' => {
                    let e = *self.pdf.get(self.pos)?;
                    self.pos += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        other => other,
                    });
                }
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(out);
                    }
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DICT_DEPTH {
            return None;
        }
        self.skip_space();
        let b = *self.pdf.get(self.pos)?;
        match b {
            b'/' => {
                self.pos += 1;
                Some(Value::Name(self.token().to_vec()))
            }
            b'(' => self.literal().map(Value::Text),
            b'<' if self.pdf.get(self.pos + 1) == Some(&b'<') => {
                self.dictionary(depth + 1)?;
                Some(Value::Other)
            }
            b'<' => {
                let start = self.pos;
                let len = self.pdf.get(start..)?.iter().position(|c| *c == b'>')?;
                self.pos = start + len + 1;
                Some(Value::Hex {
                    start,
                    end: self.pos,
                })
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if *self.pdf.get(self.pos)? == b']' {
                        self.pos += 1;
                        return Some(Value::Array(items));
                    }
                    items.push(self.value(depth + 1)?);
                }
            }
            b')' | b'>' | b']' | b'{' | b'}' => {
                self.pos += 1;
                Some(Value::Other)
            }
            _ => {
                let t = self.token();
                if t.is_empty() {
                    self.pos += 1;
                    return Some(Value::Other);
                }
                Some(
                    std::str::from_utf8(t)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .map_or(Value::Other, Value::Number),
                )
            }
        }
    }

    /// Reads a dictionary starting at `<<`; returns its top-level entries.
    fn dictionary(&mut self, depth: usize) -> Option<Vec<(Vec<u8>, Value)>> {
        if self.pdf.get(self.pos..self.pos + 2)? != b"<<" || depth > MAX_DICT_DEPTH {
            return None;
        }
        self.pos += 2;
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            if self.pdf.get(self.pos..self.pos + 2)? == b">>" {
                self.pos += 2;
                return Some(entries);
            }
            // Anything but a name here is a reference ("5 0 R") or a stray token: skipped.
            if let Value::Name(key) = self.value(depth)? {
                let v = self.value(depth)?;
                entries.push((key, v));
            }
        }
    }
}

/// Start of the dictionary that encloses `pos` (scanning back over `<<` / `>>`).
fn enclosing_dictionary(pdf: &[u8], pos: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = pos;
    let floor = pos.saturating_sub(MAX_DICT_SPAN);
    while i >= 2 && i > floor {
        let pair = &pdf[i - 2..i];
        if pair == b">>" {
            depth += 1;
            i -= 2;
        } else if pair == b"<<" {
            if depth == 0 {
                return Some(i - 2);
            }
            depth -= 1;
            i -= 2;
        } else {
            i -= 1;
        }
    }
    None
}

/// One signature dictionary.
#[derive(Debug)]
struct SignatureDict {
    byte_range: Vec<i64>,
    contents: (usize, usize),
    sub_filter: Option<String>,
    kind: Option<Vec<u8>>,
    signing_time: Option<String>,
}

fn find_signatures(pdf: &[u8]) -> Vec<SignatureDict> {
    let mut found = Vec::new();
    let mut starts = Vec::new();
    let mut from = 0;
    let mut candidates = 0;
    while let Some(off) = find(&pdf[from..], b"/ByteRange") {
        let at = from + off;
        from = at + 1;
        candidates += 1;
        if candidates > MAX_CANDIDATES {
            break;
        }
        let Some(start) = enclosing_dictionary(pdf, at) else {
            continue;
        };
        if starts.contains(&start) {
            continue;
        }
        starts.push(start);
        let window = &pdf[..pdf.len().min(at.saturating_add(MAX_DICT_SPAN))];
        let mut lexer = Lexer {
            pdf: window,
            pos: start,
        };
        let Some(entries) = lexer.dictionary(0) else {
            continue;
        };
        let get = |k: &[u8]| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let (Some(Value::Array(range)), Some(Value::Hex { start, end })) =
            (get(b"ByteRange"), get(b"Contents"))
        else {
            continue;
        };
        let byte_range = range
            .iter()
            .filter_map(|v| {
                if let Value::Number(n) = v {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect();
        let name = |k: &[u8]| match get(k) {
            Some(Value::Name(n)) => Some(n.clone()),
            _ => None,
        };
        found.push(SignatureDict {
            byte_range,
            contents: (*start, *end),
            sub_filter: name(b"SubFilter").map(|n| String::from_utf8_lossy(&n).into_owned()),
            kind: name(b"Type"),
            signing_time: match get(b"M") {
                Some(Value::Text(t)) => pdf_date(t),
                _ => None,
            },
        });
        if found.len() == MAX_SIGNATURES {
            break;
        }
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `D:YYYYMMDDHHmmSSOHH'mm'` to RFC 3339 UTC.
pub fn pdf_date(text: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(text).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let part = |from: usize, len: usize, default: u16| -> Option<u16> {
        match digits.get(from..from + len) {
            Some(p) => p.parse().ok(),
            None => Some(default),
        }
    };
    let (year, month, day) = (part(0, 4, 1)?, part(4, 2, 1)?, part(6, 2, 1)?);
    let (hour, minute, second) = (part(8, 2, 0)?, part(10, 2, 0)?, part(12, 2, 0)?);
    let local = der::DateTime::new(
        year,
        month as u8,
        day as u8,
        hour as u8,
        minute as u8,
        second as u8,
    )
    .ok()?;
    let rest = &s[digits.len()..];
    let offset_secs: i64 = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let mut nums = rest[1..]
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty());
            let mut field = |max: i64| -> Option<i64> {
                match nums.next() {
                    None => Some(0),
                    Some(p) => p.parse().ok().filter(|n| (0..=max).contains(n)),
                }
            };
            let secs = field(23)? * 3600 + field(59)? * 60;
            if sign == '+' { secs } else { -secs }
        }
        _ => 0,
    };
    let unix = i64::try_from(local.unix_duration().as_secs()).ok()? - offset_secs;
    let utc = der::DateTime::from_unix_duration(std::time::Duration::from_secs(
        u64::try_from(unix).ok()?,
    ))
    .ok()?;
    Some(utc.to_string())
}

fn hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    digits
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = pair
                .get(1)
                .map_or(Some(0), |c| char::from(*c).to_digit(16))?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// Verifies every signature of a PDF. `Err` when the PDF has no signature dictionary.
pub fn verify(pdf: &[u8], opts: &VerifyOptions) -> Result<Report, NotASignature> {
    let signatures: Vec<SignatureDict> = find_signatures(pdf)
        .into_iter()
        .filter(|s| s.kind.as_deref() != Some(b"DocTimeStamp"))
        .collect();
    if signatures.is_empty() {
        return Err(NotASignature);
    }
    let trust = Trust::from_options(opts);
    let mut signers = Vec::new();
    let mut problems = Vec::new();
    // The end of each signature's revision, to find the one that must cover the whole file.
    let ends: Vec<usize> = signatures
        .iter()
        .map(|s| revision_end(s, pdf.len()))
        .collect();
    let last_end = ends.iter().copied().max().unwrap_or(0);
    for (sig, &end) in signatures.iter().zip(&ends) {
        let mut sig_problems = Vec::new();
        let (a0, l0, a1, l1) = match sig.byte_range[..] {
            [a0, l0, a1, l1] => (a0, l0, a1, l1),
            _ => (-1, 0, 0, 0),
        };
        let exact = a0 == 0
            && usize::try_from(l0).ok() == Some(sig.contents.0)
            && usize::try_from(a1).ok() == Some(sig.contents.1)
            && l1 >= 0
            && end <= pdf.len();
        if !exact {
            sig_problems.push(Problem::PdfByteRangeIncomplete);
        }
        if end == last_end && end < pdf.len() {
            sig_problems.push(Problem::PdfModifiedAfterSigning);
        }
        match sig.sub_filter.as_deref() {
            Some("ETSI.CAdES.detached" | "adbe.pkcs7.detached") => {}
            other => sig_problems.push(Problem::PdfUnsupportedSubFilter(
                other.unwrap_or("-").to_owned(),
            )),
        }
        // Covered bytes (only when the range lies inside the file).
        let covered = covered_bytes(pdf, a0, l0, a1, l1);
        let cms = hex_decode(&pdf[sig.contents.0 + 1..sig.contents.1 - 1])
            .and_then(|b| ber::normalise(&b).ok());
        let parsed = cms
            .as_deref()
            .and_then(|der| envelope::parse_signed_data(der).ok());
        let Some(sd) = parsed.filter(|sd| !sd.signer_infos.is_empty()) else {
            problems.push(Problem::PdfSignatureMalformed);
            continue;
        };
        let covered = covered.as_deref().unwrap_or(&[]);
        let digests = ContentDigests::default();
        let (mut reports, too_many) =
            envelope::verify_signers(&sd, Some(covered), &digests, &trust, opts);
        problems.extend(too_many);
        let byte_range = match sig.byte_range[..] {
            [a0, l0, a1, l1] => [a0, l0, a1, l1]
                .map(|n| usize::try_from(n).ok())
                .into_iter()
                .collect::<Option<Vec<usize>>>()
                .and_then(|v| <[usize; 4]>::try_from(v).ok()),
            _ => None,
        };
        for r in &mut reports {
            r.byte_range = byte_range;
            if r.signing_time.is_none() {
                r.signing_time.clone_from(&sig.signing_time);
            }
            r.problems.extend(sig_problems.iter().cloned());
            r.valid = r.problems.is_empty();
        }
        signers.extend(reports);
    }
    let content = pdf[..last_end.min(pdf.len())].to_vec();
    Ok(crate::finish_report(
        Format::Pades,
        1,
        content,
        None,
        signers,
        problems,
    ))
}

/// Does the signature whose `/ByteRange` is `range` in `signed` sign `prepared`? Yes when
/// the range starts at 0 and `prepared` lies whole in its first part, as the start of the
/// signed file (the signature was appended as an incremental update), or when `prepared` has
/// the signed file's length and equals it outside the signature value (the value was written
/// into a placeholder of `prepared`). The caller has already verified the signature over the
/// range.
pub(crate) fn covers_prepared(signed: &[u8], range: [usize; 4], prepared: &[u8]) -> bool {
    let [a0, l0, a1, l1] = range;
    if a0 != 0 || prepared.is_empty() || l0 > signed.len() {
        return false;
    }
    let appended = prepared.len() <= l0 && signed.starts_with(prepared);
    let filled = prepared.len() == signed.len()
        && a1 >= l0
        && a1.checked_add(l1) == Some(signed.len())
        && signed[..l0] == prepared[..l0]
        && signed[a1..] == prepared[a1..];
    appended || filled
}

fn revision_end(sig: &SignatureDict, len: usize) -> usize {
    match sig.byte_range[..] {
        [_, _, a1, l1] => usize::try_from(a1.saturating_add(l1))
            .unwrap_or(usize::MAX)
            .min(len.saturating_add(1)),
        _ => 0,
    }
}

fn covered_bytes(pdf: &[u8], a0: i64, l0: i64, a1: i64, l1: i64) -> Option<Vec<u8>> {
    let range = |a: i64, l: i64| {
        let a = usize::try_from(a).ok()?;
        let end = a.checked_add(usize::try_from(l).ok()?)?;
        pdf.get(a..end)
    };
    let mut out = range(a0, l0)?.to_vec();
    out.extend_from_slice(range(a1, l1)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_become_utc() {
        assert_eq!(
            pdf_date(b"D:20250301120000+01'00'").as_deref(),
            Some("2025-03-01T11:00:00Z")
        );
        assert_eq!(
            pdf_date(b"D:20250301120000Z").as_deref(),
            Some("2025-03-01T12:00:00Z")
        );
        assert_eq!(pdf_date(b"D:2025").as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(pdf_date(b"garbage"), None);
        // Found by fuzzing: an absurd offset must not overflow.
        assert_eq!(pdf_date(b"D:20250301120000+99999999999999999'00'"), None);
    }

    #[test]
    fn signature_dictionaries_are_found_by_byte_range() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Sig /SubFilter /ETSI.CAdES.detached /M (D:2025) \
            /Prop << /X (a\\)b) >> /ByteRange [0 10 20 5] /Contents <3000> >>\nendobj\n";
        let sigs = find_signatures(pdf);
        assert_eq!(sigs.len(), 1);
        assert_eq!(sigs[0].byte_range, vec![0, 10, 20, 5]);
        assert_eq!(sigs[0].sub_filter.as_deref(), Some("ETSI.CAdES.detached"));
        assert_eq!(&pdf[sigs[0].contents.0..sigs[0].contents.1], b"<3000>");
    }

    #[test]
    fn a_signature_covers_the_prepared_document_appended_to_or_filled_in() {
        let prepared = b"%PDF-1.7\nthe letter\n%%EOF\n".to_vec();
        // Appended: the prepared file, then an update whose signature value is left out.
        let mut appended = prepared.clone();
        appended.extend_from_slice(b"<< /ByteRange [...] /Contents <00ff> >>\n%%EOF\n");
        let hole = |pdf: &[u8], value: &[u8]| {
            let at = pdf.windows(value.len()).position(|w| w == value).unwrap();
            [0, at, at + value.len(), pdf.len() - at - value.len()]
        };
        let range = hole(&appended, b"<00ff>");
        assert!(covers_prepared(&appended, range, &prepared));
        // Another document signed the same way is not the prepared one.
        let other = b"%PDF-1.7\nthe lettER\n%%EOF\n".to_vec();
        assert!(!covers_prepared(&appended, range, &other));
        // Filled in: the same bytes except the signature value in the placeholder.
        let placeholder = b"%PDF-1.7\n<< /Contents <0000> >> the letter\n".to_vec();
        let filled = b"%PDF-1.7\n<< /Contents <abcd> >> the letter\n".to_vec();
        let filled_range = hole(&filled, b"<abcd>");
        assert!(covers_prepared(&filled, filled_range, &placeholder));
        let altered = b"%PDF-1.7\n<< /Contents <0000> >> the lettER\n".to_vec();
        assert!(!covers_prepared(&filled, filled_range, &altered));
        // A prepared document reaching into the signature value is not covered.
        assert!(!covers_prepared(
            &appended,
            [0, 5, 10, appended.len() - 10],
            &prepared
        ));
        assert!(!covers_prepared(&appended, range, b""));
    }

    #[test]
    fn a_pdf_without_signatures_is_not_a_signature() {
        let opts = VerifyOptions {
            trust_anchors: Vec::new(),
            intermediates: Vec::new(),
            crls: Vec::new(),
            at: std::time::SystemTime::UNIX_EPOCH,
        };
        assert!(verify(b"%PDF-1.7\n<< /Type /Catalog >>\n%%EOF\n", &opts).is_err());
    }
}
