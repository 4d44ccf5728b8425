//! sqlx's migration bookkeeping (`_sqlx_migrations`) on the inline driver, with the same
//! table as sqlx's SQLite driver, so a database migrated by either driver is read alike by the
//! other. One difference in the statements: sqlx inserts a migration's row with an execution
//! time of -1 and updates it after the commit; here the row is inserted once, with the time
//! its statements took (the commit not counted).

use super::{Done, InlineConnection, Op};
use futures::future::BoxFuture;
use sqlx::Either;
use sqlx::Error;
use sqlx::Row;
use sqlx::migrate::{AppliedMigration, Migrate, MigrateError, Migration};
use sqlx_core::any::{AnyRow, AnyValueKind};
use sqlx_core::sql_str::{AssertSqlSafe, SqlSafeStr};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl InlineConnection {
    /// Runs `sql` (one statement or a script) and returns its rows.
    async fn rows(&mut self, sql: String, args: Vec<AnyValueKind>) -> Result<Vec<AnyRow>, Error> {
        let done = self
            .run(Op::Fetch {
                sql: AssertSqlSafe(sql).into_sql_str(),
                persistent: false,
                args,
                first_only: false,
            })
            .await?;
        Ok(match done {
            Done::Results(items) => items.into_iter().filter_map(Either::right).collect(),
            Done::Unit => Vec::new(),
        })
    }

    /// The row of an applied migration, with the time its statements took.
    async fn record(
        &mut self,
        table: &str,
        migration: &Migration,
        elapsed: Duration,
    ) -> Result<(), Error> {
        self.rows(
            format!(
                "INSERT INTO {table} ( version, description, success, checksum, execution_time ) \
                 VALUES ( ?1, ?2, TRUE, ?3, ?4 )"
            ),
            vec![
                AnyValueKind::BigInt(migration.version),
                AnyValueKind::Text(Arc::new(migration.description.to_string())),
                AnyValueKind::Blob(Arc::new(migration.checksum.to_vec())),
                AnyValueKind::BigInt(i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX)),
            ],
        )
        .await
        .map(|_| ())
    }

    /// Runs `work` in a transaction unless the migration asks for none.
    async fn in_tx(
        &mut self,
        migration: &Migration,
        table: &str,
        revert: bool,
    ) -> Result<(), MigrateError> {
        let tx = !migration.no_tx;
        if tx {
            self.run(Op::Begin(None)).await?;
        }
        let result = async {
            let start = Instant::now();
            self.rows(migration.sql.as_str().to_owned(), Vec::new())
                .await
                .map_err(|e| MigrateError::ExecuteMigration(e, migration.version))?;
            let elapsed = start.elapsed();
            if revert {
                self.rows(
                    format!("DELETE FROM {table} WHERE version = ?1"),
                    vec![AnyValueKind::BigInt(migration.version)],
                )
                .await?;
            } else {
                self.record(table, migration, elapsed).await?;
            }
            Ok::<(), MigrateError>(())
        }
        .await;
        if tx {
            match &result {
                Ok(()) => {
                    self.run(Op::Commit).await?;
                }
                Err(_) => {
                    self.run(Op::Rollback).await?;
                }
            }
        }
        result
    }
}

impl Migrate for InlineConnection {
    fn create_schema_if_not_exists<'e>(
        &'e mut self,
        schema_name: &'e str,
    ) -> BoxFuture<'e, Result<(), MigrateError>> {
        Box::pin(async move {
            let rows = self
                .rows(format!("PRAGMA {schema_name}.schema_version"), Vec::new())
                .await?;
            if rows.is_empty() {
                return Err(MigrateError::CreateSchemasNotSupported(format!(
                    "cannot create new schema {schema_name}; SQLite needs another database file attached"
                )));
            }
            Ok(())
        })
    }

    fn ensure_migrations_table<'e>(
        &'e mut self,
        table_name: &'e str,
    ) -> BoxFuture<'e, Result<(), MigrateError>> {
        Box::pin(async move {
            self.rows(
                format!(
                    "CREATE TABLE IF NOT EXISTS {table_name} (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)"
                ),
                Vec::new(),
            )
            .await?;
            Ok(())
        })
    }

    fn dirty_version<'e>(
        &'e mut self,
        table_name: &'e str,
    ) -> BoxFuture<'e, Result<Option<i64>, MigrateError>> {
        Box::pin(async move {
            let rows = self
                .rows(
                    format!(
                        "SELECT version FROM {table_name} WHERE success = false ORDER BY version LIMIT 1"
                    ),
                    Vec::new(),
                )
                .await?;
            match rows.first() {
                Some(row) => Ok(Some(row.try_get::<i64, _>(0)?)),
                None => Ok(None),
            }
        })
    }

    fn list_applied_migrations<'e>(
        &'e mut self,
        table_name: &'e str,
    ) -> BoxFuture<'e, Result<Vec<AppliedMigration>, MigrateError>> {
        Box::pin(async move {
            let rows = self
                .rows(
                    format!("SELECT version, checksum FROM {table_name} ORDER BY version"),
                    Vec::new(),
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(AppliedMigration {
                        version: row.try_get(0)?,
                        checksum: row.try_get::<Vec<u8>, _>(1)?.into(),
                    })
                })
                .collect::<Result<_, Error>>()
                .map_err(MigrateError::from)
        })
    }

    fn lock(&mut self) -> BoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(async { Ok(()) })
    }

    fn unlock(&mut self) -> BoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(async { Ok(()) })
    }

    fn apply<'e>(
        &'e mut self,
        table_name: &'e str,
        migration: &'e Migration,
    ) -> BoxFuture<'e, Result<Duration, MigrateError>> {
        Box::pin(async move {
            let start = Instant::now();
            self.in_tx(migration, table_name, false).await?;
            Ok(start.elapsed())
        })
    }

    fn revert<'e>(
        &'e mut self,
        table_name: &'e str,
        migration: &'e Migration,
    ) -> BoxFuture<'e, Result<Duration, MigrateError>> {
        Box::pin(async move {
            let start = Instant::now();
            self.in_tx(migration, table_name, true).await?;
            Ok(start.elapsed())
        })
    }
}
