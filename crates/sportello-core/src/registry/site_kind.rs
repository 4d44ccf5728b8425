//! Whether a site is a company's head office (sede) or one of its local units (unità locale).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a site. Stored as `head_office` / `local_unit`; registry extracts write `SEDE` / `UL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    HeadOffice,
    LocalUnit,
}

/// Why a string is not a site kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the site kind is SEDE (head office) or UL (local unit)")]
pub struct SiteKindError;

impl SiteKindError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        "Il tipo di sede deve essere SEDE o UL."
    }
}

impl SiteKind {
    /// Parses the extract's code (`tipo_sede`), ignoring case and surrounding spaces.
    pub fn parse_extract(input: &str) -> Result<Self, SiteKindError> {
        let input = input.trim();
        if input.eq_ignore_ascii_case("SEDE") {
            Ok(Self::HeadOffice)
        } else if input.eq_ignore_ascii_case("UL") {
            Ok(Self::LocalUnit)
        } else {
            Err(SiteKindError)
        }
    }

    /// Parses the stored name (`head_office`, `local_unit`).
    pub fn parse(input: &str) -> Result<Self, SiteKindError> {
        match input {
            "head_office" => Ok(Self::HeadOffice),
            "local_unit" => Ok(Self::LocalUnit),
            _ => Err(SiteKindError),
        }
    }

    /// The stored name, also used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HeadOffice => "head_office",
            Self::LocalUnit => "local_unit",
        }
    }

    /// The extract's code.
    pub fn extract_code(self) -> &'static str {
        match self {
            Self::HeadOffice => "SEDE",
            Self::LocalUnit => "UL",
        }
    }
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for SiteKind {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl TryFrom<&str> for SiteKind {
    type Error = SiteKindError;
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
        assert_eq!(SiteKind::parse_extract("SEDE"), Ok(SiteKind::HeadOffice));
        assert_eq!(SiteKind::parse_extract(" ul "), Ok(SiteKind::LocalUnit));
        assert_eq!(SiteKind::parse_extract("SL"), Err(SiteKindError));
        assert_eq!(SiteKind::parse_extract(""), Err(SiteKindError));
    }

    #[test]
    fn round_trips_the_stored_names() {
        for kind in [SiteKind::HeadOffice, SiteKind::LocalUnit] {
            assert_eq!(SiteKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(SiteKind::parse_extract(kind.extract_code()), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert_eq!(SiteKind::parse("SEDE"), Err(SiteKindError));
    }
}
