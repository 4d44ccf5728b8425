//! The accreditation steps as use cases: each opens one transaction, applies the state
//! machine, writes the step with its date, documents and actor, records the audit entry and,
//! for an organisation, takes its collaborators along (RA procedure, part 1: the staff sheet
//! designates them under the organisation's mandate).

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::blobs::BlobError;
use crate::db::{self, Tx};
use crate::ra::accreditation::{Context, State, Step, TransitionError, apply};
use crate::ra::archive::{self, DocumentKind, SignatureError, Upload};
use crate::ra::convention;
use crate::ra::course::{CourseError, course_result};
use crate::ra::mandate::{
    MandateAct, MandateBasis, MandateDates, MandateError, mandate_dates, mandate_dates_with_term,
};
use crate::ra::office::{self, OfficeKind};
use crate::ra::operator::{self, Operator, OperatorKind};
use crate::ra::required_documents;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use crate::ra::accreditation::ca::{IdentityDocument, PurgeIdentityDocument, send_to_ca};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("no convention with the CA is recorded")]
    NoConvention,
    #[error("the convention has no PEC address of the CA")]
    NoCaPec,
    #[error(transparent)]
    Mandate(#[from] MandateError),
    #[error(transparent)]
    Course(#[from] CourseError),
    #[error("an organisation takes no course: its collaborators do")]
    OrganisationTakesNoCourse,
    #[error("the {0:?} is missing or not signed as required")]
    MissingDocument(DocumentKind),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the organisation's legal representative is not recorded")]
    NoLegalRep,
    #[error("identity document: {0}")]
    Identity(&'static str),
    #[error("the organisation is not active yet")]
    OrganisationNotActive,
    #[error("the office does not exist or cannot hold a RAO")]
    Office,
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub use crate::clock::start_of_italian_day as start_of_day;

/// Applies `step` to `op` inside `tx`: new state, the step row and the audit entry.
/// Returns the new state and the step id.
pub async fn transition(
    tx: &mut Tx,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    op: &Operator,
    step: Step,
    note: Option<&str>,
) -> Result<(State, String), StepError> {
    let ctx = Context {
        kind: op.kind,
        now,
        ca_window_start: op.ca_window_start,
    };
    let next = apply(op.state, step, &ctx)?;
    // The state in the WHERE clause makes a concurrent double submit update nothing.
    let updated = sqlx::query(
        "UPDATE ra_operators SET state = $2, updated_at = $3 WHERE id = $1 AND state = $4",
    )
    .bind(&op.id)
    .bind(next.as_str())
    .bind(db::instant(now))
    .bind(op.state.as_str())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(TransitionError::NotAllowed {
            state: op.state,
            step,
        }
        .into());
    }
    let step_id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_steps (id, operator_id, action, from_state, to_state, on_date, at, \
         actor_id, actor, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&step_id)
    .bind(&op.id)
    .bind(step.as_str())
    .bind(op.state.as_str())
    .bind(next.as_str())
    .bind(db::date(today))
    .bind(db::instant(now))
    .bind(&actor.user_id)
    .bind(&actor.label)
    .bind(note.map(str::trim).filter(|n| !n.is_empty()))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&op.chamber_id)),
        Change::new(audit_action(step), "ra_operator", Some(&op.id))
            .before(json!({"state": op.state.as_str()}))
            .after(json!({"state": next.as_str(), "step_id": step_id, "note": note})),
    )
    .await?;
    Ok((next, step_id))
}

fn audit_action(step: Step) -> &'static str {
    match step {
        Step::RecordInterest => "ra.operator.record_interest",
        Step::SendMandate => "ra.operator.send_mandate",
        Step::ReceiveDocuments => "ra.operator.receive_documents",
        Step::SendToCa => "ra.operator.send_to_ca",
        Step::RequestCourse => "ra.operator.request_course",
        Step::PassCourse => "ra.operator.pass_course",
        Step::Activate => "ra.operator.activate",
        Step::Revoke => "ra.operator.revoke",
        Step::Suspend => "ra.operator.suspend",
    }
}

/// Collaborators of `org` that stood where the organisation stood before the step.
pub(super) async fn followers(tx: &mut Tx, org: &Operator) -> Result<Vec<Operator>, sqlx::Error> {
    if !org.is_organisation() {
        return Ok(Vec::new());
    }
    Ok(operator::collaborators_tx(tx, &org.id)
        .await?
        .into_iter()
        .filter(|c| c.state == org.state)
        .collect())
}

/// Takes a simple step (no data but a note), the organisation's collaborators along.
pub async fn simple_step(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    step: Step,
    note: Option<&str>,
) -> Result<State, StepError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let mut tx = state.db.begin().await?;
    let (next, _) = transition(&mut tx, now, today, actor, op, step, note).await?;
    for c in followers(&mut tx, op).await? {
        transition(&mut tx, now, today, actor, &c, step, note).await?;
    }
    tx.commit().await?;
    Ok(next)
}

/// RA procedure, part 1: the mandate letter goes out; the mandate dates are fixed by the
/// protocol date (or the new staff sheet's date for a collaborator added later) and the term
/// written in the act, when there is one (an organisation RAO's: Infocamere 5 years, ICO 3).
pub async fn send_mandate(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    basis: MandateBasis,
    act: MandateAct,
    uploads: Vec<Upload>,
) -> Result<MandateDates, StepError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    act.check(op.kind, op.is_organisation())?;
    // RA procedure, part 1: the letter goes out "firmata digitalmente dal Dirigente", signed
    // through the Manager's queue (`ra::manager`).
    let held = required_documents::held(&state.db, op).await?;
    if let Some(kind) = required_documents::missing_for_step(op, Step::SendMandate, &held)
        .into_iter()
        .next()
    {
        return Err(StepError::MissingDocument(kind));
    }
    let opts = verify_options(state, &op.chamber_id).await?;
    for u in uploads
        .iter()
        .filter(|u| u.kind == DocumentKind::MandateLetter)
    {
        // Signed by the Manager: the signature must be valid, whoever the Manager is.
        let report = firma::verify(&u.bytes, &opts).map_err(|_| SignatureError::NotSigned {
            filename: u.filename.clone(),
        })?;
        if !report.valid {
            return Err(SignatureError::Invalid {
                filename: u.filename.clone(),
                problems: report
                    .problems
                    .iter()
                    .map(|p| p.message_it())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
            .into());
        }
    }
    let mut blobs = Vec::new();
    for u in &uploads {
        blobs.push(state.blobs.put(&u.bytes).await?);
    }
    let mut tx = state.db.begin().await?;
    let conv = convention::current_tx(&mut tx, &op.chamber_id)
        .await?
        .ok_or(StepError::NoConvention)?;
    let dates = mandate_dates_with_term(
        op.kind,
        op.is_organisation(),
        op.first_phase,
        basis,
        act.term,
        conv.end,
    )?;
    let (_, step_id) = transition(&mut tx, now, today, actor, op, Step::SendMandate, None).await?;
    set_mandate(&mut tx, op, basis, &dates).await?;
    set_act(&mut tx, &op.id, &act).await?;
    for (u, blob) in uploads.iter().zip(&blobs) {
        archive::store(&mut tx, now, &op.id, Some(&step_id), u, blob, None).await?;
    }
    for c in followers(&mut tx, op).await? {
        let first_phase = op.first_phase || c.first_phase;
        // The staff of an organisation whose act states its term work under that act.
        let cd = match act.term {
            Some(_) => dates,
            None => mandate_dates(c.kind, first_phase, basis, conv.end)?,
        };
        transition(&mut tx, now, today, actor, &c, Step::SendMandate, None).await?;
        set_mandate(&mut tx, &c, basis, &cd).await?;
    }
    tx.commit().await?;
    Ok(dates)
}

/// The API's mandate in one call: an ODR or IR still `new` has its expression of interest
/// recorded first, then the mandate is sent (RA procedure: external operators express their
/// interest before the mandate; a RAO, internal staff, does not). Two steps, each in its own
/// transaction, as if taken one after the other from the operator's page.
pub async fn send_mandate_with_interest(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    basis: MandateBasis,
    act: MandateAct,
) -> Result<MandateDates, StepError> {
    let mut op = op.clone();
    // The act is checked before the first step, so a refusal changes nothing.
    act.check(op.kind, op.is_organisation())?;
    if op.state == State::New && op.kind != OperatorKind::Rao {
        op.state = simple_step(state, actor, &op, Step::RecordInterest, None).await?;
    }
    send_mandate(state, actor, &op, basis, act, Vec::new()).await
}

/// Keeps what the act says: its term as entered and the remote-issuance service.
async fn set_act(tx: &mut Tx, operator_id: &str, act: &MandateAct) -> Result<(), sqlx::Error> {
    let (years, until) = match act.term {
        Some(crate::ra::mandate::ActTerm::Years(y)) => (Some(i64::from(y)), None),
        Some(crate::ra::mandate::ActTerm::Until(d)) => (None, Some(db::date(d))),
        None => (None, None),
    };
    sqlx::query(
        "UPDATE ra_operators SET act_term_years = $2, act_term_end = $3, remote_issuance = $4 \
         WHERE id = $1",
    )
    .bind(operator_id)
    .bind(years)
    .bind(until)
    .bind(i64::from(act.remote_issuance))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn set_mandate(
    tx: &mut Tx,
    op: &Operator,
    basis: MandateBasis,
    dates: &MandateDates,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE ra_operators SET protocol_date = $2, mandate_basis = $3, mandate_start = $4, \
         mandate_end = $5 WHERE id = $1",
    )
    .bind(&op.id)
    .bind(db::date(basis.start()))
    .bind(basis.as_str())
    .bind(db::date(dates.start))
    .bind(db::date(dates.end))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The trust material of a chamber, to verify signatures today.
pub async fn verify_options(
    state: &Ctx,
    chamber_id: &str,
) -> Result<firma::VerifyOptions, sqlx::Error> {
    Ok(firma::VerifyOptions {
        trust_anchors: crate::trust::anchors_for(&state.db, Some(chamber_id)).await?,
        intermediates: Vec::new(),
        crls: Vec::new(),
        at: state.clock.now().into(),
    })
}

/// Who may sign an operator's documents: the operator, the organisation's legal
/// representative, and for a collaborator also their organisation's legal representative.
async fn allowed_signers(state: &Ctx, op: &Operator) -> Result<Vec<String>, StepError> {
    let mut out = Vec::new();
    if op.is_organisation() {
        let rep = op
            .legal_rep_tax_code
            .as_ref()
            .ok_or(StepError::NoLegalRep)?;
        out.push(rep.as_str().to_string());
    } else {
        out.push(op.tax_code.as_str().to_string());
    }
    if let Some(org_id) = &op.organisation_id
        && let Some(org) = operator::get(&state.db, org_id).await?
        && let Some(rep) = org.legal_rep_tax_code
    {
        out.push(rep.as_str().to_string());
    }
    Ok(out)
}

/// RA procedure, part 1: the signed documents come back (PAdES, or CAdES); each is verified and
/// must be signed by the operator or the legal representative. Every document the mandate
/// requires at this step ([`required_documents`]) must be among them or already kept signed.
pub async fn receive_documents(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    uploads: Vec<Upload>,
) -> Result<usize, StepError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let held = required_documents::held(&state.db, op).await?;
    if let Some(kind) = required_documents::missing_for_step(op, Step::ReceiveDocuments, &held)
        .into_iter()
        .find(|k| !uploads.iter().any(|u| u.kind == *k))
    {
        return Err(StepError::MissingDocument(kind));
    }
    let signers = allowed_signers(state, op).await?;
    let signer_refs: Vec<&str> = signers.iter().map(String::as_str).collect();
    let opts = verify_options(state, &op.chamber_id).await?;
    let mut checked = Vec::new();
    for u in uploads {
        let sig = archive::check_signature(&u, &opts, &signer_refs)?;
        checked.push((u, sig));
    }
    let mut blobs = Vec::new();
    for (u, _) in &checked {
        blobs.push(state.blobs.put(&u.bytes).await?);
    }
    let mut tx = state.db.begin().await?;
    let (_, step_id) =
        transition(&mut tx, now, today, actor, op, Step::ReceiveDocuments, None).await?;
    for ((u, sig), blob) in checked.iter().zip(&blobs) {
        archive::store(&mut tx, now, &op.id, Some(&step_id), u, blob, Some(sig)).await?;
    }
    for c in followers(&mut tx, op).await? {
        transition(&mut tx, now, today, actor, &c, Step::ReceiveDocuments, None).await?;
    }
    tx.commit().await?;
    Ok(checked.len())
}

/// RA procedure, part 1: the course was passed (≥ 90 %); an ODR then waits 48 hours for the CA's
/// corrections, counted from the day the course was passed. When the last collaborator of an
/// organisation passes, the organisation moves on too.
pub async fn pass_course(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    score_percent: i64,
    passed_on: NaiveDate,
) -> Result<State, StepError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    if op.is_organisation() {
        return Err(StepError::OrganisationTakesNoCourse);
    }
    let result = course_result(score_percent, passed_on, today)?;
    let window = start_of_day(passed_on);
    let mut tx = state.db.begin().await?;
    let note = format!("{score_percent} %");
    // A course result is a fact: before the course was requested it is kept without moving
    // the workflow; a revoked operator takes no course.
    let allowed = crate::ra::accreditation::target(op.state, Step::PassCourse, op.kind).is_some();
    let next = if allowed || op.state == State::Revoked {
        transition(
            &mut tx,
            now,
            today,
            actor,
            op,
            Step::PassCourse,
            Some(&note),
        )
        .await?
        .0
    } else {
        audit::record(
            &mut tx,
            now,
            &actor.clone().in_chamber(Some(&op.chamber_id)),
            Change::new("ra.course.record", "ra_operator", Some(&op.id))
                .after(json!({"score_percent": score_percent, "passed_on": passed_on})),
        )
        .await?;
        op.state
    };
    sqlx::query(
        "UPDATE ra_operators SET course_score = $2, course_passed_on = $3, \
         course_valid_until = $4, ca_window_start = $5 WHERE id = $1",
    )
    .bind(&op.id)
    .bind(result.score_percent)
    .bind(db::date(result.passed_on))
    .bind(db::date(result.valid_until))
    .bind(db::instant(window))
    .execute(&mut *tx)
    .await?;
    if let Some(org_id) = &op.organisation_id
        && let Some(org) = operator::get_tx(&mut tx, org_id).await?
        && org.state == State::CourseRequested
    {
        let all: Vec<Operator> = operator::collaborators_tx(&mut tx, org_id)
            .await?
            .into_iter()
            .filter(|c| !matches!(c.state, State::Revoked | State::Suspended))
            .collect();
        if all.iter().all(|c| c.course.is_some()) {
            let latest = all
                .iter()
                .filter_map(|c| c.ca_window_start)
                .max()
                .unwrap_or(window);
            transition(&mut tx, now, today, actor, &org, Step::PassCourse, None).await?;
            sqlx::query("UPDATE ra_operators SET ca_window_start = $2 WHERE id = $1")
                .bind(&org.id)
                .bind(db::instant(latest))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(next)
}

/// RA procedure, part 1: the operator enters the office tree — RAO under "<CITY> REMOTIZZATI"
/// (or a branch / outsourcing office chosen by the Master RAO), an organisation in an office
/// named after it with its collaborators under it, a natural-person ODR in an office with
/// their name, an IR under "SEDE <CITY> <name>". Returns how many operators entered.
pub async fn activate(
    state: &Ctx,
    actor: &Actor,
    op: &Operator,
    rao_office_id: Option<&str>,
) -> Result<usize, StepError> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let mut tx = state.db.begin().await?;
    let office_id = match &op.organisation_id {
        Some(org_id) => {
            let org = operator::get_tx(&mut tx, org_id)
                .await?
                .filter(|o| o.state == State::Active)
                .ok_or(StepError::OrganisationNotActive)?;
            org.office_id.ok_or(StepError::OrganisationNotActive)?
        }
        None => match (op.kind, rao_office_id) {
            (OperatorKind::Rao, Some(id)) => {
                let o = office::get_tx(&mut tx, id)
                    .await?
                    .filter(|o| o.chamber_id == op.chamber_id)
                    .filter(|o| {
                        matches!(
                            o.kind,
                            OfficeKind::RemoteRao | OfficeKind::Branch | OfficeKind::Outsourcing
                        )
                    })
                    .ok_or(StepError::Office)?;
                o.id
            }
            _ => {
                let city: String = sqlx::query_scalar("SELECT name FROM chambers WHERE id = $1")
                    .bind(&op.chamber_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let (kind, name) = office::office_name_for(op, &office::chamber_city(&city));
                let owner = (kind != OfficeKind::RemoteRao).then_some(op.id.as_str());
                office::ensure(&mut tx, now, actor, &op.chamber_id, kind, &name, owner)
                    .await?
                    .id
            }
        },
    };
    transition(&mut tx, now, today, actor, op, Step::Activate, None).await?;
    place(&mut tx, &op.id, &office_id).await?;
    let mut entered = 1;
    if op.is_organisation() {
        for c in operator::collaborators_tx(&mut tx, &op.id).await? {
            if transition(&mut tx, now, today, actor, &c, Step::Activate, None)
                .await
                .is_ok()
            {
                place(&mut tx, &c.id, &office_id).await?;
                entered += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(entered)
}

async fn place(tx: &mut Tx, operator_id: &str, office_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE ra_operators SET office_id = $2 WHERE id = $1")
        .bind(operator_id)
        .bind(office_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One recorded step, for the operator's history.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct StepRecord {
    pub id: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub on_date: String,
    pub at: String,
    pub actor: String,
    pub note: Option<String>,
}

pub async fn history(
    db: &crate::db::Db,
    operator_id: &str,
) -> Result<Vec<StepRecord>, sqlx::Error> {
    // Who took each step by name, from the user's profile; a system actor by its label.
    sqlx::query_as(
        "SELECT s.id, s.action, s.from_state, s.to_state, s.on_date, s.at, \
         COALESCE(u.name, s.actor) AS actor, s.note FROM ra_steps s \
         LEFT JOIN users u ON u.id = s.actor_id WHERE s.operator_id = $1 ORDER BY s.at, s.id",
    )
    .bind(operator_id)
    .fetch_all(db.pool())
    .await
}
