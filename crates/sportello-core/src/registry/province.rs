//! Province abbreviations (sigle), the offices that give REA numbers. Kept as data, not as an
//! enum, because the list changes (Sardinia is being reorganised again): the ISTAT list of provinces.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One row of the province table.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ProvinceEntry {
    /// The two-letter sigla.
    pub code: &'static str,
    /// The region it belongs to.
    pub region: &'static str,
    /// No longer a province, but still the office of old REA numbers.
    pub historical: bool,
}

const fn current(code: &'static str, region: &'static str) -> ProvinceEntry {
    ProvinceEntry {
        code,
        region,
        historical: false,
    }
}

const fn historical(code: &'static str, region: &'static str) -> ProvinceEntry {
    ProvinceEntry {
        code,
        region,
        historical: true,
    }
}

/// the ISTAT list of provinces [K]: the 107 current sigle (ISTAT list) by region, then the Sardinian
/// sigle of 2005-2016 (CI, VS, OG, OT) that REA numbers issued then still carry. `EE` (abroad)
/// is no REA office and is not listed.
static PROVINCES: [ProvinceEntry; 111] = [
    current("AL", "Piemonte"),
    current("AT", "Piemonte"),
    current("BI", "Piemonte"),
    current("CN", "Piemonte"),
    current("NO", "Piemonte"),
    current("TO", "Piemonte"),
    current("VB", "Piemonte"),
    current("VC", "Piemonte"),
    current("AO", "Valle d'Aosta"),
    current("BG", "Lombardia"),
    current("BS", "Lombardia"),
    current("CO", "Lombardia"),
    current("CR", "Lombardia"),
    current("LC", "Lombardia"),
    current("LO", "Lombardia"),
    current("MB", "Lombardia"),
    current("MI", "Lombardia"),
    current("MN", "Lombardia"),
    current("PV", "Lombardia"),
    current("SO", "Lombardia"),
    current("VA", "Lombardia"),
    current("BZ", "Trentino-Alto Adige"),
    current("TN", "Trentino-Alto Adige"),
    current("BL", "Veneto"),
    current("PD", "Veneto"),
    current("RO", "Veneto"),
    current("TV", "Veneto"),
    current("VE", "Veneto"),
    current("VI", "Veneto"),
    current("VR", "Veneto"),
    current("GO", "Friuli-Venezia Giulia"),
    current("PN", "Friuli-Venezia Giulia"),
    current("TS", "Friuli-Venezia Giulia"),
    current("UD", "Friuli-Venezia Giulia"),
    current("GE", "Liguria"),
    current("IM", "Liguria"),
    current("SP", "Liguria"),
    current("SV", "Liguria"),
    current("BO", "Emilia-Romagna"),
    current("FC", "Emilia-Romagna"),
    current("FE", "Emilia-Romagna"),
    current("MO", "Emilia-Romagna"),
    current("PC", "Emilia-Romagna"),
    current("PR", "Emilia-Romagna"),
    current("RA", "Emilia-Romagna"),
    current("RE", "Emilia-Romagna"),
    current("RN", "Emilia-Romagna"),
    current("AR", "Toscana"),
    current("FI", "Toscana"),
    current("GR", "Toscana"),
    current("LI", "Toscana"),
    current("LU", "Toscana"),
    current("MS", "Toscana"),
    current("PI", "Toscana"),
    current("PO", "Toscana"),
    current("PT", "Toscana"),
    current("SI", "Toscana"),
    current("PG", "Umbria"),
    current("TR", "Umbria"),
    current("AN", "Marche"),
    current("AP", "Marche"),
    current("FM", "Marche"),
    current("MC", "Marche"),
    current("PU", "Marche"),
    current("FR", "Lazio"),
    current("LT", "Lazio"),
    current("RI", "Lazio"),
    current("RM", "Lazio"),
    current("VT", "Lazio"),
    current("AQ", "Abruzzo"),
    current("CH", "Abruzzo"),
    current("PE", "Abruzzo"),
    current("TE", "Abruzzo"),
    current("CB", "Molise"),
    current("IS", "Molise"),
    current("AV", "Campania"),
    current("BN", "Campania"),
    current("CE", "Campania"),
    current("NA", "Campania"),
    current("SA", "Campania"),
    current("BA", "Puglia"),
    current("BR", "Puglia"),
    current("BT", "Puglia"),
    current("FG", "Puglia"),
    current("LE", "Puglia"),
    current("TA", "Puglia"),
    current("MT", "Basilicata"),
    current("PZ", "Basilicata"),
    current("CS", "Calabria"),
    current("CZ", "Calabria"),
    current("KR", "Calabria"),
    current("RC", "Calabria"),
    current("VV", "Calabria"),
    current("AG", "Sicilia"),
    current("CL", "Sicilia"),
    current("CT", "Sicilia"),
    current("EN", "Sicilia"),
    current("ME", "Sicilia"),
    current("PA", "Sicilia"),
    current("RG", "Sicilia"),
    current("SR", "Sicilia"),
    current("TP", "Sicilia"),
    current("CA", "Sardegna"),
    current("NU", "Sardegna"),
    current("OR", "Sardegna"),
    current("SS", "Sardegna"),
    current("SU", "Sardegna"),
    historical("CI", "Sardegna"),
    historical("VS", "Sardegna"),
    historical("OG", "Sardegna"),
    historical("OT", "Sardegna"),
];

/// A province sigla from the table: current, or historical (still valid for REA numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Province(&'static ProvinceEntry);

/// Why a string is not a province sigla.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProvinceError {
    #[error("not a province abbreviation")]
    Unknown,
}

impl ProvinceError {
    /// The reason in Italian, for the user interface.
    pub fn message_it(&self) -> &'static str {
        "La sigla della provincia non è valida."
    }
}

impl Province {
    /// Parses a sigla, ignoring case and surrounding spaces. Historical sigle are accepted;
    /// ask [`Province::is_historical`] where only current ones may do.
    pub fn parse(input: &str) -> Result<Self, ProvinceError> {
        let input = input.trim();
        PROVINCES
            .iter()
            .find(|p| p.code.eq_ignore_ascii_case(input))
            .map(Self)
            .ok_or(ProvinceError::Unknown)
    }

    /// Every province in the table, current ones first.
    pub fn all() -> impl Iterator<Item = Province> {
        PROVINCES.iter().map(Self)
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    pub fn region(&self) -> &'static str {
        self.0.region
    }

    pub fn is_historical(&self) -> bool {
        self.0.historical
    }
}

impl PartialOrd for Province {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Province {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.code().cmp(other.code())
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl AsRef<str> for Province {
    fn as_ref(&self) -> &str {
        self.code()
    }
}

impl std::str::FromStr for Province {
    type Err = ProvinceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Province {
    type Error = ProvinceError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Province {
    type Error = ProvinceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Province> for String {
    fn from(p: Province) -> Self {
        p.code().to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_table_has_107_current_sigle_and_4_historical() {
        let current = Province::all().filter(|p| !p.is_historical()).count();
        let historical = Province::all().filter(|p| p.is_historical()).count();
        assert_eq!((current, historical), (107, 4));
        let unique: HashSet<_> = Province::all().map(|p| p.code()).collect();
        assert_eq!(unique.len(), 111);
        assert!(
            Province::all()
                .all(|p| p.code().len() == 2 && p.code().bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn counts_per_region_match_the_istat_list() {
        let count = |region: &str| {
            Province::all()
                .filter(|p| !p.is_historical() && p.region() == region)
                .count()
        };
        assert_eq!(count("Lombardia"), 12);
        assert_eq!(count("Toscana"), 10);
        assert_eq!(count("Sardegna"), 5);
        assert_eq!(count("Valle d'Aosta"), 1);
    }

    #[test]
    fn parses_ignoring_case_and_spaces() {
        let ge = Province::parse(" ge ").unwrap();
        assert_eq!(ge.code(), "GE");
        assert_eq!(ge.region(), "Liguria");
        assert!(!ge.is_historical());
    }

    #[test]
    fn accepts_the_historical_sardinian_sigle_flagged() {
        for code in ["CI", "VS", "OG", "OT"] {
            let p = Province::parse(code).unwrap();
            assert!(p.is_historical());
            assert_eq!(p.region(), "Sardegna");
        }
    }

    #[test]
    fn rejects_ee_and_unknown_sigle() {
        for code in ["EE", "XX", "", "G", "GEN", "RM1"] {
            assert_eq!(Province::parse(code), Err(ProvinceError::Unknown), "{code}");
        }
    }

    #[test]
    fn serialises_as_its_sigla() {
        let p = Province::parse("mi").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"MI\"");
        assert_eq!(serde_json::from_str::<Province>("\"MI\"").unwrap(), p);
        assert!(serde_json::from_str::<Province>("\"EE\"").is_err());
    }
}
