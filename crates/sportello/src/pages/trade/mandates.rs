//! Mandates to intermediaries (issue 15, item 3): the company's page, where its legal
//! representative grants and revokes them, and the intermediary's clients page, with each
//! mandate's scope and state.

use crate::app::AppState;
use crate::pages::trade::{acting_company, company_user};
use crate::web::form::RepeatedForm;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::chambers::{self, Chamber};
use sportello_core::display;
use sportello_core::intermediary::mandate::{self, Grant, Mandate};
use sportello_core::intermediary::{self, Intermediary};
use sportello_core::registry::Company;
use sportello_core::trade::PracticeType;

/// A mandate as a table row shows it.
pub struct MandateRow {
    pub id: String,
    pub party: String,
    pub types: String,
    pub chambers: String,
    pub period: String,
    pub state_key: &'static str,
    pub state_class: &'static str,
    pub revocable: bool,
    pub revoked: Option<String>,
}

async fn rows(
    state: &AppState,
    viewer: &Viewer,
    mandates: &[Mandate],
    company_side: bool,
    can_revoke: bool,
) -> Result<Vec<MandateRow>, AppError> {
    let lang = viewer.lang;
    let all = chambers::list_chambers(&state.db).await?;
    let today = state.clock.today();
    Ok(mandates
        .iter()
        .map(|m| {
            let st = m.state(today);
            MandateRow {
                id: m.id.clone(),
                party: if company_side {
                    m.intermediary_name.clone()
                } else {
                    m.company_name.clone()
                },
                types: m
                    .practice_types
                    .iter()
                    .map(|t| lang.t(t.label_key()))
                    .collect::<Vec<_>>()
                    .join(", "),
                chambers: m
                    .chamber_ids
                    .iter()
                    .map(|id| {
                        all.iter()
                            .find(|c| &c.id == id)
                            .map(|c| c.name.clone())
                            .unwrap_or_else(|| id.clone())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                period: lang.t_args(
                    "mandate-period",
                    &[
                        ("from", display::date(m.valid_from)),
                        ("to", display::date(m.valid_to)),
                    ],
                ),
                state_key: st.label_key(),
                state_class: match st {
                    mandate::MandateState::Active => "bg-success",
                    mandate::MandateState::NotStarted => "bg-info",
                    _ => "bg-secondary",
                },
                revocable: can_revoke && m.revoked_on.is_none(),
                revoked: m.revoked_on.map(|d| {
                    lang.t_args(
                        if m.revoked_side.as_deref() == Some("company") {
                            "mandate-revoked-by-company"
                        } else {
                            "mandate-revoked-by-intermediary"
                        },
                        &[("date", display::date(d))],
                    )
                }),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "trade/mandates.html")]
struct CompanyPage {
    layout: Layout,
    company: Company,
    representative: bool,
    rows: Vec<MandateRow>,
    intermediaries: Vec<Intermediary>,
    chambers: Vec<Chamber>,
    types: Vec<(String, String)>,
    form: GrantForm,
    error: Option<String>,
    notice: Option<String>,
}

impl CompanyPage {
    fn type_checked(&self, t: &str) -> bool {
        self.form.practice_types.iter().any(|x| x == t)
    }
    fn chamber_checked(&self, c: &str) -> bool {
        self.form.chamber_ids.iter().any(|x| x == c)
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct GrantForm {
    #[serde(default)]
    intermediary_id: String,
    #[serde(default)]
    practice_types: Vec<String>,
    #[serde(default)]
    chamber_ids: Vec<String>,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

async fn company_page(
    state: &AppState,
    viewer: &Viewer,
    company: Company,
    form: GrantForm,
    error: Option<String>,
    notice: Option<String>,
) -> Result<CompanyPage, AppError> {
    let p = company_user(viewer)?;
    let representative = mandate::is_representative(&state.db, &p.user.id, &company.id).await?;
    let mandates = mandate::of_company(&state.db, &company.id).await?;
    let form = if form.valid_from.is_empty() && form.valid_to.is_empty() {
        let today = state.clock.today();
        GrantForm {
            valid_from: today.to_string(),
            valid_to: today
                .checked_add_months(chrono::Months::new(12))
                .unwrap_or(today)
                .to_string(),
            ..form
        }
    } else {
        form
    };
    Ok(CompanyPage {
        layout: Layout::new(viewer, "mandate-company-title"),
        rows: rows(state, viewer, &mandates, true, representative).await?,
        representative,
        intermediaries: intermediary::list(&state.db).await?,
        chambers: chambers::list_chambers(&state.db).await?,
        types: PracticeType::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), viewer.lang.t(t.label_key())))
            .collect(),
        company,
        form,
        error,
        notice,
    })
}

/// The acting company's mandates; its legal representative grants and revokes them.
pub async fn company(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    if p.intermediary.is_some() {
        return Ok(Redirect::to("/clients").into_response());
    }
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let notice = match q.notice.as_str() {
        "granted" => Some(viewer.lang.t("mandate-granted")),
        "revoked" => Some(viewer.lang.t("mandate-revoked")),
        _ => None,
    };
    Ok(
        render(&company_page(&state, &viewer, company, GrantForm::default(), None, notice).await?)?
            .into_response(),
    )
}

pub async fn grant(
    State(state): State<AppState>,
    viewer: Viewer,
    RepeatedForm(form): RepeatedForm<GrantForm>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let company = match acting_company(&state, p).await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let grant = Grant {
        intermediary_id: form.intermediary_id.clone(),
        company_id: company.id.clone(),
        practice_types: form.practice_types.clone(),
        chamber_ids: form.chamber_ids.clone(),
        valid_from: form.valid_from.clone(),
        valid_to: form.valid_to.clone(),
    };
    match mandate::grant_by_representative(&state, p, grant).await {
        Ok(_) => Ok(Redirect::to("/company/mandates?notice=granted").into_response()),
        Err(mandate::MandateError::Db(e)) => Err(e.into()),
        Err(mandate::MandateError::NotRepresentative) => Err(AppError::forbidden()),
        Err(e) => {
            let err = AppError::from(e);
            let message = err
                .fields
                .first()
                .map(|f| viewer.lang.t_args(f.key, &f.args))
                .unwrap_or_else(|| err.message(viewer.lang));
            let page = company_page(&state, &viewer, company, form, Some(message), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "trade/clients.html")]
struct ClientsPage {
    layout: Layout,
    intermediary: String,
    rows: Vec<MandateRow>,
    notice: Option<String>,
    error: Option<String>,
    chambers: Vec<Chamber>,
    types: Vec<(String, String)>,
    /// The delegation form as typed: tax code, first day, last day, ticked names.
    tax_code: String,
    valid_from: String,
    valid_to: String,
    ticked: Vec<String>,
}

impl ClientsPage {
    fn is_ticked(&self, prefix: &str, value: &str) -> bool {
        self.ticked
            .iter()
            .any(|t| t.strip_prefix(prefix) == Some(value))
    }
}

async fn clients_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    error: Option<String>,
    typed: Option<(String, String, String, Vec<String>)>,
) -> Result<ClientsPage, AppError> {
    let p = company_user(viewer)?;
    let Some(inter) = &p.intermediary else {
        return Err(AppError::not_found());
    };
    let today = state.clock.today();
    let (tax_code, valid_from, valid_to, ticked) = typed.unwrap_or_else(|| {
        (
            String::new(),
            today.to_string(),
            today
                .checked_add_months(chrono::Months::new(12))
                .unwrap_or(today)
                .to_string(),
            Vec::new(),
        )
    });
    Ok(ClientsPage {
        layout: Layout::new(viewer, "mandate-clients-title"),
        intermediary: inter.name.clone(),
        rows: rows(state, viewer, &p.mandates, false, true).await?,
        notice,
        error,
        chambers: chambers::list_chambers(&state.db).await?,
        types: PracticeType::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), viewer.lang.t(t.label_key())))
            .collect(),
        tax_code,
        valid_from,
        valid_to,
        ticked,
    })
}

/// The intermediary's clients: every mandate with its scope and state, and the upload of a
/// delegation signed by a client's legal representative.
pub async fn clients(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    // A company's own user has no clients: their page is the company's mandates.
    if company_user(&viewer)?.intermediary.is_none() {
        return Ok(Redirect::to("/company/mandates").into_response());
    }
    let notice = match q.notice.as_str() {
        "revoked" => Some(viewer.lang.t("mandate-revoked")),
        "granted" => Some(viewer.lang.t("mandate-delegation-accepted")),
        _ => None,
    };
    Ok(render(&clients_page(&state, &viewer, notice, None, None).await?)?.into_response())
}

/// The intermediary uploads a delegation signed by the client's legal representative.
pub async fn delegation(
    State(state): State<AppState>,
    viewer: Viewer,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    use crate::web::form::{FormFields, MultipartForm};
    let p = company_user(&viewer)?;
    if p.intermediary.is_none() {
        return Err(AppError::not_found());
    }
    let mut form = MultipartForm::read(mp).await?;
    let file = form
        .take_file("delegation")
        .unwrap_or(crate::web::form::Upload {
            file_name: String::new(),
            bytes: Vec::new(),
        });
    let all_chambers = chambers::list_chambers(&state.db).await?;
    let practice_types: Vec<String> = PracticeType::ALL
        .iter()
        .map(|t| t.as_str().to_string())
        .filter(|t| form.flag(&format!("type_{t}")) == Some(true))
        .collect();
    let chamber_ids: Vec<String> = all_chambers
        .iter()
        .map(|c| c.id.clone())
        .filter(|c| form.flag(&format!("chamber_{c}")) == Some(true))
        .collect();
    let tax_code = form.text("company_tax_code");
    let grant = Grant {
        intermediary_id: String::new(),
        company_id: String::new(),
        practice_types: practice_types.clone(),
        chamber_ids: chamber_ids.clone(),
        valid_from: form.text("valid_from"),
        valid_to: form.text("valid_to"),
    };
    match mandate::grant_by_delegation(&state, p, &tax_code, grant, &file.bytes, &file.file_name)
        .await
    {
        Ok(_) => Ok(Redirect::to("/clients?notice=granted").into_response()),
        Err(mandate::MandateError::Db(e)) => Err(e.into()),
        Err(mandate::MandateError::Blob(e)) => Err(e.into()),
        Err(e) => {
            let err = AppError::from(e);
            let message = err
                .fields
                .first()
                .map(|f| viewer.lang.t_args(f.key, &f.args))
                .unwrap_or_else(|| err.message(viewer.lang));
            let mut ticked: Vec<String> =
                practice_types.iter().map(|t| format!("type_{t}")).collect();
            ticked.extend(chamber_ids.iter().map(|c| format!("chamber_{c}")));
            let typed = (
                tax_code,
                form.text("valid_from"),
                form.text("valid_to"),
                ticked,
            );
            let page = clients_page(&state, &viewer, None, Some(message), Some(typed)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// Either side revokes a mandate; the core decides which side the user is on.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    mandate::revoke(&state, p, &id).await?;
    Ok(Redirect::to(if p.intermediary.is_some() {
        "/clients?notice=revoked"
    } else {
        "/company/mandates?notice=revoked"
    })
    .into_response())
}

/// "Presentata da Rossi Spedizioni S.r.l. per conto di ACME S.p.A." when an intermediary acted
/// (issue 15, item 3: who acted for whom), for the company, the officer and the broker alike.
pub async fn acted_for(
    state: &AppState,
    lang: sportello_core::i18n::Lang,
    key: &str,
    intermediary_id: Option<&str>,
    company_name: &str,
) -> Result<Option<String>, AppError> {
    let Some(id) = intermediary_id else {
        return Ok(None);
    };
    let Some(name) = intermediary::name_of(&state.db, id).await? else {
        return Ok(None);
    };
    Ok(Some(lang.t_args(
        key,
        &[
            ("intermediary", name),
            ("company", company_name.to_string()),
        ],
    )))
}
