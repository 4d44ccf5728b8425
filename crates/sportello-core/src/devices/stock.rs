//! Stock per location: the cabinet, each operator's box, each ODR, and the devices that left
//! (issued, lost, returned, destroyed). Every device is in exactly one location, so the counts always add
//! up to the number of devices delivered; a property test moves devices at random through the
//! transition table and checks it.
//!
//! The counts are kept in `dev_stock`, one counter per (chamber, state, holder, kind), written
//! in the transaction of every delivery ([`record_delivery`]) and every move ([`record_move`])
//! as `devices = devices + n`, never read and written back: the devices page reads a handful
//! of counters instead of counting every device of the chamber (issue 14). [`differences`]
//! recounts the devices to check the counters (`sportello admin devices check-stock`).

use crate::db::{Db, Tx};
use crate::devices::kind::DeviceKind;
use crate::devices::state::DeviceState;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a device is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "location", content = "operator_id", rename_all = "snake_case")]
pub enum Location {
    Delivered,
    Cabinet,
    OperatorBox(String),
    Odr(String),
    Issued,
    Damaged,
    Lost,
    ReturnedToCa,
    Destroyed,
}

impl Location {
    /// The location of a device in `state` held by `holder`.
    pub fn of(state: DeviceState, holder: Option<&str>) -> Location {
        let h = || holder.unwrap_or_default().to_string();
        match state {
            DeviceState::Blank => Location::Delivered,
            DeviceState::InCabinet => Location::Cabinet,
            DeviceState::InOperatorBox => Location::OperatorBox(h()),
            DeviceState::ConsignedToOdr => Location::Odr(h()),
            DeviceState::Issued => Location::Issued,
            DeviceState::Damaged => Location::Damaged,
            DeviceState::Lost => Location::Lost,
            DeviceState::ReturnedToCa => Location::ReturnedToCa,
            DeviceState::Destroyed => Location::Destroyed,
        }
    }

    /// Whether the chamber (or one of its operators) still holds devices here.
    pub fn in_stock(&self) -> bool {
        !matches!(
            self,
            Location::Issued | Location::Lost | Location::ReturnedToCa | Location::Destroyed
        )
    }

    pub fn operator_id(&self) -> Option<&str> {
        match self {
            Location::OperatorBox(id) | Location::Odr(id) => Some(id),
            _ => None,
        }
    }

    pub fn label_key(&self) -> &'static str {
        match self {
            Location::Delivered => "dev-loc-delivered",
            Location::Cabinet => "dev-loc-cabinet",
            Location::OperatorBox(_) => "dev-loc-box",
            Location::Odr(_) => "dev-loc-odr",
            Location::Issued => "dev-loc-issued",
            Location::Damaged => "dev-loc-damaged",
            Location::Lost => "dev-loc-lost",
            Location::ReturnedToCa => "dev-loc-returned",
            Location::Destroyed => "dev-loc-destroyed",
        }
    }
}

/// Counts per location and kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stock {
    pub counts: BTreeMap<Location, [i64; 2]>,
}

fn idx(kind: DeviceKind) -> usize {
    match kind {
        DeviceKind::SmartCard => 0,
        DeviceKind::Token => 1,
    }
}

impl Stock {
    pub fn add(&mut self, location: Location, kind: DeviceKind, n: i64) {
        self.counts.entry(location).or_default()[idx(kind)] += n;
    }

    pub fn count(&self, location: &Location, kind: DeviceKind) -> i64 {
        self.counts.get(location).map(|c| c[idx(kind)]).unwrap_or(0)
    }

    /// All devices of all locations.
    pub fn total(&self) -> i64 {
        self.counts.values().map(|c| c[0] + c[1]).sum()
    }

    /// Devices still held by the chamber, its operators and ODRs.
    pub fn in_stock(&self) -> i64 {
        self.counts
            .iter()
            .filter(|(l, _)| l.in_stock())
            .map(|(_, c)| c[0] + c[1])
            .sum()
    }

    /// The stock built from individual devices: (state, holder, kind).
    pub fn of_devices<'a>(
        devices: impl IntoIterator<Item = (DeviceState, Option<&'a str>, DeviceKind)>,
    ) -> Stock {
        let mut s = Stock::default();
        for (state, holder, kind) in devices {
            s.add(Location::of(state, holder), kind, 1);
        }
        s
    }
}

/// The chamber's stock, read from its counters: one range of `dev_stock`'s primary key
/// (chamber, state, holder, kind), a row per location and kind in use, whatever the number of
/// devices.
pub async fn of_chamber(db: &Db, chamber_id: &str) -> Result<Stock, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as(sqlx::AssertSqlSafe(of_chamber_sql("")))
            .bind(chamber_id)
            .fetch_all(db.pool())
            .await?;
    stock_of_rows(rows)
}

/// The statement of [`of_chamber`], after `prefix` (an `EXPLAIN`).
fn of_chamber_sql(prefix: &str) -> String {
    format!(
        "{prefix}SELECT state, holder_operator_id, kind, devices FROM dev_stock \
         WHERE chamber_id = $1 AND devices <> 0"
    )
}

/// The engine's plan of the statement [`of_chamber`] runs.
pub async fn of_chamber_plan(db: &Db, chamber_id: &str) -> Result<Vec<String>, sqlx::Error> {
    crate::paging::plan(
        db,
        sqlx::query_as::<_, crate::paging::PlanLine>(sqlx::AssertSqlSafe(of_chamber_sql(
            crate::paging::explain(db),
        )))
        .bind(chamber_id),
    )
    .await
}

/// The chamber's stock counted from its devices, one by one: what the counters must say.
pub async fn recount(db: &Db, chamber_id: &str) -> Result<Stock, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT state, COALESCE(holder_operator_id, ''), kind, COUNT(*) FROM dev_devices \
         WHERE chamber_id = $1 GROUP BY state, COALESCE(holder_operator_id, ''), kind",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    stock_of_rows(rows)
}

fn stock_of_rows(rows: Vec<(String, String, String, i64)>) -> Result<Stock, sqlx::Error> {
    let mut s = Stock::default();
    for (state, holder, kind, n) in rows {
        let state = DeviceState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("device state '{state}'").into()))?;
        let kind = DeviceKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("device kind '{kind}'").into()))?;
        let holder = Some(holder.as_str()).filter(|h| !h.is_empty());
        s.add(Location::of(state, holder), kind, n);
    }
    Ok(s)
}

/// Adds `n` (may be negative) to the counter of (chamber, state, holder, kind) inside `tx`:
/// one statement that adds to the stored value, so a concurrent move of another device is
/// never lost (on PostgreSQL the second writer waits for the row and adds to the new value).
async fn add(
    tx: &mut Tx,
    chamber_id: &str,
    state: DeviceState,
    holder: Option<&str>,
    kind: DeviceKind,
    n: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dev_stock (chamber_id, state, holder_operator_id, kind, devices) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chamber_id, state, holder_operator_id, kind) \
         DO UPDATE SET devices = dev_stock.devices + excluded.devices",
    )
    .bind(chamber_id)
    .bind(state.as_str())
    .bind(holder.unwrap_or_default())
    .bind(kind.as_str())
    .bind(n)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// `n` new devices of `kind` delivered (blank) to the chamber, inside the delivery's `tx`.
pub(crate) async fn record_delivery(
    tx: &mut Tx,
    chamber_id: &str,
    kind: DeviceKind,
    n: i64,
) -> Result<(), sqlx::Error> {
    if n == 0 {
        return Ok(());
    }
    add(tx, chamber_id, DeviceState::Blank, None, kind, n).await
}

/// One device of `kind` moved from one (state, holder) to another, inside the move's `tx`.
/// The two counters are written in the order of their keys, so two transactions moving
/// devices between the same two locations lock them alike and never wait for each other in
/// a circle (PostgreSQL).
pub(crate) async fn record_move(
    tx: &mut Tx,
    chamber_id: &str,
    kind: DeviceKind,
    from: (DeviceState, Option<&str>),
    to: (DeviceState, Option<&str>),
) -> Result<(), sqlx::Error> {
    fn key((s, h): (DeviceState, Option<&str>)) -> (&'static str, &str) {
        (s.as_str(), h.unwrap_or_default())
    }
    let mut writes = [(from, -1), (to, 1)];
    writes.sort_by(|a, b| key(a.0).cmp(&key(b.0)));
    for ((state, holder), n) in writes {
        add(tx, chamber_id, state, holder, kind, n).await?;
    }
    Ok(())
}

/// A counter that does not say what the devices say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub chamber_id: String,
    pub state: String,
    /// `''` for the states without a holder.
    pub holder_operator_id: String,
    pub kind: String,
    /// What the counter says.
    pub counted: i64,
    /// How many devices there are.
    pub devices: i64,
}

/// Every counter of every chamber checked against a recount of the devices (a whole read of
/// `dev_devices`: for the command line, not for a page). Empty when they agree.
pub async fn differences(db: &Db) -> Result<Vec<Difference>, sqlx::Error> {
    type Key = (String, String, String, String);
    let counters: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT chamber_id, state, holder_operator_id, kind, devices FROM dev_stock",
    )
    .fetch_all(db.pool())
    .await?;
    let devices: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT chamber_id, state, COALESCE(holder_operator_id, ''), kind, COUNT(*) \
         FROM dev_devices GROUP BY chamber_id, state, COALESCE(holder_operator_id, ''), kind",
    )
    .fetch_all(db.pool())
    .await?;
    let mut both: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for (c, s, h, k, n) in counters {
        both.entry((c, s, h, k)).or_default().0 += n;
    }
    for (c, s, h, k, n) in devices {
        both.entry((c, s, h, k)).or_default().1 += n;
    }
    Ok(both
        .into_iter()
        .filter(|(_, (counted, devices))| counted != devices)
        .map(
            |((chamber_id, state, holder_operator_id, kind), (counted, devices))| Difference {
                chamber_id,
                state,
                holder_operator_id,
                kind,
                counted,
                devices,
            },
        )
        .collect())
}

/// How many devices each of `operator_ids` holds (in its box or consigned to it), read from
/// the counters: one statement, a probe of `dev_stock`'s key per operator, state and kind
/// (at most four rows an operator, added up here).
pub async fn held_by_each(
    db: &Db,
    chamber_id: &str,
    operator_ids: &[String],
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let mut held = BTreeMap::new();
    if operator_ids.is_empty() {
        return Ok(held);
    }
    let rows: Vec<(String, i64)> =
        held_by_each_query::<(String, i64)>("", chamber_id, operator_ids)
            .fetch_all(db.pool())
            .await?;
    for (id, n) in rows {
        *held.entry(id).or_default() += n;
    }
    Ok(held)
}

fn held_by_each_sql(prefix: &str, ids: usize) -> String {
    let marks = (0..ids)
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{prefix}SELECT holder_operator_id, devices FROM dev_stock \
         WHERE chamber_id = $1 AND state IN ('in_operator_box', 'consigned_to_odr') \
         AND holder_operator_id IN ({marks})"
    )
}

fn held_by_each_query<'q, O>(
    prefix: &str,
    chamber_id: &'q str,
    operator_ids: &'q [String],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let sql = held_by_each_sql(prefix, operator_ids.len());
    let mut q = sqlx::query_as::<_, O>(sqlx::AssertSqlSafe(sql)).bind(chamber_id);
    for id in operator_ids {
        q = q.bind(id.as_str());
    }
    q
}

/// The engine's plan of the statement [`held_by_each`] runs.
pub async fn held_by_each_plan(
    db: &Db,
    chamber_id: &str,
    operator_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    crate::paging::plan(
        db,
        held_by_each_query::<crate::paging::PlanLine>(
            crate::paging::explain(db),
            chamber_id,
            operator_ids,
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::state::Move;
    use proptest::prelude::*;

    const HOLDERS: [&str; 3] = ["rao-1", "rao-2", "odr-1"];

    #[derive(Clone, Debug)]
    struct Step {
        device: usize,
        mv: Move,
        holder: usize,
    }

    fn step() -> impl Strategy<Value = Step> {
        (0usize..40, 0usize..Move::ALL.len(), 0usize..HOLDERS.len()).prop_map(|(d, m, h)| Step {
            device: d,
            mv: Move::ALL[m],
            holder: h,
        })
    }

    proptest! {
        /// RA procedure, part 2: every move is recorded, so no device appears or disappears: the
        /// counts per location always add up to the devices delivered, and a move takes one
        /// device from one location to another.
        #[test]
        fn device_counts_are_conserved_under_random_moves(
            kinds in proptest::collection::vec(any::<bool>(), 1..40),
            steps in proptest::collection::vec(step(), 0..200),
        ) {
            let mut devices: Vec<(DeviceState, Option<&str>, DeviceKind)> = kinds
                .iter()
                .map(|t| (DeviceState::Blank, None, if *t { DeviceKind::Token } else { DeviceKind::SmartCard }))
                .collect();
            let n = devices.len() as i64;
            for st in steps {
                let i = st.device % devices.len();
                let before = Stock::of_devices(devices.iter().copied());
                let (state, holder, kind) = devices[i];
                if let Ok(to) = state.after(st.mv) {
                    let new_holder = if to.has_holder() {
                        if state.has_holder() && st.mv != Move::Consign { holder } else { Some(HOLDERS[st.holder]) }
                    } else {
                        None
                    };
                    devices[i] = (to, new_holder, kind);
                    let after = Stock::of_devices(devices.iter().copied());
                    let from_loc = Location::of(state, holder);
                    let to_loc = Location::of(to, new_holder);
                    prop_assert_ne!(&from_loc, &to_loc);
                    prop_assert_eq!(after.count(&from_loc, kind), before.count(&from_loc, kind) - 1);
                    prop_assert_eq!(after.count(&to_loc, kind), before.count(&to_loc, kind) + 1);
                }
                let now = Stock::of_devices(devices.iter().copied());
                prop_assert_eq!(now.total(), n);
                let per_state: i64 = DeviceState::ALL
                    .iter()
                    .map(|s| devices.iter().filter(|d| d.0 == *s).count() as i64)
                    .sum();
                prop_assert_eq!(per_state, n);
            }
        }
    }
}
