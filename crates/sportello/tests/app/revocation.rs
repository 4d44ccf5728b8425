//! Revocation of the signers' certificates at upload and in `sportello verify`, against a real
//! OCSP responder (`openssl ocsp -port`) and CRLs served over HTTP from the test process. The
//! certificates carry the URLs, so they are made here, at test time, by
//! `scripts/revocation-pki.sh` with the ports the test listens on.

use crate::cli::{sportello, text};
use crate::engine_tests;
use crate::helpers::{TestApp, TestDb};
use crate::trade::{DETAILS, Erp, LIGURE, co_form};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::Role;
use sportello_core::chambers::settings::{self, Setting};
use sportello_core::db::Engine;
use sportello_core::trade::practice::signer_checks::{self, Note};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The PKI of one test, with its OCSP responder and CRL server.
struct Pki {
    dir: tempfile::TempDir,
    responder: Option<Child>,
}

impl Drop for Pki {
    fn drop(&mut self) {
        if let Some(child) = &mut self.responder {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Makes the PKI; starts the OCSP responder and the CRL server when asked. A certificate
    /// whose service is not started points at a port nobody listens on.
    async fn start(ocsp: bool, crls: bool) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let ocsp_port = free_port();
        let crl_port = if crls {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let root = dir.path().to_path_buf();
            let router = axum::Router::new().route(
                "/{file}",
                axum::routing::get(
                    move |axum::extract::Path(file): axum::extract::Path<String>| {
                        let root = root.clone();
                        async move {
                            match file.as_str() {
                                "inter.crl" | "root.crl" => std::fs::read(root.join(&file))
                                    .map_err(|_| StatusCode::NOT_FOUND),
                                _ => Err(StatusCode::NOT_FOUND),
                            }
                        }
                    },
                ),
            );
            tokio::spawn(async move {
                let _ = axum::serve(listener, router).await;
            });
            port
        } else {
            free_port()
        };
        let dead = format!("http://127.0.0.1:{}", free_port());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/revocation-pki.sh");
        let out = Command::new("bash")
            .arg(script)
            .arg(dir.path())
            .arg(format!("http://127.0.0.1:{ocsp_port}/"))
            .arg(format!("http://127.0.0.1:{crl_port}"))
            .arg(&dead)
            .output()
            .expect("bash");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut pki = Pki {
            dir,
            responder: None,
        };
        if ocsp {
            let mut child = Command::new("openssl")
                .current_dir(pki.dir.path())
                .args([
                    "ocsp",
                    "-index",
                    "inter-index.txt",
                    "-port",
                    &ocsp_port.to_string(),
                    "-rsigner",
                    "responder.pem",
                    "-rkey",
                    "responder.key",
                    "-CA",
                    "inter.pem",
                    "-ndays",
                    "1",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("openssl ocsp");
            // Ready once it says ACCEPT on standard output (a probing connection would
            // upset it: it serves one connection at a time and waits for a request). The
            // pipe is drained until the responder ends.
            let stdout = child.stdout.take().expect("stdout");
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                use std::io::BufRead as _;
                for line in std::io::BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                {
                    if line.contains("ACCEPT") {
                        let _ = ready_tx.send(());
                    }
                }
            });
            ready_rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("the OCSP responder listens");
            pki.responder = Some(child);
        }
        pki
    }

    /// Signs `content` with the certificate `who` (CAdES, attached, the CA in the envelope).
    fn sign(&self, content: &[u8], who: &str) -> Vec<u8> {
        std::fs::write(self.path("model.xml"), content).unwrap();
        let status = Command::new("openssl")
            .current_dir(self.dir.path())
            .args([
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-cades",
                "-md",
                "sha256",
                "-outform",
                "DER",
                "-in",
                "model.xml",
                "-certfile",
                "inter.pem",
                "-out",
                "model.p7m",
            ])
            .arg("-signer")
            .arg(format!("{who}.pem"))
            .arg("-inkey")
            .arg(format!("{who}.key"))
            .status()
            .expect("openssl cms");
        assert!(status.success());
        std::fs::read(self.path("model.p7m")).unwrap()
    }
}

/// The demo app, trusting the test PKI's root, its clock at the real time (the OCSP responder
/// dates its answers now).
async fn app_trusting(engine: Engine, pki: &Pki) -> (TestApp, Erp) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    app.clock.set(chrono::Utc::now());
    let root = std::fs::read(pki.path("root.pem")).unwrap();
    sportello_core::trust::add_file(
        &app.state.db,
        chrono::Utc::now(),
        &sportello_core::audit::Actor::cli(),
        &root,
        None,
    )
    .await
    .unwrap();
    let erp = Erp::demo(&app, Role::Company).await;
    (app, erp)
}

async fn upload_signed_by(erp: &Erp, pki: &Pki, who: &str) -> reqwest::Response {
    let model = erp.new_model(LIGURE, co_form()).await;
    let signed = pki.sign(&erp.xml(&model).await, who);
    erp.upload(signed, &DETAILS).await
}

async fn notes_of(app: &TestApp, r: reqwest::Response) -> Vec<Note> {
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let practice = sportello_core::trade::practice::get(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    signer_checks::notes(&app.state.db, &id, &practice.signed_blob)
        .await
        .unwrap()
}

async fn practices(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn set_rule(app: &TestApp, setting: Setting, value: &str) {
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    settings::set(&mut tx, chrono::Utc::now(), &chamber.id, setting, value)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// (position, method, status, OCSP answer, CRL number) of a kept check.
type KeptCheck = (i64, String, String, Option<Vec<u8>>, Option<String>);

engine_tests!(
    a_signer_not_revoked_is_accepted_with_the_ocsp_answer_kept_as_evidence,
    a_revoked_signer_is_refused_naming_the_person_and_the_date_and_nothing_is_stored,
    an_unreachable_responder_is_flagged_or_refused_as_the_chamber_says,
    without_ocsp_the_crl_of_the_distribution_point_answers,
    a_crl_added_by_the_administrator_answers_when_the_distribution_point_is_down,
    verify_checks_revocation_and_offline_uses_only_the_stored_crls,
);

async fn a_signer_not_revoked_is_accepted_with_the_ocsp_answer_kept_as_evidence(engine: Engine) {
    let pki = Pki::start(true, true).await;
    let (app, erp) = app_trusting(engine, &pki).await;
    let r = upload_signed_by(&erp, &pki, "good").await;
    let notes = notes_of(&app, r).await;
    assert!(
        matches!(&notes[..], [Note::NotRevoked { holder, method, .. }] if holder == "GIULIA BIANCHI" && method == "ocsp"),
        "{notes:?}"
    );
    // The responder's signed answer is kept, and the issuing CA was checked on its CRL.
    let kept: Vec<KeptCheck> = sqlx::query_as(
        "SELECT position, method, status, ocsp_response, crl_number FROM practice_revocation_checks ORDER BY position",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!((kept[0].1.as_str(), kept[0].2.as_str()), ("ocsp", "good"));
    assert!(kept[0].3.as_ref().is_some_and(|r| !r.is_empty()));
    assert_eq!((kept[1].1.as_str(), kept[1].2.as_str()), ("crl", "good"));
    assert_eq!(kept[1].4.as_deref(), Some("5"), "the root's CRL number");
}

async fn a_revoked_signer_is_refused_naming_the_person_and_the_date_and_nothing_is_stored(
    engine: Engine,
) {
    let pki = Pki::start(true, true).await;
    let (app, erp) = app_trusting(engine, &pki).await;
    let before = practices(&app).await;
    let r = upload_signed_by(&erp, &pki, "revoked").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "signer_revoked", "{body}");
    let detail = body["detail"].as_str().unwrap_or_default().to_string() + &body.to_string();
    assert!(detail.contains("Mario Rossi"), "{body}");
    let today =
        sportello_core::display::date(sportello_core::clock::italian_day(chrono::Utc::now()));
    assert!(detail.contains(&today), "{body} should name {today}");
    assert_eq!(practices(&app).await, before);
    // By CRL too.
    let r = upload_signed_by(&erp, &pki, "crl_revoked").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("Paolo Verdi"), "{body}");
    assert_eq!(practices(&app).await, before);
}

async fn an_unreachable_responder_is_flagged_or_refused_as_the_chamber_says(engine: Engine) {
    let pki = Pki::start(false, true).await;
    let (app, erp) = app_trusting(engine, &pki).await;
    // Default: accepted, and flagged for the officer.
    let r = upload_signed_by(&erp, &pki, "unreachable").await;
    let notes = notes_of(&app, r).await;
    assert!(
        matches!(&notes[..], [Note::Unverified { holder, ca: None, .. }] if holder == "GIULIA BIANCHI"),
        "{notes:?}"
    );
    assert!(notes[0].is_flag());
    // Where the chamber refuses: refused, nothing stored.
    set_rule(&app, Setting::RevocationUnavailable, "refuse").await;
    let before = practices(&app).await;
    let r = upload_signed_by(&erp, &pki, "unreachable").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "revocation_unavailable", "{body}");
    assert!(body.to_string().contains("Giulia Bianchi"), "{body}");
    assert_eq!(practices(&app).await, before);
}

async fn without_ocsp_the_crl_of_the_distribution_point_answers(engine: Engine) {
    let pki = Pki::start(false, true).await;
    let (app, erp) = app_trusting(engine, &pki).await;
    let r = upload_signed_by(&erp, &pki, "crl_only").await;
    let notes = notes_of(&app, r).await;
    assert!(
        matches!(&notes[..], [Note::NotRevoked { holder, method, crl_number, .. }]
            if holder == "LAURA BIANCHI" && method == "crl" && crl_number.as_deref() == Some("42")),
        "{notes:?}"
    );
    // The fetched CRLs are kept until their nextUpdate.
    let kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM revocation_lists WHERE source = 'http'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(kept, 2, "the issuing CA's and the root's");
}

async fn a_crl_added_by_the_administrator_answers_when_the_distribution_point_is_down(
    engine: Engine,
) {
    let pki = Pki::start(false, true).await;
    let (app, erp) = app_trusting(engine, &pki).await;
    let r = upload_signed_by(&erp, &pki, "offline").await;
    let notes = notes_of(&app, r).await;
    assert!(notes[0].is_flag(), "{notes:?}");
    // What `sportello admin trust crl add inter.crl` does.
    let crl = std::fs::read(pki.path("inter.crl.pem")).unwrap();
    let stored = sportello_core::revocation::add_crl_file(
        &app.state.db,
        chrono::Utc::now(),
        &sportello_core::audit::Actor::cli(),
        &crl,
    )
    .await
    .unwrap();
    assert_eq!(stored[0].crl_number.as_deref(), Some("42"));
    let r = upload_signed_by(&erp, &pki, "offline").await;
    let notes = notes_of(&app, r).await;
    assert!(
        matches!(&notes[..], [Note::NotRevoked { method, .. }] if method == "crl"),
        "{notes:?}"
    );
}

async fn verify_checks_revocation_and_offline_uses_only_the_stored_crls(engine: Engine) {
    let pki = Pki::start(true, false).await;
    let db = TestDb::new(engine).await;
    let root = pki.path("root.pem");
    let out = sportello(
        Some(&db),
        &["admin", "trust", "add", root.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let content = b"<modello/>";
    let good = pki.path("good.p7m");
    std::fs::write(&good, pki.sign(content, "good")).unwrap();
    let crl_only = pki.path("crl_only.p7m");
    std::fs::write(&crl_only, pki.sign(content, "crl_only")).unwrap();
    let revoked = pki.path("crl_revoked.p7m");
    std::fs::write(&revoked, pki.sign(content, "crl_revoked")).unwrap();
    let verify = |file: &Path, offline: bool| {
        let mut args = vec!["verify", "--json", file.to_str().unwrap()];
        if offline {
            args.insert(1, "--offline");
        }
        let out = sportello(Some(&db), &args, "");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code(), json)
    };
    // Online: the responder answers for the signer; the CA's CRL server is down.
    let (code, json) = verify(&good, false);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["revocation"][0]["method"], "ocsp", "{json}");
    assert_eq!(json["revocation"][0]["status"], "good", "{json}");
    assert_eq!(json["revocation"][1]["status"], "unavailable", "{json}");
    // Offline, nothing stored: cannot be checked.
    let (code, json) = verify(&crl_only, true);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["revocation"][0]["status"], "unavailable", "{json}");
    // The administrator adds the two CRLs: offline verification answers.
    for crl in ["inter.crl", "root.crl.pem"] {
        let out = sportello(
            Some(&db),
            &[
                "admin",
                "trust",
                "crl",
                "add",
                pki.path(crl).to_str().unwrap(),
            ],
            "",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("kept CRL of"),
            "{}",
            text(&out.stdout)
        );
    }
    let (code, json) = verify(&crl_only, true);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["valid"], true);
    assert_eq!(json["revocation"][0]["method"], "crl", "{json}");
    let (code, json) = verify(&revoked, true);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["revocation"][0]["status"], "revoked", "{json}");
    assert!(json["revocation"][0]["revoked_at"].is_string(), "{json}");
}
