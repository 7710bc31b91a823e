//! A 1-bit canvas that grows downwards, with integer-only drawing.
//!
//! Every operation here is integer arithmetic on a byte-per-pixel buffer, so the same calls give
//! the same pixels on every CPU: this is what makes a receipt reproducible by a verifier.

use super::font::FontPack;

/// A black-and-white image, one byte per pixel (1 = ink, 0 = paper), row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    /// Invariant: `pixels.len() == width * height` and every byte is 0 or 1.
    pixels: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}x{})", self.width, self.height)
    }
}

impl Bitmap {
    /// A blank (all paper) bitmap.
    pub fn new(width: u32, height: u32) -> Self {
        Bitmap {
            width,
            height,
            pixels: vec![0; width as usize * height as usize],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// True where there is ink; false outside the image.
    pub fn ink(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.pixels[self.index(x, y)] == 1
    }

    /// The pixels, one byte each (1 = ink), row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Number of ink pixels.
    pub fn ink_count(&self) -> usize {
        self.pixels.iter().filter(|&&p| p == 1).count()
    }

    fn index(&self, x: u32, y: u32) -> usize {
        y as usize * self.width as usize + x as usize
    }

    /// Sets one pixel; coordinates outside the image are ignored.
    pub fn set(&mut self, x: u32, y: u32, ink: bool) {
        if x < self.width && y < self.height {
            let i = self.index(x, y);
            self.pixels[i] = u8::from(ink);
        }
    }

    /// Fills a rectangle, clipped to the image.
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, ink: bool) {
        for yy in y..y.saturating_add(h).min(self.height) {
            for xx in x..x.saturating_add(w).min(self.width) {
                let i = self.index(xx, yy);
                self.pixels[i] = u8::from(ink);
            }
        }
    }

    /// Grows the bitmap to at least `height` rows of paper.
    pub(crate) fn grow_to(&mut self, height: u32) {
        if height > self.height {
            self.height = height;
            self.pixels.resize(self.width as usize * height as usize, 0);
        }
    }

    /// Draws `text` with its top-left corner at (`x`, `y`), each font pixel as a
    /// `scale`×`scale` square, in ink or (on a black background) in paper colour. Returns the
    /// advance in pixels. Characters the pack lacks are skipped; callers check coverage first.
    pub(crate) fn text(
        &mut self,
        font: &FontPack,
        x: u32,
        y: u32,
        text: &str,
        scale: u32,
        ink: bool,
    ) -> u32 {
        let mut pen = x;
        for c in text.chars() {
            let Some(glyph) = font.glyph(c) else { continue };
            for gy in 0..glyph.height {
                for gx in 0..glyph.width {
                    if glyph.pixel(gx, gy) {
                        self.fill(pen + gx * scale, y + gy * scale, scale, scale, ink);
                    }
                }
            }
            pen += glyph.width * scale;
        }
        pen - x
    }
}
