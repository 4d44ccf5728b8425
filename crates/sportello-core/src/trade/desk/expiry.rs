//! The scheduled rejection of practices not rectified in time (Cert'O guide, slide 60: "la
//! rettifica va effettuata entro 24 ore, altrimenti la pratica verrà respinta"; the number of
//! hours is a chamber setting).

use crate::Ctx;
use crate::audit::Actor;
use crate::db;
use crate::jobs::Job;
use crate::trade::desk::decide::close_rejected;
use crate::trade::practice::{self, PracticeAction, PracticeStatus};
use serde::{Deserialize, Serialize};

/// Every few minutes: rejects the practices whose rectification deadline has passed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RejectExpiredRectifications {}

/// The reason written on a practice rejected because the deadline passed.
pub const EXPIRED_REASON: &str = "Termine per la rettifica scaduto / Rectification deadline passed";

impl Job for RejectExpiredRectifications {
    const KIND: &'static str = "reject_expired_rectifications";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let now = state.clock.now();
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM practices WHERE status = 'to_rectify' AND rectify_deadline IS NOT NULL \
             AND rectify_deadline < $1 ORDER BY rectify_deadline",
        )
        .bind(db::instant(now))
        .fetch_all(state.db.pool())
        .await?;
        let actor = Actor::system("worker");
        for id in due {
            let Some(p) = practice::get(&state.db, &id).await? else {
                continue;
            };
            let to = p.status.apply(PracticeAction::Expire)?;
            let mut tx = state.db.begin().await?;
            // Only if the company did not resend in the meantime.
            let n = sqlx::query(
                "UPDATE practices SET status = $2, updated_at = $3, closed_at = $3 WHERE id = $1 AND status = $4 \
                 AND rectify_deadline < $3",
            )
            .bind(&p.id)
            .bind(to.as_str())
            .bind(db::instant(now))
            .bind(PracticeStatus::ToRectify.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                tx.rollback().await?;
                continue;
            }
            let actor = actor.clone().in_chamber(Some(&p.chamber_id));
            close_rejected(
                &mut tx,
                state,
                now,
                &actor,
                &p,
                EXPIRED_REASON,
                "practice.expire",
            )
            .await?;
            tx.commit().await?;
            tracing::info!(practice = %p.id, "rectification deadline passed: practice rejected");
        }
        Ok(())
    }
}
