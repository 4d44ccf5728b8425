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

impl ApplicantForm {
    /// Parses every field, collecting every error next to its field.
    pub fn parse(&self, today: NaiveDate) -> Result<Applicant, Vec<FieldError>> {
        let mut errors = Vec::new();
        let required = |errors: &mut Vec<FieldError>, field: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                errors.push(FieldError::new(field, "appt-error-required"));
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
