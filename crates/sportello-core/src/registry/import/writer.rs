//! Writer lanes: each owns a connection and writes the batches handed to it, one transaction
//! each. Rows go to a lane by their tax code, so all the rows of a company meet the same lane,
//! in file order, and lanes never touch the same company or site. SQLite has one writer at a
//! time, so one lane, on a connection of the pool, writing with [`batch`]; PostgreSQL takes
//! transactions side by side, one per connection: two lanes, each on a native connection of
//! its own, writing with [`copy`]. A first import on PostgreSQL (the registry tables empty)
//! takes neither: one task stages all the rows and loads them in one transaction
//! ([`FirstLoad`]).

use crate::db::{Db, Engine};
use crate::registry::import::batch::{self, Counts};
use crate::registry::import::copy;
use crate::registry::import::first::FirstLoad;
use crate::registry::import::rows::Row;
use crate::registry::import::session::{LaneConnection, Session};
use chrono::{DateTime, Utc};
use std::hash::{DefaultHasher, Hash, Hasher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Lanes on PostgreSQL. More would help a server with more cores, but each lane is also a
/// connection to the server for the whole run.
const POSTGRES_LANES: usize = 2;

/// The lanes of a run.
pub(super) struct Lanes {
    senders: Vec<mpsc::Sender<Vec<Row>>>,
    tasks: Vec<JoinHandle<(Counts, Option<sqlx::Error>)>>,
    /// A first import on PostgreSQL, which takes the rows instead of the lanes.
    first: Option<FirstLoad>,
}

impl Lanes {
    pub(super) async fn start(db: &Db, now: DateTime<Utc>) -> Result<Self, sqlx::Error> {
        let count = match db.engine() {
            Engine::Sqlite => 1,
            Engine::Postgres => POSTGRES_LANES,
        };
        let mut lanes = Self {
            senders: Vec::with_capacity(count),
            tasks: Vec::with_capacity(count),
            first: None,
        };
        if db.engine() == Engine::Postgres {
            lanes.first = FirstLoad::try_start(db, now).await;
            if lanes.first.is_some() {
                return Ok(lanes);
            }
        }
        for _ in 0..count {
            let mut conn = match db.connect_postgres().await {
                Some(conn) => LaneConnection::Postgres(conn?),
                None => LaneConnection::Sqlite(db.pool().acquire().await?),
            };
            let session = Session::start(&mut conn).await?;
            let (sender, receiver) = mpsc::channel(1);
            lanes.senders.push(sender);
            lanes.tasks.push(tokio::spawn(async move {
                let mut counts = Counts::default();
                let error = run(conn, now, receiver, session, &mut counts).await;
                (counts, error.err())
            }));
        }
        Ok(lanes)
    }

    /// Hands the rows of a chunk to their lanes. False when a lane has stopped (on an error,
    /// which [`Lanes::finish`] returns).
    pub(super) async fn send(&self, rows: Vec<Row>) -> bool {
        if let Some(first) = &self.first {
            return first.send(rows).await;
        }
        let count = self.senders.len();
        let mut groups: Vec<Vec<Row>> = (0..count).map(|_| Vec::new()).collect();
        if count == 1 {
            groups[0] = rows;
        } else {
            for row in rows {
                let mut hasher = DefaultHasher::new();
                row.company.tax_code.hash(&mut hasher);
                groups[(hasher.finish() % count as u64) as usize].push(row);
            }
        }
        for (sender, group) in self.senders.iter().zip(groups) {
            if !group.is_empty() && sender.send(group).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Waits for the lanes to write what they were given; the counts of the committed batches
    /// and the first error, if any. A first import commits only a `complete` run (the lanes
    /// have committed their batches already).
    pub(super) async fn finish(self, complete: bool) -> (Counts, Option<sqlx::Error>) {
        if let Some(first) = self.first {
            return first.finish(complete).await;
        }
        drop(self.senders);
        let mut total = Counts::default();
        let mut first_error = None;
        for task in self.tasks {
            match task.await {
                Ok((counts, error)) => {
                    total.add(&counts);
                    if let Some(e) = error {
                        first_error.get_or_insert(e);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(sqlx::Error::WorkerCrashed);
                    tracing::error!(error = %e, "a registry import lane panicked");
                }
            }
        }
        (total, first_error)
    }
}

async fn run(
    mut conn: LaneConnection,
    now: DateTime<Utc>,
    mut receiver: mpsc::Receiver<Vec<Row>>,
    session: Session,
    counts: &mut Counts,
) -> Result<(), sqlx::Error> {
    let mut result = Ok(());
    while let Some(rows) = receiver.recv().await {
        let written = match &mut conn {
            LaneConnection::Sqlite(conn) => batch::apply(conn, Engine::Sqlite, now, rows).await,
            LaneConnection::Postgres(conn) => copy::apply(conn, now, rows).await,
        };
        result = written.map(|c| counts.add(&c));
        if result.is_err() {
            break;
        }
    }
    session.finish(conn).await;
    result
}
