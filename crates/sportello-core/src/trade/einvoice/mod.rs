//! FatturaPA e-invoices on a base model (issue 15, item 5): the company uploads the XML
//! (plain or signed `.p7m`) of its export invoices to a certificate of origin or an invoice
//! visa; Sportello reads them (`parse`), prefills the form for the company to review
//! (`check::prefill`), keeps them with the model, and at send checks the practice's invoice
//! table against them (`check::invoice_table_mismatches`), for the company before sending
//! and for the officer.

pub mod check;
pub mod parse;

pub use check::{Mismatch, Prefilled};
pub use parse::{EInvoiceFile, ParseError};

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::db::{self, Db};
use crate::trade::model::{self, Model, ModelError};
use crate::trade::practice::{self, Practice};
use crate::trade::practice_type::PracticeType;
use serde_json::json;

/// An e-invoice file kept with a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEInvoice {
    pub id: String,
    pub model_id: String,
    pub company_id: String,
    pub blob: String,
    pub file_name: String,
    pub signed: bool,
    pub signature_valid: bool,
    /// The signer as people read it, when the file was signed.
    pub signer: Option<String>,
    pub content: EInvoiceFile,
    pub uploaded_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    model_id: String,
    company_id: String,
    blob: String,
    file_name: String,
    signed: i64,
    signature_valid: i64,
    signer: Option<String>,
    content_json: String,
    uploaded_at: String,
}

impl TryFrom<Row> for StoredEInvoice {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        Ok(StoredEInvoice {
            content: serde_json::from_str(&r.content_json)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            id: r.id,
            model_id: r.model_id,
            company_id: r.company_id,
            blob: r.blob,
            file_name: r.file_name,
            signed: r.signed != 0,
            signature_valid: r.signature_valid != 0,
            signer: r.signer,
            uploaded_at: r.uploaded_at,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EInvoiceError {
    #[error("no file")]
    NoFile,
    /// Only a certificate of origin and an invoice visa carry an invoice table.
    #[error("this practice type takes no e-invoice")]
    NotForThisType,
    #[error("not one of the company's models")]
    NotFound,
    /// A practice made from the model was sent: its e-invoices are what the office checks.
    #[error("practice {protocol_number} made from this model was sent")]
    Sent { protocol_number: String },
    /// The `.p7m` envelope cannot be read.
    #[error("the signed file cannot be read")]
    UnreadableSignature,
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Whether a practice type carries an invoice table an e-invoice can fill.
pub fn accepts(practice_type: PracticeType) -> bool {
    matches!(
        practice_type,
        PracticeType::CertificateOfOrigin | PracticeType::InvoiceVisa
    )
}

/// The XML inside: the file itself, or the signed content of a `.p7m` (any wrapping firma
/// reads: DER, base64, PEM, nested), with whether its signature verified against the trust
/// anchors and who signed.
struct Opened {
    xml: Vec<u8>,
    signed: bool,
    valid: bool,
    signer: Option<String>,
}

async fn open(ctx: &Ctx, bytes: &[u8]) -> Result<Opened, EInvoiceError> {
    let start = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if start == Some(&b'<') {
        return Ok(Opened {
            xml: bytes.to_vec(),
            signed: false,
            valid: false,
            signer: None,
        });
    }
    let anchors = crate::trust::all_anchors(&ctx.db).await?;
    let report = firma::verify(
        bytes,
        &firma::VerifyOptions {
            trust_anchors: anchors,
            intermediates: Vec::new(),
            crls: Vec::new(),
            at: ctx.clock.now().into(),
        },
    )
    .map_err(|_| ParseError::NotFatturaPa)?;
    if report.format != firma::Format::Cades {
        return Err(ParseError::NotFatturaPa.into());
    }
    if report.unreadable() {
        return Err(EInvoiceError::UnreadableSignature);
    }
    // The holder's name and tax code: the same words in every language.
    let signer = report.signers.first().map(|s| {
        let name = firma::holder_name(&s.certificate_der).unwrap_or_default();
        match s.tax_code.as_deref() {
            Some(tc) if !name.is_empty() => format!("{name} ({tc})"),
            Some(tc) => tc.to_string(),
            None => name,
        }
    });
    Ok(Opened {
        xml: report.content,
        signed: true,
        valid: report.valid,
        signer,
    })
}

/// A file name kept only as a label: ASCII letters, digits, `.`, `-`, `_`, at most 120.
fn label(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(120)
        .collect();
    if clean.trim_matches('.').is_empty() {
        "fattura.xml".to_string()
    } else {
        clean
    }
}

/// Uploads an e-invoice to the company's model: read it (nothing is stored when it cannot
/// be read), keep the file and what it says, and prefill the model's form, which the company
/// then reviews on its page. The caller has loaded `model` for the principal; the company
/// is checked again here.
pub async fn attach(
    ctx: &Ctx,
    principal: &Principal,
    model: &Model,
    file_name: &str,
    bytes: &[u8],
) -> Result<(StoredEInvoice, Prefilled), EInvoiceError> {
    // Issue 15, items 2 and 3: preparing at the model's own company, and an intermediary's
    // user only within a mandate in force.
    model::within_mandate(
        &ctx.db,
        principal,
        &model.company_id,
        model.practice_type,
        ctx.clock.now(),
    )
    .await?;
    if !accepts(model.practice_type) {
        return Err(EInvoiceError::NotForThisType);
    }
    refuse_when_sent(&ctx.db, &model.id).await?;
    if bytes.is_empty() {
        return Err(EInvoiceError::NoFile);
    }
    // A signed file is a little larger than its content.
    if bytes.len() > parse::MAX_FILE_BYTES * 2 {
        return Err(ParseError::TooLarge.into());
    }
    let opened = open(ctx, bytes).await?;
    let content = parse::parse(&opened.xml)?;
    let now = ctx.clock.now();
    let blob = ctx.blobs.put(bytes).await?;
    let id = db::new_id();
    let content_json =
        serde_json::to_string(&content).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let name = label(file_name);
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO model_einvoices (id, model_id, company_id, blob, file_name, size_bytes, signed, \
         signature_valid, signer, content_json, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(&model.id)
    .bind(&model.company_id)
    .bind(&blob)
    .bind(&name)
    .bind(bytes.len() as i64)
    .bind(i64::from(opened.signed))
    .bind(i64::from(opened.valid))
    .bind(&opened.signer)
    .bind(&content_json)
    .bind(&principal.user.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?;
    let numbers: Vec<&str> = content.invoices.iter().map(|i| i.number.as_str()).collect();
    audit::record(
        &mut tx,
        now,
        &principal.actor(),
        Change::new("base_model.einvoice_add", "base_model", Some(&model.id))
            .after(json!({"filename": name, "invoices": numbers.join(", ")})),
    )
    .await?;
    tx.commit().await?;
    let mut input = model.input.clone();
    let done = check::prefill(&mut input, model.practice_type, &content);
    model::update(&ctx.db, now, principal, model, &input).await?;
    let stored = get(&ctx.db, &model.id, &id)
        .await?
        .ok_or(EInvoiceError::NotFound)?;
    Ok((stored, done))
}

/// Issue 15, item 5: the office checks the practice's invoice table against the e-invoices
/// kept with its model, so once a practice made from the model is sent (and until the office
/// sends it back for rectification) they are what the officer must see: none is added or
/// removed. The first such practice is named.
pub async fn sent_practice(db: &Db, model_id: &str) -> Result<Option<String>, sqlx::Error> {
    let found: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, protocol_number FROM practices WHERE model_id = $1 \
         AND status IN ('sent', 'in_review', 'approved', 'rejected') \
         ORDER BY sent_at, id LIMIT 1",
    )
    .bind(model_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.map(|(id, number)| number.unwrap_or(id)))
}

async fn refuse_when_sent(db: &Db, model_id: &str) -> Result<(), EInvoiceError> {
    match sent_practice(db, model_id).await? {
        Some(protocol_number) => Err(EInvoiceError::Sent { protocol_number }),
        None => Ok(()),
    }
}

const SELECT: &str = "SELECT id, model_id, company_id, blob, file_name, signed, signature_valid, signer, \
                      content_json, uploaded_at FROM model_einvoices";

/// The e-invoices of a model, oldest first.
pub async fn for_model(db: &Db, model_id: &str) -> Result<Vec<StoredEInvoice>, sqlx::Error> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE model_id = $1 ORDER BY uploaded_at, id"
    )))
    .bind(model_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(StoredEInvoice::try_from)
    .collect()
}

/// One e-invoice of a model (none when it belongs to another model).
pub async fn get(db: &Db, model_id: &str, id: &str) -> Result<Option<StoredEInvoice>, sqlx::Error> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE model_id = $1 AND id = $2"
    )))
    .bind(model_id)
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .map(StoredEInvoice::try_from)
    .transpose()
}

/// Removes an e-invoice from the company's model; what it prefilled stays in the form, which
/// the company edits as it likes.
pub async fn remove(
    ctx: &Ctx,
    principal: &Principal,
    model: &Model,
    id: &str,
) -> Result<(), EInvoiceError> {
    // Issue 15, items 2 and 3: as for adding one.
    model::within_mandate(
        &ctx.db,
        principal,
        &model.company_id,
        model.practice_type,
        ctx.clock.now(),
    )
    .await?;
    let e = get(&ctx.db, &model.id, id)
        .await?
        .ok_or(EInvoiceError::NotFound)?;
    refuse_when_sent(&ctx.db, &model.id).await?;
    let mut tx = ctx.db.begin().await?;
    sqlx::query("DELETE FROM model_einvoices WHERE id = $1 AND model_id = $2")
        .bind(&e.id)
        .bind(&model.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        ctx.clock.now(),
        &principal.actor(),
        Change::new("base_model.einvoice_remove", "base_model", Some(&model.id))
            .before(json!({"filename": e.file_name})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes every e-invoice of a model, inside the model's deletion.
pub(crate) async fn delete_for_model(tx: &mut db::Tx, model_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM model_einvoices WHERE model_id = $1")
        .bind(model_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The e-invoices of a practice's model and how the practice's signed invoice table
/// disagrees with them; `None` when no e-invoice was uploaded (nothing to check). The
/// caller has checked that the principal may read the practice.
pub async fn practice_check(
    db: &Db,
    practice: &Practice,
) -> Result<Option<(Vec<StoredEInvoice>, Vec<Mismatch>)>, sqlx::Error> {
    if !accepts(practice.practice_type) {
        return Ok(None);
    }
    let files = for_model(db, &practice.model_id).await?;
    if files.is_empty() {
        return Ok(None);
    }
    let form = practice::signed_form(db, practice).await?;
    let invoices: Vec<parse::Invoice> = files
        .iter()
        .flat_map(|f| f.content.invoices.iter().cloned())
        .collect();
    let mismatches = check::invoice_table_mismatches(&form.invoices, &invoices);
    Ok(Some((files, mismatches)))
}
