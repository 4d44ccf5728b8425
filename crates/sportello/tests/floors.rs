#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The floors the build keeps: the core knows no web framework, template engine or command
//! line; the shell's handlers hold no SQL and open no transaction; every API path is written
//! once. A new dependency, handler or route that breaks one of these fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates the core must not depend on, directly or through another crate.
const FORBIDDEN_IN_CORE: [&str; 7] = [
    "axum",
    "askama",
    "tower",
    "tower-http",
    "clap",
    "utoipa-axum",
    "utoipa-swagger-ui",
];

fn workspace_metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("metadata JSON")
}

/// The names of every crate `root` pulls in as a normal dependency, transitively.
fn normal_dependencies(meta: &serde_json::Value, root: &str) -> BTreeSet<String> {
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root_id = names
        .iter()
        .find(|(_, name)| **name == root)
        .map(|(id, _)| *id)
        .expect("root package");
    let mut seen = BTreeSet::new();
    let mut todo = vec![root_id];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(dep_id) {
                todo.push(dep_id);
            }
        }
    }
    seen.into_iter().map(|id| names[id].to_string()).collect()
}

#[test]
fn the_core_depends_on_no_web_framework_template_engine_or_command_line() {
    let deps = normal_dependencies(&workspace_metadata(), "sportello-core");
    let found: Vec<_> = FORBIDDEN_IN_CORE
        .iter()
        .filter(|name| deps.contains(**name))
        .collect();
    assert!(found.is_empty(), "sportello-core depends on {found:?}");
    assert!(
        deps.contains("sqlx"),
        "the dependency walk found the core's own crates"
    );
}

#[test]
fn the_shell_does_not_depend_on_the_database_driver() {
    let meta = workspace_metadata();
    let shell = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sportello")
        .unwrap();
    let direct: Vec<_> = shell["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        !direct.contains(&"sqlx"),
        "the shell's pages, API and CLI go through the core's use cases, not SQL"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_handler_opens_a_transaction_or_writes_sql() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offending = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if [
                "sqlx::",
                ".begin()",
                "tx.commit(",
                "query_as(",
                "query_scalar(",
            ]
            .iter()
            .any(|p| code.contains(p))
            {
                offending.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(offending.is_empty(), "{offending:#?}");
}

#[test]
fn every_api_path_is_written_once() {
    let doc = sportello::routes::openapi();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut wrong = Vec::new();
    for path in doc.paths.paths.keys() {
        let quoted = format!("\"{path}\"");
        let n: usize = texts.iter().map(|t| t.matches(&quoted).count()).sum();
        // One `#[utoipa::path]` per method, all in one place.
        let item = &doc.paths.paths[path];
        let methods = [
            &item.get,
            &item.put,
            &item.post,
            &item.delete,
            &item.patch,
            &item.head,
            &item.options,
            &item.trace,
        ]
        .iter()
        .filter(|op| op.is_some())
        .count();
        if n != methods {
            wrong.push(format!("{path}: written {n} times for {methods} methods"));
        }
    }
    assert!(!doc.paths.paths.is_empty());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_page_path_is_registered_once() {
    // The page table is the router: a method and path pair written twice would be a second
    // handler (and a second access rule) for the same page.
    let table = sportello::routes::page_table();
    let mut seen = BTreeSet::new();
    let mut twice = Vec::new();
    for route in &table {
        if !seen.insert((route.method, route.path)) {
            twice.push(format!("{} {}", route.method, route.path));
        }
    }
    assert!(seen.len() > 50, "the route table was not read: {seen:?}");
    assert!(twice.is_empty(), "registered twice: {twice:?}");
}
