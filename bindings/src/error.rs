//! The one error type of the FFI edge, and the mapping of every core error into it.
//!
//! The core has a precise error per module; an app needs to know what to do. So the edge has a
//! few variants, each an action (fix the input, capture more signature, enroll, retry later, free
//! space, check the key store, report a bug), and the mapping from each core error is written
//! here once, as `From` implementations. Call sites only add context the core error cannot
//! know (which argument an unreadable image or certificate came in).
//!
//! No variant carries customer data: the core's errors name fields and limits, never values,
//! and file paths are dropped here (they may contain the app's or the user's name).

use ereceipt_core::identity::{IdentityError, SignerError};
use ereceipt_core::outbox::OutboxError;
use ereceipt_core::record::{IssueError, RecordError, VerifyError};
use ereceipt_core::render::RenderError;
use ereceipt_core::seal::{DeliveryError, SealError};
use ereceipt_core::signature::SignatureError;
use ereceipt_core::terminal::TerminalError;
use ereceipt_core::transaction::ValidationError;
use ereceipt_core::upload::UploadError;

/// Why an SDK call failed. Kotlin sees it as `EReceiptException`, Swift as `EReceiptError`,
/// Python as `EReceiptError`; each variant is a subclass (Kotlin, Python) or a case (Swift).
///
/// Every variant is something the app acts on. None carries card digits, phone numbers,
/// e-mail addresses, signature strokes or key material, so the text is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum EReceiptError {
    /// An argument was refused: a transaction field, a delivery address, a pen point, an image
    /// that is not a receipt, a certificate that is not PEM, a setting. Fix the input named by
    /// `field` (a JSON path such as `merchant.name` for transactions) and call again; nothing
    /// was stored.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or field, e.g. `card.pan`, `delivery`, `pad.dpi`, `image`.
        field: String,
        /// What is wrong, in words, without the value.
        reason: String,
    },
    /// The signature is missing or too trivial to count (a dot, a few points, too small), or
    /// the transaction's verification method asks for one and none was given. Let the
    /// cardholder sign (again).
    #[error("the signature is incomplete: {reason}")]
    SignatureIncomplete {
        /// Which rule it failed.
        reason: String,
    },
    /// The SDK has no terminal yet, or its terminal has no platform to deliver to. Call
    /// `enroll` with a token from the platform.
    #[error("the terminal is not enrolled with a platform")]
    NotEnrolled,
    /// The platform could not be reached (offline, timeouts, 5xx or 429 on every attempt, an
    /// answer that is not the platform's, e.g. a captive portal). Receipts stay in the outbox;
    /// try again later (an auto-flush does).
    #[error("the platform is unavailable: {reason}")]
    PlatformUnavailable {
        /// What the last attempt ran into.
        reason: String,
        /// How long the platform asked to wait, in milliseconds, when it did.
        retry_after_ms: Option<u64>,
    },
    /// The platform refused the request (HTTP 4xx): sending it again will not help. For an
    /// enrollment, get a new token; receipts it refuses are kept as dead letters.
    #[error("the platform rejected the request ({status} {code}): {reason}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The platform's machine-readable code.
        code: String,
        /// The platform's explanation.
        reason: String,
    },
    /// The outbox holds its configured maximum: nothing was issued. Upload (flush) and issue
    /// again, or raise the limit.
    #[error("the outbox is full ({pending} receipts waiting); nothing was issued")]
    StorageFull {
        /// Receipts waiting.
        pending: u64,
    },
    /// The terminal's files or database could not be read or written (disk full, permissions,
    /// damage, another process changed them at the same moment), or the app's `Signer` holds
    /// another key than the one the terminal was enrolled with.
    #[error("storage failed: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The app's `Signer` (or the SDK's own key) failed or returned something that is not an
    /// ES256 signature or P-256 key. Check the key store; while issuing, a failing signer does
    /// not raise this: the receipt is issued unsigned and says so.
    #[error("the signer failed: {reason}")]
    SignerFailed {
        /// What went wrong, without key material.
        reason: String,
    },
    /// The object was shut down (`EReceiptSdk.shutdown`) and cannot be used any more. Create a
    /// new one.
    #[error("the object was shut down")]
    Closed,
    /// A bug or an impossible state: the platform's enrollment answer did not fit, a random
    /// source failed, a callback broke its contract. Report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What happened.
        reason: String,
    },
}

impl EReceiptError {
    /// An [`EReceiptError::InvalidInput`] for `field`.
    pub(crate) fn invalid(field: &str, reason: impl ToString) -> Self {
        EReceiptError::InvalidInput {
            field: field.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// An [`EReceiptError::Internal`].
    pub(crate) fn internal(reason: impl ToString) -> Self {
        EReceiptError::Internal {
            reason: reason.to_string(),
        }
    }
}

/// A foreign callback (a `Signer` or `Clock` implemented in Kotlin, Swift or Python) threw
/// something other than an `EReceiptError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for EReceiptError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        EReceiptError::SignerFailed { reason: e.reason }
    }
}

impl From<ValidationError> for EReceiptError {
    fn from(e: ValidationError) -> Self {
        let field = e.field().unwrap_or("transaction").to_owned();
        EReceiptError::InvalidInput {
            field,
            reason: e.to_string(),
        }
    }
}

impl From<SignatureError> for EReceiptError {
    fn from(e: SignatureError) -> Self {
        use SignatureError as S;
        let field = match &e {
            S::Empty | S::SingleDot | S::TooFewPoints { .. } | S::TooSmall => {
                return EReceiptError::SignatureIncomplete {
                    reason: e.to_string(),
                };
            }
            S::InvalidPad { field } => return EReceiptError::invalid(&format!("pad.{field}"), &e),
            S::NonFiniteCoordinate
            | S::OutOfPad
            | S::PressureOutOfRange
            | S::InconsistentPressure
            | S::TimeWentBackwards
            | S::TimeOutOfRange => "point",
            S::NoOpenStroke | S::TooManyStrokes { .. } | S::TooManyPoints { .. } => "stroke",
            S::JsonField { path, .. } => return EReceiptError::invalid(path, &e),
            _ => "signature",
        };
        EReceiptError::invalid(field, &e)
    }
}

impl From<DeliveryError> for EReceiptError {
    fn from(e: DeliveryError) -> Self {
        EReceiptError::invalid("delivery", &e)
    }
}

impl From<SignerError> for EReceiptError {
    fn from(e: SignerError) -> Self {
        let reason = match e {
            SignerError::Failed { reason } => reason,
            other => other.to_string(),
        };
        EReceiptError::SignerFailed { reason }
    }
}

impl From<IdentityError> for EReceiptError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Signer(e) => e.into(),
            IdentityError::InvalidSubject { field, reason } => {
                EReceiptError::invalid(field, reason)
            }
            // A certificate or key the SDK itself stored or received does not check out.
            other => EReceiptError::internal(other),
        }
    }
}

impl From<RenderError> for EReceiptError {
    fn from(e: RenderError) -> Self {
        match &e {
            RenderError::UnsupportedCharacter { field, .. } => EReceiptError::invalid(field, &e),
            RenderError::SignatureRequired => EReceiptError::SignatureIncomplete {
                reason: e.to_string(),
            },
            RenderError::Font(_) => EReceiptError::invalid("font_pack", &e),
            _ => EReceiptError::internal(e),
        }
    }
}

impl From<RecordError> for EReceiptError {
    fn from(e: RecordError) -> Self {
        EReceiptError::internal(e)
    }
}

impl From<IssueError> for EReceiptError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::CertificateMismatch { field } => EReceiptError::InvalidInput {
                field: field.to_owned(),
                reason: "does not match the enrolled terminal's certificate".to_owned(),
            },
            IssueError::Render(e) => e.into(),
            IssueError::Record(e) => e.into(),
            other => EReceiptError::internal(other),
        }
    }
}

impl From<SealError> for EReceiptError {
    fn from(e: SealError) -> Self {
        EReceiptError::internal(e)
    }
}

impl From<OutboxError> for EReceiptError {
    fn from(e: OutboxError) -> Self {
        match e {
            OutboxError::Full { pending, .. } => EReceiptError::StorageFull { pending },
            OutboxError::NotFound => EReceiptError::invalid("receipt_id", "not a dead letter"),
            OutboxError::Storage { reason } => EReceiptError::Storage { reason },
            other => EReceiptError::Storage {
                reason: other.to_string(),
            },
        }
    }
}

impl From<UploadError> for EReceiptError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Unavailable {
                reason,
                retry_after,
                ..
            } => EReceiptError::PlatformUnavailable {
                reason,
                retry_after_ms: retry_after
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
            UploadError::Rejected {
                status,
                code,
                reason,
            } => EReceiptError::Rejected {
                status,
                code,
                reason,
            },
            UploadError::Protocol { reason } => EReceiptError::PlatformUnavailable {
                reason: format!("unexpected answer: {reason}"),
                retry_after_ms: None,
            },
            UploadError::Config { reason } => EReceiptError::InvalidInput {
                field: "platform_url".to_owned(),
                reason,
            },
            other => EReceiptError::internal(other),
        }
    }
}

impl From<VerifyError> for EReceiptError {
    fn from(e: VerifyError) -> Self {
        EReceiptError::invalid("image", &e)
    }
}

impl From<TerminalError> for EReceiptError {
    fn from(e: TerminalError) -> Self {
        match e {
            TerminalError::Exists => {
                EReceiptError::invalid("storage_dir", "already holds an enrolled terminal")
            }
            TerminalError::NotATerminal { reason } => EReceiptError::Storage { reason },
            TerminalError::NotEnrolled => EReceiptError::NotEnrolled,
            // The path is left out: it may name the app's user.
            TerminalError::Io { file, reason } => EReceiptError::Storage {
                reason: match file.file_name().and_then(|n| n.to_str()) {
                    Some(name) => format!("{name}: {reason}"),
                    None => reason,
                },
            },
            TerminalError::Enrollment { reason } => {
                EReceiptError::internal(format!("enrollment answer refused: {reason}"))
            }
            TerminalError::Identity(e) => e.into(),
            TerminalError::Signer(e) => e.into(),
            TerminalError::Issue(e) => e.into(),
            TerminalError::Seal(e) => e.into(),
            TerminalError::Outbox(e) => e.into(),
            TerminalError::Upload(e) => e.into(),
            other => EReceiptError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triviality_is_an_incomplete_signature_and_bad_points_are_input() {
        assert!(matches!(
            EReceiptError::from(SignatureError::SingleDot),
            EReceiptError::SignatureIncomplete { .. }
        ));
        assert_eq!(
            EReceiptError::from(SignatureError::InvalidPad { field: "dpi" }),
            EReceiptError::invalid("pad.dpi", SignatureError::InvalidPad { field: "dpi" })
        );
        assert!(matches!(
            EReceiptError::from(SignatureError::OutOfPad),
            EReceiptError::InvalidInput { field, .. } if field == "point"
        ));
    }

    #[test]
    fn io_errors_keep_the_file_name_only() {
        let e = EReceiptError::from(TerminalError::Io {
            file: "/data/user/0/com.shop/files/ana/terminal.pem".into(),
            reason: "disk full".into(),
        });
        assert_eq!(
            e,
            EReceiptError::Storage {
                reason: "terminal.pem: disk full".into()
            }
        );
    }

    #[test]
    fn transient_upload_failures_keep_the_wait() {
        let e = EReceiptError::from(UploadError::Unavailable {
            reason: "status 503".into(),
            retry_after: Some(std::time::Duration::from_secs(3)),
            attempts: 4,
        });
        assert_eq!(
            e,
            EReceiptError::PlatformUnavailable {
                reason: "status 503".into(),
                retry_after_ms: Some(3_000)
            }
        );
    }
}
