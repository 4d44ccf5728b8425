//! Two-person rule for lost, damaged and destroyed devices. One RAO alone
//! marked a cabinet device lost and an ODR-consigned device damaged, which spent the ODR's
//! held fee. Now one person reports with a reason, a different person approves or rejects,
//! and the fee is touched only by an approval, once.

use crate::devices::odr_id;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use futures::future::join_all;
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::devices::advance::{self, Account};
use sportello_core::devices::{DeviceState, inventory};

engine_tests!(
    one_rao_alone_cannot_mark_a_device_lost_damaged_or_destroyed,
    the_reporter_cannot_approve_or_reject_their_own_report,
    a_consigned_device_s_fee_is_untouched_until_approval_and_spent_exactly_once,
);

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

/// The first device of the demo chamber in `state`.
async fn device_in(app: &TestApp, state: &str) -> String {
    sqlx::query_scalar(
        "SELECT id FROM dev_devices WHERE state = $1 AND held_fee_cents >= 0 ORDER BY serial LIMIT 1",
    )
    .bind(state)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn state_of(app: &TestApp, id: &str) -> DeviceState {
    inventory::get(&app.state.db, &chamber(app).await, id)
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn pending_report(app: &TestApp, device: &str) -> String {
    sqlx::query_scalar("SELECT id FROM dev_write_offs WHERE device_id = $1 AND status = 'pending'")
        .bind(device)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn one_rao_alone_cannot_mark_a_device_lost_damaged_or_destroyed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let master = login(&app, Role::MasterRao).await;
    let device = device_in(&app, "in_cabinet").await;
    // The attack: the manual move marked the device lost with one click of one person.
    for mv in ["mark_lost", "mark_damaged", "mark_destroyed"] {
        let (s, _, page) = master
            .post_form(&format!("/devices/d/{device}/move"), &[("move", mv)])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{mv}: {page}");
        assert!(
            page.contains("non si registrano da soli"),
            "{mv}: the page says why: {page}"
        );
        assert_eq!(
            state_of(&app, &device).await,
            DeviceState::InCabinet,
            "{mv}"
        );
    }
    // A report needs a reason.
    let path = format!("/devices/d/{device}/write-off");
    let (s, _, page) = master
        .post_form(&path, &[("move", "mark_lost"), ("reason", "  ")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Scrivi il motivo della segnalazione."),
        "{page}"
    );
    let (s, location, _) = master
        .post_form(
            &path,
            &[
                ("move", "mark_lost"),
                ("reason", "Non trovato all'inventario del 12/11"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/devices/d/{device}?ok=write-off-requested").as_str())
    );
    assert_eq!(
        state_of(&app, &device).await,
        DeviceState::InCabinet,
        "a report alone moves nothing"
    );
    // One report waits at a time.
    let (s, _, page) = master
        .post_form(&path, &[("move", "mark_destroyed"), ("reason", "di nuovo")])
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{page}");
    // Roles without the inventory cannot decide; another RAO can.
    let report = pending_report(&app, &device).await;
    for role in [Role::Odr, Role::Ir, Role::Manager, Role::Company] {
        let b = login(&app, role).await;
        let (s, _, _) = b
            .post_form(&format!("/devices/write-offs/{report}/approve"), &[])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    let rao = login(&app, Role::Rao).await;
    let (s, location, _) = rao
        .post_form(&format!("/devices/write-offs/{report}/approve"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/devices/d/{device}?ok=write-off-approved").as_str())
    );
    assert_eq!(state_of(&app, &device).await, DeviceState::Lost);
    let (_, page) = rao.get(&location.unwrap()).await;
    assert!(page.contains("Segnalazione approvata"), "{page}");
    assert!(page.contains("inventario del 12/11"), "{page}");
    // The activity log names both people.
    let (actor, approved_by): (String, Option<String>) = sqlx::query_as(
        "SELECT actor, approved_by FROM dev_moves WHERE device_id = $1 AND move = 'mark_lost'",
    )
    .bind(&device)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let (rao_email, _) = TestApp::demo_login(Role::Rao);
    let (master_email, _) = TestApp::demo_login(Role::MasterRao);
    assert_eq!(
        (actor.as_str(), approved_by.as_deref()),
        (rao_email, Some(rao_email))
    );
    let note: String = sqlx::query_scalar(
        "SELECT note FROM dev_moves WHERE device_id = $1 AND move = 'mark_lost'",
    )
    .bind(&device)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert!(note.contains(master_email), "{note}");
}

async fn the_reporter_cannot_approve_or_reject_their_own_report(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let rao = login(&app, Role::Rao).await;
    let device = device_in(&app, "in_cabinet").await;
    let (s, _, _) = rao
        .post_form(
            &format!("/devices/d/{device}/write-off"),
            &[("move", "mark_destroyed"), ("reason", "Spezzato")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let report = pending_report(&app, &device).await;
    for decision in ["approve", "reject"] {
        let (s, _, page) = rao
            .post_form(&format!("/devices/write-offs/{report}/{decision}"), &[])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{decision}");
        assert!(
            page.contains("Chi ha fatto la segnalazione non può decidere"),
            "{page}"
        );
    }
    // The reporter's page offers no decision; another person's does.
    let (_, page) = rao.get("/devices").await;
    assert!(
        !page.contains("data-testid=\"approve-write-off\""),
        "{page}"
    );
    assert!(page.contains("altra persona</span>"), "{page}");
    let master = login(&app, Role::MasterRao).await;
    let (_, page) = master.get("/devices").await;
    assert!(page.contains("data-testid=\"approve-write-off\""), "{page}");
    let (s, _, _) = master
        .post_form(&format!("/devices/write-offs/{report}/reject"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &device).await, DeviceState::InCabinet);
    let (s, _, _) = master
        .post_form(&format!("/devices/write-offs/{report}/approve"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a rejected report stays rejected");
    assert_eq!(state_of(&app, &device).await, DeviceState::InCabinet);
}

async fn a_consigned_device_s_fee_is_untouched_until_approval_and_spent_exactly_once(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let odr = odr_id(&app).await;
    let (device, fee): (String, i64) = sqlx::query_as(
        "SELECT id, held_fee_cents FROM dev_devices WHERE state = 'consigned_to_odr' \
         AND holder_operator_id = $1 AND held_fee_cents > 0 ORDER BY serial LIMIT 1",
    )
    .bind(&odr)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let account = || async { advance::account(&app.state.db, &odr).await.unwrap() };
    let before = account().await;
    let master = login(&app, Role::MasterRao).await;
    let rao = login(&app, Role::Rao).await;
    // The attack: one RAO marked the consigned device damaged and the fee was spent.
    let (s, _, _) = master
        .post_form(
            &format!("/devices/d/{device}/move"),
            &[("move", "mark_damaged")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(account().await, before, "the held fee is untouched");
    // Reported, then rejected: still untouched.
    let report_path = format!("/devices/d/{device}/write-off");
    let (s, _, _) = master
        .post_form(
            &report_path,
            &[("move", "mark_damaged"), ("reason", "Chip illeggibile")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(account().await, before, "a report spends nothing");
    let report = pending_report(&app, &device).await;
    let (s, _, _) = rao
        .post_form(&format!("/devices/write-offs/{report}/reject"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(account().await, before, "a rejection spends nothing");
    assert_eq!(state_of(&app, &device).await, DeviceState::ConsignedToOdr);
    // Reported again and approved with a double click: the fee is spent once.
    let (s, _, _) = master
        .post_form(
            &report_path,
            &[("move", "mark_damaged"), ("reason", "Chip illeggibile")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let report = pending_report(&app, &device).await;
    let approve = format!("/devices/write-offs/{report}/approve");
    let clicks = join_all((0..4).map(|_| rao.post_form(&approve, &[]))).await;
    let statuses: Vec<StatusCode> = clicks.iter().map(|(s, _, _)| *s).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(state_of(&app, &device).await, DeviceState::Damaged);
    let after = account().await;
    assert_eq!(
        after,
        Account {
            balance_cents: before.balance_cents,
            held_cents: before.held_cents - fee,
        },
        "the held fee is spent exactly once"
    );
    let consumed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_advance_entries WHERE device_id = $1 AND kind = 'consume'",
    )
    .bind(&device)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(consumed, 1);
    assert_eq!(
        advance::ledger_sums(&app.state.db, &odr).await.unwrap(),
        after,
        "the account row equals the ledger"
    );
    let moves: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dev_moves WHERE device_id = $1 AND move = 'mark_damaged'",
    )
    .bind(&device)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(moves, 1);
}
