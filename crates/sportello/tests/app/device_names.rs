//! The devices pages name people: who asked for a withdrawal or reported a device, and who
//! decided, by the name of their user account, not by e-mail address; the stored label when
//! the account has no name. The names come with the chamber's own rows only.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::devices::{withdrawal, write_off};

engine_tests!(the_devices_pages_name_who_asked_and_who_decided);

async fn login(app: &TestApp, role: Role) -> Browser {
    let (email, password) = TestApp::demo_login(role);
    Browser::login(app, email, password).await
}

/// The HTML of the table marked `data-testid="{testid}"`, up to its end.
fn table<'a>(html: &'a str, testid: &str) -> &'a str {
    let start = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no table {testid}"));
    let rest = &html[start..];
    &rest[..rest.find("</table>").unwrap_or(rest.len())]
}

async fn the_devices_pages_name_who_asked_and_who_decided(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let db = &app.state.db;
    let chamber: String = sqlx::query_scalar("SELECT id FROM chambers WHERE code = 'GE'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    // The RAO reports a cabinet device lost: a pending report the Master RAO sees.
    let device: String = sqlx::query_scalar(
        "SELECT id FROM dev_devices WHERE chamber_id = $1 AND state = 'in_cabinet' \
         ORDER BY serial LIMIT 1",
    )
    .bind(&chamber)
    .fetch_one(db.pool())
    .await
    .unwrap();
    let rao = login(&app, Role::Rao).await;
    let (s, _, _) = rao
        .post_form(
            &format!("/devices/d/{device}/write-off"),
            &[
                ("move", "mark_lost"),
                ("reason", "Non trovato al controllo"),
            ],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{s}");

    // The demo's withdrawals: the Master RAO (Luca Galli) asked, the RAO (Sara Costa) approved.
    let master = login(&app, Role::MasterRao).await;
    let (s, page) = master.get("/devices").await;
    assert!(s.is_success(), "{s}");
    let withdrawals = table(&page, "withdrawals");
    assert!(withdrawals.contains(">Luca Galli</td>"), "{withdrawals}");
    assert!(withdrawals.contains("(Sara Costa)"), "{withdrawals}");
    assert!(
        !withdrawals.contains('@'),
        "no e-mail address: {withdrawals}"
    );
    let reports = table(&page, "write-offs");
    assert!(reports.contains(">Sara Costa</td>"), "{reports}");
    assert!(!reports.contains('@'), "no e-mail address: {reports}");
    let (_, device_page) = master.get(&format!("/devices/d/{device}")).await;
    let on_device = table(&device_page, "write-offs");
    assert!(on_device.contains(">Sara Costa</td>"), "{on_device}");

    // An account without a name: the label kept with the request stands in for it.
    sqlx::query("UPDATE users SET name = ' ' WHERE email = 'rao@demo.sportello.test'")
        .execute(db.pool())
        .await
        .unwrap();
    let (_, page) = master.get("/devices").await;
    assert!(
        table(&page, "withdrawals").contains("(rao@demo.sportello.test)"),
        "{}",
        table(&page, "withdrawals")
    );
    assert!(
        table(&page, "write-offs").contains(">rao@demo.sportello.test</td>"),
        "{}",
        table(&page, "write-offs")
    );

    // The names come with the chamber's own rows: another chamber reads none of them, and a
    // withdrawal is found only in its own chamber.
    let sv = sportello_core::chambers::create_chamber(
        &app.state,
        &sportello_core::audit::Actor::cli(),
        &sportello_core::chambers::ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio di Savona",
    )
    .await
    .unwrap();
    assert!(withdrawal::recent(db, &sv.id).await.unwrap().is_empty());
    assert!(write_off::recent(db, &sv.id).await.unwrap().is_empty());
    let ours = withdrawal::recent(db, &chamber).await.unwrap();
    let first = ours.first().expect("the demo withdrawals");
    assert_eq!(first.requested_by_name, "Luca Galli");
    assert_eq!(
        first.decided_by_name.as_deref(),
        Some("rao@demo.sportello.test")
    );
    assert!(
        withdrawal::get(db, &sv.id, &first.id)
            .await
            .unwrap()
            .is_none()
    );
    let again = withdrawal::get(db, &chamber, &first.id)
        .await
        .unwrap()
        .expect("found in its chamber");
    assert_eq!(&again, first);
}
