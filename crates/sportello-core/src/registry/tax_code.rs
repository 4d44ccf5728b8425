//! The Italian tax code (codice fiscale): 16 characters for a person, 11 digits for a company
//! or another entity. Rules and vectors: the tax-code rules.

use chrono::{Datelike, NaiveDate};
use firma::tax_code::{self as cf, MONTHS, OMOCODIA_POSITIONS, PersonalCodeProblem};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A valid tax code, normalised: uppercase, without spaces or `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCode(String);

/// The two shapes of tax code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxCodeKind {
    /// D.M. 23/12/1976 n. 13813; the tax-code rules: 16 characters, a natural person.
    Personal,
    /// the Luhn check digit of numeric tax codes and VAT numbers: 11 digits, a company or another entity.
    Entity,
}

/// Sex as encoded in a personal tax code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

/// Why a string is not a tax code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaxCodeError {
    #[error("a tax code has 16 characters (a person) or 11 digits (an entity), found {found}")]
    Length { found: usize },
    #[error("a character is not allowed at its position")]
    Format,
    #[error("the birth month letter is not one of A B C D E H L M P R S T")]
    Month,
    #[error("the birth day is not 01-31 (men) or 41-71 (women)")]
    Day,
    #[error("the birth date does not exist")]
    Date,
    #[error("wrong check character")]
    CheckCharacter,
    #[error("wrong check digit")]
    CheckDigit,
}

impl TaxCodeError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        match self {
            Self::Length { .. } => {
                "Il codice fiscale deve avere 16 caratteri (persona fisica) o 11 cifre (impresa o ente)."
            }
            Self::Format => {
                "Il codice fiscale contiene caratteri non ammessi nella loro posizione."
            }
            Self::Month => {
                "La lettera del mese di nascita non è valida (ammesse: A B C D E H L M P R S T)."
            }
            Self::Day => {
                "Il giorno di nascita deve essere tra 01 e 31 (uomini) o tra 41 e 71 (donne)."
            }
            Self::Date => "La data di nascita indicata nel codice fiscale non esiste.",
            Self::CheckCharacter => "Il carattere di controllo del codice fiscale non è corretto.",
            Self::CheckDigit => "La cifra di controllo del codice fiscale non è corretta.",
        }
    }
}

/// the tax-code rules: the oldest birth year [`TaxCode::birth_date`] considers, in years
/// before the reference date.
const MAX_AGE_YEARS: i32 = 120;

impl TaxCode {
    /// Parses a tax code, after uppercasing and removing spaces and `-` (the tax-code rules).
    pub fn parse(input: &str) -> Result<Self, TaxCodeError> {
        let code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match code.chars().count() {
            11 => parse_entity(&code)?,
            16 => parse_personal(code.as_bytes())?,
            found => return Err(TaxCodeError::Length { found }),
        }
        Ok(Self(code))
    }

    /// True for the 16-character code of a person, false for the 11-digit code of an entity.
    pub fn is_personal(&self) -> bool {
        self.0.len() == 16
    }

    pub fn kind(&self) -> TaxCodeKind {
        if self.is_personal() {
            TaxCodeKind::Personal
        } else {
            TaxCodeKind::Entity
        }
    }

    /// The sex a personal code encodes (`None` for an entity).
    pub fn gender(&self) -> Option<Gender> {
        let (_, _, day) = self.birth_fields()?;
        Some(if day > 40 {
            Gender::Female
        } else {
            Gender::Male
        })
    }

    /// The birth date of a personal code (`None` for an entity). The code holds two digits of
    /// the year; the century is the latest that puts the date on or before `reference`.
    pub fn birth_date(&self, reference: NaiveDate) -> Option<NaiveDate> {
        let (yy, month, day) = self.birth_fields()?;
        let day = if day > 40 { day - 40 } else { day };
        // the tax-code rules: not in the future, not more than 120 years before `reference`.
        let oldest = reference.year() - MAX_AGE_YEARS;
        (oldest..=reference.year())
            .rev()
            .filter(|year| year.rem_euclid(100) == yy as i32)
            .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
            .find(|date| *date <= reference)
    }

    /// The code with omocodia undone: the letters at the seven digit positions turned back into
    /// digits and the check character recomputed. An entity's code is returned unchanged. Two
    /// codes of the same person normalise to the same value (omocodia, in the tax-code rules).
    pub fn normalised_omocodia(&self) -> TaxCode {
        if !self.is_personal() {
            return self.clone();
        }
        let mut bytes = self.0.as_bytes().to_vec();
        for pos in OMOCODIA_POSITIONS {
            bytes[pos] = cf::digit_value(bytes[pos]).map_or(bytes[pos], |d| b'0' + d);
        }
        bytes[15] = cf::check_character(&bytes[..15]).unwrap_or(bytes[15]);
        TaxCode(bytes.iter().map(|b| char::from(*b)).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Year (two digits), month (1-12) and raw day (1-31 or 41-71) of a personal code.
    fn birth_fields(&self) -> Option<(u32, u32, u32)> {
        if !self.is_personal() {
            return None;
        }
        let b = self.0.as_bytes();
        let two = |i: usize| {
            Some(u32::from(cf::digit_value(b[i])?) * 10 + u32::from(cf::digit_value(b[i + 1])?))
        };
        let month = MONTHS.iter().position(|m| *m == b[8])? as u32 + 1;
        Some((two(6)?, month, two(9)?))
    }
}

/// the Luhn check digit of numeric tax codes and VAT numbers: an entity's code is 11 digits, the last a Luhn check digit.
fn parse_entity(code: &str) -> Result<(), TaxCodeError> {
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TaxCodeError::Format);
    }
    if !cf::luhn_is_valid(code.as_bytes()) {
        return Err(TaxCodeError::CheckDigit);
    }
    Ok(())
}

/// D.M. 23/12/1976 n. 13813; the tax-code rules: the rules live in `firma`, which
/// reads the same codes out of certificates.
fn parse_personal(b: &[u8]) -> Result<(), TaxCodeError> {
    cf::check_personal(b).map_err(|p| match p {
        PersonalCodeProblem::Format => TaxCodeError::Format,
        PersonalCodeProblem::Month => TaxCodeError::Month,
        PersonalCodeProblem::Day => TaxCodeError::Day,
        PersonalCodeProblem::Date => TaxCodeError::Date,
        PersonalCodeProblem::CheckCharacter => TaxCodeError::CheckCharacter,
    })
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TaxCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for TaxCode {
    type Err = TaxCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for TaxCode {
    type Error = TaxCodeError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TaxCode {
    type Error = TaxCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TaxCode> for String {
    fn from(code: TaxCode) -> Self {
        code.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const VALID_PERSONAL: [&str; 13] = [
        "MRTNTN23M02D969P",
        "RCCMNL83S18D969H",
        "MRSMSR81D60Z611H",
        "CNTCHR83T41D969D",
        "FOXDRA26C24H872Y",
        "MAILCU91A25F839D",
        "RSSMRA45C12F205C",
        "RSSMRA45C12F20RX",
        "RSSMRAQRCMNFNLRG",
        "RSSMRA80A01H501U",
        "RSSMRA80A41H501Y",
        "RSSMRA80A01H5LMX",
        "BNCLRA92E52F205Y",
    ];

    #[test]
    fn accepts_the_published_personal_codes() {
        for code in VALID_PERSONAL {
            let parsed = TaxCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(parsed.kind(), TaxCodeKind::Personal, "{code}");
            assert_eq!(parsed.as_str(), code);
        }
    }

    #[test]
    fn normalises_case_spaces_and_dashes() {
        let code = TaxCode::parse(" rssmra 80a01-h501u ").unwrap();
        assert_eq!(code.to_string(), "RSSMRA80A01H501U");
    }

    #[test]
    fn rejects_a_letter_that_is_not_a_month() {
        // the published test vectors lists it as a format error: `I` is no month letter.
        assert_eq!(TaxCode::parse("CSTNGL22I10D086I"), Err(TaxCodeError::Month));
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(
            TaxCode::parse("FOXDRA26C24H872A"),
            Err(TaxCodeError::CheckCharacter)
        );
        assert_eq!(
            TaxCode::parse("RSSMRA80A01H501V"),
            Err(TaxCodeError::CheckCharacter)
        );
    }

    #[test]
    fn rejects_a_day_outside_1_31_and_41_71() {
        // The check character is right; day 32 does not exist.
        assert_eq!(TaxCode::parse("CNTCHR83T32D969H"), Err(TaxCodeError::Day));
        assert_eq!(TaxCode::parse("RSSMRA80A00H501V"), Err(TaxCodeError::Day));
        assert_eq!(TaxCode::parse("RSSMRA80A72H501G"), Err(TaxCodeError::Day));
    }

    #[test]
    fn rejects_a_date_that_does_not_exist_in_either_century() {
        assert_eq!(TaxCode::parse("RSSMRA80B30H501X"), Err(TaxCodeError::Date));
        assert_eq!(TaxCode::parse("RSSMRA80D31H501D"), Err(TaxCodeError::Date));
        assert_eq!(TaxCode::parse("RSSMRA01B29H501Z"), Err(TaxCodeError::Date));
    }

    #[test]
    fn accepts_29_february_of_year_00_as_2000_is_leap() {
        let code = TaxCode::parse("RSSMRA00B29H501Y").unwrap();
        assert_eq!(code.birth_date(date(2026, 1, 1)), Some(date(2000, 2, 29)));
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert_eq!(
            TaxCode::parse("RCCMNL83S18D969"),
            Err(TaxCodeError::Length { found: 15 })
        );
        assert_eq!(TaxCode::parse(""), Err(TaxCodeError::Length { found: 0 }));
        assert_eq!(
            TaxCode::parse("007431101570"),
            Err(TaxCodeError::Length { found: 12 })
        );
    }

    #[test]
    fn rejects_characters_out_of_place() {
        assert_eq!(
            TaxCode::parse("RSSMRA8AA01H501U"),
            Err(TaxCodeError::Format)
        );
        assert_eq!(
            TaxCode::parse("1SSMRA80A01H501U"),
            Err(TaxCodeError::Format)
        );
        assert_eq!(
            TaxCode::parse("RSSMRA80A01H5011"),
            Err(TaxCodeError::Format)
        );
        assert_eq!(TaxCode::parse("0074311015A"), Err(TaxCodeError::Format));
        assert_eq!(
            TaxCode::parse("RSSMRÀ80A01H501U"),
            Err(TaxCodeError::Format)
        );
    }

    #[test]
    fn computes_the_check_character_over_the_characters_as_written() {
        for (first15, check) in [
            ("BNCSFN85T58G702", b'W'),
            ("RCDLSN84S16D969", b'Z'),
            ("MRTNTN23M02D969", b'P'),
            ("RSSMRA80A01H501", b'U'),
            ("RSSMRA80A41H501", b'Y'),
            ("RSSMRA80A01H50M", b'M'),
            ("RSSMRA80A01H5LM", b'X'),
            ("RSSMRA80A01HRLM", b'S'),
        ] {
            assert_eq!(
                cf::check_character(first15.as_bytes()),
                Some(check),
                "{first15}"
            );
        }
    }

    #[test]
    fn accepts_omocodic_codes_and_normalises_them_to_the_base_code() {
        for code in ["RSSMRA80A01H50MM", "RSSMRA80A01H5LMX", "RSSMRA80A01HRLMS"] {
            let parsed = TaxCode::parse(code).unwrap();
            assert_eq!(parsed.normalised_omocodia().as_str(), "RSSMRA80A01H501U");
        }
        for code in [
            "RSSMRA45C12F20RX",
            "RSSMRA45C12F2L5N",
            "RSSMRA45C12F2LRI",
            "RSSMRAQRCMNFNLRG",
        ] {
            let parsed = TaxCode::parse(code).unwrap();
            assert_eq!(parsed.normalised_omocodia().as_str(), "RSSMRA45C12F205C");
            assert_eq!(parsed.birth_date(date(2026, 1, 1)), Some(date(1945, 3, 12)));
        }
    }

    #[test]
    fn omocodia_letters_elsewhere_are_real_letters() {
        // Positions 1-6 and 12 hold letters that look like omocodia letters; they stay.
        let code = TaxCode::parse("MRTNTN23M02D969P").unwrap();
        assert_eq!(code.normalised_omocodia(), code);
    }

    #[test]
    fn decodes_gender_from_the_day() {
        let male = TaxCode::parse("RSSMRA80A01H501U").unwrap();
        let female = TaxCode::parse("RSSMRA80A41H501Y").unwrap();
        assert_eq!(male.gender(), Some(Gender::Male));
        assert_eq!(female.gender(), Some(Gender::Female));
        assert_eq!(female.birth_date(date(2026, 1, 1)), Some(date(1980, 1, 1)));
        let abroad = TaxCode::parse("MRSMSR81D60Z611H").unwrap();
        assert_eq!(abroad.gender(), Some(Gender::Female));
        assert_eq!(abroad.birth_date(date(2026, 1, 1)), Some(date(1981, 4, 20)));
    }

    #[test]
    fn birth_century_is_the_latest_not_in_the_future() {
        let code = TaxCode::parse("FOXDRA26C24H872Y").unwrap();
        assert_eq!(code.birth_date(date(2026, 3, 24)), Some(date(2026, 3, 24)));
        assert_eq!(code.birth_date(date(2026, 3, 23)), Some(date(1926, 3, 24)));
        let code = TaxCode::parse("MRTNTN23M02D969P").unwrap();
        assert_eq!(code.birth_date(date(2026, 1, 1)), Some(date(2023, 8, 2)));
        assert_eq!(code.birth_date(date(2020, 1, 1)), Some(date(1923, 8, 2)));
    }

    #[test]
    fn accepts_the_published_entity_codes_with_a_luhn_digit() {
        for code in [
            "00743110157",
            "12345670017",
            "97735020584",
            "80052590587",
            "01879020517",
            "03358520967",
        ] {
            let parsed = TaxCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(parsed.kind(), TaxCodeKind::Entity);
            assert_eq!(parsed.gender(), None);
            assert_eq!(parsed.birth_date(date(2026, 1, 1)), None);
            assert_eq!(parsed.normalised_omocodia(), parsed);
        }
    }

    #[test]
    fn rejects_entity_codes_with_a_wrong_check_digit() {
        assert_eq!(TaxCode::parse("00743110158"), Err(TaxCodeError::CheckDigit));
        assert_eq!(TaxCode::parse("01234567890"), Err(TaxCodeError::CheckDigit));
    }

    #[test]
    fn every_error_has_an_italian_message() {
        let errors = [
            TaxCodeError::Length { found: 3 },
            TaxCodeError::Format,
            TaxCodeError::Month,
            TaxCodeError::Day,
            TaxCodeError::Date,
            TaxCodeError::CheckCharacter,
            TaxCodeError::CheckDigit,
        ];
        for e in errors {
            assert!(e.message_it().starts_with("Il ") || e.message_it().starts_with("La "));
        }
    }

    #[test]
    fn serialises_as_a_string_and_refuses_invalid_json() {
        let code = TaxCode::parse("RSSMRA80A01H501U").unwrap();
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            "\"RSSMRA80A01H501U\""
        );
        let back: TaxCode = serde_json::from_str("\"rssmra80a01h501u\"").unwrap();
        assert_eq!(back, code);
        assert!(serde_json::from_str::<TaxCode>("\"RSSMRA80A01H501V\"").is_err());
    }
}
