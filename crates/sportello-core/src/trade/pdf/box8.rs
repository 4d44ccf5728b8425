//! Box 8 of the certificate: the chamber's certification, place and date of issue, the
//! security code, the verification address and its QR code.

use crate::trade::pdf::canvas::{BLACK, BLUE, GREY, Op, RED, Sheet};
use crate::trade::pdf::layout::{LABEL, LEFT, RIGHT, WIDTH, date};
use crate::trade::pdf::text::{Fonts, Weight};
use crate::trade::pdf::{CertificateIssue, PdfError};

const PAD: f32 = 5.0;
const QR_SIZE: f32 = 92.0;

const CERTIFIES_IT: &str = "L'autorità sottoscritta certifica che le merci sopra descritte sono \
                            originarie del paese indicato nel riquadro 3.";
const CERTIFIES_EN: &str = "The undersigned authority certifies that the goods described above \
                            originate in the country shown in box 3.";

/// What box 8 holds: nothing on a preview; the certification, place and date, chamber,
/// security code, verification URL and QR code on an issued certificate.
/// Laid out from y = 0 (the box's top) and moved into place when drawn.
pub(super) struct Box8 {
    /// The height the content needs.
    pub height: f32,
    ops: Vec<Op>,
}

const LABEL_IT: &str = "8  Certificazione dell'autorità competente";
const LABEL_EN: &str = "Certification by the competent authority";

pub(super) fn content(fonts: &Fonts, issue: Option<&CertificateIssue>) -> Result<Box8, PdfError> {
    let Some(issue) = issue else {
        let mut sheet = Sheet::default();
        sheet.coloured(
            LEFT + PAD,
            32.0,
            8.0,
            Weight::Regular,
            GREY,
            "Riservato alla Camera di commercio / Reserved for the Chamber of Commerce",
        );
        return Ok(Box8 {
            height: 150.0,
            ops: sheet.ops,
        });
    };
    // Laid out from y = 0 (the box top); moved into place when drawn.
    let mut s = Sheet::default();
    let text_w = WIDTH - QR_SIZE - 4.0 * PAD;
    let mut y = 24.0;
    for (text, weight) in [
        (CERTIFIES_IT, Weight::Bold),
        (CERTIFIES_EN, Weight::Regular),
    ] {
        for line in fonts.wrap(text, weight, 9.0, text_w) {
            s.text(LEFT + PAD, y, 9.0, weight, &line);
            y += 11.0;
        }
    }
    if let Some((number, on)) = &issue.duplicate_of {
        y += 3.0;
        let text = format!(
            "DUPLICATO del certificato n. {number} rilasciato il {d} / DUPLICATE of certificate \
             No. {number} issued on {d}",
            d = date(*on)
        );
        for line in fonts.wrap(&text, Weight::Bold, 9.0, text_w) {
            s.coloured(LEFT + PAD, y, 9.0, Weight::Bold, RED, &line);
            y += 11.0;
        }
    }
    y += 6.0;
    s.coloured(
        LEFT + PAD,
        y,
        LABEL,
        Weight::Regular,
        GREY,
        "Luogo e data di rilascio / Place and date of issue",
    );
    y += 12.0;
    let place = format!("{}, {}", issue.place, date(issue.issued_on));
    for line in fonts.wrap(&place, Weight::Bold, 10.0, text_w) {
        s.text(LEFT + PAD, y, 10.0, Weight::Bold, &line);
        y += 12.0;
    }
    for line in fonts.wrap(&issue.chamber_name, Weight::Regular, 9.0, text_w) {
        s.text(LEFT + PAD, y, 9.0, Weight::Regular, &line);
        y += 11.0;
    }
    y += 4.0;
    s.coloured(
        LEFT + PAD,
        y,
        LABEL,
        Weight::Regular,
        GREY,
        "Timbro e firma / Stamp and signature",
    );
    y += 30.0;

    // The QR code with the security code under it, at the right.
    let qr_x = RIGHT - PAD - QR_SIZE;
    let qr_y = 16.0;
    let modules = qr_modules(&issue.verify_url)?;
    let module = QR_SIZE / modules.len().max(1) as f32;
    s.ops.push(Op::Qr {
        x: qr_x,
        y: qr_y,
        module,
        modules,
    });
    s.ops.push(Op::Link {
        x: qr_x,
        y: qr_y,
        w: QR_SIZE,
        h: QR_SIZE,
        url: issue.verify_url.clone(),
    });
    let centre = qr_x + QR_SIZE / 2.0;
    let mut qy = qr_y + QR_SIZE + 10.0;
    s.centred(
        fonts,
        centre,
        qy,
        6.5,
        Weight::Regular,
        GREY,
        "Codice di sicurezza",
    );
    qy += 7.5;
    s.centred(
        fonts,
        centre,
        qy,
        6.5,
        Weight::Regular,
        GREY,
        "Security code",
    );
    qy += 12.0;
    s.centred(
        fonts,
        centre,
        qy,
        10.5,
        Weight::Bold,
        BLACK,
        &issue.security_code,
    );
    y = y.max(qy + 6.0);

    // The verification address across the foot of the box.
    let intro = "Verifica su / Verify at: ";
    let url_lines = fonts.wrap(
        &issue.verify_url,
        Weight::Regular,
        7.5,
        WIDTH - 2.0 * PAD - fonts.width(intro, Weight::Regular, 7.5),
    );
    let x_url = LEFT + PAD + fonts.width(intro, Weight::Regular, 7.5);
    s.coloured(LEFT + PAD, y, 7.5, Weight::Regular, GREY, intro);
    for line in &url_lines {
        s.coloured(x_url, y, 7.5, Weight::Regular, BLUE, line);
        y += 9.5;
    }
    let n = url_lines.len() as f32;
    s.ops.push(Op::Link {
        x: x_url,
        y: y - 9.5 * n - 7.5,
        w: RIGHT - PAD - x_url,
        h: 9.5 * n,
        url: issue.verify_url.clone(),
    });
    Ok(Box8 {
        height: y + 2.0,
        ops: s.ops,
    })
}

/// The modules of the QR code of `url` (error correction M), row by row, true for dark.
pub(super) fn qr_modules(url: &str) -> Result<Vec<Vec<bool>>, PdfError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| PdfError::QrCode)?;
    let n = code.width();
    Ok(code
        .to_colors()
        .chunks(n)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect())
}

/// Draws box 8 with its content at `top`, `height` tall.
pub(super) fn draw(sheet: &mut Sheet, box8: &Box8, top: f32, height: f32) {
    sheet.frame(LEFT, top, WIDTH, height, 0.7);
    let label = format!("{LABEL_IT} / {LABEL_EN}");
    sheet.coloured(LEFT + PAD, top + 9.0, LABEL, Weight::Bold, BLUE, &label);
    for op in &box8.ops {
        sheet.ops.push(shift(op.clone(), top));
    }
}

/// `op` moved down by `dy`.
fn shift(op: Op, dy: f32) -> Op {
    match op {
        Op::Text {
            x,
            y,
            size,
            weight,
            colour,
            text,
        } => Op::Text {
            x,
            y: y + dy,
            size,
            weight,
            colour,
            text,
        },
        Op::Turned {
            x,
            y,
            px,
            py,
            angle,
            size,
            colour,
            opacity,
            text,
        } => Op::Turned {
            x,
            y: y + dy,
            px,
            py: py + dy,
            angle,
            size,
            colour,
            opacity,
            text,
        },
        Op::Rect {
            x,
            y,
            w,
            h,
            stroke,
            fill,
        } => Op::Rect {
            x,
            y: y + dy,
            w,
            h,
            stroke,
            fill,
        },
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            colour,
            width,
            dashed,
        } => Op::Line {
            x1,
            y1: y1 + dy,
            x2,
            y2: y2 + dy,
            colour,
            width,
            dashed,
        },
        Op::Qr {
            x,
            y,
            module,
            modules,
        } => Op::Qr {
            x,
            y: y + dy,
            module,
            modules,
        },
        Op::Link { x, y, w, h, url } => Op::Link {
            x,
            y: y + dy,
            w,
            h,
            url,
        },
    }
}
