//! The set-up the plan and paging tests share (`scale.rs`, `scale_bounds.rs`,
//! `device_stock.rs`, `ra_checks_scale.rs`, `ra_archive_scale.rs`…) and the tests of a
//! second chamber (`security_offboarding.rs`, `blank_paper.rs`, `chamber_wallet.rs`): the
//! demo's people, chamber and company, a second chamber and its staff, valid tax codes,
//! the pager's links and the checks of a statement's plan.

use crate::helpers::{Browser, TestApp};
use sportello_core::accounts::{NewUser, Role};
use sportello_core::audit::Actor;
use sportello_core::chambers::{self, ChamberCode};
use sportello_core::paging::reads_by_index;

/// The id of the demo user with `role`.
pub async fn user_id(app: &TestApp, role: Role) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(TestApp::demo_login(role).0)
        .fetch_one(app.state.db.pool())
        .await
        .expect("demo user")
}

/// The chamber of the demo user with `role`.
pub async fn chamber_of(app: &TestApp, role: Role) -> String {
    sqlx::query_scalar("SELECT chamber_id FROM users WHERE email = $1")
        .bind(TestApp::demo_login(role).0)
        .fetch_one(app.state.db.pool())
        .await
        .expect("chamber")
}

/// The id of the chamber with `code` (`"GE"`, the demo's).
pub async fn chamber_id(app: &TestApp, code: &str) -> String {
    chambers::find_chamber_by_code(&app.state.db, code)
        .await
        .expect("chambers")
        .expect("the chamber")
        .id
}

/// The id of the company with `tax_code`.
pub async fn company_id(app: &TestApp, tax_code: &str) -> String {
    sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(tax_code).expect("a tax code"),
    )
    .await
    .expect("companies")
    .expect("the company")
    .id
}

/// Savona (SV), a second chamber beside the demo's Genova, with no desk and no staff.
pub async fn savona(app: &TestApp) -> chambers::Chamber {
    chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &ChamberCode::parse("SV").expect("a chamber code"),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .expect("Savona")
}

/// A new member of staff of `chamber_id` with `role`, signed in.
pub async fn chamber_staff(
    app: &TestApp,
    chamber_id: &str,
    role: Role,
    email: &str,
    name: &str,
) -> Browser {
    const PASSWORD: &str = "password-di-prova";
    sportello_core::accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: email.into(),
            name: name.into(),
            password: PASSWORD.into(),
            role,
            chamber_id: Some(chamber_id.to_string()),
            desk_ids: Vec::new(),
            company_ids: Vec::new(),
            tax_code: None,
        },
    )
    .await
    .expect("a member of staff");
    Browser::login(app, email, PASSWORD).await
}

/// A valid entity tax code (11 digits, the last the Luhn check digit) of the number `n`
/// (below ten thousand million).
pub fn entity_tax_code(n: u64) -> String {
    let body = format!("{n:010}");
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// The address of the pager's `rel` link (`"next"`, `"prev"`), entities undone.
pub fn pager_link(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let before = &html[..at];
    let start = before.rfind("href=\"")? + 6;
    let end = start + before[start..].find('"')?;
    Some(
        before[start..end]
            .replace("&amp;", "&")
            .replace("&#38;", "&")
            .replace("&#x3d;", "="),
    )
}

/// A capped count's plan, less the line reading its own bounded result (SQLite's
/// `SCAN capped`, at most a thousand rows): what remains must be the list's index range.
pub fn without_capped_scan(plan: Vec<String>) -> Vec<String> {
    plan.into_iter()
        .filter(|l| l.trim() != "SCAN capped")
        .collect()
}

/// `plan` reads `table` through `index` (PostgreSQL may read a range or a list of keys as a
/// bitmap of the index), with no full scan or sort; `what` names the statement when it
/// does not.
pub fn assert_reads(plan: &[String], table: &str, index: &str, what: &str) {
    let bitmap = plan
        .iter()
        .any(|l| l.contains(&format!("Bitmap Index Scan on {index}")));
    if !bitmap && let Err(problem) = reads_by_index(plan, table, index) {
        panic!("{what}: {problem}");
    }
    assert!(
        !plan.iter().any(|l| {
            let l = l.trim();
            l.starts_with("SCAN ") || l.contains("Seq Scan") || l.contains("Sort")
        }),
        "{what}: a full scan or a sort\n{}",
        plan.join("\n")
    );
}

/// The id of the chamber [`other_chamber`] adds.
pub const OTHER_CHAMBER: &str = "ch-other";

/// Adds a second, bare chamber (no desks, no staff), whose rows the paging tests plant to
/// check that a chamber never sees another's.
pub async fn other_chamber(app: &TestApp) {
    sqlx::query(
        "INSERT INTO chambers (id, code, name, created_at) \
         VALUES ($1, 'ZZ', 'Altra camera', '2026-01-01T00:00:00.000000Z')",
    )
    .bind(OTHER_CHAMBER)
    .execute(app.state.db.pool())
    .await
    .expect("another chamber");
}
