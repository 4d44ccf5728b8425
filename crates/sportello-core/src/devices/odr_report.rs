//! RA procedure, part 2: "periodicamente l'ODR deve inviare l'elenco dei dispositivi rilasciati
//! gratuitamente per la verifica da parte della Camera di Commercio della corretta emissione".
//! The ODR reports the devices it issued in a period (a form or a CSV upload); the chamber
//! reconciles the report with the inventory and with what the Certification Authority issued,
//! and lists every mismatch.

use crate::accounts::Principal;
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::chambers::settings::{self, Setting};
use crate::db::{self, Db};
use crate::devices::free;
use crate::devices::kind::{DeviceKind, DeviceSerial};
use crate::registry::TaxCode;
use crate::spreadsheet::{self, Limits, SheetError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// One device the ODR says it issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Line {
    pub line: i64,
    pub serial: String,
    pub issued_on: String,
    pub holder_tax_code: String,
    pub company_tax_code: Option<String>,
    pub free: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Report {
    pub id: String,
    pub operator_id: String,
    pub period_from: String,
    pub period_to: String,
    pub source: String,
    pub submitted_by: String,
    pub submitted_at: String,
    pub reconciled_by: Option<String>,
    pub reconciled_at: Option<String>,
    pub mismatches: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadLine {
    pub line: i64,
    pub key: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the period is not valid")]
    Period,
    #[error(
        "the file is not a CSV with the columns serial, issued_on, holder_tax_code, company_tax_code, free"
    )]
    Header,
    #[error("{} lines are not valid", .0.len())]
    Lines(Vec<BadLine>),
    /// The file is not a CSV within [`REPORT_LIMITS`].
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s.trim(), "%d/%m/%Y"))
        .ok()
}

/// What one report may hold: the devices an ODR issued in a period, five short columns.
pub const REPORT_LIMITS: Limits = Limits {
    rows: 20_001,
    columns: 16,
    cell_bytes: 256,
    file_bytes: 4 * 1024 * 1024,
};

/// Reads report lines: `serial;issued_on;holder_tax_code;company_tax_code;free` with a header,
/// within [`REPORT_LIMITS`].
pub fn parse(text: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<Line>, ReportError> {
    let table = spreadsheet::read_csv(text.as_bytes(), &REPORT_LIMITS)?;
    let Some((headers, records)) = table.split_first() else {
        return Err(ReportError::Header);
    };
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let (Some(cs), Some(cd), Some(ch)) = (
        col(&["serial", "seriale"]),
        col(&["issued_on", "data_rilascio"]),
        col(&["holder_tax_code", "cf_titolare"]),
    ) else {
        return Err(ReportError::Header);
    };
    let cc = col(&["company_tax_code", "cf_impresa"]);
    let cf = col(&["free", "gratuito"]);
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let line = i as i64 + 2;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(|f| f.trim())
                .unwrap_or_default()
                .to_string()
        };
        let Ok(serial) = DeviceSerial::parse(&get(Some(cs))) else {
            bad.push(BadLine {
                line,
                key: "dev-import-bad-serial",
            });
            continue;
        };
        let Some(date) = parse_date(&get(Some(cd))).filter(|d| *d >= from && *d <= to) else {
            bad.push(BadLine {
                line,
                key: "dev-report-bad-date",
            });
            continue;
        };
        let Some(holder) = TaxCode::parse(&get(Some(ch)))
            .ok()
            .filter(TaxCode::is_personal)
        else {
            bad.push(BadLine {
                line,
                key: "dev-report-bad-holder",
            });
            continue;
        };
        let company = get(cc);
        let company = if company.is_empty() {
            None
        } else {
            match TaxCode::parse(&company) {
                Ok(t) => Some(t.as_str().to_string()),
                Err(_) => {
                    bad.push(BadLine {
                        line,
                        key: "dev-report-bad-company",
                    });
                    continue;
                }
            }
        };
        let free = matches!(
            get(cf).to_ascii_lowercase().as_str(),
            "si" | "sì" | "yes" | "1" | "true" | "x"
        );
        if free && company.is_none() {
            bad.push(BadLine {
                line,
                key: "dev-report-free-needs-company",
            });
            continue;
        }
        out.push(Line {
            line,
            serial: serial.to_string(),
            issued_on: db::date(date),
            holder_tax_code: holder.as_str().to_string(),
            company_tax_code: company,
            free: i64::from(free),
        });
    }
    if !bad.is_empty() {
        return Err(ReportError::Lines(bad));
    }
    Ok(out)
}

/// Stores a report of `operator_id` (the ODR) for the period.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    source: &str,
    text: &str,
) -> Result<Report, ReportError> {
    if from > to {
        return Err(ReportError::Period);
    }
    let lines = parse(text, from, to)?;
    let id = db::new_id();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO dev_odr_reports (id, chamber_id, operator_id, period_from, period_to, source, \
         submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(operator_id)
    .bind(db::date(from))
    .bind(db::date(to))
    .bind(source)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    for l in &lines {
        sqlx::query(
            "INSERT INTO dev_odr_report_lines (id, report_id, line, serial, issued_on, \
             holder_tax_code, company_tax_code, free) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(db::new_id())
        .bind(&id)
        .bind(l.line)
        .bind(&l.serial)
        .bind(&l.issued_on)
        .bind(&l.holder_tax_code)
        .bind(&l.company_tax_code)
        .bind(l.free)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.odr_report.submit", "odr_report", Some(&id)).after(json!({
            "operator_id": operator_id, "from": db::date(from), "to": db::date(to),
            "lines": lines.len(), "source": source,
        })),
    )
    .await?;
    tx.commit().await?;
    get(db, chamber_id, &id)
        .await?
        .ok_or(ReportError::Db(sqlx::Error::RowNotFound))
}

/// The report `id` if the caller may see it: it is of their chamber and of an ODR whose
/// account they may see (see [`visible_odr`](crate::devices::odr_account::visible_odr)).
pub async fn visible(db: &Db, p: &Principal, id: &str) -> Result<Report, AccessError> {
    let r = get(db, chamber_of(p)?, id)
        .await?
        .ok_or(AccessError::NotFound)?;
    crate::devices::odr_account::visible_odr(db, p, &r.operator_id).await?;
    Ok(r)
}

pub async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Report>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, operator_id, period_from, period_to, source, submitted_by, submitted_at, \
         reconciled_by, reconciled_at, mismatches FROM dev_odr_reports WHERE id = $1 AND chamber_id = $2",
    )
    .bind(id)
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await
}

/// Reports of the chamber (or of one ODR), newest first.
pub async fn list(
    db: &Db,
    chamber_id: &str,
    operator_id: Option<&str>,
) -> Result<Vec<Report>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, operator_id, period_from, period_to, source, submitted_by, submitted_at, \
         reconciled_by, reconciled_at, mismatches FROM dev_odr_reports WHERE chamber_id = $1 \
         AND ($2 = '' OR operator_id = $2) ORDER BY submitted_at DESC LIMIT 100",
    )
    .bind(chamber_id)
    .bind(operator_id.unwrap_or_default())
    .fetch_all(db.pool())
    .await
}

pub async fn lines(db: &Db, report_id: &str) -> Result<Vec<Line>, sqlx::Error> {
    sqlx::query_as(
        "SELECT line, serial, issued_on, holder_tax_code, company_tax_code, free \
         FROM dev_odr_report_lines WHERE report_id = $1 ORDER BY line",
    )
    .bind(report_id)
    .fetch_all(db.pool())
    .await
}

/// A difference between the report, the inventory and the CA's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub serial: String,
    /// `unknown_serial`, `not_consigned_to_odr`, `not_issued_in_inventory`, `not_reported`,
    /// `ca_no_certificate`, `ca_holder_differs`, `free_not_allowance`, `free_without_grant`,
    /// and `free_rule_<rule>` for a free device that breaks a rule of [`free::eligibility`].
    pub code: &'static str,
}

impl Mismatch {
    pub fn key(&self) -> String {
        format!("dev-mismatch-{}", self.code.replace('_', "-"))
    }
}

/// Compares the report with the inventory and the CA's certificates.
pub async fn reconcile(
    db: &Db,
    chamber_id: &str,
    report: &Report,
) -> Result<Vec<Mismatch>, sqlx::Error> {
    let reported = lines(db, &report.id).await?;
    let odr = &report.operator_id;
    // Inventory: devices the ODR issued (from its consignment) in the period.
    let issued: Vec<(String,)> = sqlx::query_as(
        "SELECT d.serial FROM dev_moves m JOIN dev_devices d ON d.id = m.device_id \
         WHERE d.chamber_id = $1 AND m.move = 'issue' AND m.from_holder = $2 \
         AND m.at >= $3 AND m.at < $4",
    )
    .bind(chamber_id)
    .bind(odr)
    .bind(format!("{}T00:00:00", report.period_from))
    .bind(format!("{}T24:00:00", report.period_to))
    .fetch_all(db.pool())
    .await?;
    let issued: BTreeSet<String> = issued.into_iter().map(|(s,)| s).collect();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut free_companies = BTreeSet::new();
    for l in &reported {
        seen.insert(l.serial.clone());
        let mm = |code| Mismatch {
            serial: l.serial.clone(),
            code,
        };
        let device: Option<(String, String, String, i64, String)> = sqlx::query_as(
            "SELECT id, state, COALESCE(holder_operator_id, ''), free_allowance, kind \
             FROM dev_devices WHERE chamber_id = $1 AND serial = $2",
        )
        .bind(chamber_id)
        .bind(&l.serial)
        .fetch_optional(db.pool())
        .await?;
        let Some((device_id, state, holder, free_allowance, kind)) = device else {
            out.push(mm("unknown_serial"));
            continue;
        };
        let consigned: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dev_moves WHERE device_id = $1 AND move = 'consign' AND to_holder = $2",
        )
        .bind(&device_id)
        .bind(odr)
        .fetch_one(db.pool())
        .await?;
        if consigned == 0 {
            out.push(mm("not_consigned_to_odr"));
        } else if state == "consigned_to_odr" && holder == *odr {
            out.push(mm("not_issued_in_inventory"));
        }
        let certs: Vec<(String,)> = sqlx::query_as(
            "SELECT holder_tax_code FROM iss_certificates WHERE chamber_id = $1 AND device_serial = $2 \
             AND revoked_at IS NULL",
        )
        .bind(chamber_id)
        .bind(&l.serial)
        .fetch_all(db.pool())
        .await?;
        if certs.is_empty() {
            out.push(mm("ca_no_certificate"));
        } else if certs.iter().any(|(h,)| *h != l.holder_tax_code) {
            out.push(mm("ca_holder_differs"));
        }
        if l.free != 0 {
            if free_allowance == 0 {
                out.push(mm("free_not_allowance"));
            }
            let grant: Option<String> = sqlx::query_scalar(
                "SELECT device_id FROM dev_free_grants WHERE company_tax_code = $1",
            )
            .bind(l.company_tax_code.as_deref().unwrap_or_default())
            .fetch_optional(db.pool())
            .await?;
            if grant.as_deref() != Some(device_id.as_str()) {
                out.push(mm("free_without_grant"));
            }
            let company = l.company_tax_code.clone().unwrap_or_default();
            let twice = !free_companies.insert(company.clone());
            for rule in free_rules_broken(db, chamber_id, l, &device_id, &kind, twice).await? {
                out.push(mm(rule));
            }
        }
    }
    for s in issued.difference(&seen) {
        out.push(Mismatch {
            serial: s.clone(),
            code: "not_reported",
        });
    }
    Ok(out)
}

/// RA procedure, part 2: the free devices on the ODR's list are checked "per la verifica … della
/// corretta emissione" against the same rules as at the desk, as of the day each was issued:
/// the company registered and active, its annual fee paid for the years due, no other free
/// device to it (before, at any desk, or on another line of the list), a smart card. Returns
/// the mismatch code of every broken rule.
async fn free_rules_broken(
    db: &Db,
    chamber_id: &str,
    l: &Line,
    device_id: &str,
    kind: &str,
    listed_twice: bool,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let Some(tax_code) = l
        .company_tax_code
        .as_deref()
        .and_then(|c| TaxCode::parse(c).ok())
    else {
        return Ok(vec!["free_rule_registered"]);
    };
    let issued_on = db::parse_date(&l.issued_on)?;
    let company = crate::registry::find_company_by_tax_code(db, &tax_code).await?;
    let other_grant: Option<String> = sqlx::query_scalar(
        "SELECT granted_on FROM dev_free_grants WHERE company_tax_code = $1 AND device_id <> $2",
    )
    .bind(tax_code.as_str())
    .bind(device_id)
    .fetch_optional(db.pool())
    .await?;
    let previous_free = match other_grant {
        Some(d) => Some(db::parse_date(&d)?),
        None if listed_twice => Some(issued_on),
        None => None,
    };
    let deadline = settings::get(db, chamber_id, Setting::AnnualFeeDeadline).await?;
    let facts = free::Facts {
        company: company.map(|c| free::CompanyFacts {
            status: c.status,
            paid_years: c.annual_fee_years,
            registered_on: c.registered_on,
        }),
        previous_free,
        device: DeviceKind::parse(kind).unwrap_or(DeviceKind::SmartCard),
        today: issued_on,
        fee_deadline: free::parse_deadline(&deadline),
    };
    Ok(free::eligibility(&facts)
        .reasons
        .iter()
        .filter(|r| !r.ok)
        .map(|r| match r.rule {
            free::Rule::Registered => "free_rule_registered",
            free::Rule::Active => "free_rule_active",
            free::Rule::AnnualFee => "free_rule_annual_fee",
            free::Rule::FirstFreeDevice => "free_rule_first_free_device",
            free::Rule::SmartCardOnly => "free_rule_smart_card_only",
        })
        .collect())
}

/// The chamber marks a report as checked, recording how many mismatches it had.
pub async fn mark_reconciled(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    report: &Report,
    mismatches: &[Mismatch],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE dev_odr_reports SET reconciled_by = $2, reconciled_at = $3, mismatches = $4 WHERE id = $1",
    )
    .bind(&report.id)
    .bind(&actor.label)
    .bind(db::instant(now))
    .bind(mismatches.len() as i64)
    .execute(&mut *tx)
    .await?;
    let by_code: BTreeMap<&str, usize> = mismatches.iter().fold(BTreeMap::new(), |mut m, x| {
        *m.entry(x.code).or_default() += 1;
        m
    });
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new(
            "device.odr_report.reconcile",
            "odr_report",
            Some(&report.id),
        )
        .after(json!({"mismatches": mismatches.len(), "by_code": by_code})),
    )
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_are_checked_one_by_one() {
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let ok = parse(
            "serial;issued_on;holder_tax_code;company_tax_code;free\n7420000000000001;2026-11-10;RSSMRA80A01H501U;01879020517;si\n",
            from,
            to,
        )
        .unwrap();
        assert_eq!(ok[0].free, 1);
        let Err(ReportError::Lines(bad)) = parse(
            "serial;issued_on;holder_tax_code;company_tax_code;free\n7420000000000001;2026-10-10;RSSMRA80A01H501U;;no\n7420000000000002;2026-11-10;01879020517;;no\n7420000000000003;10/11/2026;RSSMRA80A01H501U;;si\n",
            from,
            to,
        ) else {
            panic!("accepted");
        };
        let keys: Vec<_> = bad.iter().map(|b| b.key).collect();
        assert_eq!(
            keys,
            [
                "dev-report-bad-date",
                "dev-report-bad-holder",
                "dev-report-free-needs-company"
            ]
        );
    }
}
