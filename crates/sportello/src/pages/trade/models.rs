//! Base-model pages: start from the Registry (tax code then site, or province + REA), fill the
//! form (saved on the server as it is), address book, print preview, XML download, copy.

use crate::app::AppState;
use crate::pages::trade::company::messages;
use crate::pages::trade::einvoices::EInvoiceRow;
use crate::pages::trade::form_view::{self, FormView, RowAction};
use crate::pages::trade::{acting_company, company_user};
use crate::web::download::Download;
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::CompanyScope;
use sportello_core::accounts::company_access::{self, Target};
use sportello_core::registry::{self, Company, Rea, Site, TaxCode};
use sportello_core::trade::einvoice;
use sportello_core::trade::form::{BaseModelForm, ConsigneeInput, FieldProblem, FormInput};
use sportello_core::trade::model::{self, Model, ModelError};
use sportello_core::trade::practice::next_step::NextStep;
use sportello_core::trade::practice_type::PracticeType;
use sportello_core::trade::profile;

#[derive(Template)]
#[template(path = "trade/models.html")]
struct IndexPage {
    layout: Layout,
    /// The acting company's name, or the intermediary's.
    heading: String,
    /// Each model with its type's name, whether a practice was made from it, and its client.
    models: Vec<(Model, String, bool, String)>,
    notice: Option<String>,
    /// For an intermediary's user: its clients (id, name), to filter by (issue 15, item 3).
    clients: Vec<(String, String)>,
    client_filter: String,
}

impl IndexPage {
    fn delete(&self, m: &Model) -> crate::web::confirm::Confirmation {
        crate::pages::trade::drafts::model_confirmation(self.layout.lang, m)
    }

    fn next_step(&self, used: &bool) -> String {
        if *used {
            self.layout.t("trade-models-used")
        } else {
            NextStep::SignAndSend.for_people(self.layout.lang)
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct IndexQuery {
    #[serde(default)]
    notice: String,
    /// An intermediary's client to show the models of; empty for all of them.
    #[serde(default)]
    company_id: String,
}

pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IndexQuery>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    // Issue 15, item 3: an intermediary's user sees the models of every client, with a filter;
    // a company's user, those of the company they act for.
    let (heading, companies, clients, client_filter) = match &p.intermediary {
        Some(inter) => {
            let clients: Vec<(String, String)> =
                registry::companies_by_id(&state.db, &p.company_ids)
                    .await?
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect();
            // The filter comes from the client: only one of the intermediary's own clients.
            let filter = if p.acts_for_company(&q.company_id) {
                q.company_id.clone()
            } else {
                String::new()
            };
            let companies = if filter.is_empty() {
                clients.clone()
            } else {
                clients
                    .iter()
                    .filter(|(id, _)| *id == filter)
                    .cloned()
                    .collect()
            };
            (inter.name.clone(), companies, clients, filter)
        }
        None => {
            let company = match acting_company(&state, p).await? {
                Ok(c) => c,
                Err(go) => return Ok(go),
            };
            let one = vec![(company.id.clone(), company.name.clone())];
            (company.name, one, Vec::new(), String::new())
        }
    };
    let mut models = Vec::new();
    for (company_id, company_name) in &companies {
        let listed = model::list(&state.db, company_id, 50).await?;
        let ids: Vec<String> = listed.iter().map(|m| m.id.clone()).collect();
        let used = model::used_by_practices(&state.db, &ids).await?;
        for m in listed {
            let label = viewer.lang.t(m.practice_type.label_key());
            let in_use = used.contains(&m.id);
            models.push((m, label, in_use, company_name.clone()));
        }
    }
    models.sort_by(|a, b| b.0.updated_at.cmp(&a.0.updated_at));
    models.truncate(50);
    Ok(render(&IndexPage {
        layout: Layout::new(&viewer, "trade-models-title"),
        heading,
        models,
        // Only known notices are shown: the query string never carries text.
        notice: (q.notice == "deleted").then(|| viewer.lang.t("trade-model-deleted")),
        clients,
        client_filter,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "trade/model_start.html")]
struct StartPage {
    layout: Layout,
    tax_code: String,
    province: String,
    rea: String,
    company: Option<Company>,
    sites: Vec<Site>,
    types: Vec<(String, String)>,
    /// The type chosen in the first step (`?practice_type=`), if any.
    chosen: Option<PracticeType>,
    /// The first step: no type chosen and no company looked up yet.
    choose_type: bool,
    /// The company's saved models of the chosen type that no practice was made from yet.
    saved: Vec<Model>,
    error: Option<String>,
}

impl StartPage {
    fn is_chosen(&self, value: &str) -> bool {
        self.chosen.is_some_and(|t| t.as_str() == value)
    }

    fn chosen_label(&self) -> String {
        self.chosen
            .map(|t| self.layout.t(t.label_key()))
            .unwrap_or_default()
    }

    fn next_step(&self) -> String {
        NextStep::SignAndSend.for_people(self.layout.lang)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    rea: String,
    #[serde(default)]
    practice_type: String,
}

/// "Nuova pratica": first the type of practice, then the model of that type — a new one from
/// the Registry or one saved before. Cert'O guide, slides 21–22: the company profile comes
/// before the first practice, so a user without one is asked for it first and brought back.
/// Slides 28–30: the company's data come from the Registry; by tax code the user then picks
/// the head office or local unit, by province + REA that unit directly.
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<StartQuery>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let lang = viewer.lang;
    let chosen = PracticeType::parse(q.practice_type.trim());
    let looked_up = !q.tax_code.trim().is_empty() || !q.rea.trim().is_empty();
    let mut page = StartPage {
        layout: Layout::new(&viewer, "trade-start-title"),
        tax_code: q.tax_code.trim().to_string(),
        province: q.province.trim().to_uppercase(),
        rea: q.rea.trim().to_string(),
        company: None,
        sites: Vec::new(),
        types: PracticeType::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), lang.t(t.label_key())))
            .collect(),
        chosen,
        choose_type: chosen.is_none() && !looked_up,
        saved: Vec::new(),
        error: None,
    };
    if page.choose_type {
        return Ok(render(&page)?.into_response());
    }
    if !looked_up {
        // Start from the acting company, once its profile is complete.
        let company = match acting_company(&state, p).await? {
            Ok(c) => c,
            Err(go) => return Ok(go),
        };
        if profile::get(&state.db, &p.user.id, &company.id)
            .await?
            .is_none()
        {
            let here = format!("/models/new?practice_type={}", q.practice_type.trim());
            let next =
                percent_encoding::utf8_percent_encode(&here, percent_encoding::NON_ALPHANUMERIC);
            return Ok(Redirect::to(&format!("/company/profile?next={next}")).into_response());
        }
        if let Some(t) = chosen {
            let listed = model::list(&state.db, &company.id, 50).await?;
            let ids: Vec<String> = listed.iter().map(|m| m.id.clone()).collect();
            let used = model::used_by_practices(&state.db, &ids).await?;
            page.saved = listed
                .into_iter()
                .filter(|m| m.practice_type == t && !used.contains(&m.id))
                .take(10)
                .collect();
        }
        page.tax_code = company.tax_code.as_str().to_string();
    }
    let found: Option<(Company, Vec<Site>)> = if !page.rea.is_empty() {
        match Rea::parse(&format!("{}-{}", page.province, page.rea)) {
            Ok(rea) => registry::find_sites_by_rea(&state.db, &rea)
                .await?
                .into_iter()
                .next()
                .map(|(c, s)| (c, vec![s])),
            Err(_) => {
                page.error = Some(lang.t("trade-lookup-rea"));
                None
            }
        }
    } else if !page.tax_code.is_empty() {
        match TaxCode::parse(&page.tax_code) {
            Ok(tc) => match registry::find_company_by_tax_code(&state.db, &tc).await? {
                Some(c) => {
                    let sites = registry::company_sites(&state.db, &c.id).await?;
                    Some((c, sites))
                }
                None => None,
            },
            Err(_) => {
                page.error = Some(lang.t("trade-lookup-tax-code"));
                None
            }
        }
    } else {
        None
    };
    match found {
        Some((c, sites)) if p.acts_for_company(&c.id) => {
            page.company = Some(c);
            page.sites = sites;
        }
        Some(_) => page.error = Some(lang.t("trade-start-not-yours")),
        None if page.error.is_none() && (!page.tax_code.is_empty() || !page.rea.is_empty()) => {
            page.error = Some(lang.t("trade-start-not-found"))
        }
        None => {}
    }
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct CreateForm {
    site_id: String,
    practice_type: String,
    /// Optional: start from the content of this model ("new from previous practice").
    #[serde(default)]
    from: String,
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Form(form): axum::extract::Form<CreateForm>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let site = registry::get_site(&state.db, &form.site_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // Issue 15: a company the user has nothing to do with is refused; a former client of an
    // intermediary says why; the scope and the mandate are checked by `model::create`.
    if !p.acts_for_company(&site.company_id) {
        crate::pages::trade::refuse_company(&state, p, &site.company_id).await?;
    }
    let practice_type = PracticeType::parse(&form.practice_type)
        .ok_or_else(|| AppError::bad_request("bad_request", "trade-field-type"))?;
    let input = if form.from.is_empty() {
        FormInput::default()
    } else {
        let source = model::get(&state.db, &form.from)
            .await?
            .filter(|m| p.acts_for_company(&m.company_id))
            .ok_or_else(AppError::not_found)?;
        source.input
    };
    let m = model::create(
        &state.db,
        state.clock.now(),
        p,
        model::Draft {
            company_id: &site.company_id,
            site_id: &site.id,
            practice_type,
            input: &input,
        },
    )
    .await
    .map_err(crate::web::error::trade::model_error)?;
    Ok(Redirect::to(&format!("/models/{}", m.id)).into_response())
}

#[derive(Template)]
#[template(path = "trade/model_form.html")]
pub(crate) struct FormPage {
    layout: Layout,
    model: Model,
    type_label: String,
    company: Company,
    site: Site,
    form: FormView,
    address_book: Vec<ConsigneeInput>,
    complete: bool,
    saved: bool,
    errors: Vec<(String, String)>,
    /// The e-invoice section's help, for the types that take e-invoices (else no section).
    einvoice_help: Option<String>,
    einvoices: Vec<EInvoiceRow>,
    /// What an upload prefilled, or that a file was removed.
    pub(crate) einvoice_notice: Option<String>,
    /// Why an upload was refused.
    pub(crate) einvoice_error: Option<String>,
    /// Whether the user may change the model (issue 15: preparing at its company, within a
    /// mandate in force covering its type); else the page only shows it.
    can_prepare: bool,
    /// Why the e-invoices can no longer change: a practice made from the model was sent.
    einvoice_locked: Option<String>,
}

impl FormPage {
    /// The label of the field sent as `name` (a field of a section, a column of a row, or a
    /// group of rows), for the list of problems.
    fn label_of(&self, name: &str) -> Option<String> {
        let fields = self
            .form
            .sections
            .iter()
            .flat_map(|s| s.fields.iter())
            .chain(self.form.rows.iter().flat_map(|r| r.rows.iter().flatten()));
        for f in fields {
            if f.name == name {
                return Some(f.label.clone());
            }
        }
        self.form
            .rows
            .iter()
            .find(|r| r.group == name)
            .map(|r| r.title.clone())
    }
}

/// The base model `id` if the viewer acts for its company, else not found.
pub(crate) async fn own_model(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Model, AppError> {
    let p = company_user(viewer)?;
    model::get(&state.db, id)
        .await?
        .filter(|m| p.acts_for_company(&m.company_id))
        .ok_or_else(AppError::not_found)
}

pub(crate) async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    m: Model,
    input: &FormInput,
    show_problems: bool,
    saved: bool,
) -> Result<FormPage, AppError> {
    let problems: Vec<FieldProblem> =
        match BaseModelForm::validate(m.practice_type, input, state.clock.today()) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
    let company = registry::get_company(&state.db, &m.company_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let site = registry::get_site(&state.db, &m.site_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let address_book = if m.practice_type == PracticeType::CertificateOfOrigin {
        model::address_book(&state.db, &m.company_id).await?
    } else {
        Vec::new()
    };
    let shown: &[FieldProblem] = if show_problems { &problems } else { &[] };
    let (einvoice_help, einvoices) = if einvoice::accepts(m.practice_type) {
        let help = if m.practice_type == PracticeType::InvoiceVisa {
            "einvoice-help-visa"
        } else {
            "einvoice-help"
        };
        let rows = einvoice::for_model(&state.db, &m.id)
            .await?
            .iter()
            .map(|e| EInvoiceRow::of(e, viewer.lang))
            .collect();
        (Some(viewer.lang.t(help)), rows)
    } else {
        (None, Vec::new())
    };
    let can_prepare = viewer.principal.as_ref().is_some_and(|p| {
        company_access::may(
            p,
            CompanyScope::Prepare,
            Target {
                company_id: &m.company_id,
                practice_type: Some(m.practice_type),
                chamber_id: None,
            },
            state.clock.now(),
        )
    });
    let einvoice_locked = if einvoice_help.is_some() {
        einvoice::sent_practice(&state.db, &m.id)
            .await?
            .map(|protocol| {
                viewer
                    .lang
                    .t_args("einvoice-error-sent", &[("protocol", protocol)])
            })
    } else {
        None
    };
    Ok(FormPage {
        can_prepare,
        einvoice_locked,
        einvoice_help,
        einvoices,
        einvoice_notice: None,
        einvoice_error: None,
        layout: Layout::new(viewer, "trade-form-title"),
        type_label: viewer.lang.t(m.practice_type.label_key()),
        form: form_view::form_view(m.practice_type, input, shown, viewer.lang),
        errors: if show_problems {
            messages(&problems, viewer)
        } else {
            Vec::new()
        },
        complete: problems.is_empty(),
        model: m,
        company,
        site,
        address_book,
        saved,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = own_model(&state, &viewer, &id).await?;
    let input = m.input.clone();
    // A draft that was saved before shows what is still missing.
    let show = m.version > 1;
    Ok(render(&form_page(&state, &viewer, m, &input, show, false).await?)?.into_response())
}

/// Saves the form as it is (a draft may be incomplete), then shows what is missing.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let m = crate::pages::trade::writable_model(&state, p, &id).await?;
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|_| AppError::bad_request("bad_request", "error-bad-request"))?;
    let (mut input, action) = form_view::input_from_pairs(&pairs);
    let use_consignee = pairs
        .iter()
        .find(|(k, _)| k == "action")
        .and_then(|(_, v)| v.strip_prefix("use_consignee_"))
        .and_then(|n| n.parse::<usize>().ok());
    if let Some(n) = use_consignee
        && let Some(c) = model::address_book(&state.db, &m.company_id)
            .await?
            .into_iter()
            .nth(n)
    {
        input.consignee = c;
    }
    match action {
        Some(RowAction::Remove("items", n)) if n < input.items.len() => {
            input.items.remove(n);
        }
        Some(RowAction::Remove("invoices", n)) if n < input.invoices.len() => {
            input.invoices.remove(n);
        }
        _ => {}
    }
    // Rows just added are kept on screen but not stored empty.
    let m = model::update(&state.db, state.clock.now(), p, &m, &input)
        .await
        .map_err(crate::web::error::trade::model_error)?;
    let mut shown = input.clone();
    if let Some(RowAction::Add(group)) = action {
        if group == "items" {
            shown.items.push(Default::default());
        } else {
            shown.invoices.push(Default::default());
        }
    }
    let page = form_page(
        &state,
        &viewer,
        m,
        &shown,
        action.is_none() && use_consignee.is_none(),
        true,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

pub async fn xml(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = own_model(&state, &viewer, &id).await?;
    match model::current_version(&state.db, &m, state.clock.now(), state.clock.today()).await {
        Ok(v) => Ok(Download::new("application/xml", &v.file_name, v.xml).into_response()),
        Err(ModelError::Invalid(_)) => {
            let input = m.input.clone();
            let page = render(&form_page(&state, &viewer, m, &input, true, false).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(crate::web::error::trade::model_error(e)),
    }
}

pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = own_model(&state, &viewer, &id).await?;
    match model::document(&state.db, &m, state.clock.now(), state.clock.today()).await {
        Ok(doc) => {
            let pdf = sportello_core::trade::pdf::preview(&doc, viewer.lang)
                .map_err(AppError::internal)?;
            Ok(Download::new(
                "application/pdf",
                &format!("anteprima-{}.pdf", &m.id[m.id.len().saturating_sub(8)..]),
                pdf,
            )
            .into_response())
        }
        Err(ModelError::Invalid(_)) => {
            let input = m.input.clone();
            let page = render(&form_page(&state, &viewer, m, &input, true, false).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(crate::web::error::trade::model_error(e)),
    }
}

/// "New from previous practice": a new draft with this model's content.
pub async fn copy(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let m = crate::pages::trade::writable_model(&state, p, &id).await?;
    let copy = model::create(
        &state.db,
        state.clock.now(),
        p,
        model::Draft {
            company_id: &m.company_id,
            site_id: &m.site_id,
            practice_type: m.practice_type,
            input: &m.input,
        },
    )
    .await
    .map_err(crate::web::error::trade::model_error)?;
    Ok(Redirect::to(&format!("/models/{}", copy.id)).into_response())
}
