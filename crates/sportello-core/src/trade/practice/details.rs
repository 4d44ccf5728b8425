//! The practice's details (Cert'O guide, slides 40 and 44–45): annotations, copies, proforma
//! yes/no and goods location (both mandatory before sending), print mode and, for the legacy
//! pre-printed forms, the form's serial.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::db;
use crate::trade::blank_paper;
use crate::trade::form::{FieldProblem, FormSerial};
use crate::trade::practice::{Practice, PracticeStatus, get};
use crate::trade::practice_type::PrintMode;
use serde::{Deserialize, Serialize};

/// Most extra copies in one practice.
pub const MAX_COPIES: i64 = 50;

/// Details as typed by the company (raw).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    pub annotations: String,
    /// `Some(true)` proforma or shipping invoice, `Some(false)` final invoice, `None` not said.
    pub proforma: Option<bool>,
    pub goods_location: String,
    pub print_mode: String,
    pub form_serial: String,
    pub copies: i64,
    /// The number of the cancelled certificate this one replaces (Cert'O guide, slide 46, 6).
    pub replaces: String,
    /// A duplicate of a lost or stolen certificate named in `replaces`.
    pub duplicate: bool,
}

/// Details checked for shape (whether they are complete enough to send is checked at send).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedDetails {
    pub annotations: String,
    pub proforma: Option<bool>,
    pub goods_location: String,
    pub print_mode: PrintMode,
    pub form_serial: Option<String>,
    pub copies: i64,
    pub replaces: Option<String>,
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DetailsError {
    #[error("some details are not valid")]
    Invalid(Vec<FieldProblem>),
    #[error("the practice can no longer be changed")]
    NotEditable(PracticeStatus),
    #[error("no such practice")]
    NotFound,
    /// The user's scope at the practice's company, or an intermediary's mandate, does not
    /// allow it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(#[from] crate::accounts::company_access::CompanyRefusal),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub fn validate(d: &Details) -> Result<CheckedDetails, DetailsError> {
    let mut problems = Vec::new();
    let print_mode = if d.print_mode.trim().is_empty() {
        PrintMode::BlankPaper
    } else {
        PrintMode::parse(&d.print_mode).unwrap_or_else(|| {
            problems.push(FieldProblem {
                field: "print_mode".into(),
                key: "trade-field-print-mode",
            });
            PrintMode::BlankPaper
        })
    };
    let form_serial = if d.form_serial.trim().is_empty() {
        None
    } else {
        match FormSerial::parse(&d.form_serial) {
            Some(s) => Some(s.as_str().to_string()),
            None => {
                problems.push(FieldProblem {
                    field: "form_serial".into(),
                    key: "trade-field-form-serial",
                });
                None
            }
        }
    };
    let replaces = if d.replaces.trim().is_empty() {
        None
    } else {
        match crate::trade::form::CertificateNumber::parse(&d.replaces) {
            Some(n) => Some(n.as_str().to_string()),
            None => {
                problems.push(FieldProblem {
                    field: "replaces".into(),
                    key: "trade-field-certificate-number",
                });
                None
            }
        }
    };
    if d.duplicate && d.replaces.trim().is_empty() {
        problems.push(FieldProblem {
            field: "replaces".into(),
            key: "trade-field-duplicate-needs-number",
        });
    }
    if !(0..=MAX_COPIES).contains(&d.copies) {
        problems.push(FieldProblem {
            field: "copies".into(),
            key: "trade-field-copies",
        });
    }
    if d.annotations.chars().count() > 2000 {
        problems.push(FieldProblem {
            field: "annotations".into(),
            key: "trade-field-too-long",
        });
    }
    if d.goods_location.chars().count() > 300 {
        problems.push(FieldProblem {
            field: "goods_location".into(),
            key: "trade-field-too-long",
        });
    }
    if !problems.is_empty() {
        return Err(DetailsError::Invalid(problems));
    }
    Ok(CheckedDetails {
        annotations: d.annotations.trim().to_string(),
        proforma: d.proforma,
        goods_location: d.goods_location.trim().to_string(),
        print_mode,
        form_serial,
        copies: d.copies,
        replaces,
        duplicate: d.duplicate,
    })
}

/// Checks the print mode against the company's blank-paper authorisation in the practice's
/// chamber (see [`blank_paper`]): with no mode said, an unauthorised company gets the
/// pre-printed form; blank paper asked by one is refused, naming the field. A practice already
/// sent on blank paper keeps it.
pub async fn check_print_mode(
    db: &crate::db::Db,
    chamber_id: &str,
    company_id: &str,
    sent_on_blank_paper: bool,
    d: &Details,
    c: &mut CheckedDetails,
) -> Result<(), DetailsError> {
    let authorised = blank_paper::authorised(db, chamber_id, company_id).await?;
    if d.print_mode.trim().is_empty() && !authorised && !sent_on_blank_paper {
        c.print_mode = PrintMode::Form;
    }
    match blank_paper::problem(c.print_mode, authorised, sent_on_blank_paper) {
        Some(p) => Err(DetailsError::Invalid(vec![p])),
        None => Ok(()),
    }
}

/// What must hold before sending, beyond the shape: Cert'O guide, slide 44 — proforma yes/no and
/// goods location are mandatory; slide 40 — printing on a form needs the form's serial.
pub fn problems_before_sending(p: &Practice) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if p.proforma.is_none() {
        problems.push(FieldProblem {
            field: "proforma".into(),
            key: "trade-field-proforma",
        });
    }
    if p.goods_location.trim().is_empty() {
        problems.push(FieldProblem {
            field: "goods_location".into(),
            key: "trade-field-goods-location",
        });
    }
    if p.print_mode == PrintMode::Form && p.form_serial.is_none() {
        problems.push(FieldProblem {
            field: "form_serial".into(),
            key: "trade-field-form-serial-required",
        });
    }
    problems
}

/// Saves new details while the company may still change the practice. The status read by
/// the caller is guarded in the SQL: if the practice was sent (or withdrawn…) meanwhile,
/// nothing is written and the answer is `NotEditable` with the status it has now.
pub async fn update(
    state: &Ctx,
    principal: &Principal,
    practice: &Practice,
    d: &Details,
) -> Result<Practice, DetailsError> {
    if !practice.status.editable_by_company() {
        return Err(DetailsError::NotEditable(practice.status));
    }
    crate::trade::practice::require_write(
        &state.db,
        principal,
        practice,
        crate::accounts::CompanyScope::Prepare,
        state.clock.now(),
    )
    .await?;
    let mut c = validate(d)?;
    check_print_mode(
        &state.db,
        &practice.chamber_id,
        &practice.company_id,
        blank_paper::sent_on_blank_paper(practice),
        d,
        &mut c,
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let written = sqlx::query(
        "UPDATE practices SET annotations = $2, proforma = $3, goods_location = $4, print_mode = $5, \
         form_serial = $6, copies = $7, updated_at = $8, replaces_number = $9, duplicate = $10, \
         revision = revision + 1 WHERE id = $1 AND status = $11",
    )
    .bind(&practice.id)
    .bind(&c.annotations)
    .bind(c.proforma.map(i64::from))
    .bind(&c.goods_location)
    .bind(c.print_mode.as_str())
    .bind(&c.form_serial)
    .bind(c.copies)
    .bind(db::instant(now))
    .bind(&c.replaces)
    .bind(i64::from(c.duplicate))
    .bind(practice.status.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if written == 0 {
        tx.rollback().await?;
        return Err(match get(&state.db, &practice.id).await? {
            Some(now) => DetailsError::NotEditable(now.status),
            None => DetailsError::NotFound,
        });
    }
    audit::record(
        &mut tx,
        now,
        &principal.actor().in_chamber(Some(&practice.chamber_id)),
        Change::new("practice.details", "practice", Some(&practice.id)).after(serde_json::json!({
            "proforma": c.proforma, "goods_location": c.goods_location, "print_mode": c.print_mode.as_str(),
            "form_serial": c.form_serial, "copies": c.copies,
        })),
    )
    .await?;
    tx.commit().await?;
    get(&state.db, &practice.id)
        .await?
        .ok_or(DetailsError::NotFound)
}
