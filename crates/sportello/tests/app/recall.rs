//! Revocations that reach people and devices (RA procedure, part 1, "Procedura di revoca ODR"):
//! the signed notice goes to the operator's contacts from the acceptance form (once, whatever
//! the retries), the devices consigned to the revoked ODR are recalled, each return takes two
//! different people, the ODR is reminded until the recall closes, and the consigned fees are
//! settled with the advance account's usual rules.

use crate::devices::odr_id;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::ra::{call, token};
use reqwest::StatusCode;
use serde_json::json;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::devices::advance;
use sportello_core::devices::{DeviceState, inventory};

engine_tests!(
    a_revoked_odr_gets_the_signed_notice_once_and_its_devices_are_recalled,
    a_recalled_device_returns_into_the_cabinet_only_by_two_different_people,
    only_inventory_staff_may_record_the_return_of_a_recalled_device,
    the_recall_closes_when_every_device_is_returned_or_written_off_and_reminders_stop,
);

const ODR_EMAIL: &str = "odr@demo.sportello.test";

async fn login(app: &TestApp, role: Role) -> Browser {
    let (email, password) = TestApp::demo_login(role);
    Browser::login(app, email, password).await
}

async fn chamber(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM chambers WHERE code = 'GE'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Seeds the demo and revokes its ODR (which holds consigned devices) through the Manager's
/// queue: the office prepares the notice, the Manager signs it.
async fn revoke_demo_odr(app: &TestApp) -> String {
    app.seed_demo().await;
    app.run_jobs().await;
    let odr = odr_id(app).await;
    let (s, v) = crate::ra::revoke_through_the_manager(app, &odr, "Perdita dei requisiti").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    odr
}

/// The recall of `odr` and its devices: (recall id, [(device id, serial, held fee)]).
async fn recall_of(app: &TestApp, odr: &str) -> (String, Vec<(String, String, i64)>) {
    let id: String = sqlx::query_scalar("SELECT id FROM dev_recalls WHERE operator_id = $1")
        .bind(odr)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let lines = sqlx::query_as(
        "SELECT l.device_id, d.serial, l.held_fee_cents FROM dev_recall_devices l \
         JOIN dev_devices d ON d.id = l.device_id WHERE l.recall_id = $1 ORDER BY d.serial",
    )
    .bind(&id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    (id, lines)
}

async fn state_of(app: &TestApp, id: &str) -> DeviceState {
    inventory::get(&app.state.db, &chamber(app).await, id)
        .await
        .unwrap()
        .unwrap()
        .state
}

fn to_odr(app: &TestApp) -> usize {
    app.smtp
        .messages()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(ODR_EMAIL)))
        .count()
}

async fn a_revoked_odr_gets_the_signed_notice_once_and_its_devices_are_recalled(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let odr = revoke_demo_odr(&app).await;
    let (_, lines) = recall_of(&app, &odr).await;
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_devices WHERE state = 'consigned_to_odr' \
         AND holder_operator_id = $1",
    )
    .bind(&odr)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert!(held > 0, "the demo ODR holds consigned devices");
    assert_eq!(
        lines.len() as i64,
        held,
        "every consigned device is on the recall"
    );
    app.run_jobs().await;
    app.run_jobs().await;
    let mails = app.smtp.messages();
    let notice: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(ODR_EMAIL)))
        .collect();
    assert_eq!(notice.len(), 1, "one notice to the operator's contact");
    assert!(
        notice[0].data.contains("Comunicazione di revoca"),
        "{}",
        notice[0].data
    );
    assert!(
        notice[0].data.contains("comunicazione-revoca-firmata.pdf"),
        "the notice the Manager signed is attached"
    );
    for (_, serial, _) in &lines {
        assert!(notice[0].data.contains(serial.as_str()), "{serial} listed");
    }
    let ca = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains("certificatore")))
        .count();
    assert_eq!(ca, 1, "and one to the CA");
    // A retry of the delivery (the job enqueued again) does not send it twice.
    let outbox_id: String = sqlx::query_scalar(
        "SELECT outbox_id FROM ra_revocation_mails WHERE operator_id = $1 \
         AND purpose = 'notice_operator'",
    )
    .bind(&odr)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    sportello_core::jobs::enqueue(
        &mut tx,
        &sportello_core::notify::SendEmail { outbox_id },
        app.state.clock.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(app.run_jobs().await >= 1);
    assert_eq!(to_odr(&app), 1, "still one message after a retry");
    // Revoking again is refused and sends nothing.
    let master = token(&app, Role::MasterRao).await;
    let (s, _) = call(
        &app,
        "POST",
        &format!("/api/v1/ra/operators/{odr}/revoke"),
        &master,
        Some(json!({"effective": null,
            "notice_received_on": app.state.clock.today().to_string(), "reason": "di nuovo"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.run_jobs().await;
    assert_eq!(to_odr(&app), 1);
    // The operator page says what was sent, to whom and when, and lists the recall.
    let b = login(&app, Role::MasterRao).await;
    let (s, page) = b.get(&format!("/ra/operators/{odr}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Revoca firmata all&#39;operatore")
            || page.contains("Revoca firmata all'operatore"),
        "{page}"
    );
    assert!(page.contains(ODR_EMAIL));
    assert!(page.contains("protocollo@pec"), "the CA's address: {page}");
    assert!(!page.contains("In attesa di invio"), "both sent: {page}");
    assert!(page.contains("Richiamo dei dispositivi"));
    for (_, serial, _) in &lines {
        assert!(page.contains(serial.as_str()), "{serial} on the page");
    }
}

async fn a_recalled_device_returns_into_the_cabinet_only_by_two_different_people(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let odr = revoke_demo_odr(&app).await;
    let (recall, lines) = recall_of(&app, &odr).await;
    let (device, _, fee) = lines.iter().find(|l| l.2 > 0).unwrap().clone();
    let balance = advance::account(&app.state.db, &odr)
        .await
        .unwrap()
        .balance_cents;
    let master = login(&app, Role::MasterRao).await;
    let page = format!("/ra/operators/{odr}");
    master.get(&page).await;
    // Confirming before anyone reported it is refused.
    let confirm = format!("/ra/recalls/{recall}/devices/{device}/confirm");
    let (s, _, body) = master.post_form(&confirm, &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("Prima si registra la restituzione"), "{body}");
    // A note too long is refused with the reason, and nothing is recorded.
    let report = format!("/ra/recalls/{recall}/devices/{device}/return");
    let long = "x".repeat(501);
    let (s, _, body) = master.post_form(&report, &[("note", &long)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("500 caratteri"), "{body}");
    let (s, location, _) = master
        .post_form(&report, &[("note", "Riconsegnata allo sportello")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/ra/recalls/{recall}?recall=reported#recall").as_str())
    );
    assert_eq!(state_of(&app, &device).await, DeviceState::ConsignedToOdr);
    // Twice is refused.
    let (s, _, _) = master.post_form(&report, &[("note", "")]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The same person cannot confirm.
    let (s, _, body) = master.post_form(&confirm, &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("serve un&#39;altra persona") || body.contains("serve un'altra persona"),
        "{body}"
    );
    assert_eq!(state_of(&app, &device).await, DeviceState::ConsignedToOdr);
    // Nor can a recalled device be put back by one person through the inventory's moves.
    let other = lines.iter().find(|l| l.0 != device).unwrap().0.clone();
    let (s, _, body) = master
        .post_form(
            &format!("/devices/d/{other}/move"),
            &[("move", "return_to_cabinet"), ("note", "")],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(state_of(&app, &other).await, DeviceState::ConsignedToOdr);
    // Another person confirms: the device is in the cabinet and its fee back in the balance.
    let rao = login(&app, Role::Rao).await;
    // The RAO finds the recall from the inventory page.
    let (_, inventory) = rao.get("/devices").await;
    assert!(
        inventory.contains(&format!("/ra/recalls/{recall}")),
        "{inventory}"
    );
    let (s, shown) = rao.get(&format!("/ra/recalls/{recall}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(shown.contains("Conferma e riponi"), "{shown}");
    let (s, location, _) = rao.post_form(&confirm, &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/ra/recalls/{recall}?recall=confirmed#recall").as_str())
    );
    assert_eq!(state_of(&app, &device).await, DeviceState::InCabinet);
    let after = advance::account(&app.state.db, &odr).await.unwrap();
    assert_eq!(after.balance_cents, balance + fee);
    assert_eq!(
        advance::ledger_sums(&app.state.db, &odr).await.unwrap(),
        after,
        "the ledger agrees"
    );
    // A second click finds it settled.
    let (s, _, _) = rao.post_form(&confirm, &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (approved_by, actor): (Option<String>, String) = sqlx::query_as(
        "SELECT approved_by, actor FROM dev_moves WHERE device_id = $1 \
         AND move = 'return_to_cabinet'",
    )
    .bind(&device)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(approved_by.as_deref(), Some(actor.as_str()));
    assert_eq!(actor, TestApp::demo_login(Role::Rao).0);
}

async fn only_inventory_staff_may_record_the_return_of_a_recalled_device(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let odr = revoke_demo_odr(&app).await;
    let (recall, lines) = recall_of(&app, &odr).await;
    let device = &lines[0].0;
    for role in [
        Role::Company,
        Role::Officer,
        Role::ChamberAdmin,
        Role::Odr,
        Role::Ir,
        Role::Manager,
        Role::Auditor,
    ] {
        let b = login(&app, role).await;
        for action in ["return", "confirm"] {
            let (s, _, _) = b
                .post_form(
                    &format!("/ra/recalls/{recall}/devices/{device}/{action}"),
                    &[("note", "")],
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{role} {action}");
        }
    }
    let reported: Option<String> = sqlx::query_scalar(
        "SELECT return_reported_by FROM dev_recall_devices WHERE device_id = $1",
    )
    .bind(device)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(reported, None, "nothing recorded");
    // An unknown recall is not found, not an error page of the server.
    let master = login(&app, Role::MasterRao).await;
    let (s, _, _) = master
        .post_form(&format!("/ra/recalls/nope/devices/{device}/return"), &[])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn the_recall_closes_when_every_device_is_returned_or_written_off_and_reminders_stop(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let odr = revoke_demo_odr(&app).await;
    app.run_jobs().await;
    let (recall, lines) = recall_of(&app, &odr).await;
    // No reminder before seven days; one on the seventh; none again the same day.
    app.clock.advance(chrono::Duration::days(6));
    app.run_jobs().await;
    assert_eq!(to_odr(&app), 1, "only the notice");
    app.clock.advance(chrono::Duration::days(1));
    app.run_jobs().await;
    app.run_jobs().await;
    let reminders: Vec<_> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.contains(ODR_EMAIL)))
        .filter(|m| m.data.contains("Promemoria"))
        .collect();
    assert_eq!(reminders.len(), 1, "one reminder");
    assert!(reminders[0].data.contains(&lines[0].1));
    // A week on, the sessions have expired: both sign in again.
    let master = login(&app, Role::MasterRao).await;
    let rao = login(&app, Role::Rao).await;
    master.get(&format!("/ra/operators/{odr}")).await;
    rao.get(&format!("/ra/recalls/{recall}")).await;
    // Every device but the last comes back, by two people.
    let (last, rest) = lines.split_last().unwrap();
    for (device, _, _) in rest {
        let (s, _, _) = master
            .post_form(
                &format!("/ra/recalls/{recall}/devices/{device}/return"),
                &[("note", "")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _, _) = rao
            .post_form(
                &format!("/ra/recalls/{recall}/devices/{device}/confirm"),
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
    }
    let status: String = sqlx::query_scalar("SELECT status FROM dev_recalls WHERE id = $1")
        .bind(&recall)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "open");
    // The last is lost: written off with the usual two-person write-off.
    let (s, _, _) = master
        .post_form(
            &format!("/devices/d/{}/write-off", last.0),
            &[
                ("move", "mark_lost"),
                ("reason", "L'ODR dichiara lo smarrimento"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let report: String = sqlx::query_scalar(
        "SELECT id FROM dev_write_offs WHERE device_id = $1 AND status = 'pending'",
    )
    .bind(&last.0)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let (s, _, _) = rao
        .post_form(&format!("/devices/write-offs/{report}/approve"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let status: String = sqlx::query_scalar("SELECT status FROM dev_recalls WHERE id = $1")
        .bind(&recall)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "closed");
    // The settlement: the lost device's fee is the ODR's to pay, the rest went back.
    let view =
        sportello_core::devices::recall::of_operator(&app.state.db, &chamber(&app).await, &odr)
            .await
            .unwrap()
            .unwrap();
    let returned_fees: i64 = rest.iter().map(|l| l.2).sum();
    assert_eq!(view.settlement.owed_cents, last.2);
    assert_eq!(view.settlement.released_cents, returned_fees);
    assert_eq!(view.settlement.outstanding, 0);
    assert_eq!(view.settlement.written_off, 1);
    let (_, page) = master.get(&format!("/ra/operators/{odr}")).await;
    assert!(page.contains("Chiuso"), "{page}");
    // The statistics count the recalled devices.
    let (s, stats) = master.get("/devices/stats").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        stats.contains("Dispositivi richiamati agli ODR revocati"),
        "{stats}"
    );
    let counts = sportello_core::devices::recall::counts(&app.state.db, &chamber(&app).await)
        .await
        .unwrap();
    assert_eq!(counts.under_recall, 0);
    assert_eq!(counts.returned, rest.len() as i64);
    assert_eq!(counts.missing, 1);
    // No reminder once closed.
    app.clock.advance(chrono::Duration::days(8));
    app.run_jobs().await;
    let reminders = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.contains(ODR_EMAIL)))
        .filter(|m| m.data.contains("Promemoria"))
        .count();
    assert_eq!(reminders, 1, "no reminder after the recall closed");
}
