//! The signature module's error type.

/// Everything that can go wrong while capturing, validating, decoding or parsing a signature.
///
/// No variant carries a coordinate, a time or a pressure value: signature strokes are biometric
/// data, and errors end up in logs and in exceptions on the other side of the FFI. Variants carry
/// limits, counts, positions in the input and field paths such as `strokes[2][7].x` only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A pad dimension is outside 1..=10000 pixels or its density outside 50..=1000 dpi.
    #[error("pad {field} is out of range (width and height 1..=10000 px, dpi 50..=1000)")]
    InvalidPad {
        /// `"width"`, `"height"` or `"dpi"`.
        field: &'static str,
    },

    /// A coordinate is NaN or infinite.
    #[error("a point coordinate is not a finite number")]
    NonFiniteCoordinate,
    /// A point lies more than 10 % of the pad's size outside the pad. Points closer to the pad
    /// than that are clamped to its edge instead.
    #[error("a point lies outside the signature pad")]
    OutOfPad,
    /// A pressure is NaN or outside 0.0..=1.0.
    #[error("a point pressure is outside 0..=1")]
    PressureOutOfRange,
    /// Some points carry a pressure and others do not: a signature records pressure for all of
    /// its points or for none.
    #[error("some points have a pressure and others do not")]
    InconsistentPressure,
    /// A point's time is earlier than the previous point's (within a stroke or across strokes:
    /// one pen writes the strokes one after the other).
    #[error("a point's time is earlier than the previous point's")]
    TimeWentBackwards,
    /// A point is more than `u32::MAX` milliseconds (about 49 days) after the signature's first
    /// point.
    #[error("a point's time is too far after the first point of the signature")]
    TimeOutOfRange,

    /// The signature has no stroke at all (in a capture session, a list of strokes, JSON or
    /// encoded bytes).
    #[error("the signature is empty")]
    Empty,
    /// A stroke has no point (in a list of strokes, JSON or encoded bytes).
    #[error("a stroke has no point")]
    EmptyStroke,
    /// The signature would have more strokes than the format allows.
    #[error("too many strokes (at most {max})")]
    TooManyStrokes {
        /// The limit, [`Signature::MAX_STROKES`](super::Signature::MAX_STROKES).
        max: usize,
    },
    /// The signature would have more points (over all strokes) than the format allows.
    #[error("too many points (at most {max})")]
    TooManyPoints {
        /// The limit, [`Signature::MAX_POINTS`](super::Signature::MAX_POINTS).
        max: usize,
    },

    /// [`CaptureSession::add_point`](super::CaptureSession::add_point) or
    /// [`add_points`](super::CaptureSession::add_points) was called while no stroke was open.
    #[error("no stroke is open: call begin_stroke first")]
    NoOpenStroke,

    /// The signature is only a dot or a few taps: no stroke moves farther than
    /// [`CaptureConfig::dot_tolerance_mm`](super::CaptureConfig::dot_tolerance_mm).
    #[error("the signature is only a dot")]
    SingleDot,
    /// The signature has fewer points than
    /// [`CaptureConfig::min_points`](super::CaptureConfig::min_points).
    #[error("the signature has too few points (at least {min} required)")]
    TooFewPoints {
        /// The configured minimum.
        min: usize,
    },
    /// The ink's extent is under
    /// [`CaptureConfig::min_extent_mm`](super::CaptureConfig::min_extent_mm) both horizontally
    /// and vertically.
    #[error("the signature is too small")]
    TooSmall,

    /// The bytes do not start with the magic `ESIG`.
    #[error("not an encoded signature (bad magic)")]
    BadMagic,
    /// The format version byte is not one this library reads (it reads version 1).
    #[error("unsupported signature format version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The flags byte has bits set that version 1 does not define.
    #[error("unknown signature flags {flags:#04x}")]
    UnknownFlags {
        /// The flags byte found.
        flags: u8,
    },
    /// The input ends in the middle of a field.
    #[error("encoded signature is truncated")]
    Truncated,
    /// Bytes follow the last stroke.
    #[error("{count} bytes follow the encoded signature")]
    TrailingBytes {
        /// How many bytes are left over.
        count: usize,
    },
    /// A varint or a value computed from it does not fit its field.
    #[error("a value in the encoded signature overflows its field")]
    Overflow,
    /// A varint is encoded with more bytes than needed; the format is canonical, so such bytes
    /// are refused rather than decoded to a signature that would re-encode differently.
    #[error("non-canonical varint in the encoded signature")]
    NonCanonicalVarint,
    /// The first point's time is not zero: times are stored relative to the first point.
    #[error("the first point's time is not zero")]
    TimeOrigin,

    /// The JSON text is larger than [`Signature::MAX_JSON_LEN`](super::Signature::MAX_JSON_LEN).
    #[error("signature JSON is too large (at most {max} bytes)")]
    JsonTooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// The text is not well-formed JSON.
    #[error("signature JSON syntax error at line {line}, column {column}")]
    JsonSyntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The `format` member is missing or is not `"ereceipt-strokes/1"`.
    #[error("signature JSON is not in the ereceipt-strokes/1 format")]
    UnknownFormat,
    /// A member is missing, has the wrong type, or is not expected here.
    #[error("signature JSON field {path}: {reason}")]
    JsonField {
        /// Where, e.g. `strokes[2][7].x`. Built from member names this format defines and array
        /// indices only, never from the input's text.
        path: String,
        /// What is wrong, e.g. `"expected a number"`.
        reason: &'static str,
    },
}
