//! A page as a list of drawing operations, laid out first and drawn by krilla afterwards,
//! so layout is plain code that knows nothing of krilla's borrows. Coordinates are points
//! from the top-left corner of an A4 page.

use crate::trade::pdf::text::{Fonts, Weight};
use krilla::Document;
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::TextDirection;

pub(super) const PAGE_WIDTH: f32 = 595.276;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Colour(pub u8, pub u8, pub u8);

pub(super) const BLACK: Colour = Colour(0, 0, 0);
pub(super) const GREY: Colour = Colour(90, 90, 90);
pub(super) const LIGHT: Colour = Colour(235, 239, 245);
pub(super) const BLUE: Colour = Colour(0, 51, 102);
pub(super) const RED: Colour = Colour(190, 20, 30);
pub(super) const WHITE: Colour = Colour(255, 255, 255);

#[derive(Clone, Debug)]
pub(super) enum Op {
    /// One line of text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        colour: Colour,
        text: String,
    },
    /// Text turned by `angle` degrees around the point (`px`, `py`), drawn with `opacity`.
    Turned {
        x: f32,
        y: f32,
        px: f32,
        py: f32,
        angle: f32,
        size: f32,
        colour: Colour,
        opacity: f32,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        stroke: Option<(Colour, f32)>,
        fill: Option<Colour>,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        colour: Colour,
        width: f32,
        dashed: bool,
    },
    /// A QR code: dark modules drawn as filled squares of `module` points.
    Qr {
        x: f32,
        y: f32,
        module: f32,
        modules: Vec<Vec<bool>>,
    },
    /// A clickable link over a rectangle.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        url: String,
    },
}

/// The operations of one page.
#[derive(Clone, Debug, Default)]
pub(super) struct Sheet {
    pub ops: Vec<Op>,
}

impl Sheet {
    pub(super) fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, text: &str) {
        self.coloured(x, y, size, weight, BLACK, text);
    }

    pub(super) fn coloured(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        colour: Colour,
        text: &str,
    ) {
        if !text.is_empty() {
            self.ops.push(Op::Text {
                x,
                y,
                size,
                weight,
                colour,
                text: text.to_string(),
            });
        }
    }

    /// `text` ending at `right`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn right(
        &mut self,
        fonts: &Fonts,
        right: f32,
        y: f32,
        size: f32,
        weight: Weight,
        colour: Colour,
        text: &str,
    ) {
        let w = fonts.width(text, weight, size);
        self.coloured(right - w, y, size, weight, colour, text);
    }

    /// `text` centred on `centre`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn centred(
        &mut self,
        fonts: &Fonts,
        centre: f32,
        y: f32,
        size: f32,
        weight: Weight,
        colour: Colour,
        text: &str,
    ) {
        let w = fonts.width(text, weight, size);
        self.coloured(centre - w / 2.0, y, size, weight, colour, text);
    }

    pub(super) fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        self.ops.push(Op::Rect {
            x,
            y,
            w,
            h,
            stroke: Some((BLACK, width)),
            fill: None,
        });
    }

    pub(super) fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) {
        self.ops.push(Op::Rect {
            x,
            y,
            w,
            h,
            stroke: None,
            fill: Some(colour),
        });
    }

    pub(super) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.ops.push(Op::Line {
            x1,
            y1,
            x2,
            y2,
            colour: BLACK,
            width,
            dashed: false,
        });
    }
}

fn paint(c: Colour) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill_of(c: Colour, opacity: f32) -> Fill {
    Fill {
        paint: paint(c),
        opacity: NormalizedF32::new(opacity).unwrap_or(NormalizedF32::ONE),
        ..Fill::default()
    }
}

/// Draws `sheets` as pages of `document`.
pub(super) fn draw(document: &mut Document, fonts: &Fonts, sheets: &[Sheet]) {
    for sheet in sheets {
        let Some(settings) = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT) else {
            continue;
        };
        let mut page = document.start_page_with(settings);
        let mut links = Vec::new();
        {
            let mut surface = page.surface();
            for op in &sheet.ops {
                if let Op::Link { x, y, w, h, url } = op {
                    links.push((*x, *y, *w, *h, url.clone()));
                } else {
                    draw_op(&mut surface, fonts, op);
                }
            }
            surface.finish();
        }
        for (x, y, w, h, url) in links {
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                let link = LinkAnnotation::new(
                    rect,
                    Target::Action(Action::Link(LinkAction::new(url.clone()))),
                );
                page.add_annotation(Annotation::new_link(link, Some(url)));
            }
        }
        page.finish();
    }
}

fn draw_op(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            weight,
            colour,
            text,
        } => {
            surface.set_stroke(None);
            surface.set_fill(Some(fill_of(*colour, 1.0)));
            surface.draw_text(
                Point::from_xy(*x, *y),
                fonts.font(*weight),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
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
        } => {
            surface.push_transform(&Transform::from_rotate_at(*angle, *px, *py));
            surface.set_stroke(None);
            surface.set_fill(Some(fill_of(*colour, *opacity)));
            surface.draw_text(
                Point::from_xy(*x, *y),
                fonts.font(Weight::Bold),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
            surface.pop();
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            stroke,
            fill,
        } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            let Some(path) = pb.finish() else { return };
            surface.set_fill(fill.map(|c| fill_of(c, 1.0)));
            surface.set_stroke(stroke.map(|(c, width)| Stroke {
                paint: paint(c),
                width,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            colour,
            width,
            dashed,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            let Some(path) = pb.finish() else { return };
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: paint(*colour),
                width: *width,
                dash: dashed.then(|| StrokeDash {
                    array: vec![3.0, 2.0],
                    offset: 0.0,
                }),
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Qr {
            x,
            y,
            module,
            modules,
        } => {
            // One path of horizontal runs of dark modules.
            let mut pb = PathBuilder::new();
            for (row, line) in modules.iter().enumerate() {
                let mut col = 0;
                while col < line.len() {
                    if !line[col] {
                        col += 1;
                        continue;
                    }
                    let start = col;
                    while col < line.len() && line[col] {
                        col += 1;
                    }
                    if let Some(r) = Rect::from_xywh(
                        x + start as f32 * module,
                        y + row as f32 * module,
                        (col - start) as f32 * module,
                        *module,
                    ) {
                        pb.push_rect(r);
                    }
                }
            }
            let Some(path) = pb.finish() else { return };
            surface.set_stroke(None);
            surface.set_fill(Some(fill_of(BLACK, 1.0)));
            surface.draw_path(&path);
        }
        Op::Link { .. } => {}
    }
}
