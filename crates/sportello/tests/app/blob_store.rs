//! The blob-store contract, run against the folder and a real S3-compatible server, the
//! migration from one to the other, and `/readyz`.
//!
//! The S3 tests need the server named by `SPORTELLO_TEST_S3` (its endpoint URL; `scripts/test`
//! starts one). Without it at build time they are compiled as ignored (see `build.rs`), and
//! `.ci/run` fails when any test is; compiled to run, they fail when the server is missing.

use axum::extract::State;
use axum::response::IntoResponse;
use sportello::blob_store::S3BlobStore;
use sportello_core::blobs::location::S3Settings;
use sportello_core::blobs::{BlobError, BlobStore, FsBlobStore, migrate, sha256_hex};
use sportello_core::config::Secret;
use sportello_core::db::Engine;
use std::sync::Arc;

use crate::helpers::TestApp;

/// What every blob store must do.
async fn contract(store: Arc<dyn BlobStore>) {
    // put / get / exists, addressed by content.
    let key = store.put(b"fattura commerciale").await.unwrap();
    assert_eq!(key, sha256_hex(b"fattura commerciale"));
    assert_eq!(store.get(&key).await.unwrap(), b"fattura commerciale");
    assert!(store.exists(&key).await.unwrap());
    assert!(store.modified(&key).await.unwrap().is_some());

    // An idempotent put: the same key, one object.
    assert_eq!(store.put(b"fattura commerciale").await.unwrap(), key);
    let listed = store.list_after(None, 100).await.unwrap();
    assert_eq!(
        listed.iter().filter(|b| b.key == key).count(),
        1,
        "{listed:?}"
    );
    assert_eq!(listed[0].size, 19);

    // A key that is not a hash is refused before anything is touched.
    for bad in [
        "../../etc/passwd",
        "ABCDEF",
        "",
        &"g".repeat(64),
        &key.to_uppercase(),
    ] {
        assert!(
            matches!(store.get(bad).await, Err(BlobError::BadKey(_))),
            "{bad}"
        );
        assert!(matches!(store.exists(bad).await, Err(BlobError::BadKey(_))));
        assert!(matches!(store.delete(bad).await, Err(BlobError::BadKey(_))));
    }

    // A missing key: not found, not there, deleting it is fine.
    let missing = sha256_hex(b"never stored");
    assert!(matches!(
        store.get(&missing).await,
        Err(BlobError::NotFound(k)) if k == missing
    ));
    assert!(!store.exists(&missing).await.unwrap());
    assert_eq!(store.modified(&missing).await.unwrap(), None);
    store.delete(&missing).await.unwrap();

    // Concurrent puts of the same content all succeed and leave one whole object.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let writers: Vec<_> = (0..12)
        .map(|_| {
            let (store, bytes) = (store.clone(), bytes.clone());
            tokio::spawn(async move { store.put(&bytes).await })
        })
        .collect();
    for w in writers {
        assert_eq!(w.await.unwrap().unwrap(), sha256_hex(&bytes));
    }
    assert_eq!(store.get(&sha256_hex(&bytes)).await.unwrap(), bytes);

    // Listing is in key order and pages with `after`.
    let mut keys = vec![key.clone(), sha256_hex(&bytes)];
    for i in 0..5u8 {
        keys.push(store.put(&[i; 10]).await.unwrap());
    }
    keys.sort();
    let first = store.list_after(None, 3).await.unwrap();
    let rest = store.list_after(Some(&first[2].key), 100).await.unwrap();
    let all: Vec<String> = first.iter().chain(&rest).map(|b| b.key.clone()).collect();
    assert_eq!(all, keys);

    // delete removes it.
    store.delete(&key).await.unwrap();
    assert!(!store.exists(&key).await.unwrap());
    assert!(matches!(store.get(&key).await, Err(BlobError::NotFound(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_folder_store_keeps_the_blob_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(Arc::new(FsBlobStore::new(dir.path()))).await;
}

/// The S3-compatible server of the tests, from `SPORTELLO_TEST_S3`.
fn s3_endpoint() -> String {
    std::env::var("SPORTELLO_TEST_S3")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .expect("SPORTELLO_TEST_S3 names the S3-compatible test server (scripts/test starts one)")
}

/// A store on a new bucket of the test server, under `prefix`.
async fn s3_store(prefix: &str) -> S3BlobStore {
    let endpoint = s3_endpoint();
    let bucket = format!("sportello-{}", uuid::Uuid::new_v4().simple());
    // The test server makes a bucket on an unsigned PUT; the store itself never makes one.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(made.status().is_success(), "bucket: {}", made.status());
    S3BlobStore::new(&S3Settings {
        bucket,
        prefix: prefix.into(),
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        access_key_id: Some("testing".into()),
        secret_access_key: Some(Secret::new("testing")),
        session_token: None,
        allow_http: true,
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sportello_test_s3), ignore = "SPORTELLO_TEST_S3 is not set")]
async fn the_s3_store_keeps_the_blob_store_contract() {
    contract(Arc::new(s3_store("blobs").await)).await;
    contract(Arc::new(s3_store("").await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sportello_test_s3), ignore = "SPORTELLO_TEST_S3 is not set")]
async fn a_folder_store_migrates_to_s3_with_every_hash_checked_and_again_harmlessly() {
    let dir = tempfile::tempdir().unwrap();
    let folder = FsBlobStore::new(dir.path());
    let mut keys = Vec::new();
    for i in 0..40u32 {
        keys.push(
            folder
                .put(format!("allegato {i}").as_bytes())
                .await
                .unwrap(),
        );
    }
    let s3 = s3_store("prod/blobs").await;
    let first = migrate::copy_all(&folder, &s3, |_| {}).await.unwrap();
    assert_eq!(
        (first.listed, first.copied, first.already_there),
        (40, 40, 0)
    );
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    for key in &keys {
        assert_eq!(sha256_hex(&s3.get(key).await.unwrap()), *key);
    }
    let again = migrate::copy_all(&folder, &s3, |_| {}).await.unwrap();
    assert_eq!((again.copied, again.already_there), (0, 40));
}

/// `/readyz` through its handler, as JSON.
async fn readiness(state: sportello::app::AppState) -> (u16, serde_json::Value) {
    let response = sportello::web::ops::readyz(State(state))
        .await
        .into_response();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_the_database_and_the_blob_store_and_names_which_failed() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (status, body) = readiness(app.state.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "checks": {"database": "ok", "blobs": "ok"}})
    );

    // An S3 store nobody answers for (a closed port): 503, naming the blob store and nothing
    // of its address or credentials.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = S3BlobStore::new(&S3Settings {
        bucket: "sportello".into(),
        prefix: String::new(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: "eu-south-1".into(),
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some(Secret::new("very-secret")),
        session_token: None,
        allow_http: true,
    })
    .unwrap();
    let state =
        sportello::app::AppState::new(app.state.ctx.clone().with_blob_store(Arc::new(unreachable)));
    let (status, body) = readiness(state).await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        serde_json::json!({"status": "unavailable", "checks": {"database": "ok", "blobs": "unavailable"}})
    );

    // The database gone: 503, naming the database.
    app.state.db.close().await;
    let (status, body) = readiness(app.state.clone()).await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["database"], "unavailable");
    assert_eq!(body["checks"]["blobs"], "ok");
}

/// `sportello admin blobs migrate --to …` on a fresh database whose folder holds `blobs`.
fn migrate_command(db: &crate::helpers::TestDb, to: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["admin", "blobs", "migrate", "--to", to])
        .env_remove("SPORTELLO_BLOBS")
        .env("DATABASE_URL", &db.url)
        .env("SPORTELLO_DATA_DIR", db.dir.path().join("data"))
        .env("SPORTELLO_LOG_LEVEL", "warn")
        .env("AWS_ENDPOINT_URL", s3_endpoint_or_none())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("run sportello")
}

fn s3_endpoint_or_none() -> String {
    std::env::var("SPORTELLO_TEST_S3").unwrap_or_else(|_| "http://127.0.0.1:9".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_migration_target_is_refused_naming_the_option() {
    let db = crate::helpers::TestDb::new(Engine::Sqlite).await;
    for to in ["ftp://x", "s3://Bad_Bucket", "file://relative"] {
        let out = migrate_command(&db, to);
        assert_eq!(out.status.code(), Some(2), "{to}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("--to: "),
            "{to}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sportello_test_s3), ignore = "SPORTELLO_TEST_S3 is not set")]
async fn the_migrate_command_copies_the_folder_to_s3_and_reports_counts() {
    let db = crate::helpers::TestDb::new(Engine::Sqlite).await;
    let folder = FsBlobStore::new(db.dir.path().join("data").join("blobs"));
    for i in 0..3u8 {
        folder.put(&[i; 1000]).await.unwrap();
    }
    let target = s3_store("").await;
    let to = format!("{}/migrated", target.describe());
    let out = migrate_command(&db, &to);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("listed 3, copied 3 (3000 bytes), already there 0, failed 0"),
        "{stdout}"
    );
    let out = migrate_command(&db, &to);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("copied 0 (0 bytes), already there 3"),
        "{stdout}"
    );
}
