//! PDF tests with poppler-utils (Debian; `scripts/test` installs it): `pdftotext` for the
//! texts, `pdfdetach` for the embedded model, `pdftoppm` to render a page whose QR code is
//! then decoded with `rqrr`. A missing tool fails the test with a message; nothing is
//! skipped. Set `SPORTELLO_PDF_OUT=DIR` to keep the PDFs and page images for a look.

#![allow(clippy::unwrap_used)]

use crate::trade::form::CertificateNumber;
use crate::trade::pdf::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn issue(doc: &ModelDocument) -> CertificateIssue {
    let number = CertificateNumber::parse("C26GE0000123").unwrap();
    CertificateIssue {
        verify_url: verification_url("https://sportello.example/", &number, "K7Q2-9XWM"),
        number,
        security_code: "K7Q2-9XWM".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        chamber_name: "Camera di Commercio, Industria, Artigianato e Agricoltura di Genova".into(),
        place: "Genova".into(),
        duplicate_of: None,
        replaces: None,
        print_mode: PrintMode::BlankPaper,
        form_serial: None,
        model_xml: crate::trade::xml::model_xml(doc),
        stamped: Vec::new(),
    }
}

/// Where the test's files go: `SPORTELLO_PDF_OUT` when set, a temporary folder otherwise.
struct Out {
    _tmp: Option<tempfile::TempDir>,
    dir: PathBuf,
}

fn out() -> Out {
    match std::env::var_os("SPORTELLO_PDF_OUT") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            Out {
                _tmp: None,
                dir: d.into(),
            }
        }
        None => {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().to_path_buf();
            Out {
                _tmp: Some(tmp),
                dir,
            }
        }
    }
}

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed (Debian package poppler-utils; scripts/test installs it): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn save(out: &Out, name: &str, pdf: &[u8]) -> PathBuf {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
    let path = out.dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    path
}

/// The text of the PDF, layout kept, whitespace runs collapsed to one space.
fn text_of(path: &Path) -> String {
    let raw = tool("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    String::from_utf8(raw)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn pages_of(path: &Path) -> usize {
    let info = String::from_utf8(tool("pdfinfo", &[path.to_str().unwrap()])).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn assert_contains(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "'{n}' missing from:\n{text}");
    }
}

#[test]
fn previews_of_every_practice_type_say_what_they_are() {
    let out = out();
    for (name, doc) in samples::all() {
        let pdf = preview(&doc, Lang::It).unwrap();
        let path = save(&out, &format!("preview_{name}"), &pdf);
        let text = text_of(&path);
        assert_contains(
            &text,
            &[
                "ANTEPRIMA — NON VALIDA / PREVIEW — NOT VALID",
                "Pagina 1 di",
            ],
        );
        match name {
            "invoice_visa" => assert_contains(
                &text,
                &[
                    "Arabia Saudita / Saudi Arabia",
                    "2026/120",
                    "2026/121",
                    "4.200,00 €",
                    "Giulia Bianchi",
                ],
            ),
            "visas" => assert_contains(&text, &["Egitto / Egypt", "Attestato di libera vendita"]),
            "copy" => assert_contains(&text, &["C26GE0000123", "A0123456"]),
            "cancellation" => assert_contains(&text, &["C26GE0000099", "Furto / Theft"]),
            _ => assert_contains(
                &text,
                &[
                    "1 Speditore / Consignor",
                    "8 Certificazione dell'autorità competente",
                    "Rossi Valvole Industriali S.p.A.",
                ],
            ),
        }
    }
}

#[test]
fn the_certificate_of_origin_preview_shows_the_boxes_and_full_names() {
    let out = out();
    let pdf = preview(&samples::co_basic(), Lang::It).unwrap();
    let path = save(&out, "preview_co", &pdf);
    let text = text_of(&path);
    assert_contains(
        &text,
        &[
            "ACME Trading LLC",
            "Stati Uniti d'America / United States of America",
            "ITALIA / ITALY",
            "Italia / Italy",
            "Invoice No. 2026/118 of 20/11/2026",
            "Valvole a sfera in acciaio inox",
            "1.250 kg lordi",
            "Riservato alla Camera di commercio",
        ],
    );
    assert_eq!(pages_of(&path), 1);
    // English first when asked.
    let pdf = preview(&samples::co_basic(), Lang::En).unwrap();
    let text = text_of(&save(&out, "preview_co_en", &pdf));
    assert_contains(&text, &["United States of America / Stati Uniti d'America"]);
}

#[test]
fn long_texts_wrap_and_continue_without_loss() {
    let out = out();
    let doc = samples::co_tricky();
    let pdf = preview(&doc, Lang::It).unwrap();
    let path = save(&out, "preview_tricky", &pdf);
    let text = text_of(&path);
    assert_contains(
        &text,
        &[
            "Società & Figli <Export> \"Çağlayan\" Dış Ticaret A.Ş.",
            "Turchia / Türkiye",
            "UNIONE EUROPEA / EUROPEAN UNION",
            "continued on the continuation sheet",
            "FOGLIO AGGIUNTIVO / CONTINUATION SHEET",
            "TR/3 «€» ½ ©",
        ],
    );
    // In drawing order (-raw), where boxes side by side do not interleave, every word of the
    // long remarks is there in order, those that did not fit on page 1 on the continuation
    // sheet.
    let BaseModelForm::CertificateOfOrigin(form) = &doc.form else {
        panic!()
    };
    let raw = String::from_utf8(tool("pdftotext", &["-raw", path.to_str().unwrap(), "-"])).unwrap();
    let mut drawn = raw.split_whitespace();
    for word in form.remarks.as_deref().unwrap().split_whitespace() {
        assert!(drawn.any(|w| w == word), "'{word}' lost or out of order");
    }
}

#[test]
fn an_issued_certificate_with_80_lines_continues_and_embeds_its_model() {
    let out = out();
    let doc = samples::co_lines(80);
    let issue = issue(&doc);
    let pdf = certificate(&doc, &issue, Lang::It).unwrap();
    let path = save(&out, "certificate_80", &pdf);
    let text = text_of(&path);
    assert_contains(
        &text,
        &[
            "C26GE0000123",
            "K7Q2-9XWM",
            "https://sportello.example/verify/C26GE0000123?code=K7Q2-9XWM",
            "ORIGINALE / ORIGINAL",
            "Genova, 26/11/2026",
            "The undersigned authority certifies that the goods described above originate in the country shown in box 3.",
            "L'autorità sottoscritta certifica",
            "FOGLIO AGGIUNTIVO / CONTINUATION SHEET",
        ],
    );
    assert!(!text.contains("ANTEPRIMA"));
    // Every item line, the last one included.
    for i in [1, 40, 79, 80] {
        assert!(text.contains(&format!("Articolo {i}:")), "item {i}");
        assert!(text.contains(&format!("{} pz", i * 10)), "quantity {i}");
    }
    let pages = pages_of(&path);
    assert!(pages >= 3, "{pages} pages");
    assert!(text.contains(&format!("Pagina {pages} di {pages}")));

    // The signed model is attached.
    let list = String::from_utf8(tool("pdfdetach", &["-list", path.to_str().unwrap()])).unwrap();
    assert!(
        list.contains("modello-base_CO_01879020517_9a8b7c6d_v3.xml"),
        "{list}"
    );
    let saved = out.dir.join("attached.xml");
    tool(
        "pdfdetach",
        &[
            "-save",
            "1",
            "-o",
            saved.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&saved).unwrap(), issue.model_xml);
}

#[test]
fn the_qr_code_decodes_to_the_verification_url() {
    let out = out();
    let doc = samples::co_basic();
    let issue = issue(&doc);
    let pdf = certificate(&doc, &issue, Lang::It).unwrap();
    let path = save(&out, "certificate_qr", &pdf);
    let prefix = out.dir.join("certificate_qr");
    tool(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            "-gray",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let pgm = std::fs::read_dir(&out.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("certificate_qr")
                && p.extension().is_some_and(|e| e == "pgm")
        })
        .unwrap();
    let (w, h, pixels) = read_pgm(&std::fs::read(pgm).unwrap());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, issue.verify_url);
    assert_eq!(
        content,
        "https://sportello.example/verify/C26GE0000123?code=K7Q2-9XWM"
    );
    // The same address is a link annotation.
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("/URI") || raw.contains("/Annots"));
}

/// A binary PGM (P5, 8 bits) as width, height and pixels.
fn read_pgm(data: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(data[start..i].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    assert_eq!(fields[3], "255");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, data[i + 1..i + 1 + w * h].to_vec())
}

#[test]
fn duplicates_copies_replacements_and_forms_are_marked() {
    let out = out();
    let doc = samples::co_basic();
    let mut issue = issue(&doc);
    issue.duplicate_of = Some((
        CertificateNumber::parse("C26GE0000100").unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
    ));
    issue.replaces = Some(CertificateNumber::parse("C26GE0000099").unwrap());
    let pdf = certificate_copies(&doc, &issue, Lang::It, 2).unwrap();
    let path = save(&out, "certificate_duplicate_copies", &pdf);
    assert_eq!(pages_of(&path), 3);
    let text = text_of(&path);
    assert_contains(
        &text,
        &[
            "DUPLICATO / DUPLICATE",
            "DUPLICATO del certificato n. C26GE0000100 rilasciato il 02/11/2026",
            "Replaces certificate No. C26GE0000099",
            "Stampare a colori su carta bianca A4",
        ],
    );
    assert_eq!(text.matches("ORIGINALE / ORIGINAL").count(), 1);
    assert_eq!(text.matches("COPIA / COPY").count(), 2);

    issue.print_mode = PrintMode::Form;
    issue.form_serial = Some(FormSerial::parse("A0123456").unwrap());
    let pdf = certificate(&doc, &issue, Lang::It).unwrap();
    let text = text_of(&save(&out, "certificate_form", &pdf));
    assert_contains(&text, &["Formulario n. / Form No. A0123456"]);
    assert!(!text.contains("Stampare a colori su carta bianca"));
}

#[test]
fn the_same_input_gives_the_same_pdf() {
    let doc = samples::co_tricky();
    let a = preview(&doc, Lang::It).unwrap();
    let b = preview(&doc, Lang::It).unwrap();
    assert_eq!(Sha256::digest(&a), Sha256::digest(&b));
    let issue = issue(&doc);
    let a = certificate(&doc, &issue, Lang::It).unwrap();
    let b = certificate(&doc, &issue, Lang::It).unwrap();
    assert_eq!(Sha256::digest(&a), Sha256::digest(&b));
    // A single revision, ready for an incremental signature.
    assert_eq!(a.windows(5).filter(|w| w == b"%%EOF").count(), 1);
}

#[test]
fn a_verification_url_percent_encodes_the_code() {
    let n = CertificateNumber::parse("C26GE0000123").unwrap();
    assert_eq!(
        verification_url("https://x.example", &n, "AB 12/&"),
        "https://x.example/verify/C26GE0000123?code=AB%2012%2F%26"
    );
}

#[test]
fn the_largest_form_renders_every_item() {
    let out = out();
    let doc = samples::co_max();
    let pdf = preview(&doc, Lang::It).unwrap();
    let path = save(&out, "preview_co_max", &pdf);
    let pages = pages_of(&path);
    assert!(pages > 20, "{pages} pages");
    let raw = String::from_utf8(tool("pdftotext", &["-raw", path.to_str().unwrap(), "-"])).unwrap();
    for n in [1, 100, 199, 200] {
        assert!(raw.contains(&format!("{n}. ")), "item {n}");
    }
    assert!(raw.contains(&format!("Pagina {pages} di {pages}")));
}

#[test]
fn a_certificate_lists_the_documents_stamped_with_it() {
    let out = out();
    let doc = samples::co_basic();
    let mut issue = issue(&doc);
    issue.stamped = vec![
        StampedDocument {
            visa_number: "GE/2026/0000007-V1".into(),
            description: "Fattura 2026/118".into(),
            file_name: "fattura-118.pdf".into(),
            sha256: "ab".repeat(32),
            invoice: true,
            visas: 1,
            legalisations: 1,
        },
        StampedDocument {
            visa_number: "GE/2026/0000007-V2".into(),
            description: "Packing list 118".into(),
            file_name: "packing-118.pdf".into(),
            sha256: "cd".repeat(32),
            invoice: false,
            visas: 2,
            legalisations: 0,
        },
    ];
    let pdf = certificate_copies(&doc, &issue, Lang::It, 1).unwrap();
    let path = save(&out, "certificate_stamped", &pdf);
    assert_eq!(pages_of(&path), 3);
    let text = text_of(&path);
    assert_contains(
        &text,
        &[
            "DOCUMENTI VISTATI / STAMPED DOCUMENTS",
            "Annex to certificate N. C26GE0000123",
            "1. Fattura 2026/118",
            "GE/2026/0000007-V1",
            "Visto poteri di firma sulla fattura",
            "Legalizzazione di firma",
            "2. Packing list 118",
            "GE/2026/0000007-V2",
            &"cd".repeat(32),
        ],
    );
    // Without stamped documents, no such page.
    issue.stamped.clear();
    let pdf = certificate_copies(&doc, &issue, Lang::It, 1).unwrap();
    let path = save(&out, "certificate_not_stamped", &pdf);
    assert_eq!(pages_of(&path), 2);
    assert!(!text_of(&path).contains("STAMPED DOCUMENTS"));
}
