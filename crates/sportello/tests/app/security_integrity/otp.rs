//! Issuance on the second screen: the OTP attempt counter taken atomically, clauses not lost.

use crate::engine_tests;
use crate::helpers::TestApp;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    parallel_wrong_otps_cannot_exceed_the_attempt_limit,
    a_clause_accepted_from_a_stale_read_does_not_erase_another,
);

/// A walk-in issuance session of the demo RAO, moved straight to `state` (the earlier steps
/// have their own tests).
async fn session_in_state(
    app: &TestApp,
    state: &str,
) -> sportello_core::issuance::session::Session {
    use sportello_core::issuance::session::{self, Source};
    let db = &app.state.db;
    let (email, _) = TestApp::demo_login(Role::Rao);
    let user = sportello_core::accounts::find_by_email(db, email)
        .await
        .unwrap()
        .unwrap();
    let today = app.state.clock.today();
    let op = session::operator_for(db, &user.id, today).await.unwrap();
    let applicant = sportello_core::appointments::applicant::ApplicantForm {
        given_name: "Mario".into(),
        surname: "Rossi".into(),
        tax_code: "RSSMRA80A01H501U".into(),
        birth_date: "1980-01-01".into(),
        birth_place: "ROMA".into(),
        email: "mario.rossi@example.it".into(),
        phone: "+393331234567".into(),
        device: "smart_card".into(),
        ..Default::default()
    }
    .parse(today)
    .unwrap();
    let s = session::open(
        db,
        app.state.clock.now(),
        &sportello_core::audit::Actor::cli(),
        &user.id,
        &op,
        None,
        Source::WalkIn(&applicant),
    )
    .await
    .unwrap();
    sqlx::query("UPDATE iss_sessions SET state = $2 WHERE id = $1")
        .bind(&s.id)
        .bind(state)
        .execute(db.pool())
        .await
        .unwrap();
    session::get(db, &s.chamber_id, &s.id)
        .await
        .unwrap()
        .unwrap()
}

async fn parallel_wrong_otps_cannot_exceed_the_attempt_limit(engine: Engine) {
    use sportello_core::issuance::finish::{self, OTP_TRIES};
    use sportello_core::issuance::session::{self, SessionError};
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let db = &app.state.db;
    let actor = sportello_core::audit::Actor::cli();
    let now = app.state.clock.now();
    let s = session_in_state(&app, "clauses_accepted").await;
    finish::send_otp(db, now, &actor, &s).await.unwrap();
    let s = session::get(db, &s.chamber_id, &s.id)
        .await
        .unwrap()
        .unwrap();
    app.run_jobs().await;
    let mail = app
        .smtp
        .messages()
        .into_iter()
        .find(|m| m.data.contains("OTP"))
        .expect("OTP e-mail");
    let otp: String = mail
        .data
        .split("OTP =C3=A8 ")
        .nth(1)
        .or_else(|| mail.data.split("OTP è ").nth(1))
        .unwrap_or_default()
        .chars()
        .take(6)
        .collect();
    assert_eq!(otp.len(), 6);
    let wrong = if otp == "000000" { "000001" } else { "000000" };
    // Thirty wrong codes at once, as a script on the second screen would send them.
    let tries: Vec<_> = (0..30)
        .map(|_| {
            let (db, s) = (db.clone(), s.clone());
            tokio::spawn(async move { finish::confirm_otp(&db, now, &s, wrong).await })
        })
        .collect();
    let (mut judged, mut refused) = (0, 0);
    for t in tries {
        match t.await.unwrap() {
            Err(SessionError::WrongCode) => judged += 1,
            Err(SessionError::TooManyAttempts) => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        (judged, refused),
        (OTP_TRIES, 30 - OTP_TRIES),
        "exactly the allowed number of codes was compared"
    );
    let attempts: i64 = sqlx::query_scalar("SELECT otp_attempts FROM iss_sessions WHERE id = $1")
        .bind(&s.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(attempts, OTP_TRIES);
    // Even the right code is refused now: a new OTP must be asked for.
    assert!(matches!(
        finish::confirm_otp(db, now, &s, &otp).await,
        Err(SessionError::TooManyAttempts)
    ));
    let state: String = sqlx::query_scalar("SELECT state FROM iss_sessions WHERE id = $1")
        .bind(&s.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(state, "otp_sent");
}

async fn a_clause_accepted_from_a_stale_read_does_not_erase_another(engine: Engine) {
    use sportello_core::issuance::finish;
    use sportello_core::issuance::session::SessionError;
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let stale = session_in_state(&app, "device_assigned").await;
    let now = app.state.clock.now();
    finish::accept_clause(&app.state.db, now, &stale, 0)
        .await
        .unwrap();
    // A second tap read the session before the first one was saved.
    assert!(matches!(
        finish::accept_clause(&app.state.db, now, &stale, 1).await,
        Err(SessionError::Changed)
    ));
    let accepted: String =
        sqlx::query_scalar("SELECT clauses_accepted FROM iss_sessions WHERE id = $1")
            .bind(&stale.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(accepted, "[0]", "clause 0 is still recorded");
}
