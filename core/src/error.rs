//! The crate-level error: one enum that wraps each module's own error.

use crate::identity::IdentityError;
use crate::record::{IssueError, RecordError, VerifyError};
use crate::{render::RenderError, signature::SignatureError, transaction::ValidationError};

/// Everything that can go wrong in `ereceipt-core`.
///
/// Each module has its own precise error type; this enum lets callers use `?` across modules.
/// None of the variants carries customer data: field names and reasons only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A transaction failed validation (JSON syntax, a missing or invalid field).
    #[error(transparent)]
    Transaction(#[from] ValidationError),
    /// Signature strokes were invalid, incomplete or could not be decoded.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The receipt could not be rendered (an unsupported character, an oversized QR payload).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A key, certificate or certificate request was refused.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A receipt record could not be made or read.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A receipt could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// A receipt image could not be read for verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A receipt could not be sealed for the platform, or an envelope could not be opened.
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
}
