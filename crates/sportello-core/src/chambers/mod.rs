//! Chambers of Commerce (the tenants of the platform) and their desks (sportelli).
//! Data is scoped per chamber everywhere; a desk belongs to exactly one chamber.

mod codes;
pub mod settings;
pub mod tariff;

pub use codes::{ChamberCode, CodeError, DeskCode};

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chamber {
    pub id: String,
    pub code: ChamberCode,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Desk {
    pub id: String,
    pub chamber_id: String,
    pub code: DeskCode,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChamberError {
    #[error("a chamber with code {0} already exists")]
    DuplicateChamber(String),
    #[error("a desk with code {0} already exists")]
    DuplicateDesk(String),
    #[error("chamber {0} does not exist")]
    UnknownChamber(String),
    #[error("the name must not be empty")]
    EmptyName,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct ChamberRow {
    id: String,
    code: String,
    name: String,
}

impl TryFrom<ChamberRow> for Chamber {
    type Error = sqlx::Error;
    fn try_from(r: ChamberRow) -> Result<Self, Self::Error> {
        Ok(Chamber {
            id: r.id,
            code: ChamberCode::parse(&r.code).map_err(|e| sqlx::Error::Decode(e.into()))?,
            name: r.name,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeskRow {
    id: String,
    chamber_id: String,
    code: String,
    name: String,
}

impl TryFrom<DeskRow> for Desk {
    type Error = sqlx::Error;
    fn try_from(r: DeskRow) -> Result<Self, Self::Error> {
        Ok(Desk {
            id: r.id,
            chamber_id: r.chamber_id,
            code: DeskCode::parse(&r.code).map_err(|e| sqlx::Error::Decode(e.into()))?,
            name: r.name,
        })
    }
}

/// Creates a chamber.
pub async fn create_chamber(
    ctx: &Ctx,
    actor: &Actor,
    code: &ChamberCode,
    name: &str,
) -> Result<Chamber, ChamberError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ChamberError::EmptyName);
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let id = db::new_id();
    sqlx::query("INSERT INTO chambers (id, code, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(code.as_str())
        .bind(name)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| match db::unique_violation(&e) {
            Some(_) => ChamberError::DuplicateChamber(code.to_string()),
            None => e.into(),
        })?;
    // A chamber is named after the province it serves: its code is that province's sigla
    // (GE serves GE). A chamber serving more provinces gets them in `chamber_provinces`.
    sqlx::query("INSERT INTO chamber_provinces (chamber_id, province) VALUES ($1, $2)")
        .bind(&id)
        .bind(code.as_str())
        .execute(&mut *tx)
        .await?;
    let chamber = Chamber {
        id: id.clone(),
        code: code.clone(),
        name: name.to_string(),
    };
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&id)),
        Change::new("chamber.create", "chamber", Some(&id))
            .after(json!({"code": code.as_str(), "name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok(chamber)
}

/// Creates a desk in a chamber.
pub async fn create_desk(
    ctx: &Ctx,
    actor: &Actor,
    chamber: &Chamber,
    code: &DeskCode,
    name: &str,
) -> Result<Desk, ChamberError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ChamberError::EmptyName);
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO desks (id, chamber_id, code, name, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&chamber.id)
    .bind(code.as_str())
    .bind(name)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match db::unique_violation(&e) {
        Some(_) => ChamberError::DuplicateDesk(code.to_string()),
        None => e.into(),
    })?;
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(&chamber.id)),
        Change::new("desk.create", "desk", Some(&id))
            .after(json!({"code": code.as_str(), "name": name, "chamber": chamber.code.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(Desk {
        id,
        chamber_id: chamber.id.clone(),
        code: code.clone(),
        name: name.to_string(),
    })
}

pub async fn find_chamber_by_code(db: &Db, code: &str) -> Result<Option<Chamber>, sqlx::Error> {
    sqlx::query_as::<_, ChamberRow>("SELECT id, code, name FROM chambers WHERE code = $1")
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(db.pool())
        .await?
        .map(Chamber::try_from)
        .transpose()
}

pub async fn get_chamber(db: &Db, id: &str) -> Result<Option<Chamber>, sqlx::Error> {
    sqlx::query_as::<_, ChamberRow>("SELECT id, code, name FROM chambers WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(Chamber::try_from)
        .transpose()
}

pub async fn list_chambers(db: &Db) -> Result<Vec<Chamber>, sqlx::Error> {
    sqlx::query_as::<_, ChamberRow>("SELECT id, code, name FROM chambers ORDER BY code")
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(Chamber::try_from)
        .collect()
}

pub async fn find_desk_by_code(db: &Db, code: &str) -> Result<Option<Desk>, sqlx::Error> {
    sqlx::query_as::<_, DeskRow>("SELECT id, chamber_id, code, name FROM desks WHERE code = $1")
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(db.pool())
        .await?
        .map(Desk::try_from)
        .transpose()
}

pub async fn get_desk(db: &Db, id: &str) -> Result<Option<Desk>, sqlx::Error> {
    sqlx::query_as::<_, DeskRow>("SELECT id, chamber_id, code, name FROM desks WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(Desk::try_from)
        .transpose()
}

/// A chamber and a desk from a row of their columns: the chamber's `id, code, name` then the
/// desk's `id, chamber_id, code, name`, for a statement that reads both with something else
/// (`trade::practice::destination::chamber_desk_admitting`).
pub(crate) fn chamber_and_desk(
    r: (String, String, String, String, String, String, String),
) -> Result<(Chamber, Desk), sqlx::Error> {
    let chamber = Chamber::try_from(ChamberRow {
        id: r.0,
        code: r.1,
        name: r.2,
    })?;
    let desk = Desk::try_from(DeskRow {
        id: r.3,
        chamber_id: r.4,
        code: r.5,
        name: r.6,
    })?;
    Ok((chamber, desk))
}

pub async fn desks_of(db: &Db, chamber_id: &str) -> Result<Vec<Desk>, sqlx::Error> {
    sqlx::query_as::<_, DeskRow>(
        "SELECT id, chamber_id, code, name FROM desks WHERE chamber_id = $1 ORDER BY code",
    )
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Desk::try_from)
    .collect()
}
