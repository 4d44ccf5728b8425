//! The registration authority's pages: role × page matrix, each operator's subtree, errors
//! shown next to the form with nothing lost, the restricted archive's audit of every view.

use super::{
    ORG, active_rao_as, call, fixture, master_actor, op, organisation_to_course, setup, steps,
    today,
};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp, csrf_of};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::ra::accreditation::State;

engine_tests!(
    every_ra_page_checks_the_role_on_the_server,
    each_operator_sees_only_their_subtree,
    a_wrong_signature_is_shown_next_to_the_form_and_a_double_click_changes_nothing,
    the_restricted_archive_logs_every_view,
    a_linked_user_sees_the_operator_and_a_second_registration_is_refused,
);

async fn login(app: &TestApp, role: Role) -> Browser {
    let (email, password) = TestApp::demo_login(role);
    Browser::login(app, email, password).await
}

/// POSTs a multipart step form from the operator's page, with the page's CSRF token.
async fn post_step(
    app: &TestApp,
    b: &Browser,
    id: &str,
    step: &str,
    form: reqwest::multipart::Form,
) -> (StatusCode, String) {
    let (_, page) = b.get(&format!("/ra/operators/{id}")).await;
    let csrf = csrf_of(&page).unwrap();
    let r = b
        .client
        .post(app.url(&format!("/ra/operators/{id}/steps/{step}")))
        // The token travels in the header: a `csrf` field must come before the files.
        .header("X-CSRF-Token", csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.text().await.unwrap_or_default())
}

fn file(name: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(fixture(name)).file_name(name.to_string())
}

async fn every_ra_page_checks_the_role_on_the_server(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = super::create(
        &app,
        &master,
        json!({"kind": "ir", "name": "LAURA VERDI", "tax_code": super::VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    for role in Role::ALL {
        let b = login(&app, role).await;
        let tree_roles = matches!(
            role,
            Role::MasterRao
                | Role::MasterRaoOrdinary
                | Role::Rao
                | Role::Odr
                | Role::Ir
                | Role::Manager
                | Role::Auditor
        );
        let expect = |ok: bool| {
            if ok {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            }
        };
        for (path, allowed) in [
            ("/ra/operators", tree_roles),
            ("/ra/tree", tree_roles),
            (
                "/ra/convention",
                matches!(role, Role::MasterRao | Role::ChamberAdmin),
            ),
            (
                "/ra/archive",
                matches!(role, Role::MasterRao | Role::Manager | Role::Auditor),
            ),
        ] {
            let (s, _) = b.get(path).await;
            assert_eq!(s, expect(allowed), "{role} GET {path}");
        }
        let (s, _) = b.get(&format!("/ra/operators/{id}")).await;
        let expected = match role {
            Role::MasterRao | Role::MasterRaoOrdinary | Role::Manager | Role::Auditor => {
                StatusCode::OK
            }
            Role::Rao | Role::Odr | Role::Ir => StatusCode::NOT_FOUND,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(s, expected, "{role} GET operator");
        b.get("/").await;
        let (s, _, _) = b
            .post_form(
                "/ra/operators",
                &[
                    ("kind", "rao"),
                    ("name", "X"),
                    ("tax_code", super::ROSSI),
                    ("email", "x@x.test"),
                ],
            )
            .await;
        if role == Role::MasterRao {
            assert!(s.is_redirection(), "{role} POST /ra/operators: {s}");
        } else {
            assert_eq!(s, StatusCode::FORBIDDEN, "{role} POST /ra/operators");
        }
        if role != Role::MasterRao {
            let (_, home) = b.get("/").await;
            let csrf = csrf_of(&home).unwrap();
            let r = b
                .client
                .post(app.url(&format!("/ra/operators/{id}/steps/request_course")))
                .multipart(reqwest::multipart::Form::new().text("csrf", csrf))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} POST step");
        }
    }
}

async fn each_operator_sees_only_their_subtree(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (rao_email, _) = TestApp::demo_login(Role::Rao);
    active_rao_as(
        &app,
        &master,
        rao_email,
        "ROBERTO CONTI",
        "CNTRRT70A01D969P",
        "mandate_letter.pdf",
    )
    .await;
    // The organisation's e-mail is the demo ODR's: that account is its representative.
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
    assert!(op(&app, &org).await.user_id.is_some());
    for role in Role::ALL {
        let b = login(&app, role).await;
        let (s, page) = b.get("/ra/tree").await;
        let sees = |text: &str| page.contains(text);
        match role {
            Role::MasterRao | Role::MasterRaoOrdinary | Role::Manager | Role::Auditor => {
                assert_eq!(s, StatusCode::OK);
                assert!(
                    sees("GENOVA REMOTIZZATI")
                        && sees("CANTIERI DEL LEVANTE S.R.L.")
                        && sees("LAURA VERDI"),
                    "{role}"
                );
            }
            Role::Rao => {
                assert!(
                    sees("GENOVA REMOTIZZATI") && sees("ROBERTO CONTI"),
                    "{role}: {page}"
                );
                assert!(
                    !sees("CANTIERI DEL LEVANTE"),
                    "{role} must not see the ODR office"
                );
            }
            Role::Odr => {
                assert!(
                    sees("CANTIERI DEL LEVANTE S.R.L.")
                        && sees("MARIO ROSSI")
                        && sees("LAURA VERDI"),
                    "{role}"
                );
                assert!(!sees("REMOTIZZATI"), "{role} must not see the RAO office");
            }
            Role::Ir => {
                assert_eq!(s, StatusCode::OK);
                assert!(
                    !sees("CANTIERI") && !sees("REMOTIZZATI"),
                    "{role} has no subtree"
                );
            }
            _ => assert_eq!(s, StatusCode::FORBIDDEN, "{role}"),
        }
        // The API agrees with the pages.
        let t = super::token(&app, role).await;
        let (s, _) = call(
            &app,
            "GET",
            &format!("/api/v1/ra/operators/{rossi}"),
            &t,
            None,
        )
        .await;
        let expected = match role {
            Role::MasterRao
            | Role::MasterRaoOrdinary
            | Role::Manager
            | Role::Auditor
            | Role::Odr => StatusCode::OK,
            Role::Rao | Role::Ir => StatusCode::NOT_FOUND,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(s, expected, "{role} GET collaborator");
    }
    assert_eq!(ORG.len(), 11);
}

async fn a_wrong_signature_is_shown_next_to_the_form_and_a_double_click_changes_nothing(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let id = super::create(
        &app,
        &master,
        json!({"kind": "rao", "name": "MARIO ROSSI", "tax_code": super::ROSSI,
        "email": "m.rossi@camera.test", "organisation_tax_code": null, "first_phase": false}),
    )
    .await;
    super::sign_letter(&app, &id).await;
    let b = login(&app, Role::MasterRao).await;
    let form = || reqwest::multipart::Form::new().text("protocol_date", "2026-11-20");
    let (s, _) = post_step(&app, &b, &id, "send_mandate", form()).await;
    assert!(s.is_redirection(), "{s}");
    // A double click: the second submit is refused with a message, nothing changes.
    let (s, page) = post_step(&app, &b, &id, "send_mandate", form()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("Forse è già stato fatto"), "{page}");
    let steps_count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ra_steps WHERE operator_id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(steps_count, 1);
    let (s, page) = post_step(
        &app,
        &b,
        &id,
        "receive_documents",
        reqwest::multipart::Form::new()
            .part(
                "acceptance_form",
                file("acceptance_rossi_signed_by_verdi.pdf"),
            )
            .part(
                "data_processing_authorisation",
                file("acceptance_rossi.pdf"),
            )
            .part("privacy_notice", file("acceptance_rossi.pdf")),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("VRDLRA85M41D969U"),
        "the page names who signed"
    );
    assert!(page.contains("deve firmarlo"), "{page}");
    assert!(
        page.contains("data-testid=\"step-receive_documents\""),
        "the form is still there"
    );
    assert_eq!(op(&app, &id).await.state, State::MandateSent);
    let (s, page) = post_step(
        &app,
        &b,
        &id,
        "pass_course",
        reqwest::multipart::Form::new()
            .text("score_percent", "95")
            .text("passed_on", "2026-11-20"),
    )
    .await;
    assert!(
        s.is_redirection(),
        "a course result is kept before the course is requested: {page}"
    );
    let (s, _) = post_step(
        &app,
        &b,
        &id,
        "receive_documents",
        reqwest::multipart::Form::new()
            .part("acceptance_form", file("acceptance_rossi.pdf"))
            .part(
                "data_processing_authorisation",
                file("acceptance_rossi.pdf"),
            )
            .part("privacy_notice", file("acceptance_rossi.pdf")),
    )
    .await;
    assert!(s.is_redirection());
    assert_eq!(op(&app, &id).await.state, State::DocumentsReceived);
}

async fn the_restricted_archive_logs_every_view(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let (org, _, _) = organisation_to_course(&app, &master).await;
    let docs =
        sportello_core::ra::archive::list(&app.state.db, &op(&app, &org).await.chamber_id, &org)
            .await
            .unwrap();
    let doc = docs
        .iter()
        .find(|d| d.filename == "acceptance_org.pdf")
        .unwrap();
    for role in Role::ALL {
        let b = login(&app, role).await;
        let r = b
            .client
            .get(app.url(&format!("/ra/archive/{}", doc.id)))
            .send()
            .await
            .unwrap();
        if matches!(role, Role::MasterRao | Role::Manager | Role::Auditor) {
            assert_eq!(r.status(), StatusCode::OK, "{role}");
            assert_eq!(
                r.bytes().await.unwrap().to_vec(),
                fixture("acceptance_org.pdf")
            );
        } else {
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        }
    }
    // The operator's own page does not even list the documents to others.
    let (_, page) = login(&app, Role::Odr)
        .await
        .get(&format!("/ra/operators/{org}"))
        .await;
    assert!(
        page.contains("CANTIERI DEL LEVANTE"),
        "the ODR sees its organisation"
    );
    assert!(!page.contains("acceptance_org.pdf"));
    let views: Vec<String> = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action = 'ra.document.view' AND entity_id = $1 ORDER BY seq")
        .bind(&doc.id).fetch_all(app.state.db.pool()).await.unwrap();
    assert_eq!(views.len(), 3, "one entry per view: {views:?}");
    let (auditor, _) = TestApp::demo_login(Role::Auditor);
    assert!(views.iter().any(|v| v == auditor));
}

async fn a_linked_user_sees_the_operator_and_a_second_registration_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let master = setup(&app).await;
    let body = json!({"kind": "ir", "name": "LAURA VERDI", "tax_code": super::VERDI,
        "email": "l.verdi@studio.test", "organisation_tax_code": null, "first_phase": false});
    let id = super::create(&app, &master, body.clone()).await;
    // A double submit of the registration: refused with a message, one operator only.
    let (s, p) = call(&app, "POST", "/api/v1/ra/operators", &master, Some(body)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["code"], "duplicate_operator");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Esiste già un operatore")
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_operators")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let ir = login(&app, Role::Ir).await;
    let (s, _) = ir.get(&format!("/ra/operators/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (ir_email, _) = TestApp::demo_login(Role::Ir);
    let (officer_email, _) = TestApp::demo_login(Role::Officer);
    let ir_user = sportello_core::accounts::find_by_email(&app.state.db, ir_email)
        .await
        .unwrap()
        .unwrap();
    let officer = sportello_core::accounts::find_by_email(&app.state.db, officer_email)
        .await
        .unwrap()
        .unwrap();
    let b = login(&app, Role::MasterRao).await;
    let (_, page) = b.get(&format!("/ra/operators/{id}")).await;
    assert!(page.contains("data-testid=\"ra-link-user\""));
    let (s, _, _) = b
        .post_form(
            &format!("/ra/operators/{id}/link"),
            &[("user_id", &officer.id)],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an officer cannot be an IR"
    );
    b.get("/").await;
    let (s, _, _) = b
        .post_form(
            &format!("/ra/operators/{id}/link"),
            &[("user_id", &ir_user.id)],
        )
        .await;
    assert!(s.is_redirection(), "{s}");
    let (s, page) = ir.get(&format!("/ra/operators/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Laura Verdi"),
        "a person's name in usual case"
    );
}
