//! The facture's fonts, so that it renders whatever a payer typed: DejaVu Sans first (Latin,
//! Greek, Cyrillic, Arabic, combining marks, many symbols), then Droid Sans Fallback for
//! Chinese and Japanese, then Symbola for emoji and other symbols (monochrome, as PDF/A wants).
//! A character none of them has is drawn as DejaVu's visible replacement glyph « � »; the XML
//! always keeps the exact text. Text is cut into runs of one font each, measured with that
//! font's own advances.

use std::sync::LazyLock;

use krilla::text::Font;
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static CJK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");
static SYMBOLS: &[u8] = include_bytes!("../../assets/fonts/Symbola.ttf");

/// Every font, in [`FontId`] order.
static LOADED: LazyLock<[Font; 4]> = LazyLock::new(|| {
    [REGULAR, BOLD, CJK, SYMBOLS].map(|data| Font::new(data.into(), 0).expect("bundled font"))
});

/// The weight a piece of text is set in; fallbacks have one weight only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// One of the bundled fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FontId {
    Regular,
    Bold,
    Cjk,
    Symbols,
}

impl FontId {
    fn bytes(self) -> &'static [u8] {
        match self {
            FontId::Regular => REGULAR,
            FontId::Bold => BOLD,
            FontId::Cjk => CJK,
            FontId::Symbols => SYMBOLS,
        }
    }

    pub fn font(self) -> Font {
        LOADED[self as usize].clone()
    }

    fn has(self, c: char) -> bool {
        skrifa::FontRef::new(self.bytes()).is_ok_and(|f| f.charmap().map(c).is_some())
    }

    /// The advance of `text` in points at `size` (no kerning: close enough to align a figure
    /// or break a line).
    fn width(self, size: f32, text: &str) -> f32 {
        let Ok(f) = skrifa::FontRef::new(self.bytes()) else {
            return 0.0;
        };
        let charmap = f.charmap();
        let metrics = f.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .filter_map(|c| charmap.map(c))
            .filter_map(|g| metrics.advance_width(g))
            .sum()
    }
}

/// Marks that belong to the character before them: combining marks, variation selectors and
/// the joiners of emoji sequences.
fn joins_previous(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F | 0xFE00..=0xFE0F | 0x200C | 0x200D | 0xE0100..=0xE01EF)
}

/// `text` cut into runs of one font each: the face's DejaVu first, then the fallbacks; a
/// character no font has becomes « � » (a control character too). A mark stays with the
/// character before it when that font has it, and is left out when no font does (an invisible
/// selector or joiner).
pub fn runs(face: Face, text: &str) -> Vec<(FontId, String)> {
    let primary = match face {
        Face::Regular => FontId::Regular,
        Face::Bold => FontId::Bold,
    };
    let order = [primary, FontId::Cjk, FontId::Symbols];
    let mut out: Vec<(FontId, String)> = Vec::new();
    for c in text.chars() {
        let (font, c) = if joins_previous(c) {
            match out.last() {
                Some((font, _)) if font.has(c) => (*font, c),
                _ => match order.into_iter().find(|f| f.has(c)) {
                    Some(font) => (font, c),
                    None => continue,
                },
            }
        } else if c.is_control() {
            (primary, '\u{FFFD}')
        } else {
            order
                .into_iter()
                .find(|f| f.has(c))
                .map_or((primary, '\u{FFFD}'), |f| (f, c))
        };
        match out.last_mut() {
            Some((last, run)) if *last == font => run.push(c),
            _ => out.push((font, c.to_string())),
        }
    }
    out
}

/// The advance of `text` set in `face` at `size`, fallbacks included.
pub fn width(face: Face, size: f32, text: &str) -> f32 {
    runs(face, text)
        .iter()
        .map(|(font, run)| font.width(size, run))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_script_goes_to_a_font_that_has_it() {
        let fonts =
            |t: &str| -> Vec<FontId> { runs(Face::Regular, t).iter().map(|r| r.0).collect() };
        assert_eq!(fonts("Dupont Ωμέγα Жилстрой شركة"), [FontId::Regular]);
        assert_eq!(fonts("工地"), [FontId::Cjk]);
        assert_eq!(fonts("🏗"), [FontId::Symbols]);
        assert_eq!(
            runs(Face::Bold, "BTP 工地 🚧"),
            [
                (FontId::Bold, "BTP ".into()),
                (FontId::Cjk, "工地".into()),
                (FontId::Bold, " ".into()),
                (FontId::Symbols, "🚧".into())
            ]
        );
    }

    #[test]
    fn marks_stay_with_their_letter_and_what_no_font_has_is_shown_as_a_replacement() {
        assert_eq!(
            runs(Face::Regular, "e\u{301}"),
            [(FontId::Regular, "e\u{301}".into())]
        );
        // Linear B and a private-use character are in no bundled font; a tab is a control.
        assert_eq!(
            runs(Face::Regular, "a\u{10000}\u{E000}\tb"),
            [(FontId::Regular, "a\u{FFFD}\u{FFFD}\u{FFFD}b".into())]
        );
        let joined: String = runs(Face::Regular, "👷\u{200D}\u{FE0F}")
            .into_iter()
            .map(|r| r.1)
            .collect();
        assert!(
            !joined.contains('\u{FFFD}'),
            "a joiner is never a replacement: {joined:?}"
        );
        assert!(
            width(Face::Regular, 10.0, "工地 🏗") > 20.0,
            "fallbacks are measured too"
        );
    }
}
