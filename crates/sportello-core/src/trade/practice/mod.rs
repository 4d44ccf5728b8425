//! Practices (pratiche): a signed base model sent to a chamber's desk with its attachments,
//! details and fee. One file per use case: `create` (upload of the signed model),
//! `attachments`, `details`, `send`, `lists`, `signed_model` (its history, and its replacement
//! during a `rectification`), `draft_deletion`; `next_step` says what the company does next.

pub mod attachments;
pub mod create;
pub mod destination;
pub mod details;
pub mod draft_deletion;
pub mod lists;
pub mod next_step;
pub mod rectification;
pub mod send;
pub mod signed_model;
pub mod signer_checks;
pub mod status;

pub use status::{PracticeAction, PracticeStatus, TransitionError};

use crate::accounts::company_access::{self, CompanyRefusal, Target};
use crate::accounts::{CompanyScope, Principal};
use crate::audit::Actor;
use crate::authz::{self, AccessError, Action};
use crate::db::{self, Db, Tx};
use crate::trade::form::FormInput;
use crate::trade::practice_type::{PracticeType, PrintMode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The verification of the signed model, as kept with the practice and shown to officers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSummary {
    pub valid: bool,
    pub layers: usize,
    pub signers: Vec<SignerSummary>,
    pub verified_at: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerSummary {
    pub subject: String,
    pub tax_code: Option<String>,
    pub issuer: String,
    pub serial: String,
    pub signing_time: Option<String>,
    pub not_after: String,
    pub valid: bool,
}

impl SignerSummary {
    /// The signer as people read it (see [`crate::display::signer`]).
    pub fn for_people(&self, lang: crate::i18n::Lang) -> String {
        crate::display::signer(
            lang,
            &self.subject,
            self.tax_code.as_deref(),
            &self.issuer,
            Some(self.valid),
        )
    }
}

impl SignatureSummary {
    pub fn from_report(report: &firma::Report, verified_at: DateTime<Utc>) -> Self {
        Self {
            valid: report.valid,
            layers: report.layers,
            signers: report
                .signers
                .iter()
                .map(|s| SignerSummary {
                    subject: s.subject.clone(),
                    tax_code: s.tax_code.clone(),
                    issuer: s.issuer.clone(),
                    serial: s.serial.clone(),
                    signing_time: s.signing_time.clone(),
                    not_after: s.not_after.clone(),
                    valid: s.valid,
                })
                .collect(),
            verified_at: db::instant(verified_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Practice {
    pub id: String,
    pub chamber_id: String,
    pub desk_id: String,
    pub company_id: String,
    pub site_id: String,
    pub model_id: String,
    pub model_version: i64,
    pub practice_type: PracticeType,
    pub status: PracticeStatus,
    pub consignee_name: Option<String>,
    pub annotations: String,
    pub proforma: Option<bool>,
    pub goods_location: String,
    pub print_mode: PrintMode,
    pub form_serial: Option<String>,
    pub copies: i64,
    pub signed_blob: String,
    pub signed_file_name: String,
    pub signature: SignatureSummary,
    pub fee_cents: Option<i64>,
    pub protocol_number: Option<String>,
    pub sent_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// The officer working it (chamber side).
    pub assigned_to: Option<String>,
    /// When a rectification was asked: until when the company may resend.
    pub rectify_deadline: Option<String>,
    pub rectify_reason: Option<String>,
    /// The fields the officer named, comma-separated.
    pub rectify_fields: Option<String>,
    /// Why it was rejected (or a note on approval).
    pub decision_reason: Option<String>,
    /// The cancelled certificate this practice replaces.
    pub replaces_number: Option<String>,
    /// A duplicate of a lost or stolen certificate (`replaces_number` names it).
    pub duplicate: bool,
    /// The intermediary that presented it for the company (issue 15, item 3), if any.
    pub intermediary_id: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PracticeRow {
    id: String,
    chamber_id: String,
    desk_id: String,
    company_id: String,
    site_id: String,
    model_id: String,
    model_version: i64,
    practice_type: String,
    status: String,
    consignee_name: Option<String>,
    annotations: String,
    proforma: Option<i64>,
    goods_location: String,
    print_mode: String,
    form_serial: Option<String>,
    copies: i64,
    signed_blob: String,
    signed_file_name: String,
    signature_json: String,
    fee_cents: Option<i64>,
    protocol_number: Option<String>,
    sent_at: Option<String>,
    closed_at: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
    assigned_to: Option<String>,
    rectify_deadline: Option<String>,
    rectify_reason: Option<String>,
    rectify_fields: Option<String>,
    decision_reason: Option<String>,
    replaces_number: Option<String>,
    duplicate: i64,
    intermediary_id: Option<String>,
}

fn decode<T>(what: &str, v: Option<T>) -> Result<T, sqlx::Error> {
    v.ok_or_else(|| sqlx::Error::Decode(format!("bad {what}").into()))
}

impl TryFrom<PracticeRow> for Practice {
    type Error = sqlx::Error;
    fn try_from(r: PracticeRow) -> Result<Self, sqlx::Error> {
        Ok(Practice {
            practice_type: decode("practice type", PracticeType::parse(&r.practice_type))?,
            status: decode("status", PracticeStatus::parse(&r.status))?,
            print_mode: decode("print mode", PrintMode::parse(&r.print_mode))?,
            signature: serde_json::from_str(&r.signature_json)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            proforma: r.proforma.map(|p| p != 0),
            id: r.id,
            chamber_id: r.chamber_id,
            desk_id: r.desk_id,
            company_id: r.company_id,
            site_id: r.site_id,
            model_id: r.model_id,
            model_version: r.model_version,
            consignee_name: r.consignee_name,
            annotations: r.annotations,
            goods_location: r.goods_location,
            form_serial: r.form_serial,
            copies: r.copies,
            signed_blob: r.signed_blob,
            signed_file_name: r.signed_file_name,
            fee_cents: r.fee_cents,
            protocol_number: r.protocol_number,
            sent_at: r.sent_at,
            closed_at: r.closed_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            assigned_to: r.assigned_to,
            rectify_deadline: r.rectify_deadline,
            rectify_reason: r.rectify_reason,
            rectify_fields: r.rectify_fields,
            decision_reason: r.decision_reason,
            replaces_number: r.replaces_number,
            duplicate: r.duplicate != 0,
            intermediary_id: r.intermediary_id,
        })
    }
}

/// The columns of [`PracticeRow`], for `SELECT`s here and in `lists`.
macro_rules! practice_columns {
    () => {
        "id, chamber_id, desk_id, company_id, site_id, model_id, model_version, practice_type, status, \
         consignee_name, annotations, proforma, goods_location, print_mode, form_serial, copies, \
         signed_blob, signed_file_name, signature_json, fee_cents, protocol_number, sent_at, closed_at, \
         created_by, created_at, updated_at, assigned_to, rectify_deadline, rectify_reason, \
         rectify_fields, decision_reason, replaces_number, duplicate, intermediary_id"
    };
}
pub(crate) use practice_columns;

pub async fn get(db: &Db, id: &str) -> Result<Option<Practice>, sqlx::Error> {
    sqlx::query_as::<_, PracticeRow>(concat!(
        "SELECT ",
        practice_columns!(),
        " FROM practices WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .map(Practice::try_from)
    .transpose()
}

/// Who may see a practice and its files: the users of its company, and the officers of its
/// desk once it has been sent (a draft or a withdrawn practice is the company's alone).
pub fn readable_by(principal: &Principal, practice: &Practice) -> bool {
    let company_side = authz::allows(principal.role(), Action::ViewOwnPractices)
        && principal.acts_for_company(&practice.company_id);
    company_side || handled_by(principal, practice)
}

/// Whether the principal is an officer of the practice's desk and the practice reached it.
pub fn handled_by(principal: &Principal, practice: &Practice) -> bool {
    authz::allows(principal.role(), Action::WorkInbox)
        && principal.works_desk(&practice.desk_id)
        && !matches!(
            practice.status,
            PracticeStatus::Draft | PracticeStatus::Withdrawn
        )
}

/// The practice if the principal may see it ([`readable_by`]); `NotFound` both when it does
/// not exist and when it is someone else's, so ids of others reveal nothing.
pub async fn get_readable(
    db: &Db,
    principal: &Principal,
    id: &str,
) -> Result<Practice, AccessError> {
    get(db, id)
        .await?
        .filter(|p| readable_by(principal, p))
        .ok_or(AccessError::NotFound)
}

/// What a company-side write on the practice touches: its own company, type and chamber.
pub fn target(practice: &Practice) -> Target<'_> {
    Target {
        company_id: &practice.company_id,
        practice_type: Some(practice.practice_type),
        chamber_id: Some(&practice.chamber_id),
    }
}

/// Issue 15, items 2 and 3: a company-side write on a practice is checked at the practice's
/// own company — the user's scope there reaches `needed`, and an intermediary's user is within
/// a mandate in force covering its type and chamber ([`company_access::require`]).
pub async fn require_write(
    db: &Db,
    principal: &Principal,
    practice: &Practice,
    needed: CompanyScope,
    now: DateTime<Utc>,
) -> Result<(), CompanyRefusal> {
    company_access::require(db, principal, needed, target(practice), now).await
}

/// The practice `id` for a company-side write needing `needed` ([`require_write`]):
/// `NotFound` when it does not exist or belongs to a company the principal has nothing to do
/// with; a former client's practice says why the mandate no longer allows it.
pub async fn get_for_write(
    db: &Db,
    principal: &Principal,
    id: &str,
    needed: CompanyScope,
    now: DateTime<Utc>,
) -> Result<Practice, CompanyRefusal> {
    let practice = get(db, id).await?.ok_or(CompanyRefusal::NotFound)?;
    require_write(db, principal, &practice, needed, now).await?;
    Ok(practice)
}

/// The practice with its `revision` (raised by every change of its details or attachments),
/// both from one read of the row, so the revision is exactly the one of the practice read.
pub(crate) async fn get_with_revision(
    db: &Db,
    id: &str,
) -> Result<Option<(Practice, i64)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        practice: PracticeRow,
        revision: i64,
    }
    let Some(row) = sqlx::query_as::<_, Row>(concat!(
        "SELECT ",
        practice_columns!(),
        ", revision FROM practices WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((Practice::try_from(row.practice)?, row.revision)))
}

/// The practice, if the company user may see it; `None` both when it does not exist and
/// when it belongs to another company, so ids of others reveal nothing.
pub async fn get_for_company_user(
    db: &Db,
    principal: &Principal,
    id: &str,
) -> Result<Option<Practice>, sqlx::Error> {
    Ok(get(db, id)
        .await?
        .filter(|p| principal.acts_for_company(&p.company_id)))
}

/// The input of the signed model version of a practice.
pub async fn signed_form(db: &Db, practice: &Practice) -> Result<FormInput, sqlx::Error> {
    let json: String = sqlx::query_scalar(
        "SELECT form_json FROM base_model_versions WHERE model_id = $1 AND version = $2",
    )
    .bind(&practice.model_id)
    .bind(practice.model_version)
    .fetch_one(db.pool())
    .await?;
    serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// One entry of the status history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Event {
    pub at: String,
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

/// Records a change of status (or a notable step) in the practice's history.
pub async fn record_event(
    tx: &mut Tx,
    now: DateTime<Utc>,
    practice_id: &str,
    actor: &Actor,
    from: Option<PracticeStatus>,
    to: PracticeStatus,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO practice_events (id, practice_id, at, actor_id, actor, from_status, to_status, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(db::new_id())
    .bind(practice_id)
    .bind(db::instant(now))
    .bind(&actor.user_id)
    .bind(&actor.label)
    .bind(from.map(PracticeStatus::as_str))
    .bind(to.as_str())
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn events(db: &Db, practice_id: &str) -> Result<Vec<Event>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, actor, from_status, to_status, note FROM practice_events WHERE practice_id = $1 ORDER BY at, id",
    )
    .bind(practice_id)
    .fetch_all(db.pool())
    .await
}
