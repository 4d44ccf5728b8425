//! `sportello demo`: a demo chamber (GE, desks Genova and Chiavari), companies from the
//! registry sample, and one user per role. Idempotent: running it again changes nothing
//! and prints the same logins.

use crate::Ctx;
use crate::accounts::{self, NewUser, Role};
use crate::audit::Actor;
use crate::chambers::{self, ChamberCode, DeskCode};
use crate::registry::{self, ImportOptions, TaxCode};

/// The demo logins: role, e-mail, name, password. Demo only; a real chamber creates its
/// users with `sportello admin user add`.
pub const DEMO_USERS: [(Role, &str, &str, &str); 10] = [
    (
        Role::Company,
        "impresa@demo.sportello.test",
        "Giulia Bianchi (Ligure Export S.r.l.)",
        "demo-impresa-2026",
    ),
    (
        Role::Officer,
        "estero@demo.sportello.test",
        "Paolo Verdi",
        "demo-estero-2026",
    ),
    (
        Role::ChamberAdmin,
        "admin@demo.sportello.test",
        "Anna Neri",
        "demo-admin-2026",
    ),
    (
        Role::MasterRao,
        "masterrao@demo.sportello.test",
        "Luca Galli",
        "demo-masterrao-2026",
    ),
    (
        Role::MasterRaoOrdinary,
        "masterrao2@demo.sportello.test",
        "Davide Serra",
        "demo-masterrao2-2026",
    ),
    (
        Role::Rao,
        "rao@demo.sportello.test",
        "Sara Costa",
        "demo-rao-2026",
    ),
    (
        Role::Odr,
        "odr@demo.sportello.test",
        "Marco Riva",
        "demo-odr-2026",
    ),
    (
        Role::Ir,
        "ir@demo.sportello.test",
        "Elena Fabbri",
        "demo-ir-2026",
    ),
    (
        Role::Manager,
        "dirigente@demo.sportello.test",
        "Roberto Conti",
        "demo-dirigente-2026",
    ),
    (
        Role::Auditor,
        "revisore@demo.sportello.test",
        "Chiara Longo",
        "demo-revisore-2026",
    ),
];

/// The demo company user's own tax code: Giulia Bianchi's, as in the test certificate the demo
/// signs with (`tests/fixtures/pki/giulia.pem`); the demo registry lists her as the legal
/// representative of Ligure Export.
pub const DEMO_COMPANY_USER_TAX_CODE: &str = "BNCGLI85M41D969D";

/// The demo Manager's own tax code: Roberto Conti's, as in the test certificate that signs the
/// demo's mandate letters and revocation notices (`tests/fixtures/ra/mandate_letter.pdf`), so
/// the Manager's queue accepts what he signs.
pub const DEMO_MANAGER_TAX_CODE: &str = "CNTRRT70A01D969P";

/// The demo intermediary (a customs broker) and the login of the person who works for it:
/// name, tax code, e-mail of the office, user e-mail, user name, password.
pub const DEMO_INTERMEDIARY: (&str, &str, &str, &str, &str, &str) = (
    "Rossi Spedizioni S.r.l.",
    "02345670992",
    "ufficio@rossi-spedizioni.test",
    "spedizioniere@demo.sportello.test",
    "Paolo Rossi",
    "demo-spedizioniere-2026",
);

/// Tax codes of the demo companies the company user acts for.
pub const DEMO_COMPANY_TAX_CODES: [&str; 1] = ["01879020517"];

/// Seeds the demo data and prints the logins, one per line as `LOGIN <role> <email> <password>`.
pub async fn seed(state: &Ctx) -> anyhow::Result<()> {
    let actor = Actor::system("demo");
    let chamber = match chambers::find_chamber_by_code(&state.db, "GE").await? {
        Some(c) => c,
        None => {
            chambers::create_chamber(
                state,
                &actor,
                &ChamberCode::parse("GE")?,
                "Camera di Commercio di Genova",
            )
            .await?
        }
    };
    let mut desk_ids = Vec::new();
    for (code, name) in [("GE-GENOVA", "Genova"), ("GE-CHIAVARI", "Chiavari")] {
        let desk = match chambers::find_desk_by_code(&state.db, code).await? {
            Some(d) => d,
            None => {
                chambers::create_desk(state, &actor, &chamber, &DeskCode::parse(code)?, name)
                    .await?
            }
        };
        desk_ids.push(desk.id);
    }
    let company_ids = seed_companies(state).await?;
    crate::ra::demo::seed(state, &chamber).await?;
    crate::ra::publications::seed_demo(state, &chamber.id).await?;
    seed_trade(state, &chamber, &company_ids).await?;
    seed_seal(state, &chamber).await?;
    seed_pagopa(state, &chamber).await?;

    println!("Demo chamber GE (Genova) with desks Genova and Chiavari. Logins:");
    for (role, email, name, password) in DEMO_USERS {
        if accounts::find_by_email(&state.db, email).await?.is_none() {
            accounts::create_user(
                state,
                &actor,
                NewUser {
                    email: email.to_string(),
                    name: name.to_string(),
                    password: password.to_string(),
                    role,
                    chamber_id: role.needs_chamber().then(|| chamber.id.clone()),
                    desk_ids: if role == Role::Officer {
                        desk_ids.clone()
                    } else {
                        Vec::new()
                    },
                    company_ids: if role == Role::Company {
                        company_ids.clone()
                    } else {
                        Vec::new()
                    },
                    tax_code: match role {
                        Role::Company => Some(TaxCode::parse(DEMO_COMPANY_USER_TAX_CODE)?),
                        Role::Manager => Some(TaxCode::parse(DEMO_MANAGER_TAX_CODE)?),
                        _ => None,
                    },
                },
            )
            .await?;
        }
        println!("LOGIN {role} {email} {password}");
    }
    // The demo registry lists the company user as Ligure Export's legal representative (issue
    // 15, item 2): her link says so, and she manages the company's users.
    sqlx::query(
        "UPDATE user_companies SET reason = 'representative', linked_at = $2 \
         WHERE reason IS NULL AND user_id IN (SELECT id FROM users WHERE tax_code = $1) \
         AND company_id IN (SELECT company_id FROM company_representatives WHERE tax_code = $1)",
    )
    .bind(DEMO_COMPANY_USER_TAX_CODE)
    .bind(crate::db::instant(state.clock.now()))
    .execute(state.db.pool())
    .await?;
    seed_intermediary(state, &actor).await?;
    crate::devices::demo::seed(state, &chamber).await?;
    Ok(())
}

/// The demo customs broker and its user (issue 15, item 3), with no mandate yet: the company
/// grants one from its page.
async fn seed_intermediary(state: &Ctx, actor: &Actor) -> anyhow::Result<()> {
    let (name, tax_code, office, email, person, password) = DEMO_INTERMEDIARY;
    if accounts::find_by_email(&state.db, email).await?.is_some() {
        println!("LOGIN intermediary {email} {password}");
        return Ok(());
    }
    let inter = crate::intermediary::create(
        state,
        actor,
        crate::intermediary::NewIntermediary {
            name: name.into(),
            tax_code: tax_code.into(),
            email: office.into(),
            kind: "customs_broker".into(),
        },
    )
    .await?;
    crate::intermediary::add_user(
        state,
        actor,
        &inter.id,
        crate::intermediary::NewIntermediaryUser {
            email: email.into(),
            name: person.into(),
            password: password.into(),
        },
    )
    .await?;
    println!("LOGIN intermediary {email} {password}");
    Ok(())
}

/// The demo's registry sample, imported through the same path as a real extract.
const DEMO_REGISTRY_CSV: &str = include_str!("../demo/registry.csv");

async fn seed_companies(state: &Ctx) -> anyhow::Result<Vec<String>> {
    tokio::fs::create_dir_all(&state.config.data_dir).await?;
    let path = state.config.data_dir.join("demo-registry.csv");
    tokio::fs::write(&path, DEMO_REGISTRY_CSV).await?;
    let outcome = registry::import_csv(
        &state.db,
        state.clock.now(),
        &path,
        ImportOptions {
            progress: false,
            ..ImportOptions::default()
        },
    )
    .await?;
    if outcome.rejected_total > 0 || outcome.skipped_total > 0 {
        anyhow::bail!(
            "the demo registry sample has {} invalid rows and {} invalid values",
            outcome.rejected_total,
            outcome.skipped_total
        );
    }
    let mut ids = Vec::new();
    for tax_code in DEMO_COMPANY_TAX_CODES {
        let tax_code = TaxCode::parse(tax_code)?;
        match registry::find_company_by_tax_code(&state.db, &tax_code).await? {
            Some(company) => ids.push(company.id),
            None => anyhow::bail!("demo company {tax_code} was not imported"),
        }
    }
    Ok(ids)
}

/// The test CA that signs the demo's documents (`tests/fixtures/pki`, made by OpenSSL).
/// Trusted by the demo only, so a person trying the demo can sign a base model with the
/// test key and send it.
const DEMO_TRUST_ANCHOR: &[u8] = include_bytes!("../tests/fixtures/pki/root.pem");

/// Demo tariffs (the fees chambers publish), the demo signing CA, and €50 in the demo company's
/// wallet (a funded wallet is a prerequisite, Cert'O guide slide 2).
async fn seed_trade(
    state: &Ctx,
    chamber: &chambers::Chamber,
    company_ids: &[String],
) -> anyhow::Result<()> {
    use crate::chambers::tariff::{self, TariffTable};
    use crate::money::Money;
    use crate::wallet::{self, ManualPayments, PaymentClaim, PaymentProvider};
    let now = state.clock.now();
    let actor = Actor::system("demo");
    if tariff::table(&state.db, &chamber.id, state.clock.today())
        .await?
        .is_empty()
    {
        let mut tx = state.db.begin().await?;
        let from = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(state.clock.today());
        for (item, amount) in TariffTable::published_defaults().items() {
            tariff::set(&mut tx, now, &actor, &chamber.id, item, amount, from).await?;
        }
        tx.commit().await?;
    }
    crate::trust::add_file(&state.db, now, &actor, DEMO_TRUST_ANCHOR, None).await?;
    // Cert'O guide, slide 45: blank paper is for authorised companies. The demo company is one;
    // the other companies of the registry sample (Tigullio Meccanica…) are not.
    for company_id in company_ids {
        crate::trade::blank_paper::authorise_as_system(
            &state.db,
            now,
            &actor,
            &chamber.id,
            company_id,
            "Autorizzazione demo n. 1/2026",
        )
        .await?;
    }
    for company_id in company_ids {
        if wallet::entries(&state.db, company_id, &chamber.id, 1)
            .await?
            .is_empty()
        {
            let payment = ManualPayments
                .confirm(&PaymentClaim {
                    amount: Money::from_cents(5000),
                    reference: "Ricarica demo".into(),
                })
                .await?;
            let mut tx = state.db.begin().await?;
            wallet::credit(&mut tx, now, &actor, company_id, &chamber.id, &payment).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// The demo chamber's seal (`tests/fixtures/pki/seal-ge.p12`, made by OpenSSL, password
/// `sigillo-demo`), so the demo's issued documents are sealed. A real chamber imports its own
/// with `sportello admin chamber seal`.
const DEMO_SEAL: &[u8] = include_bytes!("../tests/fixtures/pki/seal-ge.p12");

/// Stores the demo seal unless one opens already (it is stored again when the data dir's
/// secret was lost).
async fn seed_seal(state: &Ctx, chamber: &chambers::Chamber) -> anyhow::Result<()> {
    if let Ok(Some(_)) = crate::seal::load(state, &chamber.id).await {
        return Ok(());
    }
    let key = crate::seal::SealKey::from_pkcs12(DEMO_SEAL, "sigillo-demo")?;
    let actor = Actor::system("demo");
    crate::seal::store(state, state.clock.now(), &actor, &chamber.id, &key).await?;
    Ok(())
}

/// The demo chamber as a pagoPA creditor (a plausible tax code, segregation code 01, a CBILL
/// code), unless it is configured already.
async fn seed_pagopa(state: &Ctx, chamber: &chambers::Chamber) -> anyhow::Result<()> {
    if crate::wallet::pagopa::creditor(&state.db, &chamber.id)
        .await?
        .is_none()
    {
        crate::wallet::pagopa::configure(
            state,
            &Actor::system("demo"),
            chamber.code.as_str(),
            DEMO_CHAMBER_TAX_CODE,
            "01",
            Some("AGE01"),
        )
        .await?;
    }
    Ok(())
}

/// The demo chamber's tax code (a valid check digit; not a real chamber's).
pub const DEMO_CHAMBER_TAX_CODE: &str = "80043770108";
