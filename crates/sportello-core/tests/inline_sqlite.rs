//! The inline SQLite driver (`db::inline_sqlite`) through sqlx's `Any`, as the code base
//! uses it: values, errors, transactions, and writers queueing for the write lock without
//! stalling the async workers.
//!
//! Skipped when `SPORTELLO_SQLITE_DRIVER=sqlx` selects sqlx's driver for the process.

use sportello_core::db::{self, Db, SqliteDriver};
use sqlx::{Acquire, Row};
use std::sync::Arc;
use std::time::Duration;

/// A fresh SQLite database with a short lock wait, so a stall shows up as a failed write in
/// seconds rather than after the default 15 s. `None` when sqlx's driver is selected.
async fn fresh(dir: &tempfile::TempDir) -> Option<Db> {
    if db::sqlite_driver() != SqliteDriver::Inline {
        eprintln!("SPORTELLO_SQLITE_DRIVER selects sqlx's driver: skipped");
        return None;
    }
    let url = format!(
        "sqlite://{}?busy_timeout=5000",
        dir.path().join("inline.db").display()
    );
    // Room for a holder, three waiters and a reader.
    let db = Db::connect(&url, 8).await.expect("connect");
    sqlx::query(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE); \
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id), \
                             n INTEGER, x REAL, t TEXT, b BLOB);",
    )
    .execute(db.pool())
    .await
    .expect("schema");
    Some(db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_round_trip_with_their_types_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = fresh(&dir).await else { return };
    sqlx::query("INSERT INTO parent (id, code) VALUES ($1, $2)")
        .bind(1_i64)
        .bind("P1")
        .execute(db.pool())
        .await
        .unwrap();
    let blob: Vec<u8> = (0..=255).collect();
    sqlx::query("INSERT INTO child (parent_id, n, x, t, b) VALUES ($1, $2, $3, $4, $5)")
        .bind(1_i32)
        .bind(i64::MAX)
        .bind(2.5_f64)
        .bind("città €")
        .bind(&blob)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO child (parent_id, n, x, t, b) VALUES ($1, $2, $3, $4, $5)")
        .bind(1_i64)
        .bind(None::<i64>)
        .bind(None::<f64>)
        .bind(None::<String>)
        .bind(None::<Vec<u8>>)
        .execute(db.pool())
        .await
        .unwrap();

    let rows = sqlx::query("SELECT n, x, t, b FROM child ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<i64, _>("n"), i64::MAX);
    assert_eq!(rows[0].get::<f64, _>("x"), 2.5);
    assert_eq!(rows[0].get::<String, _>("t"), "città €");
    assert_eq!(rows[0].get::<Vec<u8>, _>("b"), blob);
    assert_eq!(rows[1].get::<Option<i64>, _>(0), None);
    assert_eq!(rows[1].get::<Option<f64>, _>(1), None);
    assert_eq!(rows[1].get::<Option<String>, _>(2), None);
    assert_eq!(rows[1].get::<Option<Vec<u8>>, _>(3), None);
    // Integers are reported as BIGINT, as sqlx's SQLite driver reports them through `Any`.
    use sqlx::{Column, TypeInfo};
    assert_eq!(rows[0].columns()[0].type_info().name(), "BIGINT");
    assert_eq!(rows[0].columns()[1].type_info().name(), "DOUBLE");
    assert_eq!(rows[0].columns()[2].type_info().name(), "TEXT");
    assert_eq!(rows[0].columns()[3].type_info().name(), "BLOB");

    // Numbered placeholders take their own argument wherever they appear.
    let (a, b): (String, i64) = sqlx::query_as("SELECT $2 || '-' || $1, $1 + $1")
        .bind(21_i64)
        .bind("x")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((a.as_str(), b), ("x-21", 42));

    // A boolean is stored as an integer.
    let flag: i64 = sqlx::query_scalar("SELECT $1")
        .bind(true)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(flag, 1);

    let changed = sqlx::query("UPDATE child SET n = 0 WHERE parent_id = $1")
        .bind(1_i64)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 2);
    let none = sqlx::query("SELECT id FROM child WHERE id = -1")
        .fetch_optional(db.pool())
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_violations_keep_their_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = fresh(&dir).await else { return };
    sqlx::query("INSERT INTO parent (id, code) VALUES (1, 'P1')")
        .execute(db.pool())
        .await
        .unwrap();

    let dup = sqlx::query("INSERT INTO parent (id, code) VALUES (2, 'P1')")
        .execute(db.pool())
        .await
        .unwrap_err();
    let constraint = db::unique_violation(&dup).expect("a unique violation");
    assert!(constraint.contains("parent.code"), "{constraint}");

    let pk = sqlx::query("INSERT INTO parent (id, code) VALUES (1, 'P2')")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(db::unique_violation(&pk).is_some());

    let orphan = sqlx::query("INSERT INTO child (parent_id) VALUES (99)")
        .execute(db.pool())
        .await
        .unwrap_err();
    let sqlx::Error::Database(e) = &orphan else {
        panic!("{orphan:?}")
    };
    assert_eq!(e.kind(), sqlx::error::ErrorKind::ForeignKeyViolation);

    let missing = sqlx::query("INSERT INTO parent (id) VALUES (3)")
        .execute(db.pool())
        .await
        .unwrap_err();
    let sqlx::Error::Database(e) = &missing else {
        panic!("{missing:?}")
    };
    assert_eq!(e.kind(), sqlx::error::ErrorKind::NotNullViolation);

    let syntax = sqlx::query("SELEC 1").execute(db.pool()).await.unwrap_err();
    assert!(matches!(syntax, sqlx::Error::Database(_)), "{syntax:?}");
}

async fn codes(db: &Db) -> Vec<String> {
    sqlx::query_scalar("SELECT code FROM parent ORDER BY id")
        .fetch_all(db.pool())
        .await
        .expect("the codes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_roll_back_and_nest() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = fresh(&dir).await else { return };

    let mut tx = db.begin().await.unwrap();
    sqlx::query("INSERT INTO parent (id, code) VALUES (1, 'kept')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.begin().await.unwrap();
    sqlx::query("INSERT INTO parent (id, code) VALUES (2, 'rolled back')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    {
        let mut tx = db.begin().await.unwrap();
        sqlx::query("INSERT INTO parent (id, code) VALUES (3, 'dropped')")
            .execute(&mut *tx)
            .await
            .unwrap();
        // Dropped without commit: rolled back.
    }
    assert_eq!(codes(&db).await, ["kept"]);

    // Savepoints: an inner transaction rolled back, another committed, in one outer one.
    let mut tx = db.begin().await.unwrap();
    sqlx::query("INSERT INTO parent (id, code) VALUES (4, 'outer')")
        .execute(&mut *tx)
        .await
        .unwrap();
    {
        let mut inner = tx.begin().await.unwrap();
        sqlx::query("INSERT INTO parent (id, code) VALUES (5, 'inner undone')")
            .execute(&mut *inner)
            .await
            .unwrap();
        inner.rollback().await.unwrap();
    }
    {
        let mut inner = tx.begin().await.unwrap();
        sqlx::query("INSERT INTO parent (id, code) VALUES (6, 'inner kept')")
            .execute(&mut *inner)
            .await
            .unwrap();
        inner.commit().await.unwrap();
    }
    {
        let mut inner = tx.begin().await.unwrap();
        sqlx::query("INSERT INTO parent (id, code) VALUES (7, 'inner dropped')")
            .execute(&mut *inner)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(codes(&db).await, ["kept", "outer", "inner kept"]);

    // A script of statements, one of which returns a row, runs whole.
    let mut conn = db.pool().acquire().await.unwrap();
    sqlx::raw_sql(
        "PRAGMA foreign_keys = ON; INSERT INTO parent (id, code) VALUES (8, 'script'); \
         SELECT 1;",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let mut conn_tx = conn.begin().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM parent")
        .fetch_one(&mut *conn_tx)
        .await
        .unwrap();
    assert_eq!(n, 4);
    conn_tx.commit().await.unwrap();
}

/// The hazard the driver is built around: a writer holds SQLite's write lock across an
/// `.await` while more writers than the runtime has workers wait for it. Were they to wait
/// on the workers, the holder could never be polled again to commit, and every waiter would
/// fail when its busy timeout ran out. Each write must land, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_queue_for_the_lock_without_stalling_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = fresh(&dir).await else { return };
    let db = Arc::new(db);

    // The holder runs on a worker like any request: it takes the lock, then awaits.
    let (locked, is_locked) = tokio::sync::oneshot::channel();
    let holder = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await?;
            sqlx::query("INSERT INTO parent (id, code) VALUES (1, 'holder')")
                .execute(&mut *tx)
                .await?;
            let _ = locked.send(());
            tokio::time::sleep(Duration::from_millis(500)).await;
            tx.commit().await
        })
    };
    is_locked.await.unwrap();

    let mut waiters = Vec::new();
    for i in 0..3_i64 {
        let db = db.clone();
        waiters.push(tokio::spawn(async move {
            let mut tx = db.begin().await?;
            sqlx::query("INSERT INTO parent (id, code) VALUES ($1, $2)")
                .bind(10 + i)
                .bind(format!("waiter {i}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }));
    }
    // Readers are not held up by the writer in WAL mode, even while the waiters wait.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM parent")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(seen, 0, "the holder has not committed yet");

    holder.await.unwrap().expect("the holder committed");
    for waiter in waiters {
        waiter.await.unwrap().expect("a queued writer got the lock");
    }
    let mut codes = codes(&db).await;
    codes.sort();
    assert_eq!(codes, ["holder", "waiter 0", "waiter 1", "waiter 2"]);
}

/// A writer that gives up while waiting for the lock (its future dropped) leaves no
/// transaction open behind it: the lock is free for the next writer once the holder commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_gives_up_waiting_leaves_no_lock_behind() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = fresh(&dir).await else { return };

    let mut holder = db.begin().await.unwrap();
    sqlx::query("INSERT INTO parent (id, code) VALUES (1, 'holder')")
        .execute(&mut *holder)
        .await
        .unwrap();
    let gave_up = tokio::time::timeout(Duration::from_millis(100), db.begin()).await;
    assert!(
        gave_up.is_err(),
        "the lock is held: the begin must still be waiting"
    );
    holder.commit().await.unwrap();

    // Every pooled connection can write now, within the busy timeout.
    for i in 0..4_i64 {
        let mut tx = db.begin().await.expect("no lock left behind");
        sqlx::query("INSERT INTO parent (id, code) VALUES ($1, $2)")
            .bind(10 + i)
            .bind(format!("after {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(codes(&db).await.len(), 5);
}

/// The migrations run on the inline driver (scripts of statements, sqlx's bookkeeping), and a
/// second run finds every one applied with its checksum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_with_sqlx_bookkeeping() {
    let dir = tempfile::tempdir().unwrap();
    if db::sqlite_driver() != SqliteDriver::Inline {
        return;
    }
    let url = format!("sqlite://{}", dir.path().join("migrated.db").display());
    let db = Db::connect(&url, 2).await.expect("connect");
    db.migrate().await.expect("first run");
    db.migrate()
        .await
        .expect("second run: nothing to do, checksums match");
    let mut conn = db.pool().acquire().await.unwrap();
    let applied = db::migrations::applied_version(&mut conn).await.unwrap();
    assert_eq!(applied, Some(db::migrations::latest_version()));
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(foreign_keys, 1);
}
