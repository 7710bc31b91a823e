//! The offline outbox: sealed receipts wait here, on the device, until the platform has them.
//!
//! Source B of the mission: a terminal keeps issuing while the network is down, keeps what it
//! issued safe, and uploads by itself when the link is back. The outbox is a directory of files
//! (`outbox/` in the terminal directory; the layout is in `core/src/outbox/store.rs` and
//! `docs/adr/0003-outbox.md`) holding:
//!
//! - the terminal's chain state (the last counter and the next chain value), and
//! - the queue of sealed envelopes, a file per receipt named by its counter, plus the dead
//!   letters.
//!
//! Issuing a receipt is one atomic step: the receipt file, which carries the chain state after
//! it, is written aside, fsync'd and renamed into the queue ([`Outbox::enqueue`]), after
//! checking under the outbox's lock that the state is still the one the receipt was built on.
//! A crash or power loss at any instant leaves either the receipt with its new state or
//! neither, so no receipt is lost, none is half-written, and no counter is ever used twice.
//! Only sealed envelopes are stored: the device cannot read them back, and no personal data is
//! in clear on its disk.
//!
//! [`Outbox::flush`] uploads in counter order and deletes each receipt once the platform has it.
//! It blocks the calling thread; the uploads go out on up to [`OutboxConfig::upload_window`]
//! threads of its own, sharing the client's connections.
//! A crash between the upload and the delete only means the receipt is sent again, and the
//! platform answers a resend with "already stored" (the upload is idempotent), so every receipt
//! reaches the platform exactly once. A receipt the platform rejects (4xx) is moved to the dead
//! letters with the reason and is never sent again unless the app asks ([`Outbox::requeue`]).
//!
//! The outbox is bounded ([`OutboxConfig`]): when full, issuing fails with [`OutboxError::Full`]
//! before anything is stored, rather than dropping a receipt. [`AutoFlush`] uploads on a timer
//! with backoff while the platform is unreachable.

mod auto;
mod store;

pub use auto::{AutoFlush, AutoFlushPolicy};

use crate::record::{ChainState, ReceiptId};
use crate::upload::{PlatformClient, PutOutcome, UploadError};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Mutex, PoisonError, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};
use store::{Queue, Store, Why};

pub use store::{DIR_NAME, LEGACY_FILE};

/// Delivered receipts deleted together (one fsync of the queue directory) during a flush.
const DELETE_BATCH: usize = 64;

/// Limits of the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxConfig {
    /// The most receipts waiting at once.
    pub max_pending: u64,
    /// The most envelope bytes waiting at once.
    pub max_bytes: u64,
    /// Uploads in flight at once during a flush (at least 1). They are started in counter
    /// order; with more than one, a receipt may reach the platform a few milliseconds before
    /// the one before it, which the platform expects (it records a gap only until the missing
    /// receipt arrives). One keeps arrival order equal to counter order at the cost of a round
    /// trip per receipt.
    pub upload_window: usize,
}

impl Default for OutboxConfig {
    /// 10,000 receipts or 256 MiB: weeks of a busy terminal's receipts at about 20 KB each;
    /// four uploads in flight (the measurement behind it is in docs/adr/0003-outbox.md).
    fn default() -> Self {
        OutboxConfig {
            max_pending: 10_000,
            max_bytes: 256 * 1024 * 1024,
            upload_window: 4,
        }
    }
}

/// Why the outbox could not do what was asked. No variant carries receipt content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The outbox holds its configured maximum; nothing was stored. Upload (or free space) and
    /// issue again.
    #[error("the outbox is full ({pending} receipts, {bytes} bytes waiting); nothing was issued")]
    Full {
        /// Receipts waiting.
        pending: u64,
        /// Bytes waiting.
        bytes: u64,
    },
    /// Another issuer advanced the chain since this receipt was built on it; nothing was stored.
    #[error("the terminal's chain state changed while the receipt was being issued")]
    StateConflict,
    /// The chain state has not been set up (the terminal is not initialised).
    #[error("the outbox has no chain state yet")]
    NoChainState,
    /// The receipt is not in the dead letters.
    #[error("no such dead letter")]
    NotFound,
    /// The outbox's files could not be read or written (disk full, permissions, a damaged
    /// file).
    #[error("outbox storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
}

/// What the outbox holds, for a status screen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxStatus {
    /// Receipts waiting to be uploaded.
    pub pending: u64,
    /// Their envelope bytes.
    pub pending_bytes: u64,
    /// Receipts the platform rejected, set aside.
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

/// A receipt the platform refused, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeadLetter {
    /// The receipt.
    #[serde(serialize_with = "crate::outbox::display")]
    pub receipt_id: ReceiptId,
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

fn display<S: serde::Serializer>(id: &ReceiptId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

/// What one flush did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Receipts the platform stored now.
    pub stored: u64,
    /// Receipts the platform already had (a resend after a lost answer).
    pub duplicates: u64,
    /// Receipts the platform rejected, moved to the dead letters.
    pub dead_lettered: u64,
    /// Receipts still waiting.
    pub remaining: u64,
    /// Why the flush stopped early, when the platform was unavailable.
    pub error: Option<UploadError>,
}

/// The durable outbox of one terminal.
pub struct Outbox {
    store: Store,
    config: OutboxConfig,
    /// Pending counters as last listed (`next_after`).
    listed: Mutex<Listing>,
    /// Serialises flushes within this process (other processes are harmless: uploads are
    /// idempotent).
    flushing: Mutex<()>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("path", &self.store.dir())
            .finish()
    }
}

/// Pending counters above `above` as listed, ascending; receipts queued since are not in it.
#[derive(Default)]
struct Listing {
    above: i64,
    counters: Vec<u64>,
}

/// The next waiting receipt.
struct Next {
    counter: u64,
    receipt_id: ReceiptId,
    envelope: Vec<u8>,
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `dir` (its files are in `dir/outbox`).
    pub fn open(dir: &Path, config: OutboxConfig) -> Result<Self, OutboxError> {
        Ok(Outbox {
            store: Store::open(dir)?,
            config,
            listed: Mutex::new(Listing::default()),
            flushing: Mutex::new(()),
        })
    }

    /// The outbox's directory.
    pub fn path(&self) -> &Path {
        self.store.dir()
    }

    /// The terminal's chain state, if set.
    pub fn chain_state(&self) -> Result<Option<ChainState>, OutboxError> {
        self.store.lock()?.chain_state()
    }

    /// Sets the chain state of a new terminal; refuses to overwrite one already set.
    pub fn init_chain(&self, state: &ChainState) -> Result<(), OutboxError> {
        let store = self.store.lock()?;
        if store.chain_state()?.is_some() {
            return Err(OutboxError::StateConflict);
        }
        store.write_chain(state)
    }

    /// Stores a sealed receipt and moves the chain from `expected` to `next`, atomically.
    ///
    /// Fails with nothing stored when the outbox is full or the chain state is no longer
    /// `expected` (another issuer got there first).
    pub fn enqueue(
        &self,
        expected: &ChainState,
        next: &ChainState,
        receipt_id: &ReceiptId,
        envelope: &[u8],
    ) -> Result<(), OutboxError> {
        self.transition(expected, next, Some((receipt_id, envelope)))
    }

    /// Moves the chain from `expected` to `next` without queueing anything: for a terminal
    /// that is not connected to a platform (a local test terminal).
    pub fn advance(&self, expected: &ChainState, next: &ChainState) -> Result<(), OutboxError> {
        self.transition(expected, next, None)
    }

    fn transition(
        &self,
        expected: &ChainState,
        next: &ChainState,
        receipt: Option<(&ReceiptId, &[u8])>,
    ) -> Result<(), OutboxError> {
        let store = self.store.lock()?;
        let scan = store.scan()?;
        let state =
            store.chain_state_after(scan.pending.last().map(|p| p.0), scan.dead.last().copied())?;
        if state.as_ref() != Some(expected) || next.counter <= expected.counter {
            return Err(OutboxError::StateConflict);
        }
        let Some((receipt_id, envelope)) = receipt else {
            return store.write_chain(next);
        };
        let (pending, bytes) = scan.totals();
        let size = u64::try_from(envelope.len()).unwrap_or(u64::MAX);
        if pending >= self.config.max_pending || bytes.saturating_add(size) > self.config.max_bytes
        {
            return Err(OutboxError::Full { pending, bytes });
        }
        // One rename: the receipt file carries the chain state after it.
        store.put(next, receipt_id, envelope, now())
    }

    /// What the outbox holds now.
    pub fn status(&self) -> Result<OutboxStatus, OutboxError> {
        let store = self.store.lock()?;
        let scan = store.scan()?;
        let (pending, pending_bytes) = scan.totals();
        // Counters are issued in time order, so the lowest waiting one is the oldest.
        let oldest = match scan.pending.first() {
            Some(&(counter, _)) => store.read_receipt(Queue::Pending, counter)?,
            None => None,
        };
        let link = store.link();
        let counter = store
            .chain_state_after(scan.pending.last().map(|p| p.0), scan.dead.last().copied())?
            .map(|s| s.counter);
        Ok(OutboxStatus {
            pending,
            pending_bytes,
            dead: u64::try_from(scan.dead.len()).unwrap_or(u64::MAX),
            oldest_pending_age_s: oldest.map(|r| u64::try_from(now() - r.queued_at).unwrap_or(0)),
            last_error: link.last_error,
            last_error_at: link.last_error_at,
            last_upload_at: link.last_upload_at,
            counter,
        })
    }

    /// The receipts the platform rejected, oldest counter first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, OutboxError> {
        self.store.lock()?.dead_letters()
    }

    /// Puts a dead letter back in the queue, for when the app knows the cause is fixed (the
    /// platform's configuration, not the receipt). It is uploaded at the next flush.
    pub fn requeue(&self, receipt_id: &ReceiptId) -> Result<(), OutboxError> {
        if self.store.lock()?.requeue(receipt_id)? {
            Ok(())
        } else {
            Err(OutboxError::NotFound)
        }
    }

    /// Reads every stored receipt back and checks it (length, checksum, name), and that the
    /// chain state can be read: a damaged file is an error naming its counter. For diagnostics
    /// and tests; issuing and flushing check each file they read anyway.
    pub fn check(&self) -> Result<(), OutboxError> {
        let store = self.store.lock()?;
        store.chain_state()?;
        for queue in [Queue::Pending, Queue::Dead] {
            for counter in store.counters(queue)? {
                store.read_receipt(queue, counter)?;
            }
        }
        store.dead_letters()?;
        Ok(())
    }

    /// The envelopes waiting, in counter order: what is on the device's disk.
    #[cfg(test)]
    pub(crate) fn queued_envelopes(&self) -> Result<Vec<Vec<u8>>, OutboxError> {
        let store = self.store.lock()?;
        let mut envelopes = Vec::new();
        for counter in store.counters(Queue::Pending)? {
            envelopes.extend(
                store
                    .read_receipt(Queue::Pending, counter)?
                    .map(|r| r.envelope),
            );
        }
        Ok(envelopes)
    }

    /// Uploads every waiting receipt, started in counter order with up to
    /// [`OutboxConfig::upload_window`] requests in flight. After the first transient failure
    /// (the platform is down: the rest would fail too) nothing new is started and the uploads
    /// already under way finish; a rejected receipt is set aside and the flush goes on.
    ///
    /// Deletions of delivered receipts are written in batches of 64, one fsync of the queue
    /// directory each, and whatever is left when the flush ends. A crash before a
    /// batch is written only means those receipts are sent again and the platform answers
    /// "already stored".
    ///
    /// Blocks until the flush is over; a second flush in this process waits for the first.
    pub fn flush(&self, client: &PlatformClient) -> Result<FlushReport, OutboxError> {
        // A flush that panicked left nothing half-written (every change is one transaction).
        let _one_at_a_time = self.flushing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut report = FlushReport::default();
        let mut delivered = Vec::new();
        let uploaded = self.upload(client, &mut report, &mut delivered);
        let recorded = self.delivered(&delivered, report.error.is_none());
        uploaded?;
        recorded?;
        report.remaining =
            u64::try_from(self.store.counters(Queue::Pending)?.len()).unwrap_or(u64::MAX);
        Ok(report)
    }

    /// The uploads of a flush. This thread reads the queue, hands the receipts in counter
    /// order to up to a window of sender threads (which share the client's connection pool)
    /// and records their results in the same order, so the window slides as one of async
    /// requests would: a receipt is started only when the one a window before it is recorded.
    /// Only this thread touches the outbox's files.
    fn upload(
        &self,
        client: &PlatformClient,
        report: &mut FlushReport,
        delivered: &mut Vec<u64>,
    ) -> Result<(), OutboxError> {
        type Done = mpsc::Sender<Result<PutOutcome, UploadError>>;
        let window = self.config.upload_window.max(1);
        let (jobs, queue) = mpsc::channel::<(Next, Done)>();
        let queue = Mutex::new(queue);
        // Sends until the queue closes. A result nobody waits for any more (the flush stopped
        // on a storage error) is dropped: the receipt is still pending and goes again later.
        let sender = || {
            loop {
                let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                let Ok((next, done)) = job else { return };
                let _ = done.send(client.put_receipt(&next.receipt_id, &next.envelope));
            }
        };
        std::thread::scope(|scope| {
            // Owned here, so the queue closes and the senders end when this closure returns.
            let jobs = jobs;
            let mut senders = 0;
            let mut in_flight = VecDeque::new();
            let mut after: i64 = -1;
            let mut exhausted = false;
            loop {
                while !exhausted && report.error.is_none() && in_flight.len() < window {
                    let Some(next) = self.next_after(after)? else {
                        exhausted = true;
                        continue;
                    };
                    after = to_i64(next.counter)?;
                    if senders == in_flight.len() {
                        let spawned = std::thread::Builder::new()
                            .name("ereceipt-upload".into())
                            .spawn_scoped(scope, sender);
                        match spawned {
                            Ok(_) => senders += 1,
                            Err(e) if senders == 0 => {
                                report.error = Some(UploadError::Unavailable {
                                    reason: format!("cannot start an upload thread: {e}"),
                                    retry_after: None,
                                    attempts: 0,
                                });
                                break;
                            }
                            // Fewer senders than the window: the queue waits for the others.
                            Err(_) => {}
                        }
                    }
                    let (done, result) = mpsc::channel();
                    in_flight.push_back((next.counter, result));
                    jobs.send((next, done))
                        .expect("the queue is open while this scope runs");
                }
                let Some((counter, result)) = in_flight.pop_front() else {
                    return Ok(());
                };
                let Ok(result) = result.recv() else {
                    // Its sender panicked; the scope raises that panic when this returns.
                    return Ok(());
                };
                match result {
                    Ok(outcome) => {
                        delivered.push(counter);
                        if delivered.len() >= DELETE_BATCH {
                            self.delivered(delivered, report.error.is_none())?;
                            delivered.clear();
                        }
                        match outcome {
                            PutOutcome::Stored => report.stored += 1,
                            PutOutcome::Duplicate => report.duplicates += 1,
                        }
                    }
                    Err(UploadError::Rejected {
                        status,
                        code,
                        reason,
                    }) => {
                        self.bury(counter, status, &code, &reason)?;
                        report.dead_lettered += 1;
                    }
                    Err(error) => {
                        self.failed(&error)?;
                        report.error.get_or_insert(error);
                    }
                }
            }
        })
    }

    /// The first waiting receipt with a counter above `counter`. The directory is listed once and
    /// the listing reused while the calls walk up from where it was taken (a flush goes in
    /// counter order), then listed again for receipts queued since; a listed receipt that is
    /// gone (delivered by another process) is skipped.
    fn next_after(&self, counter: i64) -> Result<Option<Next>, OutboxError> {
        let mut listing = self.listed.lock().unwrap_or_else(|p| p.into_inner());
        if counter < listing.above {
            listing.counters.clear();
        }
        let mut fresh = false;
        loop {
            listing
                .counters
                .retain(|&c| i64::try_from(c).is_ok_and(|c| c > counter));
            listing.above = counter;
            let Some(&first) = listing.counters.first() else {
                if fresh {
                    return Ok(None);
                }
                listing.counters = self.store.counters(Queue::Pending)?;
                fresh = true;
                continue;
            };
            listing.counters.remove(0);
            if let Some(receipt) = self.store.read_receipt(Queue::Pending, first)? {
                return Ok(Some(Next {
                    counter: receipt.counter,
                    receipt_id: receipt.receipt_id,
                    envelope: receipt.envelope,
                }));
            }
        }
    }

    /// Deletes delivered receipts, with one fsync of the directory for all, and notes the
    /// upload; the last error is cleared only when nothing failed since.
    fn delivered(&self, counters: &[u64], clear_error: bool) -> Result<(), OutboxError> {
        if counters.is_empty() {
            return Ok(());
        }
        let store = self.store.lock()?;
        store.delete(counters)?;
        store.update_link(|link| {
            link.last_upload_at = Some(now());
            if clear_error {
                link.last_error = None;
                link.last_error_at = None;
            }
        })
    }

    fn bury(&self, counter: u64, status: u16, code: &str, reason: &str) -> Result<(), OutboxError> {
        let why = Why {
            failed_at: now(),
            status,
            code: code.to_owned(),
            reason: reason.to_owned(),
        };
        self.store.lock()?.bury(counter, &why)
    }

    fn failed(&self, error: &UploadError) -> Result<(), OutboxError> {
        self.store.lock()?.update_link(|link| {
            link.last_error = Some(error.to_string());
            link.last_error_at = Some(now());
        })
    }
}

fn to_i64(value: u64) -> Result<i64, OutboxError> {
    i64::try_from(value).map_err(|_| OutboxError::Storage {
        reason: "counter out of range".into(),
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
