//! What tables and columns a database has, so a test can check that both engines'
//! migrations end with the same schema.

use crate::db::{Db, Engine};
use std::collections::BTreeMap;

/// Table name → sorted column names, without the migration bookkeeping table.
pub async fn tables_and_columns(db: &Db) -> Result<BTreeMap<String, Vec<String>>, sqlx::Error> {
    let rows: Vec<(String, String)> = match db.engine() {
        Engine::Sqlite => {
            sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(db.pool())
            .await?
        }
        Engine::Postgres => {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema()",
            )
            .fetch_all(db.pool())
            .await?
        }
    };
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        if table == "_sqlx_migrations" {
            continue;
        }
        map.entry(table).or_default().push(column);
    }
    for columns in map.values_mut() {
        columns.sort();
    }
    Ok(map)
}
