//! Demo records of the registration authority, so its pages show something: the seed's
//! convention (ending 28/07/2026) and its renewal, a few operators in different states, the
//! office tree, and the test CA of `tests/fixtures/ra` trusted by the demo chamber so signed
//! mandate documents can be tried; the seed's two organisation RAOs, Infocamere Scpa (5 years,
//! remote issuance) and ICO IC Outsourcing scrl (3 years), each with its staff sheet (Infocamere's
//! in two versions, the second adding a collaborator). Idempotent: nothing is added when the chamber already has
//! operators. Demo only — states are written directly, with a history line each.

use crate::Ctx;
use crate::audit::Actor;
use crate::chambers::Chamber;
use crate::db;
use crate::ra::accreditation::State;
use crate::ra::convention;
use crate::ra::mandate::{ActTerm, MandateAct, MandateBasis, mandate_dates_with_term};
use crate::ra::office::{self, OfficeKind, chamber_city, office_name_for};
use crate::ra::operator::{self, NewOperator};
use crate::ra::staff_sheet::{self, StaffMember};
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
    for org in &ORGANISATION_RAOS {
        seed_organisation_rao(&mut tx, now, &actor, chamber, &city, org).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An organisation RAO of the RA procedure, as the demo shows it: its act (term, remote
/// service), and its staff sheets (the last list joins later, by a second version).
struct DemoOrganisation {
    name: &'static str,
    tax_code: &'static str,
    legal_rep: &'static str,
    email: &'static str,
    protocol: &'static str,
    term_years: u32,
    remote: bool,
    staff: Staff,
    /// Sheet date and people of a later version that adds them.
    later: Option<(&'static str, Staff)>,
}

/// People of a demo staff sheet: name, tax code, e-mail.
type Staff = &'static [(&'static str, &'static str, &'static str)];

/// RA procedure: "incarico di RAO a Infocamere Scpa con scadenza 5 anni ... svolto da remoto",
/// "a ICO IC Outsourcing scrl con scadenza 3 anni". The demo's acts are dated under the renewed
/// convention so they are in force; the tax codes are made up.
const ORGANISATION_RAOS: [DemoOrganisation; 2] = [
    DemoOrganisation {
        name: "Infocamere Scpa",
        tax_code: "05550000482",
        legal_rep: "LNGMRC70D10H501W",
        email: "rao@infocamere.demo.test",
        protocol: "2026-08-03",
        term_years: 5,
        remote: true,
        staff: &[
            (
                "Luca Bianchi",
                "BNCLCU80A01H501Q",
                "luca.bianchi@infocamere.demo.test",
            ),
            (
                "Anna Verdi",
                "VRDANN85M41D612H",
                "anna.verdi@infocamere.demo.test",
            ),
        ],
        later: Some((
            "2026-11-16",
            &[(
                "Paola Gallo",
                "GLLPLA79C12G702K",
                "paola.gallo@infocamere.demo.test",
            )],
        )),
    },
    DemoOrganisation {
        name: "ICO IC Outsourcing scrl",
        tax_code: "06660000487",
        legal_rep: "PLMSLV72R52F205F",
        email: "rao@icoutsourcing.demo.test",
        protocol: "2026-09-01",
        term_years: 3,
        remote: false,
        staff: &[
            (
                "Francesca Rossi",
                "RSSFNC82T50H501W",
                "francesca.rossi@icoutsourcing.demo.test",
            ),
            (
                "Giuseppe Moretti",
                "MRTGPP75B03E715H",
                "giuseppe.moretti@icoutsourcing.demo.test",
            ),
        ],
        later: None,
    },
];

fn members(list: &[(&str, &str, &str)]) -> Vec<StaffMember> {
    list.iter()
        .map(|(name, tax_code, email)| StaffMember {
            name: (*name).into(),
            tax_code: (*tax_code).into(),
            email: (*email).into(),
        })
        .collect()
}

/// The organisation and its first sheet through the use cases, then (demo only) its
/// accreditation written as done, the staff with their course; then the later sheet.
async fn seed_organisation_rao(
    tx: &mut crate::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    chamber: &Chamber,
    city: &str,
    d: &DemoOrganisation,
) -> anyhow::Result<()> {
    let org = operator::create(
        tx,
        now,
        actor,
        &chamber.id,
        NewOperator {
            kind: "rao".into(),
            name: d.name.into(),
            tax_code: d.tax_code.into(),
            email: d.email.into(),
            legal_representative_tax_code: Some(d.legal_rep.into()),
            ..NewOperator::default()
        },
    )
    .await?;
    let protocol = date(d.protocol)?;
    let sent_by = "Legale rappresentante (PEC)";
    staff_sheet::record_tx(
        tx,
        now,
        actor,
        &org,
        protocol,
        sent_by,
        &members(d.staff),
        None,
    )
    .await?;
    let act = MandateAct {
        term: Some(ActTerm::Years(d.term_years)),
        remote_issuance: d.remote,
    };
    let m = mandate_dates_with_term(
        org.kind,
        true,
        false,
        MandateBasis::Appointment {
            protocol_date: protocol,
        },
        act.term,
        date("2032-07-28")?,
    )?;
    let (kind, name) = office_name_for(&org, city);
    let office = office::ensure(tx, now, actor, &chamber.id, kind, &name, Some(&org.id)).await?;
    let passed = protocol
        .checked_add_days(chrono::Days::new(20))
        .unwrap_or(protocol);
    let mut ids = vec![(org.id.clone(), false)];
    for c in operator::collaborators_tx(tx, &org.id).await? {
        ids.push((c.id, true));
    }
    for (id, takes_course) in ids {
        let course = takes_course.then(|| {
            (
                96_i64,
                db::date(passed),
                db::date(crate::ra::course::course_valid_until(passed)),
            )
        });
        sqlx::query(
            "UPDATE ra_operators SET state = 'active', protocol_date = $2, \
             mandate_basis = 'appointment', mandate_start = $2, mandate_end = $3, \
             course_score = $4, course_passed_on = $5, course_valid_until = $6, office_id = $7 \
             WHERE id = $1",
        )
        .bind(&id)
        .bind(db::date(m.start))
        .bind(db::date(m.end))
        .bind(course.as_ref().map(|c| c.0))
        .bind(course.as_ref().map(|c| c.1.clone()))
        .bind(course.as_ref().map(|c| c.2.clone()))
        .bind(&office.id)
        .execute(&mut **tx)
        .await?;
        demo_history(tx, now, &id, "active", "Dati dimostrativi").await?;
    }
    sqlx::query("UPDATE ra_operators SET act_term_years = $2, remote_issuance = $3 WHERE id = $1")
        .bind(&org.id)
        .bind(i64::from(d.term_years))
        .bind(i64::from(d.remote))
        .execute(&mut **tx)
        .await?;
    if let Some((on, added)) = d.later {
        let org = operator::get_tx(tx, &org.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo organisation vanished"))?;
        let mut all = members(d.staff);
        all.extend(members(added));
        staff_sheet::record_tx(tx, now, actor, &org, date(on)?, sent_by, &all, None).await?;
    }
    Ok(())
}

async fn demo_history(
    tx: &mut crate::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    operator_id: &str,
    state: &str,
    note: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO ra_steps (id, operator_id, action, from_state, to_state, on_date, at, \
         actor_id, actor, note) VALUES ($1, $2, 'activate', 'new', $3, $4, $5, NULL, 'demo', $6)",
    )
    .bind(db::new_id())
    .bind(operator_id)
    .bind(state)
    .bind(db::date(crate::clock::italian_day(now)))
    .bind(db::instant(now))
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
