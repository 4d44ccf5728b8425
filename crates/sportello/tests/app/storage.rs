//! Storage on both engines: schema, numbering, jobs, outbox and mail, audit chain.

use crate::engine_tests;
use crate::helpers::{TestApp, TestDb, start_time};
use sportello_core::audit::{self, Actor, Change};
use sportello_core::db::{self, Engine, counters};
use sportello_core::jobs;
use sportello_core::notify::{self, OutgoingEmail};

#[tokio::test]
#[cfg_attr(
    not(sportello_test_postgres),
    ignore = "SPORTELLO_TEST_POSTGRES is not set"
)]
async fn migrations_give_the_same_schema_on_both_engines() {
    use db::schema::{ColumnType, Index};
    let sqlite = TestDb::new(Engine::Sqlite).await;
    let sqlite_schema = db::schema::read(&sqlite.db).await.unwrap();
    // The reading sees every kind of thing it compares.
    let appointments = &sqlite_schema.tables["appointments"];
    assert_eq!(
        appointments.indexes["appointments_operator_slot"],
        Index {
            columns: vec!["operator_id".into(), "starts_at".into()],
            unique: true,
            predicate: Some("status = 'booked'".into()),
        }
    );
    assert_eq!(appointments.checks[0].columns, ["status"]);
    assert_eq!(
        sqlite_schema.tables["company_annual_fees"].primary_key,
        ["company_id", "year"]
    );
    assert_eq!(
        sqlite_schema.tables["sites"].uniques,
        [["company_id", "site_key"]]
    );
    let fees = &sqlite_schema.tables["company_annual_fees"].foreign_keys[0];
    assert_eq!(
        (fees.ref_table.as_str(), fees.on_delete.as_str()),
        ("companies", "CASCADE")
    );
    let der = &sqlite_schema.tables["trust_anchors"].columns[9];
    assert_eq!(
        (der.name.as_str(), &der.ty, der.not_null),
        ("der", &ColumnType::Blob, true)
    );
    let pg = TestDb::new(Engine::Postgres).await;
    let pg_schema = db::schema::read(&pg.db).await.unwrap();
    // A known difference, accepted: SQLite's `id TEXT PRIMARY KEY` columns accept NULL.
    let diff = sqlite_schema
        .primary_keys_not_null()
        .diff("sqlite", &pg_schema, "postgres");
    assert!(
        diff.is_empty(),
        "the migrations give different schemas:\n{}",
        diff.join("\n")
    );
}

#[tokio::test]
#[cfg_attr(
    not(sportello_test_postgres),
    ignore = "SPORTELLO_TEST_POSTGRES is not set"
)]
async fn a_postgres_database_from_the_per_engine_folders_is_migrated_without_rerunning() {
    use sqlx::migrate::MigrateError;
    let t = TestDb::new(Engine::Postgres).await;
    let pool = t.db.pool();
    async fn bookkeeping(pool: &sqlx::AnyPool) -> Vec<(i64, String, String)> {
        sqlx::query_as(
            "SELECT version, CAST(installed_on AS TEXT), encode(checksum, 'hex') \
             FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }
    let before = bookkeeping(pool).await;
    sqlx::query("INSERT INTO counters (scope, value) VALUES ('kept', 7)")
        .execute(pool)
        .await
        .unwrap();
    // What the old postgres/ folder recorded for 0001 and 0004.
    for (version, legacy) in db::migrations::LEGACY_POSTGRES_CHECKSUMS {
        sqlx::query("UPDATE _sqlx_migrations SET checksum = decode($1, 'hex') WHERE version = $2")
            .bind(legacy)
            .bind(version)
            .execute(pool)
            .await
            .unwrap();
    }
    // sqlx alone refuses that database: the text of 0001 changed. (It keeps its advisory
    // lock when it refuses, so the session is closed.)
    let mut conn = pool.acquire().await.unwrap();
    let err = db::migrations::migrator(Engine::Postgres)
        .run(&mut *conn)
        .await
        .unwrap_err();
    conn.close().await.unwrap();
    assert!(matches!(err, MigrateError::VersionMismatch(1)), "{err}");
    // Db::migrate adopts the new checksums first; nothing is applied again.
    t.db.migrate().await.unwrap();
    assert_eq!(bookkeeping(pool).await, before);
    let (kept,): (i64,) = sqlx::query_as("SELECT value FROM counters WHERE scope = 'kept'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(kept, 7);
    // Any other checksum is still refused.
    sqlx::query("UPDATE _sqlx_migrations SET checksum = decode('00', 'hex') WHERE version = 4")
        .execute(pool)
        .await
        .unwrap();
    let err = t.db.migrate().await.unwrap_err();
    assert!(matches!(err, MigrateError::VersionMismatch(4)), "{err}");
    // The refusal left no lock behind: with the checksum back, migrating runs again.
    let current = db::migrations::migrator(Engine::Postgres)
        .iter()
        .find(|m| m.version == 4)
        .unwrap()
        .checksum
        .to_vec();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 4")
        .bind(current)
        .execute(pool)
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(120), t.db.migrate())
        .await
        .expect("no advisory lock left behind")
        .unwrap();
}

engine_tests!(
    counters_are_gapless_and_a_rollback_returns_the_number,
    concurrent_counters_never_repeat_or_skip,
    a_job_is_claimed_by_one_worker_only,
    a_job_whose_worker_died_is_retried_up_to_its_limit_then_parked,
    a_queued_email_reaches_the_smtp_server_once,
    an_email_whose_attempt_was_interrupted_is_sent_again_under_its_message_id,
    an_email_is_not_sent_when_its_transaction_rolls_back,
    audit_chain_verifies_and_detects_a_tampered_entry,
);

async fn counters_are_gapless_and_a_rollback_returns_the_number(engine: Engine) {
    let t = TestDb::new(engine).await;
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        counters::next(&mut tx, "protocol:GE:2026").await.unwrap(),
        1
    );
    assert_eq!(
        counters::next(&mut tx, "protocol:GE:2026").await.unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        counters::next(&mut tx, "protocol:GE:2026").await.unwrap(),
        3
    );
    tx.rollback().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        counters::next(&mut tx, "protocol:GE:2026").await.unwrap(),
        3
    );
    assert_eq!(
        counters::next(&mut tx, "protocol:SV:2026").await.unwrap(),
        1
    );
    tx.commit().await.unwrap();
}

async fn concurrent_counters_never_repeat_or_skip(engine: Engine) {
    let t = TestDb::new(engine).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let n = counters::next(&mut tx, "certificate:GE:2026")
                .await
                .unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            n
        }));
    }
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    got.sort();
    assert_eq!(got, (1..=40).collect::<Vec<i64>>());
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Noop {
    n: i64,
}

impl jobs::Job for Noop {
    const KIND: &'static str = "noop";
    async fn run(self, _state: &sportello_core::Ctx) -> anyhow::Result<()> {
        Ok(())
    }
}

async fn a_job_is_claimed_by_one_worker_only(engine: Engine) {
    let t = TestDb::new(engine).await;
    let now = start_time();
    let mut tx = t.db.begin().await.unwrap();
    for n in 0..10 {
        jobs::enqueue(&mut tx, &Noop { n }, now, None)
            .await
            .unwrap();
    }
    // The same dedupe key twice enqueues once.
    assert!(
        jobs::enqueue(&mut tx, &Noop { n: 99 }, now, Some("k"))
            .await
            .unwrap()
    );
    assert!(
        !jobs::enqueue(&mut tx, &Noop { n: 99 }, now, Some("k"))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut workers = Vec::new();
    for w in 0..4 {
        let db = t.db.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) =
                jobs::claim(&db, now, &format!("w{w}"), chrono::Duration::minutes(5))
                    .await
                    .unwrap()
            {
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 11, "every job claimed");
    assert_eq!(all.len(), 11, "no job claimed twice");
    // A lease that expired makes the job claimable again (the worker died).
    let later = now + chrono::Duration::minutes(6);
    assert!(
        jobs::claim(&t.db, later, "w9", chrono::Duration::minutes(5))
            .await
            .unwrap()
            .is_some()
    );
}

/// A worker killed mid-job never reports: the job's lease runs out, another worker claims it
/// again (each claim uses an attempt), and after the last attempt's lease it is parked `dead`
/// with the reason, never claimed again.
async fn a_job_whose_worker_died_is_retried_up_to_its_limit_then_parked(engine: Engine) {
    let t = TestDb::new(engine).await;
    let mut now = start_time();
    let lease = chrono::Duration::seconds(10);
    let mut tx = t.db.begin().await.unwrap();
    jobs::enqueue(&mut tx, &Noop { n: 1 }, now, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let max = <Noop as jobs::Job>::MAX_ATTEMPTS;
    for attempt in 1..=max {
        let job = jobs::claim(&t.db, now, &format!("worker-{attempt}"), lease)
            .await
            .unwrap()
            .expect("claimed again once the lease ran out");
        assert_eq!(job.attempts, attempt);
        // While the lease holds, nobody else takes it.
        assert!(
            jobs::claim(&t.db, now + lease / 2, "other", lease)
                .await
                .unwrap()
                .is_none()
        );
        // The worker dies: no complete, no fail.
        now += lease + chrono::Duration::seconds(1);
    }
    assert!(
        jobs::claim(&t.db, now, "late", lease)
            .await
            .unwrap()
            .is_none(),
        "no attempt left"
    );
    let (status, attempts, error): (String, i64, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM jobs")
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("dead", max));
    assert!(error.unwrap().contains("lease expired"));
    assert_eq!(jobs::dead(&t.db, 10).await.unwrap().len(), 1);
}

async fn a_queued_email_reaches_the_smtp_server_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut tx = app.state.db.begin().await.unwrap();
    let id = notify::queue(
        &mut tx,
        app.state.clock.now(),
        OutgoingEmail {
            to: "export@ligure-export.test".into(),
            subject: "Pratica protocollata".into(),
            body_text: "La pratica è stata protocollata.".into(),
            chamber_id: None,
            attachments: Vec::new(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.run_jobs().await, 1);
    let mail = app.smtp.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["export@ligure-export.test".to_string()]);
    assert!(mail[0].data.contains("Subject: Pratica protocollata"));
    let status: String = sqlx::query_scalar("SELECT status FROM outbox_emails WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "sent");
    // Running the job again (e.g. after a crash) sends nothing more.
    let mut tx = app.state.db.begin().await.unwrap();
    jobs::enqueue(
        &mut tx,
        &notify::SendEmail { outbox_id: id },
        app.state.clock.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    assert_eq!(app.smtp.messages().len(), 1);
}

/// Crash safety (issue 14): a sender killed after it began handing a message over leaves
/// the row queued with `attempting_at` set; the retry sends it under the same `Message-ID`
/// (so a receiver can drop the copy) and records it sent.
async fn an_email_whose_attempt_was_interrupted_is_sent_again_under_its_message_id(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut tx = app.state.db.begin().await.unwrap();
    let id = notify::queue(
        &mut tx,
        app.state.clock.now(),
        OutgoingEmail {
            to: "export@ligure-export.test".into(),
            subject: "Pratica protocollata".into(),
            body_text: "La pratica è stata protocollata.".into(),
            chamber_id: None,
            attachments: Vec::new(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // What a kill between the relay's answer and the commit leaves behind.
    sqlx::query(
        "UPDATE outbox_emails SET attempting_at = '2020-01-01T00:00:00.000000Z', attempts = 1 \
         WHERE id = $1",
    )
    .bind(&id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(app.run_jobs().await, 1);
    let mail = app.smtp.messages();
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].data.contains(&format!("Message-ID: <{id}@")),
        "{}",
        mail[0].data
    );
    let (status, attempts, attempting): (String, i64, Option<String>) =
        sqlx::query_as("SELECT status, attempts, attempting_at FROM outbox_emails WHERE id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 2));
    assert!(attempting.is_some_and(|a| a.as_str() > "2020-01-01T00:00:00.000000Z"));
}

async fn an_email_is_not_sent_when_its_transaction_rolls_back(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut tx = app.state.db.begin().await.unwrap();
    notify::queue(
        &mut tx,
        app.state.clock.now(),
        OutgoingEmail {
            to: "export@ligure-export.test".into(),
            subject: "Mai inviata".into(),
            body_text: "-".into(),
            chamber_id: None,
            attachments: Vec::new(),
        },
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(app.run_jobs().await, 0);
    assert!(app.smtp.messages().is_empty());
}

async fn audit_chain_verifies_and_detects_a_tampered_entry(engine: Engine) {
    let t = TestDb::new(engine).await;
    let now = start_time();
    for i in 0..5 {
        let mut tx = t.db.begin().await.unwrap();
        audit::record(
            &mut tx,
            now,
            &Actor::cli(),
            Change::new("test.action", "thing", Some(&format!("t{i}")))
                .after(serde_json::json!({"i": i})),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(audit::verify_chain(&t.db).await.unwrap(), Ok(5));
    sqlx::query("UPDATE audit_log SET after_json = '{\"i\":42}' WHERE seq = 3")
        .execute(t.db.pool())
        .await
        .unwrap();
    let broken = audit::verify_chain(&t.db).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 3);
}
