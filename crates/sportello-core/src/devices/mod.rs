//! Devices of the registration authority, part 2 (RA procedure): the inventory of CNS smart cards
//! and tokens by serial number, two-person withdrawals from the cabinet and write-offs (lost,
//! damaged, destroyed), consignments to ODRs against their advance account, free smart cards, refund decisions, the ODRs' periodic
//! reports with their reconciliation, and statistics.
//!
//! Every move of a device goes through [`state::DeviceState::after`] (the transition table)
//! and [`inventory::apply_move`], which writes the per-device activity log and the audit
//! trail in the caller's transaction.

pub mod advance;
pub mod delivery;
pub mod demo;
pub mod free;
pub mod inventory;
pub mod kind;
pub mod odr_account;
pub mod odr_report;
pub mod recall;
pub mod refund;
pub mod state;
pub mod stats;
pub mod stock;
pub mod two_person;
pub mod withdrawal;
pub mod write_off;

pub use kind::{DeviceKind, DeviceSerial};
pub use state::{DeviceState, Move};

pub use crate::authz::chamber_of;
