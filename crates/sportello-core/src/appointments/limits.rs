//! Limits on the public booking form (nothing stopped one client from filling a
//! desk's week or sending the chamber's e-mail to any address). Requests are counted per
//! client address and per e-mail address in fixed windows, in the database, so every instance
//! of the application shares the count.

use crate::db::{self, Tx};
use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;

/// At most `max` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_minutes: i64,
}

/// Booking requests from one client address: enough for a family or an office behind one
/// address correcting a few typos, not for filling a desk's week.
pub const PER_ADDRESS: Limit = Limit {
    max: 20,
    window_minutes: 60,
};

/// Bookings asked for one e-mail address (each sends it the chamber's e-mail): a person books
/// once, maybe again after a mistake; no more.
pub const PER_EMAIL: Limit = Limit {
    max: 3,
    window_minutes: 24 * 60,
};

/// The counter of a client address. IPv6 clients are counted per /64, the block one
/// subscriber usually holds, so changing the last bits of the address gains nothing.
pub fn address_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The counter of an e-mail address (already normalised).
pub fn email_bucket(email: &str) -> String {
    format!("email:{email}")
}

/// The row that serialises the bookings of one applicant for one service (see
/// `booking::book`); it also counts them.
pub fn applicant_bucket(chamber_id: &str, tax_code: &str, service: &str) -> String {
    format!("applicant:{chamber_id}:{tax_code}:{service}")
}

/// Counts one request on `bucket` inside `tx` and returns whether it is within `limit`. A
/// window that has ended starts again at 1. The upsert locks the row until `tx` ends, so
/// concurrent requests on one bucket are counted one after the other on both engines.
pub async fn hit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    bucket: &str,
    limit: Limit,
) -> Result<bool, sqlx::Error> {
    let ended = db::instant(now - Duration::minutes(limit.window_minutes));
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO appt_booking_counters (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
         hits = CASE WHEN appt_booking_counters.window_start <= $3 THEN 1 \
                ELSE appt_booking_counters.hits + 1 END, \
         window_start = CASE WHEN appt_booking_counters.window_start <= $3 THEN $2 \
                ELSE appt_booking_counters.window_start END \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(db::instant(now))
    .bind(ended)
    .fetch_one(&mut **tx)
    .await?;
    Ok(hits <= limit.max)
}

/// Forgets counters whose window ended more than a day ago (the longest window is a day).
pub async fn purge(tx: &mut Tx, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM appt_booking_counters WHERE window_start < $1")
            .bind(db::instant(now - Duration::days(2)))
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_bucket(a), address_bucket(b));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_bucket(mapped), "addr:192.0.2.7");
    }
}
