//! The id of the request a piece of work belongs to, carried from the request that started it
//! to the jobs and e-mails it enqueued and to the worker that runs them, on any instance.
//!
//! The shell runs each request inside [`scope`]; [`crate::jobs::enqueue`] and
//! [`crate::notify::queue`] store [`current`] with the row, and the worker runs each job inside
//! the scope of the id stored with it, so its log lines and whatever it enqueues in turn carry
//! the same `request_id`.

use std::future::Future;

tokio::task_local! {
    static CURRENT: String;
}

/// The longest id accepted from a proxy.
const MAX_LEN: usize = 64;

/// Runs `work` as part of request `id`.
pub async fn scope<F: Future>(id: String, work: F) -> F::Output {
    CURRENT.scope(id, work).await
}

/// Runs `work` as part of request `id` when there is one, else as it is.
pub async fn maybe_scope<F: Future>(id: Option<String>, work: F) -> F::Output {
    match id {
        Some(id) => scope(id, work).await,
        None => work.await,
    }
}

/// The id of the request being served (or whose job is running), if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// A new id: a UUID v7, so ids sort by time.
pub fn generate() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether an id received from a proxy may be used as it is: 1 to 64 characters, letters,
/// digits, `-`, `_` and `.` only (a UUID, nginx's `$request_id`), so it cannot forge a log line
/// or a header.
pub fn well_formed(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_request_id_is_used_only_when_short_and_plain() {
        assert!(well_formed("0193a4f2-7b1c-7d3e-9f00-123456789abc"));
        assert!(well_formed("f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8"));
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(65)));
        assert!(!well_formed("abc def"));
        assert!(!well_formed("abc\"}\n{\"level\":\"ERROR\""));
        assert!(!well_formed("àbc"));
    }

    #[tokio::test]
    async fn the_request_id_is_current_inside_its_scope_only() {
        assert_eq!(current(), None);
        let inside = scope("r-1".into(), async { current() }).await;
        assert_eq!(inside.as_deref(), Some("r-1"));
        assert_eq!(maybe_scope(None, async { current() }).await, None);
        assert_eq!(current(), None);
    }
}
