//! How values are written for people, in both languages of the interface: dates as
//! `06/12/2026`, times as Italian civil time (`06/12/2026 16:58`). Money has its own
//! [`crate::money::Money::to_italian`].

use crate::clock::in_italy;
use chrono::{DateTime, NaiveDate, Utc};

/// A calendar date: `06/12/2026`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An instant as a date and time in Italy: `06/12/2026 16:58`.
pub fn date_time(t: DateTime<Utc>) -> String {
    in_italy(t).format("%d/%m/%Y %H:%M").to_string()
}

/// An instant as the time of day in Italy: `16:58`.
pub fn time(t: DateTime<Utc>) -> String {
    in_italy(t).format("%H:%M").to_string()
}

/// A stored instant (RFC 3339 text) as [`date_time`]; any other text is returned as it is.
pub fn stored_instant(instant: &str) -> String {
    match DateTime::parse_from_rfc3339(instant) {
        Ok(t) => date_time(t.with_timezone(&Utc)),
        Err(_) => instant.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_read_day_month_year() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
        assert_eq!(date(d), "06/12/2026");
    }

    #[test]
    fn times_are_italian_civil_time_across_daylight_saving() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 6, 15, 58, 0).unwrap();
        assert_eq!(date_time(winter), "06/12/2026 16:58");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 22, 30, 0).unwrap();
        assert_eq!(date_time(summer), "02/07/2026 00:30");
        assert_eq!(time(summer), "00:30");
        assert_eq!(
            stored_instant("2026-12-06T15:58:00.000000Z"),
            "06/12/2026 16:58"
        );
        assert_eq!(stored_instant("not a date"), "not a date");
    }
}
