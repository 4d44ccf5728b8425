//! Public booking abuse: each attack of the review, replayed against the
//! public form. Field lengths, one active booking per tax code per service, requests limited
//! per client address and per e-mail address in the database, no applicant text made into a
//! link in the chamber's e-mail, and a slot held only briefly until the applicant confirms it
//! from that e-mail.

use crate::devices::appointments::{
    SLOT, book, confirm, confirmation_link, fields, public_browser,
};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::db::Engine;

engine_tests!(
    a_megabyte_name_is_refused_next_to_its_field_and_the_form_keeps_the_rest,
    one_tax_code_holds_one_active_booking_per_service_even_in_parallel,
    booking_requests_are_limited_per_client_address_and_per_email_in_the_database,
    applicant_text_never_becomes_a_link_in_the_chambers_email,
    an_unconfirmed_booking_frees_its_slot_and_the_link_says_what_happened,
);

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// The first 09:00 slot of a week page (the demo day's, when the week starts with it).
fn first_nine(page: &str) -> &str {
    page.find("09:00").map_or("", |at| &page[at..])
}

/// 09:30 on the demo day, the slot after [`SLOT`].
const NEXT_SLOT: &str = "2026-11-26T08:30:00.000000Z";

async fn a_megabyte_name_is_refused_next_to_its_field_and_the_form_keeps_the_rest(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    // The attack: a 1 MiB name was stored and e-mailed.
    let mut f = fields("RSSMRA80A01H501U", false);
    f.set("given_name", &"A".repeat(1 << 20));
    let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-testid=\"error-given_name\">Al massimo 60 caratteri."),
        "the field says why"
    );
    assert!(
        body.contains("value=\"RSSMRA80A01H501U\"") && body.contains("value=\"Roma\""),
        "what was typed is kept"
    );
    assert!(body.contains("maxlength=\"60\""), "the input says it too");
    // Every field has its limit.
    for (field, max) in sportello_core::appointments::applicant::FIELD_LIMITS {
        let mut f = fields("RSSMRA80A01H501U", false);
        f.set(field, &"9".repeat(max + 1));
        let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            body.contains(&format!("Al massimo {max} caratteri.")),
            "{field}: {body}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM appointments").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox_emails").await, 0);
}

async fn one_tax_code_holds_one_active_booking_per_service_even_in_parallel(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    book(&app, &b, "RSSMRA80A01H501U", false).await;
    // The attack: one tax code took five slots.
    let mut f = fields("RSSMRA80A01H501U", false);
    f.set("at", NEXT_SLOT);
    f.set("email", "altro@example.it");
    let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        body.contains("data-testid=\"error-tax_code\"") && body.contains("già un appuntamento"),
        "{body}"
    );
    // Another service (a token) is another booking.
    f.set("device", "token");
    f.set("company_tax_code", "");
    let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Many requests at once for one tax code and one service: one booking, whatever the race.
    let tax = "VRDLRA85M41D969U";
    let slots = [
        "2026-11-26T09:00:00.000000Z",
        "2026-11-26T09:30:00.000000Z",
        "2026-11-26T10:00:00.000000Z",
        "2026-11-26T10:30:00.000000Z",
        "2026-11-26T11:00:00.000000Z",
    ];
    let browsers: Vec<Browser> = {
        let mut v = Vec::new();
        for _ in slots {
            v.push(public_browser(&app).await);
        }
        v
    };
    let mut requests = Vec::new();
    for (i, (slot, b)) in slots.iter().zip(&browsers).enumerate() {
        let mut f = fields(tax, false);
        f.set("at", slot);
        f.set("email", &format!("laura{i}@example.it"));
        requests.push(async move {
            let (s, _, _) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
            s
        });
    }
    let statuses = futures::future::join_all(requests).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT)
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM appointments WHERE tax_code = 'VRDLRA85M41D969U' AND status = 'booked'"
        )
        .await,
        1
    );
}

async fn booking_requests_are_limited_per_client_address_and_per_email_in_the_database(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    // Per e-mail address: the chamber's e-mail goes to one address three times, not a fourth.
    let taxes = [
        "RSSMRA80A01H501U",
        "VRDLRA85M41D969U",
        "MRTNTN23M02D969P",
        "BNCGNN75C10D969H",
    ];
    let slots = [
        SLOT,
        NEXT_SLOT,
        "2026-11-26T09:00:00.000000Z",
        "2026-11-26T09:30:00.000000Z",
    ];
    let mut last = (StatusCode::OK, String::new());
    for (tax, slot) in taxes.iter().zip(slots) {
        let mut f = fields(tax, false);
        f.set("at", slot);
        f.set("email", "vittima@example.it");
        let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
        last = (s, body);
    }
    assert_eq!(last.0, StatusCode::TOO_MANY_REQUESTS, "{}", last.1);
    assert!(last.1.contains("Troppe richieste"), "{}", last.1);
    app.run_jobs().await;
    let to_victim = app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains("vittima@example.it")))
        .count();
    assert_eq!(to_victim, 3);
    // Per client address: every request counts, well-formed or not; then even a good one waits.
    for _ in 0..20 {
        let mut f = fields("RSSMRA80A01H501X", false);
        f.set("email", "someone@example.it");
        b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    }
    let mut f = fields("BNCGNN75C10D969H", false);
    f.set("at", "2026-11-26T10:00:00.000000Z");
    let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body.contains("value=\"BNCGNN75C10D969H\""),
        "the form is kept"
    );
    // The count lives in the database (every instance shares it), and its window ends.
    assert_eq!(
        count(
            &app,
            "SELECT hits FROM appt_booking_counters WHERE bucket = 'addr:127.0.0.1'"
        )
        .await,
        25
    );
    app.clock.advance(chrono::Duration::minutes(61));
    let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn applicant_text_never_becomes_a_link_in_the_chambers_email(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    // The attack: a name made of a link went out in the chamber's e-mail to any address.
    for hostile in [
        "Premi http://evil.example/rimborso",
        "<a href=\"https://evil.example\">Rimborso</a>",
        "rimborso@evil.example",
    ] {
        let mut f = fields("RSSMRA80A01H501U", false);
        f.set("given_name", hostile);
        let (s, _, body) = b.post_form("/book/GE-GENOVA", &f.pairs()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{hostile}");
        assert!(body.contains("data-testid=\"error-given_name\""), "{body}");
        assert!(
            !body.contains("<a href=\"https://evil"),
            "escaped on the page"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox_emails").await, 0);
    // A name stored before the form was this strict: the reminder still carries no link.
    let id = book(&app, &b, "RSSMRA80A01H501U", false).await;
    sqlx::query("UPDATE appointments SET given_name = $2, surname = $3 WHERE id = $1")
        .bind(&id)
        .bind("Visita www.evil.example o http://evil.example/x")
        .bind("<b>Rossi</b> rimborso@evil.example")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        sportello_core::appointments::reminders::send_due(&app.state)
            .await
            .unwrap(),
        1
    );
    app.run_jobs().await;
    let mails = app.smtp.messages();
    assert!(!mails.is_empty());
    for m in &mails {
        let data = m.data.replace("=\r\n", "");
        let (head, body) = data.split_once("\r\n\r\n").unwrap();
        assert!(
            !data.contains("evil.example") && !data.contains("http://evil") && !body.contains('<'),
            "{data}"
        );
        assert!(head.contains("Content-Type: text/plain"), "{data}");
        assert!(!data.contains("text/html"));
    }
    let reminder = mails
        .iter()
        .find(|m| m.data.contains("Promemoria"))
        .unwrap();
    assert!(
        reminder.data.contains("Visita www evil example"),
        "{}",
        reminder.data
    );
}

async fn an_unconfirmed_booking_frees_its_slot_and_the_link_says_what_happened(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let b = public_browser(&app).await;
    // Two pending bookings take the two places of 09:00 (two operators at Genova).
    let (s, _, page) = b
        .post_form(
            "/book/GE-GENOVA",
            &fields("RSSMRA80A01H501U", false).pairs(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("entro le 10:30"),
        "the page says until when: {page}"
    );
    let first = confirmation_link(&app).await;
    let (s, _, _) = b
        .post_form(
            "/book/GE-GENOVA",
            &fields("VRDLRA85M41D969U", false).pairs(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let second = confirmation_link(&app).await;
    assert_ne!(first, second);
    let (_, slots) = b.get("/book/GE-GENOVA?date=2026-11-26").await;
    assert!(first_nine(&slots).starts_with("09:00 — "), "held: {slots}");
    // Nothing for the desk to serve or remind until it is confirmed.
    assert_eq!(
        sportello_core::appointments::reminders::send_due(&app.state)
            .await
            .unwrap(),
        0
    );
    // The first applicant confirms in time, then opens the link again.
    let (s, body) = confirm(&b, &first).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("data-testid=\"confirmed\""), "{body}");
    let (s, page) = b.get(&first).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("data-testid=\"already-confirmed\""), "{page}");
    let (s, _, body) = b.post_form(&first, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("data-testid=\"already-confirmed\""));
    app.run_jobs().await;
    assert!(
        app.smtp
            .messages()
            .iter()
            .any(|m| m.data.contains("Appuntamento confermato") && m.data.contains("/book/cancel/")),
        "the cancel link comes with the confirmation"
    );
    // The second never confirms: after 30 minutes the place is free again.
    app.clock.advance(chrono::Duration::minutes(31));
    let (_, slots) = b.get("/book/GE-GENOVA?date=2026-11-26").await;
    assert!(
        first_nine(&slots).starts_with("09:00 (1 posti)"),
        "freed: {slots}"
    );
    let (s, page) = b.get(&second).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("data-testid=\"expired\""), "{page}");
    assert!(page.contains("è tornato libero"), "{page}");
    let (s, _, body) = b.post_form(&second, &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("data-testid=\"expired\""), "{body}");
    // Someone else takes the freed place at once.
    let (s, _, body) = b
        .post_form(
            "/book/GE-GENOVA",
            &fields("MRTNTN23M02D969P", false).pairs(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // The job tidies what the queries already read as free.
    let (s, _, _) = b
        .post_form(
            "/book/GE-GENOVA",
            &fields("BNCGNN75C10D969H", false).pairs(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "full again");
    app.clock.advance(chrono::Duration::minutes(31));
    app.run_jobs().await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM appointments WHERE status = 'cancelled' AND cancel_reason = 'unconfirmed'"
        )
        .await,
        2
    );
    let (s, page) = b.get("/book/confirm/no-such-token").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("data-testid=\"confirm-unknown\""));
}
