//! Login with the smart card (CNS) through the TLS proxy (issue 15, item 1). The proxy is
//! played by the test: it sends `POST /login/cns` with the card's certificate, URL-escaped
//! PEM as nginx's `$ssl_client_escaped_cert`, in `X-SSL-Client-Cert`, from 127.0.0.1. The app
//! believes the header only when 127.0.0.1 is in `SPORTELLO_TRUSTED_PROXIES`. The cards are
//! made at test time by `scripts/cns-pki.sh`; the card authority's CRL is stored as
//! `admin trust crl add` stores it (the certificates' distribution point answers nothing).
//! `cns_nginx.rs` runs the same through a real nginx.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp, csrf_of, start_time};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::audit::Actor;
use sportello_core::db::{Db, Engine};
use sportello_core::registry::{self, ImportOptions, TaxCode};
use std::path::{Path, PathBuf};
use std::process::Command;

engine_tests!(
    a_registry_representative_signs_up_on_the_first_card_login_and_acts_for_the_company,
    an_existing_account_logs_in_with_the_card_and_an_older_card_is_read_by_its_common_name,
    each_refused_card_is_told_its_reason_audited_and_creates_nothing,
    the_card_header_from_an_untrusted_peer_is_ignored,
    without_card_authorities_there_is_no_card_login,
    a_card_without_an_email_signs_up_once_the_address_is_confirmed_by_link,
    the_address_step_is_tied_to_the_browser_refuses_a_taken_address_and_expires,
    an_expired_confirmation_link_makes_no_account,
    a_card_whose_revocation_cannot_be_checked_is_refused_saying_so,
);

const MARIO: &str = "RSSMRA80A01H501U";

const REGISTRY: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;\
                        indirizzo;cap;comune;stato;diritto_annuale_pagato;rappresentanti\n\
                        RSSMRA80A01H501U;12345670017;ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;ATTIVA;2025;RSSMRA80A01H501U\n";

/// The cards of one test (`scripts/cns-pki.sh`), removed with it.
pub struct Cards {
    dir: tempfile::TempDir,
}

impl Cards {
    pub fn make() -> Cards {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cns-pki.sh");
        let out = Command::new("bash")
            .arg(script)
            .arg(dir.path())
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Cards { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The certificate as nginx forwards it (`$ssl_client_escaped_cert`).
    pub fn escaped(&self, name: &str) -> String {
        let pem = std::fs::read_to_string(self.path(&format!("{name}.pem"))).unwrap();
        percent_encoding::utf8_percent_encode(&pem, percent_encoding::NON_ALPHANUMERIC).to_string()
    }
}

/// The app with the card authority of `cards` trusted and `proxies` trusted, its CRL stored,
/// and the Registry listing Mario Rossi as the representative of ROSSI MARIO.
pub async fn app_with_cards(engine: Engine, cards: &Cards, proxies: &str) -> TestApp {
    let anchors = cards.path("ca.pem").display().to_string();
    let app = TestApp::spawn_with_env(
        engine,
        &[
            ("SPORTELLO_TRUSTED_PROXIES", proxies),
            ("SPORTELLO_CNS_TRUST_ANCHORS", anchors.as_str()),
        ],
    )
    .await;
    let crl = std::fs::read(cards.path("ca.crl")).unwrap();
    sportello_core::revocation::add_crl_file(&app.db.db, start_time(), &Actor::cli(), &crl)
        .await
        .expect("the card authority's CRL");
    let path = app.db.dir.path().join("registry.csv");
    std::fs::write(&path, REGISTRY).unwrap();
    registry::import_csv(
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
    app
}

/// Presses "Entra con CNS" with `header` as the proxy's `X-SSL-Client-Cert` (none: the proxy
/// read no card); returns status, Location and body.
async fn press_cns(b: &Browser, header: Option<&str>) -> (StatusCode, Option<String>, String) {
    let (_, page) = b.get("/login").await;
    let csrf = csrf_of(&page).expect("csrf token");
    let mut request = b
        .client
        .post(format!("{}/login/cns", b.base))
        .form(&[("csrf", csrf.as_str()), ("next", "/")]);
    if let Some(header) = header {
        request = request.header("X-SSL-Client-Cert", header);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, to, r.text().await.unwrap_or_default())
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

/// The `after` of every `user.login_refused` entry, oldest first.
async fn refusals(db: &Db) -> Vec<Value> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'user.login_refused' ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect()
}

async fn a_registry_representative_signs_up_on_the_first_card_login_and_acts_for_the_company(
    engine: Engine,
) {
    let cards = Cards::make();
    let app = app_with_cards(engine, &cards, "127.0.0.1").await;
    let b = Browser::new(&app);
    let (_, login) = b.get("/login").await;
    assert!(login.contains("Entra con CNS"), "{login}");
    assert!(login.contains("action=\"/login/cns\""), "{login}");

    let (status, to, body) = press_cns(&b, Some(&cards.escaped("mario"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some("/welcome"));
    let (status, welcome) = b.get("/welcome").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        welcome.contains("Mario Rossi, il tuo account è stato creato"),
        "{welcome}"
    );
    assert!(welcome.contains("ROSSI MARIO"), "{welcome}");

    let db = &app.db.db;
    let (name, email, role, tax_code, verified): (String, String, String, String, i64) =
        sqlx::query_as("SELECT name, email, role, tax_code, email_verified FROM users")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (
            name.as_str(),
            email.as_str(),
            role.as_str(),
            tax_code.as_str(),
            verified
        ),
        ("Mario Rossi", "mario.rossi@example.it", "company", MARIO, 0)
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM user_companies WHERE reason = 'representative'"
        )
        .await,
        1
    );
    let (status, _) = b.get("/practices").await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, after_json FROM audit_log WHERE action LIKE 'user.%' ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["user.sign_up", "user.company_link", "user.login"]);
    let login: Value = serde_json::from_str(&entries[2].1).unwrap();
    assert_eq!(login["method"], "CNS", "{login}");
    assert_eq!(login["certificate_serial"], "1001", "{login}");
}

async fn an_existing_account_logs_in_with_the_card_and_an_older_card_is_read_by_its_common_name(
    engine: Engine,
) {
    let cards = Cards::make();
    let app = app_with_cards(engine, &cards, "127.0.0.1").await;
    let db = &app.db.db;
    // Mario's first login makes his account; the next one, from another browser, finds it.
    press_cns(&Browser::new(&app), Some(&cards.escaped("mario"))).await;
    let b = Browser::new(&app);
    let (status, to, body) = press_cns(&b, Some(&cards.escaped("mario"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some("/"));
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 1);
    let (_, home) = b.get("/").await;
    assert!(home.contains("Mario Rossi"), "{home}");

    // An older card: the tax code in the common name `<code>/<card>.<hash>`.
    let (status, to, body) = press_cns(&Browser::new(&app), Some(&cards.escaped("paolo"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some("/welcome"));
    let (name, tax_code): (String, String) =
        sqlx::query_as("SELECT name, tax_code FROM users WHERE email = 'paolo.verdi@example.it'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), tax_code.as_str()),
        ("Paolo Verdi", "VRDPLA70A01D969S")
    );
}

async fn each_refused_card_is_told_its_reason_audited_and_creates_nothing(engine: Engine) {
    let cards = Cards::make();
    let app = app_with_cards(engine, &cards, "127.0.0.1").await;
    let db = &app.db.db;
    let cases: [(Option<String>, StatusCode, &str, &str); 7] = [
        (
            None,
            StatusCode::UNAUTHORIZED,
            "Non è stata letta nessuna carta",
            "no_certificate",
        ),
        (
            Some(cards.escaped("stranger")),
            StatusCode::FORBIDDEN,
            "non è stato emesso da un'autorità riconosciuta",
            "unknown_issuer",
        ),
        (
            Some(cards.escaped("expired")),
            StatusCode::FORBIDDEN,
            "Il certificato della carta è scaduto",
            "expired",
        ),
        (
            Some(cards.escaped("revoked")),
            StatusCode::FORBIDDEN,
            "è stato revocato o sospeso (01/03/2025",
            "revoked",
        ),
        (
            Some(cards.escaped("signature")),
            StatusCode::FORBIDDEN,
            "non è un certificato di autenticazione",
            "not_for_authentication",
        ),
        (
            Some(cards.escaped("notaxcode")),
            StatusCode::FORBIDDEN,
            "non riporta il codice fiscale di una persona",
            "no_tax_code",
        ),
        (
            Some("not%20a%20certificate".to_string()),
            StatusCode::FORBIDDEN,
            "non è leggibile",
            "unreadable",
        ),
    ];
    for (header, status, words, reason) in &cases {
        let b = Browser::new(&app);
        let (got, to, body) = press_cns(&b, header.as_deref()).await;
        assert_eq!(got, *status, "{reason}: {body}");
        assert_eq!(to, None, "{reason}");
        let shown = body.replace("&#39;", "'");
        assert!(
            shown.contains("L'accesso con CNS non è riuscito"),
            "{reason}: {body}"
        );
        assert!(shown.contains(words), "{reason}: {body}");
        assert!(body.contains("data-testid=\"cns-error\""), "{reason}");
        // Still logged out.
        let (status, _) = b.get("/practices").await;
        assert_ne!(status, StatusCode::OK, "{reason}");
    }
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM sessions").await, 0);
    let audited = refusals(db).await;
    let reasons: Vec<&str> = audited
        .iter()
        .map(|a| a["reason"].as_str().unwrap_or_default())
        .collect();
    let expected: Vec<&str> = cases.iter().map(|(_, _, _, r)| *r).collect();
    assert_eq!(reasons, expected);
    assert!(audited.iter().all(|a| a["method"] == "CNS"));
    assert_eq!(audited[2]["certificate_serial"], "1003", "{}", audited[2]);
    assert_eq!(audited[0]["client"], "127.0.0.1");
}

async fn the_card_header_from_an_untrusted_peer_is_ignored(engine: Engine) {
    let cards = Cards::make();
    // Only 192.0.2.10 is the proxy: the test, at 127.0.0.1, is a client like any other.
    let app = app_with_cards(engine, &cards, "192.0.2.10").await;
    let b = Browser::new(&app);
    let (status, to, body) = press_cns(&b, Some(&cards.escaped("mario"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(to, None);
    assert!(
        body.replace("&#39;", "'")
            .contains("L'accesso con la CNS non è disponibile da questo indirizzo"),
        "{body}"
    );
    let db = &app.db.db;
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.%'"
        )
        .await,
        0
    );
    // A forwarded-for chain does not make the client a proxy either.
    let (_, page) = b.get("/login").await;
    let csrf = csrf_of(&page).unwrap();
    let r = b
        .client
        .post(format!("{}/login/cns", b.base))
        .header("X-Forwarded-For", "192.0.2.10")
        .header("X-SSL-Client-Cert", cards.escaped("mario"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 0);
}

async fn without_card_authorities_there_is_no_card_login(engine: Engine) {
    let cards = Cards::make();
    let app = TestApp::spawn_with_env(engine, &[("SPORTELLO_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = Browser::new(&app);
    let (_, login) = b.get("/login").await;
    assert!(!login.contains("Entra con CNS"), "{login}");
    let (status, _, body) = press_cns(&b, Some(&cards.escaped("mario"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(count(&app.db.db, "SELECT COUNT(*) FROM users").await, 0);
}

const ELENA: &str = "NRELNE90C41D969G";

/// The confirmation links mailed to `to` so far, oldest first.
async fn sign_up_links(app: &TestApp, to: &str) -> Vec<String> {
    app.run_jobs().await;
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to) && m.data.contains("/login/cns/confirm/"))
        .map(|m| crate::devices::appointments::link_in(&m.data, "/login/cns/confirm/"))
        .collect()
}

/// Elena Neri's card (no e-mail address) pressed, then `email` typed on the next step.
async fn card_then_address(
    app: &TestApp,
    cards: &Cards,
    b: &Browser,
    email: &str,
) -> (StatusCode, String) {
    let (status, to, body) = press_cns(b, Some(&cards.escaped("nomail"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some("/login/cns/email"));
    let (status, form) = b.get("/login/cns/email").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(
        form.contains("Elena Neri") && form.contains(ELENA),
        "{form}"
    );
    let _ = app;
    let (status, _, body) = b.post_form("/login/cns/email", &[("email", email)]).await;
    (status, body)
}

async fn a_card_without_an_email_signs_up_once_the_address_is_confirmed_by_link(engine: Engine) {
    let cards = Cards::make();
    let app = app_with_cards(engine, &cards, "127.0.0.1").await;
    let db = &app.db.db;
    // The Registry lists Elena Neri as the representative of NERI ELENA.
    let path = app.db.dir.path().join("registry-elena.csv");
    std::fs::write(
        &path,
        "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;indirizzo;cap;\
         comune;stato;diritto_annuale_pagato;rappresentanti\n\
         NRELNE90C41D969G;23456780016;NERI ELENA;GE;456790;SEDE;Via Balbi 5;16126;Genova;\
         ATTIVA;2025;NRELNE90C41D969G\n",
    )
    .unwrap();
    registry::import_csv(
        db,
        start_time(),
        &path,
        ImportOptions {
            progress: false,
            batch_size: 100,
        },
    )
    .await
    .unwrap();
    let b = Browser::new(&app);
    let (status, body) = card_then_address(&app, &cards, &b, "Elena.Neri@Example.it").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("data-testid=\"cns-sign-up-sent\""), "{body}");
    assert!(body.contains("elena.neri@example.it"), "{body}");
    // Nothing exists before the link is opened, and no session was opened.
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM sessions").await, 0);
    // A second click of the same form sends no second link.
    let (status, _, again) = b
        .post_form("/login/cns/email", &[("email", "elena.neri@example.it")])
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let links = sign_up_links(&app, "elena.neri@example.it").await;
    assert_eq!(links.len(), 1, "{links:?}");
    let link = &links[0];

    // The link's page says whose account it makes; a visit alone makes nothing.
    let mailbox = Browser::new(&app);
    let (status, page) = mailbox.get(link).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Elena Neri") && page.contains("elena.neri@example.it"));
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 0);
    let (status, _, done) = mailbox.post_form(link, &[]).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("data-testid=\"cns-sign-up-done\""), "{done}");
    let (email, tax_code, verified, role): (String, String, i64, String) =
        sqlx::query_as("SELECT email, tax_code, email_verified, role FROM users")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (email.as_str(), tax_code.as_str(), verified, role.as_str()),
        ("elena.neri@example.it", ELENA, 1, "company")
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM user_companies WHERE reason = 'representative'"
        )
        .await,
        1
    );
    // The link opens no session: the card does.
    assert_eq!(count(db, "SELECT COUNT(*) FROM sessions").await, 0);

    // Used once: opening it again says so and makes nothing more.
    let (status, used) = mailbox.get(link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(
        used.replace("&#39;", "'")
            .contains("già stato usato: l'account è stato creato"),
        "{used}"
    );
    let (status, _, _) = mailbox.post_form(link, &[]).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 1);

    // Now the same card logs in.
    let (status, to, _) = press_cns(&Browser::new(&app), Some(&cards.escaped("nomail"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_ne!(to.as_deref(), Some("/login/cns/email"));
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action IN ('user.sign_up_link', 'user.sign_up', \
         'user.login') ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(audited, ["user.sign_up_link", "user.sign_up", "user.login"]);
}

async fn the_address_step_is_tied_to_the_browser_refuses_a_taken_address_and_expires(
    engine: Engine,
) {
    let cards = Cards::make();
    let app = app_with_cards(engine, &cards, "127.0.0.1").await;
    let db = &app.db.db;
    let rossi = registry::find_company_by_tax_code(db, &TaxCode::parse(MARIO).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    sportello_core::accounts::create_user(
        &app.state,
        &Actor::cli(),
        sportello_core::accounts::NewUser {
            email: "taken@example.it".into(),
            name: "Someone Else".into(),
            password: "a long enough password 1".into(),
            role: sportello_core::accounts::Role::Company,
            chamber_id: None,
            desk_ids: vec![],
            company_ids: vec![rossi],
            tax_code: None,
        },
    )
    .await
    .unwrap();
    let b = Browser::new(&app);
    // An address another account has is refused next to the field, the typing kept.
    let (status, body) = card_then_address(&app, &cards, &b, "Taken@example.it").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("taken@example.it è già usato da un altro account"),
        "{body}"
    );
    assert!(body.contains("value=\"Taken@example.it\""), "{body}");
    // Not an address.
    let (status, _, body) = b.post_form("/login/cns/email", &[("email", "elena")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Scrivi un indirizzo e-mail valido"), "{body}");
    // Another browser has no step to go on with.
    let other = Browser::new(&app);
    let (status, page) = other.get("/login/cns/email").await;
    assert_eq!(status, StatusCode::GONE);
    assert!(
        page.contains("data-testid=\"cns-sign-up-expired\""),
        "{page}"
    );
    // The step lasts minutes, not more.
    app.clock.advance(chrono::Duration::minutes(16));
    let (status, _, page) = b
        .post_form("/login/cns/email", &[("email", "elena@example.it")])
        .await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(page.contains("Il tempo per completare questo passaggio è scaduto"));
    assert_eq!(count(db, "SELECT COUNT(*) FROM users").await, 1);
    assert!(sign_up_links(&app, "elena@example.it").await.is_empty());
}

async fn an_expired_confirmation_link_makes_no_account(engine: Engine) {
    let cards = Cards::make();
    let app = app_with_cards(engine, &cards, "127.0.0.1").await;
    let b = Browser::new(&app);
    let (status, _) = card_then_address(&app, &cards, &b, "elena@example.it").await;
    assert_eq!(status, StatusCode::OK);
    let link = sign_up_links(&app, "elena@example.it").await.remove(0);
    app.clock.advance(chrono::Duration::hours(25));
    let (status, page) = b.get(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Questo link di conferma è scaduto"), "{page}");
    let (status, _, _) = b.post_form(&link, &[]).await;
    assert_eq!(status, StatusCode::GONE);
    let (status, unknown) = b.get("/login/cns/confirm/not-a-token").await;
    assert_eq!(status, StatusCode::GONE);
    assert!(unknown.contains("non è valido"), "{unknown}");
    assert_eq!(count(&app.db.db, "SELECT COUNT(*) FROM users").await, 0);
}

/// Fail closed: with no CRL stored and the distribution point silent, the card is refused,
/// and the page says the login is refused because revocation could not be checked.
async fn a_card_whose_revocation_cannot_be_checked_is_refused_saying_so(engine: Engine) {
    let cards = Cards::make();
    let anchors = cards.path("ca.pem").display().to_string();
    let app = TestApp::spawn_with_env(
        engine,
        &[
            ("SPORTELLO_TRUSTED_PROXIES", "127.0.0.1"),
            ("SPORTELLO_CNS_TRUST_ANCHORS", anchors.as_str()),
        ],
    )
    .await;
    let (status, to, body) = press_cns(&Browser::new(&app), Some(&cards.escaped("mario"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(to, None);
    let shown = body.replace("&#39;", "'");
    assert!(shown.contains("Accesso negato"), "{body}");
    assert!(shown.contains("(OCSP o lista di revoca)"), "{body}");
    assert!(
        shown.contains("senza questa verifica l'accesso con la CNS non è consentito"),
        "{body}"
    );
    assert_eq!(count(&app.db.db, "SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(
        refusals(&app.db.db).await[0]["reason"],
        "revocation_unknown"
    );
}
