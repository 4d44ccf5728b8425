//! What the company does next with a practice, in words, for the lists and the practice page.
//!
//! Cert'O guide, slide 27: the company's lists hold the practices to send, to rectify, sent
//! (with their progress) and the archive; each row says where the practice stands. The status
//! alone ("Inviata", "Da rettificare") does not say what to do: the next step does — sign and
//! send a model, correct within the chamber's deadline (slide 60), wait for the office, or
//! download what was issued.

use crate::i18n::Lang;
use crate::trade::practice::{Practice, PracticeStatus};
use crate::trade::practice_type::PracticeType;
use chrono::{DateTime, Utc};

/// The next step of a base model or a practice, from the company's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// A base model not yet uploaded signed: download it, sign it, upload it and send.
    SignAndSend,
    /// A practice uploaded but not sent: check attachments and fee, then send.
    CompleteAndSend,
    /// Sent back by the office: correct and resend by the deadline (a stored instant).
    RectifyBy(String),
    /// Sent back without a deadline recorded.
    Rectify,
    /// The rectification deadline passed: the practice will be rejected.
    RectifyExpired,
    /// With the office: nothing to do but wait.
    AtTheOffice,
    /// Certificate of origin issued: download it (and print it, Cert'O guide slide 62).
    DownloadCertificate,
    /// Visas, copies or a cancellation concluded: download what was issued.
    DownloadDocuments,
    /// Rejected by the office: the reason is on the practice.
    ReadRejection,
    /// Withdrawn before sending.
    Nothing,
}

impl NextStep {
    /// The next step of a practice in its state, at `now`.
    pub fn of_practice(practice: &Practice, now: DateTime<Utc>) -> NextStep {
        Self::of_state(
            practice.status,
            practice.practice_type,
            practice.rectify_deadline.as_deref(),
            now,
        )
    }

    /// The next step for a practice of `practice_type` in `status`; `rectify_deadline` is the
    /// stored instant the office set when it asked for a rectification.
    pub fn of_state(
        status: PracticeStatus,
        practice_type: PracticeType,
        rectify_deadline: Option<&str>,
        now: DateTime<Utc>,
    ) -> NextStep {
        match status {
            PracticeStatus::Draft => NextStep::CompleteAndSend,
            PracticeStatus::Sent | PracticeStatus::InReview => NextStep::AtTheOffice,
            PracticeStatus::ToRectify => match rectify_deadline {
                Some(d) => match crate::db::parse_instant(d) {
                    Ok(deadline) if now >= deadline => NextStep::RectifyExpired,
                    _ => NextStep::RectifyBy(d.to_string()),
                },
                None => NextStep::Rectify,
            },
            PracticeStatus::Approved if practice_type == PracticeType::CertificateOfOrigin => {
                NextStep::DownloadCertificate
            }
            PracticeStatus::Approved => NextStep::DownloadDocuments,
            PracticeStatus::Rejected => NextStep::ReadRejection,
            PracticeStatus::Withdrawn => NextStep::Nothing,
        }
    }

    /// The message key of the step.
    pub fn key(&self) -> &'static str {
        match self {
            NextStep::SignAndSend => "trade-next-sign-and-send",
            NextStep::CompleteAndSend => "trade-next-complete-and-send",
            NextStep::RectifyBy(_) => "trade-next-rectify-by",
            NextStep::Rectify => "trade-next-rectify",
            NextStep::RectifyExpired => "trade-next-rectify-expired",
            NextStep::AtTheOffice => "trade-next-at-the-office",
            NextStep::DownloadCertificate => "trade-next-download-certificate",
            NextStep::DownloadDocuments => "trade-next-download-documents",
            NextStep::ReadRejection => "trade-next-read-rejection",
            NextStep::Nothing => "trade-next-nothing",
        }
    }

    /// Whether the company has something to do (the lists stress these).
    pub fn is_for_the_company(&self) -> bool {
        matches!(
            self,
            NextStep::SignAndSend
                | NextStep::CompleteAndSend
                | NextStep::RectifyBy(_)
                | NextStep::Rectify
                | NextStep::DownloadCertificate
                | NextStep::DownloadDocuments
        )
    }

    /// The step as people read it: "Da rettificare entro 07/12/2026 18:00".
    pub fn for_people(&self, lang: Lang) -> String {
        match self {
            NextStep::RectifyBy(deadline) => lang.t_args(
                self.key(),
                &[("deadline", crate::display::stored_instant(deadline))],
            ),
            _ => lang.t(self.key()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap()
    }

    fn step(status: PracticeStatus, deadline: Option<&str>) -> String {
        NextStep::of_state(status, PracticeType::CertificateOfOrigin, deadline, now())
            .for_people(Lang::It)
    }

    #[test]
    fn next_step_names_what_the_company_does_in_each_state() {
        assert_eq!(
            NextStep::SignAndSend.for_people(Lang::It),
            "Da firmare e inviare"
        );
        assert_eq!(step(PracticeStatus::Draft, None), "Da completare e inviare");
        assert_eq!(
            step(PracticeStatus::Sent, None),
            "In lavorazione presso l'ufficio"
        );
        assert_eq!(
            step(PracticeStatus::InReview, None),
            "In lavorazione presso l'ufficio"
        );
        assert_eq!(
            step(PracticeStatus::Approved, None),
            "Rilasciato: scarica il certificato"
        );
        assert_eq!(
            NextStep::of_state(
                PracticeStatus::Approved,
                PracticeType::InvoiceVisa,
                None,
                now()
            )
            .for_people(Lang::It),
            "Concluso: scarica i documenti rilasciati"
        );
        assert!(step(PracticeStatus::Rejected, None).starts_with("Respinta"));
        for status in PracticeStatus::ALL {
            for lang in [Lang::It, Lang::En] {
                let text = NextStep::of_state(
                    status,
                    PracticeType::CertificateOfOrigin,
                    Some("2026-12-07T17:00:00Z"),
                    now(),
                )
                .for_people(lang);
                assert!(
                    !text.is_empty() && !text.contains("trade-next"),
                    "{status:?}"
                );
            }
        }
    }

    #[test]
    fn next_step_of_a_rectification_names_its_deadline_in_italian_time() {
        assert_eq!(
            step(PracticeStatus::ToRectify, Some("2026-12-07T17:00:00Z")),
            "Da rettificare entro 07/12/2026 18:00"
        );
        assert_eq!(
            step(PracticeStatus::ToRectify, Some("2026-12-06T09:00:00Z")),
            "Termine per la rettifica scaduto: la pratica sarà respinta"
        );
        assert_eq!(step(PracticeStatus::ToRectify, None), "Da rettificare");
    }
}
