//! Which pixels may carry the mark: corners, on a lattice.
//!
//! A pixel is a candidate when one vertical and one horizontal neighbour are ink and the other
//! two paper, the diagonal neighbour between the two ink ones is ink and the one between the
//! two paper ones is paper; the other two diagonals may be anything. For example (ink above
//! and left; `?` is either):
//!
//! ```text
//! # # #      # # .      # # ?
//! # c .      # c .      # c .
//! . . .      ? . .      ? . .
//!  step      corner     general
//! ```
//!
//! Whatever the centre holds, the picture is the same edge with a step or corner moved by one
//! pixel: the flip never isolates a pixel, never opens or closes a hole and never joins or
//! splits strokes (ink neighbours stay joined through their ink diagonal, paper ones through
//! theirs). Only pixels with both coordinates even are considered, so no candidate lies in
//! another candidate's neighbourhood: the rule reads only pixels that embedding never changes,
//! and the detector finds exactly the candidates the embedder used, flipped or not.

/// A 1-bit image borrowed as one byte per pixel (non-zero = ink).
#[derive(Clone, Copy)]
pub(super) struct Plane<'a> {
    pub(super) width: usize,
    pub(super) height: usize,
    /// Invariant: `ink.len() == width * height`.
    pub(super) ink: &'a [u8],
}

impl Plane<'_> {
    /// 1 for ink, 0 for paper. Callers stay inside the image.
    pub(super) fn at(&self, x: usize, y: usize) -> u8 {
        u8::from(self.ink[y * self.width + x] != 0)
    }

    /// True when (`x`, `y`) is a candidate carrier (see the module documentation).
    pub(super) fn is_candidate(&self, x: usize, y: usize) -> bool {
        if !x.is_multiple_of(2) || !y.is_multiple_of(2) || x == 0 || y == 0 {
            return false;
        }
        if x + 1 >= self.width || y + 1 >= self.height {
            return false;
        }
        let p = |dx: usize, dy: usize| self.at(x + dx - 1, y + dy - 1);
        let (nw, n, ne) = (p(0, 0), p(1, 0), p(2, 0));
        let (w, e) = (p(0, 1), p(2, 1));
        let (sw, s, se) = (p(0, 2), p(1, 2), p(2, 2));
        // One vertical and one horizontal neighbour are ink, the other two paper; the diagonal
        // between the two ink ones is ink and the one between the paper ones is paper.
        n != s && w != e && {
            let inner = match (n, w) {
                (1, 1) => (nw, se),
                (1, 0) => (ne, sw),
                (0, 1) => (sw, ne),
                _ => (se, nw),
            };
            inner == (1, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Plane;

    fn plane(rows: &[&str]) -> (usize, usize, Vec<u8>) {
        let ink = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| u8::from(b == b'#')))
            .collect();
        (rows[0].len(), rows.len(), ink)
    }

    #[test]
    fn step_corners_are_candidates_in_both_states() {
        for centre in ["#", "."] {
            // Rows 0–1 ink, rows 3–4 paper: a horizontal edge stepping down at x = 2.
            let middle = format!("##{centre}..");
            let (w, h, ink) = plane(&["#####", "#####", &middle, ".....", "....."]);
            let p = Plane {
                width: w,
                height: h,
                ink: &ink,
            };
            assert!(p.is_candidate(2, 2), "centre {centre}");
        }
    }

    #[test]
    fn straight_edges_thin_lines_and_odd_pixels_are_not() {
        let cases: [[&str; 5]; 3] = [
            ["#####", "#####", "#####", ".....", "....."],
            [".....", ".....", "#####", ".....", "....."],
            [".....", ".#...", ".....", ".....", "....."],
        ];
        for rows in cases {
            let (w, h, ink) = plane(&rows);
            let p = Plane {
                width: w,
                height: h,
                ink: &ink,
            };
            assert!(!p.is_candidate(2, 2), "{rows:?}");
        }
        let (w, h, ink) = plane(&["#####", "#####", "##...", ".....", "....."]);
        let p = Plane {
            width: w,
            height: h,
            ink: &ink,
        };
        assert!(!p.is_candidate(1, 2) && !p.is_candidate(2, 1));
    }
}
