//! Several instances, one truth: a limit or a lock-out earned on one instance holds on every
//! other, because it is counted in the database. Each test runs a second instance beside the
//! `TestApp` (its own pool, its own router, the same database, configuration and clock) and
//! alternates between the two.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello::app::AppState;
use sportello_core::accounts::Role;
use sportello_core::db::{Db, Engine};
use sportello_core::issuance::finish::PAIRING_FAILURES;
use sportello_core::seal::SealSecret;
use std::net::SocketAddr;

engine_tests!(
    wrong_pairing_codes_count_together_on_every_instance,
    a_locked_account_is_locked_on_every_instance,
    verification_guesses_count_together_on_every_instance,
    two_workers_enqueue_each_scheduled_run_once,
    an_instance_with_another_seal_secret_is_refused,
);

/// A second instance of `app`: a new pool on the same database, the same configuration and
/// clock, served on its own port. Returns its state and base URL.
async fn second_instance(app: &TestApp) -> (AppState, String) {
    let db = Db::connect(&app.db.url, 5).await.expect("second pool");
    let config = (*app.state.config).clone();
    let mailer = sportello_core::notify::mailer_from_config(&config).expect("mailer");
    let state = AppState::new(sportello_core::Ctx::from_parts(
        config,
        app.state.clock.clone(),
        db,
        mailer,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = sportello::web::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    (state, format!("http://{addr}"))
}

/// A browser whose next requests go to `base` (cookies are per host, not per port, so the
/// visitor keeps its cookies from one instance to the other).
fn towards(b: &mut Browser, base: &str) {
    b.base = base.to_string();
}

/// RA procedure, part 2 (the applicant's second screen): the six-digit pairing code is
/// guessable only by many tries, so wrong codes are limited per address; a guesser who
/// alternates between instances gets no more tries.
async fn wrong_pairing_codes_count_together_on_every_instance(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, other) = second_instance(&app).await;
    let mut screen = Browser::new(&app);
    screen.get("/screen").await;
    for i in 0..PAIRING_FAILURES {
        towards(&mut screen, if i % 2 == 0 { &app.base } else { &other });
        let (s, _, _) = screen.post_form("/screen", &[("code", "999999")]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    for base in [&app.base, &other] {
        towards(&mut screen, base);
        let (s, _, _) = screen.post_form("/screen", &[("code", "123456")]).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "refused on {base}");
    }
    // One counter in the shared table, and the window ends for both instances at once.
    let counted: i64 = sqlx::query_scalar(
        "SELECT attempts FROM throttles WHERE scope = 'pair_address' AND subject = '127.0.0.1'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(counted, PAIRING_FAILURES + 2);
    app.clock.advance(chrono::Duration::minutes(16));
    towards(&mut screen, &other);
    let (s, _, _) = screen.post_form("/screen", &[("code", "123456")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "tries again later");
}

/// Five wrong passwords lock an account (`accounts::MAX_FAILED_LOGINS`), wherever each one
/// was typed, and the lock holds on every instance.
async fn a_locked_account_is_locked_on_every_instance(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (_, other) = second_instance(&app).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let mut b = Browser::new(&app);
    b.get("/login").await;
    for i in 0..sportello_core::accounts::MAX_FAILED_LOGINS {
        towards(&mut b, if i % 2 == 0 { &app.base } else { &other });
        let (s, _, _) = b
            .post_form(
                "/login",
                &[("email", email), ("password", "not the password")],
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    for base in [&app.base, &other] {
        towards(&mut b, base);
        let (s, _, _) = b
            .post_form("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "locked on {base}");
    }
    app.clock.advance(chrono::Duration::minutes(16));
    towards(&mut b, &other);
    let (s, _, _) = b
        .post_form("/login", &[("email", email), ("password", password)])
        .await;
    assert!(s.is_redirection(), "the lock ran out: {s}");
}

/// Public verification: guesses of one certificate's code from one address are limited
/// (`throttle::Scope::VerifyNumber`), whichever instance answers them.
async fn verification_guesses_count_together_on_every_instance(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, other) = second_instance(&app).await;
    let client = reqwest::Client::new();
    let limit = sportello_core::throttle::Scope::VerifyNumber
        .limit()
        .attempts;
    let guess = |base: &str| {
        client
            .get(format!("{base}/api/v1/verify/C26GE0000042?code=WRONGCODE2"))
            .send()
    };
    for i in 0..limit {
        let base = if i % 2 == 0 { &app.base } else { &other };
        let r = guess(base).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "guess {i}");
    }
    for base in [&app.base, &other] {
        let r = guess(base).await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "refused on {base}"
        );
    }
}

/// Two workers on two instances see the same schedules: each due run is enqueued once (its
/// dedupe key is the schedule and the due instant) and run once.
async fn two_workers_enqueue_each_scheduled_run_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (other, _) = second_instance(&app).await;
    app.run_jobs().await;
    // Past the next five-minute rectification check.
    app.clock.advance(chrono::Duration::minutes(6));
    let (a, b) = tokio::join!(
        sportello::worker::run_due(&app.state, "worker-a"),
        sportello::worker::run_due(&other, "worker-b"),
    );
    a.unwrap();
    b.unwrap();
    let runs: Vec<(String, String)> = sqlx::query_as(
        "SELECT status, COALESCE(dedupe_key, '') FROM jobs WHERE kind = $1",
    )
    .bind(<sportello_core::trade::desk::expiry::RejectExpiredRectifications as sportello_core::jobs::Job>::KIND)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].0, "done");
}

/// Seals, security codes and webhook secrets are encrypted under one secret: the first
/// instance to serve records which (its id, not the key), and one with another secret is
/// refused, naming the variable to set.
async fn an_instance_with_another_seal_secret_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (other, _) = second_instance(&app).await;
    let first = SealSecret::parse(&"1f".repeat(32)).unwrap();
    let second = SealSecret::parse(&"2e".repeat(32)).unwrap();
    let now = app.state.clock.now();
    sportello_core::seal::shared::claim(&app.state.db, &first, now)
        .await
        .expect("the first instance records its secret");
    sportello_core::seal::shared::claim(&other.db, &first, now)
        .await
        .expect("the same secret on another instance");
    let refused = sportello_core::seal::shared::claim(&other.db, &second, now)
        .await
        .expect_err("another secret is refused");
    let message = refused.to_string();
    assert!(message.contains("SPORTELLO_SEAL_KEY"), "{message}");
    assert!(message.contains(first.id()) && message.contains(second.id()));
    assert!(!message.contains(&"1f".repeat(32)), "never the key");
}
