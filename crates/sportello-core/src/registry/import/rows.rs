//! Reading the extract: the header (delimiter, columns in any order) and each row into typed
//! values, or into a rejection naming the first bad field (in the order of [`COLUMNS`]).

use crate::registry::import::{ImportError, Rejection};
use crate::registry::{
    CompanyData, CompanyStatus, Postcode, Province, Rea, SiteData, SiteKind, TaxCode, TaxCodeError,
    VatNumber,
};
use crate::spreadsheet::csv::{Overflow, Record, Records};
use chrono::{Datelike, NaiveDate};
use std::fs::File;
use std::io::{BufRead, BufReader, Chain, Cursor, Read};
use std::path::Path;

/// The columns an extract must have, in the order rows are checked.
pub(super) const COLUMNS: [&str; 11] = [
    "codice_fiscale",
    "partita_iva",
    "denominazione",
    "provincia",
    "numero_rea",
    "tipo_sede",
    "indirizzo",
    "cap",
    "comune",
    "stato",
    "diritto_annuale_pagato",
];

/// An optional column: the tax codes of the company's legal representatives, separated by
/// spaces. A bad code is skipped and reported ([`Row::skipped`]); the row is still imported.
/// Without the column in the header, the representatives already stored are left as they are.
pub(super) const REPRESENTATIVES: &str = "rappresentanti";

/// An optional column: the company's registration date in the Registry (`2026-03-15`,
/// `15/03/2026` or `20260315`), possibly empty when unknown. Without the column in the header
/// (older extracts), the dates already stored are left as they are. The free-card rule reads it
/// (RA procedure, part 2: only years in which the company was registered count).
pub(super) const REGISTERED_ON: &str = "data_iscrizione";

/// The earliest registration date taken as plausible.
const MIN_REGISTRATION_YEAR: i32 = 1800;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A first line longer than this is no header (a binary file, say); it is not read whole.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// Bytes of one row: eleven columns of names and addresses fit many times over. A longer row is
/// rejected without being held in memory (see [`crate::spreadsheet::csv`]).
pub(super) const MAX_ROW_BYTES: usize = 16 * 1024;

/// Fields of one row (the extract's columns, and room for those it may add).
pub(super) const MAX_FIELDS: usize = 256;

/// The lowest annual-fee year taken as plausible; the highest is the current year.
const MIN_FEE_YEAR: i32 = 1900;

/// A valid row: the company-level fields, the paid fee years (sorted, unique) and the site.
#[derive(Debug)]
pub(super) struct Row {
    pub company: CompanyData,
    pub fee_years: Vec<i32>,
    pub site: SiteData,
    /// The valid representatives' tax codes (sorted, unique), `None` when the file has no
    /// `rappresentanti` column.
    pub representatives: Option<Vec<String>>,
    /// The representatives' codes of this row that were not valid, skipped.
    pub skipped: Vec<Rejection>,
    /// The registration date: `None` when the file has no `data_iscrizione` column,
    /// `Some(None)` when the row leaves it empty.
    pub registered_on: Option<Option<NaiveDate>>,
}

/// Up to a batch of lines: the valid rows and the rejections, each in file order.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    pub rows: Vec<Row>,
    pub rejections: Vec<Rejection>,
    /// Values skipped on rows that were imported (bad representatives' codes).
    pub skipped: Vec<Rejection>,
    /// Bytes of the file read so far, for the progress bar.
    pub bytes_read: u64,
}

type Input = Chain<Cursor<Vec<u8>>, BufReader<File>>;

/// An open extract whose header has been read and understood.
pub(super) struct Source {
    reader: Records<Input>,
    /// Index of each of [`COLUMNS`] in a row.
    positions: [usize; 11],
    /// Index of the optional `rappresentanti` column.
    representatives: Option<usize>,
    /// Index of the optional `data_iscrizione` column.
    registered_on: Option<usize>,
    width: usize,
    bom: u64,
}

/// Opens the file and reads its header. Everything that makes the file unusable as a whole
/// is an [`ImportError`]; a bad row later is only a rejection.
pub(super) fn open(path: &Path) -> Result<(Source, u64), ImportError> {
    let open_error = |source| ImportError::Open {
        path: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(open_error)?;
    let size = file.metadata().map_err(open_error)?.len();
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut first = Vec::new();
    (&mut input)
        .take(MAX_HEADER_BYTES)
        .read_until(b'\n', &mut first)
        .map_err(|source| ImportError::Read { line: 1, source })?;
    if first.len() as u64 == MAX_HEADER_BYTES && !first.ends_with(b"\n") {
        return Err(ImportError::NoHeader);
    }
    let bom = first.starts_with(UTF8_BOM);
    if bom {
        first.drain(..UTF8_BOM.len());
    }
    let header = std::str::from_utf8(&first).map_err(|_| ImportError::HeaderNotUtf8)?;
    if header.trim().is_empty() {
        return Err(ImportError::NoHeader);
    }
    // The delimiter is whichever of `;` and `,` the header uses more (column names hold neither).
    let delimiter = if header.matches(';').count() >= header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = Records::with_budget(
        Cursor::new(first).chain(input),
        delimiter,
        MAX_HEADER_BYTES as usize,
        MAX_FIELDS,
    );
    let names: Vec<String> = match reader
        .next_record()
        .map_err(|source| ImportError::Read { line: 1, source })?
    {
        Some(record) if record.overflow.is_none() => record
            .fields()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
        _ => return Err(ImportError::NoHeader),
    };
    reader.set_budget(MAX_ROW_BYTES, MAX_FIELDS);
    let (positions, representatives, registered_on, width) = header_positions(&names)?;
    let source = Source {
        reader,
        positions,
        representatives,
        registered_on,
        width,
        bom: if bom { UTF8_BOM.len() as u64 } else { 0 },
    };
    Ok((source, size))
}

/// Where each column is: the required ones, the optional `rappresentanti` and
/// `data_iscrizione`, and the width.
type Positions = ([usize; 11], Option<usize>, Option<usize>, usize);

fn header_positions(names: &[String]) -> Result<Positions, ImportError> {
    let mut positions = [usize::MAX; 11];
    let mut representatives = None;
    let mut registered_on = None;
    for (index, name) in names.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        if name == REPRESENTATIVES {
            if representatives.replace(index).is_some() {
                return Err(ImportError::DuplicateColumn(name));
            }
        } else if name == REGISTERED_ON {
            if registered_on.replace(index).is_some() {
                return Err(ImportError::DuplicateColumn(name));
            }
        } else if let Some(column) = COLUMNS.iter().position(|c| *c == name) {
            if positions[column] != usize::MAX {
                return Err(ImportError::DuplicateColumn(name));
            }
            positions[column] = index;
        }
    }
    let missing: Vec<String> = COLUMNS
        .iter()
        .zip(positions)
        .filter(|(_, p)| *p == usize::MAX)
        .map(|(c, _)| (*c).to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing));
    }
    Ok((positions, representatives, registered_on, names.len()))
}

impl Source {
    /// Reads the rest of the file in chunks of `batch_size` lines, handing each to `send`;
    /// stops early when `send` returns false (the receiver has gone).
    pub(super) fn read_chunks(
        mut self,
        batch_size: usize,
        current_year: i32,
        mut send: impl FnMut(Result<Chunk, ImportError>) -> bool,
    ) {
        let mut chunk = Chunk::default();
        loop {
            let record = match self.reader.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(source) => {
                    let line = self.reader.line();
                    send(Err(ImportError::Read { line, source }));
                    return;
                }
            };
            let layout = (
                self.positions,
                self.representatives,
                self.registered_on,
                self.width,
            );
            match Self::parse(layout, &record, current_year) {
                Ok(mut row) => {
                    chunk.skipped.append(&mut row.skipped);
                    chunk.rows.push(row);
                }
                Err(rejection) => chunk.rejections.push(rejection),
            }
            if chunk.rows.len() + chunk.rejections.len() >= batch_size {
                chunk.bytes_read = self.reader.bytes_read() + self.bom;
                if !send(Ok(std::mem::take(&mut chunk))) {
                    return;
                }
            }
        }
        chunk.bytes_read = self.reader.bytes_read() + self.bom;
        send(Ok(chunk));
    }

    fn parse(
        (positions, representatives_at, registered_at, width): Positions,
        record: &Record<'_>,
        year: i32,
    ) -> Result<Row, Rejection> {
        let line = record.line;
        match record.overflow {
            Some(Overflow::TooLong) => {
                let reason = format!("longer than {MAX_ROW_BYTES} bytes");
                return Err(Rejection::new(line, "row", reason));
            }
            Some(Overflow::TooManyFields) => {
                let reason = format!("more than {MAX_FIELDS} fields");
                return Err(Rejection::new(line, "row", reason));
            }
            None => {}
        }
        if record.len() != width {
            let reason = format!("expected {} fields, found {}", width, record.len());
            return Err(Rejection::new(line, "row", reason));
        }
        let field = |column: usize| -> Result<&str, Rejection> {
            let bytes = record.get(positions[column]).unwrap_or_default();
            std::str::from_utf8(bytes)
                .map(str::trim)
                .map_err(|_| Rejection::new(line, COLUMNS[column], "not valid UTF-8"))
        };
        let reject = |column: usize, reason: &dyn std::fmt::Display| {
            Rejection::new(line, COLUMNS[column], reason.to_string())
        };
        let tax_code = TaxCode::parse(field(0)?).map_err(|e| reject(0, &e))?;
        let vat_number = match field(1)? {
            "" => None,
            vat => Some(VatNumber::parse(vat).map_err(|e| reject(1, &e))?),
        };
        let name = required(field(2)?).ok_or_else(|| reject(2, &"is empty"))?;
        let province = Province::parse(field(3)?).map_err(|e| reject(3, &e))?;
        let rea = Rea::new(province, field(4)?).map_err(|e| reject(4, &e))?;
        let kind = SiteKind::parse_extract(field(5)?).map_err(|e| reject(5, &e))?;
        let address = required(field(6)?).ok_or_else(|| reject(6, &"is empty"))?;
        let postcode = Postcode::parse(field(7)?).map_err(|e| reject(7, &e))?;
        let municipality = required(field(8)?).ok_or_else(|| reject(8, &"is empty"))?;
        let status = CompanyStatus::parse_extract(field(9)?).map_err(|e| reject(9, &e))?;
        let fee_years = fee_years(field(10)?, year).map_err(|e| reject(10, &e))?;
        let registered_on = match registered_at {
            None => None,
            Some(index) => {
                let bytes = record.get(index).unwrap_or_default();
                let value = std::str::from_utf8(bytes)
                    .map_err(|_| Rejection::new(line, REGISTERED_ON, "not valid UTF-8"))?;
                let date = registration_date(value.trim(), year)
                    .map_err(|e| Rejection::new(line, REGISTERED_ON, e))?;
                Some(date)
            }
        };
        let mut skipped = Vec::new();
        let representatives = match representatives_at {
            None => None,
            Some(index) => {
                let bytes = record.get(index).unwrap_or_default();
                let value = std::str::from_utf8(bytes)
                    .map_err(|_| Rejection::new(line, REPRESENTATIVES, "not valid UTF-8"))?;
                let (codes, bad) = representatives(value);
                skipped.extend(bad.into_iter().map(|(token, e)| {
                    let reason = format!("\"{token}\" skipped: {e}");
                    Rejection::new(line, REPRESENTATIVES, reason)
                }));
                Some(codes)
            }
        };
        Ok(Row {
            company: CompanyData {
                tax_code,
                vat_number,
                name,
                status,
            },
            fee_years,
            site: SiteData {
                kind,
                rea,
                address,
                postcode,
                municipality,
            },
            representatives,
            skipped,
            registered_on,
        })
    }
}

/// `data_iscrizione`: a date as `YYYY-MM-DD`, `DD/MM/YYYY` or `YYYYMMDD`, or empty (unknown).
/// A year before [`MIN_REGISTRATION_YEAR`] or after the current year is refused.
fn registration_date(value: &str, current_year: i32) -> Result<Option<NaiveDate>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
        .ok()
        .or_else(|| {
            (value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| NaiveDate::parse_from_str(value, "%Y%m%d").ok())
                .flatten()
        })
        .ok_or_else(|| format!("\"{value}\" is not a date"))?;
    if !(MIN_REGISTRATION_YEAR..=current_year).contains(&date.year()) {
        return Err(format!(
            "year {} is not between {MIN_REGISTRATION_YEAR} and {current_year}",
            date.year()
        ));
    }
    Ok(Some(date))
}

/// `rappresentanti`: tax codes separated by spaces, possibly none. Returns the valid ones
/// (normalised, sorted, unique) and the bad tokens with the reason, in order.
fn representatives(value: &str) -> (Vec<String>, Vec<(String, TaxCodeError)>) {
    let mut codes = Vec::new();
    let mut bad = Vec::new();
    for token in value.split_whitespace() {
        match TaxCode::parse(token) {
            Ok(code) => codes.push(code.as_str().to_string()),
            Err(e) => bad.push((token.to_string(), e)),
        }
    }
    codes.sort_unstable();
    codes.dedup();
    (codes, bad)
}

fn required(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// `diritto_annuale_pagato`: years separated by spaces, possibly none. A year has 4 digits and
/// is neither before [`MIN_FEE_YEAR`] nor after the current year (a fee cannot be paid ahead).
fn fee_years(value: &str, current_year: i32) -> Result<Vec<i32>, String> {
    let mut years = Vec::new();
    for token in value.split_whitespace() {
        let year = (token.len() == 4 && token.bytes().all(|b| b.is_ascii_digit()))
            .then(|| token.parse::<i32>().ok())
            .flatten()
            .ok_or_else(|| format!("\"{token}\" is not a year"))?;
        if !(MIN_FEE_YEAR..=current_year).contains(&year) {
            return Err(format!(
                "year {year} is not between {MIN_FEE_YEAR} and {current_year}"
            ));
        }
        years.push(year);
    }
    years.sort_unstable();
    years.dedup();
    Ok(years)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_years_are_sorted_unique_and_may_be_none() {
        assert_eq!(fee_years("", 2026), Ok(vec![]));
        assert_eq!(fee_years(" 2025  2024 2025 ", 2026), Ok(vec![2024, 2025]));
    }

    #[test]
    fn a_fee_year_has_four_digits_and_is_not_in_the_future() {
        assert_eq!(
            fee_years("2024 24", 2026),
            Err("\"24\" is not a year".to_string())
        );
        assert_eq!(
            fee_years("20x4", 2026),
            Err("\"20x4\" is not a year".to_string())
        );
        assert!(fee_years("2027", 2026).is_err());
        assert!(fee_years("1899", 2026).is_err());
        assert!(fee_years("2024,2025", 2026).is_err());
    }

    #[test]
    fn registration_dates_are_read_in_three_forms_or_left_empty() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 15);
        assert_eq!(registration_date("2026-03-15", 2026), Ok(d));
        assert_eq!(registration_date("15/03/2026", 2026), Ok(d));
        assert_eq!(registration_date("20260315", 2026), Ok(d));
        assert_eq!(registration_date("", 2026), Ok(None));
        assert!(registration_date("2027-01-01", 2026).is_err());
        assert!(registration_date("31/02/2026", 2026).is_err());
        assert!(registration_date("ieri", 2026).is_err());
    }

    #[test]
    fn representatives_keep_the_valid_codes_and_name_the_bad_ones() {
        let (codes, bad) =
            representatives(" rssmra80a01h501u BNCGLI85M41D969D XYZ RSSMRA80A01H501U ");
        assert_eq!(codes, ["BNCGLI85M41D969D", "RSSMRA80A01H501U"]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "XYZ");
        assert_eq!(representatives(""), (vec![], vec![]));
    }

    #[test]
    fn missing_and_duplicate_columns_are_named() {
        let header: Vec<String> = ["codice_fiscale", "extra", "CAP "]
            .map(String::from)
            .to_vec();
        match header_positions(&header) {
            Err(ImportError::MissingColumns(missing)) => {
                assert_eq!(missing.len(), 9);
                assert!(!missing.contains(&"cap".to_string()));
            }
            other => panic!("unexpected {other:?}"),
        }
        let mut names: Vec<String> = COLUMNS.map(String::from).to_vec();
        names.push("cap".into());
        match header_positions(&names) {
            Err(ImportError::DuplicateColumn(name)) => assert_eq!(name, "cap"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
