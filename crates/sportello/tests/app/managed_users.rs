//! Issue 14, item 5: the company users a chamber administrator manages are kept in
//! `chamber_company_users` (chamber, e-mail, user), written with every change to what the
//! rule of `offboarding::manages` reads, so the administrator's users page reads one range
//! of its key a page at a time. The table must equal the rule after any sequence of links,
//! unlinks, first practices with a chamber and e-mail changes made through the real
//! functions, and its statements must read index ranges bounded by the page.

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::trade::{DETAILS, Erp, LIGURE, TIGULLIO, co_form, other_company_user, sign};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use sportello_core::accounts::company_users::{self, Invited};
use sportello_core::accounts::{self, NewUser, Principal, Role, managed_users, offboarding};
use sportello_core::audit::Actor;
use sportello_core::chambers::{self, ChamberCode, DeskCode, settings::Setting};
use sportello_core::db::Engine;
use sportello_core::paging::{Cursor, Key, Keyset, reads_by_index};
use sportello_core::registry::TaxCode;
use std::collections::BTreeSet;

engine_tests!(
    the_managed_users_table_equals_the_rule_after_random_changes,
    the_company_users_are_read_from_one_range_of_the_chambers_managed_users,
);

/// (chamber, e-mail, user) as stored.
type Row = (String, String, String);

async fn stored(app: &TestApp) -> BTreeSet<Row> {
    sqlx::query_as::<_, Row>("SELECT chamber_id, email, user_id FROM chamber_company_users")
        .fetch_all(app.state.db.pool())
        .await
        .expect("stored rows")
        .into_iter()
        .collect()
}

/// The rule of `offboarding::manages`, computed from the tables it reads.
async fn by_the_rule(app: &TestApp) -> BTreeSet<Row> {
    sqlx::query_as::<_, Row>(
        "SELECT DISTINCT cc.chamber_id, u.email, u.id FROM users u \
         JOIN user_companies uc ON uc.user_id = u.id \
         JOIN chamber_companies cc ON cc.company_id = uc.company_id \
         WHERE u.role = 'company'",
    )
    .fetch_all(app.state.db.pool())
    .await
    .expect("rule rows")
    .into_iter()
    .collect()
}

/// A valid personal tax code made from `n`: the check character is the one the parser
/// accepts.
fn tax_code(n: usize) -> String {
    let letters = |k: usize| -> String {
        let a = b'A' + u8::try_from(k % 26).expect("letter");
        let b = b'A' + u8::try_from((k / 26) % 26).expect("letter");
        format!("{}{}", char::from(a), char::from(b))
    };
    let stem = format!("RSS{}X80A01H501", letters(n));
    ('A'..='Z')
        .map(|c| format!("{stem}{c}"))
        .find(|code| TaxCode::parse(code).is_ok_and(|t| t.is_personal()))
        .expect("a check character")
}

async fn company_id(app: &TestApp, tax_code: &str) -> String {
    sportello_core::registry::find_company_by_tax_code(
        &app.state.db,
        &TaxCode::parse(tax_code).expect("tax code"),
    )
    .await
    .expect("company")
    .expect("company")
    .id
}

/// Savona, a second chamber with one desk, accepting companies of other provinces.
async fn savona(app: &TestApp) -> String {
    let sv = chambers::create_chamber(
        &app.state,
        &Actor::cli(),
        &ChamberCode::parse("SV").expect("code"),
        "Camera di Commercio delle Riviere di Liguria",
    )
    .await
    .expect("chamber");
    chambers::create_desk(
        &app.state,
        &Actor::cli(),
        &sv,
        &DeskCode::parse("SV-SAVONA").expect("desk code"),
        "Savona",
    )
    .await
    .expect("desk");
    let mut tx = app.state.db.begin().await.expect("tx");
    chambers::settings::set(
        &mut tx,
        app.state.clock.now(),
        &sv.id,
        Setting::AcceptOtherCompanies,
        "true",
    )
    .await
    .expect("setting");
    tx.commit().await.expect("commit");
    // The demo signing CA trusted by every chamber.
    sqlx::query("UPDATE trust_anchors SET chamber_id = NULL")
        .execute(app.state.db.pool())
        .await
        .expect("anchors");
    sv.id
}

/// A practice of `company` for `desk`, as the company's ERP uploads it.
async fn practice(erp: &Erp, company: &str, desk: &str) {
    let model = erp.new_model(company, co_form()).await;
    let signed = sign(&erp.xml(&model).await, "giulia");
    let mut fields: Vec<(&str, &str)> = DETAILS
        .iter()
        .copied()
        .filter(|(k, _)| *k != "desk" && *k != "print_mode")
        .collect();
    fields.push(("desk", desk));
    fields.push(("print_mode", "form"));
    let r = erp.upload(signed, &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

/// Every user an administrator's list shows, page after page (pages of 3).
async fn listed(app: &TestApp, admin: &Principal) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut request = Keyset::first(3);
    loop {
        let page = offboarding::managed_users_page(&app.state.db, admin, &request)
            .await
            .expect("page");
        for u in &page.items {
            assert!(seen.insert(u.id.clone()), "{} listed twice", u.email);
        }
        match page.next {
            Some(next) => {
                request = Keyset {
                    cursor: Cursor::After(next),
                    size: 3,
                }
            }
            None => return seen,
        }
    }
}

/// The table against the rule, and each administrator's list and count against `manages`.
async fn check(app: &TestApp, admins: &[Principal], step: &str) {
    assert_eq!(stored(app).await, by_the_rule(app).await, "after {step}");
    let everyone: Vec<String> = sqlx::query_scalar("SELECT id FROM users")
        .fetch_all(app.state.db.pool())
        .await
        .expect("users");
    for admin in admins {
        let mut managed = BTreeSet::new();
        for id in &everyone {
            let user = accounts::get(&app.state.db, id)
                .await
                .expect("user")
                .expect("user");
            if offboarding::manages(&app.state.db, admin, &user)
                .await
                .expect("manages")
            {
                managed.insert(user.id);
            }
        }
        assert_eq!(listed(app, admin).await, managed, "after {step}");
        let count = offboarding::managed_users_count(&app.state.db, admin)
            .await
            .expect("count");
        assert_eq!(count, managed.len() as u64, "after {step}");
    }
}

async fn principal(app: &TestApp, email: &str, acting: Option<String>) -> Principal {
    let user = accounts::find_by_email(&app.state.db, email)
        .await
        .expect("user")
        .expect("user");
    accounts::load_principal(&app.state, &user.id, acting)
        .await
        .expect("principal")
        .expect("principal")
}

/// Issue 14: `chamber_company_users` equals the rule of `manages` after a random sequence of
/// users created with companies, invitations taken up at once, removals, first (and later)
/// practices with two chambers and e-mail changes, on the real functions; the lists and
/// counts of both chambers' administrators match `manages` after each step.
async fn the_managed_users_table_equals_the_rule_after_random_changes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let sv = savona(&app).await;
    let ligure = company_id(&app, LIGURE).await;
    let tigullio = company_id(&app, TIGULLIO).await;
    let sv_admin = accounts::create_user(
        &app.state,
        &Actor::cli(),
        NewUser {
            email: "admin@sv.test".into(),
            name: "Amministratore SV".into(),
            password: "password-di-prova".into(),
            role: Role::ChamberAdmin,
            chamber_id: Some(sv.clone()),
            desk_ids: Vec::new(),
            company_ids: Vec::new(),
            tax_code: None,
        },
    )
    .await
    .expect("SV admin");
    let admins = [
        principal(&app, TestApp::demo_login(Role::ChamberAdmin).0, None).await,
        principal(&app, &sv_admin.email, None).await,
    ];
    // Ligure's legal representative (the demo company user) invites and removes its users.
    let giulia_email = TestApp::demo_login(Role::Company).0;
    let representative = principal(&app, giulia_email, Some(ligure.clone())).await;
    let giulia = Erp::demo(&app, Role::Company).await;
    giulia.complete_profile(LIGURE).await;
    let marta = other_company_user(&app).await;
    marta.complete_profile(TIGULLIO).await;
    check(&app, &admins, "the set-up").await;

    let mut rng = StdRng::seed_from_u64(14);
    let mut people: Vec<(String, String)> = Vec::new(); // (user id, tax code)
    let mut kinds = BTreeSet::new();
    for step in 0..28 {
        let what = if people.is_empty() {
            0
        } else {
            rng.random_range(0..5)
        };
        kinds.insert(what);
        let label = match what {
            // A company user created with one or both companies.
            0 => {
                let n = people.len();
                let code = tax_code(n);
                let companies = match rng.random_range(0..3) {
                    0 => vec![ligure.clone()],
                    1 => vec![tigullio.clone()],
                    _ => vec![ligure.clone(), tigullio.clone()],
                };
                let user = accounts::create_user(
                    &app.state,
                    &Actor::cli(),
                    NewUser {
                        email: format!("persona-{n}@prova.test"),
                        name: format!("Persona {n}"),
                        password: "password-di-prova".into(),
                        role: Role::Company,
                        chamber_id: None,
                        desk_ids: Vec::new(),
                        company_ids: companies.clone(),
                        tax_code: Some(TaxCode::parse(&code).expect("code")),
                    },
                )
                .await
                .expect("create");
                people.push((user.id, code));
                format!("creating a user with {companies:?}")
            }
            // Invited to Ligure by its representative: linked at once.
            1 => {
                let (id, code) = people[rng.random_range(0..people.len())].clone();
                match company_users::invite(
                    &app.state,
                    &representative,
                    &ligure,
                    &code,
                    "invito@prova.test",
                    "send",
                )
                .await
                {
                    Ok(Invited::Linked { user_id }) => assert_eq!(user_id, id),
                    Ok(Invited::Pending { .. }) => panic!("the account exists"),
                    Err(company_users::ManageError::AlreadyLinked) => {}
                    Err(e) => panic!("invite: {e}"),
                }
                format!("inviting {id}")
            }
            // Removed from Ligure by its representative.
            2 => {
                let (id, _) = people[rng.random_range(0..people.len())].clone();
                company_users::remove(&app.state, &representative, &ligure, &id)
                    .await
                    .expect("remove");
                format!("removing {id}")
            }
            // A practice of either company for either chamber (the first makes the pair).
            3 => {
                let (erp, company) = if rng.random_bool(0.5) {
                    (&giulia, LIGURE)
                } else {
                    (&marta, TIGULLIO)
                };
                let desk = if rng.random_bool(0.5) {
                    "GE-GENOVA"
                } else {
                    "SV-SAVONA"
                };
                practice(erp, company, desk).await;
                format!("a practice of {company} for {desk}")
            }
            // An e-mail changed. No use case changes one yet; a change must refresh the
            // table in its transaction, as here.
            _ => {
                let (id, _) = people[rng.random_range(0..people.len())].clone();
                let mut tx = app.state.db.begin().await.expect("tx");
                sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
                    .bind(&id)
                    .bind(format!("cambiata-{step}@prova.test"))
                    .execute(&mut *tx)
                    .await
                    .expect("e-mail");
                managed_users::refresh_user(&mut tx, &id, None)
                    .await
                    .expect("refresh");
                tx.commit().await.expect("commit");
                format!("changing the e-mail of {id}")
            }
        };
        check(&app, &admins, &format!("step {step}, {label}")).await;
    }
    // Every kind of change happened, and both chambers manage someone.
    assert_eq!(kinds.len(), 5, "kinds of change made: {kinds:?}");
    let rows = stored(&app).await;
    for admin in &admins {
        let chamber = admin.user.chamber_id.clone().expect("chamber");
        assert!(
            rows.iter().any(|(c, ..)| *c == chamber),
            "{chamber} manages nobody: the sequence missed its first practice"
        );
    }
}

/// The index a primary key gets: SQLite names it after the table.
fn key_index(engine: Engine, table: &str) -> String {
    match engine {
        Engine::Sqlite => format!("sqlite_autoindex_{table}_1"),
        Engine::Postgres => format!("{table}_pkey"),
    }
}

/// Issue 14: the company users an administrator manages are one range of
/// `chamber_company_users`' key, (chamber, e-mail, user) from the cursor, at most a page and
/// a row, each user then read by its key: bounded by the page, whatever the chamber's size.
async fn the_company_users_are_read_from_one_range_of_the_chambers_managed_users(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let chamber: String = sqlx::query_scalar("SELECT chamber_id FROM users WHERE email = $1")
        .bind(TestApp::demo_login(Role::ChamberAdmin).0)
        .fetch_one(app.state.db.pool())
        .await
        .expect("chamber");
    let key = Key::new("m@example.it", "0190ffff-ffff-7fff-8fff-ffffffffffff");
    for from in [None, Some(&key)] {
        let plans = offboarding::managed_users_plans(&app.state.db, &chamber, from)
            .await
            .expect("plans");
        let [_, companies] = plans.as_slice() else {
            panic!("two statements: {plans:?}");
        };
        let table = "chamber_company_users";
        if let Err(problem) = reads_by_index(companies, table, &key_index(engine, table)) {
            panic!("{from:?}: {problem}");
        }
        if let Err(problem) = reads_by_index(companies, "users", &key_index(engine, "users")) {
            panic!("{from:?}: {problem}");
        }
        let text = companies.join("\n");
        match engine {
            Engine::Sqlite => assert!(
                companies
                    .iter()
                    .any(|l| l.contains("SEARCH m ") && l.contains("(chamber_id=?")),
                "{from:?}: the chamber's range\n{text}"
            ),
            Engine::Postgres => assert!(
                companies[0].trim_start().starts_with("Limit"),
                "{from:?}: cut at the page\n{text}"
            ),
        }
    }
}
