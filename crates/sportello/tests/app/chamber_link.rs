//! The link between a company and a chamber it sends practices to (`chamber_companies`, which
//! the chamber's administrator reads the company's users through) is written with the
//! company's first practice for that chamber; later uploads read it and write nothing.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{Erp, LIGURE, ready_practice};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::trade::practice::destination;

async fn links(app: &TestApp, chamber_id: &str, company_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM chamber_companies WHERE chamber_id = $1 AND company_id = $2",
    )
    .bind(chamber_id)
    .bind(company_id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn the_chamber_link_is_written_with_the_companys_first_practice_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let db = &app.state.db;
    let chamber = sportello_core::chambers::find_chamber_by_code(db, "GE")
        .await
        .unwrap()
        .unwrap();
    let company = sportello_core::registry::find_company_by_tax_code(
        db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    // Whatever the demo seeded, start from a company that never dealt with the chamber.
    sqlx::query("DELETE FROM chamber_companies WHERE chamber_id = $1 AND company_id = $2")
        .bind(&chamber.id)
        .bind(&company.id)
        .execute(db.pool())
        .await
        .unwrap();
    let before = destination::admission(db, &chamber.id, &company.id)
        .await
        .unwrap();
    assert!(before.admits, "a Genoese company sends to Genoa");
    assert!(!before.linked);

    let erp = Erp::demo(&app, Role::Company).await;
    ready_practice(&erp, &[]).await;
    assert_eq!(links(&app, &chamber.id, &company.id).await, 1);
    let after = destination::admission(db, &chamber.id, &company.id)
        .await
        .unwrap();
    assert!(
        after.admits && after.linked,
        "the first practice linked them"
    );

    // The second practice finds the link: still one row, and the upload succeeds.
    ready_practice(&erp, &[]).await;
    assert_eq!(links(&app, &chamber.id, &company.id).await, 1);
}

engine_tests!(the_chamber_link_is_written_with_the_companys_first_practice_only);
