//! Reading a FatturaPA file (the Italian e-invoice, schema v1.2: FPA12 to a public
//! administration, FPR12 between private parties) for what a certificate needs: the buyer
//! (CessionarioCommittente), each invoice's number, date, currency and total, and its lines.
//!
//! The file comes from outside, so it is read defensively: at most [`MAX_FILE_BYTES`], UTF-8
//! only, no DTD (a `<!DOCTYPE` is refused before anything is expanded, so neither "billion
//! laughs" nor an external entity can run), only XML's five entities and character
//! references, a bounded depth, bounded texts and counts. Nothing is fetched.

use crate::money::Money;
use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

/// The namespace of FatturaPA v1.2 (unchanged in 1.2.1, 1.2.2 and 1.2.3).
pub const NAMESPACE: &str = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2";
/// The Exchange System (SdI) takes files up to 5 MB; nothing larger is a FatturaPA file.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// At most this many invoices in one file (a batch, *lotto*).
const MAX_INVOICES: usize = 200;
/// At most this many lines in one file, all invoices together.
const MAX_LINES: usize = 5000;
/// Deeper nesting than any FatturaPA element.
const MAX_DEPTH: usize = 24;
/// Longest text kept from one element (Descrizione is at most 1000 characters).
const MAX_TEXT: usize = 4000;

/// The buyer as the certificate's consignee box reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    pub name: String,
    pub address: String,
    /// ISO 3166-1 alpha-2 (`Nazione`).
    pub country: String,
}

/// One line of goods or services (`DettaglioLinee`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    /// As written in the file (`1200.00`).
    pub quantity: Option<String>,
    pub unit: Option<String>,
    /// `TipoCessionePrestazione`: SC discount, PR premium, AB rebate, AC ancillary cost.
    pub kind: Option<String>,
}

impl Line {
    /// A line of goods: it has a quantity and is not a discount, premium, rebate or
    /// ancillary cost (transport, packing), which are no goods of a certificate.
    pub fn is_goods(&self) -> bool {
        self.quantity.is_some() && self.kind.is_none()
    }

    /// The quantity as Italians write it, with its unit: `1.200 PZ`, `250,5 KG`.
    pub fn quantity_for_people(&self) -> Option<String> {
        let q = italian_decimal(self.quantity.as_deref()?)?;
        Some(match self.unit.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => format!("{q} {u}"),
            _ => q,
        })
    }
}

/// One invoice of the file (`FatturaElettronicaBody`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: String,
    pub date: NaiveDate,
    /// ISO 4217 (`Divisa`), e.g. `EUR`.
    pub currency: String,
    /// `ImportoTotaleDocumento`, or when the file leaves it out (it is optional) the sum of
    /// the VAT summary (`ImponibileImporto` + `Imposta`).
    pub total: Money,
    /// False when `total` was summed from the VAT summary.
    pub total_stated: bool,
    pub lines: Vec<Line>,
}

impl Invoice {
    pub fn in_euro(&self) -> bool {
        self.currency.eq_ignore_ascii_case("EUR")
    }
}

/// What a FatturaPA file says that a certificate uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EInvoiceFile {
    /// `FPA12` or `FPR12`.
    pub format: String,
    pub buyer: Buyer,
    pub invoices: Vec<Invoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the file is larger than the limit")]
    TooLarge,
    #[error("the file is not UTF-8 text")]
    NotText,
    #[error("the file declares a DTD or entities")]
    Dtd,
    #[error("an entity other than XML's own")]
    Entity,
    #[error("the XML is not well formed")]
    Malformed,
    #[error("the file is not a FatturaPA invoice")]
    NotFatturaPa,
    #[error("FatturaPA format {0} is not read (only FPA12 and FPR12)")]
    UnsupportedFormat(String),
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} is not valid")]
    BadValue(&'static str),
    #[error("too many invoices or lines")]
    TooMany,
}

/// Reads a FatturaPA XML file (the signed content already taken out of a `.p7m`).
pub fn parse(bytes: &[u8]) -> Result<EInvoiceFile, ParseError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut b = Builder::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text_buf = String::new();
    loop {
        let event = reader.read_event().map_err(|_| ParseError::Malformed)?;
        match event {
            Event::DocType(_) => return Err(ParseError::Dtd),
            Event::Start(e) => {
                if stack.is_empty() {
                    b.root(&e)?;
                } else if b.format.is_none() {
                    return Err(ParseError::NotFatturaPa);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::Malformed);
                }
                let name = local(&e);
                stack.push(name);
                b.open(&stack)?;
                text_buf.clear();
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    // A root without content is no invoice.
                    b.root(&e)?;
                    return Err(ParseError::Missing("FatturaElettronicaBody"));
                }
                stack.push(local(&e));
                b.open(&stack)?;
                b.close(&stack, "")?;
                stack.pop();
            }
            Event::End(_) => {
                b.close(&stack, text_buf.trim())?;
                text_buf.clear();
                stack.pop();
            }
            Event::Text(t) => push_text(&mut text_buf, &t)?,
            Event::CData(t) => push_text(&mut text_buf, &t)?,
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .ok_or(ParseError::Entity)?,
                };
                if text_buf.len() < MAX_TEXT {
                    text_buf.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    b.finish()
}

fn push_text(buf: &mut String, more: &str) -> Result<(), ParseError> {
    if buf.len() + more.len() > MAX_TEXT {
        // Only whitespace between elements can be long in a valid file; keep within bounds.
        if more.trim().is_empty() {
            return Ok(());
        }
        return Err(ParseError::BadValue("testo"));
    }
    buf.push_str(more);
    Ok(())
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// The value of an attribute, by its full name.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[derive(Default)]
struct BodyDraft {
    number: Option<String>,
    date: Option<String>,
    currency: Option<String>,
    total: Option<String>,
    summary: Vec<String>,
    lines: Vec<Line>,
}

#[derive(Default)]
struct Builder {
    format: Option<String>,
    buyer_name: String,
    first_name: String,
    last_name: String,
    street: String,
    civic: String,
    postcode: String,
    town: String,
    province: String,
    country: String,
    bodies: Vec<BodyDraft>,
    lines: usize,
}

impl Builder {
    /// The root must be FatturaPA's, in its namespace, of a version read here.
    fn root(&mut self, e: &BytesStart<'_>) -> Result<(), ParseError> {
        let name = e.name();
        let qname: &str = name.as_ref();
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        };
        if local != "FatturaElettronica" {
            return Err(ParseError::NotFatturaPa);
        }
        let ns_attr = match prefix {
            Some(p) => format!("xmlns:{p}"),
            None => "xmlns".to_string(),
        };
        if attr(e, &ns_attr).as_deref() != Some(NAMESPACE) {
            return Err(ParseError::NotFatturaPa);
        }
        let version = attr(e, "versione").unwrap_or_default();
        match version.as_str() {
            "FPA12" | "FPR12" => {
                self.format = Some(version);
                Ok(())
            }
            _ => Err(ParseError::UnsupportedFormat(version)),
        }
    }

    fn open(&mut self, stack: &[String]) -> Result<(), ParseError> {
        match path(stack).as_slice() {
            ["FatturaElettronicaBody"] => {
                if self.bodies.len() >= MAX_INVOICES {
                    return Err(ParseError::TooMany);
                }
                self.bodies.push(BodyDraft::default());
            }
            [
                "FatturaElettronicaBody",
                "DatiBeniServizi",
                "DettaglioLinee",
            ] => {
                self.lines += 1;
                if self.lines > MAX_LINES {
                    return Err(ParseError::TooMany);
                }
                if let Some(b) = self.bodies.last_mut() {
                    b.lines.push(Line::default());
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, stack: &[String], text: &str) -> Result<(), ParseError> {
        let text = text.to_string();
        const BUYER: &str = "CessionarioCommittente";
        match path(stack).as_slice() {
            [
                "FatturaElettronicaHeader",
                BUYER,
                "DatiAnagrafici",
                "Anagrafica",
                field,
            ] => match *field {
                "Denominazione" => self.buyer_name = text,
                "Nome" => self.first_name = text,
                "Cognome" => self.last_name = text,
                _ => {}
            },
            ["FatturaElettronicaHeader", BUYER, "Sede", field] => match *field {
                "Indirizzo" => self.street = text,
                "NumeroCivico" => self.civic = text,
                "CAP" => self.postcode = text,
                "Comune" => self.town = text,
                "Provincia" => self.province = text,
                "Nazione" => self.country = text,
                _ => {}
            },
            [
                "FatturaElettronicaBody",
                "DatiGenerali",
                "DatiGeneraliDocumento",
                field,
            ] => {
                if let Some(b) = self.bodies.last_mut() {
                    match *field {
                        "Numero" => b.number = Some(text),
                        "Data" => b.date = Some(text),
                        "Divisa" => b.currency = Some(text),
                        "ImportoTotaleDocumento" => b.total = Some(text),
                        _ => {}
                    }
                }
            }
            [
                "FatturaElettronicaBody",
                "DatiBeniServizi",
                "DettaglioLinee",
                field,
            ] => {
                if let Some(l) = self.bodies.last_mut().and_then(|b| b.lines.last_mut()) {
                    match *field {
                        "Descrizione" => l.description = text,
                        "Quantita" => l.quantity = Some(text).filter(|t| !t.is_empty()),
                        "UnitaMisura" => l.unit = Some(text).filter(|t| !t.is_empty()),
                        "TipoCessionePrestazione" => l.kind = Some(text).filter(|t| !t.is_empty()),
                        _ => {}
                    }
                }
            }
            [
                "FatturaElettronicaBody",
                "DatiBeniServizi",
                "DatiRiepilogo",
                field,
            ] if matches!(*field, "ImponibileImporto" | "Imposta") => {
                if let Some(b) = self.bodies.last_mut() {
                    b.summary.push(text);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<EInvoiceFile, ParseError> {
        let format = self.format.ok_or(ParseError::NotFatturaPa)?;
        let name = if !self.buyer_name.is_empty() {
            self.buyer_name.clone()
        } else {
            format!("{} {}", self.first_name, self.last_name)
                .trim()
                .to_string()
        };
        if name.is_empty() {
            return Err(ParseError::Missing("CessionarioCommittente/Anagrafica"));
        }
        if self.country.len() != 2 || !self.country.bytes().all(|c| c.is_ascii_uppercase()) {
            return Err(ParseError::BadValue("CessionarioCommittente/Sede/Nazione"));
        }
        let buyer = Buyer {
            name,
            address: address(
                &self.street,
                &self.civic,
                &self.postcode,
                &self.town,
                &self.province,
            ),
            country: self.country,
        };
        if self.bodies.is_empty() {
            return Err(ParseError::Missing("FatturaElettronicaBody"));
        }
        let mut invoices = Vec::with_capacity(self.bodies.len());
        for b in self.bodies {
            invoices.push(invoice(b)?);
        }
        Ok(EInvoiceFile {
            format,
            buyer,
            invoices,
        })
    }
}

/// The path below the root.
fn path(stack: &[String]) -> Vec<&str> {
    stack.iter().skip(1).map(String::as_str).collect()
}

fn invoice(b: BodyDraft) -> Result<Invoice, ParseError> {
    let number = b
        .number
        .filter(|n| !n.is_empty())
        .ok_or(ParseError::Missing("DatiGeneraliDocumento/Numero"))?;
    let date = b
        .date
        .as_deref()
        .ok_or(ParseError::Missing("DatiGeneraliDocumento/Data"))
        .and_then(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ParseError::BadValue("DatiGeneraliDocumento/Data"))
        })?;
    let currency = b
        .currency
        .filter(|c| c.len() == 3 && c.bytes().all(|x| x.is_ascii_uppercase()))
        .ok_or(ParseError::BadValue("DatiGeneraliDocumento/Divisa"))?;
    let (total, total_stated) = match b.total.as_deref() {
        Some(t) => (
            amount(t).ok_or(ParseError::BadValue(
                "DatiGeneraliDocumento/ImportoTotaleDocumento",
            ))?,
            true,
        ),
        None => {
            let mut sum = Money::ZERO;
            for s in &b.summary {
                let m = amount(s).ok_or(ParseError::BadValue("DatiRiepilogo"))?;
                sum = sum
                    .checked_add(m)
                    .ok_or(ParseError::BadValue("DatiRiepilogo"))?;
            }
            (sum, false)
        }
    };
    Ok(Invoice {
        number,
        date,
        currency,
        total,
        total_stated,
        lines: b.lines,
    })
}

/// FatturaPA amounts are `-?[0-9]+\.[0-9]{2}` (2 decimals; the VAT summary may carry up to 8,
/// rounded here to the cent as the total is).
fn amount(s: &str) -> Option<Money> {
    let s = s.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty()
        || int.len() > 15
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || frac.len() > 8
    {
        return None;
    }
    let units: i64 = int.parse().ok()?;
    let mut frac_digits = frac.as_bytes().iter().map(|c| i64::from(c - b'0'));
    let tenths = frac_digits.next().unwrap_or(0);
    let hundredths = frac_digits.next().unwrap_or(0);
    let round_up = frac_digits.next().is_some_and(|d| d >= 5);
    let cents = units
        .checked_mul(100)?
        .checked_add(tenths * 10 + hundredths + i64::from(round_up))?;
    Some(Money::from_cents(if negative { -cents } else { cents }))
}

/// `Via XX Settembre 10, 16121 Genova (GE)`; the placeholder postcode `00000` that foreign
/// addresses carry is left out.
fn address(street: &str, civic: &str, postcode: &str, town: &str, province: &str) -> String {
    let first = [street, civic]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let mut second = [postcode, town]
        .iter()
        .filter(|s| !s.is_empty() && **s != "00000")
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if !province.is_empty() {
        second = format!("{second} ({province})").trim().to_string();
    }
    [first, second]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1200.00` → `1.200`, `250.50` → `250,5`.
fn italian_decimal(s: &str) -> Option<String> {
    let s = s.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    Some(if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
