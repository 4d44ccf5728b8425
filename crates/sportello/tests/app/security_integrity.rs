//! Integrity hardening: security codes kept hashed and encrypted, nothing riding after a
//! signed `.p7m`, `sportello verify`'s exit codes, jobs with an attempt limit and fenced
//! completion, blobs durable before the commit (unit-tested with the blob store), and
//! state-dependent writes guarded in the SQL.
//!
//! This file: the signed file, exactly as verified. The rest by subject below.

pub(crate) mod codes;
mod jobs;
mod otp;
mod stale;

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn firma_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../firma/tests/fixtures")
        .join(name)
}

/// `sportello verify --json --at … --trust root.pem FILE`, without a database.
fn verify_cli(file: &Path) -> (Option<i32>, serde_json::Value) {
    let root = firma_fixture("root.pem");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args([
            "verify",
            "--json",
            "--at",
            "2026-06-01T00:00:00Z",
            "--trust",
        ])
        .arg(&root)
        .arg(file)
        .env_remove("DATABASE_URL")
        .env("SPORTELLO_LOG_LEVEL", "warn")
        .env(
            "SPORTELLO_DATA_DIR",
            std::env::temp_dir().join("sportello-cli-none"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run sportello");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json)
}

#[test]
fn verify_exits_2_for_a_truncated_p7m_and_1_for_bytes_after_a_valid_one() {
    let dir = tempfile::tempdir().unwrap();
    // The fixture cut by the fixture script, and cuts of a valid file made here.
    let (code, json) = verify_cli(&firma_fixture("truncated.p7m"));
    assert_eq!(code, Some(2), "{json}");
    assert_eq!(json["valid"], false);
    assert_eq!(json["error"], "malformed_envelope");
    let full = std::fs::read(firma_fixture("valid_rsa.p7m")).unwrap();
    for len in [40, full.len() / 3, full.len() - 1] {
        let cut = dir.path().join(format!("cut-{len}.p7m"));
        std::fs::write(&cut, &full[..len]).unwrap();
        assert_eq!(verify_cli(&cut).0, Some(2), "cut at {len}");
    }
    // A readable envelope with bytes after it is a signature file that is not valid.
    let mut evil = full.clone();
    evil.extend_from_slice(b"<html>payload</html>");
    let path = dir.path().join("evil.p7m");
    std::fs::write(&path, &evil).unwrap();
    let (code, json) = verify_cli(&path);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["valid"], false);
    assert_eq!(
        json["signers"][0]["valid"], true,
        "the signature itself holds"
    );
    assert!(
        json["problems"][0]
            .as_str()
            .is_some_and(|m| m.contains("Dopo la busta firmata")),
        "{json}"
    );
    let (code, _) = verify_cli(&firma_fixture("valid_rsa.p7m"));
    assert_eq!(code, Some(0));
}

/// Standard base64 with padding, in lines of 64 (what signing tools write).
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            });
        }
    }
    out.chunks(64)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

engine_tests!(an_upload_with_bytes_after_the_signed_model_is_refused_and_nothing_is_stored,);

async fn practices_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM practices")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn an_upload_with_bytes_after_the_signed_model_is_refused_and_nothing_is_stored(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    let model = erp.new_model(LIGURE, co_form()).await;
    let xml = erp.xml(&model).await;
    let signed = sign(&xml, "giulia");
    let with_tail = |mut bytes: Vec<u8>| {
        bytes.extend_from_slice(b"%PDF-1.7 a second document riding along");
        bytes
    };
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("binary", with_tail(signed.clone())),
        ("binary, one byte", [signed.as_slice(), b"\0"].concat()),
        ("base64", b64(&with_tail(signed.clone())).into_bytes()),
        (
            "pem with text after",
            format!(
                "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\nsomething else\n",
                b64(&signed)
            )
            .into_bytes(),
        ),
        ("nested", sign(&with_tail(signed.clone()), "giulia")),
    ];
    for (what, bytes) in &hostile {
        let r = erp.upload(bytes.clone(), &DETAILS).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "signature_invalid", "{what}: {body}");
        assert!(
            body.to_string().contains("Dopo la busta firmata"),
            "{what}: the problem is said: {body}"
        );
    }
    assert_eq!(practices_count(&app).await, 0, "nothing was created");
    for (what, bytes) in &hostile {
        let key = sportello_core::blobs::sha256_hex(bytes);
        assert!(
            !app.state.blobs.exists(&key).await.unwrap(),
            "{what} was not stored"
        );
    }
    // The clean file, plain and nested, is accepted and stored exactly as uploaded.
    for clean in [signed.clone(), sign(&signed, "giulia")] {
        let r = erp.upload(clean.clone(), &DETAILS).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = sportello_core::trade::practice::get(&app.state.db, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(app.state.blobs.get(&p.signed_blob).await.unwrap(), clean);
        // A signed attachment with bytes after it is not a signed document either.
        let r = erp
            .attach(&id, with_tail(signed.clone()), "packing_list")
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = erp.attach(&id, signed.clone(), "packing_list").await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}
