//! Whether an operator may act (issue devices, book appointments) on a day — RA procedure,
//! part 1: only with a valid mandate from the chamber AND a valid course.
//!
//! [`eligibility`] is the pure rule; [`can_act`] loads the facts and applies it. The devices
//! and appointments areas call [`can_act`] before every issuance or booking.

use crate::db::Db;
use crate::ra::accreditation::State;
use crate::ra::operator::{self, Operator};
use chrono::NaiveDate;
use serde::Serialize;

/// Why an operator may not act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The accreditation is not complete.
    NotActive {
        state: String,
    },
    Revoked {
        effective: Option<NaiveDate>,
    },
    /// The organisation the collaborator works for was revoked.
    Suspended,
    NoMandate,
    MandateNotStarted {
        start: NaiveDate,
    },
    MandateExpired {
        end: NaiveDate,
    },
    NoCourse,
    CourseExpired {
        valid_until: NaiveDate,
    },
}

impl Reason {
    /// Stable code, as the API returns it.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NotActive { .. } => "not_active",
            Reason::Revoked { .. } => "revoked",
            Reason::Suspended => "suspended",
            Reason::NoMandate => "no_mandate",
            Reason::MandateNotStarted { .. } => "mandate_not_started",
            Reason::MandateExpired { .. } => "mandate_expired",
            Reason::NoCourse => "no_course",
            Reason::CourseExpired { .. } => "course_expired",
        }
    }

    /// The message key and arguments to show it.
    pub fn message(&self) -> (String, Vec<(&'static str, String)>) {
        let key = format!("ra-reason-{}", self.code().replace('_', "-"));
        let args = match self {
            Reason::NotActive { state } => {
                vec![("state", state.clone())]
            }
            Reason::Revoked { effective } => vec![(
                "date",
                effective.map(crate::display::date).unwrap_or_default(),
            )],
            Reason::MandateNotStarted { start } => {
                vec![("date", crate::display::date(*start))]
            }
            Reason::MandateExpired { end } => vec![("date", crate::display::date(*end))],
            Reason::CourseExpired { valid_until } => {
                vec![("date", crate::display::date(*valid_until))]
            }
            _ => Vec::new(),
        };
        (key, args)
    }
}

/// The answer to "may this operator act on that day", with every reason when not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    pub can_act: bool,
    pub reasons: Vec<Reason>,
}

/// RA procedure, part 1: an operator acts only while active, with a mandate and a course both
/// valid on `on`. A mandate is valid from its start to its end day included; a course up to
/// its expiry day excluded (one year after it was passed).
pub fn eligibility(op: &Operator, on: NaiveDate) -> Eligibility {
    let mut reasons = Vec::new();
    match op.state {
        State::Active => {}
        State::Revoked => reasons.push(Reason::Revoked {
            effective: op.revoked_effective,
        }),
        State::Suspended => reasons.push(Reason::Suspended),
        other => reasons.push(Reason::NotActive {
            state: other.as_str().to_string(),
        }),
    }
    match op.mandate {
        None => reasons.push(Reason::NoMandate),
        Some(m) if on < m.start => reasons.push(Reason::MandateNotStarted { start: m.start }),
        Some(m) if on > m.end => reasons.push(Reason::MandateExpired { end: m.end }),
        Some(_) => {}
    }
    // RA procedure, part 1: an organisation's collaborators take the course, not the organisation.
    match op.course {
        None if op.is_organisation() => {}
        None => reasons.push(Reason::NoCourse),
        Some(c) if on >= c.valid_until => reasons.push(Reason::CourseExpired {
            valid_until: c.valid_until,
        }),
        Some(_) => {}
    }
    Eligibility {
        can_act: reasons.is_empty(),
        reasons,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CanActError {
    #[error("no operator with id {0}")]
    UnknownOperator(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Whether operator `operator_id` may issue devices or book appointments on `on` (a date in
/// Europe/Rome, usually `state.clock.today()`). Callers must also check that the operator
/// belongs to the caller's chamber.
pub async fn can_act(
    db: &Db,
    operator_id: &str,
    on: NaiveDate,
) -> Result<Eligibility, CanActError> {
    let op = operator::get(db, operator_id)
        .await?
        .ok_or_else(|| CanActError::UnknownOperator(operator_id.to_string()))?;
    Ok(eligibility(&op, on))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ra::course::course_valid_until;
    use crate::ra::operator::{Course, Mandate, OperatorKind};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn active() -> Operator {
        let mut op = Operator::sample(OperatorKind::Odr);
        op.state = State::Active;
        op.mandate = Some(Mandate {
            start: d("2025-01-10"),
            end: d("2026-07-28"),
        });
        op.course = Some(Course {
            score_percent: 94,
            passed_on: d("2025-06-01"),
            valid_until: course_valid_until(d("2025-06-01")),
        });
        op
    }

    #[test]
    fn an_active_operator_with_mandate_and_course_can_act() {
        assert_eq!(
            eligibility(&active(), d("2026-01-15")),
            Eligibility {
                can_act: true,
                reasons: vec![]
            }
        );
    }

    #[test]
    fn an_expired_course_stops_the_operator() {
        let e = eligibility(&active(), d("2026-06-01"));
        assert!(!e.can_act);
        assert_eq!(e.reasons[0].code(), "course_expired");
    }

    #[test]
    fn an_expired_mandate_stops_the_operator() {
        let mut op = active();
        op.course = Some(Course {
            score_percent: 94,
            passed_on: d("2026-06-01"),
            valid_until: d("2027-06-01"),
        });
        assert!(
            eligibility(&op, d("2026-07-28")).can_act,
            "last day included"
        );
        let e = eligibility(&op, d("2026-07-29"));
        assert_eq!(
            e.reasons,
            vec![Reason::MandateExpired {
                end: d("2026-07-28")
            }]
        );
    }

    #[test]
    fn an_organisation_needs_no_course_of_its_own() {
        let mut org = active();
        org.tax_code = crate::registry::TaxCode::parse("00743110157").unwrap();
        org.course = None;
        assert!(eligibility(&org, d("2026-01-15")).can_act);
    }

    #[test]
    fn every_reason_is_given_at_once() {
        let mut op = Operator::sample(OperatorKind::Ir);
        op.state = State::SentToCa;
        let codes: Vec<_> = eligibility(&op, d("2026-01-01"))
            .reasons
            .iter()
            .map(Reason::code)
            .collect();
        assert_eq!(codes, ["not_active", "no_mandate", "no_course"]);
    }
}
