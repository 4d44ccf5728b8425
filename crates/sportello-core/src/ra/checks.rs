//! Alerts and periodic checks (RA procedure, part 1, "Verifiche periodiche"): the daily alert
//! to the Master RAO about mandates, courses and the convention ending within 60/30/7 days
//! (each alert once); the registry monitoring of operators, organisations and natural persons
//! ([`registry_monitoring`]); the yearly check of the self-declarations on a reproducible
//! random sample.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::jobs::Job;
use crate::notify::{self, OutgoingEmail};
use crate::ra::accreditation::State;
use crate::ra::convention;
use crate::ra::operator::{self, Operator};
use crate::ra::registry_monitoring::{self, RegistryCompany, RegistryPicture};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The Master RAO is alerted 60, 30 and 7 days before a mandate or course ends, so the RA
/// procedure's renewals can be arranged before an operator must stop.
pub const ALERT_DAYS: [i64; 3] = [60, 30, 7];

/// The alert threshold an end `days_left` away falls in (the smallest one reached), if any.
pub fn alert_threshold(days_left: i64) -> Option<i64> {
    if days_left < 0 {
        return None;
    }
    ALERT_DAYS.iter().rev().copied().find(|t| days_left <= *t)
}

/// Something ending soon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ending {
    pub what: &'static str,
    pub operator_id: Option<String>,
    pub name: String,
    pub end: NaiveDate,
    pub days_left: i64,
    pub threshold: i64,
}

impl Ending {
    fn key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.what,
            self.operator_id.as_deref().unwrap_or("-"),
            self.end,
            self.threshold
        )
    }

    fn line(&self) -> String {
        let what = match self.what {
            "mandate" => "Mandato",
            "course" => "Corso",
            _ => "Convenzione con il Certificatore",
        };
        format!(
            "- {what} {}: scade il {} (tra {} giorni)",
            self.name,
            crate::display::date(self.end),
            self.days_left
        )
    }
}

/// Everything of a chamber ending within 60 days of `today`.
pub fn endings(
    ops: &[Operator],
    convention_end: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<Ending> {
    let mut out = Vec::new();
    let mut push = |what, op: Option<&Operator>, name: &str, end: NaiveDate| {
        let days_left = (end - today).num_days();
        if let Some(threshold) = alert_threshold(days_left) {
            out.push(Ending {
                what,
                operator_id: op.map(|o| o.id.clone()),
                name: name.to_string(),
                end,
                days_left,
                threshold,
            });
        }
    };
    if let Some(end) = convention_end {
        push("convention", None, "", end);
    }
    for op in ops.iter().filter(|o| o.state == State::Active) {
        if let Some(m) = op.mandate {
            push("mandate", Some(op), &op.name, m.end);
        }
        if let Some(c) = op.course {
            push("course", Some(op), &op.name, c.valid_until);
        }
    }
    out
}

/// A change of an operator seen in the registry (see [`registry_monitoring`] for the kinds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RegistryFlag {
    pub id: String,
    pub operator_id: String,
    pub kind: String,
    pub detail: String,
    pub detected_at: String,
}

impl RegistryFlag {
    /// The sentence of the Master RAO's e-mail (Italian, as the alerts are).
    pub fn line(&self, operator_name: &str) -> String {
        let d = &self.detail;
        match self.kind.as_str() {
            "ceased" => format!("- {operator_name}: CESSATA nel Registro Imprese ({d})"),
            "renamed" => format!("- {operator_name}: nel Registro Imprese ora si chiama {d}"),
            "representative" => format!(
                "- {operator_name}: il legale rappresentante è cambiato; il Registro Imprese \
                 ora indica {d}"
            ),
            "no_longer_representative" => format!(
                "- {operator_name}: non è più legale rappresentante di {d} nel Registro Imprese"
            ),
            _ => format!(
                "- {operator_name}: non risulta più nel Registro Imprese (cancellazione o \
                 decesso da verificare); prima risultava in {d}"
            ),
        }
    }
}

/// What the Registry import says now of the operator with `tax_code`. A sole trader listed
/// among the representatives of their own trade is the trade itself, not a company they
/// represent.
async fn registry_picture(tx: &mut Tx, tax_code: &str) -> Result<RegistryPicture, sqlx::Error> {
    let own: Option<(String, String, String)> =
        sqlx::query_as("SELECT id, name, status FROM companies WHERE tax_code = $1")
            .bind(tax_code)
            .fetch_optional(&mut **tx)
            .await?;
    let own = match own {
        Some((id, name, status)) => Some(RegistryCompany {
            tax_code: tax_code.to_string(),
            name,
            status,
            representatives: sqlx::query_scalar(
                "SELECT tax_code FROM company_representatives WHERE company_id = $1 \
                 ORDER BY tax_code",
            )
            .bind(&id)
            .fetch_all(&mut **tx)
            .await?,
        }),
        None => None,
    };
    let represents: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.tax_code, c.name, c.status FROM company_representatives r \
         JOIN companies c ON c.id = r.company_id \
         WHERE r.tax_code = $1 AND c.tax_code <> $1 AND c.status = 'active' \
         ORDER BY c.tax_code",
    )
    .bind(tax_code)
    .fetch_all(&mut **tx)
    .await?;
    Ok(RegistryPicture {
        own,
        represents: represents
            .into_iter()
            .map(|(tax_code, name, status)| RegistryCompany {
                tax_code,
                name,
                status,
                representatives: Vec::new(),
            })
            .collect(),
    })
}

/// RA procedure, part 1 ("monitoraggio periodico ... in relazione alle modifiche societarie e
/// l'eventuale cancellazione del soggetto incaricato"): compares every operator not revoked,
/// organisations and natural persons, with the registry (the rules are in
/// [`registry_monitoring`]), records each new finding once and the picture seen for the next
/// comparison; returns the new flags.
pub async fn flag_registry_changes(
    tx: &mut Tx,
    now: DateTime<Utc>,
    chamber_id: &str,
    ops: &[Operator],
) -> Result<Vec<RegistryFlag>, sqlx::Error> {
    let mut new = Vec::new();
    for op in ops.iter().filter(|o| o.state != State::Revoked) {
        let picture = registry_picture(tx, op.tax_code.as_str()).await?;
        let prev: Option<String> =
            sqlx::query_scalar("SELECT picture FROM ra_registry_pictures WHERE operator_id = $1")
                .bind(&op.id)
                .fetch_optional(&mut **tx)
                .await?;
        // A picture that cannot be read (written by another version) is no baseline.
        let prev: Option<RegistryPicture> = prev.and_then(|p| serde_json::from_str(&p).ok());
        for f in registry_monitoring::findings(op, prev.as_ref(), &picture) {
            let flag = RegistryFlag {
                id: db::new_id(),
                operator_id: op.id.clone(),
                kind: f.kind.to_string(),
                detail: f.detail,
                detected_at: db::instant(now),
            };
            let inserted = sqlx::query(
                "INSERT INTO ra_registry_flags (id, chamber_id, operator_id, kind, detail, detected_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (operator_id, kind, detail) DO NOTHING",
            )
            .bind(&flag.id)
            .bind(chamber_id)
            .bind(&flag.operator_id)
            .bind(&flag.kind)
            .bind(&flag.detail)
            .bind(&flag.detected_at)
            .execute(&mut **tx)
            .await?;
            if inserted.rows_affected() == 1 {
                new.push(flag);
            }
        }
        sqlx::query(
            "INSERT INTO ra_registry_pictures (operator_id, picture, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (operator_id) DO UPDATE SET picture = excluded.picture, \
             seen_at = excluded.seen_at",
        )
        .bind(&op.id)
        .bind(json!(picture).to_string())
        .bind(db::instant(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(new)
}

/// What the checks page shows of the alerts: everything of the chamber ending within the
/// alert window (60 days from `today`), by the rule of [`endings`], from the active
/// operators whose mandate or course ends in that window only
/// ([`operator::ending_between`]: two ranges by date, never the whole chamber).
pub async fn window_endings(
    db: &Db,
    chamber_id: &str,
    convention_end: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Vec<Ending>, sqlx::Error> {
    let widest = ALERT_DAYS.iter().copied().max().unwrap_or(0);
    let last = today + chrono::Duration::days(widest);
    let ops = operator::ending_between(db, chamber_id, today, last).await?;
    Ok(endings(&ops, convention_end, today))
}

/// How many registry flags a page of the checks page shows.
pub const FLAGS_PAGE: u32 = 50;

impl crate::paging::Keyed for RegistryFlag {
    fn key(&self) -> crate::paging::Key {
        crate::paging::Key::new(self.detected_at.clone(), self.id.clone())
    }
}

/// The statement of [`registry_flags_page`]: `$1` the chamber, then the range's key and
/// limit; one range of `ra_registry_flags_chamber_detected` (chamber, detected at, id).
fn flags_sql(prefix: &str, range: &crate::paging::Range) -> String {
    let (condition, order) = range.sql("detected_at", "id", 2);
    format!(
        "{prefix}SELECT id, operator_id, kind, detail, detected_at FROM ra_registry_flags \
         WHERE chamber_id = $1{condition}{order}"
    )
}

/// One page of the chamber's registry flags, newest first, read by keyset (issue 14: the
/// checks page read every flag ever raised). A cursor of another chamber's flag only says
/// where to start: the rows are the chamber's own.
pub async fn registry_flags_page(
    db: &Db,
    chamber_id: &str,
    request: &crate::paging::Keyset,
) -> Result<crate::paging::Slice<RegistryFlag>, sqlx::Error> {
    crate::paging::keyset(
        request,
        crate::paging::Order::Descending,
        1,
        |_, range| async move {
            let sql = flags_sql("", &range);
            range
                .bind(sqlx::query_as::<_, RegistryFlag>(sqlx::AssertSqlSafe(sql)).bind(chamber_id))
                .fetch_all(db.pool())
                .await
        },
    )
    .await
}

/// The engine's plan of the statement [`registry_flags_page`] runs after `from` (the first
/// page without).
pub async fn registry_flags_plan(
    db: &Db,
    chamber_id: &str,
    from: Option<&crate::paging::Key>,
) -> Result<Vec<String>, sqlx::Error> {
    crate::paging::range_plan(
        db,
        flags_sql,
        chamber_id,
        crate::paging::Order::Descending,
        FLAGS_PAGE,
        from,
    )
    .await
}

/// The daily job: alerts by e-mail to the chamber's Master RAO (each alert once) and the
/// registry comparison of the operators.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DailyChecks {}

impl Job for DailyChecks {
    const KIND: &'static str = "ra_daily_checks";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let chambers: Vec<String> = sqlx::query_scalar("SELECT id FROM chambers ORDER BY id")
            .fetch_all(state.db.pool())
            .await?;
        for chamber_id in chambers {
            run_for_chamber(state, &chamber_id).await?;
        }
        Ok(())
    }
}

/// The daily checks of one chamber; returns how many alerts went out.
pub async fn run_for_chamber(state: &Ctx, chamber_id: &str) -> anyhow::Result<usize> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let ops = operator::list_in_chamber(&state.db, chamber_id).await?;
    let conv = convention::current(&state.db, chamber_id).await?;
    let masters: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM users WHERE chamber_id = $1 AND role = 'master-rao' AND active = 1 \
         ORDER BY email",
    )
    .bind(chamber_id)
    .fetch_all(state.db.pool())
    .await?;
    let mut tx = state.db.begin().await?;
    let mut lines = Vec::new();
    for e in endings(&ops, conv.map(|c| c.end), today) {
        let sent = sqlx::query(
            "INSERT INTO ra_alerts_sent (alert_key, chamber_id, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (alert_key) DO NOTHING",
        )
        .bind(e.key())
        .bind(chamber_id)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?;
        if sent.rows_affected() == 1 {
            lines.push(e.line());
        }
    }
    for f in flag_registry_changes(&mut tx, now, chamber_id, &ops).await? {
        let name = ops
            .iter()
            .find(|o| o.id == f.operator_id)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        lines.push(f.line(&name));
    }
    if !lines.is_empty() {
        let body = format!(
            "Verifiche quotidiane dell'Autorità di registrazione del {}:\n\n{}\n",
            crate::display::date(today),
            lines.join("\n")
        );
        for to in &masters {
            notify::queue(
                &mut tx,
                now,
                OutgoingEmail {
                    to: to.clone(),
                    subject: "Autorità di registrazione: scadenze e variazioni".into(),
                    body_text: body.clone(),
                    chamber_id: Some(chamber_id.to_string()),
                    attachments: Vec::new(),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(lines.len())
}

/// The RA procedure's periodic checks are made on a sample: draws `size` operator ids from `population` with a ChaCha8 generator seeded
/// with `seed`. The same population (in any order), seed and size give the same sample, so
/// an auditor can redraw it.
pub fn draw_sample(population: &[String], seed: u64, size: usize) -> Vec<String> {
    let mut pool: Vec<String> = population.to_vec();
    pool.sort();
    pool.dedup();
    let size = size.min(pool.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..size {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    pool.truncate(size);
    pool
}

/// A yearly check of the self-declarations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelfCheck {
    pub id: String,
    pub year: i64,
    pub seed: u64,
    pub sample_size: i64,
    pub population: Vec<String>,
    pub sample: Vec<String>,
    pub drawn_at: String,
    pub drawn_by: String,
}

impl SelfCheck {
    /// Whether drawing again from the recorded population and seed gives the recorded sample.
    pub fn redraw_matches(&self) -> bool {
        draw_sample(&self.population, self.seed, self.sample_size as usize) == self.sample
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SelfCheckError {
    #[error("the check of {0} was already drawn")]
    AlreadyDrawn(i64),
    #[error("no operator to check")]
    Empty,
    /// No such check in the caller's chamber, or the operator is not in its sample.
    #[error("no such check or operator in its sample")]
    NotFound,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// RA procedure (RA procedure, part 1): the Master RAO draws this year's check of the
/// self-declarations of their chamber's external operators (ODR and IR not revoked). `size`
/// None checks all of them, as the seed does. The seed of the draw is random and recorded,
/// so an auditor can redraw the same sample; one check per chamber and year.
pub async fn draw_yearly_check(
    ctx: &Ctx,
    p: &Principal,
    size: Option<usize>,
) -> Result<SelfCheck, SelfCheckError> {
    let chamber_id = chamber_of(p)?;
    let year = i64::from(ctx.clock.today().year());
    let seed: u64 = rand::random();
    let mut tx = ctx.db.begin().await?;
    let check = draw(
        &mut tx,
        ctx.clock.now(),
        &p.actor(),
        chamber_id,
        year,
        size,
        seed,
    )
    .await?;
    tx.commit().await?;
    Ok(check)
}

/// Draws and records the check of `year` inside `tx`.
async fn draw(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    year: i64,
    size: Option<usize>,
    seed: u64,
) -> Result<SelfCheck, SelfCheckError> {
    let population: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM ra_operators WHERE chamber_id = $1 AND kind IN ('odr', 'ir') \
         AND state <> 'revoked' ORDER BY id",
    )
    .bind(chamber_id)
    .fetch_all(&mut **tx)
    .await?;
    if population.is_empty() {
        return Err(SelfCheckError::Empty);
    }
    let size = size.unwrap_or(population.len()).clamp(1, population.len());
    let sample = draw_sample(&population, seed, size);
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_self_checks (id, chamber_id, year, seed, sample_size, population, sample, \
         drawn_at, drawn_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(year)
    .bind(seed.to_string())
    .bind(size as i64)
    .bind(json!(population).to_string())
    .bind(json!(sample).to_string())
    .bind(db::instant(now))
    .bind(&actor.label)
    .execute(&mut **tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => SelfCheckError::AlreadyDrawn(year),
        None => e.into(),
    })?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("ra.self_check.draw", "ra_self_check", Some(&id)).after(json!({
            "year": year, "seed": seed.to_string(), "sample_size": size, "sample": sample,
        })),
    )
    .await?;
    Ok(SelfCheck {
        id,
        year,
        seed,
        sample_size: size as i64,
        population,
        sample,
        drawn_at: db::instant(now),
        drawn_by: actor.label.clone(),
    })
}

#[derive(sqlx::FromRow)]
struct CheckRow {
    id: String,
    year: i64,
    seed: String,
    sample_size: i64,
    population: String,
    sample: String,
    drawn_at: String,
    drawn_by: String,
}

pub async fn self_checks(db: &Db, chamber_id: &str) -> Result<Vec<SelfCheck>, sqlx::Error> {
    let rows: Vec<CheckRow> = sqlx::query_as(
        "SELECT id, year, seed, sample_size, population, sample, drawn_at, drawn_by \
         FROM ra_self_checks WHERE chamber_id = $1 ORDER BY year DESC",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(SelfCheck::try_from).collect()
}

/// How many yearly checks the checks page shows: this year's and the previous ones.
pub const CHECKS_SHOWN: i64 = 5;

impl crate::paging::Keyed for SelfCheck {
    /// The year, padded so that text order is year order (one check a chamber and year).
    fn key(&self) -> crate::paging::Key {
        crate::paging::Key::new(format!("{:010}", self.year), self.id.clone())
    }
}

/// The statement of [`self_checks_page`]: `$1` the chamber, then the cursor's year (when
/// there is a cursor) and the limit; one range of the `(chamber_id, year)` key, read from the
/// cursor's year in the range's direction.
fn checks_page_sql(prefix: &str, range: &crate::paging::Range) -> String {
    let (cmp, dir) = if range.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let (condition, limit) = match range.from {
        Some(_) => (format!(" AND year {cmp} $2"), 3),
        None => (String::new(), 2),
    };
    format!(
        "{prefix}SELECT id, year, seed, sample_size, population, sample, drawn_at, drawn_by \
         FROM ra_self_checks WHERE chamber_id = $1{condition} ORDER BY year {dir} LIMIT ${limit}"
    )
}

/// The year a cursor names; a key that is not a year (crafted) starts past every year.
fn cursor_year(range: &crate::paging::Range) -> Option<i64> {
    range.from.as_ref().map(|k| {
        k.sort
            .trim()
            .parse::<i64>()
            .unwrap_or(if range.ascending { i64::MAX } else { i64::MIN })
    })
}

/// One page of the chamber's yearly checks, newest year first, read by keyset on the year
/// ([`CHECKS_SHOWN`] a page on the checks page): the older years stay reachable page after
/// page, and no page reads more than its rows and one. A cursor of another chamber's check
/// only says which year to start from.
pub async fn self_checks_page(
    db: &Db,
    chamber_id: &str,
    request: &crate::paging::Keyset,
) -> Result<crate::paging::Slice<SelfCheck>, sqlx::Error> {
    crate::paging::keyset(
        request,
        crate::paging::Order::Descending,
        1,
        |_, range| async move {
            let sql = checks_page_sql("", &range);
            let mut q = sqlx::query_as::<_, CheckRow>(sqlx::AssertSqlSafe(sql)).bind(chamber_id);
            if let Some(year) = cursor_year(&range) {
                q = q.bind(year);
            }
            let rows = q.bind(range.limit).fetch_all(db.pool()).await?;
            rows.into_iter().map(SelfCheck::try_from).collect()
        },
    )
    .await
}

/// The engine's plan of the statement [`self_checks_page`] runs after `year` (the first page
/// without).
pub async fn self_checks_page_plan(
    db: &Db,
    chamber_id: &str,
    year: Option<i64>,
) -> Result<Vec<String>, sqlx::Error> {
    let range = crate::paging::Range {
        from: year.map(|y| crate::paging::Key::new(format!("{y:010}"), "")),
        ascending: false,
        limit: CHECKS_SHOWN + 1,
    };
    let sql = checks_page_sql(crate::paging::explain(db), &range);
    let mut q =
        sqlx::query_as::<_, crate::paging::PlanLine>(sqlx::AssertSqlSafe(sql)).bind(chamber_id);
    if let Some(year) = cursor_year(&range) {
        q = q.bind(year);
    }
    crate::paging::plan(db, q.bind(range.limit)).await
}

impl TryFrom<CheckRow> for SelfCheck {
    type Error = sqlx::Error;
    fn try_from(r: CheckRow) -> Result<Self, sqlx::Error> {
        let bad = |e: &dyn std::fmt::Display| sqlx::Error::Decode(e.to_string().into());
        Ok(SelfCheck {
            seed: r.seed.parse().map_err(|e| bad(&e))?,
            population: serde_json::from_str(&r.population).map_err(|e| bad(&e))?,
            sample: serde_json::from_str(&r.sample).map_err(|e| bad(&e))?,
            id: r.id,
            year: r.year,
            sample_size: r.sample_size,
            drawn_at: r.drawn_at,
            drawn_by: r.drawn_by,
        })
    }
}

/// One recorded outcome of the check of an operator's self-declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Outcome {
    pub check_id: String,
    pub operator_id: String,
    pub outcome: String,
    pub note: Option<String>,
}

/// The Master RAO records (or corrects) the outcome of the check `check_id` of their chamber
/// for an operator of its sample; a blank note is no note.
pub async fn record_outcome(
    ctx: &Ctx,
    p: &Principal,
    check_id: &str,
    operator_id: &str,
    compliant: bool,
    note: &str,
) -> Result<(), SelfCheckError> {
    let chamber_id = chamber_of(p)?;
    let check = self_checks(&ctx.db, chamber_id)
        .await?
        .into_iter()
        .find(|c| c.id == check_id)
        .ok_or(SelfCheckError::NotFound)?;
    if !check.sample.iter().any(|s| s == operator_id) {
        return Err(SelfCheckError::NotFound);
    }
    let note = Some(note.trim()).filter(|n| !n.is_empty());
    let now = ctx.clock.now();
    let actor = p.actor();
    let outcome = if compliant {
        "compliant"
    } else {
        "non_compliant"
    };
    let mut tx = ctx.db.begin().await?;
    sqlx::query("DELETE FROM ra_self_check_outcomes WHERE check_id = $1 AND operator_id = $2")
        .bind(&check.id)
        .bind(operator_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO ra_self_check_outcomes (check_id, operator_id, outcome, note, recorded_at, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&check.id)
    .bind(operator_id)
    .bind(outcome)
    .bind(note)
    .bind(db::instant(now))
    .bind(&actor.label)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new("ra.self_check.outcome", "ra_operator", Some(operator_id))
            .after(json!({"check_id": check.id, "outcome": outcome, "note": note})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn outcomes(db: &Db, check_id: &str) -> Result<Vec<Outcome>, sqlx::Error> {
    sqlx::query_as(
        "SELECT check_id, operator_id, outcome, note FROM ra_self_check_outcomes \
         WHERE check_id = $1 ORDER BY operator_id",
    )
    .bind(check_id)
    .fetch_all(db.pool())
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_alert_falls_in_the_smallest_threshold_reached() {
        assert_eq!(alert_threshold(61), None);
        assert_eq!(alert_threshold(60), Some(60));
        assert_eq!(alert_threshold(31), Some(60));
        assert_eq!(alert_threshold(30), Some(30));
        assert_eq!(alert_threshold(7), Some(7));
        assert_eq!(alert_threshold(0), Some(7));
        assert_eq!(alert_threshold(-1), None);
    }

    #[test]
    fn the_self_declaration_sample_is_reproducible_from_its_seed() {
        let pop: Vec<String> = (0..20).map(|i| format!("op{i:02}")).collect();
        let a = draw_sample(&pop, 42, 5);
        let mut shuffled = pop.clone();
        shuffled.reverse();
        assert_eq!(
            draw_sample(&shuffled, 42, 5),
            a,
            "order of the population does not matter"
        );
        assert_eq!(a.len(), 5);
        assert_ne!(draw_sample(&pop, 43, 5), a);
        assert_eq!(
            draw_sample(&pop, 7, 50).len(),
            20,
            "never more than the population"
        );
    }
}
