//! The desk's side of the appointments: the day view with no-shows (ManageAppointments)
//! and the opening plan with the desk's operators (the Master RAO, ManageOperators).

use crate::app::AppState;
use crate::pages::appointments::{DateQuery, day_label};
use crate::pages::devices::Problem;
use crate::web::confirm::{self, Confirmation};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use sportello_core::appointments::booking::{
    self, Appointment, Availability, Standing, StatusError,
};
use sportello_core::appointments::plan;
use sportello_core::authz::{self, Action};
use sportello_core::chambers::{self, Desk};
use sportello_core::devices::chamber_of;
use sportello_core::ra::access;
use sportello_core::ra::operator::{self, Operator};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "appointments/day.html")]
struct DayPage {
    layout: Layout,
    desks: Vec<Desk>,
    desk: Option<Desk>,
    date: String,
    label: String,
    slots: Vec<Availability>,
    appointments: Vec<Appointment>,
    operators: HashMap<String, String>,
    can_issue: bool,
    now: String,
    now_at: chrono::DateTime<chrono::Utc>,
    problem: Option<Problem>,
}

impl DayPage {
    fn in_slot(&self, a: &Availability) -> Vec<&Appointment> {
        let at = sportello_core::db::instant(a.slot.starts_at);
        self.appointments
            .iter()
            .filter(|x| x.starts_at == at)
            .collect()
    }
    fn operator(&self, id: &str) -> String {
        self.operators.get(id).cloned().unwrap_or_default()
    }
    fn started(&self, a: &Appointment) -> bool {
        a.starts_at <= self.now
    }
    fn standing(&self, a: &Appointment) -> Standing {
        a.standing(self.now_at)
    }
    /// Only a confirmed booking is served or marked as missed.
    fn confirmed(&self, a: &Appointment) -> bool {
        self.standing(a) == Standing::Confirmed
    }
    fn is_desk(&self, d: &Desk) -> bool {
        self.desk.as_ref().is_some_and(|x| x.id == d.id)
    }
    fn no_show(&self, a: &Appointment) -> Confirmation {
        let desk = self.desk.as_ref().map(|d| d.name.as_str()).unwrap_or("");
        no_show_confirmation(self.layout.lang, a, desk)
    }
}

/// What marking a no-show means, said before it is done.
fn no_show_confirmation(
    lang: sportello_core::i18n::Lang,
    a: &Appointment,
    desk: &str,
) -> Confirmation {
    let args = [
        ("name", format!("{} {}", a.given_name, a.surname)),
        ("tax_code", a.tax_code.clone()),
        (
            "when",
            sportello_core::display::stored_instant(&a.starts_at),
        ),
        ("desk", desk.to_string()),
    ];
    Confirmation {
        id: format!("confirm-no-show-{}", a.id),
        testid: "confirm-no-show",
        title: lang.t_args("appt-confirm-no-show-title", &args),
        lines: vec![
            lang.t_args("appt-confirm-no-show-when", &args),
            lang.t("appt-confirm-no-show-final"),
        ],
        action: format!("/appointments/{}/no-show", a.id),
        page: format!("/appointments/{}/no-show", a.id),
        back: format!("/appointments?date={}", a.slot_date),
        button: lang.t("appt-no-show"),
        button_class: "btn-danger",
        fields: Vec::new(),
        multipart: false,
    }
}

/// The confirmation page of a no-show, for a browser without JavaScript.
pub async fn confirm_no_show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageAppointments)?;
    let a = access::visible_appointment(&state.db, p, &id).await?;
    let desk = chambers::get_desk(&state.db, &a.desk_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut c = no_show_confirmation(viewer.lang, &a, &desk.name);
    c.back = format!(
        "/appointments?desk={}&date={}",
        desk.code.as_str(),
        a.slot_date
    );
    confirm::page(&viewer, c)
}

async fn day_page(state: &AppState, viewer: &Viewer, q: &DateQuery) -> Result<DayPage, AppError> {
    let p = viewer.require_action(Action::ManageAppointments)?;
    let chamber_id = chamber_of(p)?;
    // Only the desks of the operator's subtree (the Master RAO: the chamber's).
    let desks = access::visible_desks(&state.db, p).await?;
    let desk = if q.desk.is_empty() {
        desks.first().cloned()
    } else {
        Some(access::visible_desk(&state.db, p, &q.desk).await?)
    };
    let date =
        NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").unwrap_or_else(|_| state.clock.today());
    let (slots, appointments) = match &desk {
        Some(d) => (
            booking::availability(&state.db, d, date, state.clock.now()).await?,
            booking::day(&state.db, &d.id, date).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let operators = operator::list_in_chamber(&state.db, chamber_id)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(DayPage {
        layout: Layout::new(viewer, "appt-day-title"),
        desks,
        desk,
        date: date.to_string(),
        label: day_label(viewer.lang, date),
        slots,
        appointments,
        operators,
        can_issue: authz::allows(p.role(), Action::RunIssuance),
        now: sportello_core::db::instant(state.clock.now()),
        now_at: state.clock.now(),
        problem: None,
    })
}

/// Staff: the desk's day.
pub async fn day_view(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DateQuery>,
) -> Result<Response, AppError> {
    Ok(render(&day_page(&state, &viewer, &q).await?)?.into_response())
}

pub async fn no_show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageAppointments)?;
    match booking::mark_no_show(&state.db, state.clock.now(), p, &id).await {
        Ok(a) => {
            let desk = chambers::get_desk(&state.db, &a.desk_id)
                .await?
                .map(|d| d.code.as_str().to_string())
                .unwrap_or_default();
            Ok(
                Redirect::to(&format!("/appointments?desk={desk}&date={}", a.slot_date))
                    .into_response(),
            )
        }
        Err(StatusError::NotFound) => Err(AppError::not_found()),
        Err(e) => {
            let e = AppError::from(e);
            let mut page = day_page(&state, &viewer, &DateQuery::default()).await?;
            page.problem = Some(Problem::of(&e, viewer.lang));
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "appointments/plan.html")]
struct PlanPage {
    layout: Layout,
    desks: Vec<Desk>,
    desk: Desk,
    text: String,
    operators: Vec<(Operator, bool)>,
    problem: Option<Problem>,
    notice: Option<String>,
}

impl PlanPage {
    fn is_desk(&self, d: &Desk) -> bool {
        self.desk.id == d.id
    }
}

async fn plan_of(state: &AppState, viewer: &Viewer, desk: &str) -> Result<PlanPage, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let chamber_id = chamber_of(p)?;
    let desks = chambers::desks_of(&state.db, chamber_id).await?;
    // A desk named and not found (another chamber's) is not found, never another desk.
    let desk = desks
        .iter()
        .find(|d| d.code.as_str() == desk || d.id == desk)
        .or(desks.first().filter(|_| desk.is_empty()))
        .cloned()
        .ok_or_else(AppError::not_found)?;
    let roster = plan::roster(&state.db, &desk.id).await?;
    let operators = plan::roster_candidates(&state.db, chamber_id)
        .await?
        .into_iter()
        .map(|o| {
            let on = roster.contains(&o.id);
            (o, on)
        })
        .collect();
    Ok(PlanPage {
        layout: Layout::new(viewer, "appt-plan-title"),
        text: plan::to_text(&plan::of_desk(&state.db, &desk.id).await?),
        desks,
        desk,
        operators,
        problem: None,
        notice: None,
    })
}

pub async fn plan_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DateQuery>,
) -> Result<Response, AppError> {
    Ok(render(&plan_of(&state, &viewer, &q.desk).await?)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct PlanForm {
    desk: String,
    #[serde(default)]
    plan: String,
}

pub async fn save_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(f): axum::Form<PlanForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let mut page = plan_of(&state, &viewer, &f.desk).await?;
    match plan::change(&state, p, &page.desk.id, &f.plan).await {
        Ok(saved) => {
            page.text = plan::to_text(&saved);
            page.notice = Some(viewer.lang.t("appt-plan-saved"));
            Ok(render(&page)?.into_response())
        }
        Err(e @ plan::PlanError::Line(_)) => {
            let e = AppError::from(e);
            page.problem = Some(Problem::of(&e, viewer.lang));
            page.text = f.plan;
            Ok((e.status, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn save_roster(
    State(state): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body).unwrap_or_default();
    let desk_key = pairs
        .iter()
        .find(|(k, _)| k == "desk")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "operator_ids")
        .map(|(_, v)| v.clone())
        .collect();
    let page = plan_of(&state, &viewer, &desk_key).await?;
    plan::change_roster(&state, p, &page.desk.id, &chosen).await?;
    Ok(Redirect::to(&format!(
        "/appointments/plan?desk={}",
        page.desk.code.as_str()
    ))
    .into_response())
}
