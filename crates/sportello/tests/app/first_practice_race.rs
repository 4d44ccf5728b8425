//! A company's first practices for a chamber sent at once. The first one adds the company's
//! users to those the chamber manages (`accounts::managed_users`, issue 14); the others,
//! started before it committed, must all be stored too, never fail on a lock.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(a_companys_first_practices_sent_at_once_are_all_stored);

/// Six uploads of one company at once, before any of its practices exists for the chamber
/// (an ERP sending in parallel, a double click): each is answered 201 and stored once.
async fn a_companys_first_practices_sent_at_once_are_all_stored(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let mut signed = Vec::new();
    for _ in 0..6 {
        let model = erp.new_model(LIGURE, co_form()).await;
        signed.push(sign(&erp.xml(&model).await, "giulia"));
    }
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let uploads = signed.into_iter().map(|s| erp.upload(s, &DETAILS));
    for r in futures::future::join_all(uploads).await {
        let status = r.status();
        assert_eq!(status, StatusCode::CREATED, "{}", r.text().await.unwrap());
    }
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(after - before, 6);
}
