//! The core of Sportello: foreign-trade documents and the CNS registration authority of the
//! Italian Chambers of Commerce — the domain types, the use cases and their storage. Modules
//! are named after business nouns; see ARCHITECTURE.md for the map.
//!
//! This crate knows nothing of HTTP, templates or the command line: the `sportello` crate is
//! the shell that adapts pages, the JSON API and commands to the use cases here. A use case
//! takes the [`Ctx`], checks who may act and the rule, opens its transaction, writes the
//! change, its audit entry and any outgoing mail, and commits.

pub mod accounts;
pub mod appointments;
pub mod audit;
pub mod authz;
pub mod backup;
pub mod blobs;
pub mod chambers;
pub mod clock;
pub mod config;
mod ctx;
pub mod db;
pub mod demo;
pub mod devices;
pub mod display;
pub mod i18n;
pub mod intermediary;
pub mod issuance;
pub mod jobs;
pub mod metrics;
pub mod money;
pub mod notify;
pub mod paging;
pub mod ra;
pub mod registry;
pub mod request_id;
pub mod revocation;
pub mod seal;
pub mod spreadsheet;
pub mod throttle;
pub mod trade;
pub mod trust;
pub mod validation;
pub mod wallet;
pub mod webhooks;
pub mod work;

pub use ctx::{Ctx, StartError};
