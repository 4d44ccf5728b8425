//! The certificate of origin in the layout of the EU non-preferential form: boxes 1–8 on
//! the first page, continuation sheets for what does not fit.

use crate::i18n::Lang;
use crate::trade::document::ModelDocument;
use crate::trade::form::CertificateOfOriginForm;
use crate::trade::pdf::canvas::{BLUE, GREY, RED, Sheet};
use crate::trade::pdf::layout::{
    self, BODY, BOTTOM, Flow, LABEL, LEADING, LEFT, RIGHT, TOP, WIDTH, country,
};
use crate::trade::pdf::text::{Fonts, Weight};
use crate::trade::pdf::{CertificateIssue, PdfError, box8};
use crate::trade::practice_type::PrintMode;

pub(super) enum Mode<'a> {
    Preview,
    Issued {
        issue: &'a CertificateIssue,
        copy: bool,
    },
}

const HALF: f32 = WIDTH / 2.0;
const PAD: f32 = 5.0;
/// Width of box 7 (quantity) and of the item-number column of box 6.
const QTY_W: f32 = 112.0;
const NUM_W: f32 = 26.0;
const CONTINUED: &str = "(segue nel foglio aggiuntivo / continued on the continuation sheet)";

/// Box labels: number, Italian, English (the EU certificate-of-origin form).
const BOX_LABELS: [(&str, &str, &str); 8] = [
    ("1", "Speditore", "Consignor"),
    ("2", "Destinatario", "Consignee"),
    ("3", "Paese di origine", "Country of origin"),
    (
        "4",
        "Informazioni riguardanti il trasporto (facoltativo)",
        "Transport details (optional)",
    ),
    ("5", "Osservazioni", "Remarks"),
    (
        "6",
        "Numero d'ordine; marche, numeri, quantità e natura dei colli; denominazione delle merci",
        "Item number; marks, numbers, number and kind of packages; description of goods",
    ),
    ("7", "Quantità", "Quantity"),
    (
        "8",
        "Certificazione dell'autorità competente",
        "Certification by the competent authority",
    ),
];

fn label(i: usize) -> String {
    let (n, it, en) = BOX_LABELS[i];
    format!("{n}  {it} / {en}")
}

/// One line of the goods table.
struct ItemLine {
    /// The item's number, on the line that starts it.
    number: Option<String>,
    /// The item's number again, printed grey when a page starts in the middle of the item.
    of_item: String,
    text: String,
    quantity: String,
    last_of_item: bool,
}

/// Lines of a box that did not fit on the first page, printed on a continuation sheet.
struct Overflow {
    title: String,
    lines: Vec<String>,
}

/// The text of a half-width box: its label and content lines, of which the ones from
/// `note_from` on are the grey "continued" note.
struct BoxText {
    label: Vec<String>,
    lines: Vec<String>,
    note_from: usize,
}

impl BoxText {
    /// `lines` in box `box_index`, at most `max` of them: when there are more, the last ones
    /// say the rest continues and the rest goes to `overflow`.
    fn new(
        fonts: &Fonts,
        box_index: usize,
        lines: Vec<String>,
        max: usize,
        overflow: &mut Vec<Overflow>,
    ) -> BoxText {
        let label = fonts.wrap(&label(box_index), Weight::Bold, LABEL, HALF - 2.0 * PAD);
        if lines.len() <= max {
            let note_from = lines.len();
            return BoxText {
                label,
                lines,
                note_from,
            };
        }
        let note = fonts.wrap(CONTINUED, Weight::Regular, BODY, HALF - 2.0 * PAD);
        let mut lines = lines;
        let rest = lines.split_off(max - note.len());
        let note_from = lines.len();
        lines.extend(note);
        let (n, it, en) = BOX_LABELS[box_index];
        overflow.push(Overflow {
            title: format!("{n}  {it} (seguito) / {en} (continued)"),
            lines: rest,
        });
        BoxText {
            label,
            lines,
            note_from,
        }
    }

    fn top(&self) -> f32 {
        7.0 + self.label.len() as f32 * 8.5
    }

    fn height(&self) -> f32 {
        self.top() + self.lines.len() as f32 * LEADING + 5.0
    }

    fn draw(&self, sheet: &mut Sheet, x: f32, y: f32, h: f32, weight: Weight, size: f32) {
        sheet.frame(x, y, HALF, h, 0.7);
        for (i, l) in self.label.iter().enumerate() {
            sheet.coloured(
                x + PAD,
                y + 9.0 + i as f32 * 8.5,
                LABEL,
                Weight::Bold,
                BLUE,
                l,
            );
        }
        for (i, line) in self.lines.iter().enumerate() {
            let colour = if i >= self.note_from {
                GREY
            } else {
                crate::trade::pdf::canvas::BLACK
            };
            let base = y + self.top() + (i as f32 + 0.85) * LEADING;
            sheet.coloured(x + PAD, base, size, weight, colour, line);
        }
    }
}

pub(super) fn sheets(
    fonts: &Fonts,
    doc: &ModelDocument,
    form: &CertificateOfOriginForm,
    mode: &Mode<'_>,
    lang: Lang,
) -> Result<Vec<Sheet>, PdfError> {
    let issue = match mode {
        Mode::Issued { issue, .. } => Some(*issue),
        Mode::Preview => None,
    };
    let box_w = HALF - 2.0 * PAD;
    let wrap = |text: &str, w: f32| fonts.wrap(text, Weight::Regular, BODY, w);
    let mut overflow = Vec::new();

    // Box 1: the company at the site the request comes from.
    let mut consignor = wrap(&doc.company.name, box_w);
    consignor.extend(wrap(&doc.site.address, box_w));
    consignor.extend(wrap(
        &format!("{} {}", doc.site.postcode.as_str(), doc.site.municipality),
        box_w,
    ));
    consignor.extend(wrap(&country(italy(), lang), box_w));
    let consignor = BoxText::new(fonts, 0, consignor, 9, &mut overflow);

    // Box 2: consignee with the country in full.
    let mut consignee = wrap(&form.consignee.name, box_w);
    consignee.extend(wrap(&form.consignee.address, box_w));
    consignee.extend(wrap(&country(form.consignee.country, lang), box_w));
    let consignee = BoxText::new(fonts, 1, consignee, 9, &mut overflow);

    // Box 3: the country of origin, in capitals.
    let origin_lines = fonts.wrap(
        &country(form.origin_country, lang).to_uppercase(),
        Weight::Bold,
        11.0,
        box_w,
    );
    let origin = BoxText::new(fonts, 2, origin_lines, usize::MAX, &mut overflow);

    // Box 4 and box 5 (remarks, plus the replaced certificate).
    let transport_lines = match form.transport.as_deref() {
        Some(t) => wrap(t, box_w),
        None => Vec::new(),
    };
    let transport = BoxText::new(fonts, 3, transport_lines, 6, &mut overflow);
    let mut remarks = match form.remarks.as_deref() {
        Some(r) => wrap(r, box_w),
        None => Vec::new(),
    };
    if let Some(replaced) = issue.and_then(|i| i.replaces.as_ref()) {
        remarks.extend(wrap(
            &format!(
                "Sostituisce il certificato n. {replaced}, annullato / Replaces certificate \
                 No. {replaced}, cancelled"
            ),
            box_w,
        ));
    }
    let remarks = BoxText::new(fonts, 4, remarks, 12, &mut overflow);

    // Boxes 6 and 7: one entry per item.
    let text_w = WIDTH - QTY_W - NUM_W - 2.0 * PAD;
    let qty_w = QTY_W - 2.0 * PAD;
    let mut items = Vec::new();
    for item in &form.items {
        let head = if item.marks.is_empty() {
            item.packages.clone()
        } else {
            format!("{} — {}", item.marks, item.packages)
        };
        let mut text = wrap(&head, text_w);
        text.extend(wrap(&item.description, text_w));
        let quantity = wrap(&item.quantity, qty_w);
        let rows = text.len().max(quantity.len());
        for r in 0..rows {
            items.push(ItemLine {
                number: (r == 0).then(|| format!("{}.", item.number)),
                of_item: format!("({})", item.number),
                text: text.get(r).cloned().unwrap_or_default(),
                quantity: quantity.get(r).cloned().unwrap_or_default(),
                last_of_item: r + 1 == rows,
            });
        }
    }

    // Box 8 first, from the bottom up, so the goods get whatever space is left.
    let box8 = box8::content(fonts, issue)?;
    let box8_h = box8.height.max(150.0);
    let box8_top = BOTTOM - box8_h;

    let mut first = Sheet::default();
    let mut y = page_top(&mut first, fonts, mode, false);

    // Row A: box 1 and the title panel.
    let title_h = title_panel(&mut first, fonts, mode, LEFT + HALF, y, None);
    let row_a = consignor.height().max(title_h).max(118.0);
    consignor.draw(&mut first, LEFT, y, row_a, Weight::Regular, BODY);
    first.frame(LEFT + HALF, y, HALF, row_a, 0.7);
    y += row_a;

    // Row B: boxes 2 and 3.
    let row_b = consignee.height().max(origin.height()).max(80.0);
    consignee.draw(&mut first, LEFT, y, row_b, Weight::Regular, BODY);
    origin.draw(&mut first, LEFT + HALF, y, row_b, Weight::Bold, 11.0);
    y += row_b;

    // Row C: boxes 4 and 5.
    let row_c = transport.height().max(remarks.height()).max(56.0);
    transport.draw(&mut first, LEFT, y, row_c, Weight::Regular, BODY);
    remarks.draw(&mut first, LEFT + HALF, y, row_c, Weight::Regular, BODY);
    y += row_c;

    // Rows D: boxes 6 and 7 down to box 8.
    let table_top = y;
    let mut y = goods_header(&mut first, fonts, table_top);
    let continued_h = LEADING + 4.0;
    let mut next = 0;
    while next < items.len() {
        let remaining_after = items.len() - next - 1;
        let reserve = if remaining_after > 0 {
            continued_h
        } else {
            0.0
        };
        if y + LEADING + reserve > box8_top - 2.0 {
            break;
        }
        y = item_line(&mut first, y, &items[next], false);
        next += 1;
    }
    let continues = next < items.len() || !overflow.is_empty();
    goods_frame(&mut first, table_top, box8_top);
    if next < items.len() {
        first.coloured(
            LEFT + NUM_W + PAD,
            y + 0.6 * LEADING + 2.0,
            BODY,
            Weight::Bold,
            GREY,
            CONTINUED,
        );
    } else if box8_top - y > 24.0 {
        // Bar the unused space so nothing can be added after printing.
        first.line(
            LEFT + NUM_W + PAD,
            y + 4.0,
            RIGHT - QTY_W - PAD,
            box8_top - 6.0,
            0.5,
        );
        first.line(
            RIGHT - QTY_W + PAD,
            y + 4.0,
            RIGHT - PAD,
            box8_top - 6.0,
            0.5,
        );
    }
    box8::draw(&mut first, &box8, box8_top, box8_h);
    if matches!(mode, Mode::Preview) {
        layout::preview_watermark(&mut first, fonts);
    }

    // Continuation sheets.
    let mut sheets = vec![first];
    if continues {
        let mut flow = Flow::new(|sheet: &mut Sheet| {
            let top = page_top(sheet, fonts, mode, true);
            if matches!(mode, Mode::Preview) {
                layout::preview_watermark(sheet, fonts);
            }
            top + title_panel(
                sheet,
                fonts,
                mode,
                LEFT,
                top,
                Some("FOGLIO AGGIUNTIVO / CONTINUATION SHEET"),
            ) + 6.0
        });
        for block in &overflow {
            flow.need(20.0 + LEADING);
            let y = flow.y;
            flow.y = layout::heading(flow.sheet(), y, &block.title);
            for line in &block.lines {
                flow.need(LEADING);
                let y = flow.y;
                flow.sheet()
                    .text(LEFT + PAD, y + 0.7 * LEADING, BODY, Weight::Regular, line);
                flow.y += LEADING;
            }
            flow.y += 8.0;
        }
        if next < items.len() {
            flow.need(40.0);
            let mut top = flow.y;
            flow.y = goods_header(flow.sheet(), fonts, top);
            let mut page_start = true;
            for line in &items[next..] {
                let before = flow.y;
                if flow.need(LEADING) {
                    goods_frame_until(&mut flow, top, before);
                    top = flow.y;
                    flow.y = goods_header(flow.sheet(), fonts, top);
                    page_start = true;
                }
                let y = flow.y;
                flow.y = item_line(flow.sheet(), y, line, page_start);
                page_start = false;
            }
            let y = flow.y + 4.0;
            let sheet = flow.sheet();
            goods_frame(sheet, top, y);
        }
        sheets.extend(flow.sheets);
    }

    let note = match issue {
        Some(i) => format!(
            "Certificato n. / Certificate No. {} — codice di sicurezza / security code {}",
            i.number, i.security_code
        ),
        None => format!(
            "Modello base / Base model {} v{}",
            doc.model_id, doc.version
        ),
    };
    layout::number_pages(&mut sheets, fonts, &note);
    Ok(sheets)
}

/// Frames the goods table on the page the flow just left.
fn goods_frame_until(flow: &mut Flow<'_>, top: f32, bottom: f32) {
    let n = flow.sheets.len();
    if n >= 2 {
        goods_frame(&mut flow.sheets[n - 2], top, bottom + 4.0);
    }
}

fn italy() -> crate::trade::country::Country {
    match crate::trade::country::Country::parse("IT") {
        Ok(c) => c,
        Err(_) => unreachable!("the country table lists IT"),
    }
}

/// The header above the boxes: the preview banner, or the print-mode line.
fn page_top(sheet: &mut Sheet, fonts: &Fonts, mode: &Mode<'_>, _continuation: bool) -> f32 {
    match mode {
        Mode::Preview => layout::preview_banner(sheet, fonts),
        Mode::Issued { issue, .. } => {
            let y = TOP + 10.0;
            match (&issue.print_mode, &issue.form_serial) {
                (PrintMode::Form, Some(serial)) => {
                    sheet.text(LEFT, y, 9.0, Weight::Bold, &format!("Formulario n. / Form No. {}", serial.as_str()));
                }
                (PrintMode::Form, None) => {
                    sheet.text(LEFT, y, 9.0, Weight::Bold, "Stampa su formulario / Printed on the official form");
                }
                (PrintMode::BlankPaper, _) => {
                    for (i, line) in [
                        "Stampare a colori su carta bianca A4 (almeno 64 g/m²) senza modificarne il formato.",
                        "Print in colour on plain white A4 paper (at least 64 g/m²) without changing the layout.",
                    ]
                    .iter()
                    .enumerate()
                    {
                        sheet.coloured(LEFT, TOP + 4.0 + i as f32 * 8.0, 6.5, Weight::Regular, GREY, line);
                    }
                }
            }
            TOP + 18.0
        }
    }
}

/// The title panel at the top right of the first page (or across the top of a continuation
/// sheet): the number, the form's title and ORIGINAL or COPY. Returns its height.
fn title_panel(
    sheet: &mut Sheet,
    fonts: &Fonts,
    mode: &Mode<'_>,
    x: f32,
    y: f32,
    continuation: Option<&str>,
) -> f32 {
    let right = x + if continuation.is_some() { WIDTH } else { HALF } - PAD;
    let centre = if continuation.is_some() {
        LEFT + WIDTH / 2.0
    } else {
        x + HALF / 2.0
    };
    // The number is given on issue; a preview says so in its place.
    let (number, size, weight, colour) = match mode {
        Mode::Issued { issue, .. } => (
            issue.number.as_str(),
            14.0,
            Weight::Bold,
            crate::trade::pdf::canvas::BLACK,
        ),
        Mode::Preview => (
            "(assegnato al rilascio / assigned on issue)",
            LABEL,
            Weight::Regular,
            GREY,
        ),
    };
    let w = fonts.width(number, weight, size);
    sheet.coloured(right - w, y + 17.0, size, weight, colour, number);
    sheet.right(
        fonts,
        right - w - 6.0,
        y + 16.0,
        LABEL,
        Weight::Regular,
        GREY,
        "N. / No.",
    );
    let mut ty = y + 34.0;
    if let Some(title) = continuation {
        sheet.centred(fonts, centre, ty + 4.0, 12.0, Weight::Bold, BLUE, title);
        ty += 20.0;
    } else {
        sheet.centred(
            fonts,
            centre,
            ty,
            10.0,
            Weight::Bold,
            BLUE,
            "UNIONE EUROPEA / EUROPEAN UNION",
        );
        ty += 20.0;
        sheet.centred(
            fonts,
            centre,
            ty,
            14.0,
            Weight::Bold,
            BLUE,
            "CERTIFICATO DI ORIGINE",
        );
        ty += 15.0;
        sheet.centred(
            fonts,
            centre,
            ty,
            11.0,
            Weight::Bold,
            BLUE,
            "CERTIFICATE OF ORIGIN",
        );
        ty += 20.0;
    }
    match mode {
        Mode::Preview => {
            sheet.centred(
                fonts,
                centre,
                ty,
                10.0,
                Weight::Bold,
                RED,
                "ANTEPRIMA / PREVIEW",
            );
        }
        Mode::Issued { issue, copy } => {
            let (text, colour) = if *copy {
                ("COPIA / COPY", RED)
            } else {
                ("ORIGINALE / ORIGINAL", BLUE)
            };
            sheet.centred(fonts, centre, ty, 11.0, Weight::Bold, colour, text);
            if issue.duplicate_of.is_some() {
                ty += 14.0;
                sheet.centred(
                    fonts,
                    centre,
                    ty,
                    11.0,
                    Weight::Bold,
                    RED,
                    "DUPLICATO / DUPLICATE",
                );
            }
            if continuation.is_none() {
                for line in fonts.wrap(&issue.chamber_name, Weight::Regular, 8.5, HALF - 2.0 * PAD)
                {
                    ty += 12.0;
                    sheet.centred(
                        fonts,
                        centre,
                        ty,
                        8.5,
                        Weight::Regular,
                        crate::trade::pdf::canvas::BLACK,
                        &line,
                    );
                }
            }
        }
    }
    ty - y + 10.0
}

/// The labels of boxes 6 and 7; returns the y where lines start.
fn goods_header(sheet: &mut Sheet, fonts: &Fonts, y: f32) -> f32 {
    let six = fonts.wrap(&label(5), Weight::Bold, LABEL, WIDTH - QTY_W - 2.0 * PAD);
    let seven = fonts.wrap(&label(6), Weight::Bold, LABEL, QTY_W - 2.0 * PAD);
    for (i, l) in six.iter().enumerate() {
        sheet.coloured(
            LEFT + PAD,
            y + 9.0 + i as f32 * 8.5,
            LABEL,
            Weight::Bold,
            BLUE,
            l,
        );
    }
    for (i, l) in seven.iter().enumerate() {
        sheet.coloured(
            RIGHT - QTY_W + PAD,
            y + 9.0 + i as f32 * 8.5,
            LABEL,
            Weight::Bold,
            BLUE,
            l,
        );
    }
    let h = 6.0 + six.len().max(seven.len()) as f32 * 8.5;
    sheet.line(LEFT, y + h, RIGHT, y + h, 0.4);
    y + h + 3.0
}

fn goods_frame(sheet: &mut Sheet, top: f32, bottom: f32) {
    sheet.frame(LEFT, top, WIDTH, bottom - top, 0.7);
    sheet.line(RIGHT - QTY_W, top, RIGHT - QTY_W, bottom, 0.7);
}

/// Draws one line of the goods; `page_start` when it is the first on a continuation page.
fn item_line(sheet: &mut Sheet, y: f32, line: &ItemLine, page_start: bool) -> f32 {
    let base = y + 0.75 * LEADING;
    match &line.number {
        Some(n) => sheet.text(LEFT + PAD, base, BODY, Weight::Bold, n),
        None if page_start => {
            sheet.coloured(LEFT + PAD, base, BODY, Weight::Regular, GREY, &line.of_item)
        }
        None => {}
    }
    sheet.text(LEFT + NUM_W + PAD, base, BODY, Weight::Regular, &line.text);
    sheet.text(
        RIGHT - QTY_W + PAD,
        base,
        BODY,
        Weight::Regular,
        &line.quantity,
    );
    y + LEADING + if line.last_of_item { 3.0 } else { 0.0 }
}
