//! The documents a mandate requires, per operator kind and party (RA procedure, part 1), and
//! where each stands for one operator. The Master RAO sends "il mandato (persona fisica o
//! giuridica) firmato digitalmente dal Dirigente, con il modulo di accettazione,
//! l'autorizzazione al trattamento dei dati … e l'informativa privacy", and for an organisation
//! "anche i moduli E per la designazione dei collaboratori e l'Informativa privacy F"; the
//! operator returns them "compilati e firmati digitalmente". A step does not advance until the
//! documents it needs are there and signed by whom the procedure says.

use crate::db::Db;
use crate::ra::accreditation::Step;
use crate::ra::archive::{self, DocumentKind};
use crate::ra::manager::{self, RequestKind, RequestState};
use crate::ra::operator::{Operator, OperatorKind};
use serde::Serialize;

/// Who must have signed a required document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedBy {
    /// RA procedure, part 1: "firmato digitalmente dal Dirigente", through the Manager's queue.
    Manager,
    /// RA procedure, part 1: returned "compilati e firmati digitalmente" by the operator (for
    /// an organisation, its legal representative).
    Operator,
}

/// Whom a mandate is given to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A natural person with their own mandate.
    Person,
    /// An organisation (persona giuridica).
    Organisation,
    /// A collaborator designated by an organisation (form E, staff sheet) under its mandate.
    Collaborator,
}

impl Party {
    pub fn of(op: &Operator) -> Party {
        if op.organisation_id.is_some() {
            Party::Collaborator
        } else if op.is_organisation() {
            Party::Organisation
        } else {
            Party::Person
        }
    }
}

/// One document a mandate requires: which, at which step, signed by whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RequiredDocument {
    pub kind: DocumentKind,
    pub step: Step,
    pub signed_by: SignedBy,
}

const fn doc(kind: DocumentKind, step: Step, signed_by: SignedBy) -> RequiredDocument {
    RequiredDocument {
        kind,
        step,
        signed_by,
    }
}

const LETTER: RequiredDocument = doc(
    DocumentKind::MandateLetter,
    Step::SendMandate,
    SignedBy::Manager,
);
const ACCEPTANCE: RequiredDocument = doc(
    DocumentKind::AcceptanceForm,
    Step::ReceiveDocuments,
    SignedBy::Operator,
);
const DATA_PROCESSING: RequiredDocument = doc(
    DocumentKind::DataProcessingAuthorisation,
    Step::ReceiveDocuments,
    SignedBy::Operator,
);
const PRIVACY: RequiredDocument = doc(
    DocumentKind::PrivacyNotice,
    Step::ReceiveDocuments,
    SignedBy::Operator,
);
const FORM_E: RequiredDocument = doc(
    DocumentKind::FormE,
    Step::ReceiveDocuments,
    SignedBy::Operator,
);
const FORM_F: RequiredDocument = doc(
    DocumentKind::FormF,
    Step::ReceiveDocuments,
    SignedBy::Operator,
);

const PERSON: &[RequiredDocument] = &[LETTER, ACCEPTANCE, DATA_PROCESSING, PRIVACY];
const ORGANISATION: &[RequiredDocument] =
    &[LETTER, ACCEPTANCE, DATA_PROCESSING, PRIVACY, FORM_E, FORM_F];
const COLLABORATOR: &[RequiredDocument] = &[ACCEPTANCE];

/// RA procedure, part 1: the documents of a mandate. Everyone (RAO, ODR, IR) gets the letter
/// signed by the Manager and returns the acceptance form, the data-processing authorisation and
/// the privacy notice; an ODR or IR that is an organisation also returns forms E (designation
/// of its collaborators) and the privacy notice F. A RAO organisation sends its staff sheet
/// instead (the procedure asks forms E and F of ODRs and IRs only). A collaborator, designated
/// by the organisation's form E under its mandate, returns their own acceptance form.
pub fn required_documents(kind: OperatorKind, party: Party) -> &'static [RequiredDocument] {
    match (party, kind) {
        (Party::Collaborator, _) => COLLABORATOR,
        (Party::Organisation, OperatorKind::Odr | OperatorKind::Ir) => ORGANISATION,
        (Party::Organisation, OperatorKind::Rao) | (Party::Person, _) => PERSON,
    }
}

/// The documents `op`'s mandate requires.
pub fn required_for(op: &Operator) -> &'static [RequiredDocument] {
    required_documents(op.kind, Party::of(op))
}

/// Where a required document stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentState {
    /// Not there.
    Missing,
    /// Prepared by the office, waiting in the Manager's queue.
    AwaitingManager,
    /// There, but not signed by whom the procedure says (kept before the check existed).
    SignatureToCheck,
    /// There and signed by whom the procedure says.
    Present,
}

impl DocumentState {
    pub fn label_key(self) -> &'static str {
        match self {
            DocumentState::Missing => "ra-required-missing",
            DocumentState::AwaitingManager => "ra-required-awaiting-manager",
            DocumentState::SignatureToCheck => "ra-required-signature-to-check",
            DocumentState::Present => "ra-required-present",
        }
    }
}

/// A required document and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentStatus {
    pub required: RequiredDocument,
    pub state: DocumentState,
}

/// What the archive and the Manager's queue hold for an operator, reduced to what the rule
/// needs: per kind, whether a copy is kept and whether one is signed as required.
#[derive(Clone, Debug, Default)]
pub struct Held {
    /// Kinds with a document kept, and whether it carries a verified signature.
    pub documents: Vec<(DocumentKind, bool)>,
    /// Whether the Manager signed the letter through the queue.
    pub letter_signed_by_manager: bool,
    /// Whether a letter waits in the Manager's queue.
    pub letter_waiting: bool,
}

/// RA procedure, part 1: a document is present when kept and signed by whom the procedure says
/// — the Manager's letter only through the Manager's queue, the operator's documents with a
/// verified signature.
pub fn state_of(required: &RequiredDocument, held: &Held) -> DocumentState {
    let kept: Vec<bool> = held
        .documents
        .iter()
        .filter(|(k, _)| *k == required.kind)
        .map(|(_, signed)| *signed)
        .collect();
    match required.signed_by {
        SignedBy::Manager if held.letter_signed_by_manager => DocumentState::Present,
        SignedBy::Manager if held.letter_waiting => DocumentState::AwaitingManager,
        SignedBy::Manager if !kept.is_empty() => DocumentState::SignatureToCheck,
        SignedBy::Manager => DocumentState::Missing,
        SignedBy::Operator if kept.iter().any(|s| *s) => DocumentState::Present,
        SignedBy::Operator if !kept.is_empty() => DocumentState::SignatureToCheck,
        SignedBy::Operator => DocumentState::Missing,
    }
}

/// Every required document of `op` with its state, in the table's order.
pub fn statuses(op: &Operator, held: &Held) -> Vec<DocumentStatus> {
    required_for(op)
        .iter()
        .map(|r| DocumentStatus {
            required: *r,
            state: state_of(r, held),
        })
        .collect()
}

/// The required documents of `step` that are not present for `op`.
pub fn missing_for_step(op: &Operator, step: Step, held: &Held) -> Vec<DocumentKind> {
    required_for(op)
        .iter()
        .filter(|r| r.step == step && state_of(r, held) != DocumentState::Present)
        .map(|r| r.kind)
        .collect()
}

/// What the archive and the queue hold for `op`.
pub async fn held(db: &Db, op: &Operator) -> Result<Held, sqlx::Error> {
    let documents = archive::list(db, &op.chamber_id, &op.id)
        .await?
        .into_iter()
        .filter_map(|d| DocumentKind::parse(&d.kind).map(|k| (k, d.signer_tax_code.is_some())))
        .collect();
    let requests = manager::of_operator(db, &op.id).await?;
    let letters = requests
        .iter()
        .filter(|r| r.kind == RequestKind::MandateLetter);
    Ok(Held {
        documents,
        letter_signed_by_manager: letters.clone().any(|r| r.state == RequestState::Signed),
        letter_waiting: letters.clone().any(|r| r.state == RequestState::Waiting),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::TaxCode;

    fn kinds(docs: &[RequiredDocument]) -> Vec<DocumentKind> {
        docs.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn every_mandate_requires_the_letter_acceptance_data_processing_and_privacy_notice() {
        use DocumentKind::*;
        for kind in OperatorKind::ALL {
            assert_eq!(
                kinds(required_documents(kind, Party::Person)),
                [
                    MandateLetter,
                    AcceptanceForm,
                    DataProcessingAuthorisation,
                    PrivacyNotice
                ],
                "{kind:?}"
            );
        }
    }

    #[test]
    fn an_odr_or_ir_organisation_also_returns_forms_e_and_f() {
        for kind in [OperatorKind::Odr, OperatorKind::Ir] {
            let docs = kinds(required_documents(kind, Party::Organisation));
            assert!(docs.contains(&DocumentKind::FormE), "{kind:?}");
            assert!(docs.contains(&DocumentKind::FormF), "{kind:?}");
            assert!(docs.contains(&DocumentKind::MandateLetter), "{kind:?}");
        }
        let rao = kinds(required_documents(OperatorKind::Rao, Party::Organisation));
        assert!(!rao.contains(&DocumentKind::FormE));
    }

    #[test]
    fn the_mandate_letter_is_signed_by_the_manager_and_the_rest_by_the_operator() {
        for kind in OperatorKind::ALL {
            for party in [Party::Person, Party::Organisation, Party::Collaborator] {
                for r in required_documents(kind, party) {
                    let expected = if r.kind == DocumentKind::MandateLetter {
                        (SignedBy::Manager, Step::SendMandate)
                    } else {
                        (SignedBy::Operator, Step::ReceiveDocuments)
                    };
                    assert_eq!((r.signed_by, r.step), expected, "{kind:?} {party:?}");
                }
            }
        }
    }

    #[test]
    fn a_letter_counts_only_once_the_manager_signed_it_in_the_queue() {
        let op = Operator::sample(OperatorKind::Rao);
        let mut held = Held::default();
        assert_eq!(
            missing_for_step(&op, Step::SendMandate, &held),
            [DocumentKind::MandateLetter]
        );
        held.letter_waiting = true;
        assert_eq!(state_of(&LETTER, &held), DocumentState::AwaitingManager);
        held.letter_waiting = false;
        // A letter uploaded outside the queue is kept but does not count.
        held.documents.push((DocumentKind::MandateLetter, true));
        assert_eq!(state_of(&LETTER, &held), DocumentState::SignatureToCheck);
        held.letter_signed_by_manager = true;
        assert_eq!(state_of(&LETTER, &held), DocumentState::Present);
        assert!(missing_for_step(&op, Step::SendMandate, &held).is_empty());
    }

    #[test]
    fn an_unsigned_returned_document_is_a_signature_to_check() {
        let op = Operator::sample(OperatorKind::Odr);
        let held = Held {
            documents: vec![
                (DocumentKind::AcceptanceForm, true),
                (DocumentKind::PrivacyNotice, false),
            ],
            ..Held::default()
        };
        assert_eq!(state_of(&ACCEPTANCE, &held), DocumentState::Present);
        assert_eq!(state_of(&PRIVACY, &held), DocumentState::SignatureToCheck);
        assert_eq!(
            missing_for_step(&op, Step::ReceiveDocuments, &held),
            [
                DocumentKind::DataProcessingAuthorisation,
                DocumentKind::PrivacyNotice
            ]
        );
    }

    #[test]
    fn a_collaborator_returns_only_the_acceptance_form() {
        let mut op = Operator::sample(OperatorKind::Odr);
        op.organisation_id = Some("org".into());
        assert_eq!(Party::of(&op), Party::Collaborator);
        assert_eq!(kinds(required_for(&op)), [DocumentKind::AcceptanceForm]);
        op.organisation_id = None;
        op.tax_code = TaxCode::parse("00743110157").unwrap();
        assert_eq!(Party::of(&op), Party::Organisation);
    }
}
