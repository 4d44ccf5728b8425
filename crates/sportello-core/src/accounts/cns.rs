//! Login with the smart card (CNS, Carta Nazionale dei Servizi) through the TLS proxy
//! (issue 15, item 1: "TLS client-certificate login through the reverse proxy, the
//! certificate checked with `firma` against the trust anchors and for revocation, the tax
//! code read from it").
//!
//! The proxy (nginx, `ssl_verify_client optional_no_ca`) asks the browser for the card's
//! certificate and forwards it, unjudged, to the login route; the shell believes that header
//! only from `SPORTELLO_TRUSTED_PROXIES`. Here the certificate is judged: it chains to one of
//! the card authorities configured (`SPORTELLO_CNS_TRUST_ANCHORS`), is valid today, is an
//! authentication certificate, is not revoked (OCSP or CRL, as for signers: [`revocation`]),
//! and names a person's tax code. Then the sign-in every digital identity shares
//! ([`identity::sign_in`]), audited with the method "CNS". Every refusal is audited too, with
//! its reason, and creates nothing. A card without an e-mail address signs up in two steps
//! ([`sign_up`]).

pub mod sign_up;

use crate::Ctx;
use crate::accounts::identity::{self, Identity, Method, SignInError, SignedIn};
use crate::audit::{self, Actor, Change};
use crate::registry::TaxCode;
use crate::revocation::{self, Sources, State};
use crate::throttle::{self, Scope};
use firma::authentication::{self as card, Holder};
use serde_json::json;

/// Why a card's certificate does not log in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardRefusal {
    /// The proxy read no certificate: no card, no reader, or the person declined.
    #[error("no certificate presented")]
    NoCertificate,
    /// What the proxy forwarded is not a certificate.
    #[error("the forwarded certificate cannot be read")]
    Unreadable,
    /// Not issued by one of the configured card authorities.
    #[error("not issued by a trusted card authority")]
    UnknownIssuer,
    #[error("not yet valid")]
    NotYetValid,
    #[error("expired")]
    Expired,
    /// A signature certificate, a CA certificate, or one without client authentication.
    #[error("not an authentication certificate")]
    NotForAuthentication,
    /// Revoked (or suspended) at this instant (RFC 3339 UTC).
    #[error("revoked at {0}")]
    Revoked(String),
    /// Neither OCSP nor a CRL gave an answer: a card that may be revoked does not log in
    /// (fail closed).
    #[error("revocation status unknown")]
    RevocationUnknown,
    /// The subject names no person's tax code.
    #[error("no personal tax code in the certificate")]
    NoTaxCode,
}

impl CardRefusal {
    /// The stable name of the reason, in the audit entry.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoCertificate => "no_certificate",
            Self::Unreadable => "unreadable",
            Self::UnknownIssuer => "unknown_issuer",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
            Self::NotForAuthentication => "not_for_authentication",
            Self::Revoked(_) => "revoked",
            Self::RevocationUnknown => "revocation_unknown",
            Self::NoTaxCode => "no_tax_code",
        }
    }
}

/// Why a login with a card failed.
#[derive(Debug, thiserror::Error)]
pub enum CnsError {
    #[error(transparent)]
    Card(#[from] CardRefusal),
    /// The card is good; the account cannot sign in or be made.
    #[error(transparent)]
    SignIn(SignInError),
    /// Too many refused logins from the client's address: refused before the card is read
    /// (and not audited, so nobody can flood the audit trail).
    #[error("too many attempts from this address")]
    TooManyAttempts,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What a good card leads to.
#[derive(Clone, Debug)]
pub enum CardLogin {
    /// The person is signed in (their account, or a new one made with the card's address).
    SignedIn(SignedIn),
    /// A first login with a card that gives no e-mail address: the identity is kept for the
    /// next step ([`sign_up`]), tied to the browser holding this cookie token.
    AddressNeeded { browser_token: String },
}

/// Logs in with the certificate the trusted proxy read from the card (PEM or DER; `None`
/// when it read none). `client` is the client's address, for the audit entry of a refusal.
pub async fn sign_in(
    ctx: &Ctx,
    anchors: &[Vec<u8>],
    presented: Option<&[u8]>,
    client: &str,
) -> Result<CardLogin, CnsError> {
    // The login limit of the address, shared with password logins; a login given back.
    if !throttle::take(&ctx.db, ctx.clock.now(), Scope::LoginAddress, client).await? {
        return Err(CnsError::TooManyAttempts);
    }
    let mut holder = None;
    let outcome = match judge(ctx, anchors, presented, &mut holder).await {
        Ok(person) => match identity::sign_in(ctx, &person).await {
            Ok(signed) => Ok(CardLogin::SignedIn(signed)),
            Err(SignInError::EmailMissing)
                if person.name.as_deref().is_some_and(|n| !n.trim().is_empty()) =>
            {
                sign_up::begin(&ctx.db, ctx.clock.now(), &person)
                    .await
                    .map(|browser_token| CardLogin::AddressNeeded { browser_token })
                    .map_err(CnsError::Db)
            }
            Err(SignInError::Db(e)) => Err(CnsError::Db(e)),
            Err(e) => Err(CnsError::SignIn(e)),
        },
        Err(refusal) => Err(CnsError::Card(refusal)),
    };
    let reason = match &outcome {
        Ok(CardLogin::SignedIn(_)) => {
            throttle::give_back(&ctx.db, Scope::LoginAddress, client).await?;
            None
        }
        // A sign-up step mails an address the person typed: it keeps its place in the
        // address's login limit, so one client cannot send links without end.
        Ok(CardLogin::AddressNeeded { .. }) => None,
        Err(CnsError::Db(_) | CnsError::TooManyAttempts) => None,
        Err(CnsError::Card(refusal)) => Some(refusal.code()),
        Err(CnsError::SignIn(SignInError::EmailMissing)) => Some("email_missing"),
        Err(CnsError::SignIn(SignInError::NameMissing)) => Some("name_missing"),
        Err(CnsError::SignIn(SignInError::EmailTaken(_))) => Some("email_taken"),
        Err(CnsError::SignIn(SignInError::Disabled)) => Some("disabled"),
        Err(CnsError::SignIn(SignInError::Db(_))) => Some("database"),
    };
    if let Some(reason) = reason {
        record_refusal(ctx, reason, holder.as_ref(), client).await?;
    }
    outcome
}

/// The certificate judged; `holder` is filled as soon as the certificate is read, for the
/// audit entry of a refusal.
async fn judge(
    ctx: &Ctx,
    anchors: &[Vec<u8>],
    presented: Option<&[u8]>,
    holder_out: &mut Option<Holder>,
) -> Result<Identity, CardRefusal> {
    let presented = presented
        .filter(|p| !p.iter().all(u8::is_ascii_whitespace))
        .ok_or(CardRefusal::NoCertificate)?;
    let der = firma::parse_certificates(presented)
        .ok()
        .and_then(|mut certs| (!certs.is_empty()).then(|| certs.remove(0)))
        .ok_or(CardRefusal::Unreadable)?;
    let now = ctx.clock.now();
    let holder = card::check(&der, anchors, now.into()).map_err(|refusal| match refusal {
        card::Refusal::Unreadable => CardRefusal::Unreadable,
        card::Refusal::UnknownIssuer => CardRefusal::UnknownIssuer,
        card::Refusal::NotYetValid => CardRefusal::NotYetValid,
        card::Refusal::Expired => CardRefusal::Expired,
        card::Refusal::NotForAuthentication => CardRefusal::NotForAuthentication,
    });
    if holder.is_err() {
        *holder_out = firma::certificate_summary(&der).map(|s| Holder {
            tax_code: None,
            name: firma::holder_name(&der).unwrap_or_default(),
            given_name: None,
            surname: None,
            email: None,
            subject: s.subject,
            issuer: s.issuer,
            serial: s.serial,
            path: Vec::new(),
        });
    }
    let holder = holder?;
    *holder_out = Some(holder.clone());
    let sources = Sources {
        db: Some(&ctx.db),
        fetcher: ctx.revocation.as_ref(),
        extra_crls: &[],
    };
    let outcome = revocation::check_path(&sources, &der, &holder.path, now).await;
    if let Some(revoked) = outcome.revoked() {
        let at = match &revoked.state {
            State::Revoked { at } => at.clone(),
            _ => String::new(),
        };
        return Err(CardRefusal::Revoked(at));
    }
    if outcome.checks.is_empty()
        || outcome
            .checks
            .iter()
            .any(|c| matches!(c.state, State::Unavailable | State::NoSource))
    {
        for check in &outcome.checks {
            tracing::warn!(holder = %check.holder, detail = ?check.detail, "card revocation status unknown");
        }
        return Err(CardRefusal::RevocationUnknown);
    }
    let tax_code = person_tax_code(&holder).ok_or(CardRefusal::NoTaxCode)?;
    Ok(Identity {
        tax_code,
        name: person_name(&holder),
        email: holder.email.clone(),
        // The card vouches for the person, not for an e-mail address written in it.
        email_verified: false,
        method: Method::Cns {
            issuer: holder.issuer.clone(),
            serial: holder.serial.clone(),
        },
    })
}

/// The holder's tax code when it is a person's (CNS: subject serialNumber `TINIT-<code>`, or
/// the common name `<code>/<card>.<hash>` of older cards; `firma::tax_code::extract`).
fn person_tax_code(holder: &Holder) -> Option<TaxCode> {
    let code = TaxCode::parse(holder.tax_code.as_deref()?).ok()?;
    code.is_personal().then_some(code)
}

/// "Mario Rossi" from given name and surname (upper case on cards), else the common name
/// unless it is the old `<code>/<card>.<hash>` form.
fn person_name(holder: &Holder) -> Option<String> {
    let usual = |s: &str| {
        s.split_whitespace()
            .map(|w| {
                let lower = w.to_lowercase();
                let mut chars = lower.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    match (&holder.given_name, &holder.surname) {
        (Some(given), Some(surname)) => Some(usual(&format!("{given} {surname}"))),
        _ => Some(holder.name.as_str())
            .filter(|n| !n.trim().is_empty() && !n.contains('/') && !n.contains('='))
            .map(usual),
    }
}

/// The audit entry of a refused card: the reason and the certificate as far as it was read.
async fn record_refusal(
    ctx: &Ctx,
    reason: &str,
    holder: Option<&Holder>,
    client: &str,
) -> Result<(), sqlx::Error> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    audit::record(
        &mut tx,
        now,
        &Actor::system("public"),
        Change::new("user.login_refused", "user", None).after(json!({
            "method": "CNS",
            "reason": reason,
            "client": client,
            "certificate_subject": holder.map(|h| h.subject.clone()),
            "certificate_issuer": holder.map(|h| h.issuer.clone()),
            "certificate_serial": holder.map(|h| h.serial.clone()),
            "tax_code": holder.and_then(|h| h.tax_code.clone()),
        })),
    )
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(given: Option<&str>, surname: Option<&str>, cn: &str) -> Holder {
        Holder {
            tax_code: None,
            name: cn.to_string(),
            given_name: given.map(str::to_string),
            surname: surname.map(str::to_string),
            email: None,
            subject: String::new(),
            issuer: String::new(),
            serial: String::new(),
            path: Vec::new(),
        }
    }

    #[test]
    fn the_card_holder_name_is_written_in_usual_case() {
        assert_eq!(
            person_name(&holder(Some("MARIO"), Some("ROSSI"), "MARIO ROSSI")).as_deref(),
            Some("Mario Rossi")
        );
        assert_eq!(
            person_name(&holder(None, None, "ANNA MARIA DE LUCA")).as_deref(),
            Some("Anna Maria De Luca")
        );
        assert_eq!(
            person_name(&holder(
                None,
                None,
                "RSSMRA80A01H501U/7420000012345678.abcd"
            )),
            None
        );
    }

    #[test]
    fn a_card_names_a_person_only_by_a_personal_tax_code() {
        let mut h = holder(None, None, "x");
        h.tax_code = Some("RSSMRA80A01H501U".into());
        assert!(person_tax_code(&h).is_some());
        h.tax_code = Some("00743110157".into());
        assert!(person_tax_code(&h).is_none());
        h.tax_code = None;
        assert!(person_tax_code(&h).is_none());
    }
}
