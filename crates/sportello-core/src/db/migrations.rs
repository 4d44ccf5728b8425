//! The migrations of `migrations/`, one portable text per migration, as an sqlx migrator per
//! engine. SQLite runs the text as written; PostgreSQL runs the text [`dialect::postgres_sql`]
//! derives from it. The bookkeeping (`_sqlx_migrations`: order, checksums, no re-run) is
//! sqlx's own.

use super::{Engine, dialect};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyConnection, AssertSqlSafe, SqlSafeStr};
use std::borrow::Cow;
use std::sync::LazyLock;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The text a migration runs on `engine`.
fn sql(engine: Engine, portable: &'static str) -> Cow<'static, str> {
    match engine {
        Engine::Sqlite => Cow::Borrowed(portable),
        // The build script refused every migration this could fail on.
        Engine::Postgres => {
            Cow::Owned(dialect::postgres_sql(portable).unwrap_or_else(|e| panic!("migration: {e}")))
        }
    }
}

fn migrator_for(engine: Engine) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, portable)| {
                let sql = sql(engine, portable);
                // Same as sqlx's own folder source.
                let no_tx = sql.starts_with("-- no-transaction");
                let sql = match sql {
                    Cow::Borrowed(s) => AssertSqlSafe(s).into_sql_str(),
                    Cow::Owned(s) => AssertSqlSafe(s).into_sql_str(),
                };
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql,
                    no_tx,
                )
            })
            .collect(),
    )
}

static SQLITE: LazyLock<Migrator> = LazyLock::new(|| migrator_for(Engine::Sqlite));
static POSTGRES: LazyLock<Migrator> = LazyLock::new(|| migrator_for(Engine::Postgres));

/// The migrator of `engine`.
pub fn migrator(engine: Engine) -> &'static Migrator {
    match engine {
        Engine::Sqlite => &SQLITE,
        Engine::Postgres => &POSTGRES,
    }
}

/// The version of the last migration this build knows: the schema version it runs on.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The version of the last migration applied to the database of `conn`; `None` when none is.
pub async fn applied_version(conn: &mut AnyConnection) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await
}

/// Checksums (SHA-384) that PostgreSQL databases recorded for two migrations when each engine
/// had its own folder: their first comment line then said "(PostgreSQL)". Nothing else
/// differed from today's derived text (a unit test below shows it).
pub const LEGACY_POSTGRES_CHECKSUMS: [(i64, &str); 2] = [
    (
        1,
        "6fcf2890bf677795d873c5f4c5e2d97a90dc49c4c1a7cebac0d571e61c1de5b57495464cd84fc23dc21c5a91d85b4a69",
    ),
    (
        4,
        "50b00ff42dfde78b8c8762006582ffe31304caa1696aac862fe3b0f2f48e4414dbb9b3bd8e2acdd134cff98c76e3b480",
    ),
];

/// Replaces, in a PostgreSQL database migrated from the old per-engine folder, the two
/// legacy checksums of [`LEGACY_POSTGRES_CHECKSUMS`] with today's, and only where the
/// recorded checksum is exactly the legacy one. Any other mismatch is left for sqlx to
/// refuse. Returns how many rows were updated.
pub async fn adopt_legacy_postgres_checksums(
    conn: &mut AnyConnection,
) -> Result<u64, MigrateError> {
    let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(0);
    }
    let mut updated = 0;
    for (version, legacy) in LEGACY_POSTGRES_CHECKSUMS {
        let legacy = hex::decode(legacy).map_err(|e| MigrateError::Source(Box::new(e)))?;
        let Some(current) = migrator(Engine::Postgres)
            .iter()
            .find(|m| m.version == version)
        else {
            continue;
        };
        updated += sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2 AND checksum = $3",
        )
        .bind(current.checksum.to_vec())
        .bind(version)
        .bind(legacy)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha384};

    fn checksum(sql: &str) -> String {
        hex::encode(Sha384::digest(sql))
    }

    fn find(engine: Engine, version: i64) -> &'static Migration {
        migrator(engine)
            .iter()
            .find(|m| m.version == version)
            .expect("migration")
    }

    #[test]
    fn migrations_are_in_order_and_named_as_sqlx_names_them() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(MIGRATIONS[0].0, 1);
        assert_eq!(MIGRATIONS[0].1, "foundation");
        assert!(MIGRATIONS.iter().any(|m| m.1 == "trust anchors"));
        for engine in [Engine::Sqlite, Engine::Postgres] {
            assert_eq!(migrator(engine).iter().count(), MIGRATIONS.len());
        }
    }

    #[test]
    fn sqlite_runs_the_text_as_written_and_postgres_only_maps_blob() {
        for &(version, _, portable) in MIGRATIONS {
            let sqlite = find(Engine::Sqlite, version);
            let postgres = find(Engine::Postgres, version);
            assert_eq!(sqlite.sql.as_str(), portable);
            assert_eq!(hex::encode(&*sqlite.checksum), checksum(portable));
            assert_eq!(
                postgres.sql.as_str().replace("BYTEA", "BLOB"),
                portable,
                "migration {version}"
            );
        }
    }

    #[test]
    fn the_legacy_checksums_are_those_of_the_old_postgres_header_lines() {
        let old_headers = [
            (1, "-- Foundation:", "-- Foundation (PostgreSQL):"),
            (
                4,
                "-- Foreign-trade documents, company side:",
                "-- Foreign-trade documents, company side (PostgreSQL):",
            ),
        ];
        for ((version, legacy), (v, new_header, old_header)) in
            LEGACY_POSTGRES_CHECKSUMS.into_iter().zip(old_headers)
        {
            assert_eq!(version, v);
            let derived = find(Engine::Postgres, version).sql.as_str();
            assert!(derived.starts_with(new_header));
            let old = derived.replacen(new_header, old_header, 1);
            assert_eq!(checksum(&old), legacy);
            assert_ne!(
                hex::encode(&*find(Engine::Postgres, version).checksum),
                legacy
            );
        }
    }
}
