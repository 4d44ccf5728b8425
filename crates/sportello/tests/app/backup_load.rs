//! A backup of a running demo under load (`sportello admin backup`, spawned like a real
//! deployment runs it), restored into a fresh data folder (`admin restore`), and a server
//! started on it that serves every practice committed before the backup began, whole.

use crate::backup::TargetDatabase;
use crate::cli::text;
use crate::engine_tests;
use crate::helpers::{TestApp, csrf_of};
use crate::trade::{Erp, LIGURE, sign, small_pdf};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::backup;
use sportello_core::db::Engine;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Every practice of the demo company in `list`, following the pages' `next` links.
async fn listed(erp: &Erp, list: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut next = Some(format!("/api/v1/practices?list={list}&per_page=100"));
    while let Some(url) = next {
        let v = erp.get_json(&url).await;
        all.extend(v["items"].as_array().unwrap().clone());
        next = v["next"].as_str().map(str::to_string);
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
        // A list item is a summary: the practice itself names its attachments.
        let whole = erp.get_json(&format!("/api/v1/practices/{id}")).await;
        for a in whole["attachments"].as_array().unwrap() {
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
