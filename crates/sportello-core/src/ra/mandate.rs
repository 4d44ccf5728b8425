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
    #[error("the term of an organisation RAO's mandate is written in its act: enter it")]
    TermRequired,
    #[error("the act's term must be at least one year")]
    TermYears,
    #[error("the act's end date {end} is not after the start {start}")]
    TermEndBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("give the act's term either in years or as an end date, not both")]
    TermTwice,
    #[error("only an organisation RAO's mandate is for the remote issuance service")]
    RemoteOnlyForRaoOrganisation,
}

/// What the act of appointment says besides its protocol date: its term, when written in it,
/// and whether the service is remote issuance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MandateAct {
    pub term: Option<ActTerm>,
    pub remote_issuance: bool,
}

impl MandateAct {
    /// RA procedure, part 1: only the act of an organisation RAO names a remote service
    /// (Infocamere Scpa: "per il servizio di rilascio della CNS ... svolto da remoto").
    pub fn check(&self, kind: OperatorKind, is_organisation: bool) -> Result<(), MandateError> {
        if self.remote_issuance && !act_term_required(kind, is_organisation) {
            return Err(MandateError::RemoteOnlyForRaoOrganisation);
        }
        Ok(())
    }
}

/// The term written in the act of appointment, as the office enters it.
///
/// RA procedure, part 1: "conferisce l'incarico di RAO a Infocamere Scpa con scadenza 5 anni",
/// "a ICO IC Outsourcing scrl con scadenza 3 anni" — the act of an organisation RAO states
/// its own term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActTerm {
    /// "con scadenza N anni": N years from the start.
    Years(u32),
    /// An end date written in the act.
    Until(NaiveDate),
}

impl ActTerm {
    /// The term from the two optional fields of a form: years, or an end date, or nothing.
    pub fn from_fields(
        years: Option<u32>,
        until: Option<NaiveDate>,
    ) -> Result<Option<ActTerm>, MandateError> {
        match (years, until) {
            (Some(_), Some(_)) => Err(MandateError::TermTwice),
            (Some(0), None) => Err(MandateError::TermYears),
            (Some(y), None) => Ok(Some(ActTerm::Years(y))),
            (None, Some(d)) => Ok(Some(ActTerm::Until(d))),
            (None, None) => Ok(None),
        }
    }
}

/// RA procedure, part 1: the mandate term of an organisation RAO is the one written in its act
/// (Infocamere Scpa 5 years, ICO IC Outsourcing scrl 3 years); the procedure's default of
/// 5 years is for RAO who are chamber staff ("personale interno"), so for an organisation RAO
/// there is no default. ODR and IR organisations keep the procedure's default of 3 years.
pub fn act_term_required(kind: OperatorKind, is_organisation: bool) -> bool {
    kind == OperatorKind::Rao && is_organisation
}

/// RA procedure, part 1: the mandate dates from the act's term, when one was entered, else
/// from the procedure's default term ([`mandate_dates`]); never after the convention end
/// ("qualora la data sia ricompresa nella data di fine convenzione, altrimenti coincide con
/// essa").
pub fn mandate_dates_with_term(
    kind: OperatorKind,
    is_organisation: bool,
    first_phase: bool,
    basis: MandateBasis,
    term: Option<ActTerm>,
    convention_end: NaiveDate,
) -> Result<MandateDates, MandateError> {
    let start = basis.start();
    let full = match term {
        None if act_term_required(kind, is_organisation) => {
            return Err(MandateError::TermRequired);
        }
        None => return mandate_dates(kind, first_phase, basis, convention_end),
        Some(ActTerm::Years(0)) => return Err(MandateError::TermYears),
        Some(ActTerm::Years(y)) => start
            .checked_add_months(Months::new(12_u32.saturating_mul(y)))
            .unwrap_or(NaiveDate::MAX),
        Some(ActTerm::Until(end)) if end <= start => {
            return Err(MandateError::TermEndBeforeStart { start, end });
        }
        Some(ActTerm::Until(end)) => end,
    };
    if start > convention_end {
        return Err(MandateError::AfterConventionEnd {
            start,
            convention_end,
        });
    }
    Ok(capped(start, full, convention_end))
}

fn capped(start: NaiveDate, full: NaiveDate, convention_end: NaiveDate) -> MandateDates {
    if full > convention_end {
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
    }
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
    Ok(capped(start, full, convention_end))
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
    fn an_organisation_rao_mandate_lasts_the_term_of_its_act() {
        // RA procedure: Infocamere Scpa, prot. 66983 of 02/11/2020, "con scadenza 5 anni".
        let infocamere = mandate_dates_with_term(
            OperatorKind::Rao,
            true,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2020-11-02"),
            },
            Some(ActTerm::Years(5)),
            d(FAR),
        )
        .unwrap();
        assert_eq!(
            (infocamere.start, infocamere.end),
            (d("2020-11-02"), d("2025-11-02"))
        );
        // RA procedure: ICO IC Outsourcing scrl, prot. 84508 of 01/12/2022, "con scadenza 3 anni".
        let ico = mandate_dates_with_term(
            OperatorKind::Rao,
            true,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2022-12-01"),
            },
            Some(ActTerm::Years(3)),
            d(FAR),
        )
        .unwrap();
        assert_eq!(ico.end, d("2025-12-01"));
        // An end date written in the act.
        let until = mandate_dates_with_term(
            OperatorKind::Rao,
            true,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2022-12-01"),
            },
            Some(ActTerm::Until(d("2024-06-30"))),
            d(FAR),
        )
        .unwrap();
        assert_eq!(until.end, d("2024-06-30"));
    }

    #[test]
    fn an_organisation_rao_term_has_no_default() {
        let basis = MandateBasis::Appointment {
            protocol_date: d("2020-11-02"),
        };
        assert_eq!(
            mandate_dates_with_term(OperatorKind::Rao, true, false, basis, None, d(FAR)),
            Err(MandateError::TermRequired)
        );
        // Chamber staff keep the procedure's 5 years, ODR organisations their 3.
        let staff =
            mandate_dates_with_term(OperatorKind::Rao, false, false, basis, None, d(FAR)).unwrap();
        assert_eq!(staff.end, d("2025-11-02"));
        let odr =
            mandate_dates_with_term(OperatorKind::Odr, true, false, basis, None, d(FAR)).unwrap();
        assert_eq!(odr.end, d("2023-11-02"));
    }

    #[test]
    fn an_act_term_never_ends_after_the_convention_end() {
        // The seed's convention ends on 28/07/2026: ICO's 3 years from 01/12/2023 are cut.
        let m = mandate_dates_with_term(
            OperatorKind::Rao,
            true,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2023-12-01"),
            },
            Some(ActTerm::Years(3)),
            d("2026-07-28"),
        )
        .unwrap();
        assert_eq!(m.end, d("2026-07-28"));
        assert!(m.capped_by_convention);
        let m = mandate_dates_with_term(
            OperatorKind::Rao,
            true,
            false,
            MandateBasis::Appointment {
                protocol_date: d("2023-12-01"),
            },
            Some(ActTerm::Until(d("2030-01-01"))),
            d("2026-07-28"),
        )
        .unwrap();
        assert_eq!(m.end, d("2026-07-28"));
        assert!(m.capped_by_convention);
    }

    #[test]
    fn an_act_term_is_refused_when_it_makes_no_sense() {
        let basis = MandateBasis::Appointment {
            protocol_date: d("2022-12-01"),
        };
        assert_eq!(
            ActTerm::from_fields(Some(3), Some(d("2025-12-01"))),
            Err(MandateError::TermTwice)
        );
        assert_eq!(
            ActTerm::from_fields(Some(0), None),
            Err(MandateError::TermYears)
        );
        assert_eq!(ActTerm::from_fields(None, None), Ok(None));
        assert!(matches!(
            mandate_dates_with_term(
                OperatorKind::Rao,
                true,
                false,
                basis,
                Some(ActTerm::Until(d("2022-12-01"))),
                d(FAR)
            ),
            Err(MandateError::TermEndBeforeStart { .. })
        ));
    }

    #[test]
    fn only_an_organisation_rao_mandate_is_for_remote_issuance() {
        let remote = MandateAct {
            term: Some(ActTerm::Years(5)),
            remote_issuance: true,
        };
        assert_eq!(remote.check(OperatorKind::Rao, true), Ok(()));
        for (kind, org) in [
            (OperatorKind::Rao, false),
            (OperatorKind::Odr, true),
            (OperatorKind::Ir, false),
        ] {
            assert_eq!(
                remote.check(kind, org),
                Err(MandateError::RemoteOnlyForRaoOrganisation)
            );
        }
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
