//! Every route of the route table, called by every kind of caller, answers as the role ×
//! action matrix says: anonymous visitors are sent to log in, a role the route does not
//! admit is refused, an admitted role is let through to the handler. A route cannot be
//! registered without saying who may call it (`routes.rs`), so a new route is in here at
//! once. Users of another chamber reach none of this chamber's objects.

use crate::helpers::{Browser, TestApp};
use crate::ra::token;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello::routes::{Access, page_table};
use sportello_core::accounts::{NewUser, Role};
use sportello_core::audit::Actor;
use sportello_core::chambers::{self, ChamberCode, DeskCode};
use sportello_core::db::Engine;

/// A value for each kind of path parameter; ids are of nothing, so the handler (past the
/// table's check) answers "not found" or "invalid".
fn fill(path: &str) -> String {
    let unknown = uuid::Uuid::new_v4().to_string();
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let value = match &rest[open + 1..close] {
            "code" => "GE-GENOVA".to_string(),
            "number" => "C26GE0000001".to_string(),
            "action" => "take".to_string(),
            "step" => "send_mandate".to_string(),
            "n" => "1".to_string(),
            _ => unknown.clone(),
        };
        out.push_str(&value);
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

fn sent_to_login(status: StatusCode, location: Option<&str>) -> bool {
    status.is_redirection() && location.is_some_and(|l| l.starts_with("/login"))
}

async fn call_page(b: &Browser, method: &str, path: &str) -> (StatusCode, Option<String>) {
    if method == "GET" {
        let r = b
            .client
            .get(format!("{}{path}", b.base))
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (r.status(), location)
    } else {
        let (status, location, _) = b.post_form(path, &[]).await;
        (status, location)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_route_answers_each_caller_as_the_role_matrix_says() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    let table = page_table();
    assert!(table.len() > 100, "the route table was read");
    let mut callers: Vec<(Option<Role>, Browser)> = vec![(None, Browser::new(&app))];
    for role in Role::ALL {
        let (email, password) = TestApp::demo_login(role);
        callers.push((Some(role), Browser::login(&app, email, password).await));
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for route in &table {
        // Logging out would end the caller's session for the rest of the test.
        if route.path == "/logout" {
            continue;
        }
        let path = fill(route.path);
        for (role, b) in &callers {
            let (status, location) = call_page(b, route.method, &path).await;
            let admitted = route.access.admits(*role);
            // Past the table, a walk-in issuance still needs the user to be an operator who
            // may act today (RA procedure, part 1): the demo's Master RAO and ODR users are
            // not, and are refused by the use case.
            let refused_by_the_rule = route.path == "/issuance"
                && route.method == "POST"
                && matches!(
                    role,
                    Some(Role::MasterRao | Role::MasterRaoOrdinary | Role::Odr)
                );
            let ok = match (role, admitted) {
                (_, true) if refused_by_the_rule => status == StatusCode::FORBIDDEN,
                (_, true) => {
                    status != StatusCode::UNAUTHORIZED
                        && status != StatusCode::FORBIDDEN
                        && (role.is_none() || !sent_to_login(status, location.as_deref()))
                }
                (None, false) => sent_to_login(status, location.as_deref()),
                (Some(_), false) => status == StatusCode::FORBIDDEN,
            };
            checked += 1;
            if !ok {
                let who = role.map_or("anonymous".to_string(), |r| r.to_string());
                wrong.push(format!(
                    "{} {} as {who}: {status} {location:?} ({:?})",
                    route.method, route.path, route.access
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{checked} calls, wrong: {wrong:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_operation_declares_its_access_and_answers_as_the_role_matrix_says() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tokens: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for role in Role::ALL {
        tokens.push((Some(role), Some(token(&app, role).await)));
    }
    let client = reqwest::Client::new();
    let mut wrong = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let access = &op["x-sportello-access"];
            assert!(
                !access.is_null(),
                "{method} {path} does not say who may call it"
            );
            operations += 1;
            let any_of: Vec<String> = access["any_of"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let url = app.url(&fill(path));
            for (role, bearer) in &tokens {
                let admitted = match (access.as_str(), role) {
                    (Some("public"), _) => true,
                    (_, None) => false,
                    (Some("signed_in"), Some(_)) => true,
                    (_, Some(role)) => sportello_core::authz::actions_of(*role).iter().any(|a| {
                        serde_json::to_value(a)
                            .ok()
                            .and_then(|v| v.as_str().map(String::from))
                            .is_some_and(|a| any_of.contains(&a))
                    }),
                };
                let mut req = match method.as_str() {
                    "get" => client.get(&url),
                    "put" => client.put(&url).json(&json!({})),
                    "delete" => client.delete(&url),
                    _ => client.post(&url).json(&json!({})),
                };
                if let Some(t) = bearer {
                    req = req.bearer_auth(t);
                }
                let status = req.send().await.unwrap().status();
                let ok = match (role, admitted) {
                    (_, true) => {
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN
                    }
                    (None, false) => status == StatusCode::UNAUTHORIZED,
                    (Some(_), false) => status == StatusCode::FORBIDDEN,
                };
                if !ok {
                    let who = role.map_or("anonymous".to_string(), |r| r.to_string());
                    wrong.push(format!("{method} {path} as {who}: {status} ({access})"));
                }
            }
        }
    }
    assert!(operations > 30, "the OpenAPI document was read");
    assert!(wrong.is_empty(), "wrong: {wrong:#?}");
}

/// A second chamber with one user per staff role, none of whom may reach the demo chamber's
/// operators, devices or advance accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_of_another_chamber_reach_none_of_this_chambers_objects() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    let sv = chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .unwrap();
    let desk = chambers::create_desk(
        &app.state,
        &Actor::cli(),
        &sv,
        &DeskCode::parse("SV-SAVONA").unwrap(),
        "Savona",
    )
    .await
    .unwrap();
    let staff = [
        Role::Officer,
        Role::ChamberAdmin,
        Role::MasterRao,
        Role::Rao,
        Role::Manager,
        Role::Auditor,
    ];
    let mut browsers = Vec::new();
    for role in staff {
        let email = format!("{role}@sv.test");
        sportello_core::accounts::create_user(
            &app.state,
            &Actor::cli(),
            NewUser {
                email: email.clone(),
                name: format!("Utente {role}"),
                password: "password-di-prova".into(),
                role,
                chamber_id: Some(sv.id.clone()),
                desk_ids: if role == Role::Officer {
                    vec![desk.id.clone()]
                } else {
                    Vec::new()
                },
                company_ids: Vec::new(),
                tax_code: None,
            },
        )
        .await
        .unwrap();
        browsers.push((
            role,
            Browser::login(&app, &email, "password-di-prova").await,
        ));
    }
    let pool = app.state.db.pool();
    let operator: String = sqlx::query_scalar("SELECT id FROM ra_operators LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let odr: String = sqlx::query_scalar("SELECT id FROM ra_operators WHERE kind = 'odr' LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let device: String = sqlx::query_scalar("SELECT id FROM dev_devices LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let objects = [
        format!("/ra/operators/{operator}"),
        format!("/devices/d/{device}"),
        format!("/devices/odr/{odr}"),
    ];
    let mut reached = Vec::new();
    for (role, b) in &browsers {
        for path in &objects {
            let (status, _) = b.get(path).await;
            if status.is_success() {
                reached.push(format!("{role} reached {path}"));
            }
        }
    }
    assert!(reached.is_empty(), "{reached:#?}");
    let (email, _) = TestApp::demo_login(Role::MasterRao);
    assert!(email.ends_with("demo.sportello.test"));
    let sv_master = &browsers
        .iter()
        .find(|(r, _)| *r == Role::MasterRao)
        .unwrap()
        .1;
    let (status, list) = sv_master.get("/ra/operators").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !list.contains(&operator),
        "another chamber's operator listed"
    );
}

#[test]
fn a_route_admits_exactly_the_roles_of_its_actions() {
    for route in page_table() {
        match route.access {
            Access::Public => assert!(route.access.admits(None)),
            Access::SignedIn => {
                assert!(!route.access.admits(None));
                assert!(Role::ALL.iter().all(|r| route.access.admits(Some(*r))));
            }
            Access::AnyOf(actions) => {
                assert!(!actions.is_empty(), "{} names no action", route.path);
                for role in Role::ALL {
                    let expected = actions
                        .iter()
                        .any(|a| sportello_core::authz::allows(role, *a));
                    assert_eq!(route.access.admits(Some(role)), expected);
                }
            }
        }
    }
}

/// Issue 15, item 3: the register of intermediaries belongs to no chamber; every chamber's
/// administrator keeps it, on the pages and in the API, and no other role reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_chamber_administrators_keep_the_register_of_intermediaries() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    let id = sportello_core::intermediary::list_all(&app.state.db)
        .await
        .unwrap()
        .remove(0)
        .id;
    for role in Role::ALL {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        let expected = if role == Role::ChamberAdmin {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        for path in [
            "/admin/intermediaries".to_string(),
            format!("/admin/intermediaries/{id}"),
        ] {
            let (status, _) = b.get(&path).await;
            assert_eq!(status, expected, "{role} GET {path}");
        }
        let (status, _, _) = b
            .post_form(&format!("/admin/intermediaries/{id}/suspend"), &[])
            .await;
        let expected_post = if role == Role::ChamberAdmin {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected_post, "{role} suspend");
        let t = token(&app, role).await;
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/intermediaries"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected, "{role} API");
    }
}
