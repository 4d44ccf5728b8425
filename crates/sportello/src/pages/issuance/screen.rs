//! The customer-facing second screen (RA procedure, part 2: "un ulteriore schermo lato utente"),
//! public and authorised only by its pairing code: short, expiring, single-use, limited per
//! address. Once paired, a random cookie ties the screen to that session while it is live.
//! The screen has its own bare layout (the chamber, the stage, what to do). htmx polls the
//! panel every 1.5 s (an unchanged session answers 204) and posts the clauses and the OTP
//! from it; without JavaScript the same forms post and redirect back.

use crate::app::AppState;
use crate::pages::devices::Problem;
use crate::pages::issuance::{SCREEN_COOKIE, StepperRow, current_stage, no_store, stepper};
use crate::web::session::{cookie, set_cookie};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::issuance::finish::{self, PairError};
use sportello_core::issuance::session::{CLAUSES, Session, SessionError};
use sportello_core::issuance::state::SessionState;

#[derive(Template)]
#[template(path = "issuance/screen_pair.html")]
struct PairPage {
    layout: Layout,
    /// The chamber's name, once a session is known (never on the pairing page).
    chamber: Option<String>,
    problem: Option<Problem>,
}

pub async fn screen_pair(viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&PairPage {
        layout: Layout::new(&viewer, "iss-screen-title"),
        chamber: None,
        problem: None,
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct PairForm {
    #[serde(default)]
    code: String,
}

pub async fn screen_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    client: crate::web::client::ClientAddr,
    axum::Form(f): axum::Form<PairForm>,
) -> Result<Response, AppError> {
    match finish::pair(&state.db, state.clock.now(), &client.key(), &f.code).await {
        Ok(token) => {
            let mut resp = Redirect::to("/screen/session").into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SCREEN_COOKIE,
                    &token,
                    4 * 3600,
                    state.config.secure_cookies(),
                ),
            );
            Ok(resp)
        }
        Err(PairError::Db(e)) => Err(e.into()),
        Err(e) => {
            let err = match e {
                PairError::RateLimited => AppError::too_many_requests(),
                _ => AppError::invalid(vec![FieldError::new("code", "iss-error-pairing")]),
            };
            let page = PairPage {
                layout: Layout::new(&viewer, "iss-screen-title"),
                chamber: None,
                problem: Some(Problem::of(&err, viewer.lang)),
            };
            Ok((err.status, render(&page)?).into_response())
        }
    }
}

async fn screen_session(state: &AppState, headers: &HeaderMap) -> Result<Session, AppError> {
    let token = cookie(headers, SCREEN_COOKIE).ok_or_else(AppError::not_found)?;
    finish::by_screen_token(&state.db, &token)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The whole screen page.
#[derive(Template)]
#[template(path = "issuance/screen.html")]
struct ScreenPage {
    layout: Layout,
    chamber: Option<String>,
    s: Option<Session>,
    problem: Option<Problem>,
}

/// Its live panel alone, as htmx polls and posts it.
#[derive(Template)]
#[template(path = "issuance/screen_live.html")]
struct ScreenLive {
    layout: Layout,
    s: Option<Session>,
    problem: Option<Problem>,
}

/// What the screen page and its panel ask of the session.
macro_rules! screen_view {
    ($t:ty) => {
        impl $t {
            fn clauses(&self) -> Vec<(usize, String, bool)> {
                let acc = self.s.as_ref().map(Session::accepted).unwrap_or_default();
                CLAUSES
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (i, self.layout.t(k), acc.contains(&i)))
                    .collect()
            }
            fn at(&self, st: SessionState) -> bool {
                self.s.as_ref().is_some_and(|s| s.state() == st)
            }
            fn state(&self) -> SessionState {
                self.s
                    .as_ref()
                    .map(Session::state)
                    .unwrap_or(SessionState::Aborted)
            }
            /// What the applicant does now, or waits for, in one sentence.
            fn todo(&self) -> String {
                let key = match self.state() {
                    SessionState::Opened
                    | SessionState::Verified
                    | SessionState::DocumentScanned => "iss-todo-check-data",
                    SessionState::DeviceAssigned => "iss-todo-clauses",
                    SessionState::ClausesAccepted => "iss-todo-wait-otp",
                    SessionState::OtpSent => "iss-todo-otp",
                    SessionState::OtpConfirmed => "iss-todo-wait-personalise",
                    SessionState::Personalised => "iss-todo-hand-over",
                    SessionState::HandedOver | SessionState::Aborted => "iss-screen-ended",
                };
                self.layout.t(key)
            }
            fn stages(&self) -> Vec<StepperRow> {
                stepper(self.layout.lang, self.state())
            }
            fn current_stage(&self) -> Option<usize> {
                current_stage(self.state())
            }
        }
    };
}

screen_view!(ScreenPage);
screen_view!(ScreenLive);

/// The chamber whose desk the session is at, by name.
async fn chamber_of(state: &AppState, s: Option<&Session>) -> Result<Option<String>, AppError> {
    let Some(s) = s else { return Ok(None) };
    Ok(
        sportello_core::chambers::get_chamber(&state.db, &s.chamber_id)
            .await?
            .map(|c| c.name),
    )
}

/// The whole screen page, with `problem` shown (a post without JavaScript that failed).
async fn screen_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    problem: Option<Problem>,
) -> Result<ScreenPage, AppError> {
    let s = screen_session(state, headers).await.ok();
    Ok(ScreenPage {
        layout: Layout::new(viewer, "iss-screen-title"),
        chamber: chamber_of(state, s.as_ref()).await?,
        s,
        problem,
    })
}

/// The customer-facing screen; a screen whose session ended shows that it ended.
pub async fn screen(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let page = screen_page(&state, &viewer, &headers, None).await?;
    Ok(no_store(render(&page)?.into_response()))
}

#[derive(serde::Deserialize)]
pub struct LiveQuery {
    /// The revision the screen shows; the same one answers 204 No Content.
    #[serde(default)]
    rev: String,
}

/// The panel, polled: only the paired screen's cookie reveals a session.
pub async fn screen_live(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(q): Query<LiveQuery>,
) -> Result<Response, AppError> {
    let s = screen_session(&state, &headers).await.ok();
    if s.as_ref().map(Session::progress_revision).as_deref() == Some(q.rev.as_str()) {
        return Ok(no_store(StatusCode::NO_CONTENT.into_response()));
    }
    Ok(no_store(
        render(&ScreenLive {
            layout: Layout::new(&viewer, "iss-screen-title"),
            s,
            problem: None,
        })?
        .into_response(),
    ))
}

/// After a clause or an OTP posted from the screen: htmx gets the panel (with the problem, if
/// any); a plain form post goes back to the screen (303) or, on a problem, gets the whole page
/// with it.
async fn after_screen_post(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    result: Result<(), SessionError>,
) -> Result<Response, AppError> {
    let err = match result.map_err(AppError::from) {
        Err(e) if e.status.is_server_error() => return Err(e),
        Err(e) => Some(e),
        Ok(()) => None,
    };
    let status = err.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let problem = err.as_ref().map(|e| Problem::of(e, viewer.lang));
    if headers.contains_key("hx-request") {
        let s = screen_session(state, headers).await.ok();
        let panel = ScreenLive {
            layout: Layout::new(viewer, "iss-screen-title"),
            s,
            problem,
        };
        // htmx swaps only 2xx answers: a problem comes back as 200 with its message.
        return Ok(no_store(render(&panel)?.into_response()));
    }
    if problem.is_none() {
        return Ok(Redirect::to("/screen/session").into_response());
    }
    let page = screen_page(state, viewer, headers, problem).await?;
    Ok((status, render(&page)?).into_response())
}

pub async fn screen_clause(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(n): Path<usize>,
) -> Result<Response, AppError> {
    let s = screen_session(&state, &headers).await?;
    let r = finish::accept_clause(&state.db, state.clock.now(), &s, n).await;
    after_screen_post(&state, &viewer, &headers, r).await
}

#[derive(serde::Deserialize)]
pub struct OtpForm {
    #[serde(default)]
    code: String,
}

pub async fn screen_otp(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    axum::Form(f): axum::Form<OtpForm>,
) -> Result<Response, AppError> {
    let s = screen_session(&state, &headers).await?;
    let r = finish::confirm_otp(&state.db, state.clock.now(), &s, &f.code).await;
    after_screen_post(&state, &viewer, &headers, r).await
}
