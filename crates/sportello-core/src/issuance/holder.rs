//! The device holder (portatessera) printed at hand-over. RA procedure, part 2: the smart card is
//! handed over "all'interno di un apposito supporto cartaceo (portatessera) contenente la data
//! di scadenza dei certificati e i riferimenti dell'assistenza e del sito del Certificatore".
//! One A4 page: the holder to cut and fold, with the same vendored DejaVu font as the other
//! PDFs of the platform.

use crate::db::Db;
use crate::devices::{DeviceKind, inventory};
use crate::issuance::session::Session;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed-Bold.ttf");

/// What the holder shows.
pub struct Holder {
    pub chamber: String,
    pub holder_name: String,
    pub tax_code: String,
    pub device_kind: String,
    pub device_serial: String,
    /// (label, dd/mm/yyyy) per certificate.
    pub expiries: Vec<(String, String)>,
    pub support: Vec<String>,
    pub issued_on: String,
}

/// What the holder of one session says, before it is put in words for the holder's language.
pub struct HolderFacts {
    pub chamber: String,
    pub device_serial: String,
    /// (purpose, last day of validity as stored) of each certificate on the device and not
    /// revoked, by purpose.
    pub certificates: Vec<(String, String)>,
}

/// The facts of the holder of session `s`; `None` when there is no holder to print: the
/// device is not a smart card (RA procedure: the paper holder goes with the smart card), or
/// no certificate was issued onto it.
pub async fn facts(db: &Db, s: &Session) -> Result<Option<HolderFacts>, sqlx::Error> {
    if s.kind() != DeviceKind::SmartCard {
        return Ok(None);
    }
    let certificates: Vec<(String, String)> = sqlx::query_as(
        "SELECT purpose, not_after FROM iss_certificates WHERE session_id = $1 \
         AND revoked_at IS NULL ORDER BY purpose",
    )
    .bind(&s.id)
    .fetch_all(db.pool())
    .await?;
    if certificates.is_empty() {
        return Ok(None);
    }
    let device_serial = match &s.device_id {
        Some(d) => inventory::get(db, &s.chamber_id, d)
            .await?
            .map(|d| d.serial)
            .unwrap_or_default(),
        None => String::new(),
    };
    let chamber = crate::chambers::get_chamber(db, &s.chamber_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(Some(HolderFacts {
        chamber,
        device_serial,
        certificates,
    }))
}

#[derive(Debug, thiserror::Error)]
#[error("the holder PDF could not be written: {0}")]
pub struct HolderError(String);

/// The holder as a PDF.
pub fn pdf(h: &Holder) -> Result<Vec<u8>, HolderError> {
    let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| HolderError("font".into()))?;
    let bold = Font::new(BOLD.into(), 0).ok_or_else(|| HolderError("font".into()))?;
    let mut document = Document::new();
    let settings =
        PageSettings::from_wh(595.276, 841.89).ok_or_else(|| HolderError("page".into()))?;
    let mut page = document.start_page_with(settings);
    {
        let mut s = page.surface();
        // The holder: a 90 × 60 mm front panel and its back, side by side, to fold.
        let (x, y, w, hgt) = (60.0, 80.0, 255.0, 170.0);
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(x, y, w, hgt) {
            pb.push_rect(r);
        }
        if let Some(r) = Rect::from_xywh(x + w, y, w, hgt) {
            pb.push_rect(r);
        }
        if let Some(path) = pb.finish() {
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(0, 51, 102).into(),
                width: 1.0,
                ..Stroke::default()
            }));
            s.draw_path(&path);
        }
        s.set_stroke(None);
        s.set_fill(Some(Fill {
            paint: rgb::Color::new(0, 0, 0).into(),
            ..Fill::default()
        }));
        let line = |s: &mut krilla::surface::Surface<'_>,
                    x: f32,
                    y: f32,
                    size: f32,
                    bold_face: bool,
                    text: &str| {
            let font = if bold_face {
                bold.clone()
            } else {
                regular.clone()
            };
            s.draw_text(
                Point::from_xy(x, y),
                font,
                size,
                text,
                false,
                TextDirection::Auto,
            );
        };
        let mut ty = y + 22.0;
        line(
            &mut s,
            x + 12.0,
            ty,
            11.0,
            true,
            "Carta Nazionale dei Servizi · Firma digitale",
        );
        ty += 16.0;
        line(&mut s, x + 12.0, ty, 8.0, false, &h.chamber);
        ty += 24.0;
        line(&mut s, x + 12.0, ty, 10.0, true, &h.holder_name);
        ty += 14.0;
        line(
            &mut s,
            x + 12.0,
            ty,
            9.0,
            false,
            &format!("Codice fiscale: {}", h.tax_code),
        );
        ty += 14.0;
        line(
            &mut s,
            x + 12.0,
            ty,
            9.0,
            false,
            &format!("{}: {}", h.device_kind, h.device_serial),
        );
        ty += 14.0;
        line(
            &mut s,
            x + 12.0,
            ty,
            8.0,
            false,
            &format!("Rilasciato il {}", h.issued_on),
        );
        let mut by = y + 22.0;
        line(
            &mut s,
            x + w + 12.0,
            by,
            10.0,
            true,
            "Scadenza dei certificati",
        );
        for (label, date) in &h.expiries {
            by += 15.0;
            line(
                &mut s,
                x + w + 12.0,
                by,
                9.0,
                false,
                &format!("{label}: {date}"),
            );
        }
        by += 24.0;
        line(&mut s, x + w + 12.0, by, 10.0, true, "Assistenza");
        for t in &h.support {
            by += 13.0;
            line(&mut s, x + w + 12.0, by, 8.0, false, t);
        }
        line(
            &mut s,
            x,
            y + hgt + 18.0,
            7.0,
            false,
            "Ritagliare lungo il bordo e piegare a metà. Rinnovare i certificati prima della scadenza.",
        );
        s.finish();
    }
    page.finish();
    document.finish().map_err(|e| HolderError(format!("{e:?}")))
}
