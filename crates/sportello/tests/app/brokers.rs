//! Customs brokers and other intermediaries acting for companies under scoped mandates (issue
//! 15, item 3): granted by the company's legal representative on its page or by a delegation
//! the representative signed, revocable by either side, enforced on every write of the
//! intermediary's users (models, practices, sending and so the client's wallet), recorded on
//! what they made, and listed across clients.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::trade::{DETAILS, Erp, LIGURE, TIGULLIO, co_form, sign, small_pdf};
use chrono::TimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sportello_core::accounts::Role;
use sportello_core::chambers::{self, ChamberCode};
use sportello_core::db::Engine;
use sportello_core::demo::DEMO_INTERMEDIARY;

struct Setup {
    app: TestApp,
    /// The demo customs broker's user, through the API and through the pages.
    broker: Erp,
    broker_web: Browser,
    /// The demo company user, Ligure Export's legal representative.
    rep: Browser,
    intermediary_id: String,
    ge: String,
}

async fn setup(engine: Engine) -> Setup {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (_, _, _, email, _, password) = DEMO_INTERMEDIARY;
    let broker = Erp::login(&app, email, password).await;
    let broker_web = Browser::login(&app, email, password).await;
    let (rep_email, rep_password) = TestApp::demo_login(Role::Company);
    let rep = Browser::login(&app, rep_email, rep_password).await;
    let intermediary_id = sportello_core::intermediary::list(&app.state.db)
        .await
        .unwrap()
        .remove(0)
        .id;
    let ge = chambers::find_chamber_by_code(&app.state.db, "GE")
        .await
        .unwrap()
        .unwrap()
        .id;
    Setup {
        app,
        broker,
        broker_web,
        rep,
        intermediary_id,
        ge,
    }
}

impl Setup {
    /// The representative grants the demo broker a mandate on the company page.
    async fn grant(
        &self,
        types: &[&str],
        chambers: &[&str],
        from: &str,
        to: &str,
    ) -> (StatusCode, Option<String>, String) {
        self.rep.get("/company/mandates").await;
        let mut fields: Vec<(&str, &str)> = vec![("intermediary_id", &self.intermediary_id)];
        fields.extend(types.iter().map(|t| ("practice_types", *t)));
        fields.extend(chambers.iter().map(|c| ("chamber_ids", *c)));
        fields.push(("valid_from", from));
        fields.push(("valid_to", to));
        self.rep.post_form("/company/mandates", &fields).await
    }

    async fn grant_ok(&self, types: &[&str], chambers: &[&str], from: &str, to: &str) -> String {
        let (status, location, body) = self.grant(types, chambers, from, to).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(
            location.as_deref(),
            Some("/company/mandates?notice=granted")
        );
        latest_mandate(&self.app).await
    }

    /// A model of `practice_type` for Ligure Export, as the broker asks for it.
    async fn model_request(&self, practice_type: &str) -> reqwest::Response {
        let site = self.broker.head_office(LIGURE).await;
        self.broker
            .post("/api/v1/models")
            .json(&json!({"type": practice_type, "company_tax_code": LIGURE, "site_id": site, "form": co_form()}))
            .send()
            .await
            .unwrap()
    }
}

async fn latest_mandate(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT id FROM intermediary_mandates ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn column(app: &TestApp, sql: &'static str, id: &str) -> Option<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// A refusal of the API: status 403, its code and its Italian sentence.
async fn refused(r: reqwest::Response) -> (String, String) {
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p: Value = r.json().await.unwrap();
    (
        p["code"].as_str().unwrap_or_default().to_string(),
        p["detail"].as_str().unwrap_or_default().to_string(),
    )
}

fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

engine_tests!(
    mandate_lets_the_broker_act_only_for_its_practice_types,
    mandate_refuses_another_chamber_and_days_outside_it_and_says_why,
    mandate_revoked_by_either_side_refuses_and_tells_the_other,
    only_the_representative_grants_and_only_the_parties_revoke,
    who_acted_for_whom_is_recorded_and_shown_to_everyone_concerned,
    broker_lists_span_its_clients_with_a_filter,
    mandate_granted_by_a_delegation_signed_by_the_representative,
);

async fn mandate_lets_the_broker_act_only_for_its_practice_types(engine: Engine) {
    let s = setup(engine).await;
    // No mandate: the client is not the broker's, and its companies list is empty.
    let (code, _) = refused(
        s.broker
            .post("/api/v1/models")
            .json(&json!({"type": "certificate_of_origin", "company_tax_code": LIGURE, "site_id": "x", "form": {}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, "forbidden");
    let (status, _) = s.broker_web.get("/models").await;
    assert_eq!(status, StatusCode::OK, "the broker's list, empty");

    s.grant_ok(
        &["certificate_of_origin"],
        &[&s.ge],
        "2026-11-25",
        "2026-12-20",
    )
    .await;
    // Within scope: a certificate-of-origin model.
    let r = s.model_request("certificate_of_origin").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let model: Value = r.json().await.unwrap();
    // Out of scope: an invoice visa, refused naming the company and the type.
    let (code, detail) = refused(s.model_request("invoice_visa").await).await;
    assert_eq!(code, "mandate_type_not_covered");
    assert_eq!(
        detail,
        "Il mandato di LIGURE EXPORT S.R.L. non copre i visti su fattura."
    );
    // Editing within scope is allowed.
    let r = s
        .broker
        .put(&format!("/api/v1/models/{}", model["id"].as_str().unwrap()))
        .json(&json!({"form": co_form()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The company's own user is unaffected by the mandate: any type, no intermediary.
    let company = Erp::demo(&s.app, Role::Company).await;
    let site = company.head_office(LIGURE).await;
    let r = company
        .post("/api/v1/models")
        .json(&json!({"type": "invoice_visa", "company_tax_code": LIGURE, "site_id": site, "form": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let own: Value = r.json().await.unwrap();
    assert_eq!(
        column(
            &s.app,
            "SELECT intermediary_id FROM base_models WHERE id = $1",
            own["id"].as_str().unwrap()
        )
        .await,
        None
    );
    // The web form says the same as the API.
    s.broker_web.get("/company").await;
    let company_id = sportello_core::registry::find_company_by_tax_code(
        &s.app.state.db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    s.broker_web
        .post_form("/company", &[("company_id", &company_id)])
        .await;
    let (status, _, body) = s
        .broker_web
        .post_form(
            "/models",
            &[("site_id", &site), ("practice_type", "invoice_visa")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("non copre i visti su fattura"), "{body}");
}

async fn mandate_refuses_another_chamber_and_days_outside_it_and_says_why(engine: Engine) {
    let s = setup(engine).await;
    let mi = chambers::create_chamber(
        &s.app.state,
        &sportello_core::audit::Actor::cli(),
        &ChamberCode::parse("MI").unwrap(),
        "Camera di Commercio di Milano",
    )
    .await
    .unwrap();
    // A mandate for Milan only: the model may be prepared, not presented at Genoa.
    s.grant_ok(
        &["certificate_of_origin"],
        &[&mi.id],
        "2026-11-25",
        "2026-12-20",
    )
    .await;
    let r = s.model_request("certificate_of_origin").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let model: Value = r.json().await.unwrap();
    let model_id = model["id"].as_str().unwrap();
    s.broker.complete_profile(LIGURE).await;
    let signed = sign(&s.broker.xml(model_id).await, "giulia");
    let (code, detail) = refused(s.broker.upload(signed.clone(), &DETAILS).await).await;
    assert_eq!(code, "mandate_chamber_not_covered");
    assert_eq!(
        detail,
        "Il mandato di LIGURE EXPORT S.R.L. non copre la Camera di Commercio di Genova."
    );
    // A mandate that starts later: refused until its first day, naming it.
    s.grant_ok(
        &["certificate_of_origin"],
        &[&s.ge],
        "2026-12-01",
        "2026-12-10",
    )
    .await;
    let (code, detail) = refused(s.broker.upload(signed.clone(), &DETAILS).await).await;
    assert_eq!(code, "mandate_not_started");
    assert_eq!(
        detail,
        "Il mandato di LIGURE EXPORT S.R.L. inizia il 01/12/2026."
    );
    // On its first day it covers the practice.
    s.app.clock.set(at(2026, 12, 1));
    let r = s.broker.upload(signed.clone(), &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice: Value = r.json().await.unwrap();
    let id = practice["id"].as_str().unwrap();
    let r = s.broker.attach(id, small_pdf(), "invoice").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // After its last day nothing goes: no sending (no charge), no new model.
    s.app.clock.set(at(2026, 12, 11));
    let r = s
        .broker
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    let (code, detail) = refused(r).await;
    assert_eq!(code, "mandate_expired");
    assert_eq!(
        detail,
        "Il mandato di LIGURE EXPORT S.R.L. è scaduto il 10/12/2026."
    );
    let charged: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM wallet_entries WHERE practice_id = $1")
            .bind(id)
            .fetch_one(s.app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(charged, 0);
    // The Milan mandate, still running, lets the broker prepare models (they name no chamber).
    assert_eq!(
        s.model_request("certificate_of_origin").await.status(),
        StatusCode::CREATED
    );
}

async fn mandate_revoked_by_either_side_refuses_and_tells_the_other(engine: Engine) {
    let s = setup(engine).await;
    let first = s
        .grant_ok(
            &["certificate_of_origin"],
            &[&s.ge],
            "2026-11-25",
            "2026-12-20",
        )
        .await;
    assert_eq!(
        s.model_request("certificate_of_origin").await.status(),
        StatusCode::CREATED
    );
    s.app.run_jobs().await;
    let granted = s.app.smtp.messages();
    assert!(
        granted.iter().any(
            |m| m.to == vec!["ufficio@rossi-spedizioni.test".to_string()]
                && m.data.contains("Mandato ricevuto")
        ),
        "the broker is told of the mandate"
    );
    // The company revokes: the broker is refused and told.
    let (status, location, _) = s
        .rep
        .post_form(&format!("/mandates/{first}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/company/mandates?notice=revoked")
    );
    let (code, detail) = refused(s.model_request("certificate_of_origin").await).await;
    assert_eq!(code, "mandate_revoked");
    assert_eq!(
        detail,
        "Il mandato di LIGURE EXPORT S.R.L. è stato revocato il 25/11/2026."
    );
    s.app.run_jobs().await;
    let mail = s.app.smtp.messages();
    assert!(
        mail.iter().any(
            |m| m.to == vec!["ufficio@rossi-spedizioni.test".to_string()]
                && m.data.contains("revocato")
        ),
        "the broker is told of the revocation"
    );
    // Revoking twice says so.
    let (status, _, _) = s
        .rep
        .post_form(&format!("/mandates/{first}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A new mandate, then the broker gives it up: refused, and the representative is told.
    let second = s
        .grant_ok(
            &["certificate_of_origin"],
            &[&s.ge],
            "2026-11-25",
            "2026-12-20",
        )
        .await;
    assert_eq!(
        s.model_request("certificate_of_origin").await.status(),
        StatusCode::CREATED
    );
    s.broker_web.get("/clients").await;
    let (status, location, _) = s
        .broker_web
        .post_form(&format!("/mandates/{second}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/clients?notice=revoked"));
    let (code, _) = refused(s.model_request("certificate_of_origin").await).await;
    assert_eq!(code, "mandate_revoked");
    s.app.run_jobs().await;
    let (rep_email, _) = TestApp::demo_login(Role::Company);
    assert!(
        s.app
            .smtp
            .messages()
            .iter()
            .any(|m| m.to == vec![rep_email.to_string()] && m.data.contains("rinunciato")),
        "the company's representative is told"
    );
    // Both revocations are in the audit trail, with their side.
    let sides: Vec<String> = sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'intermediary_mandate.revoke' ORDER BY seq",
    )
    .fetch_all(s.app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(sides.len(), 2);
    assert!(sides[0].contains("\"side\":\"company\""));
    assert!(sides[1].contains("\"side\":\"intermediary\""));
    // The clients page shows both, revoked, with who revoked.
    let (_, page) = s.broker_web.get("/clients").await;
    assert!(
        page.contains("Revocato dall&#39;impresa il 25/11/2026")
            || page.contains("Revocato dall'impresa il 25/11/2026"),
        "{page}"
    );
    assert!(page.contains("intermediario il 25/11/2026"), "{page}");
}

async fn only_the_representative_grants_and_only_the_parties_revoke(engine: Engine) {
    let s = setup(engine).await;
    let mandate = s
        .grant_ok(
            &["certificate_of_origin"],
            &[&s.ge],
            "2026-11-25",
            "2026-12-20",
        )
        .await;
    // A company user who is not the representative sees the mandates, grants nothing and
    // revokes nothing.
    sqlx::query("UPDATE user_companies SET reason = NULL")
        .execute(s.app.state.db.pool())
        .await
        .unwrap();
    let (_, page) = s.rep.get("/company/mandates").await;
    assert!(
        page.contains("data-testid=\"not-representative\""),
        "{page}"
    );
    let (status, _, _) = s
        .grant(
            &["certificate_of_origin"],
            &[&s.ge],
            "2026-11-25",
            "2026-12-20",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = s
        .rep
        .post_form(&format!("/mandates/{mandate}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A user of another company cannot even see it.
    let other = crate::trade::other_company_user(&s.app).await;
    drop(other);
    let other_web = Browser::login(&s.app, "export@tigullio.test", "tigullio-password").await;
    let (status, _, _) = other_web
        .post_form(&format!("/mandates/{mandate}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The clients page is the intermediary's: a company user is sent to the company's mandates.
    let (status, _) = other_web.get("/clients").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Staff roles reach none of these pages.
    for role in [Role::Officer, Role::ChamberAdmin, Role::Auditor] {
        let (email, password) = TestApp::demo_login(role);
        let b = Browser::login(&s.app, email, password).await;
        for path in ["/company/mandates", "/clients"] {
            let (status, _) = b.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {path}");
        }
        let (status, _, _) = b
            .post_form(&format!("/mandates/{mandate}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    // Bad input is named and nothing is granted.
    sqlx::query("UPDATE user_companies SET reason = 'representative'")
        .execute(s.app.state.db.pool())
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM intermediary_mandates")
        .fetch_one(s.app.state.db.pool())
        .await
        .unwrap();
    let (status, _, body) = s.grant(&[], &[&s.ge], "2026-11-25", "2026-12-20").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Scegli almeno un tipo di pratica"), "{body}");
    let (status, _, body) = s
        .grant(
            &["certificate_of_origin"],
            &[&s.ge],
            "2026-12-20",
            "2026-12-01",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("viene prima di quella di inizio"), "{body}");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM intermediary_mandates")
        .fetch_one(s.app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(before, after);
}

async fn who_acted_for_whom_is_recorded_and_shown_to_everyone_concerned(engine: Engine) {
    let s = setup(engine).await;
    s.grant_ok(
        &["certificate_of_origin"],
        &[&s.ge],
        "2026-11-25",
        "2026-12-20",
    )
    .await;
    let r = s.model_request("certificate_of_origin").await;
    let model: Value = r.json().await.unwrap();
    let model_id = model["id"].as_str().unwrap();
    assert_eq!(
        column(
            &s.app,
            "SELECT intermediary_id FROM base_models WHERE id = $1",
            model_id
        )
        .await
        .as_deref(),
        Some(s.intermediary_id.as_str())
    );
    s.broker.complete_profile(LIGURE).await;
    let signed = sign(&s.broker.xml(model_id).await, "giulia");
    let r = s.broker.upload(signed, &DETAILS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let practice: Value = r.json().await.unwrap();
    let id = practice["id"].as_str().unwrap();
    assert_eq!(
        s.broker.attach(id, small_pdf(), "invoice").await.status(),
        StatusCode::CREATED
    );
    let r = s
        .broker
        .post(&format!("/api/v1/practices/{id}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // The practice and the charge on the client's wallet name the intermediary.
    assert_eq!(
        column(
            &s.app,
            "SELECT intermediary_id FROM practices WHERE id = $1",
            id
        )
        .await
        .as_deref(),
        Some(s.intermediary_id.as_str())
    );
    assert_eq!(
        column(
            &s.app,
            "SELECT intermediary_id FROM wallet_entries WHERE practice_id = $1 AND kind = 'charge'",
            id
        )
        .await
        .as_deref(),
        Some(s.intermediary_id.as_str())
    );
    // So do the audit entries of what the broker did.
    for action in [
        "base_model.create",
        "practice.create",
        "practice.send",
        "wallet.charge",
    ] {
        let after: Vec<String> = sqlx::query_scalar(
            "SELECT after_json FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(action)
        .fetch_all(s.app.state.db.pool())
        .await
        .unwrap();
        assert!(
            after.first().is_some_and(|a| a.contains(&format!(
                "\"acting_intermediary_id\":\"{}\"",
                s.intermediary_id
            ))),
            "{action}: {after:?}"
        );
    }
    // The practice page says who presented it for whom: to the company, the broker, the office.
    let sentence = "Presentata da Rossi Spedizioni S.r.l. per conto di LIGURE EXPORT S.R.L.";
    let (_, page) = s.rep.get(&format!("/practices/{id}")).await;
    assert!(page.contains(sentence), "company: {page}");
    let (_, page) = s.broker_web.get(&format!("/practices/{id}")).await;
    assert!(page.contains(sentence), "broker: {page}");
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&s.app, email, password).await;
    let (status, page) = officer.get(&format!("/desk/practices/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(sentence), "officer: {page}");
}

async fn broker_lists_span_its_clients_with_a_filter(engine: Engine) {
    let s = setup(engine).await;
    s.grant_ok(
        &["certificate_of_origin"],
        &[&s.ge],
        "2026-11-25",
        "2026-12-20",
    )
    .await;
    // Tigullio Meccanica's representative grants a mandate too.
    let _ = crate::trade::other_company_user(&s.app).await;
    sqlx::query("UPDATE user_companies SET reason = 'representative'")
        .execute(s.app.state.db.pool())
        .await
        .unwrap();
    let tigullio = Browser::login(&s.app, "export@tigullio.test", "tigullio-password").await;
    tigullio.get("/company/mandates").await;
    let (status, _, body) = tigullio
        .post_form(
            "/company/mandates",
            &[
                ("intermediary_id", &s.intermediary_id),
                ("practice_types", "certificate_of_origin"),
                ("chamber_ids", &s.ge),
                ("valid_from", "2026-11-25"),
                ("valid_to", "2026-12-20"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    // A model for each client.
    assert_eq!(
        s.model_request("certificate_of_origin").await.status(),
        StatusCode::CREATED
    );
    let site = s.broker.head_office(TIGULLIO).await;
    let r = s
        .broker
        .post("/api/v1/models")
        .json(&json!({"type": "certificate_of_origin", "company_tax_code": TIGULLIO, "site_id": site, "form": co_form()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // The clients page lists both mandates, active.
    let (_, page) = s.broker_web.get("/clients").await;
    assert!(page.contains("LIGURE EXPORT S.R.L."), "{page}");
    assert!(page.to_uppercase().contains("TIGULLIO"), "{page}");
    assert_eq!(page.matches(">Attivo<").count(), 2, "{page}");
    // The models list spans both clients; the filter keeps one.
    let (_, page) = s.broker_web.get("/models").await;
    assert_eq!(page.matches("data-testid=\"client\"").count(), 2, "{page}");
    let ligure_id = sportello_core::registry::find_company_by_tax_code(
        &s.app.state.db,
        &sportello_core::registry::TaxCode::parse(LIGURE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let (_, page) = s
        .broker_web
        .get(&format!("/models?company_id={ligure_id}"))
        .await;
    assert_eq!(page.matches("data-testid=\"client\"").count(), 1, "{page}");
    // The practices list too: a practice per client, filtered by client.
    s.broker.complete_profile(LIGURE).await;
    s.broker.complete_profile(TIGULLIO).await;
    for tax_code in [LIGURE, TIGULLIO] {
        let model = s.broker.new_model(tax_code, co_form()).await;
        // Signed by Giulia Bianchi: Ligure Export's representative, a stranger to Tigullio,
        // whose practice the chamber may refuse for it; Ligure's goes through.
        let r = s
            .broker
            .upload(sign(&s.broker.xml(&model).await, "giulia"), &DETAILS)
            .await;
        if tax_code == LIGURE {
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    }
    let (_, page) = s.broker_web.get("/practices?list=to_send").await;
    assert!(page.contains("data-testid=\"client-filter\""), "{page}");
    let all = page.matches("data-testid=\"client\"").count();
    assert!(all >= 1, "{page}");
    let (_, page) = s
        .broker_web
        .get(&format!("/practices?list=to_send&company_id={ligure_id}"))
        .await;
    assert_eq!(page.matches("data-testid=\"client\"").count(), 1, "{page}");
    // A company id that is not a client's shows nothing of it.
    let (_, page) = s
        .broker_web
        .get("/practices?list=to_send&company_id=someone-else")
        .await;
    assert_eq!(page.matches("data-testid=\"client\"").count(), 0, "{page}");
}

async fn mandate_granted_by_a_delegation_signed_by_the_representative(engine: Engine) {
    let s = setup(engine).await;
    let upload = |file: Vec<u8>, name: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("company_tax_code", LIGURE)
            .text("valid_from", "2026-11-25")
            .text("valid_to", "2026-12-20")
            .text("type_certificate_of_origin", "on")
            .text(format!("chamber_{}", s.ge), "on")
            .part(
                "delegation",
                reqwest::multipart::Part::bytes(file).file_name(name),
            );
        s.broker_web.post_multipart("/clients/delegation", form)
    };
    s.broker_web.get("/clients").await;
    // Not signed: refused, nothing granted.
    let (status, _, body) = upload(small_pdf(), "delega.pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("non è firmato digitalmente"), "{body}");
    assert_eq!(
        s.model_request("certificate_of_origin").await.status(),
        StatusCode::FORBIDDEN
    );
    // Signed by Giulia Bianchi, Ligure Export's legal representative: the mandate is active.
    let (status, location, body) = upload(sign(&small_pdf(), "giulia"), "delega.pdf.p7m").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.as_deref(), Some("/clients?notice=granted"));
    let id = latest_mandate(&s.app).await;
    assert_eq!(
        column(
            &s.app,
            "SELECT granted_via FROM intermediary_mandates WHERE id = $1",
            &id
        )
        .await
        .as_deref(),
        Some("delegation")
    );
    assert!(
        column(
            &s.app,
            "SELECT delegation_blob FROM intermediary_mandates WHERE id = $1",
            &id
        )
        .await
        .is_some(),
        "the delegation is kept"
    );
    assert_eq!(
        s.model_request("certificate_of_origin").await.status(),
        StatusCode::CREATED
    );
    // Its scope holds as any other mandate's.
    let (code, _) = refused(s.model_request("invoice_visa").await).await;
    assert_eq!(code, "mandate_type_not_covered");
}
