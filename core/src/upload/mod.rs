//! Talking to the receipt platform: enrollment and receipt upload over HTTPS.
//!
//! One [`PlatformClient`] per platform. It is built on ureq, a blocking HTTP/1.1 client, with
//! rustls on ring (no OpenSSL, so the same code runs on Android and iOS), Mozilla's root
//! certificates compiled in (feature `webpki-roots`) and any extra roots the app configures
//! for a private platform CA. Every call blocks the calling thread until it is done: the SDK
//! carries no async runtime (0.36 MB of the phone library, `docs/BINDINGS.md`), and a
//! caller that wants concurrency runs calls on threads of its own, as [`crate::outbox`] does.
//! Clones share one connection pool.
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
use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use ureq::http::{Response, StatusCode, Uri, header};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use ureq::{Body, Timeout};

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
    http: ureq::Agent,
    /// The platform's base URL; it ends in `/`, and request paths are appended to it.
    base: String,
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
    /// because the SDK carries no Unicode tables for IDNA (a `Config` error otherwise). The
    /// URL's path is the base of the platform's paths, with or without a final `/`; a query or
    /// credentials in the URL are a `Config` error.
    pub fn new(base_url: &str, config: &ClientConfig) -> Result<Self, UploadError> {
        let (base, loopback) = parse_base(base_url)?;
        let mut roots: Vec<Certificate<'static>> = BUNDLED_ROOTS
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect();
        for pem in &config.extra_roots_pem {
            roots.extend(pem_roots(pem).ok_or_else(|| UploadError::Config {
                reason: "an extra root certificate is not PEM".into(),
            })?);
        }
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(RootCerts::from(roots))
            .build();
        let http = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .http_status_as_error(false)
            .https_only(!loopback)
            .user_agent(concat!("ereceipt-sdk/", env!("CARGO_PKG_VERSION")))
            // Enough idle connections kept for an outbox flush's uploads in flight (default 4).
            .max_idle_connections_per_host(8)
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(PlatformClient {
            http,
            base,
            retry: config.retry,
        })
    }

    /// The platform's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Enrolls a terminal: sends its certificate request with a one-time token and returns the
    /// certificate chain and the platform's encryption key.
    pub fn enroll(&self, token: &str, csr_pem: &str) -> Result<Enrollment, UploadError> {
        let url = self.url("v1/enrollments");
        let body = serde_json::json!({ "token": token, "csr": csr_pem }).to_string();
        let mut response = self.send(Replay::Unsafe, || {
            self.http
                .post(&url)
                .header(header::CONTENT_TYPE, "application/json")
                .send(&body)
        })?;
        if response.status() != StatusCode::CREATED && response.status() != StatusCode::OK {
            return Err(rejection(response));
        }
        let body: EnrollmentBody = response
            .body_mut()
            .read_to_vec()
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| UploadError::Protocol {
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
    pub fn put_receipt(
        &self,
        receipt_id: &ReceiptId,
        envelope: &[u8],
    ) -> Result<PutOutcome, UploadError> {
        let url = self.url(&format!("v1/receipts/{receipt_id}"));
        let mut response = self.send(Replay::Safe, || {
            self.http
                .put(&url)
                .header(header::CONTENT_TYPE, ENVELOPE_MEDIA_TYPE)
                .send(envelope)
        })?;
        let outcome = match response.status() {
            StatusCode::CREATED => PutOutcome::Stored,
            StatusCode::OK => PutOutcome::Duplicate,
            s if s.is_success() => {
                return Err(UploadError::Protocol {
                    reason: format!("status {s} to an upload"),
                });
            }
            _ => return Err(rejection(response)),
        };
        // Read to the end, so that the connection goes back to the pool for the next upload.
        // The receipt is stored whatever the body says, or if it is cut off.
        let _ = response.body_mut().read_to_vec();
        Ok(outcome)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request, retrying transient failures as the policy says. Returns the first
    /// response that is not a transient failure (a success or a 4xx other than 429).
    fn send(
        &self,
        replay: Replay,
        request: impl Fn() -> Result<Response<Body>, ureq::Error>,
    ) -> Result<Response<Body>, UploadError> {
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (reason, retry_after, may_retry) = match request() {
                Ok(response) if !is_transient_status(response.status()) => return Ok(response),
                Ok(response) => {
                    let retry_after = response
                        .headers()
                        .get(header::RETRY_AFTER)
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
                    let may_retry = replay == Replay::Safe || never_left(&e);
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
            std::thread::sleep(wait);
        }
    }
}

/// Checks the platform's URL and returns it ending in `/`, with whether its host is this
/// machine. `http::Uri` takes ASCII only, which is the IDNA rule of [`PlatformClient::new`].
fn parse_base(text: &str) -> Result<(String, bool), UploadError> {
    let refuse = |reason: &str| UploadError::Config {
        reason: reason.to_owned(),
    };
    let uri: Uri = text
        .parse()
        .map_err(|_| refuse("the platform URL is not a URL"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(refuse("the platform URL is not a URL"));
    };
    if authority.as_str().contains('@') || uri.query().is_some() {
        return Err(refuse(
            "the platform URL cannot have credentials or a query",
        ));
    }
    let loopback = is_loopback(authority.host());
    match scheme {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(refuse(
                "the platform URL must be https (http only on loopback)",
            ));
        }
    }
    let path = uri.path().trim_end_matches('/');
    let authority = authority.as_str().to_ascii_lowercase();
    Ok((format!("{scheme}://{authority}{path}/"), loopback))
}

/// `localhost` or a loopback address (an IPv6 one in brackets, as a URL writes it).
fn is_loopback(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || bare.parse().is_ok_and(|ip: IpAddr| ip.is_loopback())
}

/// Mozilla's root certificates (feature `webpki-roots`).
#[cfg(feature = "webpki-roots")]
const BUNDLED_ROOTS: &[CertificateDer<'static>] = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
/// Without feature `webpki-roots`, the app's roots are the only ones.
#[cfg(not(feature = "webpki-roots"))]
const BUNDLED_ROOTS: &[CertificateDer<'static>] = &[];

/// The certificates of one PEM text, each checked to be usable as a trust anchor; `None` when
/// it holds none or one that is not.
fn pem_roots(pem: &str) -> Option<Vec<Certificate<'static>>> {
    let mut roots = Vec::new();
    for item in ureq::tls::parse_pem(pem.as_bytes()) {
        if let PemItem::Certificate(root) = item.ok()? {
            rustls::RootCertStore::empty()
                .add(CertificateDer::from(root.der()))
                .ok()?;
            roots.push(root);
        }
    }
    (!roots.is_empty()).then_some(roots)
}

fn is_transient_status(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// Whether the request certainly did not reach the platform: no address, no connection.
fn never_left(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(t) => matches!(t, Timeout::Resolve | Timeout::Connect),
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::HostUnreachable
                | ErrorKind::NetworkUnreachable
                | ErrorKind::AddrNotAvailable
        ),
        _ => false,
    }
}

/// A network error in words, ureq's description in brackets. None of the errors a valid URL can
/// meet names the URL (its path holds the receipt id, which is harmless, but a log line should
/// say what went wrong, not where).
fn network_reason(e: &ureq::Error) -> String {
    let kind = if matches!(e, ureq::Error::Timeout(_)) {
        "timed out"
    } else if never_left(e) {
        "cannot connect"
    } else {
        "network error"
    };
    format!("{kind} ({e})")
}

/// Turns a 4xx answer into [`UploadError::Rejected`], reading the platform's error body when it
/// has one.
fn rejection(mut response: Response<Body>) -> UploadError {
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_vec()
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ErrorBody>(&bytes).ok());
    let (code, reason) = match body {
        Some(body) => (body.error.code, body.error.message),
        None => (
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
