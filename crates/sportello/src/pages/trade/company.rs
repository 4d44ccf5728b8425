//! Acting company (an intermediary chooses which company it acts for), the company profile
//! to complete before the first practice, and the company's wallet.

use crate::app::AppState;
use crate::pages::trade::{acting_company, company_user};
use crate::web::pager::{CursorParam, Pager};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::session;
use sportello_core::authz::Action;
use sportello_core::registry::{self, Company};
use sportello_core::trade::form::FieldProblem;
use sportello_core::trade::profile::{self, ProfileInput};
use sportello_core::wallet;

#[derive(Template)]
#[template(path = "trade/company.html")]
struct ChoosePage {
    layout: Layout,
    companies: Vec<(Company, bool, bool)>,
}

/// The user's companies: which one they act for, and whether its profile is complete.
pub async fn choose(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewOwnPractices)?;
    let mut companies = Vec::new();
    for id in &p.company_ids {
        if let Some(c) = registry::get_company(&state.db, id).await? {
            let done = profile::get(&state.db, &p.user.id, id).await?.is_some();
            let acting = p.acting_company_id.as_deref() == Some(id.as_str());
            companies.push((c, acting, done));
        }
    }
    Ok(render(&ChoosePage {
        layout: Layout::new(&viewer, "trade-company-title"),
        companies,
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct ActForm {
    company_id: String,
}

pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ActForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ViewOwnPractices)?;
    // The id comes from the client: accept only one of the user's own companies.
    if !p.acts_for_company(&form.company_id) {
        return Err(AppError::forbidden());
    }
    let token = viewer
        .session_token
        .as_deref()
        .ok_or_else(AppError::unauthorized)?;
    session::set_acting_company(&state.db, token, Some(&form.company_id)).await?;
    Ok(Redirect::to("/models/new").into_response())
}

#[derive(Template)]
#[template(path = "trade/profile.html")]
struct ProfilePage {
    layout: Layout,
    company: Company,
    input: ProfileInput,
    errors: Vec<(String, String)>,
    saved: bool,
    /// Where the user was going when the profile was asked for (a path on this site): the
    /// form goes on there once saved.
    back: Option<String>,
    /// No profile yet: the page says why it is asked for now.
    first_time: bool,
}

/// The page to go back to after the profile: `next` when it is a path on this site
/// ([`crate::pages::local_path`]), else none.
fn back_to(next: Option<&str>) -> Option<String> {
    let next = next?;
    let local = crate::pages::local_path(Some(next));
    (local == next && next != "/").then(|| next.to_string())
}

#[derive(serde::Deserialize, Default)]
pub struct ProfileQuery {
    #[serde(default)]
    next: Option<String>,
}

/// The profile form as posted: the profile and where to go back to.
#[derive(serde::Deserialize)]
pub struct ProfileForm {
    #[serde(flatten)]
    input: ProfileInput,
    #[serde(default)]
    next: Option<String>,
}

struct ProfileField {
    name: &'static str,
    /// The HTML input type: Bootstrap Italia draws a field only when it has one.
    input_type: &'static str,
    label: String,
    help: String,
    value: String,
    required: bool,
    error: Option<String>,
}

impl ProfilePage {
    /// Where "Torna indietro" leads: the page the user came from. A type of practice chosen
    /// on "Nuova pratica" asks for the profile itself, so going back leads to the choice.
    fn way_back(&self) -> Option<String> {
        let back = self.back.as_deref()?;
        Some(if back.starts_with("/models/new?") {
            "/models/new".to_string()
        } else {
            back.to_string()
        })
    }

    fn fields(&self) -> Vec<ProfileField> {
        let i = &self.input;
        [
            ("tax_code", "tax-code", &i.tax_code, true),
            (
                "delivery_address",
                "delivery-address",
                &i.delivery_address,
                true,
            ),
            ("postcode", "postcode", &i.postcode, true),
            ("municipality", "municipality", &i.municipality, true),
            ("province", "province", &i.province, true),
            (
                "notification_email",
                "notification-email",
                &i.notification_email,
                true,
            ),
            ("phone", "phone", &i.phone, false),
        ]
        .into_iter()
        .map(|(name, key, value, required)| ProfileField {
            name,
            input_type: match name {
                "notification_email" => "email",
                "phone" => "tel",
                _ => "text",
            },
            label: self.layout.t(&format!("trade-p-{key}")),
            help: self.layout.t(&format!("trade-ph-{key}")),
            value: value.clone(),
            required,
            error: self
                .errors
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, m)| m.clone()),
        })
        .collect()
    }

    /// The summary of the form's errors, in the order of its fields.
    fn form_errors(&self) -> crate::web::form_errors::FormErrors {
        let mut out = crate::web::form_errors::FormErrors::new();
        for f in self.fields() {
            if let Some(message) = f.error {
                out.field(f.name, f.label, message);
            }
        }
        for (field, message) in &self.errors {
            if !self.fields().iter().any(|f| f.name == field) {
                out.form(message.clone());
            }
        }
        out
    }
}

pub async fn profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ProfileQuery>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let existing = profile::get(&state.db, &p.user.id, &company.id).await?;
    let first_time = existing.is_none();
    let input = match existing {
        Some(pr) => ProfileInput {
            tax_code: company.tax_code.as_str().into(),
            delivery_address: pr.delivery_address,
            postcode: pr.postcode,
            municipality: pr.municipality,
            province: pr.province,
            notification_email: pr.notification_email,
            phone: pr.phone.unwrap_or_default(),
        },
        None => ProfileInput {
            notification_email: p.user.email.clone(),
            ..ProfileInput::default()
        },
    };
    Ok(render(&ProfilePage {
        layout: Layout::new(&viewer, "trade-profile-title"),
        company,
        input,
        errors: Vec::new(),
        saved: false,
        back: back_to(q.next.as_deref()),
        first_time,
    })?
    .into_response())
}

/// Saves the profile; with a `next` path on this site, goes back there (the page the user
/// was on when the profile was asked for), else shows the saved profile.
pub async fn save_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let ProfileForm { input, next } = form;
    let back = back_to(next.as_deref());
    let p = company_user(&viewer)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    match profile::validate(&input, &company) {
        Ok(pr) => {
            profile::save(
                &state.db,
                state.clock.now(),
                &p.actor(),
                &p.user.id,
                &company.id,
                &pr,
            )
            .await?;
            if let Some(back) = back {
                return Ok(Redirect::to(&back).into_response());
            }
            Ok(render(&ProfilePage {
                layout: Layout::new(&viewer, "trade-profile-title"),
                company,
                input,
                errors: Vec::new(),
                saved: true,
                back: None,
                first_time: false,
            })?
            .into_response())
        }
        Err(problems) => {
            let errors = messages(&problems, &viewer);
            let first_time = profile::get(&state.db, &p.user.id, &company.id)
                .await?
                .is_none();
            let page = render(&ProfilePage {
                layout: Layout::new(&viewer, "trade-profile-title"),
                company,
                input,
                errors,
                saved: false,
                first_time,
                back,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub(crate) fn messages(problems: &[FieldProblem], viewer: &Viewer) -> Vec<(String, String)> {
    problems
        .iter()
        .map(|p| (p.field.clone(), viewer.lang.t(p.key)))
        .collect()
}

#[derive(Template)]
#[template(path = "trade/wallet.html")]
struct WalletPage {
    layout: Layout,
    company: Company,
    /// One balance per chamber keeping a wallet for the company: (code, label, balance).
    balances: Vec<(String, String, String)>,
    /// The chamber whose entries are listed (its code), with its name.
    chamber: Option<(String, String)>,
    entries: Vec<wallet::Entry>,
    pager: Pager,
    /// Whether the chamber takes pagoPA payments (it is configured as a creditor).
    pagopa: bool,
    /// The company's payment notices at the chamber, newest first.
    positions: Vec<PositionRow>,
    /// The notice to show with its QR code: the one just asked for, else the latest pending.
    shown: Option<ShownNotice>,
    top_up_amount: String,
    top_up_error: Option<String>,
    /// The statement's default period: 1 January to today (`YYYY-MM-DD`).
    period: (String, String),
}

struct PositionRow {
    id: String,
    notice_code: String,
    amount: String,
    expires_on: String,
    state: String,
    state_label: String,
    requested: String,
}

struct ShownNotice {
    id: String,
    notice_code: String,
    creditor_tax_code: String,
    amount: String,
    expires_on: String,
    /// The QR code's modules, row by row (drawn as SVG squares).
    qr: Vec<Vec<bool>>,
    qr_text: String,
}

#[derive(serde::Deserialize, Default)]
pub struct WalletParams {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    chamber: Option<String>,
    /// The position just asked for, shown first.
    #[serde(default)]
    notice: Option<String>,
}

impl WalletParams {
    pub fn of_chamber(code: &str) -> WalletParams {
        WalletParams {
            chamber: Some(code.to_string()),
            ..WalletParams::default()
        }
    }
}

const WALLET_ENTRIES_PER_PAGE: u32 = 50;

/// Payment notices listed on the wallet page.
const POSITIONS_SHOWN: i64 = 10;

impl WalletPage {
    fn money(&self, cents: &i64) -> String {
        sportello_core::money::Money::from_cents(*cents).to_italian()
    }

    fn kind_label(&self, kind: &str) -> String {
        self.layout.t(match kind {
            "top_up" => "trade-wallet-top-up",
            "charge" => "trade-wallet-charge",
            _ => "trade-wallet-refund",
        })
    }
}

/// The company's wallets, one balance per chamber, and the entries of one of them (`?chamber=`,
/// else the first).
pub async fn wallet(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<WalletParams>,
) -> Result<Response, AppError> {
    wallet_page(&state, &viewer, params, None).await
}

/// The wallet page; `top_up`: a refused top-up request (the reason, the amount typed).
pub async fn wallet_page(
    state: &AppState,
    viewer: &Viewer,
    params: WalletParams,
    top_up: Option<(String, String)>,
) -> Result<Response, AppError> {
    use sportello_core::wallet::pagopa;
    let p = viewer.require_action(Action::ViewWallet)?;
    let company = match acting_company(state, p).await? {
        Ok(c) => c,
        Err(go) => return Ok(go),
    };
    let all = wallet::balances(&state.db, &company.id).await?;
    let wanted = params.chamber.as_deref().map(str::to_ascii_uppercase);
    let chosen = all
        .iter()
        .find(|b| Some(b.chamber.code.as_str()) == wanted.as_deref())
        .or(all.first())
        .map(|b| b.chamber.clone());
    let page = CursorParam {
        after: params.after.clone(),
        before: params.before.clone(),
    }
    .request(WALLET_ENTRIES_PER_PAGE);
    let today = sportello_core::clock::italian_day(state.clock.now());
    let (entries, pager) = match &chosen {
        Some(chamber) => {
            let entries = wallet::entries_page(&state.db, &company.id, &chamber.id, &page).await?;
            let pager = Pager::keyset(
                viewer.lang,
                &entries,
                "/wallet",
                &[("chamber", chamber.code.as_str())],
            );
            (entries.items, pager)
        }
        None => {
            let empty = sportello_core::paging::Slice::<wallet::Entry> {
                items: Vec::new(),
                previous: None,
                next: None,
            };
            let pager = Pager::keyset(viewer.lang, &empty, "/wallet", &[]);
            (Vec::new(), pager)
        }
    };
    let (pagopa_on, positions) = match &chosen {
        Some(chamber) => (
            pagopa::creditor(&state.db, &chamber.id).await?.is_some(),
            pagopa::position::positions(
                &state.db,
                &company.id,
                &chamber.id,
                today,
                POSITIONS_SHOWN,
            )
            .await?,
        ),
        None => (false, Vec::new()),
    };
    let shown = positions
        .iter()
        .find(|x| params.notice.as_deref() == Some(x.id.as_str()) && x.state == "pending")
        .or_else(|| positions.iter().find(|x| x.state == "pending"))
        .map(|x| ShownNotice {
            id: x.id.clone(),
            notice_code: x.notice_code_grouped(),
            creditor_tax_code: x.creditor_tax_code.clone(),
            amount: x.amount().to_italian(),
            expires_on: sportello_core::display::stored(&x.expires_on),
            qr: pagopa::notice_code::qr_modules(&x.qr_text()).unwrap_or_default(),
            qr_text: x.qr_text(),
        });
    let positions = positions
        .into_iter()
        .map(|x| PositionRow {
            notice_code: x.notice_code_grouped(),
            amount: x.amount().to_italian(),
            expires_on: sportello_core::display::stored(&x.expires_on),
            state_label: viewer.lang.t(&format!("pagopa-state-{}", x.state)),
            requested: sportello_core::display::stored(&x.created_at),
            state: x.state,
            id: x.id,
        })
        .collect();
    let failed = top_up.is_some();
    let (top_up_error, top_up_amount) = match top_up {
        Some((e, a)) => (Some(e), a),
        None => (None, String::new()),
    };
    let year_start =
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let html = render(&WalletPage {
        layout: Layout::new(viewer, "trade-wallet-title"),
        company,
        balances: all
            .into_iter()
            .map(|b| {
                (
                    b.chamber.code.to_string(),
                    viewer.lang.t_args(
                        "trade-wallet-chamber-balance",
                        &[("chamber", b.chamber.name)],
                    ),
                    b.balance.to_italian(),
                )
            })
            .collect(),
        chamber: chosen.map(|c| (c.code.to_string(), c.name)),
        entries,
        pager,
        pagopa: pagopa_on,
        positions,
        shown,
        top_up_amount,
        top_up_error,
        period: (year_start.to_string(), today.to_string()),
    })?;
    Ok(if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, html).into_response()
    } else {
        html.into_response()
    })
}
