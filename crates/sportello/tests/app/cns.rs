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
use sportello_core::registry::{self, ImportOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

engine_tests!(
    a_registry_representative_signs_up_on_the_first_card_login_and_acts_for_the_company,
    an_existing_account_logs_in_with_the_card_and_an_older_card_is_read_by_its_common_name,
    each_refused_card_is_told_its_reason_audited_and_creates_nothing,
    the_card_header_from_an_untrusted_peer_is_ignored,
    without_card_authorities_there_is_no_card_login,
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
