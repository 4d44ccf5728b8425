//! The first worksheet of an XLSX workbook, read by streaming its XML (ECMA-376: the
//! workbook lists its sheets, `xl/_rels/workbook.xml.rels` says where each is, the cells of a
//! sheet are `<c r="B3" t="s"><v>0</v></c>` inside `<row>`s, and text cells point into the
//! shared strings).
//!
//! Nothing a file declares sizes a buffer: the `<dimension ref>` and the shared strings'
//! `count` are ignored, each cell's position is checked against the [`Limits`] before the
//! table grows to reach it, and each part is read through a budget on its unpacked size, so a
//! deflate bomb stops at the budget.

use super::{Limits, SheetError, Table};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::io::{BufReader, Cursor, Read};

/// Entries a workbook may have (a real one has a dozen).
const MAX_ENTRIES: usize = 256;
/// Unpacked bytes of one XML part.
const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// Bytes of all shared strings kept.
const MAX_SHARED_BYTES: usize = 8 * 1024 * 1024;
/// Nesting of XML elements in one part.
const MAX_DEPTH: usize = 64;

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Reads the first worksheet within `limits`.
pub fn read_first_sheet(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    if bytes.len() > limits.file_bytes {
        return Err(SheetError::FileTooLarge {
            limit: limits.file_bytes,
        });
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Unreadable)?;
    if zip.len() > MAX_ENTRIES {
        return Err(SheetError::Unreadable);
    }
    let (sheet, strings_part) = locate_parts(&mut zip)?;
    let strings = match strings_part {
        Some(path) => read_shared_strings(&mut zip, &path, limits)?,
        None => Vec::new(),
    };
    read_sheet(&mut zip, &sheet, &strings, limits)
}

/// A part of the archive as a budgeted XML reader.
fn part<'z>(
    zip: &'z mut Archive<'_>,
    path: &str,
) -> Result<Option<Reader<BufReader<Budget<impl Read + 'z>>>>, SheetError> {
    let file = match zip.by_name(path) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(_) => return Err(SheetError::Unreadable),
    };
    let mut reader = Reader::from_reader(BufReader::new(Budget {
        inner: file,
        left: MAX_PART_BYTES,
    }));
    reader.config_mut().trim_text(false);
    Ok(Some(reader))
}

/// Unpacked bytes beyond the budget are an error, not a truncation.
struct Budget<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::FileTooLarge, "unpacked budget")
        })?;
        Ok(n)
    }
}

fn xml_error(e: quick_xml::Error) -> SheetError {
    match e {
        quick_xml::Error::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge => {
            SheetError::Unpacked {
                limit: MAX_PART_BYTES,
            }
        }
        _ => SheetError::Unreadable,
    }
}

fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Appends a text event's content; entity references other than XML's five and character
/// references make the file unreadable (no DTD is ever expanded).
fn push_ref(text: &mut String, name: &str) -> Result<(), SheetError> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let digits = name.strip_prefix('#').ok_or(SheetError::Unreadable)?;
            let code = match digits.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => digits.parse(),
            }
            .map_err(|_| SheetError::Unreadable)?;
            char::from_u32(code).ok_or(SheetError::Unreadable)?
        }
    };
    text.push(c);
    Ok(())
}

/// Where the first sheet and the shared strings are, from the workbook and its relationships
/// (the usual names when a file leaves them out).
fn locate_parts(zip: &mut Archive<'_>) -> Result<(String, Option<String>), SheetError> {
    let mut first_sheet_rel: Option<String> = None;
    if let Some(mut xml) = part(zip, "xl/workbook.xml")? {
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf).map_err(xml_error)? {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                    first_sheet_rel = attr(&e, "id");
                    break;
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
    }
    let mut sheet: Option<String> = None;
    let mut strings: Option<String> = None;
    if let Some(mut xml) = part(zip, "xl/_rels/workbook.xml.rels")? {
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf).map_err(xml_error)? {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                    let target = attr(&e, "Target").map(|t| match t.strip_prefix('/') {
                        Some(absolute) => absolute.to_string(),
                        None => format!("xl/{t}"),
                    });
                    let kind = attr(&e, "Type").unwrap_or_default();
                    if kind.ends_with("/sharedStrings") {
                        strings = target;
                    } else if first_sheet_rel.is_some() && attr(&e, "Id") == first_sheet_rel {
                        sheet = target;
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
    }
    let sheet = sheet.unwrap_or_else(|| "xl/worksheets/sheet1.xml".to_string());
    let strings = strings.or_else(|| Some("xl/sharedStrings.xml".to_string()));
    Ok((sheet, strings))
}

/// The shared strings, at most one per cell the limits allow and [`MAX_SHARED_BYTES`] in all.
fn read_shared_strings(
    zip: &mut Archive<'_>,
    path: &str,
    limits: &Limits,
) -> Result<Vec<String>, SheetError> {
    let Some(mut xml) = part(zip, path)? else {
        return Ok(Vec::new());
    };
    let max_strings = limits.rows.saturating_mul(limits.columns);
    let mut strings: Vec<String> = Vec::new();
    let mut total = 0usize;
    let mut buf = Vec::new();
    let mut current: Option<String> = None;
    // Inside <t> (the text) and not inside <rPh> (a phonetic reading, not part of the text).
    let (mut in_t, mut in_phonetic) = (false, 0usize);
    let mut depth = 0usize;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(xml_error)?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SheetError::Unreadable);
                }
                match e.local_name().as_ref() {
                    "si" => current = Some(String::new()),
                    "t" => in_t = true,
                    "rPh" => in_phonetic += 1,
                    _ => {}
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                if strings.len() >= max_strings {
                    return Err(SheetError::TooManyRows { limit: limits.rows });
                }
                strings.push(String::new());
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    "t" => in_t = false,
                    "rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                    "si" => {
                        if strings.len() >= max_strings {
                            return Err(SheetError::TooManyRows { limit: limits.rows });
                        }
                        strings.push(current.take().unwrap_or_default());
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_t && in_phonetic == 0 => {
                if let Some(s) = current.as_mut() {
                    grow(s, &t, limits, &mut total)?;
                }
            }
            Event::CData(t) if in_t && in_phonetic == 0 => {
                if let Some(s) = current.as_mut() {
                    grow(s, &t, limits, &mut total)?;
                }
            }
            Event::GeneralRef(r) if in_t && in_phonetic == 0 => {
                if let Some(s) = current.as_mut() {
                    push_ref(s, &r)?;
                    check_cell(s, limits, 0)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(strings)
}

/// Appends `more` to a shared string, within the cell limit and the shared budget.
fn grow(s: &mut String, more: &str, limits: &Limits, total: &mut usize) -> Result<(), SheetError> {
    *total = total.saturating_add(more.len());
    if *total > MAX_SHARED_BYTES {
        return Err(SheetError::Unpacked {
            limit: MAX_SHARED_BYTES as u64,
        });
    }
    if s.len() + more.len() > limits.cell_bytes {
        return Err(SheetError::CellTooLong {
            limit: limits.cell_bytes,
            line: 0,
        });
    }
    s.push_str(more);
    Ok(())
}

fn check_cell(s: &str, limits: &Limits, line: u64) -> Result<(), SheetError> {
    if s.len() > limits.cell_bytes {
        return Err(SheetError::CellTooLong {
            limit: limits.cell_bytes,
            line,
        });
    }
    Ok(())
}

/// A cell reference (`B3`) as zero-based (row, column); `None` when it is not one.
fn cell_ref(r: &str) -> Option<(u64, u64)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let (col, row) = r.split_at(letters);
    let col = col.bytes().fold(0u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row: u64 = row.parse().ok().filter(|r| *r >= 1)?;
    Some((row - 1, col - 1))
}

/// What a cell holds while its element is read.
#[derive(Default)]
struct CellDraft {
    row: u64,
    col: u64,
    kind: String,
    text: String,
    /// Inside `<v>` or the `<t>` of an inline string.
    collecting: bool,
}

fn read_sheet(
    zip: &mut Archive<'_>,
    path: &str,
    strings: &[String],
    limits: &Limits,
) -> Result<Table, SheetError> {
    let Some(mut xml) = part(zip, path)? else {
        return Err(SheetError::Unreadable);
    };
    let mut table: Table = Vec::new();
    let mut buf = Vec::new();
    let mut row: Option<u64> = None;
    let mut next_row = 0u64;
    let mut next_col = 0u64;
    let mut cell: Option<CellDraft> = None;
    let mut depth = 0usize;
    let rows_limit = limits.rows as u64;
    let cols_limit = limits.columns as u64;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(xml_error)?;
        let (start, empty) = match &event {
            Event::Start(_) => (true, false),
            Event::Empty(_) => (true, true),
            _ => (false, false),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if start => {
                if !empty {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(SheetError::Unreadable);
                    }
                }
                match e.local_name().as_ref() {
                    "row" => {
                        let r = match attr(&e, "r") {
                            Some(r) => {
                                r.parse::<u64>()
                                    .ok()
                                    .filter(|r| *r >= 1)
                                    .ok_or(SheetError::Unreadable)?
                                    - 1
                            }
                            None => next_row,
                        };
                        if r >= rows_limit {
                            return Err(SheetError::TooManyRows { limit: limits.rows });
                        }
                        next_row = r + 1;
                        next_col = 0;
                        row = (!empty).then_some(r);
                    }
                    "c" => {
                        let current_row = row.ok_or(SheetError::Unreadable)?;
                        let (r, c) = match attr(&e, "r") {
                            Some(a) => cell_ref(&a).ok_or(SheetError::Unreadable)?,
                            None => (current_row, next_col),
                        };
                        if r >= rows_limit {
                            return Err(SheetError::TooManyRows { limit: limits.rows });
                        }
                        if c >= cols_limit {
                            return Err(SheetError::TooManyColumns {
                                limit: limits.columns,
                                line: r + 1,
                            });
                        }
                        next_col = c + 1;
                        if !empty {
                            cell = Some(CellDraft {
                                row: r,
                                col: c,
                                kind: attr(&e, "t").unwrap_or_default(),
                                ..CellDraft::default()
                            });
                        }
                    }
                    "v" | "t" if !empty => {
                        if let Some(c) = cell.as_mut() {
                            c.collecting = true;
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    "v" | "t" => {
                        if let Some(c) = cell.as_mut() {
                            c.collecting = false;
                        }
                    }
                    "c" => {
                        if let Some(c) = cell.take() {
                            let value = match c.kind.as_str() {
                                "s" => {
                                    let i: usize = c
                                        .text
                                        .trim()
                                        .parse()
                                        .map_err(|_| SheetError::Unreadable)?;
                                    strings.get(i).cloned().ok_or(SheetError::Unreadable)?
                                }
                                "b" => match c.text.trim() {
                                    "1" => "TRUE".to_string(),
                                    _ => "FALSE".to_string(),
                                },
                                _ => c.text,
                            };
                            place(&mut table, c.row, c.col, value);
                        }
                    }
                    "row" => row = None,
                    _ => {}
                }
            }
            Event::Text(t) => collect(&mut cell, &t, limits)?,
            Event::CData(t) => collect(&mut cell, &t, limits)?,
            Event::GeneralRef(r) => {
                if let Some(c) = cell.as_mut().filter(|c| c.collecting) {
                    push_ref(&mut c.text, &r)?;
                    check_cell(&c.text, limits, c.row + 1)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // Trailing empty rows are no part of the table.
    while table.last().is_some_and(|r| r.iter().all(String::is_empty)) {
        table.pop();
    }
    Ok(table)
}

fn collect(cell: &mut Option<CellDraft>, more: &str, limits: &Limits) -> Result<(), SheetError> {
    if let Some(c) = cell.as_mut().filter(|c| c.collecting) {
        if c.text.len() + more.len() > limits.cell_bytes {
            return Err(SheetError::CellTooLong {
                limit: limits.cell_bytes,
                line: c.row + 1,
            });
        }
        c.text.push_str(more);
    }
    Ok(())
}

/// Puts `value` at (row, col); both were checked against the limits.
fn place(table: &mut Table, row: u64, col: u64, value: String) {
    let (row, col) = (row as usize, col as usize);
    if table.len() <= row {
        table.resize_with(row + 1, Vec::new);
    }
    let cells = &mut table[row];
    if cells.len() <= col {
        cells.resize_with(col + 1, String::new);
    }
    cells[col] = value;
}
