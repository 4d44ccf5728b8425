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
//!
//! A first login with a card that carries no e-mail address goes on at `/login/cns/email`
//! (the browser holding the step's cookie types an address) and ends at the confirmation link
//! mailed to it, `/login/cns/confirm/{token}`, which makes the account
//! (`accounts::cns::sign_up`).

use crate::app::AppState;
use crate::pages::local_path;
use crate::pages::login::Failure;
use crate::web::client::ClientAddr;
use crate::web::error::AppError;
use crate::web::form_errors::FormErrors;
use crate::web::session::{SESSION_COOKIE, Viewer, cookie, set_cookie};
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::cns::sign_up::{self, AddressError, BROWSER_COOKIE, LinkError};
use sportello_core::accounts::cns::{self, CardLogin, CardRefusal, CnsError};
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
        Ok(CardLogin::SignedIn(signed)) => signed,
        Ok(CardLogin::AddressNeeded { browser_token }) => {
            let mut response = Redirect::to("/login/cns/email").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    BROWSER_COOKIE,
                    &browser_token,
                    sign_up::STEP_MINUTES * 60,
                    state.config.secure_cookies(),
                ),
            );
            return Ok(response);
        }
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

/// The steps of a sign-up with a card that gives no e-mail address, as one page.
enum SignUpState {
    /// Type an address (the card's name and tax code shown).
    Address {
        name: String,
        tax_code: String,
        email: String,
    },
    /// The link went to `email`.
    Sent { email: String, until: String },
    /// The step is over (expired, or another browser): present the card again.
    Expired,
    /// The link's page: confirm to make the account.
    Confirm {
        token: String,
        name: String,
        tax_code: String,
        email: String,
    },
    /// The account exists.
    Done { message: String },
    /// The link does not work, and why.
    Invalid { message: String },
}

#[derive(Template)]
#[template(path = "cns_sign_up.html")]
struct SignUpPage {
    layout: Layout,
    state: SignUpState,
    errors: FormErrors,
}

fn sign_up_page(
    viewer: &Viewer,
    status: StatusCode,
    state: SignUpState,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let body = render(&SignUpPage {
        layout: Layout::new(viewer, "cns-sign-up-title"),
        state,
        errors,
    })?;
    Ok((status, body).into_response())
}

/// Step 2 of a sign-up with a card that gives no e-mail address: the form for one.
pub async fn address_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let browser = cookie(&headers, BROWSER_COOKIE);
    let now = state.clock.now();
    let step = sign_up::step(&state.db, now, browser.as_deref()).await?;
    let (status, page) = match step {
        None => (StatusCode::GONE, SignUpState::Expired),
        Some(step) => match step.email {
            Some(email) => (
                StatusCode::OK,
                SignUpState::Sent {
                    email,
                    until: sportello_core::display::date_time(step.expires_at),
                },
            ),
            None => (
                StatusCode::OK,
                SignUpState::Address {
                    name: step.name,
                    tax_code: step.tax_code,
                    email: String::new(),
                },
            ),
        },
    };
    sign_up_page(&viewer, status, page, FormErrors::new())
}

#[derive(serde::Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    email: String,
}

/// Sends the confirmation link to the address typed; a bad or taken address is said next to
/// the field, what was typed kept.
pub async fn address(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let browser = cookie(&headers, BROWSER_COOKIE);
    let field_error = |message: String| {
        let mut errors = FormErrors::new();
        errors.field("email", lang.t("login-email"), message);
        errors
    };
    let error = match sign_up::send_link(&state, browser.as_deref(), &form.email).await {
        Ok(sent) => {
            return sign_up_page(
                &viewer,
                StatusCode::OK,
                SignUpState::Sent {
                    email: sent.email,
                    until: sportello_core::display::date_time(sent.expires_at),
                },
                FormErrors::new(),
            );
        }
        Err(AddressError::Expired) => {
            return sign_up_page(
                &viewer,
                StatusCode::GONE,
                SignUpState::Expired,
                FormErrors::new(),
            );
        }
        Err(AddressError::Db(e)) => return Err(e.into()),
        Err(AddressError::Invalid) => field_error(lang.t("cns-sign-up-error-email")),
        Err(AddressError::Taken(email)) => {
            field_error(lang.t_args("cns-sign-up-error-taken", &[("email", email)]))
        }
    };
    let step = sign_up::step(&state.db, state.clock.now(), browser.as_deref())
        .await?
        .ok_or_else(AppError::not_found)?;
    sign_up_page(
        &viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        SignUpState::Address {
            name: step.name,
            tax_code: step.tax_code,
            email: form.email.trim().to_string(),
        },
        error,
    )
}

fn link_problem(viewer: &Viewer, e: &LinkError) -> Option<String> {
    let key = match e {
        LinkError::Unknown => "cns-sign-up-link-unknown",
        LinkError::Used => "cns-sign-up-link-used",
        LinkError::Expired => "cns-sign-up-link-expired",
        LinkError::SignIn(SignInError::EmailTaken(email)) => {
            return Some(
                viewer
                    .lang
                    .t_args("cns-sign-up-error-taken", &[("email", email.clone())]),
            );
        }
        LinkError::SignIn(SignInError::Disabled) => "login-error-disabled",
        LinkError::SignIn(_) => "cns-sign-up-link-unknown",
        LinkError::Db(_) => return None,
    };
    Some(viewer.lang.t(key))
}

/// The confirmation link's page: who the account will be, and the button that makes it
/// (a mail scanner that follows the link makes nothing).
pub async fn confirm_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match sign_up::check_link(&state, &token).await {
        Ok(pending) => sign_up_page(
            &viewer,
            StatusCode::OK,
            SignUpState::Confirm {
                token,
                name: pending.name,
                tax_code: pending.tax_code,
                email: pending.email,
            },
            FormErrors::new(),
        ),
        Err(LinkError::Db(e)) => Err(e.into()),
        Err(e) => match link_problem(&viewer, &e) {
            Some(message) => sign_up_page(
                &viewer,
                StatusCode::GONE,
                SignUpState::Invalid { message },
                FormErrors::new(),
            ),
            None => Err(AppError::internal(e)),
        },
    }
}

/// Makes the account of a confirmed link; the person then logs in with the card.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match sign_up::confirm(&state, &token).await {
        Ok(done) => {
            let message = if done.existed {
                viewer.lang.t("cns-sign-up-done-existing")
            } else {
                viewer
                    .lang
                    .t_args("cns-sign-up-done", &[("email", done.email.clone())])
            };
            sign_up_page(
                &viewer,
                StatusCode::OK,
                SignUpState::Done { message },
                FormErrors::new(),
            )
        }
        Err(LinkError::Db(e)) => Err(e.into()),
        Err(e) => match link_problem(&viewer, &e) {
            Some(message) => sign_up_page(
                &viewer,
                StatusCode::GONE,
                SignUpState::Invalid { message },
                FormErrors::new(),
            ),
            None => Err(AppError::internal(e)),
        },
    }
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
