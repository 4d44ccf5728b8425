//! The portable dialect the migrations are written in, and how their PostgreSQL text is
//! derived from it. The build script includes this file too and refuses a migration that
//! [`postgres_sql`] does not accept, so the two engines cannot silently read a migration
//! differently. See `migrations/README.md`.
//!
//! The rules, on the SQL outside `--` comments and `'…'` string literals:
//! - Keywords and types are written in uppercase, identifiers in lowercase; mixed case is
//!   refused, and so are two identifiers in a row (a lowercase type such as `id text`).
//! - An uppercase word must be one of [`PORTABLE`] (read alike by both engines) or one of
//!   [`MAPPED`] (the whole mapping: `BLOB` becomes `BYTEA`). Anything else is refused.
//! - A lowercase word must not be one of [`ENGINE_SPECIFIC`].
//! - Block comments are refused, and so is any character but letters, digits, whitespace and
//!   `( ) , ; . = < > ! + - * / % |` (no quoted identifiers, placeholders, casts, arrays or
//!   dollar quoting).
//!
//! Everything else is copied byte for byte.

/// Keywords that both engines read alike, in the way a migration uses them. Add one only
/// after checking that it means the same on SQLite and PostgreSQL (`LIKE`, `LOWER`,
/// `CURRENT_TIMESTAMP` or `INTEGER`, for instance, do not).
pub const PORTABLE: &[&str] = &[
    "ACTION",
    "ADD",
    "ALTER",
    "AND",
    "AS",
    "BETWEEN",
    "BIGINT",
    "BY",
    "CASCADE",
    "CAST",
    "CHECK",
    "COALESCE",
    "COLUMN",
    "CONSTRAINT",
    "COUNT",
    "CREATE",
    "DEFAULT",
    "DELETE",
    "DROP",
    "EXISTS",
    "FOREIGN",
    "FROM",
    "GROUP",
    "IF",
    "IN",
    "INDEX",
    "INSERT",
    "INTO",
    "IS",
    "KEY",
    "MAX",
    "MIN",
    "NO",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "PRIMARY",
    "REFERENCES",
    "RENAME",
    "RESTRICT",
    "SELECT",
    "SET",
    "SUM",
    "TABLE",
    "TEXT",
    "TO",
    "UNIQUE",
    "UPDATE",
    "VALUES",
    "WHERE",
];

/// The whole type mapping: portable (and SQLite) word → PostgreSQL word.
pub const MAPPED: &[(&str, &str)] = &[("BLOB", "BYTEA")];

/// Words that only ever mean engine-specific syntax, refused in lowercase too. (Lowercase
/// types are caught by the two-identifiers rule instead: `serial` or `real` are fine names.)
pub const ENGINE_SPECIFIC: &[&str] = &[
    "autoincrement",
    "bigserial",
    "bytea",
    "current_date",
    "current_time",
    "current_timestamp",
    "glob",
    "ilike",
    "jsonb",
    "julianday",
    "nocase",
    "pragma",
    "regexp",
    "rowid",
    "smallserial",
    "strftime",
    "timestamptz",
];

/// The PostgreSQL text of a migration written in the portable dialect (which is also its
/// SQLite text), or why the migration is not portable.
pub fn postgres_sql(portable: &str) -> Result<String, String> {
    let bytes = portable.as_bytes();
    let mut out = String::with_capacity(portable.len() + 64);
    let mut line = 1;
    let mut i = 0;
    // Whether the previous token was an identifier (a lowercase word).
    let mut after_identifier = false;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            out.push_str(&portable[start..i]);
            continue;
        }
        if c == b'\'' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(format!("line {line}: unterminated string literal")),
                    Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => break,
                    Some(b'\n') => {
                        line += 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            i += 1;
            out.push_str(&portable[start..i]);
            after_identifier = false;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &portable[start..i];
            let lower = word.to_ascii_lowercase();
            if ENGINE_SPECIFIC.contains(&lower.as_str()) {
                return Err(format!(
                    "line {line}: `{word}` is specific to one engine; use the portable types \
                     TEXT, BIGINT and BLOB and the rules in migrations/README.md"
                ));
            }
            let has_upper = word.bytes().any(|b| b.is_ascii_uppercase());
            let has_lower = word.bytes().any(|b| b.is_ascii_lowercase());
            if has_upper && has_lower {
                return Err(format!(
                    "line {line}: `{word}` mixes cases; keywords are uppercase, identifiers \
                     lowercase"
                ));
            }
            if !has_lower {
                if let Some((_, pg)) = MAPPED.iter().find(|(from, _)| *from == word) {
                    out.push_str(pg);
                } else if PORTABLE.contains(&word) {
                    out.push_str(word);
                } else {
                    return Err(format!(
                        "line {line}: `{word}` is not in the portable dialect; add it to \
                         PORTABLE only if both engines read it alike"
                    ));
                }
                after_identifier = false;
            } else {
                if after_identifier {
                    return Err(format!(
                        "line {line}: `{word}` follows an identifier; write types and \
                         keywords in uppercase"
                    ));
                }
                out.push_str(word);
                after_identifier = true;
            }
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
                return Err(format!(
                    "line {line}: a number runs into a word (`{}`)",
                    &portable[start..=i]
                ));
            }
            out.push_str(&portable[start..i]);
            after_identifier = false;
            continue;
        }
        match c {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' => {}
            b'(' | b')' | b',' | b';' | b'.' | b'=' | b'<' | b'>' | b'!' | b'+' | b'-' | b'*'
            | b'%' | b'|' => after_identifier = false,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                return Err(format!("line {line}: block comments are refused; use `--`"));
            }
            b'/' => after_identifier = false,
            _ => {
                let ch = portable[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "line {line}: `{ch}` is not in the portable dialect (quoted identifiers, \
                     placeholders, casts, arrays and dollar quoting are engine-specific)"
                ));
            }
        }
        // Whitespace and punctuation are single ASCII bytes.
        out.push(c as char);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::postgres_sql;

    #[test]
    fn blob_the_type_becomes_bytea_and_nothing_else_changes() {
        let sql = "-- A BLOB in a comment stays.\n\
                   CREATE TABLE t (\n    blob TEXT NOT NULL DEFAULT 'BLOB',\n    \
                   scan_blob BLOB,\n    der BLOB NOT NULL CHECK (size >= 0)\n);\n";
        assert_eq!(
            postgres_sql(sql).unwrap(),
            "-- A BLOB in a comment stays.\n\
             CREATE TABLE t (\n    blob TEXT NOT NULL DEFAULT 'BLOB',\n    \
             scan_blob BYTEA,\n    der BYTEA NOT NULL CHECK (size >= 0)\n);\n"
        );
        let index = "CREATE UNIQUE INDEX a_b ON a (b, c) WHERE status = 'it''s';";
        assert_eq!(postgres_sql(index).unwrap(), index);
    }

    #[test]
    fn engine_specific_syntax_is_refused_with_its_line() {
        for (sql, expect) in [
            (
                "CREATE TABLE t (\n id INTEGER PRIMARY KEY)",
                "line 2: `INTEGER`",
            ),
            (
                "CREATE TABLE t (id integer)",
                "`integer` follows an identifier",
            ),
            (
                "CREATE TABLE t (id TEXT PRIMARY KEY AUTOINCREMENT)",
                "`AUTOINCREMENT`",
            ),
            ("CREATE TABLE t (id TEXT autoincrement)", "`autoincrement`"),
            ("CREATE TABLE t (b Blob)", "mixes cases"),
            (
                "CREATE TABLE t (at TEXT DEFAULT CURRENT_TIMESTAMP)",
                "`CURRENT_TIMESTAMP`",
            ),
            ("CREATE INDEX i ON t (a) WHERE a LIKE 'x%'", "`LIKE`"),
            ("CREATE TABLE t (a TEXT DEFAULT 'x'::text)", "`:`"),
            ("CREATE TABLE \"T\" (a TEXT)", "`\"`"),
            ("UPDATE t SET a = $1", "`$`"),
            ("UPDATE t SET a = ?", "`?`"),
            ("/* x */ CREATE TABLE t (a TEXT)", "block comments"),
            ("UPDATE t SET a = 'x", "unterminated"),
            ("UPDATE t SET a = 0x10", "number runs into a word"),
            ("CREATE TABLE t (a TEXT) WITHOUT ROWID", "`WITHOUT`"),
            ("CREATE TABLE t (a BYTEA)", "`BYTEA`"),
        ] {
            let err = postgres_sql(sql).expect_err(sql);
            assert!(err.contains(expect), "{sql}: {err}");
        }
    }
}
