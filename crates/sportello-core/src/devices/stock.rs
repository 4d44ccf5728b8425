//! Stock per location: the cabinet, each operator's box, each ODR, and the devices that left
//! (issued, lost, returned, destroyed). Every device is in exactly one location, so the counts always add
//! up to the number of devices delivered; a property test moves devices at random through the
//! transition table and checks it.

use crate::db::Db;
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

/// The chamber's stock, counted in the database.
pub async fn of_chamber(db: &Db, chamber_id: &str) -> Result<Stock, sqlx::Error> {
    let rows: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT state, holder_operator_id, kind, COUNT(*) FROM dev_devices WHERE chamber_id = $1 \
         GROUP BY state, holder_operator_id, kind",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    let mut s = Stock::default();
    for (state, holder, kind, n) in rows {
        let state = DeviceState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("device state '{state}'").into()))?;
        let kind = DeviceKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("device kind '{kind}'").into()))?;
        s.add(Location::of(state, holder.as_deref()), kind, n);
    }
    Ok(s)
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
