//! Time is injected: a [`Clock`] is passed in, so deadlines (24 hours to rectify, mandate
//! ends, course validity) are tested without sleeping. Instants are UTC; business dates are
//! computed in Europe/Rome.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use chrono_tz::Tz;
use std::sync::{Arc, Mutex};

/// The source of "now" for the whole application.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

impl Clock {
    /// The real wall clock.
    pub fn system() -> Self {
        Self(Arc::new(Utc::now))
    }

    /// A clock tests can move; returns the clock and its control handle.
    pub fn manual(start: DateTime<Utc>) -> (Self, ManualClock) {
        let cell = Arc::new(Mutex::new(start));
        let read = cell.clone();
        let clock = Self(Arc::new(move || match read.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }));
        (clock, ManualClock(cell))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }

    /// Today's date in Italy (Europe/Rome), the date every business rule speaks of.
    pub fn today(&self) -> NaiveDate {
        italian_day(self.now())
    }
}

/// The civil time in Italy of an instant.
pub fn in_italy(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&Rome)
}

/// The instant of a civil time in Italy; `None` for a time the clocks skip in spring.
pub fn italian_instant(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    Rome.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The instant a business day starts in Italy.
pub fn start_of_italian_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_time(NaiveTime::MIN);
    italian_instant(midnight).unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// The Italian calendar day of an instant (the day a business rule speaks of).
pub fn italian_day(t: DateTime<Utc>) -> NaiveDate {
    in_italy(t).date_naive()
}

/// Control handle of a manual clock.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn set(&self, t: DateTime<Utc>) {
        match self.0.lock() {
            Ok(mut g) => *g = t,
            Err(poisoned) => *poisoned.into_inner() = t,
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        match self.0.lock() {
            Ok(mut g) => *g += by,
            Err(poisoned) => *poisoned.into_inner() += by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_the_italian_date() {
        // 23:30 UTC on 31 Dec is already 1 Jan in Rome.
        let (clock, _) = Clock::manual(Utc.with_ymd_and_hms(2025, 12, 31, 23, 30, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let (clock, handle) = Clock::manual(start);
        assert_eq!(clock.now(), start);
        handle.advance(chrono::Duration::hours(24));
        assert_eq!(clock.now(), start + chrono::Duration::hours(24));
    }
}
