//! Login with the smart card (CNS) through the TLS proxy.
//!
//! The proxy in front of Sportello (nginx with `ssl_verify_client optional_no_ca`, see
//! `deploy/nginx/`) asks the browser for the card's certificate and forwards it, URL-escaped
//! PEM, in the [`CERTIFICATE_HEADER`] of `POST /login/cns` only. The header is read only when
//! the login with a card is configured (`SPORTELLO_CNS_TRUST_ANCHORS`) and the request's TCP
//! peer is one of `SPORTELLO_TRUSTED_PROXIES`; from anyone else it is ignored, never
//! believed, and the page says the login with a card is not available. The certificate is
//! judged and the person signed in by `accounts::cns::sign_in`; any refusal shows the login
//! page with its reason and creates nothing.

use crate::app::AppState;
use crate::pages::local_path;
use crate::pages::login::Failure;
use crate::web::client::ClientAddr;
use crate::web::error::AppError;
use crate::web::form_errors::FormErrors;
use crate::web::session::{SESSION_COOKIE, Viewer, set_cookie};
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::cns::{self, CardRefusal, CnsError};
use sportello_core::accounts::identity::SignInError;
use sportello_core::accounts::session;
use sportello_core::i18n::Lang;
use std::net::SocketAddr;

/// The header the trusted proxy puts the card's certificate in (nginx:
/// `$ssl_client_escaped_cert`).
pub const CERTIFICATE_HEADER: &str = "x-ssl-client-cert";

#[derive(serde::Deserialize)]
pub struct StartForm {
    next: Option<String>,
}

/// "Entra con CNS": the certificate the proxy read from the card, judged; the person
/// signed in.
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let next = local_path(form.next.as_deref()).to_string();
    let Some(settings) = state.config.cns.clone() else {
        return failed(
            &state,
            &viewer,
            StatusCode::NOT_FOUND,
            lang.t("cns-error-not-available"),
            &next,
        );
    };
    if !state.config.trusted_proxies.contains(peer.ip()) {
        if headers.contains_key(CERTIFICATE_HEADER) {
            tracing::warn!(peer = %peer.ip(), "card certificate header from an untrusted peer ignored");
        }
        return failed(
            &state,
            &viewer,
            StatusCode::FORBIDDEN,
            lang.t("cns-error-not-available"),
            &next,
        );
    }
    let presented = headers
        .get(CERTIFICATE_HEADER)
        .map(|v| unescape(v.as_bytes()));
    let signed = match cns::sign_in(
        &state,
        &settings.anchors,
        presented.as_deref(),
        &client.key(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(CnsError::Db(e)) => return Err(e.into()),
        Err(e) => {
            tracing::info!(error = %e, "card login refused");
            let status = match &e {
                CnsError::Card(CardRefusal::NoCertificate) => StatusCode::UNAUTHORIZED,
                CnsError::SignIn(SignInError::Disabled) => StatusCode::UNAUTHORIZED,
                CnsError::Card(CardRefusal::RevocationUnknown) => StatusCode::SERVICE_UNAVAILABLE,
                CnsError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::FORBIDDEN,
            };
            return failed(&state, &viewer, status, refusal_message(lang, &e), &next);
        }
    };
    state.metrics.login(true);
    if let Some(old) = &viewer.session_token {
        session::delete(&state.db, old).await?;
    }
    let now = state.clock.now();
    let lifetime = chrono::Duration::hours(state.config.session_hours);
    let (token, _) = session::create(&state.db, now, &signed.user.id, lifetime).await?;
    let to = if signed.created || !signed.newly_linked.is_empty() {
        "/welcome".to_string()
    } else {
        next
    };
    let mut response = Redirect::to(&to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &token,
            lifetime.num_seconds(),
            state.config.secure_cookies(),
        ),
    );
    Ok(response)
}

/// nginx's `$ssl_client_escaped_cert`: the PEM with `%XX` escapes (a `+` stays a `+`).
fn unescape(value: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(value).collect()
}

/// What a refused card is told, in words.
fn refusal_message(lang: Lang, e: &CnsError) -> String {
    match e {
        CnsError::Card(refusal) => match refusal {
            CardRefusal::NoCertificate => lang.t("cns-error-no-certificate"),
            CardRefusal::Unreadable => lang.t("cns-error-unreadable"),
            CardRefusal::UnknownIssuer => lang.t("cns-error-unknown-issuer"),
            CardRefusal::NotYetValid => lang.t("cns-error-not-yet-valid"),
            CardRefusal::Expired => lang.t("cns-error-expired"),
            CardRefusal::NotForAuthentication => lang.t("cns-error-not-authentication"),
            CardRefusal::Revoked(at) => lang.t_args(
                "cns-error-revoked",
                &[("date", sportello_core::display::stored(at))],
            ),
            CardRefusal::RevocationUnknown => lang.t("cns-error-revocation-unknown"),
            CardRefusal::NoTaxCode => lang.t("cns-error-no-tax-code"),
        },
        CnsError::SignIn(e) => match e {
            SignInError::EmailMissing => lang.t("cns-error-email-missing"),
            SignInError::NameMissing => lang.t("cns-error-name-missing"),
            SignInError::EmailTaken(email) => {
                lang.t_args("oidc-error-email-taken", &[("email", email.clone())])
            }
            SignInError::Disabled => lang.t("login-error-disabled"),
            SignInError::Db(_) => lang.t("cns-error-revocation-unknown"),
        },
        CnsError::TooManyAttempts => lang.t("login-error-too-many"),
        CnsError::Db(_) => lang.t("cns-error-revocation-unknown"),
    }
}

/// The login page again, with the refusal said at the top.
fn failed(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    message: String,
    next: &str,
) -> Result<Response, AppError> {
    state.metrics.login(false);
    let page = crate::pages::login::page_with(
        viewer,
        state,
        String::new(),
        next.to_string(),
        FormErrors::new(),
        Some(Failure {
            title: viewer.lang.t("cns-error-title"),
            message,
            testid: "cns-error",
        }),
    )?;
    Ok((status, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_header_is_unescaped_without_turning_plus_into_space() {
        assert_eq!(
            unescape(b"-----BEGIN%20CERTIFICATE-----%0AMII+/w==%0A"),
            b"-----BEGIN CERTIFICATE-----\nMII+/w==\n".to_vec()
        );
    }
}
