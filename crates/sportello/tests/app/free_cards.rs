//! Free smart cards as the RA procedure means them (part 2, "dispositivi gratuiti"): the
//! Registry's registration date, the annual fee counted only for the years a company was
//! registered and the fee due, the full-service ODR's "n" free cards and the check of its list
//! of free issues; and the CA's Operating Manual and Certificate Policy, "consultabile" by
//! anyone. On both engines.

use crate::devices::odr_id;
use crate::engine_tests;
use crate::helpers::{Browser, TestApp, TestDb, start_time};
use crate::ra::{call, token};
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::Role;
use sportello_core::audit::Actor;
use sportello_core::db::Engine;
use sportello_core::devices::advance;
use sportello_core::devices::odr_report;
use sportello_core::devices::withdrawal::{self, Destination, NewWithdrawal, WithdrawalError};
use sportello_core::registry::{self, ImportOptions, TaxCode};

const VERDI_ANNA: &str = "VRDNNA92E45D969L";
const BOTTEGA: &str = "02456780010";
const LIGURE: &str = "01879020517";

async fn eligibility(app: &TestApp, t: &str, tax_code: &str) -> Value {
    let (s, v) = call(
        app,
        "GET",
        &format!("/api/v1/devices/free-eligibility?company_tax_code={tax_code}&device=smart_card"),
        t,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn years(v: &Value, key: &str) -> Vec<i64> {
    v["annual_fee"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_i64().unwrap())
        .collect()
}

/// RA procedure, part 2: "in regola con il pagamento del diritto annuale negli ultimi due anni"
/// counts only the years in which the company was registered and the fee was due. The demo's
/// three cases on 25 November 2026: registered this year, last year, long ago.
async fn annual_fee_rule_counts_only_the_years_a_company_was_registered(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let rao = token(&app, Role::Rao).await;

    // A sole trader registered on 14 September 2026, this year's fee paid: one year due.
    let v = eligibility(&app, &rao, VERDI_ANNA).await;
    assert_eq!(v["eligible"], true, "{v}");
    assert_eq!(v["annual_fee"]["registered_on"], "2026-09-14");
    assert_eq!(years(&v, "years_due"), [2026]);
    assert_eq!(years(&v, "years_paid"), [2026]);
    let detail = v["reasons"][2]["detail"].as_str().unwrap();
    assert!(detail.contains("14/09/2026"), "{detail}");
    let y2025 = &v["annual_fee"]["years"][1];
    assert_eq!(
        (y2025["year"].as_i64(), y2025["due_on"].is_null()),
        (Some(2025), true),
        "not registered in 2025: nothing due"
    );

    // Registered on 6 October 2025: both 2025 and 2026 are due, and paid.
    let v = eligibility(&app, &rao, BOTTEGA).await;
    assert_eq!(v["eligible"], true, "{v}");
    assert_eq!(years(&v, "years_due"), [2025, 2026]);
    assert_eq!(v["annual_fee"]["years"][1]["due_on"], "2025-11-05");
    assert_eq!(v["annual_fee"]["years"][0]["due_on"], Value::Null);

    // Registered in 1998, fees paid up to 2025: 2026 is missing.
    let v = eligibility(&app, &rao, LIGURE).await;
    assert_eq!(v["eligible"], false);
    assert_eq!(years(&v, "years_due"), [2025, 2026]);
    assert_eq!(years(&v, "years_missing"), [2026]);
    let detail = v["reasons"][2]["detail"].as_str().unwrap();
    assert!(
        detail.contains("2026") && detail.contains("2025, 2026"),
        "{detail}"
    );

    // A sole trader registered ten days ago owes nothing yet: the full-service ODR's case,
    // "dall'iscrizione dell'impresa individuale al rilascio delle smart card".
    sqlx::query("UPDATE companies SET registered_on = '2026-11-15' WHERE tax_code = $1")
        .bind(VERDI_ANNA)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    crate::devices::set_fees(&app, VERDI_ANNA, &[]).await;
    let v = eligibility(&app, &rao, VERDI_ANNA).await;
    assert_eq!(v["eligible"], true, "{v}");
    assert_eq!(years(&v, "years_due"), Vec::<i64>::new());
    assert_eq!(v["annual_fee"]["first_due_on"], "2026-12-15");
    // Once the 30 days have passed without payment, the year is due and missing.
    app.clock.advance(Duration::days(21));
    let v = eligibility(&app, &rao, VERDI_ANNA).await;
    assert_eq!(v["eligible"], false, "{v}");
    assert_eq!(years(&v, "years_missing"), [2026]);

    // The officer's page shows the years, due and paid.
    let (email, password) = TestApp::demo_login(Role::Rao);
    let b = Browser::login(&app, email, password).await;
    let (s, html) = b
        .get(&format!(
            "/devices/free?company_tax_code={BOTTEGA}&device=smart_card"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-testid=\"free-fee-years\""), "{html}");
    assert!(
        html.contains("06/10/2025"),
        "the registration date as people read it"
    );
}

const HEADER: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;\
                      indirizzo;cap;comune;stato;diritto_annuale_pagato";

/// The Registry import reads `data_iscrizione` (three written forms, or empty); an older file
/// without the column still imports and leaves the stored dates alone; a bad date rejects the
/// row with its line.
async fn registry_import_reads_the_registration_date_and_old_files_still_import(engine: Engine) {
    let test = TestDb::new(engine).await;
    let now = start_time();
    let options = ImportOptions {
        progress: false,
        batch_size: 1000,
    };
    let rows = "\
01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025;02/04/1998
VRDNNA92E45D969L;;VERDI ANNA;GE;789012;SEDE;Vico del Fieno 3;16123;Genova;ATTIVA;;20260914
03358520967;03358520967;TIGULLIO MECCANICA S.P.A.;GE;234567;SEDE;Via Aurelia 100;16035;Rapallo;ATTIVA;2025;
00743110157;00743110157;CANTIERI DEL LEVANTE S.R.L.;SP;98765;SEDE;Viale San Bartolomeo 300;19126;La Spezia;ATTIVA;2025;ieri
";
    let path = test.dir.path().join("with-dates.csv");
    std::fs::write(&path, format!("{HEADER};data_iscrizione\n{rows}")).unwrap();
    let outcome = registry::import_csv(&test.db, now, &path, options)
        .await
        .unwrap();
    assert_eq!((outcome.imported, outcome.rejected_total), (3, 1));
    assert_eq!(outcome.rejected[0].line, 5);
    assert_eq!(outcome.rejected[0].field, "data_iscrizione");
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let company = |code: &'static str| {
        let db = test.db.clone();
        async move {
            registry::find_company_by_tax_code(&db, &TaxCode::parse(code).unwrap())
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(company(LIGURE).await.registered_on, date("1998-04-02"));
    assert_eq!(company(VERDI_ANNA).await.registered_on, date("2026-09-14"));
    assert_eq!(company("03358520967").await.registered_on, None);
    // Re-importing the same file writes nothing.
    let again = registry::import_csv(&test.db, now, &path, options)
        .await
        .unwrap();
    assert_eq!(again.unchanged, 3);
    // An older extract, without the column: imported, the dates kept.
    let old = test.dir.path().join("old.csv");
    std::fs::write(
        &old,
        format!(
            "{HEADER}\n01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025 2026\n"
        ),
    )
    .unwrap();
    let outcome = registry::import_csv(&test.db, now, &old, options)
        .await
        .unwrap();
    assert_eq!((outcome.imported, outcome.rejected_total), (1, 0));
    let ligure = company(LIGURE).await;
    assert_eq!(ligure.registered_on, date("1998-04-02"));
    assert_eq!(ligure.annual_fee_years, [2025, 2026]);
}

/// RA procedure, part 2: a full-service ODR receives "un numero n di smart card senza
/// corrispettivo": the chamber sets n, and free cards are consigned only within it.
async fn full_service_odr_rule_free_cards_are_consigned_within_n(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let odr = odr_id(&app).await;
    let master = Actor::system("master");
    let chamber_id: String =
        sqlx::query_scalar("SELECT chamber_id FROM ra_operators WHERE id = $1")
            .bind(&odr)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    // The demo set n = 5 and consigned 2 free cards.
    let a = advance::free_allowance(&app.state.db, &odr).await.unwrap();
    assert_eq!(
        (a.allowance, a.held, a.pending, a.remaining()),
        (5, 2, 0, 3)
    );
    let ask = |free: i64| NewWithdrawal {
        destination: Some(Destination::Odr),
        operator_id: odr.clone(),
        free_smart_cards: free,
        request_key: Some(uuid::Uuid::new_v4().to_string()),
        ..NewWithdrawal::default()
    };
    let now = app.state.clock.now();
    let today = app.state.clock.today();
    let refused =
        withdrawal::request(&app.state.db, now, today, &master, &chamber_id, ask(4)).await;
    assert!(
        matches!(
            refused,
            Err(WithdrawalError::FreeAllowanceExceeded {
                allowance: 5,
                in_use: 2,
                asked: 4
            })
        ),
        "{refused:?}"
    );
    let w = withdrawal::request(&app.state.db, now, today, &master, &chamber_id, ask(3))
        .await
        .unwrap();
    assert_eq!(
        advance::free_allowance(&app.state.db, &odr)
            .await
            .unwrap()
            .remaining(),
        0,
        "a pending request counts"
    );
    // The chamber lowers n before the approval: the consignment no longer fits.
    let mut tx = app.state.db.begin().await.unwrap();
    advance::set_free_allowance(&mut tx, now, &master, &chamber_id, &odr, 3)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let approver = Actor::system("approver");
    let refused =
        withdrawal::approve(&app.state.db, now, today, &approver, &chamber_id, &w.id).await;
    assert!(
        matches!(refused, Err(WithdrawalError::FreeAllowanceExceeded { .. })),
        "{refused:?}"
    );
    // The Master RAO sets n on the ODR's page; a bad number is refused with a message.
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let b = Browser::login(&app, email, password).await;
    b.get(&format!("/devices/odr/{odr}")).await;
    let (s, _, html) = b
        .post_form(
            &format!("/devices/odr/{odr}/full-service"),
            &[("full_service", "yes"), ("free_smart_cards", "tanti")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("numero intero da 0 a 1000"), "{html}");
    let (s, _, _) = b
        .post_form(
            &format!("/devices/odr/{odr}/full-service"),
            &[("full_service", "yes"), ("free_smart_cards", "8")],
        )
        .await;
    assert!(s.is_redirection());
    let (_, html) = b.get(&format!("/devices/odr/{odr}")).await;
    assert!(html.contains("data-testid=\"free-allowance\""), "{html}");
    assert_eq!(
        advance::free_allowance(&app.state.db, &odr)
            .await
            .unwrap()
            .allowance,
        8
    );
}

/// RA procedure, part 2: "periodicamente l'ODR deve inviare l'elenco dei dispositivi
/// rilasciati gratuitamente per la verifica … della corretta emissione": each free issue on the
/// list is checked against the free-card rules as of its day, and every breach is flagged.
async fn full_service_odr_rule_the_list_of_free_issues_is_checked_against_the_rules(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let odr = odr_id(&app).await;
    let chamber_id: String =
        sqlx::query_scalar("SELECT chamber_id FROM ra_operators WHERE id = $1")
            .bind(&odr)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let serial = |free: i64, kind: &'static str| {
        let db = app.state.db.clone();
        let odr = odr.clone();
        async move {
            let s: String = sqlx::query_scalar(
                "SELECT serial FROM dev_devices WHERE holder_operator_id = $1 AND free_allowance = $2 \
                 AND kind = $3 ORDER BY serial LIMIT 1",
            )
            .bind(&odr)
            .bind(free)
            .bind(kind)
            .fetch_one(db.pool())
            .await
            .unwrap();
            s
        }
    };
    let free_card = serial(1, "smart_card").await;
    let token = serial(0, "token").await;
    let text = format!(
        "serial;issued_on;holder_tax_code;company_tax_code;free\n\
         {free_card};2026-11-20;RSSMRA80A01H501U;{LIGURE};si\n\
         {token};2026-11-21;VRDNNA92E45D969L;{VERDI_ANNA};si\n"
    );
    let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let actor = Actor::system("odr");
    let report = odr_report::submit(
        &app.state.db,
        app.state.clock.now(),
        &actor,
        &chamber_id,
        &odr,
        from,
        to,
        "csv",
        &text,
    )
    .await
    .unwrap();
    let found = odr_report::reconcile(&app.state.db, &chamber_id, &report)
        .await
        .unwrap();
    let codes = |s: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|m| m.serial == s && m.code.starts_with("free_rule_"))
            .map(|m| m.code)
            .collect()
    };
    // Ligure had not paid 2026, due since 30 June.
    assert_eq!(codes(&free_card), ["free_rule_annual_fee"], "{found:?}");
    // A token is never free (and it was not one of the free cards).
    assert_eq!(codes(&token), ["free_rule_smart_card_only"], "{found:?}");
    assert!(
        found
            .iter()
            .any(|m| m.serial == token && m.code == "free_not_allowance")
    );
    // Every mismatch has words for the page.
    for m in &found {
        let text = sportello_core::i18n::Lang::It.t(&m.key());
        assert_ne!(text, m.key(), "{}", m.code);
    }
}

fn pdf(title: &str) -> Vec<u8> {
    sportello_core::ra::publications::demo_pdf(title, &["prova"]).unwrap()
}

/// RA procedure, part 2: "presso gli sportelli camerali è consultabile il Manuale Operativo e
/// la Certificate Policy, presente anche sul sito camerale": the Master RAO publishes versions,
/// anyone reads them, a bad upload is refused with its reason and stores nothing.
async fn operating_manual_rule_the_manual_and_policy_are_public_and_versioned(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let anyone = Browser::new(&app);
    let (s, html) = anyone.get("/ra/documents").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Manuale Operativo") && html.contains("3.2"),
        "{html}"
    );
    assert!(
        !html.contains("data-testid=\"ra-doc-form\""),
        "no upload for visitors"
    );
    let (email, password) = TestApp::demo_login(Role::MasterRao);
    let master = Browser::login(&app, email, password).await;
    master.get("/ra/documents").await;
    let form = |kind: &str, version: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("kind", kind.to_string())
            .text("version", version.to_string())
            .text("effective_on", "2026-11-25")
            .part(
                "pdf",
                reqwest::multipart::Part::bytes(bytes).file_name("cp.pdf"),
            )
    };
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_publications")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let (s, _, html) = master
        .post_multipart(
            "/ra/documents",
            form("certificate_policy", "1.5", b"<html>".to_vec()),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Il file non è un PDF."), "{html}");
    assert!(html.contains("value=\"1.5\""), "what was typed is kept");
    let (s, _, html) = master
        .post_multipart(
            "/ra/documents",
            form("operating_manual", "3.2", pdf("Manuale")),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("La versione 3.2 di questo documento è già pubblicata."),
        "{html}"
    );
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ra_publications")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(before, after, "nothing stored");
    let cp = pdf("Certificate Policy 1.5");
    let (s, location, _) = master
        .post_multipart(
            "/ra/documents",
            form("certificate_policy", "1.5", cp.clone()),
        )
        .await;
    assert!(s.is_redirection(), "{s}");
    assert_eq!(location.as_deref(), Some("/ra/documents?ok=published"));
    // The new version is in force and listed with the older ones; anyone downloads it.
    let id: String = sqlx::query_scalar(
        "SELECT id FROM ra_publications WHERE kind = 'certificate_policy' AND version = '1.5'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM ra_publications WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(seq, 2);
    let (_, html) = anyone.get("/ra/documents").await;
    assert!(html.contains(&format!("/ra/documents/{id}")), "{html}");
    let (s, bytes) = anyone.bytes(&format!("/ra/documents/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes, cp);
    let (s, _) = anyone.bytes("/ra/documents/nothing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Linked from the booking pages.
    let (_, html) = anyone.get("/book").await;
    assert!(html.contains("href=\"/ra/documents\""));
    // Only the Master RAO publishes.
    let (email, password) = TestApp::demo_login(Role::Rao);
    let rao = Browser::login(&app, email, password).await;
    rao.get("/ra/documents").await;
    let (s, _, _) = rao
        .post_multipart("/ra/documents", form("certificate_policy", "1.6", pdf("x")))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

engine_tests!(
    annual_fee_rule_counts_only_the_years_a_company_was_registered,
    registry_import_reads_the_registration_date_and_old_files_still_import,
    full_service_odr_rule_free_cards_are_consigned_within_n,
    full_service_odr_rule_the_list_of_free_issues_is_checked_against_the_rules,
    operating_manual_rule_the_manual_and_policy_are_public_and_versioned,
);
