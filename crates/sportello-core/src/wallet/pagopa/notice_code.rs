//! The codes of a pagoPA payment notice: the segregation code, the IUV and the 18-digit notice
//! code, and the string of the notice's QR code.
//!
//! pagoPA, *Specifiche attuative dei codici identificativi di versamento, riversamento e
//! rendicontazione* (SACI), "Numero avviso e codice IUV nel caso di pagamenti attivati presso i
//! PSP", aux digit 3 (a creditor with several IUV generation points): the notice code is
//! `3` + the IUV, and the IUV is the segregation code (2 digits) + the IUV base (13 digits) +
//! 2 check digits, the remainder of the division by 93 of the number written by the aux digit,
//! the segregation code and the IUV base side by side.

use std::fmt;

/// The aux digit of a creditor with several IUV generation points (SACI, aux digit 3).
pub const AUX_DIGIT: char = '3';

/// The largest IUV base: 13 digits.
pub const MAX_IUV_BASE: i64 = 9_999_999_999_999;

/// The two digits PagoPA S.p.A. gives a creditor's IUV generation point (SACI: "codice di
/// segregazione", 00–99).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegregationCode(u8);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoticeCodeError {
    #[error("a segregation code is two digits")]
    SegregationCode,
    #[error("the IUV base is a number of at most 13 digits")]
    IuvBase,
    #[error("a notice code is 18 digits starting with 3")]
    Format,
    #[error("wrong check digits")]
    CheckDigits,
}

impl SegregationCode {
    pub fn parse(s: &str) -> Result<SegregationCode, NoticeCodeError> {
        let s = s.trim();
        if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NoticeCodeError::SegregationCode);
        }
        s.parse()
            .map(SegregationCode)
            .map_err(|_| NoticeCodeError::SegregationCode)
    }
}

impl fmt::Display for SegregationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// The check digits of an IUV: `(aux digit, segregation code, IUV base) mod 93`, the three
/// written side by side as one number (SACI, aux digit 3).
pub fn check_digits(segregation: SegregationCode, base: i64) -> u8 {
    let number: u128 = format!("{AUX_DIGIT}{segregation}{base:013}")
        .parse()
        .unwrap_or(0);
    (number % 93) as u8
}

/// An 18-digit notice code (numero avviso) of aux digit 3, its check digits right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeCode(String);

impl NoticeCode {
    /// The notice code of IUV base `base` at the generation point `segregation`.
    pub fn new(segregation: SegregationCode, base: i64) -> Result<NoticeCode, NoticeCodeError> {
        if !(0..=MAX_IUV_BASE).contains(&base) {
            return Err(NoticeCodeError::IuvBase);
        }
        let check = check_digits(segregation, base);
        Ok(NoticeCode(format!(
            "{AUX_DIGIT}{segregation}{base:013}{check:02}"
        )))
    }

    /// Reads a notice code, spaces allowed (it is printed in groups).
    pub fn parse(s: &str) -> Result<NoticeCode, NoticeCodeError> {
        let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 18
            || !digits.starts_with(AUX_DIGIT)
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NoticeCodeError::Format);
        }
        let segregation = SegregationCode::parse(&digits[1..3])?;
        let base: i64 = digits[3..16].parse().map_err(|_| NoticeCodeError::Format)?;
        let code = NoticeCode::new(segregation, base)?;
        if code.0 != digits {
            return Err(NoticeCodeError::CheckDigits);
        }
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IUV: the notice code without its aux digit (17 digits with aux digit 3), the
    /// `identificativoUnivocoVersamento` of the reconciliation flow.
    pub fn iuv(&self) -> &str {
        &self.0[1..]
    }

    /// The code in groups of four, as the notice prints it (`3012 3456 7890 1234 56`).
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(22);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for NoticeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text of the notice's QR code: `PAGOPA|002|<notice code>|<creditor tax code>|<amount in
/// cents>` (pagoPA payment notice, QR code of version 002).
pub fn qr_text(notice: &NoticeCode, creditor_tax_code: &str, amount_cents: i64) -> String {
    format!("PAGOPA|002|{notice}|{creditor_tax_code}|{amount_cents}")
}

/// The modules of the QR code of `text` (error correction M), row by row, true for dark; for a
/// page that draws the notice's QR code itself.
pub fn qr_modules(text: &str) -> Option<Vec<Vec<bool>>> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let n = code.width();
    Some(
        code.to_colors()
            .chunks(n)
            .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_code_check_digits_are_the_remainder_by_93() {
        let seg = SegregationCode::parse("01").unwrap();
        // 3 01 0000000000001 → 3010000000000001 mod 93
        let expected = 3_010_000_000_000_001_u128 % 93;
        let code = NoticeCode::new(seg, 1).unwrap();
        assert_eq!(code.as_str().len(), 18);
        assert_eq!(&code.as_str()[16..], format!("{expected:02}"));
        assert_eq!(code.iuv().len(), 17);
        assert_eq!(NoticeCode::parse(&code.grouped()).unwrap(), code);
    }

    #[test]
    fn notice_code_with_wrong_check_digits_is_refused() {
        let code = NoticeCode::new(SegregationCode::parse("47").unwrap(), 123_456).unwrap();
        let mut wrong = code.as_str().to_string();
        let last = if wrong.ends_with('9') { "0" } else { "9" };
        wrong.replace_range(17..18, last);
        assert_eq!(NoticeCode::parse(&wrong), Err(NoticeCodeError::CheckDigits));
        assert_eq!(NoticeCode::parse("1234"), Err(NoticeCodeError::Format));
        assert!(SegregationCode::parse("1").is_err());
        assert!(NoticeCode::new(SegregationCode::parse("01").unwrap(), MAX_IUV_BASE + 1).is_err());
    }

    #[test]
    fn notice_qr_code_text_follows_pagopa_version_002() {
        let code = NoticeCode::new(SegregationCode::parse("02").unwrap(), 42).unwrap();
        assert_eq!(
            qr_text(&code, "80043770106", 5000),
            format!("PAGOPA|002|{code}|80043770106|5000")
        );
    }
}
