//! Issue 14, item 5: the RA restricted archive (`/ra/archive`) read a page at a time. A
//! chamber keeps its mandate documents for years: the page reads 50 of them, newest first,
//! by keyset on (created_at, id) within the chamber through `ra_documents_chamber_created`,
//! with the operators' names joined to the page's rows. Its statement's plan is asked of the
//! engine (see `scale_bounds.rs`); the pages are walked as a Master RAO: no document twice
//! or lost, even among documents kept at the same instant, and never another chamber's,
//! whatever cursor the URL carries.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{assert_reads, chamber_of, chamber_staff, pager_link, savona};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::audit::Actor;
use sportello_core::db::{Engine, new_id};
use sportello_core::paging::Key;
use sportello_core::ra::archive::{self, DocumentKind, Upload};
use sportello_core::ra::operator::{self, NewOperator};

engine_tests!(
    the_archive_page_reads_a_range_of_its_index,
    the_archive_shows_the_newest_fifty_then_the_following_ones,
    a_master_rao_never_sees_another_chambers_documents,
    a_document_is_kept_in_its_operators_chamber,
);

/// The archive page's statement, first page and a following one, reads one range of
/// `ra_documents_chamber_created`: no full scan of the chamber's documents, no sort.
async fn the_archive_page_reads_a_range_of_its_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let key = Key::new("2026-11-25T09:00:00.000000Z", new_id());
    for from in [None, Some(&key)] {
        let plan = archive::page_plan(&app.state.db, &chamber, from)
            .await
            .expect("plan");
        assert_reads(
            &plan,
            "ra_documents",
            "ra_documents_chamber_created",
            &format!("archive page after {from:?}"),
        );
    }
}

/// An operator of `chamber` (the first one, or a new one).
async fn an_operator(app: &TestApp, chamber: &str) -> String {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM ra_operators WHERE chamber_id = $1 ORDER BY id LIMIT 1")
            .bind(chamber)
            .fetch_optional(app.state.db.pool())
            .await
            .unwrap();
    if let Some(id) = found {
        return id;
    }
    let mut tx = app.state.db.begin().await.unwrap();
    let op = operator::create(
        &mut tx,
        app.state.clock.now(),
        &Actor::cli(),
        chamber,
        NewOperator {
            kind: "rao".into(),
            name: "MARIO ROSSI".into(),
            tax_code: "RSSMRA80A01H501U".into(),
            email: "rssmra80a01h501u@operatori.test".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    op.id
}

/// `n` documents of `operator` in `chamber`, seven at each instant from `first_second`
/// (seconds past 2026-01-01), two seconds apart: equal keys are broken by the id.
async fn documents(app: &TestApp, chamber: &str, operator: &str, n: usize, first_second: usize) {
    for i in 0..n {
        let s = first_second + 2 * (i / 7);
        let created_at = format!(
            "2026-01-01T{:02}:{:02}:{:02}.000000Z",
            s / 3600,
            (s / 60) % 60,
            s % 60
        );
        sqlx::query(
            "INSERT INTO ra_documents (id, operator_id, chamber_id, kind, filename, \
             content_type, blob, size, created_at) VALUES ($1, $2, $3, 'mandate_letter', $4, \
             'application/pdf', 'blob', 1, $5)",
        )
        .bind(new_id())
        .bind(operator)
        .bind(chamber)
        .bind(format!("lettera-{i}.pdf"))
        .bind(created_at)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
}

/// The chamber's documents as the archive must list them: newest first, then by id.
async fn expected(app: &TestApp, chamber: &str) -> Vec<String> {
    let mut rows: Vec<(String, String)> =
        sqlx::query_as("SELECT created_at, id FROM ra_documents WHERE chamber_id = $1")
            .bind(chamber)
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    rows.sort();
    rows.reverse();
    rows.into_iter().map(|(_, id)| id).collect()
}

/// The documents a page lists, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("href=\"/ra/archive/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Every page of the archive from `path` on, following the next links.
async fn walk(b: &Browser, path: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(path.to_string());
    while let Some(path) = next {
        let (status, html) = b.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        pages.push(listed(&html));
        next = pager_link(&html, "next");
        assert!(pages.len() < 20, "the pages never end");
    }
    pages
}

async fn master_rao(app: &TestApp) -> Browser {
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    Browser::login(app, email, password).await
}

/// 50 documents a page, newest first; the next page goes on from the last row shown, the
/// previous one back to the first: every document once, none lost, even seven at one instant.
async fn the_archive_shows_the_newest_fifty_then_the_following_ones(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let operator = an_operator(&app, &chamber).await;
    documents(&app, &chamber, &operator, 124, 0).await;
    let all = expected(&app, &chamber).await;
    assert!(all.len() >= 124);
    let master = master_rao(&app).await;
    let pages = walk(&master, "/ra/archive").await;
    assert_eq!(pages[0], all[..50], "the newest 50 first");
    assert_eq!(pages[1], all[50..100], "then the following 50");
    assert_eq!(pages.concat(), all, "every document once, in order");
    assert_eq!(pages.len(), all.len().div_ceil(50));
    // The operator's name is on the row, from the page's own statement.
    let (_, first) = master.get("/ra/archive").await;
    let name: String = sqlx::query_scalar("SELECT name FROM ra_operators WHERE id = $1")
        .bind(&operator)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(first.contains(&name), "the operator's name is shown");
    assert!(
        pager_link(&first, "prev").is_none(),
        "no page before the first"
    );
    // Back from the second page: the first again.
    let second = pager_link(&first, "next").expect("a second page");
    let (_, second_html) = master.get(&second).await;
    let back = pager_link(&second_html, "prev").expect("a previous page");
    let (_, back_html) = master.get(&back).await;
    assert_eq!(listed(&back_html), pages[0]);
    // A cursor that is not one is the first page.
    let (status, html) = master.get("/ra/archive?after=%21%21").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&html), pages[0]);
}

/// Security: the Master RAO of one chamber lists, pages through and opens only that
/// chamber's documents, also with a cursor made from another chamber's document, and the
/// other chamber's Master RAO only the other's.
async fn a_master_rao_never_sees_another_chambers_documents(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let ge = chamber_of(&app, Role::MasterRao).await;
    let sv = savona(&app).await;
    let ge_operator = an_operator(&app, &ge).await;
    let sv_operator = an_operator(&app, &sv.id).await;
    // Interleaved in time, so every page of one chamber lies among the other's rows.
    documents(&app, &ge, &ge_operator, 70, 0).await;
    documents(&app, &sv.id, &sv_operator, 70, 1).await;
    let ge_docs = expected(&app, &ge).await;
    let sv_docs = expected(&app, &sv.id).await;
    let sv_master = chamber_staff(
        &app,
        &sv.id,
        Role::MasterRao,
        "masterrao@sv.test",
        "Master RAO Savona",
    )
    .await;
    let ge_master = master_rao(&app).await;
    for (b, own, other) in [
        (&ge_master, &ge_docs, &sv_docs),
        (&sv_master, &sv_docs, &ge_docs),
    ] {
        assert_eq!(&walk(b, "/ra/archive").await.concat(), own);
        // A cursor crafted from the other chamber's documents moves within one's own.
        for (i, doc) in other.iter().enumerate().step_by(17) {
            let created_at: String =
                sqlx::query_scalar("SELECT created_at FROM ra_documents WHERE id = $1")
                    .bind(doc)
                    .fetch_one(app.state.db.pool())
                    .await
                    .unwrap();
            let token = Key::new(created_at, doc.clone()).token();
            for cursor in ["after", "before"] {
                let (status, html) = b.get(&format!("/ra/archive?{cursor}={token}")).await;
                assert_eq!(status, StatusCode::OK);
                let shown = listed(&html);
                assert!(
                    shown.iter().all(|d| own.contains(d)),
                    "{cursor} the other chamber's document {i}: {shown:?}"
                );
            }
            let (status, _) = b.bytes(&format!("/ra/archive/{doc}")).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "the other chamber's document"
            );
        }
    }
}

/// `archive::store` takes the document's chamber from its operator's row.
async fn a_document_is_kept_in_its_operators_chamber(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let sv = savona(&app).await;
    let operator = an_operator(&app, &sv.id).await;
    let upload = Upload {
        kind: DocumentKind::MandateLetter,
        filename: "lettera.pdf".into(),
        bytes: b"%PDF-1.7".to_vec(),
    };
    let now = app.state.clock.now();
    let mut tx = app.state.db.begin().await.unwrap();
    let id = archive::store(&mut tx, now, &operator, None, &upload, "blob", None)
        .await
        .unwrap();
    // An operator that does not exist keeps nothing.
    let missing = archive::store(&mut tx, now, &new_id(), None, &upload, "blob", None).await;
    assert!(missing.is_err());
    tx.commit().await.unwrap();
    let chamber: String = sqlx::query_scalar("SELECT chamber_id FROM ra_documents WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(chamber, sv.id);
}
