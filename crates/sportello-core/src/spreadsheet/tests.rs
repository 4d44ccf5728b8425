use super::*;
use std::io::Write;

const SMALL: Limits = Limits {
    rows: 10,
    columns: 4,
    cell_bytes: 16,
    file_bytes: 64 * 1024,
};

/// An XLSX archive with the given parts (deflated), as a forger would write it.
pub fn forge(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in parts {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn sheet(dimension: &str, cells: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>"#
    )
    .into_bytes()
}

fn strings(count: &str, items: &[&str]) -> Vec<u8> {
    let si: String = items
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    format!(r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">{si}</sst>"#).into_bytes()
}

#[test]
fn a_forged_dimension_and_shared_string_count_allocate_nothing() {
    // Two cells at A1 and XFD1048576 made calamine build a dense range of 17 billion cells.
    let book = forge(&[
        (
            "xl/worksheets/sheet1.xml",
            &sheet(
                "A1:XFD1048576",
                r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
            ),
        ),
        ("xl/sharedStrings.xml", &strings("99999999999999", &["a"])),
    ]);
    assert!(book.len() < 2048, "{} bytes", book.len());
    assert_eq!(
        read_table(&book, &SMALL),
        Err(SheetError::TooManyRows { limit: 10 })
    );
    // The dimension alone, with real cells inside the limits, is ignored.
    let book = forge(&[(
        "xl/worksheets/sheet1.xml",
        &sheet(
            "A1:XFD1048576",
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>x &amp; y</t></is></c><c r="C1"><v>3</v></c></row>"#,
        ),
    )]);
    assert_eq!(
        read_table(&book, &SMALL).unwrap(),
        vec![vec!["x & y".to_string(), String::new(), "3".to_string()]]
    );
}

#[test]
fn a_cell_beyond_the_columns_or_longer_than_a_cell_is_refused() {
    let wide = forge(&[(
        "xl/worksheets/sheet1.xml",
        &sheet("A1", r#"<row r="2"><c r="E2"><v>1</v></c></row>"#),
    )]);
    assert_eq!(
        read_table(&wide, &SMALL),
        Err(SheetError::TooManyColumns { limit: 4, line: 2 })
    );
    let long = forge(&[
        (
            "xl/worksheets/sheet1.xml",
            &sheet("A1", r#"<row><c t="s"><v>0</v></c></row>"#),
        ),
        ("xl/sharedStrings.xml", &strings("1", &[&"x".repeat(17)])),
    ]);
    assert_eq!(
        read_table(&long, &SMALL),
        Err(SheetError::CellTooLong { limit: 16, line: 0 })
    );
}

#[test]
fn a_deflate_bomb_stops_at_the_unpacked_budget() {
    // 40 MB of one cell's text compresses to a few tens of kilobytes.
    let mut body = b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>".to_vec();
    body.resize(body.len() + 40 * 1024 * 1024, b'a');
    let book = forge(&[("xl/worksheets/sheet1.xml", &body)]);
    assert!(book.len() < 200 * 1024, "{}", book.len());
    let limits = Limits {
        cell_bytes: 64 * 1024 * 1024,
        file_bytes: 1024 * 1024,
        ..SMALL
    };
    assert_eq!(
        read_table(&book, &limits),
        Err(SheetError::Unpacked {
            limit: 32 * 1024 * 1024
        })
    );
    // The XML reader holds one text node whole, so the budget, not the cell limit, stops it.
    let limits = Limits {
        file_bytes: 1024 * 1024,
        ..SMALL
    };
    assert!(matches!(
        read_table(&book, &limits),
        Err(SheetError::Unpacked { .. })
    ));
}

#[test]
fn the_first_sheet_is_found_through_the_workbook_and_its_relationships() {
    let book = forge(&[
        (
            "xl/workbook.xml",
            br#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Esiti" sheetId="1" r:id="rId7"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<Relationships><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/esiti.xml"/><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/testi.xml"/></Relationships>"#,
        ),
        (
            "xl/worksheets/esiti.xml",
            &sheet("A1:B2", r#"<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="b"><v>1</v></c></row><row r="2"><c r="B2" t="s"><v>0</v></c></row>"#),
        ),
        ("xl/testi.xml", &strings("2", &["zero", "uno"])),
    ]);
    assert_eq!(
        read_table(&book, &SMALL).unwrap(),
        vec![
            vec!["uno".to_string(), "TRUE".to_string()],
            vec![String::new(), "zero".to_string()]
        ]
    );
}

#[test]
fn entities_other_than_xml_s_own_are_refused() {
    let book = forge(&[(
        "xl/worksheets/sheet1.xml",
        &sheet(
            "A1",
            r#"<row><c t="inlineStr"><is><t>&xxe;</t></is></c></row>"#,
        ),
    )]);
    assert_eq!(read_table(&book, &SMALL), Err(SheetError::Unreadable));
}

#[test]
fn csv_rows_columns_and_cells_are_bounded() {
    assert_eq!(
        read_csv(b"a;b\n1;2\n\n3;4\n", &SMALL).unwrap(),
        vec![vec!["a", "b"], vec!["1", "2"], vec!["3", "4"]]
    );
    let rows = "x\n".repeat(11);
    assert_eq!(
        read_csv(rows.as_bytes(), &SMALL),
        Err(SheetError::TooManyRows { limit: 10 })
    );
    assert_eq!(
        read_csv(b"a;b\n1;2;3;4;5\n", &SMALL),
        Err(SheetError::TooManyColumns { limit: 4, line: 2 })
    );
    let long = format!("a\n\"{}\"\n", "y\n".repeat(100));
    assert_eq!(
        read_csv(long.as_bytes(), &SMALL),
        Err(SheetError::CellTooLong { limit: 16, line: 2 })
    );
    assert_eq!(read_csv(b"a\n\xff\n", &SMALL), Err(SheetError::NotUtf8));
    assert_eq!(
        read_csv(&vec![b'a'; 64 * 1024 + 1], &SMALL),
        Err(SheetError::FileTooLarge { limit: 64 * 1024 })
    );
}

/// The bounded reader splits records as the `csv` crate does, and starts them on the same line.
#[test]
fn csv_records_and_lines_match_the_csv_crate() {
    let samples: [&[u8]; 6] = [
        b"a;b\n1;2\n",
        b"\n\na;\"b\nc\";d\r\n\r\nx;y",
        b"\"q\"\"uote\";z\n;\n",
        b"a\rb\r\nc\n\n\n\"d\n\ne\"\nf",
        b"",
        b";;;\n\"\"\n",
    ];
    for input in samples {
        let mut expected = Vec::new();
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        for r in reader.byte_records() {
            let r = r.unwrap();
            let fields: Vec<Vec<u8>> = r.iter().map(<[u8]>::to_vec).collect();
            expected.push((r.position().unwrap().line(), fields));
        }
        let mut got = Vec::new();
        let mut records = csv::Records::with_budget(input, b';', 1024, 16);
        while let Some(r) = records.next_record().unwrap() {
            got.push((r.line, r.fields().map(<[u8]>::to_vec).collect::<Vec<_>>()));
        }
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(records.bytes_read(), input.len() as u64);
    }
}

#[test]
fn an_overflowing_record_is_skipped_and_the_next_one_read() {
    let input = format!("a;b\n{};x\nc;d\n", "z".repeat(5000));
    let mut records = csv::Records::with_budget(input.as_bytes(), b';', 64, 4);
    let first = records.next_record().unwrap().unwrap();
    assert_eq!((first.line, first.len()), (1, 2));
    let second = records.next_record().unwrap().unwrap();
    assert_eq!(
        (second.line, second.overflow, second.len()),
        (2, Some(csv::Overflow::TooLong), 0)
    );
    let third = records.next_record().unwrap().unwrap();
    assert_eq!((third.line, third.get(1)), (3, Some(&b"d"[..])));
    assert!(records.next_record().unwrap().is_none());
}
