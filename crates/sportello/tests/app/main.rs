#![allow(clippy::unwrap_used)]
//! Black-box tests: one binary, the whole app built in-process, names that state the rule.

mod attachment_rules;
mod authz_matrix;
mod blank_paper;
mod booking_abuse;
mod cli;
mod contracts;
mod desk;
mod devices;
mod fees;
mod forms;
mod helpers;
mod human_words;
mod lists;
mod memory;

mod ra;
mod ra_scope;
mod registry;
mod revocation;
mod seal;
mod security_auth;
mod security_integrity;
mod security_offboarding;
mod spreadsheets;
mod storage;
mod trade;
mod trade_pages;
mod web;
mod write_offs;
