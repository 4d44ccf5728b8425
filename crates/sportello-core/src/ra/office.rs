//! The office tree, the "catena della fiducia" of RA procedure: CA → chamber → offices →
//! operators, as the card management system (CMS) shows it. Each operator sees only their
//! subtree; the Master RAO, the Manager and the auditor see the whole chamber.

use crate::Ctx;
use crate::accounts::{Principal, Role};
use crate::audit::{self, Actor, Change};
use crate::authz::{AccessError, chamber_of};
use crate::db::{self, Db, Tx};
use crate::ra::accreditation::State;
use crate::ra::operator::{Operator, OperatorKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficeKind {
    /// RA procedure: "FIRENZE REMOTIZZATI", where the RAO are entered.
    RemoteRao,
    /// RA procedure: one office per ODR organisation (DENOMINAZIONE IMPRESA), its ODR and IR under it.
    OdrOrganisation,
    /// RA procedure: an office named after a natural-person ODR.
    OdrPerson,
    /// RA procedure: "SEDE FIRENZE + name of the IR".
    Ir,
    /// RA procedure: branch offices (uff. decentrato: Borgo S. Lorenzo, Empoli).
    Branch,
    /// RA procedure: outsourcing companies (IC Outsourcing, InfoCamere remote RAO).
    Outsourcing,
}

impl OfficeKind {
    pub const ALL: [OfficeKind; 6] = [
        OfficeKind::RemoteRao,
        OfficeKind::OdrOrganisation,
        OfficeKind::OdrPerson,
        OfficeKind::Ir,
        OfficeKind::Branch,
        OfficeKind::Outsourcing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfficeKind::RemoteRao => "remote_rao",
            OfficeKind::OdrOrganisation => "odr_organisation",
            OfficeKind::OdrPerson => "odr_person",
            OfficeKind::Ir => "ir",
            OfficeKind::Branch => "branch",
            OfficeKind::Outsourcing => "outsourcing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("ra-office-{}", self.as_str().replace('_', "-"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Office {
    pub id: String,
    pub chamber_id: String,
    pub kind: OfficeKind,
    pub name: String,
    pub owner_operator_id: Option<String>,
}

/// The city of a chamber, upper case, from its name ("Camera di Commercio di Genova" → GENOVA).
pub fn chamber_city(chamber_name: &str) -> String {
    chamber_name
        .rsplit(" di ")
        .next()
        .unwrap_or(chamber_name)
        .trim()
        .to_uppercase()
}

/// RA procedure: the name of the office an operator enters when activated.
pub fn office_name_for(op: &Operator, city: &str) -> (OfficeKind, String) {
    match op.kind {
        // RA procedure: the outsourcing companies with a RAO mandate (IC Outsourcing, the
        // InfoCamere remote RAO) have their own office, their staff under it.
        OperatorKind::Rao if op.is_organisation() => {
            (OfficeKind::Outsourcing, op.name.to_uppercase())
        }
        OperatorKind::Rao => (OfficeKind::RemoteRao, format!("{city} REMOTIZZATI")),
        OperatorKind::Odr if op.is_organisation() => {
            (OfficeKind::OdrOrganisation, op.name.to_uppercase())
        }
        OperatorKind::Odr => (OfficeKind::OdrPerson, op.name.to_uppercase()),
        OperatorKind::Ir if op.is_organisation() => {
            (OfficeKind::OdrOrganisation, op.name.to_uppercase())
        }
        OperatorKind::Ir => (
            OfficeKind::Ir,
            format!("SEDE {city} {}", op.name.to_uppercase()),
        ),
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    chamber_id: String,
    kind: String,
    name: String,
    owner_operator_id: Option<String>,
}

fn decode(r: Row) -> Result<Office, sqlx::Error> {
    Ok(Office {
        kind: OfficeKind::parse(&r.kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("office kind '{}'", r.kind).into()))?,
        id: r.id,
        chamber_id: r.chamber_id,
        name: r.name,
        owner_operator_id: r.owner_operator_id,
    })
}

pub async fn list(db: &Db, chamber_id: &str) -> Result<Vec<Office>, sqlx::Error> {
    sqlx::query_as::<_, Row>(
        "SELECT id, chamber_id, kind, name, owner_operator_id FROM ra_offices \
         WHERE chamber_id = $1 ORDER BY name",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(decode)
    .collect()
}

async fn find_by_name(
    tx: &mut Tx,
    chamber_id: &str,
    name: &str,
) -> Result<Option<Office>, sqlx::Error> {
    sqlx::query_as::<_, Row>(
        "SELECT id, chamber_id, kind, name, owner_operator_id FROM ra_offices \
         WHERE chamber_id = $1 AND name = $2",
    )
    .bind(chamber_id)
    .bind(name)
    .fetch_optional(&mut **tx)
    .await?
    .map(decode)
    .transpose()
}

pub async fn get_tx(tx: &mut Tx, id: &str) -> Result<Option<Office>, sqlx::Error> {
    sqlx::query_as::<_, Row>(
        "SELECT id, chamber_id, kind, name, owner_operator_id FROM ra_offices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .map(decode)
    .transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("the office name must not be empty")]
    EmptyName,
    #[error("only branch offices and outsourcing companies are created by hand")]
    Kind,
    #[error("an office with this name already exists")]
    Duplicate,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The office named `name`, created when missing.
pub async fn ensure(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    kind: OfficeKind,
    name: &str,
    owner: Option<&str>,
) -> Result<Office, sqlx::Error> {
    if let Some(o) = find_by_name(tx, chamber_id, name).await? {
        return Ok(o);
    }
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO ra_offices (id, chamber_id, kind, name, owner_operator_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(kind.as_str())
    .bind(name)
    .bind(owner)
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("ra.office.create", "ra_office", Some(&id))
            .after(json!({"kind": kind.as_str(), "name": name, "owner_operator_id": owner})),
    )
    .await?;
    Ok(Office {
        id,
        chamber_id: chamber_id.to_string(),
        kind,
        name: name.to_string(),
        owner_operator_id: owner.map(str::to_string),
    })
}

/// The Master RAO adds a branch office or an outsourcing company (`kind` as the form sends
/// it) to their own chamber's tree; the other offices come with the operators they hold.
pub async fn add(ctx: &Ctx, p: &Principal, kind: &str, name: &str) -> Result<Office, OfficeError> {
    let chamber_id = chamber_of(p)?;
    let kind = OfficeKind::parse(kind).ok_or(OfficeError::Kind)?;
    let mut tx = ctx.db.begin().await?;
    let office =
        create_manual(&mut tx, ctx.clock.now(), &p.actor(), chamber_id, kind, name).await?;
    tx.commit().await?;
    Ok(office)
}

/// A branch office or outsourcing company, inside `tx` (the demo seed shares it).
pub async fn create_manual(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    kind: OfficeKind,
    name: &str,
) -> Result<Office, OfficeError> {
    if !matches!(kind, OfficeKind::Branch | OfficeKind::Outsourcing) {
        return Err(OfficeError::Kind);
    }
    let name = name.trim().to_uppercase();
    if name.is_empty() {
        return Err(OfficeError::EmptyName);
    }
    if find_by_name(tx, chamber_id, &name).await?.is_some() {
        return Err(OfficeError::Duplicate);
    }
    Ok(ensure(tx, now, actor, chamber_id, kind, &name, None).await?)
}

/// What a viewer of the tree may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Master RAO, Manager, auditor: the whole chamber.
    Chamber,
    /// An operator: themselves and, for an organisation, its collaborators.
    Operators(BTreeSet<String>),
}

impl Scope {
    pub fn sees(&self, op: &Operator) -> bool {
        match self {
            Scope::Chamber => true,
            Scope::Operators(ids) => ids.contains(&op.id),
        }
    }
}

/// RA procedure: each operator answers for their own office subtree, so sees only it; chamber-wide roles see everything.
pub async fn scope_of(db: &Db, p: &Principal) -> Result<Scope, sqlx::Error> {
    if p.role().is_master_rao() || matches!(p.role(), Role::Manager | Role::Auditor) {
        return Ok(Scope::Chamber);
    }
    let mut ids = BTreeSet::new();
    for op in crate::ra::operator::of_user(db, &p.user.id).await? {
        if op.is_organisation() {
            for c in crate::ra::operator::collaborators(db, &op.id).await? {
                ids.insert(c.id);
            }
        }
        ids.insert(op.id);
    }
    Ok(Scope::Operators(ids))
}

/// One office of the drawn tree with the operators shown under it.
#[derive(Clone, Debug, Serialize)]
pub struct TreeOffice {
    pub office: Office,
    pub operators: Vec<Operator>,
}

/// Builds the visible tree: offices holding a visible operator in the tree (active or
/// suspended), plus — for the whole chamber — empty offices.
pub fn build_tree(offices: Vec<Office>, operators: &[Operator], scope: &Scope) -> Vec<TreeOffice> {
    offices
        .into_iter()
        .filter_map(|office| {
            let ops: Vec<Operator> = operators
                .iter()
                .filter(|o| o.office_id.as_deref() == Some(office.id.as_str()))
                .filter(|o| matches!(o.state, State::Active | State::Suspended))
                // An organisation is its office; its people are listed under it.
                .filter(|o| !o.is_organisation())
                .filter(|o| scope.sees(o))
                .cloned()
                .collect();
            let keep = match scope {
                Scope::Chamber => true,
                Scope::Operators(ids) => {
                    !ops.is_empty()
                        || office
                            .owner_operator_id
                            .as_ref()
                            .is_some_and(|o| ids.contains(o))
                }
            };
            keep.then_some(TreeOffice {
                office,
                operators: ops,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::TaxCode;

    #[test]
    fn offices_are_named_as_in_the_cms() {
        assert_eq!(chamber_city("Camera di Commercio di Firenze"), "FIRENZE");
        let mut op = Operator::sample(OperatorKind::Rao);
        assert_eq!(
            office_name_for(&op, "FIRENZE"),
            (OfficeKind::RemoteRao, "FIRENZE REMOTIZZATI".into())
        );
        op.kind = OperatorKind::Ir;
        assert_eq!(
            office_name_for(&op, "FIRENZE"),
            (OfficeKind::Ir, "SEDE FIRENZE MARIO ROSSI".into())
        );
        op.kind = OperatorKind::Odr;
        assert_eq!(office_name_for(&op, "FIRENZE").0, OfficeKind::OdrPerson);
        op.tax_code = TaxCode::parse("00743110157").unwrap();
        op.name = "Esempio S.r.l.".into();
        assert_eq!(
            office_name_for(&op, "FIRENZE"),
            (OfficeKind::OdrOrganisation, "ESEMPIO S.R.L.".into())
        );
    }

    #[test]
    fn an_organisation_rao_has_its_own_outsourcing_office() {
        // RA procedure: the office tree lists the outsourcing companies (IC Outsourcing, the
        // InfoCamere remote RAO) beside "FIRENZE REMOTIZZATI".
        let mut op = Operator::sample(OperatorKind::Rao);
        op.tax_code = TaxCode::parse("05550000482").unwrap();
        op.name = "Infocamere Scpa".into();
        assert_eq!(
            office_name_for(&op, "FIRENZE"),
            (OfficeKind::Outsourcing, "INFOCAMERE SCPA".into())
        );
    }

    #[test]
    fn an_operator_sees_only_their_subtree() {
        let office = |id: &str, owner: Option<&str>| Office {
            id: id.into(),
            chamber_id: "ch".into(),
            kind: OfficeKind::OdrOrganisation,
            name: id.into(),
            owner_operator_id: owner.map(str::to_string),
        };
        let mut a = Operator::sample(OperatorKind::Odr);
        a.id = "a".into();
        a.state = State::Active;
        a.office_id = Some("o1".into());
        let mut b = a.clone();
        b.id = "b".into();
        b.office_id = Some("o2".into());
        let ops = vec![a, b];
        let offices = vec![office("o1", Some("org1")), office("o2", None)];
        let scope = Scope::Operators(BTreeSet::from(["a".to_string()]));
        let tree = build_tree(offices.clone(), &ops, &scope);
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].operators[0].id, "a");
        assert_eq!(build_tree(offices, &ops, &Scope::Chamber).len(), 2);
    }
}
