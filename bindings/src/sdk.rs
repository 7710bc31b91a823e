//! The SDK object an app holds: one terminal directory, its platform link and its outbox.

use crate::asynchronous::on_thread;
use crate::error::EReceiptError;
use crate::signature::HandwrittenSignature;
use crate::signer::{ForeignSigner, Signer};
use crate::transaction::CardTransaction;
use crate::types::{
    AutoFlushPolicy, CopyKind, DeadLetter, Delivery, FlushReport, IssuedReceipt, OutboxStatus,
    Paper,
};
use ereceipt_core::Transaction;
use ereceipt_core::identity::{self, TerminalSubject};
use ereceipt_core::outbox::{AutoFlush, OutboxConfig};
use ereceipt_core::record::{IssueRequest, ReceiptId};
use ereceipt_core::render;
use ereceipt_core::terminal::{Terminal, TerminalConfig, TerminalError};
use ereceipt_core::upload::{ClientConfig, PlatformClient};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the SDK is set up, once, when the app starts. Every `None` is the core's default.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SdkConfig {
    /// The terminal's directory, owned by the SDK (Android: `context.noBackupFilesDir` plus a
    /// name; iOS: Application Support). It holds the certificate, the outbox database and,
    /// without an app `Signer`, the software key.
    pub storage_dir: String,
    /// The platform's base URL, needed to enroll (`https://`; `http://` on loopback only). An
    /// enrolled terminal keeps the URL it enrolled with.
    #[uniffi(default = None)]
    pub platform_url: Option<String>,
    /// The paper width receipts are drawn for (default 80 mm).
    #[uniffi(default = None)]
    pub paper: Option<Paper>,
    /// Which copy `issue` makes (default the customer's).
    #[uniffi(default = None)]
    pub copy: Option<CopyKind>,
    /// The most receipts waiting in the outbox (default 10,000).
    #[uniffi(default = None)]
    pub max_pending_receipts: Option<u64>,
    /// The most sealed bytes waiting in the outbox (default 256 MiB).
    #[uniffi(default = None)]
    pub max_pending_bytes: Option<u64>,
    /// Trusted root certificates (PEM) for the platform's TLS certificate. The phone libraries
    /// (the Android AAR and the iOS XCFramework) carry no bundled roots, so there this must
    /// hold the platform's CA or the public root its certificate chains to; the desktop, JVM
    /// and Python builds also trust Mozilla's roots.
    #[uniffi(default = [])]
    pub trusted_roots_pem: Vec<String>,
    /// Longest wait for a connection, in milliseconds (default 5 s).
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<u64>,
    /// Longest wait for a whole request, in milliseconds (default 20 s).
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    /// Attempts per upload, the first included (default 4, with backoff).
    #[uniffi(default = None)]
    pub upload_attempts: Option<u32>,
}

impl SdkConfig {
    fn terminal_config(&self) -> TerminalConfig {
        let mut outbox = OutboxConfig::default();
        if let Some(v) = self.max_pending_receipts {
            outbox.max_pending = v;
        }
        if let Some(v) = self.max_pending_bytes {
            outbox.max_bytes = v;
        }
        let mut client = ClientConfig {
            extra_roots_pem: self.trusted_roots_pem.clone(),
            ..ClientConfig::default()
        };
        if let Some(ms) = self.connect_timeout_ms {
            client.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.request_timeout_ms {
            client.request_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = self.upload_attempts {
            client.retry.max_attempts = n;
        }
        TerminalConfig { outbox, client }
    }
}

/// Who the terminal is, from its certificate.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TerminalInfo {
    /// The terminal id.
    pub terminal_id: String,
    /// The merchant id.
    pub merchant_id: String,
    /// The merchant's name.
    pub merchant_name: String,
    /// The certificate's serial number, in hex.
    pub certificate_serial: String,
    /// The certificate issuer's name.
    pub certificate_issuer: String,
    /// When the certificate expires (Unix seconds): enroll again before.
    pub certificate_not_after: i64,
    /// The CA certificate (PEM) the terminal's certificate chains to: what a verifier trusts.
    pub ca_certificate_pem: String,
    /// The platform receipts are uploaded to; `None` for a local test terminal.
    pub platform_url: Option<String>,
}

impl TerminalInfo {
    fn of(terminal: &Terminal) -> Self {
        let certificate = terminal.certificate();
        TerminalInfo {
            terminal_id: certificate.terminal_id().to_owned(),
            merchant_id: certificate.merchant_id().to_owned(),
            merchant_name: certificate.merchant_name().to_owned(),
            certificate_serial: certificate.serial_hex().to_owned(),
            certificate_issuer: certificate.issuer_name().to_owned(),
            certificate_not_after: certificate.not_after().unix_timestamp(),
            ca_certificate_pem: terminal.chain_pem().last().cloned().unwrap_or_default(),
            platform_url: terminal.platform().map(|p| p.url.clone()),
        }
    }
}

/// What the SDK holds while it is open.
struct Open {
    /// The terminal, once enrolled (or opened from the storage directory).
    terminal: Option<Arc<Terminal>>,
    /// The background uploader, while started.
    auto_flush: Option<AutoFlush>,
}

/// The ereceipt SDK for one terminal: enroll it once, then issue receipts, which wait in a
/// durable outbox on the device until the platform has them.
///
/// Create one per storage directory and keep it for the app's lifetime; every method may be
/// called from any thread. `shutdown` stops the background uploader and closes the database;
/// after it every call fails with `Closed`. (Kotlin's `close()` frees the object itself, after
/// which calls throw `IllegalStateException`.)
#[derive(uniffi::Object)]
pub struct EReceiptSdk {
    config: SdkConfig,
    terminal_config: TerminalConfig,
    /// The app's signer, as the core sees it; `None` uses a software key in the directory.
    signer: Option<Arc<dyn identity::Signer>>,
    /// `None` once shut down.
    state: Mutex<Option<Open>>,
    /// Serialises issuing, so that two threads of the app never race for the same counter.
    issuing: Mutex<()>,
}

impl std::fmt::Debug for EReceiptSdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EReceiptSdk")
            .field("storage_dir", &self.config.storage_dir)
            .finish_non_exhaustive()
    }
}

impl EReceiptSdk {
    fn dir(&self) -> PathBuf {
        PathBuf::from(&self.config.storage_dir)
    }

    fn state(&self) -> Result<MutexGuard<'_, Option<Open>>, EReceiptError> {
        self.state
            .lock()
            .map_err(|_| EReceiptError::internal("a previous call on this SDK panicked"))
    }

    /// The open state, or `Closed`.
    fn with_open<T>(&self, f: impl FnOnce(&mut Open) -> T) -> Result<T, EReceiptError> {
        let mut state = self.state()?;
        let open = state.as_mut().ok_or(EReceiptError::Closed)?;
        Ok(f(open))
    }

    /// The terminal, or `NotEnrolled`.
    fn terminal(&self) -> Result<Arc<Terminal>, EReceiptError> {
        self.with_open(|open| open.terminal.clone())?
            .ok_or(EReceiptError::NotEnrolled)
    }

    /// Installs a terminal just made in the directory.
    fn install(&self, terminal: Terminal) -> Result<TerminalInfo, EReceiptError> {
        let info = TerminalInfo::of(&terminal);
        self.with_open(|open| open.terminal = Some(Arc::new(terminal)))?;
        Ok(info)
    }

    /// Refuses to make a terminal over one that is already open.
    fn check_not_enrolled(&self) -> Result<(), EReceiptError> {
        match self.with_open(|open| open.terminal.is_some())? {
            true => Err(TerminalError::Exists.into()),
            false => Ok(()),
        }
    }

    fn issue_validated(
        &self,
        transaction: &Transaction,
        signature: Option<Arc<HandwrittenSignature>>,
        delivery: Option<Delivery>,
    ) -> Result<IssuedReceipt, EReceiptError> {
        let delivery = delivery.map(TryInto::try_into).transpose()?;
        let terminal = self.terminal()?;
        let request = IssueRequest {
            transaction,
            signature: signature.as_ref().map(|s| &s.inner),
            copy: self
                .config
                .copy
                .map_or_else(render::CopyKind::default, Into::into),
            paper: self
                .config
                .paper
                .map_or_else(render::Paper::default, Into::into),
        };
        let issued = {
            let _one_at_a_time = self
                .issuing
                .lock()
                .map_err(|_| EReceiptError::internal("a previous issue panicked"))?;
            terminal.issue(request, delivery)?
        };
        let queued = terminal.platform().is_some();
        self.with_open(|open| {
            if let Some(auto) = &open.auto_flush {
                auto.wake();
            }
        })?;
        Ok(IssuedReceipt::new(issued, queued))
    }
}

#[uniffi::export]
impl EReceiptSdk {
    /// Sets the SDK up on `config.storage_dir`, opening the terminal there if one was enrolled.
    /// `signer` is the app's hardware-backed key; without one the SDK makes and keeps a
    /// software key. A terminal enrolled with a `Signer` must always be opened with it.
    ///
    /// # Errors
    /// `InvalidInput` for a bad platform URL or root certificate; `Storage` for a damaged
    /// directory or a `signer` whose key is not the terminal's; `SignerFailed` when `signer`
    /// cannot give its key.
    #[uniffi::constructor(default(signer = None))]
    pub fn new(
        config: SdkConfig,
        signer: Option<Arc<dyn Signer>>,
    ) -> Result<Arc<Self>, EReceiptError> {
        let terminal_config = config.terminal_config();
        if let Some(url) = &config.platform_url {
            PlatformClient::new(url, &terminal_config.client)?;
        }
        let signer = signer.map(|s| Arc::new(ForeignSigner(s)) as Arc<dyn identity::Signer>);
        let dir = PathBuf::from(&config.storage_dir);
        // A directory that does not exist or holds nothing has no terminal yet: that is not an
        // error but the state before `enroll`. Anything else must open.
        let fresh = std::fs::read_dir(&dir).map_or(true, |mut entries| entries.next().is_none());
        let terminal = if fresh {
            None
        } else {
            Some(Arc::new(Terminal::open(
                &dir,
                signer.clone(),
                &terminal_config,
            )?))
        };
        Ok(Arc::new(EReceiptSdk {
            config,
            terminal_config,
            signer,
            state: Mutex::new(Some(Open {
                terminal,
                auto_flush: None,
            })),
            issuing: Mutex::new(()),
        }))
    }

    /// The configuration the SDK was set up with.
    pub fn config(&self) -> Result<SdkConfig, EReceiptError> {
        Ok(self.config.clone())
    }

    /// The terminal, when there is one (enrolled, or a local test terminal).
    pub fn terminal_info(&self) -> Result<Option<TerminalInfo>, EReceiptError> {
        Ok(self
            .with_open(|open| open.terminal.clone())?
            .map(|t| TerminalInfo::of(&t)))
    }

    /// Whether the terminal is enrolled with a platform (receipts are uploaded).
    pub fn is_enrolled(&self) -> Result<bool, EReceiptError> {
        Ok(self
            .with_open(|open| open.terminal.clone())?
            .is_some_and(|t| t.platform().is_some()))
    }

    /// Enrolls this terminal with the platform of `config.platform_url` using a single-use
    /// `token` from the platform (its merchant names the terminal's merchant): makes or asks
    /// the app's `Signer` for the key, sends a certificate request for `terminal_id`, checks
    /// the answer and writes the storage directory.
    ///
    /// # Errors
    /// `InvalidInput` without a platform URL, for an invalid terminal id or when a terminal is
    /// already there; `PlatformUnavailable` (retry); `Rejected` (a used or unknown token: get a
    /// new one); `SignerFailed`; `Storage`.
    ///
    /// # Cancellation
    /// Cancelling the call does not stop the enrollment already sent: it runs to its end on
    /// the SDK's thread, and a terminal it enrolls is installed in this SDK as if the call had
    /// returned (`is_enrolled` says so); only the answer is lost.
    pub async fn enroll(
        self: Arc<Self>,
        token: String,
        terminal_id: String,
    ) -> Result<TerminalInfo, EReceiptError> {
        let url = self
            .config
            .platform_url
            .clone()
            .ok_or_else(|| EReceiptError::invalid("platform_url", "needed to enroll"))?;
        self.check_not_enrolled()?;
        on_thread(move || {
            let terminal = Terminal::enroll(
                &self.dir(),
                &url,
                &token,
                &terminal_id,
                self.signer.clone(),
                &self.terminal_config,
            )?;
            self.install(terminal)
        })
        .await
    }

    /// Makes a terminal with a software key and its own local TEST certificate authority, for
    /// trying the SDK and the demos without a platform. Its receipts are signed, chained and
    /// verifiable with `TerminalInfo.ca_certificate_pem`, but have nowhere to go: nothing is
    /// queued and a delivery choice is refused with `NotEnrolled`.
    ///
    /// # Errors
    /// `InvalidInput` for an invalid id or name, when a terminal is already there, or when the
    /// SDK was given a `Signer` (a test terminal always uses a software key).
    pub fn create_test_terminal(
        &self,
        merchant_id: String,
        merchant_name: String,
        terminal_id: String,
    ) -> Result<TerminalInfo, EReceiptError> {
        if self.signer.is_some() {
            return Err(EReceiptError::invalid(
                "signer",
                "a test terminal uses a software key; create the SDK without a Signer",
            ));
        }
        self.check_not_enrolled()?;
        let subject = TerminalSubject::new(&merchant_id, &merchant_name, &terminal_id)?;
        let (terminal, _ca_name) =
            Terminal::create_local(&self.dir(), &subject, &self.terminal_config)?;
        self.install(terminal)
    }

    /// Issues a receipt for a transaction in its JSON form (`docs/TRANSACTION.md`): validates
    /// it, signs, renders, watermarks and, for an enrolled terminal, seals it for the platform
    /// with the raw `signature` strokes and the customer's `delivery` choice and queues it in
    /// the outbox, all before returning. Upload with `flush` or `start_auto_flush`.
    ///
    /// # Errors
    /// `InvalidInput` naming the transaction field or `delivery`; `SignatureIncomplete` when
    /// the verification method needs a signature and none is given; `NotEnrolled`;
    /// `StorageFull` (nothing was issued); `Storage`.
    #[uniffi::method(default(signature = None, delivery = None))]
    pub fn issue(
        &self,
        transaction_json: String,
        signature: Option<Arc<HandwrittenSignature>>,
        delivery: Option<Delivery>,
    ) -> Result<IssuedReceipt, EReceiptError> {
        let transaction = Transaction::from_json(&transaction_json)?;
        self.issue_validated(&transaction, signature, delivery)
    }

    /// Issues a receipt for a transaction record; otherwise as `issue`.
    ///
    /// # Errors
    /// As `issue`.
    #[uniffi::method(default(signature = None, delivery = None))]
    pub fn issue_transaction(
        &self,
        transaction: CardTransaction,
        signature: Option<Arc<HandwrittenSignature>>,
        delivery: Option<Delivery>,
    ) -> Result<IssuedReceipt, EReceiptError> {
        let transaction = Transaction::try_from(transaction)?;
        self.issue_validated(&transaction, signature, delivery)
    }

    /// What the outbox holds.
    ///
    /// # Errors
    /// `NotEnrolled` without a terminal; `Storage`.
    pub fn outbox_status(&self) -> Result<OutboxStatus, EReceiptError> {
        Ok(self.terminal()?.status()?.into())
    }

    /// Uploads every waiting receipt now, in order. A platform that cannot be reached stops
    /// the flush with the rest kept: see `FlushReport.stopped_by` and `remaining`.
    ///
    /// # Errors
    /// `NotEnrolled`; `Storage`.
    ///
    /// # Cancellation
    /// Cancelling the call does not stop the flush: it runs to its end on the SDK's thread and
    /// records every upload in the outbox (`outbox_status` shows it); only the report is lost.
    pub async fn flush(&self) -> Result<FlushReport, EReceiptError> {
        let terminal = self.terminal()?;
        on_thread(move || Ok(terminal.flush()?.into())).await
    }

    /// The receipts the platform rejected, oldest first.
    ///
    /// # Errors
    /// `NotEnrolled` without a terminal; `Storage`.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, EReceiptError> {
        Ok(self
            .terminal()?
            .dead_letters()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Puts a rejected receipt back in the queue, once the cause is fixed on the platform's
    /// side; it is uploaded at the next flush.
    ///
    /// # Errors
    /// `InvalidInput` (`receipt_id`) for an id that is not a dead letter; `Storage`.
    pub fn requeue_dead_letter(&self, receipt_id: String) -> Result<(), EReceiptError> {
        let id = ReceiptId::parse(&receipt_id)
            .ok_or_else(|| EReceiptError::invalid("receipt_id", "not a receipt id"))?;
        Ok(self.terminal()?.outbox().requeue(&id)?)
    }

    /// Starts uploading in the background (its own thread): at once, after each issue, when
    /// `network_available` is called, and on a timer with backoff while the platform is
    /// unreachable. Replaces an uploader already running.
    ///
    /// # Errors
    /// `NotEnrolled`; `Storage` when the thread cannot start.
    #[uniffi::method(default(policy = None))]
    pub fn start_auto_flush(&self, policy: Option<AutoFlushPolicy>) -> Result<(), EReceiptError> {
        let terminal = self.terminal()?;
        let auto = terminal.auto_flush(policy.unwrap_or_default().into())?;
        // The uploader it replaces, if any, stops when dropped here, outside the lock.
        let _previous = self.with_open(|open| open.auto_flush.replace(auto))?;
        Ok(())
    }

    /// Stops the background uploader after the upload in flight, if any.
    pub fn stop_auto_flush(&self) -> Result<(), EReceiptError> {
        let _stopped = self.with_open(|open| open.auto_flush.take())?;
        Ok(())
    }

    /// Tells the SDK the network is back (Android `ConnectivityManager.NetworkCallback`
    /// `onAvailable`, iOS `NWPathMonitor` `.satisfied`): the background uploader tries at once
    /// instead of waiting out its backoff. Does nothing when it is not started.
    pub fn network_available(&self) -> Result<(), EReceiptError> {
        self.with_open(|open| {
            if let Some(auto) = &open.auto_flush {
                auto.wake();
            }
        })
    }

    /// Stops the background uploader (waiting for an upload in flight) and closes the
    /// terminal's database. Every later call fails with `Closed`; calling it again does
    /// nothing.
    pub fn shutdown(&self) -> Result<(), EReceiptError> {
        let open = self.state()?.take();
        // Dropped outside the lock: stopping the uploader waits for its thread.
        drop(open);
        Ok(())
    }
}
