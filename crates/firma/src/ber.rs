//! A small, lenient TLV reader for DER and BER, and a BER→DER normaliser for the envelope.
//!
//! Italian signing tools often emit BER: indefinite lengths and OCTET STRINGs split into
//! constructed chunks (`openssl cms -stream` does the same). The typed decoders of the
//! RustCrypto crates accept only DER, so [`normalise`] rewrites the *framing* to DER while
//! copying every element that is already DER byte for byte. Signed bytes (signedAttrs,
//! TBSCertificate) are never re-encoded: they are DER by construction, so they come out
//! unchanged, and the verifier reads them back as raw slices with [`Tlv::raw`].

/// Maximum nesting depth accepted by the reader and the normaliser.
pub const MAX_DEPTH: usize = 48;

/// Tag byte of a universal OCTET STRING (primitive).
pub const OCTET_STRING: u8 = 0x04;
/// Tag byte of a constructed OCTET STRING (BER only).
pub const OCTET_STRING_CONSTRUCTED: u8 = 0x24;
/// Tag byte of a SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// Tag byte of a SET.
pub const SET: u8 = 0x31;
/// Tag byte of an OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// Tag byte of an INTEGER.
pub const INTEGER: u8 = 0x02;

/// Why bytes could not be read as TLVs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BerError {
    /// The input ends inside an element.
    Truncated,
    /// A length form this reader does not accept (over 4 length octets, or reserved).
    BadLength,
    /// A tag with the high-tag-number form that does not end.
    BadTag,
    /// Deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Indefinite length on a primitive element.
    IndefinitePrimitive,
}

/// One element: its first identifier octet, and the slices it spans.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// First identifier octet (class, constructed bit, tag number or 0x1f).
    pub tag: u8,
    /// The whole element: identifier, length and contents (and end-of-contents for BER).
    pub raw: &'a [u8],
    /// The contents. For an indefinite-length element, the contents without the end-of-contents.
    pub value: &'a [u8],
    /// True when the element used the indefinite length form.
    pub indefinite: bool,
}

impl<'a> Tlv<'a> {
    /// Is the constructed bit set?
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// Reads the children of a constructed element.
    pub fn children(&self) -> Reader<'a> {
        Reader::new(self.value)
    }
}

/// Reads consecutive TLVs from a slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads the next element.
    pub fn read(&mut self) -> Result<Tlv<'a>, BerError> {
        let (tlv, used) = parse(self.rest, 0)?;
        self.rest = self.rest.get(used..).ok_or(BerError::Truncated)?;
        Ok(tlv)
    }

    /// Reads the next element if its tag is `tag`; leaves the reader untouched otherwise.
    pub fn read_optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, BerError> {
        match self.rest.first() {
            Some(&t) if t == tag => self.read().map(Some),
            _ => Ok(None),
        }
    }

    /// Reads the next element and requires its tag to be `tag`.
    pub fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, BerError> {
        let tlv = self.read()?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(BerError::BadTag)
        }
    }
}

/// Parses one element at the start of `input`; returns it and the number of bytes it spans.
fn parse(input: &[u8], depth: usize) -> Result<(Tlv<'_>, usize), BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let tag = *input.first().ok_or(BerError::Truncated)?;
    let mut pos = 1;
    if tag & 0x1f == 0x1f {
        // High tag number: base-128 digits, the last one without the top bit.
        loop {
            let b = *input.get(pos).ok_or(BerError::Truncated)?;
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
            if pos > 6 {
                return Err(BerError::BadTag);
            }
        }
    }
    let first = *input.get(pos).ok_or(BerError::Truncated)?;
    pos += 1;
    if first == 0x80 {
        if tag & 0x20 == 0 {
            return Err(BerError::IndefinitePrimitive);
        }
        // Indefinite: children follow until an end-of-contents (00 00).
        let start = pos;
        loop {
            match (input.get(pos), input.get(pos + 1)) {
                (Some(0), Some(0)) => {
                    let tlv = Tlv {
                        tag,
                        raw: &input[..pos + 2],
                        value: &input[start..pos],
                        indefinite: true,
                    };
                    return Ok((tlv, pos + 2));
                }
                (None, _) | (_, None) => return Err(BerError::Truncated),
                _ => {
                    let rest = input.get(pos..).ok_or(BerError::Truncated)?;
                    let (_, used) = parse(rest, depth + 1)?;
                    pos += used;
                }
            }
        }
    }
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(BerError::BadLength);
        }
        let bytes = input.get(pos..pos + n).ok_or(BerError::Truncated)?;
        pos += n;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let end = pos.checked_add(len).ok_or(BerError::BadLength)?;
    let value = input.get(pos..end).ok_or(BerError::Truncated)?;
    Ok((
        Tlv {
            tag,
            raw: &input[..end],
            value,
            indefinite: false,
        },
        end,
    ))
}

/// How many bytes the first element of `input` spans (for BER, up to and including its
/// end-of-contents); what follows it is not part of it.
pub fn element_len(input: &[u8]) -> Result<usize, BerError> {
    parse(input, 0).map(|(_, used)| used)
}

/// Appends a definite-length header for `tag` and `len` (minimal length octets).
pub fn write_header(out: &mut Vec<u8>, tag: &[u8], len: usize) {
    out.extend_from_slice(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// The identifier octets of an element (one byte, or several for high tag numbers).
fn identifier<'a>(tlv: &Tlv<'a>) -> &'a [u8] {
    let mut n = 1;
    if tlv.tag & 0x1f == 0x1f {
        while tlv.raw.get(n).is_some_and(|b| b & 0x80 != 0) {
            n += 1;
        }
        n += 1;
    }
    &tlv.raw[..n.min(tlv.raw.len())]
}

/// Does this element (or anything inside it) use a BER-only form we rewrite?
fn needs_rewrite(tlv: &Tlv<'_>, depth: usize) -> Result<bool, BerError> {
    if tlv.indefinite || tlv.tag == OCTET_STRING_CONSTRUCTED {
        return Ok(true);
    }
    if !tlv.constructed() {
        return Ok(false);
    }
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let mut children = tlv.children();
    while !children.is_empty() {
        let child = children.read()?;
        if needs_rewrite(&child, depth + 1)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rewrites the first element of `input` as DER framing: definite minimal lengths where the
/// input used indefinite ones, and constructed OCTET STRINGs joined into primitive ones.
/// Elements that need no change are copied byte for byte. Bytes after the first element
/// (padding, as in a PDF `/Contents`) are dropped.
pub fn normalise(input: &[u8]) -> Result<Vec<u8>, BerError> {
    normalise_borrowed(input).map(std::borrow::Cow::into_owned)
}

/// [`normalise`] without a copy when the first element is already DER-framed (the usual
/// case): then it is returned borrowed from `input`.
pub fn normalise_borrowed(input: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, BerError> {
    let (tlv, _) = parse(input, 0)?;
    if !needs_rewrite(&tlv, 0)? {
        return Ok(std::borrow::Cow::Borrowed(tlv.raw));
    }
    let mut out = Vec::with_capacity(tlv.raw.len());
    emit(&tlv, &mut out, 0)?;
    Ok(std::borrow::Cow::Owned(out))
}

fn emit(tlv: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    if !needs_rewrite(tlv, depth)? {
        out.extend_from_slice(tlv.raw);
        return Ok(());
    }
    if tlv.tag == OCTET_STRING_CONSTRUCTED {
        let mut joined = Vec::new();
        join_octets(tlv, &mut joined, depth)?;
        write_header(out, &[OCTET_STRING], joined.len());
        out.extend_from_slice(&joined);
        return Ok(());
    }
    let mut inner = Vec::with_capacity(tlv.value.len());
    let mut children = tlv.children();
    while !children.is_empty() {
        let child = children.read()?;
        emit(&child, &mut inner, depth + 1)?;
    }
    write_header(out, identifier(tlv), inner.len());
    out.extend_from_slice(&inner);
    Ok(())
}

/// Concatenates the primitive chunks of a (possibly nested) constructed OCTET STRING.
fn join_octets(tlv: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    if !tlv.constructed() {
        out.extend_from_slice(tlv.value);
        return Ok(());
    }
    let mut children = tlv.children();
    while !children.is_empty() {
        let child = children.read()?;
        join_octets(&child, out, depth + 1)?;
    }
    Ok(())
}

/// Decodes an OBJECT IDENTIFIER element's contents into dotted text (for messages and lookups).
pub fn oid_to_string(value: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for (i, b) in value.iter().enumerate() {
        if acc > (u64::MAX >> 8) {
            return None;
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        } else if i + 1 == value.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_input_is_copied_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert_eq!(normalise(&der).expect("valid"), der);
    }

    #[test]
    fn indefinite_lengths_become_definite() {
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00];
        assert_eq!(
            normalise(&ber).expect("valid"),
            [0x30, 0x03, 0x02, 0x01, 0x05]
        );
    }

    #[test]
    fn constructed_octet_strings_are_joined() {
        // [0] { OCTET STRING (constructed, indefinite) { "ab", "c" } }
        let ber = [
            0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x00,
            0x00,
        ];
        assert_eq!(
            normalise(&ber).expect("valid"),
            [0xa0, 0x05, 0x04, 0x03, b'a', b'b', b'c']
        );
    }

    #[test]
    fn der_children_of_rewritten_parents_keep_their_bytes() {
        // A child with a non-minimal (but definite) length must not be touched.
        let ber = [0x30, 0x80, 0x04, 0x81, 0x01, 0xaa, 0x00, 0x00];
        assert_eq!(
            normalise(&ber).expect("valid"),
            [0x30, 0x04, 0x04, 0x81, 0x01, 0xaa]
        );
    }

    #[test]
    fn an_element_ends_where_its_length_says_whatever_follows() {
        assert_eq!(element_len(&[0x30, 0x03, 0x02, 0x01, 0x05, 0xff]), Ok(5));
        assert_eq!(
            element_len(&[0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0x00]),
            Ok(7)
        );
        assert_eq!(element_len(&[0x30, 0x05, 0x01]), Err(BerError::Truncated));
    }

    #[test]
    fn long_lengths_are_written_minimally() {
        let mut out = Vec::new();
        write_header(&mut out, &[0x04], 300);
        assert_eq!(out, [0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn truncated_and_hostile_inputs_are_errors() {
        assert_eq!(normalise(&[0x30]).err(), Some(BerError::Truncated));
        assert_eq!(
            normalise(&[0x30, 0x05, 0x01]).err(),
            Some(BerError::Truncated)
        );
        assert_eq!(
            normalise(&[0x04, 0x80, 0x00, 0x00]).err(),
            Some(BerError::IndefinitePrimitive)
        );
        assert_eq!(
            normalise(&[0x30, 0x85, 1, 1, 1, 1, 1]).err(),
            Some(BerError::BadLength)
        );
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 200).flatten().collect();
        assert!(normalise(&deep).is_err());
    }

    #[test]
    fn oids_decode_to_dotted_text() {
        let sha256 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
        assert_eq!(
            oid_to_string(&sha256).as_deref(),
            Some("2.16.840.1.101.3.4.2.1")
        );
        assert_eq!(oid_to_string(&[0x86]), None);
    }
}
