//! The home page: for a visitor, the front door to the public services; for a signed-in
//! user, what their role can do.

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::session::Viewer;
use crate::web::{Layout, NavLink, nav_links, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
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

/// The front door: what the service is and the three ways in that need no account
/// beforehand (verify a certificate, book an appointment) or lead to one (sign in).
#[derive(Template)]
#[template(path = "front_door.html")]
struct FrontDoor {
    layout: Layout,
}

impl FrontDoor {
    fn doors(&self) -> [(&'static str, String, String); 3] {
        let t = |key: &str| self.layout.t(key);
        [
            ("/verify", t("front-verify"), t("front-verify-text")),
            ("/book", t("front-book"), t("front-book-text")),
            ("/login", t("login-title"), t("front-login-text")),
        ]
    }
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let Some(principal) = viewer.principal.as_ref() else {
        return Ok(render(&FrontDoor {
            layout: Layout::new(&viewer, "front-title"),
        })?
        .into_response());
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
