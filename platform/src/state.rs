//! [`AppState`]: what every request handler and worker of one instance shares.
//!
//! Nothing in it is needed for correctness across instances: the database holds the state
//! (receipts, chains, tokens, rate windows, jobs), the blob store the bytes and the data
//! directory the keys. The in-process parts are a key cache, verified certificates ([`crate::verified`]), a count of ingests in flight (the
//! verification worker of this instance yields to them), a notifier that wakes the worker
//! early, a semaphore sizing CPU-bound work to the cores, and the queue of the receipt writer
//! ([`crate::writer`]), which holds only uploads not yet answered; losing any of them changes
//! timing, never results.

use crate::blobs::Blobs;
use crate::config::{Config, Limits};
use crate::cpu::CpuPool;
use crate::db::Db;
use crate::delivery::Courier;
use crate::error::PlatformError;
use crate::keys::PlatformKeys;
use crate::verified::VerifiedCertificates;
use crate::writer::Writer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

/// The shared state of one platform instance. Cloning is cheap.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    blobs: Blobs,
    keys: PlatformKeys,
    limits: Limits,
    /// How customers are reached (delivery keys, SMTP, SMS gateway, outbox).
    courier: Courier,
    /// Shared with the receipt writer, which waits briefly for more while uploads are in flight.
    ingests_in_flight: Arc<AtomicUsize>,
    /// Notified when verification jobs were queued.
    work: Arc<Notify>,
    /// Started on first use, inside the runtime.
    writer: OnceLock<Writer>,
    /// A thread per core for CPU-bound work, below the priority of the I/O threads.
    cpu: CpuPool,
    /// Terminal certificates already verified against the CA.
    verified_certificates: VerifiedCertificates,
}

impl AppState {
    /// Opens an instance as configured: creates the data directory and, on first start, the
    /// keys; connects to the database (migrating it) and the blob store.
    pub async fn open(config: &Config) -> Result<Self, PlatformError> {
        std::fs::create_dir_all(&config.data).map_err(PlatformError::io(&config.data))?;
        let data = config.data.clone();
        // Generating an RSA-3072 key takes a CPU-second; keep it off the async workers.
        let keys =
            tokio::task::spawn_blocking(move || PlatformKeys::load_or_create(&data)).await??;
        let db = Db::connect(&config.database).await?;
        let blobs = Blobs::open(&config.blobs, &config.blobs_options)?;
        let courier = Courier::open(config)?;
        Self::new(db, blobs, keys, config.limits, courier)
    }

    /// An instance from its parts.
    pub(crate) fn new(
        db: Db,
        blobs: Blobs,
        keys: PlatformKeys,
        limits: Limits,
        courier: Courier,
    ) -> Result<Self, PlatformError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(AppState {
            inner: Arc::new(Inner {
                db,
                blobs,
                keys,
                limits,
                courier,
                ingests_in_flight: Arc::new(AtomicUsize::new(0)),
                work: Arc::new(Notify::new()),
                writer: OnceLock::new(),
                cpu: CpuPool::start(cores)?,
                verified_certificates: VerifiedCertificates::default(),
            }),
        })
    }

    /// The metadata database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The blob store.
    pub fn blobs(&self) -> &Blobs {
        &self.inner.blobs
    }

    /// The CA and encryption keys.
    pub fn keys(&self) -> &PlatformKeys {
        &self.inner.keys
    }

    /// How customers are reached.
    pub(crate) fn courier(&self) -> &Courier {
        &self.inner.courier
    }

    /// Records the address this instance serves on (links in messages use it when no public
    /// URL is configured).
    pub fn serving_at(&self, address: std::net::SocketAddr) {
        self.inner.courier.bound(address);
    }

    /// The ingest limits.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Counts an ingest as in flight until the guard is dropped.
    pub(crate) fn ingest_started(&self) -> InFlight {
        self.inner.ingests_in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Whether this instance is ingesting right now.
    pub(crate) fn ingesting(&self) -> bool {
        self.inner.ingests_in_flight.load(Ordering::Relaxed) > 0
    }

    /// The receipt writer of this instance.
    pub(crate) fn writer(&self) -> &Writer {
        self.inner.writer.get_or_init(|| {
            Writer::start(
                self.inner.db.clone(),
                self.inner.blobs.clone(),
                self.inner.work.clone(),
                self.inner.ingests_in_flight.clone(),
            )
        })
    }

    /// Terminal certificates already verified against the CA.
    pub(crate) fn verified_certificates(&self) -> &VerifiedCertificates {
        &self.inner.verified_certificates
    }

    /// Runs CPU-bound work on the CPU pool.
    pub(crate) async fn on_cpu<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PlatformError> {
        self.inner.cpu.run(work).await
    }

    /// Resolves when a job is queued here (or spuriously); workers also poll.
    pub(crate) async fn job_notified(&self) {
        self.inner.work.notified().await;
    }
}

/// An ingest in flight; see [`AppState::ingest_started`].
pub(crate) struct InFlight(AppState);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .inner
            .ingests_in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}
