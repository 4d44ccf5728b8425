#![allow(clippy::unwrap_used)]
//! Fuzzing every spreadsheet importer on stable Rust: structure-aware inputs (workbooks with
//! forged dimensions, cell references, shared-string counts, entities and nesting; CSV with
//! quotes, separators, blank lines and long fields), then byte-level mutations of them, fed
//! through the course results, the CA's delivery, the ODRs' reports and the Registry extract.
//!
//! Each input must come back as a value or an error, never a panic, and the process's peak
//! resident memory must stay under [`MAX_PEAK_BYTES`]: the limits are enforced before anything
//! is sized from the file. (`.ci/run` also caps the address space with `ulimit -v`, so one
//! oversized allocation aborts the run even where overcommit would have granted it.)
//!
//! `SPORTELLO_FUZZ_SECONDS` (default 3) is the time budget of each importer,
//! `SPORTELLO_FUZZ_SEED` (default fixed) the seed; `.ci/run` runs it for longer. A failure
//! prints the seed and the case number.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sportello_core::devices::{delivery, odr_report};
use sportello_core::ra::course_sheet;
use sportello_core::registry;
use std::io::Write;
use std::time::{Duration, Instant};

/// The most resident memory the test process may reach (the XML reader holds at most one
/// part's 32 MiB budget at a time; four importers run in parallel).
const MAX_PEAK_BYTES: u64 = 1024 * 1024 * 1024;

/// The process's peak resident memory (`VmHWM`), where Linux reports it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn budget() -> (Duration, u64) {
    let seconds = std::env::var("SPORTELLO_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    let seed = std::env::var("SPORTELLO_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5350_4f52_5445_4c4c);
    (Duration::from_secs_f64(seconds), seed)
}

fn pick<'a, T: ?Sized>(rng: &mut ChaCha8Rng, items: &'a [&'a T]) -> &'a T {
    items[rng.random_range(0..items.len())]
}

/// Text a cell may hold: ordinary values, separators, quotes, entities, long runs.
fn text(rng: &mut ChaCha8Rng, xml: bool) -> String {
    let atoms: &[&str] = if xml {
        &[
            "RSSMRA80A01H501U",
            "94",
            "20/11/2026",
            "46346",
            "Codice fiscale",
            "Punteggio",
            "Data",
            "&amp;",
            "&lt;",
            "&#65;",
            "&#x1F600;",
            "&xxe;",
            "&#99999999;",
            "<![CDATA[x]]>",
            " ",
            "è",
            "%",
            "0.94",
            "-1",
            "1e308",
            "NaN",
        ]
    } else {
        &[
            "RSSMRA80A01H501U",
            "94",
            "20/11/2026",
            "serial",
            "type",
            "batch",
            "smart card",
            "token",
            "7420000000000001",
            "\"",
            "\"\"",
            ";",
            ",",
            "\n",
            "\r\n",
            "\r",
            "si",
            " ",
            "\u{feff}",
            "codice_fiscale",
            "2026-11-10",
            "è",
            "\u{0}",
        ]
    };
    let mut s = String::new();
    for _ in 0..rng.random_range(0..6) {
        s.push_str(pick(rng, atoms));
    }
    if rng.random_ratio(1, 40) {
        s.push_str(&"x".repeat(rng.random_range(0..5000)));
    }
    s
}

/// A cell reference, sometimes far beyond any limit or malformed.
fn reference(rng: &mut ChaCha8Rng, row: u64) -> String {
    match rng.random_range(0..10) {
        0 => "XFD1048576".into(),
        1 => format!("A{}", rng.random_range(0..u64::MAX)),
        2 => pick(rng, &["", "A0", "1A", "ZZZZ1", "a1", "$A$1", "A-1"]).to_string(),
        _ => {
            let col = rng.random_range(0..60u32);
            let mut letters = String::new();
            let mut n = col + 1;
            while n > 0 {
                letters.insert(0, char::from(b'A' + ((n - 1) % 26) as u8));
                n = (n - 1) / 26;
            }
            format!("{letters}{row}")
        }
    }
}

fn sheet_xml(rng: &mut ChaCha8Rng) -> String {
    let dimension = pick(rng, &["A1:XFD1048576", "A1", "A1:C3", "", "ZZZ0:A"]);
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>"#
    );
    for r in 1..=rng.random_range(0..40u64) {
        let row = if rng.random_ratio(1, 20) {
            rng.random_range(0..2_000_000)
        } else {
            r
        };
        if rng.random_ratio(1, 10) {
            xml.push_str("<row/>");
            continue;
        }
        xml.push_str(&format!(r#"<row r="{row}">"#));
        for _ in 0..rng.random_range(0..8) {
            let r = reference(rng, row);
            match rng.random_range(0..6) {
                0 => xml.push_str(&format!(
                    r#"<c r="{r}" t="s"><v>{}</v></c>"#,
                    rng.random_range(0..12)
                )),
                1 => xml.push_str(&format!(
                    r#"<c r="{r}" t="inlineStr"><is><t>{}</t></is></c>"#,
                    text(rng, true)
                )),
                2 => xml.push_str(&format!(
                    r#"<c t="b"><v>{}</v></c>"#,
                    rng.random_range(0..3)
                )),
                3 => xml.push_str(&format!(r#"<c r="{r}"/>"#)),
                4 => {
                    for _ in 0..rng.random_range(0..100) {
                        xml.push_str("<x>");
                    }
                }
                _ => xml.push_str(&format!(r#"<c r="{r}"><v>{}</v></c>"#, text(rng, true))),
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

fn strings_xml(rng: &mut ChaCha8Rng) -> String {
    let count = pick(
        rng,
        &["0", "3", "99999999999999", "-1", "18446744073709551615"],
    );
    let mut xml = format!(
        r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">"#
    );
    for _ in 0..rng.random_range(0..12) {
        match rng.random_range(0..4) {
            0 => xml.push_str("<si/>"),
            1 => xml.push_str(&format!(
                "<si><r><t>{}</t></r><r><t>{}</t></r><rPh><t>{}</t></rPh></si>",
                text(rng, true),
                text(rng, true),
                text(rng, true)
            )),
            _ => xml.push_str(&format!("<si><t>{}</t></si>", text(rng, true))),
        }
    }
    xml.push_str("</sst>");
    xml
}

/// Random byte-level damage: flips, insertions, deletions, a cut.
fn mutate(rng: &mut ChaCha8Rng, bytes: &mut Vec<u8>) {
    for _ in 0..rng.random_range(1..8) {
        if bytes.is_empty() {
            bytes.push(rng.random());
            continue;
        }
        let at = rng.random_range(0..bytes.len());
        match rng.random_range(0..4) {
            0 => bytes[at] ^= 1 << rng.random_range(0..8),
            1 => bytes.insert(at, rng.random()),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
}

fn workbook(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut parts: Vec<(&str, Vec<u8>)> = vec![
        ("_rels/.rels", br#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec()),
        ("xl/workbook.xml", br#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
        ("xl/_rels/workbook.xml.rels", br#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/></Relationships>"#.to_vec()),
        ("xl/worksheets/sheet1.xml", sheet_xml(rng).into_bytes()),
        ("xl/sharedStrings.xml", strings_xml(rng).into_bytes()),
    ];
    if rng.random_ratio(1, 3) {
        let i = rng.random_range(0..parts.len());
        mutate(rng, &mut parts[i].1);
    }
    if rng.random_ratio(1, 6) {
        parts.remove(rng.random_range(0..parts.len()));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if rng.random() {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, body) in parts {
        zip.start_file(name, opts).unwrap();
        zip.write_all(&body).unwrap();
    }
    let mut bytes = zip.finish().unwrap().into_inner();
    if rng.random_ratio(1, 4) {
        mutate(rng, &mut bytes);
    }
    bytes
}

fn csv(rng: &mut ChaCha8Rng, header: &[&str]) -> Vec<u8> {
    let sep: &str = pick(rng, &[";", ",", "\t"]);
    let mut out = header.join(sep);
    out.push('\n');
    for _ in 0..rng.random_range(0..60) {
        let n = if rng.random_ratio(1, 30) {
            rng.random_range(0..400)
        } else {
            header.len()
        };
        let fields: Vec<String> = (0..n).map(|_| text(rng, false)).collect();
        out.push_str(&fields.join(sep));
        out.push_str(pick(rng, &["\n", "\r\n", "\r", "\n\n"]));
    }
    let mut bytes = out.into_bytes();
    if rng.random_ratio(1, 3) {
        mutate(rng, &mut bytes);
    }
    bytes
}

const REGISTRY_HEADER: [&str; 11] = [
    "codice_fiscale",
    "partita_iva",
    "denominazione",
    "provincia",
    "numero_rea",
    "tipo_sede",
    "indirizzo",
    "cap",
    "comune",
    "stato",
    "diritto_annuale_pagato",
];

/// Feeds `run` inputs made by `make` until the time budget is spent; returns how many.
fn fuzz(name: &str, make: impl Fn(&mut ChaCha8Rng) -> Vec<u8>, run: impl Fn(&[u8])) -> u64 {
    let (time, seed) = budget();
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ name.len() as u64 ^ u64::from(name.as_bytes()[0]));
    let start = Instant::now();
    let mut cases = 0u64;
    while start.elapsed() < time || cases < 200 {
        let input = make(&mut rng);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&input)));
        assert!(
            outcome.is_ok(),
            "{name}: case {cases} of seed {seed} panicked; input {:?}",
            String::from_utf8_lossy(&input)
        );
        cases += 1;
        if let Some(peak) = peak_rss() {
            assert!(
                peak <= MAX_PEAK_BYTES,
                "{name}: after case {cases} of seed {seed} the process peaked at {peak} bytes"
            );
        }
        let _ = rng.next_u32();
    }
    eprintln!(
        "{name}: {cases} inputs in {:.1?} (seed {seed})",
        start.elapsed()
    );
    cases
}

#[test]
fn fuzz_course_results_xlsx_and_csv() {
    fuzz(
        "course results",
        |rng| {
            if rng.random() {
                workbook(rng)
            } else {
                csv(rng, &["Codice fiscale", "Punteggio", "Data superamento"])
            }
        },
        |bytes| {
            let _ = course_sheet::parse_results(bytes);
        },
    );
}

#[test]
fn fuzz_ca_delivery_csv() {
    fuzz(
        "delivery",
        |rng| csv(rng, &["serial", "type", "batch"]),
        |bytes| {
            let _ = delivery::parse(bytes);
        },
    );
}

#[test]
fn fuzz_odr_report_csv() {
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    fuzz(
        "odr report",
        |rng| {
            csv(
                rng,
                &[
                    "serial",
                    "issued_on",
                    "holder_tax_code",
                    "company_tax_code",
                    "free",
                ],
            )
        },
        |bytes| {
            let _ = odr_report::parse(&String::from_utf8_lossy(bytes), from, to);
        },
    );
}

#[test]
fn fuzz_registry_extract_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extract.csv");
    fuzz(
        "registry extract",
        |rng| csv(rng, &REGISTRY_HEADER),
        |bytes| {
            std::fs::write(&path, bytes).unwrap();
            let _ = registry::scan(&path, 2026);
        },
    );
}

/// The seeds the fuzzer starts from are read as intended (so it explores past the header).
#[test]
fn well_formed_inputs_are_read() {
    let rows = course_sheet::parse_results(
        b"Codice fiscale;Punteggio;Data superamento\nRSSMRA80A01H501U;94;20/11/2026\n",
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    let devices = delivery::parse(b"serial;type;batch\n7420000000000001;token;L1\n").unwrap();
    assert_eq!(devices.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    let mut body = REGISTRY_HEADER.join(";");
    body.push_str("\nx;;;;;;;;;;\n");
    std::fs::write(&path, body).unwrap();
    assert_eq!(
        registry::scan(&path, 2026).unwrap(),
        registry::Scan {
            valid: 0,
            rejected: 1
        }
    );
}
