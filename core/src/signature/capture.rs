//! The capture session: strokes arrive in real time; the signature is complete after a pause.

use super::model::Quantizer;
use super::{PadGeometry, Point, QuantizedPoint, Signature, SignatureError, Stroke};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A monotonic clock in milliseconds, injected so that tests never sleep.
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary, fixed origin; never decreases.
    fn now_ms(&self) -> u64;
}

/// The real clock: milliseconds since the clock was created, from [`std::time::Instant`]
/// (monotonic, unaffected by changes of the wall clock).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// A clock starting at 0 now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that moves only when told to, for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicU64,
}

impl ManualClock {
    /// A clock showing `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        Self {
            now: AtomicU64::new(start_ms),
        }
    }

    /// Sets the time to `ms`. Going backwards is allowed here, for tests of odd clocks; a
    /// [`CaptureSession`] treats a clock behind its last input as no time elapsed.
    pub fn set(&self, ms: u64) {
        self.now.store(ms, Ordering::SeqCst);
    }

    /// Moves the time forward by `ms` (saturating).
    pub fn advance(&self, ms: u64) {
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(ms))
            });
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// When a capture is complete and what counts as a signature rather than a scribble.
///
/// The defaults suit a phone or POS screen signed with a finger or a stylus:
///
/// | field | default | refused with |
/// |---|---|---|
/// | `idle_ms` | 2000 ms | — (not complete yet) |
/// | `dot_tolerance_mm` | 1.0 mm | [`SignatureError::SingleDot`] |
/// | `min_points` | 10 | [`SignatureError::TooFewPoints`] |
/// | `min_extent_mm` | 5.0 mm | [`SignatureError::TooSmall`] |
///
/// Ten points is a tenth of a second of writing at 100 Hz: any real signature has many more,
/// while a tap or an accidental brush has fewer. 5 mm is the height of a small handwritten
/// letter; a signature smaller than that in both directions is a smudge. Millimetres are
/// computed from the pad's dpi, so the thresholds mean the same on every screen.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct CaptureConfig {
    /// The pause after the last input (with at least one stroke ended) after which the signature
    /// is complete.
    pub idle_ms: u64,
    /// A stroke whose points all stay within this distance of its first point is a dot.
    pub dot_tolerance_mm: f64,
    /// The fewest points over all strokes.
    pub min_points: usize,
    /// The smallest extent of the ink; the signature must reach it horizontally or vertically.
    pub min_extent_mm: f64,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            idle_ms: 2_000,
            dot_tolerance_mm: 1.0,
            min_points: 10,
            min_extent_mm: 5.0,
        }
    }
}

impl CaptureConfig {
    /// Checks that `signature` is substantial enough to count as a signature, in this order:
    /// not only dots, enough points, large enough.
    ///
    /// # Errors
    /// [`SignatureError::SingleDot`], [`SignatureError::TooFewPoints`] or
    /// [`SignatureError::TooSmall`].
    pub fn check(&self, signature: &Signature) -> Result<(), SignatureError> {
        let pad = signature.pad();
        let mm = pad.mm_per_px() / 8.0;
        let tolerance = self.dot_tolerance_mm / mm;
        let moves = |s: &Stroke| {
            let first = s.points[0];
            s.points.iter().any(|p| {
                let dx = f64::from(p.x - first.x);
                let dy = f64::from(p.y - first.y);
                (dx * dx + dy * dy).sqrt() > tolerance
            })
        };
        if !signature.strokes().iter().any(moves) {
            return Err(SignatureError::SingleDot);
        }
        if signature.point_count() < self.min_points {
            return Err(SignatureError::TooFewPoints {
                min: self.min_points,
            });
        }
        let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for p in signature.points() {
            (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
        }
        let extent = f64::from(x1 - x0).max(f64::from(y1 - y0)) * mm;
        if extent < self.min_extent_mm {
            return Err(SignatureError::TooSmall);
        }
        Ok(())
    }
}

/// Where a [`CaptureSession`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureState {
    /// Nothing drawn yet (or everything undone or cleared).
    Empty,
    /// A stroke is open: the pen is down.
    Drawing,
    /// The pen is up after at least one stroke, for less than the idle interval.
    Paused {
        /// How long since the last input, in milliseconds.
        idle_ms: u64,
    },
    /// The pen has been up for the idle interval: the signature is complete.
    Complete,
}

/// Captures one signature from live input.
///
/// Feed it the platform's touch events: [`begin_stroke`](Self::begin_stroke) on pen down,
/// [`add_point`](Self::add_point) or [`add_points`](Self::add_points) (Android's batched
/// historical points) on move, [`end_stroke`](Self::end_stroke) on pen up. Poll
/// [`is_complete`](Self::is_complete) from the UI (e.g. every 100 ms) and call
/// [`finish`](Self::finish) when it is true or when the user taps "done".
///
/// Points are validated and quantized as they arrive, so an invalid point is refused at once
/// and the session stays as it was. Every call that changes the ink (including
/// [`undo`](Self::undo)) counts as input and restarts the idle interval.
///
/// `Debug` shows counts only: strokes are biometric data.
pub struct CaptureSession {
    pad: PadGeometry,
    config: CaptureConfig,
    clock: Arc<dyn Clock>,
    /// Completed strokes.
    strokes: Vec<Stroke>,
    /// The stroke being drawn; `Some` means the pen is down. Never `Some(empty)`.
    open: Option<Vec<QuantizedPoint>>,
    /// Points in `strokes` and `open`; at most [`Signature::MAX_POINTS`].
    point_count: usize,
    /// The quantizer state at the end of the last completed stroke, restored by `undo` of an
    /// open stroke.
    quantizer: Quantizer,
    /// The quantizer state before each completed stroke began, for `undo`.
    history: Vec<Quantizer>,
    /// Clock time of the last input.
    last_input_ms: u64,
}

impl CaptureSession {
    /// An empty session on `pad`, measuring pauses on `clock`.
    pub fn new(pad: PadGeometry, config: CaptureConfig, clock: Arc<dyn Clock>) -> Self {
        let last_input_ms = clock.now_ms();
        Self {
            pad,
            config,
            clock,
            strokes: Vec::new(),
            open: None,
            point_count: 0,
            quantizer: Quantizer::new(pad),
            history: Vec::new(),
            last_input_ms,
        }
    }

    /// The pad this session captures on.
    pub fn pad(&self) -> PadGeometry {
        self.pad
    }

    /// The session's configuration.
    pub fn config(&self) -> &CaptureConfig {
        &self.config
    }

    /// Pen down: opens a new stroke at `point`. A stroke still open is ended first (a lost
    /// pen-up event must not glue two strokes together).
    ///
    /// # Errors
    /// [`SignatureError::TooManyStrokes`], [`SignatureError::TooManyPoints`], or a point error
    /// (see [`add_point`](Self::add_point)). On error the session is unchanged.
    pub fn begin_stroke(&mut self, point: Point) -> Result<(), SignatureError> {
        let started = self.strokes.len() + usize::from(self.open.is_some());
        if started >= Signature::MAX_STROKES {
            return Err(SignatureError::TooManyStrokes {
                max: Signature::MAX_STROKES,
            });
        }
        if self.point_count >= Signature::MAX_POINTS {
            return Err(SignatureError::TooManyPoints {
                max: Signature::MAX_POINTS,
            });
        }
        let mut quantizer = self.quantizer;
        let q = quantizer.push((&point).into())?;
        self.end_open_stroke();
        self.history.push(self.quantizer);
        self.quantizer = quantizer;
        self.open = Some(vec![q]);
        self.point_count += 1;
        self.touch();
        Ok(())
    }

    /// Pen move: appends `point` to the open stroke.
    ///
    /// # Errors
    /// [`SignatureError::NoOpenStroke`] without an open stroke; [`SignatureError::TooManyPoints`];
    /// [`SignatureError::NonFiniteCoordinate`], [`SignatureError::OutOfPad`],
    /// [`SignatureError::PressureOutOfRange`], [`SignatureError::InconsistentPressure`],
    /// [`SignatureError::TimeWentBackwards`] or [`SignatureError::TimeOutOfRange`] for a bad
    /// point. On error the session is unchanged.
    pub fn add_point(&mut self, point: Point) -> Result<(), SignatureError> {
        self.add_points(std::slice::from_ref(&point))
    }

    /// Pen move with a batch of points (Android's historical points, then the current one):
    /// all are appended, or none if any is invalid.
    ///
    /// # Errors
    /// As [`add_point`](Self::add_point).
    pub fn add_points(&mut self, points: &[Point]) -> Result<(), SignatureError> {
        if self.open.is_none() {
            return Err(SignatureError::NoOpenStroke);
        }
        if points.len() > Signature::MAX_POINTS - self.point_count {
            return Err(SignatureError::TooManyPoints {
                max: Signature::MAX_POINTS,
            });
        }
        let mut quantizer = self.quantizer;
        let batch = points
            .iter()
            .map(|p| quantizer.push(p.into()))
            .collect::<Result<Vec<_>, _>>()?;
        let open = self
            .open
            .as_mut()
            .expect("checked above that a stroke is open");
        open.extend(batch);
        self.quantizer = quantizer;
        self.point_count += points.len();
        self.touch();
        Ok(())
    }

    /// Pen up: ends the open stroke. Does nothing when no stroke is open (a duplicate or
    /// cancelled event).
    pub fn end_stroke(&mut self) {
        if self.end_open_stroke() {
            self.touch();
        }
    }

    /// Removes the last stroke: the open one if the pen is down, else the last completed one.
    /// Returns whether there was a stroke to remove.
    pub fn undo(&mut self) -> bool {
        let removed = if let Some(open) = self.open.take() {
            self.point_count -= open.len();
            true
        } else if let Some(stroke) = self.strokes.pop() {
            self.point_count -= stroke.points.len();
            true
        } else {
            false
        };
        if removed {
            self.quantizer = self.history.pop().expect("one history entry per stroke");
            self.touch();
        }
        removed
    }

    /// Removes everything, as a new session would start.
    pub fn clear(&mut self) {
        self.strokes.clear();
        self.open = None;
        self.point_count = 0;
        self.quantizer = Quantizer::new(self.pad);
        self.history.clear();
        self.touch();
    }

    /// Where the session stands, at the clock's current time.
    pub fn state(&self) -> CaptureState {
        if self.open.is_some() {
            return CaptureState::Drawing;
        }
        if self.strokes.is_empty() {
            return CaptureState::Empty;
        }
        let idle_ms = self.clock.now_ms().saturating_sub(self.last_input_ms);
        if idle_ms >= self.config.idle_ms {
            CaptureState::Complete
        } else {
            CaptureState::Paused { idle_ms }
        }
    }

    /// Whether at least one stroke has ended and no input arrived for the idle interval.
    pub fn is_complete(&self) -> bool {
        self.state() == CaptureState::Complete
    }

    /// How many strokes, including an open one.
    pub fn stroke_count(&self) -> usize {
        self.strokes.len() + usize::from(self.open.is_some())
    }

    /// How many points, including the open stroke's.
    pub fn point_count(&self) -> usize {
        self.point_count
    }

    /// The signature drawn so far (an open stroke included as it is), if it passes the
    /// configuration's [`check`](CaptureConfig::check). The session is left unchanged, so after
    /// a refusal the cardholder can go on writing, or [`clear`](Self::clear) and start again.
    ///
    /// # Errors
    /// [`SignatureError::Empty`], [`SignatureError::SingleDot`],
    /// [`SignatureError::TooFewPoints`] or [`SignatureError::TooSmall`].
    pub fn finish(&self) -> Result<Signature, SignatureError> {
        let mut strokes = self.strokes.clone();
        if let Some(open) = &self.open {
            strokes.push(Stroke {
                points: open.clone(),
            });
        }
        if strokes.is_empty() {
            return Err(SignatureError::Empty);
        }
        let signature = Signature::from_valid_parts(self.pad, strokes);
        self.config.check(&signature)?;
        Ok(signature)
    }

    /// Moves the open stroke, if any, to the completed ones; returns whether there was one.
    fn end_open_stroke(&mut self) -> bool {
        match self.open.take() {
            Some(points) => {
                self.strokes.push(Stroke { points });
                true
            }
            None => false,
        }
    }

    fn touch(&mut self) {
        self.last_input_ms = self.clock.now_ms();
    }
}

impl fmt::Debug for CaptureSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureSession")
            .field("pad", &self.pad)
            .field("strokes", &self.stroke_count())
            .field("points", &self.point_count)
            .field("state", &self.state())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pad() -> PadGeometry {
        // 254 dpi: 10 px per millimetre.
        PadGeometry::new(1000, 400, 254).unwrap()
    }

    fn session() -> (Arc<ManualClock>, CaptureSession) {
        let clock = Arc::new(ManualClock::new(1_000));
        let s = CaptureSession::new(pad(), CaptureConfig::default(), clock.clone());
        (clock, s)
    }

    /// A zig-zag of `n` points, 100 px (10 mm) wide, starting at time `t0`.
    fn scribble(s: &mut CaptureSession, t0: u64, n: u16) {
        s.begin_stroke(Point::new(100.0, 100.0, t0)).unwrap();
        for i in 1..n {
            let x = 100.0 + f32::from(i) * 100.0 / f32::from(n);
            let y = if i % 2 == 0 { 100.0 } else { 160.0 };
            s.add_point(Point::new(x, y, t0 + u64::from(i) * 10))
                .unwrap();
        }
        s.end_stroke();
    }

    #[test]
    fn complete_only_after_the_idle_interval() {
        let (clock, mut s) = session();
        assert_eq!(s.state(), CaptureState::Empty);
        clock.advance(10_000);
        assert!(!s.is_complete(), "an empty session is never complete");
        s.begin_stroke(Point::new(100.0, 100.0, 0)).unwrap();
        clock.advance(5_000);
        assert_eq!(
            s.state(),
            CaptureState::Drawing,
            "pen down is never complete"
        );
        s.add_point(Point::new(200.0, 150.0, 10)).unwrap();
        s.end_stroke();
        clock.advance(1_999);
        assert_eq!(s.state(), CaptureState::Paused { idle_ms: 1_999 });
        assert!(!s.is_complete());
        clock.advance(1);
        assert!(s.is_complete());
        assert_eq!(s.state(), CaptureState::Complete);
    }

    #[test]
    fn new_input_restarts_the_interval() {
        let (clock, mut s) = session();
        scribble(&mut s, 0, 20);
        clock.advance(1_500);
        scribble(&mut s, 3_000, 20);
        clock.advance(1_500);
        assert!(!s.is_complete(), "the second stroke restarted the interval");
        clock.advance(500);
        assert!(s.is_complete());
        s.undo();
        assert_eq!(
            s.state(),
            CaptureState::Paused { idle_ms: 0 },
            "undo is input"
        );
        clock.advance(2_000);
        assert!(s.is_complete());
    }

    #[test]
    fn configurable_interval() {
        let clock = Arc::new(ManualClock::new(0));
        let config = CaptureConfig {
            idle_ms: 500,
            ..CaptureConfig::default()
        };
        let mut s = CaptureSession::new(pad(), config, clock.clone());
        scribble(&mut s, 0, 20);
        clock.advance(499);
        assert!(!s.is_complete());
        clock.advance(1);
        assert!(s.is_complete());
    }

    #[test]
    fn clock_going_backwards_is_no_time() {
        let (clock, mut s) = session();
        scribble(&mut s, 0, 20);
        clock.set(0);
        assert_eq!(s.state(), CaptureState::Paused { idle_ms: 0 });
    }

    #[test]
    fn undo_and_clear() {
        let (clock, mut s) = session();
        assert!(!s.undo());
        scribble(&mut s, 0, 20);
        scribble(&mut s, 1_000, 20);
        assert_eq!((s.stroke_count(), s.point_count()), (2, 40));
        assert!(s.undo());
        assert_eq!((s.stroke_count(), s.point_count()), (1, 20));
        // Undo of the open stroke.
        s.begin_stroke(Point::new(10.0, 10.0, 2_000)).unwrap();
        assert!(s.undo());
        assert_eq!(s.state(), CaptureState::Paused { idle_ms: 0 });
        assert_eq!(s.finish().unwrap().strokes().len(), 1);
        // Undo everything: the next stroke's first point is the new time origin.
        assert!(s.undo());
        assert_eq!(s.state(), CaptureState::Empty);
        scribble(&mut s, 50_000, 20);
        let sig = s.finish().unwrap();
        assert_eq!(sig.strokes()[0].points()[0].t_ms(), 0);
        assert_eq!(sig.duration_ms(), 190);
        s.clear();
        assert_eq!(s.state(), CaptureState::Empty);
        assert_eq!(s.point_count(), 0);
        clock.advance(5_000);
        assert!(!s.is_complete());
        assert_eq!(s.finish(), Err(SignatureError::Empty));
        // After clear, time may start anywhere again.
        scribble(&mut s, 10, 20);
        assert!(s.finish().is_ok());
    }

    #[test]
    fn undo_restores_the_time_check() {
        let (_clock, mut s) = session();
        scribble(&mut s, 1_000, 20);
        scribble(&mut s, 5_000, 20);
        s.undo();
        // Times after the first stroke's end are fine again, although earlier than the undone
        // stroke's.
        s.begin_stroke(Point::new(10.0, 10.0, 2_000)).unwrap();
        assert_eq!(
            s.add_point(Point::new(10.0, 10.0, 1_999)),
            Err(SignatureError::TimeWentBackwards)
        );
    }

    #[test]
    fn begin_stroke_ends_an_open_stroke() {
        let (_clock, mut s) = session();
        s.begin_stroke(Point::new(10.0, 10.0, 0)).unwrap();
        s.begin_stroke(Point::new(20.0, 10.0, 10)).unwrap();
        assert_eq!(s.stroke_count(), 2);
        assert_eq!(s.state(), CaptureState::Drawing);
    }

    #[test]
    fn point_errors_leave_the_session_unchanged() {
        let (_clock, mut s) = session();
        assert_eq!(
            s.add_point(Point::new(1.0, 1.0, 0)),
            Err(SignatureError::NoOpenStroke)
        );
        assert_eq!(
            s.begin_stroke(Point::new(f32::NAN, 1.0, 0)),
            Err(SignatureError::NonFiniteCoordinate)
        );
        assert_eq!(s.state(), CaptureState::Empty);
        s.begin_stroke(Point::new(1.0, 1.0, 100)).unwrap();
        let batch = [Point::new(2.0, 1.0, 110), Point::new(3.0, 1.0, 105)];
        assert_eq!(s.add_points(&batch), Err(SignatureError::TimeWentBackwards));
        assert_eq!(s.point_count(), 1, "a bad batch adds nothing");
        assert_eq!(
            s.add_point(Point::new(5_000.0, 1.0, 120)),
            Err(SignatureError::OutOfPad)
        );
        s.add_points(&[Point::new(2.0, 1.0, 110), Point::new(3.0, 1.0, 115)])
            .unwrap();
        assert_eq!(s.point_count(), 3);
        s.end_stroke();
        s.end_stroke();
        assert_eq!(s.stroke_count(), 1);
    }

    #[test]
    fn memory_bounds() {
        let (_clock, mut s) = session();
        for i in 0..Signature::MAX_STROKES {
            s.begin_stroke(Point::new(1.0, 1.0, i as u64)).unwrap();
            s.end_stroke();
        }
        assert_eq!(
            s.begin_stroke(Point::new(1.0, 1.0, 1_000)),
            Err(SignatureError::TooManyStrokes { max: 256 })
        );
        s.clear();
        s.begin_stroke(Point::new(1.0, 1.0, 0)).unwrap();
        let batch = vec![Point::new(1.0, 1.0, 0); Signature::MAX_POINTS - 1];
        s.add_points(&batch).unwrap();
        assert_eq!(
            s.add_point(Point::new(1.0, 1.0, 0)),
            Err(SignatureError::TooManyPoints { max: 20_000 })
        );
        assert_eq!(
            s.begin_stroke(Point::new(1.0, 1.0, 0)),
            Err(SignatureError::TooManyPoints { max: 20_000 })
        );
    }

    #[test]
    fn trivial_signatures_are_refused() {
        let (_clock, mut s) = session();
        assert_eq!(s.finish(), Err(SignatureError::Empty));

        // A tap, and a few taps: dots.
        s.begin_stroke(Point::new(500.0, 200.0, 0)).unwrap();
        s.end_stroke();
        assert_eq!(s.finish(), Err(SignatureError::SingleDot));
        for i in 1..30u16 {
            s.begin_stroke(Point::new(
                500.0 + f32::from(i) * 20.0,
                200.0,
                100 * u64::from(i),
            ))
            .unwrap();
            // Jitter under the 1 mm tolerance.
            s.add_point(Point::new(
                500.0 + f32::from(i) * 20.0 + 9.0,
                200.0,
                100 * u64::from(i),
            ))
            .unwrap();
            s.end_stroke();
        }
        assert_eq!(s.finish(), Err(SignatureError::SingleDot));

        // A short flick: 5 points over 20 mm.
        s.clear();
        s.begin_stroke(Point::new(100.0, 100.0, 0)).unwrap();
        for i in 1..5u16 {
            s.add_point(Point::new(
                100.0 + f32::from(i) * 50.0,
                100.0,
                10 * u64::from(i),
            ))
            .unwrap();
        }
        assert_eq!(s.finish(), Err(SignatureError::TooFewPoints { min: 10 }));

        // Many points within 4.9 mm × 4.9 mm.
        s.clear();
        s.begin_stroke(Point::new(100.0, 100.0, 0)).unwrap();
        for i in 1..40u16 {
            let d = f32::from(i % 8) * 7.0;
            s.add_point(Point::new(100.0 + d, 100.0 + 49.0 - d, 10 * u64::from(i)))
                .unwrap();
        }
        s.end_stroke();
        assert_eq!(s.finish(), Err(SignatureError::TooSmall));
        // Over 5 mm in one direction is enough.
        s.begin_stroke(Point::new(100.0, 151.0, 1_000)).unwrap();
        s.end_stroke();
        assert!(s.finish().is_ok());
    }

    #[test]
    fn thresholds_are_configurable() {
        let clock = Arc::new(ManualClock::new(0));
        let config = CaptureConfig {
            min_points: 2,
            min_extent_mm: 1.0,
            ..CaptureConfig::default()
        };
        let mut s = CaptureSession::new(pad(), config, clock);
        s.begin_stroke(Point::new(100.0, 100.0, 0)).unwrap();
        s.add_point(Point::new(115.0, 100.0, 10)).unwrap();
        assert!(s.finish().is_ok());
        assert_eq!(
            CaptureConfig::default().check(&s.finish().unwrap()),
            Err(SignatureError::TooFewPoints { min: 10 })
        );
    }

    #[test]
    fn sessions_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CaptureSession>();
        assert_send_sync::<Signature>();
    }

    #[test]
    fn debug_shows_counts_only() {
        let (_clock, mut s) = session();
        s.begin_stroke(Point::new(321.5, 123.25, 0).with_pressure(0.5))
            .unwrap();
        let text = format!("{s:?}");
        assert_eq!(
            text,
            "CaptureSession { pad: PadGeometry { width: 1000, height: 400, dpi: 254 }, \
             strokes: 1, points: 1, state: Drawing }"
        );
    }
}
