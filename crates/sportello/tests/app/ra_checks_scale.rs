//! Issue 14, item 5: the RA checks page and the Manager's queue read a page, never a whole
//! chamber. The alerts read the operators whose mandate or course ends in the alert window,
//! the registry flags and the Manager's queue are keyset pages of 50 (the yearly checks' pages
//! are in `ra_checks_bounds.rs`). Each statement's plan is asked of the engine (see
//! `scale_bounds.rs`) and must read one range of its index, with no full scan or sort; the
//! pages are then walked through ties of equal instants and against another chamber's rows.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{
    OTHER_CHAMBER, assert_reads, chamber_of, entity_tax_code, other_chamber, pager_link, user_id,
};
use crate::ra::token;
use chrono::{Duration, NaiveDate};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::paging::{Cursor, Key, Keyset};
use sportello_core::ra::{checks, manager, operator};
use std::collections::HashSet;

engine_tests!(
    the_checks_page_statements_read_a_bounded_range_of_their_index,
    the_managers_queue_reads_a_bounded_range_of_its_index,
    the_alerts_window_finds_what_the_rule_finds_over_the_whole_chamber,
    registry_flags_page_through_equal_instants_without_loss_or_repeat,
    registry_flags_of_another_chamber_are_never_shown,
    the_managers_queue_pages_through_equal_instants_without_loss_or_repeat,
    the_managers_queue_api_keeps_its_array_and_links_the_next_page,
);

/// An operator of `chamber` in `state`, with a mandate and a course ending on the days given.
async fn operator_row(
    app: &TestApp,
    chamber: &str,
    n: u64,
    state: &str,
    mandate_end: Option<NaiveDate>,
    course_end: Option<NaiveDate>,
) -> String {
    let id = format!("op-scale-{chamber}-{n:04}");
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    sqlx::query(
        "INSERT INTO ra_operators (id, chamber_id, kind, name, tax_code, email, state, \
         mandate_start, mandate_end, course_score, course_passed_on, course_valid_until, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
    )
    .bind(&id)
    .bind(chamber)
    .bind(["rao", "odr", "ir"][(n % 3) as usize])
    .bind(format!("OPERATORE {n:04}"))
    .bind(entity_tax_code(80_000_000 + n))
    .bind(format!("op{n}@example.test"))
    .bind(state)
    .bind(mandate_end.map(|_| "2024-01-01".to_string()))
    .bind(day(mandate_end))
    .bind(course_end.map(|_| 90_i64))
    .bind(course_end.map(|_| "2024-01-01".to_string()))
    .bind(day(course_end))
    .execute(app.state.db.pool())
    .await
    .expect("operator");
    id
}

/// Issue 14: the alerts' window (two ranges by date) and a page of registry flags (first and
/// later pages) each read one bounded range of an index.
async fn the_checks_page_statements_read_a_bounded_range_of_their_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let today = app.state.clock.today();
    let plans = operator::ending_plans(&app.state.db, &chamber, today, today + Duration::days(60))
        .await
        .expect("plans");
    assert_eq!(plans.len(), 2);
    assert_reads(
        &plans[0],
        "ra_operators",
        "ra_operators_chamber_mandate_end",
        "mandates ending",
    );
    assert_reads(
        &plans[1],
        "ra_operators",
        "ra_operators_chamber_course_end",
        "courses ending",
    );
    let key = Key::new("2026-12-07T05:00:00.000000Z", "flag");
    for from in [None, Some(&key)] {
        let plan = checks::registry_flags_plan(&app.state.db, &chamber, from)
            .await
            .expect("plan");
        assert_reads(
            &plan,
            "ra_registry_flags",
            "ra_registry_flags_chamber_detected",
            "registry flags",
        );
    }
}

/// Issue 14: the Manager's queue is one range of `ra_signature_requests_queue` (chamber,
/// state, prepared at, id), first page and later ones.
async fn the_managers_queue_reads_a_bounded_range_of_its_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::Manager).await;
    let key = Key::new("2026-12-07T05:00:00.000000Z", "request");
    for from in [None, Some(&key)] {
        let plan = manager::queue_plan(&app.state.db, &chamber, from)
            .await
            .expect("plan");
        assert_reads(
            &plan,
            "ra_signature_requests",
            "ra_signature_requests_queue",
            "the Manager's queue",
        );
    }
}

/// The alerts the page shows, read from the operators in the window only, are exactly what
/// the rule ([`checks::endings`]) finds over every operator of the chamber.
async fn the_alerts_window_finds_what_the_rule_finds_over_the_whole_chamber(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let today = app.state.clock.today();
    let offsets = [-5, -1, 0, 1, 7, 8, 30, 31, 59, 60, 61, 200];
    let mut n = 0;
    for state in ["active", "suspended", "revoked"] {
        for m in offsets {
            for c in [None, Some(m + 3), Some(-m)] {
                n += 1;
                let mandate = (n % 5 != 0).then(|| today + Duration::days(m));
                let course = c.map(|c| today + Duration::days(c));
                operator_row(&app, &chamber, n, state, mandate, course).await;
            }
        }
    }
    for conv in [None, Some(today + Duration::days(10))] {
        let all = operator::list_in_chamber(&app.state.db, &chamber)
            .await
            .expect("all");
        let mut expected = checks::endings(&all, conv, today);
        assert!(expected.len() > 10, "{expected:?}");
        let mut shown = checks::window_endings(&app.state.db, &chamber, conv, today)
            .await
            .expect("window");
        // The same alerts (the order of names is the database's collation's).
        let by_key = |e: &checks::Ending| (e.what, e.operator_id.clone(), e.end);
        expected.sort_by_key(by_key);
        shown.sort_by_key(by_key);
        assert_eq!(shown, expected);
    }
}

/// `count` flags of the operator `operator_id`, at three instants only (ties broken by id).
async fn flags(app: &TestApp, chamber: &str, operator_id: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let id = format!("flag-{chamber}-{i:04}");
        sqlx::query(
            "INSERT INTO ra_registry_flags (id, chamber_id, operator_id, kind, detail, \
             detected_at) VALUES ($1, $2, $3, 'renamed', $4, $5)",
        )
        .bind(&id)
        .bind(chamber)
        .bind(operator_id)
        .bind(format!("NUOVO NOME {i:04}"))
        .bind(format!("2026-11-0{}T05:00:00.000000Z", 1 + i % 3))
        .execute(app.state.db.pool())
        .await
        .expect("flag");
        ids.push(id);
    }
    ids
}

/// Follows a keyset list forwards from its first page; returns every id in order and the
/// number of pages.
async fn walk<F, Fut>(read: F) -> (Vec<String>, usize)
where
    F: Fn(Keyset) -> Fut,
    Fut: std::future::Future<Output = (Vec<String>, Option<Key>, Option<Key>)>,
{
    let mut request = Keyset::first(50);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (ids, previous, next) = read(request.clone()).await;
        pages += 1;
        assert!(ids.len() <= 50);
        assert_eq!(previous.is_some(), pages > 1, "page {pages}");
        seen.extend(ids);
        match next {
            Some(key) => {
                request = Keyset {
                    cursor: Cursor::After(key),
                    size: 50,
                }
            }
            None => break,
        }
    }
    (seen, pages)
}

/// Registry flags: newest first, 50 a page; across pages every flag of the chamber is shown
/// once, even where many share one instant, and going back gives the same page.
async fn registry_flags_page_through_equal_instants_without_loss_or_repeat(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let op = operator_row(&app, &chamber, 1, "active", None, None).await;
    let ids = flags(&app, &chamber, &op, 123).await;
    let db = &app.state.db;
    let (seen, pages) = walk(|request| {
        let chamber = chamber.clone();
        async move {
            let s = checks::registry_flags_page(db, &chamber, &request)
                .await
                .expect("page");
            let ids = s.items.iter().map(|f| f.id.clone()).collect();
            (ids, s.previous, s.next)
        }
    })
    .await;
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), ids.len(), "no flag lost or repeated");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), ids.len());
    // Newest first, ties by id (descending, as the index is read backwards).
    let mut expected: Vec<(String, String)> =
        sqlx::query_as("SELECT detected_at, id FROM ra_registry_flags WHERE chamber_id = $1")
            .bind(&chamber)
            .fetch_all(db.pool())
            .await
            .expect("all");
    expected.sort();
    expected.reverse();
    assert_eq!(
        seen,
        expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
    // The page: 50 flags and a link to the next 50, which links back.
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (status, page) = master.get("/ra/checks").await;
    assert!(status.is_success(), "{status}");
    assert_eq!(flags_shown(&page), 50);
    let next = pager_link(&page, "next").expect("a next page");
    let (_, second) = master.get(&next).await;
    assert_eq!(flags_shown(&second), 50);
    let previous = pager_link(&second, "prev").expect("a previous page");
    let (_, back) = master.get(&previous).await;
    assert_eq!(flag_lines(&back), flag_lines(&page));
}

/// The lines of the registry flags' list.
fn flag_lines(html: &str) -> Vec<String> {
    let Some(start) = html.find("data-testid=\"ra-registry-flags\"") else {
        return Vec::new();
    };
    let list = &html[start..];
    let list = &list[..list.find("</ul>").unwrap_or(list.len())];
    list.split("<li>")
        .skip(1)
        .filter_map(|l| l.split("</li>").next())
        .map(str::to_string)
        .collect()
}

fn flags_shown(html: &str) -> usize {
    flag_lines(html).len()
}

/// Another chamber's flags, at the same instants, are never on the chamber's pages, not
/// even from a cursor made of one of them.
async fn registry_flags_of_another_chamber_are_never_shown(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    other_chamber(&app).await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let own_op = operator_row(&app, &chamber, 1, "active", None, None).await;
    let other_op = operator_row(&app, OTHER_CHAMBER, 2, "active", None, None).await;
    let own = flags(&app, &chamber, &own_op, 60).await;
    let other = flags(&app, OTHER_CHAMBER, &other_op, 60).await;
    let db = &app.state.db;
    let (seen, _) = walk(|request| {
        let chamber = chamber.clone();
        async move {
            let s = checks::registry_flags_page(db, &chamber, &request)
                .await
                .expect("page");
            (
                s.items.iter().map(|f| f.id.clone()).collect(),
                s.previous,
                s.next,
            )
        }
    })
    .await;
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        own.iter().collect::<HashSet<_>>()
    );
    // A crafted cursor: the key of another chamber's flag, forwards and back.
    let crafted = Key::new("2026-11-03T05:00:00.000000Z", other[0].clone());
    for cursor in [
        Cursor::After(crafted.clone()),
        Cursor::Before(crafted.clone()),
    ] {
        let s = checks::registry_flags_page(db, &chamber, &Keyset { cursor, size: 50 })
            .await
            .expect("page");
        assert!(s.items.iter().all(|f| own.contains(&f.id)));
    }
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (status, page) = master
        .get(&format!("/ra/checks?after={}", crafted.token()))
        .await;
    assert!(status.is_success(), "{status}");
    assert!(
        !page.contains("OPERATORE 0002"),
        "another chamber's operator"
    );
    assert!(!flag_lines(&page).is_empty());
}

/// `count` waiting requests of `chamber`, two per operator (a letter and a notice), at three
/// instants only.
async fn waiting_requests(
    app: &TestApp,
    chamber: &str,
    first_op: u64,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut op = String::new();
    for i in 0..count {
        if i % 2 == 0 {
            op = operator_row(app, chamber, first_op + (i / 2) as u64, "new", None, None).await;
        }
        let id = format!("req-{chamber}-{i:04}");
        sqlx::query(
            "INSERT INTO ra_signature_requests (id, chamber_id, operator_id, kind, state, \
             filename, blob, size_bytes, prepared_by, prepared_at) \
             VALUES ($1, $2, $3, $4, 'waiting', 'lettera.pdf', 'blob', 10, 'Ufficio', $5)",
        )
        .bind(&id)
        .bind(chamber)
        .bind(&op)
        .bind(if i % 2 == 0 {
            "mandate_letter"
        } else {
            "revocation_notice"
        })
        .bind(format!("2026-11-0{}T05:00:00.000000Z", 1 + i % 3))
        .execute(app.state.db.pool())
        .await
        .expect("request");
        ids.push(id);
    }
    ids
}

async fn manager_principal(app: &TestApp) -> sportello_core::accounts::Principal {
    let id = user_id(app, Role::Manager).await;
    sportello_core::accounts::load_principal(&app.state, &id, None)
        .await
        .expect("principal")
        .expect("the Manager")
}

/// The Manager's queue: oldest first, 50 a page; across pages every waiting request of the
/// chamber is shown once, even where many share one instant, never another chamber's, not
/// even from a cursor made of one of them.
async fn the_managers_queue_pages_through_equal_instants_without_loss_or_repeat(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    other_chamber(&app).await;
    let chamber = chamber_of(&app, Role::Manager).await;
    let own = waiting_requests(&app, &chamber, 100, 121).await;
    let other = waiting_requests(&app, OTHER_CHAMBER, 500, 20).await;
    let p = manager_principal(&app).await;
    let db = &app.state.db;
    let (seen, pages) = walk(|request| {
        let p = p.clone();
        async move {
            let s = manager::queue(db, &p, &request).await.expect("page");
            (
                s.items.iter().map(|r| r.id.clone()).collect(),
                s.previous,
                s.next,
            )
        }
    })
    .await;
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), own.len(), "no request lost or repeated");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        own.iter().collect::<HashSet<_>>()
    );
    // Oldest first, ties by id.
    let mut expected = own.clone();
    let at = |id: &String| {
        let i: usize = id
            .rsplit('-')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        1 + i % 3
    };
    expected.sort_by(|a, b| at(a).cmp(&at(b)).then(a.cmp(b)));
    assert_eq!(seen, expected);
    let crafted = Key::new("2026-11-01T05:00:00.000000Z", other[0].clone());
    for cursor in [
        Cursor::After(crafted.clone()),
        Cursor::Before(crafted.clone()),
    ] {
        let s = manager::queue(db, &p, &Keyset { cursor, size: 50 })
            .await
            .expect("page");
        assert!(s.items.iter().all(|r| own.contains(&r.id)));
    }
    // The page: 50 requests, a link to the next ones, never another chamber's.
    let (email, password) = TestApp::demo_login(Role::Manager);
    let browser = Browser::login(&app, email, password).await;
    let (status, page) = browser.get("/ra/manager").await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        page.matches("data-testid=\"ra-manager-request\"").count(),
        50
    );
    let next = pager_link(&page, "next").expect("a next page");
    let (_, second) = browser.get(&next).await;
    assert_eq!(
        second.matches("data-testid=\"ra-manager-request\"").count(),
        50
    );
    let (_, crafted_page) = browser
        .get(&format!("/ra/manager?after={}", crafted.token()))
        .await;
    for id in &other {
        assert!(!crafted_page.contains(id.as_str()), "{id}");
    }
}

/// The JSON API still answers the queue as an array (its first 50 requests); a `Link`
/// header names the next page, and a cursor that is not one is refused.
async fn the_managers_queue_api_keeps_its_array_and_links_the_next_page(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::Manager).await;
    let own = waiting_requests(&app, &chamber, 100, 61).await;
    let token = token(&app, Role::Manager).await;
    let client = reqwest::Client::new();
    let mut url = app.url("/api/v1/ra/signature-requests");
    let mut seen: Vec<String> = Vec::new();
    let mut pages = 0;
    loop {
        let r = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        assert!(r.status().is_success(), "{}", r.status());
        let link = r
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let body: serde_json::Value = r.json().await.expect("json");
        let items = body.as_array().expect("an array, as before");
        pages += 1;
        if pages == 1 {
            assert_eq!(items.len(), 50);
        }
        seen.extend(
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string)),
        );
        match link {
            Some(l) => {
                assert!(l.ends_with("; rel=\"next\""), "{l}");
                let path = l.trim_start_matches('<').split('>').next().expect("target");
                url = app.url(path);
            }
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen.len(), own.len());
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        own.iter().collect::<HashSet<_>>()
    );
    let r = client
        .get(app.url("/api/v1/ra/signature-requests?after=not-a-cursor!"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
}
