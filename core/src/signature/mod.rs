//! Handwritten signatures: capture, storage, exchange and rendering.
//!
//! The cardholder signs on the POS screen. A [`CaptureSession`] receives the pen's points as the
//! platform reports them and watches the handwriting in real time: when at least one stroke has
//! ended and no further input arrives within a preset interval (2 s by default, measured on an
//! injected [`Clock`]), the signature is complete and [`CaptureSession::finish`] returns a
//! [`Signature`], or a typed reason why it is too trivial to count as one ([`CaptureConfig`]).
//!
//! ```
//! use std::sync::Arc;
//! use ereceipt_core::signature::{
//!     CaptureConfig, CaptureSession, CaptureState, InkOptions, ManualClock, PadGeometry, Point,
//! };
//!
//! let clock = Arc::new(ManualClock::new(0));
//! let pad = PadGeometry::new(1200, 480, 267)?;
//! let mut session = CaptureSession::new(pad, CaptureConfig::default(), clock.clone());
//! session.begin_stroke(Point::new(100.0, 300.0, 5_000))?;
//! for i in 1..=40u16 {
//!     let x = 100.0 + f32::from(i) * 20.0;
//!     let y = 300.0 - f32::from(i % 10) * 12.0;
//!     session.add_point(Point::new(x, y, 5_000 + u64::from(i) * 10))?;
//! }
//! session.end_stroke();
//! clock.advance(1_999);
//! assert!(!session.is_complete());
//! clock.advance(1);
//! assert_eq!(session.state(), CaptureState::Complete);
//!
//! let signature = session.finish()?;
//! let stored = signature.encode(); // the raw time series, kept for disputes
//! assert_eq!(ereceipt_core::signature::Signature::decode(&stored)?, signature);
//! let ink = signature.render(&InkOptions::default(), 400, 160); // 8-bit coverage for the receipt
//! assert!(ink.width <= 400 && ink.height <= 160);
//! # Ok::<(), ereceipt_core::signature::SignatureError>(())
//! ```
//!
//! # What is stored
//!
//! Points are quantized on input: coordinates to 1/8 pad pixel, times to whole milliseconds
//! relative to the signature's first point, pressure to 16 bits. What is stored, hashed
//! ([`Signature::digest`]) and rendered is therefore exactly the same value, whatever way it
//! travelled (the binary form of `docs/FORMAT.md`, or the `ereceipt-strokes/1` JSON form).
//! Points up to 10 % of the pad's size outside the pad (a finger sliding off the view) are
//! clamped to the edge; points farther out are refused.
//!
//! # Rendering, bit for bit
//!
//! The ink is drawn the way the best signature pads draw it (szimek/signature_pad and its Android
//! port): the pen speed is smoothed by an exponential filter, the width shrinks as the pen goes
//! faster, each pair of points is joined by a cubic Bézier whose control points come from the
//! neighbouring points, and each segment is painted as overlapping discs. See [`InkOptions`].
//!
//! The receipt image built from [`Signature::render`] is rendered again by a verifier, possibly
//! on another CPU architecture (an ARM phone, an x86 server), and compared pixel by pixel. So the
//! rasterizer is bit-exact across architectures by construction: it uses only integers and
//! `f64` addition, subtraction, multiplication, division, square root, `floor`, `ceil`, `round`,
//! `abs`, `min` and `max`, which IEEE 754 defines as correctly rounded, and which Rust never
//! fuses into FMA on its own. It uses no `sin`, `cos`, `exp`, `powf`, `powi`, `ln`, `hypot` or
//! `mul_add` (library-dependent or fused results), no SIMD intrinsics and no third-party
//! rasterizer. Anyone changing `ink.rs` must keep to this list; a golden hash in its tests
//! notices any change of output.

mod capture;
mod codec;
mod error;
mod ink;
mod json;
mod model;
mod svg;
#[cfg(test)]
mod testutil;

pub use capture::{CaptureConfig, CaptureSession, CaptureState, Clock, ManualClock, SystemClock};
pub use error::SignatureError;
pub use ink::{Coverage, InkOptions};
pub use model::{PadGeometry, Point, QuantizedPoint, Stroke};

use model::Quantizer;
use std::fmt;

/// A captured handwritten signature: the pad it was written on and its strokes.
///
/// Every `Signature` is structurally valid: 1..=[`Self::MAX_STROKES`] strokes, none empty, at
/// most [`Self::MAX_POINTS`] points in all, every point inside the pad, times non-decreasing
/// from 0 at the first point, and a pressure on every point or on none. Whether it is
/// substantial enough to count as a signature is a capture policy, checked by
/// [`CaptureConfig::check`] (which [`CaptureSession::finish`] applies): decoding and parsing do
/// not apply it, so that a signature stored under one policy always reads back.
///
/// `Debug` shows counts only: strokes are biometric data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    pad: PadGeometry,
    /// Invariant: see the type's documentation.
    strokes: Vec<Stroke>,
}

impl Signature {
    /// The most strokes a signature may have.
    pub const MAX_STROKES: usize = 256;
    /// The most points a signature may have, over all strokes (over 2.5 minutes of writing at
    /// 120 Hz).
    pub const MAX_POINTS: usize = 20_000;
    /// The largest JSON text [`Self::from_json`] reads, in bytes.
    pub const MAX_JSON_LEN: usize = 4 << 20;

    /// A signature from raw strokes, each a list of input points in time order.
    ///
    /// # Errors
    /// [`SignatureError::Empty`] without strokes, [`SignatureError::EmptyStroke`],
    /// [`SignatureError::TooManyStrokes`], [`SignatureError::TooManyPoints`], or any of the point
    /// errors of [`CaptureSession::add_point`].
    pub fn from_strokes(pad: PadGeometry, strokes: &[Vec<Point>]) -> Result<Self, SignatureError> {
        if strokes.is_empty() {
            return Err(SignatureError::Empty);
        }
        if strokes.len() > Self::MAX_STROKES {
            return Err(SignatureError::TooManyStrokes {
                max: Self::MAX_STROKES,
            });
        }
        if strokes.iter().map(Vec::len).sum::<usize>() > Self::MAX_POINTS {
            return Err(SignatureError::TooManyPoints {
                max: Self::MAX_POINTS,
            });
        }
        let mut quantizer = Quantizer::new(pad);
        let mut out = Vec::with_capacity(strokes.len());
        for stroke in strokes {
            if stroke.is_empty() {
                return Err(SignatureError::EmptyStroke);
            }
            let points = stroke
                .iter()
                .map(|p| quantizer.push(p.into()))
                .collect::<Result<_, _>>()?;
            out.push(Stroke { points });
        }
        Ok(Self { pad, strokes: out })
    }

    /// Builds a signature from parts already validated by the caller (the capture session, the
    /// decoder).
    pub(crate) fn from_valid_parts(pad: PadGeometry, strokes: Vec<Stroke>) -> Self {
        Self { pad, strokes }
    }

    /// The pad the signature was written on.
    pub fn pad(&self) -> PadGeometry {
        self.pad
    }

    /// The strokes, in the order they were written.
    pub fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }

    /// How many points over all strokes.
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(Stroke::point_count).sum()
    }

    /// Whether the points carry pressure.
    pub fn has_pressure(&self) -> bool {
        self.strokes
            .first()
            .and_then(|s| s.points.first())
            .is_some_and(|p| p.pressure.is_some())
    }

    /// Milliseconds from the first point to the last.
    pub fn duration_ms(&self) -> u32 {
        self.points().last().map_or(0, |p| p.t_ms)
    }

    /// Every point of every stroke, in time order.
    pub(crate) fn points(&self) -> impl Iterator<Item = &QuantizedPoint> {
        self.strokes.iter().flat_map(|s| s.points.iter())
    }

    /// SHA-256 of [`Self::encode`]: what a receipt record commits to.
    pub fn digest(&self) -> [u8; 32] {
        let hash = ring::digest::digest(&ring::digest::SHA256, &self.encode());
        let mut out = [0; 32];
        out.copy_from_slice(hash.as_ref());
        out
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("strokes", &self.strokes.len())
            .field("points", &self.point_count())
            .field("has_pressure", &self.has_pressure())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn pad() -> PadGeometry {
        PadGeometry::new(1000, 400, 254).unwrap()
    }

    #[test]
    fn from_strokes_rules() {
        let p = |x: f32, t: u64| Point::new(x, 10.0, t);
        assert_eq!(
            Signature::from_strokes(pad(), &[]),
            Err(SignatureError::Empty)
        );
        assert_eq!(
            Signature::from_strokes(pad(), &[vec![p(1.0, 0)], vec![]]),
            Err(SignatureError::EmptyStroke)
        );
        let too_many = vec![vec![p(1.0, 0)]; Signature::MAX_STROKES + 1];
        assert_eq!(
            Signature::from_strokes(pad(), &too_many),
            Err(SignatureError::TooManyStrokes { max: 256 })
        );
        let long = vec![p(1.0, 0); Signature::MAX_POINTS + 1];
        assert_eq!(
            Signature::from_strokes(pad(), &[long]),
            Err(SignatureError::TooManyPoints { max: 20_000 })
        );
        // Time may not go backwards across strokes either.
        assert_eq!(
            Signature::from_strokes(pad(), &[vec![p(1.0, 10)], vec![p(2.0, 9)]]),
            Err(SignatureError::TimeWentBackwards)
        );
        let s = Signature::from_strokes(pad(), &[vec![p(1.0, 10), p(2.0, 30)], vec![p(3.0, 90)]])
            .unwrap();
        assert_eq!(s.point_count(), 3);
        assert_eq!(s.duration_ms(), 80);
        assert!(!s.has_pressure());
    }

    #[test]
    fn debug_shows_counts_only() {
        let s = Signature::from_strokes(
            pad(),
            &[
                vec![Point::new(123.375, 45.5, 10).with_pressure(0.25); 3],
                vec![Point::new(678.0, 91.0, 20).with_pressure(0.75)],
            ],
        )
        .unwrap();
        let text = format!("{s:?} {:?} {:?}", s.strokes()[0], s.strokes()[0].points());
        assert_eq!(
            text,
            "Signature { strokes: 2, points: 4, has_pressure: true } Stroke { points: 3 } \
             [QuantizedPoint { .. }, QuantizedPoint { .. }, QuantizedPoint { .. }]"
        );
        for needle in ["123", "45", "678", "91", "0.25", "0.75", "987"] {
            assert!(!text.contains(needle), "{needle} leaked");
        }
    }

    #[test]
    fn recorded_signatures_are_valid_signatures() {
        let names = testutil::fixture_names();
        assert!(names.len() >= 4, "{names:?}");
        let (mut with, mut without) = (0, 0);
        for name in &names {
            let s = testutil::fixture(name);
            CaptureConfig::default().check(&s).unwrap();
            assert!(s.strokes().len() >= 3, "{name}: several strokes");
            assert_eq!(Signature::decode(&s.encode()).unwrap(), s);
            assert_eq!(Signature::from_json(&s.to_json()).unwrap(), s);
            if s.has_pressure() {
                with += 1
            } else {
                without += 1
            }
        }
        assert!(
            with >= 2 && without >= 1,
            "{with} with pressure, {without} without"
        );
    }

    #[test]
    fn digest_is_sha256_of_the_encoding() {
        let s = Signature::from_strokes(pad(), &[vec![Point::new(1.0, 2.0, 3)]]).unwrap();
        let expected = ring::digest::digest(&ring::digest::SHA256, &s.encode());
        assert_eq!(&s.digest()[..], expected.as_ref());
    }
}
