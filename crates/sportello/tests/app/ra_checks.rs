//! Alerts and periodic checks, the course spreadsheets and the export command.

use super::{ROSSI, VERDI, call, create, fixture, master_actor, op, setup, steps, today};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp, csrf_of};
use calamine::Reader;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::paging::{Cursor, Keyset};
use sportello_core::ra::accreditation::{State, Step};
use sportello_core::ra::checks::{self, RegistryFlag};

engine_tests!(
    the_master_rao_is_alerted_once_per_threshold,
    a_registry_reimport_flags_ceased_or_renamed_organisations,
    the_yearly_sample_can_be_redrawn_from_its_seed,
    the_course_request_is_an_xlsx_and_results_are_matched_by_tax_code,
    the_export_command_writes_the_course_request,
    registry_monitoring_rule_a_person_whose_sole_trade_ceased_or_was_renamed_is_flagged,
    registry_monitoring_rule_a_person_no_longer_a_representative_or_gone_from_the_registry_is_flagged,
    registry_monitoring_rule_an_organisation_whose_legal_representative_changed_is_flagged,
    delivery_record_rule_the_check_finds_planted_anomalies,
);

async fn master_mails(app: &TestApp) -> Vec<String> {
    let (email, _) = TestApp::demo_login(Role::MasterRao);
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == email))
        .map(|m| quoted_printable_undone(&m.data))
        .collect()
}

/// A received message with its quoted-printable soft breaks and escapes undone, so sentences
/// read as written.
fn quoted_printable_undone(data: &str) -> String {
    let bytes = data.replace("=\r\n", "").into_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'=', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    super::send_mandate(
        app,
        master,
        &id,
        &(today(app) - Duration::days(10)).to_string(),
    )
    .await;
    let a = master_actor();
    steps::receive_documents(
        &app.state,
        &a,
        &op(app, &id).await,
        super::person_documents("acceptance_rossi.pdf"),
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
    let flags = registry_flags(&app, &chamber).await;
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

const REGISTRY_HEADER: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;\
                               tipo_sede;indirizzo;cap;comune;stato;diritto_annuale_pagato;\
                               rappresentanti";
const ROSSI_SOLE_TRADE: &str = "RSSMRA80A01H501U;12345670017;ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;\
     ATTIVA;2024 2025;RSSMRA80A01H501U";
const LIGURE_EXPORT: &str = "01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;\
                             Via XX Settembre 12;16121;Genova;ATTIVA;2023 2024 2025;";
const BIANCHI: &str = "BNCGLI85M41D969D";

/// Imports a Registry extract with `rows` (the `rappresentanti` column last), as a re-import
/// of the Registry does.
async fn import_registry(app: &TestApp, name: &str, rows: &[String]) {
    let path = app.db.dir.path().join(name);
    std::fs::write(&path, format!("{REGISTRY_HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let outcome = sportello_core::registry::import_csv(
        &app.state.db,
        app.state.clock.now(),
        &path,
        sportello_core::registry::ImportOptions {
            progress: false,
            batch_size: 1000,
        },
    )
    .await
    .unwrap();
    assert_eq!(outcome.rejected_total, 0, "{:?}", outcome.rejected);
}

/// Every registry flag of the chamber, read a page at a time as the checks page reads them.
async fn registry_flags(app: &TestApp, chamber: &str) -> Vec<RegistryFlag> {
    let mut request = Keyset::first(checks::FLAGS_PAGE);
    let mut all = Vec::new();
    loop {
        let page = checks::registry_flags_page(&app.state.db, chamber, &request)
            .await
            .unwrap();
        all.extend(page.items);
        let Some(next) = page.next else {
            return all;
        };
        request = Keyset {
            cursor: Cursor::After(next),
            size: request.size,
        };
    }
}

/// Runs the daily checks of the chamber; returns the new registry flags as (operator, kind,
/// detail), sorted.
async fn monitor(app: &TestApp, chamber: &str) -> Vec<(String, String, String)> {
    let before = registry_flags(app, chamber).await;
    sportello_core::ra::checks::run_for_chamber(&app.state, chamber)
        .await
        .unwrap();
    let mut new: Vec<(String, String, String)> = registry_flags(app, chamber)
        .await
        .into_iter()
        .filter(|f| !before.iter().any(|b| b.id == f.id))
        .map(|f| (f.operator_id, f.kind, f.detail))
        .collect();
    new.sort();
    new
}

fn person(kind: &str, name: &str, tax_code: &str) -> serde_json::Value {
    json!({"kind": kind, "name": name, "tax_code": tax_code,
        "email": format!("{}@studio.test", tax_code.to_lowercase()),
        "organisation_tax_code": null, "first_phase": false})
}

async fn checks_page_as_auditor(app: &TestApp) -> String {
    let (email, password) = TestApp::demo_login(Role::Auditor);
    let (s, page) = Browser::login(app, email, password)
        .await
        .get("/ra/checks")
        .await;
    assert_eq!(s, StatusCode::OK);
    page
}

/// RA procedure, part 1, "Verifiche periodiche" ("monitoraggio periodico ... in relazione alle
/// modifiche societarie e l'eventuale cancellazione del soggetto incaricato"): an operator who
/// is a natural person and a sole trader is flagged when the trade is renamed, then when it is
/// ceased (a cancellation, death included: the extract has no other sign of it), each once.
async fn registry_monitoring_rule_a_person_whose_sole_trade_ceased_or_was_renamed_is_flagged(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let rossi = create(&app, &master, person("odr", "MARIO ROSSI", ROSSI)).await;
    let chamber = op(&app, &rossi).await.chamber_id;
    assert_eq!(monitor(&app, &chamber).await, [], "an active sole trade");
    import_registry(
        &app,
        "renamed.csv",
        &[ROSSI_SOLE_TRADE.replace("ROSSI MARIO;", "ROSSI MARIO SERVIZI DIGITALI;")],
    )
    .await;
    assert_eq!(
        monitor(&app, &chamber).await,
        [(
            rossi.clone(),
            "renamed".into(),
            "ROSSI MARIO SERVIZI DIGITALI".into()
        )]
    );
    import_registry(
        &app,
        "ceased.csv",
        &[ROSSI_SOLE_TRADE
            .replace("ROSSI MARIO;", "ROSSI MARIO SERVIZI DIGITALI;")
            .replace("ATTIVA", "CESSATA")],
    )
    .await;
    assert_eq!(
        monitor(&app, &chamber).await,
        [(
            rossi.clone(),
            "ceased".into(),
            "ROSSI MARIO SERVIZI DIGITALI".into()
        )],
        "ceased, and not also gone from the Registry"
    );
    assert_eq!(monitor(&app, &chamber).await, [], "each change once");
    app.run_jobs().await;
    let mails = master_mails(&app).await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("MARIO ROSSI: CESSATA nel Registro Imprese")),
        "{mails:?}"
    );
    let page = checks_page_as_auditor(&app).await;
    assert!(page.contains("impresa «ROSSI MARIO SERVIZI DIGITALI» cessata nel Registro Imprese"));
    assert!(
        page.contains("la denominazione nel Registro Imprese è ora «ROSSI MARIO SERVIZI DIGITALI»")
    );
}

/// RA procedure, part 1, "Verifiche periodiche" ("modifiche societarie e l'eventuale
/// cancellazione del soggetto incaricato"): a person taken off a company's legal
/// representatives is flagged; one who is then nowhere in the Registry's data (cancelled or
/// deceased, which the extract cannot tell apart) is flagged as gone, naming where they were.
async fn registry_monitoring_rule_a_person_no_longer_a_representative_or_gone_from_the_registry_is_flagged(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    import_registry(
        &app,
        "both.csv",
        &[format!("{LIGURE_EXPORT}{BIANCHI} {ROSSI}")],
    )
    .await;
    let bianchi = create(&app, &master, person("ir", "GIULIA BIANCHI", BIANCHI)).await;
    let rossi = create(&app, &master, person("odr", "MARIO ROSSI", ROSSI)).await;
    let chamber = op(&app, &rossi).await.chamber_id;
    assert_eq!(monitor(&app, &chamber).await, []);
    import_registry(&app, "neither.csv", &[format!("{LIGURE_EXPORT}{VERDI}")]).await;
    let mut want = vec![
        (
            bianchi.clone(),
            "missing".to_string(),
            "LIGURE EXPORT S.R.L.".to_string(),
        ),
        (
            rossi.clone(),
            "no_longer_representative".to_string(),
            "LIGURE EXPORT S.R.L. (01879020517)".to_string(),
        ),
    ];
    want.sort();
    assert_eq!(
        monitor(&app, &chamber).await,
        want,
        "Rossi is still a sole trader; Bianchi is nowhere"
    );
    assert_eq!(monitor(&app, &chamber).await, []);
    app.run_jobs().await;
    let mails = master_mails(&app).await;
    assert!(mails.iter().any(|m| m.contains(
        "GIULIA BIANCHI: non risulta più nel Registro Imprese (cancellazione o decesso da verificare)"
    )), "{mails:?}");
    let page = checks_page_as_auditor(&app).await;
    assert!(page.contains(
        "GIULIA BIANCHI: non risulta più nel Registro Imprese (cancellazione o decesso, da verificare); prima risultava in: LIGURE EXPORT S.R.L."
    ), "{page}");
    assert!(page.contains(
        "MARIO ROSSI: non è più legale rappresentante di LIGURE EXPORT S.R.L. (01879020517) nel Registro Imprese"
    ));
}

/// RA procedure, part 1, "Verifiche periodiche" ("modifiche societarie"): an ODR organisation
/// whose recorded legal representative is no longer among the Registry's is flagged; without a
/// recorded one, a change of the Registry's list between two comparisons is; an extract that
/// lists no representative says nothing.
async fn registry_monitoring_rule_an_organisation_whose_legal_representative_changed_is_flagged(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let org = |name: &str, tax: &str, rep: Option<&str>| {
        json!({"kind": "odr", "name": name, "tax_code": tax, "email": format!("{tax}@pec.test"),
            "organisation_tax_code": null, "legal_representative_tax_code": rep,
            "first_phase": false})
    };
    let cantieri = create(
        &app,
        &master,
        org("CANTIERI DEL LEVANTE S.R.L.", super::ORG, Some(super::REP)),
    )
    .await;
    let ligure = create(
        &app,
        &master,
        org("LIGURE EXPORT S.R.L.", "01879020517", Some(BIANCHI)),
    )
    .await;
    let tigullio = create(
        &app,
        &master,
        org("TIGULLIO MECCANICA S.P.A.", "03358520967", None),
    )
    .await;
    let chamber = op(&app, &cantieri).await.chamber_id;
    assert_eq!(
        monitor(&app, &chamber).await,
        [],
        "no representative listed for Cantieri and Tigullio; Ligure's is the recorded one"
    );
    let cantieri_row = "00743110157;00743110157;CANTIERI DEL LEVANTE S.R.L.;SP;98765;SEDE;\
                        Viale San Bartolomeo 300;19126;La Spezia;ATTIVA;2025;";
    let tigullio_row = "03358520967;03358520967;TIGULLIO MECCANICA S.P.A.;GE;234567;SEDE;\
                        Via Aurelia 100;16035;Rapallo;ATTIVA;2025;";
    import_registry(
        &app,
        "first.csv",
        &[
            format!("{cantieri_row}{VERDI}"),
            format!("{tigullio_row}{ROSSI}"),
            format!("{LIGURE_EXPORT}{BIANCHI}"),
        ],
    )
    .await;
    assert_eq!(
        monitor(&app, &chamber).await,
        [(cantieri.clone(), "representative".into(), VERDI.into())],
        "Cantieri's recorded representative is gone; Tigullio had none before"
    );
    import_registry(
        &app,
        "second.csv",
        &[
            format!("{tigullio_row}{VERDI}"),
            format!("{LIGURE_EXPORT}{BIANCHI} {VERDI}"),
        ],
    )
    .await;
    assert_eq!(
        monitor(&app, &chamber).await,
        [(tigullio.clone(), "representative".into(), VERDI.into())],
        "Ligure still lists its recorded representative"
    );
    assert_eq!(monitor(&app, &chamber).await, []);
    let _ = ligure;
    let page = checks_page_as_auditor(&app).await;
    assert!(page.contains(&format!(
        "CANTIERI DEL LEVANTE S.R.L.: il legale rappresentante registrato non è più tra quelli del Registro Imprese, che ora indica: {VERDI}"
    )), "{page}");
    app.run_jobs().await;
    assert!(
        master_mails(&app)
            .await
            .iter()
            .any(|m| m.contains("TIGULLIO MECCANICA S.P.A.: il legale rappresentante"))
    );
}

/// RA procedure, part 1, "Verifiche periodiche" ("la verifica periodica circa l'operatività dei
/// RAO/ODR/IR, in particolare controllando l'esatta procedura di registrazione della consegna
/// informatica dei dispositivi agli utenti"): with planted records, the check lists a device
/// personalised but never recorded as delivered (in a RAO's box, in an ODR's consignment), a
/// delivery recorded without its recipient, and one recorded by a user who is neither the
/// holder nor the ODR's staff; correct records and revoked certificates are not listed.
async fn delivery_record_rule_the_check_finds_planted_anomalies(engine: Engine) {
    use sportello_core::ra::hooks::{DeliveryAnomalyKind as K, delivery_anomalies};
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let pool = app.state.db.pool();
    let rao = create(&app, &master, person("rao", "MARIO ROSSI", ROSSI)).await;
    let odr = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "CANTIERI DEL LEVANTE S.R.L.", "tax_code": super::ORG,
            "email": "cantieri@pec.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    let staff = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
            "email": "l.verdi@cantieri.test", "organisation_tax_code": super::ORG,
            "first_phase": false}),
    )
    .await;
    let chamber = op(&app, &rao).await.chamber_id;
    let users: Vec<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE chamber_id = $1 ORDER BY id LIMIT 3")
            .bind(&chamber)
            .fetch_all(pool)
            .await
            .unwrap();
    let (rao_user, staff_user, other_user) = (&users[0], &users[1], &users[2]);
    for (op_id, user) in [(&rao, rao_user), (&staff, staff_user)] {
        sqlx::query("UPDATE ra_operators SET user_id = $2 WHERE id = $1")
            .bind(op_id)
            .bind(user)
            .execute(pool)
            .await
            .unwrap();
    }
    let at = sportello_core::db::instant(app.state.clock.now());
    sqlx::query(
        "INSERT INTO dev_deliveries (id, chamber_id, filename, sha256, devices, created_by, \
         created_at) VALUES ('delivery-1', $1, 'consegna.csv', 'x', 6, 'test', $2)",
    )
    .bind(&chamber)
    .bind(&at)
    .execute(pool)
    .await
    .unwrap();
    // (serial, state, holder, certificate: None / Some(revoked), issue move: (actor, ref, note))
    type Issue<'a> = Option<(&'a str, Option<&'a str>, Option<&'a str>)>;
    let planted: [(&str, &str, &str, Option<bool>, Issue); 6] = [
        ("SC-001", "in_operator_box", &rao, Some(false), None),
        ("SC-002", "in_operator_box", &rao, Some(true), None),
        (
            "SC-003",
            "issued",
            &rao,
            Some(false),
            Some((rao_user, Some("sess-3"), Some(ROSSI))),
        ),
        (
            "SC-004",
            "issued",
            &odr,
            Some(false),
            Some((staff_user, Some("sess-4"), None)),
        ),
        (
            "SC-005",
            "issued",
            &odr,
            Some(false),
            Some((other_user, Some("sess-5"), Some(VERDI))),
        ),
        ("SC-006", "consigned_to_odr", &odr, Some(false), None),
    ];
    for (serial, state, holder, cert, issue) in planted {
        let device_id = format!("dev-{serial}");
        let held = (state != "issued").then_some(holder);
        sqlx::query(
            "INSERT INTO dev_devices (id, chamber_id, serial, kind, batch, delivery_id, state, \
             holder_operator_id, delivered_on, updated_at) \
             VALUES ($1, $2, $3, 'smart_card', 'L1', 'delivery-1', $4, $5, '2026-11-01', $6)",
        )
        .bind(&device_id)
        .bind(&chamber)
        .bind(serial)
        .bind(state)
        .bind(held)
        .bind(&at)
        .execute(pool)
        .await
        .unwrap();
        // Every writer of a device keeps the chamber's stock counters.
        sqlx::query(
            "INSERT INTO dev_stock (chamber_id, state, holder_operator_id, kind, devices) \
             VALUES ($1, $2, $3, 'smart_card', 1) \
             ON CONFLICT (chamber_id, state, holder_operator_id, kind) \
             DO UPDATE SET devices = dev_stock.devices + 1",
        )
        .bind(&chamber)
        .bind(state)
        .bind(held.unwrap_or_default())
        .execute(pool)
        .await
        .unwrap();
        if let Some(revoked) = cert {
            sqlx::query(
                "INSERT INTO iss_certificates (id, chamber_id, device_serial, purpose, \
                 holder_tax_code, subject, not_before, not_after, der, revoked_at, created_at) \
                 VALUES ($1, $2, $3, 'authentication', $4, 'CN=test', $5, $5, $6, $7, $5)",
            )
            .bind(format!("cert-{serial}"))
            .bind(&chamber)
            .bind(serial)
            .bind(ROSSI)
            .bind(&at)
            .bind(vec![0u8; 4])
            .bind(revoked.then_some(&at))
            .execute(pool)
            .await
            .unwrap();
        }
        if let Some((actor_id, ref_id, note)) = issue {
            sqlx::query(
                "INSERT INTO dev_moves (id, device_id, move, from_state, to_state, from_holder, \
                 actor_id, actor, ref_id, note, at) \
                 VALUES ($1, $2, 'issue', 'in_operator_box', 'issued', $3, $4, $5, $6, $7, $8)",
            )
            .bind(format!("move-{serial}"))
            .bind(&device_id)
            .bind(holder)
            .bind(actor_id)
            .bind(format!("Utente {serial}"))
            .bind(ref_id)
            .bind(note)
            .bind(&at)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    let found: Vec<(String, String, K)> = delivery_anomalies(&app.state.db, &chamber)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.operator_id, a.serial, a.kind))
        .collect();
    let mut want = vec![
        (rao.clone(), "SC-001".to_string(), K::NotRecorded),
        (odr.clone(), "SC-004".to_string(), K::NoRecipient),
        (odr.clone(), "SC-005".to_string(), K::RecordedByOther),
        (odr.clone(), "SC-006".to_string(), K::NotRecorded),
    ];
    want.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    assert_eq!(found, want);
    let page = checks_page_as_auditor(&app).await;
    assert!(page.contains("data-testid=\"ra-delivery-anomalies\""));
    assert!(page.contains(
        "MARIO ROSSI: dispositivo SC-001: certificati emessi, ma la consegna al titolare non è registrata"
    ), "{page}");
    assert!(page.contains(
        "CANTIERI DEL LEVANTE S.R.L.: dispositivo SC-004: consegna registrata da Utente SC-004 senza il destinatario"
    ));
    assert!(page.contains(
        "dispositivo SC-005: consegna registrata da Utente SC-005, che non è l&#39;operatore a cui era affidato il dispositivo"
    ) || page.contains(
        "dispositivo SC-005: consegna registrata da Utente SC-005, che non è l&#x27;operatore a cui era affidato il dispositivo"
    ));
    assert!(!page.contains("SC-002") && !page.contains("SC-003"));
}
