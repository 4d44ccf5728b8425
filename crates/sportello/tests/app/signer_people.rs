//! The signer of a base model compared with the company's people, on both engines: the legal
//! representatives the Registry import reads (column `rappresentanti`) and the users linked to
//! the company (by the tax code on their account). A stranger is shown to the officer, or
//! refused where the chamber says so.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp, TestDb, start_time};
use crate::trade::{DETAILS, Erp, LIGURE, co_form, sign};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::{self, NewUser, Role};
use sportello_core::audit::Actor;
use sportello_core::chambers::settings::{self, Setting};
use sportello_core::db::{Db, Engine};
use sportello_core::registry::{self, ImportOptions, TaxCode};
use sportello_core::trade::practice::signer_checks::{self, Relation};

/// Paolo Verdi's tax code, as in the test certificate `paolo.pem`: not one of Ligure Export's
/// people in the demo.
const PAOLO: &str = "VRDPLA70A01D969S";
const GIULIA: &str = "BNCGLI85M41D969D";

const HEADER: &str = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;\
                      indirizzo;cap;comune;stato;diritto_annuale_pagato;rappresentanti";

engine_tests!(
    the_import_keeps_the_valid_representatives_and_reports_the_bad_codes_by_row,
    a_signer_among_the_representatives_is_not_flagged,
    a_signer_who_is_a_user_of_the_company_is_not_flagged,
    a_stranger_signer_is_shown_to_the_officer_in_words,
    a_stranger_signer_is_refused_where_the_chamber_says_so_and_nothing_is_stored,
);

async fn import(
    db: &Db,
    dir: &std::path::Path,
    name: &str,
    content: &str,
) -> registry::ImportOutcome {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    registry::import_csv(
        db,
        start_time(),
        &path,
        ImportOptions {
            progress: false,
            batch_size: 1000,
        },
    )
    .await
    .expect("the file is readable")
}

async fn representatives(db: &Db, company_tax_code: &str) -> Vec<String> {
    let company =
        registry::find_company_by_tax_code(db, &TaxCode::parse(company_tax_code).unwrap())
            .await
            .unwrap()
            .unwrap();
    sqlx::query_scalar(
        "SELECT tax_code FROM company_representatives WHERE company_id = $1 ORDER BY tax_code",
    )
    .bind(&company.id)
    .fetch_all(db.pool())
    .await
    .unwrap()
}

async fn the_import_keeps_the_valid_representatives_and_reports_the_bad_codes_by_row(
    engine: Engine,
) {
    let test = TestDb::new(engine).await;
    let rows = format!(
        "{HEADER}\n\
         01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025;{GIULIA} rssmra80a01h501u\n\
         03358520967;03358520967;TIGULLIO MECCANICA S.P.A.;GE;234567;SEDE;Via Aurelia 100;16035;Rapallo;ATTIVA;2025;BADCODE {PAOLO} VRDPLA70A01D969X\n\
         00743110157;00743110157;CANTIERI DEL LEVANTE S.R.L.;SP;98765;SEDE;Viale San Bartolomeo 300;19126;La Spezia;ATTIVA;2025;\n"
    );
    let outcome = import(&test.db, test.dir.path(), "reps.csv", &rows).await;
    // Every row is imported; the two bad codes are skipped and named with their line.
    assert_eq!(outcome.imported, 3);
    assert_eq!(outcome.rejected_total, 0);
    assert_eq!(outcome.skipped_total, 2, "{:?}", outcome.skipped);
    assert_eq!(outcome.skipped[0].line, 3);
    assert_eq!(outcome.skipped[0].field, "rappresentanti");
    assert!(outcome.skipped[0].reason.contains("BADCODE"));
    assert!(outcome.skipped[1].reason.contains("VRDPLA70A01D969X"));
    assert_eq!(
        representatives(&test.db, "01879020517").await,
        [GIULIA, "RSSMRA80A01H501U"]
    );
    assert_eq!(representatives(&test.db, "03358520967").await, [PAOLO]);
    assert!(representatives(&test.db, "00743110157").await.is_empty());
    // The report names them on stderr and, in JSON, after the rejections.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    outcome
        .write_report(true, &mut stdout, &mut stderr)
        .unwrap();
    let json: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(json["rejected"].as_array().unwrap().len(), 0);
    assert_eq!(json["skipped"][0]["line"], 3, "{json}");
    assert!(
        String::from_utf8(stderr)
            .unwrap()
            .starts_with("line 3: rappresentanti: ")
    );

    // The same file again changes nothing.
    let again = import(&test.db, test.dir.path(), "reps.csv", &rows).await;
    assert_eq!(again.unchanged, 3);
    assert_eq!(again.representatives_updated, 0);
    // An extract without the column leaves the representatives as they are; one with the
    // column replaces them.
    let without = "codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;\
                   indirizzo;cap;comune;stato;diritto_annuale_pagato\n\
                   01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025\n";
    let outcome = import(&test.db, test.dir.path(), "plain.csv", without).await;
    assert_eq!(outcome.unchanged, 1);
    assert_eq!(representatives(&test.db, "01879020517").await.len(), 2);
    let changed = format!(
        "{HEADER}\n01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025;{PAOLO}\n"
    );
    let outcome = import(&test.db, test.dir.path(), "changed.csv", &changed).await;
    assert_eq!(outcome.representatives_updated, 1);
    assert_eq!(representatives(&test.db, "01879020517").await, [PAOLO]);
}

/// Uploads a new base model of Ligure Export signed by `who` (a test certificate).
async fn upload_signed_by(erp: &Erp, who: &str) -> reqwest::Response {
    let model = erp.new_model(LIGURE, co_form()).await;
    erp.upload(sign(&erp.xml(&model).await, who), &DETAILS)
        .await
}

async fn created_id(r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn people_of(app: &TestApp, id: &str) -> Vec<signer_checks::SignerPerson> {
    let practice = sportello_core::trade::practice::get(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    signer_checks::people(&app.state.db, id, &practice.signed_blob)
        .await
        .unwrap()
}

async fn a_signer_among_the_representatives_is_not_flagged(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    // The demo registry lists Giulia Bianchi as Ligure Export's legal representative.
    let erp = Erp::demo(&app, Role::Company).await;
    let id = created_id(upload_signed_by(&erp, "giulia").await).await;
    let people = people_of(&app, &id).await;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].relation, Relation::Representative);
    assert_eq!(people[0].tax_code.as_deref(), Some(GIULIA));
    // Paolo Verdi is not; once the Registry lists him, his signature is recognised too.
    let dir = tempfile::tempdir().unwrap();
    let extract = format!(
        "{HEADER}\n01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2025;{GIULIA} {PAOLO}\n"
    );
    import(&app.state.db, dir.path(), "reps.csv", &extract).await;
    let id = created_id(upload_signed_by(&erp, "paolo").await).await;
    let people = people_of(&app, &id).await;
    assert_eq!(people[0].relation, Relation::Representative);
    assert_eq!(people[0].holder, "PAOLO VERDI");
}

async fn a_signer_who_is_a_user_of_the_company_is_not_flagged(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let ligure =
        registry::find_company_by_tax_code(&app.state.db, &TaxCode::parse(LIGURE).unwrap())
            .await
            .unwrap()
            .unwrap();
    let new_user = |email: &str, tax_code: &str| NewUser {
        email: email.into(),
        name: "Paolo Verdi".into(),
        password: "verdi-password-2026".into(),
        role: Role::Company,
        chamber_id: None,
        desk_ids: Vec::new(),
        company_ids: vec![ligure.id.clone()],
        tax_code: Some(TaxCode::parse(tax_code).unwrap()),
    };
    accounts::create_user(
        &app.state,
        &Actor::cli(),
        new_user("verdi@ligure.test", PAOLO),
    )
    .await
    .unwrap();
    // The tax code is unique among users.
    let twice = accounts::create_user(
        &app.state,
        &Actor::cli(),
        new_user("altro@ligure.test", PAOLO),
    )
    .await;
    assert!(
        matches!(twice, Err(accounts::CreateUserError::DuplicateTaxCode(ref c)) if c == PAOLO),
        "{twice:?}"
    );
    // Paolo Verdi signs; Giulia Bianchi (another user of the company) uploads.
    let erp = Erp::demo(&app, Role::Company).await;
    let id = created_id(upload_signed_by(&erp, "paolo").await).await;
    let people = people_of(&app, &id).await;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].relation, Relation::User);
}

/// The officer's practice page, once the company has sent practice `id`.
async fn officer_page(app: &TestApp, erp: &Erp, id: &str) -> String {
    let r = erp
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(app, email, password).await;
    let (status, html) = officer.get(&format!("/desk/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    html
}

async fn a_stranger_signer_is_shown_to_the_officer_in_words(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    // By default the practice is created, the stranger recorded with it.
    let id = created_id(upload_signed_by(&erp, "paolo").await).await;
    let people = people_of(&app, &id).await;
    assert_eq!(people[0].relation, Relation::None);
    assert_eq!(people[0].tax_code.as_deref(), Some(PAOLO));
    let html = officer_page(&app, &erp, &id).await;
    assert!(
        html.contains(
            "Il firmatario Paolo Verdi (VRDPLA70A01D969S) non risulta tra i rappresentanti né tra gli utenti dell"
        ),
        "the officer is told in words"
    );
    assert!(html.contains("data-testid=\"signer-person-flag\""));
    // A practice signed by the representative shows a plain note, no warning.
    let id = created_id(upload_signed_by(&erp, "giulia").await).await;
    let html = officer_page(&app, &erp, &id).await;
    assert!(!html.contains("data-testid=\"signer-person-flag\""));
    assert!(html.contains("data-testid=\"signer-person-note\""));
}

async fn a_stranger_signer_is_refused_where_the_chamber_says_so_and_nothing_is_stored(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber = sportello_core::chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    settings::set(
        &mut tx,
        start_time(),
        &chamber.id,
        Setting::SignerNotCompanyPerson,
        "refuse",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let erp = Erp::demo(&app, Role::Company).await;
    let count = |table: &'static str| {
        let db = app.state.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
            .fetch_one(db.pool())
            .await
            .unwrap()
        }
    };
    let r = upload_signed_by(&erp, "paolo").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "signer_not_company_person", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "Il firmatario Paolo Verdi (VRDPLA70A01D969S) non risulta tra i rappresentanti né tra gli utenti dell'impresa"
        ),
        "{detail}"
    );
    assert_eq!(count("practices").await, 0);
    assert_eq!(count("practice_signer_people").await, 0);
    assert_eq!(count("practice_revocation_checks").await, 0);
    // The company's own representative is still accepted under the same rule.
    created_id(upload_signed_by(&erp, "giulia").await).await;
}
