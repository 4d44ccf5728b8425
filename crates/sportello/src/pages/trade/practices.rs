//! Practice pages: the lists, the upload of the signed model, the practice with its details,
//! attachments, fee and history, and sending.

use crate::app::AppState;
use crate::pages::trade::company::messages;
use crate::pages::trade::company_user;
use crate::web::error::trade as errors;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::Principal;
use sportello_core::authz::Action;
use sportello_core::chambers::{self, Desk};
use sportello_core::trade::model;
use sportello_core::trade::practice::attachments::{self, Attachment, NewAttachment};
use sportello_core::trade::practice::create::{self, CreateError};
use sportello_core::trade::practice::details::{self, Details};
use sportello_core::trade::practice::lists::{self, ListKind, Search};
use sportello_core::trade::practice::send::{self, SendError};
use sportello_core::trade::practice::{self, Event, Practice};

// ---------------------------------------------------------------------------------------
// Lists

#[derive(Template)]
#[template(path = "trade/practices.html")]
struct ListPage {
    layout: Layout,
    kind: ListKind,
    tabs: Vec<(String, String, bool)>,
    search: Search,
    page: lists::Page,
    rows: Vec<(Practice, String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    list: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(flatten)]
    search: Search,
}

pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewOwnPractices)?;
    let kind = ListKind::parse(&q.list).unwrap_or_default();
    let page = lists::list(
        &state.db,
        &p.user.id,
        kind,
        &q.search,
        state.clock.now(),
        q.page.unwrap_or(1),
        20,
    )
    .await?;
    let lang = viewer.lang;
    let rows = page
        .items
        .iter()
        .map(|pr| {
            (
                pr.clone(),
                lang.t(pr.practice_type.label_key()),
                lang.t(pr.status.label_key()),
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
        page,
        rows,
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
    error: Option<String>,
    errors: Vec<(String, String)>,
}

impl NewPage {
    fn proforma_is(&self, v: bool) -> bool {
        self.details.proforma == Some(v)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn all_desks(state: &AppState) -> Result<Vec<(Desk, String)>, AppError> {
    let mut out = Vec::new();
    for c in chambers::list_chambers(&state.db).await? {
        for d in chambers::desks_of(&state.db, &c.id).await? {
            out.push((d, c.name.clone()));
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
    Ok(render(&NewPage {
        layout: Layout::new(&viewer, "trade-new-practice-title"),
        desks: all_desks(&state).await?,
        desk: String::new(),
        details: Details {
            print_mode: "blank_paper".into(),
            ..Details::default()
        },
        model_hint,
        error: None,
        errors: Vec::new(),
    })?
    .into_response())
}

/// Multipart fields as text, files as (name, bytes).
async fn fields(mut mp: Multipart) -> Result<Vec<(String, Option<String>, Bytes)>, AppError> {
    let mut out = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("bad_multipart", "error-bad-request"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|_| {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "error-payload-too-large",
            )
        })?;
        out.push((name, file_name, bytes));
    }
    Ok(out)
}

fn text(f: &[(String, Option<String>, Bytes)], name: &str) -> String {
    f.iter()
        .find(|(n, fname, _)| n == name && fname.is_none())
        .map(|(_, _, b)| String::from_utf8_lossy(b).trim().to_string())
        .unwrap_or_default()
}

fn file(f: &[(String, Option<String>, Bytes)], name: &str) -> (String, Vec<u8>) {
    f.iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, fname, b)| (fname.clone().unwrap_or_default(), b.to_vec()))
        .unwrap_or_default()
}

fn details_from(f: &[(String, Option<String>, Bytes)]) -> Details {
    let copies = text(f, "copies");
    Details {
        annotations: text(f, "annotations"),
        proforma: match text(f, "proforma").as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        goods_location: text(f, "goods_location"),
        print_mode: text(f, "print_mode"),
        form_serial: text(f, "form_serial"),
        copies: if copies.is_empty() {
            0
        } else {
            copies.parse().unwrap_or(-1)
        },
        replaces: text(f, "replaces"),
        duplicate: text(f, "duplicate") == "true",
    }
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let f = fields(mp).await?;
    let (file_name, signed) = file(&f, "signed_model");
    let details = details_from(&f);
    let desk = text(&f, "desk");
    match create::create(&state, p, &desk, &file_name, &signed, &details).await {
        Ok(practice) => Ok(Redirect::to(&format!("/practices/{}", practice.id)).into_response()),
        Err(CreateError::Db(e)) => Err(e.into()),
        Err(CreateError::Blob(e)) => Err(e.into()),
        Err(e) => {
            let lang = viewer.lang;
            let (error, errors) = match &e {
                CreateError::Details(details::DetailsError::Invalid(problems)) => {
                    (None, messages(problems, &viewer))
                }
                CreateError::UnknownDesk => {
                    (None, vec![("desk".to_string(), lang.t("trade-field-desk"))])
                }
                _ => (Some(errors::create_error(e).message(lang)), Vec::new()),
            };
            let page = render(&NewPage {
                layout: Layout::new(&viewer, "trade-new-practice-title"),
                desks: all_desks(&state).await?,
                desk,
                details,
                model_hint: None,
                error,
                errors,
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
    errors: Vec<(String, String)>,
    editable: bool,
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
    errors: Vec<(String, String)>,
) -> Result<PracticePage, AppError> {
    let lang = viewer.lang;
    let desk = chambers::get_desk(&state.db, &pr.desk_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let company_name = sportello_core::registry::get_company(&state.db, &pr.company_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let attachments = attachments::list(&state.db, &pr.id).await?;
    let fee = send::fee_of(state, &pr).await.ok();
    let fee_lines = fee
        .as_ref()
        .map(|f| {
            f.lines
                .iter()
                .map(|l| {
                    (
                        lang.t(l.item.label_key()),
                        l.quantity,
                        l.unit.to_italian(),
                        l.total.to_italian(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let fee_total = match pr.fee_cents {
        Some(c) => sportello_core::money::Money::from_cents(c).to_italian(),
        None => fee
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
    Ok(PracticePage {
        layout: Layout::new(viewer, "trade-practice-title"),
        type_label: lang.t(pr.practice_type.label_key()),
        status_label: lang.t(pr.status.label_key()),
        codes: pr
            .practice_type
            .document_codes()
            .iter()
            .map(|c| (c.as_str().to_string(), lang.t(c.label_key())))
            .collect(),
        has_visas: pr.practice_type.has_visas(),
        editable: pr.status.editable_by_company(),
        desk,
        company_name,
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

struct PracticeStatusLabel;

impl PracticeStatusLabel {
    fn of(status: &str, lang: sportello_core::i18n::Lang) -> String {
        practice::PracticeStatus::parse(status)
            .map(|s| lang.t(s.label_key()))
            .unwrap_or_else(|| status.to_string())
    }
}

impl PracticePage {
    fn has_copies(&self) -> bool {
        self.practice.practice_type.has_copies()
    }
    fn proforma_is(&self, v: bool) -> bool {
        self.practice.proforma == Some(v)
    }
    fn print_is(&self, mode: &str) -> bool {
        self.practice.print_mode.as_str() == mode
    }
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    fn code_label(&self, code: &str) -> String {
        self.codes
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| code.to_string())
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
        _ => None,
    };
    Ok(
        render(&practice_page(&state, &viewer, p, pr, notice, None, Vec::new()).await?)?
            .into_response(),
    )
}

pub async fn details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::extract::Form(form): axum::extract::Form<DetailsForm>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = own_practice(&state, p, &id).await?;
    let d = Details {
        annotations: form.annotations,
        proforma: match form.proforma.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        goods_location: form.goods_location,
        print_mode: form.print_mode,
        form_serial: form.form_serial,
        copies: if form.copies.trim().is_empty() {
            0
        } else {
            form.copies.trim().parse().unwrap_or(-1)
        },
        replaces: form.replaces,
        duplicate: form.duplicate == "true",
    };
    match details::update(&state, p, &pr, &d).await {
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}?notice=saved")).into_response()),
        Err(details::DetailsError::Invalid(problems)) => {
            let errs = messages(&problems, &viewer);
            let page = render(&practice_page(&state, &viewer, p, pr, None, None, errs).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(errors::details_error(e)),
    }
}

#[derive(serde::Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    annotations: String,
    #[serde(default)]
    proforma: String,
    #[serde(default)]
    goods_location: String,
    #[serde(default)]
    print_mode: String,
    #[serde(default)]
    form_serial: String,
    #[serde(default)]
    copies: String,
    #[serde(default)]
    replaces: String,
    #[serde(default)]
    duplicate: String,
}

pub async fn attach(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = own_practice(&state, p, &id).await?;
    let f = fields(mp).await?;
    let (file_name, bytes) = file(&f, "file");
    let num = |name: &str| {
        let t = text(&f, name);
        if t.is_empty() {
            0
        } else {
            t.parse().unwrap_or(-1)
        }
    };
    let new = NewAttachment {
        file_name,
        bytes,
        description: text(&f, "description"),
        code: text(&f, "code"),
        visas: num("visas"),
        legalisations: num("legalisations"),
    };
    match attachments::add(&state, p, &pr, new).await {
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}")).into_response()),
        Err(attachments::AttachmentError::Invalid(problems)) => {
            let errs = messages(&problems, &viewer);
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
    let pr = own_practice(&state, p, &id).await?;
    attachments::remove(&state, p, &pr, &aid)
        .await
        .map_err(errors::attachment_error)?;
    Ok(Redirect::to(&format!("/practices/{id}")).into_response())
}

/// Who may read a practice's files: its company's users, and the officers of its desk.
async fn readable_practice(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Practice, AppError> {
    Ok(practice::get_readable(&state.db, viewer.require()?, id).await?)
}

/// A stored file, served under our own name and type, shown in the browser for PDFs and
/// images, never interpreted as a page of this site.
fn serve_file(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    let inline = matches!(content_type, "application/pdf" | "image/png" | "image/jpeg");
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        name.replace('"', "")
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    r
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
    Ok(serve_file(&a.content_type, &a.file_name, bytes))
}

pub async fn signed_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let pr = readable_practice(&state, &viewer, &id).await?;
    let bytes = state.blobs.get(&pr.signed_blob).await?;
    Ok(serve_file(
        "application/pkcs7-mime",
        &pr.signed_file_name,
        bytes,
    ))
}

pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = own_practice(&state, p, &id).await?;
    match send::send(&state, p, &pr.id, None).await {
        Ok(s) if s.already_sent => {
            Ok(Redirect::to(&format!("/practices/{id}?notice=already_sent")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/practices/{id}?notice=sent")).into_response()),
        Err(SendError::Db(e)) => Err(e.into()),
        Err(SendError::NotFound) => Err(AppError::not_found()),
        Err(e) => {
            let message = errors::send_error(e).message(viewer.lang);
            let pr = own_practice(&state, p, &id).await?;
            let page = render(
                &practice_page(&state, &viewer, p, pr, None, Some(message), Vec::new()).await?,
            )?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
