//! Appointments: the public booking page with pre-registration, capacity from the
//! operators who may act that day, a full slot refused without losing the data, the e-mails
//! with their cancel link, the reminder job and no-shows.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

/// Thursday 26 November 2026, 09:00 in Genova (08:00 UTC): the demo desk opens then.
pub const SLOT: &str = "2026-11-26T08:00:00.000000Z";

pub async fn public_browser(app: &TestApp) -> Browser {
    let b = Browser::new(app);
    b.get("/book/GE-GENOVA").await;
    b
}

pub struct Fields(Vec<(&'static str, String)>);

impl Fields {
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
    pub fn set(&mut self, key: &'static str, value: &str) {
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value.to_string()));
    }
}

/// The pre-registration of the applicant with `tax_code` (birth date taken from it; the
/// e-mail address is theirs alone, so the per-address limit is never what a test meets).
pub fn fields(tax_code: &str, free: bool) -> Fields {
    let birth = sportello_core::registry::TaxCode::parse(tax_code)
        .ok()
        .and_then(|t| t.birth_date(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()))
        .map(|d| d.to_string())
        .unwrap_or_else(|| "1980-01-01".into());
    let email = format!("{}@example.it", tax_code.to_lowercase());
    let mut f = Fields(
        [
            ("at", SLOT),
            ("given_name", "Mario"),
            ("surname", "Rossi"),
            ("tax_code", tax_code),
            ("birth_date", birth.as_str()),
            ("birth_place", "Roma"),
            ("email", email.as_str()),
            ("phone", "+39 333 1234567"),
            ("company_tax_code", "01879020517"),
            ("device", "smart_card"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect(),
    );
    if free {
        f.set("wants_free", "yes");
    }
    f
}

/// The first link starting with `prefix` in a received message (quoted-printable undone).
pub fn link_in(data: &str, prefix: &str) -> String {
    let data = data.replace("=\r\n", "");
    let at = data.find(prefix).expect("a link");
    data[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '_' || *c == '-')
        .collect()
}

/// The confirmation link of the last confirmation request sent (the outbox is sent first).
pub async fn confirmation_link(app: &TestApp) -> String {
    app.run_jobs().await;
    let last = app
        .smtp
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.data.contains("/book/confirm/"))
        .expect("a confirmation request");
    link_in(&last.data, "/book/confirm/")
}

/// Opens the confirmation link and presses the button; returns the result page.
pub async fn confirm(b: &Browser, link: &str) -> (StatusCode, String) {
    let (s, page) = b.get(link).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let (s, _, body) = b.post_form(link, &[]).await;
    (s, body)
}

/// Books the demo slot and confirms it from the e-mail; returns the appointment id.
pub async fn book(app: &TestApp, b: &Browser, tax_code: &str, free: bool) -> String {
    let (s, _, body) = b
        .post_form("/book/GE-GENOVA", &fields(tax_code, free).pairs())
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("data-testid=\"booked\""), "{body}");
    let link = confirmation_link(app).await;
    let (s, body) = confirm(b, &link).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("data-testid=\"confirmed\""), "{body}");
    sqlx::query_scalar("SELECT id FROM appointments WHERE tax_code = $1 AND status = 'booked' ORDER BY created_at DESC LIMIT 1")
        .bind(tax_code)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn booked(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE status = 'booked'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

engine_tests!(
    a_slot_holds_as_many_appointments_as_operators_who_may_act,
    a_wrong_pre_registration_shows_the_errors_and_books_nothing,
    the_reminder_carries_the_cancel_link_and_no_shows_are_recorded,
    revoking_an_operator_cancels_their_appointments_and_recalls_devices,
    an_operator_whose_course_expired_cannot_take_an_appointment,
);

async fn a_slot_holds_as_many_appointments_as_operators_who_may_act(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    let (_, page) = b.get("/book/GE-GENOVA?date=2026-11-26").await;
    assert!(
        page.contains("09:00 (2 posti)"),
        "two operators at Genova: {page}"
    );
    book(&app, &b, "RSSMRA80A01H501U", false).await;
    book(&app, &b, "VRDLRA85M41D969U", false).await;
    // Full: refused, the data stay in the form, nothing booked twice.
    let (s, _, body) = b
        .post_form(
            "/book/GE-GENOVA",
            &fields("MRTNTN23M02D969P", false).pairs(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        body.contains("appena stato occupato") && body.contains("value=\"MRTNTN23M02D969P\""),
        "{body}"
    );
    assert_eq!(booked(&app).await, 2);
    let ops: Vec<String> =
        sqlx::query_scalar("SELECT operator_id FROM appointments ORDER BY operator_id")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert_ne!(ops[0], ops[1], "one appointment per operator");
    // An expired course takes the operator's place away (RA procedure, part 1).
    sqlx::query("UPDATE ra_operators SET course_valid_until = '2026-11-20' WHERE email = 'ir@demo.sportello.test'").execute(app.state.db.pool()).await.unwrap();
    let (_, page) = b.get("/book/GE-GENOVA?date=2026-11-26").await;
    assert!(page.contains("09:30 (1 posti)"), "{page}");
    app.run_jobs().await;
    let confirmations = app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.data.contains("confermato"))
        .count();
    assert_eq!(confirmations, 2);
}

async fn a_wrong_pre_registration_shows_the_errors_and_books_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    let mut f = fields("RSSMRA80A01H501X", true);
    f.set("email", "not-an-address");
    let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-testid=\"error-tax_code\""), "{body}");
    assert!(
        body.contains("carattere di controllo"),
        "the reason is given: {body}"
    );
    assert!(body.contains("data-testid=\"error-email\""));
    assert!(body.contains("value=\"Roma\""), "the other fields are kept");
    assert_eq!(booked(&app).await, 0);
    // A slot outside the opening plan does not exist.
    let mut f = fields("RSSMRA80A01H501U", false);
    f.set("at", "2026-11-26T08:10:00.000000Z");
    let (s, _, _) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(booked(&app).await, 0);
}

async fn the_reminder_carries_the_cancel_link_and_no_shows_are_recorded(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    let first = book(&app, &b, "RSSMRA80A01H501U", false).await;
    let second = book(&app, &b, "VRDLRA85M41D969U", false).await;
    app.run_jobs().await;
    let link_in = |data: &str| link_in(data, "/book/cancel/");
    let confirmation = link_in(
        &app.smtp
            .messages()
            .into_iter()
            .find(|m| m.data.contains("/book/cancel/"))
            .unwrap()
            .data,
    );
    assert!(
        confirmation.len() > "/book/cancel/".len() + 30,
        "an unguessable token: {confirmation}"
    );
    // The day before, the reminder goes out with a fresh link; the old one stops working.
    assert_eq!(
        sportello_core::appointments::reminders::send_due(&app.state)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        sportello_core::appointments::reminders::send_due(&app.state)
            .await
            .unwrap(),
        0,
        "once"
    );
    app.run_jobs().await;
    let reminder = app
        .smtp
        .messages()
        .into_iter()
        .find(|m| {
            m.data.contains("Promemoria") && m.data.contains("VRDLRA85M41D969U")
                || m.data.contains("Promemoria")
        })
        .unwrap();
    let fresh = link_in(&reminder.data);
    let (s, _) = b.get(&confirmation).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, page) = b.get(&fresh).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let (s, _, body) = b.post_form(&fresh, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("data-testid=\"cancelled\""));
    let cancelled: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE status = 'cancelled'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(cancelled, 1);
    // No-show: only once the slot has started, only by the desk staff.
    let remaining = if booked(&app).await == 1 {
        sqlx::query_scalar::<_, String>("SELECT id FROM appointments WHERE status = 'booked'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
    } else {
        first.clone()
    };
    let _ = second;
    let (email, password) = TestApp::demo_login(Role::Rao);
    let rao = Browser::login(&app, email, password).await;
    let (_, day) = rao
        .get("/appointments?desk=GE-GENOVA&date=2026-11-26")
        .await;
    assert!(day.contains("data-testid=\"appointment\""), "{day}");
    let (s, _, _) = rao
        .post_form(&format!("/appointments/{remaining}/no-show"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "not started yet");
    app.clock.advance(chrono::Duration::hours(24));
    let rao = Browser::login(&app, email, password).await;
    // The day view asks first (a dialog, or this page without JavaScript): whose appointment,
    // when, and what follows; the page changes nothing.
    let (_, day) = rao
        .get("/appointments?desk=GE-GENOVA&date=2026-11-26")
        .await;
    assert!(
        day.contains(&format!("id=\"confirm-no-show-{remaining}\"")),
        "{day}"
    );
    let (s, page) = rao.get(&format!("/appointments/{remaining}/no-show")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("come non presentato") && page.contains("26/11/2026"),
        "{page}"
    );
    let (s, _, _) = rao
        .post_form(&format!("/appointments/{remaining}/no-show"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let status: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(&remaining)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "no_show");
    let (email, password) = TestApp::demo_login(Role::Company);
    let company = Browser::login(&app, email, password).await;
    let (s, _, _) = company
        .post_form(&format!("/appointments/{remaining}/no-show"), &[])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn revoking_an_operator_cancels_their_appointments_and_recalls_devices(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    book(&app, &b, "RSSMRA80A01H501U", false).await;
    book(&app, &b, "VRDLRA85M41D969U", false).await;
    app.run_jobs().await;
    // The ODR organisation holds its consigned devices: 6 smart cards and 1 token to recall.
    let odr = super::odr_id(&app).await;
    let (s, r) = crate::ra::revoke_through_the_manager(&app, &odr, "cessata").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let recalled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_recall_devices l JOIN dev_recalls r ON r.id = l.recall_id \
         WHERE r.operator_id = $1",
    )
    .bind(&odr)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(recalled, 7);
    // The IR serving at Genova: her appointment is cancelled and the applicant told.
    let elena = super::operator_id(&app, "ir@demo.sportello.test").await;
    let before = booked(&app).await;
    let (s, r) = crate::ra::revoke_through_the_manager(&app, &elena, "rinuncia").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        before - booked(&app).await,
        1,
        "her appointment is cancelled"
    );
    assert_eq!(booked(&app).await, 1);
    let reason: String =
        sqlx::query_scalar("SELECT cancel_reason FROM appointments WHERE operator_id = $1")
            .bind(&elena)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(reason, "operator_revoked");
    app.run_jobs().await;
    assert!(
        app.smtp
            .messages()
            .iter()
            .any(|m| m.data.contains("annullato dalla Camera")),
        "the applicant is told"
    );
    let (_, page) = b.get("/book/GE-GENOVA?date=2026-11-26").await;
    assert!(
        page.contains("09:30 (1 posti)"),
        "one operator left: {page}"
    );
}

async fn an_operator_whose_course_expired_cannot_take_an_appointment(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    let appt = book(&app, &b, "RSSMRA80A01H501U", false).await;
    sqlx::query("UPDATE ra_operators SET course_valid_until = '2026-11-01' WHERE email = 'rao@demo.sportello.test'")
        .execute(app.state.db.pool()).await.unwrap();
    let (email, password) = TestApp::demo_login(Role::Rao);
    let rao = Browser::login(&app, email, password).await;
    let (s, _, body) = rao
        .post_form(&format!("/issuance/from-appointment/{appt}"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        body.contains("course_expired"),
        "the reason is shown: {body}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(&appt)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "booked", "nothing changed");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM iss_sessions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}
