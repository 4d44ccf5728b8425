//! Practice details and attachments: the status read is guarded in the SQL, and sending is
//! guarded on the revision it read them at.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{Erp, LIGURE};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;
use sportello_core::trade::practice::attachments::{self, AttachmentError, NewAttachment};
use sportello_core::trade::practice::details::{self, Details, DetailsError};
use sportello_core::trade::practice::{self as practice, PracticeStatus};

/// The demo company user as a principal, for calling the use cases directly.
async fn company_principal(app: &TestApp) -> sportello_core::accounts::Principal {
    let (email, _) = TestApp::demo_login(Role::Company);
    let user = sportello_core::accounts::find_by_email(&app.state.db, email)
        .await
        .unwrap()
        .unwrap();
    sportello_core::accounts::load_principal(&app.state, &user.id, None)
        .await
        .unwrap()
        .unwrap()
}

fn details_with_copies(copies: i64) -> Details {
    Details {
        proforma: Some(false),
        goods_location: "Magazzino Via Rubattino 4, Genova".into(),
        print_mode: "blank_paper".into(),
        copies,
        ..Details::default()
    }
}

fn pdf_attachment() -> NewAttachment {
    NewAttachment {
        file_name: "fattura.pdf".into(),
        bytes: crate::trade::small_pdf(),
        description: "Fattura di esportazione".into(),
        code: "packing_list".into(),
        ..NewAttachment::default()
    }
}

async fn attachments_of(app: &TestApp, id: &str) -> usize {
    attachments::list(&app.state.db, id).await.unwrap().len()
}

engine_tests!(
    details_and_attachments_read_before_a_send_are_not_written_after_it,
    details_saved_while_the_practice_is_sent_either_go_first_or_not_at_all,
);

async fn details_and_attachments_read_before_a_send_are_not_written_after_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let id = crate::trade::ready_practice(&erp, &[]).await;
    let r = erp
        .attach(&id, crate::trade::small_pdf(), "packing_list")
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let principal = company_principal(&app).await;
    // The company's page read the practice while it was still a draft…
    let stale = practice::get(&app.state.db, &id).await.unwrap().unwrap();
    let kept = attachments::list(&app.state.db, &id).await.unwrap();
    assert_eq!(stale.status, PracticeStatus::Draft);
    // …then another tab sent it.
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sent = practice::get(&app.state.db, &id).await.unwrap().unwrap();
    assert_eq!(sent.status, PracticeStatus::Sent);
    // What the first tab saves now finds the practice sent: nothing is written.
    let r = details::update(&app.state, &principal, &stale, &details_with_copies(7)).await;
    assert!(
        matches!(r, Err(DetailsError::NotEditable(PracticeStatus::Sent))),
        "{r:?}"
    );
    let r = attachments::add(&app.state, &principal, &stale, pdf_attachment()).await;
    assert!(
        matches!(r, Err(AttachmentError::NotEditable(PracticeStatus::Sent))),
        "{r:?}"
    );
    let r = attachments::remove(&app.state, &principal, &stale, &kept[0].id).await;
    assert!(
        matches!(r, Err(AttachmentError::NotEditable(PracticeStatus::Sent))),
        "{r:?}"
    );
    let after = practice::get(&app.state.db, &id).await.unwrap().unwrap();
    assert_eq!(after.copies, sent.copies, "details as sent");
    assert_eq!(after.updated_at, sent.updated_at);
    assert_eq!(attachments_of(&app, &id).await, 1, "attachments as sent");
}

async fn details_saved_while_the_practice_is_sent_either_go_first_or_not_at_all(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let principal = company_principal(&app).await;
    let company = principal.company_ids[0].clone();
    let mut tx = app.state.db.begin().await.unwrap();
    sportello_core::wallet::credit(
        &mut tx,
        app.state.clock.now(),
        &sportello_core::audit::Actor::cli(),
        &company,
        &sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
            .await
            .unwrap()
            .unwrap()
            .id,
        &sportello_core::wallet::VerifiedPayment {
            amount: sportello_core::money::Money::from_cents(1_000_000),
            reference: "test".into(),
            provider: "manual",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (mut first, mut refused) = (0, 0);
    for round in 0..6 {
        let id = crate::trade::ready_practice(&erp, &[]).await;
        let before = practice::get(&app.state.db, &id).await.unwrap().unwrap();
        let copies = 3 + round;
        let (state, p, b) = (app.state.clone(), principal.clone(), before.clone());
        // The save lands before, during or after the send's own reads and write.
        let delay = std::time::Duration::from_millis([0, 2, 5, 10, 20, 40][round as usize]);
        let saving = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            details::update(&state, &p, &b, &details_with_copies(copies)).await
        });
        let (state, p, pid) = (app.state.clone(), principal.clone(), id.clone());
        let sending = tokio::spawn(async move {
            sportello_core::trade::practice::send::send(&state, &p, &pid, None).await
        });
        let saved = saving.await.unwrap();
        let sent = sending.await.unwrap().expect("the send goes through");
        assert!(!sent.already_sent, "round {round}");
        let now = practice::get(&app.state.db, &id).await.unwrap().unwrap();
        assert_eq!(now.status, PracticeStatus::Sent);
        match saved {
            Ok(_) => {
                first += 1;
                assert_eq!(now.copies, copies, "round {round}: saved before the send");
            }
            Err(DetailsError::NotEditable(_)) => {
                refused += 1;
                assert_eq!(now.copies, before.copies, "round {round}: nothing written");
            }
            Err(e) => panic!("round {round}: {e:?}"),
        }
        // Whatever won, the fee charged is the fee of the details the practice was sent with.
        let fee = sportello_core::trade::practice::send::fee_of(&app.state, &now)
            .await
            .unwrap();
        assert_eq!(
            (now.fee_cents, sent.charged_cents),
            (Some(fee.total.cents()), fee.total.cents()),
            "round {round}: charged for {} copies",
            now.copies
        );
    }
    assert_eq!(first + refused, 6);
}
