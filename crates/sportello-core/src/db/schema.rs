//! The live schema of a database, read from its engine's catalog and normalised so that the
//! schemas the migrations give on SQLite and PostgreSQL can be compared ([`Schema::diff`]).
//!
//! What is normalised, and nothing more: column types (`TEXT`/`text`, `BIGINT`/`INTEGER`/
//! `bigint`, `BLOB`/`bytea`); PostgreSQL's casts (`'x'::text`) and parentheses in defaults
//! and partial-index predicates, and its `= ANY (ARRAY[…])` for `IN (…)`; the names of
//! indexes backing a primary key or unique constraint (engine-made, so compared by columns).
//! CHECK constraints are compared by the columns they read and the literals they contain,
//! because PostgreSQL rewrites their text (`BETWEEN 1 AND 7` becomes `>= 1 AND <= 7`).

use crate::db::{Db, Engine};
use sqlx::AnyPool;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The tables of a database, without the migrations' bookkeeping table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// In table order.
    pub columns: Vec<Column>,
    /// In key order; empty without a primary key.
    pub primary_key: Vec<String>,
    /// Column lists of the UNIQUE constraints, sorted.
    pub uniques: Vec<Vec<String>>,
    /// Indexes created by `CREATE [UNIQUE] INDEX`, by name.
    pub indexes: BTreeMap<String, Index>,
    /// Sorted.
    pub foreign_keys: Vec<ForeignKey>,
    /// Sorted.
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// Whether the engine refuses NULL (see [`Schema::primary_keys_not_null`]).
    pub not_null: bool,
    /// The default, normalised ([`normalise_expr`]).
    pub default: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnType {
    Text,
    /// 64-bit integer: `BIGINT` (any integer type on SQLite), `bigint` on PostgreSQL.
    Integer,
    Blob,
    /// Anything else, as the engine names it.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// In index order; `name DESC` for a descending column, `<expression>` for an expression.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The `WHERE` of a partial index, normalised ([`normalise_expr`]).
    pub predicate: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL` or `SET DEFAULT`.
    pub on_delete: String,
    pub on_update: String,
}

/// A CHECK constraint by what it reads: its columns and its literals, both sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Check {
    pub columns: Vec<String>,
    pub literals: Vec<String>,
}

/// Reads the live schema of `db` (the current schema on PostgreSQL).
pub async fn read(db: &Db) -> Result<Schema, sqlx::Error> {
    let mut schema = match db.engine() {
        Engine::Sqlite => read_sqlite(db.pool()).await?,
        Engine::Postgres => read_postgres(db.pool()).await?,
    };
    schema.tables.remove("_sqlx_migrations");
    for table in schema.tables.values_mut() {
        table.uniques.sort();
        table.foreign_keys.sort();
        table.checks.sort();
    }
    Ok(schema)
}

/// One column of one table.
#[derive(sqlx::FromRow)]
struct ColumnRow {
    table_name: String,
    name: String,
    ty: String,
    /// 0 or 1 (the `Any` driver reads no SQLite boolean).
    not_null: i64,
    default_value: Option<String>,
}

/// One column of one index (SQLite), in index order.
#[derive(sqlx::FromRow)]
struct SqliteIndexRow {
    table_name: String,
    index_name: String,
    is_unique: i64,
    origin: String,
    is_partial: i64,
    column_name: Option<String>,
    is_desc: i64,
}

/// One column pair of one foreign key (SQLite), in key order.
#[derive(sqlx::FromRow)]
struct SqliteForeignKeyRow {
    table_name: String,
    id: i64,
    ref_table: String,
    column_name: String,
    ref_column: Option<String>,
    on_update: String,
    on_delete: String,
}

/// One column of one constraint (PostgreSQL), in key order; a CHECK reading no column has
/// one row without a column.
#[derive(sqlx::FromRow)]
struct PgConstraintRow {
    table_name: String,
    constraint_name: String,
    kind: String,
    column_name: Option<String>,
    ref_table: Option<String>,
    ref_column: Option<String>,
    on_delete: String,
    on_update: String,
    definition: String,
}

/// One column of one index (PostgreSQL), in index order.
#[derive(sqlx::FromRow)]
struct PgIndexRow {
    table_name: String,
    index_name: String,
    is_unique: bool,
    column_name: Option<String>,
    is_desc: i64,
    predicate: Option<String>,
}

fn column_type(ty: &str) -> ColumnType {
    match ty.to_ascii_lowercase().as_str() {
        "text" => ColumnType::Text,
        // SQLite: any integer type is 64 bits. PostgreSQL: `bigint` only.
        "bigint" | "int8" => ColumnType::Integer,
        "blob" | "bytea" => ColumnType::Blob,
        other => ColumnType::Other(other.to_string()),
    }
}

fn add_columns(schema: &mut Schema, rows: Vec<ColumnRow>) {
    for row in rows {
        schema
            .tables
            .entry(row.table_name)
            .or_default()
            .columns
            .push(Column {
                name: row.name,
                ty: column_type(&row.ty),
                not_null: row.not_null != 0,
                default: row.default_value.as_deref().map(normalise_expr),
            });
    }
}

async fn read_sqlite(pool: &AnyPool) -> Result<Schema, sqlx::Error> {
    let mut schema = Schema::default();
    // SQLite's integer types all store 64 bits; `INTEGER` is read as `BIGINT`.
    let columns: Vec<ColumnRow> = sqlx::query_as(
        "SELECT m.name AS table_name, p.name AS name, \
                CASE WHEN upper(p.type) IN ('INTEGER', 'INT') THEN 'BIGINT' ELSE p.type END \
                    AS ty, \
                p.\"notnull\" AS not_null, p.dflt_value AS default_value \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
    )
    .fetch_all(pool)
    .await?;
    add_columns(&mut schema, columns);

    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk > 0 \
         ORDER BY m.name, p.pk",
    )
    .fetch_all(pool)
    .await?;
    for (table, column) in keys {
        schema
            .tables
            .entry(table)
            .or_default()
            .primary_key
            .push(column);
    }

    // SQLite has no catalog of CHECK constraints: they are read from the table's statement.
    let statements: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(pool)
    .await?;
    for (name, sql) in statements {
        let table = schema.tables.entry(name).or_default();
        table.checks = check_clauses(&sql, &table.column_names());
    }

    let index_sql: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let rows: Vec<SqliteIndexRow> = sqlx::query_as(
        "SELECT m.name AS table_name, l.name AS index_name, l.\"unique\" AS is_unique, \
                l.origin AS origin, l.partial AS is_partial, x.name AS column_name, \
                x.\"desc\" AS is_desc \
         FROM sqlite_master m JOIN pragma_index_list(m.name) l \
         JOIN pragma_index_xinfo(l.name) x \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND x.\"key\" = 1 \
         ORDER BY m.name, l.name, x.seqno",
    )
    .fetch_all(pool)
    .await?;
    // Grouped by (table, index): origin `pk` (the primary key), `u` (a UNIQUE constraint) or
    // `c` (CREATE INDEX), and the index.
    let mut indexes: BTreeMap<(String, String), (String, Index)> = BTreeMap::new();
    for row in rows {
        let (_, index) = indexes
            .entry((row.table_name, row.index_name.clone()))
            .or_insert_with(|| {
                let predicate = if row.is_partial != 0 {
                    index_sql
                        .get(&row.index_name)
                        .and_then(|sql| where_clause(sql))
                } else {
                    None
                };
                let index = Index {
                    columns: Vec::new(),
                    unique: row.is_unique != 0,
                    predicate,
                };
                (row.origin, index)
            });
        index
            .columns
            .push(index_column(row.column_name, row.is_desc != 0));
    }
    for ((table, name), (origin, index)) in indexes {
        let table = schema.tables.entry(table).or_default();
        match origin.as_str() {
            "pk" => {}
            "u" => table.uniques.push(index.columns),
            _ => {
                table.indexes.insert(name, index);
            }
        }
    }

    let rows: Vec<SqliteForeignKeyRow> = sqlx::query_as(
        "SELECT m.name AS table_name, f.id AS id, f.\"table\" AS ref_table, \
                f.\"from\" AS column_name, f.\"to\" AS ref_column, f.on_update AS on_update, \
                f.on_delete AS on_delete \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
         ORDER BY m.name, f.id, f.seq",
    )
    .fetch_all(pool)
    .await?;
    let mut grouped: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    for row in rows {
        let fk = grouped
            .entry((row.table_name, row.id))
            .or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                ref_table: row.ref_table,
                ref_columns: Vec::new(),
                on_delete: row.on_delete.to_ascii_uppercase(),
                on_update: row.on_update.to_ascii_uppercase(),
            });
        fk.columns.push(row.column_name);
        // A REFERENCES without columns means the referenced table's primary key.
        fk.ref_columns.extend(row.ref_column);
    }
    for ((table, _), mut fk) in grouped {
        if fk.ref_columns.is_empty()
            && let Some(target) = schema.tables.get(&fk.ref_table)
        {
            fk.ref_columns = target.primary_key.clone();
        }
        schema
            .tables
            .entry(table)
            .or_default()
            .foreign_keys
            .push(fk);
    }
    Ok(schema)
}

async fn read_postgres(pool: &AnyPool) -> Result<Schema, sqlx::Error> {
    let mut schema = Schema::default();
    let columns: Vec<ColumnRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, a.attname::text AS name, \
                format_type(a.atttypid, a.atttypmod) AS ty, \
                CAST(CASE WHEN a.attnotnull THEN 1 ELSE 0 END AS BIGINT) AS not_null, \
                pg_get_expr(d.adbin, d.adrelid) AS default_value \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
         ORDER BY c.relname, a.attnum",
    )
    .fetch_all(pool)
    .await?;
    add_columns(&mut schema, columns);

    let rows: Vec<PgConstraintRow> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, k.conname::text AS constraint_name, \
                k.contype::text AS kind, a.attname::text AS column_name, \
                ft.relname::text AS ref_table, fa.attname::text AS ref_column, \
                k.confdeltype::text AS on_delete, k.confupdtype::text AS on_update, \
                pg_get_constraintdef(k.oid) AS definition \
         FROM pg_constraint k \
         JOIN pg_class t ON t.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(attnum, fattnum, ord) \
              ON true \
         LEFT JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum \
         LEFT JOIN pg_class ft ON ft.oid = k.confrelid \
         LEFT JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = u.fattnum \
         WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'f', 'c') \
         ORDER BY t.relname, k.conname, u.ord",
    )
    .fetch_all(pool)
    .await?;
    // Grouped by (table, constraint): its kind, definition, columns and, for a foreign key,
    // the rest of it.
    let mut grouped: BTreeMap<(String, String), (String, String, ForeignKey)> = BTreeMap::new();
    for row in rows {
        let (_, _, fk) = grouped
            .entry((row.table_name, row.constraint_name))
            .or_insert_with(|| {
                let fk = ForeignKey {
                    columns: Vec::new(),
                    ref_table: row.ref_table.unwrap_or_default(),
                    ref_columns: Vec::new(),
                    on_delete: pg_action(&row.on_delete),
                    on_update: pg_action(&row.on_update),
                };
                (row.kind, row.definition, fk)
            });
        fk.columns.extend(row.column_name);
        fk.ref_columns.extend(row.ref_column);
    }
    for ((table, _), (kind, definition, fk)) in grouped {
        let table = schema.tables.entry(table).or_default();
        match kind.as_str() {
            "p" => table.primary_key = fk.columns,
            "u" => table.uniques.push(fk.columns),
            "f" => table.foreign_keys.push(fk),
            _ => {
                let checks = check_clauses(&definition, &table.column_names());
                table.checks.extend(checks);
            }
        }
    }

    // Indexes that back no primary key or unique constraint.
    let rows: Vec<PgIndexRow> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, i.relname::text AS index_name, \
                x.indisunique AS is_unique, a.attname::text AS column_name, \
                CAST(x.indoption[(u.ord - 1)::int] & 1 AS BIGINT) AS is_desc, \
                pg_get_expr(x.indpred, x.indrelid) AS predicate \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = u.attnum \
         WHERE n.nspname = current_schema() AND u.ord <= x.indnkeyatts \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid \
                           AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')) \
         ORDER BY t.relname, i.relname, u.ord",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let table = schema.tables.entry(row.table_name).or_default();
        let index = table
            .indexes
            .entry(row.index_name)
            .or_insert_with(|| Index {
                columns: Vec::new(),
                unique: row.is_unique,
                predicate: row.predicate.as_deref().map(normalise_expr),
            });
        index
            .columns
            .push(index_column(row.column_name, row.is_desc != 0));
    }
    Ok(schema)
}

fn pg_action(code: &str) -> String {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_string()
}

fn index_column(name: Option<String>, desc: bool) -> String {
    let name = name.unwrap_or_else(|| "<expression>".to_string());
    if desc { format!("{name} DESC") } else { name }
}

impl Schema {
    /// Marks primary-key columns NOT NULL. PostgreSQL always refuses NULL in a primary key;
    /// SQLite does only for `INTEGER PRIMARY KEY` or columns declared NOT NULL (a documented
    /// SQLite quirk), so `id TEXT PRIMARY KEY` accepts a NULL id there.
    pub fn primary_keys_not_null(mut self) -> Self {
        for table in self.tables.values_mut() {
            for column in &mut table.columns {
                if table.primary_key.contains(&column.name) {
                    column.not_null = true;
                }
            }
        }
        self
    }

    /// Every difference between `self` (named `left`) and `other` (named `right`), one
    /// readable line each; empty when the schemas are the same.
    pub fn diff(&self, left: &str, other: &Schema, right: &str) -> Vec<String> {
        let mut out = Vec::new();
        let names: BTreeSet<&String> = self.tables.keys().chain(other.tables.keys()).collect();
        for name in names {
            match (self.tables.get(name), other.tables.get(name)) {
                (Some(a), Some(b)) => out.extend(
                    a.diff(b, [left, right])
                        .into_iter()
                        .map(|what| format!("table {name}: {what}")),
                ),
                (Some(_), None) => out.push(format!("table {name}: only in {left}")),
                (None, Some(_)) => out.push(format!("table {name}: only in {right}")),
                (None, None) => {}
            }
        }
        out
    }
}

impl Table {
    fn column_names(&self) -> BTreeSet<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    fn diff(&self, other: &Table, [l, r]: [&str; 2]) -> Vec<String> {
        let mut lines = Vec::new();
        let mut out = |line: String| lines.push(line);
        let theirs: BTreeMap<&str, &Column> =
            other.columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let ours: BTreeMap<&str, &Column> =
            self.columns.iter().map(|c| (c.name.as_str(), c)).collect();
        for column in &self.columns {
            match theirs.get(column.name.as_str()) {
                None => out(format!("column {column} only in {l}")),
                Some(b) if *b != column => out(format!("column {column} in {l}, {b} in {r}")),
                Some(_) => {}
            }
        }
        for column in &other.columns {
            if !ours.contains_key(column.name.as_str()) {
                out(format!("column {column} only in {r}"));
            }
        }
        let order_l: Vec<&str> = self
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| theirs.contains_key(n))
            .collect();
        let order_r: Vec<&str> = other
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| ours.contains_key(n))
            .collect();
        if order_l != order_r {
            out(format!(
                "column order ({}) in {l}, ({}) in {r}",
                order_l.join(", "),
                order_r.join(", ")
            ));
        }
        if self.primary_key != other.primary_key {
            out(format!(
                "primary key ({}) in {l}, ({}) in {r}",
                self.primary_key.join(", "),
                other.primary_key.join(", ")
            ));
        }
        only_in(
            &self.uniques,
            &other.uniques,
            |u| format!("unique ({})", u.join(", ")),
            [l, r],
            &mut out,
        );
        for (name, index) in &self.indexes {
            match other.indexes.get(name) {
                None => out(format!("index {name} {index} only in {l}")),
                Some(b) if b != index => out(format!("index {name} {index} in {l}, {b} in {r}")),
                Some(_) => {}
            }
        }
        for (name, index) in &other.indexes {
            if !self.indexes.contains_key(name) {
                out(format!("index {name} {index} only in {r}"));
            }
        }
        only_in(
            &self.foreign_keys,
            &other.foreign_keys,
            |fk| format!("foreign key {fk}"),
            [l, r],
            &mut out,
        );
        only_in(
            &self.checks,
            &other.checks,
            |c| format!("check {c}"),
            [l, r],
            &mut out,
        );
        lines
    }
}

/// Reports the items of two sorted lists (multisets) that the other lacks.
fn only_in<T: Ord>(
    a: &[T],
    b: &[T],
    show: impl Fn(&T) -> String,
    [l, r]: [&str; 2],
    out: &mut dyn FnMut(String),
) {
    let mut rest: Vec<&T> = b.iter().collect();
    for item in a {
        match rest.iter().position(|x| *x == item) {
            Some(i) => {
                rest.remove(i);
            }
            None => out(format!("{} only in {l}", show(item))),
        }
    }
    for item in rest {
        out(format!("{} only in {r}", show(item)));
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.ty)?;
        if self.not_null {
            write!(f, " NOT NULL")?;
        }
        if let Some(default) = &self.default {
            write!(f, " DEFAULT {default}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text => write!(f, "TEXT"),
            Self::Integer => write!(f, "BIGINT"),
            Self::Blob => write!(f, "BLOB"),
            Self::Other(name) => write!(f, "{name}"),
        }
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unique {
            write!(f, "UNIQUE ")?;
        }
        write!(f, "({})", self.columns.join(", "))?;
        if let Some(predicate) = &self.predicate {
            write!(f, " WHERE {predicate}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}) -> {} ({}) ON DELETE {} ON UPDATE {}",
            self.columns.join(", "),
            self.ref_table,
            self.ref_columns.join(", "),
            self.on_delete,
            self.on_update
        )
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "on ({}) with [{}]",
            self.columns.join(", "),
            self.literals.join(", ")
        )
    }
}

/// A token of an SQL expression. Words are lowercased; quoted identifiers keep their case.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Punct(char),
}

fn lex(sql: &str) -> Vec<Tok> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '\'' || c == '"' {
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        text.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            i += 1;
            out.push(if c == '\'' {
                Tok::Str(text)
            } else {
                Tok::Word(text)
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Tok::Word(word.to_lowercase()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num(chars[start..i].iter().collect()));
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

/// Removes PostgreSQL casts (`::text`, `::character varying(20)`, `::text[]`); a quoted
/// number cast to a numeric type becomes a number (`'-1'::integer` is `-1`).
fn strip_casts(tokens: Vec<Tok>) -> Vec<Tok> {
    const NUMERIC: &[&str] = &["integer", "bigint", "smallint", "numeric", "real", "double"];
    const MORE: &[&str] = &["varying", "precision", "with", "without", "time", "zone"];
    let mut out: Vec<Tok> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Tok::Punct(':') && tokens.get(i + 1) == Some(&Tok::Punct(':')) {
            i += 2;
            let mut numeric = false;
            if let Some(Tok::Word(ty)) = tokens.get(i) {
                numeric = NUMERIC.contains(&ty.as_str());
                i += 1;
                while matches!(tokens.get(i), Some(Tok::Word(w)) if MORE.contains(&w.as_str())) {
                    i += 1;
                }
            }
            if tokens.get(i) == Some(&Tok::Punct('(')) {
                while i < tokens.len() && tokens[i] != Tok::Punct(')') {
                    i += 1;
                }
                i += 1;
            }
            while tokens.get(i) == Some(&Tok::Punct('['))
                && tokens.get(i + 1) == Some(&Tok::Punct(']'))
            {
                i += 2;
            }
            if numeric
                && let Some(Tok::Str(s)) = out.last()
                && s.parse::<f64>().is_ok()
            {
                let s = s.clone();
                out.pop();
                match s.strip_prefix('-') {
                    Some(rest) => {
                        out.push(Tok::Punct('-'));
                        out.push(Tok::Num(rest.to_string()));
                    }
                    None => out.push(Tok::Num(s)),
                }
            }
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// An expression (a default, a partial-index predicate) in a form both engines' catalogs
/// give alike: lowercase words, no casts, no parentheses, `= ANY (ARRAY[…])` as `IN`,
/// tokens separated by one space.
pub fn normalise_expr(sql: &str) -> String {
    render(strip_casts(lex(sql)))
}

fn render(tokens: Vec<Tok>) -> String {
    let mut words: Vec<String> = Vec::new();
    for tok in tokens {
        let word = match tok {
            Tok::Punct('(' | ')' | '[' | ']') => continue,
            Tok::Word(w) if w == "array" && words.len() >= 2 => {
                let n = words.len();
                if words[n - 2] == "=" && words[n - 1] == "any" {
                    words.truncate(n - 2);
                    words.push("in".to_string());
                    continue;
                }
                w
            }
            Tok::Word(w) | Tok::Num(w) => w,
            Tok::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Tok::Punct(c) => c.to_string(),
        };
        words.push(word);
    }
    // Operators PostgreSQL and SQLite spell in two characters.
    let mut joined: Vec<String> = Vec::new();
    for w in words {
        if let Some(last) = joined.last_mut()
            && matches!(
                (last.as_str(), w.as_str()),
                ("<" | ">" | "!", "=") | ("<", ">") | ("|", "|")
            )
        {
            last.push_str(&w);
            continue;
        }
        joined.push(w);
    }
    joined.join(" ")
}

/// The CHECK constraints in a `CREATE TABLE` (SQLite) or a constraint definition
/// (PostgreSQL), each by the columns it reads and the literals it contains.
fn check_clauses(sql: &str, columns: &BTreeSet<String>) -> Vec<Check> {
    let tokens = strip_casts(lex(sql));
    let mut checks = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Tok::Word("check".into()) && tokens.get(i + 1) == Some(&Tok::Punct('(')) {
            let mut depth = 0;
            let mut j = i + 1;
            let mut read = BTreeSet::new();
            let mut literals = Vec::new();
            while j < tokens.len() {
                match &tokens[j] {
                    Tok::Punct('(') => depth += 1,
                    Tok::Punct(')') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Word(w) if columns.contains(w) => {
                        read.insert(w.clone());
                    }
                    Tok::Str(s) => literals.push(format!("'{s}'")),
                    Tok::Num(n) => {
                        let unary = tokens.get(j - 1) == Some(&Tok::Punct('-'))
                            && !matches!(
                                tokens.get(j - 2),
                                Some(Tok::Word(_) | Tok::Num(_) | Tok::Str(_) | Tok::Punct(')'))
                            );
                        literals.push(if unary { format!("-{n}") } else { n.clone() });
                    }
                    _ => {}
                }
                j += 1;
            }
            literals.sort();
            checks.push(Check {
                columns: read.into_iter().collect(),
                literals,
            });
            i = j;
        }
        i += 1;
    }
    checks
}

/// The `WHERE` of a `CREATE INDEX` statement (SQLite keeps the statement as written).
fn where_clause(create_index: &str) -> Option<String> {
    let mut tokens = strip_casts(lex(create_index));
    let at = tokens
        .iter()
        .position(|t| *t == Tok::Word("where".into()))?;
    Some(render(tokens.split_off(at + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn column(name: &str, ty: ColumnType, not_null: bool, default: Option<&str>) -> Column {
        Column {
            name: name.into(),
            ty,
            not_null,
            default: default.map(normalise_expr),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn jobs() -> Table {
        Table {
            columns: vec![
                column("id", ColumnType::Text, true, None),
                column("status", ColumnType::Text, true, None),
                column("attempts", ColumnType::Integer, true, Some("0")),
                column("payload", ColumnType::Blob, false, None),
            ],
            primary_key: strings(&["id"]),
            uniques: vec![strings(&["status", "attempts"])],
            indexes: BTreeMap::from([(
                "jobs_due".to_string(),
                Index {
                    columns: strings(&["status"]),
                    unique: true,
                    predicate: Some(normalise_expr("status = 'queued'")),
                },
            )]),
            foreign_keys: vec![ForeignKey {
                columns: strings(&["id"]),
                ref_table: "chambers".into(),
                ref_columns: strings(&["id"]),
                on_delete: "CASCADE".into(),
                on_update: "NO ACTION".into(),
            }],
            checks: check_clauses("CHECK (status IN ('queued', 'done'))", &names(&["status"])),
        }
    }

    fn schema(tables: Vec<(&str, Table)>) -> Schema {
        Schema {
            tables: tables
                .into_iter()
                .map(|(n, t)| (n.to_string(), t))
                .collect(),
        }
    }

    #[test]
    fn the_same_schema_has_no_difference() {
        let a = schema(vec![("jobs", jobs())]);
        assert!(a.diff("sqlite", &a.clone(), "postgres").is_empty());
    }

    #[test]
    fn every_kind_of_difference_is_reported_readably() {
        let a = schema(vec![("jobs", jobs()), ("audit_log", Table::default())]);
        let mut other = jobs();
        other.columns[2] = column("attempts", ColumnType::Other("integer".into()), false, None);
        other.columns.swap(0, 1);
        other.columns.pop();
        other
            .columns
            .push(column("extra", ColumnType::Text, false, Some("''")));
        other.primary_key = strings(&["id", "status"]);
        other.uniques = vec![];
        let index = other.indexes.get_mut("jobs_due").expect("index");
        index.columns.push("attempts DESC".into());
        index.predicate = None;
        other.foreign_keys[0].on_delete = "NO ACTION".into();
        other.checks = check_clauses(
            "CHECK (status IN ('queued', 'done', 'failed'))",
            &names(&["status"]),
        );
        let b = schema(vec![("jobs", other), ("outbox", Table::default())]);
        let diff = b.diff("postgres", &a, "sqlite");
        let expected = [
            "table audit_log: only in sqlite",
            "table jobs: column attempts integer in postgres, attempts BIGINT NOT NULL DEFAULT 0 \
             in sqlite",
            "table jobs: column extra TEXT DEFAULT '' only in postgres",
            "table jobs: column payload BLOB only in sqlite",
            "table jobs: column order (status, id, attempts) in postgres, (id, status, \
             attempts) in sqlite",
            "table jobs: primary key (id, status) in postgres, (id) in sqlite",
            "table jobs: unique (status, attempts) only in sqlite",
            "table jobs: index jobs_due UNIQUE (status, attempts DESC) in postgres, UNIQUE \
             (status) WHERE status = 'queued' in sqlite",
            "table jobs: foreign key (id) -> chambers (id) ON DELETE NO ACTION ON UPDATE NO \
             ACTION only in postgres",
            "table jobs: foreign key (id) -> chambers (id) ON DELETE CASCADE ON UPDATE NO \
             ACTION only in sqlite",
            "table jobs: check on (status) with ['done', 'failed', 'queued'] only in postgres",
            "table jobs: check on (status) with ['done', 'queued'] only in sqlite",
            "table outbox: only in postgres",
        ];
        assert_eq!(diff, expected);
    }

    #[test]
    fn postgres_spellings_normalise_to_sqlite_ones() {
        let cols = names(&["weekday", "status", "amount"]);
        assert_eq!(normalise_expr("'[]'::text"), normalise_expr("'[]'"));
        assert_eq!(normalise_expr("'-1'::integer"), normalise_expr("-1"));
        assert_eq!(normalise_expr("0"), "0");
        assert_eq!(
            normalise_expr("(status = 'booked'::text)"),
            normalise_expr("status = 'booked'")
        );
        assert_eq!(
            normalise_expr("(kind = ANY (ARRAY['a'::text, 'b'::character varying(5)]))"),
            normalise_expr("kind IN ('a', 'b')")
        );
        assert_eq!(
            check_clauses("CHECK (((weekday >= 1) AND (weekday <= 7)))", &cols),
            check_clauses(
                "weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),",
                &cols
            )
        );
        assert_eq!(
            check_clauses(
                "CHECK ((status = ANY (ARRAY['a'::text, 'it''s'::text])))",
                &cols
            ),
            check_clauses(
                "CREATE TABLE t (status TEXT CHECK (status IN ('a', 'it''s')))",
                &cols
            )
        );
        assert_eq!(
            check_clauses("CHECK ((amount >= '-1'::integer))", &cols),
            check_clauses("amount BIGINT CHECK (amount >= -1)", &cols)
        );
        assert_eq!(
            where_clause("CREATE UNIQUE INDEX a ON t (b)\nWHERE status = 'booked'"),
            Some("status = 'booked'".to_string())
        );
        assert_eq!(where_clause("CREATE INDEX a ON t (b)"), None);
    }
}
