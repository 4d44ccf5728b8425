//! Which companies a person may read, prepare for and send for (issue 15, items 2 and 3): one
//! rule, `accounts::company_access`, for company users with their scopes (read, prepare, send)
//! and customs brokers acting under mandates. A mandate that is not in force gives nothing to
//! read; a write attempted on a former client says why; every write is checked at the object's
//! own company, whatever company the session acts for; what may not be done is not offered.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{DETAILS, Erp, LIGURE, TIGULLIO, co_form, sign, small_pdf};
use reqwest::StatusCode;
use serde_json::Value;
use sportello_core::accounts::{self, NewUser, Role};
use sportello_core::audit::Actor;
use sportello_core::db::Engine;
use sportello_core::demo::DEMO_INTERMEDIARY;
use sportello_core::registry::TaxCode;

engine_tests!(
    every_role_may_do_at_a_company_what_its_link_or_mandate_allows,
    a_broker_reads_nothing_of_a_client_after_the_mandate_ends,
    a_read_only_user_is_not_offered_what_they_may_not_do,
);

const PREPARER: &str = "prepara@ligure-export.test";
const READER: &str = "legge@ligure-export.test";
const TWO: &str = "due-imprese@example.test";
const PASSWORD: &str = "una-password-lunga-2026";

/// The demo, plus Ligure Export's preparing and read-only users and a person who acts for
/// Tigullio Meccanica (send) and for Ligure Export (read only).
async fn setup(engine: Engine) -> TestApp {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let ligure = company_id(&app, LIGURE).await;
    let tigullio = company_id(&app, TIGULLIO).await;
    for (email, companies) in [
        (PREPARER, vec![ligure.clone()]),
        (READER, vec![ligure.clone()]),
        (TWO, vec![tigullio, ligure.clone()]),
    ] {
        accounts::create_user(
            &app.state,
            &Actor::cli(),
            NewUser {
                email: email.into(),
                name: email.into(),
                password: PASSWORD.into(),
                role: Role::Company,
                chamber_id: None,
                desk_ids: Vec::new(),
                company_ids: companies,
                tax_code: None,
            },
        )
        .await
        .unwrap();
    }
    for (email, scope) in [(PREPARER, "prepare"), (READER, "read"), (TWO, "read")] {
        sqlx::query(
            "UPDATE user_companies SET scope = $3 WHERE company_id = $2 \
             AND user_id = (SELECT id FROM users WHERE email = $1)",
        )
        .bind(email)
        .bind(&ligure)
        .bind(scope)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
    app
}

async fn company_id(app: &TestApp, tax_code: &str) -> String {
    sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &TaxCode::parse(tax_code).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id
}

async fn scalar(app: &TestApp, sql: &'static str, bind: &str) -> String {
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
        .bind(bind)
        .fetch_optional(app.state.db.pool())
        .await
        .unwrap()
        .unwrap_or_default()
}

/// A draft practice of Ligure Export (certificate of origin to Genoa) with one attachment,
/// prepared by its representative: (practice, attachment, base model).
async fn draft(app: &TestApp) -> (String, String, String) {
    let giulia = Erp::demo(app, Role::Company).await;
    let model = giulia.new_model(LIGURE, co_form()).await;
    let r = giulia
        .upload(sign(&giulia.xml(&model).await, "giulia"), &DETAILS)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = giulia.attach(&practice, small_pdf(), "invoice").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let attachment = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (practice, attachment, model)
}

/// What a refused write must leave as it was: the practice (its status and revision), its
/// attachments, its model's version, the wallet's entries and the payment positions.
async fn fingerprint(app: &TestApp, practice: &str, model: &str) -> String {
    let practice_row = scalar(
        app,
        "SELECT status || '/' || CAST(revision AS TEXT) FROM practices WHERE id = $1",
        practice,
    )
    .await;
    let attachments = scalar(
        app,
        "SELECT CAST(COUNT(*) AS TEXT) FROM practice_attachments WHERE practice_id = $1",
        practice,
    )
    .await;
    let version = scalar(
        app,
        "SELECT CAST(version AS TEXT) FROM base_models WHERE id = $1",
        model,
    )
    .await;
    let money = scalar(
        app,
        "SELECT CAST(COUNT(*) AS TEXT) || '/' || \
         (SELECT CAST(COUNT(*) AS TEXT) FROM payment_positions) FROM wallet_entries \
         WHERE $1 <> ''",
        practice,
    )
    .await;
    format!("{practice_row} {attachments} {version} {money}")
}

/// How a row of the matrix expects an act to end.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Done, or refused for a reason of its own (a missing profile, a sent practice…): the
    /// rule let it through.
    Allowed,
    /// 404, as any object outside the person's companies.
    NotFound,
    /// 403 by the route's gate (the scope at the company the session acts for).
    Forbidden,
    /// 403 naming why, with this text in the page.
    Refused(&'static str),
}

const ACTS: [&str; 10] = [
    "read practice",
    "read model",
    "list",
    "download attachment",
    "add attachment",
    "remove attachment",
    "edit model",
    "send",
    "top-up",
    "delete draft",
];

/// A broker's mandate from Ligure Export, written as the company's page would.
async fn mandate(app: &TestApp, types: &str, chamber: &str, from: &str, to: &str, revoked: bool) {
    sqlx::query("DELETE FROM intermediary_mandates")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let intermediary = sportello_core::intermediary::list(&app.state.db)
        .await
        .unwrap()
        .remove(0)
        .id;
    let chamber_id = sportello_core::chambers::find_chamber_by_code(&app.state.db, chamber)
        .await
        .unwrap()
        .unwrap()
        .id;
    let rep = scalar(
        app,
        "SELECT id FROM users WHERE email = $1",
        TestApp::demo_login(Role::Company).0,
    )
    .await;
    sqlx::query(
        "INSERT INTO intermediary_mandates (id, intermediary_id, company_id, practice_types, \
         chamber_ids, valid_from, valid_to, granted_via, granted_by, created_at, revoked_at, \
         revoked_by, revoked_side) VALUES ($1, $2, $3, $4, $5, $6, $7, 'representative', $8, \
         '2026-11-01T09:00:00.000000Z', $9, $10, $11)",
    )
    .bind(sportello_core::db::new_id())
    .bind(&intermediary)
    .bind(company_id(app, LIGURE).await)
    .bind(types)
    .bind(&chamber_id)
    .bind(from)
    .bind(to)
    .bind(&rep)
    .bind(revoked.then_some("2026-11-20T09:00:00.000000Z"))
    .bind(revoked.then_some(rep.clone()))
    .bind(revoked.then_some("company"))
    .execute(app.state.db.pool())
    .await
    .unwrap();
}

/// Issue 15, items 2 and 3: company user (send, prepare, read only), broker (mandate in force,
/// expired, revoked, not yet started, out of its types, out of its chambers) and a user of two
/// companies, each × reading the practice, its model, the list, an attachment, adding and
/// removing an attachment, editing the model, sending, topping up and deleting the draft.
/// Each refusal leaves everything as it was.
async fn every_role_may_do_at_a_company_what_its_link_or_mandate_allows(engine: Engine) {
    use Expect::*;
    let app = setup(engine).await;
    let mc = Refused("inizia il");
    let exp = Refused("è scaduto il 20/11/2026");
    let rev = Refused("è stato revocato il 20/11/2026");
    let ty = Refused("non copre i certificati");
    let ch = Refused("non copre la Camera di Commercio di Genova");
    let only_read = Refused("potete solo consultare");
    let (broker_email, broker_password) = (DEMO_INTERMEDIARY.3, DEMO_INTERMEDIARY.5);
    let (giulia, giulia_password) = TestApp::demo_login(Role::Company);
    // (who, mandate (types, chamber, from, to, revoked), expectations in ACTS order)
    type Mandate = Option<(&'static str, &'static str, &'static str, &'static str, bool)>;
    let rows: Vec<(&str, &str, &str, Mandate, [Expect; 10])> = vec![
        (
            "company user, send",
            giulia,
            giulia_password,
            None,
            [Allowed; 10],
        ),
        (
            "company user, prepare",
            PREPARER,
            PASSWORD,
            None,
            [
                Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, Forbidden,
                Forbidden, Allowed,
            ],
        ),
        (
            "company user, read only",
            READER,
            PASSWORD,
            None,
            [
                Allowed, Forbidden, Allowed, Allowed, Forbidden, Forbidden, Forbidden, Forbidden,
                Forbidden, Forbidden,
            ],
        ),
        (
            "user of two companies, acting for the other",
            TWO,
            PASSWORD,
            None,
            [
                Allowed,
                Allowed,
                Allowed,
                Allowed,
                only_read,
                only_read,
                only_read,
                Refused("non potete inviare"),
                Allowed,
                only_read,
            ],
        ),
        (
            "broker, mandate in force",
            broker_email,
            broker_password,
            Some((
                "certificate_of_origin",
                "GE",
                "2026-11-01",
                "2026-12-31",
                false,
            )),
            [Allowed; 10],
        ),
        (
            "broker, mandate expired",
            broker_email,
            broker_password,
            Some((
                "certificate_of_origin",
                "GE",
                "2026-11-01",
                "2026-11-20",
                false,
            )),
            [
                NotFound, NotFound, NotFound, NotFound, exp, exp, exp, exp, exp, exp,
            ],
        ),
        (
            "broker, mandate revoked",
            broker_email,
            broker_password,
            Some((
                "certificate_of_origin",
                "GE",
                "2026-11-01",
                "2026-12-31",
                true,
            )),
            [
                NotFound, NotFound, NotFound, NotFound, rev, rev, rev, rev, rev, rev,
            ],
        ),
        (
            "broker, mandate not yet started",
            broker_email,
            broker_password,
            Some((
                "certificate_of_origin",
                "GE",
                "2026-12-01",
                "2026-12-31",
                false,
            )),
            [
                NotFound, NotFound, NotFound, NotFound, mc, mc, mc, mc, mc, mc,
            ],
        ),
        (
            "broker, mandate for another type",
            broker_email,
            broker_password,
            Some(("invoice_visa", "GE", "2026-11-01", "2026-12-31", false)),
            [
                Allowed, Allowed, Allowed, Allowed, ty, ty, ty, ty, Allowed, ty,
            ],
        ),
        (
            "broker, mandate for another chamber",
            broker_email,
            broker_password,
            Some((
                "certificate_of_origin",
                "SV",
                "2026-11-01",
                "2026-12-31",
                false,
            )),
            // A model names no chamber: it may be edited; a top-up at Genoa may not.
            [
                Allowed, Allowed, Allowed, Allowed, ch, ch, Allowed, ch, ch, ch,
            ],
        ),
    ];
    // A second chamber for the out-of-chamber mandate.
    sportello_core::chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &sportello_core::chambers::ChamberCode::parse("SV").unwrap(),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .unwrap();
    let tigullio = company_id(&app, TIGULLIO).await;
    for (who, email, password, granted, expected) in rows {
        let (practice, attachment, model) = draft(&app).await;
        match granted {
            Some((types, chamber, from, to, revoked)) => {
                mandate(&app, types, chamber, from, to, revoked).await;
            }
            None => {
                sqlx::query("DELETE FROM intermediary_mandates")
                    .execute(app.state.db.pool())
                    .await
                    .unwrap();
            }
        }
        let b = Browser::login(&app, email, password).await;
        if email == TWO {
            let (status, _, _) = b.post_form("/company", &[("company_id", &tigullio)]).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{who}: acting for Tigullio");
        }
        for (act, expect) in ACTS.iter().zip(expected) {
            b.get("/").await;
            let before = fingerprint(&app, &practice, &model).await;
            let (status, body) = match *act {
                "read practice" => b.get(&format!("/practices/{practice}")).await,
                "read model" => b.get(&format!("/models/{model}")).await,
                "list" => {
                    let (status, body) = b.get("/practices?list=to_send").await;
                    assert_eq!(status, StatusCode::OK, "{who}: list");
                    // Listed counts as read; left out, as not found.
                    if body.contains(&practice) {
                        (StatusCode::OK, body)
                    } else {
                        (StatusCode::NOT_FOUND, body)
                    }
                }
                "download attachment" => {
                    let (status, bytes) = b
                        .bytes(&format!("/practices/{practice}/attachments/{attachment}"))
                        .await;
                    (status, String::from_utf8_lossy(&bytes).to_string())
                }
                "add attachment" => {
                    let form = reqwest::multipart::Form::new()
                        .part(
                            "file",
                            reqwest::multipart::Part::bytes(small_pdf()).file_name("lista.pdf"),
                        )
                        .text("description", "Lista di colli")
                        .text("code", "packing_list");
                    let (status, _, body) = b
                        .post_multipart(&format!("/practices/{practice}/attachments"), form)
                        .await;
                    (status, body)
                }
                "remove attachment" => {
                    let (status, _, body) = b
                        .post_form(
                            &format!("/practices/{practice}/attachments/{attachment}/delete"),
                            &[],
                        )
                        .await;
                    (status, body)
                }
                "edit model" => {
                    let (status, _, body) = b
                        .post_form(
                            &format!("/models/{model}"),
                            &[("action", "save"), ("consignee.name", "ACME GmbH")],
                        )
                        .await;
                    (status, body)
                }
                "send" => {
                    let (status, _, body) = b
                        .post_form(&format!("/practices/{practice}/send"), &[])
                        .await;
                    (status, body)
                }
                "top-up" => {
                    let (status, _, body) = b
                        .post_form("/wallet/top-ups", &[("chamber", "GE"), ("amount", "10")])
                        .await;
                    (status, body)
                }
                _ => {
                    let (status, _, body) = b
                        .post_form(&format!("/practices/{practice}/delete"), &[])
                        .await;
                    (status, body)
                }
            };
            let what = format!("{who} × {act}: {status}");
            match expect {
                Allowed => assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::NOT_FOUND,
                    "{what} {body}"
                ),
                NotFound => assert_eq!(status, StatusCode::NOT_FOUND, "{what}"),
                Forbidden => assert_eq!(status, StatusCode::FORBIDDEN, "{what}"),
                Refused(text) => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                    assert!(
                        body.replace("&#39;", "'").contains(text),
                        "{what}: «{text}» expected in {body}"
                    );
                }
            }
            if !matches!(expect, Allowed) {
                assert_eq!(
                    fingerprint(&app, &practice, &model).await,
                    before,
                    "{what}: a refusal changes nothing"
                );
            }
        }
    }
}

/// Issue 15, item 3: once the mandate ends, the broker's former client is "not found" through
/// the API as well — its practice, model, attachments, list and wallet — while a write still
/// says why, in the API's problem document.
async fn a_broker_reads_nothing_of_a_client_after_the_mandate_ends(engine: Engine) {
    let app = setup(engine).await;
    let (practice, attachment, model) = draft(&app).await;
    mandate(
        &app,
        "certificate_of_origin",
        "GE",
        "2026-11-01",
        "2026-11-30",
        false,
    )
    .await;
    let broker = Erp::login(&app, DEMO_INTERMEDIARY.3, DEMO_INTERMEDIARY.5).await;
    let get = |path: String| {
        let broker = &broker;
        async move { broker.get(&path).send().await.unwrap().status() }
    };
    // While the mandate is in force, all of it is readable.
    assert_eq!(
        get(format!("/api/v1/practices/{practice}")).await,
        StatusCode::OK
    );
    assert_eq!(get(format!("/api/v1/models/{model}")).await, StatusCode::OK);
    assert_eq!(
        get("/api/v1/wallet?chamber=GE".into()).await,
        StatusCode::OK
    );
    let list = broker.get_json("/api/v1/practices?list=to_send").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    // The day after its last day, nothing is.
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 1, 9, 0, 0).unwrap());
    assert_eq!(
        get(format!("/api/v1/practices/{practice}")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(format!("/api/v1/models/{model}")).await,
        StatusCode::NOT_FOUND
    );
    assert_ne!(
        get("/api/v1/wallet?chamber=GE".into()).await,
        StatusCode::OK
    );
    let list = broker.get_json("/api/v1/practices?list=to_send").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    let web = Browser::login(&app, DEMO_INTERMEDIARY.3, DEMO_INTERMEDIARY.5).await;
    let (status, _) = web
        .bytes(&format!("/practices/{practice}/attachments/{attachment}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A write says why.
    let r = broker
        .post(&format!("/api/v1/practices/{practice}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "mandate_expired");
    assert_eq!(
        problem["detail"],
        "Il mandato di LIGURE EXPORT S.R.L. è scaduto il 30/11/2026."
    );
}

/// Issue 15, item 2: a read-only user is not offered what they may not do — no "Nuova
/// pratica", no models, no mandates in the menu and on the home page; no attaching, sending
/// or deleting on the practice page — while a user who sends sees all of it.
async fn a_read_only_user_is_not_offered_what_they_may_not_do(engine: Engine) {
    let app = setup(engine).await;
    let (practice, _, _) = draft(&app).await;
    let reader = Browser::login(&app, READER, PASSWORD).await;
    let (_, home) = reader.get("/").await;
    for href in ["href=\"/models/new\"", "href=\"/company/mandates\""] {
        assert!(!home.contains(href), "{href} offered to a reader");
    }
    assert!(
        home.contains("href=\"/practices\""),
        "the reader reads the practices"
    );
    let (status, page) = reader.get(&format!("/practices/{practice}")).await;
    assert_eq!(status, StatusCode::OK);
    for action in ["/send\"", "/attachments\"", "delete-practice", "/delete\""] {
        assert!(!page.contains(action), "{action} offered to a reader");
    }
    let (giulia, password) = TestApp::demo_login(Role::Company);
    let sender = Browser::login(&app, giulia, password).await;
    let (_, home) = sender.get("/").await;
    assert!(home.contains("href=\"/models/new\""));
    let (_, page) = sender.get(&format!("/practices/{practice}")).await;
    assert!(page.contains("data-testid=\"send\""));
    assert!(page.contains("/attachments\""));
    // A preparing user attaches but does not send.
    let preparer = Browser::login(&app, PREPARER, PASSWORD).await;
    let (_, page) = preparer.get(&format!("/practices/{practice}")).await;
    assert!(page.contains("/attachments\""));
    assert!(!page.contains("data-testid=\"send\""));
}
