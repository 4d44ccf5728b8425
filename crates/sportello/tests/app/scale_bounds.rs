//! Issue 14, item 5, the last unbounded pages: the desk page's counts per status, the
//! devices page's RAO picker and operator names (the company users a chamber administrator
//! manages: `managed_users.rs`). Each statement's plan is asked of the engine (see
//! `scale.rs`) and must read one bounded range of its index, with no full scan or sort; the
//! pages are then checked for what a person reads.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{chamber_of, user_id, without_capped_scan};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::paging::{COUNT_CAP, reads_by_index};
use sportello_core::ra::operator::{self, OperatorKind};
use sportello_core::trade::desk::{self, COUNTED_STATUSES, InboxFilter};

engine_tests!(
    the_desk_page_counts_read_a_bounded_range_of_an_index,
    the_desk_page_says_more_than_the_cap_past_it,
    the_withdrawal_picker_reads_a_bounded_range_of_an_index,
    the_withdrawal_picker_offers_the_raos_found_by_name,
    the_devices_page_reads_its_latest_withdrawals_and_reports_by_index,
);

/// Issue 14: the desk page's counts per open status read, each, at most
/// [`COUNT_CAP`] + 1 rows of the inbox's own ranges of `practices_desk_inbox`.
async fn the_desk_page_counts_read_a_bounded_range_of_an_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let officer = user_id(&app, Role::Officer).await;
    for status in COUNTED_STATUSES {
        let f = InboxFilter {
            status: status.into(),
            ..InboxFilter::default()
        };
        let plans = desk::inbox_count_plans(&app.state.db, &officer, &f)
            .await
            .expect("plans");
        assert!(!plans.is_empty(), "{status}: no statement planned");
        for plan in plans {
            assert!(
                engine == Engine::Sqlite
                    || plan
                        .iter()
                        .any(|l| l.contains("LIMIT") || l.contains("Limit")),
                "{status}: no limit\n{}",
                plan.join("\n")
            );
            if let Err(problem) = reads_by_index(
                &without_capped_scan(plan),
                "practices",
                "practices_desk_inbox",
            ) {
                panic!("{status} count: {problem}");
            }
        }
    }
}

/// Copies practice `id` `n` times with new ids (and no protocol number), in its status.
async fn copy_practice(app: &TestApp, id: &str, n: usize) {
    use sqlx::{Column, Row};
    let row = sqlx::query("SELECT * FROM practices WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .expect("the practice");
    let columns: Vec<String> = row.columns().iter().map(|c| c.name().to_string()).collect();
    let values: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "id" => "$2".to_string(),
            "protocol_number" => "NULL".to_string(),
            other => other.to_string(),
        })
        .collect();
    let sql = format!(
        "INSERT INTO practices ({}) SELECT {} FROM practices WHERE id = $1",
        columns.join(", "),
        values.join(", ")
    );
    let mut tx = app.state.db.pool().begin().await.expect("begin");
    for i in 0..n {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .bind(format!("{id}-copy-{i:05}"))
            .execute(&mut *tx)
            .await
            .expect("copy");
    }
    tx.commit().await.expect("commit");
}

/// The numbers shown in the desk page's counts, as text, in order.
fn shown_counts(html: &str) -> Vec<String> {
    let Some(start) = html.find("data-testid=\"counts\"") else {
        panic!("no counts on the desk page:\n{html}");
    };
    let list = &html[start..];
    let list = &list[..list.find("</ul>").unwrap_or(list.len())];
    list.split("<strong>")
        .skip(1)
        .filter_map(|s| s.split("</strong>").next())
        .map(str::to_string)
        .collect()
}

/// Issue 14: past [`COUNT_CAP`] the desk page says "più di 999", as the home page does, and
/// counts below it stay exact.
async fn the_desk_page_says_more_than_the_cap_past_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (_, id) = crate::desk::sent_practice(&app).await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let (_, page) = officer.get("/desk").await;
    assert_eq!(shown_counts(&page), vec!["1".to_string()]);
    let cap = usize::try_from(COUNT_CAP).expect("cap");
    copy_practice(&app, &id, cap - 1).await;
    let (_, page) = officer.get("/desk").await;
    assert_eq!(shown_counts(&page), vec![COUNT_CAP.to_string()]);
    copy_practice(&app, &format!("{id}-copy-00000"), 1).await;
    let (_, page) = officer.get("/desk").await;
    assert_eq!(shown_counts(&page), vec![format!("più di {COUNT_CAP}")]);
    // The list itself still pages through every one of them.
    assert!(page.contains("rel=\"next\""), "a next page");
}

/// Issue 14: the RAOs the devices page offers for a withdrawal are one bounded range of
/// `ra_operators_chamber_kind_name`, not every operator of the chamber.
async fn the_withdrawal_picker_reads_a_bounded_range_of_an_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    for starting in ["", "Rossi"] {
        let plan = operator::of_kind_plan(&app.state.db, &chamber, OperatorKind::Rao, starting)
            .await
            .expect("plan");
        if let Err(problem) =
            reads_by_index(&plan, "ra_operators", "ra_operators_chamber_kind_name")
        {
            panic!("{starting:?}: {problem}");
        }
    }
}

/// The option labels of the withdrawal form's operator select.
fn offered(html: &str) -> Vec<String> {
    let Some(start) = html.find("id=\"operator_id\" name=\"operator_id\"") else {
        panic!("no withdrawal picker:\n{html}");
    };
    let select = &html[start..];
    let select = &select[..select.find("</select>").unwrap_or(select.len())];
    select
        .split("<option")
        .skip(1)
        .filter_map(|o| o.split('>').nth(1))
        .filter_map(|o| o.split('<').next())
        .map(str::to_string)
        .collect()
}

/// The devices page offers the RAOs whose name starts with what was searched, in any case,
/// and says when nothing matches rather than offering everyone.
async fn the_withdrawal_picker_offers_the_raos_found_by_name(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (status, page) = master.get("/devices").await;
    assert!(status.is_success(), "{status}");
    let all = offered(&page);
    let first = all.first().expect("a RAO offered").clone();
    let search: String = first.chars().take(3).collect::<String>().to_lowercase();
    let (_, found) = master
        .get(&format!("/devices?rao={}", urlencoding(&search)))
        .await;
    let narrowed = offered(&found);
    assert!(narrowed.contains(&first), "{narrowed:?}");
    assert!(
        narrowed
            .iter()
            .all(|n| n.to_lowercase().starts_with(&search)),
        "{narrowed:?}"
    );
    assert!(found.contains("data-testid=\"rao-search\""));
    let (_, none) = master.get("/devices?rao=zzzz").await;
    assert!(offered(&none).is_empty());
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Issue 14: the devices page's withdrawals and write-off reports (pending first, then the
/// latest) are two ranges of at most 50 rows each, newest first, never a sort of the
/// chamber's whole history.
async fn the_devices_page_reads_its_latest_withdrawals_and_reports_by_index(engine: Engine) {
    use sportello_core::devices::{withdrawal, write_off};
    use sportello_core::paging::{PlanLine, explain, plan};
    let app = TestApp::spawn(engine).await;
    // (statement, table, its index, and for the pending ones the chamber's range by date,
    // which PostgreSQL may prefer on an empty table: see below)
    let cases = [
        (
            withdrawal::RECENT_SQL[0],
            "dev_withdrawals",
            "dev_withdrawals_chamber_status_requested",
            Some("dev_withdrawals_chamber_requested"),
        ),
        (
            withdrawal::RECENT_SQL[1],
            "dev_withdrawals",
            "dev_withdrawals_chamber_requested",
            None,
        ),
        (
            write_off::RECENT_SQL[0],
            "dev_write_offs",
            "dev_write_offs_status",
            Some("dev_write_offs_chamber_requested"),
        ),
        (
            write_off::RECENT_SQL[1],
            "dev_write_offs",
            "dev_write_offs_chamber_requested",
            None,
        ),
    ];
    for (sql, table, index, by_date) in cases {
        let sql = format!("{}{sql}", explain(&app.state.db));
        let lines = plan(
            &app.state.db,
            sqlx::query_as::<_, PlanLine>(sqlx::AssertSqlSafe(sql)).bind("chamber"),
        )
        .await
        .expect("plan");
        // On an empty table PostgreSQL may read the pending withdrawals from the chamber's
        // range by date, filtering the status (the same order, no sort); with the statistics
        // of a real table, where few are pending, it reads the status range.
        let pending_by_date = engine == Engine::Postgres
            && by_date.is_some_and(|other| reads_by_index(&lines, table, other).is_ok());
        if pending_by_date {
            continue;
        }
        if let Err(problem) = reads_by_index(&lines, table, index) {
            panic!("{index}: {problem}");
        }
    }
}
