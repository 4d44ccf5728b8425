#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Markup rules every template keeps, read from the templates themselves.

use std::path::{Path, PathBuf};

fn templates(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            templates(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

/// Bootstrap Italia draws the border of a text field from its `type` selector: an `<input>`
/// without one shows no border or underline, and the user cannot see where to type.
#[test]
fn every_input_declares_its_type() {
    let mut files = Vec::new();
    templates(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &mut files,
    );
    assert!(files.len() > 20, "templates not found");
    let mut untyped = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for tag in line.split("<input").skip(1) {
                let tag = tag.split('>').next().unwrap_or_default();
                if !tag.contains(" type=") {
                    untyped.push(format!("{}:{}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(untyped.is_empty(), "inputs without a type: {untyped:#?}");
}

/// A table wider than a phone scrolls inside its own region, which the keyboard can reach
/// (`tabindex="0"`), instead of making the whole page scroll sideways.
#[test]
fn every_table_scrolls_inside_a_focusable_region() {
    let mut files = Vec::new();
    templates(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &mut files,
    );
    let mut bare = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices("<table") {
            let before = &text[..at];
            let open = before.rfind("<div").unwrap_or(0);
            let close = before.rfind("</div>");
            let tag = &before[open..before[open..].find('>').map_or(at, |e| open + e + 1)];
            let wrapped = close.is_none_or(|c| c < open)
                && tag.contains("table-responsive")
                && tag.contains("tabindex=\"0\"");
            if !wrapped {
                bare.push(format!("{}: table at byte {at}", file.display()));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "tables outside a focusable scroll region: {bare:#?}"
    );
}
