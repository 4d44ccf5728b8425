//! The web shell: login and sessions, lock-out, CSRF, the role × route matrix on the server,
//! language, error pages, operations endpoints, the API token.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    each_role_logs_in_sees_what_it_can_do_and_logs_out,
    a_wrong_password_shows_a_message_and_opens_no_session,
    five_failed_logins_lock_the_account_for_fifteen_minutes,
    a_form_without_the_csrf_token_is_refused,
    every_page_route_checks_the_role_on_the_server,
    an_administrator_cannot_give_a_desk_of_another_chamber,
    api_tokens_authenticate_and_session_cookies_do_not_drive_the_api,
    errors_are_pages_for_people_and_problems_for_programs,
    the_language_switch_changes_the_interface_and_comes_back,
    demo_seed_is_idempotent,
);

async fn each_role_logs_in_sees_what_it_can_do_and_logs_out(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    for role in Role::ALL {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        let (status, home) = b.get("/").await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert!(
            home.contains("data-testid=\"user-name\""),
            "{role}: name shown"
        );
        assert!(
            home.contains("data-testid=\"role-home\""),
            "{role}: actions listed"
        );
        assert!(home.contains("href=\"/account\""), "{role}: account link");
        match role {
            Role::ChamberAdmin => assert!(home.contains("href=\"/admin/users\"")),
            Role::Auditor => assert!(home.contains("href=\"/audit\"")),
            _ => assert!(
                !home.contains("href=\"/admin/users\""),
                "{role} must not see user admin"
            ),
        }
        let (status, location, _) = b.post_form("/logout", &[]).await;
        assert!(status.is_redirection());
        assert_eq!(location.as_deref(), Some("/login"));
        let (status, door) = b.get("/").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{role}: the front door after logging out"
        );
        assert!(
            !door.contains("data-testid=\"user-name\""),
            "{role}: logged out"
        );
        for href in ["/verify", "/book", "/login"] {
            assert!(
                door.contains(&format!("href=\"{href}\"")),
                "{role}: {href} at the door"
            );
        }
    }
}

async fn a_wrong_password_shows_a_message_and_opens_no_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, _) = TestApp::demo_login(Role::Officer);
    let b = Browser::new(&app);
    b.get("/login").await;
    let (status, _, body) = b
        .post_form(
            "/login",
            &[("email", email), ("password", "wrong-password-1")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("role=\"alert\""));
    assert!(body.contains("E-mail o password non corrette."));
    let (status, _) = b.get("/account").await;
    assert!(status.is_redirection());
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

async fn five_failed_logins_lock_the_account_for_fifteen_minutes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let b = Browser::new(&app);
    b.get("/login").await;
    for _ in 0..5 {
        b.post_form(
            "/login",
            &[("email", email), ("password", "not-the-password")],
        )
        .await;
    }
    // Even the right password is refused while locked, with the answer of a wrong password
    // (the owner is told by e-mail, a stranger learns nothing).
    let (status, _, body) = b
        .post_form("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("E-mail o password non corrette."), "{body}");
    assert!(!body.contains("bloccato"), "{body}");
    app.clock.advance(chrono::Duration::minutes(16));
    Browser::login(&app, email, password).await;
    let locks: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'user.locked'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(locks, 1, "the lock is in the audit trail");
}

async fn a_form_without_the_csrf_token_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let b = Browser::login(&app, email, password).await;
    let r = b
        .client
        .post(app.url("/admin/desks"))
        .form(&[("code", "GE-SAVONA"), ("name", "Savona")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Il modulo è scaduto"));
    let r = b
        .client
        .post(app.url("/admin/desks"))
        .form(&[
            ("csrf", "forged"),
            ("code", "GE-SAVONA"),
            ("name", "Savona"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let desks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM desks WHERE code = 'GE-SAVONA'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(desks, 0, "nothing was created");
    // With the token the same form works.
    let (status, location, _) = b
        .post_form("/admin/desks", &[("code", "GE-SAVONA"), ("name", "Savona")])
        .await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(location.as_deref(), Some("/admin/desks"));
}

/// Every page route × every role: allowed routes answer, the others are refused on the
/// server (403), whatever links the page shows. Anonymous visitors are sent to log in.
async fn every_page_route_checks_the_role_on_the_server(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let gets = ["/", "/account", "/admin/users", "/admin/desks", "/audit"];
    let allowed = |role: Role, path: &str| match path {
        "/admin/users" | "/admin/desks" => role == Role::ChamberAdmin,
        "/audit" => matches!(role, Role::ChamberAdmin | Role::Auditor),
        _ => true,
    };
    for role in Role::ALL {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&app, email, password).await;
        for path in gets {
            let (status, _) = b.get(path).await;
            let expected = if allowed(role, path) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{role} GET {path}");
        }
        b.get("/").await;
        let (status, _, _) = b
            .post_form(
                "/admin/desks",
                &[
                    ("code", &format!("X-{}", role.as_str().to_uppercase())),
                    ("name", "X"),
                ],
            )
            .await;
        if role == Role::ChamberAdmin {
            assert!(
                status.is_redirection(),
                "{role} POST /admin/desks: {status}"
            );
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} POST /admin/desks");
        }
        b.get("/").await;
        let (status, _, _) = b
            .post_form(
                "/admin/users",
                &[
                    ("email", "x@example.it"),
                    ("name", "X"),
                    ("role", "auditor"),
                    ("password", "long-enough-pass"),
                ],
            )
            .await;
        if role == Role::ChamberAdmin {
            assert_eq!(status, StatusCode::OK, "{role} POST /admin/users");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} POST /admin/users");
        }
    }
    let anonymous = Browser::new(&app);
    for path in ["/account", "/admin/users", "/audit"] {
        let r = anonymous.client.get(app.url(path)).send().await.unwrap();
        assert!(r.status().is_redirection(), "anonymous GET {path}");
        let location = r.headers().get("location").unwrap().to_str().unwrap();
        assert!(location.starts_with("/login?next="), "{location}");
    }
}

async fn an_administrator_cannot_give_a_desk_of_another_chamber(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // A second chamber with its own desk.
    let sv = sportello_core::chambers::create_chamber(
        &app.state,
        &sportello_core::audit::Actor::cli(),
        &sportello_core::chambers::ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .unwrap();
    let sv_desk = sportello_core::chambers::create_desk(
        &app.state,
        &sportello_core::audit::Actor::cli(),
        &sv,
        &sportello_core::chambers::DeskCode::parse("SV-SAVONA").unwrap(),
        "Savona",
    )
    .await
    .unwrap();
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let b = Browser::login(&app, email, password).await;
    b.get("/admin/users").await;
    let (status, _, _) = b
        .post_form(
            "/admin/users",
            &[
                ("email", "intruso@example.it"),
                ("name", "Intruso"),
                ("role", "officer"),
                ("password", "long-enough-pass"),
                ("desks", &sv_desk.id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        sportello_core::accounts::find_by_email(&app.state.db, "intruso@example.it")
            .await
            .unwrap()
            .is_none()
    );
}

async fn api_tokens_authenticate_and_session_cookies_do_not_drive_the_api(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let client = reqwest::Client::new();
    let r = client
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": email, "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_credentials");

    let r = client
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me: serde_json::Value = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(me["role"], "company");
    assert_eq!(me["company_ids"].as_array().unwrap().len(), 1);

    let r = client
        .get(app.url("/api/v1/me"))
        .bearer_auth("sp_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A logged-in browser's cookie is not an API credential.
    let b = Browser::login(&app, email, password).await;
    let r = b.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Tokens are stored hashed.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1")
        .bind(&token)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

async fn errors_are_pages_for_people_and_problems_for_programs(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = reqwest::Client::new();
    let r = client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("<html lang=\"it\">"));
    assert!(body.contains("non esiste"));
    let r = client
        .get(app.url("/no/such/page"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("does not exist"));
    let r = client.get(app.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "not_found");
    // A malformed JSON body is a problem document that says what is wrong.
    let r = client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{\"email\": 1}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "bad_request");
    assert!(
        problem["detail"].as_str().unwrap().contains("email"),
        "{problem}"
    );
    // Operations endpoints.
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let metrics = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("sportello_http_responses_total{class=\"4xx\"}"));
    let openapi: serde_json::Value = client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(openapi["paths"]["/api/v1/auth/token"].is_object());
}

async fn the_language_switch_changes_the_interface_and_comes_back(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let b = Browser::login(&app, email, password).await;
    let (_, home) = b.get("/").await;
    assert!(home.contains("<html lang=\"it\">"));
    assert!(home.contains("hreflang=\"en\""));
    let r = b
        .client
        .get(app.url("/lang/en?next=%2Faccount"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/account");
    let (_, account) = b.get("/account").await;
    assert!(account.contains("<html lang=\"en\">"));
    assert!(account.contains("Change password"));
    // Only local paths are followed.
    let r = b
        .client
        .get(app.url("/lang/it?next=https://evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
}

async fn demo_seed_is_idempotent(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let count = |table: &'static str| {
        let db = app.state.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
            .fetch_one(db.pool())
            .await
            .unwrap()
        }
    };
    let before = (
        count("users").await,
        count("companies").await,
        count("sites").await,
        count("desks").await,
    );
    app.seed_demo().await;
    let after = (
        count("users").await,
        count("companies").await,
        count("sites").await,
        count("desks").await,
    );
    assert_eq!(before, after);
    // One user per role, and the demo customs broker's.
    assert_eq!(before.0, 11);
}
