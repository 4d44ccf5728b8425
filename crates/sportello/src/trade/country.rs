//! Countries for the certificate's boxes: ISO 3166-1 alpha-2 codes with their Italian and
//! English names, plus `EU` for goods of European Union origin (domain-italy.md §4.2,
//! box 3). The certificate prints names in full, never codes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// (code, Italian name, English name, EU member)
type Row = (&'static str, &'static str, &'static str, bool);

static COUNTRIES: &[Row] = &[
    ("EU", "Unione Europea", "European Union", false),
    ("IT", "Italia", "Italy", true),
    ("FR", "Francia", "France", true),
    ("DE", "Germania", "Germany", true),
    ("ES", "Spagna", "Spain", true),
    (
        "US",
        "Stati Uniti d'America",
        "United States of America",
        false,
    ),
    ("CN", "Cina", "China", false),
    ("GB", "Regno Unito", "United Kingdom", false),
    ("CH", "Svizzera", "Switzerland", false),
    ("SA", "Arabia Saudita", "Saudi Arabia", false),
    ("AE", "Emirati Arabi Uniti", "United Arab Emirates", false),
    ("EG", "Egitto", "Egypt", false),
    ("TR", "Turchia", "Türkiye", false),
    ("BR", "Brasile", "Brazil", false),
    ("IN", "India", "India", false),
    ("JP", "Giappone", "Japan", false),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Country(&'static Row);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown country '{0}'")]
pub struct UnknownCountry(pub String);

impl Country {
    /// An ISO alpha-2 code (`US`), `EU`, or a name in Italian or English.
    pub fn parse(input: &str) -> Result<Country, UnknownCountry> {
        let s = input.trim();
        COUNTRIES
            .iter()
            .find(|(code, it, en, _)| {
                code.eq_ignore_ascii_case(s)
                    || it.eq_ignore_ascii_case(s)
                    || en.eq_ignore_ascii_case(s)
            })
            .map(Country)
            .ok_or_else(|| UnknownCountry(s.to_string()))
    }

    pub fn code(self) -> &'static str {
        self.0.0
    }

    pub fn name_it(self) -> &'static str {
        self.0.1
    }

    pub fn name_en(self) -> &'static str {
        self.0.2
    }

    pub fn is_eu_member(self) -> bool {
        self.0.3
    }

    pub fn is_italy(self) -> bool {
        self.code() == "IT"
    }

    /// Every country, for select lists, in Italian alphabetical order.
    pub fn all() -> Vec<Country> {
        let mut all: Vec<Country> = COUNTRIES.iter().map(Country).collect();
        all.sort_by(|a, b| a.name_it().cmp(b.name_it()));
        all
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Country::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_parse_by_code_or_name() {
        assert_eq!(
            Country::parse("us").unwrap().name_it(),
            "Stati Uniti d'America"
        );
        assert_eq!(Country::parse("Cina").unwrap().code(), "CN");
        assert_eq!(Country::parse("European Union").unwrap().code(), "EU");
        assert!(Country::parse("Atlantis").is_err());
    }
}
