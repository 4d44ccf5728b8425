//! The customer-facing second screen (RA procedure, part 2: "un ulteriore schermo lato utente"),
//! public and authorised only by its pairing code: short, expiring, single-use, limited per
//! address. Once paired, a random cookie ties the screen to that session while it is live;
//! htmx polls the panel every 1.5 s, and the clauses and the OTP are posted from it.

use crate::app::AppState;
use crate::pages::devices::Problem;
use crate::pages::issuance::SCREEN_COOKIE;
use crate::web::session::{cookie, set_cookie};
use crate::web::{AppError, FieldError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::issuance::finish::{self, PairError};
use sportello_core::issuance::session::{CLAUSES, Session};
use sportello_core::issuance::state::SessionState;

#[derive(Template)]
#[template(path = "issuance/screen_pair.html")]
struct PairPage {
    layout: Layout,
    problem: Option<Problem>,
}

pub async fn screen_pair(viewer: Viewer) -> Result<Response, AppError> {
    Ok(render(&PairPage {
        layout: Layout::new(&viewer, "iss-screen-title"),
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

#[derive(Template)]
#[template(path = "issuance/screen.html")]
struct ScreenPage {
    layout: Layout,
    s: Option<Session>,
}

#[derive(Template)]
#[template(path = "issuance/screen_live.html")]
struct ScreenLive {
    layout: Layout,
    s: Option<Session>,
    problem: Option<Problem>,
}

impl ScreenLive {
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
    fn state_label(&self) -> String {
        self.s
            .as_ref()
            .map(|s| self.layout.t(&s.state().label_key()))
            .unwrap_or_default()
    }
}

/// The customer-facing screen; a screen whose session ended shows that it ended.
pub async fn screen(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let s = screen_session(&state, &headers).await.ok();
    Ok(render(&ScreenPage {
        layout: Layout::new(&viewer, "iss-screen-title"),
        s,
    })?
    .into_response())
}

pub async fn screen_live(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let s = screen_session(&state, &headers).await.ok();
    Ok(render(&ScreenLive {
        layout: Layout::new(&viewer, "iss-screen-title"),
        s,
        problem: None,
    })?
    .into_response())
}

pub async fn screen_clause(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(n): Path<usize>,
) -> Result<Response, AppError> {
    let s = screen_session(&state, &headers).await?;
    let r = finish::accept_clause(&state.db, state.clock.now(), &s, n).await;
    let s = screen_session(&state, &headers).await.ok();
    let problem = r
        .err()
        .map(|e| Problem::of(&AppError::from(e), viewer.lang));
    Ok(render(&ScreenLive {
        layout: Layout::new(&viewer, "iss-screen-title"),
        s,
        problem,
    })?
    .into_response())
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
    let s = screen_session(&state, &headers).await.ok();
    let problem = r
        .err()
        .map(|e| Problem::of(&AppError::from(e), viewer.lang));
    Ok(render(&ScreenLive {
        layout: Layout::new(&viewer, "iss-screen-title"),
        s,
        problem,
    })?
    .into_response())
}
