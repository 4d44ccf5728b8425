//! Deleting what the company has not sent: a base model no practice was made from, and a
//! practice not yet sent. Each asks first (a dialog, or a page without JavaScript), checks on
//! the server that the draft is one of the user's companies' and still unsent, and says so
//! when it is not.

use crate::app::AppState;
use crate::pages::trade::company_user;
use crate::pages::trade::models::own_model;
use crate::web::confirm::{self, Confirmation};
use crate::web::{AppError, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_core::i18n::Lang;
use sportello_core::trade::model::{self, Model, ModelDeletionError};
use sportello_core::trade::practice::Practice;
use sportello_core::trade::practice::draft_deletion::{self, DraftDeletionError};

/// "Certificato d'origine per ACME Trading LLC": what a draft is, in the confirmation.
fn what(lang: Lang, type_key: &str, consignee: Option<&str>) -> String {
    let consignee = consignee
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| lang.t("trade-draft-no-consignee"));
    lang.t_args(
        "trade-draft-what",
        &[("type", lang.t(type_key)), ("consignee", consignee)],
    )
}

/// The question before deleting a base model.
pub(crate) fn model_confirmation(lang: Lang, m: &Model) -> Confirmation {
    let name = m.input.consignee.name.as_str();
    Confirmation {
        id: format!("confirm-delete-model-{}", m.id),
        testid: "confirm-delete-model",
        title: lang.t("trade-model-delete-title"),
        lines: vec![
            lang.t_args(
                "trade-model-delete-which",
                &[
                    ("what", what(lang, m.practice_type.label_key(), Some(name))),
                    ("when", sportello_core::display::stored(&m.updated_at)),
                ],
            ),
            lang.t("trade-model-delete-final"),
        ],
        action: format!("/models/{}/delete", m.id),
        page: format!("/models/{}/delete", m.id),
        back: "/models".to_string(),
        button: lang.t("trade-draft-delete"),
        button_class: "btn-danger",
        fields: Vec::new(),
        multipart: false,
    }
}

/// The question before deleting a practice not yet sent.
pub(crate) fn practice_confirmation(lang: Lang, p: &Practice, back: &str) -> Confirmation {
    Confirmation {
        id: format!("confirm-delete-practice-{}", p.id),
        testid: "confirm-delete-practice",
        title: lang.t("trade-practice-delete-title"),
        lines: vec![
            lang.t_args(
                "trade-practice-delete-which",
                &[
                    (
                        "what",
                        what(
                            lang,
                            p.practice_type.label_key(),
                            p.consignee_name.as_deref(),
                        ),
                    ),
                    ("when", sportello_core::display::stored(&p.created_at)),
                ],
            ),
            lang.t("trade-practice-delete-final"),
        ],
        action: format!("/practices/{}/delete", p.id),
        page: format!("/practices/{}/delete", p.id),
        back: back.to_string(),
        button: lang.t("trade-draft-delete"),
        button_class: "btn-danger",
        fields: Vec::new(),
        multipart: false,
    }
}

/// The confirmation page before deleting a model, for a browser without JavaScript.
pub async fn confirm_model(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = own_model(&state, &viewer, &id).await?;
    confirm::page(&viewer, model_confirmation(viewer.lang, &m))
}

pub async fn delete_model(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let m = crate::pages::trade::writable_model(&state, p, &id).await?;
    match model::delete(&state.db, state.clock.now(), p, &m).await {
        Ok(()) => Ok(Redirect::to("/models?notice=deleted").into_response()),
        Err(ModelDeletionError::UsedByPractice { sent }) => Err(AppError::conflict(
            "model_in_use",
            if sent {
                "trade-model-delete-sent"
            } else {
                "trade-model-delete-in-draft"
            },
        )),
        Err(ModelDeletionError::Refused(r)) => Err(r.into()),
        Err(ModelDeletionError::Db(e)) => Err(e.into()),
    }
}

/// The confirmation page before deleting a practice, for a browser without JavaScript.
pub async fn confirm_practice(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    let pr = sportello_core::trade::practice::get_for_company_user(&state.db, p, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !pr.status.editable_by_company() || pr.protocol_number.is_some() {
        return Err(not_a_draft());
    }
    let back = format!("/practices/{}", pr.id);
    confirm::page(&viewer, practice_confirmation(viewer.lang, &pr, &back))
}

fn not_a_draft() -> AppError {
    AppError::conflict("practice_sent", "trade-practice-delete-sent")
}

pub async fn delete_practice(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = company_user(&viewer)?;
    match draft_deletion::delete_draft(&state, p, &id).await {
        Ok(_) => Ok(Redirect::to("/practices?list=to_send&notice=deleted").into_response()),
        Err(DraftDeletionError::NotFound) => Err(AppError::not_found()),
        Err(DraftDeletionError::NotADraft(_)) => Err(not_a_draft()),
        Err(DraftDeletionError::Refused(r)) => Err(r.into()),
        Err(DraftDeletionError::Db(e)) => Err(e.into()),
    }
}
