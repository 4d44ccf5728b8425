//! The ODR advance account's ledger and a device's history name who acted by the name of
//! their user account, not by the e-mail the records keep as their label, and a non-person
//! actor (the demo's set-up) as what it is, not by its label. On both engines.

use crate::devices::{odr_id, user_name};
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::devices::advance;

engine_tests!(
    the_odr_ledger_names_people_not_e_mails,
    a_device_history_names_the_system_not_its_label,
);

async fn the_odr_ledger_names_people_not_e_mails(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let odr = odr_id(&app).await;
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    b.get(&format!("/devices/odr/{odr}")).await;
    let (s, _, _) = b
        .post_form(
            &format!("/devices/odr/{odr}/top-up"),
            &[("amount", "25,00"), ("reference", "bonifico 12/2026")],
        )
        .await;
    assert!(s.is_redirection(), "{s}");

    let name = user_name(&app, email).await;
    // The entry keeps the label it was written with; the page reads the name.
    let entries = advance::entries(&app.state.db, &odr, 10).await.unwrap();
    let top_up = entries
        .iter()
        .find(|e| e.reference == "bonifico 12/2026")
        .expect("the top-up's entry");
    assert_eq!(top_up.created_by, email);
    assert_eq!(top_up.created_by_name.as_deref(), Some(name.as_str()));

    let (_, html) = b.get(&format!("/devices/odr/{odr}")).await;
    let start = html
        .find("data-testid=\"ledger\"")
        .expect("the ledger table");
    let ledger = &html[start..start + html[start..].find("</table>").expect("its end")];
    assert!(ledger.contains(&name), "{ledger}");
    assert!(ledger.contains("25,00"), "{ledger}");
    assert!(!ledger.contains('@'), "an e-mail in the ledger: {ledger}");
    // The demo's own top-up was written by the system, not by a person: named as such, not
    // by its label.
    assert!(ledger.contains("Il sistema"), "{ledger}");
    assert!(!ledger.contains(">demo<"), "{ledger}");
}

async fn a_device_history_names_the_system_not_its_label(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let device: String =
        sqlx::query_scalar("SELECT device_id FROM dev_moves WHERE actor = 'demo' LIMIT 1")
            .fetch_one(app.state.db.pool())
            .await
            .expect("a device the demo's set-up moved");
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    let (_, html) = b.get(&format!("/devices/d/{device}")).await;
    let start = html
        .find("data-testid=\"history\"")
        .expect("the history table");
    let history = &html[start..start + html[start..].find("</table>").expect("its end")];
    assert!(history.contains("Il sistema"), "{history}");
    assert!(!history.contains(">demo<"), "{history}");
    assert!(
        !history.contains('@'),
        "an e-mail in the history: {history}"
    );
}
