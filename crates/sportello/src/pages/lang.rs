//! The language switch.

use crate::app::AppState;
use crate::pages::local_path;
use crate::web::error::AppError;
use crate::web::session::{LANG_COOKIE, set_cookie};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::i18n::Lang;

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Remembers the chosen language in a cookie and goes back to the page.
pub async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Next>,
) -> Result<Response, AppError> {
    let lang = Lang::parse(&code).ok_or_else(AppError::not_found)?;
    let mut response = Redirect::to(local_path(q.next.as_deref())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            60 * 60 * 24 * 365,
            state.config.secure_cookies(),
        ),
    );
    Ok(response)
}
