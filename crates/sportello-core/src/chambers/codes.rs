//! Codes that name chambers and desks.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodeError(pub &'static str);

/// A chamber's code: two letters or digits (e.g. `GE`). It is the chamber part of the
/// national certificate number `C` + year + 2 characters + 7 digits (the national certificate numbering).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct ChamberCode(String);

impl ChamberCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(code))
        } else {
            Err(CodeError(
                "a chamber code is two letters or digits, e.g. GE",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ChamberCode> for String {
    fn from(c: ChamberCode) -> String {
        c.0
    }
}

impl fmt::Display for ChamberCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A desk's code, unique on the platform (e.g. `GE-GENOVA`): 2–32 characters among
/// uppercase letters, digits and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct DeskCode(String);

impl DeskCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let code = input.trim().to_ascii_uppercase();
        if (2..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !code.starts_with('-')
            && !code.ends_with('-')
        {
            Ok(Self(code))
        } else {
            Err(CodeError(
                "a desk code is 2 to 32 letters, digits or '-', e.g. GE-GENOVA",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<DeskCode> for String {
    fn from(c: DeskCode) -> String {
        c.0
    }
}

impl fmt::Display for DeskCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chamber_codes_are_two_characters() {
        assert_eq!(ChamberCode::parse(" ge ").unwrap().as_str(), "GE");
        assert!(ChamberCode::parse("GEN").is_err());
        assert!(ChamberCode::parse("G-").is_err());
    }

    #[test]
    fn desk_codes_are_uppercase_letters_digits_and_dashes() {
        assert_eq!(DeskCode::parse("ge-genova").unwrap().as_str(), "GE-GENOVA");
        assert!(DeskCode::parse("-GE").is_err());
        assert!(DeskCode::parse("GE GENOVA").is_err());
        assert!(DeskCode::parse("X").is_err());
    }
}
