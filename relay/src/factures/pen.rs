//! Drawing on a krilla surface for the facture's page: a pen (face, size, colour), text laid
//! out in runs, each in the font that has its characters (see [`super::fonts`]), right-aligned
//! text, lines, words wrapped to a width, filled rectangles.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::TextDirection;

use super::fonts::{self, Face};

fn fill(s: &mut Surface, (r, g, b): (u8, u8, u8)) {
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Default::default()
    }));
}

/// A face at a size and colour.
#[derive(Clone, Copy)]
pub(super) struct Pen {
    face: Face,
    size: f32,
    color: (u8, u8, u8),
}

impl Pen {
    pub(super) fn new(face: Face, size: f32, color: (u8, u8, u8)) -> Self {
        Self { face, size, color }
    }

    /// The advance width of `t` in points (see [`fonts::width`]).
    fn width(self, t: &str) -> f32 {
        fonts::width(self.face, self.size, t)
    }
}

/// `t` from (x, y), each run in the font that has its characters (see [`fonts::runs`]).
pub(super) fn text(s: &mut Surface, pen: Pen, x: f32, y: f32, t: &str) {
    fill(s, pen.color);
    let mut x = x;
    for (font, run) in fonts::runs(pen.face, t) {
        s.draw_text(
            Point::from_xy(x, y),
            font.font(),
            pen.size,
            &run,
            false,
            TextDirection::Auto,
        );
        x += fonts::width(pen.face, pen.size, &run);
    }
}

pub(super) fn right(s: &mut Surface, pen: Pen, x: f32, y: f32, t: &str) {
    text(s, pen, x - pen.width(t), y, t);
}

pub(super) fn lines(s: &mut Surface, pen: Pen, x: f32, y: f32, ls: &[String]) {
    for (i, l) in ls.iter().enumerate() {
        text(s, pen, x, y + i as f32 * pen.size * 1.55, l);
    }
}

/// Words laid out on as many lines as `max` width needs; returns how many lines.
pub(super) fn wrap(s: &mut Surface, pen: Pen, x: f32, y: f32, max: f32, t: &str) -> usize {
    let mut line = String::new();
    let mut ls = Vec::new();
    for word in t.split(' ') {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if pen.width(&candidate) > max && !line.is_empty() {
            ls.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    ls.push(line);
    lines(s, pen, x, y, &ls);
    ls.len()
}

pub(super) fn rect(s: &mut Surface, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
    let mut pb = PathBuilder::new();
    pb.push_rect(Rect::from_xywh(x, y, w, h).expect("positive size"));
    fill(s, color);
    s.draw_path(&pb.finish().expect("a rectangle"));
}
