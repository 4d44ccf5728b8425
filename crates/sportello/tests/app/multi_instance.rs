//! Two `sportello serve` instances (worker off) and one `sportello worker`, on one PostgreSQL
//! database and one blob store, behind nginx run unprivileged from a temp dir with the
//! committed `deploy/nginx/sportello.conf` rendered with the test's ports. One company user
//! signs in with a cookie and works through the balancer: round robin sends their requests to
//! both instances (each names itself in `Sportello-Instance`), and the session and its CSRF
//! token hold on either. The whole flow — company, officer, public verification — goes
//! through nginx; only the worker sends e-mail.
//!
//! Needs PostgreSQL (`SPORTELLO_TEST_POSTGRES`) and nginx (`SPORTELLO_TEST_NGINX`, the
//! binary; `scripts/test` installs it and sets the variable) at build time, else it is
//! compiled as ignored. The blob store is the S3 test server when `SPORTELLO_TEST_S3` is set,
//! else one local folder that all three processes share (the test prints which).

use crate::helpers::{SmtpServer, TestApp, TestDb, csrf_of};
use crate::trade::{Erp, LIGURE, ready_practice};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::clock::Clock;
use sportello_core::config::Config;
use sportello_core::db::Engine;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The secret every instance shares (the test's own: 32 bytes in hex).
const SEAL_KEY: &str = "6d756c74692d696e7374616e63652d746573742d7365616c2d6b65792d303031";
/// The user nginx runs as when the test runs as root.
const NOBODY: u32 = 65534;

/// A child process killed when the test ends, passed or panicked.
struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// The process's log so far (for failure messages).
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Where the blobs go: the S3 test server's new bucket, or a shared folder.
async fn blob_env(dir: &Path) -> Vec<(&'static str, String)> {
    match std::env::var("SPORTELLO_TEST_S3") {
        Ok(endpoint) if !endpoint.trim().is_empty() => {
            let bucket = format!("sportello-{}", uuid::Uuid::new_v4().simple());
            // The test server makes a bucket on an unsigned PUT.
            let made = reqwest::Client::new()
                .put(format!("{endpoint}/{bucket}"))
                .send()
                .await
                .expect("the S3 test server answers");
            assert!(made.status().is_success(), "bucket: {}", made.status());
            eprintln!("multi_instance: blobs on the S3 test server, bucket {bucket}");
            vec![
                ("SPORTELLO_BLOBS", format!("s3://{bucket}/multi")),
                ("AWS_ENDPOINT_URL", endpoint),
                ("AWS_ACCESS_KEY_ID", "testing".into()),
                ("AWS_SECRET_ACCESS_KEY", "testing".into()),
                ("AWS_REGION", "us-east-1".into()),
            ]
        }
        _ => {
            let folder = dir.join("shared-blobs");
            eprintln!(
                "multi_instance: SPORTELLO_TEST_S3 is not set: blobs in one local folder shared \
                 by every process"
            );
            vec![("SPORTELLO_BLOBS", format!("file://{}", folder.display()))]
        }
    }
}

/// Starts `sportello <role>` with the shared environment plus `own`; its stderr goes to a log.
fn spawn_sportello(
    name: &'static str,
    role: &str,
    dir: &Path,
    shared: &[(&'static str, String)],
    own: &[(&'static str, String)],
) -> Process {
    let data = dir.join(format!("{name}-data"));
    let log = dir.join(format!("{name}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sportello"));
    cmd.arg(role)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SPORTELLO_DATA_DIR", &data)
        .env("SPORTELLO_LOG_LEVEL", "info,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    for (k, v) in shared.iter().chain(own) {
        cmd.env(k, v);
    }
    Process {
        name,
        child: cmd.spawn().expect("start sportello"),
        log,
    }
}

/// The committed nginx site, with the test's ports in place of the example ones. Every
/// replaced line must be there, so a change to the file that the test no longer matches
/// fails here, not silently.
fn render_site(listen: u16, instances: [u16; 2]) -> String {
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx/sportello.conf"),
    )
    .expect("deploy/nginx/sportello.conf");
    let mut site = committed.clone();
    for (from, to) in [
        (
            "    listen 80;\n".to_string(),
            format!("    listen 127.0.0.1:{listen};\n"),
        ),
        (
            "server 127.0.0.1:8081 ".to_string(),
            format!("server 127.0.0.1:{} ", instances[0]),
        ),
        (
            "server 127.0.0.1:8082 ".to_string(),
            format!("server 127.0.0.1:{} ", instances[1]),
        ),
    ] {
        assert_eq!(
            site.matches(&from).count(),
            1,
            "deploy/nginx/sportello.conf no longer has `{}`",
            from.trim()
        );
        site = site.replace(&from, &to);
    }
    site
}

/// nginx with its own prefix in `dir` (configuration, logs, temp files, pid), one process,
/// in the foreground; as `nobody` when the test runs as root.
fn start_nginx(dir: &Path, listen: u16, instances: [u16; 2]) -> Process {
    let nginx = std::env::var("SPORTELLO_TEST_NGINX")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "/usr/sbin/nginx".into());
    let prefix = dir.join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    std::fs::write(
        prefix.join("sportello.conf"),
        render_site(listen, instances),
    )
    .unwrap();
    let p = prefix.display();
    std::fs::write(
        prefix.join("nginx.conf"),
        format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {p}/nginx.pid;\n\
             error_log {p}/logs/error.log warn;\nevents {{ worker_connections 256; }}\n\
             http {{\n  access_log {p}/logs/access.log;\n  client_body_temp_path {p}/client_body;\n\
               proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n\
               uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
               include {p}/sportello.conf;\n}}\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(&nginx);
    cmd.arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-e")
        .arg(prefix.join("logs/error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if running_as_root() {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        // The temp dir is root's: let nobody through to its own prefix.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).unwrap();
        for entry in [
            prefix.clone(),
            prefix.join("logs"),
            prefix.join("nginx.conf"),
            prefix.join("sportello.conf"),
        ] {
            std::os::unix::fs::chown(&entry, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        cmd.uid(NOBODY).gid(NOBODY);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start nginx ({nginx}): {e}"));
    Process {
        name: "nginx",
        child,
        log: prefix.join("logs/error.log"),
    }
}

/// Waits until `url` answers 200, or fails naming the process and showing its log.
async fn wait_ready(url: &str, process: &mut Process) {
    for _ in 0..600 {
        if let Ok(Some(status)) = process.child.try_wait() {
            panic!(
                "{} exited ({status}) before answering:\n{}",
                process.name,
                process.log()
            );
        }
        if let Ok(r) = reqwest::get(url).await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{} did not answer at {url}:\n{}",
        process.name,
        process.log()
    );
}

/// A signed-in visitor with cookies, who notes which instance answered each request.
struct Visitor {
    client: reqwest::Client,
    base: String,
    csrf: Mutex<String>,
    served_by: Mutex<BTreeMap<String, usize>>,
}

impl Visitor {
    fn new(base: &str) -> Visitor {
        Visitor {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            csrf: Mutex::new(String::new()),
            served_by: Mutex::new(BTreeMap::new()),
        }
    }

    async fn note(&self, r: reqwest::Response) -> (StatusCode, Option<String>, String) {
        let status = r.status();
        let instance = r
            .headers()
            .get("sportello-instance")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        *self.served_by.lock().unwrap().entry(instance).or_default() += 1;
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = r.text().await.unwrap_or_default();
        if let Some(token) = csrf_of(&body) {
            *self.csrf.lock().unwrap() = token;
        }
        (status, location, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (status, _, body) = self.note(r).await;
        (status, body)
    }

    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>) {
        let token = self.csrf.lock().unwrap().clone();
        let mut form = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        let (status, location, _) = self.note(r).await;
        (status, location)
    }

    fn instances(&self) -> BTreeMap<String, usize> {
        self.served_by.lock().unwrap().clone()
    }
}

/// An API client whose token was issued through the balancer.
async fn api_client(base: &str, role: Role) -> Erp {
    let (email, password) = TestApp::demo_login(role);
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

/// Waits until the worker has delivered a message containing `needle`.
async fn wait_for_mail(smtp: &SmtpServer, needle: &str, worker: &Process) {
    for _ in 0..300 {
        if smtp.messages().iter().any(|m| m.data.contains(needle)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no e-mail with {needle} reached the SMTP server; the worker's log:\n{}",
        worker.log()
    );
}

/// The instance that answered `r`.
fn instance_of(r: &reqwest::Response) -> String {
    r.headers()
        .get("sportello-instance")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(all(sportello_test_postgres, sportello_test_nginx)),
    ignore = "SPORTELLO_TEST_POSTGRES or SPORTELLO_TEST_NGINX is not set"
)]
async fn two_instances_and_a_worker_behind_nginx_serve_one_user_as_one() {
    let db = TestDb::new(Engine::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    let nginx_port = free_port();
    let ports = [free_port(), free_port()];
    let public = format!("http://127.0.0.1:{nginx_port}");

    // What every process shares: the database, the blob store, the seal secret.
    let mut shared: Vec<(&'static str, String)> = vec![
        ("DATABASE_URL", db.url.clone()),
        ("SPORTELLO_SEAL_KEY", SEAL_KEY.into()),
        ("SPORTELLO_PUBLIC_URL", public.clone()),
        ("SPORTELLO_TRUSTED_PROXIES", "127.0.0.1".into()),
    ];
    shared.extend(blob_env(dir.path()).await);

    // The demo chamber, seeded once by the test itself (not by an instance).
    let vars: HashMap<&str, String> = shared
        .iter()
        .cloned()
        .chain([(
            "SPORTELLO_DATA_DIR",
            dir.path().join("seed-data").display().to_string(),
        )])
        .collect();
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
    let blobs = sportello::blob_store::open(&config.blobs).expect("blob store");
    let mailer = sportello_core::notify::mailer_from_config(&config).expect("mailer");
    let seeder = sportello_core::Ctx::from_parts(config, Clock::system(), db.db.clone(), mailer)
        .with_blob_store(blobs);
    sportello_core::demo::seed(&seeder)
        .await
        .expect("demo seed");

    // Two web instances without a worker and without an SMTP relay (what they would send
    // lands in their own folders, never at the SMTP server), and the one worker that has it.
    let mut web = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let name = if i == 0 { "web-1" } else { "web-2" };
        web.push(spawn_sportello(
            name,
            "serve",
            dir.path(),
            &shared,
            &[
                ("SPORTELLO_LISTEN", format!("127.0.0.1:{port}")),
                ("SPORTELLO_INSTANCE", name.into()),
                ("SPORTELLO_WORKER", "false".into()),
            ],
        ));
    }
    let mut worker = spawn_sportello(
        "worker",
        "worker",
        dir.path(),
        &shared,
        &[
            ("SPORTELLO_SMTP_HOST", "127.0.0.1".into()),
            ("SPORTELLO_SMTP_PORT", smtp.port.to_string()),
            ("SPORTELLO_SMTP_TLS", "none".into()),
        ],
    );
    for (process, port) in web.iter_mut().zip(ports) {
        wait_ready(&format!("http://127.0.0.1:{port}/readyz"), process).await;
    }
    let mut nginx = start_nginx(dir.path(), nginx_port, ports);
    wait_ready(&format!("{public}/healthz"), &mut nginx).await;
    if let Ok(Some(status)) = worker.child.try_wait() {
        panic!("the worker exited ({status}):\n{}", worker.log());
    }

    // The company user signs in with the login form: the form's CSRF cookie, the login and
    // the session's pages land on alternate instances.
    let company = Visitor::new(&public);
    let (status, _) = company.get("/login").await;
    assert_eq!(status, StatusCode::OK);
    let (email, password) = TestApp::demo_login(Role::Company);
    let (status, location) = company
        .post_form("/login", &[("email", email), ("password", password)])
        .await;
    assert!(
        status.is_redirection(),
        "login through the balancer: {status}"
    );
    assert_eq!(location.as_deref(), Some("/"));
    for _ in 0..4 {
        let (status, home) = company.get("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            home.contains(r#"data-testid="logout""#),
            "signed in on every instance"
        );
    }
    // Forms posted with the session's CSRF token, whichever instance issued the page.
    let profile = [
        ("tax_code", LIGURE),
        ("delivery_address", "Via XX Settembre 12"),
        ("postcode", "16121"),
        ("municipality", "Genova"),
        ("province", "GE"),
        ("notification_email", "export@ligure-export.test"),
    ];
    for _ in 0..2 {
        let (status, _) = company.get("/company/profile").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = company.post_form("/company/profile", &profile).await;
        assert!(
            status == StatusCode::OK || status.is_redirection(),
            "profile saved: {status}"
        );
    }
    // A token the session never issued is refused everywhere.
    let forged = company
        .client
        .post(format!("{public}/company/profile"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // The practice, as the company's ERP sends it (its token issued through the balancer).
    let erp = api_client(&public, Role::Company).await;
    let id = ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let sent: Value = r.json().await.unwrap();
    let protocol = sent["protocol_number"].as_str().unwrap().to_string();
    // The practice list, on both instances, with the session cookie.
    for _ in 0..2 {
        let (status, list) = company.get("/practices?list=sent").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            list.contains(&protocol) || list.contains(&protocol.replace('/', "&#x2f;")),
            "the sent practice {protocol} is listed"
        );
    }
    // Only the worker sends: the protocol e-mail reaches the SMTP server.
    wait_for_mail(&smtp, &protocol, &worker).await;

    // The officer takes and approves it (the certificate is sealed and stored by one
    // instance)…
    let officer = api_client(&public, Role::Officer).await;
    for step in ["take", "approve"] {
        let r = officer
            .post(&format!("/api/v1/practices/{id}/{step}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{step}: {}",
            r.text().await.unwrap()
        );
    }
    // …and both instances serve it: the PDF from the shared store, the security code
    // decrypted with the shared secret.
    // (Round robin alternates over every request: two of a kind in a row reach both.)
    let mut pdf_from = BTreeSet::new();
    for _ in 0..2 {
        let r = erp
            .get(&format!("/api/v1/practices/{id}/certificate.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        pdf_from.insert(instance_of(&r));
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    }
    let mut code_from = BTreeSet::new();
    let mut code = String::new();
    let mut number = String::new();
    for _ in 0..2 {
        let r = erp
            .get(&format!("/api/v1/practices/{id}"))
            .send()
            .await
            .unwrap();
        code_from.insert(instance_of(&r));
        let practice: Value = r.json().await.unwrap();
        assert_eq!(practice["status"], "approved");
        number = practice["certificate"]["number"]
            .as_str()
            .unwrap()
            .to_string();
        code = practice["certificate"]["security_code"]
            .as_str()
            .expect("the company sees its code")
            .to_string();
    }
    assert_eq!(
        code_from.len(),
        2,
        "the code from both instances: {code_from:?}"
    );
    assert_eq!(
        pdf_from.len(),
        2,
        "the certificate from both instances: {pdf_from:?}"
    );

    // Anyone abroad verifies it, whichever instance answers.
    let public_client = reqwest::Client::new();
    let mut verified_by = BTreeSet::new();
    for _ in 0..2 {
        let r = public_client
            .get(format!("{public}/api/v1/verify/{number}?code={code}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        verified_by.insert(instance_of(&r));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "valid");
    }
    assert_eq!(verified_by.len(), 2, "{verified_by:?}");
    let page = public_client
        .get(format!("{public}/verify/{number}?code={code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    wait_for_mail(&smtp, &number, &worker).await;

    // The company's own requests were served by both instances, and by nothing else.
    let served = company.instances();
    assert_eq!(
        served.keys().cloned().collect::<Vec<_>>(),
        ["web-1", "web-2"],
        "{served:?}"
    );
    assert!(served.values().all(|n| *n >= 3), "{served:?}");

    // An instance started with another seal secret refuses to serve.
    let mut stray = spawn_sportello(
        "stray",
        "serve",
        dir.path(),
        &shared
            .iter()
            .filter(|(k, _)| *k != "SPORTELLO_SEAL_KEY")
            .cloned()
            .collect::<Vec<_>>(),
        &[
            ("SPORTELLO_LISTEN", format!("127.0.0.1:{}", free_port())),
            ("SPORTELLO_SEAL_KEY", "ab".repeat(32)),
        ],
    );
    let exited = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(Some(status)) = stray.child.try_wait() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the stray instance stops");
    assert!(!exited.success());
    assert!(
        stray.log().contains("SPORTELLO_SEAL_KEY"),
        "{}",
        stray.log()
    );
}
