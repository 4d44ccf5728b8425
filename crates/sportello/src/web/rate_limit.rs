//! A per-address limit on failed attempts (public certificate verification): after too many
//! failures in a window, the address is refused until the window ends. Kept in memory, per
//! instance: with several instances behind a load balancer the limit is per instance, which
//! still makes guessing a security code (about 49 bits) hopeless.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<IpAddr, (u32, Instant)>) -> T) -> T {
        match self.seen.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Whether `ip` may try now.
    pub fn allowed(&self, ip: IpAddr) -> bool {
        let window = self.window;
        let max = self.max_failures;
        self.with(|m| match m.get(&ip) {
            Some((n, since)) if since.elapsed() < window => *n < max,
            _ => true,
        })
    }

    /// Counts a failed attempt from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let window = self.window;
        self.with(|m| {
            // Forget stale entries now and then so the map stays small.
            if m.len() > 10_000 {
                m.retain(|_, (_, since)| since.elapsed() < window);
            }
            let entry = m.entry(ip).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= window {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        });
    }
}

impl Default for FailureLimiter {
    /// 20 failures per 15 minutes.
    fn default() -> Self {
        Self::new(20, Duration::from_secs(15 * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_too_many_failures_only() {
        let l = FailureLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.allowed(a));
            l.failed(a);
        }
        assert!(!l.allowed(a));
        assert!(l.allowed(b), "other addresses are not affected");
    }
}
