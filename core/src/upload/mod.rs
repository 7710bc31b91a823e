//! Talking to the receipt platform: enrollment and receipt upload over HTTPS.
//!
//! One [`PlatformClient`] per platform. It is built on reqwest with rustls and the Mozilla root
//! store compiled in (no OpenSSL, so the same code runs on Android and iOS), plus any extra
//! roots the app configures for a private platform CA.
//!
//! Every call is bounded by a connect timeout and a request timeout. [`PlatformClient::put_receipt`]
//! retries network errors, 5xx and 429 with exponential backoff and full jitter
//! ([`RetryPolicy`]), waits what a `Retry-After` asks for, and never retries a 4xx rejection: a
//! rejected receipt is the outbox's to set aside. The upload is idempotent: it is a `PUT` to the
//! receipt's own id, and the platform answers a resend of a stored receipt with 200 instead of
//! storing it twice, so a retry after a lost response is always safe.
//!
//! [`PlatformClient::enroll`] spends a single-use token, so it is retried only when the request
//! cannot have reached the platform (connection refused, DNS) or the platform said so (429/503).
//!
//! The wire protocol is in `docs/PLATFORM.md`; the envelope in `docs/FORMAT.md`.

mod retry;

pub use retry::{RetryPolicy, parse_retry_after};
pub(crate) use retry::{backoff, jitter};

use crate::record::ReceiptId;
use crate::seal::{PlatformKey, SealError};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use std::time::{Duration, SystemTime};

/// The media type of a sealed envelope on the wire.
pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.ereceipt.envelope";

/// How the client connects.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Longest wait for a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole request, body and response included.
    pub request_timeout: Duration,
    /// Retries of uploads.
    pub retry: RetryPolicy,
    /// Extra trusted root certificates (PEM), for a platform behind a private CA.
    pub extra_roots_pem: Vec<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            extra_roots_pem: Vec::new(),
        }
    }
}

/// Why a call to the platform failed. No variant carries receipt content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The platform could not be reached or answered 5xx/429 on every attempt: try again later
    /// (the outbox keeps the receipt).
    #[error("the platform is unavailable after {attempts} attempt(s): {reason}")]
    Unavailable {
        /// What the last attempt ran into.
        reason: String,
        /// How long the platform asked to wait, when it did.
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
    },
    /// The platform refused the request (4xx): sending it again will not help.
    #[error("the platform rejected the request ({status} {code}): {reason}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The platform's machine-readable error code.
        code: String,
        /// The platform's explanation.
        reason: String,
    },
    /// The platform answered success with a body this client does not understand.
    #[error("unexpected answer from the platform: {reason}")]
    Protocol {
        /// What was wrong with it.
        reason: String,
    },
    /// The client configuration is unusable (a bad URL or root certificate).
    #[error("client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
}

impl UploadError {
    /// Whether a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, UploadError::Unavailable { .. })
    }
}

/// What the platform did with an uploaded receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored now (201).
    Stored,
    /// Already stored by an earlier attempt (200): nothing changed.
    Duplicate,
}

/// What enrollment returns: the terminal's certificate chain and the platform's encryption key.
#[derive(Clone, Debug)]
pub struct Enrollment {
    /// The terminal id the certificate names.
    pub terminal_id: String,
    /// The merchant the platform enrolled the terminal for.
    pub merchant_id: String,
    /// The merchant's name as the platform knows it.
    pub merchant_name: String,
    /// The terminal certificate first, then its CA, as PEM.
    pub certificate_chain: Vec<String>,
    /// The key receipts are sealed under.
    pub platform_key: PlatformKey,
}

#[derive(Deserialize)]
struct EnrollmentBody {
    terminal_id: String,
    merchant_id: String,
    merchant_name: String,
    certificate_chain: Vec<String>,
    platform_key: PlatformKeyBody,
}

#[derive(Deserialize)]
struct PlatformKeyBody {
    key_id: String,
    public_key: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// A client of one receipt platform.
#[derive(Clone, Debug)]
pub struct PlatformClient {
    http: reqwest::Client,
    base: Url,
    retry: RetryPolicy,
}

/// Whether a request may be sent again after a failure whose effect is unknown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// Sending twice does no harm (PUT to the receipt id).
    Safe,
    /// Sending twice may spend something (an enrollment token): only resend what never left.
    Unsafe,
}

impl PlatformClient {
    /// A client for the platform at `base_url` (`https://receipts.example.com/`; `http://` is
    /// accepted for loopback development platforms only). The host name must be ASCII: an
    /// internationalised name is given as its A-label (`https://xn--bckerei-mller-bfb28a.de/`),
    /// because the SDK carries no Unicode tables for IDNA (a `Config` error otherwise).
    pub fn new(base_url: &str, config: &ClientConfig) -> Result<Self, UploadError> {
        let base = Url::parse(base_url).map_err(|_| UploadError::Config {
            reason: "the platform URL is not a URL".into(),
        })?;
        let loopback = base.host().is_some_and(is_loopback);
        match base.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(UploadError::Config {
                    reason: "the platform URL must be https (http only on loopback)".into(),
                });
            }
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("ereceipt-sdk/", env!("CARGO_PKG_VERSION")))
            .https_only(!loopback);
        for pem in &config.extra_roots_pem {
            let root = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|_| {
                UploadError::Config {
                    reason: "an extra root certificate is not PEM".into(),
                }
            })?;
            builder = builder.add_root_certificate(root);
        }
        let http = builder.build().map_err(|e| UploadError::Config {
            reason: e.to_string(),
        })?;
        Ok(PlatformClient {
            http,
            base,
            retry: config.retry,
        })
    }

    /// The platform's base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Enrolls a terminal: sends its certificate request with a one-time token and returns the
    /// certificate chain and the platform's encryption key.
    pub async fn enroll(&self, token: &str, csr_pem: &str) -> Result<Enrollment, UploadError> {
        let url = self.url("v1/enrollments")?;
        let body = serde_json::json!({ "token": token, "csr": csr_pem });
        let response = self
            .send(Replay::Unsafe, || self.http.post(url.clone()).json(&body))
            .await?;
        if response.status() != StatusCode::CREATED && response.status() != StatusCode::OK {
            return Err(rejection(response).await);
        }
        let body: EnrollmentBody = response.json().await.map_err(|_| UploadError::Protocol {
            reason: "the enrollment answer is not the expected JSON".into(),
        })?;
        let platform_key =
            PlatformKey::from_pem(&body.platform_key.key_id, &body.platform_key.public_key)
                .map_err(|e: SealError| UploadError::Protocol {
                    reason: e.to_string(),
                })?;
        Ok(Enrollment {
            terminal_id: body.terminal_id,
            merchant_id: body.merchant_id,
            merchant_name: body.merchant_name,
            certificate_chain: body.certificate_chain,
            platform_key,
        })
    }

    /// Uploads a sealed receipt to `PUT /v1/receipts/{id}`.
    pub async fn put_receipt(
        &self,
        receipt_id: &ReceiptId,
        envelope: &[u8],
    ) -> Result<PutOutcome, UploadError> {
        let url = self.url(&format!("v1/receipts/{receipt_id}"))?;
        let body = bytes::Bytes::copy_from_slice(envelope);
        let response = self
            .send(Replay::Safe, || {
                self.http
                    .put(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, ENVELOPE_MEDIA_TYPE)
                    .body(body.clone())
            })
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(PutOutcome::Stored),
            StatusCode::OK => Ok(PutOutcome::Duplicate),
            s if s.is_success() => Err(UploadError::Protocol {
                reason: format!("status {s} to an upload"),
            }),
            _ => Err(rejection(response).await),
        }
    }

    fn url(&self, path: &str) -> Result<Url, UploadError> {
        self.base.join(path).map_err(|_| UploadError::Config {
            reason: "the platform URL cannot take a path".into(),
        })
    }

    /// Sends a request, retrying transient failures as the policy says. Returns the first
    /// response that is not a transient failure (a success or a 4xx other than 429).
    async fn send(
        &self,
        replay: Replay,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, UploadError> {
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (reason, retry_after, may_retry) = match request().send().await {
                Ok(response) if !is_transient_status(response.status()) => return Ok(response),
                Ok(response) => {
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let declined = matches!(
                        response.status(),
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                    );
                    let may_retry = replay == Replay::Safe || declined;
                    (
                        format!("status {}", response.status()),
                        retry_after,
                        may_retry,
                    )
                }
                Err(e) => {
                    let may_retry = replay == Replay::Safe || e.is_connect();
                    (network_reason(&e), None, may_retry)
                }
            };
            let too_long = retry_after.is_some_and(|d| d > self.retry.max_retry_after);
            if attempt >= attempts || !may_retry || too_long {
                return Err(UploadError::Unavailable {
                    reason,
                    retry_after,
                    attempts: attempt,
                });
            }
            let wait = retry_after.unwrap_or_else(|| self.retry.delay(attempt - 1, jitter()));
            tokio::time::sleep(wait).await;
        }
    }
}

fn is_loopback(host: url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

fn is_transient_status(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// A network error in words, without the request URL's path (it holds the receipt id, which is
/// harmless, but a log line should say what went wrong, not where).
fn network_reason(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "network error"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = None;
    while let Some(s) = source {
        detail = Some(s.to_string());
        source = s.source();
    }
    match detail {
        Some(d) => format!("{kind} ({d})"),
        None => kind.to_owned(),
    }
}

/// Turns a 4xx answer into [`UploadError::Rejected`], reading the platform's error body when it
/// has one.
async fn rejection(response: reqwest::Response) -> UploadError {
    let status = response.status();
    let (code, reason) = match response.json::<ErrorBody>().await {
        Ok(body) => (body.error.code, body.error.message),
        Err(_) => (
            "http_error".to_owned(),
            status.canonical_reason().unwrap_or("rejected").to_owned(),
        ),
    };
    UploadError::Rejected {
        status: status.as_u16(),
        code,
        reason,
    }
}

#[cfg(test)]
pub(crate) mod test_server;
#[cfg(test)]
mod tests;
