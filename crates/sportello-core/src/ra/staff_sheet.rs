//! The staff sheet (scheda di riepilogo addetti) of an organisation operator, RA procedure,
//! part 1: Infocamere Scpa "accetta allegando la scheda degli addetti che, puntualmente,
//! aggiorna"; an ODR or IR organisation designates its collaborators in it.
//!
//! Every version is kept with its date, who sent it and who recorded it (the file, when
//! uploaded, goes to the restricted archive; the staff list itself is structured data). Each
//! person listed is an operator under the organisation, who passes the course before acting.
//! A person added by a later sheet starts on that sheet's date; a person left out of a new
//! sheet is suspended from its date. The chamber's Master RAO records each version on the
//! organisation's behalf: organisations have no account of their own.

use crate::Ctx;
use crate::accounts::{self, Principal};
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, Action, allows};
use crate::blobs::BlobError;
use crate::db::{self, Db, Tx};
use crate::ra::access::visible_operator;
use crate::ra::accreditation::State;
use crate::ra::accreditation::steps::{self, StepError};
use crate::ra::archive::{self, DocumentKind, Upload};
use crate::ra::convention;
use crate::ra::mandate::{MandateBasis, MandateDates, MandateError, mandate_dates};
use crate::ra::operator::{self, CreateOperatorError, NewOperator, Operator, OperatorKind};
use crate::registry::TaxCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

/// One person as the sheet lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub name: String,
    pub tax_code: String,
    pub email: String,
}

/// A new version of the sheet, as the office enters it.
#[derive(Clone, Debug, Default)]
pub struct NewStaffSheet {
    /// The date the organisation signed the sheet.
    pub sheet_date: Option<NaiveDate>,
    /// Who sent it (for instance the legal representative, by PEC).
    pub sent_by: String,
    pub members: Vec<StaffMember>,
    /// The sheet's file, optional.
    pub file: Option<(String, Vec<u8>)>,
}

/// What is wrong with one line of the sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberProblem {
    Name,
    TaxCode,
    /// An 11-digit code: the staff are people.
    NotAPerson,
    Email,
    /// Listed twice in the same sheet.
    Twice,
    /// Another operator of the chamber, not on this organisation's staff.
    TaxCodeTaken,
    /// Left out of an earlier sheet (suspended) or revoked: a new appointment is needed.
    NoLongerOnStaff,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffSheetError {
    #[error("only an organisation keeps a staff sheet")]
    NotAnOrganisation,
    #[error("the organisation was revoked")]
    OrganisationRevoked,
    #[error("the sheet's date is required")]
    DateRequired,
    #[error("the sheet's date {0} is in the future")]
    DateInFuture(NaiveDate),
    #[error("the sheet's date is before the previous version's, {0}")]
    BeforePrevious(NaiveDate),
    #[error("the sheet's date is outside the organisation's mandate ({start} – {end})")]
    OutsideMandate { start: NaiveDate, end: NaiveDate },
    #[error("say who sent the sheet")]
    SentByRequired,
    #[error("the sheet lists nobody")]
    NoMembers,
    #[error("line {line}: {problem:?}")]
    Member { line: usize, problem: MemberProblem },
    #[error(transparent)]
    Mandate(#[from] MandateError),
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Create(#[from] CreateOperatorError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A line of the sheet, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Listed {
    name: String,
    tax_code: TaxCode,
    email: String,
}

/// RA procedure, part 1: the sheet lists the people who will act for the organisation, each
/// with a name, a person's tax code and an e-mail address, once. Blank lines are skipped.
fn check_members(members: &[StaffMember]) -> Result<Vec<Listed>, StaffSheetError> {
    let mut out: Vec<Listed> = Vec::new();
    let problem = |line, problem| StaffSheetError::Member { line, problem };
    for (i, m) in members.iter().enumerate() {
        let line = i + 1;
        let (name, code, email) = (m.name.trim(), m.tax_code.trim(), m.email.trim());
        if name.is_empty() && code.is_empty() && email.is_empty() {
            continue;
        }
        if name.is_empty() {
            return Err(problem(line, MemberProblem::Name));
        }
        let tax_code = TaxCode::parse(code).map_err(|_| problem(line, MemberProblem::TaxCode))?;
        if !tax_code.is_personal() {
            return Err(problem(line, MemberProblem::NotAPerson));
        }
        let email = accounts::normalise_email(email).ok_or(problem(line, MemberProblem::Email))?;
        if out.iter().any(|l| l.tax_code == tax_code) {
            return Err(problem(line, MemberProblem::Twice));
        }
        out.push(Listed {
            name: name.to_string(),
            tax_code,
            email,
        });
    }
    if out.is_empty() {
        return Err(StaffSheetError::NoMembers);
    }
    Ok(out)
}

/// Who joins, stays and leaves between two versions of the sheet, by tax code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub kept: Vec<String>,
    pub dropped: Vec<String>,
}

/// RA procedure, part 1: a new sheet adds the people it lists that the previous one did not,
/// and leaves out those it no longer lists.
pub fn changes(previous: &[String], listed: &[String]) -> Changes {
    let before: BTreeSet<&String> = previous.iter().collect();
    let now: BTreeSet<&String> = listed.iter().collect();
    Changes {
        added: listed
            .iter()
            .filter(|t| !before.contains(t))
            .cloned()
            .collect(),
        kept: listed
            .iter()
            .filter(|t| before.contains(t))
            .cloned()
            .collect(),
        dropped: previous
            .iter()
            .filter(|t| !now.contains(t))
            .cloned()
            .collect(),
    }
}

/// RA procedure, part 1: "qualora vengano aggiunti nuovi operatori [la data di inizio]
/// corrisponde alla data di sottoscrizione della nuova scheda di riepilogo addetti". An ODR or
/// IR added later then has the procedure's 3 years from that date; the staff of an
/// organisation RAO work under its act, so their mandate ends with the organisation's.
pub fn added_member_dates(
    organisation: &Operator,
    member_kind: OperatorKind,
    organisation_mandate: MandateDates,
    sheet_date: NaiveDate,
    convention_end: NaiveDate,
) -> Result<MandateDates, MandateError> {
    let basis = MandateBasis::AddedCollaborator {
        staff_sheet_date: sheet_date,
    };
    if organisation.kind == OperatorKind::Rao {
        if sheet_date > convention_end {
            return Err(MandateError::AfterConventionEnd {
                start: sheet_date,
                convention_end,
            });
        }
        Ok(MandateDates {
            start: basis.start(),
            end: organisation_mandate.end.min(convention_end),
            capped_by_convention: organisation_mandate.end > convention_end,
        })
    } else {
        mandate_dates(member_kind, false, basis, convention_end)
    }
}

/// One recorded version, with its staff and what changed from the version before.
#[derive(Clone, Debug, Serialize)]
pub struct SheetVersion {
    pub id: String,
    pub version: i64,
    pub sheet_date: NaiveDate,
    pub sent_by: String,
    pub document_id: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub members: Vec<StaffMember>,
    /// Names of the people this version added (all of them for the first version).
    pub added: Vec<String>,
    /// Names of the people this version left out.
    pub dropped: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct SheetRow {
    id: String,
    version: i64,
    sheet_date: String,
    sent_by: String,
    document_id: Option<String>,
    recorded_at: String,
    recorded_by: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    sheet_id: String,
    name: String,
    tax_code: String,
    email: String,
}

/// Every version of an organisation's sheet, the latest first.
pub async fn history(db: &Db, organisation_id: &str) -> Result<Vec<SheetVersion>, sqlx::Error> {
    let sheets: Vec<SheetRow> = sqlx::query_as(
        "SELECT id, version, sheet_date, sent_by, document_id, recorded_at, recorded_by \
         FROM ra_staff_sheets WHERE organisation_id = $1 ORDER BY version",
    )
    .bind(organisation_id)
    .fetch_all(db.pool())
    .await?;
    let members: Vec<MemberRow> = sqlx::query_as(
        "SELECT m.sheet_id, m.name, m.tax_code, m.email FROM ra_staff_sheet_members m \
         JOIN ra_staff_sheets s ON s.id = m.sheet_id WHERE s.organisation_id = $1 \
         ORDER BY s.version, m.position",
    )
    .bind(organisation_id)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<SheetVersion> = Vec::with_capacity(sheets.len());
    let mut previous: Vec<StaffMember> = Vec::new();
    for s in sheets {
        let listed: Vec<StaffMember> = members
            .iter()
            .filter(|m| m.sheet_id == s.id)
            .map(|m| StaffMember {
                name: m.name.clone(),
                tax_code: m.tax_code.clone(),
                email: m.email.clone(),
            })
            .collect();
        let codes = |v: &[StaffMember]| v.iter().map(|m| m.tax_code.clone()).collect::<Vec<_>>();
        let c = changes(&codes(&previous), &codes(&listed));
        let name_of = |code: &String, v: &[StaffMember]| {
            v.iter()
                .find(|m| &m.tax_code == code)
                .map(|m| m.name.clone())
                .unwrap_or_default()
        };
        out.push(SheetVersion {
            added: c.added.iter().map(|t| name_of(t, &listed)).collect(),
            dropped: c.dropped.iter().map(|t| name_of(t, &previous)).collect(),
            sheet_date: db::parse_date(&s.sheet_date)?,
            recorded_at: db::parse_instant(&s.recorded_at)?,
            id: s.id,
            version: s.version,
            sent_by: s.sent_by,
            document_id: s.document_id,
            recorded_by: s.recorded_by,
            members: listed.clone(),
        });
        previous = listed;
    }
    out.reverse();
    Ok(out)
}

/// What recording a version did.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub version: i64,
    pub added: Vec<String>,
    pub dropped: Vec<String>,
}

/// RA procedure, part 1: a sheet belongs to an organisation that was not revoked, is dated
/// (not in the future, within the organisation's mandate once it has one) and says who sent it.
fn check_sheet(
    org: &Operator,
    sheet_date: Option<NaiveDate>,
    today: NaiveDate,
    sent_by: &str,
) -> Result<NaiveDate, StaffSheetError> {
    if !org.is_organisation() {
        return Err(StaffSheetError::NotAnOrganisation);
    }
    if org.state == State::Revoked {
        return Err(StaffSheetError::OrganisationRevoked);
    }
    let sheet_date = sheet_date.ok_or(StaffSheetError::DateRequired)?;
    if sheet_date > today {
        return Err(StaffSheetError::DateInFuture(sheet_date));
    }
    if let Some(m) = org.mandate
        && (sheet_date < m.start || sheet_date > m.end)
    {
        return Err(StaffSheetError::OutsideMandate {
            start: m.start,
            end: m.end,
        });
    }
    if sent_by.trim().is_empty() {
        return Err(StaffSheetError::SentByRequired);
    }
    Ok(sheet_date)
}

/// The Master RAO records a new version of an organisation's staff sheet, on its behalf (see
/// the module documentation). Nothing is written unless every line is right.
pub async fn record(
    ctx: &Ctx,
    p: &Principal,
    organisation_id: &str,
    input: NewStaffSheet,
) -> Result<Recorded, StaffSheetError> {
    if !allows(p.role(), Action::ManageOperators) {
        return Err(AccessError::Forbidden.into());
    }
    let org = visible_operator(&ctx.db, p, organisation_id).await?;
    let sheet_date = check_sheet(&org, input.sheet_date, ctx.clock.today(), &input.sent_by)?;
    check_members(&input.members)?;
    let document = match input.file {
        Some((filename, bytes)) => {
            let blob = ctx.blobs.put(&bytes).await?;
            let upload = Upload {
                kind: DocumentKind::StaffSheet,
                filename,
                bytes,
            };
            Some((upload, blob))
        }
        None => None,
    };
    let now = ctx.clock.now();
    let actor = p.actor().in_chamber(Some(&org.chamber_id));
    let mut tx = ctx.db.begin().await?;
    // Taking the organisation's row first serialises two versions sent at the same time.
    sqlx::query("UPDATE ra_operators SET updated_at = $2 WHERE id = $1")
        .bind(&org.id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?;
    let org = operator::get_tx(&mut tx, &org.id)
        .await?
        .ok_or(AccessError::NotFound)?;
    let recorded = record_tx(
        &mut tx,
        now,
        &actor,
        &org,
        sheet_date,
        &input.sent_by,
        &input.members,
        document.as_ref().map(|(u, b)| (u, b.as_str())),
    )
    .await?;
    tx.commit().await?;
    Ok(recorded)
}

/// Writes a version inside `tx` (the demo seed shares it): the sheet and its lines, the new
/// operators, the suspensions, the file in the archive, the audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn record_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    org: &Operator,
    sheet_date: NaiveDate,
    sent_by: &str,
    members: &[StaffMember],
    document: Option<(&Upload, &str)>,
) -> Result<Recorded, StaffSheetError> {
    let listed = check_members(members)?;
    let sent_by = sent_by.trim();
    let (recorded, sheet_id) = write(tx, now, actor, org, sheet_date, sent_by, &listed).await?;
    let document_id = match document {
        Some((upload, blob)) => {
            Some(archive::store(tx, now, &org.id, None, upload, blob, None).await?)
        }
        None => None,
    };
    sqlx::query("UPDATE ra_staff_sheets SET document_id = $2 WHERE id = $1")
        .bind(&sheet_id)
        .bind(&document_id)
        .execute(&mut **tx)
        .await?;
    audit::record(
        tx,
        now,
        actor,
        Change::new("ra.staff_sheet.record", "ra_operator", Some(&org.id)).after(json!({
            "version": recorded.version, "sheet_date": sheet_date, "sent_by": sent_by,
            "members": listed.len(), "added": recorded.added, "dropped": recorded.dropped,
            "file": document_id.is_some(),
        })),
    )
    .await?;
    Ok(recorded)
}

/// The version's rows, the new operators, the suspensions. Returns what was done and the
/// sheet's id.
async fn write(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    org: &Operator,
    sheet_date: NaiveDate,
    sent_by: &str,
    listed: &[Listed],
) -> Result<(Recorded, String), StaffSheetError> {
    let last: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT id, version, sheet_date FROM ra_staff_sheets WHERE organisation_id = $1 \
         ORDER BY version DESC LIMIT 1",
    )
    .bind(&org.id)
    .fetch_optional(&mut **tx)
    .await?;
    let previous: Vec<(String, String)> = match &last {
        Some((id, _, date)) => {
            let previous_date = db::parse_date(date)?;
            if sheet_date < previous_date {
                return Err(StaffSheetError::BeforePrevious(previous_date));
            }
            sqlx::query_as(
                "SELECT tax_code, operator_id FROM ra_staff_sheet_members WHERE sheet_id = $1 \
                 ORDER BY position",
            )
            .bind(id)
            .fetch_all(&mut **tx)
            .await?
        }
        None => Vec::new(),
    };
    let version = last.as_ref().map_or(1, |l| l.1 + 1);
    let codes: Vec<String> = listed.iter().map(|l| l.tax_code.to_string()).collect();
    let previous_codes: Vec<String> = previous.iter().map(|p| p.0.clone()).collect();
    let c = changes(&previous_codes, &codes);
    let note = format!("v{version} {}", crate::display::date(sheet_date));
    let conv = convention::current_tx(tx, &org.chamber_id).await?;
    // RA procedure, part 1: the staff take the organisation's kind (an organisation RAO's
    // staff are RAO).
    let member_kind = org.kind;
    let sheet_id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_staff_sheets (id, organisation_id, version, sheet_date, sent_by, \
         recorded_at, recorded_by_id, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&sheet_id)
    .bind(&org.id)
    .bind(version)
    .bind(db::date(sheet_date))
    .bind(sent_by)
    .bind(db::instant(now))
    .bind(&actor.user_id)
    .bind(&actor.label)
    .execute(&mut **tx)
    .await?;
    let mut added = Vec::new();
    for (i, l) in listed.iter().enumerate() {
        let line = i + 1;
        let existing = operator::find_by_tax_code_tx(tx, &org.chamber_id, &l.tax_code).await?;
        let op = match existing {
            Some(op) if op.organisation_id.as_deref() != Some(org.id.as_str()) => {
                return Err(StaffSheetError::Member {
                    line,
                    problem: MemberProblem::TaxCodeTaken,
                });
            }
            Some(op) if matches!(op.state, State::Suspended | State::Revoked) => {
                return Err(StaffSheetError::Member {
                    line,
                    problem: MemberProblem::NoLongerOnStaff,
                });
            }
            Some(op) => op,
            None => {
                let op = operator::create(
                    tx,
                    now,
                    actor,
                    &org.chamber_id,
                    NewOperator {
                        kind: member_kind.as_str().to_string(),
                        name: l.name.clone(),
                        tax_code: l.tax_code.to_string(),
                        email: l.email.clone(),
                        organisation_tax_code: Some(org.tax_code.to_string()),
                        ..NewOperator::default()
                    },
                )
                .await?;
                join(tx, now, actor, org, &op, sheet_date, &note, conv.as_ref()).await?;
                added.push(op.name.clone());
                op
            }
        };
        if c.added.contains(&l.tax_code.to_string()) && !added.contains(&op.name) {
            added.push(op.name.clone());
        }
        sqlx::query(
            "INSERT INTO ra_staff_sheet_members (sheet_id, position, name, tax_code, email, \
             operator_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&sheet_id)
        .bind(i64::try_from(line).unwrap_or(i64::MAX))
        .bind(&l.name)
        .bind(l.tax_code.as_str())
        .bind(&l.email)
        .bind(&op.id)
        .execute(&mut **tx)
        .await?;
    }
    let mut dropped = Vec::new();
    for (code, operator_id) in &previous {
        if !c.dropped.contains(code) {
            continue;
        }
        if let Some(op) = operator::get_tx(tx, operator_id).await? {
            leave(tx, now, actor, &op, sheet_date, &note).await?;
            dropped.push(op.name);
        }
    }
    Ok((
        Recorded {
            version,
            added,
            dropped,
        },
        sheet_id,
    ))
}

/// A person new to the sheet joins the organisation: with the organisation when its mandate
/// has not been sent yet (they follow its steps), else as a collaborator added later, whose
/// mandate starts on the sheet's date; either way they take the course before acting.
#[allow(clippy::too_many_arguments)]
async fn join(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    org: &Operator,
    op: &Operator,
    sheet_date: NaiveDate,
    note: &str,
    conv: Option<&convention::Convention>,
) -> Result<(), StaffSheetError> {
    let today = crate::clock::italian_day(now);
    let Some(org_mandate) = org.mandate else {
        if org.state == State::Interest && op.kind != OperatorKind::Rao {
            steps::transition(
                tx,
                now,
                today,
                actor,
                op,
                crate::ra::accreditation::Step::RecordInterest,
                Some(note),
            )
            .await?;
        }
        return Ok(());
    };
    let conv = conv.ok_or(StepError::NoConvention)?;
    let dates = added_member_dates(
        org,
        op.kind,
        MandateDates {
            start: org_mandate.start,
            end: org_mandate.end,
            capped_by_convention: false,
        },
        sheet_date,
        conv.end,
    )?;
    let mut op = op.clone();
    if op.kind != OperatorKind::Rao {
        let (next, _) = steps::transition(
            tx,
            now,
            today,
            actor,
            &op,
            crate::ra::accreditation::Step::RecordInterest,
            Some(note),
        )
        .await?;
        op.state = next;
    }
    steps::transition(
        tx,
        now,
        today,
        actor,
        &op,
        crate::ra::accreditation::Step::SendMandate,
        Some(note),
    )
    .await?;
    steps::set_mandate(
        tx,
        &op,
        MandateBasis::AddedCollaborator {
            staff_sheet_date: sheet_date,
        },
        &dates,
    )
    .await?;
    Ok(())
}

/// RA procedure, part 1: a person the new sheet no longer lists stops acting for the
/// organisation from the sheet's date: suspended, their mandate ending on that date.
async fn leave(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    op: &Operator,
    sheet_date: NaiveDate,
    note: &str,
) -> Result<(), StaffSheetError> {
    if matches!(op.state, State::Suspended | State::Revoked) {
        return Ok(());
    }
    let today = crate::clock::italian_day(now);
    steps::transition(
        tx,
        now,
        today,
        actor,
        op,
        crate::ra::accreditation::Step::Suspend,
        Some(note),
    )
    .await?;
    if let Some(m) = op.mandate
        && sheet_date < m.end
    {
        sqlx::query("UPDATE ra_operators SET mandate_end = $2 WHERE id = $1")
            .bind(&op.id)
            .bind(db::date(sheet_date.max(m.start)))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn member(name: &str, tax_code: &str) -> StaffMember {
        StaffMember {
            name: name.into(),
            tax_code: tax_code.into(),
            email: format!("{}@example.it", name.to_lowercase().replace(' ', ".")),
        }
    }

    #[test]
    fn a_new_staff_sheet_adds_and_drops_people_by_tax_code() {
        let c = changes(
            &["A".into(), "B".into(), "C".into()],
            &["B".into(), "D".into(), "A".into()],
        );
        assert_eq!(c.added, vec!["D".to_string()]);
        assert_eq!(c.kept, vec!["B".to_string(), "A".to_string()]);
        assert_eq!(c.dropped, vec!["C".to_string()]);
        // The first version adds everyone.
        assert_eq!(changes(&[], &["A".into()]).added, vec!["A".to_string()]);
    }

    #[test]
    fn the_staff_sheet_lists_people_once_with_a_tax_code_and_an_email() {
        // RA procedure: the staff are the people who will act, each taking the course.
        let ok = check_members(&[
            member("Mario Rossi", "RSSMRA80A01H501U"),
            StaffMember::default(),
        ])
        .unwrap();
        assert_eq!(ok.len(), 1);
        let line = |members: &[StaffMember]| match check_members(members) {
            Err(StaffSheetError::Member { line, problem }) => Some((line, problem)),
            _ => None,
        };
        assert_eq!(
            line(&[member("Infocamere", "05550000482")]),
            Some((1, MemberProblem::NotAPerson))
        );
        assert_eq!(
            line(&[
                member("Mario Rossi", "RSSMRA80A01H501U"),
                member("Mario Rossi bis", "rssmra80a01h501u"),
            ]),
            Some((2, MemberProblem::Twice))
        );
        let mut no_mail = member("Mario Rossi", "RSSMRA80A01H501U");
        no_mail.email = "mario".into();
        assert_eq!(line(&[no_mail]), Some((1, MemberProblem::Email)));
        assert!(matches!(
            check_members(&[StaffMember::default()]),
            Err(StaffSheetError::NoMembers)
        ));
    }

    #[test]
    fn a_staff_sheet_is_dated_within_the_organisation_mandate_and_not_in_the_future() {
        let mut org = Operator::sample(OperatorKind::Rao);
        org.tax_code = TaxCode::parse("05550000482").unwrap();
        let today = d("2026-12-06");
        assert_eq!(
            check_sheet(&org, Some(today), today, "Legale rappresentante").unwrap(),
            today
        );
        assert!(matches!(
            check_sheet(&org, Some(d("2026-12-07")), today, "x"),
            Err(StaffSheetError::DateInFuture(_))
        ));
        assert!(matches!(
            check_sheet(&org, None, today, "x"),
            Err(StaffSheetError::DateRequired)
        ));
        assert!(matches!(
            check_sheet(&org, Some(today), today, " "),
            Err(StaffSheetError::SentByRequired)
        ));
        org.mandate = Some(crate::ra::operator::Mandate {
            start: d("2026-08-03"),
            end: d("2031-08-03"),
        });
        assert!(matches!(
            check_sheet(&org, Some(d("2026-08-01")), today, "x"),
            Err(StaffSheetError::OutsideMandate { .. })
        ));
        org.state = State::Revoked;
        assert!(matches!(
            check_sheet(&org, Some(today), today, "x"),
            Err(StaffSheetError::OrganisationRevoked)
        ));
        let person = Operator::sample(OperatorKind::Rao);
        assert!(matches!(
            check_sheet(&person, Some(today), today, "x"),
            Err(StaffSheetError::NotAnOrganisation)
        ));
    }

    #[test]
    fn a_collaborator_added_by_a_later_sheet_starts_on_its_date() {
        // RA procedure: the start is the date of the new staff sheet. ICO IC Outsourcing's
        // staff work under its act (3 years from 01/12/2022): they end with it.
        let mut ico = Operator::sample(OperatorKind::Rao);
        ico.tax_code = TaxCode::parse("05550000482").unwrap();
        let act = MandateDates {
            start: d("2022-12-01"),
            end: d("2025-12-01"),
            capped_by_convention: false,
        };
        let m = added_member_dates(
            &ico,
            OperatorKind::Rao,
            act,
            d("2023-06-15"),
            d("2032-07-28"),
        )
        .unwrap();
        assert_eq!((m.start, m.end), (d("2023-06-15"), d("2025-12-01")));
        // An ODR organisation's collaborator added later has 3 years from the sheet's date.
        let mut odr = ico.clone();
        odr.kind = OperatorKind::Odr;
        let m = added_member_dates(
            &odr,
            OperatorKind::Odr,
            act,
            d("2023-06-15"),
            d("2032-07-28"),
        )
        .unwrap();
        assert_eq!((m.start, m.end), (d("2023-06-15"), d("2026-06-15")));
    }
}
