//! Whether a company is active or has ceased (cessata) in the registry.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A company's registry status. Stored as `active` / `ceased`; extracts write `ATTIVA` / `CESSATA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanyStatus {
    Active,
    Ceased,
}

/// Why a string is not a company status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the status is ATTIVA (active) or CESSATA (ceased)")]
pub struct CompanyStatusError;

impl CompanyStatusError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        "Lo stato dell'impresa deve essere ATTIVA o CESSATA."
    }
}

impl CompanyStatus {
    /// Parses the extract's code (`stato`), ignoring case and surrounding spaces.
    pub fn parse_extract(input: &str) -> Result<Self, CompanyStatusError> {
        let input = input.trim();
        if input.eq_ignore_ascii_case("ATTIVA") {
            Ok(Self::Active)
        } else if input.eq_ignore_ascii_case("CESSATA") {
            Ok(Self::Ceased)
        } else {
            Err(CompanyStatusError)
        }
    }

    /// Parses the stored name (`active`, `ceased`).
    pub fn parse(input: &str) -> Result<Self, CompanyStatusError> {
        match input {
            "active" => Ok(Self::Active),
            "ceased" => Ok(Self::Ceased),
            _ => Err(CompanyStatusError),
        }
    }

    /// The stored name, also used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Ceased => "ceased",
        }
    }

    /// The extract's code.
    pub fn extract_code(self) -> &'static str {
        match self {
            Self::Active => "ATTIVA",
            Self::Ceased => "CESSATA",
        }
    }
}

impl fmt::Display for CompanyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for CompanyStatus {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl TryFrom<&str> for CompanyStatus {
    type Error = CompanyStatusError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_extract_codes() {
        assert_eq!(
            CompanyStatus::parse_extract("ATTIVA"),
            Ok(CompanyStatus::Active)
        );
        assert_eq!(
            CompanyStatus::parse_extract(" cessata"),
            Ok(CompanyStatus::Ceased)
        );
        assert_eq!(
            CompanyStatus::parse_extract("SOSPESA"),
            Err(CompanyStatusError)
        );
        assert_eq!(CompanyStatus::parse_extract(""), Err(CompanyStatusError));
    }

    #[test]
    fn round_trips_the_stored_names() {
        for status in [CompanyStatus::Active, CompanyStatus::Ceased] {
            assert_eq!(CompanyStatus::parse(status.as_str()), Ok(status));
            assert_eq!(
                CompanyStatus::parse_extract(status.extract_code()),
                Ok(status)
            );
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
    }
}
