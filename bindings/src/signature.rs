//! Signature capture: the live session, the captured signature and the clock it measures
//! pauses on.

use crate::error::EReceiptError;
use crate::types::{CaptureOptions, CaptureState, Paper, PenPoint, SignaturePad};
use ereceipt_core::render;
use ereceipt_core::signature::{self, CaptureSession, InkOptions, Signature};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A monotonic clock in milliseconds, for the idle rule of [`SignatureCapture`]. Implement it
/// in the app only to control time (tests, a simulation); without one the SDK uses the
/// system's monotonic clock.
#[uniffi::export(with_foreign)]
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary, fixed origin; never decreases.
    ///
    /// # Errors
    /// Any: a clock that fails reads as no time having passed since its last reading, so a
    /// capture never completes on a broken clock (the cardholder can still tap "done").
    fn now_ms(&self) -> Result<u64, EReceiptError>;
}

/// The app's [`Clock`] as the core's clock.
struct ForeignClock {
    clock: Arc<dyn Clock>,
    /// The last reading the app's clock gave.
    last_ms: AtomicU64,
}

impl signature::Clock for ForeignClock {
    fn now_ms(&self) -> u64 {
        match self.clock.now_ms() {
            Ok(ms) => {
                self.last_ms.store(ms, Ordering::SeqCst);
                ms
            }
            Err(_) => self.last_ms.load(Ordering::SeqCst),
        }
    }
}

/// Captures one handwritten signature from live touch input (Source A: the signature is
/// complete when no input arrives for a preset interval).
///
/// Feed it the platform's touch events: `begin_stroke` on pen down, `add_point` or
/// `add_points` (Android's batched historical points) on move, `end_stroke` on pen up. Poll
/// `is_complete` (e.g. every 100 ms) and call `finish` when it is true or when the user taps
/// "done". An invalid point is refused with `InvalidInput` and leaves the session as it was.
///
/// Safe to call from any thread; calls are serialised.
#[derive(uniffi::Object)]
pub struct SignatureCapture {
    session: Mutex<CaptureSession>,
}

impl std::fmt::Debug for SignatureCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureCapture").finish_non_exhaustive()
    }
}

impl SignatureCapture {
    fn session(&self) -> Result<MutexGuard<'_, CaptureSession>, EReceiptError> {
        self.session
            .lock()
            .map_err(|_| EReceiptError::internal("a previous call on this capture panicked"))
    }
}

#[uniffi::export]
impl SignatureCapture {
    /// An empty capture on `pad`. `options` default to the core's capture rules; `clock`
    /// defaults to the system's monotonic clock.
    ///
    /// # Errors
    /// `InvalidInput` for a pad outside 1..=10000 pixels or 50..=1000 dpi.
    #[uniffi::constructor(default(options = None, clock = None))]
    pub fn new(
        pad: SignaturePad,
        options: Option<CaptureOptions>,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<Arc<Self>, EReceiptError> {
        let clock: Arc<dyn signature::Clock> = match clock {
            Some(clock) => Arc::new(ForeignClock {
                clock,
                last_ms: AtomicU64::new(0),
            }),
            None => Arc::new(signature::SystemClock::new()),
        };
        let session =
            CaptureSession::new(pad.try_into()?, options.unwrap_or_default().into(), clock);
        Ok(Arc::new(SignatureCapture {
            session: Mutex::new(session),
        }))
    }

    /// The pad this capture is on.
    pub fn pad(&self) -> Result<SignaturePad, EReceiptError> {
        Ok(self.session()?.pad().into())
    }

    /// Pen down: opens a new stroke at `point` (ending one still open).
    ///
    /// # Errors
    /// `InvalidInput` for a point off the pad, with a bad pressure or going back in time, or
    /// past the stroke or point limits.
    pub fn begin_stroke(&self, point: PenPoint) -> Result<(), EReceiptError> {
        Ok(self.session()?.begin_stroke(point.into())?)
    }

    /// Pen move: appends `point` to the open stroke.
    ///
    /// # Errors
    /// As `begin_stroke`, and `InvalidInput` (`stroke`) when no stroke is open.
    pub fn add_point(&self, point: PenPoint) -> Result<(), EReceiptError> {
        Ok(self.session()?.add_point(point.into())?)
    }

    /// Pen move with a batch of points: all are appended, or none if one is invalid.
    ///
    /// # Errors
    /// As `add_point`.
    pub fn add_points(&self, points: Vec<PenPoint>) -> Result<(), EReceiptError> {
        let points: Vec<signature::Point> = points.into_iter().map(Into::into).collect();
        Ok(self.session()?.add_points(&points)?)
    }

    /// Pen up: ends the open stroke; nothing happens when none is open.
    pub fn end_stroke(&self) -> Result<(), EReceiptError> {
        self.session()?.end_stroke();
        Ok(())
    }

    /// Removes the last stroke (the open one if the pen is down); returns whether there was
    /// one.
    pub fn undo(&self) -> Result<bool, EReceiptError> {
        Ok(self.session()?.undo())
    }

    /// Removes everything.
    pub fn clear(&self) -> Result<(), EReceiptError> {
        self.session()?.clear();
        Ok(())
    }

    /// Where the capture stands now, by the clock.
    pub fn state(&self) -> Result<CaptureState, EReceiptError> {
        Ok(self.session()?.state().into())
    }

    /// Whether a stroke has ended and no input arrived for the idle interval.
    pub fn is_complete(&self) -> Result<bool, EReceiptError> {
        Ok(self.session()?.is_complete())
    }

    /// How many strokes, an open one included.
    pub fn stroke_count(&self) -> Result<u32, EReceiptError> {
        Ok(count(self.session()?.stroke_count()))
    }

    /// How many points, an open stroke's included.
    pub fn point_count(&self) -> Result<u32, EReceiptError> {
        Ok(count(self.session()?.point_count()))
    }

    /// The signature drawn so far, if it counts as one by the capture rules. The capture is
    /// left as it is, so after a refusal the cardholder can go on or clear and start again.
    ///
    /// # Errors
    /// `SignatureIncomplete` when it is empty, only a dot, has too few points or is too small.
    pub fn finish(&self) -> Result<Arc<HandwrittenSignature>, EReceiptError> {
        let inner = self.session()?.finish()?;
        Ok(Arc::new(HandwrittenSignature { inner }))
    }

    /// The signature band exactly as the receipt will print it, as a 1-bit PNG: for a "this
    /// is how it will look" screen before issuing. `paper` defaults to 80 mm.
    ///
    /// # Errors
    /// As `finish`: the preview is of a finished signature (see `docs/BINDINGS.md`).
    #[uniffi::method(default(paper = None))]
    pub fn preview_png(&self, paper: Option<Paper>) -> Result<Vec<u8>, EReceiptError> {
        self.finish()?.preview_png(paper)
    }
}

/// Counts bounded by the core's limits (at most 20,000 points) as `u32`.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A captured handwritten signature: the pad and the timed strokes (biometric data, kept raw
/// inside the sealed receipt for disputes, never in clear on the device).
#[derive(uniffi::Object)]
pub struct HandwrittenSignature {
    pub(crate) inner: Signature,
}

impl std::fmt::Debug for HandwrittenSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl HandwrittenSignature {
    /// A signature from its `ereceipt-strokes/1` JSON form (`to_json`, the CLI's
    /// `--signature` files).
    ///
    /// # Errors
    /// `InvalidInput` naming the JSON field, or for a structurally invalid signature.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, EReceiptError> {
        let inner = Signature::from_json(&json)?;
        Ok(Arc::new(HandwrittenSignature { inner }))
    }

    /// A signature from its binary `ESIG` form (`encode`).
    ///
    /// # Errors
    /// `InvalidInput` (`signature`) for bytes that are not a canonical encoding.
    #[uniffi::constructor]
    pub fn decode(bytes: Vec<u8>) -> Result<Arc<Self>, EReceiptError> {
        let inner = Signature::decode(&bytes)?;
        Ok(Arc::new(HandwrittenSignature { inner }))
    }

    /// A signature from recorded strokes, each a list of points in time order. The capture
    /// rules (dots, too few points) are not applied: `SignatureCapture` applies them.
    ///
    /// # Errors
    /// `InvalidInput` for an invalid pad, an empty stroke or an invalid point;
    /// `SignatureIncomplete` without strokes.
    #[uniffi::constructor]
    pub fn from_strokes(
        pad: SignaturePad,
        strokes: Vec<Vec<PenPoint>>,
    ) -> Result<Arc<Self>, EReceiptError> {
        let strokes: Vec<Vec<signature::Point>> = strokes
            .into_iter()
            .map(|s| s.into_iter().map(Into::into).collect())
            .collect();
        let inner = Signature::from_strokes(pad.try_into()?, &strokes)?;
        Ok(Arc::new(HandwrittenSignature { inner }))
    }

    /// The `ereceipt-strokes/1` JSON form.
    pub fn to_json(&self) -> Result<String, EReceiptError> {
        Ok(self.inner.to_json())
    }

    /// The binary `ESIG` form, whose SHA-256 the receipt record commits to.
    pub fn encode(&self) -> Result<Vec<u8>, EReceiptError> {
        Ok(self.inner.encode())
    }

    /// The pad it was written on.
    pub fn pad(&self) -> Result<SignaturePad, EReceiptError> {
        Ok(self.inner.pad().into())
    }

    /// The strokes as stored: coordinates to 1/8 pixel, times in milliseconds since the first
    /// point, pressure to 16 bits.
    pub fn strokes(&self) -> Result<Vec<Vec<PenPoint>>, EReceiptError> {
        Ok(self
            .inner
            .strokes()
            .iter()
            .map(|s| s.points().iter().map(PenPoint::from).collect())
            .collect())
    }

    /// How many strokes.
    pub fn stroke_count(&self) -> Result<u32, EReceiptError> {
        Ok(count(self.inner.strokes().len()))
    }

    /// How many points over all strokes.
    pub fn point_count(&self) -> Result<u32, EReceiptError> {
        Ok(count(self.inner.point_count()))
    }

    /// Milliseconds from the first point to the last.
    pub fn duration_ms(&self) -> Result<u32, EReceiptError> {
        Ok(self.inner.duration_ms())
    }

    /// Whether the points carry pressure.
    pub fn has_pressure(&self) -> Result<bool, EReceiptError> {
        Ok(self.inner.has_pressure())
    }

    /// The signature band exactly as the receipt prints it on `paper` (default 80 mm), as a
    /// 1-bit PNG.
    #[uniffi::method(default(paper = None))]
    pub fn preview_png(&self, paper: Option<Paper>) -> Result<Vec<u8>, EReceiptError> {
        let paper = paper.map_or_else(render::Paper::default, Into::into);
        Ok(render::encode_png(&render::signature_band(
            &self.inner,
            paper,
        )))
    }

    /// A standalone SVG of the ink at its physical size on the pad, for display at any scale.
    pub fn to_svg(&self) -> Result<String, EReceiptError> {
        Ok(self.inner.to_svg(&InkOptions::default()))
    }
}
