//! Money as integer euro cents. Chamber fees (diritti di segreteria) are VAT-exempt
//! administrative fees, always in euro.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount in euro cents; never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount: write it like 15400.00 or 15400,00")]
    Format,
    #[error("the amount is too large")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses `15400`, `15400.5`, `15400.00`, `15.400,00` or `15400,00` (Italian style).
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        let s = input
            .trim()
            .trim_start_matches('€')
            .trim_end_matches('€')
            .trim();
        let negative = s.starts_with('-');
        let s = s.trim_start_matches('-');
        if s.is_empty() {
            return Err(MoneyError::Format);
        }
        // The decimal separator is the last '.' or ',' followed by 1-2 digits only.
        let (int_part, frac_part) = match s.rfind(['.', ',']) {
            Some(i) if (1..=2).contains(&(s.len() - i - 1)) => (&s[..i], &s[i + 1..]),
            _ => (s, ""),
        };
        let int_digits: String = int_part
            .chars()
            .filter(|c| *c != '.' && *c != ',')
            .collect();
        if int_digits.is_empty()
            || !int_digits.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(MoneyError::Format);
        }
        // Thousands separators must group by three.
        if int_part.contains(['.', ',']) {
            let groups: Vec<&str> = int_part.split(['.', ',']).collect();
            if groups[0].is_empty()
                || groups[0].len() > 3
                || groups[1..].iter().any(|g| g.len() != 3)
            {
                return Err(MoneyError::Format);
            }
        }
        let units: i64 = int_digits.parse().map_err(|_| MoneyError::TooLarge)?;
        let frac: i64 = match frac_part.len() {
            0 => 0,
            1 => frac_part.parse::<i64>().map_err(|_| MoneyError::Format)? * 10,
            _ => frac_part.parse().map_err(|_| MoneyError::Format)?,
        };
        let cents = units
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac))
            .ok_or(MoneyError::TooLarge)?;
        Ok(Money(if negative { -cents } else { cents }))
    }

    /// `15400.00`: the form used in XML and JSON.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }

    /// `15.400,00 €`: the form shown to Italian users.
    pub fn to_italian(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let units = (self.0.abs() / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped},{:02} €", self.0.abs() % 100)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_decimal_string())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_decimal_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Money::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_both_decimal_styles() {
        assert_eq!(Money::parse("15400.00"), Ok(Money(1_540_000)));
        assert_eq!(Money::parse("15400,5"), Ok(Money(1_540_050)));
        assert_eq!(Money::parse("15.400,00"), Ok(Money(1_540_000)));
        assert_eq!(Money::parse("15,400.00"), Ok(Money(1_540_000)));
        assert_eq!(Money::parse("€ 10"), Ok(Money(1000)));
        assert_eq!(Money::parse("1.5.3"), Err(MoneyError::Format));
        assert_eq!(Money::parse("12a"), Err(MoneyError::Format));
        assert_eq!(Money::parse(""), Err(MoneyError::Format));
    }

    #[test]
    fn amounts_print_for_machines_and_for_people() {
        assert_eq!(Money(1_540_000).to_decimal_string(), "15400.00");
        assert_eq!(Money(1_540_005).to_italian(), "15.400,05 €");
        assert_eq!(Money(500).to_italian(), "5,00 €");
        assert_eq!(Money(-300).to_decimal_string(), "-3.00");
    }
}
