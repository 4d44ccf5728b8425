//! Issue 14, the RA checks page's last whole-chamber reads: the device-delivery check (RA
//! procedure, part 1, "Verifiche periodiche") is read a page at a time, by operator, and the
//! yearly checks of the self-declarations are paged by year, so older years stay reachable.
//! Each statement's plan must read a range of its index (see `ra_checks_scale.rs`); the pages
//! are walked through records made at one instant and against another chamber's rows.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{OTHER_CHAMBER, chamber_of, other_chamber, user_id};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::paging::{Cursor, Key, Keyset, reads_by_index};
use sportello_core::ra::checks;
use sportello_core::ra::hooks::{
    self, DeliveryAnomaly, DeliveryAnomalyKind as K, delivery_anomaly_key,
};
use std::collections::BTreeSet;

engine_tests!(
    the_delivery_check_and_yearly_checks_read_a_bounded_range_of_their_index,
    delivery_anomalies_page_through_one_instant_without_loss_or_repeat,
    delivery_anomalies_of_another_chamber_are_never_shown,
    older_yearly_checks_are_reachable_page_after_page,
);

/// Every record of these tests is made at this one instant.
const AT: &str = "2026-11-02T09:00:00.000000Z";

/// An active operator of `chamber` named `name`, linked to `user` when given.
async fn operator(app: &TestApp, chamber: &str, id: &str, name: &str, user: Option<&str>) {
    sqlx::query(
        "INSERT INTO ra_operators (id, chamber_id, kind, name, tax_code, email, state, user_id, \
         created_at, updated_at) VALUES ($1, $2, 'odr', $3, $4, $5, 'active', $6, $7, $7)",
    )
    .bind(id)
    .bind(chamber)
    .bind(name)
    .bind(format!("TC{id}"))
    .bind(format!("{id}@example.test"))
    .bind(user)
    .bind(AT)
    .execute(app.state.db.pool())
    .await
    .expect("operator");
}

/// The delivery note the planted devices of `chamber` come with.
async fn delivery(app: &TestApp, chamber: &str) -> String {
    let id = format!("delivery-{chamber}");
    sqlx::query(
        "INSERT INTO dev_deliveries (id, chamber_id, filename, sha256, devices, created_by, \
         created_at) VALUES ($1, $2, 'consegna.csv', 'x', 0, 'test', $3)",
    )
    .bind(&id)
    .bind(chamber)
    .bind(AT)
    .execute(app.state.db.pool())
    .await
    .expect("delivery");
    id
}

/// A device of `chamber`: held by `holder` in its box (with a certificate issued: never
/// recorded as delivered), or issued from `holder` by `actor` without its recipient.
async fn device(
    app: &TestApp,
    chamber: &str,
    delivery: &str,
    serial: &str,
    holder: &str,
    issued_by: Option<Option<&str>>,
) {
    let pool = app.state.db.pool();
    let id = format!("dev-{chamber}-{serial}");
    let (state, held) = match issued_by {
        Some(_) => ("issued", None),
        None => ("in_operator_box", Some(holder)),
    };
    sqlx::query(
        "INSERT INTO dev_devices (id, chamber_id, serial, kind, batch, delivery_id, state, \
         holder_operator_id, delivered_on, updated_at) \
         VALUES ($1, $2, $3, 'smart_card', 'L1', $4, $5, $6, '2026-11-01', $7)",
    )
    .bind(&id)
    .bind(chamber)
    .bind(serial)
    .bind(delivery)
    .bind(state)
    .bind(held)
    .bind(AT)
    .execute(pool)
    .await
    .expect("device");
    match issued_by {
        None => {
            sqlx::query(
                "INSERT INTO iss_certificates (id, chamber_id, device_serial, purpose, \
                 holder_tax_code, subject, not_before, not_after, der, revoked_at, created_at) \
                 VALUES ($1, $2, $3, 'authentication', 'RSSMRA80A01H501U', 'CN=test', $4, $4, \
                 $5, NULL, $4)",
            )
            .bind(format!("cert-{chamber}-{serial}"))
            .bind(chamber)
            .bind(serial)
            .bind(AT)
            .bind(vec![0u8; 4])
            .execute(pool)
            .await
            .expect("certificate");
        }
        Some(actor) => {
            sqlx::query(
                "INSERT INTO dev_moves (id, device_id, move, from_state, to_state, from_holder, \
                 actor_id, actor, ref_id, note, at) VALUES ($1, $2, 'issue', 'in_operator_box', \
                 'issued', $3, $4, $5, NULL, NULL, $6)",
            )
            .bind(format!("move-{chamber}-{serial}"))
            .bind(&id)
            .bind(holder)
            .bind(actor)
            .bind(format!("Addetto {serial}"))
            .bind(AT)
            .execute(pool)
            .await
            .expect("move");
        }
    }
}

/// Plants, for `chamber`, operators `prefix-1..=3`, each holding `held` devices never recorded
/// and having issued `issued` devices without a recipient (by its own user: one anomaly each;
/// by nobody: two each, every other one). Returns the operators.
async fn plant(
    app: &TestApp,
    chamber: &str,
    prefix: &str,
    user: &str,
    held: usize,
    issued: usize,
) -> Vec<String> {
    let delivery = delivery(app, chamber).await;
    let mut ops = Vec::new();
    for n in 1..=3 {
        let op = format!("{prefix}-{n}");
        let own_user = (n == 1).then_some(user);
        operator(
            app,
            chamber,
            &op,
            &format!("OPERATORE {prefix} {n}"),
            own_user,
        )
        .await;
        for i in 0..held {
            device(app, chamber, &delivery, &format!("{op}-H{i:03}"), &op, None).await;
        }
        for i in 0..issued {
            let actor = if i % 2 == 0 { own_user } else { None };
            let serial = format!("{op}-I{i:03}");
            device(app, chamber, &delivery, &serial, &op, Some(actor)).await;
        }
        ops.push(op);
    }
    ops
}

/// An anomaly as compared across the tests.
fn row(a: &DeliveryAnomaly) -> (String, String, K) {
    (a.operator_id.clone(), a.serial.clone(), a.kind)
}

/// Follows a keyset list forwards from its first page; returns every item in order and the
/// number of pages, checking each page's links.
async fn walk<T, F, Fut>(size: u32, read: F) -> (Vec<T>, usize)
where
    F: Fn(Keyset) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, Option<Key>, Option<Key>)>,
{
    let mut request = Keyset::first(size);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (items, previous, next) = read(request.clone()).await;
        pages += 1;
        assert!(items.len() <= size as usize);
        assert_eq!(previous.is_some(), pages > 1, "page {pages}");
        seen.extend(items);
        match next {
            Some(key) => {
                request = Keyset {
                    cursor: Cursor::After(key),
                    size,
                }
            }
            None => break,
        }
    }
    (seen, pages)
}

async fn anomalies(
    app: &TestApp,
    chamber: &str,
    request: Keyset,
) -> (Vec<(String, String, K)>, Option<Key>, Option<Key>) {
    let s = hooks::delivery_anomalies_page(&app.state.db, chamber, &request)
        .await
        .expect("page");
    (s.items.iter().map(row).collect(), s.previous, s.next)
}

/// The plan must read `index` of `table` with no full scan and no sort.
fn assert_reads(plan: &[String], table: &str, index: &str, what: &str) {
    if let Err(problem) = reads_by_index(plan, table, index) {
        panic!("{what}: {problem}");
    }
}

/// A page of wrong delivery records reads the chamber's operators in id order and, for each,
/// its issue moves by `dev_moves_holder_move`, with no full scan. The engines do not carry
/// the order of the inner index across the join, so they order the moves of one operator at
/// a time (SQLite's temporary B-tree for the last term of the order, PostgreSQL's incremental
/// sort with the operator presorted): never more than one operator's rows, never the
/// chamber's, and the page stops at its limit.
fn assert_reads_by_operator(plan: &[String], what: &str) {
    let kept: Vec<String> = plan
        .iter()
        .filter(|l| {
            let l = l.trim();
            l != "USE TEMP B-TREE FOR LAST TERM OF ORDER BY"
                && !l.starts_with("Sort Key: o.id, m.id")
                && !l.starts_with("Presorted Key: o.id")
        })
        .map(|l| l.replace("Incremental Sort", "Incremental order"))
        .collect();
    let text = plan.join("\n");
    let incremental = plan.iter().any(|l| l.contains("Incremental Sort"))
        == plan.iter().any(|l| l.contains("Sort Key: o.id, m.id"));
    assert!(incremental, "{what}: a sort not by operator first\n{text}");
    for (table, index) in [
        ("ra_operators", "ra_operators_chamber_id"),
        ("dev_moves", "dev_moves_holder_move"),
    ] {
        if let Err(problem) = reads_by_index(&kept, table, index) {
            panic!("{what}: {problem}\n{text}");
        }
    }
}

/// Issue 14: each kind of delivery anomaly reads one range of its index, from the first page
/// and from a cursor (of each kind); a page of yearly checks reads one range of the chamber's
/// (chamber, year) key.
async fn the_delivery_check_and_yearly_checks_read_a_bounded_range_of_their_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let db = &app.state.db;
    let mut froms = vec![None];
    for kind in [K::NotRecorded, K::NoRecipient, K::RecordedByOther] {
        froms.push(Some(delivery_anomaly_key("op", kind, "tie")));
    }
    for from in &froms {
        let plans = hooks::delivery_anomalies_plans(db, &chamber, from.as_ref())
            .await
            .expect("plans");
        assert_eq!(plans.len(), 3);
        assert_reads(
            &plans[0],
            "dev_devices",
            "dev_devices_chamber_holder_serial",
            "devices never recorded",
        );
        for plan in &plans[1..] {
            assert_reads_by_operator(plan, "wrong delivery records");
        }
    }
    let index = match engine {
        Engine::Sqlite => "sqlite_autoindex_ra_self_checks_2",
        Engine::Postgres => "ra_self_checks_chamber_id_year_key",
    };
    for year in [None, Some(2024)] {
        let plan = checks::self_checks_page_plan(db, &chamber, year)
            .await
            .expect("plan");
        assert_reads(&plan, "ra_self_checks", index, "yearly checks");
    }
}

/// The delivery anomalies, all recorded at one instant: across pages of 50 every anomaly of
/// the chamber is shown once, in the page's order (operator, kind, then serial or record),
/// the same ones the whole check finds; going back gives the same page, and the checks page
/// shows 50 with a link to the next ones that keeps the other lists' place.
async fn delivery_anomalies_page_through_one_instant_without_loss_or_repeat(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let user = user_id(&app, Role::MasterRao).await;
    plant(&app, &chamber, "op-b", &user, 7, 41).await;
    let (seen, pages) = walk(50, |r| anomalies(&app, &chamber, r)).await;
    // Per operator: 7 never recorded, 41 without recipient, 20 recorded by nobody who may
    // (the odd ones; the first operator's own user recorded the even ones, the others have
    // no user at all, so all 41 of theirs); 3 operators.
    assert_eq!(seen.len(), 7 * 3 + 41 * 3 + 20 + 41 * 2);
    assert_eq!(pages, seen.len().div_ceil(50));
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), seen.len());
    let mut expected: Vec<(String, String, K)> = hooks::delivery_anomalies(&app.state.db, &chamber)
        .await
        .expect("all")
        .iter()
        .map(row)
        .collect();
    assert_eq!(expected.len(), seen.len());
    // The page's order: operator, kind, then serial (the planted moves' ids follow it).
    expected.sort_by(|a, b| (&a.0, a.2, &a.1).cmp(&(&b.0, b.2, &b.1)));
    assert_eq!(seen, expected);
    // Back from the third page: the second.
    let first = anomalies(&app, &chamber, Keyset::first(50)).await;
    let second = anomalies(
        &app,
        &chamber,
        Keyset {
            cursor: Cursor::After(first.2.clone().expect("next")),
            size: 50,
        },
    )
    .await;
    let third = anomalies(
        &app,
        &chamber,
        Keyset {
            cursor: Cursor::After(second.2.clone().expect("next")),
            size: 50,
        },
    )
    .await;
    let back = anomalies(
        &app,
        &chamber,
        Keyset {
            cursor: Cursor::Before(third.1.clone().expect("previous")),
            size: 50,
        },
    )
    .await;
    assert_eq!(back.0, second.0);
    // The page.
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (status, page) = master.get("/ra/checks?after=keep").await;
    assert!(status.is_success(), "{status}");
    let lines = delivery_lines(&page);
    assert_eq!(lines.len(), 50);
    assert!(lines[0].starts_with("OPERATORE op-b 1: dispositivo op-b-1-H000:"));
    let next = link(&page, "deliveries_after").expect("a next page of deliveries");
    assert!(
        next.contains("after=keep"),
        "the flags' place is kept: {next}"
    );
    let (_, second_page) = master.get(&next).await;
    assert!(!second_page.is_empty(), "{next}");
    assert_eq!(delivery_lines(&second_page).len(), 50);
    assert_ne!(delivery_lines(&second_page), lines, "{next}");
    let previous = link(&second_page, "deliveries_before").expect("a previous page");
    let (_, back_page) = master.get(&previous).await;
    assert_eq!(delivery_lines(&back_page), lines);
}

/// The lines of the delivery anomalies' list.
fn delivery_lines(html: &str) -> Vec<String> {
    let Some(start) = html.find("data-testid=\"ra-delivery-anomalies\"") else {
        return Vec::new();
    };
    let list = &html[start..];
    let list = &list[..list.find("</ul>").unwrap_or(list.len())];
    list.split("<li>")
        .skip(1)
        .filter_map(|l| l.split("</li>").next())
        .map(str::to_string)
        .collect()
}

/// The address of the first link whose query holds `param=`, entities undone.
fn link(html: &str, param: &str) -> Option<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .map(|h| {
            h.replace("&amp;", "&")
                .replace("&#x3d;", "=")
                .replace("&#61;", "=")
                .replace("&#38;", "&")
        })
        .find(|h| h.starts_with("/ra/checks?") && h.contains(&format!("{param}=")))
}

/// Another chamber's anomalies, at the same instant and with the same serials' shape, are
/// never on the chamber's pages, not even from a cursor made of one of them.
async fn delivery_anomalies_of_another_chamber_are_never_shown(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    other_chamber(&app).await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    let user = user_id(&app, Role::MasterRao).await;
    let own = plant(&app, &chamber, "op-m", &user, 3, 30).await;
    // The other chamber's operator ids sort between the chamber's (op-m-2 < op-m-2-1 < op-m-3).
    let other = plant(&app, OTHER_CHAMBER, "op-m-2", &user, 3, 30).await;
    let (seen, _) = walk(50, |r| anomalies(&app, &chamber, r)).await;
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|(op, _, _)| own.contains(op)), "{seen:?}");
    let whole = hooks::delivery_anomalies(&app.state.db, &chamber)
        .await
        .expect("all");
    assert!(whole.iter().all(|a| own.contains(&a.operator_id)));
    assert_eq!(whole.len(), seen.len());
    for op in &other {
        for kind in [K::NotRecorded, K::NoRecipient, K::RecordedByOther] {
            let crafted = delivery_anomaly_key(op, kind, &format!("move-{OTHER_CHAMBER}-x"));
            for cursor in [
                Cursor::After(crafted.clone()),
                Cursor::Before(crafted.clone()),
            ] {
                let (items, _, _) = anomalies(&app, &chamber, Keyset { cursor, size: 50 }).await;
                assert!(items.iter().all(|(op, _, _)| own.contains(op)), "{items:?}");
            }
        }
    }
    // A token that is no key of these pages at all, and one of the other chamber's rows.
    let crafted = delivery_anomaly_key(&other[0], K::NoRecipient, "zzz");
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    for query in [
        format!("deliveries_after={}", crafted.token()),
        format!("deliveries_before={}", crafted.token()),
        format!("deliveries_after={}", Key::new("x", "y").token()),
    ] {
        let (status, page) = master.get(&format!("/ra/checks?{query}")).await;
        assert!(status.is_success(), "{status}");
        assert!(
            !page.contains("OPERATORE op-m-2 "),
            "another chamber's operator"
        );
    }
}

/// A yearly check of `year` for `chamber`, drawn from `sample`.
async fn self_check(app: &TestApp, chamber: &str, year: i64, sample: &str) -> String {
    let id = format!("check-{chamber}-{year}");
    let list = format!("[\"{sample}\"]");
    sqlx::query(
        "INSERT INTO ra_self_checks (id, chamber_id, year, seed, sample_size, population, \
         sample, drawn_at, drawn_by) VALUES ($1, $2, $3, '42', 1, $4, $4, $5, 'Master RAO')",
    )
    .bind(&id)
    .bind(chamber)
    .bind(year)
    .bind(&list)
    .bind(format!("{year}-01-15T09:00:00.000000Z"))
    .execute(app.state.db.pool())
    .await
    .expect("yearly check");
    id
}

/// Twelve years of yearly checks: the page shows the latest five and says older ones follow;
/// its "earlier years" link reaches the next five and then the last two, and back; another
/// chamber's checks of the same years are never shown, not even from a crafted cursor.
async fn older_yearly_checks_are_reachable_page_after_page(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    other_chamber(&app).await;
    let chamber = chamber_of(&app, Role::MasterRao).await;
    operator(&app, &chamber, "op-y", "OPERATORE ANNUALE", None).await;
    operator(&app, OTHER_CHAMBER, "op-z", "OPERATORE ALTRA CAMERA", None).await;
    let db = &app.state.db;
    // The demo may have drawn this year's check: keep what is there.
    let before: Vec<i64> = checks::self_checks(db, &chamber)
        .await
        .expect("checks")
        .iter()
        .map(|c| c.year)
        .collect();
    let mut years: Vec<i64> = before.clone();
    for year in 2010..2022 {
        self_check(&app, &chamber, year, "op-y").await;
        self_check(&app, OTHER_CHAMBER, year, "op-z").await;
        years.push(year);
    }
    years.sort();
    years.reverse();
    let size = checks::CHECKS_SHOWN as u32;
    let (seen, pages) = walk(size, |request| {
        let chamber = chamber.clone();
        async move {
            let s = checks::self_checks_page(db, &chamber, &request)
                .await
                .expect("page");
            (
                s.items.iter().map(|c| c.year).collect::<Vec<_>>(),
                s.previous,
                s.next,
            )
        }
    })
    .await;
    assert_eq!(seen, years, "every year once, newest first");
    assert_eq!(pages, years.len().div_ceil(size as usize));
    // Crafted cursors: another chamber's check, and a key that is no year.
    for key in [
        Key::new(
            format!("{:010}", 2015),
            format!("check-{OTHER_CHAMBER}-2015"),
        ),
        Key::new("not a year", "x"),
    ] {
        for cursor in [Cursor::After(key.clone()), Cursor::Before(key.clone())] {
            let s = checks::self_checks_page(db, &chamber, &Keyset { cursor, size })
                .await
                .expect("page");
            assert!(
                s.items
                    .iter()
                    .all(|c| c.id.contains(&chamber) || before.contains(&c.year))
            );
        }
    }
    // The page: five years, the note, and the link to earlier years.
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    let (status, page) = master.get("/ra/checks").await;
    assert!(status.is_success(), "{status}");
    assert_eq!(page.matches("data-testid=\"ra-self-check\"").count(), 5);
    assert!(page.contains("data-testid=\"ra-self-checks-recent\""));
    assert!(page.contains("Anni precedenti"));
    let mut shown = years_shown(&page);
    let mut at = page;
    while let Some(next) = link(&at, "years_after") {
        assert!(next.ends_with("#selfchecks"), "{next}");
        let (status, page) = master.get(&next).await;
        assert!(status.is_success(), "{status}");
        assert!(!page.contains("data-testid=\"ra-self-checks-recent\""));
        assert!(!page.contains("OPERATORE ALTRA CAMERA"));
        shown.extend(years_shown(&page));
        at = page;
    }
    assert_eq!(shown, years, "every year reachable from the page");
    let back = link(&at, "years_before").expect("back to more recent years");
    let (_, page) = master.get(&back).await;
    assert_eq!(years_shown(&page).len(), 5);
    let (_, crafted) = master
        .get(&format!(
            "/ra/checks?years_after={}",
            Key::new(
                format!("{:010}", 2015),
                format!("check-{OTHER_CHAMBER}-2015")
            )
            .token()
        ))
        .await;
    assert_eq!(years_shown(&crafted), vec![2014, 2013, 2012, 2011, 2010]);
    assert!(!crafted.contains("OPERATORE ALTRA CAMERA"));
}

/// The years of the yearly checks a page shows, in order.
fn years_shown(html: &str) -> Vec<i64> {
    html.split("data-testid=\"ra-self-check\"")
        .skip(1)
        .filter_map(|card| {
            let h = card.split("<h3 class=\"h5\">").nth(1)?;
            h.split_whitespace().next()?.parse().ok()
        })
        .collect()
}
