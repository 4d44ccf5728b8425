//! The reminder e-mail, sent the day before a confirmed appointment by a scheduled job. Each reminder
//! carries a fresh cancel link (the token is stored only as its hash, so the old link of the
//! confirmation stops working and only the latest e-mail's link cancels). Idempotent: an
//! appointment is reminded once.

use crate::Ctx;
use crate::appointments::applicant::mail_safe;
use crate::appointments::booking::{Appointment, select_appointments, token_hash};
use crate::db;
use crate::i18n::Lang;
use crate::jobs::Job;
use crate::notify::{self, OutgoingEmail};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SendReminders {}

impl Job for SendReminders {
    const KIND: &'static str = "appointment_reminders";

    async fn run(self, state: &Ctx) -> anyhow::Result<()> {
        let n = send_due(state).await?;
        tracing::info!(sent = n, "appointment reminders");
        Ok(())
    }
}

/// Reminds every booked appointment of tomorrow not reminded yet; returns how many.
pub async fn send_due(state: &Ctx) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let tomorrow = state.clock.today() + chrono::Duration::days(1);
    let due: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM appointments WHERE status = 'booked' AND confirmed_at IS NOT NULL \
         AND slot_date = $1 AND reminder_sent_at IS NULL",
    )
    .bind(db::date(tomorrow))
    .fetch_all(state.db.pool())
    .await?;
    let mut sent = 0;
    for (id,) in due {
        let token = crate::accounts::session::random_token();
        let mut tx = state.db.begin().await?;
        let claimed = sqlx::query(
            "UPDATE appointments SET reminder_sent_at = $2, cancel_token_hash = $3 \
             WHERE id = $1 AND reminder_sent_at IS NULL AND status = 'booked' \
             AND confirmed_at IS NOT NULL",
        )
        .bind(&id)
        .bind(db::instant(now))
        .bind(token_hash(&token))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            continue;
        }
        let a: Appointment = sqlx::query_as(select_appointments!("WHERE id = $1"))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        let desk: String = sqlx::query_scalar("SELECT name FROM desks WHERE id = $1")
            .bind(&a.desk_id)
            .fetch_one(&mut *tx)
            .await?;
        let args = [
            (
                "name",
                mail_safe(&format!("{} {}", a.given_name, a.surname)),
            ),
            ("when", a.local_start()),
            ("desk", desk),
            (
                "link",
                format!(
                    "{}/book/cancel/{token}",
                    state.config.public_url.trim_end_matches('/')
                ),
            ),
        ];
        notify::queue(
            &mut tx,
            now,
            OutgoingEmail {
                to: a.email.clone(),
                subject: Lang::It.t_args("appt-mail-reminder-subject", &args),
                body_text: Lang::It.t_args("appt-mail-reminder-body", &args),
                chamber_id: Some(a.chamber_id.clone()),
                attachments: Vec::new(),
            },
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
