//! The Italian postcode (CAP, codice di avviamento postale).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A postcode: exactly 5 digits (leading zeros kept, e.g. `00184`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

/// Why a string is not a postcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a postcode (CAP) has 5 digits")]
pub struct PostcodeError;

impl PostcodeError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        "Il CAP deve avere 5 cifre."
    }
}

impl Postcode {
    /// Poste Italiane: a CAP is five digits. Spaces around are ignored.
    pub fn parse(input: &str) -> Result<Self, PostcodeError> {
        let input = input.trim();
        if input.len() == 5 && input.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(input.to_string()))
        } else {
            Err(PostcodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Postcode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Postcode {
    type Error = PostcodeError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Postcode {
    type Error = PostcodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> Self {
        p.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_postcode_is_five_digits() {
        assert_eq!(Postcode::parse(" 00184 ").unwrap().as_str(), "00184");
        for bad in ["", "1612", "161234", "16l21", "16 121"] {
            assert_eq!(Postcode::parse(bad), Err(PostcodeError), "{bad}");
        }
    }
}
