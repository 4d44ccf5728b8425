//! The foreign-trade JSON API for ERP clients: registry lookup, base models, practices,
//! attachments, sending, lists and the wallet. A company token reaches only its own
//! companies' data: every route loads the object and checks it against the caller.

use crate::api::Caller;
use crate::app::AppState;
use crate::web::download::Download;
use crate::web::error::trade::{
    attachment_error, create_error, model_error, replace_error, send_error,
};
use crate::web::form::{FormFields, MultipartForm, new_attachment, practice_details};
use crate::web::{AppError, FieldError};
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sportello_core::accounts::Principal;
use sportello_core::authz::Action;
use sportello_core::paging::{Key, Keyset};
use sportello_core::registry::{self, Rea, TaxCode};
use sportello_core::trade::desk::issued::{self, CertificateBlock, DocumentBlock};
use sportello_core::trade::form::FormInput;
use sportello_core::trade::model::{self, Model};
use sportello_core::trade::practice::{
    self, Practice, PracticeStatus, attachments, lists, rectification, send, signed_model,
};
use sportello_core::trade::practice_type::PracticeType;
use sportello_core::trade::profile::{self, ProfileInput};
use sportello_core::wallet;
use utoipa::{IntoParams, ToSchema};

// ---------------------------------------------------------------------------------------
// Registry lookup

#[derive(Serialize, ToSchema)]
pub struct SiteOut {
    pub id: String,
    /// `head_office` or `local_unit`.
    pub kind: String,
    /// `GE-123456`.
    pub rea: String,
    pub address: String,
    pub postcode: String,
    pub municipality: String,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyOut {
    pub tax_code: String,
    pub vat_number: Option<String>,
    pub name: String,
    /// `active` or `ceased`.
    pub status: String,
    pub sites: Vec<SiteOut>,
}

fn site_out(s: &registry::Site) -> SiteOut {
    SiteOut {
        id: s.id.clone(),
        kind: s.kind.as_str().into(),
        rea: s.rea.to_string(),
        address: s.address.clone(),
        postcode: s.postcode.as_str().into(),
        municipality: s.municipality.clone(),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct LookupQuery {
    tax_code: Option<String>,
    province: Option<String>,
    rea: Option<String>,
}

/// Finds a company by tax code (all its sites) or by province + REA (that site).
#[utoipa::path(get, path = "/api/v1/registry/companies", tag = "registry", params(LookupQuery),
    security(("bearer" = [])), responses((status = 200, body = [CompanyOut])))]
pub async fn lookup_companies(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Vec<CompanyOut>>, AppError> {
    caller.require(Action::LookupRegistry)?;
    let mut out = Vec::new();
    if let Some(tc) = q.tax_code.as_deref().filter(|s| !s.trim().is_empty()) {
        let tax_code = TaxCode::parse(tc).map_err(|_| {
            AppError::invalid(vec![FieldError::new("tax_code", "trade-lookup-tax-code")])
        })?;
        if let Some(c) = registry::find_company_by_tax_code(&state.db, &tax_code).await? {
            let sites = registry::company_sites(&state.db, &c.id).await?;
            out.push(company_out(&c, sites.iter().map(site_out).collect()));
        }
    } else if let (Some(p), Some(n)) = (q.province.as_deref(), q.rea.as_deref()) {
        let rea = Rea::parse(&format!("{}-{}", p.trim(), n.trim()))
            .map_err(|_| AppError::invalid(vec![FieldError::new("rea", "trade-lookup-rea")]))?;
        for (c, s) in registry::find_sites_by_rea(&state.db, &rea).await? {
            out.push(company_out(&c, vec![site_out(&s)]));
        }
    } else {
        return Err(AppError::invalid(vec![FieldError::new(
            "tax_code",
            "trade-lookup-missing",
        )]));
    }
    Ok(Json(out))
}

fn company_out(c: &registry::Company, sites: Vec<SiteOut>) -> CompanyOut {
    CompanyOut {
        tax_code: c.tax_code.as_str().into(),
        vat_number: c.vat_number.as_ref().map(|v| v.as_str().to_string()),
        name: c.name.clone(),
        status: c.status.as_str().into(),
        sites,
    }
}

// ---------------------------------------------------------------------------------------
// Base models

#[derive(Deserialize, ToSchema)]
pub struct NewModel {
    /// `certificate_of_origin`, `invoice_visa`, `visas_attestations`, `certificate_copy`, `cancellation`.
    #[serde(rename = "type")]
    pub practice_type: String,
    pub company_tax_code: String,
    pub site_id: String,
    #[schema(value_type = Object)]
    pub form: FormInput,
}

#[derive(Deserialize, ToSchema)]
pub struct ModelUpdate {
    #[schema(value_type = Object)]
    pub form: FormInput,
}

#[derive(Serialize, ToSchema)]
pub struct ModelOut {
    pub id: String,
    #[serde(rename = "type")]
    pub practice_type: String,
    pub company_tax_code: String,
    pub site_id: String,
    pub version: i64,
    /// The intermediary whose user wrote the model for the company; `null` when the company
    /// wrote it itself.
    pub acting_intermediary: Option<ActingIntermediaryOut>,
    /// Whether the form is complete (the XML can be downloaded).
    pub complete: bool,
    /// What is missing or wrong, field by field.
    pub problems: Vec<ProblemOut>,
    #[schema(value_type = Object)]
    pub form: FormInput,
}

/// Who acted for the company (issue 15, item 3: "who acted for whom").
#[derive(Serialize, ToSchema)]
pub struct ActingIntermediaryOut {
    pub id: String,
    pub name: String,
}

/// The intermediary of a model, practice or ledger entry, by id and name.
pub(crate) async fn acting_intermediary(
    state: &AppState,
    id: Option<&str>,
) -> Result<Option<ActingIntermediaryOut>, AppError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let name = sportello_core::intermediary::name_of(&state.db, id)
        .await?
        .unwrap_or_default();
    Ok(Some(ActingIntermediaryOut {
        id: id.to_string(),
        name,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemOut {
    pub field: String,
    pub code: String,
}

async fn model_out(state: &AppState, m: &Model) -> Result<ModelOut, AppError> {
    let company = registry::get_company(&state.db, &m.company_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    model_out_of(state, m, &company).await
}

/// [`model_out`] for the model's company already read.
async fn model_out_of(
    state: &AppState,
    m: &Model,
    company: &registry::Company,
) -> Result<ModelOut, AppError> {
    let problems = match sportello_core::trade::form::BaseModelForm::validate(
        m.practice_type,
        &m.input,
        state.clock.today(),
    ) {
        Ok(_) => Vec::new(),
        Err(p) => p
            .into_iter()
            .map(|p| ProblemOut {
                field: p.field,
                code: p.key.into(),
            })
            .collect(),
    };
    Ok(ModelOut {
        id: m.id.clone(),
        practice_type: m.practice_type.as_str().into(),
        company_tax_code: company.tax_code.as_str().into(),
        site_id: m.site_id.clone(),
        version: m.version,
        acting_intermediary: acting_intermediary(state, m.intermediary_id.as_deref()).await?,
        complete: problems.is_empty(),
        problems,
        form: m.input.clone(),
    })
}

/// Loads a model the caller may use; 404 for anyone else's.
async fn own_model(state: &AppState, p: &Principal, id: &str) -> Result<Model, AppError> {
    model::get(&state.db, id)
        .await?
        .filter(|m| p.acts_for_company(&m.company_id))
        .ok_or_else(AppError::not_found)
}

/// Creates a base model (a draft; it may be incomplete).
#[utoipa::path(post, path = "/api/v1/models", tag = "models", request_body = NewModel,
    security(("bearer" = [])), responses((status = 201, body = ModelOut)))]
pub async fn create_model(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewModel>,
) -> Result<(StatusCode, Json<ModelOut>), AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let practice_type = PracticeType::parse(&body.practice_type)
        .ok_or_else(|| AppError::invalid(vec![FieldError::new("type", "trade-field-type")]))?;
    let tax_code = TaxCode::parse(&body.company_tax_code).map_err(|_| {
        AppError::invalid(vec![FieldError::new(
            "company_tax_code",
            "trade-lookup-tax-code",
        )])
    })?;
    let company = registry::find_company_by_tax_code(&state.db, &tax_code)
        .await?
        .ok_or_else(AppError::forbidden)?;
    // Issue 15: a former client of an intermediary says why; anyone else's company is refused.
    if !p.acts_for_company(&company.id) {
        crate::pages::trade::refuse_company(&state, p, &company.id).await?;
    }
    let m = model::create(
        &state.db,
        state.clock.now(),
        p,
        model::Draft {
            company_id: &company.id,
            site_id: &body.site_id,
            practice_type,
            input: &body.form,
        },
    )
    .await
    .map_err(model_error)?;
    Ok((
        StatusCode::CREATED,
        Json(model_out_of(&state, &m, &company).await?),
    ))
}

/// Replaces the form of a model (saved even if incomplete).
#[utoipa::path(put, path = "/api/v1/models/{id}", tag = "models", request_body = ModelUpdate,
    security(("bearer" = [])), responses((status = 200, body = ModelOut)))]
pub async fn update_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ModelUpdate>,
) -> Result<Json<ModelOut>, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let m = crate::pages::trade::writable_model(&state, p, &id).await?;
    let m = model::update(&state.db, state.clock.now(), p, &m, &body.form)
        .await
        .map_err(model_error)?;
    Ok(Json(model_out(&state, &m).await?))
}

#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "models",
    security(("bearer" = [])), responses((status = 200, body = ModelOut)))]
pub async fn get_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ModelOut>, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let m = own_model(&state, p, &id).await?;
    Ok(Json(model_out(&state, &m).await?))
}

/// The XML to sign (CAdES). 422 with the problems when the form is not complete.
#[utoipa::path(get, path = "/api/v1/models/{id}/xml", tag = "models",
    security(("bearer" = [])), responses((status = 200, content_type = "application/xml", body = String)))]
pub async fn model_xml(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    // The model and its frozen version (if any) in one read.
    let (m, frozen) = model::get_with_current_version(&state.db, &id)
        .await?
        .filter(|(m, _)| p.acts_for_company(&m.company_id))
        .ok_or_else(AppError::not_found)?;
    let v = model::freeze_current_version(
        &state.db,
        &m,
        frozen,
        state.clock.now(),
        state.clock.today(),
    )
    .await
    .map_err(model_error)?;
    Ok(Download::new("application/xml", &v.file_name, v.xml).into_response())
}

/// The print preview of the certificate (not valid for export).
#[utoipa::path(get, path = "/api/v1/models/{id}/preview.pdf", tag = "models",
    security(("bearer" = [])), responses((status = 200, content_type = "application/pdf", body = Vec<u8>)))]
pub async fn model_preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let m = own_model(&state, p, &id).await?;
    let doc = model::document(&state.db, &m, state.clock.now(), state.clock.today())
        .await
        .map_err(model_error)?;
    let pdf = sportello_core::trade::pdf::preview(&doc, sportello_core::i18n::Lang::It)
        .map_err(AppError::internal)?;
    Ok(Download::new(
        "application/pdf",
        &format!("anteprima-{}.pdf", &m.id[..8.min(m.id.len())]),
        pdf,
    )
    .into_response())
}

// ---------------------------------------------------------------------------------------
// Practices

#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub description: String,
    pub code: String,
    /// Visas asked on this document (0 where the practice type or the document allows none).
    pub visas: i64,
    /// Legalisations of signature asked on this document.
    pub legalisations: i64,
    /// Whether the chamber stamps this document (visas or legalisations above 0).
    pub stamped: bool,
    /// The number of the sealed visa issued for this document once the practice is approved
    /// (`GE/2026/0000007-V1`; its PDF is in the practice's `documents`), `null` before.
    pub visa_number: Option<String>,
}

impl AttachmentOut {
    fn new(
        a: attachments::Attachment,
        issued: &[sportello_core::trade::desk::documents::IssuedDocument],
    ) -> Self {
        let visa_number = issued
            .iter()
            .find(|d| d.kind == "visa" && d.attachment_id.as_deref() == Some(a.id.as_str()))
            .map(|d| d.number.clone());
        AttachmentOut {
            stamped: a.visas + a.legalisations > 0,
            visa_number,
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            description: a.description,
            code: a.code,
            visas: a.visas,
            legalisations: a.legalisations,
        }
    }
}

/// The visas and legalisations asked on one attached document.
#[derive(Deserialize, ToSchema)]
pub struct StampsBody {
    #[serde(default)]
    pub visas: i64,
    #[serde(default)]
    pub legalisations: i64,
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub at: String,
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PracticeOut {
    pub id: String,
    #[serde(rename = "type")]
    pub practice_type: String,
    /// `draft`, `sent`, `in_review`, `to_rectify`, `approved`, `rejected`, `withdrawn`.
    pub status: String,
    pub desk: String,
    pub protocol_number: Option<String>,
    /// The fee charged when sent, or what it would be now.
    pub fee_cents: Option<i64>,
    pub copies: i64,
    pub proforma: Option<bool>,
    pub goods_location: String,
    pub print_mode: String,
    pub annotations: String,
    pub consignee: Option<String>,
    pub sent_at: Option<String>,
    /// The intermediary that presented the practice for the company ("Presentata da … per
    /// conto di …"); `null` when the company acted itself.
    pub acting_intermediary: Option<ActingIntermediaryOut>,
    pub signers: Vec<String>,
    pub attachments: Vec<AttachmentOut>,
    pub history: Vec<EventOut>,
    /// The certificate of origin issued, `null` until then. Its `security_code` is shown
    /// only to the company's own users.
    pub certificate: Option<CertificateBlock>,
    /// The other documents issued: visas, copies.
    pub documents: Vec<DocumentBlock>,
    /// While the practice is `to_rectify`: what the office asked to correct, and by when.
    pub rectification: Option<RectificationOut>,
    /// Every signed model the practice carried, oldest first; the last is the one in force.
    pub signed_models: Vec<SignedModelOut>,
}

#[derive(Serialize, ToSchema)]
pub struct RectificationOut {
    pub reason: String,
    /// Until when the company may replace the signed model and resend (RFC 3339).
    pub deadline: Option<String>,
    /// The fields named by the office, from the practice type's list.
    pub fields: Vec<RectifyFieldOut>,
}

#[derive(Serialize, ToSchema)]
pub struct RectifyFieldOut {
    /// e.g. `consignee.country`, `items`, `goods_location`, `attachments`.
    pub name: String,
    /// The field's label in Italian, as the forms show it.
    pub label: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedModelOut {
    pub model_version: i64,
    pub model_sha256: String,
    pub file_name: String,
    pub signers: Vec<String>,
    pub uploaded_at: String,
    /// When this model went to the office; null while it waits for the resend.
    pub sent_at: Option<String>,
}

async fn practice_out(
    state: &AppState,
    caller: &Principal,
    p: &Practice,
) -> Result<PracticeOut, AppError> {
    // The issued documents are read once: for `documents` and for the attachments' stamps.
    let issued_documents = issued::documents_of(&state.db, p).await?;
    let issued = issued::of_practice_with_documents(state, caller, p, &issued_documents).await?;
    let desk = sportello_core::chambers::get_desk(&state.db, &p.desk_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // Read once: listed below and, while the practice is editable, counted by the fee.
    let atts = attachments::list(&state.db, &p.id).await?;
    // While the company may still change it, the fee is what sending now would settle to;
    // afterwards, what was charged.
    let fee = match p.fee_cents {
        Some(f) if !p.status.editable_by_company() => Some(f),
        charged => send::fee_with(state, p, &atts)
            .await
            .ok()
            .map(|f| f.total.cents())
            .or(charged),
    };
    Ok(PracticeOut {
        id: p.id.clone(),
        practice_type: p.practice_type.as_str().into(),
        status: p.status.as_str().into(),
        desk: desk.code.to_string(),
        protocol_number: p.protocol_number.clone(),
        fee_cents: fee,
        copies: p.copies,
        proforma: p.proforma,
        goods_location: p.goods_location.clone(),
        print_mode: p.print_mode.as_str().into(),
        annotations: p.annotations.clone(),
        consignee: p.consignee_name.clone(),
        sent_at: p.sent_at.clone(),
        acting_intermediary: acting_intermediary(state, p.intermediary_id.as_deref()).await?,
        signers: p
            .signature
            .signers
            .iter()
            .map(|s| s.subject.clone())
            .collect(),
        attachments: atts
            .into_iter()
            .map(|a| AttachmentOut::new(a, &issued_documents))
            .collect(),
        history: practice::events(&state.db, &p.id)
            .await?
            .into_iter()
            .map(|e| EventOut {
                at: e.at,
                actor: e.actor,
                from_status: e.from_status,
                to_status: e.to_status,
                note: e.note,
            })
            .collect(),
        rectification: (p.status == PracticeStatus::ToRectify).then(|| RectificationOut {
            reason: p.rectify_reason.clone().unwrap_or_default(),
            deadline: p.rectify_deadline.clone(),
            fields: rectification::flagged(p)
                .into_iter()
                .map(|f| RectifyFieldOut {
                    name: f.name.into(),
                    label: sportello_core::i18n::Lang::It.t(f.label_key),
                })
                .collect(),
        }),
        signed_models: signed_model::history(&state.db, &p.id)
            .await?
            .into_iter()
            .map(|m| SignedModelOut {
                model_version: m.model_version,
                model_sha256: m.model_sha256,
                file_name: m.signed_file_name,
                signers: m.signature.signers.into_iter().map(|s| s.subject).collect(),
                uploaded_at: m.uploaded_at,
                sent_at: m.sent_at,
            })
            .collect(),
        certificate: issued.certificate,
        documents: issued.documents,
    })
}

async fn own_practice(state: &AppState, p: &Principal, id: &str) -> Result<Practice, AppError> {
    practice::get_for_company_user(&state.db, p, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Creates a practice from the signed model (multipart: `signed_model` file, `desk`,
/// `copies`, `proforma`, `goods_location`, `print_mode`, `form_serial`, `annotations`).
#[utoipa::path(post, path = "/api/v1/practices", tag = "practices",
    security(("bearer" = [])), responses((status = 201, body = PracticeOut),
        (status = 422, description = "`not_signed`, `signature_invalid`, `model_mismatch`, `model_other_company`, `validation_failed`")))]
pub async fn create_practice(
    State(state): State<AppState>,
    caller: Caller,
    mp: Multipart,
) -> Result<(StatusCode, Json<PracticeOut>), AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let mut form = MultipartForm::read(mp).await?;
    let signed = form.take_file("signed_model").unwrap_or_default();
    let practice = practice::create::create(
        &state,
        p,
        &form.text("desk"),
        &signed.file_name,
        &signed.bytes,
        &practice_details(&form),
    )
    .await
    .map_err(create_error)?;
    Ok((
        StatusCode::CREATED,
        Json(practice_out(&state, p, &practice).await?),
    ))
}

/// Adds an attachment (multipart: `file`, `description`, `code`, `visas`, `legalisations`).
#[utoipa::path(post, path = "/api/v1/practices/{id}/attachments", tag = "practices",
    security(("bearer" = [])), responses((status = 201, body = AttachmentOut)))]
pub async fn add_attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<(StatusCode, Json<AttachmentOut>), AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let practice = crate::pages::trade::writable_practice(
        &state,
        p,
        &id,
        sportello_core::accounts::CompanyScope::Prepare,
    )
    .await?;
    let new = new_attachment(MultipartForm::read(mp).await?);
    let a = attachments::add(&state, p, &practice, new)
        .await
        .map_err(attachment_error)?;
    Ok((StatusCode::CREATED, Json(AttachmentOut::new(a, &[]))))
}

/// Changes the visas and legalisations asked on one attached document, while the practice is
/// a draft or in rectification. Allowed on every practice type but cancellation, on
/// invoices, packing lists, proofs of origin and other documents (not on the request form,
/// the form scan, the police report or the certificate to copy); a refusal names the
/// document and the type. The fee follows: the next send charges or refunds the difference.
#[utoipa::path(put, path = "/api/v1/practices/{id}/attachments/{attachment_id}/stamps", tag = "practices",
    security(("bearer" = [])), request_body = StampsBody, responses((status = 200, body = AttachmentOut),
        (status = 404, description = "no such practice or attachment"),
        (status = 409, description = "`not_editable`"),
        (status = 422, description = "`validation_failed`: the counts, or stamps the type or the document does not allow")))]
pub async fn set_attachment_stamps(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attachment_id)): Path<(String, String)>,
    Json(body): Json<StampsBody>,
) -> Result<Json<AttachmentOut>, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let practice = crate::pages::trade::writable_practice(
        &state,
        p,
        &id,
        sportello_core::accounts::CompanyScope::Prepare,
    )
    .await?;
    let a = attachments::set_stamps(
        &state,
        p,
        &practice,
        &attachment_id,
        body.visas,
        body.legalisations,
    )
    .await
    .map_err(attachment_error)?;
    Ok(Json(AttachmentOut::new(a, &[])))
}

/// Replaces the practice's signed model during a rectification (multipart: `signed_model`,
/// a new signed version of the practice's own base model). The file is checked as the first
/// upload was; the previous signed model stays in `signed_models`. Then resend the practice:
/// the send works out the fee of the practice as it stands.
#[utoipa::path(put, path = "/api/v1/practices/{id}/signed-model", tag = "practices",
    security(("bearer" = [])), responses((status = 200, body = PracticeOut),
        (status = 409, description = "`not_in_rectification`, `rectification_expired`, `changed_meanwhile`"),
        (status = 422, description = "`not_signed`, `signature_invalid`, `model_mismatch`, `model_other_company`, `model_of_other_practice`, `same_model`")))]
pub async fn replace_signed_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Json<PracticeOut>, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let mut form = MultipartForm::read(mp).await?;
    let signed = form.take_file("signed_model").unwrap_or_default();
    let practice = signed_model::replace(&state, p, &id, &signed.file_name, &signed.bytes)
        .await
        .map_err(replace_error)?;
    Ok(Json(practice_out(&state, p, &practice).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SentOut {
    pub status: String,
    pub protocol_number: String,
    /// What this send took from the wallet: the fee on the first send; on a resend after
    /// rectification, what the changes added to it.
    pub charged_cents: i64,
    /// What a resend gave back because the changes lowered the fee.
    pub refunded_cents: i64,
}

/// Sends the practice: charges the wallet, assigns the protocol number. Send an
/// `Idempotency-Key` header to make retries safe: the same key answers the same result and
/// charges once.
#[utoipa::path(post, path = "/api/v1/practices/{id}/send", tag = "practices",
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key")),
    security(("bearer" = [])), responses((status = 200, body = SentOut),
        (status = 402, description = "`insufficient_balance`"), (status = 422, description = "`validation_failed`")))]
pub async fn send_practice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SentOut>, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let sent = send::send(&state, p, &id, key).await.map_err(send_error)?;
    Ok(Json(SentOut {
        status: sent.status,
        protocol_number: sent.protocol_number,
        charged_cents: sent.charged_cents,
        refunded_cents: sent.refunded_cents,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `to_send` (default), `to_rectify`, `sent`, `archive`.
    list: Option<String>,
    invoice: Option<String>,
    consignee: Option<String>,
    protocol: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    to: Option<String>,
    /// Where the page starts: the cursor in the previous page's `next`. Leave it out for the
    /// first page; a cursor that is not one is refused (422, field `after`).
    after: Option<String>,
    /// Items per page, 1 to 100; 20 when left out.
    per_page: Option<i64>,
}

/// One practice of a list: what a list shows. The whole practice (attachments, history,
/// certificate, signed models) is `GET /api/v1/practices/{id}`.
#[derive(Serialize, ToSchema)]
pub struct PracticeListItem {
    pub id: String,
    #[serde(rename = "type")]
    pub practice_type: String,
    /// `draft`, `sent`, `in_review`, `to_rectify`, `approved`, `rejected`, `withdrawn`.
    pub status: String,
    /// The desk's code (`GE-GENOVA`).
    pub desk: String,
    pub protocol_number: Option<String>,
    /// The fee charged at sending; `null` for a draft (the practice's own page says what
    /// sending it now would cost).
    pub fee_cents: Option<i64>,
    pub consignee: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// While the practice is `to_rectify`: until when the company may resend it.
    pub rectify_deadline: Option<String>,
    /// For an approved certificate of origin: the certificate, as in the whole practice (an
    /// ERP reading the sent list gets the numbers it prints without one request per practice).
    pub certificate: Option<CertificateBlock>,
}

/// A page of a practice list, newest first.
#[derive(Serialize, ToSchema)]
pub struct ListOut {
    pub items: Vec<PracticeListItem>,
    /// The next page's address (`/api/v1/practices?…&after=…`, the same list and filters), to
    /// be requested as it is; `null` on the last page. Pages are read by cursor, so a page
    /// deep in a long list costs what the first does, and a practice sent meanwhile is
    /// neither skipped nor repeated.
    pub next: Option<String>,
}

/// The caller's practices in one list (to send, to rectify, sent, archive), a page at a
/// time; follow `next` for the following page.
#[utoipa::path(get, path = "/api/v1/practices", tag = "practices", params(ListQuery),
    security(("bearer" = [])), responses((status = 200, body = ListOut),
        (status = 422, description = "`validation_failed`: `list` or `after` is not one")))]
pub async fn list_practices(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListOut>, AppError> {
    let p = caller.require(Action::ViewOwnPractices)?;
    let kind = match q.list.as_deref() {
        None | Some("") => lists::ListKind::ToSend,
        Some(k) => lists::ListKind::parse(k)
            .ok_or_else(|| AppError::invalid(vec![FieldError::new("list", "trade-field-list")]))?,
    };
    let after = q.after.as_deref().filter(|a| !a.trim().is_empty());
    if after.is_some_and(|a| Key::from_token(a).is_none()) {
        return Err(AppError::invalid(vec![FieldError::new(
            "after",
            "trade-field-cursor",
        )]));
    }
    let search = lists::Search {
        invoice: q.invoice.unwrap_or_default(),
        consignee: q.consignee.unwrap_or_default(),
        protocol: q.protocol.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        company_id: String::new(),
    };
    let per_page = u32::try_from(q.per_page.unwrap_or(20).clamp(1, 100)).unwrap_or(20);
    let slice = lists::list(
        &state.db,
        &p.company_ids,
        kind,
        &search,
        state.clock.now(),
        &Keyset::parse(after, None, per_page),
    )
    .await?;
    // A page's practices go to a few desks: each desk is read once, not once per practice.
    let mut desks: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(slice.items.len());
    for practice in slice.items {
        let desk = match desks.get(&practice.desk_id) {
            Some(code) => code.clone(),
            None => {
                let code = sportello_core::chambers::get_desk(&state.db, &practice.desk_id)
                    .await?
                    .map(|d| d.code.to_string())
                    .unwrap_or_default();
                desks.insert(practice.desk_id.clone(), code.clone());
                code
            }
        };
        // Only an approved practice has a certificate: the other items cost no more reads.
        let certificate = if practice.status == PracticeStatus::Approved {
            issued::of_practice(&state, p, &practice).await?.certificate
        } else {
            None
        };
        items.push(PracticeListItem {
            certificate,
            practice_type: practice.practice_type.as_str().into(),
            status: practice.status.as_str().into(),
            desk,
            protocol_number: practice.protocol_number,
            fee_cents: practice.fee_cents.filter(|_| practice.sent_at.is_some()),
            consignee: practice.consignee_name,
            created_at: practice.created_at,
            sent_at: practice.sent_at,
            rectify_deadline: practice
                .rectify_deadline
                .filter(|_| practice.status == PracticeStatus::ToRectify),
            id: practice.id,
        });
    }
    let next = slice.next.map(|key| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("list", kind.as_str());
        for (name, value) in [
            ("invoice", &search.invoice),
            ("consignee", &search.consignee),
            ("protocol", &search.protocol),
            ("from", &search.from),
            ("to", &search.to),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(name, value);
            }
        }
        query.append_pair("per_page", &per_page.to_string());
        query.append_pair("after", &key.token());
        format!("/api/v1/practices?{}", query.finish())
    });
    Ok(Json(ListOut { items, next }))
}

#[utoipa::path(get, path = "/api/v1/practices/{id}", tag = "practices",
    security(("bearer" = [])), responses((status = 200, body = PracticeOut)))]
pub async fn get_practice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PracticeOut>, AppError> {
    let p = caller.require(Action::ViewOwnPractices)?;
    let practice = own_practice(&state, p, &id).await?;
    Ok(Json(practice_out(&state, p, &practice).await?))
}

// ---------------------------------------------------------------------------------------
// Wallet and profile

#[derive(Serialize, ToSchema)]
pub struct WalletEntryOut {
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub practice_id: Option<String>,
    pub reference: String,
    pub at: String,
    /// The intermediary whose user made the entry (sending, so charging); `null` otherwise.
    pub acting_intermediary: Option<ActingIntermediaryOut>,
}

/// The company's wallet at one chamber: each chamber keeps its own.
#[derive(Serialize, ToSchema)]
pub struct WalletOut {
    pub company_tax_code: String,
    /// The code of the chamber keeping this wallet (`GE`).
    pub chamber: String,
    pub balance_cents: i64,
    /// The entries, newest first, a page at a time.
    pub entries: Vec<WalletEntryOut>,
    /// The page of older entries (`/api/v1/wallet?…&after=…`), to be requested as it is;
    /// `null` when these are the oldest.
    pub next: Option<String>,
}

/// The company the caller means: the one named, which must be theirs, or their only one.
pub(crate) async fn chosen_company(
    state: &AppState,
    p: &Principal,
    tax_code: Option<&str>,
) -> Result<registry::Company, AppError> {
    let id = match tax_code.filter(|t| !t.trim().is_empty()) {
        Some(tc) => {
            let tc = TaxCode::parse(tc).map_err(|_| {
                AppError::invalid(vec![FieldError::new(
                    "company_tax_code",
                    "trade-lookup-tax-code",
                )])
            })?;
            registry::find_company_by_tax_code(&state.db, &tc)
                .await?
                .filter(|c| p.acts_for_company(&c.id))
                .ok_or_else(AppError::forbidden)?
                .id
        }
        None => p.acting_company_id.clone().ok_or_else(|| {
            AppError::invalid(vec![FieldError::new(
                "company_tax_code",
                "trade-company-required",
            )])
        })?,
    };
    registry::get_company(&state.db, &id)
        .await?
        .ok_or_else(AppError::not_found)
}

#[derive(Deserialize, IntoParams)]
pub struct WalletQuery {
    /// Needed only when the caller acts for several companies.
    company_tax_code: Option<String>,
    /// The chamber's code (`GE`); needed only when the company deals with several chambers.
    chamber: Option<String>,
    /// Where the page of entries starts: the cursor in the previous page's `next`. Leave it
    /// out for the newest entries; a cursor that is not one is refused (422, field `after`).
    after: Option<String>,
    /// Entries per page, 1 to 100; 100 when left out.
    per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/wallet", tag = "wallet", params(WalletQuery),
    security(("bearer" = [])), responses((status = 200, body = WalletOut),
    (status = 400, description = "The company deals with several chambers: name one")))]
pub async fn get_wallet(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<WalletQuery>,
) -> Result<Json<WalletOut>, AppError> {
    let p = caller.require(Action::ViewWallet)?;
    let company = chosen_company(&state, p, q.company_tax_code.as_deref()).await?;
    let chamber = wallet::chamber_of_wallet(&state.db, &company.id, q.chamber.as_deref()).await?;
    let balance = wallet::balance(&state.db, &company.id, &chamber.id).await?;
    let after = q.after.as_deref().filter(|a| !a.trim().is_empty());
    if after.is_some_and(|a| Key::from_token(a).is_none()) {
        return Err(AppError::invalid(vec![FieldError::new(
            "after",
            "trade-field-cursor",
        )]));
    }
    let per_page = u32::try_from(q.per_page.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let slice = wallet::entries_page(
        &state.db,
        &company.id,
        &chamber.id,
        &Keyset::parse(after, None, per_page),
    )
    .await?;
    let next = slice.next.map(|key| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("company_tax_code", company.tax_code.as_str());
        query.append_pair("chamber", chamber.code.as_str());
        query.append_pair("per_page", &per_page.to_string());
        query.append_pair("after", &key.token());
        format!("/api/v1/wallet?{}", query.finish())
    });
    let entries = slice.items;
    Ok(Json(WalletOut {
        next,
        company_tax_code: company.tax_code.as_str().into(),
        chamber: chamber.code.to_string(),
        balance_cents: balance.cents(),
        entries: {
            let mut out = Vec::with_capacity(entries.len());
            for e in entries {
                out.push(WalletEntryOut {
                    acting_intermediary: acting_intermediary(&state, e.intermediary_id.as_deref())
                        .await?,
                    kind: e.kind,
                    amount_cents: e.amount_cents,
                    balance_after_cents: e.balance_after_cents,
                    practice_id: e.practice_id,
                    reference: e.reference,
                    at: e.created_at,
                });
            }
            out
        },
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ProfileBody {
    pub company_tax_code: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub profile: ProfileInput,
}

/// Completes the company profile needed before sending (tax code, delivery address,
/// notification e-mail).
#[utoipa::path(put, path = "/api/v1/profile", tag = "profile", request_body = ProfileBody,
    security(("bearer" = [])), responses((status = 204)))]
pub async fn put_profile(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<ProfileBody>,
) -> Result<StatusCode, AppError> {
    let p = caller.require(Action::ComposePractice)?;
    let company = chosen_company(&state, p, body.company_tax_code.as_deref()).await?;
    let profile = profile::validate(&body.profile, &company).map_err(|problems| {
        AppError::invalid(problems.into_iter().map(FieldError::from).collect())
    })?;
    profile::save(
        &state.db,
        state.clock.now(),
        &p.actor(),
        &p.user.id,
        &company.id,
        &profile,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
