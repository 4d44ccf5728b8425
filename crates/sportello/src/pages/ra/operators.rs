//! Operators: the list (with the registration form), one operator's page with its
//! accreditation steps, and the step forms.

use crate::app::AppState;
use crate::pages::ra::it_date;
use crate::web::confirm::{self, ConfirmField, Confirmation};
use crate::web::error::AppError;
use crate::web::form::{FormFields, MultipartForm};
use crate::web::pager::{CursorParam, Pager};
use crate::web::session::Viewer;
use crate::web::{FieldError, Layout, render};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::authz::{self, Action};
use sportello_core::i18n::Lang;
use sportello_core::ra::access::{visible_operator, visible_operators_page};
use sportello_core::ra::accreditation::steps::{self as steps, IdentityDocument};
use sportello_core::ra::accreditation::{State as OpState, Step, next_steps};
use sportello_core::ra::archive::{self, DocumentKind, Upload};
use sportello_core::ra::eligibility::eligibility;
use sportello_core::ra::manager::{self, RequestKind, RequestState};
use sportello_core::ra::mandate::{ActTerm, MandateAct, MandateBasis};
use sportello_core::ra::office::{self, OfficeKind};
use sportello_core::ra::operator::{self, NewOperator, Operator, OperatorKind};
use sportello_core::ra::required_documents::{self, DocumentState, SignedBy};
use sportello_core::ra::revocation::{self, RevocationOutcome, RevocationRequest};

use crate::pages::ra::recall::{MailRow, RecallSection};

/// One line of a list of operators.
pub struct OperatorRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub tax_code: String,
    pub state: String,
    pub mandate_end: String,
    pub can_act: bool,
}

fn row(op: &Operator, lang: Lang, today: chrono::NaiveDate) -> OperatorRow {
    OperatorRow {
        id: op.id.clone(),
        name: op.display_name(),
        kind: lang.t(op.kind.label_key()),
        tax_code: op.tax_code.to_string(),
        state: lang.t(&op.state.label_key()),
        mandate_end: op.mandate.map(|m| it_date(m.end)).unwrap_or_default(),
        can_act: eligibility(op, today).can_act,
    }
}

#[derive(Template)]
#[template(path = "ra/operators.html")]
struct ListPage {
    layout: Layout,
    operators: Vec<OperatorRow>,
    pager: Pager,
    /// Only mandates about to end.
    expiring: bool,
    can_manage: bool,
    form: NewOperatorForm,
    error: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewOperatorForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    pec: String,
    #[serde(default)]
    organisation_tax_code: String,
    #[serde(default)]
    legal_representative_tax_code: String,
    #[serde(default)]
    first_phase: Option<String>,
}

/// The list's filter and page, in the query string.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    /// `expiring`: only mandates about to end.
    #[serde(default)]
    mandate: String,
    #[serde(flatten)]
    page: CursorParam,
}

const OPERATORS_PER_PAGE: u32 = 50;

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    q: &ListQuery,
    form: NewOperatorForm,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    let p = viewer.require_action(Action::ViewOfficeTree)?;
    let today = state.clock.today();
    let expiring = q.mandate == "expiring";
    // A page by name, read by keyset in SQL (issue 14): never the whole chamber in memory.
    let page = visible_operators_page(
        &state.db,
        p,
        expiring.then_some(today),
        &q.page.request(OPERATORS_PER_PAGE),
    )
    .await?;
    let pager = Pager::keyset(
        viewer.lang,
        &page,
        "/ra/operators",
        &[("mandate", if expiring { "expiring" } else { "" })],
    );
    let operators = page
        .items
        .iter()
        .map(|o| row(o, viewer.lang, today))
        .collect();
    Ok(ListPage {
        layout: Layout::new(viewer, "ra-operators-title"),
        operators,
        pager,
        expiring,
        can_manage: authz::allows(p.role(), Action::ManageOperators),
        form,
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    Ok(
        render(&list_page(&state, &viewer, &q, NewOperatorForm::default(), None).await?)?
            .into_response(),
    )
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Form(form): axum::extract::Form<NewOperatorForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let result = operator::register(
        &state,
        p,
        NewOperator {
            kind: form.kind.clone(),
            name: form.name.clone(),
            tax_code: form.tax_code.clone(),
            email: form.email.clone(),
            pec: Some(form.pec.clone()),
            organisation_tax_code: Some(form.organisation_tax_code.clone()),
            legal_representative_tax_code: Some(form.legal_representative_tax_code.clone()),
            first_phase: form.first_phase.is_some(),
        },
    )
    .await;
    match result {
        Ok(op) => Ok(Redirect::to(&format!("/ra/operators/{}", op.id)).into_response()),
        Err(e) => {
            let e: AppError = e.into();
            if e.status.is_server_error() {
                return Err(e);
            }
            let status = e.status;
            let page = list_page(
                &state,
                &viewer,
                &ListQuery::default(),
                form,
                Some(e.message(viewer.lang)),
            )
            .await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

struct StepRow {
    action: String,
    on_date: String,
    actor: String,
    note: String,
}

struct DocRow {
    id: String,
    kind: String,
    filename: String,
    signer: String,
}

/// One required document of the mandate with where it stands (RA procedure, part 1).
struct RequiredRow {
    kind: String,
    code: &'static str,
    signed_by: String,
    state: String,
    present: bool,
}

#[derive(Template)]
#[template(path = "ra/operator.html")]
struct OperatorPage {
    layout: Layout,
    op: Operator,
    kind: String,
    state: String,
    mandate: String,
    course: String,
    can_act: bool,
    reasons: Vec<String>,
    organisation: Option<(String, String)>,
    collaborators: Vec<OperatorRow>,
    history: Vec<StepRow>,
    documents: Vec<DocRow>,
    archive_links: bool,
    can_manage: bool,
    steps: Vec<String>,
    offices: Vec<(String, String)>,
    today: String,
    linked_user: Option<String>,
    linkable: Vec<(String, String)>,
    error: Option<String>,
    error_step: String,
    done: Option<String>,
    revocation: Option<RevocationOutcome>,
    /// The term written in the act, in words.
    act_term: Option<String>,
    /// The mandate (or the organisation's) is for the remote issuance service.
    remote_issuance: bool,
    staff: Option<crate::pages::ra::staff_sheets::Section>,
    mails: Vec<MailRow>,
    recall: Option<RecallSection>,
    /// What the last recall action did, or why it was refused.
    recall_done: Option<String>,
    recall_error: Option<String>,
    required: Vec<RequiredRow>,
    /// The Manager's letter or notice waiting or signed, in words.
    requests: Vec<String>,
    can_prepare_letter: bool,
    can_prepare_revocation: bool,
}

impl OperatorPage {
    fn has(&self, step: &str) -> bool {
        self.steps.iter().any(|s| s == step)
    }
    fn is_rao(&self) -> bool {
        self.op.kind == OperatorKind::Rao
    }
    fn is_org(&self) -> bool {
        self.op.is_organisation()
    }
    fn awaiting_course(&self) -> bool {
        self.op.state == OpState::CourseRequested
    }
    fn revoke(&self) -> Confirmation {
        revoke_confirmation(self.layout.lang, &self.op, &self.kind, &self.today)
    }
    fn operator_informed(&self, to: &str) -> String {
        self.layout
            .lang
            .t_args("ra-revocation-operator-informed", &[("to", to.to_string())])
    }
    fn is_collaborator(&self) -> bool {
        self.op.organisation_id.is_some()
    }
    fn requires(&self, code: &str) -> bool {
        self.required.iter().any(|r| r.code == code)
    }
}

async fn operator_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<OperatorPage, AppError> {
    let p = viewer.require_action(Action::ViewOfficeTree)?;
    let op = visible_operator(&state.db, p, id).await?;
    let lang = viewer.lang;
    let today = state.clock.today();
    let e = eligibility(&op, today);
    let reasons = e
        .reasons
        .iter()
        .map(|r| {
            let (key, mut args) = r.message();
            if let sportello_core::ra::Reason::NotActive { state } = r {
                let label = sportello_core::ra::accreditation::State::parse(state)
                    .map(|s| lang.t(&s.label_key()))
                    .unwrap_or_default();
                args = vec![("state", label)];
            }
            lang.t_args(&key, &args)
        })
        .collect();
    let org = match &op.organisation_id {
        Some(org) => operator::get(&state.db, org).await?,
        None => None,
    };
    let remote_issuance = op.remote_issuance || org.as_ref().is_some_and(|o| o.remote_issuance);
    let organisation = org.map(|o| (o.id, o.name));
    let act_term = op.act_term.map(|t| match t {
        ActTerm::Years(y) => lang.t_args("ra-act-term-years-value", &[("years", y.to_string())]),
        ActTerm::Until(d) => lang.t_args("ra-act-term-end-value", &[("date", it_date(d))]),
    });
    let staff = crate::pages::ra::staff_sheets::section(state, p.role(), &op).await?;
    let collaborators = operator::collaborators(&state.db, &op.id)
        .await?
        .iter()
        .map(|c| row(c, lang, today))
        .collect();
    let history = steps::history(&state.db, &op.id)
        .await?
        .into_iter()
        .map(|s| StepRow {
            action: Step::parse(&s.action)
                .map(|a| lang.t(&a.label_key()))
                .unwrap_or(s.action),
            on_date: sportello_core::db::parse_date(&s.on_date)
                .map(it_date)
                .unwrap_or(s.on_date),
            actor: s.actor,
            note: s.note.unwrap_or_default(),
        })
        .collect();
    let documents = archive::list(&state.db, &op.chamber_id, &op.id)
        .await?
        .into_iter()
        .map(|d| DocRow {
            kind: DocumentKind::parse(&d.kind)
                .map(|k| lang.t(&k.label_key()))
                .unwrap_or(d.kind),
            id: d.id,
            filename: d.filename,
            signer: match (&d.signer_tax_code, &d.signer_subject) {
                (None, None) => String::new(),
                (tax_code, subject) => sportello_core::display::signer(
                    lang,
                    subject.as_deref().unwrap_or_default(),
                    tax_code.as_deref(),
                    "",
                    None,
                ),
            },
        })
        .collect();
    let can_manage = authz::allows(p.role(), Action::ManageOperators);
    let held = required_documents::held(&state.db, &op).await?;
    let required: Vec<RequiredRow> = required_documents::statuses(&op, &held)
        .into_iter()
        .map(|s| RequiredRow {
            kind: lang.t(&s.required.kind.label_key()),
            code: s.required.kind.as_str(),
            signed_by: lang.t(match s.required.signed_by {
                SignedBy::Manager => "ra-required-signed-by-manager",
                SignedBy::Operator => "ra-required-signed-by-operator",
            }),
            state: lang.t(s.state.label_key()),
            present: s.state == DocumentState::Present,
        })
        .collect();
    let all_requests = manager::of_operator(&state.db, &op.id).await?;
    let requests = all_requests
        .iter()
        .filter_map(|r| {
            let kind = lang.t(&format!("ra-manager-kind-{}", r.kind.as_str()));
            match (r.state, r.signed_at) {
                (RequestState::Waiting, _) => {
                    Some(format!("{kind}: {}", lang.t("ra-manager-waiting")))
                }
                (RequestState::Signed, Some(at)) => Some(format!(
                    "{kind}: {}",
                    lang.t_args(
                        "ra-manager-signed-on",
                        &[("date", sportello_core::display::date_time(at))]
                    )
                )),
                _ => None,
            }
        })
        .collect();
    let pending = |k: RequestKind| {
        all_requests
            .iter()
            .any(|r| r.kind == k && r.state == RequestState::Waiting)
    };
    let can_prepare_letter = can_manage
        && matches!(op.state, OpState::New | OpState::Interest)
        && required
            .iter()
            .any(|r| r.code == DocumentKind::MandateLetter.as_str() && !r.present)
        && !pending(RequestKind::MandateLetter);
    let can_prepare_revocation = can_manage
        && op.kind != OperatorKind::Rao
        && op.state != OpState::Revoked
        && !pending(RequestKind::RevocationNotice);
    let offices = office::list(&state.db, &op.chamber_id)
        .await?
        .into_iter()
        .filter(|o| {
            matches!(
                o.kind,
                OfficeKind::Branch | OfficeKind::Outsourcing | OfficeKind::RemoteRao
            )
        })
        .map(|o| (o.id, o.name))
        .collect();
    let users = sportello_core::accounts::list_in_chamber(&state.db, &op.chamber_id).await?;
    let linked_user = op
        .user_id
        .as_ref()
        .and_then(|id| users.iter().find(|u| &u.id == id))
        .map(|u| format!("{} <{}>", u.name, u.email));
    let linkable = if can_manage {
        users
            .iter()
            .filter(|u| {
                op.kind.matches_role(u.role) && op.user_id.as_deref() != Some(u.id.as_str())
            })
            .map(|u| (u.id.clone(), format!("{} <{}>", u.name, u.email)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(OperatorPage {
        linked_user,
        linkable,
        layout: Layout::new(viewer, "ra-operator-title"),
        kind: lang.t(op.kind.label_key()),
        state: lang.t(&op.state.label_key()),
        mandate: op
            .mandate
            .map(|m| format!("{} – {}", it_date(m.start), it_date(m.end)))
            .unwrap_or_else(|| "—".into()),
        course: op
            .course
            .map(|c| {
                lang.t_args(
                    "ra-course-summary",
                    &[
                        ("score", c.score_percent.to_string()),
                        ("passed", it_date(c.passed_on)),
                        ("until", it_date(c.valid_until)),
                    ],
                )
            })
            .unwrap_or_else(|| "—".into()),
        can_act: e.can_act,
        reasons,
        organisation,
        collaborators,
        history,
        documents,
        archive_links: authz::allows(p.role(), Action::ViewRestrictedArchive),
        can_manage,
        steps: if can_manage {
            next_steps(op.state, op.kind)
                .into_iter()
                .filter(|s| *s != Step::Suspend)
                .map(|s| s.as_str().to_string())
                .collect()
        } else {
            Vec::new()
        },
        offices,
        today: today.format("%Y-%m-%d").to_string(),
        error: None,
        error_step: String::new(),
        done: None,
        revocation: None,
        act_term,
        remote_issuance,
        staff,
        mails: crate::pages::ra::recall::mails(state, lang, &op).await?,
        recall: crate::pages::ra::recall::section(state, p, lang, &op).await?,
        recall_done: None,
        recall_error: None,
        required,
        requests,
        can_prepare_letter,
        can_prepare_revocation,
        op,
    })
}

/// The operator's page with a refusal next to the form it came from (`step`: a step, or the
/// kind of document prepared for the Manager); nothing changed.
pub(crate) async fn page_with_error(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    e: &AppError,
    step: &str,
) -> Result<Response, AppError> {
    let mut page = operator_page(state, viewer, id).await?;
    let mut message = e.message(viewer.lang);
    for f in &e.fields {
        message.push(' ');
        message.push_str(&viewer.lang.t_args(f.key, &f.args));
    }
    page.error = Some(message);
    page.error_step = step.to_string();
    Ok((e.status, render(&page)?).into_response())
}

/// What revoking the mandate means, said before it is done, with the fields the revocation
/// needs (RA procedure, part 1: a RAO's from the day the requirements were lost, an ODR's or
/// IR's from the receipt of the signed notice).
fn revoke_confirmation(lang: Lang, op: &Operator, kind: &str, today: &str) -> Confirmation {
    let args = [("name", op.name.clone()), ("kind", kind.to_string())];
    let rao = op.kind == OperatorKind::Rao;
    let mut lines = vec![
        lang.t_args("ra-confirm-revoke-who", &args),
        lang.t(if rao {
            "ra-effective-help"
        } else {
            "ra-notice-help"
        }),
    ];
    if op.is_organisation() {
        lines.push(lang.t("ra-confirm-revoke-organisation"));
    }
    lines.push(lang.t("ra-confirm-revoke-final"));
    let date = if rao {
        ConfirmField::new("effective", "effective", "date", lang.t("ra-effective")).required()
    } else {
        ConfirmField::new(
            "notice_received_on",
            "notice_received_on",
            "date",
            lang.t("ra-notice-received-on"),
        )
        .value(today)
        .required()
    };
    Confirmation {
        id: "confirm-revoke".to_string(),
        testid: "confirm-revoke",
        title: lang.t_args("ra-confirm-revoke-title", &args),
        lines,
        action: format!("/ra/operators/{}/steps/revoke", op.id),
        page: format!("/ra/operators/{}/steps/revoke", op.id),
        back: format!("/ra/operators/{}", op.id),
        button: lang.t("ra-step-revoke"),
        button_class: "btn-danger",
        fields: vec![
            date,
            ConfirmField::new(
                "notice",
                "notice",
                "file",
                lang.t("ra-doc-revocation-notice"),
            ),
            ConfirmField::new("reason", "reason", "text", lang.t("ra-reason")).required(),
        ],
        multipart: true,
    }
}

/// The confirmation page of a step: only the revocation asks (the others can be followed by
/// the next step); for a browser without JavaScript.
pub async fn confirm_step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, step)): Path<(String, String)>,
) -> Result<Response, AppError> {
    viewer.require_action(Action::ManageOperators)?;
    let page = operator_page(&state, &viewer, &id).await?;
    if step != Step::Revoke.as_str() {
        return Err(AppError::not_found());
    }
    // An ODR or IR is revoked through the Manager's queue: the operator's page prepares it.
    if !page.has(Step::Revoke.as_str()) || !page.is_rao() {
        return Ok(Redirect::to(&format!("/ra/operators/{id}")).into_response());
    }
    confirm::page(&viewer, page.revoke())
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
    /// The staff-sheet version just recorded.
    sheet: Option<i64>,
    /// `reported` or `confirmed`: a recall action just done.
    recall: Option<String>,
    prepared: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let mut page = operator_page(&state, &viewer, &id).await?;
    page.done = q.done.as_deref().and_then(Step::parse).map(|s| {
        viewer
            .lang
            .t_args("ra-step-done", &[("step", viewer.lang.t(&s.label_key()))])
    });
    if let Some(v) = q.sheet {
        page.done = Some(
            viewer
                .lang
                .t_args("ra-staff-sheet-saved", &[("version", v.to_string())]),
        );
    }
    page.recall_done = crate::pages::ra::recall::done_message(viewer.lang, q.recall.as_deref());
    if q.prepared.is_some() {
        page.done = Some(viewer.lang.t("ra-prepare-done"));
    }
    Ok(render(&page)?.into_response())
}

fn uploads(form: &mut MultipartForm, kinds: &[DocumentKind]) -> Vec<Upload> {
    kinds
        .iter()
        .filter_map(|k| {
            form.take_file(k.as_str()).map(|f| Upload {
                kind: *k,
                filename: f.file_name,
                bytes: f.bytes,
            })
        })
        .collect()
}

/// The term and service written in the act, from the mandate step's form.
fn mandate_act(form: &MultipartForm) -> Result<MandateAct, AppError> {
    let years = form
        .filled("term_years")
        .map(|y| {
            y.parse::<u32>().map_err(|_| {
                AppError::invalid(vec![FieldError::new("term_years", "ra-error-term-years")])
            })
        })
        .transpose()?;
    let until = form.date("term_end", "ra-error-date")?;
    Ok(MandateAct {
        term: ActTerm::from_fields(years, until)?,
        remote_issuance: form.filled("remote_issuance").is_some(),
    })
}

fn required_date(form: &MultipartForm, name: &str) -> Result<chrono::NaiveDate, AppError> {
    form.date(name, "ra-error-date")?
        .ok_or_else(|| AppError::invalid(vec![FieldError::new(name, "ra-error-date")]))
}

/// Takes one step from the operator's page; on failure the page comes back with the
/// reason next to the step's form and nothing changed.
pub async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, step)): Path<(String, String)>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let op = visible_operator(&state.db, p, &id).await?;
    let step = Step::parse(&step).ok_or_else(AppError::not_found)?;
    let form = MultipartForm::read(multipart).await?;
    let actor = p.actor();
    let result = run_step(&state, &actor, &op, step, form).await;
    match result {
        Ok(None) => Ok(
            Redirect::to(&format!("/ra/operators/{}?done={}", op.id, step.as_str()))
                .into_response(),
        ),
        Ok(Some(outcome)) => {
            let mut page = operator_page(&state, &viewer, &id).await?;
            page.revocation = Some(outcome);
            Ok(render(&page)?.into_response())
        }
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            // An ODR's or IR's refusal shows next to the form that prepares its notice.
            let at = if step == Step::Revoke
                && revocation::revoked_through_the_managers_queue(op.kind)
            {
                "revocation_notice"
            } else {
                step.as_str()
            };
            page_with_error(&state, &viewer, &id, &e, at).await
        }
    }
}

async fn run_step(
    state: &AppState,
    actor: &sportello_core::audit::Actor,
    op: &Operator,
    step: Step,
    mut form: MultipartForm,
) -> Result<Option<RevocationOutcome>, AppError> {
    let note = form.filled("note").map(str::to_string);
    match step {
        Step::RecordInterest | Step::RequestCourse => {
            steps::simple_step(state, actor, op, step, note.as_deref()).await?;
        }
        Step::SendMandate => {
            let date = required_date(&form, "protocol_date")?;
            let basis = if form.filled("staff_sheet").is_some() {
                MandateBasis::AddedCollaborator {
                    staff_sheet_date: date,
                }
            } else {
                MandateBasis::Appointment {
                    protocol_date: date,
                }
            };
            let files = uploads(
                &mut form,
                &[
                    DocumentKind::FormE,
                    DocumentKind::FormF,
                    DocumentKind::StaffSheet,
                ],
            );
            steps::send_mandate(state, actor, op, basis, mandate_act(&form)?, files).await?;
        }
        Step::ReceiveDocuments => {
            let files = uploads(
                &mut form,
                &[
                    DocumentKind::AcceptanceForm,
                    DocumentKind::DataProcessingAuthorisation,
                    DocumentKind::PrivacyNotice,
                    DocumentKind::FormE,
                    DocumentKind::FormF,
                    DocumentKind::StaffSheet,
                ],
            );
            steps::receive_documents(state, actor, op, files).await?;
        }
        Step::SendToCa => {
            let file = form.take_file("id_file");
            steps::send_to_ca(
                state,
                actor,
                op,
                IdentityDocument {
                    doc_type: form.text("id_type"),
                    number: form.text("id_number"),
                    expires_on: form.date("id_expires_on", "ra-error-date")?,
                    filename: file
                        .as_ref()
                        .map(|f| f.file_name.clone())
                        .unwrap_or_default(),
                    bytes: file.map(|f| f.bytes).unwrap_or_default(),
                },
            )
            .await?;
        }
        Step::PassCourse => {
            let score = form
                .filled("score_percent")
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| {
                    AppError::invalid(vec![FieldError::new("score_percent", "ra-error-score")])
                })?;
            let passed_on = required_date(&form, "passed_on")?;
            steps::pass_course(state, actor, op, score, passed_on).await?;
        }
        Step::Activate => {
            steps::activate(state, actor, op, form.filled("office_id")).await?;
        }
        Step::Revoke => {
            let notice = form.take_file("notice").map(|f| Upload {
                kind: DocumentKind::RevocationNotice,
                filename: f.file_name,
                bytes: f.bytes,
            });
            let outcome = revocation::revoke(
                state,
                actor,
                op,
                RevocationRequest {
                    effective: form.date("effective", "ra-error-date")?,
                    notice_received_on: form.date("notice_received_on", "ra-error-date")?,
                    reason: form.text("reason"),
                    notice,
                },
            )
            .await?;
            return Ok(Some(outcome));
        }
        Step::Suspend => return Err(AppError::not_found()),
    }
    Ok(None)
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    user_id: String,
}

/// Links a user account of the chamber to the operator (for when the e-mail did
/// not match at registration); the user then sees the operator's subtree.
pub async fn link_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::extract::Form(form): axum::extract::Form<LinkForm>,
) -> Result<Response, AppError> {
    let p = viewer.require_action(Action::ManageOperators)?;
    let op = operator::link(&state, p, &id, &form.user_id).await?;
    Ok(Redirect::to(&format!("/ra/operators/{}", op.id)).into_response())
}
