//! Sportello's shell: the web pages, the JSON API, the command line and the background
//! worker, each a thin adapter over the use cases of `sportello_core`. `main.rs` is thin;
//! see ARCHITECTURE.md for the map.

pub mod api;
pub mod app;
pub mod blob_store;
pub mod cli;
pub mod fetch;
pub mod oidc;
pub mod pages;
pub mod routes;
pub mod web;
pub mod webhooks;
pub mod worker;
