//! The test harness: the whole app in-process on port 0, a fresh database per test
//! (a temporary SQLite file, or a fresh PostgreSQL schema when `SPORTELLO_TEST_POSTGRES`
//! is set), a manual clock, and a real SMTP server receiving the mail.

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use sportello::app::AppState;
use sportello_core::clock::{Clock, ManualClock};
use sportello_core::config::{Config, MailTransport, SmtpSettings, SmtpTls};
use sportello_core::db::{Db, Engine};
use sqlx::Connection;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The PostgreSQL server to test against, when configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("SPORTELLO_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Generates one test per engine from an `async fn(Engine)`:
/// `engine_tests!(name)` gives `name::sqlite` and `name::postgres`.
///
/// The PostgreSQL variant is compiled as ignored unless `SPORTELLO_TEST_POSTGRES` was set at
/// build time (see `build.rs`), so a run without PostgreSQL says so instead of passing it.
/// Compiled to run, it fails when PostgreSQL cannot be reached.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(sportello_core::db::Engine::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(sportello_test_postgres),
                ignore = "SPORTELLO_TEST_POSTGRES is not set"
            )]
            async fn postgres() {
                super::$name(sportello_core::db::Engine::Postgres).await;
            }
        }
    )*};
}

/// A fresh, migrated database on `engine`, and what must live as long as it. Dropping it
/// removes everything the test made, even when the test panicked: the SQLite file goes with
/// the temp dir, the PostgreSQL schema with its guard.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub dir: tempfile::TempDir,
    _schema: Option<PgSchema>,
}

impl TestDb {
    pub async fn new(engine: Engine) -> TestDb {
        let t = TestDb::unmigrated(engine).await;
        t.db.migrate().await.expect("migrate");
        t
    }

    /// An empty database, no migration applied (to build an old shape by hand).
    pub async fn unmigrated(engine: Engine) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, schema) = match engine {
            Engine::Sqlite => (
                format!("sqlite://{}", dir.path().join("test.db").display()),
                None,
            ),
            Engine::Postgres => {
                let base = postgres_url()
                    .expect("SPORTELLO_TEST_POSTGRES is not set, though it was at build time");
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                // One plain connection: a refused one fails at once, where a pool would retry.
                let mut admin = sqlx::PgConnection::connect(&base)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("cannot connect to PostgreSQL at SPORTELLO_TEST_POSTGRES: {e}")
                    });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create schema");
                let _ = admin.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                // The application name marks this test's connections, for the guard to end them.
                let url =
                    format!("{base}{sep}options=-c%20search_path%3D{name}&application_name={name}");
                (url, Some(PgSchema { base, name }))
            }
        };
        let db = Db::connect(&url, 5).await.expect("connect");
        TestDb {
            db,
            url,
            dir,
            _schema: schema,
        }
    }
}

/// Drops a test's PostgreSQL schema when the test ends, passed or panicked.
struct PgSchema {
    base: String,
    name: String,
}

impl PgSchema {
    /// Ends the test's own connections (a panic can leave one inside a transaction, holding
    /// locks), then drops the schema with everything in it.
    async fn drop_schema(base: &str, name: &str) -> Result<(), sqlx::Error> {
        let mut admin = sqlx::PgConnection::connect(base).await?;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&mut admin)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE"
        )))
        .execute(&mut admin)
        .await?;
        admin.close().await
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Drop is synchronous and runs inside the test's runtime, where another runtime
        // cannot be started: the work gets a thread with a small runtime of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(PgSchema::drop_schema(&base, &name))
                .map_err(|e| e.to_string())
        })
        .join();
        // No panic here: during a test's panic it would abort the whole test binary.
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("schema {} was not dropped: {e}", self.name),
            Err(_) => eprintln!("schema {} was not dropped: the thread panicked", self.name),
        }
    }
}

/// One message received by the test SMTP server.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// When its content began (the `DATA` command): the sender was alive then.
    pub began: std::time::Instant,
    /// When the server accepted it (the end of its content).
    pub at: std::time::Instant,
}

/// The server clones the handler for each connection: the inbox is shared, the message being
/// received is the connection's own.
#[derive(Clone)]
struct SmtpHandler {
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
    current: Option<ReceivedMail>,
}

impl mailin_embedded::Handler for SmtpHandler {
    fn data_start(
        &mut self,
        _domain: &str,
        from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.current = Some(ReceivedMail {
            from: from.to_string(),
            to: to.to_vec(),
            data: String::new(),
            began: std::time::Instant::now(),
            at: std::time::Instant::now(),
        });
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = self.current.as_mut() {
            m.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        if let Some(mut m) = self.current.take() {
            m.at = std::time::Instant::now();
            self.inbox.lock().unwrap().push(m);
        }
        mailin_embedded::response::OK
    }
}

/// A real SMTP server on a free local port, in a background thread.
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let port = listener.local_addr().expect("addr").port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let handler = SmtpHandler {
            inbox: inbox.clone(),
            current: None,
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("test.smtp.local")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, inbox }
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.inbox.lock().unwrap().clone()
    }
}

/// The whole application, served in-process on a free port.
pub struct TestApp {
    pub state: AppState,
    pub addr: SocketAddr,
    pub base: String,
    pub clock: ManualClock,
    pub smtp: SmtpServer,
    pub db: TestDb,
}

/// The instant every test starts at (a Wednesday morning in Genova).
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_with_env(engine, &[]).await
    }

    /// [`TestApp::spawn`] with more configuration variables (`SPORTELLO_TRUSTED_PROXIES`…).
    pub async fn spawn_with_env(engine: Engine, env: &[(&'static str, &str)]) -> TestApp {
        let db = TestDb::new(engine).await;
        let smtp = SmtpServer::start();
        let data_dir = db.dir.path().join("data");
        let mut vars: HashMap<&str, String> = HashMap::from([
            ("SPORTELLO_DATA_DIR", data_dir.display().to_string()),
            ("DATABASE_URL", db.url.clone()),
            ("SPORTELLO_LISTEN", "127.0.0.1:0".to_string()),
        ]);
        vars.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
        let mut config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
        config.mail = MailTransport::Smtp(SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp.port,
            username: None,
            password: None,
            tls: SmtpTls::None,
        });
        config.run_worker = false;
        let (clock, handle) = Clock::manual(start_time());
        let mailer = sportello_core::notify::mailer_from_config(&config).expect("mailer");
        let state = AppState::new(sportello_core::Ctx::from_parts(
            config,
            clock,
            db.db.clone(),
            mailer,
        ));
        // `SPORTELLO_LISTEN` from `env` when a test needs a known port (a redirect URL
        // registered at the test OpenID provider); else a free one.
        let listen = vars["SPORTELLO_LISTEN"].clone();
        let listener = tokio::net::TcpListener::bind(listen.as_str())
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = sportello::web::router(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        TestApp {
            state,
            addr,
            base: format!("http://{addr}"),
            clock: handle,
            smtp,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Runs every due job (mail delivery included) now.
    pub async fn run_jobs(&self) -> usize {
        sportello::worker::run_due(&self.state, "test")
            .await
            .expect("run jobs")
    }
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects, and echoes the
/// CSRF token of the last page it saw on every form it posts.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    csrf: Mutex<String>,
}

/// The value of `<meta name="csrf-token" content="…">` in a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf-token\" content=\"")?;
    let rest = &html[at + "name=\"csrf-token\" content=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            base: app.base.clone(),
            csrf: Mutex::new(String::new()),
        }
    }

    /// GETs a page and remembers its CSRF token; returns status and body.
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("GET");
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        if let Some(token) = csrf_of(&body) {
            *self.csrf.lock().unwrap() = token;
        }
        (status, body)
    }

    /// POSTs a form with the current CSRF token; returns status, `Location` and body.
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (reqwest::StatusCode, Option<String>, String) {
        if self.csrf.lock().unwrap().is_empty() {
            self.get("/login").await;
        }
        let token = self.csrf.lock().unwrap().clone();
        let mut form: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .client
            .post(format!("{}{}", self.base, path))
            .form(&form)
            .send()
            .await
            .expect("POST");
        let status = r.status();
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

    /// Logs in; panics unless the login succeeds.
    pub async fn login(app: &TestApp, email: &str, password: &str) -> Browser {
        let b = Browser::new(app);
        b.get("/login").await;
        let (status, location, body) = b
            .post_form("/login", &[("email", email), ("password", password)])
            .await;
        assert!(
            status.is_redirection(),
            "login of {email} failed: {status} {body}"
        );
        assert_eq!(location.as_deref(), Some("/"));
        // The session has its own CSRF token: pick it up.
        b.get("/").await;
        b
    }
}

impl TestApp {
    /// Seeds the demo chamber, companies and users (one per role).
    pub async fn seed_demo(&self) {
        sportello_core::demo::seed(&self.state)
            .await
            .expect("demo seed");
    }

    /// The demo login of `role`: (email, password).
    pub fn demo_login(role: sportello_core::accounts::Role) -> (&'static str, &'static str) {
        let (_, email, _, password) = sportello_core::demo::DEMO_USERS
            .iter()
            .find(|(r, ..)| *r == role)
            .copied()
            .expect("demo role");
        (email, password)
    }
}

impl Browser {
    /// POSTs a multipart form with the current CSRF token; returns status, `Location`, body.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> (reqwest::StatusCode, Option<String>, String) {
        let token = self.csrf.lock().unwrap().clone();
        let r = self
            .client
            .post(format!("{}{}", self.base, path))
            // Like htmx: the token in the header. A `csrf` field would have to come before
            // the files (what our pages do), and reqwest appends fields.
            .header("X-CSRF-Token", token)
            .multipart(form)
            .send()
            .await
            .expect("POST");
        let status = r.status();
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

    /// The CSRF token of the session, as the last page gave it.
    pub fn csrf(&self) -> String {
        self.csrf.lock().unwrap().clone()
    }

    /// GETs raw bytes.
    pub async fn bytes(&self, path: &str) -> (reqwest::StatusCode, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("GET");
        (r.status(), r.bytes().await.unwrap_or_default().to_vec())
    }
}
