//! The anti-tamper watermark (Source A step 4): a fragile, keyed, block-wise mark in the
//! receipt's own edge pixels that says whether and where the printed content was edited.
//!
//! ```
//! use ereceipt_core::render::{Bitmap, encode_png};
//! use ereceipt_core::watermark::{Status, WatermarkKey, detect_bitmap, embed};
//!
//! // A stand-in for a rendered receipt: rows of small squares (edges with corners).
//! let mut receipt = Bitmap::new(384, 96);
//! for y in (0..96).step_by(4) {
//!     for x in (0..384).step_by(4) {
//!         if (x + y) % 12 != 0 {
//!             receipt.fill(x, y, 3, 3, true);
//!         }
//!     }
//! }
//! let key = WatermarkKey::derive(&[0x42; 64], &[7; 16]);
//! let marked = embed(&receipt, &key, &[]);
//! assert_eq!(detect_bitmap(&marked, &key, &[]).status, Status::Intact);
//!
//! let mut edited = marked.clone();
//! edited.fill(200, 30, 8, 8, true);
//! let found = detect_bitmap(&edited, &key, &[]);
//! assert_eq!(found.status, Status::Tampered);
//! assert!(found.regions.iter().any(|r| r.x <= 200 && 200 < r.x + r.w));
//! ```
//!
//! # Why not a photo watermark
//! A receipt is a 1-bit image, 92 % white. Marks made for photographs (DCT/DWT coefficients,
//! low bits) cannot touch white without adding visible noise, multiply a 1-bit PNG's size 3–8×
//! and spread each bit over the whole image, so they cannot say *where* an edit is. This mark
//! follows the binary-image literature instead: flip a few edge pixels (Wu & Liu 2004), one
//! code per block (Wong 1998), blank blocks covered by their neighbours (Yang & Kot 2006).
//!
//! # Design
//! - **Carriers.** A pixel may carry the mark when both its coordinates are even and its 3×3
//!   neighbourhood is a corner: one vertical and one horizontal neighbour are ink, the other
//!   two paper, the diagonal between the ink ones ink and the one between the paper ones paper.
//!   Flipping such a pixel moves an edge or a corner by one pixel; it never isolates a pixel,
//!   never joins or splits strokes and never touches white paper away from ink. Because of the
//!   even lattice no carrier lies in another's neighbourhood, so the rule reads only pixels
//!   that embedding never changes and the detector finds exactly the embedder's carriers.
//!   Carriers are never taken inside the caller's protected areas. The receipts ereceipt issues
//!   protect nothing, so that a verifier without the record (metadata stripped) needs no
//!   layout to check them: the signature band's digest in the record leaves the carrier
//!   lattice out (`record::band_digest`), and moving a QR module's corner by one pixel does
//!   not change what a reader samples (tested down to JPEG 75 at 90 % scale).
//!   [`protected_areas`] remains for callers that must keep an area pixel-exact.
//! - **Blocks and hosts.** The image is cut into [`BLOCK_SIZE`]-pixel blocks (24 divides both
//!   paper widths; it is the line pitch of the font minus the leading, and measured better
//!   than 16, which leaves most blocks without enough carriers, and 32, which is coarser for the
//!   same number of codes). A block with at least [`BITS_PER_HOST`] carriers is a *host*; up to
//!   four consecutive blocks of a row that have that many only together form one host (large
//!   scale-2 text such as the amount has few corners per block).
//! - **Codes.** Each host carries [`BITS_PER_HOST`] bits: the first bits of
//!   HMAC-SHA256(key, domain, receipt id, paper width, block size, the host's position and
//!   extent, and — for every block the host covers — its position and pixels with all carriers
//!   masked out). Binding positions and the per-receipt key defeats the collage and copy-move
//!   attacks: a block copied from another receipt or another place carries the wrong code. The
//!   hosts that cover the last block row also bind the image height, so cropping the bottom
//!   off fails there. The bits are written by syndrome coding (see `code.rs`): about 2–3 flips
//!   per host instead of 4.
//! - **Coverage.** Every block, host or not, is covered by the codes of its two nearest hosts
//!   (breadth-first over the block grid). Ink added on blank paper, a swapped QR code or an
//!   erased line therefore makes two codes fail; a block is reported when *every* code
//!   covering it failed, which localises an edit to the blocks those hosts share.
//! - **Key.** [`WatermarkKey::derive`]: HKDF-SHA256, salt `ereceipt-watermark/1`, input the
//!   terminal's ECDSA signature of the record, info the receipt id. Only the holder of the
//!   terminal key can produce the signature, and anyone holding it can check the mark. Unsigned
//!   receipts use [`WatermarkKey::unsigned`] (from the record digest): such a mark only
//!   detects accidental or naive edits.
//! - **Detection and threshold.** For each host the feature value is the number of code bits
//!   that differ from the recomputed code; a host fails when it exceeds [`THRESHOLD`] (0). A
//!   lossless copy reproduces every pixel, so an untouched receipt has no failing host by
//!   construction (no false alarm), and an edit that changes the pixels a code covers goes
//!   unnoticed by that code with probability 2^-8; a block is covered by two codes, so an edit
//!   confined to one block escapes both with probability about 2^-16. Failing blocks are merged
//!   into rectangles (8-connected groups). An image that is not a plausible lossless copy of a
//!   receipt (width not 384 or 576, more than 0.1 % mid-gray pixels, no host) is reported as
//!   [`Status::NotCheckable`], never as tampered; when more than three quarters of the hosts
//!   fail the image is taken for one not marked with this key ([`Unchecked::NoMark`]).
//!
//! # Measured (sample receipts, `cargo test -p ereceipt-core watermark -- --nocapture`)
//! PNG size 1.056–1.084× the unmarked receipt (target ≤ 1.15); 900–1,700 pixels flipped at
//! about 0.7 bytes each; embed about 4 ms and detect about 5 ms on a 576×1,900 receipt in
//! release (`benches/watermark.rs`). At 100 % zoom the marked receipt cannot be told from the
//! clean one: the flips are single corner pixels of glyphs and of the dashes of rules.
//!
//! # Limits (the honest cost)
//! - **The key is not secret from the receipt's holder.** The signature it is derived from is
//!   printed in the QR code, so anyone who has the receipt and this code can edit the image and
//!   embed a fresh mark. The mark detects edits made with ordinary image tools and says where
//!   they are; authenticity comes from the signed record and the verifier's re-render
//!   comparison, never from the mark alone. (A mark only the terminal could make would need a
//!   signature per block, far beyond the capacity of a receipt's edges.)
//! - **Fragile by design.** JPEG, scaling, printing and photographing destroy it; such images
//!   are reported as not checkable (identification then goes through the QR code).
//! - **Coarse localisation on sparse areas.** Regions are whole blocks covered only by the
//!   failing codes: on the samples the best-matching region's IoU with the edited box has a
//!   median of about 0.2, and a one-digit edit of the large-print amount is reported as an area
//!   of typically 25 (up to 70) times the digit, because blank paper and large glyphs carry few
//!   carriers and the report cannot tell which of the blocks two failing codes share changed.
//! - **The detector must be told the protected areas** given to [`embed`] (the verifier has
//!   them from the layout re-rendered from the record).
//! - **Carrier-only edits.** An edit that only moves corner pixels that are carriers is
//!   detected (it changes the code) but carries no visible meaning; an edit that keeps every
//!   pixel a code covers is, by definition, not an edit.

mod blocks;
mod carrier;
mod code;
mod key;

pub use key::WatermarkKey;

use crate::render::{Bitmap, FieldBox, Paper};
use blocks::{BLOCK, Layout};
use carrier::Plane;

/// The most code bits a host may get wrong and still pass: none. A lossless copy reproduces
/// every bit, so any mismatch is an edit (or damage).
pub const THRESHOLD: u32 = 0;

/// Code bits carried by each host block; an edit inside a host's area goes unnoticed with
/// probability 2^-`BITS_PER_HOST` (1/256).
pub const BITS_PER_HOST: u32 = 8;

/// Side of the square blocks, in pixels: the granularity of the reported regions.
pub const BLOCK_SIZE: u32 = 24;

/// The largest share of mid-gray pixels (luma 32–223) an image may have and still be taken
/// for a lossless copy of a 1-bit receipt: one in a thousand.
const MAX_GRAY_PER_MILLE: usize = 1;

const _: () = assert!(BLOCK_SIZE as usize == BLOCK && BITS_PER_HOST as usize == code::BITS);

/// A rectangle in image pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl Rect {
    /// The area in pixels.
    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }

    /// The area shared with `other`, in pixels.
    pub fn overlap(&self, other: &Rect) -> u64 {
        let span = |a: u32, aw: u32, b: u32, bw: u32| {
            let lo = u64::from(a.max(b));
            let hi = (u64::from(a) + u64::from(aw)).min(u64::from(b) + u64::from(bw));
            hi.saturating_sub(lo)
        };
        span(self.x, self.w, other.x, other.w) * span(self.y, self.h, other.y, other.h)
    }

    /// Intersection over union with `other` (0 when both are empty).
    pub fn iou(&self, other: &Rect) -> f64 {
        let inter = self.overlap(other);
        let union = self.area() + other.area() - inter;
        if union == 0 {
            0.0
        } else {
            // Pixel counts of real images are far below 2^52: the conversion is exact.
            #[expect(clippy::cast_precision_loss, reason = "exact below 2^52")]
            let ratio = inter as f64 / union as f64;
            ratio
        }
    }
}

impl From<&FieldBox> for Rect {
    fn from(f: &FieldBox) -> Self {
        Rect {
            x: f.x,
            y: f.y,
            w: f.w,
            h: f.h,
        }
    }
}

/// The areas a receipt keeps free of carriers: its QR code, whose modules must stay exactly as
/// drawn, and its signature band, which the verifier checks against the digest in the record.
/// Pass the same list to [`embed`] and [`detect`]; the areas are still covered by the codes of
/// neighbouring blocks, so replacing the QR code or the signature is detected.
pub fn protected_areas(fields: &[FieldBox]) -> Vec<Rect> {
    fields
        .iter()
        .filter(|f| matches!(f.field, "qr" | "signature"))
        .map(Rect::from)
        .collect()
}

/// True when the watermark may have flipped the pixel at (`x`, `y`) of `bitmap`: it lies on the
/// carrier lattice and its neighbourhood is a corner. Whether it is a candidate does not depend
/// on the pixel itself or on any other candidate, so it is the same before and after embedding:
/// a verifier comparing a re-rendered receipt with a marked one treats differences at candidate
/// pixels as the mark's and every other difference as an edit.
pub fn is_carrier_candidate(bitmap: &Bitmap, x: u32, y: u32) -> bool {
    if x >= bitmap.width() || y >= bitmap.height() {
        return false;
    }
    let plane = Plane {
        width: to_usize(bitmap.width()),
        height: to_usize(bitmap.height()),
        ink: bitmap.pixels(),
    };
    plane.is_candidate(to_usize(x), to_usize(y))
}

/// Watermarks a receipt. Deterministic: the same bitmap, key and protected areas always give
/// the same pixels. Carriers are never taken inside `protect`.
pub fn embed(bitmap: &Bitmap, key: &WatermarkKey, protect: &[Rect]) -> Bitmap {
    let (width, height) = (to_usize(bitmap.width()), to_usize(bitmap.height()));
    let plane = Plane {
        width,
        height,
        ink: bitmap.pixels(),
    };
    let layout = Layout::new(&plane, protect);
    let columns = code::columns();
    let mut out = bitmap.clone();
    for (h, carriers) in layout.carriers.iter().enumerate() {
        let want = layout.code(&plane, key, h);
        let have = code::syndrome(&columns, carriers.iter().map(|&i| plane.ink[i]));
        for k in code::flips(&columns, carriers.len(), want ^ have) {
            let i = carriers[k];
            let x = u32::try_from(i % width).expect("x is below the bitmap's u32 width");
            let y = u32::try_from(i / width).expect("y is below the bitmap's u32 height");
            out.set(x, y, plane.ink[i] == 0);
        }
    }
    out
}

/// What [`detect`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Detection {
    /// The verdict.
    pub status: Status,
    /// Where the image was edited (when [`Status::Tampered`]): each rectangle is the union of
    /// the areas covered by failing hosts that touch each other, in image pixels.
    pub regions: Vec<Rect>,
    /// Blocks in the image.
    pub blocks: usize,
    /// Blocks covered by a host's code (all of them unless the image has no host at all).
    pub blocks_checked: usize,
    /// Blocks no code covers.
    pub blocks_unchecked: usize,
    /// Host blocks (blocks that carry a code).
    pub hosts: usize,
    /// Hosts whose code did not match: the per-host feature value exceeded [`THRESHOLD`].
    pub hosts_failed: usize,
    /// Code bits read.
    pub bits_checked: usize,
    /// Code bits that did not match.
    pub mismatched_bits: usize,
    /// The per-host threshold used ([`THRESHOLD`]).
    pub threshold: u32,
}

impl Detection {
    /// The share of code bits that did not match: 0 for an intact receipt, about one half for
    /// an image not marked with this key.
    pub fn score(&self) -> f64 {
        if self.bits_checked == 0 {
            return 0.0;
        }
        #[expect(clippy::cast_precision_loss, reason = "bit counts are far below 2^52")]
        let score = self.mismatched_bits as f64 / self.bits_checked as f64;
        score
    }

    fn empty(status: Status) -> Self {
        Detection {
            status,
            regions: Vec::new(),
            blocks: 0,
            blocks_checked: 0,
            blocks_unchecked: 0,
            hosts: 0,
            hosts_failed: 0,
            bits_checked: 0,
            mismatched_bits: 0,
            threshold: THRESHOLD,
        }
    }
}

/// The verdict of [`detect`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Every host's code matched: no printed pixel was changed since embedding (except with
    /// probability 2^-8 per host whose area an edit touched).
    Intact,
    /// At least one host's code did not match; [`Detection::regions`] says where.
    Tampered,
    /// The image cannot be checked; nothing is claimed about it either way.
    NotCheckable(Unchecked),
}

/// Why an image cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unchecked {
    /// The width is not a receipt paper width (384 or 576 pixels): the image was resized or
    /// cropped, or is not a receipt.
    UnexpectedSize {
        /// Image width in pixels.
        width: u32,
        /// Image height in pixels.
        height: u32,
    },
    /// The pixel buffer does not hold `width × height` bytes.
    Malformed,
    /// Too many mid-gray pixels for a lossless copy of a 1-bit image: the image went through
    /// JPEG, scaling or a filter, which a fragile mark cannot survive.
    Lossy {
        /// Pixels with luma from 32 to 223.
        gray_pixels: usize,
    },
    /// The image has no block with enough edge pixels to carry a code (blank or solid).
    NoCapacity,
    /// Most hosts fail: the image carries no mark made with this key (never watermarked, the
    /// key of another receipt, or a wholly different image).
    NoMark,
}

/// Checks a watermark on an 8-bit luma image (`luma.len() == width * height`, row-major,
/// 0 = black), thresholded at 128. Lossless copies of a 1-bit receipt, whether stored as 1-bit,
/// 8-bit gray or RGB (converted to luma by the caller), check exactly as the original.
/// `protect` must be the list given to [`embed`]. Never panics.
pub fn detect(
    width: u32,
    height: u32,
    luma: &[u8],
    key: &WatermarkKey,
    protect: &[Rect],
) -> Detection {
    let size = u64::from(width) * u64::from(height);
    if u64::try_from(luma.len()).ok() != Some(size) {
        return Detection::empty(Status::NotCheckable(Unchecked::Malformed));
    }
    if Paper::from_width(width).is_none() || to_usize(height) < BLOCK {
        return Detection::empty(Status::NotCheckable(Unchecked::UnexpectedSize {
            width,
            height,
        }));
    }
    let gray_pixels = luma.iter().filter(|&&v| (32..224).contains(&v)).count();
    if gray_pixels * 1000 > luma.len() * MAX_GRAY_PER_MILLE {
        return Detection::empty(Status::NotCheckable(Unchecked::Lossy { gray_pixels }));
    }
    let ink: Vec<u8> = luma.iter().map(|&v| u8::from(v < 128)).collect();
    check(to_usize(width), to_usize(height), &ink, key, protect)
}

/// [`detect`] on a 1-bit bitmap, as after decoding a 1-bit PNG.
pub fn detect_bitmap(bitmap: &Bitmap, key: &WatermarkKey, protect: &[Rect]) -> Detection {
    let luma: Vec<u8> = bitmap
        .pixels()
        .iter()
        .map(|&p| if p != 0 { 0 } else { 255 })
        .collect();
    detect(bitmap.width(), bitmap.height(), &luma, key, protect)
}

fn check(
    width: usize,
    height: usize,
    ink: &[u8],
    key: &WatermarkKey,
    protect: &[Rect],
) -> Detection {
    let plane = Plane { width, height, ink };
    let layout = Layout::new(&plane, protect);
    let columns = code::columns();
    let blocks = layout.cols * layout.rows;
    let mut detection = Detection::empty(Status::Intact);
    detection.blocks = blocks;
    detection.hosts = layout.hosts.len();
    if layout.hosts.is_empty() {
        detection.blocks_unchecked = blocks;
        detection.status = Status::NotCheckable(Unchecked::NoCapacity);
        return detection;
    }
    let mut failed = vec![false; layout.hosts.len()];
    for (h, carriers) in layout.carriers.iter().enumerate() {
        let want = layout.code(&plane, key, h);
        let have = code::syndrome(&columns, carriers.iter().map(|&i| plane.ink[i]));
        let wrong = (want ^ have).count_ones();
        detection.bits_checked += code::BITS;
        detection.mismatched_bits += to_usize(wrong);
        if wrong > THRESHOLD {
            detection.hosts_failed += 1;
            failed[h] = true;
        }
    }
    // A block is suspect when every code covering it failed. A failing host none of whose
    // blocks is suspect that way (its partner matched by chance, or only its own carriers were
    // touched) puts all its blocks in the report, so every failure shows somewhere.
    let mut flagged: Vec<bool> = layout
        .owners
        .iter()
        .map(|o| !o.is_empty() && o.iter().all(|&h| failed[h]))
        .collect();
    for (h, covers) in layout.covers.iter().enumerate() {
        if failed[h] && !covers.iter().any(|&b| flagged[b]) {
            for &b in covers {
                flagged[b] = true;
            }
        }
    }
    detection.blocks_checked = layout.owners.iter().filter(|o| !o.is_empty()).count();
    detection.blocks_unchecked = blocks - detection.blocks_checked;
    if detection.hosts_failed == 0 {
        return detection;
    }
    if detection.hosts_failed * 4 > detection.hosts * 3 {
        detection.status = Status::NotCheckable(Unchecked::NoMark);
        return detection;
    }
    detection.status = Status::Tampered;
    detection.regions = regions(&layout, &flagged);
    detection
}

/// Bounding rectangles of the 8-connected groups of flagged blocks, top to bottom.
fn regions(layout: &Layout, flagged: &[bool]) -> Vec<Rect> {
    let (cols, rows) = (layout.cols, layout.rows);
    let mut seen = vec![false; flagged.len()];
    let mut out = Vec::new();
    for start in 0..flagged.len() {
        if !flagged[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        while let Some(b) = stack.pop() {
            let (x, y, w, h) = layout.block_rect(b);
            (x0, y0) = (x0.min(x), y0.min(y));
            (x1, y1) = (x1.max(x + w), y1.max(y + h));
            let (bx, by) = (b % cols, b / cols);
            for ny in by.saturating_sub(1)..(by + 2).min(rows) {
                for nx in bx.saturating_sub(1)..(bx + 2).min(cols) {
                    let n = ny * cols + nx;
                    if flagged[n] && !seen[n] {
                        seen[n] = true;
                        stack.push(n);
                    }
                }
            }
        }
        let px = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        out.push(Rect {
            x: px(x0),
            y: px(y0),
            w: px(x1 - x0),
            h: px(y1 - y0),
        });
    }
    out
}

/// A u32 pixel count as usize (lossless on the 32- and 64-bit targets the SDK supports).
fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests;
