//! Issuance at the desk (RA procedure, part 2), as a typed state machine: open from an
//! appointment (or a walk-in), verify the pre-registered data, scan the identity document
//! (encrypted, deleted when the session ends), follow on the second screen (data, clauses,
//! OTP), personalise the device through the Certification Authority's adapter, hand it over
//! with its printed holder.

pub mod ca;
pub mod finish;
pub mod holder;
pub mod id_document;
pub mod scan;
pub mod session;
pub mod state;

pub use session::{Session, SessionError};
pub use state::{SessionState, Step};

use crate::Ctx;
use crate::jobs::Job;
use serde::{Deserialize, Serialize};

/// Aborts the sessions left open too long (see [`finish::STALE_HOURS`]), so no identity scan
/// outlives its session.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AbortStaleSessions {}

impl Job for AbortStaleSessions {
    const KIND: &'static str = "issuance_abort_stale";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let n = finish::abort_stale(&state.db, state.blobs.as_ref(), state.clock.now()).await?;
        tracing::info!(aborted = n, "stale issuance sessions");
        Ok(())
    }
}
