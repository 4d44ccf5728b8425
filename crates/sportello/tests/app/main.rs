#![allow(clippy::unwrap_used)]
//! Black-box tests: one binary, the whole app built in-process, names that state the rule.

mod attachment_rules;
mod authz_matrix;
mod blank_paper;
mod blob_reaper;
mod blob_store;
mod booking_abuse;
mod chamber_wallet;
mod cli;
mod contracts;
mod desk;
mod devices;
mod extras;
mod fatturapa;
mod fees;
mod forms;
mod free_cards;
mod helpers;
mod human_words;
mod journey;
mod lists;
mod memory;
mod ops;
mod password_recovery;

mod ra;
mod ra_manager;
mod ra_org;
mod ra_scope;
mod recall;
mod rectify;
mod registry;
mod registry_copy;
mod revocation;
mod seal;
mod security_auth;
mod security_integrity;
mod security_offboarding;
mod signer_people;
mod spreadsheets;
mod storage;
mod trade;
mod trade_pages;
mod web;
mod webhooks;
mod write_offs;
