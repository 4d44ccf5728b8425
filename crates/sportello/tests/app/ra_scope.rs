//! RA office scope of appointments and issuance: every RAO, ODR and IR of
//! a chamber saw every desk's applicants, and an IR of one desk opened a session from another
//! desk's appointment, consuming it. Now a desk's appointments are seen and taken only by the
//! operators whose office subtree serves it (the Master RAO: the whole chamber), and a session
//! only by the operator who opened it and the chamber's Master RAO.
//!
//! The matrix: each RA role × (own desk, sub-office desk, sibling office's desk, another
//! chamber's desk) × (see the day, act: record a no-show, open a session). RAO and IR have
//! no office under theirs (RA procedure: only an organisation has collaborators), so their
//! sub-office column is the desk of a collaborator of the ODR organisation: not theirs.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::appointments::plan;
use sportello_core::audit::Actor;
use sportello_core::chambers::{self, Chamber, ChamberCode, Desk, DeskCode};
use sportello_core::db::{Engine, instant};
use sportello_core::ra::operator::{self, NewOperator};
use std::collections::HashMap;

engine_tests!(each_ra_role_sees_and_takes_only_the_appointments_of_its_subtree);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Cell {
    Own,
    SubOffice,
    Sibling,
    OtherChamber,
}

const CELLS: [Cell; 4] = [
    Cell::Own,
    Cell::SubOffice,
    Cell::Sibling,
    Cell::OtherChamber,
];

/// Role → (desk of each cell, whether it may see and act there).
fn matrix() -> Vec<(Role, [(&'static str, bool); 4])> {
    vec![
        (
            Role::MasterRao,
            [
                ("GE-NERVI", true),
                ("GE-SESTRI", true),
                ("GE-CHIAVARI", true),
                ("SV-SAVONA", false),
            ],
        ),
        (
            Role::Rao,
            [
                ("GE-GENOVA", true),
                ("GE-SESTRI", false),
                ("GE-CHIAVARI", false),
                ("SV-SAVONA", false),
            ],
        ),
        (
            Role::Odr,
            [
                ("GE-RAPALLO", true),
                ("GE-SESTRI", true),
                ("GE-GENOVA", false),
                ("SV-SAVONA", false),
            ],
        ),
        (
            Role::Ir,
            [
                ("GE-CHIAVARI", true),
                ("GE-SESTRI", false),
                ("GE-GENOVA", false),
                ("SV-SAVONA", false),
            ],
        ),
    ]
}

/// An active operator able to act on the demo days, linked to `user_id` when given.
async fn active_operator(
    app: &TestApp,
    chamber: &Chamber,
    kind: &str,
    name: &str,
    tax_code: &str,
    organisation: Option<&str>,
    user_id: Option<&str>,
) -> String {
    let mut tx = app.state.db.begin().await.unwrap();
    let op = operator::create(
        &mut tx,
        app.state.clock.now(),
        &Actor::cli(),
        &chamber.id,
        NewOperator {
            kind: kind.into(),
            name: name.into(),
            tax_code: tax_code.into(),
            email: format!("{}@operatori.test", tax_code.to_lowercase()),
            organisation_tax_code: organisation.map(str::to_string),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query(
        "UPDATE ra_operators SET state = 'active', mandate_start = '2026-09-01', \
         mandate_end = '2029-09-01', course_score = 95, course_passed_on = '2026-10-01', \
         course_valid_until = '2027-10-01', user_id = $2 WHERE id = $1",
    )
    .bind(&op.id)
    .bind(user_id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    op.id
}

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn desk(app: &TestApp, chamber: &Chamber, code: &str, name: &str) -> Desk {
    match chambers::find_desk_by_code(&app.state.db, code)
        .await
        .unwrap()
    {
        Some(d) => d,
        None => chambers::create_desk(
            &app.state,
            &Actor::cli(),
            chamber,
            &DeskCode::parse(code).unwrap(),
            name,
        )
        .await
        .unwrap(),
    }
}

/// The world of the matrix: six desks, each served by exactly one operator.
struct World {
    desks: HashMap<&'static str, (Desk, String)>,
    next: HashMap<&'static str, i64>,
}

impl World {
    /// A confirmed appointment at `code` on Thursday 26 November 2026 (a free time of the
    /// desk's operator); returns its id and tax code.
    async fn appointment(&mut self, app: &TestApp, code: &'static str) -> (String, String) {
        let (desk, operator) = self.desks[code].clone();
        let n = self.next.entry(code).or_insert(0);
        *n += 1;
        let starts = chrono::DateTime::parse_from_rfc3339("2026-11-26T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
            + chrono::Duration::minutes(30 * (*n - 1));
        let id = uuid::Uuid::now_v7().to_string();
        let tax = format!("{}{:02}", code.replace('-', ""), n);
        sqlx::query(
            "INSERT INTO appointments (id, chamber_id, desk_id, operator_id, starts_at, ends_at, \
             slot_date, status, given_name, surname, tax_code, birth_date, birth_place, email, \
             phone, company_tax_code, device_kind, wants_free, cancel_token_hash, created_at, \
             updated_at, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, '2026-11-26', 'booked', \
             'Anna', 'Scope', $7, '1980-01-01', 'Genova', 'anna@example.it', '3331234567', NULL, \
             'smart_card', 0, $8, $9, $9, $9)",
        )
        .bind(&id)
        .bind(&desk.chamber_id)
        .bind(&desk.id)
        .bind(&operator)
        .bind(instant(starts))
        .bind(instant(starts + chrono::Duration::minutes(30)))
        .bind(&tax)
        .bind(format!("hash-{id}"))
        .bind(instant(app.state.clock.now()))
        .execute(app.state.db.pool())
        .await
        .unwrap();
        (id, tax)
    }
}

async fn setup(app: &TestApp) -> World {
    app.seed_demo().await;
    let ge = chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let sv = chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .unwrap();
    // The Master RAO is an operator too; the ODR login acts as a collaborator of its
    // organisation, which has a second collaborator working at another desk.
    let master = active_operator(
        app,
        &ge,
        "rao",
        "ROBERTO CONTI",
        "CNTRRT70A01D969P",
        None,
        Some(&user_id(app, "masterrao@demo.sportello.test").await),
    )
    .await;
    let odr_user = user_id(app, "odr@demo.sportello.test").await;
    let own_collaborator = active_operator(
        app,
        &ge,
        "odr",
        "LAURA VERDI",
        "VRDLRA85M41D969U",
        Some("02654321013"),
        Some(&odr_user),
    )
    .await;
    let other_collaborator = active_operator(
        app,
        &ge,
        "ir",
        "MARIO ROSSI",
        "RSSMRA80A01H501U",
        Some("02654321013"),
        None,
    )
    .await;
    let savona = active_operator(
        app,
        &sv,
        "rao",
        "GIOVANNI BIANCHI",
        "BNCGNN75C10D969H",
        None,
        None,
    )
    .await;
    let sara = crate::devices::operator_id(app, "rao@demo.sportello.test").await;
    let elena = crate::devices::operator_id(app, "ir@demo.sportello.test").await;
    sqlx::query("DELETE FROM appt_desk_operators")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let mut desks = HashMap::new();
    let opening = plan::parse("4 09:00 17:00 30").unwrap();
    for (code, name, chamber, op) in [
        ("GE-GENOVA", "Genova", &ge, sara),
        ("GE-CHIAVARI", "Chiavari", &ge, elena),
        ("GE-RAPALLO", "Rapallo", &ge, own_collaborator),
        ("GE-SESTRI", "Sestri Levante", &ge, other_collaborator),
        ("GE-NERVI", "Nervi", &ge, master),
        ("SV-SAVONA", "Savona", &sv, savona),
    ] {
        let d = desk(app, chamber, code, name).await;
        let mut tx = app.state.db.begin().await.unwrap();
        let now = app.state.clock.now();
        plan::replace(&mut tx, now, &Actor::cli(), &d, &opening)
            .await
            .unwrap();
        plan::set_roster(&mut tx, now, &Actor::cli(), &d, &op, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        desks.insert(code, (d, op));
    }
    World {
        desks,
        next: HashMap::new(),
    }
}

async fn status_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn each_ra_role_sees_and_takes_only_the_appointments_of_its_subtree(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut world = setup(&app).await;
    // The day of the appointments, after they started (a no-show needs that).
    app.clock
        .advance(chrono::Duration::hours(31) + chrono::Duration::minutes(30));
    let mut failures = Vec::new();
    let mut sessions: Vec<(Role, String)> = Vec::new();
    for (role, cells) in matrix() {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        for (cell, (code, allowed)) in CELLS.iter().zip(cells) {
            let (_, tax) = world.appointment(&app, code).await;
            // See: the desk's day lists the applicant, and the desk is offered at all.
            let (s, page) = b
                .get(&format!("/appointments?desk={code}&date=2026-11-26"))
                .await;
            let sees = s == StatusCode::OK && page.contains(&tax);
            let (_, own_day) = b.get("/appointments?date=2026-11-26").await;
            let offered = own_day.contains(&format!("value=\"{code}\""));
            if sees != allowed || offered != allowed {
                failures.push(format!(
                    "{role} {cell:?} {code}: sees {sees} (status {s}), offered {offered}, expected {allowed}"
                ));
            }
            // Act: a no-show.
            let (id, _) = world.appointment(&app, code).await;
            let (s, _, _) = b
                .post_form(&format!("/appointments/{id}/no-show"), &[])
                .await;
            let expected = if allowed {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::NOT_FOUND
            };
            let status = status_of(&app, &id).await;
            if s != expected || (status == "no_show") != allowed {
                failures.push(format!(
                    "{role} {cell:?} {code}: no-show answered {s}, appointment {status}"
                ));
            }
            // Act: open an issuance session from the appointment.
            let (id, _) = world.appointment(&app, code).await;
            let (s, location, body) = b
                .post_form(&format!("/issuance/from-appointment/{id}"), &[])
                .await;
            let status = status_of(&app, &id).await;
            if s != expected || (status == "served") != allowed {
                failures.push(format!(
                    "{role} {cell:?} {code}: opening a session answered {s}, appointment {status}: {}",
                    body.chars().take(300).collect::<String>()
                ));
            }
            if let (true, Some(l)) = (*cell == Cell::Own, location) {
                sessions.push((role, l.trim_start_matches("/issuance/").to_string()));
            }
        }
    }
    // A session: seen and worked by the operator who opened it and the chamber's Master RAO.
    for (viewer, _) in matrix() {
        let (email, password) = TestApp::demo_login(viewer);
        let b = Browser::login(&app, email, password).await;
        for (opener, sid) in &sessions {
            let (s, _) = b.get(&format!("/issuance/{sid}")).await;
            let allowed = viewer == *opener || viewer == Role::MasterRao;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            if s != expected {
                failures.push(format!("{viewer} GET session of {opener}: {s}"));
            }
            if !allowed {
                let (s, _, _) = b.post_form(&format!("/issuance/{sid}/abort"), &[]).await;
                if s != StatusCode::NOT_FOUND {
                    failures.push(format!("{viewer} aborts the session of {opener}: {s}"));
                }
            }
        }
    }
    assert_eq!(sessions.len(), 4, "each role opened one at its own desk");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
