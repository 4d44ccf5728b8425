//! The Italian VAT number (partita IVA): 11 digits with a Luhn check digit
//! (the Luhn check digit of numeric tax codes and VAT numbers).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A valid VAT number: 11 digits, stored without the `IT` prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VatNumber(String);

/// Why a string is not a VAT number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VatNumberError {
    #[error("a VAT number has 11 digits, found {found} characters")]
    Length { found: usize },
    #[error("a VAT number has digits only")]
    Format,
    #[error("wrong check digit")]
    CheckDigit,
}

impl VatNumberError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        match self {
            Self::Length { .. } => "La partita IVA deve avere 11 cifre.",
            Self::Format => "La partita IVA contiene solo cifre.",
            Self::CheckDigit => "La cifra di controllo della partita IVA non è corretta.",
        }
    }
}

impl VatNumber {
    /// Parses a VAT number. Spaces, `-` and `:` are removed and an `IT` prefix is dropped
    /// (the Luhn check digit of numeric tax codes and VAT numbers, as python-stdnum accepts them).
    ///
    /// Only the Luhn check digit is enforced. The stricter office-code rule is
    /// [`VatNumber::is_strictly_valid`]: its source leaves some codes unexplained (§1.7 [U]),
    /// so refusing a number a registry extract carries on its strength would lose real companies.
    pub fn parse(input: &str) -> Result<Self, VatNumberError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | ':'))
            .collect();
        let digits = match cleaned.get(..2) {
            Some(prefix) if prefix.eq_ignore_ascii_case("IT") => &cleaned[2..],
            _ => cleaned.as_str(),
        };
        let found = digits.chars().count();
        if found != 11 {
            return Err(VatNumberError::Length { found });
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VatNumberError::Format);
        }
        if !firma::tax_code::luhn_is_valid(digits.as_bytes()) {
            return Err(VatNumberError::CheckDigit);
        }
        Ok(Self(digits.to_string()))
    }

    /// Strict mode (python-stdnum `iva.is_valid`; the Luhn check digit of numeric tax codes and VAT numbers): the serial number
    /// (digits 1-7) is not zero and the office code (digits 8-10) is 001-100, 120, 121, 888 or 999.
    pub fn is_strictly_valid(&self) -> bool {
        let serial: u32 = self.0[..7].parse().unwrap_or(0);
        let office: u32 = self.0[7..10].parse().unwrap_or(0);
        serial > 0 && matches!(office, 1..=100 | 120 | 121 | 888 | 999)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for VatNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for VatNumber {
    type Err = VatNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for VatNumber {
    type Error = VatNumberError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for VatNumber {
    type Error = VatNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<VatNumber> for String {
    fn from(vat: VatNumber) -> Self {
        vat.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_published_numbers_with_a_luhn_digit() {
        for n in [
            "00743110157",
            "12345670017",
            "97735020584",
            "80052590587",
            "01879020517",
            "03358520967",
        ] {
            assert_eq!(VatNumber::parse(n).unwrap().as_str(), n);
        }
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        assert_eq!(
            VatNumber::parse("00743110158"),
            Err(VatNumberError::CheckDigit)
        );
        assert_eq!(
            VatNumber::parse("01234567890"),
            Err(VatNumberError::CheckDigit)
        );
    }

    #[test]
    fn accepts_an_it_prefix_and_spaces_dashes_colons() {
        for input in ["IT00743110157", "it 007-431-101:57", " IT: 00743110157 "] {
            assert_eq!(VatNumber::parse(input).unwrap().to_string(), "00743110157");
        }
    }

    #[test]
    fn rejects_wrong_lengths_and_letters() {
        assert_eq!(
            VatNumber::parse("0074311015"),
            Err(VatNumberError::Length { found: 10 })
        );
        assert_eq!(
            VatNumber::parse(""),
            Err(VatNumberError::Length { found: 0 })
        );
        assert_eq!(VatNumber::parse("0074311015A"), Err(VatNumberError::Format));
        assert_eq!(
            VatNumber::parse("FR00743110157"),
            Err(VatNumberError::Length { found: 13 })
        );
    }

    #[test]
    fn strict_mode_wants_a_serial_and_a_known_office_code() {
        // Office 015 (Milano) and 001: valid in both modes.
        assert!(VatNumber::parse("00743110157").unwrap().is_strictly_valid());
        assert!(VatNumber::parse("12345670017").unwrap().is_strictly_valid());
        // Offices 120, 121, 888 and 999.
        for n in ["00000011205", "00000011213", "00000018887", "00000019992"] {
            assert!(VatNumber::parse(n).unwrap().is_strictly_valid(), "{n}");
        }
        // Luhn-valid, but office 101 or 200, or serial zero: strict mode refuses them.
        assert!(!VatNumber::parse("12345671015").unwrap().is_strictly_valid());
        assert!(!VatNumber::parse("00000012005").unwrap().is_strictly_valid());
        assert!(!VatNumber::parse("00000000158").unwrap().is_strictly_valid());
        assert!(!VatNumber::parse("00000000000").unwrap().is_strictly_valid());
    }

    #[test]
    fn serialises_as_a_string() {
        let vat = VatNumber::parse("IT00743110157").unwrap();
        assert_eq!(serde_json::to_string(&vat).unwrap(), "\"00743110157\"");
        assert!(serde_json::from_str::<VatNumber>("\"00743110158\"").is_err());
    }
}
