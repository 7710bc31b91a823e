//! SVG export of the ink.

use super::ink::{Piece, bounds, pieces};
use super::model::saturating_u32;
use super::{InkOptions, Signature};
use std::fmt::Write as _;

impl Signature {
    /// A standalone SVG of the ink, trimmed to it with a 1 mm margin, at its physical size on
    /// the pad (`width` and `height` in millimetres from the pad's dpi; the `viewBox` is in pad
    /// pixels). Each Bézier segment is one or more stroked cubic paths (split where the width
    /// changes) with their average width and round caps, so consecutive paths join smoothly; a
    /// dot is a filled circle. No script,
    /// no external reference. [`InkOptions::min_width_px`] and
    /// [`InkOptions::margin_px`] do not apply.
    pub fn to_svg(&self, opts: &InkOptions) -> String {
        let pieces = pieces(self, opts);
        let mm_per_px = self.pad().mm_per_px();
        let margin = 1.0 / mm_per_px;
        let (x0, y0, x1, y1) = bounds(&pieces);
        let (ox, oy) = (x0 - margin, y0 - margin);
        let (w, h) = (x1 - x0 + 2.0 * margin, y1 - y0 + 2.0 * margin);
        let mut out = String::with_capacity(300 + pieces.len() * 90);
        // Writing to a `String` cannot fail.
        let _ = write!(
            out,
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "\n",
                r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" "#,
                r#"width="{:.2}mm" height="{:.2}mm" viewBox="0 0 {:.2} {:.2}">"#,
                "\n",
                r#"<g fill="none" stroke="black" stroke-linecap="round" stroke-linejoin="round">"#,
                "\n"
            ),
            w * mm_per_px,
            h * mm_per_px,
            w,
            h
        );
        let mut dots = String::new();
        for piece in &pieces {
            match *piece {
                Piece::Dot { at, r } => {
                    let _ = writeln!(
                        dots,
                        r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}" fill="black"/>"#,
                        at.x - ox,
                        at.y - oy,
                        r
                    );
                }
                Piece::Curve { r0, r3, .. } => {
                    // Split so that the width changes by at most 0.02 mm from one part to the
                    // next: a visible step otherwise where a segment's average width changes.
                    let parts = ((r3 - r0).abs() * 2.0 * mm_per_px / 0.02)
                        .ceil()
                        .clamp(1.0, 16.0);
                    let mut t0 = 0.0;
                    for i in 1..=saturating_u32(parts) {
                        let t1 = f64::from(i) / parts;
                        let ((a, ra), (d, rd)) = (piece.at(t0), piece.at(t1));
                        let (da, dd) = (piece.tangent(t0), piece.tangent(t1));
                        let k = (t1 - t0) / 3.0;
                        let _ = writeln!(
                            out,
                            r#"<path stroke-width="{:.2}" d="M{:.2} {:.2}C{:.2} {:.2} {:.2} {:.2} {:.2} {:.2}"/>"#,
                            ra + rd,
                            a.x - ox,
                            a.y - oy,
                            a.x + da.x * k - ox,
                            a.y + da.y * k - oy,
                            d.x - dd.x * k - ox,
                            d.y - dd.y * k - oy,
                            d.x - ox,
                            d.y - oy
                        );
                        t0 = t1;
                    }
                }
            }
        }
        out.push_str("</g>\n");
        out.push_str(&dots);
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PadGeometry, Point};
    use super::*;

    #[test]
    fn physical_size_and_view_box() {
        // 254 dpi: 10 px per mm. A horizontal line 200 px long and a dot.
        let pad = PadGeometry::new(1000, 400, 254).unwrap();
        let line: Vec<Point> = (0..=20u16)
            .map(|i| Point::new(100.0 + f32::from(i) * 10.0, 100.0, u64::from(i) * 100))
            .collect();
        let s =
            Signature::from_strokes(pad, &[line, vec![Point::new(150.0, 150.0, 5_000)]]).unwrap();
        let svg = s.to_svg(&InkOptions::default());
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
        let view_box = svg
            .split("viewBox=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let nums: Vec<f64> = view_box.split(' ').map(|v| v.parse().unwrap()).collect();
        assert_eq!(&nums[..2], &[0.0, 0.0]);
        let width_mm: f64 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split("mm")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let height_mm: f64 = svg
            .split("height=\"")
            .nth(1)
            .unwrap()
            .split("mm")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (width_mm - nums[2] / 10.0).abs() < 0.01,
            "{width_mm} mm vs {} px",
            nums[2]
        );
        assert!((height_mm - nums[3] / 10.0).abs() < 0.01);
        // 200 px of line plus a little ink plus 2 mm of margin; 50 px + ink + margin high.
        assert!((220.0..232.0).contains(&nums[2]), "{view_box}");
        assert!((74.0..86.0).contains(&nums[3]), "{view_box}");
        assert!(svg.matches("<path ").count() >= 20);
        assert_eq!(svg.matches("<circle ").count(), 1);
        assert!(!svg.contains("script"));
        assert!(svg.ends_with("</svg>\n"));
    }
}
