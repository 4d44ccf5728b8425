//! Sportello: foreign-trade documents and the CNS registration authority for Italian
//! Chambers of Commerce. `main.rs` is thin; everything lives here, in modules named after
//! business nouns. See ARCHITECTURE.md for the map.

pub mod accounts;
pub mod api;
pub mod app;
pub mod appointments;
pub mod audit;
pub mod authz;
pub mod blobs;
pub mod chambers;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod devices;
pub mod issuance;
pub mod jobs;
pub mod metrics;
pub mod money;
pub mod notify;
pub mod ra;
pub mod registry;
pub mod seal;
pub mod trade;
pub mod trust;
pub mod wallet;
pub mod web;
