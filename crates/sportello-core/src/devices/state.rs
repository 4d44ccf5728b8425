//! The life of a device as a typed state machine (the idea of Dogtag TPS's token lifecycle):
//! a table of allowed transitions, one [`Move`] per arrow, and a test that walks the whole
//! matrix.
//!
//! RA procedure, part 2: blank devices bought from the CA are kept in a locked cabinet and handed
//! to operators, who keep them in small safe boxes; devices are also consigned to ODRs. A
//! device ends issued, lost, or returned to the CA; a damaged one waits to be returned.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Delivered by the CA and recorded, not yet locked in the cabinet.
    Blank,
    /// RA procedure, part 2: in the locked cabinet.
    InCabinet,
    /// RA procedure, part 2: in an operator's safe box.
    InOperatorBox,
    /// RA procedure, part 2: consigned to an ODR against its advance account.
    ConsignedToOdr,
    /// Personalised and handed over to its holder.
    Issued,
    Damaged,
    Lost,
    /// Sent back to the Certification Authority.
    ReturnedToCa,
    /// Physically destroyed (broken beyond return, or destroyed on purpose).
    Destroyed,
}

/// One arrow of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// Lock a delivered device in the cabinet.
    Store,
    /// Two-person withdrawal from the cabinet into an operator's box.
    WithdrawToBox,
    /// Two-person withdrawal from the cabinet, consigned to an ODR.
    Consign,
    /// Back into the cabinet (from a box, or returned by an ODR).
    ReturnToCabinet,
    /// Personalised and handed over.
    Issue,
    MarkDamaged,
    MarkLost,
    ReturnToCa,
    MarkDestroyed,
}

/// Every allowed transition: (from, move, to). Anything else is refused.
pub const TRANSITIONS: &[(DeviceState, Move, DeviceState)] = {
    use DeviceState::*;
    use Move::*;
    &[
        (Blank, Store, InCabinet),
        (InCabinet, WithdrawToBox, InOperatorBox),
        (InCabinet, Consign, ConsignedToOdr),
        (InOperatorBox, ReturnToCabinet, InCabinet),
        (ConsignedToOdr, ReturnToCabinet, InCabinet),
        (InOperatorBox, Issue, Issued),
        (ConsignedToOdr, Issue, Issued),
        (Blank, MarkDamaged, Damaged),
        (InCabinet, MarkDamaged, Damaged),
        (InOperatorBox, MarkDamaged, Damaged),
        (ConsignedToOdr, MarkDamaged, Damaged),
        (InCabinet, MarkLost, Lost),
        (InOperatorBox, MarkLost, Lost),
        (ConsignedToOdr, MarkLost, Lost),
        (Blank, ReturnToCa, ReturnedToCa),
        (InCabinet, ReturnToCa, ReturnedToCa),
        (Damaged, ReturnToCa, ReturnedToCa),
        (Blank, MarkDestroyed, Destroyed),
        (InCabinet, MarkDestroyed, Destroyed),
        (InOperatorBox, MarkDestroyed, Destroyed),
        (ConsignedToOdr, MarkDestroyed, Destroyed),
        (Damaged, MarkDestroyed, Destroyed),
    ]
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a device {from} cannot be moved with {attempted:?}")]
pub struct TransitionError {
    pub from: DeviceState,
    pub attempted: Move,
}

impl DeviceState {
    pub const ALL: [DeviceState; 9] = [
        DeviceState::Blank,
        DeviceState::InCabinet,
        DeviceState::InOperatorBox,
        DeviceState::ConsignedToOdr,
        DeviceState::Issued,
        DeviceState::Damaged,
        DeviceState::Lost,
        DeviceState::ReturnedToCa,
        DeviceState::Destroyed,
    ];

    /// The states where the chamber still holds the device (its stock).
    pub const STOCK: [DeviceState; 5] = [
        DeviceState::Blank,
        DeviceState::InCabinet,
        DeviceState::InOperatorBox,
        DeviceState::ConsignedToOdr,
        DeviceState::Damaged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Blank => "blank",
            DeviceState::InCabinet => "in_cabinet",
            DeviceState::InOperatorBox => "in_operator_box",
            DeviceState::ConsignedToOdr => "consigned_to_odr",
            DeviceState::Issued => "issued",
            DeviceState::Damaged => "damaged",
            DeviceState::Lost => "lost",
            DeviceState::ReturnedToCa => "returned_to_ca",
            DeviceState::Destroyed => "destroyed",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceState> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("dev-state-{}", self.as_str().replace('_', "-"))
    }

    /// Whether a device in this state is held by an operator (box or ODR).
    pub fn has_holder(self) -> bool {
        matches!(
            self,
            DeviceState::InOperatorBox | DeviceState::ConsignedToOdr
        )
    }

    /// The state after `m`, or why not.
    pub fn after(self, m: Move) -> Result<DeviceState, TransitionError> {
        TRANSITIONS
            .iter()
            .find(|(from, mv, _)| *from == self && *mv == m)
            .map(|(_, _, to)| *to)
            .ok_or(TransitionError {
                from: self,
                attempted: m,
            })
    }

    /// The moves allowed from this state.
    pub fn moves(self) -> Vec<Move> {
        TRANSITIONS
            .iter()
            .filter(|(from, ..)| *from == self)
            .map(|(_, m, _)| *m)
            .collect()
    }
}

impl fmt::Display for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Move {
    pub const ALL: [Move; 9] = [
        Move::Store,
        Move::WithdrawToBox,
        Move::Consign,
        Move::ReturnToCabinet,
        Move::Issue,
        Move::MarkDamaged,
        Move::MarkLost,
        Move::ReturnToCa,
        Move::MarkDestroyed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Move::Store => "store",
            Move::WithdrawToBox => "withdraw_to_box",
            Move::Consign => "consign",
            Move::ReturnToCabinet => "return_to_cabinet",
            Move::Issue => "issue",
            Move::MarkDamaged => "mark_damaged",
            Move::MarkLost => "mark_lost",
            Move::ReturnToCa => "return_to_ca",
            Move::MarkDestroyed => "mark_destroyed",
        }
    }

    pub fn parse(s: &str) -> Option<Move> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("dev-move-{}", self.as_str().replace('_', "-"))
    }

    /// Moves made one device at a time from the inventory page by one person (the others
    /// come from withdrawals, consignments, issuance and write-offs).
    pub fn is_manual(self) -> bool {
        matches!(self, Move::Store | Move::ReturnToCabinet | Move::ReturnToCa)
    }

    /// RA procedure, part 2 (devices are kept under two people's control, as cabinet
    /// withdrawals are): a device is written off as lost, damaged or destroyed only when one
    /// person reports it and another approves.
    pub fn is_write_off(self) -> bool {
        matches!(
            self,
            Move::MarkDamaged | Move::MarkLost | Move::MarkDestroyed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix written out: one row per state (in `DeviceState::ALL` order), one
    /// column per move (in `Move::ALL` order); a letter names the state reached, `.` refused.
    /// B blank, C cabinet, O operator box, R consigned to ODR, I issued, D damaged, L lost,
    /// T returned to the CA, X destroyed.
    const MATRIX: [&str; 9] = [
        "C....D.TX",
        ".OR..DLTX",
        "...CIDL.X",
        "...CIDL.X",
        ".........",
        ".......TX",
        ".........",
        ".........",
        ".........",
    ];

    fn letter(s: DeviceState) -> char {
        match s {
            DeviceState::Blank => 'B',
            DeviceState::InCabinet => 'C',
            DeviceState::InOperatorBox => 'O',
            DeviceState::ConsignedToOdr => 'R',
            DeviceState::Issued => 'I',
            DeviceState::Damaged => 'D',
            DeviceState::Lost => 'L',
            DeviceState::ReturnedToCa => 'T',
            DeviceState::Destroyed => 'X',
        }
    }

    #[test]
    fn every_state_and_move_follows_the_transition_table() {
        for (state, row) in DeviceState::ALL.into_iter().zip(MATRIX) {
            for (m, cell) in Move::ALL.into_iter().zip(row.chars()) {
                let got = state.after(m).map(letter).unwrap_or('.');
                assert_eq!(got, cell, "{state} × {m:?}");
            }
        }
    }

    #[test]
    fn issued_lost_and_returned_devices_never_move_again() {
        for s in [
            DeviceState::Issued,
            DeviceState::Lost,
            DeviceState::ReturnedToCa,
            DeviceState::Destroyed,
        ] {
            assert!(s.moves().is_empty(), "{s}");
        }
    }

    #[test]
    fn lost_damaged_and_destroyed_are_write_offs_never_manual_moves() {
        for m in Move::ALL {
            assert!(!(m.is_manual() && m.is_write_off()), "{m:?}");
        }
        let write_offs: Vec<Move> = Move::ALL.into_iter().filter(|m| m.is_write_off()).collect();
        assert_eq!(
            write_offs,
            [Move::MarkDamaged, Move::MarkLost, Move::MarkDestroyed]
        );
    }

    #[test]
    fn names_round_trip() {
        for s in DeviceState::ALL {
            assert_eq!(DeviceState::parse(s.as_str()), Some(s));
        }
        for m in Move::ALL {
            assert_eq!(Move::parse(m.as_str()), Some(m));
        }
    }
}
