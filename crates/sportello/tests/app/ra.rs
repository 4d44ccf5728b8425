//! Registration authority, part 1 (RA procedure): the API and its role matrix, the accreditation
//! walked with signed documents made by OpenSSL, the 48-hour wait, course expiry and
//! revocation with the injected clock, renewal of the convention, the restricted archive.

#[path = "ra_checks.rs"]
mod checks;
#[path = "ra_web.rs"]
mod web;

use crate::engine_tests;
use crate::helpers::{TestApp, start_time};
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::audit::Actor;
use sportello_core::db::Engine;
use sportello_core::ra::accreditation::State;
use sportello_core::ra::accreditation::steps::{self, IdentityDocument, StepError};
use sportello_core::ra::archive::{DocumentKind, SignatureError, Upload};
use sportello_core::ra::operator::{self, Operator};

pub const ORG: &str = "00743110157";
pub const REP: &str = "MRTNTN23M02D969P";
pub const ROSSI: &str = "RSSMRA80A01H501U";
pub const VERDI: &str = "VRDLRA85M41D969U";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/ra")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn upload(kind: DocumentKind, name: &str) -> Upload {
    Upload {
        kind,
        filename: name.to_string(),
        bytes: fixture(name),
    }
}

pub fn today(app: &TestApp) -> NaiveDate {
    app.state.clock.today()
}

/// An API token for a demo role.
pub async fn token(app: &TestApp, role: Role) -> String {
    let (email, password) = TestApp::demo_login(role);
    let r: Value = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap().to_string()
}

pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut req = match method {
        "GET" => client.get(app.url(path)),
        "PUT" => client.put(app.url(path)),
        _ => client.post(app.url(path)),
    }
    .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The demo chamber, the fixtures' CA trusted by it, and a convention 2020-07-29 → 2029-07-28
/// with the CA's PEC. Returns the Master RAO's token.
pub async fn setup(app: &TestApp) -> String {
    app.seed_demo().await;
    // Start from no RA records: the demo's own operators and conventions would blur the rules.
    for table in [
        "ra_staff_sheet_members",
        "ra_staff_sheets",
        "ra_steps",
        "ra_operators",
        "ra_offices",
        "ra_conventions",
    ] {
        let sql = format!("DELETE FROM {table}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    for root in [fixture("root.pem"), manager_fixture("root.pem")] {
        sportello_core::trust::add_file(
            &app.state.db,
            app.state.clock.now(),
            &Actor::cli(),
            &root,
            Some(&chamber.id),
        )
        .await
        .unwrap();
    }
    // The Manager's CA lists the Manager's old, revoked certificate.
    sportello_core::revocation::add_crl_file(
        &app.state.db,
        app.state.clock.now(),
        &Actor::cli(),
        &manager_fixture("root.crl.pem"),
    )
    .await
    .unwrap();
    let master = token(app, Role::MasterRao).await;
    let (s, _) = call(app, "PUT", "/api/v1/ra/convention", &master,
        Some(json!({"start": "2020-07-29", "end": "2029-07-28", "ca_pec": "protocollo@pec.certificatore.test"}))).await;
    assert_eq!(s, StatusCode::OK);
    master
}

pub async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let (s, v) = call(app, "POST", "/api/v1/ra/operators", token, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// A fixture of the Manager's queue (made by `scripts/ra-manager-fixtures.sh`).
pub fn manager_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sportello-core/tests/fixtures/ra-manager")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Posts a multipart form to the API with `token`.
pub async fn call_multipart(
    app: &TestApp,
    path: &str,
    token: &str,
    form: reqwest::multipart::Form,
) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn file_part(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes).file_name(name.to_string())
}

/// The office puts a document of `kind` for operator `id` in the Manager's queue (the
/// unsigned letter or notice of the fixtures, which the Manager's signed fixtures sign).
/// Returns the request's id.
pub async fn prepare_for_manager(app: &TestApp, id: &str, kind: &str, reason: &str) -> String {
    let unsigned = match kind {
        "revocation_notice" => "notice.pdf",
        _ => "letter.pdf",
    };
    prepare_document(app, id, kind, reason, manager_fixture(unsigned)).await
}

/// The office puts `document` (an unsigned PDF) in the Manager's queue for operator `id`.
pub async fn prepare_document(
    app: &TestApp,
    id: &str,
    kind: &str,
    reason: &str,
    document: Vec<u8>,
) -> String {
    let master = token(app, Role::MasterRao).await;
    let form = reqwest::multipart::Form::new()
        .text("kind", kind.to_string())
        .text("reason", reason.to_string())
        .part("document", file_part("lettera.pdf", document));
    let (s, v) = call_multipart(
        app,
        &format!("/api/v1/ra/operators/{id}/signature-requests"),
        &master,
        form,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// The Manager (the demo's, whose profile carries the fixtures' Manager tax code) sends back
/// request `request` signed with `file` of the Manager's fixtures.
pub async fn manager_signs(app: &TestApp, request: &str, file: &str) -> (StatusCode, Value) {
    let manager = token(app, Role::Manager).await;
    let form =
        reqwest::multipart::Form::new().part("signed", file_part(file, manager_fixture(file)));
    call_multipart(
        app,
        &format!("/api/v1/ra/signature-requests/{request}/signed"),
        &manager,
        form,
    )
    .await
}

/// RA procedure, part 1: an ODR or IR is revoked by the notice the Manager signs. The office
/// prepares the notice of the demo's fixtures (`comunicazione-revoca.pdf`) with `reason`, the
/// demo Manager sends it back signed; returns the answer to the signature.
pub async fn revoke_through_the_manager(
    app: &TestApp,
    id: &str,
    reason: &str,
) -> (StatusCode, Value) {
    let request = prepare_document(
        app,
        id,
        "revocation_notice",
        reason,
        fixture("comunicazione-revoca.pdf"),
    )
    .await;
    let manager = token(app, Role::Manager).await;
    let form = reqwest::multipart::Form::new().part(
        "signed",
        file_part(
            "comunicazione-revoca-firmata.pdf",
            fixture("revocation_notice.pdf"),
        ),
    );
    call_multipart(
        app,
        &format!("/api/v1/ra/signature-requests/{request}/signed"),
        &manager,
        form,
    )
    .await
}

/// RA procedure, part 1: the mandate letter of operator `id`, prepared by the office and
/// signed by the Manager through the queue.
pub async fn sign_letter(app: &TestApp, id: &str) {
    let request = prepare_for_manager(app, id, "mandate_letter", "").await;
    let (s, v) = manager_signs(app, &request, "letter_signed.pdf").await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Sends the mandate of operator `id`, protocolled on `protocol_date` (YYYY-MM-DD), once the
/// Manager signed its letter. Returns the mandate's computed dates (`{"start","end"}`).
pub async fn send_mandate(app: &TestApp, token: &str, id: &str, protocol_date: &str) -> Value {
    sign_letter(app, id).await;
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/ra/operators/{id}/mandate"),
        token,
        Some(json!({ "protocol_date": protocol_date })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "mandate of {id}: {v}");
    v
}

pub async fn op(app: &TestApp, id: &str) -> Operator {
    operator::get(&app.state.db, id).await.unwrap().unwrap()
}

pub fn master_actor() -> Actor {
    Actor::system("test-master-rao")
}

pub fn identity() -> IdentityDocument {
    IdentityDocument {
        doc_type: "carta_identita".into(),
        number: "CA12345AB".into(),
        expires_on: NaiveDate::from_ymd_opt(2030, 1, 1),
        filename: "identity_scan.txt".into(),
        bytes: fixture("identity_scan.txt"),
    }
}

/// The documents an ODR organisation returns signed by its legal representative (RA
/// procedure, part 1: acceptance form, data-processing authorisation, privacy notice, forms E
/// and F). The fixtures have two signed PDFs; the rest reuse them.
pub fn organisation_documents() -> Vec<Upload> {
    vec![
        upload(DocumentKind::AcceptanceForm, "acceptance_org.pdf"),
        upload(
            DocumentKind::DataProcessingAuthorisation,
            "data_processing_org.pdf",
        ),
        upload(DocumentKind::PrivacyNotice, "acceptance_org.pdf"),
        upload(DocumentKind::FormE, "acceptance_org.pdf"),
        upload(DocumentKind::FormF, "data_processing_org.pdf"),
    ]
}

/// The documents a person returns, each signed by them (`signed`: a fixture signed by them).
pub fn person_documents(signed: &str) -> Vec<Upload> {
    vec![
        upload(DocumentKind::AcceptanceForm, signed),
        upload(DocumentKind::DataProcessingAuthorisation, signed),
        upload(DocumentKind::PrivacyNotice, signed),
    ]
}

/// Registers an ODR organisation with its two collaborators (Rossi and Verdi) and walks them
/// to "course requested". Returns (organisation, rossi, verdi) ids.
pub async fn organisation_to_course(app: &TestApp, master: &str) -> (String, String, String) {
    let org = create(app, master, json!({"kind": "odr", "name": "CANTIERI DEL LEVANTE S.R.L.", "tax_code": ORG,
        "email": "odr@demo.sportello.test", "organisation_tax_code": null, "legal_representative_tax_code": REP, "first_phase": false})).await;
    let rossi = create(
        app,
        master,
        json!({"kind": "odr", "name": "MARIO ROSSI", "tax_code": ROSSI,
        "email": "mario.rossi@levante.test", "organisation_tax_code": ORG, "first_phase": false}),
    )
    .await;
    let verdi = create(
        app,
        master,
        json!({"kind": "ir", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "laura.verdi@levante.test", "organisation_tax_code": ORG, "first_phase": false}),
    )
    .await;
    send_mandate(
        app,
        master,
        &org,
        &(today(app) - Duration::days(20)).to_string(),
    )
    .await;
    let a = master_actor();
    steps::receive_documents(
        &app.state,
        &a,
        &op(app, &org).await,
        organisation_documents(),
    )
    .await
    .unwrap();
    steps::send_to_ca(&app.state, &a, &op(app, &org).await, identity())
        .await
        .unwrap();
    steps::simple_step(
        &app.state,
        &a,
        &op(app, &org).await,
        sportello_core::ra::accreditation::Step::RequestCourse,
        None,
    )
    .await
    .unwrap();
    for id in [&org, &rossi, &verdi] {
        assert_eq!(op(app, id).await.state, State::CourseRequested, "{id}");
    }
    (org, rossi, verdi)
}

engine_tests!(
    every_ra_api_route_checks_the_role_on_the_server,
    mandate_dates_come_back_from_the_api_capped_by_the_convention,
    an_operator_of_another_chamber_is_not_found,
    an_odr_organisation_with_two_collaborators_becomes_active_after_48_hours,
    course_expiry_stops_the_operator,
    revoking_an_odr_organisation_suspends_collaborators_and_informs_the_ca,
    a_rao_revocation_lists_the_actions_taken_since_the_requirements_were_lost,
    a_wrong_signature_is_refused_and_nothing_is_kept,
    the_identity_document_is_not_kept_after_the_pec_to_the_ca,
    a_renewal_never_extends_mandates_silently,
    a_course_below_ninety_percent_is_refused,
);

async fn every_ra_api_route_checks_the_role_on_the_server(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = create(
        &app,
        &master,
        json!({"kind": "rao", "name": "MARIO ROSSI", "tax_code": ROSSI,
        "email": "m.rossi@camera.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    for role in Role::ALL {
        let t = token(&app, role).await;
        let (s, _) = call(
            &app,
            "PUT",
            "/api/v1/ra/convention",
            &t,
            Some(json!({"start": "2020-07-29", "end": "2029-07-28"})),
        )
        .await;
        let ok = matches!(role, Role::MasterRao | Role::ChamberAdmin);
        assert_eq!(
            s,
            if ok {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            },
            "{role} PUT convention"
        );
        let (s, _) = call(&app, "POST", "/api/v1/ra/operators", &t, Some(json!({"kind": "ir", "name": "X",
            "tax_code": VERDI, "email": format!("{}@x.test", role.as_str()), "organisation_tax_code": null, "first_phase": false}))).await;
        let expected = if role == Role::MasterRao {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, expected, "{role} POST operators");
        let (s, body) = call(&app, "GET", &format!("/api/v1/ra/operators/{id}"), &t, None).await;
        let expected = match role {
            Role::MasterRao | Role::MasterRaoOrdinary | Role::Manager | Role::Auditor => {
                StatusCode::OK
            }
            // Operators see only their own subtree: another operator does not exist for them.
            Role::Rao | Role::Odr | Role::Ir => StatusCode::NOT_FOUND,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(s, expected, "{role} GET operator {body}");
        for (path, body) in [
            ("mandate", json!({"protocol_date": "2026-11-01"})),
            (
                "course",
                json!({"score_percent": 95, "passed_on": "2026-11-01"}),
            ),
            (
                "revoke",
                json!({"effective": "2026-11-01", "notice_received_on": null, "reason": "test"}),
            ),
        ] {
            if role == Role::MasterRao {
                continue;
            }
            let (s, _) = call(
                &app,
                "POST",
                &format!("/api/v1/ra/operators/{id}/{path}"),
                &t,
                Some(body),
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{role} POST {path}");
        }
    }
    // Nothing changed by the refused calls.
    assert_eq!(op(&app, &id).await.state, State::New);
    let spec: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/ra/convention",
        "/api/v1/ra/operators",
        "/api/v1/ra/operators/{id}",
        "/api/v1/ra/operators/{id}/mandate",
        "/api/v1/ra/operators/{id}/course",
        "/api/v1/ra/operators/{id}/revoke",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
}

async fn mandate_dates_come_back_from_the_api_capped_by_the_convention(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let rao = create(
        &app,
        &master,
        json!({"kind": "rao", "name": "MARIO ROSSI", "tax_code": ROSSI,
        "email": "m.rossi@camera.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    let m = send_mandate(&app, &master, &rao, "2024-01-15").await;
    assert_eq!(m, json!({"start": "2024-01-15", "end": "2029-01-15"}));
    let ir = create(
        &app,
        &master,
        json!({"kind": "ir", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    let m = send_mandate(&app, &master, &ir, "2026-11-02").await;
    // Three years would end on 2029-11-02: the convention ends first.
    assert_eq!(m, json!({"start": "2026-11-02", "end": "2029-07-28"}));
    let (s, v) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{ir}"),
        &master,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["kind"], "ir");
    assert_eq!(v["state"], "mandate_sent");
    assert_eq!(
        v["mandate"],
        json!({"start": "2026-11-02", "end": "2029-07-28"})
    );
    assert_eq!(v["course"], Value::Null);
    assert_eq!(v["can_act"], false);
    assert_eq!(v["reasons"], json!(["not_active", "no_course"]));
    // A second mandate for the same operator is refused and changes nothing.
    let (s, p) = call(
        &app,
        "POST",
        &format!("/api/v1/ra/operators/{ir}/mandate"),
        &master,
        Some(json!({"protocol_date": "2026-11-10"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["code"], "step_not_allowed");
    assert_eq!(
        op(&app, &ir).await.mandate.unwrap().start.to_string(),
        "2026-11-02"
    );
}

async fn an_operator_of_another_chamber_is_not_found(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let now = app.state.clock.now();
    let sv = sportello_core::chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &sportello_core::chambers::ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let other = operator::create(
        &mut tx,
        now,
        &Actor::cli(),
        &sv.id,
        operator::NewOperator {
            kind: "rao".into(),
            name: "ANNA ALTRA".into(),
            tax_code: ROSSI.into(),
            email: "a@sv.test".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for (method, path) in [
        ("GET", format!("/api/v1/ra/operators/{}", other.id)),
        ("POST", format!("/api/v1/ra/operators/{}/mandate", other.id)),
    ] {
        let (s, p) = call(
            &app,
            method,
            &path,
            &master,
            Some(json!({"protocol_date": "2026-11-01"})),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(p["code"], "not_found");
    }
    assert_eq!(op(&app, &other.id).await.state, State::New);
}

async fn an_odr_organisation_with_two_collaborators_becomes_active_after_48_hours(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (org, rossi, verdi) = organisation_to_course(&app, &master).await;
    let t = today(&app).to_string();
    for id in [&rossi, &verdi] {
        let (s, c) = call(
            &app,
            "POST",
            &format!("/api/v1/ra/operators/{id}/course"),
            &master,
            Some(json!({"score_percent": 94, "passed_on": t})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    assert_eq!(
        c_valid(&app, &rossi).await,
        (today(&app) + chrono::Months::new(12)).to_string()
    );
    // The ODR organisation and its ODR collaborator wait for the CA; the IR does not.
    assert_eq!(op(&app, &org).await.state, State::AwaitingCaCorrections);
    assert_eq!(op(&app, &rossi).await.state, State::AwaitingCaCorrections);
    assert_eq!(op(&app, &verdi).await.state, State::CoursePassed);
    let a = master_actor();
    let e = steps::activate(&app.state, &a, &op(&app, &org).await, None)
        .await
        .unwrap_err();
    assert!(matches!(e, StepError::Transition(_)), "{e}");
    // 48 hours from the day the course was passed (00:00 in Rome, 23:00 UTC the day before):
    // the test starts at 10:00 in Rome, so the wait ends 38 hours later.
    app.clock.advance(Duration::hours(37));
    assert!(
        steps::activate(&app.state, &a, &op(&app, &org).await, None)
            .await
            .is_err()
    );
    app.clock.advance(Duration::hours(2));
    let entered = steps::activate(&app.state, &a, &op(&app, &org).await, None)
        .await
        .unwrap();
    assert_eq!(
        entered, 3,
        "the organisation and both collaborators enter the tree"
    );
    let org_op = op(&app, &org).await;
    for id in [&rossi, &verdi] {
        let c = op(&app, id).await;
        assert_eq!(c.state, State::Active);
        assert_eq!(
            c.office_id, org_op.office_id,
            "collaborators sit under the organisation's office"
        );
        let (_, v) = call(
            &app,
            "GET",
            &format!("/api/v1/ra/operators/{id}"),
            &master,
            None,
        )
        .await;
        assert_eq!(v["can_act"], true, "{v}");
    }
    let offices = sportello_core::ra::office::list(&app.state.db, &org_op.chamber_id)
        .await
        .unwrap();
    assert!(
        offices
            .iter()
            .any(|o| o.name == "CANTIERI DEL LEVANTE S.R.L.")
    );
}

async fn c_valid(app: &TestApp, id: &str) -> String {
    op(app, id).await.course.unwrap().valid_until.to_string()
}

/// Walks a RAO (Mario Rossi) to active with a course passed today.
pub async fn active_rao(app: &TestApp, master: &str, email: &str) -> String {
    active_rao_as(
        app,
        master,
        email,
        "MARIO ROSSI",
        ROSSI,
        "acceptance_rossi.pdf",
    )
    .await
}

/// Walks a RAO to active; `accepted` is a document signed by them.
pub async fn active_rao_as(
    app: &TestApp,
    master: &str,
    email: &str,
    name: &str,
    tax_code: &str,
    accepted: &str,
) -> String {
    let id = create(
        app,
        master,
        json!({"kind": "rao", "name": name, "tax_code": tax_code,
        "email": email, "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    send_mandate(
        app,
        master,
        &id,
        &(today(app) - Duration::days(30)).to_string(),
    )
    .await;
    let a = master_actor();
    steps::receive_documents(
        &app.state,
        &a,
        &op(app, &id).await,
        person_documents(accepted),
    )
    .await
    .unwrap();
    steps::send_to_ca(&app.state, &a, &op(app, &id).await, identity())
        .await
        .unwrap();
    steps::simple_step(
        &app.state,
        &a,
        &op(app, &id).await,
        sportello_core::ra::accreditation::Step::RequestCourse,
        None,
    )
    .await
    .unwrap();
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/ra/operators/{id}/course"),
        master,
        Some(json!({"score_percent": 100, "passed_on": today(app).to_string()})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // A RAO does not wait for the CA's corrections.
    steps::activate(&app.state, &a, &op(app, &id).await, None)
        .await
        .unwrap();
    id
}

async fn course_expiry_stops_the_operator(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = active_rao(&app, &master, "m.rossi@camera.test").await;
    let can = |v: &Value| v["can_act"].as_bool().unwrap_or_else(|| panic!("{v}"));
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{id}"),
        &master,
        None,
    )
    .await;
    assert!(can(&v), "{v}");
    assert!(
        sportello_core::ra::can_act(&app.state.db, &id, today(&app))
            .await
            .unwrap()
            .can_act
    );
    app.clock.advance(Duration::days(364));
    // API tokens last 30 days: take a fresh one.
    let master = token(&app, Role::MasterRao).await;
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{id}"),
        &master,
        None,
    )
    .await;
    assert!(can(&v), "still valid on the last day: {v}");
    app.clock.advance(Duration::days(1));
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{id}"),
        &master,
        None,
    )
    .await;
    assert!(!can(&v));
    assert_eq!(v["reasons"], json!(["course_expired"]));
    let e = sportello_core::ra::can_act(&app.state.db, &id, today(&app))
        .await
        .unwrap();
    assert!(!e.can_act);
    // A new course makes the operator able to act again.
    let (s, _) = call(
        &app,
        "POST",
        &format!("/api/v1/ra/operators/{id}/course"),
        &master,
        Some(json!({"score_percent": 92, "passed_on": today(&app).to_string()})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/ra/operators/{id}"),
        &master,
        None,
    )
    .await;
    assert!(can(&v), "{v}");
}

async fn revoking_an_odr_organisation_suspends_collaborators_and_informs_the_ca(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (org, rossi, verdi) = organisation_to_course(&app, &master).await;
    let passed = (today(&app) - Duration::days(3)).to_string();
    for id in [&rossi, &verdi] {
        call(
            &app,
            "POST",
            &format!("/api/v1/ra/operators/{id}/course"),
            &master,
            Some(json!({"score_percent": 96, "passed_on": passed})),
        )
        .await;
    }
    steps::activate(&app.state, &master_actor(), &op(&app, &org).await, None)
        .await
        .unwrap();
    app.run_jobs().await;
    let before = app.smtp.messages().len();
    // RA procedure, part 1: an ODR is revoked by the Manager's signed notice, not directly.
    let received = today(&app).to_string();
    let (s, p) = call(
        &app,
        "POST",
        &format!("/api/v1/ra/operators/{org}/revoke"),
        &master,
        Some(json!({"effective": null, "notice_received_on": received, "reason": "cessata"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["code"], "revocation_through_manager");
    assert_eq!(op(&app, &org).await.state, State::Active);
    let (s, r) = revoke_through_the_manager(&app, &org, "Perdita dei requisiti").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "signed");
    let o = op(&app, &org).await;
    assert_eq!(o.revoked_effective, Some(today(&app)));
    let suspended_rows: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM ra_operators WHERE organisation_id = $1 AND state = 'suspended'",
    )
    .bind(&org)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let mut suspended = suspended_rows;
    suspended.sort();
    let mut expected = vec![rossi.clone(), verdi.clone()];
    expected.sort();
    assert_eq!(suspended, expected);
    for id in [&rossi, &verdi] {
        let (_, v) = call(
            &app,
            "GET",
            &format!("/api/v1/ra/operators/{id}"),
            &master,
            None,
        )
        .await;
        assert_eq!(v["state"], "suspended");
        assert_eq!(v["can_act"], false);
        assert_eq!(v["reasons"], json!(["suspended"]));
    }
    let o = op(&app, &org).await;
    assert_eq!(o.state, State::Revoked);
    assert_eq!(o.mandate.unwrap().end, today(&app));
    // A second notice is refused: the organisation is revoked already.
    let form = reqwest::multipart::Form::new()
        .text("kind", "revocation_notice")
        .text("reason", "di nuovo")
        .part(
            "document",
            file_part("revoca.pdf", fixture("comunicazione-revoca.pdf")),
        );
    let (s, p) = call_multipart(
        &app,
        &format!("/api/v1/ra/operators/{org}/signature-requests"),
        &master,
        form,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["code"], "not_revocable");
    app.run_jobs().await;
    let mails = app.smtp.messages();
    let ca: Vec<_> = mails[before..]
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains("certificatore")))
        .collect();
    assert_eq!(ca.len(), 1, "one PEC to the CA");
    assert!(ca[0].data.contains("Revoca mandato RA"));
    assert!(
        ca[0].data.contains("comunicazione-revoca-firmata.pdf"),
        "the signed notice is attached"
    );
}

async fn a_rao_revocation_lists_the_actions_taken_since_the_requirements_were_lost(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (email, password) = TestApp::demo_login(Role::Rao);
    let id = active_rao(&app, &master, email).await;
    assert!(
        op(&app, &id).await.user_id.is_some(),
        "linked to the demo RAO's account by e-mail"
    );
    app.clock.advance(Duration::days(5));
    // The operator keeps working after losing the requirements.
    crate::helpers::Browser::login(&app, email, password).await;
    let lost = today(&app) - Duration::days(2);
    app.clock.advance(Duration::days(3));
    let (s, r) = call(&app, "POST", &format!("/api/v1/ra/operators/{id}/revoke"), &master,
        Some(json!({"effective": lost.to_string(), "notice_received_on": null, "reason": "trasferito ad altro ufficio"}))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["effective"], lost.to_string());
    let actions = r["actions_since"].as_array().unwrap();
    assert!(actions.iter().any(|a| a["action"] == "user.login"), "{r}");
    let o = op(&app, &id).await;
    assert_eq!(
        o.mandate.unwrap().end,
        lost,
        "the mandate ends when the requirements were lost"
    );
    let e = sportello_core::ra::can_act(&app.state.db, &id, start_time().date_naive())
        .await
        .unwrap();
    assert!(!e.can_act);
}

async fn a_wrong_signature_is_refused_and_nothing_is_kept(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = create(
        &app,
        &master,
        json!({"kind": "rao", "name": "MARIO ROSSI", "tax_code": ROSSI,
        "email": "m.rossi@camera.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    send_mandate(&app, &master, &id, "2026-11-20").await;
    let a = master_actor();
    let cases = [
        ("acceptance_rossi_signed_by_verdi.pdf", "wrong_signer"),
        ("acceptance_untrusted.p7m", "invalid"),
        ("acceptance_org_tampered.pdf", "invalid"),
        ("identity_scan.txt", "not_signed"),
    ];
    for (file, expected) in cases {
        let mut docs = person_documents("acceptance_rossi.pdf");
        docs[0] = upload(DocumentKind::AcceptanceForm, file);
        let e = steps::receive_documents(&app.state, &a, &op(&app, &id).await, docs)
            .await
            .unwrap_err();
        let got = match e {
            StepError::Signature(SignatureError::WrongSigner { .. }) => "wrong_signer",
            StepError::Signature(SignatureError::Invalid { .. }) => "invalid",
            StepError::Signature(SignatureError::NotSigned { .. }) => "not_signed",
            other => panic!("{file}: {other}"),
        };
        assert_eq!(got, expected, "{file}");
    }
    // RA procedure, part 1: every required document must come back; without the acceptance
    // form nothing moves.
    let e = steps::receive_documents(
        &app.state,
        &a,
        &op(&app, &id).await,
        vec![upload(DocumentKind::PrivacyNotice, "acceptance_rossi.pdf")],
    )
    .await
    .unwrap_err();
    assert!(matches!(
        e,
        StepError::MissingDocument(DocumentKind::AcceptanceForm)
    ));
    assert_eq!(op(&app, &id).await.state, State::MandateSent);
    // Only the Manager's letter, signed in the queue before the mandate, is kept.
    let docs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ra_documents WHERE kind <> 'mandate_letter'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(docs, 0);
    // The right one goes through, as CAdES as well as PAdES.
    steps::receive_documents(
        &app.state,
        &a,
        &op(&app, &id).await,
        person_documents("acceptance_rossi.pdf"),
    )
    .await
    .unwrap();
    assert_eq!(op(&app, &id).await.state, State::DocumentsReceived);
}

async fn the_identity_document_is_not_kept_after_the_pec_to_the_ca(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = create(
        &app,
        &master,
        json!({"kind": "ir", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    send_mandate(&app, &master, &id, "2026-11-20").await;
    let a = master_actor();
    steps::receive_documents(
        &app.state,
        &a,
        &op(&app, &id).await,
        person_documents("acceptance_verdi.p7m"),
    )
    .await
    .unwrap();
    // An expired identity document is refused.
    let mut expired = identity();
    expired.expires_on = NaiveDate::from_ymd_opt(2026, 1, 1);
    assert!(matches!(
        steps::send_to_ca(&app.state, &a, &op(&app, &id).await, expired).await,
        Err(StepError::Identity("expired"))
    ));
    steps::send_to_ca(&app.state, &a, &op(&app, &id).await, identity())
        .await
        .unwrap();
    let hash = sportello_core::blobs::sha256_hex(&fixture("identity_scan.txt"));
    assert!(
        app.state.blobs.exists(&hash).await.unwrap(),
        "kept until the PEC leaves"
    );
    app.run_jobs().await;
    assert!(
        app.state.blobs.exists(&hash).await.unwrap(),
        "the purge waits a minute"
    );
    app.clock.advance(Duration::minutes(2));
    app.run_jobs().await;
    let mail = app
        .smtp
        .messages()
        .into_iter()
        .find(|m| m.data.contains("documentazione di LAURA VERDI"))
        .expect("PEC to the CA");
    assert!(mail.data.contains("identity_scan.txt"));
    assert!(mail.data.contains("acceptance_verdi.p7m"));
    assert!(
        !app.state.blobs.exists(&hash).await.unwrap(),
        "the identity document is deleted"
    );
    let (t, n, e, h, purged): (String, String, String, String, Option<String>) = sqlx::query_as(
        "SELECT doc_type, doc_number, expires_on, sha256, file_purged_at FROM ra_identity_documents WHERE operator_id = $1")
        .bind(&id).fetch_one(app.state.db.pool()).await.unwrap();
    assert_eq!(
        (t.as_str(), n.as_str(), e.as_str(), h.as_str()),
        ("carta_identita", "CA12345AB", "2030-01-01", hash.as_str())
    );
    assert!(purged.is_some());
    assert_eq!(op(&app, &id).await.state, State::SentToCa);
}

async fn a_renewal_never_extends_mandates_silently(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = create(
        &app,
        &master,
        json!({"kind": "odr", "name": "LAURA VERDI", "tax_code": VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    let m = send_mandate(&app, &master, &id, "2026-11-20").await;
    assert_eq!(m["end"], "2029-07-28");
    // A renewal that ends earlier is refused.
    let (s, p) = call(
        &app,
        "PUT",
        "/api/v1/ra/convention",
        &master,
        Some(json!({"start": "2026-07-29", "end": "2028-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "convention_shortened");
    let (s, c) = call(
        &app,
        "PUT",
        "/api/v1/ra/convention",
        &master,
        Some(json!({"start": "2029-07-29", "end": "2035-07-28"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["end"], "2035-07-28");
    assert_eq!(
        c["extendable_mandates"],
        json!([{"operator_id": id, "name": "LAURA VERDI", "end": "2029-07-28", "would_end": "2029-11-20"}])
    );
    assert_eq!(
        op(&app, &id).await.mandate.unwrap().end.to_string(),
        "2029-07-28",
        "not extended silently"
    );
    let (s, done) = call(
        &app,
        "POST",
        "/api/v1/ra/convention/extend-mandates",
        &master,
        Some(json!({"operator_ids": [id]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(done.as_array().unwrap().len(), 1);
    assert_eq!(
        op(&app, &id).await.mandate.unwrap().end.to_string(),
        "2029-11-20"
    );
}

async fn a_course_below_ninety_percent_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (_, rossi, _) = organisation_to_course(&app, &master).await;
    let (s, p) = call(
        &app,
        "POST",
        &format!("/api/v1/ra/operators/{rossi}/course"),
        &master,
        Some(json!({"score_percent": 89, "passed_on": today(&app).to_string()})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "course_not_passed");
    assert!(
        p["detail"].as_str().unwrap().contains("almeno il 90%"),
        "{p}"
    );
    let o = op(&app, &rossi).await;
    assert_eq!(o.state, State::CourseRequested);
    assert!(o.course.is_none());
}
