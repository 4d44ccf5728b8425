//! What a revocation sent and the recall of a revoked ODR's devices, on the operator's page:
//! the e-mails (why, to whom, when), each recalled device with what became of it, the
//! consigned-fee settlement, and the two-person return (one person reports the device back,
//! another confirms it into the cabinet).

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::session::Viewer;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::Principal;
use sportello_core::authz::{self, Action};
use sportello_core::devices::advance;
use sportello_core::devices::recall::{self, Outcome};
use sportello_core::devices::two_person;
use sportello_core::i18n::Lang;
use sportello_core::money::Money;
use sportello_core::ra::operator::Operator;
use sportello_core::ra::revocation;

/// One e-mail of the revocation.
pub struct MailRow {
    pub purpose: String,
    pub to: String,
    pub queued_at: String,
    /// Empty while it waits in the outbox.
    pub sent_at: String,
}

/// One recalled device.
pub struct LineRow {
    pub device_id: String,
    pub serial: String,
    pub kind: String,
    pub consigned_at: String,
    pub outcome: String,
    pub outstanding: bool,
    /// Who reported the return and when, while it waits for the second person.
    pub reported: Option<String>,
    pub note: String,
    /// Who settled the line and when.
    pub closed: String,
    pub write_off_pending: bool,
    /// The viewer may report the return (first person).
    pub can_report: bool,
    /// The viewer may confirm it (a different person).
    pub can_confirm: bool,
    /// The viewer may report it lost, damaged or destroyed (the device's page).
    pub can_write_off: bool,
}

/// The recall as the page shows it.
pub struct RecallSection {
    pub id: String,
    pub open: bool,
    pub status: String,
    pub opened_at: String,
    pub closed_at: String,
    pub next_reminder_on: String,
    pub lines: Vec<LineRow>,
    pub devices: i64,
    pub outstanding: i64,
    pub returned: i64,
    pub written_off: i64,
    pub issued: i64,
    pub owed: String,
    pub released: String,
    pub pending: String,
    pub balance: String,
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_italian()
}

/// The e-mails of the revocation of `op`.
pub async fn mails(state: &AppState, lang: Lang, op: &Operator) -> Result<Vec<MailRow>, AppError> {
    Ok(revocation::mails(&state.db, &op.id)
        .await?
        .into_iter()
        .map(|m| MailRow {
            purpose: lang.t(&m.purpose.label_key()),
            to: m.to,
            queued_at: sportello_core::display::stored(&m.queued_at),
            sent_at: m
                .sent_at
                .as_deref()
                .map(sportello_core::display::stored)
                .unwrap_or_default(),
        })
        .collect())
}

/// The recall of `op`, if its revocation opened one.
pub async fn section(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    op: &Operator,
) -> Result<Option<RecallSection>, AppError> {
    match recall::of_operator(&state.db, &op.chamber_id, &op.id).await? {
        Some(view) => Ok(Some(build(state, p, lang, view).await?)),
        None => Ok(None),
    }
}

/// The page's view of a recall.
async fn build(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    view: recall::RecallView,
) -> Result<RecallSection, AppError> {
    let may_move = authz::allows(p.role(), Action::ManageInventory);
    let me = two_person::person(p);
    let open = view.recall.is_open();
    let lines = view
        .lines
        .iter()
        .map(|l| {
            let outstanding = l.outcome == Outcome::Outstanding;
            let reported = l.return_reported_by.as_deref();
            LineRow {
                device_id: l.device_id.clone(),
                serial: l.serial.clone(),
                kind: lang.t(l.kind.label_key()),
                consigned_at: l
                    .consigned_at
                    .as_deref()
                    .map(sportello_core::display::stored)
                    .unwrap_or_else(|| "—".into()),
                outcome: lang.t(&l.outcome.label_key()),
                outstanding,
                reported: (outstanding && reported.is_some()).then(|| {
                    format!(
                        "{} · {}",
                        l.return_reported_by_label.clone().unwrap_or_default(),
                        l.return_reported_at
                            .as_deref()
                            .map(sportello_core::display::stored)
                            .unwrap_or_default()
                    )
                }),
                note: l.return_note.clone().unwrap_or_default(),
                closed: match (&l.closed_by_label, &l.closed_at) {
                    (Some(by), Some(at)) => {
                        format!("{by} · {}", sportello_core::display::stored(at))
                    }
                    _ => String::new(),
                },
                write_off_pending: l.write_off_pending,
                can_report: open && may_move && outstanding && reported.is_none(),
                can_write_off: open && may_move && outstanding && !l.write_off_pending,
                can_confirm: open
                    && may_move
                    && outstanding
                    && reported.is_some_and(|r| two_person::second_person(r, &me).is_ok()),
            }
        })
        .collect();
    let s = view.settlement;
    let balance = advance::account(&state.db, &view.recall.operator_id)
        .await?
        .balance_cents;
    let r = &view.recall;
    Ok(RecallSection {
        id: r.id.clone(),
        open,
        status: lang.t(if open {
            "recall-status-open"
        } else {
            "recall-status-closed"
        }),
        opened_at: sportello_core::display::stored(&r.opened_at),
        closed_at: r
            .closed_at
            .as_deref()
            .map(sportello_core::display::stored)
            .unwrap_or_default(),
        next_reminder_on: r
            .next_reminder_on
            .as_deref()
            .map(sportello_core::display::stored)
            .unwrap_or_default(),
        lines,
        devices: s.devices,
        outstanding: s.outstanding,
        returned: s.returned,
        written_off: s.written_off,
        issued: s.issued,
        owed: money(s.owed_cents),
        released: money(s.released_cents),
        pending: money(s.pending_cents),
        balance: money(balance),
    })
}

#[derive(Template)]
#[template(path = "ra/recall.html")]
struct RecallPage {
    layout: Layout,
    operator_id: String,
    operator_name: String,
    recall: Option<RecallSection>,
    recall_done: Option<String>,
    recall_error: Option<String>,
}

async fn recall_page(state: &AppState, viewer: &Viewer, id: &str) -> Result<RecallPage, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let chamber_id = authz::chamber_of(p)?;
    let view = recall::view(&state.db, chamber_id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let op = sportello_core::ra::operator::get(&state.db, &view.recall.operator_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(RecallPage {
        layout: Layout::new(viewer, "recall-title"),
        operator_id: op.id,
        operator_name: op.name,
        recall: Some(build(state, p, viewer.lang, view).await?),
        recall_done: None,
        recall_error: None,
    })
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    /// `reported` or `confirmed`: a recall action just done.
    recall: Option<String>,
}

/// What a recall action just did, said on the page it lands on.
pub fn done_message(lang: Lang, done: Option<&str>) -> Option<String> {
    match done {
        Some("reported") => Some(lang.t("recall-return-reported")),
        Some("confirmed") => Some(lang.t("recall-return-confirmed")),
        _ => None,
    }
}

/// The recall page of the inventory staff: the devices, the two-person returns, the settlement.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let mut page = recall_page(&state, &viewer, &id).await?;
    page.recall_done = done_message(viewer.lang, q.recall.as_deref());
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    note: String,
}

/// The operator page after a recall action: back to the recall on success, the page with the
/// After a recall action: back to the recall's page on success, the page with the reason next
/// to the recall on a refusal (nothing changed).
async fn answer(
    state: &AppState,
    viewer: &Viewer,
    recall_id: &str,
    result: Result<(), AppError>,
    done: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/ra/recalls/{recall_id}?recall={done}#recall")).into_response(),
        ),
        Err(e) if e.status.is_server_error() || e.status == axum::http::StatusCode::NOT_FOUND => {
            Err(e)
        }
        Err(e) => {
            let mut page = recall_page(state, viewer, recall_id).await?;
            let mut message = e.message(viewer.lang);
            for f in &e.fields {
                message.push(' ');
                message.push_str(&viewer.lang.t_args(f.key, &f.args));
            }
            page.recall_error = Some(message);
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

/// The first person reports a recalled device back in hand.
pub async fn report_return(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((recall_id, device_id)): Path<(String, String)>,
    Form(form): Form<ReturnForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let result = recall::report_return(&state, p, &recall_id, &device_id, &form.note)
        .await
        .map(drop)
        .map_err(AppError::from);
    answer(&state, &viewer, &recall_id, result, "reported").await
}

/// A different person confirms the return: the device goes back into the cabinet.
pub async fn confirm_return(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((recall_id, device_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageInventory)?;
    let result = recall::confirm_return(&state, p, &recall_id, &device_id)
        .await
        .map(drop)
        .map_err(AppError::from);
    answer(&state, &viewer, &recall_id, result, "confirmed").await
}
