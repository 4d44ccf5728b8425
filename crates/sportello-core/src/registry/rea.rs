//! The REA number (Repertorio Economico Amministrativo): the sigla of the province whose chamber
//! issued it and a progressive number (REA numbering).

use crate::registry::province::{Province, ProvinceError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A REA number: a province from the table and a number from 1 to 99 999 999.
/// Displayed as `GE-123456`; leading zeros are not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rea {
    province: Province,
    number: u32,
}

/// Why a string is not a REA number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReaError {
    #[error("a REA number is a province abbreviation and a number, like GE-123456")]
    Format,
    #[error("{0}")]
    Province(#[from] ProvinceError),
    #[error("the number has 1 to 8 digits and is not zero")]
    Number,
}

impl ReaError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        match self {
            Self::Format => {
                "Il numero REA è la sigla della provincia seguita da un numero (es. GE-123456)."
            }
            Self::Province(e) => e.message_it(),
            Self::Number => "Il numero REA deve avere da 1 a 8 cifre e non può essere zero.",
        }
    }
}

/// REA numbering: large chambers passed 1 000 000, so up to 7 digits and one spare.
const MAX_DIGITS: usize = 8;

impl Rea {
    /// Parses `GE-123456`, `GE 123456`, `ge/123456` or `GE123456`: the lenient form of
    /// REA numbering, `^([A-Z]{2})\s*[-/ ]?\s*(\d{1,8})$`, after trimming and uppercasing.
    pub fn parse(input: &str) -> Result<Self, ReaError> {
        let input = input.trim();
        let (sigla, rest) = match input.char_indices().nth(2) {
            Some((i, _)) => input.split_at(i),
            None => return Err(ReaError::Format),
        };
        if !sigla.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ReaError::Format);
        }
        let rest = rest.trim_start();
        let rest = rest.strip_prefix(['-', '/']).unwrap_or(rest).trim_start();
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ReaError::Format);
        }
        Self::new(Province::parse(sigla)?, rest)
    }

    /// Builds a REA number from its two parts, as registry extracts give them: the number must
    /// be 1 to 8 digits (spaces around are ignored).
    pub fn new(province: Province, number: &str) -> Result<Self, ReaError> {
        let number = number.trim();
        if number.is_empty()
            || number.len() > MAX_DIGITS
            || !number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ReaError::Number);
        }
        match number.parse::<u32>() {
            Ok(n) if n > 0 => Ok(Self {
                province,
                number: n,
            }),
            _ => Err(ReaError::Number),
        }
    }

    pub fn province(&self) -> Province {
        self.province
    }

    /// The number, without leading zeros.
    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for Rea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.province, self.number)
    }
}

impl std::str::FromStr for Rea {
    type Err = ReaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Rea {
    type Error = ReaError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Rea {
    type Error = ReaError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Rea> for String {
    fn from(rea: Rea) -> Self {
        rea.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_lenient_forms() {
        for input in [
            "GE-123456",
            "GE 123456",
            "ge/123456",
            "GE123456",
            " GE - 123456 ",
            "GE -123456",
        ] {
            assert_eq!(
                Rea::parse(input).unwrap().to_string(),
                "GE-123456",
                "{input}"
            );
        }
    }

    #[test]
    fn accepts_up_to_8_digits_and_drops_leading_zeros() {
        assert_eq!(Rea::parse("MI 1234567").unwrap().number(), 1_234_567);
        assert_eq!(
            Rea::parse("RM-12345678").unwrap().to_string(),
            "RM-12345678"
        );
        assert_eq!(Rea::parse("GE-000123").unwrap().to_string(), "GE-123");
        assert_eq!(Rea::parse("RM-123456789"), Err(ReaError::Number));
    }

    #[test]
    fn rejects_a_zero_number() {
        assert_eq!(Rea::parse("GE-0"), Err(ReaError::Number));
        assert_eq!(
            Rea::new(Province::parse("GE").unwrap(), "000"),
            Err(ReaError::Number)
        );
    }

    #[test]
    fn rejects_an_unknown_province() {
        assert_eq!(
            Rea::parse("XX-123"),
            Err(ReaError::Province(ProvinceError::Unknown))
        );
        assert_eq!(
            Rea::parse("EE-123"),
            Err(ReaError::Province(ProvinceError::Unknown))
        );
    }

    #[test]
    fn keeps_historical_sardinian_offices() {
        let rea = Rea::parse("CI-12345").unwrap();
        assert!(rea.province().is_historical());
    }

    #[test]
    fn rejects_malformed_text() {
        for input in [
            "", "GE", "GE-", "G-123", "GE--123", "GE-12a", "1E-123", "GE-1 2", "GE.123",
        ] {
            assert_eq!(Rea::parse(input), Err(ReaError::Format), "{input}");
        }
    }

    #[test]
    fn builds_from_parts_as_extracts_give_them() {
        let ge = Province::parse("GE").unwrap();
        assert_eq!(Rea::new(ge, " 0123456 ").unwrap().to_string(), "GE-123456");
        for bad in ["", "12a", "-12", "123456789", "1 2"] {
            assert_eq!(Rea::new(ge, bad), Err(ReaError::Number), "{bad}");
        }
    }

    #[test]
    fn serialises_as_its_display_form() {
        let rea = Rea::parse("ge 42").unwrap();
        assert_eq!(serde_json::to_string(&rea).unwrap(), "\"GE-42\"");
        assert_eq!(serde_json::from_str::<Rea>("\"GE-42\"").unwrap(), rea);
    }
}
