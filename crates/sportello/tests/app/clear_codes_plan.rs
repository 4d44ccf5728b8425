//! Issue 14: what every start-up reads. `security_code::protect_stored_codes` runs at each
//! start of each instance and looks for security codes still kept in clear; at 3.7 million
//! certificates, reading them all took 10.8 s. Its statement must read the partial index of
//! the rows still in clear (`certificates_clear_codes`, migration 0102), never the table.

use crate::engine_tests;
use crate::helpers::TestApp;
use sportello_core::db::Engine;
use sportello_core::trade::desk::security_code;

engine_tests!(the_start_up_look_for_codes_in_clear_reads_only_their_partial_index);

async fn the_start_up_look_for_codes_in_clear_reads_only_their_partial_index(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let plan = security_code::clear_codes_plan(&app.state.db)
        .await
        .expect("plan");
    let text = plan.join("\n");
    assert!(
        plan.iter().any(|l| l.contains("certificates_clear_codes")),
        "the partial index is not used:\n{text}"
    );
    for l in &plan {
        let l = l.trim();
        assert!(
            !l.contains("Seq Scan") && (!l.starts_with("SCAN ") || l.contains("USING")),
            "the certificates are read whole: {l}\n{text}"
        );
    }
}
