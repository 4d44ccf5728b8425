//! Just enough PDF reading to append an update: the classic cross-reference tables (following
//! `/Prev`), the trailer, and single objects parsed into values that remember their byte
//! span, so that everything we copy into the update is copied verbatim.

use crate::seal::SealError;
use std::collections::HashMap;
use std::ops::Range;

/// Deepest nesting of arrays and dictionaries we parse.
const MAX_DEPTH: usize = 32;
/// Most cross-reference sections followed through `/Prev`.
const MAX_SECTIONS: usize = 256;

fn malformed(what: &'static str) -> SealError {
    SealError::UnsupportedPdf(what)
}

/// A parsed value and where it lies in the file.
#[derive(Clone, Debug)]
pub(super) struct Value {
    pub kind: Kind,
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// Entries in file order: name (without `/`, as written) and value.
    Dict(Vec<(Vec<u8>, Value)>),
    Array(Vec<Value>),
    Ref(u32, u16),
    Int(i64),
    Name(Vec<u8>),
    /// Strings, reals, booleans, null: copied, never interpreted.
    Other,
}

impl Value {
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        match &self.kind {
            Kind::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[(Vec<u8>, Value)]> {
        match &self.kind {
            Kind::Dict(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn is_name(&self, name: &[u8]) -> bool {
        matches!(&self.kind, Kind::Name(n) if n == name)
    }
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0)
}

fn is_delimiter(b: u8) -> bool {
    is_white(b) || b"()<>[]{}/%".contains(&b)
}

/// A cursor over the file.
pub(super) struct Lexer<'a> {
    pdf: &'a [u8],
    pub pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(pdf: &'a [u8], pos: usize) -> Self {
        Lexer {
            pdf,
            pos: pos.min(pdf.len()),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.pdf.get(self.pos).copied()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.pdf
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s))
    }

    pub fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'%' {
                while self.peek().is_some_and(|c| c != b'\n' && c != b'\r') {
                    self.pos += 1;
                }
            } else if is_white(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// A regular token (keyword or number).
    pub fn token(&mut self) -> &'a [u8] {
        self.skip_space();
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.pos += 1;
        }
        &self.pdf[start..self.pos]
    }

    pub fn keyword(&mut self, word: &[u8]) -> Result<(), SealError> {
        if self.token() == word {
            Ok(())
        } else {
            Err(malformed("an expected keyword is missing"))
        }
    }

    pub fn unsigned(&mut self) -> Result<u64, SealError> {
        let t = self.token();
        if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
            return Err(malformed("a number was expected"));
        }
        std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(malformed("a number is out of range"))
    }

    /// One value at the cursor.
    pub fn value(&mut self, depth: usize) -> Result<Value, SealError> {
        if depth > MAX_DEPTH {
            return Err(malformed("objects are nested too deeply"));
        }
        self.skip_space();
        let start = self.pos;
        let b = self
            .peek()
            .ok_or(malformed("the file ends inside an object"))?;
        let kind = match b {
            b'<' if self.starts_with(b"<<") => {
                self.pos += 2;
                let mut entries = Vec::new();
                loop {
                    self.skip_space();
                    if self.starts_with(b">>") {
                        self.pos += 2;
                        break;
                    }
                    if self.peek() != Some(b'/') {
                        return Err(malformed("a dictionary key is not a name"));
                    }
                    self.pos += 1;
                    let key = self.name_body().to_vec();
                    let value = self.value(depth + 1)?;
                    entries.push((key, value));
                }
                Kind::Dict(entries)
            }
            b'<' => {
                let len = self.pdf[self.pos..]
                    .iter()
                    .position(|c| *c == b'>')
                    .ok_or(malformed("an unterminated hex string"))?;
                self.pos += len + 1;
                Kind::Other
            }
            b'(' => {
                self.literal()?;
                Kind::Other
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                }
                Kind::Array(items)
            }
            b'/' => {
                self.pos += 1;
                Kind::Name(self.name_body().to_vec())
            }
            b')' | b'>' | b']' | b'{' | b'}' => return Err(malformed("an unexpected delimiter")),
            _ => {
                let t = self.token();
                if t.is_empty() {
                    return Err(malformed("an unexpected character"));
                }
                match std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                {
                    Some(n) => self.maybe_reference(n),
                    None => Kind::Other,
                }
            }
        };
        Ok(Value {
            kind,
            span: start..self.pos,
        })
    }

    fn name_body(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.pos += 1;
        }
        &self.pdf[start..self.pos]
    }

    /// After an integer: `G R` makes it a reference; otherwise the cursor stays.
    fn maybe_reference(&mut self, n: i64) -> Kind {
        let save = self.pos;
        let gen_token = self.token();
        let generation = std::str::from_utf8(gen_token)
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u16>().ok());
        if let (Some(generation), Ok(num)) = (generation, u32::try_from(n))
            && self.token() == b"R"
        {
            return Kind::Ref(num, generation);
        }
        self.pos = save;
        Kind::Int(n)
    }

    fn literal(&mut self) -> Result<(), SealError> {
        self.pos += 1;
        let mut depth = 1usize;
        while depth > 0 {
            let b = self.peek().ok_or(malformed("an unterminated string"))?;
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
        }
        Ok(())
    }
}

/// A PDF opened for appending: where each object is, and the newest trailer.
pub(super) struct Document<'a> {
    pub pdf: &'a [u8],
    /// Object number to (offset, generation), or `None` when freed; the newest section wins.
    offsets: HashMap<u32, Option<(usize, u16)>>,
    pub trailer: Value,
    /// Offset of the newest cross-reference section (the update's `/Prev`).
    pub startxref: usize,
}

impl<'a> Document<'a> {
    pub fn open(pdf: &'a [u8]) -> Result<Self, SealError> {
        if !pdf.starts_with(b"%PDF-") {
            return Err(malformed("it does not start with %PDF-"));
        }
        let startxref = last_startxref(pdf)?;
        let mut offsets = HashMap::new();
        let mut trailer = None;
        let mut next = Some(startxref);
        let mut seen = Vec::new();
        while let Some(at) = next {
            if seen.contains(&at) || seen.len() >= MAX_SECTIONS {
                return Err(malformed("the cross-reference sections loop"));
            }
            seen.push(at);
            let section_trailer = read_section(pdf, at, &mut offsets)?;
            next = match section_trailer.get(b"Prev").map(|v| &v.kind) {
                Some(Kind::Int(n)) => {
                    Some(usize::try_from(*n).map_err(|_| malformed("a bad /Prev"))?)
                }
                _ => None,
            };
            trailer.get_or_insert(section_trailer);
        }
        let trailer = trailer.ok_or(malformed("no trailer"))?;
        if trailer.get(b"Encrypt").is_some() {
            return Err(malformed("it is encrypted"));
        }
        Ok(Document {
            pdf,
            offsets,
            trailer,
            startxref,
        })
    }

    /// The object `num`: its generation and value.
    pub fn object(&self, num: u32) -> Result<(u16, Value), SealError> {
        let (offset, generation) = self.offsets.get(&num).copied().flatten().ok_or(malformed(
            "an object is missing from the cross-reference table",
        ))?;
        let mut lexer = Lexer::new(self.pdf, offset);
        let n = lexer.unsigned()?;
        let g = lexer.unsigned()?;
        if n != u64::from(num) || g != u64::from(generation) {
            return Err(malformed(
                "the cross-reference table points to the wrong object",
            ));
        }
        lexer.keyword(b"obj")?;
        Ok((generation, lexer.value(0)?))
    }

    /// Follows a reference (one level) to its value; other values are returned as they are.
    pub fn resolve(&self, value: &Value) -> Result<Value, SealError> {
        match value.kind {
            Kind::Ref(num, _) => Ok(self.object(num)?.1),
            _ => Ok(value.clone()),
        }
    }

    /// [`Document::resolve`] of an optional value.
    pub fn resolve_opt(&self, value: Option<&Value>) -> Result<Option<Value>, SealError> {
        value.map(|v| self.resolve(v)).transpose()
    }

    pub fn raw(&self, value: &Value) -> &'a [u8] {
        &self.pdf[value.span.clone()]
    }
}

fn last_startxref(pdf: &[u8]) -> Result<usize, SealError> {
    let tail_from = pdf.len().saturating_sub(4096);
    let tail = &pdf[tail_from..];
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or(malformed("no startxref at the end"))?;
    let mut lexer = Lexer::new(pdf, tail_from + at + 9);
    usize::try_from(lexer.unsigned()?).map_err(|_| malformed("a bad startxref"))
}

/// Reads the classic section at `at` into `offsets` (keeping newer entries) and returns
/// its trailer.
fn read_section(
    pdf: &[u8],
    at: usize,
    offsets: &mut HashMap<u32, Option<(usize, u16)>>,
) -> Result<Value, SealError> {
    let mut lexer = Lexer::new(pdf, at);
    if lexer.token() != b"xref" {
        return Err(SealError::UnsupportedPdf(
            "it uses cross-reference streams (only classic tables are supported)",
        ));
    }
    loop {
        lexer.skip_space();
        let save = lexer.pos;
        if lexer.token() == b"trailer" {
            break;
        }
        lexer.pos = save;
        let first = lexer.unsigned()?;
        let count = lexer.unsigned()?;
        if count > pdf.len() as u64 / 18 {
            return Err(malformed("a cross-reference subsection is too long"));
        }
        for i in 0..count {
            let offset = lexer.unsigned()?;
            let generation = lexer.unsigned()?;
            let kind = lexer.token();
            let num = u32::try_from(first + i).map_err(|_| malformed("an object number"))?;
            let entry = match kind {
                b"n" => Some((
                    usize::try_from(offset).map_err(|_| malformed("an offset"))?,
                    u16::try_from(generation).map_err(|_| malformed("a generation"))?,
                )),
                b"f" => None,
                _ => return Err(malformed("a cross-reference entry is neither n nor f")),
            };
            offsets.entry(num).or_insert(entry);
        }
    }
    let trailer = lexer.value(0)?;
    if trailer.entries().is_none() {
        return Err(malformed("the trailer is not a dictionary"));
    }
    Ok(trailer)
}
