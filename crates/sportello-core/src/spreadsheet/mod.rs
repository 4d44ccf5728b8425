//! Every spreadsheet the platform reads from outside (the course results, the CA's delivery,
//! the ODRs' reports, the Registry extract) goes through here, bounded before anything is
//! allocated: a file may not claim more rows, columns or characters in a cell than its import
//! allows, and what it claims is never trusted to size a buffer.
//!
//! - [`csv::Records`] drives `csv-core` with fixed buffers: a record longer than its budget or
//!   with too many fields is reported and skipped without growing anything.
//! - [`xlsx`] reads the first worksheet of an XLSX workbook by streaming its XML with
//!   `quick-xml`, with a budget on the decompressed size of each part; the `<dimension>`
//!   element and the shared-strings `count` are ignored, and a cell's position is checked
//!   against the limits before the table grows to reach it.

pub mod csv;
pub mod xlsx;

/// How much one import accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Rows, the header included.
    pub rows: usize,
    pub columns: usize,
    /// Bytes of text in one cell (UTF-8).
    pub cell_bytes: usize,
    /// Bytes of the file as uploaded.
    pub file_bytes: usize,
}

impl Limits {
    /// Bytes one CSV record may take: every cell full, plus a separator each.
    pub fn record_bytes(&self) -> usize {
        self.columns
            .saturating_mul(self.cell_bytes.saturating_add(1))
    }
}

/// Why a spreadsheet was not read. Each names the limit it hit, for a message that says what
/// to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is neither a CSV nor an XLSX spreadsheet")]
    Unreadable,
    #[error("the file is larger than {limit} bytes")]
    FileTooLarge { limit: usize },
    #[error("the sheet has more than {limit} rows")]
    TooManyRows { limit: usize },
    #[error("a row has more than {limit} columns (line {line})")]
    TooManyColumns { limit: usize, line: u64 },
    #[error("a cell is longer than {limit} characters (line {line})")]
    CellTooLong { limit: usize, line: u64 },
    #[error("the workbook's content is larger than {limit} bytes once unpacked")]
    Unpacked { limit: u64 },
    #[error("the text is not UTF-8")]
    NotUtf8,
}

impl SheetError {
    /// The message key (Italian first, in `main.ftl`) and its arguments.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            SheetError::Unreadable => ("sheet-error-unreadable", vec![]),
            SheetError::FileTooLarge { limit } => (
                "sheet-error-file-too-large",
                vec![("limit", (limit / 1024).to_string())],
            ),
            SheetError::TooManyRows { limit } => (
                "sheet-error-rows",
                vec![("limit", limit.saturating_sub(1).to_string())],
            ),
            SheetError::TooManyColumns { limit, line } => (
                "sheet-error-columns",
                vec![("limit", limit.to_string()), ("line", line.to_string())],
            ),
            // A shared string of an XLSX belongs to no row until a cell uses it (line 0).
            SheetError::CellTooLong { limit, line: 0 } => (
                "sheet-error-cell-shared",
                vec![("limit", limit.to_string())],
            ),
            SheetError::CellTooLong { limit, line } => (
                "sheet-error-cell",
                vec![("limit", limit.to_string()), ("line", line.to_string())],
            ),
            SheetError::Unpacked { limit } => (
                "sheet-error-unpacked",
                vec![("limit", (limit / (1024 * 1024)).to_string())],
            ),
            SheetError::NotUtf8 => ("sheet-error-not-utf8", vec![]),
        }
    }
}

/// A table of text cells, one `Vec` per row (rows may differ in length).
pub type Table = Vec<Vec<String>>;

/// Whether `bytes` look like an XLSX workbook (a ZIP archive).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The delimiter of a CSV file: whichever of `;` and `,` its first line uses more (`;` when
/// tied, as Italian spreadsheets write it).
pub fn delimiter(bytes: &[u8]) -> u8 {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| first.iter().filter(|b| **b == d).count();
    if count(b';') >= count(b',') {
        b';'
    } else {
        b','
    }
}

/// Reads a whole CSV (UTF-8, a leading BOM dropped) within `limits`.
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    if bytes.len() > limits.file_bytes {
        return Err(SheetError::FileTooLarge {
            limit: limits.file_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut records = csv::Records::new(bytes, delimiter(bytes), limits);
    let mut table = Vec::new();
    while let Some(record) = records.next_record().map_err(|_| SheetError::Unreadable)? {
        if table.len() >= limits.rows {
            return Err(SheetError::TooManyRows { limit: limits.rows });
        }
        let line = record.line;
        match record.overflow {
            Some(csv::Overflow::TooManyFields) => {
                return Err(SheetError::TooManyColumns {
                    limit: limits.columns,
                    line,
                });
            }
            Some(csv::Overflow::TooLong) => {
                return Err(SheetError::CellTooLong {
                    limit: limits.cell_bytes,
                    line,
                });
            }
            None => {}
        }
        let mut row = Vec::with_capacity(record.len());
        for field in record.fields() {
            if field.len() > limits.cell_bytes {
                return Err(SheetError::CellTooLong {
                    limit: limits.cell_bytes,
                    line,
                });
            }
            row.push(
                std::str::from_utf8(field)
                    .map_err(|_| SheetError::NotUtf8)?
                    .to_string(),
            );
        }
        table.push(row);
    }
    Ok(table)
}

/// Reads an XLSX workbook's first sheet, or a CSV, within `limits`.
pub fn read_table(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    if is_xlsx(bytes) {
        xlsx::read_first_sheet(bytes, limits)
    } else {
        read_csv(bytes, limits)
    }
}

#[cfg(test)]
mod tests;
