//! Demo records of the devices and appointments areas, so their pages show something: the
//! demo users linked to their operators, an active ODR organisation doing the full service
//! with an advance paid, opening plans for the demo desks with their operators, a delivery
//! of blank devices locked in the cabinet, a withdrawal to the RAO's box and a consignment to
//! the ODR (each approved by a second person). Idempotent: nothing is added when the chamber
//! already has devices. Demo only.

use crate::Ctx;
use crate::accounts;
use crate::appointments::plan;
use crate::audit::Actor;
use crate::chambers::{self, Chamber};
use crate::db;
use crate::devices::advance;
use crate::devices::delivery;
use crate::devices::withdrawal::{self, Destination, NewWithdrawal};
use crate::money::Money;
use crate::ra::office::{self, OfficeKind};
use crate::ra::operator::{self, NewOperator, OperatorKind};

/// The ODR organisation of the demo, linked to the demo ODR login.
const DEMO_ODR: (&str, &str, &str) = (
    "STUDIO RIVA & ASSOCIATI S.R.L.",
    "02654321013",
    "odr@demo.sportello.test",
);

fn delivery_csv() -> String {
    let mut csv = String::from("seriale;tipo;lotto\n");
    for i in 1..=30 {
        csv.push_str(&format!("74200000000000{i:02};SMART CARD;L-2026-11\n"));
    }
    for i in 1..=10 {
        csv.push_str(&format!("TK260000{i:02};TOKEN;L-2026-11\n"));
    }
    csv
}

async fn user_actor(state: &Ctx, email: &str) -> anyhow::Result<Actor> {
    let u = accounts::find_by_email(&state.db, email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {email} missing"))?;
    Ok(Actor::user(&u.id, &u.email, u.chamber_id.as_deref()))
}

pub async fn seed(state: &Ctx, chamber: &Chamber) -> anyhow::Result<()> {
    let any: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dev_devices WHERE chamber_id = $1")
        .bind(&chamber.id)
        .fetch_one(state.db.pool())
        .await?;
    if any > 0 {
        return Ok(());
    }
    let now = state.clock.now();
    let today = state.clock.today();
    let demo = Actor::system("demo");
    let master = user_actor(state, "masterrao@demo.sportello.test").await?;
    let rao = user_actor(state, "rao@demo.sportello.test").await?;
    let ops = operator::list_in_chamber(&state.db, &chamber.id).await?;
    let mut tx = state.db.begin().await?;
    // The demo users and their operators (the RA demo runs before the users exist).
    for op in &ops {
        if op.user_id.is_none()
            && let Some(u) = accounts::find_by_email(&state.db, &op.email).await?
        {
            operator::link_user(&mut tx, now, &demo, op, &u.id).await?;
        }
    }
    let ids: Vec<String> = ops.iter().map(|o| o.id.clone()).collect();
    crate::ra::convention::extend_mandates(&mut tx, now, &demo, &chamber.id, &ids).await?;
    // An active ODR organisation (written directly, as the RA demo does).
    let odr = operator::create(
        &mut tx,
        now,
        &demo,
        &chamber.id,
        NewOperator {
            kind: "odr".into(),
            name: DEMO_ODR.0.into(),
            tax_code: DEMO_ODR.1.into(),
            email: DEMO_ODR.2.into(),
            legal_representative_tax_code: Some("RVIMRC78B10D969S".into()),
            ..NewOperator::default()
        },
    )
    .await?;
    let odr_office = office::ensure(
        &mut tx,
        now,
        &demo,
        &chamber.id,
        OfficeKind::OdrOrganisation,
        DEMO_ODR.0,
        Some(&odr.id),
    )
    .await?;
    sqlx::query(
        "UPDATE ra_operators SET state = 'active', protocol_date = '2026-09-01', mandate_basis = 'appointment', \
         mandate_start = '2026-09-01', mandate_end = '2029-09-01', office_id = $2 WHERE id = $1",
    )
    .bind(&odr.id)
    .bind(&odr_office.id)
    .execute(&mut *tx)
    .await?;
    advance::set_full_service(&mut tx, now, &demo, &chamber.id, &odr.id, true).await?;
    // RA procedure, part 2: the chamber sets the full-service ODR's "n" free smart cards.
    advance::set_free_allowance(&mut tx, now, &demo, &chamber.id, &odr.id, 5).await?;
    advance::top_up(
        &mut tx,
        now,
        &demo,
        &chamber.id,
        &odr.id,
        Money::from_cents(25_000),
        "Bonifico dimostrativo",
    )
    .await?;
    // Opening plans and the desks' operators.
    let sara = ops
        .iter()
        .find(|o| o.kind == OperatorKind::Rao && o.email == "rao@demo.sportello.test");
    let elena = ops
        .iter()
        .find(|o| o.kind == OperatorKind::Ir && o.email == "ir@demo.sportello.test");
    for (code, text) in [
        (
            "GE-GENOVA",
            "1 09:00 12:30 30\n2 09:00 12:30 30\n2 14:30 16:00 30\n3 09:00 12:30 30\n4 09:00 12:30 30\n4 14:30 16:00 30\n5 09:00 12:30 30",
        ),
        ("GE-CHIAVARI", "2 09:00 12:00 30\n4 09:00 12:00 30"),
    ] {
        if let Some(desk) = chambers::find_desk_by_code(&state.db, code).await? {
            plan::replace(&mut tx, now, &demo, &desk, &plan::parse(text)?).await?;
            for op in [sara, elena].into_iter().flatten() {
                if code == "GE-GENOVA" || op.kind == OperatorKind::Rao {
                    plan::set_roster(&mut tx, now, &demo, &desk, &op.id, true).await?;
                }
            }
        }
    }
    let csv = delivery_csv();
    delivery::import(
        &mut tx,
        now,
        today - chrono::Duration::days(40),
        &demo,
        &chamber.id,
        "consegna-demo.csv",
        csv.as_bytes(),
    )
    .await?;
    delivery::store_all(&mut tx, now, &demo, &chamber.id).await?;
    tx.commit().await?;
    // Two-person withdrawals: the Master RAO asks, the RAO approves.
    let mut asks = vec![(Destination::Odr, odr.id.clone(), 4, 1, 2)];
    if let Some(s) = sara {
        asks.push((Destination::OperatorBox, s.id.clone(), 5, 2, 0));
    }
    for (destination, operator_id, smart_cards, tokens, free) in asks {
        let w = withdrawal::request(
            &state.db,
            now,
            today,
            &master,
            &chamber.id,
            NewWithdrawal {
                destination: Some(destination),
                operator_id,
                smart_cards,
                tokens,
                free_smart_cards: free,
                note: Some("Dati dimostrativi".into()),
                request_key: Some(db::new_id()),
            },
        )
        .await?;
        withdrawal::approve(&state.db, now, today, &rao, &chamber.id, &w.id).await?;
    }
    Ok(())
}
