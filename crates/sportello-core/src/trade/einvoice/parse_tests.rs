use super::*;

const EXPORT: &[u8] = include_bytes!("../../../tests/fixtures/fatturapa/fpr12-export.xml");
const BATCH: &[u8] = include_bytes!("../../../tests/fixtures/fatturapa/fpr12-batch.xml");
const PA: &[u8] = include_bytes!("../../../tests/fixtures/fatturapa/fpa12.xml");

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn an_export_invoice_gives_the_buyer_the_invoice_and_its_lines() {
    let f = parse(EXPORT).expect("parsed");
    assert_eq!(f.format, "FPR12");
    assert_eq!(
        f.buyer,
        Buyer {
            name: "ACME Trading LLC".into(),
            address: "1200 Harbor Blvd, Long Beach".into(),
            country: "US".into(),
        }
    );
    assert_eq!(f.invoices.len(), 1);
    let inv = &f.invoices[0];
    assert_eq!(inv.number, "2026/118");
    assert_eq!(inv.date, day(2026, 11, 20));
    assert_eq!(inv.currency, "EUR");
    assert_eq!(inv.total.cents(), 1_540_000);
    assert!(inv.total_stated);
    let goods: Vec<_> = inv.lines.iter().filter(|l| l.is_goods()).collect();
    assert_eq!(goods.len(), 2, "the transport line is no goods");
    assert_eq!(goods[0].description, "Valvole a sfera in acciaio inox DN50");
    assert_eq!(goods[0].quantity_for_people().as_deref(), Some("1.200 PZ"));
    assert_eq!(goods[1].quantity_for_people().as_deref(), Some("250,5 KG"));
}

#[test]
fn a_batch_gives_every_invoice_and_sums_a_missing_total_from_the_vat_summary() {
    let f = parse(BATCH).expect("parsed");
    let numbers: Vec<&str> = f.invoices.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(numbers, ["2026/119", "2026/120"]);
    assert_eq!(f.invoices[0].total.cents(), 135_000);
    let usd = &f.invoices[1];
    assert_eq!(usd.currency, "USD");
    assert!(!usd.in_euro());
    assert!(!usd.total_stated);
    assert_eq!(usd.total.cents(), 200_000);
}

#[test]
fn an_invoice_to_a_public_administration_is_read_too() {
    let f = parse(PA).expect("parsed");
    assert_eq!(f.format, "FPA12");
    assert_eq!(f.buyer.name, "Comune di Esempio");
    assert_eq!(f.buyer.address, "Piazza del Municipio 1, 16100 Genova (GE)");
    assert_eq!(f.buyer.country, "IT");
    assert_eq!(f.invoices[0].total.cents(), 36_600);
}

#[test]
fn a_dtd_is_refused_before_any_entity_is_expanded() {
    let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2" versione="FPR12">&lol4;</p:FatturaElettronica>"#;
    assert_eq!(parse(laughs), Err(ParseError::Dtd));
    let external = br#"<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2" versione="FPR12">&x;</p:FatturaElettronica>"#;
    assert_eq!(parse(external), Err(ParseError::Dtd));
}

#[test]
fn an_undeclared_entity_is_refused() {
    let text = String::from_utf8(EXPORT.to_vec())
        .expect("utf-8")
        .replace("ACME Trading LLC", "ACME &x; LLC");
    assert_eq!(parse(text.as_bytes()), Err(ParseError::Entity));
    let ok = String::from_utf8(EXPORT.to_vec())
        .expect("utf-8")
        .replace("ACME Trading LLC", "ACME &amp; Sons &#169;");
    assert_eq!(
        parse(ok.as_bytes()).expect("parsed").buyer.name,
        "ACME & Sons ©"
    );
}

#[test]
fn a_file_over_the_limit_is_refused_unread() {
    let mut big = EXPORT.to_vec();
    big.resize(MAX_FILE_BYTES + 1, b' ');
    assert_eq!(parse(&big), Err(ParseError::TooLarge));
}

#[test]
fn other_xml_is_not_a_fatturapa_invoice() {
    assert_eq!(
        parse(b"<?xml version=\"1.0\"?><ModelloBase xmlns=\"urn:sportello:modello-base:1\"/>"),
        Err(ParseError::NotFatturaPa)
    );
    // The right name in another namespace.
    assert_eq!(
        parse(
            b"<FatturaElettronica xmlns=\"urn:other\" versione=\"FPR12\"><a/></FatturaElettronica>"
        ),
        Err(ParseError::NotFatturaPa)
    );
    assert_eq!(
        parse(
            b"<p:FatturaElettronica xmlns:p=\"http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2\" versione=\"FSM10\"><a/></p:FatturaElettronica>"
        ),
        Err(ParseError::UnsupportedFormat("FSM10".into()))
    );
}

#[test]
fn malformed_xml_and_binary_are_refused() {
    let cut = &EXPORT[..EXPORT.len() / 2];
    assert_eq!(parse(cut), Err(ParseError::Malformed));
    assert_eq!(parse(b"\xff\xfe\x00<"), Err(ParseError::NotText));
    let crossed = String::from_utf8(EXPORT.to_vec())
        .expect("utf-8")
        .replace("</Numero>", "</Data>");
    assert_eq!(parse(crossed.as_bytes()), Err(ParseError::Malformed));
}

#[test]
fn an_invoice_without_its_number_names_what_is_missing() {
    let text = String::from_utf8(EXPORT.to_vec())
        .expect("utf-8")
        .replace("<Numero>2026/118</Numero>", "");
    assert_eq!(
        parse(text.as_bytes()),
        Err(ParseError::Missing("DatiGeneraliDocumento/Numero"))
    );
}

#[test]
fn deep_nesting_is_refused() {
    let mut s = String::from(
        "<p:FatturaElettronica xmlns:p=\"http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2\" versione=\"FPR12\">",
    );
    for _ in 0..100 {
        s.push_str("<a>");
    }
    assert_eq!(parse(s.as_bytes()), Err(ParseError::Malformed));
}

#[test]
fn amounts_are_read_to_the_cent() {
    assert_eq!(amount("15400.00").map(Money::cents), Some(1_540_000));
    assert_eq!(amount("-12.5").map(Money::cents), Some(-1250));
    assert_eq!(amount("0.125").map(Money::cents), Some(13));
    assert_eq!(amount("1,00"), None);
    assert_eq!(amount(""), None);
}

/// The fixtures (made by a38, `scripts/fatturapa-fixtures.sh`) are valid FatturaPA: xmllint
/// checks them against the official schema, which `scripts/fatturapa-schema` installs from a
/// package registry (`scripts/test` runs it first). Neither missing is a skip: the test fails.
#[test]
fn the_fixtures_are_valid_against_the_official_fatturapa_schema() {
    use std::process::Command;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join("scripts/fatturapa-schema"))
        .output()
        .expect("scripts/fatturapa-schema runs");
    assert!(
        out.status.success(),
        "scripts/fatturapa-schema: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schema = String::from_utf8(out.stdout).expect("path");
    let schema = std::path::Path::new(schema.trim());
    let catalog = schema.with_file_name("catalog.xml");
    let fixtures = root.join("crates/sportello-core/tests/fixtures/fatturapa");
    for name in ["fpr12-export.xml", "fpr12-batch.xml", "fpa12.xml"] {
        let out = Command::new("xmllint")
            .env("XML_CATALOG_FILES", &catalog)
            .args(["--nonet", "--noout", "--schema"])
            .arg(schema)
            .arg(fixtures.join(name))
            .output()
            .unwrap_or_else(|e| {
                panic!("xmllint is needed (Debian package libxml2-utils; scripts/test installs it): {e}")
            });
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
