//! The wallet's PDFs: the pagoPA payment notice of a top-up, the receipt of a ledger entry and
//! the statement of a period. They share the certificate's drawing kit (fonts, pages, QR
//! codes) and its rules: PDF/A-3u on A4, deterministic bytes, Italian first and English second.
//!
//! The notice follows the structure of pagoPA's payment notice (*avviso di pagamento*): who
//! asks (creditor) and whom (addressee), how much and by when, where to pay, and the
//! payment slip for banks and other channels with the QR code, the CBILL code when the chamber
//! has one, the notice code in groups of four and the creditor's tax code. Our own layout.

use super::box8::qr_modules;
use super::canvas::{BLUE, GREY, LIGHT, Op, Sheet};
use super::layout::{self, BODY, Flow, LEFT, RIGHT, TOP, WIDTH, date};
use super::summary::Writer;
use super::text::{Fonts, Weight};
use super::{PdfError, finish, pdf_instant};
use crate::i18n::Lang;
use crate::money::Money;
use chrono::NaiveDate;

/// What a payment notice says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentNotice {
    pub chamber_name: String,
    pub creditor_tax_code: String,
    pub cbill: Option<String>,
    pub company_name: String,
    pub company_tax_code: String,
    pub subject: String,
    pub amount: Money,
    pub expires_on: NaiveDate,
    /// The 18-digit notice code.
    pub notice_code: String,
    /// The same in groups of four.
    pub notice_code_grouped: String,
    /// `PAGOPA|002|…`, the QR code's text.
    pub qr_text: String,
    pub issued_on: NaiveDate,
}

const QR_SIZE: f32 = 110.0;

/// The payment notice of a top-up.
pub fn payment_notice(n: &PaymentNotice, lang: Lang) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load().ok_or(PdfError::Font)?;
    let mut s = Sheet::default();
    s.coloured(
        LEFT,
        TOP + 18.0,
        18.0,
        Weight::Bold,
        BLUE,
        "AVVISO DI PAGAMENTO",
    );
    s.coloured(
        LEFT,
        TOP + 32.0,
        9.0,
        Weight::Regular,
        GREY,
        "Payment notice — pagoPA",
    );
    s.right(
        &fonts,
        RIGHT,
        TOP + 18.0,
        10.0,
        Weight::Bold,
        BLUE,
        &n.chamber_name,
    );
    let mut y = TOP + 50.0;
    for line in fonts.wrap(&n.subject, Weight::Bold, 11.0, WIDTH) {
        s.text(LEFT, y + 11.0, 11.0, Weight::Bold, &line);
        y += 14.0;
    }
    y += 6.0;
    // Creditor and addressee, side by side.
    let half = WIDTH / 2.0;
    let columns = [
        (
            LEFT,
            "ENTE CREDITORE / Creditor",
            n.chamber_name.as_str(),
            format!("Codice fiscale {}", n.creditor_tax_code),
        ),
        (
            LEFT + half,
            "DESTINATARIO AVVISO / Addressee",
            n.company_name.as_str(),
            format!("Codice fiscale {}", n.company_tax_code),
        ),
    ];
    for (x, label, name, code) in &columns {
        s.fill(*x, y, half - 8.0, 16.0, LIGHT);
        s.coloured(*x + 4.0, y + 11.5, 8.5, Weight::Bold, BLUE, label);
        let mut ly = y + 30.0;
        for line in fonts.wrap(name, Weight::Bold, BODY, half - 16.0) {
            s.text(*x + 4.0, ly, BODY, Weight::Bold, &line);
            ly += 12.0;
        }
        s.text(*x + 4.0, ly, BODY, Weight::Regular, code);
    }
    y += 70.0;
    y = layout::heading(&mut s, y, "QUANTO E QUANDO PAGARE? / How much and by when?");
    s.text(
        LEFT + 4.0,
        y + 18.0,
        18.0,
        Weight::Bold,
        &n.amount.to_italian(),
    );
    s.text(
        LEFT + 200.0,
        y + 18.0,
        11.0,
        Weight::Regular,
        &format!("entro il / by {}", date(n.expires_on)),
    );
    y += 30.0;
    for line in fonts.wrap(
        "L'importo è quello dovuto alla data di scadenza; dopo la scadenza l'avviso non è più \
         pagabile e occorre chiederne uno nuovo. / The amount is due by the date above; after it \
         the notice can no longer be paid and a new one must be requested.",
        Weight::Regular,
        8.0,
        WIDTH - 8.0,
    ) {
        s.coloured(LEFT + 4.0, y + 8.0, 8.0, Weight::Regular, GREY, &line);
        y += 10.0;
    }
    y += 6.0;
    y = layout::heading(&mut s, y, "DOVE PAGARE? / Where to pay?");
    for line in fonts.wrap(
        "Online con l'app o il sito della tua banca o di altri prestatori di servizi di pagamento \
         aderenti a pagoPA (home banking, CBILL, app IO); sul territorio in banca, all'ufficio \
         postale, negli sportelli ATM, nei punti vendita abilitati. Usa il codice QR o il codice \
         avviso con il codice fiscale dell'ente creditore. / Online through your bank or another \
         pagoPA payment service provider; at banks, post offices, ATMs and authorised shops. Use \
         the QR code, or the notice code with the creditor's tax code.",
        Weight::Regular,
        BODY,
        WIDTH - 8.0,
    ) {
        s.text(LEFT + 4.0, y + BODY, BODY, Weight::Regular, &line);
        y += BODY + 3.0;
    }
    y += 14.0;
    // The payment slip: a dashed rule, then the data every channel reads.
    s.ops.push(Op::Line {
        x1: LEFT,
        y1: y,
        x2: RIGHT,
        y2: y,
        colour: GREY,
        width: 0.6,
        dashed: true,
    });
    y += 8.0;
    y = layout::heading(
        &mut s,
        y,
        "BANCHE E ALTRI CANALI / Banks and other channels",
    );
    let top = y;
    let modules = qr_modules(&n.qr_text)?;
    let module = QR_SIZE / modules.len().max(1) as f32;
    s.ops.push(Op::Qr {
        x: LEFT + 4.0,
        y: top + 6.0,
        module,
        modules,
    });
    let x = LEFT + QR_SIZE + 24.0;
    let mut rows: Vec<(&str, String)> = vec![
        ("Destinatario / Addressee", n.company_name.clone()),
        ("Ente creditore / Creditor", n.chamber_name.clone()),
        ("Oggetto del pagamento / Subject", n.subject.clone()),
    ];
    if let Some(c) = &n.cbill {
        rows.push(("Codice CBILL / CBILL code", c.clone()));
    }
    rows.push(("Codice avviso / Notice code", n.notice_code_grouped.clone()));
    rows.push((
        "Cod. fiscale ente creditore / Creditor tax code",
        n.creditor_tax_code.clone(),
    ));
    rows.push(("Importo / Amount", n.amount.to_italian()));
    rows.push(("Scadenza / Due by", date(n.expires_on)));
    let mut ry = top + 10.0;
    for (label, value) in rows {
        s.coloured(x, ry, 7.0, Weight::Regular, GREY, label);
        for line in fonts.wrap(&value, Weight::Bold, BODY, RIGHT - x) {
            s.text(x, ry + 11.0, BODY, Weight::Bold, &line);
            ry += 12.0;
        }
        ry += 10.0;
    }
    let mut sheets = vec![s];
    layout::number_pages(
        &mut sheets,
        &fonts,
        &format!("Avviso pagoPA {}", n.notice_code),
    );
    let issued = n.issued_on.and_hms_opt(0, 0, 0).unwrap_or_default();
    finish(
        &fonts,
        &sheets,
        format!("Avviso di pagamento / Payment notice {}", n.notice_code),
        format!("avviso-{}", n.notice_code),
        pdf_instant(issued),
        lang,
        None,
    )
}

/// What a receipt says: one ledger entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub number: String,
    pub date: NaiveDate,
    /// What the entry is, in both languages ("Ricarica / Top-up").
    pub kind: String,
    pub amount: Money,
    pub balance_after: Money,
    pub company_name: String,
    pub company_tax_code: String,
    pub chamber_name: String,
    pub reference: String,
}

fn header(title: &'static str, chamber: String) -> Flow<'static> {
    Flow::new(move |sheet| {
        sheet.coloured(LEFT, TOP + 16.0, 14.0, Weight::Bold, BLUE, &chamber);
        sheet.coloured(LEFT, TOP + 34.0, 12.0, Weight::Bold, BLUE, title);
        TOP + 50.0
    })
}

/// The receipt of a top-up, a charge or a refund.
pub fn receipt(r: &Receipt, lang: Lang) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load().ok_or(PdfError::Font)?;
    let flow = header("RICEVUTA / RECEIPT", r.chamber_name.clone());
    let mut w = Writer {
        fonts: &fonts,
        flow,
    };
    w.heading("Ricevuta / Receipt");
    w.field("Numero / Number", &r.number);
    w.field("Data / Date", &date(r.date));
    w.field("Operazione / Operation", &r.kind);
    w.field("Importo / Amount", &r.amount.to_italian());
    w.field("Saldo dopo / Balance after", &r.balance_after.to_italian());
    w.field("Riferimento / Reference", &r.reference);
    w.heading("Impresa / Company");
    w.field("Denominazione / Name", &r.company_name);
    w.field("Codice fiscale / Tax code", &r.company_tax_code);
    w.heading("Camera di commercio / Chamber of commerce");
    w.field("Borsellino presso / Wallet at", &r.chamber_name);
    let mut sheets = w.flow.sheets;
    layout::number_pages(
        &mut sheets,
        &fonts,
        &format!("Ricevuta / Receipt {}", r.number),
    );
    let at = r.date.and_hms_opt(0, 0, 0).unwrap_or_default();
    finish(
        &fonts,
        &sheets,
        format!("Ricevuta / Receipt {}", r.number),
        format!("ricevuta-{}", r.number),
        pdf_instant(at),
        lang,
        None,
    )
}

/// One line of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    pub date: NaiveDate,
    pub kind: String,
    pub reference: String,
    pub amount: Money,
    pub balance_after: Money,
}

/// What a statement says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub company_name: String,
    pub company_tax_code: String,
    pub chamber_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub opening: Money,
    pub closing: Money,
    pub lines: Vec<StatementLine>,
}

/// The statement of a wallet for a period, oldest entry first.
pub fn statement(st: &Statement, lang: Lang) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load().ok_or(PdfError::Font)?;
    let flow = header("ESTRATTO CONTO / STATEMENT", st.chamber_name.clone());
    let mut w = Writer {
        fonts: &fonts,
        flow,
    };
    w.field(
        "Impresa / Company",
        &format!("{} — {}", st.company_name, st.company_tax_code),
    );
    w.field(
        "Periodo / Period",
        &format!("{} – {}", date(st.from), date(st.to)),
    );
    w.field("Saldo iniziale / Opening balance", &st.opening.to_italian());
    w.heading("Movimenti / Entries");
    let cols = [LEFT + 4.0, LEFT + 70.0, LEFT + 180.0];
    let amount_right = RIGHT - 90.0;
    let header_y = w.flow.y + 9.0;
    {
        let sheet = w.flow.sheet();
        for (x, t) in cols.iter().zip([
            "Data / Date",
            "Operazione / Operation",
            "Riferimento / Reference",
        ]) {
            sheet.coloured(*x, header_y, 7.5, Weight::Bold, GREY, t);
        }
        sheet.right(
            &fonts,
            amount_right,
            header_y,
            7.5,
            Weight::Bold,
            GREY,
            "Importo / Amount",
        );
        sheet.right(
            &fonts,
            RIGHT - 4.0,
            header_y,
            7.5,
            Weight::Bold,
            GREY,
            "Saldo / Balance",
        );
    }
    w.flow.y += 14.0;
    if st.lines.is_empty() {
        w.paragraph(
            "Nessun movimento nel periodo. / No entries in the period.",
            BODY,
            Weight::Regular,
        );
    }
    for l in &st.lines {
        let refs = fonts.wrap(
            &l.reference,
            Weight::Regular,
            8.5,
            amount_right - cols[2] - 60.0,
        );
        let height = 11.0 * refs.len().max(1) as f32 + 2.0;
        w.flow.need(height);
        let y = w.flow.y + 9.0;
        let sheet = w.flow.sheet();
        sheet.text(cols[0], y, 8.5, Weight::Regular, &date(l.date));
        sheet.text(cols[1], y, 8.5, Weight::Regular, &l.kind);
        for (i, r) in refs.iter().enumerate() {
            sheet.text(cols[2], y + 11.0 * i as f32, 8.5, Weight::Regular, r);
        }
        sheet.right(
            &fonts,
            amount_right,
            y,
            8.5,
            Weight::Regular,
            super::canvas::BLACK,
            &l.amount.to_italian(),
        );
        sheet.right(
            &fonts,
            RIGHT - 4.0,
            y,
            8.5,
            Weight::Regular,
            super::canvas::BLACK,
            &l.balance_after.to_italian(),
        );
        w.flow.y += height;
    }
    w.flow.y += 6.0;
    w.field("Saldo finale / Closing balance", &st.closing.to_italian());
    let mut sheets = w.flow.sheets;
    layout::number_pages(
        &mut sheets,
        &fonts,
        &format!("Estratto conto / Statement {}", st.company_name),
    );
    let at = st.to.and_hms_opt(0, 0, 0).unwrap_or_default();
    finish(
        &fonts,
        &sheets,
        format!(
            "Estratto conto / Statement {} – {}",
            date(st.from),
            date(st.to)
        ),
        format!("estratto-{}-{}", st.from, st.to),
        pdf_instant(at),
        lang,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_notice_is_a_pdf() {
        let n = PaymentNotice {
            chamber_name: "Camera di Commercio di Genova".into(),
            creditor_tax_code: "80043770106".into(),
            cbill: Some("AB12C".into()),
            company_name: "LIGURE EXPORT S.R.L.".into(),
            company_tax_code: "01879020517".into(),
            subject: "Ricarica del borsellino".into(),
            amount: Money::from_cents(5000),
            expires_on: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
            notice_code: "301000000000000155".into(),
            notice_code_grouped: "3010 0000 0000 0001 55".into(),
            qr_text: "PAGOPA|002|301000000000000155|80043770106|5000".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        };
        let pdf = payment_notice(&n, Lang::It).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
