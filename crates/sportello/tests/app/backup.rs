//! Backups that restore, in process on both engines: what `backup::restore` checks and every
//! way it must refuse (the load test through the binary is `backup_load.rs`).

use crate::engine_tests;
use crate::helpers::{TestApp, postgres_url};
use crate::trade::{Erp, LIGURE, ready_practice, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::backup::{self, BackupOptions, RestoreError, RestoreTarget};
use sportello_core::db::{Db, Engine};
use std::path::PathBuf;

/// A fresh, empty PostgreSQL database on the test server, dropped when the guard goes; its
/// URL sets the search path to `schema` (the schema the dump recreates).
pub(crate) struct TargetDatabase {
    pub(crate) url: String,
    admin: String,
    name: String,
}

impl TargetDatabase {
    pub(crate) async fn new(schema: &str) -> TargetDatabase {
        let admin = postgres_url().expect("SPORTELLO_TEST_POSTGRES");
        let name = format!("r_{}", uuid::Uuid::new_v4().simple());
        let db = Db::connect(&admin, 1).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(db.pool())
            .await
            .unwrap();
        db.close().await;
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        url.set_query(Some(&format!("options=-c%20search_path%3D{schema}")));
        TargetDatabase {
            url: url.to_string(),
            admin,
            name,
        }
    }
}

impl Drop for TargetDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(db) = Db::connect(&admin, 1).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(db.pool())
                    .await;
                    db.close().await;
                }
            });
        })
        .join();
    }
}

/// An app with two sent practices (each with an attachment) and its backup.
struct Fixture {
    app: TestApp,
    dir: tempfile::TempDir,
    backup: PathBuf,
    practices: Vec<String>,
}

async fn fixture(engine: Engine) -> Fixture {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let mut practices = Vec::new();
    for _ in 0..2 {
        let id = ready_practice(&erp, &[]).await;
        let r = erp.attach(&id, small_pdf(), "invoice").await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let r = erp
            .post(&format!("/api/v1/practices/{id}/send"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        practices.push(id);
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    let manifest = backup::backup(&app.state, &backup, BackupOptions::default())
        .await
        .expect("backup");
    assert_eq!(manifest.engine, engine.name());
    assert_eq!(manifest.counts["practices"], 2);
    Fixture {
        app,
        dir,
        backup,
        practices,
    }
}

impl Fixture {
    /// Restores the backup into a new data folder (and a new database on PostgreSQL).
    async fn restore(&self) -> (Result<backup::Restored, RestoreError>, Restore) {
        let data_dir = self
            .dir
            .path()
            .join(format!("restored-{}", uuid::Uuid::new_v4().simple()));
        let database = match self.app.state.db.engine() {
            Engine::Sqlite => None,
            Engine::Postgres => {
                let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(self.app.state.db.pool())
                    .await
                    .unwrap();
                Some(TargetDatabase::new(&schema).await)
            }
        };
        let target = RestoreTarget {
            data_dir: data_dir.clone(),
            postgres_url: database.as_ref().map(|d| d.url.clone()),
        };
        let result = backup::restore(&self.backup, &target).await;
        (result, Restore { data_dir, database })
    }

    /// The path of a blob file of the backup that a practice's attachment refers to.
    async fn attachment_blob(&self) -> PathBuf {
        let key: String =
            sqlx::query_scalar("SELECT blob FROM practice_attachments WHERE practice_id = $1")
                .bind(&self.practices[0])
                .fetch_one(self.app.state.db.pool())
                .await
                .unwrap();
        self.backup.join("blobs").join(&key[..2]).join(&key[2..])
    }

    fn edit_manifest(&self, edit: impl FnOnce(&mut Value)) {
        let path = self.backup.join("manifest.json");
        let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut manifest);
        std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    }
}

/// Where one restore went.
struct Restore {
    data_dir: PathBuf,
    database: Option<TargetDatabase>,
}

impl Restore {
    /// The restored database.
    async fn db(&self) -> Db {
        match &self.database {
            None => Db::connect(
                &format!("sqlite://{}", self.data_dir.join("sportello.db").display()),
                1,
            )
            .await
            .unwrap(),
            Some(d) => Db::connect(&d.url, 1).await.unwrap(),
        }
    }
}

engine_tests!(
    a_restore_brings_back_every_practice_its_blobs_and_an_intact_audit_chain,
    a_backup_goes_only_into_an_empty_folder,
    restore_refuses_a_tampered_blob,
    restore_refuses_a_missing_blob,
    restore_refuses_a_wrong_manifest,
    restore_refuses_a_non_empty_target,
);

async fn a_restore_brings_back_every_practice_its_blobs_and_an_intact_audit_chain(engine: Engine) {
    let f = fixture(engine).await;
    let manifest = backup::restore::read_manifest(&f.backup).unwrap();
    assert!(manifest.schema_version >= 82);
    assert!(manifest.blobs.copied);
    assert!(manifest.audit.seq > 0 && manifest.audit.hash.is_some());
    let (result, at) = f.restore().await;
    let restored = result.expect("restore");
    assert_eq!(restored.blobs, manifest.blobs.count);
    assert_eq!(restored.audit_entries, manifest.audit.seq as u64);
    let db = at.db().await;
    let mut ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM practices WHERE status = 'sent' ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    ids.sort();
    let mut expected = f.practices.clone();
    expected.sort();
    assert_eq!(ids, expected);
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT signed_blob FROM practices UNION SELECT blob FROM practice_attachments",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let store = sportello_core::blobs::FsBlobStore::new(at.data_dir.join("blobs"));
    for key in keys {
        use sportello_core::blobs::BlobStore;
        let bytes = store.get(&key).await.expect("restored blob");
        assert_eq!(sportello_core::blobs::sha256_hex(&bytes), key);
    }
    assert_eq!(
        sportello_core::audit::verify_chain(&db).await.unwrap(),
        Ok(manifest.audit.seq as u64)
    );
    db.close().await;
}

async fn a_backup_goes_only_into_an_empty_folder(engine: Engine) {
    let f = fixture(engine).await;
    let again = backup::backup(&f.app.state, &f.backup, BackupOptions::default()).await;
    assert!(
        matches!(again, Err(backup::BackupError::TargetNotEmpty(_))),
        "{again:?}"
    );
    // An empty folder is fine, and nothing but the finished backup is left beside it.
    let empty = f.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    backup::backup(&f.app.state, &empty, BackupOptions::default())
        .await
        .expect("backup into an empty folder");
    let mut names: Vec<String> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["backup", "empty"]);
}

async fn restore_refuses_a_tampered_blob(engine: Engine) {
    let f = fixture(engine).await;
    let blob = f.attachment_blob().await;
    std::fs::write(&blob, b"%PDF-1.4 not the invoice that was sent").unwrap();
    let (result, at) = f.restore().await;
    let key = match result {
        Err(RestoreError::AlteredBlob(key)) => key,
        other => panic!("{other:?}"),
    };
    assert!(blob.to_string_lossy().ends_with(&key[2..]));
    assert!(
        !at.data_dir.exists(),
        "nothing is left of a refused restore"
    );
}

async fn restore_refuses_a_missing_blob(engine: Engine) {
    let f = fixture(engine).await;
    let blob = f.attachment_blob().await;
    std::fs::remove_file(&blob).unwrap();
    let (result, at) = f.restore().await;
    match result {
        Err(RestoreError::MissingBlob(key)) => {
            assert!(blob.to_string_lossy().ends_with(&key[2..]));
        }
        other => panic!("{other:?}"),
    }
    assert!(!at.data_dir.exists());
}

async fn restore_refuses_a_wrong_manifest(engine: Engine) {
    let f = fixture(engine).await;
    // A count that does not match the database.
    f.edit_manifest(|m| m["counts"]["practices"] = json!(3));
    let (result, at) = f.restore().await;
    match result {
        Err(e @ RestoreError::Mismatch { .. }) => {
            assert_eq!(
                e.to_string(),
                "manifest.json says the number of rows of practices is 3, but the restored \
                 database has 2"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!at.data_dir.exists());
    f.edit_manifest(|m| m["counts"]["practices"] = json!(2));
    // A database file that is not the one the manifest describes.
    let sha = backup::restore::read_manifest(&f.backup)
        .unwrap()
        .database
        .sha256;
    f.edit_manifest(|m| m["database"]["sha256"] = json!("0".repeat(64)));
    let (result, _) = f.restore().await;
    assert!(
        matches!(result, Err(RestoreError::DatabaseAltered(_))),
        "{result:?}"
    );
    f.edit_manifest(|m| m["database"]["sha256"] = json!(sha));
    // A format this version does not know, and no manifest at all.
    f.edit_manifest(|m| m["format"] = json!("sportello-backup/99"));
    let (result, _) = f.restore().await;
    assert!(
        matches!(result, Err(RestoreError::UnknownFormat(_))),
        "{result:?}"
    );
    std::fs::remove_file(f.backup.join("manifest.json")).unwrap();
    let (result, _) = f.restore().await;
    assert!(
        matches!(result, Err(RestoreError::NoManifest { .. })),
        "{result:?}"
    );
}

async fn restore_refuses_a_non_empty_target(engine: Engine) {
    let f = fixture(engine).await;
    // The live data folder of the app itself.
    let live = f.app.state.config.data_dir.clone();
    std::fs::create_dir_all(&live).unwrap();
    std::fs::write(live.join("note.txt"), b"in use").unwrap();
    let target = RestoreTarget {
        data_dir: live.clone(),
        postgres_url: None,
    };
    let result = backup::restore(&f.backup, &target).await;
    assert!(
        matches!(result, Err(RestoreError::TargetNotEmpty(_))),
        "{result:?}"
    );
    assert_eq!(std::fs::read(live.join("note.txt")).unwrap(), b"in use");
    if engine == Engine::Postgres {
        // A PostgreSQL database that already holds tables: the live one.
        let target = RestoreTarget {
            data_dir: f.dir.path().join("fresh"),
            postgres_url: Some(f.app.state.config.database_url.clone()),
        };
        let result = backup::restore(&f.backup, &target).await;
        assert!(
            matches!(result, Err(RestoreError::DatabaseNotEmpty)),
            "{result:?}"
        );
        assert!(!f.dir.path().join("fresh").exists());
    }
}
