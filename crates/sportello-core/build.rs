//! Embeds the migrations of `migrations/` (one folder for both engines, see its README):
//! writes the table `(version, description, SQL)` that `db::migrations` turns into one sqlx
//! migrator per engine, and fails the build on a migration outside the portable dialect.

#[path = "src/db/dialect.rs"]
mod dialect;

use std::fmt::Write as _;
use std::path::Path;

const DIR: &str = "../../migrations";

fn main() {
    println!("cargo::rerun-if-changed={DIR}");
    println!("cargo::rerun-if-changed=src/db/dialect.rs");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join(DIR);
    let mut migrations = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read the migrations folder") {
        let path = entry.expect("read the migrations folder").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name")
            .to_string();
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        println!("cargo::rerun-if-changed={DIR}/{name}");
        // The same reading of the name as sqlx's own folder source: `<version>_<description>`.
        let (version, description) = stem
            .split_once('_')
            .and_then(|(v, d)| Some((v.parse::<i64>().ok().filter(|v| *v > 0)?, d)))
            .unwrap_or_else(|| panic!("migrations/{name}: expected NNNN_name.sql"));
        if description.ends_with(".up") || description.ends_with(".down") {
            panic!("migrations/{name}: migrations are forward only (no .up/.down)");
        }
        let sql =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("migrations/{name}: {e}"));
        if let Err(e) = dialect::postgres_sql(&sql) {
            panic!("migrations/{name}: {e}");
        }
        migrations.push((version, description.replace('_', " "), path));
    }
    migrations.sort_by_key(|m| m.0);
    if let Some(w) = migrations.windows(2).find(|w| w[0].0 == w[1].0) {
        panic!("migrations: version {} is used twice", w[0].0);
    }
    let mut out = String::from(
        "/// `(version, description, portable SQL)` of every migration, in order.\n\
         pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[\n",
    );
    for (version, description, path) in &migrations {
        let path = path.canonicalize().expect("canonical path");
        let path = path.to_str().expect("UTF-8 path");
        writeln!(
            out,
            "    ({version}, {description:?}, include_str!({path:?})),"
        )
        .expect("write to a string");
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("migrations.rs"), out).expect("write migrations.rs");
}
