//! The platform's errors: [`PlatformError`] for what goes wrong inside (database, blob store,
//! key files), [`ApiError`] for what an HTTP client is told.
//!
//! The split keeps internal detail out of responses: every [`PlatformError`] becomes a generic
//! 500 whose cause goes to tracing only, and every rejection a client can act on is an
//! [`ApiError`] with a stable snake_case code. Neither ever carries customer data: phone
//! numbers, e-mail addresses, card digits and signatures never reach an error message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use std::path::PathBuf;

/// Something inside the platform failed; clients only ever see a generic 500 for it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// The metadata database failed or refused a statement.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The database schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blobs(#[from] object_store::Error),
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A key file is damaged, or a key could not be made.
    #[error("platform key: {reason}")]
    Key {
        /// What is wrong; never key material.
        reason: String,
    },
    /// The platform CA could not issue or load.
    #[error(transparent)]
    Identity(#[from] ereceipt_core::identity::IdentityError),
    /// The configuration is unusable.
    #[error("configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A background task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A job of the CPU pool panicked, or the pool has stopped.
    #[error("CPU pool: {0}")]
    CpuPool(&'static str),
}

impl PlatformError {
    /// A [`PlatformError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| PlatformError::Io { path, source }
    }

    /// A [`PlatformError::Io`] without a path (sockets).
    pub fn from_io(source: std::io::Error) -> Self {
        PlatformError::Io {
            path: PathBuf::new(),
            source,
        }
    }

    /// A [`PlatformError::Key`].
    pub(crate) fn key(reason: impl Into<String>) -> Self {
        PlatformError::Key {
            reason: reason.into(),
        }
    }

    /// A [`PlatformError::Config`].
    pub(crate) fn config(reason: impl Into<String>) -> Self {
        PlatformError::Config {
            reason: reason.into(),
        }
    }
}

/// An HTTP error answer: `{"error": {"code": "...", "message": "..."}}` with its status.
///
/// Messages are written for people and never quote the request's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a machine-readable code and a message.
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with `code`.
    pub(crate) fn bad_request(code: &'static str, message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 `not_found`: also what a merchant gets for another merchant's receipt.
    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// 429 `rate_limited` with a `Retry-After` of `seconds`.
    pub(crate) fn rate_limited(seconds: u64) -> Self {
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many receipts from this terminal; retry later",
            )
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<PlatformError> for ApiError {
    /// Logs the cause and answers a generic 500: internal detail never reaches a client.
    fn from(error: PlatformError) -> Self {
        tracing::error!(%error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        PlatformError::from(error).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
