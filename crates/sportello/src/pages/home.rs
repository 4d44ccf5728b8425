//! The home page: what the signed-in role can do.

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::session::Viewer;
use crate::web::{Layout, NavLink, nav_links, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::chambers;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    name: String,
    role: String,
    chamber: Option<String>,
    links: Vec<NavLink>,
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let Some(principal) = viewer.principal.as_ref() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let chamber = match &principal.user.chamber_id {
        Some(id) => chambers::get_chamber(&state.db, id).await?.map(|c| c.name),
        None => None,
    };
    Ok(render(&HomePage {
        layout: Layout::new(&viewer, "home-title"),
        name: principal.user.name.clone(),
        role: viewer.lang.t(principal.role().label_key()),
        chamber,
        links: nav_links(principal.role(), viewer.lang),
    })?
    .into_response())
}
