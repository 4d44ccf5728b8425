//! Issuance pages. The operator's session page (RunIssuance, only the operator who opened it
//! or the chamber's Master RAO), and the public second screen, authorised only by its pairing
//! code: short, expiring, single-use, rate-limited per address; afterwards a random cookie
//! ties the screen to that session while it is live.

use crate::app::AppState;
use crate::pages::devices::Problem;
use crate::web::confirm::{self, ConfirmField, Confirmation};
use crate::web::download::Download;
use crate::web::form::{FormFields, MultipartForm};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::Principal;
use sportello_core::appointments::booking::ApplicantForm;
use sportello_core::authz::Action;
use sportello_core::devices::inventory::Device;
use sportello_core::display;
use sportello_core::issuance::finish;
use sportello_core::issuance::scan::MAX_BYTES;
use sportello_core::issuance::session::{
    self, CLAUSES, IdentityScan, Session, SessionError, Source,
};
use sportello_core::issuance::state::{SessionState, Stage, StageStatus};

pub mod screen;

const SCREEN_COOKIE: &str = "sp_screen";

/// The session `id` if the caller may work it (see [`session::visible`]).
async fn visible(state: &AppState, p: &Principal, id: &str) -> Result<Session, AppError> {
    Ok(session::visible(&state.db, p, id).await?)
}

#[derive(Template)]
#[template(path = "issuance/index.html")]
struct IndexPage {
    layout: Layout,
    sessions: Vec<Session>,
    f: ApplicantForm,
    problem: Option<Problem>,
}

async fn index_page(state: &AppState, viewer: &Viewer) -> Result<IndexPage, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let sessions = match session::operator_for(&state.db, &p.user.id, state.clock.today()).await {
        Ok(op) => session::open_of(&state.db, &op.id).await?,
        Err(_) => Vec::new(),
    };
    Ok(IndexPage {
        layout: Layout::new(viewer, "iss-title"),
        sessions,
        f: ApplicantForm {
            device: "smart_card".into(),
            ..Default::default()
        },
        problem: None,
    })
}

pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&index_page(&state, &viewer).await?)?.into_response())
}

pub async fn walk_in(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(f): axum::Form<ApplicantForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let result: Result<Session, AppError> = async {
        let op = session::operator_for(&state.db, &p.user.id, state.clock.today()).await?;
        let a = f.parse(state.clock.today()).map_err(AppError::invalid)?;
        Ok(session::open(
            &state.db,
            state.clock.now(),
            &p.actor(),
            &p.user.id,
            &op,
            p.desk_ids.first().map(String::as_str),
            Source::WalkIn(&a),
        )
        .await?)
    }
    .await;
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/issuance/{}", s.id)).into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let mut page = index_page(&state, &viewer).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            page.f = f;
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

/// RA procedure, part 1: only an operator who may act today takes the appointment, and only
/// one of a desk within their subtree (`ra::access::visible_appointment`).
pub async fn from_appointment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let appt = sportello_core::ra::access::visible_appointment(&state.db, p, &id).await?;
    let op = session::operator_for(&state.db, &p.user.id, state.clock.today()).await?;
    let s = session::open(
        &state.db,
        state.clock.now(),
        &p.actor(),
        &p.user.id,
        &op,
        None,
        Source::Appointment(&appt),
    )
    .await?;
    Ok(Redirect::to(&format!("/issuance/{}", s.id)).into_response())
}

#[derive(Template)]
#[template(path = "issuance/session.html")]
struct SessionPage {
    layout: Layout,
    s: Session,
    devices: Vec<Device>,
    /// (field label, before, after) of every correction.
    corrections: Vec<(String, String, String)>,
    problem: Option<Problem>,
    free_verdicts: Vec<(bool, String)>,
}

/// What the operator's page and its live parts ask of the session.
macro_rules! session_view {
    ($t:ty) => {
        impl $t {
            fn at(&self, st: &str) -> bool {
                self.s.state == st
            }
            fn state_label(&self) -> String {
                self.layout.t(&self.s.state().label_key())
            }
            fn clauses(&self) -> Vec<(String, bool)> {
                let acc = self.s.accepted();
                CLAUSES
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (self.layout.t(k), acc.contains(&i)))
                    .collect()
            }
            fn accepted_count(&self) -> usize {
                self.s.accepted().len()
            }
            fn form(&self) -> ApplicantForm {
                ApplicantForm {
                    given_name: self.s.given_name.clone(),
                    surname: self.s.surname.clone(),
                    tax_code: self.s.tax_code.clone(),
                    birth_date: self.s.birth_date.clone(),
                    birth_place: self.s.birth_place.clone(),
                    email: self.s.email.clone(),
                    phone: self.s.phone.clone(),
                    company_tax_code: self.s.company_tax_code.clone().unwrap_or_default(),
                    device: self.s.device_kind.clone(),
                    wants_free: String::new(),
                }
            }
            fn ended(&self) -> bool {
                self.s.state().is_final()
            }
            fn personalised(&self) -> bool {
                matches!(
                    self.s.state(),
                    SessionState::Personalised | SessionState::HandedOver
                )
            }
            fn stages(&self) -> Vec<StepperRow> {
                stepper(self.layout.lang, self.s.state())
            }
            fn current_stage(&self) -> Option<usize> {
                current_stage(self.s.state())
            }
            fn refresh_href(&self) -> String {
                format!("/issuance/{}", self.s.id)
            }
        }
    };
}

session_view!(SessionPage);
session_view!(SessionLive);

impl SessionPage {
    fn abort(&self) -> Confirmation {
        abort_confirmation(self.layout.lang, &self.s)
    }
}

/// One row of the issuance stepper.
pub(crate) struct StepperRow {
    /// From 1.
    pub n: usize,
    pub label: String,
    pub done: bool,
    pub current: bool,
    /// The last stage of a finished session: done, and the one a narrow screen shows.
    pub last_done: bool,
}

impl StepperRow {
    /// The Bootstrap Italia classes: `confirmed` done, `active` current (and, on a narrow
    /// screen, the only one shown), none ahead.
    pub fn class(&self) -> &'static str {
        match (self.done, self.current || self.last_done) {
            (true, true) => "confirmed active",
            (true, false) => "confirmed",
            (false, true) => "active",
            (false, false) => "",
        }
    }
}

/// The rows of the issuance stepper, one per stage of the session; none for an aborted
/// session, which has no stage behind or ahead of it.
pub(crate) fn stepper(lang: sportello_core::i18n::Lang, state: SessionState) -> Vec<StepperRow> {
    if state == SessionState::Aborted {
        return Vec::new();
    }
    let stages = state.stages();
    let all_done = stages.iter().all(|(_, st)| *st == StageStatus::Done);
    let last = stages.len();
    stages
        .into_iter()
        .enumerate()
        .map(|(i, (stage, status))| StepperRow {
            n: i + 1,
            label: lang.t(stage.label_key()),
            done: status == StageStatus::Done,
            current: status == StageStatus::Current,
            last_done: all_done && i + 1 == last,
        })
        .collect()
}

/// The number (from 1) of the stage the session is at, while it is live.
pub(crate) fn current_stage(state: SessionState) -> Option<usize> {
    let stage = state.stage()?;
    Stage::ALL.iter().position(|s| *s == stage).map(|i| i + 1)
}

async fn session_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<SessionPage, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(state, p, id).await?;
    let devices = match sportello_core::ra::operator::get(&state.db, &s.operator_id).await? {
        Some(op) if s.state() == SessionState::DocumentScanned => {
            session::available_devices(&state.db, &op, s.kind()).await?
        }
        _ => Vec::new(),
    };
    Ok(SessionPage {
        layout: Layout::new(viewer, "iss-session-title"),
        corrections: serde_json::from_str::<Vec<serde_json::Value>>(&s.corrections)
            .unwrap_or_default()
            .iter()
            .map(|c| {
                let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                let field = match text("field").as_str() {
                    "device_kind" => "appt-device".to_string(),
                    f => format!("appt-{}", f.replace('_', "-")),
                };
                (viewer.lang.t(&field), text("before"), text("after"))
            })
            .collect(),
        s,
        devices,
        problem: None,
        free_verdicts: Vec::new(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(render(&session_page(&state, &viewer, &id).await?)?.into_response())
}

/// One live part of the operator's page, as htmx polls it.
#[derive(Template)]
#[template(path = "issuance/session_live.html")]
struct SessionLive {
    layout: Layout,
    s: Session,
    devices: Vec<Device>,
    problem: Option<Problem>,
    free_verdicts: Vec<(bool, String)>,
    /// The pairing card rather than the steps.
    pairing: bool,
}

#[derive(serde::Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    part: String,
    /// The revision the page shows; the same one answers 204 No Content (htmx swaps nothing).
    #[serde(default)]
    rev: String,
}

/// A live part of the operator's page: the steps (`part=steps`: stepper, state, next action)
/// or the pairing card (`part=pairing`). Only for who may see the session itself; when the
/// session has not moved since `rev`, 204 and nothing else.
pub async fn live(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<LiveQuery>,
) -> Result<Response, AppError> {
    let pairing = q.part == "pairing";
    let page = session_page(&state, &viewer, &id).await?;
    let rev = if pairing {
        page.s.pairing_revision()
    } else {
        page.s.progress_revision()
    };
    if rev == q.rev {
        return Ok(no_store(StatusCode::NO_CONTENT.into_response()));
    }
    let part = SessionLive {
        layout: page.layout,
        s: page.s,
        devices: page.devices,
        problem: None,
        free_verdicts: Vec::new(),
        pairing,
    };
    Ok(no_store(render(&part)?.into_response()))
}

/// A live answer is never kept by a cache: the next poll must reach the server.
pub(crate) fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Runs a step; on a user error the session page comes back with the message.
async fn after_step(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/issuance/{id}")).into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let mut page = session_page(state, viewer, id).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

pub async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ApplicantForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let r = session::verify(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &s,
        &f,
    )
    .await
    .map_err(AppError::from);
    after_step(&state, &viewer, &id, r).await
}

pub async fn scan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let mut form = MultipartForm::read(multipart).await?;
    let bytes = form.take_file("file").map(|f| f.bytes).unwrap_or_default();
    let r: Result<(), AppError> = async {
        if bytes.len() > MAX_BYTES {
            return Err(AppError::invalid(vec![FieldError::new(
                "file",
                "iss-error-scan-type",
            )]));
        }
        let expires_on = form.date("doc_expires_on", "ra-error-date").unwrap_or(None);
        let scan = IdentityScan {
            doc_type: form.text("doc_type"),
            number: form.text("doc_number"),
            expires_on,
            bytes,
        };
        Ok(session::store_scan(
            &state.db,
            state.blobs.as_ref(),
            state.clock.now(),
            state.clock.today(),
            &p.actor(),
            &s,
            scan,
        )
        .await?)
    }
    .await;
    after_step(&state, &viewer, &id, r).await
}

/// The scan, decrypted, for the desk staff while the session is open.
pub async fn read_scan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let (ct, bytes) = session::read_scan(&state.db, state.blobs.as_ref(), &s)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[derive(serde::Deserialize)]
pub struct DeviceForm {
    device_id: String,
    #[serde(default)]
    free: String,
}

pub async fn device(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<DeviceForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let op = sportello_core::ra::operator::get(&state.db, &s.operator_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let r = session::assign_device(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &op,
        &s,
        &f.device_id,
        !f.free.is_empty(),
    )
    .await;
    if let Err(SessionError::NotFree(v)) = &r {
        // The officer sees every rule's verdict.
        let mut page = session_page(&state, &viewer, &id).await?;
        page.free_verdicts = v
            .reasons
            .iter()
            .map(|r| (r.ok, viewer.lang.t_args(r.key, &r.args)))
            .collect();
        page.problem = Some(Problem::of(
            &AppError::conflict("not_eligible_free", "dev-free-not-eligible"),
            viewer.lang,
        ));
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    }
    after_step(&state, &viewer, &id, r.map_err(AppError::from)).await
}

pub async fn otp(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let r = finish::send_otp(&state.db, state.clock.now(), &p.actor(), &s)
        .await
        .map_err(AppError::from);
    after_step(&state, &viewer, &id, r).await
}

pub async fn personalise(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let r = finish::personalise(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &s,
    )
    .await
    .map_err(AppError::from);
    after_step(&state, &viewer, &id, r).await
}

pub async fn hand_over(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let r = finish::hand_over(
        &state.db,
        state.blobs.as_ref(),
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &s,
    )
    .await
    .map_err(AppError::from);
    after_step(&state, &viewer, &id, r).await
}

#[derive(serde::Deserialize)]
pub struct AbortForm {
    #[serde(default)]
    reason: String,
}

/// What aborting the session means, said before it is done.
fn abort_confirmation(lang: sportello_core::i18n::Lang, s: &Session) -> Confirmation {
    let args = [
        ("name", format!("{} {}", s.given_name, s.surname)),
        ("tax_code", s.tax_code.clone()),
    ];
    let mut lines = vec![
        lang.t_args("iss-confirm-abort-person", &args),
        lang.t("iss-confirm-abort-final"),
    ];
    if s.state() == SessionState::Personalised {
        lines.push(lang.t("iss-confirm-abort-personalised"));
    }
    Confirmation {
        id: "confirm-abort".to_string(),
        testid: "confirm-abort",
        title: lang.t_args("iss-confirm-abort-title", &args),
        lines,
        action: format!("/issuance/{}/abort", s.id),
        page: format!("/issuance/{}/abort", s.id),
        back: format!("/issuance/{}", s.id),
        button: lang.t("iss-abort"),
        button_class: "btn-danger",
        fields: vec![ConfirmField::new(
            "abort-reason",
            "reason",
            "text",
            lang.t("iss-abort-reason"),
        )],
        multipart: false,
    }
}

/// The confirmation page of an abort, for a browser without JavaScript.
pub async fn confirm_abort(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    if s.state().is_final() {
        return Ok(Redirect::to(&format!("/issuance/{id}")).into_response());
    }
    confirm::page(&viewer, abort_confirmation(viewer.lang, &s))
}

pub async fn abort(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<AbortForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let reason = Some(f.reason.trim()).filter(|r| !r.is_empty());
    let r = finish::abort(
        &state.db,
        state.blobs.as_ref(),
        state.clock.now(),
        &p.actor(),
        &s,
        reason,
    )
    .await
    .map_err(AppError::from);
    after_step(&state, &viewer, &id, r).await
}

pub async fn pairing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let r = session::new_pairing(&state.db, state.clock.now(), &s)
        .await
        .map_err(AppError::from);
    after_step(&state, &viewer, &id, r).await
}

/// The holder printed at hand-over, with the certificates' expiry and the support references.
pub async fn holder(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let s = visible(&state, p, &id).await?;
    let facts = sportello_core::issuance::holder::facts(&state.db, &s)
        .await?
        .ok_or_else(AppError::not_found)?;
    let fmt = |d: &str| {
        sportello_core::db::parse_date(d)
            .map(display::date)
            .unwrap_or_default()
    };
    let h = sportello_core::issuance::holder::Holder {
        chamber: facts.chamber.clone(),
        holder_name: format!("{} {}", s.given_name, s.surname),
        tax_code: s.tax_code.clone(),
        device_kind: viewer.lang.t(s.kind().label_key()),
        device_serial: facts.device_serial,
        expiries: facts
            .certificates
            .iter()
            .map(|(purpose, end)| (viewer.lang.t(&format!("iss-cert-{purpose}")), fmt(end)))
            .collect(),
        support: vec![
            viewer.lang.t("iss-support-1"),
            viewer.lang.t("iss-support-2"),
            facts.chamber,
        ],
        issued_on: display::date(state.clock.today()),
    };
    let bytes = sportello_core::issuance::holder::pdf(&h).map_err(AppError::internal)?;
    Ok(Download::new("application/pdf", "portatessera.pdf", bytes)
        .inline()
        .into_response())
}
