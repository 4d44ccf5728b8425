//! Login with a digital identity (SPID/CIE through an OpenID Connect broker) and sign-up on
//! the first login, against a real OpenID provider: panva's `oidc-provider` from npm
//! (`scripts/oidc-provider`), spawned per test on a free port with a client registered for
//! the app's callback URL. Its development login form is filled as a person would. Without
//! Node.js or the package the tests are compiled as ignored (`build.rs`); on both engines.

use crate::helpers::{Browser, TestApp, start_time};
use reqwest::StatusCode;
use sportello_core::db::{Db, Engine};
use sportello_core::registry::{self, ImportOptions};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// One test per engine, ignored (and shown as such) without the local OpenID provider.
macro_rules! oidc_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(sportello_test_oidc),
                ignore = "Node.js or scripts/oidc-provider is not installed"
            )]
            async fn sqlite() {
                super::$name(sportello_core::db::Engine::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                any(not(sportello_test_postgres), not(sportello_test_oidc)),
                ignore = "SPORTELLO_TEST_POSTGRES is not set, or the local OpenID provider is not installed"
            )]
            async fn postgres() {
                super::$name(sportello_core::db::Engine::Postgres).await;
            }
        }
    )*};
}

oidc_tests!(
    a_registry_representative_signs_up_on_the_first_login_and_acts_for_the_company_at_once,
    a_person_the_registry_does_not_list_gets_an_account_and_is_told_how_to_be_linked,
    a_wrong_state_or_another_browser_is_refused_and_creates_nothing,
    a_replayed_code_is_refused,
    an_expired_id_token_or_a_wrong_nonce_is_refused,
    a_missing_or_malformed_tax_code_claim_is_refused_in_words_and_creates_nothing,
);

/// Mario Rossi, sole trader ROSSI MARIO: the Registry lists him as its representative.
const MARIO: &str = "RSSMRA80A01H501U";
/// Paolo Verdi: a valid tax code no company of the Registry lists.
const PAOLO: &str = "VRDPLA70A01D969S";

const REGISTRY: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;\
                        indirizzo;cap;comune;stato;diritto_annuale_pagato;rappresentanti\n\
                        RSSMRA80A01H501U;12345670017;ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;ATTIVA;2025;RSSMRA80A01H501U\n\
                        01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025;BNCGLI85M41D969D\n";

/// The accounts of the test provider: login name → claims.
fn accounts() -> String {
    serde_json::json!({
        "mario": {"given_name": "Mario", "family_name": "Rossi", "email": "mario.rossi@example.it",
                  "fiscal_number": format!("TINIT-{MARIO}")},
        "paolo": {"name": "Paolo Verdi", "email": "paolo.verdi@example.it", "email_verified": true,
                  "fiscal_number": format!("TINIT-{PAOLO}")},
        "anonimo": {"name": "Anna Nonima", "email": "anna@example.it"},
        "sbagliato": {"name": "Mario Errato", "email": "errato@example.it",
                      "fiscal_number": "TINIT-RSSMRA80A01H501V"},
        "impresa": {"name": "Ligure Export", "email": "info@example.it",
                    "fiscal_number": "TINIT-01879020517"},
    })
    .to_string()
}

/// The local OpenID provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn start_provider(redirect: &str, id_token_ttl: u64) -> Provider {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/oidc-provider/server.mjs"
    );
    let mut child = Command::new("node")
        .arg(script)
        .env("OIDC_CLIENT_ID", "sportello")
        .env("OIDC_CLIENT_SECRET", "sportello-test-secret")
        .env("OIDC_REDIRECT_URIS", redirect)
        .env("OIDC_ACCOUNTS", accounts())
        .env("OIDC_ID_TOKEN_TTL", id_token_ttl.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the test OpenID provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    reader
        .read_line(&mut line)
        .expect("the provider says where it listens");
    // Whatever it prints later is read and dropped, so it never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let issuer = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected provider output: {line}"))
        .to_string();
    Provider { child, issuer }
}

/// The app with the provider configured, on a known port (its callback URL is registered
/// at the provider), and the Registry listing Mario Rossi as a representative.
async fn app_with_provider(engine: Engine, id_token_ttl: u64) -> (TestApp, Provider) {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let provider = start_provider(&format!("{public}/login/oidc/callback"), id_token_ttl);
    let listen = format!("127.0.0.1:{port}");
    let app = TestApp::spawn_with_env(
        engine,
        &[
            ("SPORTELLO_LISTEN", listen.as_str()),
            ("SPORTELLO_PUBLIC_URL", public.as_str()),
            ("SPORTELLO_OIDC_ISSUER", provider.issuer.as_str()),
            ("SPORTELLO_OIDC_CLIENT_ID", "sportello"),
            ("SPORTELLO_OIDC_CLIENT_SECRET", "sportello-test-secret"),
            ("SPORTELLO_OIDC_SCOPES", "openid profile email"),
        ],
    )
    .await;
    let path = app.db.dir.path().join("registry.csv");
    std::fs::write(&path, REGISTRY).unwrap();
    let outcome = registry::import_csv(
        &app.db.db,
        start_time(),
        &path,
        ImportOptions {
            progress: false,
            batch_size: 100,
        },
    )
    .await
    .expect("registry import");
    assert_eq!(outcome.imported, 2);
    (app, provider)
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location in {}", r.status()))
        .to_string()
}

/// Presses "Entra con SPID / CIE" and logs in at the provider's form as `login`; returns the
/// URL the provider sends the browser back to (our callback, with code and state).
async fn login_at_provider(b: &Browser, provider: &Provider, login: &str) -> String {
    let (status, to, _) = b.post_form("/login/oidc", &[("next", "/")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = to.expect("redirect to the provider");
    assert!(to.starts_with(&provider.issuer), "{to}");
    assert!(
        to.contains("code_challenge_method=S256") && to.contains("nonce="),
        "{to}"
    );
    let r = b.client.get(&to).send().await.unwrap();
    let interaction = format!("{}{}", provider.issuer, location(&r));
    let page = b
        .client
        .get(&interaction)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = page
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's login form")
        .to_string();
    let r = b
        .client
        .post(&action)
        .form(&[
            ("prompt", "login"),
            ("login", login),
            ("password", "qualsiasi"),
        ])
        .send()
        .await
        .unwrap();
    let resume = location(&r);
    let r = b.client.get(&resume).send().await.unwrap();
    let back = location(&r);
    assert!(back.contains("/login/oidc/callback?code="), "{back}");
    back
}

/// Follows the provider's redirect to our callback: status, Location, body.
async fn come_back(b: &Browser, callback: &str) -> (StatusCode, Option<String>, String) {
    let r = b.client.get(callback).send().await.unwrap();
    let status = r.status();
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, to, r.text().await.unwrap_or_default())
}

async fn users(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn a_registry_representative_signs_up_on_the_first_login_and_acts_for_the_company_at_once(
    engine: Engine,
) {
    let (app, provider) = app_with_provider(engine, 3600).await;
    let b = Browser::new(&app);
    let (_, login_page) = b.get("/login").await;
    assert!(login_page.contains("Entra con SPID / CIE"), "{login_page}");

    let callback = login_at_provider(&b, &provider, "mario").await;
    let (status, to, body) = come_back(&b, &callback).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some("/welcome"));
    let (status, welcome) = b.get("/welcome").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        welcome.contains("Mario Rossi, il tuo account è stato creato"),
        "{welcome}"
    );
    assert!(welcome.contains("ROSSI MARIO"), "{welcome}");
    assert!(welcome.contains("rappresentante legale secondo il Registro Imprese"));
    // The provider did not say the e-mail is verified: the page says so.
    assert!(welcome.contains("data-testid=\"email-unverified\""));

    let db = &app.db.db;
    let (name, email, role, tax_code, verified, chamber): (
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
    ) = sqlx::query_as("SELECT name, email, role, tax_code, email_verified, chamber_id FROM users")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        (
            name.as_str(),
            email.as_str(),
            role.as_str(),
            tax_code.as_str(),
            verified,
            chamber
        ),
        (
            "Mario Rossi",
            "mario.rossi@example.it",
            "company",
            MARIO,
            0,
            None
        )
    );
    let links: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT c.name, uc.reason FROM user_companies uc JOIN companies c ON c.id = uc.company_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        links,
        [(
            "ROSSI MARIO".to_string(),
            Some("representative".to_string())
        )]
    );
    // He acts for the company at once: its practices list opens, with no linking step.
    let (status, _) = b.get("/practices").await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'user.%' ORDER BY seq")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(actions, ["user.sign_up", "user.company_link", "user.login"]);

    // The next login (another browser) finds the same account by tax code: no new one, no
    // welcome page, straight to where the login started.
    let other = Browser::new(&app);
    let callback = login_at_provider(&other, &provider, "mario").await;
    let (status, to, _) = come_back(&other, &callback).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/"));
    assert_eq!(users(db).await, 1);
    // No password can open the account, and password recovery sends nothing.
    assert!(
        !sportello_core::accounts::oidc::has_password(
            db,
            &sqlx::query_scalar::<_, String>("SELECT id FROM users")
                .fetch_one(db.pool())
                .await
                .unwrap()
        )
        .await
        .unwrap()
    );
}

async fn a_person_the_registry_does_not_list_gets_an_account_and_is_told_how_to_be_linked(
    engine: Engine,
) {
    let (app, provider) = app_with_provider(engine, 3600).await;
    let b = Browser::new(&app);
    b.get("/login").await;
    let callback = login_at_provider(&b, &provider, "paolo").await;
    let (status, to, _) = come_back(&b, &callback).await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/welcome"))
    );
    let (_, welcome) = b.get("/welcome").await;
    assert!(
        welcome.contains("data-testid=\"welcome-no-company\""),
        "{welcome}"
    );
    assert!(welcome.contains("delega firmata digitalmente"));
    assert!(
        !welcome.contains("email-unverified"),
        "the provider said verified"
    );
    let (_, home) = b.get("/").await;
    assert!(home.contains("data-testid=\"home-no-company\""), "{home}");
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_companies")
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
    assert_eq!(links, 0);
    let verified: i64 = sqlx::query_scalar("SELECT email_verified FROM users")
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
    assert_eq!(verified, 1);
}

async fn a_wrong_state_or_another_browser_is_refused_and_creates_nothing(engine: Engine) {
    let (app, provider) = app_with_provider(engine, 3600).await;
    let b = Browser::new(&app);
    b.get("/login").await;
    let callback = login_at_provider(&b, &provider, "mario").await;
    let (_, state) = callback.split_once("state=").unwrap();
    let state = state.split('&').next().unwrap();
    let forged = callback.replace(state, "not-the-state-we-sent");
    let (status, _, body) = come_back(&b, &forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("La richiesta di accesso è scaduta, è già stata usata"),
        "{body}"
    );
    assert_eq!(users(&app.db.db).await, 0);

    // The right state from another browser (a link an attacker sends: login CSRF) is refused,
    // and the login is spent.
    let b = Browser::new(&app);
    b.get("/login").await;
    let callback = login_at_provider(&b, &provider, "mario").await;
    let stranger = Browser::new(&app);
    let (status, _, _) = come_back(&stranger, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = come_back(&b, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(users(&app.db.db).await, 0);
}

async fn a_replayed_code_is_refused(engine: Engine) {
    let (app, provider) = app_with_provider(engine, 3600).await;
    let b = Browser::new(&app);
    b.get("/login").await;
    let callback = login_at_provider(&b, &provider, "paolo").await;
    let (status, _, _) = come_back(&b, &callback).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The same answer again: its state was taken once.
    let (status, _, body) = come_back(&b, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("è già stata usata"), "{body}");
    // The used code with a fresh login's state: the provider refuses it.
    let c = Browser::new(&app);
    c.get("/login").await;
    let fresh = login_at_provider(&c, &provider, "paolo").await;
    let code = |url: &str| {
        url.split("code=")
            .nth(1)
            .and_then(|r| r.split('&').next())
            .unwrap()
            .to_string()
    };
    let replay = fresh.replace(&code(&fresh), &code(&callback));
    let (status, _, body) = come_back(&c, &replay).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("non ha confermato l&#39;accesso")
            || body.contains("non ha confermato l'accesso"),
        "{body}"
    );
    assert_eq!(users(&app.db.db).await, 1);
}

async fn an_expired_id_token_or_a_wrong_nonce_is_refused(engine: Engine) {
    // ID tokens valid for a minute; the app's clock follows the real one.
    let (app, provider) = app_with_provider(engine, 60).await;
    app.clock.set(chrono::Utc::now());
    let b = Browser::new(&app);
    b.get("/login").await;
    let callback = login_at_provider(&b, &provider, "mario").await;
    // Five minutes later (the login under way lasts ten) the token has expired.
    app.clock.advance(chrono::Duration::minutes(5));
    let (status, _, body) = come_back(&b, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("identità scaduta o non valida"), "{body}");
    assert_eq!(users(&app.db.db).await, 0);

    // A token for another login's nonce.
    app.clock.set(chrono::Utc::now());
    let b = Browser::new(&app);
    b.get("/login").await;
    let callback = login_at_provider(&b, &provider, "mario").await;
    sqlx::query("UPDATE oidc_logins SET nonce = 'another-login'")
        .execute(app.db.db.pool())
        .await
        .unwrap();
    let (status, _, body) = come_back(&b, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("identità scaduta o non valida"), "{body}");
    assert_eq!(users(&app.db.db).await, 0);
}

async fn a_missing_or_malformed_tax_code_claim_is_refused_in_words_and_creates_nothing(
    engine: Engine,
) {
    let (app, provider) = app_with_provider(engine, 3600).await;
    for (login, words) in [
        ("anonimo", "non ha comunicato il tuo codice fiscale"),
        ("sbagliato", "Il codice fiscale comunicato dal gestore dell"),
        ("impresa", "è quello di un&#39;impresa"),
    ] {
        let b = Browser::new(&app);
        b.get("/login").await;
        let callback = login_at_provider(&b, &provider, login).await;
        let (status, _, body) = come_back(&b, &callback).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{login}");
        assert!(
            body.contains(words) || body.contains(&words.replace("&#39;", "'")),
            "{login}: {body}"
        );
        assert!(body.contains("Nessun account è stato creato"), "{login}");
    }
    assert_eq!(users(&app.db.db).await, 0);
    let audit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.%'")
            .fetch_one(app.db.db.pool())
            .await
            .unwrap();
    assert_eq!(audit, 0);
}
