//! The data model: pad geometry, input points, quantized points and strokes.

use super::SignatureError;
use std::fmt;

/// The signature pad: its size in device pixels and its pixel density.
///
/// Coordinates of [`Point`]s are in the pad's pixels, with `(0, 0)` at the top left corner and
/// `(width, height)` at the bottom right. The density turns pixels into millimetres, for the
/// triviality thresholds, the ink widths and the physical size of the SVG export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PadGeometry {
    /// Invariant: 1..=10000.
    width: u32,
    /// Invariant: 1..=10000.
    height: u32,
    /// Invariant: 50..=1000.
    dpi: u32,
}

impl PadGeometry {
    /// The largest pad width or height in pixels.
    pub const MAX_SIZE: u32 = 10_000;
    /// The lowest pixel density accepted.
    pub const MIN_DPI: u32 = 50;
    /// The highest pixel density accepted.
    pub const MAX_DPI: u32 = 1_000;

    /// A pad `width` × `height` pixels at `dpi` pixels per inch.
    ///
    /// # Errors
    /// [`SignatureError::InvalidPad`] when a size is outside 1..=10000 or `dpi` outside 50..=1000.
    pub fn new(width: u32, height: u32, dpi: u32) -> Result<Self, SignatureError> {
        if !(1..=Self::MAX_SIZE).contains(&width) {
            return Err(SignatureError::InvalidPad { field: "width" });
        }
        if !(1..=Self::MAX_SIZE).contains(&height) {
            return Err(SignatureError::InvalidPad { field: "height" });
        }
        if !(Self::MIN_DPI..=Self::MAX_DPI).contains(&dpi) {
            return Err(SignatureError::InvalidPad { field: "dpi" });
        }
        Ok(Self { width, height, dpi })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Pixels per inch.
    pub fn dpi(&self) -> u32 {
        self.dpi
    }

    /// Millimetres per pad pixel.
    pub(crate) fn mm_per_px(&self) -> f64 {
        25.4 / f64::from(self.dpi)
    }
}

/// One input sample of the pen or finger, as the platform reports it.
///
/// `x` and `y` are in pad pixels; `t_ms` is the event time in milliseconds on any monotonic
/// clock (Android `MotionEvent.getEventTime()`, iOS `UITouch.timestamp` × 1000): only
/// differences matter, times are stored relative to the signature's first point. `pressure` is
/// 0.0..=1.0 when the device measures it.
///
/// `Debug` shows no value: strokes are biometric data.
#[derive(Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal position in pad pixels, growing to the right.
    pub x: f32,
    /// Vertical position in pad pixels, growing downwards.
    pub y: f32,
    /// Event time in milliseconds.
    pub t_ms: u64,
    /// Normalised pen pressure 0.0..=1.0, if measured.
    pub pressure: Option<f32>,
}

impl Point {
    /// A point without pressure.
    pub fn new(x: f32, y: f32, t_ms: u64) -> Self {
        Self {
            x,
            y,
            t_ms,
            pressure: None,
        }
    }

    /// The same point with a pressure.
    #[must_use]
    pub fn with_pressure(mut self, pressure: f32) -> Self {
        self.pressure = Some(pressure);
        self
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Point { .. }")
    }
}

/// A stored point: exactly what is encoded, hashed and rendered.
///
/// Coordinates are in 1/8 pad pixel, within `0..=8 × width` and `0..=8 × height`; the time is
/// in milliseconds since the first point of the signature; the pressure, if present, is
/// 0..=65535 for 0.0..=1.0.
///
/// `Debug` shows no value: strokes are biometric data.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuantizedPoint {
    pub(crate) x: i32,
    pub(crate) y: i32,
    pub(crate) t_ms: u32,
    pub(crate) pressure: Option<u16>,
}

impl QuantizedPoint {
    /// Sub-pixel units per pad pixel.
    pub const UNITS_PER_PX: i32 = 8;

    /// Horizontal position in 1/8 pad pixel.
    pub fn x_eighths(&self) -> i32 {
        self.x
    }

    /// Vertical position in 1/8 pad pixel.
    pub fn y_eighths(&self) -> i32 {
        self.y
    }

    /// Horizontal position in pad pixels.
    pub fn x(&self) -> f64 {
        f64::from(self.x) / 8.0
    }

    /// Vertical position in pad pixels.
    pub fn y(&self) -> f64 {
        f64::from(self.y) / 8.0
    }

    /// Milliseconds since the signature's first point.
    pub fn t_ms(&self) -> u32 {
        self.t_ms
    }

    /// Pressure as stored, 0..=65535 for 0.0..=1.0.
    pub fn pressure_raw(&self) -> Option<u16> {
        self.pressure
    }

    /// Pressure 0.0..=1.0.
    pub fn pressure(&self) -> Option<f64> {
        self.pressure.map(|p| f64::from(p) / 65535.0)
    }
}

impl fmt::Debug for QuantizedPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QuantizedPoint { .. }")
    }
}

/// One pen-down-to-pen-up trace: a non-empty sequence of quantized points.
///
/// `Debug` shows the number of points only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Stroke {
    /// Invariant: not empty; times non-decreasing; every point inside the pad; all points have a
    /// pressure or none has.
    pub(crate) points: Vec<QuantizedPoint>,
}

impl Stroke {
    /// The points, in time order.
    pub fn points(&self) -> &[QuantizedPoint] {
        &self.points
    }

    /// How many points (at least one).
    pub fn point_count(&self) -> usize {
        self.points.len()
    }
}

impl fmt::Debug for Stroke {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stroke")
            .field("points", &self.points.len())
            .finish()
    }
}

/// Turns input points into stored points for one signature, enforcing every per-point rule.
///
/// It remembers the time origin (the first point's time), the last time and whether the
/// signature carries pressure, so that consecutive calls build one consistent signature.
#[derive(Clone, Copy)]
pub(crate) struct Quantizer {
    pad: PadGeometry,
    origin_ms: Option<u64>,
    last_ms: u64,
    pressure: Option<bool>,
}

impl Quantizer {
    pub(crate) fn new(pad: PadGeometry) -> Self {
        Self {
            pad,
            origin_ms: None,
            last_ms: 0,
            pressure: None,
        }
    }

    /// Quantizes `p` as the next point of the signature and commits it to the quantizer's state;
    /// on error the state is unchanged.
    pub(crate) fn push(&mut self, p: RawPoint) -> Result<QuantizedPoint, SignatureError> {
        let x = coordinate(p.x, self.pad.width)?;
        let y = coordinate(p.y, self.pad.height)?;
        let pressure = match p.pressure {
            None => None,
            Some(v) if (0.0..=1.0).contains(&v) => Some(saturating_u16((v * 65535.0).round())),
            Some(_) => return Err(SignatureError::PressureOutOfRange),
        };
        if self.pressure.is_some_and(|has| has != pressure.is_some()) {
            return Err(SignatureError::InconsistentPressure);
        }
        let t_ms = match self.origin_ms {
            None => 0,
            Some(origin) => {
                if p.t_ms < self.last_ms {
                    return Err(SignatureError::TimeWentBackwards);
                }
                u32::try_from(p.t_ms - origin).map_err(|_| SignatureError::TimeOutOfRange)?
            }
        };
        if self.origin_ms.is_none() {
            self.origin_ms = Some(p.t_ms);
        }
        self.last_ms = p.t_ms;
        self.pressure = Some(pressure.is_some());
        Ok(QuantizedPoint {
            x,
            y,
            t_ms,
            pressure,
        })
    }
}

/// An input point in `f64`, the common form of [`Point`] and of the JSON form's points.
#[derive(Clone, Copy)]
pub(crate) struct RawPoint {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) t_ms: u64,
    pub(crate) pressure: Option<f64>,
}

impl From<&Point> for RawPoint {
    fn from(p: &Point) -> Self {
        Self {
            x: f64::from(p.x),
            y: f64::from(p.y),
            t_ms: p.t_ms,
            pressure: p.pressure.map(f64::from),
        }
    }
}

/// One coordinate in 1/8 pixel: finite, within 10 % of the pad's `size` outside it (clamped to
/// the edge), else an error.
fn coordinate(v: f64, size: u32) -> Result<i32, SignatureError> {
    if !v.is_finite() {
        return Err(SignatureError::NonFiniteCoordinate);
    }
    let size = f64::from(size);
    let margin = size / 10.0;
    if v < -margin || v > size + margin {
        return Err(SignatureError::OutOfPad);
    }
    // In range 0..=80_000 after the clamp, so the conversion is exact.
    Ok(saturating_i32((v.clamp(0.0, size) * 8.0).round()))
}

/// `v` as an `i32`, saturating at the type's bounds (NaN gives 0). Callers pass integral values
/// already in range; this is the one place where such conversions are written.
#[expect(
    clippy::cast_possible_truncation,
    reason = "`as` saturates; callers pass in-range integers"
)]
pub(crate) fn saturating_i32(v: f64) -> i32 {
    v as i32
}

/// `v` as a `u16`, saturating (NaN gives 0); see [`saturating_i32`].
#[expect(
    clippy::cast_possible_truncation,
    reason = "`as` saturates; callers pass in-range integers"
)]
pub(crate) fn saturating_u16(v: f64) -> u16 {
    v as u16
}

/// `v` as a `u32`, saturating (NaN gives 0); see [`saturating_i32`].
#[expect(
    clippy::cast_possible_truncation,
    reason = "`as` saturates; callers pass in-range integers"
)]
pub(crate) fn saturating_u32(v: f64) -> u32 {
    v as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(q: &mut Quantizer, p: Point) -> Result<QuantizedPoint, SignatureError> {
        q.push(RawPoint::from(&p))
    }

    fn pad() -> PadGeometry {
        PadGeometry::new(100, 50, 160).unwrap()
    }

    #[test]
    fn pad_limits() {
        assert!(PadGeometry::new(1, 1, 50).is_ok());
        assert!(PadGeometry::new(10_000, 10_000, 1_000).is_ok());
        assert_eq!(
            PadGeometry::new(0, 1, 160),
            Err(SignatureError::InvalidPad { field: "width" })
        );
        assert_eq!(
            PadGeometry::new(1, 10_001, 160),
            Err(SignatureError::InvalidPad { field: "height" })
        );
        assert_eq!(
            PadGeometry::new(1, 1, 49),
            Err(SignatureError::InvalidPad { field: "dpi" })
        );
        assert_eq!(
            PadGeometry::new(1, 1, 1001),
            Err(SignatureError::InvalidPad { field: "dpi" })
        );
    }

    #[test]
    fn quantizes_to_eighths_and_rebases_time() {
        let mut q = Quantizer::new(pad());
        let a = push(&mut q, Point::new(10.06, 20.5, 1_000_000)).unwrap();
        assert_eq!((a.x, a.y, a.t_ms), (80, 164, 0));
        let b = push(&mut q, Point::new(10.07, 20.5, 1_000_016)).unwrap();
        assert_eq!((b.x, b.t_ms), (81, 16));
    }

    #[test]
    fn clamps_near_the_edge_and_refuses_far_outside() {
        let mut q = Quantizer::new(pad());
        let p = push(&mut q, Point::new(-9.9, 54.9, 0)).unwrap();
        assert_eq!((p.x, p.y), (0, 400));
        assert_eq!(
            push(&mut q, Point::new(-10.5, 1.0, 0)),
            Err(SignatureError::OutOfPad)
        );
        assert_eq!(
            push(&mut q, Point::new(1.0, 55.5, 0)),
            Err(SignatureError::OutOfPad)
        );
        assert_eq!(
            push(&mut q, Point::new(f32::NAN, 1.0, 0)),
            Err(SignatureError::NonFiniteCoordinate)
        );
        assert_eq!(
            push(&mut q, Point::new(1.0, f32::INFINITY, 0)),
            Err(SignatureError::NonFiniteCoordinate)
        );
    }

    #[test]
    fn pressure_rules() {
        let mut q = Quantizer::new(pad());
        let p = push(&mut q, Point::new(1.0, 1.0, 0).with_pressure(1.0)).unwrap();
        assert_eq!(p.pressure, Some(65535));
        assert_eq!(
            push(&mut q, Point::new(1.0, 1.0, 0).with_pressure(1.01)),
            Err(SignatureError::PressureOutOfRange)
        );
        assert_eq!(
            push(&mut q, Point::new(1.0, 1.0, 0).with_pressure(f32::NAN)),
            Err(SignatureError::PressureOutOfRange)
        );
        assert_eq!(
            push(&mut q, Point::new(1.0, 1.0, 0).with_pressure(-0.1)),
            Err(SignatureError::PressureOutOfRange)
        );
        assert_eq!(
            push(&mut q, Point::new(1.0, 1.0, 0)),
            Err(SignatureError::InconsistentPressure)
        );
    }

    #[test]
    fn time_rules() {
        let mut q = Quantizer::new(pad());
        push(&mut q, Point::new(1.0, 1.0, 500)).unwrap();
        push(&mut q, Point::new(1.0, 1.0, 500)).unwrap();
        assert_eq!(
            push(&mut q, Point::new(1.0, 1.0, 499)),
            Err(SignatureError::TimeWentBackwards)
        );
        assert_eq!(
            push(&mut q, Point::new(1.0, 1.0, 500 + u64::from(u32::MAX) + 1)),
            Err(SignatureError::TimeOutOfRange)
        );
        assert!(push(&mut q, Point::new(1.0, 1.0, 500 + u64::from(u32::MAX))).is_ok());
    }

    #[test]
    fn debug_hides_values() {
        let p = Point::new(12.5, 34.25, 777).with_pressure(0.5);
        assert_eq!(format!("{p:?}"), "Point { .. }");
        let q = push(&mut Quantizer::new(pad()), p).unwrap();
        assert_eq!(format!("{q:?}"), "QuantizedPoint { .. }");
    }
}
