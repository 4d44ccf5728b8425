//! Password recovery by e-mail: the same answer whether an account has the address or not, a
//! single-use link that expires, the password rules of a change, every session ended, the
//! lock-out cleared, disabled accounts refused, requests throttled.

use crate::devices::appointments::link_in;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

const NEW_PASSWORD: &str = "una frase lunga e nuova";

fn company_login() -> (&'static str, &'static str) {
    TestApp::demo_login(Role::Company)
}

/// Asks for a link from the recovery form; returns status and page.
async fn ask(b: &Browser, email: &str) -> (StatusCode, String) {
    b.get("/password/forgot").await;
    let (s, _, body) = b.post_form("/password/forgot", &[("email", email)]).await;
    (s, body)
}

/// The recovery links received so far by `to`, oldest first.
async fn links_to(app: &TestApp, to: &str) -> Vec<String> {
    app.run_jobs().await;
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to) && m.data.contains("/password/reset/"))
        .map(|m| link_in(&m.data, "/password/reset/"))
        .collect()
}

async fn reset(b: &Browser, link: &str, password: &str, confirm: &str) -> (StatusCode, String) {
    b.get(link).await;
    let (s, _, body) = b
        .post_form(link, &[("new_password", password), ("confirm", confirm)])
        .await;
    (s, body)
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    let b = Browser::new(app);
    b.get("/login").await;
    b.post_form("/login", &[("email", email), ("password", password)])
        .await
        .0
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// The page without what differs from one request to the next by design (the CSRF token).
fn without_csrf(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("csrf"))
        .collect::<Vec<_>>()
        .join("\n")
}

engine_tests!(
    a_recovery_link_sets_a_new_password_once_and_ends_every_session,
    the_answer_is_the_same_whether_the_address_has_an_account_or_not,
    a_recovery_link_expires_after_thirty_minutes,
    a_newer_link_supersedes_the_older_one,
    a_reset_follows_the_password_rules_and_loses_nothing,
    a_reset_clears_the_lock_out,
    a_disabled_account_cannot_reset,
    recovery_requests_are_throttled,
);

async fn a_recovery_link_sets_a_new_password_once_and_ends_every_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, old) = company_login();
    let signed_in = Browser::login(&app, email, old).await;
    assert_eq!(signed_in.get("/practices").await.0, StatusCode::OK);

    let visitor = Browser::new(&app);
    let (_, login) = visitor.get("/login").await;
    assert!(login.contains("href=\"/password/forgot\""), "{login}");
    let (_, front) = visitor.get("/").await;
    assert!(front.contains("href=\"/password/forgot\""), "{front}");
    let (s, page) = ask(&visitor, email).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("data-testid=\"recovery-sent\""), "{page}");

    // The e-mail went through the real SMTP server, with the link; the token is stored only
    // as a hash.
    let links = links_to(&app, email).await;
    assert_eq!(links.len(), 1);
    let link = &links[0];
    let token = link.trim_start_matches("/password/reset/");
    assert!(token.len() >= 43, "{link}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM password_resets")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    let (s, form) = visitor.get(link).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        form.contains("data-testid=\"reset-form\"") && form.contains(email),
        "{form}"
    );
    let (s, done) = reset(&visitor, link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert!(done.contains("data-testid=\"reset-done\""), "{done}");

    // The old password no longer works, the new one does, the old session is over.
    assert_eq!(
        login_status(&app, email, old).await,
        StatusCode::UNAUTHORIZED
    );
    Browser::login(&app, email, NEW_PASSWORD).await;
    let (s, _) = signed_in.get("/practices").await;
    assert!(s.is_redirection(), "the old session ended: {s}");

    // The link works once.
    let (s, again) = visitor.get(link).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(again.contains("già stato usato"), "{again}");
    let (s, _) = reset(
        &visitor,
        link,
        "un'altra frase ancora",
        "un'altra frase ancora",
    )
    .await;
    assert_eq!(s, StatusCode::GONE);
    Browser::login(&app, email, NEW_PASSWORD).await;

    // An unknown link says so.
    let (s, unknown) = visitor.get("/password/reset/nothing-like-a-token").await;
    assert_eq!(s, StatusCode::GONE);
    assert!(unknown.contains("non è valido"), "{unknown}");

    // Audited, and the owner is told the password changed.
    assert_eq!(audit_count(&app, "user.password_reset_request").await, 1);
    assert_eq!(audit_count(&app, "user.password_reset").await, 1);
    app.run_jobs().await;
    assert!(
        app.smtp
            .messages()
            .iter()
            .any(|m| m.to.iter().any(|t| t == email) && m.data.contains("stata cambiata")),
        "a notice of the change"
    );
}

async fn the_answer_is_the_same_whether_the_address_has_an_account_or_not(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, _) = company_login();
    let disabled = TestApp::demo_login(Role::Auditor).0;
    sqlx::query("UPDATE users SET active = 0 WHERE email = $1")
        .bind(disabled)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let b = Browser::new(&app);
    let (s1, known) = ask(&b, email).await;
    let (s2, unknown) = ask(&b, "nessuno@example.it").await;
    let (s3, off) = ask(&b, disabled).await;
    assert_eq!(
        (s1, s2, s3),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(without_csrf(&known), without_csrf(&unknown));
    assert_eq!(without_csrf(&known), without_csrf(&off));
    // Only the active account's mailbox receives a link.
    app.run_jobs().await;
    let sent: Vec<Vec<String>> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.data.contains("/password/reset/"))
        .map(|m| m.to)
        .collect();
    assert_eq!(sent, vec![vec![email.to_string()]]);
    // A malformed address is named as such (it cannot be anyone's).
    let (s, page) = ask(&b, "not-an-address").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
}

async fn a_recovery_link_expires_after_thirty_minutes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, old) = company_login();
    let b = Browser::new(&app);
    ask(&b, email).await;
    let link = links_to(&app, email).await.remove(0);
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(b.get(&link).await.0, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(2));
    let (s, page) = b.get(&link).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("scaduto"), "{page}");
    let (s, _, _) = b
        .post_form(
            &link,
            &[("new_password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::GONE);
    Browser::login(&app, email, old).await;
}

async fn a_newer_link_supersedes_the_older_one(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, _) = company_login();
    let b = Browser::new(&app);
    ask(&b, email).await;
    ask(&b, email).await;
    let links = links_to(&app, email).await;
    assert_eq!(links.len(), 2);
    assert_eq!(b.get(&links[0]).await.0, StatusCode::GONE);
    let (s, _) = reset(&b, &links[1], NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
}

async fn a_reset_follows_the_password_rules_and_loses_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, old) = company_login();
    let b = Browser::new(&app);
    ask(&b, email).await;
    let link = links_to(&app, email).await.remove(0);
    let (s, page) = reset(&b, &link, "corta", "corta").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("almeno 10 caratteri"), "{page}");
    let (s, page) = reset(&b, &link, NEW_PASSWORD, "un'altra frase lunga").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("non coincidono"), "{page}");
    let (s, page) = reset(&b, &link, "", "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-testid=\"error-summary\""), "{page}");
    // Nothing changed and the link still works.
    Browser::login(&app, email, old).await;
    let (s, _) = reset(&b, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
}

async fn a_reset_clears_the_lock_out(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, _) = company_login();
    for _ in 0..5 {
        login_status(&app, email, "password sbagliata").await;
    }
    let locked: Option<String> =
        sqlx::query_scalar("SELECT locked_until FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(locked.is_some(), "locked after five failures");
    let b = Browser::new(&app);
    ask(&b, email).await;
    let link = links_to(&app, email).await.remove(0);
    let (s, _) = reset(&b, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    // Whoever reads the mailbox is the owner: the lock and the login throttle are cleared.
    Browser::login(&app, email, NEW_PASSWORD).await;
}

async fn a_disabled_account_cannot_reset(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, old) = company_login();
    let b = Browser::new(&app);
    ask(&b, email).await;
    let link = links_to(&app, email).await.remove(0);
    sqlx::query("UPDATE users SET active = 0 WHERE email = $1")
        .bind(email)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (s, page) = b.get(&link).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("disattivato"), "{page}");
    let (s, _) = reset(&b, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, StatusCode::GONE);
    sqlx::query("UPDATE users SET active = 1 WHERE email = $1")
        .bind(email)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    Browser::login(&app, email, old).await;
}

async fn recovery_requests_are_throttled(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, _) = company_login();
    let b = Browser::new(&app);
    // Per address typed: three links an hour, then the same answer and no e-mail.
    for _ in 0..5 {
        let (s, page) = ask(&b, email).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("data-testid=\"recovery-sent\""));
    }
    assert_eq!(links_to(&app, email).await.len(), 3);
    // Per client address: refused with a clear message.
    let mut last = StatusCode::OK;
    for i in 0..20 {
        last = ask(&b, &format!("visitatore{i}@example.it")).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let (_, page) = ask(&b, "altro@example.it").await;
    assert!(page.contains("Troppe richieste"), "{page}");
    // A new window, a new chance.
    app.clock.advance(chrono::Duration::hours(1));
    ask(&b, email).await;
    assert_eq!(links_to(&app, email).await.len(), 4);
}
