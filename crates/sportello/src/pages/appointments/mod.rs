//! Appointment pages. Public, no login: the booking page of each desk, the pre-registration
//! form, the cancel link. Staff: the desk's day view with no-shows (ManageAppointments) and
//! the opening plan with the desk's operators (the Master RAO, ManageOperators).

use crate::app::AppState;
use crate::pages::devices::Problem;
use crate::web::client::ClientAddr;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use sportello_core::appointments::booking::{
    self, ApplicantForm, Appointment, Availability, Confirmation,
};
use sportello_core::appointments::plan;
use sportello_core::chambers::{self, Desk};
use sportello_core::display;

pub mod desk;

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
        sportello_core::db::instant(a.slot.starts_at)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct DateQuery {
    #[serde(default)]
    pub(super) date: String,
    #[serde(default)]
    pub(super) desk: String,
}

pub(super) fn day_label(lang: sportello_core::i18n::Lang, d: NaiveDate) -> String {
    use chrono::Datelike;
    let wd = lang.t(&format!(
        "appt-weekday-{}",
        d.weekday().number_from_monday()
    ));
    format!("{wd} {}", display::date(d))
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
        let slots: Vec<Availability> = booking::availability(&state.db, &desk, date, now)
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
    fn max(&self, field: &str) -> usize {
        sportello_core::appointments::applicant::field_limit(field)
    }

    /// The summary of a refused booking: each field in error by its label, in the form's
    /// order; a problem of no field (the slot was taken) by its message.
    fn form_errors(&self) -> crate::web::form_errors::FormErrors {
        let mut out = crate::web::form_errors::FormErrors::new();
        let Some(problem) = &self.problem else {
            return out;
        };
        let lang = self.layout.lang;
        let mut fields: Vec<(&str, &str, &str)> = self
            .fields()
            .into_iter()
            .map(|(name, label, ..)| (name, name, label))
            .collect();
        fields.push(("device", "device-sc", "appt-device"));
        fields.push(("wants_free", "wants_free", "appt-wants-free"));
        for (name, id, label) in &fields {
            if let Some(m) = problem.field(name) {
                out.field(id, lang.t(label), m);
            }
        }
        if out.is_empty() {
            out.form(problem.message.clone());
        }
        out
    }
    fn err(&self, field: &str) -> Option<String> {
        self.problem
            .as_ref()
            .and_then(|p| p.field(field))
            .map(str::to_string)
    }
}

fn parse_at(s: &str) -> Option<DateTime<Utc>> {
    sportello_core::db::parse_instant(s.trim()).ok()
}

fn local(at: DateTime<Utc>) -> String {
    display::date_time(at)
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

impl BookedPage {
    fn text(&self) -> String {
        self.layout.lang.t_args(
            "appt-booked-text",
            &[("until", self.appt.local_hold_until())],
        )
    }
}

#[derive(serde::Deserialize)]
pub struct BookForm {
    #[serde(default)]
    at: String,
    #[serde(flatten)]
    f: ApplicantForm,
}

/// Public: books the slot (pending until the applicant confirms it from the e-mail), or shows
/// the form again, as typed, with the errors next to the fields.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddr,
    Path(code): Path<String>,
    axum::Form(b): axum::Form<BookForm>,
) -> Result<Response, AppError> {
    let desk = desk_by_code(&state, &code).await?;
    let at = parse_at(&b.at).ok_or_else(AppError::not_found)?;
    // The address as seen through the trusted proxies: behind a load balancer every request
    // would otherwise share the balancer's address and one visitor could exhaust everyone's.
    let result = booking::request(&state, client.0, &desk, at, &b.f)
        .await
        .map_err(AppError::from);
    match result {
        Ok(appt) => Ok(render(&BookedPage {
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
#[template(path = "appointments/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    appt: Option<Appointment>,
    token: String,
    /// What happened (or, before the button, what the link's booking is): none while pending.
    outcome: Option<Confirmation>,
}

impl ConfirmPage {
    fn intro(&self) -> String {
        let until = self
            .appt
            .as_ref()
            .map(Appointment::local_hold_until)
            .unwrap_or_default();
        self.layout
            .lang
            .t_args("appt-confirm-intro", &[("until", until)])
    }
    fn outcome_key(&self) -> &'static str {
        match self.outcome {
            Some(Confirmation::Confirmed) => "appt-confirmed",
            Some(Confirmation::AlreadyConfirmed) => "appt-already-confirmed",
            Some(Confirmation::Expired) => "appt-expired",
            Some(Confirmation::Closed) => "appt-confirm-closed",
            None => "",
        }
    }
    fn outcome_id(&self) -> &'static str {
        match self.outcome {
            Some(Confirmation::Confirmed) => "confirmed",
            Some(Confirmation::AlreadyConfirmed) => "already-confirmed",
            Some(Confirmation::Expired) => "expired",
            Some(Confirmation::Closed) => "closed",
            None => "",
        }
    }
    fn success(&self) -> bool {
        matches!(
            self.outcome,
            Some(Confirmation::Confirmed | Confirmation::AlreadyConfirmed)
        )
    }
}

/// Public: the confirmation link of the e-mail; shows the booking with the button while it is
/// pending, or says what it is (already confirmed, expired, closed).
pub async fn confirm_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let appt = booking::by_confirm_token(&state.db, &token).await?;
    let outcome = appt
        .as_ref()
        .and_then(|a| booking::confirmation_of(a, state.clock.now()));
    let status = if appt.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((
        status,
        render(&ConfirmPage {
            layout: Layout::new(&viewer, "appt-confirm-title"),
            appt,
            token,
            outcome,
        })?,
    )
        .into_response())
}

/// Public: the applicant confirms; the page says what happened.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (appt, outcome) = booking::confirm(&state, &token).await?;
    let status = match outcome {
        Confirmation::Confirmed | Confirmation::AlreadyConfirmed => StatusCode::OK,
        Confirmation::Expired | Confirmation::Closed => StatusCode::CONFLICT,
    };
    Ok((
        status,
        render(&ConfirmPage {
            layout: Layout::new(&viewer, "appt-confirm-title"),
            appt: Some(appt),
            token,
            outcome: Some(outcome),
        })?,
    )
        .into_response())
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
