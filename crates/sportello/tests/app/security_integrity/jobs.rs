//! Jobs: an attempt limit on the claim, parked `dead` after it, completion fenced by the claim.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp, TestDb, start_time};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::jobs;

#[derive(serde::Serialize, serde::Deserialize)]
struct Crashes;

impl jobs::Job for Crashes {
    const KIND: &'static str = "test_crashes";
    const MAX_ATTEMPTS: i64 = 3;
    async fn run(self, _state: &sportello_core::Ctx) -> anyhow::Result<()> {
        Ok(())
    }
}

async fn enqueue_crashes(db: &sportello_core::db::Db) -> String {
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(&mut tx, &Crashes, start_time(), Some("crashes"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = 'crashes'")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn job_row(
    db: &sportello_core::db::Db,
    id: &str,
) -> (String, i64, Option<String>, Option<String>) {
    sqlx::query_as("SELECT status, attempts, locked_by, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

engine_tests!(
    a_job_whose_lease_keeps_expiring_is_parked_dead_after_its_attempts,
    a_stale_workers_completion_changes_nothing,
);

async fn a_job_whose_lease_keeps_expiring_is_parked_dead_after_its_attempts(engine: Engine) {
    let t = TestDb::new(engine).await;
    let id = enqueue_crashes(&t.db).await;
    let lease = chrono::Duration::minutes(5);
    let mut now = start_time();
    // The process dies while running it, three times: each claim takes an attempt.
    for attempt in 1..=3 {
        let job = jobs::claim(&t.db, now, &format!("w{attempt}"), lease)
            .await
            .unwrap()
            .expect("claimable while attempts remain");
        assert_eq!((job.id.as_str(), job.attempts), (id.as_str(), attempt));
        now += chrono::Duration::minutes(6);
    }
    // The third lease expired too: no fourth run, the job is dead with the reason kept.
    for _ in 0..3 {
        assert!(
            jobs::claim(&t.db, now, "w4", lease)
                .await
                .unwrap()
                .is_none()
        );
        now += chrono::Duration::minutes(6);
    }
    let (status, attempts, _, error) = job_row(&t.db, &id).await;
    assert_eq!((status.as_str(), attempts), ("dead", 3));
    assert!(
        error.as_deref().is_some_and(|e| e.contains("lease")),
        "{error:?}"
    );
    let dead = jobs::dead(&t.db, 50).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind, "test_crashes");
    let counts = jobs::counts(&t.db).await.unwrap();
    assert!(counts.contains(&("dead".to_string(), 1)), "{counts:?}");
}

async fn a_stale_workers_completion_changes_nothing(engine: Engine) {
    let t = TestDb::new(engine).await;
    let id = enqueue_crashes(&t.db).await;
    let lease = chrono::Duration::minutes(5);
    let now = start_time();
    let stale = jobs::claim(&t.db, now, "w1", lease).await.unwrap().unwrap();
    // w1 stalls past its lease; w2 takes the job over.
    let later = now + chrono::Duration::minutes(6);
    let current = jobs::claim(&t.db, later, "w2", lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, id);
    // w1 wakes up and reports: neither its success nor its failure counts.
    assert!(!jobs::complete(&t.db, &stale, later).await.unwrap());
    assert!(!jobs::fail(&t.db, &stale, later, "w1 failed").await.unwrap());
    let (status, attempts, locked_by, error) = job_row(&t.db, &id).await;
    assert_eq!(
        (status.as_str(), attempts, locked_by.as_deref(), error),
        ("running", 2, Some("w2"), None)
    );
    // The worker holding the lease completes it.
    assert!(jobs::complete(&t.db, &current, later).await.unwrap());
    assert_eq!(job_row(&t.db, &id).await.0, "done");
    // And a late report from either changes nothing any more.
    assert!(!jobs::fail(&t.db, &current, later, "late").await.unwrap());
    assert!(!jobs::complete(&t.db, &stale, later).await.unwrap());
    assert_eq!(job_row(&t.db, &id).await.0, "done");
}

engine_tests!(dead_jobs_are_shown_to_chamber_administrators_and_counted_in_metrics,);

async fn dead_jobs_are_shown_to_chamber_administrators_and_counted_in_metrics(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let id = enqueue_crashes(&app.state.db).await;
    let mut now = start_time();
    while jobs::claim(&app.state.db, now, "w", chrono::Duration::minutes(5))
        .await
        .unwrap()
        .is_some()
    {
        now += chrono::Duration::minutes(6);
    }
    assert_eq!(job_row(&app.state.db, &id).await.0, "dead");
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("sportello_jobs{kind=\"test_crashes\",status=\"dead\"} 1")
            && metrics.contains("sportello_jobs_dead 1"),
        "{metrics}"
    );
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, email, password).await;
    let (_, home) = admin.get("/").await;
    assert!(home.contains("/admin/jobs"), "linked from the home page");
    let (status, page) = admin.get("/admin/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("test_crashes") && page.contains("3 / 3"),
        "{page}"
    );
    assert!(
        page.contains("the lease expired"),
        "the last error is shown"
    );
    assert!(
        page.contains("sola lettura"),
        "the page says it is read-only"
    );
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    assert_eq!(officer.get("/admin/jobs").await.0, StatusCode::FORBIDDEN);
}
