//! Fees that follow the practice (Cert'O guide, slides 57–59): what a practice is charged is
//! the fee of the practice as it stands, settled at every send; a rectification that adds
//! copies pays the difference, one that removes them gets it back, and a rejection or an
//! expiry gives back everything that was charged.

use crate::desk::balance;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{Erp, LIGURE, ready_practice};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    a_resend_charges_what_the_rectification_added_and_refunds_what_it_removed,
    a_resend_the_wallet_cannot_cover_changes_nothing,
    for_any_sequence_of_changes_the_ledger_of_a_practice_equals_the_fee_of_what_was_issued,
);

/// What the ledger holds for one practice (negative: taken from the wallet).
async fn ledger_of(app: &TestApp, practice_id: &str) -> (i64, Vec<String>) {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT amount_cents, reference FROM wallet_entries WHERE practice_id = $1 ORDER BY created_at, id",
    )
    .bind(practice_id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    (
        rows.iter().map(|(a, _)| a).sum(),
        rows.into_iter().map(|(_, r)| r).collect(),
    )
}

/// The company changes the number of copies on the practice page.
async fn set_copies(page: &Browser, id: &str, copies: u32) {
    let copies = copies.to_string();
    let (status, _, body) = page
        .post_form(
            &format!("/practices/{id}/details"),
            &[
                ("proforma", "false"),
                ("goods_location", "Magazzino Via Rubattino 4, Genova"),
                ("print_mode", "blank_paper"),
                ("copies", &copies),
            ],
        )
        .await;
    assert!(status.is_redirection(), "details saved: {status} {body}");
}

async fn send(erp: &Erp, id: &str) -> reqwest::Response {
    erp.post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap()
}

async fn ask_rectification(officer: &Erp, id: &str) {
    let r = officer
        .post(&format!("/api/v1/practices/{id}/request-rectification"))
        .json(&json!({"reason": "Indicare il numero corretto di copie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

async fn company(app: &TestApp) -> (Erp, Browser) {
    let erp = Erp::demo(app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let (email, password) = TestApp::demo_login(Role::Company);
    (erp, Browser::login(app, email, password).await)
}

async fn a_resend_charges_what_the_rectification_added_and_refunds_what_it_removed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, page) = company(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let start = balance(&erp).await;
    let id = ready_practice(&erp, &[]).await;
    let first: Value = send(&erp, &id).await.json().await.unwrap();
    let base = first["charged_cents"].as_i64().unwrap();
    assert!(base > 0);
    assert_eq!(balance(&erp).await, start - base);

    // Four copies where one was charged (blank paper carries one mandatory copy): the resend
    // takes the €15 the three more add, and no more.
    ask_rectification(&officer, &id).await;
    set_copies(&page, &id, 4).await;
    let r = send(&erp, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let resent: Value = r.json().await.unwrap();
    assert_eq!(resent["charged_cents"], 1500, "{resent}");
    assert_eq!(resent["refunded_cents"], 0);
    assert_eq!(resent["protocol_number"], first["protocol_number"]);
    assert_eq!(balance(&erp).await, start - base - 1500);

    // Back to two copies: the €10 of the two removed goes back to the wallet.
    ask_rectification(&officer, &id).await;
    set_copies(&page, &id, 2).await;
    let resent: Value = send(&erp, &id).await.json().await.unwrap();
    assert_eq!(resent["charged_cents"], 0, "{resent}");
    assert_eq!(resent["refunded_cents"], 1000);
    assert_eq!(balance(&erp).await, start - base - 500);

    // A double click on the resend settles nothing twice.
    let again: Value = send(&erp, &id).await.json().await.unwrap();
    assert_eq!(again["charged_cents"], 0);
    assert_eq!(again["refunded_cents"], 0);

    let (sum, references) = ledger_of(&app, &id).await;
    assert_eq!(
        sum,
        -(base + 500),
        "the ledger holds the fee of the practice as it is"
    );
    assert_eq!(references.len(), 3, "{references:?}");
    assert!(
        references[1..]
            .iter()
            .all(|r| r.ends_with("reinvio dopo rettifica")),
        "each settlement says why: {references:?}"
    );
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(detail["fee_cents"], base + 500, "{detail}");
    // The resend e-mail says what was settled.
    app.run_jobs().await;
    let mails = app.smtp.messages();
    assert!(
        mails.iter().any(|m| m.data.contains("restituiti")),
        "the e-mail names the refund"
    );
}

async fn a_resend_the_wallet_cannot_cover_changes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, page) = company(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let id = ready_practice(&erp, &[]).await;
    assert_eq!(send(&erp, &id).await.status(), StatusCode::OK);
    let after_first = balance(&erp).await;
    let (ledger_before, _) = ledger_of(&app, &id).await;
    ask_rectification(&officer, &id).await;
    // 50 copies: more than the wallet holds.
    set_copies(&page, &id, 50).await;
    let r = send(&erp, &id).await;
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "insufficient_balance");
    // 49 copies more than the one already charged: €245, less the balance.
    let detail = problem["detail"].as_str().unwrap();
    let missing = format!("mancano {},00 €", (24_500 - after_first) / 100);
    assert!(
        detail.contains("le modifiche aumentano i diritti di segreteria di 245,00 €")
            && detail.contains(&missing),
        "says what the changes cost and how much is missing ({missing}): {problem}"
    );
    assert_eq!(balance(&erp).await, after_first, "nothing charged");
    assert_eq!(ledger_of(&app, &id).await.0, ledger_before);
    let detail = erp.get_json(&format!("/api/v1/practices/{id}")).await;
    assert_eq!(detail["status"], "to_rectify", "still the company's to fix");
}

/// A small deterministic generator, so a failing sequence can be replayed from its seed.
struct Steps(u64);

impl Steps {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// The property: whatever the company changes and however often it is sent back, the ledger
/// of a practice sums to minus the fee of what was issued, or to zero when it was rejected or
/// its rectification expired.
async fn for_any_sequence_of_changes_the_ledger_of_a_practice_equals_the_fee_of_what_was_issued(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (erp, mut page) = company(&app).await;
    let officer = Erp::demo(&app, Role::Officer).await;
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, email, password).await;
    let (status, _, body) = admin
        .post_form(
            "/admin/wallet",
            &[
                ("tax_code", LIGURE),
                ("amount", "5000,00"),
                ("reference", "Bonifico di prova"),
            ],
        )
        .await;
    assert!(
        status.is_redirection() || status == StatusCode::OK,
        "{body}"
    );
    // The worker's schedules start now, so the expiry check runs once the clock moves on.
    app.run_jobs().await;
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=8u64 {
        let mut steps = Steps(0x9E37_79B9_7F4A_7C15 ^ seed);
        let id = ready_practice(&erp, &[]).await;
        assert_eq!(
            send(&erp, &id).await.status(),
            StatusCode::OK,
            "seed {seed}"
        );
        let mut rounds = 0;
        let outcome = loop {
            match steps.next(4) {
                // Sent back: the company changes the copies (maybe more than once) and resends.
                0 | 1 if rounds < 4 => {
                    rounds += 1;
                    ask_rectification(&officer, &id).await;
                    for _ in 0..=steps.next(2) {
                        set_copies(&page, &id, steps.next(7) as u32).await;
                    }
                    if steps.next(5) == 0 {
                        // Never resent: the 24 hours run out.
                        app.clock.advance(chrono::Duration::hours(25));
                        app.run_jobs().await;
                        // A day later the company signs in again (page sessions time out).
                        let (email, password) = TestApp::demo_login(Role::Company);
                        page = Browser::login(&app, email, password).await;
                        break "expired";
                    }
                    let r = send(&erp, &id).await;
                    assert_eq!(r.status(), StatusCode::OK, "seed {seed}");
                }
                2 => {
                    let r = officer
                        .post(&format!("/api/v1/practices/{id}/reject"))
                        .json(&json!({"reason": "Merce non di origine italiana"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::OK, "seed {seed}");
                    break "rejected";
                }
                _ => {
                    crate::desk::take(&officer, &id).await;
                    let r = officer
                        .post(&format!("/api/v1/practices/{id}/approve"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::OK, "seed {seed}");
                    break "approved";
                }
            }
        };
        let practice = sportello_core::trade::practice::get(&app.state.db, &id)
            .await
            .unwrap()
            .unwrap();
        let (sum, _) = ledger_of(&app, &id).await;
        let expected = match outcome {
            "approved" => {
                assert_eq!(practice.status.as_str(), "approved");
                let fee = sportello_core::trade::practice::send::fee_of(&app.state, &practice)
                    .await
                    .unwrap();
                assert_eq!(practice.fee_cents, Some(fee.total.cents()), "seed {seed}");
                -fee.total.cents()
            }
            _ => {
                assert_eq!(practice.status.as_str(), "rejected", "seed {seed}");
                0
            }
        };
        assert_eq!(
            sum, expected,
            "seed {seed}: {outcome} after {rounds} rectifications"
        );
        seen.insert(outcome);
    }
    assert_eq!(
        seen.len(),
        3,
        "the sequences end in every way (approved, rejected, expired): {seen:?}"
    );
    let c = sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        sportello_core::wallet::balance(
            &app.state.db,
            &c.id,
            &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
                .await
                .unwrap()
                .unwrap()
                .id
        )
        .await
        .unwrap(),
        sportello_core::wallet::ledger_sum(
            &app.state.db,
            &c.id,
            &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
                .await
                .unwrap()
                .unwrap()
                .id
        )
        .await
        .unwrap(),
        "the balance is the ledger"
    );
}
