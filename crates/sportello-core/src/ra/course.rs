//! The CA's e-learning course (RA procedure, part 1): passed with at least 90 % of correct
//! answers, valid one year.

use chrono::{Months, NaiveDate};
use serde::Serialize;

/// RA procedure, part 1: the course is passed with at least 90 % of correct answers.
pub const PASS_MARK_PERCENT: i64 = 90;

/// A passed course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CourseResult {
    pub score_percent: i64,
    pub passed_on: NaiveDate,
    pub valid_until: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CourseError {
    #[error("a score is between 0 and 100, found {0}")]
    ScoreOutOfRange(i64),
    #[error("a score of {0} % does not pass the course (at least 90 %)")]
    BelowPassMark(i64),
    #[error("the course cannot be passed in the future ({0})")]
    InTheFuture(NaiveDate),
}

/// RA procedure, part 1: a passed course is valid one year from the day it was passed.
pub fn course_valid_until(passed_on: NaiveDate) -> NaiveDate {
    passed_on
        .checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX)
}

/// RA procedure, part 1: checks a course result (≥ 90 %, not in the future) and gives its validity.
pub fn course_result(
    score_percent: i64,
    passed_on: NaiveDate,
    today: NaiveDate,
) -> Result<CourseResult, CourseError> {
    if !(0..=100).contains(&score_percent) {
        return Err(CourseError::ScoreOutOfRange(score_percent));
    }
    if score_percent < PASS_MARK_PERCENT {
        return Err(CourseError::BelowPassMark(score_percent));
    }
    if passed_on > today {
        return Err(CourseError::InTheFuture(passed_on));
    }
    Ok(CourseResult {
        score_percent,
        passed_on,
        valid_until: course_valid_until(passed_on),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_course_needs_ninety_percent() {
        assert_eq!(
            course_result(89, d("2026-01-10"), d("2026-02-01")),
            Err(CourseError::BelowPassMark(89))
        );
        let r = course_result(90, d("2026-01-10"), d("2026-02-01")).unwrap();
        assert_eq!(r.valid_until, d("2027-01-10"));
        assert!(course_result(101, d("2026-01-10"), d("2026-02-01")).is_err());
    }

    #[test]
    fn a_course_is_valid_one_year() {
        assert_eq!(course_valid_until(d("2025-11-25")), d("2026-11-25"));
        assert_eq!(course_valid_until(d("2024-02-29")), d("2025-02-28"));
    }

    #[test]
    fn a_course_cannot_be_passed_in_the_future() {
        assert!(matches!(
            course_result(95, d("2026-03-02"), d("2026-03-01")),
            Err(CourseError::InTheFuture(_))
        ));
    }
}
