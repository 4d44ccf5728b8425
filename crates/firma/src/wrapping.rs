//! Text wrappings of binary envelopes: PEM (`-----BEGIN PKCS7-----`, `CMS`, `CERTIFICATE`, …)
//! and bare base64 with or without line breaks (Delib. CNIPA 45/2009 art. 21 c.3 allows the
//! header to be absent).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Decodes bare base64 (whitespace ignored). `None` when the bytes are not base64 text.
pub fn decode_base64(input: &[u8]) -> Option<Vec<u8>> {
    let text: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.len() < 4 || !text.iter().all(|b| is_base64_byte(*b)) {
        return None;
    }
    LENIENT.decode(&text).ok()
}

/// The bytes encoded by the first `chars` base64 characters of `input` (whitespace skipped;
/// all of it when shorter). `None` when a character among them is not base64, or padding
/// comes before the end of the prefix. The first `chars / 4 * 3` bytes of
/// [`decode_base64`]'s result are these bytes, so a caller can look at how a long text would
/// start without decoding (or copying) all of it.
pub fn decode_base64_prefix(input: &[u8], chars: usize) -> Option<Vec<u8>> {
    let mut prefix = Vec::with_capacity(chars);
    let mut rest = input.iter().copied().filter(|b| !b.is_ascii_whitespace());
    for b in rest.by_ref() {
        prefix.push(b);
        if prefix.len() == chars {
            break;
        }
    }
    if !prefix.iter().all(|b| is_base64_byte(*b)) {
        return None;
    }
    if prefix.len() < chars {
        return decode_base64(&prefix);
    }
    if prefix.contains(&b'=') {
        return None;
    }
    prefix.truncate(chars / 4 * 4);
    LENIENT.decode(&prefix).ok()
}

/// One PEM block: its label and decoded bytes.
#[derive(Debug)]
pub struct PemBlock {
    /// The label between `BEGIN ` and the dashes, e.g. `CMS`.
    pub label: String,
    /// The decoded contents.
    pub der: Vec<u8>,
}

/// Every PEM block in `input`, in order. Blocks whose body is not base64 are skipped.
/// Header lines inside a block (`Key: value`) are ignored.
pub fn pem_blocks(input: &[u8]) -> Vec<PemBlock> {
    let text = String::from_utf8_lossy(input);
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            let label = rest.trim_end_matches('-').trim().to_owned();
            current = Some((label, String::new()));
        } else if line.starts_with("-----END ") {
            if let Some((label, body)) = current.take()
                && let Some(der) = decode_base64(body.as_bytes())
            {
                blocks.push(PemBlock { label, der });
            }
        } else if let Some((_, body)) = current.as_mut()
            && !line.contains(':')
        {
            body.push_str(line);
        }
    }
    blocks
}

/// Whether anything but whitespace follows the end of the first PEM block: text after it,
/// or another block.
pub fn text_after_first_pem_block(input: &[u8]) -> bool {
    let text = String::from_utf8_lossy(input);
    let mut lines = text.lines();
    for line in lines.by_ref() {
        if line.trim().starts_with("-----END ") {
            break;
        }
    }
    lines.any(|line| !line.trim().is_empty())
}

/// Does the input look like PEM text?
pub fn is_pem(input: &[u8]) -> bool {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    input[start..].starts_with(b"-----BEGIN ")
}

/// Unwraps one text layer: PEM (first block) or bare base64. `None` for binary input.
pub fn unwrap_text(input: &[u8]) -> Option<Vec<u8>> {
    if is_pem(input) {
        return pem_blocks(input).into_iter().next().map(|b| b.der);
    }
    decode_base64(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_with_line_breaks_and_no_padding_decodes() {
        assert_eq!(
            decode_base64(b"aGVs\r\nbG8").as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(decode_base64(b"aGVsbG8=\n").as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn a_base64_prefix_is_the_start_of_the_whole_decoding() {
        let data: Vec<u8> = (0u8..=200).collect();
        let text = LENIENT.encode(&data);
        let wrapped: String = text
            .as_bytes()
            .chunks(64)
            .map(|l| format!("{}\r\n", String::from_utf8_lossy(l)))
            .collect();
        let prefix = decode_base64_prefix(wrapped.as_bytes(), 32).expect("base64");
        assert_eq!(prefix, &data[..24]);
        assert_eq!(
            decode_base64_prefix(b"aGVsbG8=", 32).as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(decode_base64_prefix(b"Riga 00001: fattura", 32), None);
        assert_eq!(
            decode_base64_prefix(b"aGVsbG8=aGVsbG8=aGVsbG8=aGVsbG8=aGVs", 32),
            None
        );
    }

    #[test]
    fn binary_is_not_base64() {
        assert_eq!(decode_base64(&[0x30, 0x82, 0x01]), None);
        assert_eq!(decode_base64(b"not base64!"), None);
    }

    #[test]
    fn only_whitespace_may_follow_a_pem_block() {
        let pem = "-----BEGIN CMS-----\naGVsbG8=\n-----END CMS-----\n";
        assert!(!text_after_first_pem_block(pem.as_bytes()));
        assert!(!text_after_first_pem_block(
            format!("{pem} \r\n\t\n").as_bytes()
        ));
        assert!(text_after_first_pem_block(format!("{pem}x").as_bytes()));
        assert!(text_after_first_pem_block(format!("{pem}{pem}").as_bytes()));
    }

    #[test]
    fn pem_blocks_are_found_with_their_labels() {
        let pem = b"junk\n-----BEGIN PKCS7-----\nProc-Type: x\naGVs\nbG8=\n-----END PKCS7-----\n";
        let blocks = pem_blocks(pem);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "PKCS7");
        assert_eq!(blocks[0].der, b"hello");
    }
}
