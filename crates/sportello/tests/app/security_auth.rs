//! Authentication hardening: the lock-out holds under parallel logins, throttles in front of
//! Argon2 are kept in the database, the login never tells whether an account exists, the
//! client address is read through the trusted proxies only, and public verification is
//! throttled per (client address, certificate number).

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

/// The test server behind a load balancer at 127.0.0.1, as documented.
async fn behind_proxy(engine: Engine) -> TestApp {
    let app = TestApp::spawn_with_env(engine, &[("SPORTELLO_TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.seed_demo().await;
    app
}

/// `POST /api/v1/auth/token` from client `from` (via the proxy's `X-Forwarded-For`).
async fn token_attempt(
    app: &TestApp,
    from: &str,
    email: &str,
    password: &str,
) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .header("X-Forwarded-For", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// How many Argon2 checks logins ran so far (`/metrics`).
async fn password_checks(app: &TestApp) -> u64 {
    let text = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("sportello_password_checks_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

async fn locked_until(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT locked_until FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

engine_tests!(
    forty_parallel_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused,
    unknown_email_wrong_password_and_locked_account_get_the_same_answer_and_work,
    logins_are_throttled_per_client_address_before_argon2,
    verification_is_throttled_per_client_address_and_number_and_the_right_code_still_works,
);

async fn forty_parallel_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(
    engine: Engine,
) {
    let app = behind_proxy(engine).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    // The attack: 40 wrong passwords at once, from 40 addresses (so that the per-address
    // throttle is not what stops them).
    let attempts = (0..40).map(|i| {
        let app = &app;
        async move {
            token_attempt(
                app,
                &format!("203.0.113.{}", i + 1),
                email,
                "wrong password!",
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "invalid_credentials");
    }
    assert!(
        locked_until(&app, email).await.is_some(),
        "the account is locked"
    );
    // The right password, from an address never seen, by the API and by the page: refused.
    let (status, body) = token_attempt(&app, "198.51.100.77", email, password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let b = Browser::new(&app);
    b.get("/login").await;
    let (status, _, _) = b
        .post_form("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the page refuses it too");
    // Argon2 ran for at most the attempts the account throttle admits, not 40 times.
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('user.login_failed', 'user.locked')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        audited, 5,
        "five failures were checked, the rest refused before Argon2"
    );
    assert!(password_checks(&app).await <= 5);
    // One lock-out notice, to the account's own address.
    app.run_jobs().await;
    let notices: Vec<_> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.data.contains("sospeso"))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert_eq!(notices[0].to, vec![email.to_string()]);
    // Once the lock has run out, the right password works again.
    app.clock.advance(chrono::Duration::minutes(16));
    let (status, body) = token_attempt(&app, "198.51.100.78", email, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// What a login attempt answers, by the API and by the page, and the Argon2 work it cost.
#[derive(Debug, PartialEq)]
struct Answer {
    status: StatusCode,
    code: Value,
    detail: Value,
    work: u64,
    page_status: StatusCode,
    page_message: String,
}

async fn probe(app: &TestApp, from: &str, email: &str, password: &str) -> Answer {
    let before = password_checks(app).await;
    let (status, body) = token_attempt(app, from, email, password).await;
    let work = password_checks(app).await - before;
    let b = Browser::new(app);
    b.get("/login").await;
    let (page_status, _, page) = b
        .post_form("/login", &[("email", email), ("password", password)])
        .await;
    let page_message = page
        .split("alert-danger")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_default()
        .to_string();
    Answer {
        status,
        code: body["code"].clone(),
        detail: body["detail"].clone(),
        work,
        page_status,
        page_message,
    }
}

async fn unknown_email_wrong_password_and_locked_account_get_the_same_answer_and_work(
    engine: Engine,
) {
    let app = behind_proxy(engine).await;
    let (locked, locked_password) = TestApp::demo_login(Role::Company);
    let (other, _) = TestApp::demo_login(Role::Officer);
    let unknown = "nobody.at.all@example.it";
    // Fresh: an unknown e-mail and a wrong password answer alike, one Argon2 check each.
    let a = probe(&app, "198.51.100.1", unknown, "any password at all").await;
    let b = probe(&app, "198.51.100.2", other, "not the password").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.code, "invalid_credentials");
    assert_eq!(a.work, 1, "a decoy check for an unknown e-mail");
    assert_eq!(a.page_status, StatusCode::UNAUTHORIZED);
    assert!(!a.page_message.is_empty());
    assert_eq!(a, b, "unknown e-mail and wrong password");
    // Five failures, spread over ten minutes, on the account and on another unknown e-mail.
    let unknown2 = "nobody.else@example.it";
    for i in 0..5 {
        if i == 1 {
            app.clock.advance(chrono::Duration::minutes(10));
        }
        token_attempt(&app, &format!("192.0.2.{i}"), locked, "not the password").await;
        token_attempt(
            &app,
            &format!("192.0.2.{}", 10 + i),
            unknown2,
            "not the password",
        )
        .await;
    }
    assert!(locked_until(&app, locked).await.is_some());
    // Within the window: both refused before any Argon2, alike.
    let c = probe(&app, "198.51.100.3", locked, locked_password).await;
    let d = probe(&app, "198.51.100.4", unknown2, "any password at all").await;
    assert_eq!(c.work, 0);
    assert_eq!(c, d, "locked account and an unknown e-mail as often tried");
    assert_eq!(
        (c.status, &c.code, &c.detail),
        (a.status, &a.code, &a.detail)
    );
    assert_eq!(c.page_message, a.page_message);
    // Past the throttle's window but within the lock: one Argon2 check each, alike again.
    app.clock.advance(chrono::Duration::minutes(6));
    let e = probe(&app, "198.51.100.5", locked, locked_password).await;
    let f = probe(&app, "198.51.100.6", unknown2, "any password at all").await;
    assert_eq!(e.work, 1, "the locked account is checked like any other");
    assert_eq!(
        e, f,
        "locked account with the right password and an unknown e-mail"
    );
    assert_eq!(e, a);
    assert!(!a.page_message.contains("bloccato"));
    // The owner of the locked account is told, by e-mail only.
    app.run_jobs().await;
    let mails = app.smtp.messages();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.to == vec![locked.to_string()])
            .count(),
        1
    );
    assert!(
        mails
            .iter()
            .all(|m| !m.to.iter().any(|t| t.starts_with("nobody")))
    );
}

async fn logins_are_throttled_per_client_address_before_argon2(engine: Engine) {
    let app = behind_proxy(engine).await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    // 30 failed logins from one address, each to a different (unknown) e-mail.
    for i in 0..30 {
        let (status, _) = token_attempt(
            &app,
            "203.0.113.50",
            &format!("guess{i}@example.it"),
            "whatever pass",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let before = password_checks(&app).await;
    let (status, body) = token_attempt(&app, "203.0.113.50", email, password).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        password_checks(&app).await,
        before,
        "no Argon2 past the throttle"
    );
    // Another client behind the same load balancer is not affected.
    let (status, _) = token_attempt(&app, "203.0.113.51", email, password).await;
    assert_eq!(status, StatusCode::OK);
    // The throttle is in the database: a second instance on it refuses the address too.
    let second = sportello::app::AppState::new(app.state.ctx.clone());
    let err = sportello_core::accounts::authenticate(&second, "203.0.113.50", email, password)
        .await
        .unwrap_err();
    assert!(
        matches!(err, sportello_core::accounts::LoginError::TooManyAttempts),
        "{err:?}"
    );
    // Without a trusted proxy, X-Forwarded-For is the client's own say and is ignored.
    let direct = TestApp::spawn(engine).await;
    direct.seed_demo().await;
    for i in 0..31 {
        token_attempt(
            &direct,
            &format!("10.0.0.{i}"),
            &format!("g{i}@example.it"),
            "whatever pass",
        )
        .await;
    }
    let (status, _) = token_attempt(&direct, "10.9.9.9", email, password).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged header does not reset the limit"
    );
}

async fn verification_is_throttled_per_client_address_and_number_and_the_right_code_still_works(
    engine: Engine,
) {
    let app = behind_proxy(engine).await;
    let (id, number) = crate::security_integrity::codes::approved_certificate(&app).await;
    let code = sportello_core::trade::desk::security_code::reveal(&app.state, &id)
        .await
        .unwrap()
        .unwrap();
    let verify = |from: &'static str, code: String| {
        let url = app.url(&format!("/api/v1/verify/{number}?code={code}"));
        async move {
            reqwest::Client::new()
                .get(url)
                .header("X-Forwarded-For", from)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // A guesser behind the load balancer: 20 wrong codes, then refused, even the right one.
    let guesses = (0..25).map(|i| verify("203.0.113.66", format!("WRONG{i:05}")));
    let statuses = futures::future::join_all(guesses).await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::NOT_FOUND)
        .count();
    assert_eq!((checked, refused), (20, 5), "{statuses:?}");
    assert_eq!(
        verify("203.0.113.66", code.clone()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another spelling of the number is the same number.
    let lower = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/verify/{}?code=WRONG77777",
            number.to_lowercase()
        )))
        .header("X-Forwarded-For", "203.0.113.66")
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), StatusCode::TOO_MANY_REQUESTS);
    // A customs officer behind the same load balancer still verifies, by API and page.
    assert_eq!(verify("198.51.100.9", code.clone()).await, StatusCode::OK);
    let page = reqwest::Client::new()
        .get(app.url(&format!("/verify/{number}?code={code}")))
        .header("X-Forwarded-For", "198.51.100.10")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // Right codes are given back: many checks of a real certificate are never throttled.
    for _ in 0..25 {
        assert_eq!(verify("198.51.100.9", code.clone()).await, StatusCode::OK);
    }
    // The window ends: the guesser is admitted again (and still wrong).
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        verify("203.0.113.66", "WRONG99999".into()).await,
        StatusCode::NOT_FOUND
    );
}
