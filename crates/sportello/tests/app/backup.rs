//! Backups that restore: `admin backup` of a running demo under load, `admin restore` into a
//! fresh data folder, a server started on it; and every way a restore must refuse.

use crate::cli::text;
use crate::engine_tests;
use crate::helpers::{TestApp, csrf_of, postgres_url};
use crate::trade::{Erp, LIGURE, ready_practice, sign, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::backup::{self, BackupOptions, RestoreError, RestoreTarget};
use sportello_core::db::{Db, Engine};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The whole path through the binary: a demo under load, backed up, restored, served again.

/// A `sportello` server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where an instance keeps its data: a data folder and, on PostgreSQL, a database.
struct Instance {
    data: PathBuf,
    database: Option<String>,
}

/// `sportello ARGS` on `instance`.
fn command(instance: &Instance, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sportello"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SPORTELLO_BLOBS")
        .env_remove("SPORTELLO_SEAL_KEY")
        .env("SPORTELLO_DATA_DIR", &instance.data)
        .env("SPORTELLO_LOG_LEVEL", "warn");
    if let Some(url) = &instance.database {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}

/// Starts `sportello demo` or `serve` on `instance` and waits until it answers.
async fn start(instance: &Instance, role: &str) -> Server {
    let port = free_port();
    let child = command(instance, &[role])
        .env("SPORTELLO_LISTEN", format!("127.0.0.1:{port}"))
        .env("SPORTELLO_WORKER", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sportello");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    // The demo seeds its data before it listens.
    for _ in 0..1200 {
        if reqwest::get(format!("{}/healthz", server.base))
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sportello {role} did not start");
}

async fn erp_for(base: &str) -> Erp {
    let (email, password) = TestApp::demo_login(Role::Company);
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    Erp {
        client,
        base: base.to_string(),
        token,
    }
}

/// A cookie session of the demo company's user, for the pages that serve files.
async fn company_browser(base: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page).expect("the login page's CSRF token");
    let (email, password) = TestApp::demo_login(Role::Company);
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "login: {}", r.status());
    client
}

/// A base model made and signed, ready to become a practice.
async fn signed_model(erp: &Erp) -> Vec<u8> {
    let model = erp.new_model(LIGURE, crate::trade::co_form()).await;
    let xml = erp.xml(&model).await;
    tokio::task::spawn_blocking(move || sign(&xml, "giulia"))
        .await
        .unwrap()
}

/// Uploads, attaches and sends; the practice's id and protocol number.
async fn submit(erp: &Erp, signed: Vec<u8>) -> (String, String) {
    let r = erp.upload(signed, &crate::trade::DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = erp.attach(&id, small_pdf(), "invoice").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sent = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    let protocol = sent["protocol_number"].as_str().unwrap().to_string();
    (id, protocol)
}

/// Every practice of the demo company in `list`, walking the pages.
async fn listed(erp: &Erp, list: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let v = erp
            .get_json(&format!(
                "/api/v1/practices?list={list}&per_page=100&page={page}"
            ))
            .await;
        let items = v["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        all.extend(items);
    }
    all
}

engine_tests!(
    a_backup_taken_under_load_restores_into_a_server_that_serves_every_committed_practice
);

async fn a_backup_taken_under_load_restores_into_a_server_that_serves_every_committed_practice(
    engine: Engine,
) {
    let dir = tempfile::tempdir().unwrap();
    // On PostgreSQL, a database for the demo and an empty one to restore into, both with
    // tables in `public`, as a deployment has them.
    let (live_db, restored_db) = match engine {
        Engine::Sqlite => (None, None),
        Engine::Postgres => (
            Some(TargetDatabase::new("public").await),
            Some(TargetDatabase::new("public").await),
        ),
    };
    let live = Instance {
        data: dir.path().join("data"),
        database: live_db.as_ref().map(|d| d.url.clone()),
    };
    let demo = start(&live, "demo").await;
    let credit = command(
        &live,
        &[
            "admin",
            "wallet",
            "credit",
            "--company",
            LIGURE,
            "--amount",
            "5000.00",
            "--reference",
            "backup test",
        ],
    )
    .output()
    .unwrap();
    assert!(credit.status.success(), "{}", text(&credit.stderr));
    let erp = erp_for(&demo.base).await;
    erp.complete_profile(LIGURE).await;

    // Practices sent before anything else happens.
    let mut before = Vec::new();
    for _ in 0..4 {
        before.push(submit(&erp, signed_model(&erp).await).await);
    }
    // The load: four clients sending practices from a queue while the backup runs.
    let mut queue = Vec::new();
    for _ in 0..32 {
        queue.push(signed_model(&erp).await);
    }
    let queue = Arc::new(Mutex::new(queue));
    let sent: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let erp = Arc::new(erp);
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (queue, sent, erp) = (queue.clone(), sent.clone(), erp.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some(signed) = next else { break };
                    let done = submit(&erp, signed).await;
                    sent.lock().unwrap().push(done);
                }
            })
        })
        .collect();
    // Once the load is under way, the backup starts; what was sent by then must be in it.
    while sent.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    before.extend(sent.lock().unwrap().iter().cloned());
    let waiting_at_start = queue.lock().unwrap().len();
    let backup_dir = dir.path().join("backup");
    let started = Instant::now();
    let backed_up = tokio::process::Command::from(command(
        &live,
        &["admin", "backup", "--to", backup_dir.to_str().unwrap()],
    ))
    .output()
    .await
    .unwrap();
    let took = started.elapsed();
    let sent_during = sent.lock().unwrap().len() + 4 - before.len();
    assert!(
        backed_up.status.success(),
        "{}{}",
        text(&backed_up.stdout),
        text(&backed_up.stderr)
    );
    assert!(
        waiting_at_start > 0,
        "the clients were still sending when the backup began"
    );
    for c in clients {
        c.await.unwrap();
    }
    assert_eq!(
        sent.lock().unwrap().len(),
        32,
        "every client's practice was sent"
    );
    println!(
        "backup under load: {} ms; {} practices sent before it began, {sent_during} while it ran",
        took.as_millis(),
        before.len(),
    );
    let manifest = backup::restore::read_manifest(&backup_dir).unwrap();
    assert!(manifest.counts["practices"] >= before.len() as i64);
    assert!(manifest.blobs.copied && manifest.blobs.count > 0);
    assert!(
        manifest.seal_secret,
        "the data folder's seal secret is kept"
    );
    drop(demo);

    // Restored into a fresh folder, then served.
    let restored = Instance {
        data: dir.path().join("restored"),
        database: restored_db.as_ref().map(|d| d.url.clone()),
    };
    let out = command(
        &Instance {
            data: dir.path().join("unused"),
            database: restored.database.clone(),
        },
        &[
            "admin",
            "restore",
            "--from",
            backup_dir.to_str().unwrap(),
            "--data-dir",
            restored.data.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("audit trail intact"));
    let server = start(&restored, "serve").await;
    let erp = erp_for(&server.base).await;
    for (id, protocol) in &before {
        let p = erp.get_json(&format!("/api/v1/practices/{id}")).await;
        assert_eq!(p["status"], "sent", "{id}");
        assert_eq!(p["protocol_number"].as_str(), Some(protocol.as_str()));
    }
    // Every practice in the backup is whole: its signed model and attachments are served.
    let browser = company_browser(&server.base).await;
    let mut practices = listed(&erp, "sent").await;
    practices.extend(listed(&erp, "to_send").await);
    assert!(practices.len() >= before.len());
    for p in &practices {
        let id = p["id"].as_str().unwrap();
        let signed = browser
            .get(format!("{}/practices/{id}/signed", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), StatusCode::OK, "signed model of {id}");
        for a in p["attachments"].as_array().unwrap() {
            let aid = a["id"].as_str().unwrap();
            let r = browser
                .get(format!("{}/practices/{id}/attachments/{aid}", server.base))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "attachment {aid} of {id}");
            assert_eq!(r.bytes().await.unwrap().as_ref(), small_pdf().as_slice());
        }
    }
    let audit = command(&restored, &["admin", "audit", "verify"])
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", text(&audit.stdout));
    assert!(text(&audit.stdout).contains("audit trail intact"));
}

// ---------------------------------------------------------------------------------------------
// In process, on both engines: what a restore checks and refuses.

/// A fresh, empty PostgreSQL database on the test server, dropped when the guard goes; its
/// URL sets the search path to `schema` (the schema the dump recreates).
struct TargetDatabase {
    url: String,
    admin: String,
    name: String,
}

impl TargetDatabase {
    async fn new(schema: &str) -> TargetDatabase {
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
