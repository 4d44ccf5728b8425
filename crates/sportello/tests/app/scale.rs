//! Issue 14, item 5: with millions of practices every list is read a page at a time through
//! an index. Each test asks the engine for the plan of the real statement a list runs, on
//! the first page and on a page deep in the list (after a keyset cursor), and requires the
//! list's index and no full scan or sort of the big table (on PostgreSQL with sequential
//! scans and sorts discouraged, since a test table is small enough to read whole). The last
//! test runs the scale generator on a small N and turns pages of the generated lists, so the
//! generator and the bench cannot rot.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::plan_setup::{chamber_of, pager_link, user_id, without_capped_scan};
use reqwest::StatusCode;
use sportello_core::accounts::{Role, offboarding};
use sportello_core::audit::{self, AuditQuery};
use sportello_core::db::Engine;
use sportello_core::devices::inventory;
use sportello_core::devices::state::DeviceState;
use sportello_core::paging::{Key, reads_by_index};
use sportello_core::ra::operator::{self, ListFilter};
use sportello_core::trade::desk::{self, InboxFilter, certificate, verify};
use sportello_core::trade::practice::lists::{self, ListKind, Search};
use std::path::Path;
use tokio::process::Command;

engine_tests!(
    the_company_lists_are_read_by_index_a_page_at_a_time,
    the_desk_inbox_is_read_by_index_a_page_at_a_time,
    the_home_counts_read_a_bounded_range_of_an_index,
    the_audit_search_is_read_by_index_a_page_at_a_time,
    the_devices_list_is_read_by_index_a_page_at_a_time,
    the_wallet_ledger_is_read_by_index_a_page_at_a_time,
    the_operators_list_is_read_by_index_a_page_at_a_time,
    the_managed_users_are_read_by_index_a_page_at_a_time,
    the_dashboard_reads_only_its_period_by_index,
    a_certificate_is_verified_by_one_probe_of_the_number_index,
    the_scale_generator_fills_a_database_whose_pages_turn,
);

fn deep_key() -> Key {
    Key::new(
        "2026-06-01T10:00:00.000000Z",
        "0190ffff-ffff-7fff-8fff-ffffffffffff",
    )
}

fn assert_each(plans: &[Vec<String>], index: &str, what: &str) {
    assert!(!plans.is_empty(), "{what}: no statement planned");
    for plan in plans {
        if let Err(problem) = reads_by_index(plan, "practices", index) {
            panic!("{what}: {problem}");
        }
    }
}

async fn the_company_lists_are_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // The lists read the principal's companies, computed once (issue 15).
    let company = sportello_core::accounts::load_principal(
        &app.state,
        &user_id(&app, Role::Company).await,
        None,
    )
    .await
    .expect("principal")
    .expect("demo company user")
    .company_ids;
    let now = app.state.clock.now();
    let key = deep_key();
    let searched = Search {
        consignee: "acme".into(),
        from: "2025-01-01".into(),
        to: "2026-12-31".into(),
        ..Search::default()
    };
    for kind in ListKind::ALL {
        let index = if kind == ListKind::ToSend {
            "practices_company_drafts"
        } else {
            "practices_company_list"
        };
        for (search, what) in [(Search::default(), "plain"), (searched.clone(), "searched")] {
            for from in [None, Some(&key)] {
                let plans = lists::plans(&app.state.db, &company, kind, &search, now, from)
                    .await
                    .expect("plans");
                assert_each(&plans, index, &format!("{kind:?} {what} {from:?}"));
            }
        }
    }
}

async fn the_desk_inbox_is_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let officer = user_id(&app, Role::Officer).await;
    let key = deep_key();
    for status in ["", "sent", "in_review", "to_rectify", "closed"] {
        let filters = [
            InboxFilter {
                status: status.into(),
                ..InboxFilter::default()
            },
            InboxFilter {
                status: status.into(),
                company: "rossi".into(),
                practice_type: "certificate_of_origin".into(),
                from: "2024-01-01".into(),
                taken: "me".into(),
                ..InboxFilter::default()
            },
        ];
        for f in &filters {
            for from in [None, Some(&key)] {
                let plans = desk::inbox_plans(&app.state.db, &officer, f, from)
                    .await
                    .expect("plans");
                assert_each(&plans, "practices_desk_inbox", &format!("{f:?} {from:?}"));
            }
        }
    }
}

/// Each capped count's plan without its own bounded scan (see [`without_capped_scan`]).
fn without_capped_scans(plans: Vec<Vec<String>>) -> Vec<Vec<String>> {
    plans.into_iter().map(without_capped_scan).collect()
}

async fn the_home_counts_read_a_bounded_range_of_an_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let company = sportello_core::accounts::load_principal(
        &app.state,
        &user_id(&app, Role::Company).await,
        None,
    )
    .await
    .expect("principal")
    .expect("demo company user")
    .company_ids;
    let now = app.state.clock.now();
    for (kind, index) in [
        (ListKind::ToSend, "practices_company_drafts"),
        (ListKind::ToRectify, "practices_company_list"),
        (ListKind::Sent, "practices_company_list"),
    ] {
        let plans = lists::summary_plans(&app.state.db, &company, kind, now)
            .await
            .expect("plans");
        for plan in &plans {
            assert!(
                plan.iter()
                    .any(|l| l.contains("LIMIT") || l.contains("Limit"))
                    || engine == Engine::Sqlite,
                "{kind:?}: no limit\n{}",
                plan.join("\n")
            );
        }
        assert_each(
            &without_capped_scans(plans),
            index,
            &format!("{kind:?} count"),
        );
    }
    let officer = user_id(&app, Role::Officer).await;
    for (status, taken) in [("sent", ""), ("in_review", "me"), ("to_rectify", "")] {
        let f = InboxFilter {
            status: status.into(),
            taken: taken.into(),
            ..InboxFilter::default()
        };
        let plans = desk::inbox_count_plans(&app.state.db, &officer, &f)
            .await
            .expect("plans");
        assert_each(
            &without_capped_scans(plans),
            "practices_desk_inbox",
            &format!("{f:?} count"),
        );
    }
}

async fn the_audit_search_is_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber: String = sqlx::query_scalar("SELECT id FROM chambers ORDER BY code LIMIT 1")
        .fetch_one(app.state.db.pool())
        .await
        .expect("chamber");
    let key = Key::new(format!("{:020}", 1_000_000), format!("{:020}", 1_000_000));
    let queries = [
        AuditQuery {
            chamber_id: Some(chamber.clone()),
            ..AuditQuery::default()
        },
        AuditQuery {
            chamber_id: Some(chamber.clone()),
            action: Some("practice.approve".into()),
            from: Some("2025-01-01".into()),
            ..AuditQuery::default()
        },
    ];
    for q in &queries {
        for from in [None, Some(&key)] {
            let plan = audit::search_plan(&app.state.db, q, from)
                .await
                .expect("plan");
            if let Err(problem) = reads_by_index(&plan, "audit_log", "audit_chamber_seq") {
                panic!("{q:?} {from:?}: {problem}");
            }
        }
    }
}

async fn the_devices_list_is_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let key = Key::new("7420000001000300", "7420000001000300");
    // The whole chamber by serial: its UNIQUE (chamber_id, serial) index, named by the engine.
    let unique = match engine {
        Engine::Sqlite => "sqlite_autoindex_dev_devices_2",
        Engine::Postgres => "dev_devices_chamber_id_serial_key",
    };
    for (state, index) in [
        (None, unique),
        (Some(DeviceState::InCabinet), "dev_devices_state_serial"),
    ] {
        for from in [None, Some(&key)] {
            let plan = inventory::page_plan(&app.state.db, &chamber, state, from)
                .await
                .expect("plan");
            if let Err(problem) = reads_by_index(&plan, "dev_devices", index) {
                panic!("{state:?} {from:?}: {problem}");
            }
        }
    }
}

async fn the_wallet_ledger_is_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = deep_key();
    for from in [None, Some(&key)] {
        let plan = sportello_core::wallet::entries_plan(&app.state.db, "company", "chamber", from)
            .await
            .expect("plan");
        if let Err(problem) = reads_by_index(&plan, "wallet_entries", "wallet_entries_ledger") {
            panic!("{from:?}: {problem}");
        }
    }
}

async fn the_operators_list_is_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
    let key = Key::new("MARIO ROSSI", "0190ffff-ffff-7fff-8fff-ffffffffffff");
    let filters = [
        ListFilter::default(),
        ListFilter {
            expiring: Some((day("2026-12-01"), day("2027-01-30"))),
            ..ListFilter::default()
        },
        ListFilter {
            only: Some(vec!["a".into(), "b".into()]),
            ..ListFilter::default()
        },
    ];
    for f in &filters {
        for from in [None, Some(&key)] {
            let plan = operator::page_plan(&app.state.db, &chamber, f, from)
                .await
                .expect("plan");
            if f.only.is_some() {
                // An operator's own subtree: a few ids, each read by the primary key and
                // sorted, never the chamber.
                assert!(
                    !plan
                        .iter()
                        .any(|l| l.trim().starts_with("SCAN ") || l.contains("Seq Scan")),
                    "{f:?} {from:?}: {}",
                    plan.join("\n")
                );
            } else if let Err(problem) =
                reads_by_index(&plan, "ra_operators", "ra_operators_chamber_name")
            {
                panic!("{f:?} {from:?}: {problem}");
            }
        }
    }
}

async fn the_managed_users_are_read_by_index_a_page_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::ChamberAdmin).await;
    let key = Key::new("m@example.it", "0190ffff-ffff-7fff-8fff-ffffffffffff");
    for from in [None, Some(&key)] {
        let plans = offboarding::managed_users_plans(&app.state.db, &chamber, from)
            .await
            .expect("plans");
        // The company users' statement is checked in `managed_users.rs`.
        let [staff, _companies] = plans.as_slice() else {
            panic!("two statements: {plans:?}");
        };
        if let Err(problem) = reads_by_index(staff, "users", "users_chamber_email") {
            panic!("staff {from:?}: {problem}");
        }
    }
}

async fn the_dashboard_reads_only_its_period_by_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
    let plan = sportello_core::trade::dashboard::period_plan(
        &app.state.db,
        "chamber",
        day("2026-11-01"),
        day("2026-11-30"),
    )
    .await
    .expect("plan");
    // The desks are joined by their key; the practices are the period's range.
    if let Err(problem) = reads_by_index(&plan, "practices", "practices_chamber_sent") {
        panic!("{problem}");
    }
}

async fn a_certificate_is_verified_by_one_probe_of_the_number_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let index = match engine {
        Engine::Sqlite => "sqlite_autoindex_certificates_3",
        Engine::Postgres => "certificates_number_key",
    };
    // The verification's one read (with its chamber's name), and the desk's by number.
    let verification = verify::lookup_plan(&app.state.db, "c26ge0000001")
        .await
        .expect("plan");
    let by_number = certificate::by_number_plan(&app.state.db, "c26ge0000001")
        .await
        .expect("plan");
    for plan in [verification, by_number] {
        if let Err(problem) = reads_by_index(&plan, "certificates", index) {
            panic!("{problem}");
        }
    }
}

/// The scale generator's plan file: session tokens by role, certificate numbers and codes.
#[derive(serde::Deserialize)]
struct Plan {
    sessions: std::collections::HashMap<String, String>,
    certificates: Vec<(String, String)>,
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> String {
    let client = reqwest::Client::new();
    let mut req = client.get(app.url(path)).header("Accept-Language", "it");
    if let Some(t) = token {
        req = req.header("Cookie", format!("sp_session={t}"));
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let body = res.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The rows of the first table body on the page.
fn body_rows(html: &str) -> Vec<String> {
    let Some(start) = html.find("<tbody>") else {
        return Vec::new();
    };
    let body = &html[start..];
    let body = &body[..body.find("</tbody>").unwrap_or(body.len())];
    body.split("<tr").skip(1).map(str::to_string).collect()
}

async fn the_scale_generator_fills_a_database_whose_pages_turn(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let plan_file = app.db.dir.path().join("plan.json");
    let target = match engine {
        Engine::Sqlite => (
            "--sqlite",
            app.db.url.trim_start_matches("sqlite://").to_string(),
        ),
        Engine::Postgres => ("--postgres", app.db.url.clone()),
    };
    let out = Command::new("python3")
        .arg(root.join("bench/scale/generate.py"))
        .args([target.0, &target.1, "--practices", "2000", "--plan"])
        .arg(&plan_file)
        .arg("--blobs")
        .arg(app.db.dir.path().join("data/blobs"))
        .output()
        .await
        .expect("python3 runs the generator");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Plan =
        serde_json::from_slice(&std::fs::read(&plan_file).expect("plan")).expect("plan json");
    let practices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(practices, 2000);
    // The generated audit trail is a valid hash chain, as `admin audit verify` checks it.
    let checked = audit::verify_chain(&app.state.db)
        .await
        .expect("read the audit trail")
        .unwrap_or_else(|b| panic!("the generated audit chain breaks: {b}"));
    assert!(checked > 2000, "{checked} audit entries");
    // The generated stock counters say what the generated devices say.
    let differences = sportello_core::devices::stock::differences(&app.state.db)
        .await
        .expect("recount");
    assert!(differences.is_empty(), "{differences:?}");

    // The officer's closed practices: forwards a page, and back to the same first page.
    let officer = plan.sessions.get("officer").map(String::as_str);
    let first = get(&app, officer, "/desk?status=closed").await;
    let next = pager_link(&first, "next").expect("a second page of closed practices");
    assert!(pager_link(&first, "prev").is_none());
    let second = get(&app, officer, &next).await;
    assert_ne!(body_rows(&first), body_rows(&second));
    let back = get(
        &app,
        officer,
        &pager_link(&second, "prev").expect("a previous page"),
    )
    .await;
    assert_eq!(body_rows(&back), body_rows(&first));

    let company = plan.sessions.get("company").map(String::as_str);
    let sent = get(&app, company, "/practices?list=sent").await;
    let later = get(
        &app,
        company,
        &pager_link(&sent, "next").expect("a second page"),
    )
    .await;
    assert!(!body_rows(&later).is_empty());
    get(&app, company, "/practices?list=archive").await;

    let auditor = plan.sessions.get("auditor").map(String::as_str);
    let audit = get(&app, auditor, "/audit").await;
    get(
        &app,
        auditor,
        &pager_link(&audit, "next").expect("older entries"),
    )
    .await;
    get(
        &app,
        plan.sessions.get("master-rao").map(String::as_str),
        "/devices",
    )
    .await;

    let (number, code) = plan.certificates.first().expect("a certificate");
    let verified = get(&app, None, &format!("/verify/{number}?code={code}")).await;
    assert!(verified.contains(number.as_str()), "{verified}");

    // The bench itself, a couple of requests a page.
    let out = Command::new("python3")
        .arg(root.join("bench/scale/bench.py"))
        .args([
            "--base",
            &app.base,
            "--requests",
            "2",
            "--depth",
            "2",
            "--plan",
        ])
        .arg(&plan_file)
        .output()
        .await
        .expect("python3 runs the bench");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
