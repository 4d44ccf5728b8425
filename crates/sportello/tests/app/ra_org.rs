//! Organisation RAOs (RA procedure, part 1: "incarico di RAO a Infocamere Scpa con scadenza
//! 5 anni ... svolto da remoto, la quale accetta allegando la scheda degli addetti che,
//! puntualmente, aggiorna"; ICO IC Outsourcing scrl, 3 years): the term from the act within the
//! convention, the remote-issuance flag, the staff sheet's versions and who may record them.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::ra::{ORG, REP, ROSSI, VERDI, call, create, identity, master_actor, op, setup, today};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::ra::accreditation::State;
use sportello_core::ra::accreditation::steps;
use sportello_core::ra::archive::DocumentKind;
use sportello_core::ra::operator;

engine_tests!(
    an_organisation_rao_mandate_lasts_the_term_of_its_act_within_the_convention,
    only_an_organisation_rao_mandate_is_for_remote_issuance,
    a_staff_sheet_adds_collaborators_who_must_pass_the_course_and_suspends_those_left_out,
    a_wrong_staff_sheet_line_is_shown_with_the_form_as_typed_and_nothing_is_recorded,
    more_staff_sheet_lines_keep_what_was_typed_and_record_nothing,
    only_the_master_rao_records_a_staff_sheet,
);

const BIANCHI: &str = "BNCLCU80A01H501Q";

/// An organisation RAO whose mandate letter the Manager has signed (RA procedure, part 1: the
/// letter goes out "firmata digitalmente dal Dirigente").
async fn organisation_rao(app: &TestApp, master: &str, name: &str, tax_code: &str) -> String {
    let id = create(
        app,
        master,
        json!({"kind": "rao", "name": name, "tax_code": tax_code,
            "email": format!("rao@{}.test", tax_code), "legal_representative_tax_code": REP}),
    )
    .await;
    crate::ra::sign_letter(app, &id).await;
    id
}

async fn mandate(app: &TestApp, master: &str, id: &str, body: Value) -> (StatusCode, Value) {
    call(
        app,
        "POST",
        &format!("/api/v1/ra/operators/{id}/mandate"),
        master,
        Some(body),
    )
    .await
}

/// RA procedure: Infocamere 5 years (02/11/2020), ICO 3 years (01/12/2022); the setup's
/// convention ends on 28/07/2029, which cuts a term that would go past it.
async fn an_organisation_rao_mandate_lasts_the_term_of_its_act_within_the_convention(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let infocamere = organisation_rao(&app, &master, "Infocamere Scpa", ORG).await;
    // No default for an organisation RAO: the act states the term.
    let (s, p) = mandate(
        &app,
        &master,
        &infocamere,
        json!({"protocol_date": "2020-11-02"}),
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("act_term_required"))
    );
    assert_eq!(op(&app, &infocamere).await.state, State::New);
    let (s, p) = mandate(
        &app,
        &master,
        &infocamere,
        json!({"protocol_date": "2020-11-02", "term_years": 5, "term_end": "2025-01-01"}),
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("act_term_twice"))
    );
    let (s, m) = mandate(
        &app,
        &master,
        &infocamere,
        json!({"protocol_date": "2020-11-02", "term_years": 5, "remote_issuance": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(
        (m["start"].as_str(), m["end"].as_str()),
        (Some("2020-11-02"), Some("2025-11-02"))
    );
    let (_, o) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{infocamere}"),
        &master,
        None,
    )
    .await;
    assert_eq!(o["remote_issuance"], true);
    assert_eq!(o["kind"], "rao");

    let ico = organisation_rao(&app, &master, "ICO IC Outsourcing scrl", "05550000482").await;
    let (s, m) = mandate(
        &app,
        &master,
        &ico,
        json!({"protocol_date": "2022-12-01", "term_years": 3}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["end"], "2025-12-01");
    let (_, o) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{ico}"),
        &master,
        None,
    )
    .await;
    assert_eq!(o["remote_issuance"], false);

    // Never past the convention's end (28/07/2029).
    let later = organisation_rao(&app, &master, "Altra Scpa", "06660000487").await;
    let (s, m) = mandate(
        &app,
        &master,
        &later,
        json!({"protocol_date": "2026-01-15", "term_end": "2031-01-15"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["end"], "2029-07-28");
}

async fn only_an_organisation_rao_mandate_is_for_remote_issuance(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let odr = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "CANTIERI DEL LEVANTE S.R.L.", "tax_code": ORG,
            "email": "odr@levante.test", "legal_representative_tax_code": REP}),
    )
    .await;
    let (s, p) = mandate(
        &app,
        &master,
        &odr,
        json!({"protocol_date": "2026-11-02", "remote_issuance": true}),
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("remote_only_for_rao_organisation")
        )
    );
    // Refused before any step: not even the expression of interest was recorded.
    assert_eq!(op(&app, &odr).await.state, State::New);
    // A RAO of the chamber's staff keeps the procedure's 5 years when no term is entered.
    let rao = create(
        &app,
        &master,
        json!({"kind": "rao", "name": "LAURA VERDI", "tax_code": VERDI, "email": "l.verdi@camera.test"}),
    )
    .await;
    crate::ra::sign_letter(&app, &rao).await;
    let (s, m) = mandate(&app, &master, &rao, json!({"protocol_date": "2024-01-15"})).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["end"], "2029-01-15");
}

async fn login(app: &TestApp, role: Role) -> Browser {
    let (email, password) = TestApp::demo_login(role);
    Browser::login(app, email, password).await
}

fn sheet_form(date: &str, lines: &[(&str, &str, &str)]) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new()
        .text("rows", lines.len().to_string())
        .text("sheet_date", date.to_string())
        .text("sent_by", "Legale rappresentante, via PEC");
    for (i, (name, code, email)) in lines.iter().enumerate() {
        f = f
            .text(format!("name_{i}"), name.to_string())
            .text(format!("tax_code_{i}"), code.to_string())
            .text(format!("email_{i}"), email.to_string());
    }
    f
}

async fn operator_by_tax_code(app: &TestApp, code: &str) -> operator::Operator {
    let id: String = sqlx::query_scalar("SELECT id FROM ra_operators WHERE tax_code = $1")
        .bind(code)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    op(app, &id).await
}

/// RA procedure: the staff sheet lists who acts for the organisation; those listed take the
/// course; a collaborator added later starts on the new sheet's date; one left out stops.
async fn a_staff_sheet_adds_collaborators_who_must_pass_the_course_and_suspends_those_left_out(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let org = organisation_rao(&app, &master, "ICO IC Outsourcing scrl", ORG).await;
    let b = login(&app, Role::MasterRao).await;
    let first = (today(&app) - Duration::days(30)).to_string();
    // The first sheet, before the mandate: the staff follow the organisation's steps.
    let (s, location, body) = b
        .post_multipart(
            &format!("/ra/operators/{org}/staff-sheets"),
            sheet_form(
                &first,
                &[
                    ("MARIO ROSSI", ROSSI, "mario.rossi@ico.test"),
                    ("LAURA VERDI", VERDI, "laura.verdi@ico.test"),
                ],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(location.unwrap().contains("sheet=1"));
    let rossi = operator_by_tax_code(&app, ROSSI).await;
    let verdi = operator_by_tax_code(&app, VERDI).await;
    for c in [&rossi, &verdi] {
        assert_eq!(c.organisation_id.as_deref(), Some(org.as_str()));
        assert_eq!(c.kind, operator::OperatorKind::Rao);
        assert_eq!(c.state, State::New);
    }
    // The act: 3 years; the staff work under it.
    let (s, m) = mandate(
        &app,
        &master,
        &org,
        json!({"protocol_date": first, "term_years": 3}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let org_end = m["end"].as_str().unwrap().to_string();
    assert_eq!(
        op(&app, &rossi.id).await.mandate.unwrap().end.to_string(),
        org_end
    );
    // Through the documents, the CA and the course, as any organisation.
    let a = master_actor();
    steps::receive_documents(
        &app.state,
        &a,
        &op(&app, &org).await,
        // RA procedure, part 1: forms E and F are asked of ODR and IR organisations only.
        crate::ra::organisation_documents()
            .into_iter()
            .filter(|u| !matches!(u.kind, DocumentKind::FormE | DocumentKind::FormF))
            .collect(),
    )
    .await
    .unwrap();
    steps::send_to_ca(&app.state, &a, &op(&app, &org).await, identity())
        .await
        .unwrap();
    steps::simple_step(
        &app.state,
        &a,
        &op(&app, &org).await,
        sportello_core::ra::accreditation::Step::RequestCourse,
        None,
    )
    .await
    .unwrap();
    for c in [&rossi.id, &verdi.id] {
        steps::pass_course(&app.state, &a, &op(&app, c).await, 95, today(&app))
            .await
            .unwrap();
    }
    assert_eq!(op(&app, &org).await.state, State::CoursePassed);
    assert_eq!(
        steps::activate(&app.state, &a, &op(&app, &org).await, None)
            .await
            .unwrap(),
        3
    );
    let office = op(&app, &org).await.office_id.unwrap();
    assert_eq!(
        op(&app, &rossi.id).await.office_id.as_deref(),
        Some(office.as_str())
    );
    let can_act = |id: String| {
        let app = &app;
        let master = master.clone();
        async move {
            let (_, o) = call(
                app,
                "GET",
                &format!("/api/v1/ra/operators/{id}"),
                &master,
                None,
            )
            .await;
            o["can_act"].as_bool().unwrap()
        }
    };
    assert!(can_act(rossi.id.clone()).await);
    assert!(can_act(verdi.id.clone()).await);

    // A second version: Bianchi joins, Verdi is no longer listed.
    let second = (today(&app) - Duration::days(2)).to_string();
    let (s, _, body) = b
        .post_multipart(
            &format!("/ra/operators/{org}/staff-sheets"),
            sheet_form(
                &second,
                &[
                    ("MARIO ROSSI", ROSSI, "mario.rossi@ico.test"),
                    ("LUCA BIANCHI", BIANCHI, "luca.bianchi@ico.test"),
                ],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let bianchi = operator_by_tax_code(&app, BIANCHI).await;
    assert_eq!(bianchi.state, State::MandateSent);
    let m = bianchi.mandate.unwrap();
    assert_eq!(
        (m.start.to_string(), m.end.to_string()),
        (second.clone(), org_end)
    );
    assert!(!can_act(bianchi.id.clone()).await, "no course yet");
    let verdi = op(&app, &verdi.id).await;
    assert_eq!(verdi.state, State::Suspended);
    assert_eq!(verdi.mandate.unwrap().end.to_string(), second);
    assert!(!can_act(verdi.id.clone()).await);
    assert!(can_act(rossi.id.clone()).await);

    // The history on the organisation's page, and in the audit trail.
    let (_, page) = b.get(&format!("/ra/operators/{org}")).await;
    assert!(
        page.contains("data-testid=\"ra-staff-sheet-versions\""),
        "{page}"
    );
    // The sheet names people in capitals; the page writes them in usual case (the stored
    // sheet is unchanged).
    assert!(
        page.contains("Luca Bianchi") && page.contains("Laura Verdi"),
        "{page}"
    );
    assert!(
        !page.contains("LUCA BIANCHI") && !page.contains("LAURA VERDI"),
        "{page}"
    );
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'ra.staff_sheet.record' AND entity_id = $1",
    )
    .bind(&org)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(n, 2);
}

/// RA procedure, part 1: the organisation "accetta allegando la scheda degli addetti"; asking
/// for more lines while typing it brings the form back as typed, three lines longer, and
/// records nothing.
async fn more_staff_sheet_lines_keep_what_was_typed_and_record_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let org = organisation_rao(&app, &master, "Infocamere Scpa", ORG).await;
    let b = login(&app, Role::MasterRao).await;
    let (_, page) = b
        .get(&format!("/ra/operators/{org}/staff-sheets/new"))
        .await;
    assert!(
        page.contains("data-testid=\"ra-staff-sheet-more-rows\""),
        "{page}"
    );
    let (s, _, body) = b
        .post_multipart(
            &format!("/ra/operators/{org}/staff-sheets"),
            sheet_form(
                "2026-11-02",
                &[("MARIO ROSSI", ROSSI, "mario.rossi@infocamere.test")],
            )
            .text("add_rows", "1"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("value=\"MARIO ROSSI\"") && body.contains(ROSSI),
        "{body}"
    );
    assert!(body.contains("value=\"mario.rossi@infocamere.test\""));
    assert!(body.contains("value=\"2026-11-02\""), "the date as typed");
    assert!(
        body.contains("Legale rappresentante, via PEC"),
        "who sent it, as typed"
    );
    assert_eq!(body.matches("data-testid=\"ra-staff-line\"").count(), 4);
    assert!(body.contains("name=\"rows\" value=\"4\""));
    let sheets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_staff_sheets")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(sheets, 0, "nothing recorded");
}

async fn a_wrong_staff_sheet_line_is_shown_with_the_form_as_typed_and_nothing_is_recorded(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let org = organisation_rao(&app, &master, "Infocamere Scpa", ORG).await;
    let b = login(&app, Role::MasterRao).await;
    let (s, _, body) = b
        .post_multipart(
            &format!("/ra/operators/{org}/staff-sheets"),
            sheet_form(
                &today(&app).to_string(),
                &[
                    ("MARIO ROSSI", ROSSI, "mario.rossi@infocamere.test"),
                    (
                        "LUCA BIANCHI",
                        "BNCLCU80A01H501X",
                        "luca.bianchi@infocamere.test",
                    ),
                ],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Riga 2"), "{body}");
    assert!(body.contains("value=\"BNCLCU80A01H501X\"") && body.contains("value=\"MARIO ROSSI\""));
    let sheets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_staff_sheets")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let ops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_operators")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!((sheets, ops), (0, 1));
    // A date in the future is refused the same way.
    let (s, _, body) = b
        .post_multipart(
            &format!("/ra/operators/{org}/staff-sheets"),
            sheet_form(
                &(today(&app) + Duration::days(1)).to_string(),
                &[("MARIO ROSSI", ROSSI, "mario.rossi@infocamere.test")],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-testid=\"ra-error\""));
}

/// Organisations have no account here: the chamber's Master RAO records their sheets.
async fn only_the_master_rao_records_a_staff_sheet(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let org = organisation_rao(&app, &master, "Infocamere Scpa", ORG).await;
    for role in Role::ALL {
        let b = login(&app, role).await;
        let (s, _) = b
            .get(&format!("/ra/operators/{org}/staff-sheets/new"))
            .await;
        let (p, _, _) = b
            .post_multipart(
                &format!("/ra/operators/{org}/staff-sheets"),
                sheet_form(
                    &today(&app).to_string(),
                    &[("MARIO ROSSI", ROSSI, "mario.rossi@infocamere.test")],
                ),
            )
            .await;
        if role == Role::MasterRao {
            assert_eq!((s, p), (StatusCode::OK, StatusCode::SEE_OTHER), "{role:?}");
        } else {
            assert!(
                matches!(s, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED),
                "{role:?}: {s}"
            );
            assert!(
                matches!(p, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED),
                "{role:?}: {p}"
            );
        }
    }
    let sheets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_staff_sheets")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(sheets, 1);
    // A person's page has no staff sheet: the form is not found.
    let person = create(
        &app,
        &master,
        json!({"kind": "rao", "name": "LAURA VERDI", "tax_code": VERDI, "email": "l.verdi@camera.test"}),
    )
    .await;
    let b = login(&app, Role::MasterRao).await;
    let (s, _) = b
        .get(&format!("/ra/operators/{person}/staff-sheets/new"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
