//! The OpenID Connect client of the login with a digital identity: discovery from the
//! configured issuer, the authorisation request (code flow, PKCE S256, nonce), the code
//! exchange, and the ID token's checks (signature against the provider's keys, issuer,
//! audience, expiry by the app's clock, nonce), all by the `openidconnect` crate. The core
//! keeps the login under way (`accounts::oidc::pending`) and decides who the claims are.

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use sportello_core::Ctx;
use sportello_core::accounts::oidc::VerifiedClaims;
use sportello_core::config::OidcSettings;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The path the provider sends the browser back to; register `<public URL>` + this.
pub const CALLBACK_PATH: &str = "/login/oidc/callback";

/// How long the provider's discovery document and keys are kept before they are read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The claims beyond the standard ones: the person's tax code as SPID and CIE brokers send it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct ItalianClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fiscal_number: Option<String>,
}

impl AdditionalClaims for ItalianClaims {}

type TokenFields = IdTokenFields<
    ItalianClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type Client = openidconnect::Client<
    ItalianClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<TokenFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a login with the provider failed after the browser came back.
#[derive(Debug, thiserror::Error)]
pub enum OidcFailure {
    /// The provider could not be reached or its discovery document is unusable.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the code (used already, expired, wrong PKCE verifier).
    #[error("code exchange refused: {0}")]
    Exchange(String),
    /// The ID token is missing, badly signed, expired, for another client, or its nonce is
    /// not the one of this login.
    #[error("ID token refused: {0}")]
    Token(String),
}

/// The deployment's identity provider.
#[derive(Debug)]
pub struct OidcLogin {
    settings: OidcSettings,
    redirect: RedirectUrl,
    http: reqwest::Client,
    metadata: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

impl OidcLogin {
    /// The client for `settings`, sending the browser back to `public_url` + [`CALLBACK_PATH`].
    pub fn new(settings: OidcSettings, public_url: &str) -> anyhow::Result<Self> {
        let redirect = RedirectUrl::new(format!(
            "{}{CALLBACK_PATH}",
            public_url.trim_end_matches('/')
        ))?;
        // Never follow redirects (the token endpoint could send the code elsewhere: the
        // oauth2 crate's advice), never go through the environment's proxies. No idle
        // connections kept: logins are minutes apart, and a connection the provider closed
        // meanwhile would fail the code exchange, which cannot be retried.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            settings,
            redirect,
            http,
            metadata: Mutex::new(None),
        })
    }

    /// The origins the login form may lead to: the issuer's and, once discovered, the
    /// authorisation endpoint's (`form-action` of the login page).
    pub fn form_action_origins(&self) -> Vec<String> {
        let mut origins = Vec::new();
        let mut add = |url: &str| {
            if let Ok(url) = url::Url::parse(url) {
                let origin = url.origin().ascii_serialization();
                if origin != "null" && !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        };
        add(&self.settings.issuer);
        if let Ok(cached) = self.metadata.try_lock()
            && let Some((m, _)) = cached.as_ref()
        {
            add(m.authorization_endpoint().as_str());
        }
        origins
    }

    async fn client(&self) -> Result<Client, OidcFailure> {
        let metadata = {
            let mut cached = self.metadata.lock().await;
            match cached.as_ref() {
                Some((m, at)) if at.elapsed() < METADATA_TTL => m.clone(),
                _ => {
                    let issuer = IssuerUrl::new(self.settings.issuer.clone())
                        .map_err(|e| OidcFailure::Unavailable(e.to_string()))?;
                    let m = CoreProviderMetadata::discover_async(issuer, &self.http)
                        .await
                        .map_err(|e| OidcFailure::Unavailable(e.to_string()))?;
                    *cached = Some((m.clone(), Instant::now()));
                    m
                }
            }
        };
        Ok(Client::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_string())),
        )
        .set_redirect_uri(self.redirect.clone()))
    }

    /// A fresh PKCE pair: the challenge goes to the provider, the verifier into the database.
    pub fn pkce() -> (PkceCodeChallenge, String) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        (challenge, verifier.secret().to_string())
    }

    /// Where to send the browser to log in, with this login's state, nonce and challenge.
    pub async fn authorize_url(
        &self,
        state: &str,
        nonce: &str,
        challenge: PkceCodeChallenge,
    ) -> Result<String, OidcFailure> {
        let client = self.client().await?;
        let (state, nonce) = (state.to_string(), nonce.to_string());
        let mut request = client.authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        );
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, _, _) = request.set_pkce_challenge(challenge).url();
        Ok(url.to_string())
    }

    /// Exchanges the code (with the login's PKCE verifier) and verifies the ID token against
    /// the login's nonce, at the app's clock; the tax code is read from the ID token or, when
    /// the provider keeps it there, from the UserInfo endpoint.
    pub async fn finish(
        &self,
        ctx: &Ctx,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<VerifiedClaims, OidcFailure> {
        let client = self.client().await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcFailure::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcFailure::Exchange(e.to_string()))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcFailure::Token("no ID token in the answer".into()))?;
        let clock = ctx.clock.clone();
        let verifier = client.id_token_verifier().set_time_fn(move || clock.now());
        let nonce = Nonce::new(nonce.to_string());
        let claims = id_token
            .claims(&verifier, &nonce)
            .map_err(|e| OidcFailure::Token(e.to_string()))?;
        let name = |n: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserName>>| {
            n.and_then(|n| n.get(None)).map(|n| n.to_string())
        };
        let mut verified = VerifiedClaims {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            fiscal_number: claims.additional_claims().fiscal_number.clone(),
            name: name(claims.name()),
            given_name: claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            family_name: claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified(),
        };
        if verified.fiscal_number.is_none() || verified.email.is_none() {
            self.add_user_info(
                &client,
                response.access_token().clone(),
                claims.subject().clone(),
                &mut verified,
            )
            .await;
        }
        Ok(verified)
    }

    /// Fills the claims the ID token left out from the UserInfo endpoint (for the same
    /// subject); a provider without one, or an error, leaves them as they are.
    async fn add_user_info(
        &self,
        client: &Client,
        access_token: openidconnect::AccessToken,
        subject: openidconnect::SubjectIdentifier,
        verified: &mut VerifiedClaims,
    ) {
        let Ok(request) = client.user_info(access_token, Some(subject)) else {
            return;
        };
        let info: openidconnect::UserInfoClaims<ItalianClaims, CoreGenderClaim> =
            match request.request_async(&self.http).await {
                Ok(info) => info,
                Err(e) => {
                    tracing::warn!(error = %e, "UserInfo request failed");
                    return;
                }
            };
        if verified.fiscal_number.is_none() {
            verified.fiscal_number = info.additional_claims().fiscal_number.clone();
        }
        if verified.email.is_none() {
            verified.email = info.email().map(|e| e.to_string());
            verified.email_verified = info.email_verified();
        }
        if verified.name.is_none() {
            verified.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string());
        }
        if verified.given_name.is_none() {
            verified.given_name = info
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string());
        }
        if verified.family_name.is_none() {
            verified.family_name = info
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string());
        }
    }
}
