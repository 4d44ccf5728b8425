//! Lists that can grow are read a page at a time by keyset (previous and next pages, each
//! link naming the row it starts from), with their filters kept in the page links; a bad
//! cursor never fails the page. Each role's
//! home page counts the work waiting with the same scope as the list it links to.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{Erp, LIGURE, other_company_user, ready_practice};
use reqwest::StatusCode;
use sportello_core::accounts::{NewUser, Role};
use sportello_core::audit::{self, Actor, Change};
use sportello_core::db::Engine;

engine_tests!(
    the_devices_list_counts_every_device_and_pages_through_them,
    the_audit_list_is_paged_within_the_chamber_and_keeps_its_filters,
    the_practice_list_is_paged_and_its_links_keep_the_tab_and_the_search,
    a_company_home_counts_only_what_its_lists_show,
    a_home_count_stops_reading_past_999,
    an_officer_home_counts_only_the_practices_of_their_desks,
    the_registration_authority_home_links_each_count_to_its_list,
);

async fn browser(app: &TestApp, role: Role) -> Browser {
    let (email, password) = TestApp::demo_login(role);
    Browser::login(app, email, password).await
}

/// The page at `path`, with `&` in attributes written as `&amp;` whichever way the template
/// escaped it.
async fn page(b: &Browser, path: &str) -> String {
    let (status, body) = b.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body.replace("&#38;", "&amp;")
}

/// The rows of the table marked `data-testid="{test_id}"`.
fn rows(html: &str, test_id: &str) -> usize {
    let start = html
        .find(&format!("data-testid=\"{test_id}\""))
        .unwrap_or_else(|| panic!("no table {test_id}"));
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.matches("<tr").count()
}

/// How many practices a list page shows: rows whose first cell links to `prefix`.
fn listed(html: &str, prefix: &str) -> i64 {
    let marker = format!("<td><a href=\"{prefix}");
    let mut ids: Vec<&str> = html
        .split(marker.as_str())
        .skip(1)
        .filter_map(|rest| rest.split(['/', '"']).next())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len() as i64
}

/// The body of the table marked `data-testid="{test_id}"`, to compare two pages' rows.
fn tbody(html: &str, test_id: &str) -> String {
    let start = html
        .find(&format!("data-testid=\"{test_id}\""))
        .unwrap_or_else(|| panic!("no table {test_id}"));
    let table = &html[start..];
    table[..table.find("</table>").unwrap()].to_string()
}

/// The page link marked `rel` (`next`, `prev`), as a path.
fn link(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let before = &html[..at];
    let start = before.rfind("href=\"")? + 6;
    let end = start + before[start..].find('"')?;
    Some(before[start..end].replace("&amp;", "&"))
}

async fn scalar(app: &TestApp, sql: &'static str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn demo_chamber(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT chamber_id FROM users WHERE email = $1")
        .bind(TestApp::demo_login(Role::MasterRao).0)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn the_devices_list_counts_every_device_and_pages_through_them(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = demo_chamber(&app).await;
    // A delivery of 600 more smart cards from the Certification Authority.
    let mut csv = String::from("seriale;tipo;lotto\n");
    for i in 0..600 {
        csv.push_str(&format!("7420000001{i:06};SMART CARD;L-2026-12\n"));
    }
    let mut tx = app.state.db.begin().await.unwrap();
    sportello_core::devices::delivery::import(
        &mut tx,
        app.state.clock.now(),
        app.state.clock.today(),
        &Actor::cli(),
        &chamber,
        "consegna.csv",
        csv.as_bytes(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let total = scalar(
        &app,
        "SELECT COUNT(*) FROM dev_devices WHERE chamber_id = $1",
        &chamber,
    )
    .await;
    assert!(total > 200, "several pages of devices");
    let master = browser(&app, Role::MasterRao).await;

    let first = page(&master, "/devices").await;
    assert_eq!(rows(&first, "devices"), 100);
    assert!(
        first.contains(
            r#"<nav class="pagination-wrapper pagination-total" aria-label="Pagine dell"#
        )
    );
    assert!(first.contains(r#"href="/devices?after="#));
    assert!(link(&first, "prev").is_none());

    // Page after page to the end, every device once.
    let mut seen = rows(&first, "devices") as i64;
    let mut at = first.clone();
    let mut second = None;
    while let Some(next) = link(&at, "next") {
        at = page(&master, &next).await;
        assert!(link(&at, "prev").is_some());
        seen += rows(&at, "devices") as i64;
        second.get_or_insert(at.clone());
    }
    assert_eq!(seen, total, "the pages hold every device");
    let second = second.expect("a second page");
    let back = page(&master, &link(&second, "prev").expect("prev")).await;
    assert_eq!(
        tbody(&back, "devices"),
        tbody(&first, "devices"),
        "the previous page of the second is the first"
    );

    // A cursor that is not one is the first page.
    for bad in ["", "0", "due", "%20", "bm8gbmV3bGluZQ"] {
        let html = page(&master, &format!("/devices?after={bad}")).await;
        assert_eq!(rows(&html, "devices"), 100, "after={bad}");
        assert!(link(&html, "prev").is_none(), "after={bad}");
    }

    // The filter stays in every page link.
    let (state, in_state): (String, i64) = sqlx::query_as(
        "SELECT state, COUNT(*) FROM dev_devices WHERE chamber_id = $1 \
         GROUP BY state ORDER BY COUNT(*) DESC, state LIMIT 1",
    )
    .bind(&chamber)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let filtered = page(&master, &format!("/devices?state={state}")).await;
    assert_eq!(rows(&filtered, "devices") as i64, in_state.min(100));
    if in_state > 100 {
        assert!(filtered.contains(&format!(r#"href="/devices?state={state}&amp;after="#)));
    }
    // A serial number finds its one device.
    let serial: String =
        sqlx::query_scalar("SELECT serial FROM dev_devices WHERE chamber_id = $1 LIMIT 1")
            .bind(&chamber)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let one = page(&master, &format!("/devices?serial={serial}")).await;
    assert_eq!(rows(&one, "devices"), 1);
    assert!(one.contains(&format!(r#"value="{serial}""#)));
}

async fn the_audit_list_is_paged_within_the_chamber_and_keeps_its_filters(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = demo_chamber(&app).await;
    let mut tx = app.state.db.begin().await.unwrap();
    for (n, chamber_id) in (0..125).map(|n| (n, Some(chamber.clone()))).chain(
        // Another chamber's entries are never counted nor shown here.
        (0..7).map(|n| (n, Some("another-chamber".to_string()))),
    ) {
        let actor = Actor {
            user_id: None,
            label: "paging@test".into(),
            chamber_id,
            intermediary_id: None,
        };
        let id = format!("thing-{n}");
        audit::record(
            &mut tx,
            app.state.clock.now(),
            &actor,
            Change::new("test.paged", "thing", Some(&id)),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let auditor = browser(&app, Role::Auditor).await;

    let first = page(&auditor, "/audit?action=test.paged").await;
    assert_eq!(rows(&first, "audit-results"), 50);
    assert!(first.contains(r#"href="/audit?action=test.paged&amp;after="#));
    let second = page(&auditor, &link(&first, "next").expect("page 2")).await;
    assert_eq!(rows(&second, "audit-results"), 50);
    let last = page(&auditor, &link(&second, "next").expect("page 3")).await;
    assert_eq!(
        rows(&last, "audit-results"),
        25,
        "the other chamber's 7 are not here"
    );
    assert!(link(&last, "next").is_none());
    let back = page(&auditor, &link(&last, "prev").expect("back")).await;
    assert_eq!(
        tbody(&back, "audit-results"),
        tbody(&second, "audit-results")
    );
    let text = page(&auditor, "/audit?action=test.paged&after=tre").await;
    assert_eq!(
        tbody(&text, "audit-results"),
        tbody(&first, "audit-results"),
        "a bad cursor is the first page"
    );
    // Two filters together stay in the links.
    let both = page(&auditor, "/audit?action=test.paged&actor=paging@test").await;
    assert!(both.contains(r#"href="/audit?actor=paging%40test&amp;action=test.paged&amp;after="#));
    let none = page(&auditor, "/audit?action=nothing.like.this").await;
    assert!(!none.contains("data-testid=\"pager\""));
}

/// Copies the draft `id` into `n` more drafts of the same company.
async fn copies_of_draft(app: &TestApp, id: &str, n: usize) {
    let schema = sportello_core::db::schema::read(&app.state.db)
        .await
        .unwrap();
    let columns = schema.tables["practices"]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|c| *c != "id")
        .collect::<Vec<_>>()
        .join(", ");
    let mut tx = app.state.db.begin().await.unwrap();
    for _ in 0..n {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO practices (id, {columns}) SELECT $1, {columns} FROM practices WHERE id = $2"
        )))
        .bind(sportello_core::db::new_id())
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn the_practice_list_is_paged_and_its_links_keep_the_tab_and_the_search(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let draft = ready_practice(&erp, &[]).await;
    copies_of_draft(&app, &draft, 24).await;
    let company = browser(&app, Role::Company).await;

    let first = page(&company, "/practices?list=to_send").await;
    assert_eq!(rows(&first, "practice-list"), 20);
    assert!(first.contains(r#"href="/practices?list=to_send&amp;after="#));
    let second = page(&company, &link(&first, "next").expect("page 2")).await;
    assert_eq!(
        rows(&second, "practice-list"),
        5,
        "copies made at one instant page by id"
    );
    assert!(link(&second, "next").is_none());
    let beyond = page(&company, "/practices?list=to_send&after=-3").await;
    assert_eq!(
        tbody(&beyond, "practice-list"),
        tbody(&first, "practice-list")
    );
    // The search is kept in the links: a consignee every copy shares.
    let searched = page(&company, "/practices?list=to_send&consignee=acme").await;
    assert_eq!(rows(&searched, "practice-list"), 20);
    assert!(searched.contains(r#"href="/practices?list=to_send&amp;consignee=acme&amp;after="#));
    // Nothing sent yet.
    let sent = page(&company, "/practices?list=sent").await;
    assert!(!sent.contains("data-testid=\"pager\""));

    // The API pages the same list by cursor: follow `next` to the end.
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/practices?list=to_send&per_page=10".to_string());
    let mut pages = 0;
    while let Some(url) = next {
        let api = erp.get_json(&url).await;
        pages += 1;
        for item in api["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        next = api["next"].as_str().map(str::to_string);
        if let Some(n) = &next {
            assert!(
                n.contains("list=to_send") && n.contains("per_page=10"),
                "{n}"
            );
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25, "no practice twice");
    // A cursor that is not one is refused, not read as the first page.
    let r = erp
        .get("/api/v1/practices?list=to_send&after=-3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The number on the home page's card `test_id`.
fn home_count(html: &str, test_id: &str) -> i64 {
    let at = html
        .find(&format!("data-testid=\"{test_id}\""))
        .unwrap_or_else(|| panic!("no card {test_id}"));
    let rest = &html[at..];
    let at = rest.find("data-count=\"").unwrap() + "data-count=\"".len();
    rest[at..][..rest[at..].find('"').unwrap()].parse().unwrap()
}

/// The link of the home page's card `test_id`.
fn home_link(html: &str, test_id: &str) -> String {
    let at = html
        .find(&format!("data-testid=\"{test_id}\""))
        .unwrap_or_else(|| panic!("no card {test_id}"));
    let before = &html[..at];
    let href = before.rfind("href=\"").unwrap() + "href=\"".len();
    before[href..][..before[href..].find('"').unwrap()].replace("&amp;", "&")
}

async fn a_company_home_counts_only_what_its_lists_show(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let draft = ready_practice(&erp, &[]).await;
    copies_of_draft(&app, &draft, 2).await;
    let sent = ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{sent}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let company = browser(&app, Role::Company).await;
    let home = page(&company, "/").await;
    assert!(home.contains("Il lavoro in attesa"));
    for (card, count) in [
        ("home-company-drafts", 3),
        ("home-company-to-rectify", 0),
        ("home-company-sent", 1),
    ] {
        assert_eq!(home_count(&home, card), count, "{card}");
        // The list the card links to shows as many.
        let list = page(&company, &home_link(&home, card)).await;
        assert_eq!(listed(&list, "/practices/"), count, "{card}");
    }
    // Another company's user counts none of them, and its lists show none.
    other_company_user(&app).await;
    let other = Browser::login(&app, "export@tigullio.test", "tigullio-password").await;
    let home = page(&other, "/").await;
    assert_eq!(home_count(&home, "home-company-drafts"), 0);
    assert_eq!(home_count(&home, "home-company-sent"), 0);
    let list = page(&other, "/practices?list=to_send").await;
    assert_eq!(listed(&list, "/practices/"), 0);
}

/// Issue 14: a home-page count reads at most a thousand rows; past 999 it says so.
async fn a_home_count_stops_reading_past_999(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let draft = ready_practice(&erp, &[]).await;
    copies_of_draft(&app, &draft, 998).await;
    let company = browser(&app, Role::Company).await;
    let home = page(&company, "/").await;
    assert_eq!(home_count(&home, "home-company-drafts"), 999);
    assert!(!home.contains("più di 999"));
    copies_of_draft(&app, &draft, 5).await;
    let home = page(&company, "/").await;
    assert_eq!(home_count(&home, "home-company-drafts"), 1000);
    assert!(home.contains(">più di 999</span>"), "{home}");
}

async fn an_officer_home_counts_only_the_practices_of_their_desks(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = ready_practice(&erp, &[]).await;
        let r = erp
            .post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        ids.push(id);
    }
    let api_officer = Erp::demo(&app, Role::Officer).await;
    let r = api_officer
        .post(&format!("/api/v1/practices/{}/take", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let officer = browser(&app, Role::Officer).await;
    let home = page(&officer, "/").await;
    for (card, count, list) in [
        ("home-officer-to-review", 2, "/desk?status=sent"),
        (
            "home-officer-taken-count",
            1,
            "/desk?status=in_review&taken=me",
        ),
        ("home-officer-rectifying", 0, "/desk?status=to_rectify"),
    ] {
        assert_eq!(home_count(&home, card), count, "{card}");
        assert_eq!(home_link(&home, card), list);
        let html = page(&officer, list).await;
        assert_eq!(listed(&html, "/desk/practices/"), count, "{card}");
    }

    // An officer of another desk counts none of them, as their inbox shows none; and a
    // second officer of the same desk does not count the practice the first one took.
    let chamber = demo_chamber(&app).await;
    for (email, desk_code) in [
        ("chiavari@ge.camcom.test", "GE-CHIAVARI"),
        ("secondo@ge.camcom.test", "GE-GENOVA"),
    ] {
        let desk = sportello_core::chambers::find_desk_by_code(&app.state.db, desk_code)
            .await
            .unwrap()
            .unwrap();
        sportello_core::accounts::create_user(
            &app.state,
            &Actor::cli(),
            NewUser {
                email: email.into(),
                name: "Altro Funzionario".into(),
                password: "funzionario-pass".into(),
                role: Role::Officer,
                chamber_id: Some(chamber.clone()),
                desk_ids: vec![desk.id],
                company_ids: Vec::new(),
                tax_code: None,
            },
        )
        .await
        .unwrap();
    }
    let chiavari = Browser::login(&app, "chiavari@ge.camcom.test", "funzionario-pass").await;
    let home = page(&chiavari, "/").await;
    assert_eq!(home_count(&home, "home-officer-to-review"), 0);
    assert_eq!(home_count(&home, "home-officer-taken-count"), 0);
    assert_eq!(
        listed(&page(&chiavari, "/desk").await, "/desk/practices/"),
        0
    );
    let second = Browser::login(&app, "secondo@ge.camcom.test", "funzionario-pass").await;
    let home = page(&second, "/").await;
    assert_eq!(home_count(&home, "home-officer-to-review"), 2);
    assert_eq!(home_count(&home, "home-officer-taken-count"), 0);
    let taken = page(&second, "/desk?status=in_review&taken=me").await;
    assert_eq!(listed(&taken, "/desk/practices/"), 0);
}

async fn the_registration_authority_home_links_each_count_to_its_list(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let master = browser(&app, Role::MasterRao).await;
    let home = page(&master, "/").await;
    assert!(home.contains("data-testid=\"work-waiting\""));
    assert_eq!(
        home_link(&home, "home-ra-mandates"),
        "/ra/operators?mandate=expiring"
    );
    let expiring = home_count(&home, "home-ra-mandates");
    // The list is read by keyset (issue 14): its first page shows as many, with no next page.
    let list = page(&master, "/ra/operators?mandate=expiring").await;
    assert_eq!(listed(&list, "/ra/operators/"), expiring);
    assert!(link(&list, "next").is_none());
    let all = page(&master, "/ra/operators").await;
    assert!(listed(&all, "/ra/operators/") >= expiring);
    assert_eq!(
        home_link(&home, "home-ra-withdrawals"),
        "/devices#withdrawals"
    );
    assert_eq!(
        home_link(&home, "home-ra-write-offs"),
        "/devices#write-offs"
    );
    assert!(home.contains("href=\"/appointments?desk="));
    // A chamber administrator's home counts the users of their list.
    let admin = browser(&app, Role::ChamberAdmin).await;
    let home = page(&admin, "/").await;
    let users = home_count(&home, "home-admin-users");
    let list = page(&admin, "/admin/users").await;
    assert_eq!(listed(&list, "/admin/users/"), users);
    assert!(link(&list, "next").is_none());
    // The manager's home lists no work.
    let manager = browser(&app, Role::Manager).await;
    assert!(
        !page(&manager, "/")
            .await
            .contains("data-testid=\"work-waiting\"")
    );
}
