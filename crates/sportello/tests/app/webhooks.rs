//! What an ERP needs: the certificate block in the practice JSON, and webhooks told of every
//! state change, signed, delivered to a real HTTP receiver started here, retried with back-off
//! and logged attempt by attempt.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{Erp, LIGURE, other_company_user, ready_practice};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the test receiver answers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 to everything.
    Answer,
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// Takes the request and never answers.
    Silent,
    /// Answers 307, pointing at another address.
    Redirect(&'static str),
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    event_header: String,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// An HTTP receiver in the test process, on a loopback port.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = got.clone();
        let handler = move |headers: HeaderMap,
                            body: Bytes|
              -> std::pin::Pin<
            Box<dyn std::future::Future<Output = axum::response::Response> + Send>,
        > {
            let seen = seen.clone();
            Box::pin(async move {
                use axum::response::IntoResponse;
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let n = {
                    let mut all = seen.lock().unwrap();
                    all.push(Received {
                        signature: header("sportello-signature"),
                        event_header: header("sportello-event"),
                        body: body.to_vec(),
                    });
                    all.len()
                };
                match behaviour {
                    Behaviour::Answer => AxumStatus::OK.into_response(),
                    Behaviour::FailFirst(k) if n <= k => {
                        AxumStatus::INTERNAL_SERVER_ERROR.into_response()
                    }
                    Behaviour::FailFirst(_) => AxumStatus::NO_CONTENT.into_response(),
                    Behaviour::Silent => {
                        std::future::pending::<()>().await;
                        AxumStatus::OK.into_response()
                    }
                    Behaviour::Redirect(to) => (
                        AxumStatus::TEMPORARY_REDIRECT,
                        [(axum::http::header::LOCATION, to)],
                    )
                        .into_response(),
                }
            })
        };
        let router = axum::Router::new().route("/hooks", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver {
            url: format!("http://{addr}/hooks"),
            got,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn events(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| r.json()["event"].as_str().unwrap().to_string())
            .collect()
    }
}

/// The app with webhooks allowed to plain HTTP on loopback (where the receivers are), and a
/// short delivery timeout.
async fn open_app(engine: Engine) -> TestApp {
    let app = TestApp::spawn_with_env(
        engine,
        &[
            ("SPORTELLO_WEBHOOKS_ALLOW_HTTP", "true"),
            ("SPORTELLO_WEBHOOKS_ALLOW_PRIVATE", "true"),
            ("SPORTELLO_WEBHOOKS_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    app.seed_demo().await;
    app
}

/// Registers a webhook; returns (id, secret).
async fn register(erp: &Erp, url: &str, events: &[&str]) -> (String, String) {
    let r = erp
        .post("/api/v1/webhooks")
        .json(&json!({"url": url, "events": events}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let v: Value = r.json().await.unwrap();
    (
        v["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

const ALL_EVENTS: [&str; 5] = [
    "practice.sent",
    "practice.to_rectify",
    "practice.approved",
    "practice.rejected",
    "certificate.cancelled",
];

/// Checks the `Sportello-Signature` header of `r` by recomputing the HMAC-SHA256 of
/// "t.body" with OpenSSL, independently of the code that signed it.
fn assert_signed(r: &Received, secret: &str) {
    let (t, v1) = r
        .signature
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .expect("t=…,v1=…");
    assert!(t.parse::<i64>().is_ok(), "t is Unix seconds");
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("signed");
    let mut content = format!("{t}.").into_bytes();
    content.extend_from_slice(&r.body);
    std::fs::write(&signed, content).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", secret, "-r"])
        .arg(&signed)
        .output()
        .expect("openssl");
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = text.split_whitespace().next().unwrap();
    assert_eq!(v1, expected, "the signature is the HMAC of t.body");
}

/// Sends a fresh practice as the demo company; returns its id.
async fn send_new(company: &Erp) -> String {
    let id = ready_practice(company, &[]).await;
    let r = company
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    id
}

/// `path` under the public address (`SPORTELLO_PUBLIC_URL`), as the API writes links.
pub(crate) fn public(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.state.config.public_url)
}

/// A link the API wrote, pointed at the test server (whose public address names port 0).
pub(crate) fn reachable(app: &TestApp, link: &str) -> String {
    app.url(link.strip_prefix(&app.state.config.public_url).unwrap())
}

/// One second later: jobs queued at the same instant run in no set order, so steps whose
/// events are compared in order are a second apart.
fn tick(app: &TestApp) {
    app.clock.advance(chrono::Duration::seconds(1));
}

/// The delivery jobs' statuses, oldest first.
async fn job_statuses(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'deliver_webhook' ORDER BY created_at")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
}

engine_tests!(
    a_company_registers_lists_reads_and_deletes_only_its_own_webhooks,
    a_webhook_to_a_private_address_is_refused_with_a_clear_message,
    every_event_reaches_the_companys_receiver_signed,
    the_practice_json_carries_the_certificate_and_its_code_for_the_company_only,
    a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt,
    a_receiver_that_never_answers_is_retried_with_back_off_then_given_up,
    a_redirect_is_not_followed,
);

async fn a_redirect_is_not_followed(engine: Engine) {
    let app = open_app(engine).await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let target = Receiver::start(Behaviour::Answer).await;
    let to: &'static str = Box::leak(target.url.clone().into_boxed_str());
    let redirecting = Receiver::start(Behaviour::Redirect(to)).await;
    let (hook, _) = register(&company, &redirecting.url, &["practice.sent"]).await;
    send_new(&company).await;
    app.run_jobs().await;
    assert_eq!(redirecting.received().len(), 1);
    assert!(
        target.received().is_empty(),
        "the redirect was not followed"
    );
    let log = company.get_json(&format!("/api/v1/webhooks/{hook}")).await["deliveries"].clone();
    assert_eq!(log[0]["status_code"], 307);
    assert_eq!(log[0]["error"], "the receiver answered 307");
    assert_eq!(log[0]["event_status"], "pending", "tried again later");
}

async fn a_company_registers_lists_reads_and_deletes_only_its_own_webhooks(engine: Engine) {
    let app = open_app(engine).await;
    let company = Erp::demo(&app, Role::Company).await;
    let receiver = Receiver::start(Behaviour::Answer).await;
    let r = company
        .post("/api/v1/webhooks")
        .json(&json!({"url": receiver.url, "events": ["practice.approved", "practice.sent", "practice.approved"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    assert_eq!(created["company_tax_code"], LIGURE);
    assert_eq!(
        created["events"],
        json!(["practice.approved", "practice.sent"]),
        "each event once"
    );

    let list = company.get_json("/api/v1/webhooks").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["url"], receiver.url.as_str());
    assert!(list[0].get("secret").is_none(), "the secret is shown once");
    let one = company.get_json(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(one["id"], id.as_str());
    assert_eq!(one["deliveries"], json!([]));
    assert!(one.get("secret").is_none());
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM webhooks WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(
        !stored
            .windows(16)
            .any(|w| secret.as_bytes().windows(16).any(|s| s == w)),
        "the secret is stored encrypted"
    );

    // Another company sees nothing of it, and cannot delete it.
    let other = other_company_user(&app).await;
    assert_eq!(other.get_json("/api/v1/webhooks").await, json!([]));
    let r = other
        .get(&format!("/api/v1/webhooks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = other
        .client
        .delete(format!("{}/api/v1/webhooks/{id}", other.base))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Staff have no webhooks.
    let officer = Erp::demo(&app, Role::Officer).await;
    let r = officer
        .post("/api/v1/webhooks")
        .json(&json!({"url": receiver.url, "events": ["practice.sent"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Unknown or missing events are named.
    let r = company
        .post("/api/v1/webhooks")
        .json(&json!({"url": receiver.url, "events": ["practice.exploded"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "events");
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("practice.exploded"),
        "{v}"
    );
    let r = company
        .post("/api/v1/webhooks")
        .json(&json!({"url": receiver.url, "events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The owner deletes it: gone from the list, 404 afterwards, and told nothing more.
    let r = company
        .client
        .delete(format!("{}/api/v1/webhooks/{id}", company.base))
        .bearer_auth(&company.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(company.get_json("/api/v1/webhooks").await, json!([]));
    let r = company
        .get(&format!("/api/v1/webhooks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    company.complete_profile(LIGURE).await;
    send_new(&company).await;
    app.run_jobs().await;
    assert!(
        receiver.received().is_empty(),
        "a deleted webhook gets nothing"
    );
}

async fn a_webhook_to_a_private_address_is_refused_with_a_clear_message(engine: Engine) {
    // The default configuration: https only, public addresses only.
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let company = Erp::demo(&app, Role::Company).await;
    let refused = |url: &'static str| {
        let company = &company;
        async move {
            let r = company
                .post("/api/v1/webhooks")
                .header("Accept-Language", "en")
                .json(&json!({"url": url, "events": ["practice.sent"]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["errors"][0]["field"], "url", "{v}");
            (
                v["errors"][0]["code"].as_str().unwrap().to_string(),
                v["errors"][0]["detail"].as_str().unwrap().to_string(),
            )
        }
    };
    for url in [
        "https://127.0.0.1/hooks",
        "https://10.0.0.8/hooks",
        "https://192.168.1.20:8443/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
    ] {
        let (code, detail) = refused(url).await;
        assert_eq!(code, "webhook-url-private", "{url}");
        assert!(
            detail.contains("private, local or loopback network"),
            "{detail}"
        );
    }
    let (code, detail) = refused("http://erp.example.com/hooks").await;
    assert_eq!(code, "webhook-url-https");
    assert!(detail.contains("https://"), "{detail}");
    let (code, _) = refused("https://user:secret@erp.example.com/hooks").await;
    assert_eq!(code, "webhook-url-credentials");
    let (code, _) = refused("not a url").await;
    assert_eq!(code, "webhook-url-invalid");
    assert_eq!(company.get_json("/api/v1/webhooks").await, json!([]));
}

async fn every_event_reaches_the_companys_receiver_signed(engine: Engine) {
    let app = open_app(engine).await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let receiver = Receiver::start(Behaviour::Answer).await;
    let (hook, secret) = register(&company, &receiver.url, &ALL_EVENTS).await;
    // Another company's receiver hears nothing of this company's practices.
    let other = other_company_user(&app).await;
    let elsewhere = Receiver::start(Behaviour::Answer).await;
    register(&other, &elsewhere.url, &ALL_EVENTS).await;
    let officer = Erp::demo(&app, Role::Officer).await;

    // Sent, sent back for rectification, resent, approved, cancelled.
    let id = send_new(&company).await;
    tick(&app);
    let r = officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Manca la packing list", "fields": ["attachments"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tick(&app);
    let r = company
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tick(&app);
    // Approved only once taken in charge.
    let r = officer
        .post(&format!("/api/v1/practices/{id}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tick(&app);
    let r = officer
        .post(&format!("/api/v1/practices/{id}/cancel"))
        .json(&json!({"reason": "errore materiale"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    tick(&app);
    // Another practice rejected by the officer, a third rejected when its deadline passes.
    let rejected = send_new(&company).await;
    tick(&app);
    let r = officer
        .post(&format!("/api/v1/practices/{rejected}/reject"))
        .json(&json!({"reason": "Merce non di origine italiana"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tick(&app);
    let expired = send_new(&company).await;
    tick(&app);
    let r = officer
        .post(&format!(
            "/api/v1/practices/{expired}/request-rectification"
        ))
        .json(&json!({"reason": "Fattura illeggibile"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tick(&app);
    assert!(receiver.received().is_empty(), "delivered by the worker");
    app.run_jobs().await;
    app.clock.advance(chrono::Duration::hours(25));
    app.run_jobs().await;
    app.run_jobs().await;

    assert_eq!(
        receiver.events(),
        [
            "practice.sent",
            "practice.to_rectify",
            "practice.sent",
            "practice.approved",
            "certificate.cancelled",
            "practice.sent",
            "practice.rejected",
            "practice.sent",
            "practice.to_rectify",
            "practice.rejected",
        ]
    );
    assert!(
        elsewhere.received().is_empty(),
        "nothing for another company"
    );
    let got = receiver.received();
    for r in &got {
        assert_signed(r, &secret);
        assert_eq!(r.event_header, r.json()["event"].as_str().unwrap());
    }
    // The body: id, event, created_at, data (practice, protocol, status, certificate).
    let first = got[0].json();
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["created_at", "data", "event", "id"]
    );
    assert_eq!(first["data"]["practice_id"], id.as_str());
    assert_eq!(first["data"]["status"], "sent");
    assert!(
        first["data"]["protocol_number"]
            .as_str()
            .unwrap()
            .starts_with("GE/2026/"),
        "{first}"
    );
    assert_eq!(first["data"]["certificate"], Value::Null);
    let approved = got[3].json();
    assert_eq!(approved["data"]["status"], "approved");
    let cert = &approved["data"]["certificate"];
    assert_eq!(cert["number"], "C26GE0000001");
    assert_eq!(cert["status"], "valid");
    assert_eq!(
        cert["security_code"],
        Value::Null,
        "never in a webhook body"
    );
    assert_eq!(cert["issued_on"], "2026-11-25");
    assert_eq!(
        cert["pdf_url"],
        public(&app, &format!("/api/v1/practices/{id}/certificate.pdf"))
    );
    let cancelled = got[4].json();
    assert_eq!(cancelled["data"]["practice_id"], id.as_str());
    assert_eq!(cancelled["data"]["certificate"]["status"], "cancelled");
    assert_eq!(got[6].json()["data"]["practice_id"], rejected.as_str());
    assert_eq!(got[6].json()["data"]["status"], "rejected");
    assert_eq!(got[9].json()["data"]["practice_id"], expired.as_str());
    let ids: std::collections::HashSet<_> = got.iter().map(|r| r.json()["id"].clone()).collect();
    assert_eq!(ids.len(), got.len(), "each event has its own id");

    // The delivery log: one attempt each, answered 200.
    let detail = company.get_json(&format!("/api/v1/webhooks/{hook}")).await;
    let log = detail["deliveries"].as_array().unwrap();
    assert_eq!(log.len(), 10);
    for line in log {
        assert_eq!(line["attempt"], 1);
        assert_eq!(line["status_code"], 200);
        assert_eq!(line["error"], Value::Null);
        assert_eq!(line["event_status"], "delivered");
        assert_eq!(line["next_attempt_at"], Value::Null);
    }
    assert!(job_statuses(&app).await.iter().all(|s| s == "done"));
}

async fn the_practice_json_carries_the_certificate_and_its_code_for_the_company_only(
    engine: Engine,
) {
    let app = open_app(engine).await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let id = send_new(&company).await;
    let before = company.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(before["certificate"], Value::Null, "null until issued");
    assert_eq!(before["documents"], json!([]));
    let officer = Erp::demo(&app, Role::Officer).await;
    // Approved only once taken in charge.
    let r = officer
        .post(&format!("/api/v1/practices/{id}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = officer
        .post(&format!("/api/v1/practices/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let practice = company.get_json(&format!("/api/v1/practices/{id}")).await;
    let cert = &practice["certificate"];
    assert_eq!(cert["number"], "C26GE0000001");
    assert_eq!(cert["status"], "valid");
    assert_eq!(cert["replaced_by"], Value::Null);
    assert_eq!(cert["issued_on"], "2026-11-25");
    let code = cert["security_code"]
        .as_str()
        .expect("the company sees its code");
    assert_eq!(code.len(), 10);
    // It is the code printed on the certificate: it opens the public verification.
    let r = reqwest::get(app.url(&format!("/api/v1/verify/C26GE0000001?code={code}")))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The PDF is where the block says.
    let pdf_url = cert["pdf_url"].as_str().unwrap();
    assert_eq!(
        pdf_url,
        public(&app, &format!("/api/v1/practices/{id}/certificate.pdf"))
    );
    let r = company
        .client
        .get(reachable(&app, pdf_url))
        .bearer_auth(&company.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    // The list items carry the same block.
    let list = company.get_json("/api/v1/practices?list=sent").await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .expect("in the sent list");
    assert_eq!(item["certificate"]["number"], "C26GE0000001");

    // Nobody else sees the code: another company does not see the practice, and the
    // officer's view of what it issued has no code.
    let other = other_company_user(&app).await;
    let r = other
        .get(&format!("/api/v1/practices/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let officer_user: String =
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'officer' ORDER BY email LIMIT 1")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let officer_principal =
        sportello_core::accounts::load_principal(&app.state, &officer_user, None)
            .await
            .unwrap()
            .unwrap();
    let p = sportello_core::trade::practice::get(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let seen = sportello_core::trade::desk::issued::of_practice(&app.state, &officer_principal, &p)
        .await
        .unwrap();
    let seen = seen.certificate.expect("the officer sees the certificate");
    assert_eq!(seen.number, "C26GE0000001");
    assert_eq!(seen.security_code, None, "but not its code");
}

async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt(engine: Engine) {
    let app = open_app(engine).await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let receiver = Receiver::start(Behaviour::FailFirst(2)).await;
    let (hook, secret) = register(&company, &receiver.url, &["practice.sent"]).await;
    send_new(&company).await;

    app.run_jobs().await;
    assert_eq!(receiver.received().len(), 1);
    let log = company.get_json(&format!("/api/v1/webhooks/{hook}")).await["deliveries"].clone();
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["status_code"], 500);
    assert_eq!(log[0]["error"], "the receiver answered 500");
    assert_eq!(log[0]["event_status"], "pending");
    // Back-off: 1 minute after the first failure; nothing is tried before.
    let next = log[0]["next_attempt_at"].as_str().unwrap().to_string();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&next).unwrap()
            - chrono::DateTime::parse_from_rfc3339(log[0]["attempted_at"].as_str().unwrap())
                .unwrap(),
        chrono::Duration::minutes(1)
    );
    app.clock.advance(chrono::Duration::seconds(30));
    app.run_jobs().await;
    assert_eq!(receiver.received().len(), 1, "not before the back-off");
    app.clock.advance(chrono::Duration::seconds(31));
    app.run_jobs().await;
    assert_eq!(receiver.received().len(), 2);
    // Then 2 minutes.
    app.clock
        .advance(chrono::Duration::minutes(2) + chrono::Duration::seconds(1));
    app.run_jobs().await;
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the same body every time"
    );
    for r in &got {
        assert_signed(r, &secret);
    }
    app.clock.advance(chrono::Duration::hours(1));
    app.run_jobs().await;
    assert_eq!(receiver.received().len(), 3, "delivered once is enough");

    let log = company.get_json(&format!("/api/v1/webhooks/{hook}")).await["deliveries"].clone();
    let lines: Vec<(i64, i64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["attempt"].as_i64().unwrap(),
                l["status_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [(3, 204), (2, 500), (1, 500)], "newest first");
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|l| l["event_status"] == "delivered")
    );
    assert_eq!(log[0]["next_attempt_at"], Value::Null);
    assert_eq!(job_statuses(&app).await, ["done"]);
}

async fn a_receiver_that_never_answers_is_retried_with_back_off_then_given_up(engine: Engine) {
    let app = open_app(engine).await;
    let company = Erp::demo(&app, Role::Company).await;
    company.complete_profile(LIGURE).await;
    let receiver = Receiver::start(Behaviour::Silent).await;
    let (hook, _) = register(&company, &receiver.url, &["practice.sent"]).await;
    send_new(&company).await;

    let started = std::time::Instant::now();
    for attempt in 1..=10i64 {
        app.run_jobs().await;
        assert_eq!(receiver.received().len() as i64, attempt);
        // Past the back-off after this attempt.
        app.clock
            .advance(sportello_core::jobs::backoff(attempt) + chrono::Duration::seconds(1));
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "each attempt gives up quickly"
    );
    app.clock.advance(chrono::Duration::days(1));
    app.run_jobs().await;
    assert_eq!(receiver.received().len(), 10, "ten attempts, then no more");

    let log = company.get_json(&format!("/api/v1/webhooks/{hook}")).await["deliveries"].clone();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 10);
    for line in log {
        assert_eq!(line["status_code"], Value::Null);
        assert_eq!(line["error"], "no answer within 300 ms", "{line}");
        assert!(line["duration_ms"].as_i64().unwrap() >= 250, "{line}");
        assert_eq!(line["event_status"], "failed");
    }
    assert_eq!(log[0]["attempt"], 10);
    assert_eq!(log[0]["next_attempt_at"], Value::Null, "no attempt left");
    for line in &log[1..] {
        let at =
            chrono::DateTime::parse_from_rfc3339(line["attempted_at"].as_str().unwrap()).unwrap();
        let next = chrono::DateTime::parse_from_rfc3339(line["next_attempt_at"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            next - at,
            sportello_core::jobs::backoff(line["attempt"].as_i64().unwrap()),
            "the back-off doubles"
        );
    }
    assert_eq!(job_statuses(&app).await, ["dead"]);
}
