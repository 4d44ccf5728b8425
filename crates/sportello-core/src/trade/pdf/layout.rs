//! What every page shares: margins, the preview banner and watermark, page numbers, and a
//! vertical flow that starts a new page when the current one is full.

use crate::i18n::Lang;
use crate::trade::country::Country;
use crate::trade::pdf::canvas::{BLUE, GREY, Op, PAGE_HEIGHT, PAGE_WIDTH, RED, Sheet, WHITE};
use crate::trade::pdf::text::{Fonts, Weight};

pub(super) const LEFT: f32 = 36.0;
pub(super) const RIGHT: f32 = PAGE_WIDTH - 36.0;
pub(super) const WIDTH: f32 = RIGHT - LEFT;
pub(super) const TOP: f32 = 28.0;
/// The last y content may reach; the page number sits below it.
pub(super) const BOTTOM: f32 = PAGE_HEIGHT - 40.0;

/// Box labels and small print.
pub(super) const LABEL: f32 = 7.0;
/// Box content.
pub(super) const BODY: f32 = 9.5;
pub(super) const LEADING: f32 = 11.5;

pub(super) const PREVIEW_BANNER: &str = "ANTEPRIMA — NON VALIDA / PREVIEW — NOT VALID";

pub(super) use crate::display::date;

/// A country in full, `lang`'s name first: `Stati Uniti d'America / United States of America`.
pub(super) fn country(c: Country, lang: Lang) -> String {
    let (first, second) = match lang {
        Lang::It => (c.name_it(), c.name_en()),
        Lang::En => (c.name_en(), c.name_it()),
    };
    if first == second {
        first.to_string()
    } else {
        format!("{first} / {second}")
    }
}

/// The red banner at the top of a preview page; returns the y below it.
pub(super) fn preview_banner(sheet: &mut Sheet, fonts: &Fonts) -> f32 {
    sheet.fill(LEFT, TOP, WIDTH, 20.0, RED);
    sheet.centred(
        fonts,
        LEFT + WIDTH / 2.0,
        TOP + 14.0,
        11.0,
        Weight::Bold,
        WHITE,
        PREVIEW_BANNER,
    );
    TOP + 26.0
}

/// The large faint diagonal "not valid" mark across a preview page, along the diagonal
/// from the bottom left corner.
pub(super) fn preview_watermark(sheet: &mut Sheet, fonts: &Fonts) {
    let (cx, cy) = (PAGE_WIDTH / 2.0, PAGE_HEIGHT / 2.0);
    let angle = -(PAGE_HEIGHT / PAGE_WIDTH).atan().to_degrees();
    for (text, dy) in [
        ("ANTEPRIMA — NON VALIDA", -8.0),
        ("PREVIEW — NOT VALID", 48.0),
    ] {
        let w = fonts.width(text, Weight::Bold, 46.0);
        sheet.ops.push(Op::Turned {
            x: cx - w / 2.0,
            y: cy + dy,
            px: cx,
            py: cy,
            angle,
            size: 46.0,
            colour: RED,
            opacity: 0.16,
            text: text.into(),
        });
    }
}

/// "Pagina i di n / Page i of n" and `left_note` at the foot of each page.
pub(super) fn number_pages(sheets: &mut [Sheet], fonts: &Fonts, left_note: &str) {
    let n = sheets.len();
    for (i, sheet) in sheets.iter_mut().enumerate() {
        let y = PAGE_HEIGHT - 24.0;
        sheet.coloured(LEFT, y, LABEL, Weight::Regular, GREY, left_note);
        let text = format!("Pagina {} di {n} / Page {} of {n}", i + 1, i + 1);
        sheet.right(fonts, RIGHT, y, LABEL, Weight::Regular, GREY, &text);
    }
}

/// A heading band: a light bar with bold text.
pub(super) fn heading(sheet: &mut Sheet, y: f32, text: &str) -> f32 {
    sheet.fill(LEFT, y, WIDTH, 16.0, crate::trade::pdf::canvas::LIGHT);
    sheet.coloured(LEFT + 4.0, y + 11.5, 8.5, Weight::Bold, BLUE, text);
    y + 20.0
}

/// Content laid top to bottom over as many pages as it needs.
pub(super) struct Flow<'f> {
    pub sheets: Vec<Sheet>,
    pub y: f32,
    new_page: Box<dyn Fn(&mut Sheet) -> f32 + 'f>,
}

impl<'f> Flow<'f> {
    /// `new_page` draws the top of a fresh page and returns where content starts.
    pub(super) fn new(new_page: impl Fn(&mut Sheet) -> f32 + 'f) -> Flow<'f> {
        let mut sheet = Sheet::default();
        let y = new_page(&mut sheet);
        Flow {
            sheets: vec![sheet],
            y,
            new_page: Box::new(new_page),
        }
    }

    pub(super) fn sheet(&mut self) -> &mut Sheet {
        let last = self.sheets.len() - 1;
        &mut self.sheets[last]
    }

    /// Makes room for `height` points; true when that took a new page.
    pub(super) fn need(&mut self, height: f32) -> bool {
        if self.y + height <= BOTTOM {
            return false;
        }
        let mut sheet = Sheet::default();
        self.y = (self.new_page)(&mut sheet);
        self.sheets.push(sheet);
        true
    }
}
