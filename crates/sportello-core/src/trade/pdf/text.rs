//! The embedded font, text measurement and line wrapping.
//!
//! Widths are measured by shaping with rustybuzz, as krilla does when it draws, so a wrapped
//! line never overflows its box. Characters the font lacks are printed as `?` (PDF/A forbids
//! drawing the `.notdef` glyph), control characters are dropped and tabs become spaces.

use krilla::text::Font;

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansCondensed.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansCondensed-Bold.ttf");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// The two faces of DejaVu Sans Condensed, for drawing (krilla) and measuring (rustybuzz).
pub(super) struct Fonts {
    regular: Font,
    bold: Font,
    shaper_regular: rustybuzz::Face<'static>,
    shaper_bold: rustybuzz::Face<'static>,
}

impl Fonts {
    pub(super) fn load() -> Option<Fonts> {
        Some(Fonts {
            regular: Font::new(REGULAR.into(), 0)?,
            bold: Font::new(BOLD.into(), 0)?,
            shaper_regular: rustybuzz::Face::from_slice(REGULAR, 0)?,
            shaper_bold: rustybuzz::Face::from_slice(BOLD, 0)?,
        })
    }

    pub(super) fn font(&self, weight: Weight) -> Font {
        match weight {
            Weight::Regular => self.regular.clone(),
            Weight::Bold => self.bold.clone(),
        }
    }

    fn shaper(&self, weight: Weight) -> &rustybuzz::Face<'static> {
        match weight {
            Weight::Regular => &self.shaper_regular,
            Weight::Bold => &self.shaper_bold,
        }
    }

    /// The width of one line of `text` at `size` points.
    pub(super) fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        if text.is_empty() {
            return 0.0;
        }
        let face = self.shaper(weight);
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(face, &[], buffer);
        let units: i64 = shaped
            .glyph_positions()
            .iter()
            .map(|p| i64::from(p.x_advance))
            .sum();
        units as f32 / f32::from(face.units_per_em() as u16) * size
    }

    /// `text` made printable with this font: unknown characters become `?`, tabs spaces,
    /// other control characters (except `\n`) disappear, `\r\n` becomes `\n`.
    pub(super) fn printable(&self, text: &str) -> String {
        let face = &self.shaper_regular;
        text.replace("\r\n", "\n")
            .chars()
            .filter_map(|c| match c {
                '\n' => Some('\n'),
                '\t' | '\r' => Some(' '),
                c if c.is_control() => None,
                // Format characters (joiners, direction marks) draw nothing.
                '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{FEFF}' => None,
                c if face.glyph_index(c).is_some() => Some(c),
                _ => Some('?'),
            })
            .collect()
    }

    /// `text` broken into lines no wider than `max_width`: at `\n`, then between words; a
    /// word longer than a line is broken between characters. Never drops text.
    pub(super) fn wrap(
        &self,
        text: &str,
        weight: Weight,
        size: f32,
        max_width: f32,
    ) -> Vec<String> {
        let text = self.printable(text);
        let space = self.width(" ", weight, size);
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let w = self.width(word, weight, size);
                let needed = if line.is_empty() {
                    w
                } else {
                    line_width + space + w
                };
                if needed <= max_width {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    line_width = needed;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if w <= max_width {
                    line.push_str(word);
                    line_width = w;
                    continue;
                }
                // A word wider than the line: cut it between characters.
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.width(&piece, weight, size) > max_width && piece.chars().count() > 1 {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line_width = self.width(&piece, weight, size);
                line = piece;
            }
            lines.push(line);
        }
        // Trailing empty paragraphs add nothing.
        while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let fonts = Fonts::load().unwrap();
        let text = "Valvole a sfera in acciaio inox AISI 316 con attacchi filettati e leva \
                    Supercalifragilistichespiralidosomoltolungoperunariga fine";
        let lines = fonts.wrap(text, Weight::Regular, 9.0, 120.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(fonts.width(l, Weight::Regular, 9.0) <= 120.0, "{l}");
        }
        let joined: String = lines.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(joined, original);
    }

    #[test]
    fn unknown_and_control_characters_are_replaced() {
        let fonts = Fonts::load().unwrap();
        assert_eq!(fonts.printable("a\u{7}b\tc\r\nd 中"), "ab c\nd ?");
        assert_eq!(fonts.printable("Şişli «€» àèìòù"), "Şişli «€» àèìòù");
    }
}
