//! Mandate dates (RA procedure, part 1): when an operator's appointment starts and ends.

use crate::ra::operator::OperatorKind;
use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

/// How many days before its end a mandate is shown as expiring (home pages, the operators
/// list): two months leave time to renew the appointment. The RA procedure sets no notice;
/// this is the platform's choice.
pub const EXPIRY_NOTICE_DAYS: u64 = 60;

/// Whether a mandate ending on `end` is still in force on `today` but ends within
/// [`EXPIRY_NOTICE_DAYS`].
pub fn expiring(end: NaiveDate, today: NaiveDate) -> bool {
    end >= today
        && today
            .checked_add_days(Days::new(EXPIRY_NOTICE_DAYS))
            .is_none_or(|limit| end <= limit)
}

/// What the start of a mandate is taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MandateBasis {
    /// RA procedure, part 1: the mandate starts on the protocol date of the appointment.
    Appointment { protocol_date: NaiveDate },
    /// RA procedure, part 1: a collaborator added later to an organisation starts on the date of
    /// the new staff sheet (scheda di riepilogo addetti).
    AddedCollaborator { staff_sheet_date: NaiveDate },
}

impl MandateBasis {
    pub fn start(self) -> NaiveDate {
        match self {
            Self::Appointment { protocol_date } => protocol_date,
            Self::AddedCollaborator { staff_sheet_date } => staff_sheet_date,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Appointment { .. } => "appointment",
            Self::AddedCollaborator { .. } => "staff_sheet",
        }
    }
}

/// The dates of a mandate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MandateDates {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// True when the convention end cut the mandate short.
    pub capped_by_convention: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MandateError {
    #[error("the mandate would start on {start}, after the convention ends on {convention_end}")]
    AfterConventionEnd {
        start: NaiveDate,
        convention_end: NaiveDate,
    },
}

/// RA procedure, part 1: RAO mandates last 5 years from their start.
pub const RAO_TERM_YEARS: u32 = 5;
/// RA procedure, part 1: ODR and IR mandates last 3 years from their start.
pub const ODR_IR_TERM_YEARS: u32 = 3;
/// RA procedure, part 1: "in fase di avvio" (first phase) ODR and IR mandates lasted 5 years.
pub const FIRST_PHASE_TERM_YEARS: u32 = 5;

/// How many years a mandate of this kind lasts.
pub fn term_years(kind: OperatorKind, first_phase: bool) -> u32 {
    match kind {
        OperatorKind::Rao => RAO_TERM_YEARS,
        OperatorKind::Odr | OperatorKind::Ir if first_phase => FIRST_PHASE_TERM_YEARS,
        OperatorKind::Odr | OperatorKind::Ir => ODR_IR_TERM_YEARS,
    }
}

/// RA procedure, part 1: start = protocol date (or new staff sheet date); end = start + 5 years
/// (RAO) or 3 years (ODR, IR; 5 for first-phase mandates), never after the convention end.
pub fn mandate_dates(
    kind: OperatorKind,
    first_phase: bool,
    basis: MandateBasis,
    convention_end: NaiveDate,
) -> Result<MandateDates, MandateError> {
    let start = basis.start();
    if start > convention_end {
        return Err(MandateError::AfterConventionEnd {
            start,
            convention_end,
        });
    }
    let full = start
        .checked_add_months(Months::new(12 * term_years(kind, first_phase)))
        .unwrap_or(NaiveDate::MAX);
    Ok(if full > convention_end {
        MandateDates {
            start,
            end: convention_end,
            capped_by_convention: true,
        }
    } else {
        MandateDates {
            start,
            end: full,
            capped_by_convention: false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mandate_is_expiring_in_its_last_sixty_days_only() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert!(expiring(today, today));
        assert!(expiring(
            NaiveDate::from_ymd_opt(2026, 7, 31).unwrap(),
            today
        ));
        assert!(!expiring(
            NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
            today
        ));
        assert!(!expiring(
            NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
            today
        ));
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const FAR: &str = "2040-12-31";

    #[test]
    fn rao_mandates_last_five_years_from_the_protocol_date() {
        let m = mandate_dates(
            OperatorKind::Rao,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2020-11-02"),
            },
            d(FAR),
        )
        .unwrap();
        assert_eq!((m.start, m.end), (d("2020-11-02"), d("2025-11-02")));
        assert!(!m.capped_by_convention);
    }

    #[test]
    fn odr_mandates_last_three_years() {
        let m = mandate_dates(
            OperatorKind::Odr,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2021-01-25"),
            },
            d(FAR),
        )
        .unwrap();
        assert_eq!((m.start, m.end), (d("2021-01-25"), d("2024-01-25")));
    }

    #[test]
    fn ir_mandates_last_three_years() {
        let m = mandate_dates(
            OperatorKind::Ir,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2022-03-10"),
            },
            d(FAR),
        )
        .unwrap();
        assert_eq!(m.end, d("2025-03-10"));
    }

    #[test]
    fn first_phase_odr_and_ir_mandates_last_five_years() {
        for kind in [OperatorKind::Odr, OperatorKind::Ir] {
            let m = mandate_dates(
                kind,
                true,
                MandateBasis::Appointment {
                    protocol_date: d("2020-09-01"),
                },
                d(FAR),
            )
            .unwrap();
            assert_eq!(m.end, d("2025-09-01"), "{kind:?}");
        }
        // The flag means nothing for RAO: always five years.
        assert_eq!(term_years(OperatorKind::Rao, true), 5);
    }

    #[test]
    fn mandates_never_end_after_the_convention_end() {
        // The seed's convention ends on 28/07/2026.
        let m = mandate_dates(
            OperatorKind::Rao,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2023-05-10"),
            },
            d("2026-07-28"),
        )
        .unwrap();
        assert_eq!((m.start, m.end), (d("2023-05-10"), d("2026-07-28")));
        assert!(m.capped_by_convention);
        // Ending exactly on the convention end is not a cap.
        let m = mandate_dates(
            OperatorKind::Odr,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2023-07-28"),
            },
            d("2026-07-28"),
        )
        .unwrap();
        assert_eq!(m.end, d("2026-07-28"));
        assert!(!m.capped_by_convention);
    }

    #[test]
    fn an_added_collaborator_starts_on_the_new_staff_sheet_date() {
        let m = mandate_dates(
            OperatorKind::Odr,
            false,
            MandateBasis::AddedCollaborator {
                staff_sheet_date: d("2022-12-01"),
            },
            d(FAR),
        )
        .unwrap();
        assert_eq!((m.start, m.end), (d("2022-12-01"), d("2025-12-01")));
    }

    #[test]
    fn a_mandate_cannot_start_after_the_convention_end() {
        let e = mandate_dates(
            OperatorKind::Ir,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2026-08-01"),
            },
            d("2026-07-28"),
        )
        .unwrap_err();
        assert!(matches!(e, MandateError::AfterConventionEnd { .. }));
    }

    #[test]
    fn a_leap_day_start_ends_on_the_last_day_of_february() {
        let m = mandate_dates(
            OperatorKind::Odr,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2024-02-29"),
            },
            d(FAR),
        )
        .unwrap();
        assert_eq!(m.end, d("2027-02-28"));
    }
}
