//! Failed-attempt throttles kept in the database, so that every instance behind a load
//! balancer shares them.
//!
//! An attempt is counted **before** the costly check it guards (Argon2 for a password or a
//! security code) with one atomic upsert that returns the new count, so parallel requests
//! cannot all slip past a limit read before any of them wrote: the `n`-th attempt of a window
//! sees `n`. An attempt that succeeds is given back ([`give_back`]) or the subject forgotten
//! ([`clear`]), so only failures stay counted. Windows are fixed: the first attempt after a
//! window ends starts a new one. Password recovery requests are counted the same way and
//! never given back: each one sends an e-mail. Second-screen pairing codes are counted per
//! client address like logins.

use crate::db::{self, Db, Engine};
use chrono::{DateTime, Duration, Utc};

/// What is throttled; each scope has its own limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Logins to one e-mail address (known or not: the same limit for both, so the answer
    /// says nothing about whether an account exists).
    LoginAccount,
    /// Logins from one client address.
    LoginAddress,
    /// Public verifications of one certificate number from one client address.
    VerifyNumber,
    /// Public verifications from one client address, whatever the number.
    VerifyAddress,
    /// Password recovery requests for one e-mail address (known or not, like logins).
    ResetAccount,
    /// Password recovery requests from one client address.
    ResetAddress,
    /// Second-screen pairing codes from one client address (a six-digit code is guessable
    /// only by many tries).
    PairAddress,
}

/// At most `attempts` counted attempts per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub attempts: i64,
    pub window: Duration,
}

impl Scope {
    /// Every scope, in the order `/metrics` lists them.
    pub const ALL: [Scope; 6] = [
        Scope::LoginAccount,
        Scope::LoginAddress,
        Scope::VerifyNumber,
        Scope::VerifyAddress,
        Scope::ResetAccount,
        Scope::ResetAddress,
    ];

    /// The scope's stored name (also its `/metrics` label).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::LoginAccount => "login_account",
            Scope::LoginAddress => "login_address",
            Scope::VerifyNumber => "verify_number",
            Scope::VerifyAddress => "verify_address",
            Scope::ResetAccount => "reset_account",
            Scope::ResetAddress => "reset_address",
            Scope::PairAddress => "pair_address",
        }
    }

    /// The limit of the scope. An account admits as many attempts as the failures that
    /// lock it; an address (an office behind one NAT has many users) more.
    pub fn limit(self) -> Limit {
        let quarter = Duration::minutes(15);
        match self {
            Scope::LoginAccount => Limit {
                attempts: crate::accounts::MAX_FAILED_LOGINS,
                window: Duration::minutes(crate::accounts::LOCK_MINUTES),
            },
            Scope::LoginAddress => Limit {
                attempts: 30,
                window: quarter,
            },
            Scope::VerifyNumber => Limit {
                attempts: 20,
                window: quarter,
            },
            Scope::VerifyAddress => Limit {
                attempts: 200,
                window: quarter,
            },
            // A person who lost the first e-mail asks again; more is someone else's doing.
            Scope::ResetAccount => Limit {
                attempts: 3,
                window: Duration::hours(1),
            },
            Scope::ResetAddress => Limit {
                attempts: 20,
                window: quarter,
            },
            Scope::PairAddress => Limit {
                attempts: crate::issuance::finish::PAIRING_FAILURES,
                window: quarter,
            },
        }
    }
}

/// Counts one attempt of `subject` in `scope` and says whether it is within the limit. The
/// count and the decision come from the same atomic statement.
pub async fn take(
    db: &Db,
    now: DateTime<Utc>,
    scope: Scope,
    subject: &str,
) -> Result<bool, sqlx::Error> {
    Ok(take_each(db, now, &[(scope, subject)])
        .await?
        .first()
        .is_some_and(|within| *within))
}

/// Counts one attempt of each (scope, subject) in one statement and says, for each, whether
/// it is within its scope's limit. The pairs must differ (a statement writes a row once).
/// The write is relaxed ([`relaxed`]): a counter is not worth a disk flush per request (on
/// PostgreSQL that flush was most of a public verification's time, issue 14), and a crash
/// forgets at most the attempts of its last fraction of a second.
pub async fn take_each(
    db: &Db,
    now: DateTime<Utc>,
    subjects: &[(Scope, &str)],
) -> Result<Vec<bool>, sqlx::Error> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    // `$1` is now; each subject has three marks from `$2`: its scope, its subject, and the
    // instant at or before which its scope's window has ended (windows differ by scope).
    let mark = |i: usize, k: usize| format!("${}", 2 + 3 * i + k);
    let values = (0..subjects.len())
        .map(|i| format!("({}, {}, $1, 1)", mark(i, 0), mark(i, 1)))
        .collect::<Vec<_>>()
        .join(", ");
    let ended = format!(
        "throttles.window_start <= CASE throttles.scope {} END",
        (0..subjects.len())
            .map(|i| format!("WHEN {} THEN {}", mark(i, 0), mark(i, 2)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let sql = format!(
        "INSERT INTO throttles (scope, subject, window_start, attempts) VALUES {values} \
         ON CONFLICT (scope, subject) DO UPDATE SET \
           attempts = CASE WHEN {ended} THEN 1 ELSE throttles.attempts + 1 END, \
           window_start = CASE WHEN {ended} THEN $1 ELSE throttles.window_start END \
         RETURNING scope, subject, attempts"
    );
    let mut q =
        sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql)).bind(db::instant(now));
    for (scope, subject) in subjects {
        q = q
            .bind(scope.as_str())
            .bind(*subject)
            .bind(db::instant(now - scope.limit().window));
    }
    let counted = relaxed(db, q).await?;
    Ok(subjects
        .iter()
        .map(|(scope, subject)| {
            counted
                .iter()
                .find(|(s, n, _)| s == scope.as_str() && n == subject)
                .is_some_and(|(_, _, attempts)| *attempts <= scope.limit().attempts)
        })
        .collect())
}

/// Runs one statement that writes counters, relaxed: on PostgreSQL in a transaction whose
/// commit does not wait for the disk flush ([`Db::begin_relaxed`]); on SQLite on its own,
/// a statement being its own transaction there (and the write-ahead log not flushed per
/// commit).
async fn relaxed<O>(
    db: &Db,
    q: sqlx::query::QueryAs<'_, sqlx::Any, O, sqlx::any::AnyArguments>,
) -> Result<Vec<O>, sqlx::Error>
where
    O: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    match db.engine() {
        Engine::Sqlite => q.fetch_all(db.pool()).await,
        Engine::Postgres => {
            let mut tx = db.begin_relaxed().await?;
            let rows = q.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(rows)
        }
    }
}

/// How many subjects of `scope` are over its limit now (their window still running), for
/// `/metrics`: a range of the `throttles_scope_window` index.
pub async fn tripped(db: &Db, now: DateTime<Utc>, scope: Scope) -> Result<i64, sqlx::Error> {
    let limit = scope.limit();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM throttles WHERE scope = $1 AND window_start > $2 AND attempts > $3",
    )
    .bind(scope.as_str())
    .bind(db::instant(now - limit.window))
    .bind(limit.attempts)
    .fetch_one(db.pool())
    .await
}

/// Gives back an attempt that succeeded.
pub async fn give_back(db: &Db, scope: Scope, subject: &str) -> Result<(), sqlx::Error> {
    give_back_each(db, &[(scope, subject)]).await
}

/// Gives back one attempt of each (scope, subject), relaxed like [`take_each`].
///
/// On PostgreSQL the rows are updated one statement each, in the order given, in one
/// relaxed transaction: the order [`take_each`] locked them in. One `UPDATE … WHERE (…) OR
/// (…)` locks them in the order its plan reads them, so a give-back and a take of the same
/// two rows (a client address's verifications at once) could each hold the row the other
/// waits for: PostgreSQL found that deadlock under 12 concurrent verifications from one
/// address. On SQLite, with one writer at a time, it stays one statement.
pub async fn give_back_each(db: &Db, subjects: &[(Scope, &str)]) -> Result<(), sqlx::Error> {
    if subjects.is_empty() {
        return Ok(());
    }
    match db.engine() {
        Engine::Sqlite => {
            let pairs = (0..subjects.len())
                .map(|i| format!("(scope = ${} AND subject = ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!(
                "UPDATE throttles SET attempts = attempts - 1 WHERE attempts > 0 AND ({pairs})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (scope, subject) in subjects {
                q = q.bind(scope.as_str()).bind(*subject);
            }
            q.execute(db.pool()).await?;
        }
        Engine::Postgres => {
            let mut tx = db.begin_relaxed().await?;
            for (scope, subject) in subjects {
                sqlx::query(
                    "UPDATE throttles SET attempts = attempts - 1 \
                     WHERE scope = $1 AND subject = $2 AND attempts > 0",
                )
                .bind(scope.as_str())
                .bind(*subject)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Forgets every attempt of `subject` (an account after a successful login).
pub async fn clear(db: &Db, scope: Scope, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttles WHERE scope = $1 AND subject = $2")
        .bind(scope.as_str())
        .bind(subject)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Removes windows that ended more than a day ago (the daily purge job).
pub async fn purge(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM throttles WHERE window_start <= $1")
            .bind(db::instant(now - Duration::days(1)))
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}
