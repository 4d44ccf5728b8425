//! The key that identifies a site of a company across imports.
//!
//! A company has one REA number per province, shared by its head office and every local unit
//! in that province (REA numbering), so the REA number alone does not tell two local
//! units apart. The key is therefore kind + REA + the address and municipality, normalised so
//! that spelling noise (case, accents, punctuation, spaces) does not make a new site. The
//! postcode is left out: it is an attribute that may be corrected in place. A site whose
//! address really changes gets a new key, hence a new row; the old row stays, since the
//! extract does not say which site moved.

use crate::registry::rea::Rea;
use crate::registry::site_kind::SiteKind;

/// `kind|GE-123|VIA ROMA 1|GENOVA`: deterministic, readable, the same on both engines.
pub fn site_key(kind: SiteKind, rea: &Rea, address: &str, municipality: &str) -> String {
    format!(
        "{}|{}|{}|{}",
        kind.as_str(),
        rea,
        normalise(address),
        normalise(municipality)
    )
}

/// Uppercase; Italian accented letters folded to their base letter (`FORLÌ` = `FORLI'`);
/// anything that is not a letter or digit is a separator; runs of separators become one space.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let c = fold(c);
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_uppercase());
        } else {
            pending_space = true;
        }
    }
    out
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'À' | 'Á' | 'Â' | 'Ä' => 'A',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ò' | 'ó' | 'ô' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Ö' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ç' | 'Ç' => 'C',
        'ñ' | 'Ñ' => 'N',
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rea(s: &str) -> Rea {
        Rea::parse(s).unwrap()
    }

    #[test]
    fn spelling_noise_gives_the_same_key() {
        let a = site_key(SiteKind::LocalUnit, &rea("FC-1"), "Via  Roma, 1", "Forlì");
        let b = site_key(
            SiteKind::LocalUnit,
            &rea("FC-0001"),
            "VIA ROMA 1 ",
            "FORLI'",
        );
        assert_eq!(a, b);
        assert_eq!(a, "local_unit|FC-1|VIA ROMA 1|FORLI");
    }

    #[test]
    fn local_units_sharing_a_rea_number_differ_by_address() {
        let a = site_key(SiteKind::LocalUnit, &rea("GE-1"), "Via Roma 1", "Genova");
        let b = site_key(SiteKind::LocalUnit, &rea("GE-1"), "Via Roma 2", "Genova");
        let c = site_key(SiteKind::HeadOffice, &rea("GE-1"), "Via Roma 1", "Genova");
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
