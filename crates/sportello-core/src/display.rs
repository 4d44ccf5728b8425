//! How values are written for people, in both languages of the interface: dates as
//! `06/12/2026`, times as Italian civil time (`06/12/2026 16:58`), signers and certificates
//! by the names they carry, never by their subject text (`CN=…,serialNumber=TINIT-…`). Money
//! has its own [`crate::money::Money::to_italian`].

use crate::clock::in_italy;
use crate::i18n::Lang;
use chrono::{DateTime, NaiveDate, Utc};

/// A calendar date: `06/12/2026`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An instant as a date and time in Italy: `06/12/2026 16:58`.
pub fn date_time(t: DateTime<Utc>) -> String {
    in_italy(t).format("%d/%m/%Y %H:%M").to_string()
}

/// An instant as the time of day in Italy: `16:58`.
pub fn time(t: DateTime<Utc>) -> String {
    in_italy(t).format("%H:%M").to_string()
}

/// A stored instant (RFC 3339 text) as [`date_time`]; any other text is returned as it is.
pub fn stored_instant(instant: &str) -> String {
    match DateTime::parse_from_rfc3339(instant) {
        Ok(t) => date_time(t.with_timezone(&Utc)),
        Err(_) => instant.to_string(),
    }
}

/// A stored date (`2026-12-06`) as [`date`], a stored instant as [`date_time`]; any other
/// text is returned as it is.
pub fn stored(text: &str) -> String {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => date(d),
        Err(_) => stored_instant(text),
    }
}

/// The attributes of a certificate subject or issuer in RFC 4514 text (`CN=A\\, B,O=X`),
/// unescaped, in the order written; hex-encoded values (`#…`) are left out.
fn name_attributes(dn: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut part = String::new();
    let mut chars = dn.chars();
    let push = |part: &mut String, out: &mut Vec<(String, String)>| {
        if let Some((key, value)) = part.split_once('=')
            && !value.starts_with('#')
        {
            out.push((key.trim().to_string(), value.to_string()));
        }
        part.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    // Mark an escaped `=` so that `split_once` does not take it.
                    part.push(if next == '=' { '\u{1}' } else { next });
                }
            }
            ',' | '+' => push(&mut part, &mut out),
            _ => part.push(c),
        }
    }
    push(&mut part, &mut out);
    for (_, v) in &mut out {
        *v = v.replace('\u{1}', "=");
    }
    out
}

/// A name written in capitals, as most Italian signature certificates carry it
/// (`GIULIA BIANCHI`, `D'ANGELO`), in the usual case (`Giulia Bianchi`, `D'Angelo`); a name
/// already in mixed case is kept as written.
pub fn usual_case(name: &str) -> String {
    if name.chars().any(char::is_lowercase) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// The name a certificate subject or issuer is known by: given name and surname when both
/// are there, else the common name, else the organisation; empty when it has none of them.
pub fn certificate_name(dn: &str) -> String {
    let attrs = name_attributes(dn);
    let get = |key: &str| {
        attrs
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    let name = match (get("GN"), get("SN")) {
        (Some(given), Some(surname)) => format!("{given} {surname}"),
        _ => get("CN").or_else(|| get("O")).unwrap_or_default(),
    };
    usual_case(&name)
}

/// A signer as people read it: `Mario Rossi (RSSMRA80A01H501U), certificato di Prova CA,
/// valido`. The issuer part is left out when `issuer` is empty, the verdict when `valid` is
/// unknown; without a name in the subject the tax code stands alone.
pub fn signer(
    lang: Lang,
    subject: &str,
    tax_code: Option<&str>,
    issuer: &str,
    valid: Option<bool>,
) -> String {
    let name = certificate_name(subject);
    let mut out = match (name.is_empty(), tax_code.filter(|t| !t.is_empty())) {
        (false, Some(tc)) => format!("{name} ({tc})"),
        (false, None) => name,
        (true, Some(tc)) => tc.to_string(),
        (true, None) => lang.t("signer-unknown"),
    };
    let issuer = certificate_name(issuer);
    if !issuer.is_empty() {
        out.push_str(", ");
        out.push_str(&lang.t_args("signer-certificate-of", &[("issuer", issuer)]));
    }
    if let Some(valid) = valid {
        out.push_str(", ");
        out.push_str(&lang.t(if valid {
            "signer-valid"
        } else {
            "signer-invalid"
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_signer_reads_as_name_tax_code_issuer_and_verdict() {
        let subject =
            "CN=GIULIA BIANCHI,serialNumber=TINIT-BNCGLI85M41D969D,GN=GIULIA,SN=BIANCHI,C=IT";
        let issuer = "CN=Prova CA,O=Sportello Test,C=IT";
        assert_eq!(
            signer(
                Lang::It,
                subject,
                Some("BNCGLI85M41D969D"),
                issuer,
                Some(true)
            ),
            "Giulia Bianchi (BNCGLI85M41D969D), certificato di Prova CA, valido"
        );
        assert_eq!(
            signer(
                Lang::En,
                subject,
                Some("BNCGLI85M41D969D"),
                issuer,
                Some(false)
            ),
            "Giulia Bianchi (BNCGLI85M41D969D), certificate by Prova CA, not valid"
        );
        assert_eq!(
            signer(Lang::It, subject, Some("BNCGLI85M41D969D"), "", None),
            "Giulia Bianchi (BNCGLI85M41D969D)"
        );
        assert_eq!(
            signer(Lang::It, "", Some("BNCGLI85M41D969D"), "", None),
            "BNCGLI85M41D969D"
        );
        assert!(!signer(Lang::It, "", None, issuer, Some(true)).contains("CN="));
    }

    #[test]
    fn certificate_names_come_from_their_attributes() {
        assert_eq!(certificate_name("CN=Mario Rossi,O=X"), "Mario Rossi");
        assert_eq!(certificate_name("CN=ROSSI\\, MARIO"), "Rossi, Mario");
        assert_eq!(certificate_name("O=ACME S.p.A.,C=IT"), "ACME S.p.A.");
        assert_eq!(certificate_name("CN=D'ANGELO ANNA"), "D'Angelo Anna");
        assert_eq!(certificate_name("CN=#0403414243,O=Ente"), "Ente");
        assert_eq!(certificate_name("CN=a\\=b"), "a=b");
        assert_eq!(certificate_name(""), "");
    }

    #[test]
    fn dates_read_day_month_year() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
        assert_eq!(date(d), "06/12/2026");
    }

    #[test]
    fn times_are_italian_civil_time_across_daylight_saving() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 6, 15, 58, 0).unwrap();
        assert_eq!(date_time(winter), "06/12/2026 16:58");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 22, 30, 0).unwrap();
        assert_eq!(date_time(summer), "02/07/2026 00:30");
        assert_eq!(time(summer), "00:30");
        assert_eq!(
            stored_instant("2026-12-06T15:58:00.000000Z"),
            "06/12/2026 16:58"
        );
        assert_eq!(stored_instant("not a date"), "not a date");
        assert_eq!(stored("2026-12-06"), "06/12/2026");
        assert_eq!(stored("2026-12-06T15:58:00Z"), "06/12/2026 16:58");
        assert_eq!(stored("—"), "—");
    }
}
