//! Issue 14: public verifications at once from one client address. Each takes a count of
//! the address and of the (address, number) pair, and gives both back when the code is
//! right; on PostgreSQL the give-back once locked the two rows in its plan's order, the
//! reverse of the take's, and concurrent verifications failed with a deadlock (HTTP 500).

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::security_integrity::codes::approved_certificate;
use reqwest::StatusCode;
use sportello_core::db::Engine;
use sportello_core::trade::desk::security_code;

engine_tests!(verifications_at_once_from_one_address_all_answer_and_none_fails);

async fn verifications_at_once_from_one_address_all_answer_and_none_fails(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (id, number) = approved_certificate(&app).await;
    let code = security_code::reveal(&app.state, &id)
        .await
        .expect("read")
        .expect("kept for reprints");
    let url = app.url(&format!("/api/v1/verify/{number}?code={code}"));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            for _ in 0..25 {
                let r = client.get(&url).send().await.expect("an answer");
                statuses.push(r.status());
            }
            statuses
        }));
    }
    let mut answered = 0;
    for t in tasks {
        for status in t.await.expect("the task") {
            // Every code is right and given back: the pair's 20 attempts are never used up.
            assert_eq!(status, StatusCode::OK, "a verification failed");
            answered += 1;
        }
    }
    assert_eq!(answered, 12 * 25);
    // Every attempt was given back.
    let left: Vec<i64> = sqlx::query_scalar(
        "SELECT attempts FROM throttles WHERE scope IN ('verify_address', 'verify_number')",
    )
    .fetch_all(app.state.db.pool())
    .await
    .expect("the counts");
    assert!(!left.is_empty() && left.iter().all(|n| *n == 0), "{left:?}");
}
