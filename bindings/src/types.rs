//! The records and enums that cross the edge, and their conversions from and to the core's
//! types. Conversions only: no rule of the core is repeated here.
//!
//! Settings that have a default in the core are `Option`s here, `None` meaning "the core's
//! default", so that each default lives in one place.

use crate::error::EReceiptError;
use ereceipt_core::outbox;
use ereceipt_core::record;
use ereceipt_core::render;
use ereceipt_core::seal;
use ereceipt_core::signature;
use std::fmt;
use std::time::Duration;

/// Paper width of the receipt image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Paper {
    /// 58 mm paper: 384 pixels wide.
    Mm58,
    /// 80 mm paper: 576 pixels wide (the core's default).
    Mm80,
}

impl From<Paper> for render::Paper {
    fn from(p: Paper) -> Self {
        match p {
            Paper::Mm58 => render::Paper::Mm58,
            Paper::Mm80 => render::Paper::Mm80,
        }
    }
}

impl From<render::Paper> for Paper {
    fn from(p: render::Paper) -> Self {
        match p {
            render::Paper::Mm58 => Paper::Mm58,
            // `render::Paper` is non-exhaustive; every width it has today is matched above or
            // here, and a new one would first be added to this enum.
            _ => Paper::Mm80,
        }
    }
}

/// Which copy of the receipt is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CopyKind {
    /// The cardholder's copy (the core's default).
    Customer,
    /// The merchant's copy.
    Merchant,
    /// A reprint, printed as such so it cannot pass for an original.
    Duplicate,
}

impl From<CopyKind> for render::CopyKind {
    fn from(c: CopyKind) -> Self {
        match c {
            CopyKind::Customer => render::CopyKind::Customer,
            CopyKind::Merchant => render::CopyKind::Merchant,
            CopyKind::Duplicate => render::CopyKind::Duplicate,
        }
    }
}

impl From<render::CopyKind> for CopyKind {
    fn from(c: render::CopyKind) -> Self {
        match c {
            render::CopyKind::Merchant => CopyKind::Merchant,
            render::CopyKind::Duplicate => CopyKind::Duplicate,
            _ => CopyKind::Customer,
        }
    }
}

/// How the customer wants the receipt (Source A: push by SMS, MMS or e-mail, or pull from the
/// portal). Phone numbers are international (`+8613800138000`); the core checks and normalises
/// the address when the receipt is issued.
///
/// `Debug` shows the kind only: addresses are customer data.
#[derive(Clone, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Delivery {
    /// A text message with a short link.
    Sms {
        /// The phone number, `+` and 8–15 digits.
        phone: String,
    },
    /// A multimedia message carrying the receipt image.
    Mms {
        /// The phone number, `+` and 8–15 digits.
        phone: String,
    },
    /// An e-mail with the receipt inline and attached.
    Email {
        /// The e-mail address.
        address: String,
    },
    /// No push: the customer signs in at the portal with this phone number.
    Pull {
        /// The phone number, `+` and 8–15 digits.
        phone: String,
    },
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Delivery::Sms { .. } => "Sms",
            Delivery::Mms { .. } => "Mms",
            Delivery::Email { .. } => "Email",
            Delivery::Pull { .. } => "Pull",
        };
        write!(f, "Delivery::{kind}(redacted)")
    }
}

impl TryFrom<Delivery> for seal::Delivery {
    type Error = EReceiptError;

    /// Through the core's parser, the one place where addresses are checked.
    fn try_from(d: Delivery) -> Result<Self, EReceiptError> {
        let text = match d {
            Delivery::Sms { phone } => format!("sms:{phone}"),
            Delivery::Mms { phone } => format!("mms:{phone}"),
            Delivery::Email { address } => format!("email:{address}"),
            Delivery::Pull { phone } => format!("pull:{phone}"),
        };
        Ok(seal::Delivery::parse(&text)?)
    }
}

impl TryFrom<seal::Delivery> for Delivery {
    type Error = EReceiptError;

    fn try_from(d: seal::Delivery) -> Result<Self, EReceiptError> {
        let address = d.address().to_owned();
        Ok(match d {
            seal::Delivery::Sms(_) => Delivery::Sms { phone: address },
            seal::Delivery::Mms(_) => Delivery::Mms { phone: address },
            seal::Delivery::Email(_) => Delivery::Email { address },
            seal::Delivery::Pull(_) => Delivery::Pull { phone: address },
            _ => {
                return Err(EReceiptError::internal(
                    "a delivery kind unknown to the SDK",
                ));
            }
        })
    }
}

/// The signature pad: its size in device pixels and its density.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Record)]
pub struct SignaturePad {
    /// Width in pixels, 1..=10000.
    pub width: u32,
    /// Height in pixels, 1..=10000.
    pub height: u32,
    /// Pixels per inch, 50..=1000 (Android `DisplayMetrics.xdpi`, iOS points × scale × 163).
    pub dpi: u32,
}

impl TryFrom<SignaturePad> for signature::PadGeometry {
    type Error = EReceiptError;

    fn try_from(p: SignaturePad) -> Result<Self, EReceiptError> {
        Ok(signature::PadGeometry::new(p.width, p.height, p.dpi)?)
    }
}

impl From<signature::PadGeometry> for SignaturePad {
    fn from(p: signature::PadGeometry) -> Self {
        SignaturePad {
            width: p.width(),
            height: p.height(),
            dpi: p.dpi(),
        }
    }
}

/// One sample of the pen or finger, as the platform reports it: pad pixels, the event time in
/// milliseconds on any monotonic clock (Android `MotionEvent.eventTime`, iOS
/// `UITouch.timestamp` × 1000), and the pressure 0.0..=1.0 when the device measures it.
///
/// `Debug` shows no value: strokes are biometric data.
#[derive(Clone, Copy, PartialEq, uniffi::Record)]
pub struct PenPoint {
    /// Horizontal position in pad pixels, growing to the right.
    pub x: f32,
    /// Vertical position in pad pixels, growing downwards.
    pub y: f32,
    /// Event time in milliseconds.
    pub t_ms: u64,
    /// Normalised pressure 0.0..=1.0, if measured (all points of a signature, or none).
    #[uniffi(default = None)]
    pub pressure: Option<f32>,
}

impl fmt::Debug for PenPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PenPoint { .. }")
    }
}

impl From<PenPoint> for signature::Point {
    fn from(p: PenPoint) -> Self {
        let point = signature::Point::new(p.x, p.y, p.t_ms);
        match p.pressure {
            Some(pressure) => point.with_pressure(pressure),
            None => point,
        }
    }
}

impl From<&signature::QuantizedPoint> for PenPoint {
    /// A stored point: 1/8-pixel coordinates (exact in `f32` for pads up to 10000 pixels),
    /// the time since the signature's first point and the stored 16-bit pressure.
    fn from(q: &signature::QuantizedPoint) -> Self {
        let eighths = |v: i32| f64::from(v) / f64::from(signature::QuantizedPoint::UNITS_PER_PX);
        PenPoint {
            x: narrow(eighths(q.x_eighths())),
            y: narrow(eighths(q.y_eighths())),
            t_ms: u64::from(q.t_ms()),
            pressure: q.pressure().map(narrow),
        }
    }
}

/// `f64` to `f32` for values that fit: eighths of a pixel up to 10000 pixels, or a pressure in
/// 0..=1 (which loses only digits beyond what the 16-bit stored value has).
#[allow(clippy::cast_possible_truncation)]
fn narrow(v: f64) -> f32 {
    v as f32
}

/// When a capture is complete and what counts as a signature. `None` means the core's default
/// (`CaptureConfig` in `ereceipt-core`: 2000 ms idle, 1 mm dot tolerance, 10 points, 5 mm).
#[derive(Debug, Clone, Copy, PartialEq, Default, uniffi::Record)]
pub struct CaptureOptions {
    /// The pause after the last input, with a stroke ended, after which the signature is
    /// complete.
    #[uniffi(default = None)]
    pub idle_ms: Option<u64>,
    /// A stroke that stays within this distance of its first point is a dot.
    #[uniffi(default = None)]
    pub dot_tolerance_mm: Option<f64>,
    /// The fewest points over all strokes.
    #[uniffi(default = None)]
    pub min_points: Option<u32>,
    /// The smallest extent of the ink, horizontally or vertically.
    #[uniffi(default = None)]
    pub min_extent_mm: Option<f64>,
}

impl From<CaptureOptions> for signature::CaptureConfig {
    fn from(o: CaptureOptions) -> Self {
        let mut config = signature::CaptureConfig::default();
        if let Some(v) = o.idle_ms {
            config.idle_ms = v;
        }
        if let Some(v) = o.dot_tolerance_mm {
            config.dot_tolerance_mm = v;
        }
        if let Some(v) = o.min_points {
            config.min_points = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = o.min_extent_mm {
            config.min_extent_mm = v;
        }
        config
    }
}

/// Where a signature capture stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CaptureState {
    /// Nothing drawn yet (or everything undone or cleared).
    Empty,
    /// A stroke is open: the pen is down.
    Drawing,
    /// The pen is up after at least one stroke, for less than the idle interval.
    Paused {
        /// Milliseconds since the last input.
        idle_ms: u64,
    },
    /// The pen has been up for the idle interval: the signature is complete.
    Complete,
}

impl From<signature::CaptureState> for CaptureState {
    fn from(s: signature::CaptureState) -> Self {
        match s {
            signature::CaptureState::Empty => CaptureState::Empty,
            signature::CaptureState::Drawing => CaptureState::Drawing,
            signature::CaptureState::Paused { idle_ms } => CaptureState::Paused { idle_ms },
            _ => CaptureState::Complete,
        }
    }
}

/// An issued receipt.
///
/// `Debug` shows the identifiers and the image's size, not the image.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssuedReceipt {
    /// The receipt id, a UUID made on the device.
    pub receipt_id: String,
    /// The issuing terminal.
    pub terminal_id: String,
    /// The terminal's receipt counter: 1 for its first receipt.
    pub counter: u64,
    /// The receipt image: a 1-bit PNG carrying its signed record.
    pub png: Vec<u8>,
    /// Whether the terminal's key signed it. An unsigned receipt is still issued and chained
    /// (marked so on the image) when the signer fails.
    pub signed: bool,
    /// Why it is unsigned, when it is.
    pub unsigned_reason: Option<String>,
    /// Whether it waits in the outbox for the platform (false for a local test terminal).
    pub queued: bool,
    /// The paper width it was drawn for.
    pub paper: Paper,
    /// Which copy it is.
    pub copy: CopyKind,
}

impl fmt::Debug for IssuedReceipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedReceipt")
            .field("receipt_id", &self.receipt_id)
            .field("terminal_id", &self.terminal_id)
            .field("counter", &self.counter)
            .field("png_bytes", &self.png.len())
            .field("signed", &self.signed)
            .field("queued", &self.queued)
            .finish_non_exhaustive()
    }
}

impl IssuedReceipt {
    /// The record of what the core issued; `queued` says whether it went to the outbox.
    pub(crate) fn new(issued: record::IssuedReceipt, queued: bool) -> Self {
        IssuedReceipt {
            receipt_id: issued.record.receipt_id.to_string(),
            terminal_id: issued.record.terminal_id.clone(),
            counter: issued.record.counter,
            signed: issued.summary.signature.is_some(),
            unsigned_reason: issued.signing_error.map(|e| e.to_string()),
            queued,
            paper: issued.record.paper.into(),
            copy: issued.record.copy.into(),
            png: issued.png,
        }
    }
}

/// What the outbox holds, for a status screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxStatus {
    /// Receipts waiting to be uploaded.
    pub pending: u64,
    /// Their sealed size in bytes.
    pub pending_bytes: u64,
    /// Receipts the platform rejected, set aside (see `dead_letters`).
    pub dead: u64,
    /// Seconds since the oldest waiting receipt was queued.
    pub oldest_pending_age_s: Option<u64>,
    /// The last upload failure, until an upload succeeds.
    pub last_error: Option<String>,
    /// When that failure happened (Unix seconds).
    pub last_error_at: Option<i64>,
    /// When a receipt was last uploaded (Unix seconds).
    pub last_upload_at: Option<i64>,
    /// The counter of the last receipt issued.
    pub counter: Option<u64>,
}

impl From<outbox::OutboxStatus> for OutboxStatus {
    fn from(s: outbox::OutboxStatus) -> Self {
        OutboxStatus {
            pending: s.pending,
            pending_bytes: s.pending_bytes,
            dead: s.dead,
            oldest_pending_age_s: s.oldest_pending_age_s,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            last_upload_at: s.last_upload_at,
            counter: s.counter,
        }
    }
}

/// What one flush did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlushReport {
    /// Receipts the platform stored now.
    pub stored: u64,
    /// Receipts the platform already had (a resend after a lost answer).
    pub duplicates: u64,
    /// Receipts the platform rejected, moved to the dead letters.
    pub dead_lettered: u64,
    /// Receipts still waiting.
    pub remaining: u64,
    /// Why the flush stopped with receipts still waiting: the platform could not be reached.
    /// They are kept; flush again later (an auto-flush does). `None` when the flush went
    /// through the whole queue.
    pub stopped_by: Option<String>,
}

impl From<outbox::FlushReport> for FlushReport {
    fn from(r: outbox::FlushReport) -> Self {
        FlushReport {
            stored: r.stored,
            duplicates: r.duplicates,
            dead_lettered: r.dead_lettered,
            remaining: r.remaining,
            stopped_by: r.error.map(|e| e.to_string()),
        }
    }
}

/// A receipt the platform refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeadLetter {
    /// The receipt.
    pub receipt_id: String,
    /// Its counter.
    pub counter: u64,
    /// The HTTP status of the refusal.
    pub status: u16,
    /// The platform's error code.
    pub code: String,
    /// The platform's explanation.
    pub reason: String,
    /// When it was refused (Unix seconds).
    pub failed_at: i64,
}

impl From<outbox::DeadLetter> for DeadLetter {
    fn from(d: outbox::DeadLetter) -> Self {
        DeadLetter {
            receipt_id: d.receipt_id.to_string(),
            counter: d.counter,
            status: d.status,
            code: d.code,
            reason: d.reason,
            failed_at: d.failed_at,
        }
    }
}

/// When the background uploader tries. `None` means the core's default (`AutoFlushPolicy` in
/// `ereceipt-core`: every 60 s when idle, backoff from 2 s to 120 s while the platform is
/// unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, uniffi::Record)]
pub struct AutoFlushPolicy {
    /// How often an idle terminal looks for waiting receipts.
    #[uniffi(default = None)]
    pub idle_interval_ms: Option<u64>,
    /// The first retry's ceiling after a failed flush; doubles with each failure.
    #[uniffi(default = None)]
    pub min_backoff_ms: Option<u64>,
    /// The longest wait between tries while the platform is unreachable.
    #[uniffi(default = None)]
    pub max_backoff_ms: Option<u64>,
}

impl From<AutoFlushPolicy> for outbox::AutoFlushPolicy {
    fn from(p: AutoFlushPolicy) -> Self {
        let mut policy = outbox::AutoFlushPolicy::default();
        if let Some(ms) = p.idle_interval_ms {
            policy.idle_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = p.min_backoff_ms {
            policy.min_backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = p.max_backoff_ms {
            policy.max_backoff = Duration::from_millis(ms);
        }
        policy
    }
}

/// The outcome of one check of the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CheckOutcome {
    /// The check ran and passed.
    Passed,
    /// The check ran and failed.
    Failed,
    /// The check could not run; the detail says why.
    Skipped,
}

impl From<record::Outcome> for CheckOutcome {
    fn from(o: record::Outcome) -> Self {
        match o {
            record::Outcome::Passed => CheckOutcome::Passed,
            record::Outcome::Failed => CheckOutcome::Failed,
            record::Outcome::Skipped => CheckOutcome::Skipped,
        }
    }
}

/// One check the verifier made.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerificationCheck {
    /// What was checked: `evidence`, `record`, `certificate_chain`, `certificate_binding`,
    /// `signature`, `signature_band`, `rerender`, `watermark`, …
    pub name: String,
    /// Passed, failed or skipped.
    pub outcome: CheckOutcome,
    /// In words, for people.
    pub detail: String,
}

/// An area of the image that differs from what the record says was printed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AlteredRegion {
    /// Left edge in image pixels.
    pub x: u32,
    /// Top edge in image pixels.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The printed fields it touches (`amount`, `card.masked_pan`, `signature`, …).
    pub fields: Vec<String>,
}

/// What the verifier found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerificationReport {
    /// The record is signed by a terminal whose certificate chains to the trusted CA.
    pub authentic: bool,
    /// The image differs from its record, or the record from its signature.
    pub tampered: bool,
    /// The receipt id, when it could be read.
    pub receipt_id: Option<String>,
    /// The issuing terminal, when it could be read.
    pub terminal_id: Option<String>,
    /// The terminal's receipt counter, when it could be read.
    pub counter: Option<u64>,
    /// Where the image was altered.
    pub regions: Vec<AlteredRegion>,
    /// Every check, in the order made.
    pub checks: Vec<VerificationCheck>,
}

impl From<record::VerificationReport> for VerificationReport {
    fn from(r: record::VerificationReport) -> Self {
        VerificationReport {
            authentic: r.authentic,
            tampered: r.tampered,
            receipt_id: r.receipt_id,
            terminal_id: r.terminal_id,
            counter: r.counter,
            regions: r
                .regions
                .into_iter()
                .map(|g| AlteredRegion {
                    x: g.x,
                    y: g.y,
                    width: g.w,
                    height: g.h,
                    fields: g.fields,
                })
                .collect(),
            checks: r
                .checks
                .into_iter()
                .map(|c| VerificationCheck {
                    name: c.name.to_owned(),
                    outcome: c.outcome.into(),
                    detail: c.detail,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Customer data never reaches a log through `Debug`.
    #[test]
    fn debug_redacts_customer_data() {
        let delivery = Delivery::Email {
            address: "ana@example.com".into(),
        };
        let point = PenPoint {
            x: 123.5,
            y: 45.25,
            t_ms: 987,
            pressure: Some(0.75),
        };
        let text = format!("{delivery:?} {point:?}");
        for leak in ["ana", "example", "123", "45", "987", "0.75"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }

    /// Addresses go through the core's parser: normalised on the way in, kinds kept both ways.
    #[test]
    fn delivery_round_trips_through_the_core() {
        let ours = Delivery::Sms {
            phone: "+86 138-0013-8000".into(),
        };
        let core = seal::Delivery::try_from(ours).expect("a valid phone number");
        assert_eq!(
            Delivery::try_from(core).expect("a known kind"),
            Delivery::Sms {
                phone: "+8613800138000".into()
            }
        );
        let refused = seal::Delivery::try_from(Delivery::Pull {
            phone: "13800138000".into(),
        });
        assert!(matches!(
            refused,
            Err(EReceiptError::InvalidInput { field, .. }) if field == "delivery"
        ));
    }
}
