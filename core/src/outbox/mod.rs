//! The offline outbox: sealed receipts wait here, on the device, until the platform has them.
//!
//! Source B of the mission: a terminal keeps issuing while the network is down, keeps what it
//! issued safe, and uploads by itself when the link is back. The outbox is one SQLite database
//! (WAL journal, `synchronous = FULL`) in a directory the app chooses, holding:
//!
//! - the terminal's chain state (the last counter and the next chain value), and
//! - the queue of sealed envelopes, keyed by counter, plus the dead letters.
//!
//! Issuing a receipt is one transaction: the envelope goes in and the chain state moves on
//! together ([`Outbox::enqueue`]), after checking that the state is still the one the receipt
//! was built on. A crash or power loss at any instant leaves either both or neither, so no
//! receipt is lost, none is half-written, and no counter is ever used twice. Only sealed
//! envelopes are stored: the device cannot read them back, and no personal data is in clear on
//! its disk.
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

pub use auto::{AutoFlush, AutoFlushPolicy};

use crate::record::{ChainState, ChainValue, ReceiptId};
use crate::upload::{PlatformClient, PutOutcome, UploadError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The outbox's file name inside its directory.
pub const FILE_NAME: &str = "outbox.sqlite";

const SCHEMA_VERSION: i32 = 1;

/// Delivered receipts deleted in one transaction during a flush.
const DELETE_BATCH: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS chain_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL CHECK (counter >= 0),
    next_previous BLOB NOT NULL CHECK (length(next_previous) = 32)
);
CREATE TABLE IF NOT EXISTS pending (
    counter INTEGER PRIMARY KEY,
    receipt_id BLOB NOT NULL UNIQUE CHECK (length(receipt_id) = 16),
    envelope BLOB NOT NULL,
    queued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead (
    counter INTEGER PRIMARY KEY,
    receipt_id BLOB NOT NULL UNIQUE CHECK (length(receipt_id) = 16),
    envelope BLOB NOT NULL,
    queued_at INTEGER NOT NULL,
    failed_at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS link (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_error TEXT,
    last_error_at INTEGER,
    last_upload_at INTEGER
);
INSERT OR IGNORE INTO link (id) VALUES (1);
";

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
    /// The database could not be opened, read or written (disk full, permissions, damage).
    #[error("outbox storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
}

impl From<rusqlite::Error> for OutboxError {
    fn from(e: rusqlite::Error) -> Self {
        OutboxError::Storage {
            reason: e.to_string(),
        }
    }
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
    path: PathBuf,
    config: OutboxConfig,
    /// One connection, used under this lock and never across an `.await`.
    conn: Mutex<Connection>,
    /// Serialises flushes within this process (other processes are harmless: uploads are
    /// idempotent).
    flushing: Mutex<()>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("path", &self.path).finish()
    }
}

/// The next waiting receipt.
struct Next {
    counter: u64,
    receipt_id: ReceiptId,
    envelope: Vec<u8>,
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `dir`.
    pub fn open(dir: &Path, config: OutboxConfig) -> Result<Self, OutboxError> {
        std::fs::create_dir_all(dir).map_err(|e| OutboxError::Storage {
            reason: format!("cannot create the outbox directory: {e}"),
        })?;
        let path = dir.join(FILE_NAME);
        let conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed receipt survives power loss, not only a crash of the app.
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(OutboxError::Storage {
                reason: format!("outbox schema {version} is newer than this SDK"),
            });
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Outbox {
            path,
            config,
            conn: Mutex::new(conn),
            flushing: Mutex::new(()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to take over.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The terminal's chain state, if set.
    pub fn chain_state(&self) -> Result<Option<ChainState>, OutboxError> {
        read_state(&self.conn())
    }

    /// Sets the chain state of a new terminal; refuses to overwrite one already set.
    pub fn init_chain(&self, state: &ChainState) -> Result<(), OutboxError> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO chain_state (id, counter, next_previous) VALUES (1, ?1, ?2)",
            params![to_i64(state.counter)?, &state.next_previous.0[..]],
        )?;
        if inserted == 0 {
            return Err(OutboxError::StateConflict);
        }
        Ok(())
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if read_state(&tx)?.as_ref() != Some(expected) {
            return Err(OutboxError::StateConflict);
        }
        if let Some((receipt_id, envelope)) = receipt {
            let (pending, bytes) = totals(&tx)?;
            let size = u64::try_from(envelope.len()).unwrap_or(u64::MAX);
            if pending >= self.config.max_pending
                || bytes.saturating_add(size) > self.config.max_bytes
            {
                return Err(OutboxError::Full { pending, bytes });
            }
            tx.execute(
                "INSERT INTO pending (counter, receipt_id, envelope, queued_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    to_i64(next.counter)?,
                    &receipt_id.as_bytes()[..],
                    envelope,
                    now()
                ],
            )?;
        }
        tx.execute(
            "UPDATE chain_state SET counter = ?1, next_previous = ?2 WHERE id = 1",
            params![to_i64(next.counter)?, &next.next_previous.0[..]],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// What the outbox holds now.
    pub fn status(&self) -> Result<OutboxStatus, OutboxError> {
        let conn = self.conn();
        let (pending, pending_bytes) = totals(&conn)?;
        let dead: i64 = conn.query_row("SELECT count(*) FROM dead", [], |r| r.get(0))?;
        let oldest: Option<i64> =
            conn.query_row("SELECT min(queued_at) FROM pending", [], |r| r.get(0))?;
        let (last_error, last_error_at, last_upload_at) = conn.query_row(
            "SELECT last_error, last_error_at, last_upload_at FROM link WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(OutboxStatus {
            pending,
            pending_bytes,
            dead: u64::try_from(dead).unwrap_or(0),
            oldest_pending_age_s: oldest.map(|t| u64::try_from(now() - t).unwrap_or(0)),
            last_error,
            last_error_at,
            last_upload_at,
            counter: read_state(&conn)?.map(|s| s.counter),
        })
    }

    /// The receipts the platform rejected, oldest counter first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT receipt_id, counter, status, code, reason, failed_at FROM dead ORDER BY counter",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DeadLetter {
                receipt_id: receipt_id(r.get::<_, Vec<u8>>(0)?)?,
                counter: from_i64(r.get(1)?)?,
                status: r.get(2)?,
                code: r.get(3)?,
                reason: r.get(4)?,
                failed_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Puts a dead letter back in the queue, for when the app knows the cause is fixed (the
    /// platform's configuration, not the receipt). It is uploaded at the next flush.
    pub fn requeue(&self, receipt_id: &ReceiptId) -> Result<(), OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let moved = tx.execute(
            "INSERT INTO pending (counter, receipt_id, envelope, queued_at)
             SELECT counter, receipt_id, envelope, queued_at FROM dead WHERE receipt_id = ?1",
            params![&receipt_id.as_bytes()[..]],
        )?;
        if moved == 0 {
            return Err(OutboxError::NotFound);
        }
        tx.execute(
            "DELETE FROM dead WHERE receipt_id = ?1",
            params![&receipt_id.as_bytes()[..]],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Uploads every waiting receipt, started in counter order with up to
    /// [`OutboxConfig::upload_window`] requests in flight. After the first transient failure
    /// (the platform is down: the rest would fail too) nothing new is started and the uploads
    /// already under way finish; a rejected receipt is set aside and the flush goes on.
    ///
    /// Deletions of delivered receipts are written in batches of 64, one
    /// transaction (one fsync) each, and whatever is left when the flush ends. A crash before a
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
        report.remaining = totals(&self.conn())?.0;
        Ok(report)
    }

    /// The uploads of a flush. This thread reads the queue, hands the receipts in counter
    /// order to up to a window of sender threads (which share the client's connection pool)
    /// and records their results in the same order, so the window slides as one of async
    /// requests would: a receipt is started only when the one a window before it is recorded.
    /// Only this thread touches the database.
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
                        self.failed(counter, &error)?;
                        report.error.get_or_insert(error);
                    }
                }
            }
        })
    }

    fn next_after(&self, counter: i64) -> Result<Option<Next>, OutboxError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT counter, receipt_id, envelope FROM pending WHERE counter > ?1
             ORDER BY counter LIMIT 1",
            params![counter],
            |r| {
                Ok(Next {
                    counter: from_i64(r.get(0)?)?,
                    receipt_id: receipt_id(r.get::<_, Vec<u8>>(1)?)?,
                    envelope: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(OutboxError::from)
    }

    /// Deletes delivered receipts, all in one transaction, and notes the upload; the last error
    /// is cleared only when nothing failed since.
    fn delivered(&self, counters: &[u64], clear_error: bool) -> Result<(), OutboxError> {
        if counters.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM pending WHERE counter = ?1")?;
            for &counter in counters {
                delete.execute(params![to_i64(counter)?])?;
            }
        }
        tx.execute(
            "UPDATE link SET last_upload_at = ?1 WHERE id = 1",
            params![now()],
        )?;
        if clear_error {
            tx.execute(
                "UPDATE link SET last_error = NULL, last_error_at = NULL WHERE id = 1",
                [],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn bury(&self, counter: u64, status: u16, code: &str, reason: &str) -> Result<(), OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR REPLACE INTO dead
               (counter, receipt_id, envelope, queued_at, failed_at, status, code, reason)
             SELECT counter, receipt_id, envelope, queued_at, ?2, ?3, ?4, ?5
               FROM pending WHERE counter = ?1",
            params![to_i64(counter)?, now(), status, code, reason],
        )?;
        tx.execute(
            "DELETE FROM pending WHERE counter = ?1",
            params![to_i64(counter)?],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn failed(&self, counter: u64, error: &UploadError) -> Result<(), OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE pending SET attempts = attempts + 1 WHERE counter = ?1",
            params![to_i64(counter)?],
        )?;
        tx.execute(
            "UPDATE link SET last_error = ?1, last_error_at = ?2 WHERE id = 1",
            params![error.to_string(), now()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn read_state(conn: &Connection) -> Result<Option<ChainState>, OutboxError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT counter, next_previous FROM chain_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((counter, previous)) = row else {
        return Ok(None);
    };
    let next_previous = <[u8; 32]>::try_from(previous).map_err(|_| OutboxError::Storage {
        reason: "the chain state is damaged".into(),
    })?;
    Ok(Some(ChainState {
        counter: u64::try_from(counter).map_err(|_| OutboxError::Storage {
            reason: "the chain state is damaged".into(),
        })?,
        next_previous: ChainValue(next_previous),
    }))
}

/// Waiting receipts and their bytes.
fn totals(conn: &Connection) -> Result<(u64, u64), OutboxError> {
    let (count, bytes): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(length(envelope)), 0) FROM pending",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((
        u64::try_from(count).unwrap_or(0),
        u64::try_from(bytes).unwrap_or(0),
    ))
}

fn receipt_id(bytes: Vec<u8>) -> rusqlite::Result<ReceiptId> {
    <[u8; 16]>::try_from(bytes)
        .map(ReceiptId::from_bytes)
        .map_err(|_| rusqlite::Error::InvalidQuery)
}

fn from_i64(value: i64) -> rusqlite::Result<u64> {
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, value))
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
