//! Practice pages: the lists, the upload of the signed model, the practice with its details,
//! attachments, fee and history, and sending.

use crate::app::AppState;
use crate::pages::trade::company_user;
use crate::pages::trade::form_view::{self, ChangesView, FormView};
use crate::pages::trade::writable_practice;
use crate::web::download::Download;
use crate::web::error::trade as errors;
use crate::web::form::{FormFields, MultipartForm, new_attachment, practice_details};
use crate::web::form_errors::{FieldLabel, FormErrors, size_limit};
use crate::web::pager::{CursorParam, Pager};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::Principal;
use sportello_core::accounts::{CompanyScope, company_access};
use sportello_core::authz::Action;
use sportello_core::chambers::{self, Desk};
use sportello_core::trade::blank_paper;
use sportello_core::trade::model;
use sportello_core::trade::practice::attachments::{self, Attachment};
use sportello_core::trade::practice::create::{self, CreateError};
use sportello_core::trade::practice::destination;
use sportello_core::trade::practice::details::{self, Details};
use sportello_core::trade::practice::lists::{self, ListKind, Search};
use sportello_core::trade::practice::next_step::NextStep;
use sportello_core::trade::practice::rectification;
use sportello_core::trade::practice::send::{self, SendError};
use sportello_core::trade::practice::signed_model::{self, ReplaceError, SignedModel};
use sportello_core::trade::practice::{self, Event, Practice, PracticeStatus};
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------
// Lists

#[derive(Template)]
#[template(path = "trade/practices.html")]
struct ListPage {
    layout: Layout,
    kind: ListKind,
    tabs: Vec<(String, String, bool)>,
    search: Search,
    pager: Pager,
    /// Each practice with its type, its status and its next step, in words.
    rows: Vec<(Practice, String, String, String)>,
    notice: Option<String>,
    /// The companies the user acts for, by name, when there are several or the user works
    /// for an intermediary (issue 15, item 3: "the broker's lists span its clients with a
    /// filter"); empty otherwise.
    clients: Vec<(String, String)>,
    /// The drafts listed that the user may delete (issue 15: preparing at their company).
    deletable: Vec<String>,
}

impl ListPage {
    /// The client a practice belongs to, by name.
    fn client(&self, p: &Practice) -> String {
        self.clients
            .iter()
            .find(|(id, _)| *id == p.company_id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }

    fn delete(&self, p: &Practice) -> crate::web::confirm::Confirmation {
        crate::pages::trade::drafts::practice_confirmation(
            self.layout.lang,
            p,
            "/practices?list=to_send",
        )
    }

    fn deletable(&self, p: &Practice) -> bool {
        p.status == PracticeStatus::Draft && self.deletable.contains(&p.id)
    }

    /// An unsent practice has no protocol number yet: it is named by when it was uploaded.
    fn unsent(&self, p: &Practice) -> String {
        self.layout.lang.t_args(
            "trade-practice-unsent",
            &[("date", sportello_core::display::stored(&p.created_at))],
        )
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    list: String,
    #[serde(flatten)]
    page: CursorParam,
    #[serde(flatten)]
    search: Search,
    #[serde(default)]
    notice: String,
}

const PRACTICES_PER_PAGE: u32 = 20;

pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewOwnPractices)?;
    let kind = ListKind::parse(&q.list).unwrap_or_default();
    let page = lists::list(
        &state.db,
        &p.company_ids,
        kind,
        &q.search,
        state.clock.now(),
        &q.page.request(PRACTICES_PER_PAGE),
    )
    .await?;
    let pager = Pager::keyset(
        viewer.lang,
        &page,
        "/practices",
        &[
            ("list", kind.as_str()),
            ("invoice", &q.search.invoice),
            ("consignee", &q.search.consignee),
            ("protocol", &q.search.protocol),
            ("from", &q.search.from),
            ("to", &q.search.to),
            ("company_id", &q.search.company_id),
        ],
    );
    let lang = viewer.lang;
    let clients = if p.company_ids.len() > 1 || p.intermediary.is_some() {
        sportello_core::registry::companies_by_id(&state.db, &p.company_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    } else {
        Vec::new()
    };
    let now = state.clock.now();
    let rows = page
        .items
        .iter()
        .map(|pr| {
            (
                pr.clone(),
                lang.t(pr.practice_type.label_key()),
                lang.t(pr.status.label_key()),
                NextStep::of_practice(pr, now).for_people(lang),
            )
        })
        .collect();
    Ok(render(&ListPage {
        layout: Layout::new(&viewer, "trade-practices-title"),
        tabs: ListKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), lang.t(k.label_key()), *k == kind))
            .collect(),
        kind,
        search: q.search,
        pager,
        rows,
        // Only known notices are shown: the query string never carries text.
        notice: (q.notice == "deleted").then(|| lang.t("trade-practice-deleted")),
        clients,
        deletable: page
            .items
            .iter()
            .filter(|pr| company_access::may(p, CompanyScope::Prepare, practice::target(pr), now))
            .map(|pr| pr.id.clone())
            .collect(),
    })?
    .into_response())
}

// ---------------------------------------------------------------------------------------
// Upload of the signed model

#[derive(Template)]
#[template(path = "trade/practice_new.html")]
struct NewPage {
    layout: Layout,
    desks: Vec<(Desk, String)>,
    desk: String,
    details: Details,
    model_hint: Option<String>,
    errors: FormErrors,
    /// Whether one of the user's companies may print on blank paper (Cert'O guide: "per
    /// imprese autorizzate"); the use case checks the practice's own chamber.
    blank_paper_offered: bool,
}

impl NewPage {
    /// The help of the copies field (the desk, and so the chamber, is chosen in the same form).
    fn copies_help(&self) -> String {
        copies_help(self.layout.lang, self.blank_paper_offered)
    }
    fn proforma_is(&self, v: bool) -> bool {
        self.details.proforma == Some(v)
    }
}

/// The help of the copies field, naming the copy charged with blank-paper printing (the fees
/// chambers publish, `fee::compute`) so the form says what the fee will say.
fn copies_help(lang: sportello_core::i18n::Lang, mandatory_copy: bool) -> String {
    if mandatory_copy {
        format!(
            "{} {}",
            lang.t("trade-dh-copies"),
            lang.t("trade-dh-copies-mandatory")
        )
    } else {
        lang.t("trade-dh-copies")
    }
}

/// The details of a practice as the forms name them: the name sent, the id in the page, the
/// label (in the order of the form).
const DETAIL_FIELDS: &[FieldLabel] = &[
    ("proforma", "proforma-yes", "trade-d-proforma"),
    ("goods_location", "goods_location", "trade-d-goods-location"),
    ("print_mode", "print-form", "trade-d-print-mode"),
    ("form_serial", "form_serial", "trade-f-form-serial"),
    ("copies", "copies", "trade-d-copies"),
    ("annotations", "annotations", "trade-d-annotations"),
    ("replaces", "replaces", "trade-d-replaces"),
    ("duplicate", "duplicate", "trade-d-duplicate"),
];

/// The fields of the upload form before the details.
const UPLOAD_FIELDS: &[FieldLabel] = &[
    ("desk", "desk", "trade-desk"),
    ("signed_model", "signed_model", "trade-signed-model"),
];

/// The fields of the attachment form.
const ATTACHMENT_FIELDS: &[FieldLabel] = &[
    ("file", "file", "trade-a-file"),
    ("description", "description", "trade-a-description"),
    ("code", "code", "trade-a-code"),
    ("visas", "visas", "trade-a-visas"),
    ("legalisations", "legalisations", "trade-a-legalisations"),
];

/// The field of the form that replaces the signed model during a rectification.
const RESIGN_FIELDS: &[FieldLabel] = &[("signed_model", "signed_model", "trade-resign-file")];

/// Problems found by the core, as the form's errors.
fn form_errors(
    lang: sportello_core::i18n::Lang,
    fields: &[FieldLabel],
    problems: &[sportello_core::trade::form::FieldProblem],
) -> FormErrors {
    let errors: Vec<FieldError> = problems.iter().cloned().map(FieldError::from).collect();
    FormErrors::from_fields(lang, fields, &errors)
}

/// Every problem of an upload at once: the creation stops at the first one it meets (the
/// file, then the desk, then the details), so when it stopped before the details they are
/// checked here too, and the summary names them all.
fn upload_errors(
    lang: sportello_core::i18n::Lang,
    e: CreateError,
    details: &Details,
) -> FormErrors {
    let mut fields = Vec::new();
    let problems = match e {
        CreateError::Details(details::DetailsError::Invalid(problems)) => problems,
        other => {
            match other {
                CreateError::UnknownDesk => {
                    fields.push(FieldError::new("desk", "trade-field-desk"))
                }
                CreateError::DeskOfAnotherChamber { chamber } => fields.push(
                    FieldError::new("desk", "trade-desk-other-chamber").arg("chamber", chamber),
                ),
                CreateError::TooLarge => fields.push(
                    FieldError::new("signed_model", "error-upload-too-large")
                        .arg("limit", size_limit(create::MAX_SIGNED_MODEL_BYTES)),
                ),
                other => {
                    let e = errors::create_error(other);
                    let mut f = FieldError::new("signed_model", e.key);
                    f.args = e.args;
                    fields.push(f);
                }
            }
            match details::validate(details) {
                Err(details::DetailsError::Invalid(problems)) => problems,
                _ => Vec::new(),
            }
        }
    };
    let mut out = FormErrors::from_fields(lang, UPLOAD_FIELDS, &fields);
    out.extend(form_errors(lang, DETAIL_FIELDS, &problems));
    out
}

/// The desks the user's companies may send to (the destination desk rule), with their
/// chamber's name.
async fn allowed_desks(state: &AppState, p: &Principal) -> Result<Vec<(Desk, String)>, AppError> {
    let mut out: Vec<(Desk, String)> = Vec::new();
    for company_id in &p.company_ids {
        for (c, d) in destination::allowed_desks(&state.db, company_id).await? {
            if !out.iter().any(|(known, _)| known.id == d.id) {
                out.push((d, c.name));
            }
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    model: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let model_hint = match model::get(&state.db, &q.model).await? {
        Some(m) if p.acts_for_company(&m.company_id) => {
            model::current_version(&state.db, &m, state.clock.now(), state.clock.today())
                .await
                .ok()
                .map(|v| v.file_name)
        }
        _ => None,
    };
    let blank_paper_offered = blank_paper::any_authorised(&state.db, &p.company_ids).await?;
    Ok(render(&NewPage {
        layout: Layout::new(&viewer, "trade-new-practice-title"),
        desks: allowed_desks(&state, p).await?,
        desk: String::new(),
        details: Details {
            print_mode: if blank_paper_offered {
                "blank_paper"
            } else {
                "form"
            }
            .into(),
            ..Details::default()
        },
        model_hint,
        errors: FormErrors::new(),
        blank_paper_offered,
    })?
    .into_response())
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let mut form = MultipartForm::read(mp).await?;
    let signed = form.take_file("signed_model").unwrap_or_default();
    let details = practice_details(&form);
    let desk = form.text("desk");
    match create::create(&state, p, &desk, &signed.file_name, &signed.bytes, &details).await {
        Ok(practice) => Ok(Redirect::to(&format!("/practices/{}", practice.id)).into_response()),
        Err(CreateError::Db(e)) => Err(e.into()),
        Err(CreateError::Blob(e)) => Err(e.into()),
        Err(e) => {
            let errors = upload_errors(viewer.lang, e, &details);
            let page = render(&NewPage {
                layout: Layout::new(&viewer, "trade-new-practice-title"),
                desks: allowed_desks(&state, p).await?,
                desk,
                details,
                model_hint: None,
                errors,
                blank_paper_offered: blank_paper::any_authorised(&state.db, &p.company_ids).await?,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---------------------------------------------------------------------------------------
// The practice

#[derive(Template)]
#[template(path = "trade/practice.html")]
struct PracticePage {
    layout: Layout,
    practice: Practice,
    type_label: String,
    status_label: String,
    desk: Desk,
    company_name: String,
    /// Who presented it for whom, when an intermediary did.
    acted_for: Option<String>,
    attachments: Vec<Attachment>,
    codes: Vec<(String, String)>,
    has_visas: bool,
    fee_lines: Vec<(String, i64, String, String)>,
    fee_total: String,
    problems: Vec<(String, String)>,
    history: Vec<(Event, String)>,
    certificate: Option<sportello_core::trade::desk::certificate::Certificate>,
    documents: Vec<sportello_core::trade::desk::documents::IssuedDocument>,
    notice: Option<String>,
    error: Option<String>,
    errors: FormErrors,
    editable: bool,
    /// The rectification the office asked for, while the practice is to rectify.
    rectification: Option<RectificationView>,
    /// The names of the fields the office asked to correct.
    flagged: Vec<String>,
    /// The model of the practice, as signed.
    model_form: FormView,
    signed_models: Vec<SignedModel>,
    changes: Option<ChangesView>,
    /// Whether the company may upload a corrected signed model now.
    can_resign: bool,
    /// Whether the user may send it (their scope at its company, a mandate in force covering
    /// it): the button is not offered otherwise.
    can_send: bool,
    /// Whether the details offer blank paper: the company is authorised by the practice's
    /// chamber, or the practice was already sent on blank paper.
    blank_paper_offered: bool,
    /// What the company does next, in words.
    next_step: String,
    /// Whether the chamber charges one copy with every blank-paper certificate of origin.
    mandatory_copy: bool,
    /// The invoice table against the model's e-invoices, shown before sending.
    einvoice_check: Option<crate::pages::trade::einvoices::CheckView>,
}

async fn own_practice(state: &AppState, p: &Principal, id: &str) -> Result<Practice, AppError> {
    practice::get_for_company_user(&state.db, p, id)
        .await?
        .ok_or_else(AppError::not_found)
}

async fn practice_page(
    state: &AppState,
    viewer: &Viewer,
    p: &Principal,
    pr: Practice,
    notice: Option<String>,
    error: Option<String>,
    errors: FormErrors,
) -> Result<PracticePage, AppError> {
    let lang = viewer.lang;
    let desk = chambers::get_desk(&state.db, &pr.desk_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let company_name = sportello_core::registry::get_company(&state.db, &pr.company_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let acted_for = crate::pages::trade::mandates::acted_for(
        state,
        lang,
        "practice-presented-by",
        pr.intermediary_id.as_deref(),
        &company_name,
    )
    .await?;
    let attachments = attachments::list(&state.db, &pr.id).await?;
    let fee = send::fee_of(state, &pr).await.ok();
    let fee_lines = fee
        .as_ref()
        .map(|f| {
            f.lines
                .iter()
                .map(|l| {
                    (
                        lang.t(l.label_key(pr.practice_type, pr.copies)),
                        l.quantity,
                        l.unit.to_italian(),
                        l.total.to_italian(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // While the company may still change it, the total is what sending would settle to (the
    // lines above it); afterwards, what was charged.
    let fee_total = match pr.fee_cents {
        Some(c) if !pr.status.editable_by_company() => {
            sportello_core::money::Money::from_cents(c).to_italian()
        }
        _ => fee
            .as_ref()
            .map(|f| f.total.to_italian())
            .unwrap_or_else(|| lang.t("trade-send-tariff-missing")),
    };
    let problems = if pr.status.editable_by_company() {
        send::problems(state, p, &pr)
            .await
            .map_err(errors::send_error)?
            .iter()
            .map(|x| (x.field.clone(), lang.t(x.key)))
            .collect()
    } else {
        Vec::new()
    };
    let history = practice::events(&state.db, &pr.id)
        .await?
        .into_iter()
        .map(|e| {
            let label = PracticeStatusLabel::of(&e.to_status, lang);
            (e, label)
        })
        .collect();
    let expired = pr
        .rectify_deadline
        .as_deref()
        .and_then(|d| sportello_core::db::parse_instant(d).ok())
        .is_some_and(|d| state.clock.now() >= d);
    let rectifying = pr.status == PracticeStatus::ToRectify;
    let flagged_fields = if rectifying {
        rectification::flagged(&pr)
    } else {
        Vec::new()
    };
    let rectification = rectifying.then(|| RectificationView {
        reason: pr.rectify_reason.clone().unwrap_or_default(),
        deadline: pr.rectify_deadline.clone(),
        expired,
        fields: flagged_fields.iter().map(|f| lang.t(f.label_key)).collect(),
    });
    let input = practice::signed_form(&state.db, &pr).await?;
    let changes = signed_model::changes_since_sent(&state.db, &pr)
        .await?
        .map(|c| form_view::changes_view(&c, lang));
    let mandatory_copy = pr.practice_type
        == sportello_core::trade::practice_type::PracticeType::CertificateOfOrigin
        && sportello_core::chambers::settings::get_bool(
            &state.db,
            &pr.chamber_id,
            sportello_core::chambers::settings::Setting::BlankPaperMandatoryCopy,
        )
        .await?;
    let einvoice_check = crate::pages::trade::einvoices::check_view(state, &pr, lang).await?;
    // Issue 15: what the user may not do at the practice's company is not offered (the same
    // rule as the writes, `company_access`).
    let now = state.clock.now();
    let may = |needed| company_access::may(p, needed, practice::target(&pr), now);
    let (may_prepare, may_send) = (may(CompanyScope::Prepare), may(CompanyScope::Send));
    Ok(PracticePage {
        einvoice_check,
        layout: Layout::new(viewer, "trade-practice-title"),
        next_step: NextStep::of_practice(&pr, state.clock.now()).for_people(lang),
        mandatory_copy,
        can_resign: rectifying && !expired && may_prepare,
        can_send: may_send,
        rectification,
        flagged: flagged_fields.iter().map(|f| f.name.to_string()).collect(),
        model_form: form_view::form_view(pr.practice_type, &input, &[], lang),
        signed_models: signed_model::history(&state.db, &pr.id).await?,
        changes,
        type_label: lang.t(pr.practice_type.label_key()),
        status_label: lang.t(pr.status.label_key()),
        codes: pr
            .practice_type
            .document_codes()
            .iter()
            .map(|c| (c.as_str().to_string(), lang.t(c.label_key())))
            .collect(),
        has_visas: pr.practice_type.has_visas(),
        editable: pr.status.editable_by_company() && may_prepare,
        blank_paper_offered: blank_paper::sent_on_blank_paper(&pr)
            || blank_paper::authorised(&state.db, &pr.chamber_id, &pr.company_id).await?,
        desk,
        company_name,
        acted_for,
        attachments,
        fee_lines,
        fee_total,
        problems,
        history,
        certificate: sportello_core::trade::desk::certificate::of_practice(&state.db, &pr.id)
            .await?,
        documents: sportello_core::trade::desk::documents::of_practice(&state.db, &pr.id).await?,
        notice,
        error,
        errors,
        practice: pr,
    })
}

/// What the office asked to correct, for the company.
struct RectificationView {
    reason: String,
    deadline: Option<String>,
    expired: bool,
    /// The labels of the fields named.
    fields: Vec<String>,
}

struct PracticeStatusLabel;

impl PracticeStatusLabel {
    fn of(status: &str, lang: sportello_core::i18n::Lang) -> String {
        practice::PracticeStatus::parse(status)
            .map(|s| lang.t(s.label_key()))
            .unwrap_or_else(|| status.to_string())
    }
}

impl PracticePage {
    /// The help of the copies field; it names the mandatory copy where the fee charges one.
    fn copies_help(&self) -> String {
        copies_help(
            self.layout.lang,
            self.blank_paper_offered && self.mandatory_copy,
        )
    }
    fn delete(&self) -> crate::web::confirm::Confirmation {
        let back = format!("/practices/{}", self.practice.id);
        crate::pages::trade::drafts::practice_confirmation(self.layout.lang, &self.practice, &back)
    }
    fn deletable(&self) -> bool {
        self.editable && self.practice.status == PracticeStatus::Draft
    }
    fn is_flagged(&self, name: &str) -> bool {
        self.flagged.iter().any(|f| f == name)
    }
    fn has_copies(&self) -> bool {
        self.practice.practice_type.has_copies()
    }
    fn proforma_is(&self, v: bool) -> bool {
        self.practice.proforma == Some(v)
    }
    fn print_is(&self, mode: &str) -> bool {
        self.practice.print_mode.as_str() == mode
    }
    fn code_label(&self, code: &str) -> String {
        self.codes
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| code.to_string())
    }
    /// Whether visas and legalisations may be asked on a document with this code here.
    fn stampable(&self, code: &str) -> bool {
        self.has_visas
            && sportello_core::trade::practice_type::DocumentCode::parse(code)
                .is_some_and(|c| c.stampable())
    }
    /// The sealed visa issued for an attachment, once approved.
    fn visa_of(
        &self,
        attachment_id: &str,
    ) -> Option<&sportello_core::trade::desk::documents::IssuedDocument> {
        self.documents
            .iter()
            .find(|d| d.kind == "visa" && d.attachment_id.as_deref() == Some(attachment_id))
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    notice: String,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewOwnPractices)?;
    let pr = own_practice(&state, p, &id).await?;
    // Only known notices are shown: the query string never carries text.
    let notice = match q.notice.as_str() {
        "sent" => Some(viewer.lang.t_args(
            "trade-notice-sent",
            &[("protocol", pr.protocol_number.clone().unwrap_or_default())],
        )),
        "already_sent" => Some(viewer.lang.t("trade-notice-already-sent")),
        "saved" => Some(viewer.lang.t("trade-notice-saved")),
        "model_replaced" => Some(viewer.lang.t("trade-notice-model-replaced")),
        _ => None,
    };
    Ok(
        render(&practice_page(&state, &viewer, p, pr, notice, None, FormErrors::new()).await?)?
            .into_response(),
    )
}

pub async fn details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = writable_practice(&state, p, &id, CompanyScope::Prepare).await?;
    let d = practice_details(&form);
    match details::update(&state, p, &pr, &d).await {
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}?notice=saved")).into_response()),
        Err(details::DetailsError::Invalid(problems)) => {
            let errs = form_errors(viewer.lang, DETAIL_FIELDS, &problems);
            let page = render(&practice_page(&state, &viewer, p, pr, None, None, errs).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(errors::details_error(e)),
    }
}

pub async fn attach(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = writable_practice(&state, p, &id, CompanyScope::Prepare).await?;
    let new = new_attachment(MultipartForm::read(mp).await?);
    match attachments::add(&state, p, &pr, new).await {
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}")).into_response()),
        Err(attachments::AttachmentError::Invalid(problems)) => {
            let errs = FormErrors::from_fields(viewer.lang, ATTACHMENT_FIELDS, &problems);
            let page = render(&practice_page(&state, &viewer, p, pr, None, None, errs).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(errors::attachment_error(e)),
    }
}

pub async fn detach(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = writable_practice(&state, p, &id, CompanyScope::Prepare).await?;
    attachments::remove(&state, p, &pr, &aid)
        .await
        .map_err(errors::attachment_error)?;
    Ok(Redirect::to(&format!("/practices/{id}")).into_response())
}

/// The visas and legalisations asked on one attached document, as the row's form sends them.
#[derive(serde::Deserialize)]
pub struct StampsForm {
    #[serde(default)]
    visas: String,
    #[serde(default)]
    legalisations: String,
}

/// Changes the visas and legalisations of one attachment; a refusal is shown at the top of
/// the page, naming the document.
pub async fn stamps(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, aid)): Path<(String, String)>,
    axum::Form(form): axum::Form<StampsForm>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = writable_practice(&state, p, &id, CompanyScope::Prepare).await?;
    // A count that is not a whole number is out of range, so it gets the range's message.
    let count = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
    let (visas, legalisations) = (count(&form.visas), count(&form.legalisations));
    match attachments::set_stamps(&state, p, &pr, &aid, visas, legalisations).await {
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}")).into_response()),
        Err(attachments::AttachmentError::Invalid(problems)) => {
            let errs = FormErrors::from_fields(viewer.lang, &[], &problems);
            let page = render(&practice_page(&state, &viewer, p, pr, None, None, errs).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(errors::attachment_error(e)),
    }
}

/// Who may read a practice's files: its company's users, and the officers of its desk.
async fn readable_practice(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Practice, AppError> {
    Ok(practice::get_readable(&state.db, viewer.require()?, id).await?)
}

pub async fn attachment_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let pr = readable_practice(&state, &viewer, &id).await?;
    let a = attachments::list(&state.db, &pr.id)
        .await?
        .into_iter()
        .find(|a| a.id == aid)
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&a.blob).await?;
    Ok(Download::new(&a.content_type, &a.file_name, bytes)
        .uploaded()
        .into_response())
}

pub async fn signed_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let pr = readable_practice(&state, &viewer, &id).await?;
    let bytes = state.blobs.get(&pr.signed_blob).await?;
    Ok(
        Download::new("application/pkcs7-mime", &pr.signed_file_name, bytes)
            .uploaded()
            .into_response(),
    )
}

pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    match send::send(&state, p, &id, None).await {
        Ok(s) if s.already_sent => {
            Ok(Redirect::to(&format!("/practices/{id}?notice=already_sent")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}?notice=sent")).into_response()),
        Err(SendError::Db(e)) => Err(e.into()),
        Err(SendError::NotFound) => Err(AppError::not_found()),
        // Refused at the practice's company: said on its own page, which the user may no
        // longer be able to read (a mandate that ended).
        Err(SendError::Refused(r)) => Err(r.into()),
        Err(e) => {
            let message = errors::send_error(e).message(viewer.lang);
            let pr = own_practice(&state, p, &id).await?;
            let page = render(
                &practice_page(
                    &state,
                    &viewer,
                    p,
                    pr,
                    None,
                    Some(message),
                    FormErrors::new(),
                )
                .await?,
            )?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// A corrected signed model, uploaded during a rectification (multipart: `signed_model`).
pub async fn replace_signed_model(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let mut form = MultipartForm::read(mp).await?;
    let signed = form.take_file("signed_model").unwrap_or_default();
    match signed_model::replace(&state, p, &id, &signed.file_name, &signed.bytes).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/practices/{id}?notice=model_replaced")).into_response())
        }
        Err(ReplaceError::NotFound) => Err(AppError::not_found()),
        Err(ReplaceError::Db(e)) => Err(e.into()),
        Err(ReplaceError::Blob(e)) => Err(e.into()),
        Err(ReplaceError::Upload(CreateError::Refused(r))) => Err(r.into()),
        Err(e) => {
            let field = match e {
                ReplaceError::Upload(CreateError::TooLarge) => {
                    FieldError::new("signed_model", "error-upload-too-large")
                        .arg("limit", size_limit(create::MAX_SIGNED_MODEL_BYTES))
                }
                other => {
                    let e = errors::replace_error(other);
                    let mut f = FieldError::new("signed_model", e.key);
                    f.args = e.args;
                    f
                }
            };
            let errs = FormErrors::from_fields(viewer.lang, RESIGN_FIELDS, &[field]);
            let pr = own_practice(&state, p, &id).await?;
            let page = render(&practice_page(&state, &viewer, p, pr, None, None, errs).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// A signed model the practice carried before (or carries now), from its history.
pub async fn signed_model_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let pr = readable_practice(&state, &viewer, &id).await?;
    let m = signed_model::history(&state.db, &pr.id)
        .await?
        .into_iter()
        .find(|m| m.id == sid)
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&m.signed_blob).await?;
    Ok(
        Download::new("application/pkcs7-mime", &m.signed_file_name, bytes)
            .uploaded()
            .into_response(),
    )
}
