//! Appointment pages. Public, no login: the booking page of each desk, the pre-registration
//! form, the cancel link. Staff: the desk's day view with no-shows (ManageAppointments) and
//! the opening plan with the desk's operators (the Master RAO, ManageOperators).

use super::booking::{self, ApplicantForm, Appointment, Availability, BookingError, StatusError};
use super::plan;
use crate::app::AppState;
use crate::authz::{self, Action};
use crate::chambers::{self, Desk};
use crate::devices::chamber_of;
use crate::devices::web::Problem;
use crate::ra::operator::{self, Operator, OperatorKind};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/book", get(desks))
        .route("/book/cancel/{token}", get(cancel_page).post(cancel))
        .route("/book/{code}", get(slots).post(submit))
        .route("/book/{code}/form", get(form))
        .route("/appointments", get(day_view))
        .route("/appointments/{id}/no-show", post(no_show))
        .route("/appointments/plan", get(plan_page).post(save_plan))
        .route("/appointments/plan/roster", post(save_roster))
}

impl From<StatusError> for AppError {
    fn from(e: StatusError) -> Self {
        match e {
            StatusError::NotFound => AppError::not_found(),
            StatusError::NotBooked => AppError::conflict("not_booked", "appt-error-not-booked"),
            StatusError::NotStarted => AppError::conflict("not_started", "appt-error-not-started"),
            StatusError::Db(e) => e.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "appointments/desks.html")]
struct DesksPage {
    layout: Layout,
    desks: Vec<Desk>,
}

/// Public: the desks that take bookings.
pub async fn desks(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let mut out = Vec::new();
    for c in chambers::list_chambers(&state.db).await? {
        for d in chambers::desks_of(&state.db, &c.id).await? {
            if !plan::of_desk(&state.db, &d.id).await?.is_empty() {
                out.push(d);
            }
        }
    }
    Ok(render(&DesksPage {
        layout: Layout::new(&viewer, "appt-desks-title"),
        desks: out,
    })?
    .into_response())
}

async fn desk_by_code(state: &AppState, code: &str) -> Result<Desk, AppError> {
    chambers::find_desk_by_code(&state.db, code)
        .await?
        .ok_or_else(AppError::not_found)
}

pub(crate) struct Day {
    pub date: NaiveDate,
    pub label: String,
    pub slots: Vec<Availability>,
}

#[derive(Template)]
#[template(path = "appointments/slots.html")]
struct SlotsPage {
    layout: Layout,
    desk: Desk,
    days: Vec<Day>,
    next: String,
}

impl SlotsPage {
    fn at(&self, a: &Availability) -> String {
        crate::db::instant(a.slot.starts_at)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct DateQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    desk: String,
}

fn day_label(lang: crate::web::i18n::Lang, d: NaiveDate) -> String {
    use chrono::Datelike;
    let wd = lang.t(&format!(
        "appt-weekday-{}",
        d.weekday().number_from_monday()
    ));
    format!("{wd} {}", d.format("%d/%m/%Y"))
}

/// Public: a week of slots of the desk with the places left.
pub async fn slots(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Result<Response, AppError> {
    let desk = desk_by_code(&state, &code).await?;
    let today = state.clock.today();
    let start = NaiveDate::parse_from_str(&q.date, "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let now = state.clock.now();
    let mut days = Vec::new();
    for i in 0..7 {
        let date = start + chrono::Duration::days(i);
        if (date - today).num_days() > booking::HORIZON_DAYS {
            break;
        }
        let slots: Vec<Availability> = booking::availability(&state.db, &desk, date)
            .await?
            .into_iter()
            .filter(|a| a.slot.starts_at > now)
            .collect();
        if !slots.is_empty() {
            days.push(Day {
                date,
                label: day_label(viewer.lang, date),
                slots,
            });
        }
    }
    Ok(render(&SlotsPage {
        layout: Layout::new(&viewer, "appt-book-title"),
        desk,
        days,
        next: (start + chrono::Duration::days(7)).to_string(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "appointments/form.html")]
struct FormPage {
    layout: Layout,
    desk: Desk,
    at: String,
    when: String,
    f: ApplicantForm,
    problem: Option<Problem>,
}

impl FormPage {
    /// The text inputs of the form: name, label key, value, input type, help key.
    fn fields(
        &self,
    ) -> Vec<(
        &'static str,
        &'static str,
        String,
        &'static str,
        &'static str,
    )> {
        let f = &self.f;
        vec![
            (
                "given_name",
                "appt-given-name",
                f.given_name.clone(),
                "text",
                "",
            ),
            ("surname", "appt-surname", f.surname.clone(), "text", ""),
            (
                "tax_code",
                "appt-tax-code",
                f.tax_code.clone(),
                "text",
                "appt-tax-code-help",
            ),
            (
                "birth_date",
                "appt-birth-date",
                f.birth_date.clone(),
                "date",
                "",
            ),
            (
                "birth_place",
                "appt-birth-place",
                f.birth_place.clone(),
                "text",
                "",
            ),
            (
                "email",
                "appt-email",
                f.email.clone(),
                "email",
                "appt-email-help",
            ),
            (
                "phone",
                "appt-phone",
                f.phone.clone(),
                "tel",
                "appt-phone-help",
            ),
            (
                "company_tax_code",
                "appt-company-tax-code",
                f.company_tax_code.clone(),
                "text",
                "appt-company-tax-code-help",
            ),
        ]
    }
    fn err(&self, field: &str) -> Option<String> {
        self.problem
            .as_ref()
            .and_then(|p| p.field(field))
            .map(str::to_string)
    }
}

fn parse_at(s: &str) -> Option<DateTime<Utc>> {
    crate::db::parse_instant(s.trim()).ok()
}

fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Rome)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

#[derive(serde::Deserialize, Default)]
pub struct AtQuery {
    #[serde(default)]
    at: String,
}

/// Public: the pre-registration form for one slot.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(q): Query<AtQuery>,
) -> Result<Response, AppError> {
    let desk = desk_by_code(&state, &code).await?;
    let at = parse_at(&q.at).ok_or_else(AppError::not_found)?;
    Ok(render(&FormPage {
        layout: Layout::new(&viewer, "appt-form-title"),
        desk,
        at: q.at,
        when: local(at),
        f: ApplicantForm {
            device: "smart_card".into(),
            ..Default::default()
        },
        problem: None,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "appointments/booked.html")]
struct BookedPage {
    layout: Layout,
    desk: Desk,
    appt: Appointment,
}

#[derive(serde::Deserialize)]
pub struct BookForm {
    #[serde(default)]
    at: String,
    #[serde(flatten)]
    f: ApplicantForm,
}

/// Public: books the slot, or shows the form again with the errors next to the fields.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    axum::Form(b): axum::Form<BookForm>,
) -> Result<Response, AppError> {
    let desk = desk_by_code(&state, &code).await?;
    let at = parse_at(&b.at).ok_or_else(AppError::not_found)?;
    let result = match b.f.parse(state.clock.today()) {
        Err(fields) => Err(AppError::invalid(fields)),
        Ok(applicant) => booking::book(
            &state.db,
            state.clock.now(),
            &state.config.public_url,
            &desk,
            at,
            &applicant,
        )
        .await
        .map_err(|e| match e {
            BookingError::Invalid(f) => AppError::invalid(f),
            BookingError::NoSuchSlot => AppError::conflict("no_such_slot", "appt-error-no-slot"),
            BookingError::OutOfRange => {
                AppError::conflict("slot_out_of_range", "appt-error-out-of-range")
            }
            BookingError::SlotFull => AppError::conflict("slot_full", "appt-error-slot-full"),
            BookingError::Db(e) => e.into(),
        }),
    };
    match result {
        Ok((appt, _token)) => Ok(render(&BookedPage {
            layout: Layout::new(&viewer, "appt-booked-title"),
            desk,
            appt,
        })?
        .into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let page = FormPage {
                layout: Layout::new(&viewer, "appt-form-title"),
                desk,
                at: b.at.clone(),
                when: local(at),
                f: b.f,
                problem: Some(Problem::of(&e, viewer.lang)),
            };
            Ok((e.status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "appointments/cancel.html")]
struct CancelPage {
    layout: Layout,
    appt: Option<Appointment>,
    token: String,
    done: bool,
}

/// Public: the cancel link of the e-mail.
pub async fn cancel_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let appt = booking::by_token(&state.db, &token).await?;
    let status = if appt.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((
        status,
        render(&CancelPage {
            layout: Layout::new(&viewer, "appt-cancel-title"),
            appt,
            token,
            done: false,
        })?,
    )
        .into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let appt = booking::cancel_by_token(&state.db, state.clock.now(), &token).await?;
    Ok(render(&CancelPage {
        layout: Layout::new(&viewer, "appt-cancel-title"),
        appt: Some(appt),
        token,
        done: true,
    })?
    .into_response())
}

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
    problem: Option<Problem>,
}

impl DayPage {
    fn in_slot(&self, a: &Availability) -> Vec<&Appointment> {
        let at = crate::db::instant(a.slot.starts_at);
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
    fn is_desk(&self, d: &Desk) -> bool {
        self.desk.as_ref().is_some_and(|x| x.id == d.id)
    }
}

async fn day_page(state: &AppState, viewer: &Viewer, q: &DateQuery) -> Result<DayPage, AppError> {
    let p = viewer.require_action(Action::ManageAppointments)?;
    let chamber_id = chamber_of(p)?;
    let desks = chambers::desks_of(&state.db, chamber_id).await?;
    let desk = desks
        .iter()
        .find(|d| d.code.as_str() == q.desk || d.id == q.desk)
        .or(desks.first())
        .cloned();
    let date =
        NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").unwrap_or_else(|_| state.clock.today());
    let (slots, appointments) = match &desk {
        Some(d) => (
            booking::availability(&state.db, d, date).await?,
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
        now: crate::db::instant(state.clock.now()),
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
    let chamber_id = chamber_of(p)?.to_string();
    match booking::mark_no_show(&state.db, state.clock.now(), &p.actor(), &chamber_id, &id).await {
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
    let desk = desks
        .iter()
        .find(|d| d.code.as_str() == desk || d.id == desk)
        .or(desks.first())
        .cloned()
        .ok_or_else(AppError::not_found)?;
    let roster = plan::roster(&state.db, &desk.id).await?;
    let operators = operator::list_in_chamber(&state.db, chamber_id)
        .await?
        .into_iter()
        .filter(|o| {
            !o.is_organisation()
                && matches!(
                    o.kind,
                    OperatorKind::Rao | OperatorKind::Ir | OperatorKind::Odr
                )
        })
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
    match plan::parse(&f.plan) {
        Ok(parsed) => {
            let mut tx = state.db.begin().await?;
            plan::replace(&mut tx, state.clock.now(), &p.actor(), &page.desk, &parsed).await?;
            tx.commit().await?;
            page.text = plan::to_text(&parsed);
            page.notice = Some(viewer.lang.t("appt-plan-saved"));
            Ok(render(&page)?.into_response())
        }
        Err(plan::PlanError::Line(line)) => {
            let e = AppError::invalid(vec![crate::web::FieldError::new(
                "plan",
                "appt-error-plan-line",
            )])
            .arg("line", line);
            page.problem = Some(Problem::of(&e, viewer.lang));
            page.text = f.plan;
            Ok((e.status, render(&page)?).into_response())
        }
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
    let mut tx = state.db.begin().await?;
    for (op, on) in &page.operators {
        let want = chosen.contains(&op.id);
        if want != *on {
            plan::set_roster(
                &mut tx,
                state.clock.now(),
                &p.actor(),
                &page.desk,
                &op.id,
                want,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/appointments/plan?desk={}",
        page.desk.code.as_str()
    ))
    .into_response())
}
