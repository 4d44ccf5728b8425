//! Free smart cards (RA procedure, part 2, "gestione rilascio allo sportello di dispositivi
//! gratuiti"): a pure function that answers yes or no with every reason, the facts it reads,
//! and the record of a free device granted (with the rule set that allowed it).
//!
//! RA procedure, part 2 lists the requirements: the company is registered; its annual fee is paid
//! for the last two years; no free device was issued to it before; only a smart card, never a
//! token. We add that the company must be active (a ceased company is still in the Registry),
//! and read "the last two years" as the two most recent years whose annual-fee deadline
//! (30 June, a chamber setting) has passed.

use crate::audit::{self, Actor, Change};
use crate::chambers::settings::{self, Setting};
use crate::db::{self, Db, Tx};
use crate::devices::kind::DeviceKind;
use crate::registry::{self, CompanyStatus, TaxCode};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

/// The name of the rules below, recorded with every free device granted.
pub const RULE_SET: &str = "seed-004-part-2/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Registered,
    Active,
    AnnualFee,
    FirstFreeDevice,
    SmartCardOnly,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Registered => "registered",
            Rule::Active => "active",
            Rule::AnnualFee => "annual_fee",
            Rule::FirstFreeDevice => "first_free_device",
            Rule::SmartCardOnly => "smart_card_only",
        }
    }
}

/// One rule's verdict, with the message key and arguments that explain it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub rule: Rule,
    pub ok: bool,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FreeEligibility {
    pub eligible: bool,
    pub reasons: Vec<Verdict>,
}

/// What the registry says of the company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyFacts {
    pub status: CompanyStatus,
    pub paid_years: Vec<i32>,
}

/// Everything the rules read; gathered by [`check`], or built by hand in tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// `None`: not in the registry.
    pub company: Option<CompanyFacts>,
    /// The date of a free device already issued to the company, at any desk or ODR.
    pub previous_free: Option<NaiveDate>,
    pub device: DeviceKind,
    pub today: NaiveDate,
    /// The annual fee's deadline: (month, day).
    pub fee_deadline: (u32, u32),
}

/// "The last two years" are the two most recent years whose annual-fee deadline has
/// passed on `today` (the deadline day itself has not passed yet).
pub fn last_two_years(today: NaiveDate, (month, day): (u32, u32)) -> [i32; 2] {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), month, 28).unwrap_or(today));
    let latest = if today > this_year {
        today.year()
    } else {
        today.year() - 1
    };
    [latest, latest - 1]
}

fn verdict(rule: Rule, ok: bool, key: &'static str, args: Vec<(&'static str, String)>) -> Verdict {
    Verdict {
        rule,
        ok,
        key,
        args,
    }
}

/// RA procedure, part 2: whether a free device may be issued, with the verdict of every rule.
pub fn eligibility(f: &Facts) -> FreeEligibility {
    let mut reasons = Vec::with_capacity(5);
    // RA procedure, part 2: the company must be registered in the Registro Imprese.
    reasons.push(match &f.company {
        Some(_) => verdict(Rule::Registered, true, "dev-free-registered-ok", vec![]),
        None => verdict(Rule::Registered, false, "dev-free-registered-no", vec![]),
    });
    // And active: a ceased company is still in the registry.
    reasons.push(match &f.company {
        Some(c) if c.status == CompanyStatus::Active => {
            verdict(Rule::Active, true, "dev-free-active-ok", vec![])
        }
        Some(_) => verdict(Rule::Active, false, "dev-free-active-ceased", vec![]),
        None => verdict(Rule::Active, false, "dev-free-active-unknown", vec![]),
    });
    // RA procedure, part 2: the annual fee is paid for the last two years.
    let years = last_two_years(f.today, f.fee_deadline);
    let missing: Vec<String> = years
        .iter()
        .filter(|y| !f.company.as_ref().is_some_and(|c| c.paid_years.contains(y)))
        .map(|y| y.to_string())
        .collect();
    let pair = format!("{} {}", years[1], years[0]);
    reasons.push(if missing.is_empty() {
        verdict(
            Rule::AnnualFee,
            true,
            "dev-free-fee-ok",
            vec![("years", pair)],
        )
    } else {
        verdict(
            Rule::AnnualFee,
            false,
            "dev-free-fee-missing",
            vec![("years", pair), ("missing", missing.join(" "))],
        )
    });
    // RA procedure, part 2: no other free device was issued to the same company.
    reasons.push(match f.previous_free {
        None => verdict(Rule::FirstFreeDevice, true, "dev-free-first-ok", vec![]),
        Some(d) => verdict(
            Rule::FirstFreeDevice,
            false,
            "dev-free-first-no",
            vec![("date", crate::display::date(d))],
        ),
    });
    // RA procedure, part 2: only a smart card may be issued free, never a token.
    reasons.push(match f.device {
        DeviceKind::SmartCard => {
            verdict(Rule::SmartCardOnly, true, "dev-free-smart-card-ok", vec![])
        }
        DeviceKind::Token => verdict(Rule::SmartCardOnly, false, "dev-free-token-no", vec![]),
    });
    FreeEligibility {
        eligible: reasons.iter().all(|r| r.ok),
        reasons,
    }
}

/// Parses the chamber's deadline setting (`MM-DD`); 30 June when unreadable.
pub fn parse_deadline(s: &str) -> (u32, u32) {
    s.split_once('-')
        .and_then(|(m, d)| Some((m.trim().parse().ok()?, d.trim().parse().ok()?)))
        .filter(|(m, d): &(u32, u32)| (1..=12).contains(m) && (1..=31).contains(d))
        .unwrap_or((6, 30))
}

/// Gathers the facts for the company with `tax_code` and applies the rules.
pub async fn check(
    db: &Db,
    chamber_id: &str,
    today: NaiveDate,
    tax_code: &TaxCode,
    device: DeviceKind,
) -> Result<FreeEligibility, sqlx::Error> {
    let company = registry::find_company_by_tax_code(db, tax_code).await?;
    let previous: Option<String> =
        sqlx::query_scalar("SELECT granted_on FROM dev_free_grants WHERE company_tax_code = $1")
            .bind(tax_code.as_str())
            .fetch_optional(db.pool())
            .await?;
    let deadline = settings::get(db, chamber_id, Setting::AnnualFeeDeadline).await?;
    Ok(eligibility(&Facts {
        company: company.map(|c| CompanyFacts {
            status: c.status,
            paid_years: c.annual_fee_years,
        }),
        previous_free: previous.as_deref().map(db::parse_date).transpose()?,
        device,
        today,
        fee_deadline: parse_deadline(&deadline),
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("the company is not eligible for a free device")]
    NotEligible(FreeEligibility),
    /// RA procedure, part 2: one free device per company, ever (the unique index says so too).
    #[error("a free device was already issued to this company")]
    AlreadyGranted,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who granted a free device, and where.
pub struct Grant<'a> {
    pub chamber_id: &'a str,
    pub company_tax_code: &'a TaxCode,
    pub device_id: &'a str,
    pub session_id: Option<&'a str>,
    pub operator_id: Option<&'a str>,
    pub today: NaiveDate,
}

/// Records a free device inside `tx`, with the rule set and the verdicts that allowed it.
pub async fn record_grant(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    g: Grant<'_>,
    verdicts: &FreeEligibility,
) -> Result<String, GrantError> {
    if !verdicts.eligible {
        return Err(GrantError::NotEligible(verdicts.clone()));
    }
    let id = db::new_id();
    let reasons = json!(
        verdicts
            .reasons
            .iter()
            .map(|r| json!({"rule": r.rule.as_str(), "ok": r.ok, "key": r.key}))
            .collect::<Vec<_>>()
    );
    sqlx::query(
        "INSERT INTO dev_free_grants (id, chamber_id, company_tax_code, device_id, session_id, \
         operator_id, rule_set, reasons_json, granted_on, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(g.chamber_id)
    .bind(g.company_tax_code.as_str())
    .bind(g.device_id)
    .bind(g.session_id)
    .bind(g.operator_id)
    .bind(RULE_SET)
    .bind(reasons.to_string())
    .bind(db::date(g.today))
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => GrantError::AlreadyGranted,
        None => e.into(),
    })?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(g.chamber_id)),
        Change::new("device.free_grant", "device", Some(g.device_id)).after(json!({
            "company_tax_code": g.company_tax_code.as_str(), "rule_set": RULE_SET,
            "reasons": reasons, "session_id": g.session_id,
        })),
    )
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn good() -> Facts {
        Facts {
            company: Some(CompanyFacts {
                status: CompanyStatus::Active,
                paid_years: vec![2024, 2025, 2026],
            }),
            previous_free: None,
            device: DeviceKind::SmartCard,
            today: d("2026-11-25"),
            fee_deadline: (6, 30),
        }
    }

    fn failing(f: &Facts) -> Vec<&'static str> {
        eligibility(f)
            .reasons
            .iter()
            .filter(|r| !r.ok)
            .map(|r| r.rule.as_str())
            .collect()
    }

    #[test]
    fn a_registered_active_company_with_fees_paid_gets_its_first_smart_card_free() {
        let e = eligibility(&good());
        assert!(e.eligible);
        let rules: Vec<_> = e.reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "registered",
                "active",
                "annual_fee",
                "first_free_device",
                "smart_card_only"
            ]
        );
    }

    #[test]
    fn free_device_requires_a_registered_company() {
        let mut f = good();
        f.company = None;
        assert_eq!(failing(&f), ["registered", "active", "annual_fee"]);
    }

    #[test]
    fn free_device_requires_an_active_company() {
        let mut f = good();
        f.company.as_mut().unwrap().status = CompanyStatus::Ceased;
        assert_eq!(failing(&f), ["active"]);
    }

    #[test]
    fn free_device_requires_the_annual_fee_of_the_last_two_years() {
        let mut f = good();
        f.company.as_mut().unwrap().paid_years = vec![2024, 2026];
        assert_eq!(failing(&f), ["annual_fee"]);
        let e = eligibility(&f);
        assert!(e.reasons[2].args.contains(&("missing", "2025".into())));
    }

    #[test]
    fn the_last_two_years_are_those_whose_deadline_has_passed() {
        assert_eq!(last_two_years(d("2026-11-25"), (6, 30)), [2026, 2025]);
        assert_eq!(
            last_two_years(d("2026-06-30"), (6, 30)),
            [2025, 2024],
            "deadline day not passed"
        );
        assert_eq!(last_two_years(d("2026-07-01"), (6, 30)), [2026, 2025]);
        assert_eq!(last_two_years(d("2026-01-10"), (6, 30)), [2025, 2024]);
        // In spring, 2026 is not due yet: fees of 2024 and 2025 suffice.
        let mut f = good();
        f.today = d("2026-03-01");
        f.company.as_mut().unwrap().paid_years = vec![2024, 2025];
        assert!(eligibility(&f).eligible);
        // A chamber with another deadline (31 March).
        assert_eq!(last_two_years(d("2026-04-01"), (3, 31)), [2026, 2025]);
        assert_eq!(parse_deadline("03-31"), (3, 31));
        assert_eq!(parse_deadline("junk"), (6, 30));
    }

    #[test]
    fn free_device_only_once_per_company() {
        let mut f = good();
        f.previous_free = Some(d("2025-02-03"));
        assert_eq!(failing(&f), ["first_free_device"]);
        assert!(
            eligibility(&f).reasons[3]
                .args
                .contains(&("date", "03/02/2025".into()))
        );
    }

    #[test]
    fn free_device_is_a_smart_card_never_a_token() {
        let mut f = good();
        f.device = DeviceKind::Token;
        assert_eq!(failing(&f), ["smart_card_only"]);
    }

    #[test]
    fn every_failing_rule_is_given_at_once() {
        let f = Facts {
            company: Some(CompanyFacts {
                status: CompanyStatus::Ceased,
                paid_years: vec![],
            }),
            previous_free: Some(d("2024-01-01")),
            device: DeviceKind::Token,
            ..good()
        };
        let e = eligibility(&f);
        assert!(!e.eligible);
        assert_eq!(
            failing(&f),
            [
                "active",
                "annual_fee",
                "first_free_device",
                "smart_card_only"
            ]
        );
        // Any single failing rule is enough to refuse.
        for rule in 0..5 {
            let mut g = good();
            match rule {
                0 => g.company = None,
                1 => g.company.as_mut().unwrap().status = CompanyStatus::Ceased,
                2 => g.company.as_mut().unwrap().paid_years.clear(),
                3 => g.previous_free = Some(d("2024-01-01")),
                _ => g.device = DeviceKind::Token,
            }
            assert!(!eligibility(&g).eligible, "rule {rule}");
        }
    }
}
