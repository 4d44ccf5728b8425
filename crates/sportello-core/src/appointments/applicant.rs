//! The applicant's pre-registration, parsed at the edge: every field checked, every error
//! named next to its field.

use crate::devices::DeviceKind;
use crate::registry::TaxCode;
use crate::validation::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The applicant's pre-registered data, parsed (RA procedure, part 2: "pre-registrazione ... in
/// modo che l'operatore di sportello non abbia l'onere del reinserimento dei dati anagrafici
/// ma soltanto della verifica").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applicant {
    pub given_name: String,
    pub surname: String,
    pub tax_code: TaxCode,
    pub birth_date: NaiveDate,
    pub birth_place: String,
    pub email: String,
    pub phone: String,
    pub company_tax_code: Option<TaxCode>,
    pub device: DeviceKind,
    pub wants_free: bool,
}

/// The form as typed.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ApplicantForm {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub surname: String,
    #[serde(default)]
    pub tax_code: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub birth_place: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub company_tax_code: String,
    #[serde(default)]
    pub device: String,
    #[serde(default)]
    pub wants_free: String,
}

/// The longest value each field of the public form accepts, in characters (a 1 MiB
/// name was stored and e-mailed). Generous for any real name, place or address; the inputs
/// carry the same `maxlength`.
pub const FIELD_LIMITS: [(&str, usize); 10] = [
    ("given_name", 60),
    ("surname", 60),
    ("tax_code", 20),
    ("birth_date", 10),
    ("birth_place", 80),
    ("email", 254),
    ("phone", 25),
    ("company_tax_code", 20),
    ("device", 20),
    ("wants_free", 10),
];

/// The limit of `field` (see [`FIELD_LIMITS`]).
pub fn field_limit(field: &str) -> usize {
    FIELD_LIMITS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(0, |(_, n)| *n)
}

/// A character a person's name or birth place may hold: a letter (accents included), a
/// space, an apostrophe, a hyphen or a dot ("S. Margherita Ligure"). Nothing that makes a
/// link, an address or markup: no `:`, `/`, `@`, `<`, digits.
fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, ' ' | '\'' | '’' | '-' | '.')
}

/// Applicant text as it may appear in an e-mail of the chamber: only letters, spaces,
/// apostrophes and hyphens (dots go too, so no `host.domain` a mail client could turn into a
/// link), at most 60 characters. Applied to what is stored, so text saved before the form
/// was this strict cannot ride in an e-mail either.
pub fn mail_safe(s: &str) -> String {
    let kept: String = s
        .chars()
        .map(|c| if c == '.' { ' ' } else { c })
        .filter(|c| is_name_char(*c))
        .take(60)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl ApplicantForm {
    fn value(&self, field: &str) -> &str {
        match field {
            "given_name" => &self.given_name,
            "surname" => &self.surname,
            "tax_code" => &self.tax_code,
            "birth_date" => &self.birth_date,
            "birth_place" => &self.birth_place,
            "email" => &self.email,
            "phone" => &self.phone,
            "company_tax_code" => &self.company_tax_code,
            "device" => &self.device,
            _ => &self.wants_free,
        }
    }

    /// The fields longer than their limit, each with its error (trimmed length, so pasted
    /// spaces do not count).
    fn too_long(&self) -> Vec<FieldError> {
        FIELD_LIMITS
            .iter()
            .filter(|(f, max)| self.value(f).trim().chars().count() > *max)
            .map(|(f, max)| {
                let mut e = FieldError::new(*f, "appt-error-too-long");
                e.args.push(("max", max.to_string()));
                e
            })
            .collect()
    }

    /// Parses every field, collecting every error next to its field. A field over its length
    /// limit is named for that alone and read no further.
    pub fn parse(&self, today: NaiveDate) -> Result<Applicant, Vec<FieldError>> {
        let too_long = self.too_long();
        if !too_long.is_empty() {
            return Err(too_long);
        }
        let mut errors = Vec::new();
        let required = |errors: &mut Vec<FieldError>, field: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                errors.push(FieldError::new(field, "appt-error-required"));
            } else if !v.chars().all(is_name_char) {
                errors.push(FieldError::new(field, "appt-error-name-chars"));
            }
            v.to_string()
        };
        let given_name = required(&mut errors, "given_name", &self.given_name);
        let surname = required(&mut errors, "surname", &self.surname);
        let birth_place = required(&mut errors, "birth_place", &self.birth_place);
        let tax_code = match TaxCode::parse(&self.tax_code) {
            Ok(t) if t.is_personal() => Some(t),
            Ok(_) => {
                errors.push(FieldError::new("tax_code", "appt-error-tax-code-person"));
                None
            }
            Err(e) => {
                let mut f = FieldError::new("tax_code", "appt-error-tax-code");
                f.args.push(("reason", e.message_it().to_string()));
                errors.push(f);
                None
            }
        };
        let birth_date = NaiveDate::parse_from_str(self.birth_date.trim(), "%Y-%m-%d").ok();
        match (&tax_code, birth_date) {
            (_, None) => errors.push(FieldError::new("birth_date", "appt-error-date")),
            (Some(t), Some(d))
                if t.birth_date(today) != Some(d)
                    && t.normalised_omocodia().birth_date(today) != Some(d) =>
            {
                errors.push(FieldError::new(
                    "birth_date",
                    "appt-error-birth-date-mismatch",
                ))
            }
            _ => {}
        }
        let email = crate::accounts::normalise_email(&self.email);
        if email.is_none() {
            errors.push(FieldError::new("email", "appt-error-email"));
        }
        let phone: String = self.phone.chars().filter(|c| !c.is_whitespace()).collect();
        let phone_ok = (6..=20).contains(&phone.len())
            && phone
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'));
        if !phone_ok {
            errors.push(FieldError::new("phone", "appt-error-phone"));
        }
        let company_tax_code = match self.company_tax_code.trim() {
            "" => None,
            s => match TaxCode::parse(s) {
                Ok(t) => Some(t),
                Err(_) => {
                    errors.push(FieldError::new(
                        "company_tax_code",
                        "appt-error-company-tax-code",
                    ));
                    None
                }
            },
        };
        let device = match self.device.as_str() {
            "smart_card" => Some(DeviceKind::SmartCard),
            "token" => Some(DeviceKind::Token),
            _ => {
                errors.push(FieldError::new("device", "appt-error-device"));
                None
            }
        };
        let wants_free = !self.wants_free.is_empty();
        // RA procedure, part 2: a free device is a smart card for a company.
        if wants_free && (company_tax_code.is_none() || device == Some(DeviceKind::Token)) {
            errors.push(FieldError::new("wants_free", "appt-error-free"));
        }
        match (tax_code, birth_date, email, device) {
            (Some(tax_code), Some(birth_date), Some(email), Some(device)) if errors.is_empty() => {
                Ok(Applicant {
                    given_name,
                    surname,
                    tax_code,
                    birth_date,
                    birth_place,
                    email,
                    phone,
                    company_tax_code,
                    device,
                    wants_free,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ApplicantForm {
        ApplicantForm {
            given_name: "Mario".into(),
            surname: "Rossi".into(),
            tax_code: "RSSMRA80A01H501U".into(),
            birth_date: "1980-01-01".into(),
            birth_place: "Roma".into(),
            email: "mario@example.it".into(),
            phone: "+39 333 1234567".into(),
            company_tax_code: "01879020517".into(),
            device: "smart_card".into(),
            wants_free: "yes".into(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn a_complete_pre_registration_is_accepted() {
        let a = form().parse(today()).unwrap();
        assert_eq!(a.phone, "+393331234567");
        assert!(a.wants_free);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let f = ApplicantForm {
            tax_code: "RSSMRA80A01H501X".into(),
            email: "nope".into(),
            phone: "12".into(),
            device: "floppy".into(),
            given_name: " ".into(),
            ..form()
        };
        let fields: Vec<_> = f
            .parse(today())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["given_name", "tax_code", "email", "phone", "device"]
        );
    }

    #[test]
    fn every_field_has_a_length_limit() {
        let long = "A".repeat(1 << 20);
        for (field, max) in FIELD_LIMITS {
            let mut f = form();
            let v = match field {
                "given_name" => &mut f.given_name,
                "surname" => &mut f.surname,
                "tax_code" => &mut f.tax_code,
                "birth_date" => &mut f.birth_date,
                "birth_place" => &mut f.birth_place,
                "email" => &mut f.email,
                "phone" => &mut f.phone,
                "company_tax_code" => &mut f.company_tax_code,
                "device" => &mut f.device,
                _ => &mut f.wants_free,
            };
            *v = long.clone();
            let e = f.parse(today()).unwrap_err();
            assert_eq!(e.len(), 1, "{field}");
            assert_eq!(
                (e[0].field.as_str(), e[0].key),
                (field, "appt-error-too-long")
            );
            assert_eq!(e[0].args, vec![("max", max.to_string())]);
        }
    }

    #[test]
    fn a_name_holds_no_link_address_or_markup() {
        for hostile in [
            "Mario <a href=x>",
            "http://evil.example",
            "mario@evil.example",
            "Mario 2",
        ] {
            let f = ApplicantForm {
                given_name: hostile.into(),
                ..form()
            };
            let e = f.parse(today()).unwrap_err();
            assert_eq!(e[0].key, "appt-error-name-chars", "{hostile}");
        }
        let f = ApplicantForm {
            given_name: "Maria Chiara".into(),
            surname: "D'Angelo-Rossi".into(),
            birth_place: "S. Margherita Ligure".into(),
            ..form()
        };
        assert!(f.parse(today()).is_ok());
        assert_eq!(
            mail_safe("Visit www.evil.example/x <b>now</b>"),
            "Visit www evil examplex bnowb"
        );
        assert_eq!(mail_safe("D'Angelo"), "D'Angelo");
    }

    #[test]
    fn the_birth_date_must_match_the_tax_code() {
        let f = ApplicantForm {
            birth_date: "1980-01-02".into(),
            ..form()
        };
        let e = f.parse(today()).unwrap_err();
        assert_eq!(e[0].key, "appt-error-birth-date-mismatch");
    }

    #[test]
    fn a_free_device_is_asked_for_a_company_and_a_smart_card() {
        let f = ApplicantForm {
            device: "token".into(),
            ..form()
        };
        assert_eq!(f.parse(today()).unwrap_err()[0].field, "wants_free");
        let f = ApplicantForm {
            company_tax_code: String::new(),
            ..form()
        };
        assert_eq!(f.parse(today()).unwrap_err()[0].field, "wants_free");
    }
}
