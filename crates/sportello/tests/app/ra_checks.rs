//! Alerts and periodic checks, the course spreadsheets and the export command.

use super::{ROSSI, call, create, fixture, master_actor, op, setup, steps, today, upload};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp, csrf_of};
use calamine::Reader;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::ra::accreditation::{State, Step};
use sportello_core::ra::archive::DocumentKind;

engine_tests!(
    the_master_rao_is_alerted_once_per_threshold,
    a_registry_reimport_flags_ceased_or_renamed_organisations,
    the_yearly_sample_can_be_redrawn_from_its_seed,
    the_course_request_is_an_xlsx_and_results_are_matched_by_tax_code,
    the_export_command_writes_the_course_request,
);

async fn master_mails(app: &TestApp) -> Vec<String> {
    let (email, _) = TestApp::demo_login(Role::MasterRao);
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == email))
        .map(|m| m.data)
        .collect()
}

/// Walks a RAO to "sent to the CA".
async fn rao_sent_to_ca(app: &TestApp, master: &str) -> String {
    let id = create(
        app,
        master,
        json!({"kind": "rao", "name": "MARIO ROSSI", "tax_code": ROSSI,
        "email": "m.rossi@camera.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    call(
        app,
        "POST",
        &format!("/api/v1/ra/operators/{id}/mandate"),
        master,
        Some(json!({"protocol_date": (today(app) - Duration::days(10)).to_string()})),
    )
    .await;
    let a = master_actor();
    steps::receive_documents(
        &app.state,
        &a,
        &op(app, &id).await,
        vec![upload(DocumentKind::AcceptanceForm, "acceptance_rossi.pdf")],
    )
    .await
    .unwrap();
    steps::send_to_ca(&app.state, &a, &op(app, &id).await, super::identity())
        .await
        .unwrap();
    id
}

async fn the_master_rao_is_alerted_once_per_threshold(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let end = today(&app) + Duration::days(45);
    let (s, _) = call(
        &app,
        "PUT",
        "/api/v1/ra/convention",
        &master,
        Some(json!({"start": "2020-07-29", "end": "2030-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let id = super::active_rao(&app, &master, "m.rossi@camera.test").await;
    // The mandate ends in 45 days.
    sqlx::query("UPDATE ra_operators SET mandate_end = $2 WHERE id = $1")
        .bind(&id)
        .bind(end.to_string())
        .execute(app.state.db.pool())
        .await
        .unwrap();
    // Through the job queue, as the daily schedule runs it.
    let mut tx = app.state.db.begin().await.unwrap();
    sportello_core::jobs::enqueue(
        &mut tx,
        &sportello_core::ra::checks::DailyChecks {},
        app.state.clock.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    app.run_jobs().await;
    let mails = master_mails(&app).await;
    assert_eq!(mails.len(), 1, "one alert");
    assert!(mails[0].contains("Mandato MARIO ROSSI"), "{}", mails[0]);
    assert!(mails[0].contains("tra 45 giorni"));
    // The same day again: nothing new.
    let chamber = op(&app, &id).await.chamber_id;
    assert_eq!(
        sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
            .await
            .unwrap(),
        0
    );
    app.clock.advance(Duration::days(16));
    assert_eq!(
        sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
            .await
            .unwrap(),
        1,
        "the 30-day alert"
    );
    app.clock.advance(Duration::days(1));
    assert_eq!(
        sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
            .await
            .unwrap(),
        0
    );
    app.clock.advance(Duration::days(22));
    assert_eq!(
        sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
            .await
            .unwrap(),
        1,
        "the 7-day alert"
    );
    app.run_jobs().await;
    assert_eq!(master_mails(&app).await.len(), 3);
}

async fn a_registry_reimport_flags_ceased_or_renamed_organisations(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    // CONSORZIO EXPORT LIGURIA is CESSATA in the demo registry.
    let ceased = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "CONSORZIO EXPORT LIGURIA", "tax_code": "80052590587",
        "email": "consorzio@pec.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    let renamed = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "CANTIERI DEL LEVANTE S.R.L.", "tax_code": super::ORG,
        "email": "cantieri@pec.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    let chamber = op(&app, &ceased).await.chamber_id;
    sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE companies SET name = 'CANTIERI NAVALI DEL LEVANTE S.R.L.' WHERE tax_code = $1",
    )
    .bind(super::ORG)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
        .await
        .unwrap();
    sportello_core::ra::checks::run_for_chamber(&app.state, &chamber)
        .await
        .unwrap();
    let flags = sportello_core::ra::checks::registry_flags(&app.state.db, &chamber)
        .await
        .unwrap();
    let got: Vec<(String, String)> = flags
        .iter()
        .map(|f| (f.operator_id.clone(), f.kind.clone()))
        .collect();
    assert_eq!(got.len(), 2, "each change once: {got:?}");
    assert!(got.contains(&(ceased, "ceased".into())));
    assert!(got.contains(&(renamed, "renamed".into())));
    app.run_jobs().await;
    let mails = master_mails(&app).await;
    assert!(mails.iter().any(|m| m.contains("CESSATA")));
    assert!(
        mails
            .iter()
            .any(|m| m.contains("CANTIERI NAVALI DEL LEVANTE"))
    );
    let (email, password) = TestApp::demo_login(Role::Auditor);
    let (_, page) = Browser::login(&app, email, password)
        .await
        .get("/ra/checks")
        .await;
    assert!(page.contains("data-testid=\"ra-registry-flags\""));
}

async fn the_yearly_sample_can_be_redrawn_from_its_seed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    for (i, tax) in [
        "RSSMRA80A01H501U",
        "VRDLRA85M41D969U",
        "MRTNTN23M02D969P",
        "CNTRRT70A01D969P",
    ]
    .iter()
    .enumerate()
    {
        create(&app, &master, json!({"kind": if i % 2 == 0 { "odr" } else { "ir" }, "name": format!("OPERATORE {i}"),
            "tax_code": tax, "email": format!("op{i}@studio.test"), "organisation_tax_code": null, "first_phase": false})).await;
    }
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    b.get("/ra/checks").await;
    let (s, _, _) = b.post_form("/ra/checks/draw", &[("size", "2")]).await;
    assert!(s.is_redirection(), "{s}");
    let (s, _, page) = b.post_form("/ra/checks/draw", &[("size", "2")]).await;
    assert_eq!(s, StatusCode::CONFLICT, "one draw per year");
    assert!(page.contains("già stato estratto"));
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let check = sportello_core::ra::checks::self_checks(&app.state.db, &chamber.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(check.sample.len(), 2);
    assert_eq!(check.population.len(), 4);
    // The auditor redraws from the recorded seed and gets the same sample.
    assert_eq!(
        sportello_core::ra::checks::draw_sample(&check.population, check.seed, 2),
        check.sample
    );
    let (a_email, a_password) = TestApp::demo_login(Role::Auditor);
    let (s, page) = Browser::login(&app, a_email, a_password)
        .await
        .get("/ra/checks")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&check.seed.to_string()));
    assert!(page.contains("riestrazione verificata"));
    b.get("/ra/checks").await;
    let (s, _, _) = b
        .post_form(
            &format!("/ra/checks/{}/outcome", check.id),
            &[
                ("operator_id", &check.sample[0]),
                ("outcome", "non_compliant"),
                ("note", "dichiarazione non firmata"),
            ],
        )
        .await;
    assert!(s.is_redirection());
    let outside = check
        .population
        .iter()
        .find(|p| !check.sample.contains(p))
        .unwrap();
    b.get("/ra/checks").await;
    let (s, _, _) = b
        .post_form(
            &format!("/ra/checks/{}/outcome", check.id),
            &[("operator_id", outside), ("outcome", "compliant")],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "only operators of the sample have an outcome"
    );
    let outcomes = sportello_core::ra::checks::outcomes(&app.state.db, &check.id)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].outcome, "non_compliant");
}

async fn the_course_request_is_an_xlsx_and_results_are_matched_by_tax_code(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = rao_sent_to_ca(&app, &master).await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let (_, list) = b.get("/ra/operators").await;
    assert!(list.contains("data-testid=\"ra-course-request\""));
    let csrf = csrf_of(&list).unwrap();
    let r = b
        .client
        .post(app.url("/ra/courses/request"))
        .form(&[("csrf", csrf.as_str()), ("operator_ids", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "Cognome e nome",
            "Codice fiscale",
            "E-mail",
            "Ruolo",
            "Ufficio"
        ]
    );
    assert_eq!(
        rows[1],
        [
            "MARIO ROSSI",
            ROSSI,
            "m.rossi@camera.test",
            "RAO",
            "GENOVA REMOTIZZATI"
        ]
    );
    assert_eq!(op(&app, &id).await.state, State::CourseRequested);
    let csv = format!(
        "Codice fiscale;Punteggio;Data superamento\n{ROSSI};94;{}\nVRDLRA85M41D969U;99;{}\n{ROSSI};80;{}\n",
        today(&app).format("%d/%m/%Y"),
        today(&app),
        today(&app)
    );
    let (_, list) = b.get("/ra/operators").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&list).unwrap())
        .part(
            "results",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("esiti.csv"),
        );
    let r = b
        .client
        .post(app.url("/ra/courses/results"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Abbinati: 1"), "{page}");
    assert!(page.contains("Non abbinati: 2"));
    assert!(page.contains("nessun operatore della Camera con questo codice fiscale"));
    assert!(page.contains("punteggio inferiore al 90%"));
    let o = op(&app, &id).await;
    assert_eq!(o.state, State::CoursePassed);
    assert_eq!(o.course.unwrap().score_percent, 94);
    let _ = Step::Activate;
    let _ = fixture("root.pem");
}

async fn the_export_command_writes_the_course_request(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    rao_sent_to_ca(&app, &master).await;
    let out = app.db.dir.path().join("richiesta.xlsx");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args([
            "admin",
            "operators",
            "export",
            "--format",
            "xlsx",
            "--chamber",
            "GE",
            "--out",
        ])
        .arg(&out)
        .env("DATABASE_URL", &app.db.url)
        .env("SPORTELLO_DATA_DIR", app.db.dir.path().join("cli-data"))
        .env("SPORTELLO_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 operators written"));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 2);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["admin", "operators", "export", "--format", "csv"])
        .env("DATABASE_URL", &app.db.url)
        .env("SPORTELLO_DATA_DIR", app.db.dir.path().join("cli-data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
}
