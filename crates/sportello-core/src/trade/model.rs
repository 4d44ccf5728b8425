//! Base models (modelli base): drafts saved on the server, their versions, the address book.
//!
//! A model starts from the Registry (a company and one of its sites, Cert'O guide, slides 28–30)
//! and a practice type. Its form is saved as typed, complete or not — no more
//! "download to save". When the company downloads the XML to sign it, the current version is
//! frozen: its exact bytes and their SHA-256 are stored, so an uploaded `.p7m` is recognised
//! by the hash of its signed content whatever the file is called. Editing the model later
//! makes a new version; an older signed version stays recognisable.

use crate::accounts::CompanyScope;
use crate::accounts::Principal;
use crate::accounts::company_access::{self, CompanyRefusal, Target};
use crate::audit::{self, Change};
use crate::blobs::sha256_hex;
use crate::db::{self, Db};
use crate::registry;
use crate::trade::document::ModelDocument;
use crate::trade::form::{BaseModelForm, ConsigneeInput, FieldProblem, FormInput};
use crate::trade::practice_type::PracticeType;
use crate::trade::xml;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

/// How many recent models feed the address book (Cert'O guide, slide 32: the last 20).
pub const ADDRESS_BOOK_DEPTH: i64 = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Model {
    pub id: String,
    pub company_id: String,
    pub site_id: String,
    pub practice_type: PracticeType,
    pub input: FormInput,
    pub version: i64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// The intermediary through which the model was written, if any (issue 15, item 3).
    pub intermediary_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ModelRow {
    id: String,
    company_id: String,
    site_id: String,
    practice_type: String,
    input_json: String,
    version: i64,
    created_by: String,
    created_at: String,
    updated_at: String,
    intermediary_id: Option<String>,
}

impl TryFrom<ModelRow> for Model {
    type Error = sqlx::Error;
    fn try_from(r: ModelRow) -> Result<Self, sqlx::Error> {
        Ok(Model {
            practice_type: PracticeType::parse(&r.practice_type).ok_or_else(|| {
                sqlx::Error::Decode(format!("practice type '{}'", r.practice_type).into())
            })?,
            input: serde_json::from_str(&r.input_json)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            id: r.id,
            company_id: r.company_id,
            site_id: r.site_id,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            intermediary_id: r.intermediary_id,
        })
    }
}

/// A frozen version: the exact XML the company signs.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Version {
    pub model_id: String,
    pub version: i64,
    pub sha256: String,
    pub xml: Vec<u8>,
    pub form_json: String,
    pub file_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the site does not belong to the company")]
    SiteOfAnotherCompany,
    #[error("unknown company or site")]
    UnknownCompanyOrSite,
    #[error("the form is not complete")]
    Invalid(Vec<FieldProblem>),
    /// The user's scope at the model's company, or an intermediary's mandate, does not allow
    /// it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(#[from] CompanyRefusal),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

const SELECT: &str = "SELECT id, company_id, site_id, practice_type, input_json, version, created_by, \
                      created_at, updated_at, intermediary_id FROM base_models";

fn consignee_name(input: &FormInput) -> Option<String> {
    let n = input.consignee.name.trim();
    (!n.is_empty()).then(|| n.to_string())
}

/// Creates a draft for a company's site.
/// What a new draft is made of.
#[derive(Clone, Copy, Debug)]
pub struct Draft<'a> {
    pub company_id: &'a str,
    pub site_id: &'a str,
    pub practice_type: PracticeType,
    pub input: &'a FormInput,
}

pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    principal: &Principal,
    draft: Draft<'_>,
) -> Result<Model, ModelError> {
    let Draft {
        company_id,
        site_id,
        practice_type,
        input,
    } = draft;
    within_mandate(db, principal, company_id, practice_type, now).await?;
    let actor = &principal.actor();
    let user_id = principal.user.id.as_str();
    let site = registry::get_site(db, site_id)
        .await?
        .ok_or(ModelError::UnknownCompanyOrSite)?;
    if site.company_id != company_id {
        return Err(ModelError::SiteOfAnotherCompany);
    }
    let id = db::new_id();
    let input_json = serde_json::to_string(input).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO base_models (id, company_id, site_id, practice_type, input_json, version, \
         consignee_name, created_by, created_at, updated_at, intermediary_id) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8, $9)",
    )
    .bind(&id)
    .bind(company_id)
    .bind(site_id)
    .bind(practice_type.as_str())
    .bind(&input_json)
    .bind(consignee_name(input))
    .bind(user_id)
    .bind(db::instant(now))
    .bind(principal.intermediary_id())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("base_model.create", "base_model", Some(&id)).after(
            json!({"company_id": company_id, "site_id": site_id, "type": practice_type.as_str()}),
        ),
    )
    .await?;
    tx.commit().await?;
    // What was just written, as `get` would read it back (the input through its stored JSON).
    let now = db::instant(now);
    Ok(Model {
        id,
        company_id: company_id.to_string(),
        site_id: site_id.to_string(),
        practice_type,
        input: serde_json::from_str(&input_json).map_err(|e| sqlx::Error::Decode(e.into()))?,
        version: 1,
        created_by: user_id.to_string(),
        created_at: now.clone(),
        updated_at: now,
        intermediary_id: principal.intermediary_id().map(str::to_string),
    })
}

/// Saves a new content for the draft; the version increases only when the content changes.
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    principal: &Principal,
    model: &Model,
    input: &FormInput,
) -> Result<Model, ModelError> {
    within_mandate(db, principal, &model.company_id, model.practice_type, now).await?;
    if &model.input == input {
        return Ok(model.clone());
    }
    let actor = &principal.actor();
    let input_json = serde_json::to_string(input).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE base_models SET input_json = $2, version = version + 1, consignee_name = $3, \
         updated_at = $4, intermediary_id = COALESCE($5, intermediary_id) WHERE id = $1",
    )
    .bind(&model.id)
    .bind(&input_json)
    .bind(consignee_name(input))
    .bind(db::instant(now))
    .bind(principal.intermediary_id())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("base_model.update", "base_model", Some(&model.id))
            .after(json!({"version": model.version + 1})),
    )
    .await?;
    tx.commit().await?;
    get(db, &model.id)
        .await?
        .ok_or(ModelError::UnknownCompanyOrSite)
}

/// Issue 15, items 2 and 3: a model of `company_id` is created, edited or deleted by a user
/// whose scope at that company reaches preparing, and an intermediary's user only within a
/// mandate in force covering the model's practice type ([`company_access::require`]).
pub async fn within_mandate(
    db: &Db,
    principal: &Principal,
    company_id: &str,
    practice_type: PracticeType,
    now: DateTime<Utc>,
) -> Result<(), ModelError> {
    let target = Target {
        company_id,
        practice_type: Some(practice_type),
        chamber_id: None,
    };
    company_access::require(db, principal, CompanyScope::Prepare, target, now).await?;
    Ok(())
}

/// The model `id` for a company-side write ([`within_mandate`]): `NotFound` when it does not
/// exist or belongs to a company the principal has nothing to do with.
pub async fn get_for_write(
    db: &Db,
    principal: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Model, ModelError> {
    let model = get(db, id)
        .await?
        .ok_or(ModelError::Refused(CompanyRefusal::NotFound))?;
    within_mandate(db, principal, &model.company_id, model.practice_type, now).await?;
    Ok(model)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Model>, sqlx::Error> {
    sqlx::query_as::<_, ModelRow>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(Model::try_from)
        .transpose()
}

/// The models of a company, most recently changed first.
pub async fn list(db: &Db, company_id: &str, limit: i64) -> Result<Vec<Model>, sqlx::Error> {
    sqlx::query_as::<_, ModelRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE company_id = $1 ORDER BY updated_at DESC LIMIT $2"
    )))
    .bind(company_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Model::try_from)
    .collect()
}

/// The consignees of the company's last [`ADDRESS_BOOK_DEPTH`] certificate models, without
/// repeats (Cert'O guide, slides 31–32: the "rubrica" of box 2).
pub async fn address_book(db: &Db, company_id: &str) -> Result<Vec<ConsigneeInput>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT input_json FROM base_models WHERE company_id = $1 AND practice_type = 'certificate_of_origin' \
         AND consignee_name IS NOT NULL ORDER BY updated_at DESC LIMIT $2",
    )
    .bind(company_id)
    .bind(ADDRESS_BOOK_DEPTH)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<ConsigneeInput> = Vec::new();
    for json in rows {
        if let Ok(input) = serde_json::from_str::<FormInput>(&json) {
            let c = input.consignee;
            let dup = out.iter().any(|o| {
                o.name.trim().eq_ignore_ascii_case(c.name.trim())
                    && o.address.trim().eq_ignore_ascii_case(c.address.trim())
                    && o.country.trim().eq_ignore_ascii_case(c.country.trim())
            });
            if !dup {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// The model as a validated document, or the problems of its form.
pub async fn document(
    db: &Db,
    model: &Model,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<ModelDocument, ModelError> {
    let form = BaseModelForm::validate(model.practice_type, &model.input, today)
        .map_err(ModelError::Invalid)?;
    let (company, site) = registry::company_and_site(db, &model.company_id, &model.site_id)
        .await?
        .ok_or(ModelError::UnknownCompanyOrSite)?;
    Ok(ModelDocument {
        model_id: model.id.clone(),
        version: model.version,
        created_at: now,
        company,
        site,
        form,
    })
}

/// The frozen XML of the model's current version, made (and stored) on first request.
pub async fn current_version(
    db: &Db,
    model: &Model,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Version, ModelError> {
    let frozen = version(db, &model.id, model.version).await?;
    freeze_current_version(db, model, frozen, now, today).await
}

/// A model with its current version when that version is frozen already, in one statement
/// (the XML download reads both).
pub async fn get_with_current_version(
    db: &Db,
    id: &str,
) -> Result<Option<(Model, Option<Version>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        model: ModelRow,
        v_sha256: Option<String>,
        v_xml: Option<Vec<u8>>,
        v_form_json: Option<String>,
        v_file_name: Option<String>,
    }
    let Some(row) = sqlx::query_as::<_, Row>(
        "SELECT m.id, m.company_id, m.site_id, m.practice_type, m.input_json, m.version, \
         m.created_by, m.created_at, m.updated_at, m.intermediary_id, v.sha256 AS v_sha256, \
         v.xml AS v_xml, v.form_json AS v_form_json, v.file_name AS v_file_name \
         FROM base_models m LEFT JOIN base_model_versions v \
         ON v.model_id = m.id AND v.version = m.version WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let frozen = match (row.v_sha256, row.v_xml, row.v_form_json, row.v_file_name) {
        (Some(sha256), Some(xml), Some(form_json), Some(file_name)) => Some(Version {
            model_id: row.model.id.clone(),
            version: row.model.version,
            sha256,
            xml,
            form_json,
            file_name,
        }),
        _ => None,
    };
    Ok(Some((Model::try_from(row.model)?, frozen)))
}

/// [`current_version`] with the frozen version already read (`None` when there is none yet).
pub async fn freeze_current_version(
    db: &Db,
    model: &Model,
    frozen: Option<Version>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Version, ModelError> {
    if let Some(v) = frozen {
        return Ok(v);
    }
    let doc = document(db, model, now, today).await?;
    let xml = xml::model_xml(&doc);
    let sha256 = sha256_hex(&xml);
    // The input of this version, so the practice shows exactly what was signed.
    let form_json =
        serde_json::to_string(&model.input).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let file_name = xml::model_file_name(&doc);
    let inserted = sqlx::query(
        "INSERT INTO base_model_versions (id, model_id, version, sha256, xml, form_json, file_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (model_id, version) DO NOTHING",
    )
    .bind(db::new_id())
    .bind(&model.id)
    .bind(model.version)
    .bind(&sha256)
    .bind(&xml)
    .bind(&form_json)
    .bind(&file_name)
    .bind(db::instant(now))
    .execute(db.pool())
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Version {
            model_id: model.id.clone(),
            version: model.version,
            sha256,
            xml,
            form_json,
            file_name,
        });
    }
    // Frozen meanwhile by another request: that one is the version.
    version(db, &model.id, model.version)
        .await?
        .ok_or(ModelError::UnknownCompanyOrSite)
}

/// A frozen version of a model, by number.
pub async fn version(
    db: &Db,
    model_id: &str,
    version: i64,
) -> Result<Option<Version>, sqlx::Error> {
    sqlx::query_as(
        "SELECT model_id, version, sha256, xml, form_json, file_name FROM base_model_versions \
         WHERE model_id = $1 AND version = $2",
    )
    .bind(model_id)
    .bind(version)
    .fetch_optional(db.pool())
    .await
}

/// The frozen version whose XML has this SHA-256 (the content of an uploaded `.p7m`).
pub async fn version_by_hash(db: &Db, sha256: &str) -> Result<Option<Version>, sqlx::Error> {
    sqlx::query_as(
        "SELECT model_id, version, sha256, xml, form_json, file_name FROM base_model_versions WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(db.pool())
    .await
}

/// [`version_by_hash`] with its model, in one statement (every upload of a signed model reads
/// both).
pub async fn version_by_hash_with_model(
    db: &Db,
    sha256: &str,
) -> Result<Option<(Version, Model)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        model: ModelRow,
        v_model_id: String,
        v_version: i64,
        v_sha256: String,
        v_xml: Vec<u8>,
        v_form_json: String,
        v_file_name: String,
    }
    let Some(row) = sqlx::query_as::<_, Row>(
        "SELECT m.id, m.company_id, m.site_id, m.practice_type, m.input_json, m.version, \
         m.created_by, m.created_at, m.updated_at, m.intermediary_id, \
         v.model_id AS v_model_id, v.version AS v_version, v.sha256 AS v_sha256, \
         v.xml AS v_xml, v.form_json AS v_form_json, v.file_name AS v_file_name \
         FROM base_model_versions v JOIN base_models m ON m.id = v.model_id \
         WHERE v.sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let version = Version {
        model_id: row.v_model_id,
        version: row.v_version,
        sha256: row.v_sha256,
        xml: row.v_xml,
        form_json: row.v_form_json,
        file_name: row.v_file_name,
    };
    Ok(Some((version, Model::try_from(row.model)?)))
}

/// Which of `model_ids` a practice was made from (sent or not): one probe of
/// `practices_model` per model, never a read of the company's practices (issue 14).
pub async fn used_by_practices(db: &Db, model_ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut used = Vec::new();
    for id in model_ids {
        let found: Option<String> =
            sqlx::query_scalar("SELECT model_id FROM practices WHERE model_id = $1 LIMIT 1")
                .bind(id)
                .fetch_optional(db.pool())
                .await?;
        used.extend(found);
    }
    Ok(used)
}

#[derive(Debug, thiserror::Error)]
pub enum ModelDeletionError {
    /// A practice was made from the model: the practice keeps the signed version it refers
    /// to, so the model stays (delete a practice not yet sent first).
    #[error("a practice was made from this model")]
    UsedByPractice { sent: bool },
    /// The user's scope at the model's company, or an intermediary's mandate, does not allow
    /// it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(#[from] CompanyRefusal),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Deletes a draft base model no practice was made from (Cert'O guide, slide 27: what is not
/// yet sent is the company's own), with its frozen versions; the audit trail keeps the
/// deletion with the model's type and consignee. Preparing at the model's company is needed,
/// as for editing it ([`within_mandate`]).
pub async fn delete(
    db: &Db,
    now: DateTime<Utc>,
    principal: &Principal,
    model: &Model,
) -> Result<(), ModelDeletionError> {
    match within_mandate(db, principal, &model.company_id, model.practice_type, now).await {
        Ok(()) => {}
        Err(ModelError::Refused(r)) => return Err(r.into()),
        Err(ModelError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(CompanyRefusal::NotFound.into()),
    }
    let actor = &principal.actor();
    let mut tx = db.begin().await?;
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM practices WHERE model_id = $1")
            .bind(&model.id)
            .fetch_all(&mut *tx)
            .await?;
    if !statuses.is_empty() {
        return Err(ModelDeletionError::UsedByPractice {
            sent: statuses.iter().any(|s| s != "draft"),
        });
    }
    crate::trade::einvoice::delete_for_model(&mut tx, &model.id).await?;
    sqlx::query("DELETE FROM base_model_versions WHERE model_id = $1")
        .bind(&model.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM base_models WHERE id = $1")
        .bind(&model.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change::new("base_model.delete", "base_model", Some(&model.id)).before(json!({
            "type": model.practice_type.as_str(),
            "version": model.version,
            "consignee": consignee_name(&model.input),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
