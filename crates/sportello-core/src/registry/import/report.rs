//! Rejected rows and the report of a run.
//!
//! Memory stays bounded however many rows are rejected: the first [`KEPT_IN_MEMORY`]
//! rejections are kept in [`ImportOutcome::rejected`]; the rest go, in order, to a temporary
//! file (JSON lines) that is deleted with the outcome. The report then writes every rejection,
//! so the stderr lines and the `--json` list are both complete, as the contract says. They are
//! written when the run ends rather than as rows are read: the caller decides where the report
//! goes, and a terminal shows the progress bar meanwhile.

use crate::registry::import::ImportOutcome;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

/// How many rejections are kept in memory; later ones are spilled to a temporary file.
pub const KEPT_IN_MEMORY: usize = 10_000;

/// A row that was not imported: its physical line (the header is line 1), the first bad field
/// (`row` when the number of fields is wrong) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl Rejection {
    pub(super) fn new(line: u64, field: &str, reason: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// `line 7: cap: a postcode (CAP) has 5 digits`, the stderr form.
impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// Rejections past [`KEPT_IN_MEMORY`], on disk; the file goes when this is dropped.
pub(super) struct Spill {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl fmt::Debug for Spill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spill").finish_non_exhaustive()
    }
}

impl Spill {
    fn create() -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "sportello-import-rejections-{}.jsonl",
            crate::db::new_id()
        ));
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(Self {
            path,
            writer: Some(BufWriter::new(file)),
        })
    }

    fn push(&mut self, rejection: &Rejection) -> io::Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| io::Error::other("rejection file already closed"))?;
        serde_json::to_writer(&mut *writer, rejection)?;
        writer.write_all(b"\n")
    }

    pub(super) fn close(&mut self) -> io::Result<()> {
        match self.writer.take() {
            Some(writer) => writer.into_inner().map_err(|e| e.into_error())?.sync_all(),
            None => Ok(()),
        }
    }

    fn read(&self) -> io::Result<impl Iterator<Item = io::Result<Rejection>> + use<>> {
        let lines = BufReader::new(File::open(&self.path)?).lines();
        Ok(lines.map(|line| Ok(serde_json::from_str(&line?)?)))
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.writer = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

impl ImportOutcome {
    /// Records a rejection: kept in memory while there is room, spilled after.
    pub(super) fn reject(&mut self, rejection: Rejection) -> io::Result<()> {
        self.rejected_total += 1;
        if self.rejected.len() < KEPT_IN_MEMORY {
            self.rejected.push(rejection);
            return Ok(());
        }
        if self.spill.is_none() {
            self.spill = Some(Spill::create()?);
        }
        match self.spill.as_mut() {
            Some(spill) => spill.push(&rejection),
            None => Ok(()),
        }
    }

    /// Records a value skipped on an imported row: kept while there is room, counted always.
    pub(super) fn skip(&mut self, skipped: Rejection) {
        self.skipped_total += 1;
        if self.skipped.len() < KEPT_IN_MEMORY {
            self.skipped.push(skipped);
        }
    }

    /// Every rejection in file order: the kept ones, then those spilled to disk.
    pub fn rejections(&self) -> impl Iterator<Item = io::Result<Rejection>> + '_ {
        let spilled: Box<dyn Iterator<Item = io::Result<Rejection>>> = match &self.spill {
            Some(spill) => match spill.read() {
                Ok(lines) => Box::new(lines),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
            None => Box::new(std::iter::empty()),
        };
        self.rejected.iter().cloned().map(Ok).chain(spilled)
    }

    /// Writes the report of the run. Every rejection goes to `stderr` as `line N: field:
    /// reason`. Then, on `stdout`, either one JSON object and nothing else,
    /// `{"imported":X,"rejected":[{"line":N,"field":"…","reason":"…"}]}`, or a line of details
    /// followed by the last line `imported X, rejected Y`. Values skipped on imported rows (a
    /// representative's bad tax code) go to `stderr` too, after the rejections, and in the JSON
    /// as `"skipped":[…]` (same shape) after `rejected`, only when there are any.
    pub fn write_report(
        &self,
        json: bool,
        stdout: &mut impl Write,
        stderr: &mut impl Write,
    ) -> io::Result<()> {
        if json {
            write!(stdout, "{{\"imported\":{},\"rejected\":[", self.imported)?;
        }
        for (i, rejection) in self.rejections().enumerate() {
            let rejection = rejection?;
            writeln!(stderr, "{rejection}")?;
            if json {
                if i > 0 {
                    stdout.write_all(b",")?;
                }
                serde_json::to_writer(&mut *stdout, &rejection)?;
            }
        }
        for skipped in &self.skipped {
            writeln!(stderr, "{skipped}")?;
        }
        if self.skipped_total > self.skipped.len() as u64 {
            writeln!(
                stderr,
                "… and {} more values skipped",
                self.skipped_total - self.skipped.len() as u64
            )?;
        }
        if json {
            stdout.write_all(b"]")?;
            if !self.skipped.is_empty() {
                stdout.write_all(b",\"skipped\":")?;
                serde_json::to_writer(&mut *stdout, &self.skipped)?;
            }
            stdout.write_all(b"}\n")?;
        } else {
            writeln!(
                stdout,
                "companies created {}, updated {}; sites created {}, updated {}; rows unchanged {}",
                self.companies_created,
                self.companies_updated,
                self.sites_created,
                self.sites_updated,
                self.unchanged
            )?;
            if self.representatives_updated > 0 || self.skipped_total > 0 {
                writeln!(
                    stdout,
                    "legal representatives written for {} companies; tax codes skipped {}",
                    self.representatives_updated, self.skipped_total
                )?;
            }
            writeln!(
                stdout,
                "imported {}, rejected {}",
                self.imported, self.rejected_total
            )?;
        }
        stdout.flush()?;
        stderr.flush()
    }
}
