//! The first login with a card that carries no e-mail address (issue 15, item 1: "a person
//! who logs in for the first time gets an account"). An account needs an address to be told
//! things, and such a card gives none, so the sign-up takes two steps:
//!
//! 1. **The card, then an address.** The card's verified identity (tax code, name, the
//!    certificate's issuer and serial) is kept here for [`STEP_MINUTES`], tied to the browser
//!    that presented the card by a random cookie stored only as its hash (as the logins under
//!    way of `oidc::pending`). The person types an e-mail address; an address another account
//!    has is refused at once.
//! 2. **The link.** A single-use confirmation link, valid [`LINK_HOURS`], is mailed to that
//!    address through the outbox. Opening it (and pressing "Conferma") makes the account, with
//!    the address verified, and links the companies the Registry lists the person as legal
//!    representative of, as every sign-up with a digital identity does
//!    ([`identity::enrol_in`]). The link is spent in the transaction that makes the account, so
//!    a reused link or a double click makes nothing twice. Then the person logs in with the
//!    card: the link proves the mailbox, not the card, so it opens no session.
//!
//! Unlike the SPID/CIE sign-up, which makes the account at once with the provider's address
//! flagged unverified, nothing vouches for a typed address, so no account exists before it is
//! confirmed.

use crate::Ctx;
use crate::accounts::identity::{self, Identity, Method, SignInError};
use crate::accounts::normalise_email;
use crate::accounts::session::{random_token, token_hash};
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db};
use crate::i18n::Lang;
use crate::notify::{self, OutgoingEmail};
use crate::registry::TaxCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// How long the person has to type an address after presenting the card.
pub const STEP_MINUTES: i64 = 15;

/// How long the confirmation link stays valid.
pub const LINK_HOURS: i64 = 24;

/// The cookie that ties step 1 to the browser that presented the card.
pub const BROWSER_COOKIE: &str = "sportello_cns_sign_up";

/// Keeps the verified identity of a card without an e-mail address for the next step; returns
/// the token of the browser's cookie.
pub async fn begin(
    db: &Db,
    now: DateTime<Utc>,
    identity: &Identity,
) -> Result<String, sqlx::Error> {
    let (issuer, serial) = match &identity.method {
        Method::Cns { issuer, serial } => (issuer.clone(), serial.clone()),
        Method::Oidc { issuer } => (issuer.clone(), String::new()),
    };
    // Steps never finished are forgotten a day after they expired.
    sqlx::query("DELETE FROM cns_sign_ups WHERE expires_at <= $1")
        .bind(db::instant(now - Duration::days(1)))
        .execute(db.pool())
        .await?;
    let browser_token = random_token();
    sqlx::query(
        "INSERT INTO cns_sign_ups (id, tax_code, name, certificate_issuer, certificate_serial, \
         browser_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(db::new_id())
    .bind(identity.tax_code.as_str())
    .bind(identity.name.as_deref().unwrap_or_default().trim())
    .bind(issuer)
    .bind(serial)
    .bind(token_hash(&browser_token))
    .bind(db::instant(now))
    .bind(db::instant(now + Duration::minutes(STEP_MINUTES)))
    .execute(db.pool())
    .await?;
    Ok(browser_token)
}

/// The sign-up the browser's cookie started, while it can still go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub tax_code: String,
    pub name: String,
    /// The address the link was sent to, once it was.
    pub email: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct StepRow {
    id: String,
    tax_code: String,
    name: String,
    email: Option<String>,
    expires_at: String,
}

/// The step of the browser holding `browser_token`; `None` when there is none or it expired.
pub async fn step(
    db: &Db,
    now: DateTime<Utc>,
    browser_token: Option<&str>,
) -> Result<Option<Step>, sqlx::Error> {
    let Some(token) = browser_token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let row: Option<StepRow> = sqlx::query_as(
        "SELECT id, tax_code, name, email, expires_at FROM cns_sign_ups \
         WHERE browser_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(token_hash(token))
    .bind(db::instant(now))
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(Step {
            expires_at: db::parse_instant(&r.expires_at)?,
            id: r.id,
            tax_code: r.tax_code,
            name: r.name,
            email: r.email,
        })
    })
    .transpose()
}

/// Why the address typed does not get a link.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    /// No step for this browser, or its minutes are over: present the card again.
    #[error("the sign-up step expired")]
    Expired,
    #[error("not an e-mail address")]
    Invalid,
    /// Another account has the address: never joined by e-mail alone.
    #[error("another account has the e-mail address {0}")]
    Taken(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The link was sent (now, or by an earlier click of the same form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSent {
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Sends the confirmation link to `email` for the browser's step. Sending again from the same
/// step (a double click, a reload) sends nothing more and answers where the link went.
pub async fn send_link(
    ctx: &Ctx,
    browser_token: Option<&str>,
    email: &str,
) -> Result<LinkSent, AddressError> {
    let now = ctx.clock.now();
    let step = step(&ctx.db, now, browser_token)
        .await?
        .ok_or(AddressError::Expired)?;
    if let Some(email) = step.email {
        return Ok(LinkSent {
            email,
            expires_at: step.expires_at,
        });
    }
    let email = normalise_email(email).ok_or(AddressError::Invalid)?;
    if address_taken(&ctx.db, &email).await? {
        return Err(AddressError::Taken(email));
    }
    let token = random_token();
    let expires_at = now + Duration::hours(LINK_HOURS);
    let mut tx = ctx.db.begin().await?;
    let set = sqlx::query(
        "UPDATE cns_sign_ups SET email = $2, link_hash = $3, expires_at = $4 \
         WHERE id = $1 AND email IS NULL AND used_at IS NULL AND expires_at > $5",
    )
    .bind(&step.id)
    .bind(&email)
    .bind(token_hash(&token))
    .bind(db::instant(expires_at))
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if set == 0 {
        // Another click of the same form got there first.
        tx.rollback().await?;
        let step = self::step(&ctx.db, now, browser_token)
            .await?
            .ok_or(AddressError::Expired)?;
        return Ok(LinkSent {
            email: step.email.ok_or(AddressError::Expired)?,
            expires_at: step.expires_at,
        });
    }
    let link = format!(
        "{}/login/cns/confirm/{token}",
        ctx.config.public_url.trim_end_matches('/')
    );
    notify::queue(
        &mut tx,
        now,
        link_mail(&email, &step.name, &link, expires_at),
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &Actor::system("public"),
        Change::new("user.sign_up_link", "user", None).after(json!({
            "method": "CNS", "tax_code": step.tax_code, "email": email,
            "expires_at": db::instant(expires_at),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(LinkSent { email, expires_at })
}

async fn address_taken(db: &Db, email: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// Why a confirmation link makes no account.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this confirmation link is not valid")]
    Unknown,
    /// Already opened: the account was made then.
    #[error("this confirmation link was already used")]
    Used,
    #[error("this confirmation link expired")]
    Expired,
    #[error(transparent)]
    SignIn(SignInError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<SignInError> for LinkError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Db(e) => LinkError::Db(e),
            e => LinkError::SignIn(e),
        }
    }
}

/// What a valid link will make, for the page that asks to confirm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub name: String,
    pub tax_code: String,
    pub email: String,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: String,
    tax_code: String,
    name: String,
    certificate_issuer: String,
    certificate_serial: String,
    email: Option<String>,
    expires_at: String,
    used_at: Option<String>,
}

async fn find_link(db: &Db, now: DateTime<Utc>, token: &str) -> Result<LinkRow, LinkError> {
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT id, tax_code, name, certificate_issuer, certificate_serial, email, expires_at, \
         used_at FROM cns_sign_ups WHERE link_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(db.pool())
    .await?;
    let row = row.ok_or(LinkError::Unknown)?;
    if row.used_at.is_some() {
        return Err(LinkError::Used);
    }
    if db::parse_instant(&row.expires_at)? <= now {
        return Err(LinkError::Expired);
    }
    Ok(row)
}

/// Whether `token` is a link that can still make an account, and whose.
pub async fn check_link(ctx: &Ctx, token: &str) -> Result<Pending, LinkError> {
    let row = find_link(&ctx.db, ctx.clock.now(), token).await?;
    Ok(Pending {
        name: row.name,
        tax_code: row.tax_code,
        email: row.email.unwrap_or_default(),
    })
}

/// The account made by a confirmed link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmed {
    pub email: String,
    /// The person had an account already (made since by SPID/CIE or by the chamber).
    pub existed: bool,
    pub linked_companies: usize,
}

/// Opens the link: in one transaction, the link is spent and the account made (address
/// verified) and linked to the companies the Registry lists the person for.
pub async fn confirm(ctx: &Ctx, token: &str) -> Result<Confirmed, LinkError> {
    let now = ctx.clock.now();
    let row = find_link(&ctx.db, now, token).await?;
    let email = row.email.clone().ok_or(LinkError::Unknown)?;
    let tax_code = TaxCode::parse(&row.tax_code).map_err(|_| LinkError::Unknown)?;
    let identity = Identity {
        tax_code,
        name: Some(row.name.clone()),
        email: Some(email.clone()),
        email_verified: true,
        method: Method::Cns {
            issuer: row.certificate_issuer.clone(),
            serial: row.certificate_serial.clone(),
        },
    };
    let mut tx = ctx.db.begin().await?;
    let spent = sqlx::query(
        "UPDATE cns_sign_ups SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(&row.id)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if spent == 0 {
        tx.rollback().await?;
        return Err(LinkError::Used);
    }
    let (_, created, linked) = identity::enrol_in(&mut tx, now, &identity).await?;
    tx.commit().await?;
    Ok(Confirmed {
        email,
        existed: !created,
        linked_companies: linked.len(),
    })
}

/// Italian first, English second: the person's language is not known to the mailbox.
fn link_mail(to: &str, name: &str, link: &str, expires_at: DateTime<Utc>) -> OutgoingEmail {
    let args = [
        ("name", name.to_string()),
        ("link", link.to_string()),
        ("until", crate::display::date_time(expires_at)),
    ];
    let (it, en) = (Lang::It, Lang::En);
    OutgoingEmail {
        to: to.to_string(),
        subject: format!(
            "{} / {}",
            it.t("cns-sign-up-mail-subject"),
            en.t("cns-sign-up-mail-subject")
        ),
        body_text: format!(
            "{}\n\n---\n\n{}",
            it.t_args("cns-sign-up-mail-body", &args),
            en.t_args("cns-sign-up-mail-body", &args)
        ),
        chamber_id: None,
        attachments: Vec::new(),
    }
}
