//! Free smart cards (RA procedure, part 2, "gestione rilascio allo sportello di dispositivi
//! gratuiti"): a pure function that answers yes or no with every reason, the facts it reads,
//! and the record of a free device granted (with the rule set that allowed it).
//!
//! RA procedure, part 2 lists the requirements: the company is registered; its annual fee is paid
//! for the last two years; no free device was issued to it before; only a smart card, never a
//! token. We add that the company must be active (a ceased company is still in the Registry),
//! and read "the last two years" as the two most recent years whose fee had fallen due,
//! counting only years in which the company was registered (see [`fee_years_due`]): a sole
//! trader registered this year, the very company a full-service ODR serves "dall'iscrizione
//! dell'impresa individuale al rilascio delle smart card", owes no past years.

use crate::audit::{self, Actor, Change};
use crate::chambers::settings::{self, Setting};
use crate::db::{self, Db, Tx};
use crate::devices::kind::DeviceKind;
use crate::registry::{self, CompanyStatus, TaxCode};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

/// The name of the rules below, recorded with every free device granted.
pub const RULE_SET: &str = "seed-004-part-2/v2";

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
    /// The years of annual fee due and paid, as the annual-fee rule read them.
    pub annual_fee: FeeStanding,
}

/// What the registry says of the company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyFacts {
    pub status: CompanyStatus,
    pub paid_years: Vec<i32>,
    /// The registration date (`data_iscrizione`), when the Registry extract carried it.
    pub registered_on: Option<NaiveDate>,
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

/// The days a newly registered company has to pay its first annual fee: the fee of the
/// registration year falls due 30 days after the registration (annual-fee rules for new
/// registrations), not on the chamber's yearly deadline.
pub const NEW_COMPANY_FEE_DAYS: i64 = 30;

/// The chamber's yearly deadline in `year` (29 February falls back to the 28th).
fn deadline_in(year: i32, (month, day): (u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
}

/// RA procedure, part 2 ("in regola con il pagamento del diritto annuale"): the day the annual
/// fee of `year` falls due for a company registered on `registered_on`. `None` when the company
/// was not registered in that year, so no fee was due. The fee of the registration year falls
/// due [`NEW_COMPANY_FEE_DAYS`] after the registration; the later ones on the chamber's yearly
/// deadline. A company without a registration date (older Registry files) is taken as
/// registered before every year looked at.
pub fn fee_due_on(
    year: i32,
    registered_on: Option<NaiveDate>,
    deadline: (u32, u32),
) -> Option<NaiveDate> {
    match registered_on {
        Some(r) if r.year() > year => None,
        Some(r) if r.year() == year => Some(r + chrono::Duration::days(NEW_COMPANY_FEE_DAYS)),
        _ => deadline_in(year, deadline),
    }
}

/// RA procedure, part 2: "the last two years" of "in regola con il pagamento del diritto
/// annuale negli ultimi due anni" are the (at most) two most recent years whose fee had fallen
/// due by `today` (the due day itself has not passed yet), counting only years in which the
/// company was registered. Most recent first: none for a company registered less than
/// [`NEW_COMPANY_FEE_DAYS`] ago, one for a company whose second fee is not due yet.
pub fn fee_years_due(
    today: NaiveDate,
    registered_on: Option<NaiveDate>,
    deadline: (u32, u32),
) -> Vec<i32> {
    (today.year() - 2..=today.year())
        .rev()
        .filter(|y| fee_due_on(*y, registered_on, deadline).is_some_and(|due| today > due))
        .take(2)
        .collect()
}

/// One year of the annual-fee check, for the explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeYear {
    pub year: i32,
    /// When the fee of this year falls due; `None` when the company was not registered yet.
    pub due_on: Option<NaiveDate>,
    /// Whether the year is one of the last two whose fee was due (the years the rule counts).
    pub counted: bool,
    pub paid: bool,
}

/// The annual-fee standing the rule read: which years were due and which were paid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FeeStanding {
    /// The registration date from the Registry, when the extract carried it.
    pub registered_on: Option<NaiveDate>,
    /// The years the rule counts (at most two), ascending.
    pub years_due: Vec<i32>,
    /// Of those, the years paid, ascending.
    pub years_paid: Vec<i32>,
    /// Of those, the years not paid, ascending.
    pub years_missing: Vec<i32>,
    /// When no year is due yet: the day the first fee falls due.
    pub first_due_on: Option<NaiveDate>,
    /// The current year and the two before, oldest first, as the rule saw them.
    pub years: Vec<FeeYear>,
}

/// The annual-fee standing of a company on `today` (see [`fee_years_due`]).
pub fn fee_standing(
    today: NaiveDate,
    registered_on: Option<NaiveDate>,
    paid_years: &[i32],
    deadline: (u32, u32),
) -> FeeStanding {
    let mut years_due = fee_years_due(today, registered_on, deadline);
    years_due.reverse();
    let (years_paid, years_missing): (Vec<i32>, Vec<i32>) = years_due
        .iter()
        .copied()
        .partition(|y| paid_years.contains(y));
    let first_due_on = if years_due.is_empty() {
        (today.year()..=today.year() + 1)
            .filter_map(|y| fee_due_on(y, registered_on, deadline))
            .find(|due| *due >= today)
    } else {
        None
    };
    let years = (today.year() - 2..=today.year())
        .map(|year| FeeYear {
            year,
            due_on: fee_due_on(year, registered_on, deadline),
            counted: years_due.contains(&year),
            paid: paid_years.contains(&year),
        })
        .collect();
    FeeStanding {
        registered_on,
        years_due,
        years_paid,
        years_missing,
        first_due_on,
        years,
    }
}

fn year_list(years: &[i32]) -> String {
    if years.is_empty() {
        "—".to_string()
    } else {
        years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
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
    // RA procedure, part 2: the annual fee is paid for the last two years in which it was due.
    let fee = fee_standing(
        f.today,
        f.company.as_ref().and_then(|c| c.registered_on),
        f.company
            .as_ref()
            .map(|c| c.paid_years.as_slice())
            .unwrap_or_default(),
        f.fee_deadline,
    );
    reasons.push(fee_verdict(&fee));
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
        annual_fee: fee,
    }
}

/// The annual-fee verdict, naming the years due and paid; when fewer than two years were due
/// because the company is recent, it says since when it is registered.
fn fee_verdict(fee: &FeeStanding) -> Verdict {
    let registered = fee.registered_on.map(crate::display::date);
    if fee.years_due.is_empty() {
        let mut args = vec![("registered", registered.unwrap_or_default())];
        args.push((
            "first_due",
            fee.first_due_on
                .map(crate::display::date)
                .unwrap_or_default(),
        ));
        return verdict(Rule::AnnualFee, true, "dev-free-fee-none-due", args);
    }
    let recent = registered.filter(|_| fee.years_due.len() < 2);
    let mut args = vec![("years", year_list(&fee.years_due))];
    let ok = fee.years_missing.is_empty();
    let key = match (ok, recent.is_some()) {
        (true, false) => "dev-free-fee-ok",
        (true, true) => "dev-free-fee-ok-since",
        (false, false) => "dev-free-fee-missing",
        (false, true) => "dev-free-fee-missing-since",
    };
    if !ok {
        args.push(("paid", year_list(&fee.years_paid)));
        args.push(("missing", year_list(&fee.years_missing)));
    }
    if let Some(r) = recent {
        args.push(("registered", r));
    }
    verdict(Rule::AnnualFee, ok, key, args)
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
            registered_on: c.registered_on,
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
                registered_on: Some(d("2010-03-15")),
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
        assert!(e.reasons[2].args.contains(&("paid", "2026".into())));
    }

    fn due(today: &str, registered: Option<&str>) -> Vec<i32> {
        fee_years_due(d(today), registered.map(d), (6, 30))
    }

    #[test]
    fn the_last_two_years_are_those_whose_deadline_has_passed() {
        assert_eq!(due("2026-11-25", None), [2026, 2025]);
        assert_eq!(
            due("2026-06-30", None),
            [2025, 2024],
            "deadline day not passed"
        );
        assert_eq!(due("2026-07-01", None), [2026, 2025]);
        assert_eq!(due("2026-01-10", None), [2025, 2024]);
        // In spring, 2026 is not due yet: fees of 2024 and 2025 suffice.
        let mut f = good();
        f.today = d("2026-03-01");
        f.company.as_mut().unwrap().paid_years = vec![2024, 2025];
        assert!(eligibility(&f).eligible);
        // A chamber with another deadline (31 March).
        assert_eq!(fee_years_due(d("2026-04-01"), None, (3, 31)), [2026, 2025]);
        assert_eq!(parse_deadline("03-31"), (3, 31));
        assert_eq!(parse_deadline("junk"), (6, 30));
    }

    /// RA procedure, part 2: "negli ultimi due anni" counts only years in which the company was
    /// registered and its fee was due. Registered this year, less than 30 days ago: nothing due.
    #[test]
    fn annual_fee_rule_a_company_registered_this_year_owes_no_past_years() {
        assert_eq!(due("2026-11-25", Some("2026-11-10")), Vec::<i32>::new());
        let mut f = good();
        let c = f.company.as_mut().unwrap();
        c.registered_on = Some(d("2026-11-10"));
        c.paid_years = vec![];
        let e = eligibility(&f);
        assert!(e.eligible, "{e:?}");
        assert_eq!(e.reasons[2].key, "dev-free-fee-none-due");
        assert!(
            e.reasons[2]
                .args
                .contains(&("first_due", "10/12/2026".into()))
        );
        assert_eq!(e.annual_fee.first_due_on, Some(d("2026-12-10")));
        // Registered in spring: this year's fee fell due 30 days later, and is the only one.
        assert_eq!(due("2026-11-25", Some("2026-04-02")), [2026]);
        let mut f = good();
        let c = f.company.as_mut().unwrap();
        c.registered_on = Some(d("2026-04-02"));
        c.paid_years = vec![];
        let e = eligibility(&f);
        assert!(!e.eligible);
        assert_eq!(e.reasons[2].key, "dev-free-fee-missing-since");
        assert_eq!(e.annual_fee.years_due, [2026]);
        assert_eq!(e.annual_fee.years_missing, [2026]);
        f.company.as_mut().unwrap().paid_years = vec![2026];
        let e = eligibility(&f);
        assert!(e.eligible);
        assert_eq!(e.reasons[2].key, "dev-free-fee-ok-since");
        assert!(
            e.reasons[2]
                .args
                .contains(&("registered", "02/04/2026".into()))
        );
    }

    /// RA procedure, part 2: a company registered last year owes last year's fee (due 30 days
    /// after registering) and this year's once the deadline has passed; never the year before.
    #[test]
    fn annual_fee_rule_a_company_registered_last_year_owes_only_its_years() {
        // Spring: this year's deadline has not passed; only last year is due.
        assert_eq!(due("2026-03-01", Some("2025-05-10")), [2025]);
        let mut f = good();
        f.today = d("2026-03-01");
        let c = f.company.as_mut().unwrap();
        c.registered_on = Some(d("2025-05-10"));
        c.paid_years = vec![2025];
        let e = eligibility(&f);
        assert!(e.eligible, "{e:?}");
        assert_eq!(e.annual_fee.years_due, [2025]);
        assert_eq!(e.annual_fee.years_paid, [2025]);
        let y2024 = e.annual_fee.years.iter().find(|y| y.year == 2024).unwrap();
        assert_eq!(y2024.due_on, None, "not registered in 2024");
        // Autumn: both years are due, and both must be paid.
        assert_eq!(due("2026-11-25", Some("2025-05-10")), [2026, 2025]);
        f.today = d("2026-11-25");
        let e = eligibility(&f);
        assert!(!e.eligible);
        assert_eq!(e.reasons[2].key, "dev-free-fee-missing");
        assert_eq!(e.annual_fee.years_missing, [2026]);
        // Registered late in December: its first fee is due in January.
        assert_eq!(due("2026-01-10", Some("2025-12-20")), Vec::<i32>::new());
        assert_eq!(due("2026-01-20", Some("2025-12-20")), [2025]);
    }

    /// RA procedure, part 2: a company registered long ago owes both of the last two years.
    #[test]
    fn annual_fee_rule_a_company_registered_long_ago_owes_both_last_years() {
        assert_eq!(due("2026-11-25", Some("1998-01-01")), [2026, 2025]);
        let mut f = good();
        f.company.as_mut().unwrap().paid_years = vec![2025];
        let e = eligibility(&f);
        assert!(!e.eligible);
        assert_eq!(e.reasons[2].key, "dev-free-fee-missing");
        assert_eq!(e.annual_fee.years_due, [2025, 2026]);
        assert_eq!(e.annual_fee.years_paid, [2025]);
        assert_eq!(e.annual_fee.years_missing, [2026]);
        assert!(e.reasons[2].args.contains(&("years", "2025, 2026".into())));
        // Without a registration date (an older extract), the same two years.
        f.company.as_mut().unwrap().registered_on = None;
        assert_eq!(eligibility(&f).annual_fee.years_due, [2025, 2026]);
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
                registered_on: None,
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
