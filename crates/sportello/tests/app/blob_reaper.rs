//! The blob reaper: an object no row refers to goes once older than the grace period; a young
//! one, or one any row (or an e-mail waiting to go) refers to, stays. A deleted draft's files
//! go too.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{Erp, LIGURE, ready_practice, small_pdf};
use chrono::Duration;
use sportello_core::accounts::Role;
use sportello_core::blobs::FsBlobStore;
use sportello_core::blobs::reaper::{self, REFERENCES};
use sportello_core::db::Engine;
use sportello_core::notify::{self, EmailAttachment, OutgoingEmail};
use std::time::SystemTime;

engine_tests!(
    an_orphan_blob_is_reaped_once_old_and_a_young_or_referenced_one_is_kept,
    every_column_holding_a_blob_key_is_known_to_the_reaper
);

/// Sets the modification time of every file of the app's folder store to `age` before the
/// app's clock, as if written then.
fn age_everything(app: &TestApp, age: Duration) {
    let when: SystemTime = (app.state.clock.now() - age).into();
    let root = app.state.config.blobs_dir();
    for dir in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(when).unwrap();
        }
    }
}

fn age_one(app: &TestApp, key: &str, age: Duration) {
    let store = FsBlobStore::new(app.state.config.blobs_dir());
    let f = std::fs::File::options()
        .write(true)
        .open(store.path_of(key).unwrap())
        .unwrap();
    f.set_modified((app.state.clock.now() - age).into())
        .unwrap();
}

/// Every key some row refers to.
async fn referenced_keys(app: &TestApp) -> Vec<String> {
    let mut keys = Vec::new();
    for (table, column) in REFERENCES {
        let sql = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
        keys.extend(
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .fetch_all(app.state.db.pool())
                .await
                .unwrap(),
        );
    }
    keys
}

async fn signed_blob_of(app: &TestApp, practice: &str) -> String {
    sqlx::query_scalar("SELECT signed_blob FROM practices WHERE id = $1")
        .bind(practice)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn an_orphan_blob_is_reaped_once_old_and_a_young_or_referenced_one_is_kept(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let kept = ready_practice(&erp, &[]).await;
    let draft = ready_practice(&erp, &[]).await;
    assert!(
        erp.attach(&draft, small_pdf(), "invoice")
            .await
            .status()
            .is_success()
    );
    let (kept_signed, draft_signed) = (
        signed_blob_of(&app, &kept).await,
        signed_blob_of(&app, &draft).await,
    );
    let attachment = sportello_core::blobs::sha256_hex(&small_pdf());

    // The company deletes its draft: its rows go, its files stay until the reaper.
    let (email, password) = TestApp::demo_login(Role::Company);
    let b = Browser::login(&app, email, password).await;
    let (status, _, _) = b
        .post_form(&format!("/practices/{draft}/delete"), &[])
        .await;
    assert!(status.is_redirection(), "{status}");
    let blobs = &app.state.blobs;
    assert!(blobs.exists(&draft_signed).await.unwrap());
    assert!(blobs.exists(&attachment).await.unwrap());

    // Planted: an orphan (an upload whose transaction rolled back), a file waiting in an
    // e-mail not sent yet, and the temporary file of a write a crash interrupted.
    let orphan = blobs
        .put(b"upload whose transaction rolled back")
        .await
        .unwrap();
    let mailed = blobs.put(b"identity document for the CA").await.unwrap();
    let now = app.state.clock.now();
    let mut tx = app.state.db.begin().await.unwrap();
    notify::queue(
        &mut tx,
        now,
        OutgoingEmail {
            to: "ca@pec.example".into(),
            subject: "Documento".into(),
            body_text: "In allegato.".into(),
            chamber_id: None,
            attachments: vec![EmailAttachment {
                filename: "documento.pdf".into(),
                content_type: "application/pdf".into(),
                blob: mailed.clone(),
            }],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let folder = FsBlobStore::new(app.state.config.blobs_dir());
    let leftover = folder
        .path_of(&orphan)
        .unwrap()
        .with_file_name(".tmp-crashed");
    std::fs::write(&leftover, b"half a fi").unwrap();

    // All of it two days old, but one young orphan uploaded an hour ago.
    age_everything(&app, Duration::hours(48));
    let young = blobs.put(b"upload still on its way").await.unwrap();
    age_one(&app, &young, Duration::hours(1));

    let done = reaper::reap(&app.state, now, Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(done.removed, 3, "{done:?}");
    assert_eq!(done.young, 1, "{done:?}");
    assert_eq!(done.leftovers, 1, "{done:?}");
    for gone in [&orphan, &draft_signed, &attachment] {
        assert!(!blobs.exists(gone).await.unwrap(), "{gone} removed");
    }
    assert!(!leftover.exists());
    for kept in [&young, &mailed, &kept_signed] {
        assert!(blobs.exists(kept).await.unwrap(), "{kept} kept");
    }
    let referenced = referenced_keys(&app).await;
    assert!(!referenced.is_empty());
    for key in &referenced {
        assert!(blobs.exists(key).await.unwrap(), "referenced {key} kept");
    }
    let mut distinct = referenced.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        done.referenced as usize,
        distinct.len() + 1,
        "every referenced key and the mailed one: {done:?}"
    );

    // A second run removes nothing.
    let again = reaper::reap(&app.state, now, Duration::hours(24))
        .await
        .unwrap();
    assert_eq!((again.removed, again.leftovers), (0, 0), "{again:?}");

    // The same, through the scheduled job, once the young one is old too: the grace period
    // comes from SPORTELLO_BLOBS_GRACE_HOURS (24 by default).
    app.run_jobs().await;
    app.clock.advance(Duration::days(2));
    app.run_jobs().await;
    assert!(!blobs.exists(&young).await.unwrap(), "reaped by the job");
    assert!(blobs.exists(&kept_signed).await.unwrap());
}

async fn every_column_holding_a_blob_key_is_known_to_the_reaper(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let schema = sportello_core::db::schema::read(&app.state.db)
        .await
        .unwrap();
    let mut holding = Vec::new();
    for (table, t) in &schema.tables {
        for c in &t.columns {
            if c.name == "blob" || c.name.ends_with("_blob") {
                holding.push((table.clone(), c.name.clone()));
            }
        }
    }
    holding.sort();
    let mut known: Vec<(String, String)> = REFERENCES
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect();
    known.sort();
    assert_eq!(
        holding, known,
        "a new blob column must be listed in reaper::REFERENCES"
    );
}
