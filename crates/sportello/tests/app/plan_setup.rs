//! The set-up the plan tests share (`scale.rs`, `scale_bounds.rs`, `device_stock.rs`): the
//! demo's people and chamber, and a capped count's plan without its own bounded scan.

use crate::helpers::TestApp;
use sportello_core::accounts::Role;

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

/// A capped count's plan, less the line reading its own bounded result (SQLite's
/// `SCAN capped`, at most a thousand rows): what remains must be the list's index range.
pub fn without_capped_scan(plan: Vec<String>) -> Vec<String> {
    plan.into_iter()
        .filter(|l| l.trim() != "SCAN capped")
        .collect()
}
