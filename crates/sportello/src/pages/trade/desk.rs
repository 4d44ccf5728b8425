//! The foreign-trade office's pages: the desk inbox and a practice with the officer's
//! decisions, and the issued certificate's PDF.

use crate::app::AppState;
use crate::pages::trade::form_view::{self, ChangesView, FormView};
use crate::web::confirm::{self, ConfirmField, Confirmation};
use crate::web::download::Download;
use crate::web::pager::{CursorParam, Pager};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::accounts::Principal;
use sportello_core::authz::Action;
use sportello_core::chambers::{self, Desk};
use sportello_core::registry;
use sportello_core::trade::desk::certificate::{self, Certificate, IssueError};
use sportello_core::trade::desk::decide::{self, DecisionError};
use sportello_core::trade::desk::{self as deskmod, InboxFilter, InboxItem};
use sportello_core::trade::practice::attachments::{self, Attachment};
use sportello_core::trade::practice::rectification;
use sportello_core::trade::practice::signed_model::{self, SignedModel};
use sportello_core::trade::practice::{self, Event, Practice, PracticeStatus};
use sportello_core::trade::practice_type::PracticeType;

fn officer(viewer: &Viewer) -> Result<&Principal, AppError> {
    viewer.require_action(Action::WorkInbox)
}

#[derive(Template)]
#[template(path = "trade/desk_inbox.html")]
struct InboxPage {
    layout: Layout,
    filter: InboxFilter,
    items: Vec<(InboxItem, String, String)>,
    /// Open practices per status: the label and the count as shown ("più di 999" past the
    /// cap, as on the home page).
    counts: Vec<(String, String)>,
    desks: Vec<Desk>,
    types: Vec<(String, String)>,
    pager: Pager,
}

/// The inbox's filters and page, all in the query string.
#[derive(serde::Deserialize)]
pub struct InboxQuery {
    #[serde(flatten)]
    filter: InboxFilter,
    #[serde(flatten)]
    page: CursorParam,
}

const INBOX_PER_PAGE: u32 = 50;

pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(InboxQuery { filter, page }): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let p = officer(&viewer)?;
    let lang = viewer.lang;
    let items = deskmod::inbox(&state.db, p, &filter, &page.request(INBOX_PER_PAGE)).await?;
    let counts = deskmod::inbox_counts(&state.db, p).await?;
    let pager = Pager::keyset(
        lang,
        &items,
        "/desk",
        &[
            ("practice_type", &filter.practice_type),
            ("status", &filter.status),
            ("desk_id", &filter.desk_id),
            ("company", &filter.company),
            ("from", &filter.from),
            ("to", &filter.to),
            ("taken", &filter.taken),
        ],
    );
    let mut desks = Vec::new();
    for id in &p.desk_ids {
        if let Some(d) = chambers::get_desk(&state.db, id).await? {
            desks.push(d);
        }
    }
    Ok(render(&InboxPage {
        layout: Layout::new(&viewer, "desk-inbox-title"),
        items: items
            .items
            .into_iter()
            .map(|i| {
                let t = lang.t(i.practice.practice_type.label_key());
                let s = lang.t(i.practice.status.label_key());
                (i, t, s)
            })
            .collect(),
        counts: counts
            .into_iter()
            .map(|(s, n)| {
                (
                    PracticeStatus::parse(&s)
                        .map(|st| lang.t(st.label_key()))
                        .unwrap_or(s),
                    crate::pages::home::shown_count(lang, n),
                )
            })
            .collect(),
        desks,
        types: PracticeType::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), lang.t(t.label_key())))
            .collect(),
        filter,
        pager,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "trade/desk_practice.html")]
struct PracticePage {
    layout: Layout,
    practice: Practice,
    type_label: String,
    status_label: String,
    company_name: String,
    company_tax_code: String,
    /// Who presented it for whom, when an intermediary did.
    acted_for: Option<String>,
    desk: Desk,
    form: FormView,
    attachments: Vec<Attachment>,
    history: Vec<Event>,
    /// Every signed model the practice carried, oldest first.
    signed_models: Vec<SignedModel>,
    /// What changed between the model sent before and the one signed again.
    changes: Option<ChangesView>,
    /// The fields the last rectification named: (name, label).
    flagged: Vec<(String, String)>,
    certificate: Option<Certificate>,
    documents: Vec<sportello_core::trade::desk::documents::IssuedDocument>,
    fee: String,
    /// About the revocation of the signers' certificates: (needs attention, sentence).
    revocation_notes: Vec<(bool, String)>,
    /// What each signer is to the company: (needs attention, sentence).
    people_notes: Vec<(bool, String)>,
    assigned_name: Option<String>,
    can_take: bool,
    can_decide: bool,
    /// The approval confirmation, when this officer may approve (the practice is theirs).
    approve: Option<Confirmation>,
    reject: Confirmation,
    notice: Option<String>,
    error: Option<String>,
    /// The signed invoice table against the company's e-invoices.
    einvoice_check: Option<crate::pages::trade::einvoices::CheckView>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    p: &Principal,
    pr: Practice,
    notice: Option<String>,
    error: Option<String>,
) -> Result<PracticePage, AppError> {
    let lang = viewer.lang;
    let input = practice::signed_form(&state.db, &pr).await?;
    let company = registry::get_company(&state.db, &pr.company_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let desk = chambers::get_desk(&state.db, &pr.desk_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let assigned_name = match &pr.assigned_to {
        Some(u) => sportello_core::accounts::get(&state.db, u)
            .await?
            .map(|u| u.name),
        None => None,
    };
    let revocation_notes =
        sportello_core::trade::practice::signer_checks::notes(&state.db, &pr.id, &pr.signed_blob)
            .await?
            .iter()
            .map(|n| (n.is_flag(), revocation_note(lang, n)))
            .collect();
    let people_notes =
        sportello_core::trade::practice::signer_checks::people(&state.db, &pr.id, &pr.signed_blob)
            .await?
            .iter()
            .map(|p| people_note(lang, p))
            .collect();
    let open = matches!(pr.status, PracticeStatus::Sent | PracticeStatus::InReview);
    let mine = pr.assigned_to.as_deref() == Some(p.user.id.as_str());
    let about = About::new(state, viewer, &pr, &company.name, company.tax_code.as_str()).await?;
    // Approval only of a practice this officer took in charge (`decide::approve` says why).
    let can_approve = pr.status == PracticeStatus::InReview && mine;
    let einvoice_check = crate::pages::trade::einvoices::check_view(state, &pr, lang).await?;
    Ok(PracticePage {
        einvoice_check,
        approve: can_approve.then(|| about.approve()),
        reject: about.reject(),
        layout: Layout::new(viewer, "desk-practice-title"),
        type_label: lang.t(pr.practice_type.label_key()),
        status_label: lang.t(pr.status.label_key()),
        form: form_view::form_view(pr.practice_type, &input, &[], lang),
        attachments: attachments::list(&state.db, &pr.id).await?,
        history: practice::events(&state.db, &pr.id).await?,
        signed_models: signed_model::history(&state.db, &pr.id).await?,
        changes: signed_model::changes_since_sent(&state.db, &pr)
            .await?
            .map(|c| form_view::changes_view(&c, lang)),
        flagged: rectification::flagged(&pr)
            .into_iter()
            .map(|f| (f.name.to_string(), lang.t(f.label_key)))
            .collect(),
        certificate: certificate::of_practice(&state.db, &pr.id).await?,
        documents: sportello_core::trade::desk::documents::of_practice(&state.db, &pr.id).await?,
        fee: sportello_core::money::Money::from_cents(pr.fee_cents.unwrap_or(0)).to_italian(),
        revocation_notes,
        people_notes,
        assigned_name,
        can_take: pr.status == PracticeStatus::Sent,
        can_decide: open && (pr.status == PracticeStatus::Sent || mine),
        acted_for: crate::pages::trade::mandates::acted_for(
            state,
            lang,
            "practice-presented-by",
            pr.intermediary_id.as_deref(),
            &company.name,
        )
        .await?,
        company_name: company.name,
        company_tax_code: company.tax_code.to_string(),
        desk,
        notice,
        error,
        practice: pr,
    })
}

/// What a signer is to the company, in the officer's words: (needs attention, sentence).
fn people_note(
    lang: sportello_core::i18n::Lang,
    person: &sportello_core::trade::practice::signer_checks::SignerPerson,
) -> (bool, String) {
    use sportello_core::display;
    use sportello_core::trade::practice::signer_checks::Relation;
    let key = match (person.relation, &person.tax_code) {
        (Relation::Representative, _) => "trade-signer-representative",
        (Relation::User, _) => "trade-signer-user",
        (Relation::None, Some(_)) => "trade-signer-not-company-person",
        (Relation::None, None) => "trade-signer-without-tax-code",
    };
    let text = lang.t_args(
        key,
        &[
            ("holder", display::usual_case(&person.holder)),
            ("tax_code", person.tax_code.clone().unwrap_or_default()),
        ],
    );
    (person.relation == Relation::None, text)
}

/// A revocation note in the officer's words.
fn revocation_note(
    lang: sportello_core::i18n::Lang,
    note: &sportello_core::trade::practice::signer_checks::Note,
) -> String {
    use sportello_core::display;
    use sportello_core::trade::practice::signer_checks::Note;
    let when = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(display::date_time).unwrap_or_else(|| "-".to_string())
    };
    match note {
        Note::NotRevoked {
            holder,
            method,
            this_update,
            crl_number,
        } if method == "crl" => lang.t_args(
            "trade-revocation-good-crl",
            &[
                ("holder", display::usual_case(holder)),
                ("number", crl_number.clone().unwrap_or_else(|| "-".into())),
                ("date", when(this_update)),
            ],
        ),
        Note::NotRevoked {
            holder,
            this_update,
            ..
        } => lang.t_args(
            "trade-revocation-good-ocsp",
            &[
                ("holder", display::usual_case(holder)),
                ("date", when(this_update)),
            ],
        ),
        Note::Unverified {
            holder,
            ca: None,
            checked_at,
        } => lang.t_args(
            "trade-revocation-unverified",
            &[
                ("holder", display::usual_case(holder)),
                ("date", display::date_time(*checked_at)),
            ],
        ),
        Note::Unverified {
            holder,
            ca: Some(ca),
            checked_at,
        } => lang.t_args(
            "trade-revocation-unverified-ca",
            &[
                ("holder", display::usual_case(holder)),
                ("ca", ca.clone()),
                ("date", display::date_time(*checked_at)),
            ],
        ),
        Note::NoSource { holder } => lang.t_args(
            "trade-revocation-no-source",
            &[("holder", display::usual_case(holder))],
        ),
    }
}

async fn load(state: &AppState, p: &Principal, id: &str) -> Result<Practice, AppError> {
    deskmod::practice_for_officer(&state.db, p, id)
        .await?
        .ok_or_else(AppError::not_found)
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    done: String,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let p = officer(&viewer)?;
    let pr = load(&state, p, &id).await?;
    let notice = match q.done.as_str() {
        "take" | "rectify" | "approve" | "reject" | "form_returned" => Some(
            viewer
                .lang
                .t(&format!("desk-done-{}", q.done.replace('_', "-"))),
        ),
        _ => None,
    };
    Ok(render(&page(&state, &viewer, p, pr, notice, None).await?)?.into_response())
}

/// What the confirmations of a practice's decisions say, in the viewer's language.
struct About {
    lang: sportello_core::i18n::Lang,
    id: String,
    co: bool,
    protocol: String,
    company: String,
    fee: String,
    refund: bool,
}

impl About {
    async fn new(
        state: &AppState,
        viewer: &Viewer,
        pr: &Practice,
        company_name: &str,
        company_tax_code: &str,
    ) -> Result<Self, AppError> {
        let refund = chambers::settings::get_bool(
            &state.db,
            &pr.chamber_id,
            chambers::settings::Setting::RefundOnReject,
        )
        .await?;
        Ok(Self {
            lang: viewer.lang,
            id: pr.id.clone(),
            co: pr.practice_type == PracticeType::CertificateOfOrigin,
            protocol: pr.protocol_number.clone().unwrap_or_default(),
            company: format!("{company_name} ({company_tax_code})"),
            fee: sportello_core::money::Money::from_cents(pr.fee_cents.unwrap_or(0)).to_italian(),
            refund: refund && pr.fee_cents.unwrap_or(0) > 0,
        })
    }

    fn args(&self) -> [(&'static str, String); 3] {
        [
            ("protocol", self.protocol.clone()),
            ("company", self.company.clone()),
            ("fee", self.fee.clone()),
        ]
    }

    fn approve(&self) -> Confirmation {
        let (lang, args) = (self.lang, self.args());
        Confirmation {
            id: "confirm-approve".to_string(),
            testid: "confirm-approve",
            title: lang.t_args("desk-confirm-approve-title", &args),
            lines: vec![
                lang.t_args("desk-confirm-company", &args),
                lang.t_args(
                    if self.co {
                        "desk-confirm-approve-co"
                    } else {
                        "desk-confirm-approve-other"
                    },
                    &args,
                ),
                lang.t_args("desk-confirm-fee", &args),
                lang.t("desk-confirm-approve-final"),
            ],
            action: format!("/desk/practices/{}/approve", self.id),
            page: format!("/desk/practices/{}/approve", self.id),
            back: format!("/desk/practices/{}", self.id),
            button: lang.t(if self.co {
                "desk-approve-co"
            } else {
                "desk-approve"
            }),
            button_class: "btn-success",
            fields: Vec::new(),
            multipart: false,
        }
    }

    fn reject(&self) -> Confirmation {
        let (lang, args) = (self.lang, self.args());
        Confirmation {
            id: "confirm-reject".to_string(),
            testid: "confirm-reject",
            title: lang.t_args("desk-confirm-reject-title", &args),
            lines: vec![
                lang.t_args("desk-confirm-company", &args),
                lang.t_args(
                    if self.refund {
                        "desk-confirm-reject-refund"
                    } else {
                        "desk-confirm-reject-no-refund"
                    },
                    &args,
                ),
                lang.t("desk-confirm-reject-final"),
            ],
            action: format!("/desk/practices/{}/reject", self.id),
            page: format!("/desk/practices/{}/reject", self.id),
            back: format!("/desk/practices/{}", self.id),
            button: lang.t("desk-reject"),
            button_class: "btn-danger",
            fields: vec![
                ConfirmField::new("reject-reason", "reason", "textarea", lang.t("desk-reason"))
                    .required()
                    .help(lang.t("desk-confirm-reject-reason-help")),
            ],
            multipart: false,
        }
    }
}

/// The confirmation page of an irreversible decision (approve, reject), for a browser
/// without JavaScript; with it, the same form opens in a dialog on the practice's page.
pub async fn confirm_decision(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = officer(&viewer)?;
    let pr = load(&state, p, &id).await?;
    let company = registry::get_company(&state.db, &pr.company_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let about = About::new(
        &state,
        &viewer,
        &pr,
        &company.name,
        company.tax_code.as_str(),
    )
    .await?;
    let open = matches!(pr.status, PracticeStatus::Sent | PracticeStatus::InReview);
    let mine = pr.assigned_to.as_deref() == Some(p.user.id.as_str());
    let c = match action.as_str() {
        "approve" => about.approve(),
        "reject" => about.reject(),
        _ => return Err(AppError::not_found()),
    };
    // A decision that cannot be taken now says why on the practice's page instead.
    let allowed = match action.as_str() {
        "approve" => pr.status == PracticeStatus::InReview && mine,
        _ => open && (pr.status == PracticeStatus::Sent || mine),
    };
    if !allowed {
        return Ok(Redirect::to(&format!("/desk/practices/{id}")).into_response());
    }
    confirm::page(&viewer, c)
}

#[derive(serde::Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    fields: Vec<String>,
}

pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let p = officer(&viewer)?;
    let form: DecisionForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    let result = match action.as_str() {
        "take" => decide::take(&state, p, &id).await,
        "rectify" => {
            decide::request_rectification(&state, p, &id, &form.reason, &form.fields).await
        }
        "approve" => decide::approve(&state, p, &id).await,
        "reject" => decide::reject(&state, p, &id, &form.reason).await,
        _ => return Err(AppError::not_found()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/desk/practices/{id}?done={action}")).into_response()),
        Err(DecisionError::NotFound) => Err(AppError::not_found()),
        Err(DecisionError::Db(e)) => Err(e.into()),
        Err(e) => {
            if matches!(
                e,
                DecisionError::Issue(
                    IssueError::Pdf(_)
                        | IssueError::Seal(_)
                        | IssueError::Blob(_)
                        | IssueError::Db(_)
                )
            ) {
                tracing::error!(error = %e, practice = %id, "approval failed");
            }
            let message = AppError::from(e).message(viewer.lang);
            let pr = load(&state, p, &id).await?;
            let page = render(&page(&state, &viewer, p, pr, None, Some(message)).await?)?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Empty {}

/// Records that the pre-printed form of the practice's certificate came back.
pub async fn form_returned(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, AppError> {
    let p = officer(&viewer)?;
    decide::record_form_return(&state, p, &id).await?;
    Ok(Redirect::to(&format!("/desk/practices/{id}?done=form_returned")).into_response())
}

/// An issued document (sealed visa, copies): for the company's users and the desk's officers.
pub async fn document_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let pr = practice::get_readable(&state.db, viewer.require()?, &id).await?;
    let doc = sportello_core::trade::desk::documents::of_practice(&state.db, &pr.id)
        .await?
        .into_iter()
        .find(|d| d.id == doc_id)
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&doc.blob).await?;
    Ok(Download::new(
        "application/pdf",
        &format!("{}-{}.pdf", doc.kind, doc.number),
        bytes,
    )
    .into_response())
}

/// The certificate PDF: for the company's users and the desk's officers.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let pr = practice::get_readable(&state.db, viewer.require()?, &id).await?;
    let cert = certificate::of_practice(&state.db, &pr.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = state.blobs.get(&cert.pdf_blob).await?;
    Ok(Download::new(
        "application/pdf",
        &format!("certificato-{}.pdf", cert.number),
        bytes,
    )
    .into_response())
}

impl PracticePage {
    /// The number of the sealed visa issued for an attachment, once approved.
    fn visa_of(&self, attachment_id: &str) -> Option<&str> {
        self.documents
            .iter()
            .find(|d| d.kind == "visa" && d.attachment_id.as_deref() == Some(attachment_id))
            .map(|d| d.number.as_str())
    }
    /// The fields a rectification may name, by label: the practice type's list.
    fn form_fields(&self) -> Vec<(String, String)> {
        rectification::fields_of(self.practice.practice_type)
            .into_iter()
            .map(|f| (f.name.to_string(), self.layout.t(f.label_key)))
            .collect()
    }

    fn is_flagged(&self, name: &str) -> bool {
        self.flagged.iter().any(|(n, _)| n == name)
    }

    fn status_label(&self, status: &str) -> String {
        PracticeStatus::parse(status)
            .map(|s| self.layout.t(s.label_key()))
            .unwrap_or_else(|| status.to_string())
    }

    fn printed_on_form(&self) -> bool {
        self.certificate
            .as_ref()
            .is_some_and(|c| c.print_mode == "form" && c.form_returned_at.is_none())
    }
}
