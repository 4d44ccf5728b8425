//! A CSV reader with fixed buffers. `csv-core` parses into the caller's output buffers and
//! says when they are full; here they are sized once from the [`Limits`], so a record with a
//! field of a gigabyte, or a million separators, costs no more memory than a normal one: it
//! is read to its end, discarded, and reported as an [`Overflow`].

use super::Limits;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use std::io::BufRead;

/// Why a record was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// The record's text is longer than its budget ([`Limits::record_bytes`]).
    TooLong,
    /// More fields than [`Limits::columns`].
    TooManyFields,
}

/// One record, borrowed from the reader's buffers until the next call.
#[derive(Debug)]
pub struct Record<'a> {
    /// The line where the record starts (1 for the first line of the input).
    pub line: u64,
    /// Set when the record did not fit: its fields are then empty.
    pub overflow: Option<Overflow>,
    out: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, as bytes.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(start..end)
    }

    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Reads records from `input` with the quoting rules of the `csv` crate (RFC 4180: `"`
/// quotes, `""` escapes, `\n`, `\r` or `\r\n` ends a record; blank lines are skipped).
pub struct Records<R> {
    input: R,
    core: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    consumed: u64,
}

impl<R: BufRead> Records<R> {
    pub fn new(input: R, delimiter: u8, limits: &Limits) -> Self {
        Self::with_budget(input, delimiter, limits.record_bytes(), limits.columns)
    }

    /// A reader whose records may take `record_bytes` of text in at most `fields` fields.
    pub fn with_budget(input: R, delimiter: u8, record_bytes: usize, fields: usize) -> Self {
        Records {
            input,
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; record_bytes.max(1)],
            ends: vec![0; fields.max(1)],
            consumed: 0,
        }
    }

    /// Gives later records another budget (a header may be allowed more than a row).
    pub fn set_budget(&mut self, record_bytes: usize, fields: usize) {
        self.out = vec![0; record_bytes.max(1)];
        self.ends = vec![0; fields.max(1)];
    }

    /// The line the reader has reached.
    pub fn line(&self) -> u64 {
        self.core.line()
    }

    /// Bytes of the input read so far.
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// The next record, `None` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<Option<Record<'_>>> {
        let (mut nout, mut nends) = (0, 0);
        let mut overflow = None;
        // The line the record starts on, counted as the `csv` crate counts it.
        let line = self.core.line();
        loop {
            let input = self.input.fill_buf()?;
            let (result, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nends..]);
            self.input.consume(nin);
            self.consumed += nin as u64;
            nout += o;
            nends += e;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    overflow.get_or_insert(Overflow::TooLong);
                    nout = 0;
                }
                ReadRecordResult::OutputEndsFull => {
                    overflow.get_or_insert(Overflow::TooManyFields);
                    nends = 0;
                }
                ReadRecordResult::Record => {
                    let (out, ends): (&[u8], &[usize]) = if overflow.is_some() {
                        (&[], &[])
                    } else {
                        (&self.out[..nout], &self.ends[..nends])
                    };
                    return Ok(Some(Record {
                        line,
                        overflow,
                        out,
                        ends,
                    }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }
}
