//! Operators of the registration authority (RA procedure, part 1): RAO (internal staff, or an
//! organisation such as Infocamere Scpa or ICO IC Outsourcing scrl whose staff are listed in a
//! staff sheet), ODR (a natural person, or an organisation whose collaborators are listed in a
//! staff sheet) and IR. An operator may be linked to a user account, who then sees their subtree.

use crate::Ctx;
use crate::accounts::{self, Principal, Role};
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::paging;
use crate::ra::accreditation::State;
use crate::ra::course::CourseResult;
use crate::ra::mandate::ActTerm;
use crate::registry::TaxCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperatorKind {
    /// RA procedure, part 1: internal chamber staff (Operatore della Registrazione), or an
    /// organisation with a RAO mandate and the staff listed in its staff sheet.
    Rao,
    /// RA procedure, part 1: external registration operator.
    Odr,
    /// RA procedure, part 1: registration agent (Incaricato della Registrazione).
    Ir,
}

impl OperatorKind {
    pub const ALL: [OperatorKind; 3] = [OperatorKind::Rao, OperatorKind::Odr, OperatorKind::Ir];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorKind::Rao => "rao",
            OperatorKind::Odr => "odr",
            OperatorKind::Ir => "ir",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label_key(self) -> &'static str {
        match self {
            OperatorKind::Rao => "ra-kind-rao",
            OperatorKind::Odr => "ra-kind-odr",
            OperatorKind::Ir => "ra-kind-ir",
        }
    }

    /// The user roles that may be linked to an operator of this kind.
    pub fn matches_role(self, role: Role) -> bool {
        match self {
            OperatorKind::Rao => role == Role::Rao || role.is_master_rao(),
            OperatorKind::Odr => role == Role::Odr,
            OperatorKind::Ir => role == Role::Ir,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mandate {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

pub type Course = CourseResult;

/// One operator, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub id: String,
    pub chamber_id: String,
    pub kind: OperatorKind,
    pub name: String,
    pub tax_code: TaxCode,
    pub email: String,
    /// RA procedure, part 1: the certified e-mail (PEC) of the acceptance form's contacts,
    /// where the revocation notice goes too.
    pub pec: Option<String>,
    /// For a collaborator: the organisation (an operator with an entity tax code).
    pub organisation_id: Option<String>,
    pub legal_rep_tax_code: Option<TaxCode>,
    /// The organisation's name in the registry when it was registered here.
    pub registry_name: Option<String>,
    pub first_phase: bool,
    pub user_id: Option<String>,
    pub office_id: Option<String>,
    pub state: State,
    pub protocol_date: Option<NaiveDate>,
    pub mandate: Option<Mandate>,
    pub course: Option<Course>,
    pub ca_window_start: Option<DateTime<Utc>>,
    pub revoked_effective: Option<NaiveDate>,
    pub revocation_reason: Option<String>,
    /// The term written in the act, when the office entered one (organisation RAOs).
    pub act_term: Option<ActTerm>,
    /// RA procedure, part 1: the mandate is for a CNS issuance service "svolto da remoto"
    /// (Infocamere Scpa).
    pub remote_issuance: bool,
}

impl Operator {
    /// RA procedure, part 1: an organisation (persona giuridica) has an entity tax code.
    pub fn is_organisation(&self) -> bool {
        !self.tax_code.is_personal()
    }

    /// The name as people read it: a person's in usual case ("Mario Rossi"), an
    /// organisation's as registered.
    pub fn display_name(&self) -> String {
        display_name(&self.name, self.tax_code.is_personal())
    }

    #[cfg(test)]
    pub fn sample(kind: OperatorKind) -> Self {
        Operator {
            id: "op".into(),
            chamber_id: "ch".into(),
            kind,
            name: "MARIO ROSSI".into(),
            tax_code: TaxCode::parse("RSSMRA80A01H501U").unwrap(),
            email: "mario@example.it".into(),
            pec: None,
            organisation_id: None,
            legal_rep_tax_code: None,
            registry_name: None,
            first_phase: false,
            user_id: None,
            office_id: None,
            state: State::New,
            protocol_date: None,
            mandate: None,
            course: None,
            ca_window_start: None,
            revoked_effective: None,
            revocation_reason: None,
            act_term: None,
            remote_issuance: false,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    chamber_id: String,
    kind: String,
    name: String,
    tax_code: String,
    email: String,
    pec: Option<String>,
    organisation_id: Option<String>,
    legal_rep_tax_code: Option<String>,
    registry_name: Option<String>,
    first_phase: i64,
    user_id: Option<String>,
    office_id: Option<String>,
    state: String,
    protocol_date: Option<String>,
    mandate_start: Option<String>,
    mandate_end: Option<String>,
    course_score: Option<i64>,
    course_passed_on: Option<String>,
    course_valid_until: Option<String>,
    ca_window_start: Option<String>,
    revoked_effective: Option<String>,
    revocation_reason: Option<String>,
    act_term_years: Option<i64>,
    act_term_end: Option<String>,
    remote_issuance: i64,
}

fn bad(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored {what} '{value}' is not valid").into())
}

fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>, sqlx::Error> {
    s.as_deref().map(db::parse_date).transpose()
}

impl TryFrom<Row> for Operator {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        let mandate = match (opt_date(r.mandate_start)?, opt_date(r.mandate_end)?) {
            (Some(start), Some(end)) => Some(Mandate { start, end }),
            _ => None,
        };
        let course = match (
            r.course_score,
            opt_date(r.course_passed_on)?,
            opt_date(r.course_valid_until)?,
        ) {
            (Some(score_percent), Some(passed_on), Some(valid_until)) => Some(Course {
                score_percent,
                passed_on,
                valid_until,
            }),
            _ => None,
        };
        let act_term = match (r.act_term_years, opt_date(r.act_term_end)?) {
            (Some(y), _) => Some(ActTerm::Years(
                u32::try_from(y).map_err(|_| bad("term", &y.to_string()))?,
            )),
            (None, Some(end)) => Some(ActTerm::Until(end)),
            (None, None) => None,
        };
        Ok(Operator {
            act_term,
            remote_issuance: r.remote_issuance != 0,
            kind: OperatorKind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
            tax_code: TaxCode::parse(&r.tax_code).map_err(|_| bad("tax code", &r.tax_code))?,
            legal_rep_tax_code: r
                .legal_rep_tax_code
                .as_deref()
                .map(|t| TaxCode::parse(t).map_err(|_| bad("tax code", t)))
                .transpose()?,
            state: State::parse(&r.state).ok_or_else(|| bad("state", &r.state))?,
            protocol_date: opt_date(r.protocol_date)?,
            ca_window_start: r
                .ca_window_start
                .as_deref()
                .map(db::parse_instant)
                .transpose()?,
            revoked_effective: opt_date(r.revoked_effective)?,
            mandate,
            course,
            id: r.id,
            chamber_id: r.chamber_id,
            name: r.name,
            email: r.email,
            pec: r.pec,
            organisation_id: r.organisation_id,
            registry_name: r.registry_name,
            first_phase: r.first_phase != 0,
            user_id: r.user_id,
            office_id: r.office_id,
            revocation_reason: r.revocation_reason,
        })
    }
}

macro_rules! select_operators {
    ($rest:literal) => {
        concat!(
            "SELECT id, chamber_id, kind, name, tax_code, email, pec, organisation_id, ",
            "legal_rep_tax_code, registry_name, first_phase, user_id, office_id, state, ",
            "protocol_date, mandate_start, mandate_end, course_score, course_passed_on, ",
            "course_valid_until, ca_window_start, revoked_effective, revocation_reason, ",
            "act_term_years, act_term_end, remote_issuance ",
            "FROM ra_operators ",
            $rest
        )
    };
}

fn decode(rows: Vec<Row>) -> Result<Vec<Operator>, sqlx::Error> {
    rows.into_iter().map(Operator::try_from).collect()
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Operator>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_operators!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(Operator::try_from)
        .transpose()
}

/// The operator inside a transaction (the use cases read and write in one).
pub async fn get_tx(tx: &mut Tx, id: &str) -> Result<Option<Operator>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_operators!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Operator::try_from)
        .transpose()
}

pub async fn list_in_chamber(db: &Db, chamber_id: &str) -> Result<Vec<Operator>, sqlx::Error> {
    decode(
        sqlx::query_as::<_, Row>(select_operators!(
            "WHERE chamber_id = $1 ORDER BY kind, name, id"
        ))
        .bind(chamber_id)
        .fetch_all(db.pool())
        .await?,
    )
}

/// The names of the operators `ids` (the ones a page shows: the holders of its stock lines,
/// the operators of its withdrawals), each read by the primary key: never the chamber's
/// whole list (issue 14). An id with no operator is left out.
pub async fn names_of(
    db: &Db,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let mut wanted: Vec<&String> = ids.iter().collect();
    wanted.sort();
    wanted.dedup();
    let mut names = std::collections::HashMap::new();
    for chunk in wanted.chunks(100) {
        let marks = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT id, name FROM ra_operators WHERE id IN ({marks})");
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.as_str());
        }
        names.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(names)
}

/// The statement of [`of_kind_from`]: `$1` chamber, `$2` kind, `$3` the first name, `$4` the
/// limit; one range of `ra_operators_chamber_kind_name` (chamber, kind, name, id).
fn of_kind_sql(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        select_operators!(
            "WHERE chamber_id = $1 AND kind = $2 AND name >= $3 ORDER BY name, id LIMIT $4"
        )
    )
}

/// At most `limit` operators of one kind of the chamber by name, from the first whose name
/// sorts at or after `starting` (`""`: from the first): a picker's bounded read, whatever the
/// number of the chamber's operators (issue 14: the devices page's withdrawal form read every
/// operator of the chamber to offer its RAOs).
pub async fn of_kind_from(
    db: &Db,
    chamber_id: &str,
    kind: OperatorKind,
    starting: &str,
    limit: i64,
) -> Result<Vec<Operator>, sqlx::Error> {
    decode(
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(of_kind_sql("")))
            .bind(chamber_id)
            .bind(kind.as_str())
            .bind(starting)
            .bind(limit)
            .fetch_all(db.pool())
            .await?,
    )
}

/// The engine's plan of the statement [`of_kind_from`] runs.
pub async fn of_kind_plan(
    db: &Db,
    chamber_id: &str,
    kind: OperatorKind,
    starting: &str,
) -> Result<Vec<String>, sqlx::Error> {
    paging::plan(
        db,
        sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(of_kind_sql(paging::explain(
            db,
        ))))
        .bind(chamber_id)
        .bind(kind.as_str())
        .bind(starting)
        .bind(51_i64),
    )
    .await
}

/// The statement of [`odr_accounts_page`] behind `prefix` (empty to run it, the engine's
/// `EXPLAIN` to plan it, [`odr_accounts_plan`]): `$1` chamber, then the range's key and
/// limit; one range of the partial index `ra_operators_chamber_odr_accounts` (chamber, kind,
/// name, id) of the operators that are no collaborators, for the ODRs that hold an advance
/// account (`devices::odr_account::holds_account`).
fn odr_accounts_sql(prefix: &str, range: &paging::Range) -> String {
    let (condition, order) = range.sql("name", "id", 2);
    format!(
        "{prefix}{}{condition}{order}",
        select_operators!("WHERE chamber_id = $1 AND kind = 'odr' AND organisation_id IS NULL")
    )
}

/// One page by name of the chamber's ODRs that hold an advance account, read by keyset
/// (issue 14: the consignments page read every operator of the chamber).
pub async fn odr_accounts_page(
    db: &Db,
    chamber_id: &str,
    request: &paging::Keyset,
) -> Result<paging::Slice<Operator>, sqlx::Error> {
    paging::keyset(
        request,
        paging::Order::Ascending,
        1,
        |_, range| async move {
            let sql = odr_accounts_sql("", &range);
            range
                .bind(sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(chamber_id))
                .fetch_all(db.pool())
                .await
        },
    )
    .await?
    .try_map(Operator::try_from)
}

/// The engine's plan of the statement [`odr_accounts_page`] runs after `from` (the first
/// page without).
pub async fn odr_accounts_plan(
    db: &Db,
    chamber_id: &str,
    from: Option<&paging::Key>,
) -> Result<Vec<String>, sqlx::Error> {
    paging::range_plan(
        db,
        odr_accounts_sql,
        chamber_id,
        paging::Order::Ascending,
        PLAN_PAGE,
        from,
    )
    .await
}

/// The page size the plans of the operators' lists are asked for (the pages show 50).
const PLAN_PAGE: u32 = 50;

/// The statement of one part of [`ending_between`]: `$1` chamber, `$2`/`$3` the first and
/// last day of the window; part 0 the active operators whose mandate ends in it, a range of
/// `ra_operators_chamber_mandate_end` (chamber, state, mandate end, id), part 1 those whose
/// course stops being valid in it, a range of `ra_operators_chamber_course_end`.
fn ending_sql(part: usize, prefix: &str) -> String {
    let rest = if part == 0 {
        select_operators!(
            "WHERE chamber_id = $1 AND state = 'active' AND mandate_end >= $2 \
             AND mandate_end <= $3 ORDER BY mandate_end, id"
        )
    } else {
        select_operators!(
            "WHERE chamber_id = $1 AND state = 'active' AND course_valid_until >= $2 \
             AND course_valid_until <= $3 ORDER BY course_valid_until, id"
        )
    };
    format!("{prefix}{rest}")
}

/// The active operators of a chamber whose mandate or course ends between `from` and `to`
/// (inclusive), each once, by kind, name and id (the order of [`list_in_chamber`]): two
/// ranges by date, so the alerts read the operators in their window, never the whole
/// chamber (issue 14).
pub async fn ending_between(
    db: &Db,
    chamber_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Operator>, sqlx::Error> {
    let mut rows: Vec<Row> = Vec::new();
    for part in 0..2 {
        rows.extend(
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(ending_sql(part, "")))
                .bind(chamber_id)
                .bind(db::date(from))
                .bind(db::date(to))
                .fetch_all(db.pool())
                .await?,
        );
    }
    rows.sort_by(|a, b| (&a.kind, &a.name, &a.id).cmp(&(&b.kind, &b.name, &b.id)));
    rows.dedup_by(|a, b| a.id == b.id);
    decode(rows)
}

/// The engine's plan of each statement [`ending_between`] runs: the mandates' range, then
/// the courses'.
pub async fn ending_plans(
    db: &Db,
    chamber_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let mut plans = Vec::new();
    for part in 0..2 {
        plans.push(
            paging::plan(
                db,
                sqlx::query_as::<_, paging::PlanLine>(sqlx::AssertSqlSafe(ending_sql(
                    part,
                    paging::explain(db),
                )))
                .bind(chamber_id)
                .bind(db::date(from))
                .bind(db::date(to)),
            )
            .await?,
        );
    }
    Ok(plans)
}

/// Which operators a page of the list holds: the chamber's, narrowed to a scope's ids (an
/// operator's own subtree) and to mandates expiring within a window.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only these operators (the caller's subtree); `None` for the whole chamber.
    pub only: Option<Vec<String>>,
    /// Only mandates in force on the first day and ending by the second (inclusive).
    pub expiring: Option<(NaiveDate, NaiveDate)>,
}

impl ListFilter {
    /// The statement of one keyset range: `$1` chamber, `$2`/`$3` the expiry window (or
    /// NULL), the scope's ids from `$4`, then the range's key and limit.
    fn sql(&self, prefix: &str, range: &paging::Range) -> String {
        let only = match &self.only {
            None => String::new(),
            // An empty scope sees nothing.
            Some(ids) if ids.is_empty() => " AND 1 = 0".to_string(),
            Some(ids) => format!(
                " AND id IN ({})",
                (0..ids.len())
                    .map(|i| format!("${}", i + 4))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let expiring = if self.expiring.is_some() {
            " AND mandate_start IS NOT NULL AND mandate_end >= $2 AND mandate_end <= $3"
        } else {
            " AND $2 IS NULL AND $3 IS NULL"
        };
        let first = 4 + self.only.as_ref().map_or(0, Vec::len);
        let (condition, order) = range.sql("name", "id", first);
        format!(
            "{prefix}{}",
            select_operators!("WHERE chamber_id = $1").to_string()
                + expiring
                + &only
                + &condition
                + &order
        )
    }

    /// The statement of one keyset range, bound: `prefix` empty to run it
    /// ([`page_in_chamber`]), the engine's `EXPLAIN` to plan it ([`page_plan`]), so the plan
    /// tested is the statement run.
    fn query<'q, O>(
        &'q self,
        prefix: &str,
        range: &paging::Range,
        chamber_id: &'q str,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let sql = self.sql(prefix, range);
        range.bind(self.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), chamber_id))
    }

    fn bind<'q, O>(
        &'q self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
        chamber_id: &'q str,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        let (from, to) = match self.expiring {
            Some((from, to)) => (Some(db::date(from)), Some(db::date(to))),
            None => (None, None),
        };
        let mut q = q.bind(chamber_id).bind(from).bind(to);
        for id in self.only.iter().flatten() {
            q = q.bind(id);
        }
        q
    }
}

impl paging::Keyed for Row {
    fn key(&self) -> paging::Key {
        paging::Key::new(self.name.clone(), self.id.clone())
    }
}

/// One page of a chamber's operators by name, read by keyset: one range of the
/// `ra_operators_chamber_name` index (chamber, name, id), never the whole chamber in memory.
pub async fn page_in_chamber(
    db: &Db,
    chamber_id: &str,
    filter: &ListFilter,
    request: &paging::Keyset,
) -> Result<paging::Slice<Operator>, sqlx::Error> {
    paging::keyset(
        request,
        paging::Order::Ascending,
        1,
        |_, range| async move {
            filter
                .query::<Row>("", &range, chamber_id)
                .fetch_all(db.pool())
                .await
        },
    )
    .await?
    .try_map(Operator::try_from)
}

/// How many operators [`page_in_chamber`] would list, read from at most
/// [`paging::COUNT_CAP`] + 1 rows of the same range (a home page's count).
pub async fn count_in_chamber(
    db: &Db,
    chamber_id: &str,
    filter: &ListFilter,
) -> Result<u64, sqlx::Error> {
    let range = count_range();
    let sql = paging::capped_count_sql(&filter.sql("", &range), "");
    let n: i64 = range
        .bind(filter.bind(
            sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)),
            chamber_id,
        ))
        .fetch_one(db.pool())
        .await?
        .0;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn count_range() -> paging::Range {
    paging::Range {
        from: None,
        ascending: true,
        limit: i64::try_from(paging::COUNT_CAP + 1).unwrap_or(i64::MAX),
    }
}

/// The engine's plan of the statement [`page_in_chamber`] runs after `from` (the first page
/// without).
pub async fn page_plan(
    db: &Db,
    chamber_id: &str,
    filter: &ListFilter,
    from: Option<&paging::Key>,
) -> Result<Vec<String>, sqlx::Error> {
    paging::plan(
        db,
        filter.query(
            paging::explain(db),
            &paging::Range::page(from, paging::Order::Ascending, PLAN_PAGE),
            chamber_id,
        ),
    )
    .await
}

pub async fn collaborators_tx(
    tx: &mut Tx,
    organisation_id: &str,
) -> Result<Vec<Operator>, sqlx::Error> {
    decode(
        sqlx::query_as::<_, Row>(select_operators!(
            "WHERE organisation_id = $1 ORDER BY name, id"
        ))
        .bind(organisation_id)
        .fetch_all(&mut **tx)
        .await?,
    )
}

pub async fn collaborators(db: &Db, organisation_id: &str) -> Result<Vec<Operator>, sqlx::Error> {
    decode(
        sqlx::query_as::<_, Row>(select_operators!(
            "WHERE organisation_id = $1 ORDER BY name, id"
        ))
        .bind(organisation_id)
        .fetch_all(db.pool())
        .await?,
    )
}

/// The operators a user account is linked to.
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<Operator>, sqlx::Error> {
    decode(
        sqlx::query_as::<_, Row>(select_operators!("WHERE user_id = $1 ORDER BY id"))
            .bind(user_id)
            .fetch_all(db.pool())
            .await?,
    )
}

pub async fn find_by_tax_code_tx(
    tx: &mut Tx,
    chamber_id: &str,
    tax_code: &TaxCode,
) -> Result<Option<Operator>, sqlx::Error> {
    sqlx::query_as::<_, Row>(select_operators!("WHERE chamber_id = $1 AND tax_code = $2"))
        .bind(chamber_id)
        .bind(tax_code.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .map(Operator::try_from)
        .transpose()
}

/// What the Master RAO enters to register an operator.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewOperator {
    pub kind: String,
    pub name: String,
    pub tax_code: String,
    pub email: String,
    /// The PEC address of the acceptance form's contacts, when given.
    #[serde(default)]
    pub pec: Option<String>,
    pub organisation_tax_code: Option<String>,
    pub legal_representative_tax_code: Option<String>,
    pub first_phase: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateOperatorError {
    #[error("kind must be rao, odr or ir")]
    Kind,
    #[error("the name must not be empty")]
    Name,
    #[error("not a valid tax code")]
    TaxCode,
    #[error("not a valid e-mail address")]
    Email,
    #[error("not a valid PEC address")]
    Pec,
    #[error("a RAO organisation's staff are RAO, and RAO are staff only of a RAO organisation")]
    CollaboratorKind,
    #[error("no ODR/IR organisation with tax code {0} in this chamber")]
    UnknownOrganisation(String),
    #[error("a collaborator is a person with a 16-character tax code")]
    CollaboratorIsAPerson,
    #[error("the organisation was revoked")]
    OrganisationRevoked,
    #[error("the legal representative's tax code is not a person's tax code")]
    LegalRep,
    #[error("an operator with this tax code already exists in the chamber")]
    Duplicate,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The Master RAO registers an operator in their own chamber (page and API): see [`create`].
pub async fn register(
    ctx: &Ctx,
    p: &Principal,
    new: NewOperator,
) -> Result<Operator, CreateOperatorError> {
    let chamber_id = chamber_of(p)?;
    let mut tx = ctx.db.begin().await?;
    let op = create(&mut tx, ctx.clock.now(), &p.actor(), chamber_id, new).await?;
    tx.commit().await?;
    Ok(op)
}

/// Registers an operator in state `new` inside `tx` (the demo seed and tests share it), linking a user account with the same e-mail (and a
/// matching role) in the chamber when there is one.
pub async fn create(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    new: NewOperator,
) -> Result<Operator, CreateOperatorError> {
    let kind = OperatorKind::parse(&new.kind).ok_or(CreateOperatorError::Kind)?;
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(CreateOperatorError::Name);
    }
    let tax_code = TaxCode::parse(&new.tax_code).map_err(|_| CreateOperatorError::TaxCode)?;
    let email = accounts::normalise_email(&new.email).ok_or(CreateOperatorError::Email)?;
    let pec = match new.pec.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(accounts::normalise_email(p).ok_or(CreateOperatorError::Pec)?),
        None => None,
    };
    let organisation_tax_code = new
        .organisation_tax_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let legal_rep = new
        .legal_representative_tax_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|t| TaxCode::parse(t).map_err(|_| CreateOperatorError::LegalRep))
        .transpose()?;
    if legal_rep.as_ref().is_some_and(|t| !t.is_personal()) {
        return Err(CreateOperatorError::LegalRep);
    }
    let organisation = match organisation_tax_code {
        Some(org) => {
            let org_code = TaxCode::parse(org)
                .map_err(|_| CreateOperatorError::UnknownOrganisation(org.to_string()))?;
            let org_op = find_by_tax_code_tx(tx, chamber_id, &org_code)
                .await?
                .filter(Operator::is_organisation)
                .ok_or_else(|| CreateOperatorError::UnknownOrganisation(org.to_string()))?;
            if !tax_code.is_personal() {
                return Err(CreateOperatorError::CollaboratorIsAPerson);
            }
            if org_op.state == State::Revoked {
                return Err(CreateOperatorError::OrganisationRevoked);
            }
            if !collaborator_kind_fits(org_op.kind, kind) {
                return Err(CreateOperatorError::CollaboratorKind);
            }
            Some(org_op)
        }
        None => None,
    };
    let registry_name: Option<String> = if tax_code.is_personal() {
        None
    } else {
        sqlx::query_scalar("SELECT name FROM companies WHERE tax_code = $1")
            .bind(tax_code.as_str())
            .fetch_optional(&mut **tx)
            .await?
    };
    let user_id = linkable_user(tx, chamber_id, &email, kind).await?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_operators (id, chamber_id, kind, name, tax_code, email, organisation_id, \
         legal_rep_tax_code, registry_name, first_phase, user_id, state, created_at, updated_at, \
         pec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'new', $12, $12, $13)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(kind.as_str())
    .bind(&name)
    .bind(tax_code.as_str())
    .bind(&email)
    .bind(organisation.as_ref().map(|o| o.id.clone()))
    .bind(legal_rep.as_ref().map(|t| t.as_str().to_string()))
    .bind(&registry_name)
    .bind(i64::from(new.first_phase))
    .bind(&user_id)
    .bind(db::instant(now))
    .bind(&pec)
    .execute(&mut **tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => CreateOperatorError::Duplicate,
        None => e.into(),
    })?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("ra.operator.create", "ra_operator", Some(&id)).after(json!({
            "kind": kind.as_str(), "name": name, "tax_code": tax_code.as_str(), "email": email,
            "pec": pec,
            "organisation_id": organisation.as_ref().map(|o| &o.id),
            "first_phase": new.first_phase, "user_id": user_id,
        })),
    )
    .await?;
    get_tx(tx, &id)
        .await?
        .ok_or_else(|| CreateOperatorError::Db(sqlx::Error::RowNotFound))
}

/// RA procedure, part 1: an organisation RAO (Infocamere, ICO) lists RAO in its staff sheet;
/// an ODR or IR organisation designates ODR and IR ("collega gli IR e ODR che il responsabile
/// dell'impresa ha individuato nella Scheda addetti").
pub fn collaborator_kind_fits(organisation: OperatorKind, collaborator: OperatorKind) -> bool {
    (organisation == OperatorKind::Rao) == (collaborator == OperatorKind::Rao)
}

/// A user of the chamber with this e-mail and a role matching the operator kind.
async fn linkable_user(
    tx: &mut Tx,
    chamber_id: &str,
    email: &str,
    kind: OperatorKind,
) -> Result<Option<String>, sqlx::Error> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE email = $1 AND chamber_id = $2")
            .bind(email)
            .bind(chamber_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(found
        .filter(|(_, role)| Role::parse(role).is_some_and(|r| kind.matches_role(r)))
        .map(|(id, _)| id))
}

#[derive(Debug, thiserror::Error)]
pub enum LinkUserError {
    #[error("no such user in this chamber")]
    UnknownUser,
    #[error("the user's role does not match the operator kind")]
    RoleMismatch,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The Master RAO links a user account of the chamber to an operator they can see (for when
/// the e-mail did not match at registration); the user then sees the operator's subtree.
pub async fn link(
    ctx: &Ctx,
    p: &Principal,
    operator_id: &str,
    user_id: &str,
) -> Result<Operator, LinkUserError> {
    let op = crate::ra::access::visible_operator(&ctx.db, p, operator_id).await?;
    let mut tx = ctx.db.begin().await?;
    link_user(&mut tx, ctx.clock.now(), &p.actor(), &op, user_id).await?;
    tx.commit().await?;
    Ok(op)
}

/// Links (or re-links) a user account of the chamber to an operator inside `tx` (the demo
/// seed shares it).
pub async fn link_user(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    op: &Operator,
    user_id: &str,
) -> Result<(), LinkUserError> {
    let user = sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT role, chamber_id FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .filter(|(_, chamber)| chamber.as_deref() == Some(op.chamber_id.as_str()))
    .ok_or(LinkUserError::UnknownUser)?;
    if !Role::parse(&user.0).is_some_and(|r| op.kind.matches_role(r)) {
        return Err(LinkUserError::RoleMismatch);
    }
    sqlx::query("UPDATE ra_operators SET user_id = $2, updated_at = $3 WHERE id = $1")
        .bind(&op.id)
        .bind(user_id)
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(&op.chamber_id)),
        Change::new("ra.operator.link_user", "ra_operator", Some(&op.id))
            .before(json!({"user_id": op.user_id}))
            .after(json!({"user_id": user_id})),
    )
    .await?;
    Ok(())
}

/// An operator's name as people read it: a person's (`personal`) in usual case, an
/// organisation's as registered.
pub fn display_name(name: &str, personal: bool) -> String {
    if personal {
        crate::display::usual_case(name)
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_rao_lists_rao_and_an_odr_organisation_odr_and_ir() {
        // RA procedure, part 1: Infocamere's staff sheet lists RAO; an ODR organisation's
        // sheet lists its ODR and IR.
        assert!(collaborator_kind_fits(OperatorKind::Rao, OperatorKind::Rao));
        assert!(!collaborator_kind_fits(
            OperatorKind::Rao,
            OperatorKind::Odr
        ));
        assert!(collaborator_kind_fits(OperatorKind::Odr, OperatorKind::Ir));
        assert!(collaborator_kind_fits(OperatorKind::Ir, OperatorKind::Odr));
        assert!(!collaborator_kind_fits(
            OperatorKind::Odr,
            OperatorKind::Rao
        ));
    }
}
