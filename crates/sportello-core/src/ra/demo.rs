//! Demo records of the registration authority, so its pages show something: the seed's
//! convention (ending 28/07/2026) and its renewal, a few operators in different states, the
//! office tree, and the test CA of `tests/fixtures/ra` trusted by the demo chamber so signed
//! mandate documents can be tried. Idempotent: nothing is added when the chamber already has
//! operators. Demo only — states are written directly, with a history line each.

use crate::Ctx;
use crate::audit::Actor;
use crate::chambers::Chamber;
use crate::db;
use crate::ra::accreditation::State;
use crate::ra::convention;
use crate::ra::office::{self, OfficeKind, chamber_city, office_name_for};
use crate::ra::operator::{self, NewOperator};
use chrono::NaiveDate;

/// The CA that signed the RA test fixtures (made by `scripts/ra-fixtures.sh`).
const DEMO_RA_TRUST_ANCHOR: &[u8] = include_bytes!("../../tests/fixtures/ra/root.pem");

struct DemoOperator {
    kind: &'static str,
    name: &'static str,
    tax_code: &'static str,
    email: &'static str,
    state: State,
    protocol: &'static str,
    course: Option<(i64, &'static str)>,
}

const OPERATORS: [DemoOperator; 4] = [
    DemoOperator {
        kind: "rao",
        name: "Sara Costa",
        tax_code: "CSTSRA85C52D969X",
        email: "rao@demo.sportello.test",
        state: State::Active,
        protocol: "2024-02-01",
        course: Some((96, "2026-02-10")),
    },
    DemoOperator {
        kind: "ir",
        name: "Elena Fabbri",
        tax_code: "FBBLNE90A41D969W",
        email: "ir@demo.sportello.test",
        state: State::Active,
        protocol: "2026-09-01",
        course: Some((92, "2026-09-15")),
    },
    DemoOperator {
        kind: "odr",
        name: "Marco Riva",
        tax_code: "RVIMRC78B10D969S",
        email: "marco.riva@studioriva.demo.test",
        state: State::CourseRequested,
        protocol: "2026-10-05",
        course: None,
    },
    DemoOperator {
        kind: "ir",
        name: "Giulia Neri",
        tax_code: "NREGLI88D50D969Z",
        email: "giulia.neri@caf.demo.test",
        state: State::Interest,
        protocol: "",
        course: None,
    },
];

fn date(s: &str) -> anyhow::Result<NaiveDate> {
    Ok(NaiveDate::parse_from_str(s, "%Y-%m-%d")?)
}

/// Seeds the demo records of the chamber (see the module documentation).
pub async fn seed(state: &Ctx, chamber: &Chamber) -> anyhow::Result<()> {
    if !operator::list_in_chamber(&state.db, &chamber.id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let now = state.clock.now();
    let actor = Actor::system("demo");
    crate::trust::add_file(
        &state.db,
        now,
        &actor,
        DEMO_RA_TRUST_ANCHOR,
        Some(&chamber.id),
    )
    .await?;
    let mut tx = state.db.begin().await?;
    let pec = Some("protocollo@pec.certificatore.demo.test");
    // The seed's convention, then its renewal: mandates capped by the first one are listed
    // on the convention page, waiting for an explicit extension.
    convention::set(
        &mut tx,
        now,
        &actor,
        &chamber.id,
        date("2020-07-29")?,
        date("2026-07-28")?,
        pec,
    )
    .await?;
    let first_end = date("2026-07-28")?;
    let city = chamber_city(&chamber.name);
    let mut ids = Vec::new();
    for d in &OPERATORS {
        let op = operator::create(
            &mut tx,
            now,
            &actor,
            &chamber.id,
            NewOperator {
                kind: d.kind.into(),
                name: d.name.into(),
                tax_code: d.tax_code.into(),
                email: d.email.into(),
                ..NewOperator::default()
            },
        )
        .await?;
        let (mandate_start, mandate_end) = if d.protocol.is_empty() {
            (None, None)
        } else {
            let start = date(d.protocol)?;
            let conv_end = if start <= first_end {
                first_end
            } else {
                date("2032-07-28")?
            };
            let m = crate::ra::mandate::mandate_dates(
                op.kind,
                false,
                crate::ra::mandate::MandateBasis::Appointment {
                    protocol_date: start,
                },
                conv_end,
            )?;
            (Some(db::date(m.start)), Some(db::date(m.end)))
        };
        let office_id = if d.state == State::Active {
            let (kind, name) = office_name_for(&op, &city);
            let owner = (kind != OfficeKind::RemoteRao).then_some(op.id.as_str());
            Some(
                office::ensure(&mut tx, now, &actor, &chamber.id, kind, &name, owner)
                    .await?
                    .id,
            )
        } else {
            None
        };
        let course = d.course.map(|(score, passed)| -> anyhow::Result<_> {
            let passed = date(passed)?;
            Ok((
                score,
                db::date(passed),
                db::date(crate::ra::course::course_valid_until(passed)),
            ))
        });
        let course = course.transpose()?;
        sqlx::query(
            "UPDATE ra_operators SET state = $2, protocol_date = $3, mandate_basis = 'appointment', \
             mandate_start = $3, mandate_end = $4, course_score = $5, course_passed_on = $6, \
             course_valid_until = $7, office_id = $8 WHERE id = $1",
        )
        .bind(&op.id)
        .bind(d.state.as_str())
        .bind(&mandate_start)
        .bind(&mandate_end)
        .bind(course.as_ref().map(|c| c.0))
        .bind(course.as_ref().map(|c| c.1.clone()))
        .bind(course.as_ref().map(|c| c.2.clone()))
        .bind(&office_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO ra_steps (id, operator_id, action, from_state, to_state, on_date, at, \
             actor_id, actor, note) VALUES ($1, $2, 'record_interest', 'new', $3, $4, $5, NULL, 'demo', $6)",
        )
        .bind(db::new_id())
        .bind(&op.id)
        .bind(d.state.as_str())
        .bind(db::date(state.clock.today()))
        .bind(db::instant(now))
        .bind("Dati dimostrativi")
        .execute(&mut *tx)
        .await?;
        ids.push(op.id);
    }
    for (kind, name) in [
        (OfficeKind::Branch, format!("{city} CHIAVARI")),
        (OfficeKind::Outsourcing, "IC OUTSOURCING".to_string()),
    ] {
        office::create_manual(&mut tx, now, &actor, &chamber.id, kind, &name).await?;
    }
    convention::set(
        &mut tx,
        now,
        &actor,
        &chamber.id,
        date("2026-07-29")?,
        date("2032-07-28")?,
        pec,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
