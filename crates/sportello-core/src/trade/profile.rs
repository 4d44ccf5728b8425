//! The company profile a user completes before the first practice (Cert'O guide, slides 21–22):
//! the company's tax code (not the VAT number), the address also used for courier delivery,
//! and the e-mail that receives every notification of the practice's progress. Every user of
//! a multi-user company completes it, and an intermediary completes it for each company it
//! acts for.

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use crate::registry::{Company, Postcode, Province};
use crate::trade::form::FieldProblem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileInput {
    pub tax_code: String,
    pub delivery_address: String,
    pub postcode: String,
    pub municipality: String,
    pub province: String,
    pub notification_email: String,
    pub phone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Profile {
    pub delivery_address: String,
    pub postcode: String,
    pub municipality: String,
    pub province: String,
    pub notification_email: String,
    pub phone: Option<String>,
}

/// The profile of `user_id` for `company_id`, when completed.
pub async fn get(db: &Db, user_id: &str, company_id: &str) -> Result<Option<Profile>, sqlx::Error> {
    sqlx::query_as(
        "SELECT delivery_address, postcode, municipality, province, notification_email, phone \
         FROM company_profiles WHERE user_id = $1 AND company_id = $2",
    )
    .bind(user_id)
    .bind(company_id)
    .fetch_optional(db.pool())
    .await
}

/// Checks the input; every required field (Cert'O guide, slide 22: "red asterisks") is named.
pub fn validate(input: &ProfileInput, company: &Company) -> Result<Profile, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut need = |field: &str, value: &str, max: usize| -> Option<String> {
        let v = value.trim();
        if v.is_empty() {
            problems.push(FieldProblem {
                field: field.into(),
                key: "trade-field-required",
            });
            None
        } else if v.chars().count() > max {
            problems.push(FieldProblem {
                field: field.into(),
                key: "trade-field-too-long",
            });
            None
        } else {
            Some(v.to_string())
        }
    };
    let tax_code = need("tax_code", &input.tax_code, 20);
    let delivery_address = need("delivery_address", &input.delivery_address, 200);
    let postcode = need("postcode", &input.postcode, 5);
    let municipality = need("municipality", &input.municipality, 100);
    let province = need("province", &input.province, 2);
    let email = need("notification_email", &input.notification_email, 254);
    let phone = input.phone.trim().to_string();
    // Cert'O guide, slide 22: the company's tax code, not its VAT number.
    if let Some(tc) = &tax_code {
        let entered: String = tc
            .to_ascii_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let entered = entered
            .strip_prefix("IT")
            .filter(|_| entered.len() == 13)
            .unwrap_or(&entered)
            .to_string();
        if entered != company.tax_code.as_str() {
            let is_vat = company
                .vat_number
                .as_ref()
                .is_some_and(|v| v.as_str() == entered);
            problems.push(FieldProblem {
                field: "tax_code".into(),
                key: if is_vat {
                    "trade-profile-vat-not-tax-code"
                } else {
                    "trade-profile-tax-code-mismatch"
                },
            });
        }
    }
    if let Some(p) = &postcode
        && Postcode::parse(p).is_err()
    {
        problems.push(FieldProblem {
            field: "postcode".into(),
            key: "trade-profile-postcode",
        });
    }
    if let Some(p) = &province
        && Province::parse(p).is_err()
    {
        problems.push(FieldProblem {
            field: "province".into(),
            key: "trade-profile-province",
        });
    }
    let email = email.and_then(|e| {
        let n = crate::accounts::normalise_email(&e);
        if n.is_none() {
            problems.push(FieldProblem {
                field: "notification_email".into(),
                key: "trade-field-email",
            });
        }
        n
    });
    if phone.chars().count() > 40 {
        problems.push(FieldProblem {
            field: "phone".into(),
            key: "trade-field-too-long",
        });
    }
    match (delivery_address, postcode, municipality, province, email) {
        (
            Some(delivery_address),
            Some(postcode),
            Some(municipality),
            Some(province),
            Some(notification_email),
        ) if problems.is_empty() => Ok(Profile {
            delivery_address,
            postcode,
            municipality,
            province: province.to_ascii_uppercase(),
            notification_email,
            phone: (!phone.is_empty()).then_some(phone),
        }),
        _ => Err(problems),
    }
}

/// Saves the profile (insert or replace), with its audit entry.
pub async fn save(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: &str,
    company_id: &str,
    profile: &Profile,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO company_profiles (user_id, company_id, delivery_address, postcode, municipality, \
         province, notification_email, phone, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (user_id, company_id) DO UPDATE SET delivery_address = excluded.delivery_address, \
         postcode = excluded.postcode, municipality = excluded.municipality, province = excluded.province, \
         notification_email = excluded.notification_email, phone = excluded.phone, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(company_id)
    .bind(&profile.delivery_address)
    .bind(&profile.postcode)
    .bind(&profile.municipality)
    .bind(&profile.province)
    .bind(&profile.notification_email)
    .bind(&profile.phone)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("company_profile.save", "company", Some(company_id))
            .after(serde_json::to_value(profile).unwrap_or_default()),
    )
    .await?;
    tx.commit().await
}
