//! Issue 14, item 5: the devices pages bounded. The stock per location is kept as counters
//! (`dev_stock`) written with every delivery and move of a device; these tests move devices
//! at random through the real functions and recount, move two devices at once, and check
//! that the stock, the ODR consignments page and its figures are read from bounded index
//! ranges on both engines (the plans, as in `scale.rs`).

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{assert_reads, chamber_of, entity_tax_code, pager_link};
use sportello_core::accounts::Role;
use sportello_core::audit::Actor;
use sportello_core::db::{Db, Engine};
use sportello_core::devices::inventory::{self, MoveSpec};
use sportello_core::devices::stock::{self, Location};
use sportello_core::devices::{DeviceKind, DeviceSerial, Move, delivery, odr_account};
use sportello_core::paging::Key;
use sportello_core::ra::operator;

engine_tests!(
    stock_counters_equal_a_recount_after_random_deliveries_and_moves,
    two_concurrent_moves_of_different_devices_lose_no_update,
    the_stock_is_read_from_one_range_of_its_counters,
    the_consignments_page_reads_a_page_of_odrs_by_index,
    the_consignment_figures_are_read_by_key_in_three_statements,
    the_consignments_page_turns_a_page_of_odrs_at_a_time,
);

/// A small seeded generator (xorshift), so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The counters say what a recount of the devices says, in this chamber and in all.
async fn assert_counters_agree(db: &Db, chamber: &str, after: &str) {
    let counted = stock::of_chamber(db, chamber).await.expect("counters");
    let recounted = stock::recount(db, chamber).await.expect("recount");
    assert_eq!(counted, recounted, "after {after}");
    let differences = stock::differences(db).await.expect("differences");
    assert!(differences.is_empty(), "after {after}: {differences:?}");
}

/// A CA delivery file of `serials` (smart cards for even numbers, tokens for odd ones).
fn delivery_csv(serials: impl IntoIterator<Item = u64>) -> String {
    let mut csv = String::from("serial;type;batch\n");
    for s in serials {
        let kind = if s % 2 == 0 { "smart card" } else { "token" };
        csv.push_str(&format!("{s};{kind};L-STOCK\n"));
    }
    csv
}

async fn deliver(app: &TestApp, chamber: &str, csv: &str) {
    let mut tx = app.state.db.begin().await.expect("begin");
    delivery::import(
        &mut tx,
        app.state.clock.now(),
        app.state.clock.today(),
        &Actor::system("test"),
        chamber,
        "consegna.csv",
        csv.as_bytes(),
    )
    .await
    .expect("delivery");
    tx.commit().await.expect("commit");
}

/// Issue 14: the stock counters are written with every delivery and every move, in the same
/// transaction, so after any sequence of deliveries, moves (some refused by the transition
/// table, some rolled back) they equal a recount of the devices.
async fn stock_counters_equal_a_recount_after_random_deliveries_and_moves(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let db = &app.state.db;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    assert_counters_agree(db, &chamber, "the demo").await;
    let holders: Vec<String> =
        sqlx::query_scalar("SELECT id FROM ra_operators WHERE chamber_id = $1 ORDER BY id")
            .bind(&chamber)
            .fetch_all(db.pool())
            .await
            .expect("operators");
    assert!(!holders.is_empty());
    let actor = Actor::system("test");
    let mut rng = Rng(0x5eed_0014);
    let mut serial = 7_420_000_000_500_000_u64;
    let (mut committed, mut refused, mut rolled_back) = (0, 0, 0);
    for round in 0..4 {
        let n = 1 + rng.below(8) as u64;
        deliver(&app, &chamber, &delivery_csv(serial..serial + n)).await;
        serial += n;
        for _ in 0..40 {
            let devices = inventory::list(db, &chamber, None, None, 1000)
                .await
                .expect("devices");
            let device = &devices[rng.below(devices.len())];
            let mv = Move::ALL[rng.below(Move::ALL.len())];
            let holder = holders[rng.below(holders.len())].as_str();
            let spec = MoveSpec {
                holder: (rng.below(2) == 0).then_some(holder),
                ..MoveSpec::default()
            };
            let mut tx = db.begin().await.expect("begin");
            let moved =
                inventory::apply_move(&mut tx, app.state.clock.now(), &actor, device, mv, spec)
                    .await;
            match moved {
                Ok(_) if rng.below(5) != 0 => {
                    tx.commit().await.expect("commit");
                    committed += 1;
                }
                Ok(_) => {
                    tx.rollback().await.expect("rollback");
                    rolled_back += 1;
                }
                Err(_) => {
                    tx.rollback().await.expect("rollback");
                    refused += 1;
                }
            }
        }
        assert_counters_agree(db, &chamber, &format!("round {round}")).await;
    }
    assert!(
        committed > 10 && refused > 0 && rolled_back > 0,
        "{committed} moves, {refused} refused, {rolled_back} rolled back"
    );
}

/// Issue 14: each counter is updated as `devices = devices + n` in the database, never read
/// and written back, so two transactions moving two devices between the same locations at
/// the same time both count (on PostgreSQL the second waits for the first's row lock and
/// then adds to the new value; on SQLite the second waits for the single writer).
async fn two_concurrent_moves_of_different_devices_lose_no_update(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    deliver(
        &app,
        &chamber,
        &delivery_csv([7_420_000_000_600_000, 7_420_000_000_600_002]),
    )
    .await;
    let db = app.state.db.clone();
    let before = stock::of_chamber(&db, &chamber).await.expect("stock");
    let device = |s: &'static str| {
        let (db, chamber) = (db.clone(), chamber.clone());
        async move {
            let serial = DeviceSerial::parse(s).expect("serial");
            inventory::by_serial(&db, &chamber, &serial)
                .await
                .expect("read")
                .expect("delivered")
        }
    };
    let a = device("7420000000600000").await;
    let b = device("7420000000600002").await;
    let now = app.state.clock.now();
    let (moved, first_moved) = tokio::sync::oneshot::channel();
    let first = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.expect("begin");
            inventory::apply_move(
                &mut tx,
                now,
                &Actor::system("first"),
                &a,
                Move::Store,
                MoveSpec::default(),
            )
            .await
            .expect("first move");
            moved.send(()).expect("signal");
            // The second move runs while this transaction is still open.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            tx.commit().await.expect("commit");
        })
    };
    first_moved.await.expect("the first move");
    let second = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.expect("begin");
            inventory::apply_move(
                &mut tx,
                now,
                &Actor::system("second"),
                &b,
                Move::Store,
                MoveSpec::default(),
            )
            .await
            .expect("second move");
            tx.commit().await.expect("commit");
        })
    };
    first.await.expect("first");
    second.await.expect("second");
    let after = stock::of_chamber(&db, &chamber).await.expect("stock");
    let sc = DeviceKind::SmartCard;
    assert_eq!(
        after.count(&Location::Cabinet, sc),
        before.count(&Location::Cabinet, sc) + 2
    );
    assert_eq!(
        after.count(&Location::Delivered, sc),
        before.count(&Location::Delivered, sc) - 2
    );
    assert_counters_agree(&db, &chamber, "two concurrent moves").await;
}

/// Issue 14: the devices page's stock is one range of `dev_stock`'s primary key (a row per
/// location and kind in use), never a count of the chamber's devices.
async fn the_stock_is_read_from_one_range_of_its_counters(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let plan = stock::of_chamber_plan(&app.state.db, &chamber)
        .await
        .expect("plan");
    assert_reads(
        &plan,
        "dev_stock",
        &primary_key(engine, "dev_stock"),
        "dev_stock",
    );
    assert!(!plan.iter().any(|l| l.contains("dev_devices")), "{plan:?}");
}

/// The name each engine gives a table's primary key (or, on SQLite, its automatic index).
fn primary_key(engine: Engine, table: &str) -> String {
    match engine {
        Engine::Sqlite => format!("sqlite_autoindex_{table}_1"),
        Engine::Postgres => format!("{table}_pkey"),
    }
}

/// Issue 14: the consignments page reads one page of the ODRs that hold an account, by name,
/// from the partial index `ra_operators_chamber_odr_accounts`, on the first page and deep in
/// the list; never every operator of the chamber.
async fn the_consignments_page_reads_a_page_of_odrs_by_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let key = Key::new("ODR MILANO", "0190ffff-ffff-7fff-8fff-ffffffffffff");
    for from in [None, Some(&key)] {
        let plan = operator::odr_accounts_plan(&app.state.db, &chamber, from)
            .await
            .expect("plan");
        assert_reads(
            &plan,
            "ra_operators",
            "ra_operators_chamber_odr_accounts",
            &format!("{from:?}"),
        );
    }
}

/// Issue 14: the figures of a page of ODRs are three statements whatever the page holds (three
/// per ODR before), each reading its table by key: the advance accounts, the full-service
/// flags and the stock counters.
async fn the_consignment_figures_are_read_by_key_in_three_statements(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let ids: Vec<String> = (0..3).map(|i| format!("odr-{i}")).collect();
    let plans = odr_account::summaries_plans(&app.state.db, &chamber, &ids)
        .await
        .expect("plans");
    let [accounts, profiles, held] = plans.as_slice() else {
        panic!("three statements: {plans:?}");
    };
    for (plan, table) in [
        (accounts, "dev_advance_accounts"),
        (profiles, "dev_odr_profiles"),
        (held, "dev_stock"),
    ] {
        assert_reads(plan, table, &primary_key(engine, table), table);
    }
}

/// The ODR names listed on the consignments page, in order.
fn listed(html: &str) -> Vec<String> {
    let Some(start) = html.find("data-testid=\"odrs\"") else {
        panic!("no ODR table:\n{html}");
    };
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    table
        .split("<th scope=\"row\">")
        .skip(1)
        .filter_map(|r| r.split('>').nth(1))
        .filter_map(|r| r.split('<').next())
        .map(str::to_string)
        .collect()
}

/// Issue 14: the consignments page lists the ODRs that hold an account a page at a time, by
/// name, with each one's figures; a collaborator of an ODR organisation is never listed.
async fn the_consignments_page_turns_a_page_of_odrs_at_a_time(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let db = &app.state.db;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let demo_odr = crate::devices::odr_id(&app).await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (_, page) = master.get("/devices/odr").await;
    let demo_odrs = listed(&page);
    assert!(demo_odrs.len() < 10, "{demo_odrs:?}");
    // 60 more ODRs and one collaborator, as copies of the demo's ODR organisation.
    for i in 0..61_u64 {
        let organisation = (i == 60).then_some(demo_odr.as_str());
        sqlx::query(
            "INSERT INTO ra_operators (id, chamber_id, kind, name, tax_code, email, state, \
             organisation_id, created_at, updated_at) \
             SELECT $2, chamber_id, kind, $3, $4, email, state, $5, created_at, updated_at \
             FROM ra_operators WHERE id = $1",
        )
        .bind(&demo_odr)
        .bind(format!("odr-page-{i:02}"))
        .bind(if i == 60 {
            "ZZ COLLABORATORE".to_string()
        } else {
            format!("AA ODR {i:02}")
        })
        .bind(entity_tax_code(90_000_000 + i))
        .bind(organisation)
        .execute(db.pool())
        .await
        .expect("an ODR");
    }
    let figures = odr_account::summaries(db, &chamber, std::slice::from_ref(&demo_odr))
        .await
        .expect("figures");
    let held = inventory::held_by(db, std::slice::from_ref(&demo_odr))
        .await
        .expect("held");
    assert_eq!(figures[&demo_odr].holds, held, "the counters' holdings");
    let (status, first) = master.get("/devices/odr").await;
    assert!(status.is_success(), "{status}");
    let page_one = listed(&first);
    assert_eq!(page_one.len(), 50, "{page_one:?}");
    assert_eq!(page_one[0], "AA ODR 00");
    let next = pager_link(&first, "next").expect("a second page");
    let (status, second) = master.get(&next).await;
    assert!(status.is_success(), "{status}");
    let page_two = listed(&second);
    let all: Vec<&String> = page_one.iter().chain(&page_two).collect();
    assert_eq!(
        all.len(),
        60 + demo_odrs.len(),
        "the copies and the demo's: {page_two:?}"
    );
    assert!(demo_odrs.iter().all(|d| all.contains(&d)), "{all:?}");
    assert!(!all.iter().any(|n| n.contains("COLLABORATORE")), "{all:?}");
    assert!(pager_link(&second, "next").is_none());
}
