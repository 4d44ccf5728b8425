//! The holder's codice fiscale (CF) from a certificate subject.
//!
//! Order of the search (the signer certificate profiles): `serialNumber` as `TINIT-<CF>` / `IT:<CF>` / bare CF;
//! then a CNS-style common name `<CF>/<card id>.<hash>` split at the first `/`; then any other
//! attribute (`dnQualifier` first) holding a 16-character CF. A candidate is kept only if it
//! passes the check-character algorithm (§1.4, omocodia letters taken as written) and the birth
//! date check (§1.6), or the Luhn check of 11-digit codes (§1.7).

/// OID of `serialNumber` (2.5.4.5).
pub const SERIAL_NUMBER: &str = "2.5.4.5";
/// OID of `commonName` (2.5.4.3).
pub const COMMON_NAME: &str = "2.5.4.3";
/// OID of `dnQualifier` (2.5.4.46).
pub const DN_QUALIFIER: &str = "2.5.4.46";

/// Birth month letters, January to December (§1.1).
pub const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Positions (0-based) where omocodia may replace a digit with a letter (§1.1, §1.5).
pub const OMOCODIA_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
/// The letters omocodia puts in place of the digits 0-9 (§1.3).
const OMOCODIA_LETTERS: &[u8; 10] = b"LMNPQRSTUV";

/// A digit of a personal CF: itself, or the digit an omocodia letter stands for (§1.5).
pub fn digit_value(c: u8) -> Option<u8> {
    if c.is_ascii_digit() {
        Some(c - b'0')
    } else {
        OMOCODIA_LETTERS
            .iter()
            .position(|&x| x == c)
            .map(|i| i as u8)
    }
}

fn odd_value(c: u8) -> Option<u32> {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    match c {
        b'0'..=b'9' => Some(ODD[usize::from(c - b'0')]),
        b'A'..=b'Z' => Some(ODD[usize::from(c - b'A')]),
        _ => None,
    }
}

fn even_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        _ => None,
    }
}

/// The check character of the first 15 characters of a personal CF, computed over the
/// characters as written (§1.3-§1.4).
pub fn check_character(first15: &[u8]) -> Option<u8> {
    if first15.len() != 15 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in first15.iter().enumerate() {
        // Positions are 1-based in the rule: index 0 is position 1 (odd).
        sum += if i % 2 == 0 {
            odd_value(c)?
        } else {
            even_value(c)?
        };
    }
    Some(b'A' + (sum % 26) as u8)
}

/// Why 16 uppercase characters are not a personal CF, in the order the rules are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalCodeProblem {
    /// Letters at positions 1-6, 9, 12 and 16, digits or omocodia letters elsewhere (§1.2).
    Format,
    /// The month letter is not one of [`MONTHS`] (§1.1).
    Month,
    /// The day is not 01-31 (men) or 41-71 (women) (§1.6).
    Day,
    /// The date exists in neither the 1900s nor the 2000s (§1.6).
    Date,
    /// The last character is not the check character (§1.4).
    CheckCharacter,
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Checks a personal CF (uppercase, 16 characters) rule by rule.
pub fn check_personal(cf: &[u8]) -> Result<(), PersonalCodeProblem> {
    const LETTER_POSITIONS: [usize; 9] = [0, 1, 2, 3, 4, 5, 8, 11, 15];
    if cf.len() != 16
        || !LETTER_POSITIONS.iter().all(|&i| cf[i].is_ascii_uppercase())
        || !OMOCODIA_POSITIONS
            .iter()
            .all(|&i| digit_value(cf[i]).is_some())
    {
        return Err(PersonalCodeProblem::Format);
    }
    let month = MONTHS
        .iter()
        .position(|&m| m == cf[8])
        .ok_or(PersonalCodeProblem::Month)?;
    let digit = |i: usize| u32::from(digit_value(cf[i]).unwrap_or(0));
    let day = match digit(9) * 10 + digit(10) {
        d @ 1..=31 => d,
        d @ 41..=71 => d - 40,
        _ => return Err(PersonalCodeProblem::Day),
    };
    let yy = digit(6) * 10 + digit(7);
    let exists = [1900 + yy, 2000 + yy].iter().any(|&year| {
        let days_in_month = match month {
            1 if is_leap(year) => 29,
            1 => 28,
            3 | 5 | 8 | 10 => 30,
            _ => 31,
        };
        day <= days_in_month
    });
    if !exists {
        return Err(PersonalCodeProblem::Date);
    }
    if check_character(&cf[..15]) != Some(cf[15]) {
        return Err(PersonalCodeProblem::CheckCharacter);
    }
    Ok(())
}

/// Is this a valid 16-character personal CF (format, date, check character)?
pub fn is_valid_personal(cf: &str) -> bool {
    check_personal(cf.as_bytes()).is_ok()
}

/// Luhn over ASCII digits, the last being the check digit: doubled digits in even positions
/// (1-based), 9 subtracted above 9, total divisible by 10 (§1.7).
pub fn luhn_is_valid(digits: &[u8]) -> bool {
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Is this a valid 11-digit numeric CF / partita IVA (Luhn check digit)?
pub fn is_valid_numeric(cf: &str) -> bool {
    cf.len() == 11 && luhn_is_valid(cf.as_bytes())
}

fn valid(candidate: &str) -> Option<String> {
    let c = candidate.trim().to_ascii_uppercase();
    (is_valid_personal(&c) || is_valid_numeric(&c)).then_some(c)
}

/// From a `serialNumber` value: `TINIT-…`, `IT:…` or a bare CF.
fn from_serial_number(value: &str) -> Option<String> {
    let v = value.trim();
    let upper = v.to_ascii_uppercase();
    if let Some(rest) = upper.strip_prefix("TINIT-") {
        return valid(rest);
    }
    if let Some(rest) = upper.strip_prefix("IT:") {
        return valid(rest).filter(|c| c.len() == 16);
    }
    valid(&upper).filter(|c| c.len() == 16)
}

/// From a CNS-style common name: `<CF>/<digits>.<anything>`, split at the first `/`.
fn from_cns_common_name(value: &str) -> Option<String> {
    let (cf, rest) = value.split_once('/')?;
    let (card, hash) = rest.split_once('.')?;
    if card.is_empty() || !card.bytes().all(|b| b.is_ascii_digit()) || hash.is_empty() {
        return None;
    }
    valid(cf).filter(|c| c.len() == 16)
}

/// Any 16-character run of a value that is a valid personal CF.
fn scan(value: &str) -> Option<String> {
    let upper = value.to_ascii_uppercase();
    let b = upper.as_bytes();
    (0..b.len().saturating_sub(15)).find_map(|i| {
        let window = std::str::from_utf8(b.get(i..i + 16)?).ok()?;
        let before_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let after_ok = b.get(i + 16).is_none_or(|c| !c.is_ascii_alphanumeric());
        (before_ok && after_ok && is_valid_personal(window)).then(|| window.to_owned())
    })
}

/// Extracts the holder's CF from subject attributes given as `(dotted OID, text value)` in
/// certificate order. Returns the code and the name of the field it came from.
pub fn extract(attributes: &[(String, String)]) -> Option<(String, &'static str)> {
    let of = |oid: &'static str| {
        attributes
            .iter()
            .filter(move |(o, _)| o == oid)
            .map(|(_, v)| v)
    };
    if let Some(cf) = of(SERIAL_NUMBER).find_map(|v| from_serial_number(v)) {
        return Some((cf, "serialNumber"));
    }
    if let Some(cf) = of(COMMON_NAME).find_map(|v| from_cns_common_name(v)) {
        return Some((cf, "commonName"));
    }
    if let Some(cf) = of(DN_QUALIFIER).find_map(|v| scan(v)) {
        return Some((cf, "dnQualifier"));
    }
    attributes
        .iter()
        .filter(|(o, _)| o != DN_QUALIFIER)
        .find_map(|(_, v)| scan(v))
        .map(|cf| (cf, "subject"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: [&str; 13] = [
        "MRTNTN23M02D969P",
        "RCCMNL83S18D969H",
        "MRSMSR81D60Z611H",
        "CNTCHR83T41D969D",
        "FOXDRA26C24H872Y",
        "MAILCU91A25F839D",
        "RSSMRA45C12F205C",
        "RSSMRA45C12F20RX",
        "RSSMRAQRCMNFNLRG",
        "RSSMRA80A01H501U",
        "RSSMRA80A41H501Y",
        "RSSMRA80A01H5LMX",
        "BNCLRA92E52F205Y",
    ];

    #[test]
    fn published_personal_codes_are_valid() {
        for cf in VALID {
            assert!(is_valid_personal(cf), "{cf}");
        }
    }

    #[test]
    fn published_invalid_personal_codes_are_rejected() {
        for cf in [
            "CSTNGL22I10D086I",
            "FOXDRA26C24H872A",
            "CNTCHR83T32D969H",
            "RSSMRA80A01H501V",
            "RCCMNL83S18D969",
        ] {
            assert!(!is_valid_personal(cf), "{cf}");
        }
    }

    #[test]
    fn check_character_vectors() {
        assert_eq!(check_character(b"BNCSFN85T58G702"), Some(b'W'));
        assert_eq!(check_character(b"RCDLSN84S16D969"), Some(b'Z'));
        assert_eq!(check_character(b"MRTNTN23M02D969"), Some(b'P'));
    }

    #[test]
    fn numeric_codes_use_luhn() {
        for cf in [
            "00743110157",
            "12345670017",
            "97735020584",
            "80052590587",
            "01879020517",
            "03358520967",
        ] {
            assert!(is_valid_numeric(cf), "{cf}");
        }
        assert!(!is_valid_numeric("00743110158"));
        assert!(!is_valid_numeric("01234567890"));
    }

    fn attrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(o, v)| ((*o).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tinit_serial_number_is_the_first_source() {
        let a = attrs(&[
            ("2.5.4.6", "IT"),
            (SERIAL_NUMBER, "TINIT-RSSMRA80A01H501U"),
            (COMMON_NAME, "MARIO ROSSI"),
        ]);
        assert_eq!(
            extract(&a),
            Some(("RSSMRA80A01H501U".into(), "serialNumber"))
        );
    }

    #[test]
    fn company_tinit_serial_number_with_eleven_digits_is_accepted() {
        let a = attrs(&[(SERIAL_NUMBER, "TINIT-00743110157")]);
        assert_eq!(extract(&a), Some(("00743110157".into(), "serialNumber")));
    }

    #[test]
    fn legacy_it_prefix_and_bare_codes_are_accepted() {
        assert_eq!(
            extract(&attrs(&[(SERIAL_NUMBER, "IT:RSSMRA45C12F20RX")])),
            Some(("RSSMRA45C12F20RX".into(), "serialNumber"))
        );
        assert_eq!(
            extract(&attrs(&[(SERIAL_NUMBER, "rssmra80a41h501y")])),
            Some(("RSSMRA80A41H501Y".into(), "serialNumber"))
        );
    }

    #[test]
    fn cns_common_name_is_split_at_the_first_slash() {
        let a = attrs(&[(
            COMMON_NAME,
            "RSSMRA80A01H501U/7420000000000001.AbCdEf/GhIjKlMnOpQrStUvWxYz0=",
        )]);
        assert_eq!(extract(&a), Some(("RSSMRA80A01H501U".into(), "commonName")));
    }

    #[test]
    fn a_code_with_a_wrong_check_character_is_not_extracted() {
        let a = attrs(&[
            (SERIAL_NUMBER, "TINIT-RSSMRA80A01H501V"),
            (COMMON_NAME, "RSSMRA80A01H501V/1.x"),
        ]);
        assert_eq!(extract(&a), None);
    }

    #[test]
    fn dn_qualifier_and_other_attributes_are_scanned_last() {
        let a = attrs(&[
            (SERIAL_NUMBER, "PASIT-AA1234567"),
            (DN_QUALIFIER, "CF:BNCLRA92E52F205Y"),
        ]);
        assert_eq!(
            extract(&a),
            Some(("BNCLRA92E52F205Y".into(), "dnQualifier"))
        );
        let b = attrs(&[("2.5.4.13", "codice fiscale MRTNTN23M02D969P")]);
        assert_eq!(extract(&b), Some(("MRTNTN23M02D969P".into(), "subject")));
        assert_eq!(extract(&attrs(&[(COMMON_NAME, "MARIO ROSSI")])), None);
    }
}
