//! The recall of the devices of a revoked ODR (RA procedure, part 1, "Procedura di revoca ODR":
//! "l'ODR in caso di revoca dovrà restituire il materiale eventualmente ricevuto").
//!
//! The revocation opens one recall listing every device consigned to the ODR (or to its
//! collaborators) that day, with the fee its advance account held for it. Each device then
//! leaves the list in one of three ways: returned into the cabinet (one person reports it back
//! in hand, another confirms: the two-person rule of [`two_person`]), written off as lost,
//! damaged or destroyed through the usual [`crate::devices::write_off`], or issued. Whatever
//! the path, [`inventory::apply_move`] records the outcome here, and the recall closes when no
//! device is outstanding. Until then [`SendRecallReminders`] reminds the ODR by e-mail.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::devices::advance::AdvanceError;
use crate::devices::inventory::{self, Device, MoveError, MoveSpec};
use crate::devices::kind::DeviceKind;
use crate::devices::state::{DeviceState, Move};
use crate::devices::two_person::{self, person};
use crate::jobs::Job;
use crate::notify::{self, OutgoingEmail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Days between two reminders to an ODR that has not returned everything. The RA procedure
/// sets no interval: a week is the platform's choice.
pub const REMINDER_EVERY_DAYS: i64 = 7;

/// The longest note kept with a return.
pub const MAX_NOTE_CHARS: usize = 500;

/// What became of one recalled device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still with the ODR.
    Outstanding,
    /// Back in the chamber's cabinet.
    Returned,
    /// Written off as lost, damaged or destroyed (two people, [`crate::devices::write_off`]).
    WrittenOff,
    /// Personalised and handed over to a holder.
    Issued,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Outstanding => "outstanding",
            Outcome::Returned => "returned",
            Outcome::WrittenOff => "written_off",
            Outcome::Issued => "issued",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Outcome::Outstanding,
            Outcome::Returned,
            Outcome::WrittenOff,
            Outcome::Issued,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("recall-outcome-{}", self.as_str().replace('_', "-"))
    }

    /// RA procedure, part 1: a recalled device leaves the ODR's hands by coming back to the
    /// cabinet, by being written off, or by being issued; any other move keeps it outstanding.
    pub fn after_move(to: DeviceState) -> Option<Outcome> {
        match to {
            DeviceState::InCabinet => Some(Outcome::Returned),
            DeviceState::Issued => Some(Outcome::Issued),
            DeviceState::Lost | DeviceState::Damaged | DeviceState::Destroyed => {
                Some(Outcome::WrittenOff)
            }
            _ => None,
        }
    }
}

/// One recall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Recall {
    pub id: String,
    pub chamber_id: String,
    pub operator_id: String,
    /// The revocation's effective day (YYYY-MM-DD).
    pub effective: String,
    /// `open` or `closed`.
    pub status: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub next_reminder_on: Option<String>,
}

impl Recall {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

/// One device of a recall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub device_id: String,
    pub serial: String,
    pub kind: DeviceKind,
    pub consigned_at: Option<String>,
    pub held_fee_cents: i64,
    pub outcome: Outcome,
    pub return_reported_by: Option<String>,
    pub return_reported_by_label: Option<String>,
    pub return_reported_at: Option<String>,
    pub return_note: Option<String>,
    pub closed_at: Option<String>,
    pub closed_by_label: Option<String>,
    /// A write-off report on the device waits for its second person.
    pub write_off_pending: bool,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    device_id: String,
    serial: String,
    kind: String,
    consigned_at: Option<String>,
    held_fee_cents: i64,
    outcome: String,
    return_reported_by: Option<String>,
    return_reported_by_label: Option<String>,
    return_reported_at: Option<String>,
    return_note: Option<String>,
    closed_at: Option<String>,
    closed_by_label: Option<String>,
    write_off_pending: i64,
}

impl TryFrom<LineRow> for Line {
    type Error = sqlx::Error;
    fn try_from(r: LineRow) -> Result<Self, sqlx::Error> {
        let bad = |w: &str, v: &str| sqlx::Error::Decode(format!("recall {w} '{v}'").into());
        Ok(Line {
            kind: DeviceKind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
            outcome: Outcome::parse(&r.outcome).ok_or_else(|| bad("outcome", &r.outcome))?,
            device_id: r.device_id,
            serial: r.serial,
            consigned_at: r.consigned_at,
            held_fee_cents: r.held_fee_cents,
            return_reported_by: r.return_reported_by,
            return_reported_by_label: r.return_reported_by_label,
            return_reported_at: r.return_reported_at,
            return_note: r.return_note,
            closed_at: r.closed_at,
            closed_by_label: r.closed_by_label,
            write_off_pending: r.write_off_pending != 0,
        })
    }
}

/// The consigned-fee settlement of a recall: what the ODR pays and what goes back to its
/// advance account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub devices: i64,
    pub outstanding: i64,
    pub returned: i64,
    pub written_off: i64,
    pub issued: i64,
    /// Fees spent from the advance for devices issued or written off: the ODR pays them.
    pub owed_cents: i64,
    /// Fees given back to the advance's balance for devices returned.
    pub released_cents: i64,
    /// Fees still held for devices outstanding.
    pub pending_cents: i64,
}

/// RA procedure, part 2 (the fee of a consigned device is paid from the ODR's "conto
/// anticipo"): a device returned gives its held fee back to the balance; one issued or
/// written off spends it; a free smart card holds no fee, so it costs nothing either way.
pub fn settlement(lines: &[Line]) -> Settlement {
    let mut s = Settlement::default();
    for l in lines {
        s.devices += 1;
        match l.outcome {
            Outcome::Outstanding => {
                s.outstanding += 1;
                s.pending_cents += l.held_fee_cents;
            }
            Outcome::Returned => {
                s.returned += 1;
                s.released_cents += l.held_fee_cents;
            }
            Outcome::WrittenOff => {
                s.written_off += 1;
                s.owed_cents += l.held_fee_cents;
            }
            Outcome::Issued => {
                s.issued += 1;
                s.owed_cents += l.held_fee_cents;
            }
        }
    }
    s
}

/// A recall with its devices and settlement.
#[derive(Clone, Debug, Serialize)]
pub struct RecallView {
    pub recall: Recall,
    pub lines: Vec<Line>,
    pub settlement: Settlement,
}

const SELECT_RECALL: &str = "SELECT id, chamber_id, operator_id, effective, status, opened_at, \
     closed_at, next_reminder_on FROM dev_recalls ";

async fn lines_of(db: &Db, recall_id: &str) -> Result<Vec<Line>, sqlx::Error> {
    sqlx::query_as::<_, LineRow>(
        "SELECT l.device_id, d.serial, d.kind, l.consigned_at, l.held_fee_cents, l.outcome, \
         l.return_reported_by, l.return_reported_by_label, l.return_reported_at, l.return_note, \
         l.closed_at, l.closed_by_label, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM dev_write_offs w WHERE w.device_id = l.device_id \
         AND w.status = 'pending') THEN 1 ELSE 0 END AS BIGINT) AS write_off_pending \
         FROM dev_recall_devices l JOIN dev_devices d ON d.id = l.device_id \
         WHERE l.recall_id = $1 ORDER BY d.serial",
    )
    .bind(recall_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Line::try_from)
    .collect()
}

/// The recall of the revoked operator `operator_id` in `chamber_id`, if one was opened.
pub async fn of_operator(
    db: &Db,
    chamber_id: &str,
    operator_id: &str,
) -> Result<Option<RecallView>, sqlx::Error> {
    let recall: Option<Recall> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_RECALL} WHERE operator_id = $1 AND chamber_id = $2"
    )))
    .bind(operator_id)
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(recall) = recall else {
        return Ok(None);
    };
    let lines = lines_of(db, &recall.id).await?;
    Ok(Some(RecallView {
        settlement: settlement(&lines),
        recall,
        lines,
    }))
}

/// The recall `id` of `chamber_id` with its devices and settlement (another chamber's recall
/// does not exist).
pub async fn view(db: &Db, chamber_id: &str, id: &str) -> Result<Option<RecallView>, sqlx::Error> {
    let Some(recall) = get(db, chamber_id, id).await? else {
        return Ok(None);
    };
    let lines = lines_of(db, &recall.id).await?;
    Ok(Some(RecallView {
        settlement: settlement(&lines),
        recall,
        lines,
    }))
}

/// The operator of the recall `id` in `chamber_id` (another chamber's recall does not exist).
pub async fn operator_of(
    db: &Db,
    chamber_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(get(db, chamber_id, id).await?.map(|r| r.operator_id))
}

async fn get(db: &Db, chamber_id: &str, id: &str) -> Result<Option<Recall>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_RECALL} WHERE id = $1 AND chamber_id = $2"
    )))
    .bind(id)
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await
}

/// One device put on a recall, as the notice to the ODR lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recalled {
    pub serial: String,
    pub kind: DeviceKind,
}

/// Opens the recall of every device consigned to `holders` (the revoked ODR and its
/// collaborators) inside the revocation's transaction; none is opened when they hold nothing.
/// Returns the devices listed.
#[allow(clippy::too_many_arguments)]
pub async fn open(
    tx: &mut Tx,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    chamber_id: &str,
    operator_id: &str,
    holders: &[String],
    effective: NaiveDate,
) -> Result<Vec<Recalled>, sqlx::Error> {
    let mut devices: Vec<(String, String, String, String, i64, Option<String>)> = Vec::new();
    for h in holders {
        let mut held: Vec<(String, String, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT d.id, d.serial, d.kind, d.holder_operator_id, d.held_fee_cents, \
             (SELECT MAX(m.at) FROM dev_moves m WHERE m.device_id = d.id AND m.move = 'consign') \
             FROM dev_devices d WHERE d.chamber_id = $1 AND d.holder_operator_id = $2 \
             AND d.state = 'consigned_to_odr' ORDER BY d.serial",
        )
        .bind(chamber_id)
        .bind(h)
        .fetch_all(&mut **tx)
        .await?;
        devices.append(&mut held);
    }
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO dev_recalls (id, chamber_id, operator_id, effective, status, opened_at, \
         next_reminder_on) VALUES ($1, $2, $3, $4, 'open', $5, $6)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(operator_id)
    .bind(db::date(effective))
    .bind(db::instant(now))
    .bind(db::date(today + Duration::days(REMINDER_EVERY_DAYS)))
    .execute(&mut **tx)
    .await?;
    let mut listed = Vec::with_capacity(devices.len());
    for (device_id, serial, kind, holder, fee, consigned_at) in devices {
        sqlx::query(
            "INSERT INTO dev_recall_devices (recall_id, device_id, holder_operator_id, \
             consigned_at, held_fee_cents, outcome) VALUES ($1, $2, $3, $4, $5, 'outstanding')",
        )
        .bind(&id)
        .bind(&device_id)
        .bind(&holder)
        .bind(&consigned_at)
        .bind(fee)
        .execute(&mut **tx)
        .await?;
        let kind = DeviceKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("device kind '{kind}'").into()))?;
        listed.push(Recalled { serial, kind });
    }
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.recall.open", "device_recall", Some(&id)).after(json!({
            "operator_id": operator_id,
            "serials": listed.iter().map(|d| d.serial.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(listed)
}

/// Whether `device_id` is outstanding on an open recall (its return then takes two people).
pub async fn is_outstanding(db: &Db, device_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_recall_devices l JOIN dev_recalls r ON r.id = l.recall_id \
         WHERE l.device_id = $1 AND l.outcome = 'outstanding' AND r.status = 'open'",
    )
    .bind(device_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Called by [`inventory::apply_move`] for every device leaving an ODR's consignment: records
/// the outcome on its open recall, if any, and closes the recall when nothing is outstanding.
pub(crate) async fn record_outcome(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    device: &Device,
    to: DeviceState,
) -> Result<(), sqlx::Error> {
    let Some(outcome) = Outcome::after_move(to) else {
        return Ok(());
    };
    let recall: Option<(String, String)> = sqlx::query_as(
        "SELECT r.id, r.chamber_id FROM dev_recall_devices l \
         JOIN dev_recalls r ON r.id = l.recall_id \
         WHERE l.device_id = $1 AND l.outcome = 'outstanding' AND r.status = 'open'",
    )
    .bind(&device.id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((recall_id, chamber_id)) = recall else {
        return Ok(());
    };
    let at = db::instant(now);
    sqlx::query(
        "UPDATE dev_recall_devices SET outcome = $3, closed_at = $4, closed_by_label = $5 \
         WHERE recall_id = $1 AND device_id = $2 AND outcome = 'outstanding'",
    )
    .bind(&recall_id)
    .bind(&device.id)
    .bind(outcome.as_str())
    .bind(&at)
    .bind(&actor.label)
    .execute(&mut **tx)
    .await?;
    let closed = sqlx::query(
        "UPDATE dev_recalls SET status = 'closed', closed_at = $2, next_reminder_on = NULL \
         WHERE id = $1 AND status = 'open' AND NOT EXISTS (SELECT 1 FROM dev_recall_devices \
         WHERE recall_id = $1 AND outcome = 'outstanding')",
    )
    .bind(&recall_id)
    .bind(&at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if closed == 1 {
        audit::record(
            tx,
            now,
            &actor.clone().in_chamber(Some(&chamber_id)),
            Change::new("device.recall.close", "device_recall", Some(&recall_id))
                .after(json!({"status": "closed", "last_serial": device.serial})),
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum RecallError {
    /// No such recall or device on it in the caller's chamber.
    #[error("no such recall or device")]
    NotFound,
    #[error("the recall is closed")]
    Closed,
    #[error("the device is no longer outstanding")]
    NotOutstanding,
    #[error("the return of this device was already reported")]
    AlreadyReported,
    #[error("the return must be reported before it is confirmed")]
    NotReported,
    /// RA procedure, part 2: two people; the one who reported cannot confirm.
    #[error("the person who reported the return cannot confirm it")]
    SamePerson,
    #[error("the note is longer than {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Advance(#[from] AdvanceError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The outstanding line of `device_id` on the open recall `recall_id` of the caller's chamber.
async fn outstanding_line(
    ctx: &Ctx,
    p: &Principal,
    recall_id: &str,
    device_id: &str,
) -> Result<(Recall, Line), RecallError> {
    let chamber_id = chamber_of(p)?;
    let recall = get(&ctx.db, chamber_id, recall_id)
        .await?
        .ok_or(RecallError::NotFound)?;
    let line = lines_of(&ctx.db, &recall.id)
        .await?
        .into_iter()
        .find(|l| l.device_id == device_id)
        .ok_or(RecallError::NotFound)?;
    if !recall.is_open() {
        return Err(RecallError::Closed);
    }
    if line.outcome != Outcome::Outstanding {
        return Err(RecallError::NotOutstanding);
    }
    Ok((recall, line))
}

/// The first person reports a recalled device back in the chamber's hands, with an optional
/// note. Nothing moves yet.
pub async fn report_return(
    ctx: &Ctx,
    p: &Principal,
    recall_id: &str,
    device_id: &str,
    note: &str,
) -> Result<Recall, RecallError> {
    let (recall, line) = outstanding_line(ctx, p, recall_id, device_id).await?;
    if line.return_reported_by.is_some() {
        return Err(RecallError::AlreadyReported);
    }
    let note = Some(note.trim()).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(RecallError::NoteTooLong);
    }
    let (now, actor) = (ctx.clock.now(), p.actor());
    let mut tx = ctx.db.begin().await?;
    let taken = sqlx::query(
        "UPDATE dev_recall_devices SET return_reported_by = $3, return_reported_by_label = $4, \
         return_reported_at = $5, return_note = $6 WHERE recall_id = $1 AND device_id = $2 \
         AND outcome = 'outstanding' AND return_reported_by IS NULL",
    )
    .bind(&recall.id)
    .bind(device_id)
    .bind(person(p))
    .bind(&actor.label)
    .bind(db::instant(now))
    .bind(note)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken != 1 {
        return Err(RecallError::AlreadyReported);
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&recall.chamber_id)),
        Change::new(
            "device.recall.return_report",
            "device_recall",
            Some(&recall.id),
        )
        .after(json!({"device_id": device_id, "serial": line.serial, "note": note})),
    )
    .await?;
    tx.commit().await?;
    Ok(recall)
}

/// The second person confirms a reported return: in one transaction the device goes back into
/// the cabinet, the fee held for it goes back to the ODR's balance, the recall records the
/// return and closes when it was the last device.
pub async fn confirm_return(
    ctx: &Ctx,
    p: &Principal,
    recall_id: &str,
    device_id: &str,
) -> Result<Recall, RecallError> {
    let (recall, line) = outstanding_line(ctx, p, recall_id, device_id).await?;
    let reporter = line
        .return_reported_by
        .as_deref()
        .ok_or(RecallError::NotReported)?;
    two_person::second_person(reporter, &person(p)).map_err(|_| RecallError::SamePerson)?;
    let (now, actor) = (ctx.clock.now(), p.actor());
    let mut tx = ctx.db.begin().await?;
    let device = inventory::get_tx(&mut tx, &recall.chamber_id, device_id)
        .await?
        .ok_or(RecallError::NotFound)?;
    let note = format!(
        "{} ({})",
        line.return_note.as_deref().unwrap_or("—"),
        line.return_reported_by_label.as_deref().unwrap_or_default()
    );
    let after = inventory::apply_move(
        &mut tx,
        now,
        &actor,
        &device,
        Move::ReturnToCabinet,
        MoveSpec {
            approved_by: Some(&actor.label),
            ref_id: Some(&recall.id),
            note: Some(&note),
            ..Default::default()
        },
    )
    .await?;
    inventory::settle_held_fee(
        &mut tx,
        now,
        &actor,
        &recall.chamber_id,
        &device,
        after.state,
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&recall.chamber_id)),
        Change::new(
            "device.recall.return_confirm",
            "device_recall",
            Some(&recall.id),
        )
        .after(json!({"device_id": device_id, "serial": line.serial,
                   "reported_by": line.return_reported_by_label})),
    )
    .await?;
    tx.commit().await?;
    Ok(recall)
}

/// An open recall as the inventory page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OpenRecall {
    pub id: String,
    pub operator_name: String,
    pub outstanding: i64,
    /// Returns recorded and waiting for a second person.
    pub to_confirm: i64,
}

/// The chamber's open recalls, oldest first.
pub async fn open_in_chamber(db: &Db, chamber_id: &str) -> Result<Vec<OpenRecall>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, o.name AS operator_name, \
         CAST(SUM(CASE WHEN l.outcome = 'outstanding' THEN 1 ELSE 0 END) AS BIGINT) AS outstanding, \
         CAST(SUM(CASE WHEN l.outcome = 'outstanding' AND l.return_reported_by IS NOT NULL \
         THEN 1 ELSE 0 END) AS BIGINT) AS to_confirm \
         FROM dev_recalls r JOIN ra_operators o ON o.id = r.operator_id \
         JOIN dev_recall_devices l ON l.recall_id = r.id \
         WHERE r.chamber_id = $1 AND r.status = 'open' \
         GROUP BY r.id, o.name, r.opened_at ORDER BY r.opened_at, r.id",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await
}

/// The devices of the chamber's recalls, for the statistics: under recall (outstanding on an
/// open recall), returned, written off (missing) and issued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub open_recalls: i64,
    pub under_recall: i64,
    pub returned: i64,
    pub missing: i64,
    pub issued: i64,
}

pub async fn counts(db: &Db, chamber_id: &str) -> Result<Counts, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT l.outcome, COUNT(*) FROM dev_recall_devices l \
         JOIN dev_recalls r ON r.id = l.recall_id WHERE r.chamber_id = $1 GROUP BY l.outcome",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    let mut c = Counts {
        open_recalls: sqlx::query_scalar(
            "SELECT COUNT(*) FROM dev_recalls WHERE chamber_id = $1 AND status = 'open'",
        )
        .bind(chamber_id)
        .fetch_one(db.pool())
        .await?,
        ..Counts::default()
    };
    for (outcome, n) in rows {
        match Outcome::parse(&outcome) {
            Some(Outcome::Outstanding) => c.under_recall += n,
            Some(Outcome::Returned) => c.returned += n,
            Some(Outcome::WrittenOff) => c.missing += n,
            Some(Outcome::Issued) => c.issued += n,
            None => {}
        }
    }
    Ok(c)
}

/// RA procedure, part 1: the ODR is reminded of what it must still return until the recall
/// closes, every [`REMINDER_EVERY_DAYS`] days (the platform's choice).
pub fn reminder_due(next_reminder_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    next_reminder_on.is_some_and(|d| d <= today)
}

/// Reminds every ODR whose open recall is due; scheduled daily.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SendRecallReminders {}

impl Job for SendRecallReminders {
    const KIND: &'static str = "recall_reminders";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let n = send_due(state).await?;
        tracing::info!(sent = n, "recall reminders");
        Ok(())
    }
}

/// Sends the reminders due today; returns how many. Each is claimed by moving the recall's
/// next reminder day in the transaction that queues the e-mail, so a rerun sends nothing twice.
pub async fn send_due(state: &Ctx) -> anyhow::Result<usize> {
    let (now, today) = (state.clock.now(), state.clock.today());
    let open: Vec<Recall> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_RECALL} WHERE status = 'open' AND next_reminder_on IS NOT NULL"
    )))
    .fetch_all(state.db.pool())
    .await?;
    let mut sent = 0;
    for r in open {
        let next = r
            .next_reminder_on
            .as_deref()
            .map(db::parse_date)
            .transpose()?;
        if !reminder_due(next, today) {
            continue;
        }
        let lines = lines_of(&state.db, &r.id).await?;
        let outstanding: Vec<&Line> = lines
            .iter()
            .filter(|l| l.outcome == Outcome::Outstanding)
            .collect();
        let Some((name, email)) = sqlx::query_as::<_, (String, String)>(
            "SELECT name, email FROM ra_operators WHERE id = $1",
        )
        .bind(&r.operator_id)
        .fetch_optional(state.db.pool())
        .await?
        else {
            continue;
        };
        let mut tx = state.db.begin().await?;
        let claimed = sqlx::query(
            "UPDATE dev_recalls SET next_reminder_on = $3 WHERE id = $1 AND status = 'open' \
             AND next_reminder_on = $2",
        )
        .bind(&r.id)
        .bind(&r.next_reminder_on)
        .bind(db::date(today + Duration::days(REMINDER_EVERY_DAYS)))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 || outstanding.is_empty() {
            continue;
        }
        let mut body = format!(
            "Gentile {name},\nil mandato è stato revocato con effetto dal {}. \
             Restano da restituire alla Camera di Commercio questi dispositivi:\n",
            crate::display::stored(&r.effective)
        );
        for l in &outstanding {
            body.push_str(&format!("- {} ({})\n", l.serial, kind_word(l.kind)));
        }
        body.push_str(&format!(
            "\nRiceverà questo promemoria ogni {REMINDER_EVERY_DAYS} giorni finché tutti i \
             dispositivi non saranno restituiti o dichiarati smarriti.\n"
        ));
        let outbox_id = notify::queue(
            &mut tx,
            now,
            OutgoingEmail {
                to: email,
                subject: format!("Promemoria: restituzione dei dispositivi ({name})"),
                body_text: body,
                chamber_id: Some(r.chamber_id.clone()),
                attachments: Vec::new(),
            },
        )
        .await?;
        crate::ra::revocation::record_mail(
            &mut tx,
            now,
            &r.operator_id,
            &outbox_id,
            crate::ra::revocation::MailPurpose::RecallReminder,
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            &Actor::system("worker").in_chamber(Some(&r.chamber_id)),
            Change::new("device.recall.remind", "device_recall", Some(&r.id))
                .after(json!({"outstanding": outstanding.len()})),
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// The device kind in the Italian of the e-mails.
pub fn kind_word(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::SmartCard => "smart card",
        DeviceKind::Token => "token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(outcome: Outcome, fee: i64) -> Line {
        Line {
            device_id: "d".into(),
            serial: "S".into(),
            kind: DeviceKind::SmartCard,
            consigned_at: None,
            held_fee_cents: fee,
            outcome,
            return_reported_by: None,
            return_reported_by_label: None,
            return_reported_at: None,
            return_note: None,
            closed_at: None,
            closed_by_label: None,
            write_off_pending: false,
        }
    }

    /// RA procedure, part 1 and 2: the revoked ODR pays the fees of devices it issued or lost
    /// and gets back the fees of devices it returned; free cards cost nothing.
    #[test]
    fn a_revoked_odr_pays_for_devices_issued_or_lost_and_gets_back_the_fees_of_returned_ones() {
        let s = settlement(&[
            line(Outcome::Returned, 2500),
            line(Outcome::Returned, 0),
            line(Outcome::WrittenOff, 2500),
            line(Outcome::Issued, 7000),
            line(Outcome::Outstanding, 2500),
        ]);
        assert_eq!(
            s,
            Settlement {
                devices: 5,
                outstanding: 1,
                returned: 2,
                written_off: 1,
                issued: 1,
                owed_cents: 9500,
                released_cents: 2500,
                pending_cents: 2500,
            }
        );
    }

    /// RA procedure, part 1: "dovrà restituire il materiale": a device leaves the recall only
    /// by coming back, being written off or being issued.
    #[test]
    fn a_recalled_device_leaves_the_recall_only_when_returned_written_off_or_issued() {
        for s in DeviceState::ALL {
            let expected = match s {
                DeviceState::InCabinet => Some(Outcome::Returned),
                DeviceState::Issued => Some(Outcome::Issued),
                DeviceState::Lost | DeviceState::Damaged | DeviceState::Destroyed => {
                    Some(Outcome::WrittenOff)
                }
                _ => None,
            };
            assert_eq!(Outcome::after_move(s), expected, "{s}");
        }
    }

    /// RA procedure, part 1: reminders until the recall closes, every seven days (the
    /// platform's choice), never before the day set.
    #[test]
    fn a_recall_reminder_is_due_on_its_day_and_after_never_before() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!reminder_due(Some(d("2026-12-13")), d("2026-12-12")));
        assert!(reminder_due(Some(d("2026-12-13")), d("2026-12-13")));
        assert!(reminder_due(Some(d("2026-12-13")), d("2026-12-20")));
        assert!(!reminder_due(None, d("2026-12-20")), "a closed recall");
        assert_eq!(REMINDER_EVERY_DAYS, 7);
    }
}
