//! The incremental update that carries the seal (see the module docs of `seal` for its
//! shape). [`prepare`] writes it with a zero-filled `/Contents` placeholder and the final
//! `/ByteRange`; [`Update::digest`] hashes the covered bytes; [`Update::fill`] writes the CMS.

mod read;

use crate::seal::SealError;
use chrono::{DateTime, Utc};
use read::{Document, Kind, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::ops::Range;

/// Print (4) and Locked (128): PDF/A wants printable, visible annotations.
const WIDGET_FLAGS: u32 = 132;
/// Width of each number in the `/ByteRange` placeholder.
const RANGE_DIGITS: usize = 10;
/// Deepest page tree followed to the first page.
const MAX_PAGE_TREE_DEPTH: usize = 32;

/// What goes into the signature dictionary.
pub(crate) struct SignatureFields<'a> {
    pub at: DateTime<Utc>,
    pub reason: &'a str,
    pub location: &'a str,
    /// Bytes reserved for the DER CMS (the hex placeholder is twice as long).
    pub contents_len: usize,
}

/// The sealed file before its CMS is written.
#[derive(Debug)]
pub(crate) struct Update {
    bytes: Vec<u8>,
    /// The `/Contents` hex string, `<` and `>` included: the only bytes not signed.
    contents: Range<usize>,
}

impl Update {
    /// SHA-256 of the bytes the `/ByteRange` covers.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(&self.bytes[..self.contents.start])
            .chain_update(&self.bytes[self.contents.end..])
            .finalize()
            .into()
    }

    /// Writes the DER CMS, hex-encoded, into the placeholder; the rest stays zeros.
    pub fn fill(&mut self, cms: &[u8]) -> Result<(), SealError> {
        let hex = hex::encode(cms);
        let room = self.contents.len() - 2;
        if hex.len() > room {
            return Err(SealError::Signing(format!(
                "the signature ({} bytes) is larger than its placeholder ({} bytes)",
                cms.len(),
                room / 2
            )));
        }
        let at = self.contents.start + 1;
        self.bytes[at..at + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(())
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// An object written in the update.
struct Written {
    num: u32,
    generation: u16,
    offset: usize,
}

/// Appends the signature dictionary, field, appearance, and the changed page and catalog
/// (or AcroForm, Fields or Annots arrays) to `pdf`, with a new cross-reference section.
pub(crate) fn prepare(pdf: &[u8], fields: &SignatureFields) -> Result<Update, SealError> {
    let doc = Document::open(pdf)?;
    let (catalog_num, catalog_gen) = match doc.trailer.get(b"Root").map(|v| &v.kind) {
        Some(Kind::Ref(n, g)) => (*n, *g),
        _ => return Err(SealError::UnsupportedPdf("the trailer has no /Root")),
    };
    let size = match doc.trailer.get(b"Size").map(|v| &v.kind) {
        Some(Kind::Int(n)) => u32::try_from(*n).ok().filter(|n| *n > 0),
        _ => None,
    }
    .ok_or(SealError::UnsupportedPdf("the trailer has no valid /Size"))?;
    let (_, catalog) = doc.object(catalog_num)?;
    if catalog.entries().is_none() {
        return Err(SealError::UnsupportedPdf("the catalog is not a dictionary"));
    }
    let (page_num, page_gen, page) = first_page(&doc, &catalog)?;

    let sig_num = size;
    let widget_num = size + 1;
    let appearance_num = size + 2;
    let widget_ref = format!("{widget_num} 0 R");

    // Changed objects: (number, generation, body).
    let mut changed: Vec<(u32, u16, Vec<u8>)> = Vec::new();

    // The page lists the widget among its annotations.
    let annots = append_to_array(&doc, page.get(b"Annots"), &widget_ref, &mut changed)?;
    if let Some(inline) = annots {
        changed.push((
            page_num,
            page_gen,
            dict_with(&doc, &page, &[(b"Annots", inline)]),
        ));
    }

    // The catalog's AcroForm lists the field, with SigFlags 3 (signatures exist, append only).
    let field_count;
    match catalog.get(b"AcroForm") {
        None => {
            field_count = 0;
            let acroform = format!("<</Fields[{widget_ref}]/SigFlags 3>>").into_bytes();
            changed.push((
                catalog_num,
                catalog_gen,
                dict_with(&doc, &catalog, &[(b"AcroForm", acroform)]),
            ));
        }
        Some(value) => {
            let form = doc.resolve(value)?;
            if form.entries().is_none() {
                return Err(SealError::UnsupportedPdf(
                    "the AcroForm is not a dictionary",
                ));
            }
            let existing = doc.resolve_opt(form.get(b"Fields"))?;
            field_count = match existing.as_ref().map(|v| &v.kind) {
                Some(Kind::Array(items)) => items.len(),
                _ => 0,
            };
            let mut replace: Vec<(&[u8], Vec<u8>)> = vec![(b"SigFlags", b"3".to_vec())];
            if let Some(inline) =
                append_to_array(&doc, form.get(b"Fields"), &widget_ref, &mut changed)?
            {
                replace.push((b"Fields", inline));
            }
            let new_form = dict_with(&doc, &form, &replace);
            match value.kind {
                Kind::Ref(num, generation) => changed.push((num, generation, new_form)),
                _ => changed.push((
                    catalog_num,
                    catalog_gen,
                    dict_with(&doc, &catalog, &[(b"AcroForm", new_form)]),
                )),
            }
        }
    }

    let mut out = Vec::with_capacity(pdf.len() + 2 * fields.contents_len + 4096);
    out.extend_from_slice(pdf);
    if !matches!(pdf.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut written = Vec::new();

    // The signature dictionary, with its placeholders.
    let sig_offset = out.len();
    write!(
        out,
        "{sig_num} 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M{}\
         /Reason{}/Location{}/ByteRange",
        text_string(&pdf_date(fields.at)),
        text_string(fields.reason),
        text_string(fields.location),
    )
    .map_err(io)?;
    let range_at = out.len();
    out.extend_from_slice(range_placeholder().as_bytes());
    out.extend_from_slice(b"/Contents");
    let contents_start = out.len();
    out.push(b'<');
    out.resize(out.len() + 2 * fields.contents_len, b'0');
    out.push(b'>');
    let contents = contents_start..out.len();
    out.extend_from_slice(b">>\nendobj\n");
    written.push(Written {
        num: sig_num,
        generation: 0,
        offset: sig_offset,
    });

    // The field, merged with its invisible widget on the first page.
    let name = if field_count == 0 {
        "SigilloCamerale".to_string()
    } else {
        format!("SigilloCamerale{}", field_count + 1)
    };
    write_object(
        &mut out,
        &mut written,
        widget_num,
        0,
        format!(
            "<</Type/Annot/Subtype/Widget/FT/Sig/T({name})/V {sig_num} 0 R/F {WIDGET_FLAGS}\
             /Rect[0 0 0 0]/P {page_num} {page_gen} R/AP<</N {appearance_num} 0 R>>>>"
        )
        .as_bytes(),
    );
    // An empty appearance (PDF/A wants one on every widget).
    write_object(
        &mut out,
        &mut written,
        appearance_num,
        0,
        b"<</Type/XObject/Subtype/Form/BBox[0 0 0 0]/Length 0>>\nstream\n\nendstream",
    );
    for (num, generation, body) in &changed {
        write_object(&mut out, &mut written, *num, *generation, body);
    }

    // The cross-reference section and trailer.
    let xref_offset = out.len();
    out.extend_from_slice(b"xref\n");
    written.sort_by_key(|w| w.num);
    for run in written.chunk_by(|a, b| b.num == a.num + 1) {
        writeln!(out, "{} {}", run[0].num, run.len()).map_err(io)?;
        for w in run {
            write!(out, "{:010} {:05} n\r\n", w.offset, w.generation).map_err(io)?;
        }
    }
    write!(
        out,
        "trailer\n<</Size {}/Root {catalog_num} {catalog_gen} R",
        size + 3
    )
    .map_err(io)?;
    for key in [&b"Info"[..], b"ID"] {
        if let Some(value) = doc.trailer.get(key) {
            out.push(b'/');
            out.extend_from_slice(key);
            out.push(b' ');
            out.extend_from_slice(doc.raw(value));
        }
    }
    write!(
        out,
        "/Prev {}>>\nstartxref\n{xref_offset}\n%%EOF\n",
        doc.startxref
    )
    .map_err(io)?;

    // The ByteRange is known now: everything but the Contents string.
    let range = format!(
        "[0 {} {} {}",
        contents.start,
        contents.end,
        out.len() - contents.end
    );
    let placeholder_len = range_placeholder().len();
    let mut filled = format!("{range:<width$}", width = placeholder_len - 1);
    filled.push(']');
    out[range_at..range_at + placeholder_len].copy_from_slice(filled.as_bytes());
    Ok(Update {
        bytes: out,
        contents,
    })
}

fn io(e: std::io::Error) -> SealError {
    SealError::Signing(format!("writing the PDF update: {e}"))
}

fn range_placeholder() -> String {
    format!("[0 {0} {0} {0}]", " ".repeat(RANGE_DIGITS))
}

fn write_object(
    out: &mut Vec<u8>,
    written: &mut Vec<Written>,
    num: u32,
    generation: u16,
    body: &[u8],
) {
    written.push(Written {
        num,
        generation,
        offset: out.len(),
    });
    out.extend_from_slice(format!("{num} {generation} obj\n").as_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(b"\nendobj\n");
}

/// The first page: the catalog's page tree, following the first kid down.
fn first_page(doc: &Document, catalog: &Value) -> Result<(u32, u16, Value), SealError> {
    let mut node = catalog
        .get(b"Pages")
        .cloned()
        .ok_or(SealError::UnsupportedPdf("the catalog has no /Pages"))?;
    for _ in 0..MAX_PAGE_TREE_DEPTH {
        let Kind::Ref(num, _) = node.kind else {
            return Err(SealError::UnsupportedPdf(
                "a page tree node is not a reference",
            ));
        };
        let (generation, dict) = doc.object(num)?;
        if dict.get(b"Type").is_some_and(|t| t.is_name(b"Page")) {
            return Ok((num, generation, dict));
        }
        let kids = doc.resolve_opt(dict.get(b"Kids"))?;
        node = match kids.map(|k| k.kind) {
            Some(Kind::Array(items)) if !items.is_empty() => items[0].clone(),
            _ => return Err(SealError::UnsupportedPdf("the document has no page")),
        };
    }
    Err(SealError::UnsupportedPdf("the page tree is too deep"))
}

/// Appends `item` to the array `value` (absent, inline, or an indirect array). Returns the
/// new inline value when the holder must be rewritten; an indirect array is rewritten in
/// `changed` instead and `None` returned.
fn append_to_array(
    doc: &Document,
    value: Option<&Value>,
    item: &str,
    changed: &mut Vec<(u32, u16, Vec<u8>)>,
) -> Result<Option<Vec<u8>>, SealError> {
    let appended = |array: &Value| -> Vec<u8> {
        let raw = doc.raw(array);
        let mut out = raw[..raw.len() - 1].to_vec();
        out.push(b' ');
        out.extend_from_slice(item.as_bytes());
        out.push(b']');
        out
    };
    match value.map(|v| &v.kind) {
        None => Ok(Some(format!("[{item}]").into_bytes())),
        Some(Kind::Array(_)) => Ok(value.map(appended)),
        Some(Kind::Ref(num, _)) => {
            let (generation, array) = doc.object(*num)?;
            if !matches!(array.kind, Kind::Array(_)) {
                return Err(SealError::UnsupportedPdf(
                    "an /Annots or /Fields is not an array",
                ));
            }
            changed.push((*num, generation, appended(&array)));
            Ok(None)
        }
        Some(_) => Err(SealError::UnsupportedPdf(
            "an /Annots or /Fields is not an array",
        )),
    }
}

/// `dict` with the `replace` entries (raw values) put in place of, or after, its own.
fn dict_with(doc: &Document, dict: &Value, replace: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
    let mut out = b"<<".to_vec();
    for (key, value) in dict.entries().unwrap_or_default() {
        if replace.iter().any(|(k, _)| *k == key.as_slice()) {
            continue;
        }
        out.push(b'/');
        out.extend_from_slice(key);
        out.push(b' ');
        out.extend_from_slice(doc.raw(value));
    }
    for (key, value) in replace {
        out.push(b'/');
        out.extend_from_slice(key);
        out.push(b' ');
        out.extend_from_slice(value);
    }
    out.extend_from_slice(b">>");
    out
}

/// `D:YYYYMMDDHHmmSS+00'00'`.
fn pdf_date(at: DateTime<Utc>) -> String {
    at.format("D:%Y%m%d%H%M%S+00'00'").to_string()
}

/// A PDF text string: a literal for plain ASCII, UTF-16BE with a BOM in hex otherwise.
/// `<` and `>` go the hex way too, so no `<<`/`>>` ever appears inside the dictionary.
fn text_string(s: &str) -> String {
    if s.chars()
        .all(|c| (' '..='~').contains(&c) && c != '<' && c != '>')
    {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('(');
        for c in s.chars() {
            if matches!(c, '(' | ')' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push(')');
        out
    } else {
        let mut out = String::from("<FEFF");
        for unit in s.encode_utf16() {
            out.push_str(&format!("{unit:04X}"));
        }
        out.push('>');
        out
    }
}

#[cfg(test)]
mod tests;
