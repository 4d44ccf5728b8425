//! Blank-paper authorisations: which companies a chamber lets print their certificates on
//! blank paper (Cert'O guide, slide 45: "stampa su formulario o su foglio in bianco (per
//! imprese autorizzate)"). A chamber administrator authorises a company with the date and
//! reference of the chamber's decision, and may withdraw it; both are audited. Every other
//! company prints on the pre-printed form.
//!
//! The rule is checked when a draft's details are saved and when a draft is sent; a practice
//! already sent keeps the print mode it was sent with (a withdrawal does not reach it).

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::authz::{self, AccessError, Action};
use crate::db::{self, Db};
use crate::registry::{self, TaxCode};
use crate::trade::form::FieldProblem;
use crate::trade::practice::Practice;
use crate::trade::practice_type::PrintMode;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

/// Longest reference (the chamber's decision: protocol number, resolution…).
pub const MAX_REFERENCE: usize = 200;

/// An authorisation in force, as listed to the chamber administrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Authorisation {
    pub id: String,
    pub company_id: String,
    pub company_tax_code: String,
    pub company_name: String,
    pub reference: String,
    /// The date of the chamber's decision, `YYYY-MM-DD`.
    pub authorised_on: String,
    pub created_at: String,
}

/// An authorisation to record, as typed.
#[derive(Clone, Debug, Default)]
pub struct NewAuthorisation {
    pub tax_code: String,
    pub reference: String,
    /// `YYYY-MM-DD` or `DD/MM/YYYY`; empty means today.
    pub authorised_on: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BlankPaperError {
    #[error("some fields are not valid")]
    Invalid(Vec<FieldProblem>),
    #[error("the company is already authorised")]
    AlreadyAuthorised,
    #[error("no such authorisation")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<AccessError> for BlankPaperError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Db(e) => BlankPaperError::Db(e),
            AccessError::NotFound => BlankPaperError::NotFound,
            AccessError::Forbidden => BlankPaperError::Forbidden,
        }
    }
}

/// Cert'O guide, slide 45: printing on blank paper is "per imprese autorizzate". A practice may
/// print on the pre-printed form always; on blank paper when its company is authorised by the
/// practice's chamber, or when it was already sent on blank paper (a later withdrawal does not
/// reach a practice the office has).
pub fn print_mode_allowed(mode: PrintMode, authorised: bool, sent_on_blank_paper: bool) -> bool {
    match mode {
        PrintMode::Form => true,
        PrintMode::BlankPaper => authorised || sent_on_blank_paper,
    }
}

/// Whether the practice went to the office already printing on blank paper.
pub fn sent_on_blank_paper(practice: &Practice) -> bool {
    practice.protocol_number.is_some() && practice.print_mode == PrintMode::BlankPaper
}

/// The problem to show when `mode` is not allowed for the practice, named by its field.
pub fn problem(
    mode: PrintMode,
    authorised: bool,
    sent_on_blank_paper: bool,
) -> Option<FieldProblem> {
    (!print_mode_allowed(mode, authorised, sent_on_blank_paper)).then(|| FieldProblem {
        field: "print_mode".into(),
        key: "trade-field-print-mode-not-authorised",
    })
}

/// Whether the company is authorised for blank-paper printing by the chamber today.
pub async fn authorised(db: &Db, chamber_id: &str, company_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM blank_paper_authorisations WHERE chamber_id = $1 AND company_id = $2 \
         AND withdrawn_at IS NULL",
    )
    .bind(chamber_id)
    .bind(company_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Whether any of the companies is authorised by any chamber (the upload page offers blank
/// paper then; the use case checks the practice's own chamber and company).
pub async fn any_authorised(db: &Db, company_ids: &[String]) -> Result<bool, sqlx::Error> {
    for company_id in company_ids {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM blank_paper_authorisations WHERE company_id = $1 AND withdrawn_at IS NULL",
        )
        .bind(company_id)
        .fetch_one(db.pool())
        .await?;
        if n > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The authorisations in force in the administrator's chamber, by company name.
pub async fn list(ctx: &Ctx, principal: &Principal) -> Result<Vec<Authorisation>, BlankPaperError> {
    let chamber_id = chamber_admin_of(principal)?;
    Ok(in_force(&ctx.db, chamber_id).await?)
}

async fn in_force(db: &Db, chamber_id: &str) -> Result<Vec<Authorisation>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id, a.company_id, c.tax_code AS company_tax_code, c.name AS company_name, a.reference, \
         a.authorised_on, a.created_at FROM blank_paper_authorisations a JOIN companies c ON c.id = a.company_id \
         WHERE a.chamber_id = $1 AND a.withdrawn_at IS NULL ORDER BY c.name, a.id",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await
}

/// Only a chamber administrator, and only for their own chamber.
fn chamber_admin_of(principal: &Principal) -> Result<&str, BlankPaperError> {
    if !authz::allows(principal.role(), Action::AuthoriseBlankPaper) {
        return Err(BlankPaperError::Forbidden);
    }
    Ok(authz::chamber_of(principal)?)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// Authorises a company of the Registry for blank-paper printing in the administrator's chamber.
pub async fn authorise(
    ctx: &Ctx,
    principal: &Principal,
    new: &NewAuthorisation,
) -> Result<Authorisation, BlankPaperError> {
    let chamber_id = chamber_admin_of(principal)?.to_string();
    let mut problems = Vec::new();
    let company = match TaxCode::parse(&new.tax_code) {
        Ok(tax_code) => registry::find_company_by_tax_code(&ctx.db, &tax_code).await?,
        Err(_) => None,
    };
    if company.is_none() {
        problems.push(FieldProblem {
            field: "tax_code".into(),
            key: "trade-blank-paper-unknown-company",
        });
    }
    let reference = new.reference.trim();
    if reference.is_empty() {
        problems.push(FieldProblem {
            field: "reference".into(),
            key: "trade-field-required",
        });
    } else if reference.chars().count() > MAX_REFERENCE {
        problems.push(FieldProblem {
            field: "reference".into(),
            key: "trade-field-too-long",
        });
    }
    let today = ctx.clock.today();
    let date = if new.authorised_on.trim().is_empty() {
        Some(today)
    } else {
        parse_date(&new.authorised_on).filter(|d| *d <= today)
    };
    if date.is_none() {
        problems.push(FieldProblem {
            field: "authorised_on".into(),
            key: "trade-blank-paper-date",
        });
    }
    let (Some(company), Some(date), true) = (company, date, problems.is_empty()) else {
        return Err(BlankPaperError::Invalid(problems));
    };
    let now = ctx.clock.now();
    let id = db::new_id();
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO blank_paper_authorisations (id, chamber_id, company_id, reference, authorised_on, \
         authorised_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&chamber_id)
    .bind(&company.id)
    .bind(reference)
    .bind(db::date(date))
    .bind(&principal.user.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => BlankPaperError::AlreadyAuthorised,
        None => e.into(),
    })?;
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&chamber_id)),
        Change::new("blank_paper.authorise", "company", Some(&company.id)).after(json!({
            "authorisation": id, "tax_code": company.tax_code.as_str(), "reference": reference,
            "authorised_on": db::date(date),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Authorisation {
        id,
        company_id: company.id,
        company_tax_code: company.tax_code.as_str().to_string(),
        company_name: company.name,
        reference: reference.to_string(),
        authorised_on: db::date(date),
        created_at: db::instant(now),
    })
}

/// Withdraws an authorisation in force in the administrator's chamber. Drafts of the company
/// printing on blank paper can no longer be sent so; practices already sent are unaffected.
pub async fn withdraw(
    ctx: &Ctx,
    principal: &Principal,
    id: &str,
) -> Result<Authorisation, BlankPaperError> {
    let chamber_id = chamber_admin_of(principal)?.to_string();
    let found = in_force(&ctx.db, &chamber_id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(BlankPaperError::NotFound)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let n = sqlx::query(
        "UPDATE blank_paper_authorisations SET withdrawn_at = $3, withdrawn_by = $4 \
         WHERE id = $1 AND chamber_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(id)
    .bind(&chamber_id)
    .bind(db::instant(now))
    .bind(&principal.user.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        tx.rollback().await?;
        return Err(BlankPaperError::NotFound);
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&chamber_id)),
        Change::new("blank_paper.withdraw", "company", Some(&found.company_id))
            .before(json!({"authorisation": id, "reference": found.reference, "authorised_on": found.authorised_on}))
            .after(json!({"withdrawn": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// Records an authorisation without a principal (the demo seed, the command line).
pub async fn authorise_as_system(
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
    actor: &audit::Actor,
    chamber_id: &str,
    company_id: &str,
    reference: &str,
) -> Result<(), sqlx::Error> {
    if authorised(db, chamber_id, company_id).await? {
        return Ok(());
    }
    let id = db::new_id();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO blank_paper_authorisations (id, chamber_id, company_id, reference, authorised_on, \
         authorised_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(company_id)
    .bind(reference)
    .bind(db::date(crate::clock::italian_day(now)))
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("blank_paper.authorise", "company", Some(company_id))
            .after(json!({"authorisation": id, "reference": reference})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_paper_printing_is_for_authorised_companies_only() {
        assert!(print_mode_allowed(PrintMode::Form, false, false));
        assert!(print_mode_allowed(PrintMode::BlankPaper, true, false));
        assert!(!print_mode_allowed(PrintMode::BlankPaper, false, false));
        let p = problem(PrintMode::BlankPaper, false, false).map(|p| p.field);
        assert_eq!(p.as_deref(), Some("print_mode"));
    }

    #[test]
    fn a_practice_sent_on_blank_paper_keeps_its_print_mode_after_a_withdrawal() {
        assert!(print_mode_allowed(PrintMode::BlankPaper, false, true));
    }
}
