//! Inventory pages: stock per location, the CA's delivery, the cabinet, two-person
//! withdrawals, one device with its activity log, manual moves, two-person write-offs (lost,
//! damaged, destroyed) and refund decisions.

use crate::app::AppState;
use crate::pages::devices::{Problem, euro, form_key, user_error};
use crate::web::form::MultipartForm;
use crate::web::pager::{CursorParam, Pager};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::audit::describe::actor_label;
use sportello_core::authz::{self, Action};
use sportello_core::devices::inventory::{self, Device, ManualMoveError, MoveRecord};
use sportello_core::devices::stock::{self, Location};
use sportello_core::devices::withdrawal::{self, Destination, NewWithdrawal, Withdrawal};
use sportello_core::devices::write_off::{self, WriteOff};
use sportello_core::devices::{
    DeviceKind, DeviceSerial, DeviceState, Move, chamber_of, delivery, free, refund,
};
use sportello_core::paging;
use sportello_core::ra::operator::{self, Operator, OperatorKind};
use sportello_core::registry::TaxCode;

pub(crate) struct StockLine {
    pub label: String,
    pub smart_cards: i64,
    pub tokens: i64,
    pub in_stock: bool,
}

#[derive(Template)]
#[template(path = "devices/inventory.html")]
struct Page {
    layout: Layout,
    lines: Vec<StockLine>,
    total: i64,
    in_stock: i64,
    delivered: i64,
    withdrawals: Vec<(Withdrawal, String, bool)>,
    /// Lost, damaged and destroyed reports, pending first, and whether the viewer may decide.
    write_offs: Vec<(WriteOff, bool)>,
    /// Open recalls of revoked ODRs' devices.
    recalls: Vec<sportello_core::devices::recall::OpenRecall>,
    /// The RAOs the withdrawal form offers: at most [`RAO_PICKER`], by name, from the name
    /// searched for.
    raos: Vec<Operator>,
    /// Whether more RAOs follow the ones offered (the form says to search by name).
    more_raos: bool,
    /// The name searched for in the picker.
    rao: String,
    devices: Vec<Device>,
    pager: Pager,
    filter: String,
    serial: String,
    notice: Option<String>,
    problem: Option<Problem>,
    request_key: String,
}

impl Page {
    fn state_label(&self, s: &DeviceState) -> String {
        self.layout.t(&s.label_key())
    }
    fn write_off_label(&self, w: &WriteOff) -> String {
        write_off_label(&self.layout, w)
    }
    fn kind_label(&self, k: &DeviceKind) -> String {
        self.layout.t(k.label_key())
    }
    fn selected(&self, s: &str) -> bool {
        self.filter == s
    }
}

/// "Lost", "Damaged", "Destroyed": what a report asks for, in the visitor's language.
fn write_off_label(layout: &Layout, w: &WriteOff) -> String {
    layout.t(&format!("dev-write-off-{}", w.mv.replace('_', "-")))
}

/// Reports with whether `me` may decide each (pending, and someone else's).
fn decidable(reports: Vec<WriteOff>, me: &str) -> Vec<(WriteOff, bool)> {
    reports
        .into_iter()
        .map(|w| {
            let can = w.is_pending() && w.requested_by != me;
            (w, can)
        })
        .collect()
}

pub(crate) async fn stock_lines(
    state: &AppState,
    chamber_id: &str,
    lang: sportello_core::i18n::Lang,
) -> Result<(Vec<StockLine>, stock::Stock), AppError> {
    let s = stock::of_chamber(&state.db, chamber_id).await?;
    let holders: Vec<String> = s
        .counts
        .keys()
        .filter_map(|loc| loc.operator_id().map(str::to_string))
        .collect();
    let ops = operator::names_of(&state.db, &holders).await?;
    let lines = s
        .counts
        .iter()
        .map(|(loc, c)| StockLine {
            label: match loc.operator_id() {
                Some(id) => format!(
                    "{} — {}",
                    lang.t(loc.label_key()),
                    ops.get(id).cloned().unwrap_or_default()
                ),
                None => lang.t(loc.label_key()),
            },
            smart_cards: c[0],
            tokens: c[1],
            in_stock: loc.in_stock(),
        })
        .collect();
    Ok((lines, s))
}

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    ok: String,
    /// The start of a RAO's name, to find one the withdrawal form does not offer at first.
    #[serde(default)]
    rao: String,
    #[serde(flatten)]
    page: CursorParam,
}

/// How many RAOs the withdrawal form offers at once.
const RAO_PICKER: usize = 50;

/// How many operators the picker reads at most to find [`RAO_PICKER`] who may act (a RAO
/// whose mandate or course has lapsed is skipped).
const RAO_PICKER_READ: i64 = 200;

/// The RAOs the withdrawal form offers: those who may act, by name, from the first whose
/// name starts with `search` (any case), at most [`RAO_PICKER`], and whether more follow.
/// One bounded range of `ra_operators_chamber_kind_name` (issue 14): the page no longer
/// reads every operator of the chamber.
async fn rao_picker(
    state: &AppState,
    chamber_id: &str,
    search: &str,
    today: chrono::NaiveDate,
) -> Result<(Vec<Operator>, bool), AppError> {
    let search = search.trim();
    // Names are kept in usual case: "rossi" starts at "Rossi".
    let mut chars = search.chars();
    let starting = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
        None => String::new(),
    };
    let wanted = search.to_lowercase();
    let read = operator::of_kind_from(
        &state.db,
        chamber_id,
        OperatorKind::Rao,
        &starting,
        RAO_PICKER_READ,
    )
    .await?;
    let full = read.len() as i64 >= RAO_PICKER_READ;
    let mut raos: Vec<Operator> = read
        .into_iter()
        .filter(|o| o.name.to_lowercase().starts_with(&wanted))
        .filter(|o| sportello_core::ra::eligibility::eligibility(o, today).can_act)
        .collect();
    // A full read may have stopped before the last RAO.
    let more = raos.len() > RAO_PICKER || full;
    raos.truncate(RAO_PICKER);
    Ok((raos, more))
}

/// Devices on one page of the inventory: 640 devices of the demo are seven pages.
const DEVICES_PER_PAGE: u32 = 100;

async fn build(state: &AppState, viewer: &Viewer, q: &PageQuery) -> Result<Page, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?;
    let lang = viewer.lang;
    let (lines, s) = stock_lines(state, chamber_id, lang).await?;
    let recent = withdrawal::recent(&state.db, chamber_id).await?;
    let ops = operator::names_of(
        &state.db,
        &recent
            .iter()
            .map(|w| w.operator_id.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    let me = p.user.id.clone();
    let withdrawals = recent
        .into_iter()
        .map(|w| {
            let name = ops.get(&w.operator_id).cloned().unwrap_or_default();
            let can_decide = w.status == "pending" && w.requested_by != me;
            (w, name, can_decide)
        })
        .collect();
    let filter = DeviceState::parse(&q.state);
    let request = q.page.request(DEVICES_PER_PAGE);
    let devices = if !q.serial.trim().is_empty() {
        let found = match DeviceSerial::parse(&q.serial) {
            Ok(serial) => inventory::by_serial(&state.db, chamber_id, &serial)
                .await?
                .into_iter()
                .collect(),
            Err(_) => Vec::new(),
        };
        paging::Slice {
            items: found,
            previous: None,
            next: None,
        }
    } else {
        inventory::page(&state.db, chamber_id, filter, &request).await?
    };
    let pager = Pager::keyset(
        lang,
        &devices,
        "/devices",
        &[("serial", q.serial.trim()), ("state", &q.state)],
    );
    let today = state.clock.today();
    let (raos, more_raos) = rao_picker(state, chamber_id, &q.rao, today).await?;
    Ok(Page {
        layout: Layout::new(viewer, "dev-inventory-title"),
        total: s.total(),
        in_stock: s.in_stock(),
        delivered: s.count(&Location::Delivered, DeviceKind::SmartCard)
            + s.count(&Location::Delivered, DeviceKind::Token),
        lines,
        withdrawals,
        write_offs: decidable(write_off::recent(&state.db, chamber_id).await?, &me),
        recalls: sportello_core::devices::recall::open_in_chamber(&state.db, chamber_id).await?,
        raos,
        more_raos,
        rao: q.rao.trim().to_string(),
        devices: devices.items,
        pager,
        filter: q.state.clone(),
        serial: q.serial.trim().to_string(),
        notice: (!q.ok.is_empty())
            .then(|| lang.t(&format!("dev-ok-{}", q.ok.replace('_', "-"))))
            .filter(|s| !s.starts_with("dev-ok-")),
        problem: None,
        request_key: form_key(),
    })
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    Ok(render(&build(&state, &viewer, &q).await?)?.into_response())
}

async fn refused(state: &AppState, viewer: &Viewer, e: AppError) -> Result<Response, AppError> {
    let e = user_error(e)?;
    let mut page = build(state, viewer, &PageQuery::default()).await?;
    page.problem = Some(Problem::of(&e, viewer.lang));
    Ok((e.status, render(&page)?).into_response())
}

pub async fn import_delivery(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?;
    let mut form = MultipartForm::read(multipart).await?;
    let Some(file) = form.take_file("file") else {
        return refused(
            &state,
            &viewer,
            AppError::invalid(vec![FieldError::new("file", "dev-import-no-file")]),
        )
        .await;
    };
    let received = delivery::receive(
        &state,
        &p.actor(),
        chamber_id,
        &file.file_name,
        &file.bytes,
        false,
    )
    .await;
    match received {
        Ok(r) => {
            let mut page = build(&state, &viewer, &PageQuery::default()).await?;
            page.notice = Some(viewer.lang.t_args(
                "dev-delivery-done",
                &[
                    ("imported", r.outcome.imported.to_string()),
                    ("already", r.outcome.already_recorded.to_string()),
                ],
            ));
            Ok(render(&page)?.into_response())
        }
        Err(e) => refused(&state, &viewer, e.into()).await,
    }
}

pub async fn store_all(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?;
    delivery::lock_in_cabinet(&state, &p.actor(), chamber_id).await?;
    Ok(Redirect::to("/devices?ok=stored").into_response())
}

#[derive(serde::Deserialize)]
pub struct RequestForm {
    operator_id: String,
    #[serde(default)]
    smart_cards: String,
    #[serde(default)]
    tokens: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    request_key: String,
}

pub(crate) fn count(s: &str) -> i64 {
    s.trim()
        .parse()
        .unwrap_or(if s.trim().is_empty() { 0 } else { -1 })
}

pub async fn request(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(f): axum::Form<RequestForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?.to_string();
    let new = NewWithdrawal {
        destination: Some(Destination::OperatorBox),
        operator_id: f.operator_id,
        smart_cards: count(&f.smart_cards),
        tokens: count(&f.tokens),
        free_smart_cards: 0,
        note: Some(f.note),
        request_key: Some(f.request_key),
    };
    match withdrawal::request(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &chamber_id,
        new,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/devices?ok=requested").into_response()),
        Err(e) => refused(&state, &viewer, e.into()).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?.to_string();
    match withdrawal::approve(
        &state.db,
        state.clock.now(),
        state.clock.today(),
        &p.actor(),
        &chamber_id,
        &id,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/devices?ok=approved").into_response()),
        Err(withdrawal::WithdrawalError::NotFound) => Err(AppError::not_found()),
        Err(e) => refused(&state, &viewer, e.into()).await,
    }
}

pub async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?.to_string();
    match withdrawal::reject(&state.db, state.clock.now(), &p.actor(), &chamber_id, &id).await {
        Ok(_) => Ok(Redirect::to("/devices?ok=rejected").into_response()),
        Err(withdrawal::WithdrawalError::NotFound) => Err(AppError::not_found()),
        Err(e) => refused(&state, &viewer, e.into()).await,
    }
}

#[derive(Template)]
#[template(path = "devices/device.html")]
struct DevicePage {
    layout: Layout,
    device: Device,
    holder: String,
    history: Vec<MoveRecord>,
    moves: Vec<Move>,
    /// Lost, damaged, destroyed: the write-offs the device's state allows.
    write_off_moves: Vec<Move>,
    /// Reports on this device, newest first, and whether the viewer may decide each.
    write_offs: Vec<(WriteOff, bool)>,
    /// A report waits for approval: no other can be made.
    write_off_pending: bool,
    can_move: bool,
    can_refund: bool,
    decision: Option<refund::Decision>,
    notice: Option<String>,
    problem: Option<Problem>,
}

impl DevicePage {
    /// Who made a move: the person's name (what a non-person actor is, when no account has
    /// the label), and the second person of a two-person move when it is someone else.
    fn who(&self, h: &MoveRecord) -> String {
        let named = |name: &Option<String>, label: &str| {
            name.clone()
                .unwrap_or_else(|| actor_label(self.layout.lang, label))
        };
        let mover = named(&h.actor_name, &h.actor);
        match &h.approved_by {
            Some(label) => {
                let second = named(&h.approved_by_name, label);
                if second == mover {
                    mover
                } else {
                    format!("{mover} + {second}")
                }
            }
            None => mover,
        }
    }
    fn state_label(&self, s: &str) -> String {
        DeviceState::parse(s)
            .map(|s| self.layout.t(&s.label_key()))
            .unwrap_or_else(|| s.to_string())
    }
    fn move_label(&self, m: &str) -> String {
        Move::parse(m)
            .map(|m| self.layout.t(&m.label_key()))
            .unwrap_or_else(|| self.layout.t("dev-move-deliver"))
    }
    fn euro(&self, c: &i64) -> String {
        euro(*c)
    }
    fn write_off_label(&self, w: &WriteOff) -> String {
        write_off_label(&self.layout, w)
    }
}

async fn device_page(state: &AppState, viewer: &Viewer, id: &str) -> Result<DevicePage, AppError> {
    let p = viewer.require()?;
    let can_move = authz::allows(p.role(), Action::ManageInventory);
    let can_refund = authz::allows(p.role(), Action::DecideDeviceRefund);
    if !can_move && !can_refund {
        return Err(AppError::forbidden());
    }
    let chamber_id = chamber_of(p)?;
    let device = inventory::get(&state.db, chamber_id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let holder = match &device.holder_operator_id {
        Some(h) => operator::get(&state.db, h)
            .await?
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let write_offs = decidable(
        write_off::of_device(&state.db, chamber_id, &device.id).await?,
        &p.user.id,
    );
    Ok(DevicePage {
        layout: Layout::new(viewer, "dev-device-title"),
        history: inventory::history(&state.db, &device.id).await?,
        moves: device
            .state
            .moves()
            .into_iter()
            .filter(|m| m.is_manual())
            .collect(),
        write_off_moves: device
            .state
            .moves()
            .into_iter()
            .filter(|m| m.is_write_off())
            .collect(),
        write_off_pending: write_offs.iter().any(|(w, _)| w.is_pending()),
        write_offs,
        decision: refund::of_device(&state.db, &device.id).await?,
        device,
        holder,
        can_move,
        can_refund,
        notice: None,
        problem: None,
    })
}

pub async fn device(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let mut page = device_page(&state, &viewer, &id).await?;
    page.notice = (!q.ok.is_empty())
        .then(|| viewer.lang.t(&format!("dev-ok-{}", q.ok.replace('_', "-"))))
        .filter(|s| !s.starts_with("dev-ok-"));
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(rename = "move")]
    mv: String,
    #[serde(default)]
    note: String,
}

pub async fn manual_move(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<MoveForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    match inventory::move_by_hand(&state, p, &id, &f.mv, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/devices/d/{id}")).into_response()),
        Err(ManualMoveError::NotFound) => Err(AppError::not_found()),
        Err(e) => {
            let e = user_error(e.into())?;
            let mut page = device_page(&state, &viewer, &id).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

/// The device page again, with the refused form's problem.
async fn device_refused(
    state: &AppState,
    viewer: &Viewer,
    device_id: &str,
    e: AppError,
) -> Result<Response, AppError> {
    let e = user_error(e)?;
    let mut page = device_page(state, viewer, device_id).await?;
    page.problem = Some(Problem::of(&e, viewer.lang));
    Ok((e.status, render(&page)?).into_response())
}

#[derive(serde::Deserialize)]
pub struct WriteOffForm {
    #[serde(rename = "move", default)]
    mv: String,
    #[serde(default)]
    reason: String,
}

/// The first person reports the device lost, damaged or destroyed; a second decides.
pub async fn request_write_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<WriteOffForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    match write_off::request(&state, p, &id, &f.mv, &f.reason).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/devices/d/{id}?ok=write-off-requested")).into_response())
        }
        Err(write_off::WriteOffError::NotFound) => Err(AppError::not_found()),
        Err(e) => device_refused(&state, &viewer, &id, e.into()).await,
    }
}

/// Approves or rejects report `id` (never the reporter's own), then shows the device.
async fn decide_write_off(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    approve: bool,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = chamber_of(p)?;
    let report = write_off::get(&state.db, chamber_id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let decided = if approve {
        write_off::approve(state, p, id).await
    } else {
        write_off::reject(state, p, id).await
    };
    let ok = if approve { "approved" } else { "rejected" };
    match decided {
        Ok(w) => Ok(
            Redirect::to(&format!("/devices/d/{}?ok=write-off-{ok}", w.device_id)).into_response(),
        ),
        Err(write_off::WriteOffError::NotFound) => Err(AppError::not_found()),
        Err(e) => device_refused(state, viewer, &report.device_id, e.into()).await,
    }
}

pub async fn approve_write_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    decide_write_off(&state, &viewer, &id, true).await
}

pub async fn reject_write_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    decide_write_off(&state, &viewer, &id, false).await
}

#[derive(serde::Deserialize)]
pub struct RefundForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn refund(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<RefundForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::DecideDeviceRefund)?;
    let chamber_id = chamber_of(p)?.to_string();
    match refund::decide(
        &state.db,
        state.clock.now(),
        &p.actor(),
        &chamber_id,
        &id,
        f.decision == "grant",
        &f.reason,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/devices/d/{id}")).into_response()),
        Err(refund::RefundError::NotFound) => Err(AppError::not_found()),
        Err(e) => {
            let e = user_error(e.into())?;
            let mut page = device_page(&state, &viewer, &id).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

/// The overall answer and each rule's (ok, rule, detail).
type Verdicts = (bool, Vec<(bool, String, String)>);

/// One row of the annual-fee table: the year, when it fell due (empty: not registered yet),
/// whether the rule counted it, whether it was paid.
struct FeeRow {
    year: i32,
    due_on: String,
    counted: bool,
    paid: bool,
}

#[derive(Template)]
#[template(path = "devices/free.html")]
struct FreePage {
    layout: Layout,
    company_tax_code: String,
    device: String,
    result: Option<Verdicts>,
    /// The registration date, and the years the annual-fee rule looked at.
    fee: Option<(String, Vec<FeeRow>)>,
    problem: Option<Problem>,
}

#[derive(serde::Deserialize, Default)]
pub struct FreeQuery {
    #[serde(default)]
    company_tax_code: String,
    #[serde(default)]
    device: String,
}

/// The officer's check of a free device, with every rule's verdict (RA procedure, part 2).
pub async fn free_check(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<FreeQuery>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::RunIssuance)?;
    let chamber_id = chamber_of(p)?;
    let lang = viewer.lang;
    let mut page = FreePage {
        layout: Layout::new(&viewer, "dev-free-title"),
        company_tax_code: q.company_tax_code.clone(),
        device: if q.device.is_empty() {
            "smart_card".into()
        } else {
            q.device.clone()
        },
        result: None,
        fee: None,
        problem: None,
    };
    if q.company_tax_code.trim().is_empty() {
        return Ok(render(&page)?.into_response());
    }
    let Ok(tax_code) = TaxCode::parse(&q.company_tax_code) else {
        let e = AppError::invalid(vec![FieldError::new(
            "company_tax_code",
            "dev-error-tax-code",
        )]);
        page.problem = Some(Problem::of(&e, lang));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let kind = DeviceKind::parse(&page.device).unwrap_or(DeviceKind::SmartCard);
    let e = free::check(&state.db, chamber_id, state.clock.today(), &tax_code, kind).await?;
    let f = &e.annual_fee;
    page.fee = Some((
        f.registered_on
            .map(sportello_core::display::date)
            .unwrap_or_default(),
        f.years
            .iter()
            .map(|y| FeeRow {
                year: y.year,
                due_on: y
                    .due_on
                    .map(sportello_core::display::date)
                    .unwrap_or_default(),
                counted: y.counted,
                paid: y.paid,
            })
            .collect(),
    ));
    page.result = Some((
        e.eligible,
        e.reasons
            .iter()
            .map(|r| {
                (
                    r.ok,
                    r.rule.as_str().to_string(),
                    lang.t_args(r.key, &r.args),
                )
            })
            .collect(),
    ));
    Ok(render(&page)?.into_response())
}
