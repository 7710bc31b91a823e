//! The outbox on disk: one directory of files, each written whole or not at all.
//!
//! ```text
//! outbox/
//!   FORMAT                 "ereceipt-outbox 1": the layout's version
//!   LOCK                   locked (flock) by whoever changes anything
//!   chain                  the chain state as of the last delete or advance
//!   link                   upload diagnostics (last error, last upload), JSON
//!   pending/<counter>      a queued receipt (20 decimal digits, so names sort by counter)
//!   dead/<counter>         a receipt the platform refused, same bytes
//!   dead/<counter>.why     why it was refused, JSON
//!   tmp/                   files being written
//! ```
//!
//! Every file is written in `tmp/`, fsync'd, renamed into place and its directory fsync'd: a
//! rename is atomic, so a crash leaves the file whole or absent. Issuing needs one rename only,
//! because a receipt file carries the chain state after it: the terminal's chain state is the
//! one in `chain` or in the receipt file with the highest counter, whichever is later. The
//! `chain` file is brought up to date before receipt files are deleted, so the state never goes
//! back. A dead letter's `.why` is written before its receipt is renamed into `dead/`, and
//! removed after it is renamed back: at every instant a file in `dead/` has its reason, and an
//! orphaned `.why` (a crash between the two steps) is removed at the next open.
//!
//! A receipt file (`pending/`, `dead/`), all integers big-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 4 | `ERQ` and the version, 1 |
//! | 8 | counter |
//! | 16 | receipt id |
//! | 8 | queued at, Unix seconds (signed) |
//! | 32 | the chain value after this receipt |
//! | 4 | envelope length |
//! | n | the sealed envelope |
//! | 32 | SHA-256 of everything before it |
//!
//! The `chain` file: `ERC` and version 1, the counter (8), the next chain value (32), and the
//! SHA-256 of those 43 bytes. A file whose checksum or length does not match is reported as
//! damaged, never skipped.

use super::{DeadLetter, OutboxError};
use crate::durable::write_via;
use crate::record::{ChainState, ChainValue, ReceiptId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The outbox's directory inside the terminal directory.
pub const DIR_NAME: &str = "outbox";

/// Where the outbox of builds before this layout was kept (an SQLite database).
pub const LEGACY_FILE: &str = "outbox.sqlite";

const FORMAT: &[u8] = b"ereceipt-outbox 1\n";
const RECEIPT_MAGIC: [u8; 4] = *b"ERQ\x01";
const CHAIN_MAGIC: [u8; 4] = *b"ERC\x01";
const RECEIPT_HEADER: usize = 4 + 8 + 16 + 8 + 32 + 4;
const DIGEST: usize = 32;
/// A receipt file's bytes besides its envelope.
const RECEIPT_OVERHEAD: u64 = (RECEIPT_HEADER + DIGEST) as u64;
const CHAIN_LEN: usize = 4 + 8 + 32 + DIGEST;
const WHY: &str = ".why";

/// A queued receipt as read back.
pub(super) struct StoredReceipt {
    pub(super) counter: u64,
    pub(super) receipt_id: ReceiptId,
    pub(super) queued_at: i64,
    pub(super) next_previous: ChainValue,
    pub(super) envelope: Vec<u8>,
}

/// Why a receipt is in `dead/`.
#[derive(Serialize, Deserialize)]
pub(super) struct Why {
    pub(super) failed_at: i64,
    pub(super) status: u16,
    pub(super) code: String,
    pub(super) reason: String,
}

/// The upload diagnostics in `link`.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Link {
    pub(super) last_error: Option<String>,
    pub(super) last_error_at: Option<i64>,
    pub(super) last_upload_at: Option<i64>,
}

/// One listing of the queues.
pub(super) struct Scan {
    /// Waiting receipts: counter and envelope bytes, ascending.
    pub(super) pending: Vec<(u64, u64)>,
    /// Dead letters' counters, ascending.
    pub(super) dead: Vec<u64>,
}

impl Scan {
    /// Waiting receipts and their envelope bytes.
    pub(super) fn totals(&self) -> (u64, u64) {
        let count = u64::try_from(self.pending.len()).unwrap_or(u64::MAX);
        (count, self.pending.iter().map(|&(_, bytes)| bytes).sum())
    }
}

/// Which queue a receipt file is in.
#[derive(Clone, Copy)]
pub(super) enum Queue {
    Pending,
    Dead,
}

impl Queue {
    fn dir(self) -> &'static str {
        match self {
            Queue::Pending => "pending",
            Queue::Dead => "dead",
        }
    }
}

/// The files of one outbox.
#[derive(Debug)]
pub(super) struct Store {
    dir: PathBuf,
}

/// Held while the outbox is changed or read as a whole: an exclusive `flock` on `LOCK`, taken
/// through a file opened for this one use, so it excludes other threads of this process as well
/// as other processes. The lock goes with the file when it is dropped (or the process dies).
pub(super) struct Locked<'a> {
    store: &'a Store,
    _lock: File,
}

impl Store {
    /// Opens the outbox in `terminal_dir/outbox`, creating it if needed, and removes what an
    /// interrupted write left behind.
    pub(super) fn open(terminal_dir: &Path) -> Result<Self, OutboxError> {
        if terminal_dir.join(LEGACY_FILE).exists() {
            return Err(storage(format!(
                "this directory holds an outbox of an earlier build ({LEGACY_FILE}); upload its \
                 receipts with that build, then remove the file"
            )));
        }
        let dir = terminal_dir.join(DIR_NAME);
        for sub in ["pending", "dead", "tmp"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| io("cannot create the outbox directory", &e))?;
        }
        let store = Store { dir };
        let locked = store.lock()?;
        match std::fs::read(store.dir.join("FORMAT")) {
            Ok(format) if format == FORMAT => {}
            Ok(format) => {
                return Err(storage(format!(
                    "unknown outbox layout {:?}: written by another version of the SDK",
                    String::from_utf8_lossy(&format).trim()
                )));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                locked.write_file(&store.dir.join("FORMAT"), FORMAT)?;
            }
            Err(e) => return Err(io("cannot read the outbox layout", &e)),
        }
        locked.clean()?;
        drop(locked);
        Ok(store)
    }

    /// The outbox directory.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the outbox's lock, waiting for another holder to finish.
    pub(super) fn lock(&self) -> Result<Locked<'_>, OutboxError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("LOCK"))
            .map_err(|e| io("cannot open the outbox lock", &e))?;
        file.lock().map_err(|e| io("cannot lock the outbox", &e))?;
        Ok(Locked {
            store: self,
            _lock: file,
        })
    }

    fn queue_dir(&self, queue: Queue) -> PathBuf {
        self.dir.join(queue.dir())
    }

    fn receipt_path(&self, queue: Queue, counter: u64) -> PathBuf {
        self.queue_dir(queue).join(file_name(counter))
    }

    fn why_path(&self, counter: u64) -> PathBuf {
        self.queue_dir(Queue::Dead)
            .join(format!("{}{WHY}", file_name(counter)))
    }

    /// The counters in a queue, ascending.
    pub(super) fn counters(&self, queue: Queue) -> Result<Vec<u64>, OutboxError> {
        let mut counters = Vec::new();
        for entry in read_dir(&self.queue_dir(queue))? {
            if let Some(counter) = parse_name(&entry.file_name()) {
                counters.push(counter);
            }
        }
        counters.sort_unstable();
        Ok(counters)
    }

    /// The waiting receipts' counters (ascending) and envelope sizes, and the dead letters'
    /// counters: one listing of each directory.
    pub(super) fn scan(&self) -> Result<Scan, OutboxError> {
        let mut pending = Vec::new();
        for entry in read_dir(&self.queue_dir(Queue::Pending))? {
            let Some(counter) = parse_name(&entry.file_name()) else {
                continue;
            };
            match entry.metadata() {
                Ok(meta) => pending.push((counter, meta.len().saturating_sub(RECEIPT_OVERHEAD))),
                // Delivered and deleted by a flush since the listing.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(io("cannot read the outbox", &e)),
            }
        }
        pending.sort_unstable();
        Ok(Scan {
            pending,
            dead: self.counters(Queue::Dead)?,
        })
    }

    /// A receipt file, read whole and checked; `None` when it is not (or no longer) there.
    pub(super) fn read_receipt(
        &self,
        queue: Queue,
        counter: u64,
    ) -> Result<Option<StoredReceipt>, OutboxError> {
        let bytes = match std::fs::read(self.receipt_path(queue, counter)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("cannot read a queued receipt", &e)),
        };
        decode_receipt(&bytes)
            .filter(|r| r.counter == counter)
            .map(Some)
            .ok_or_else(|| damaged(&format!("receipt file {counter}")))
    }

    /// The `chain` file's state, if written.
    fn chain_file(&self) -> Result<Option<ChainState>, OutboxError> {
        let bytes = match std::fs::read(self.dir.join("chain")) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("cannot read the chain state", &e)),
        };
        decode_chain(&bytes)
            .map(Some)
            .ok_or_else(|| damaged("the chain state"))
    }

    /// The terminal's chain state: the `chain` file's, or the one carried by the receipt with
    /// the highest counter when that is later.
    pub(super) fn chain_state(&self) -> Result<Option<ChainState>, OutboxError> {
        let pending = self.counters(Queue::Pending)?;
        let dead = self.counters(Queue::Dead)?;
        self.chain_state_after(pending.last().copied(), dead.last().copied())
    }

    /// The chain state given the highest waiting and dead counters as listed.
    pub(super) fn chain_state_after(
        &self,
        pending: Option<u64>,
        dead: Option<u64>,
    ) -> Result<Option<ChainState>, OutboxError> {
        let from_file = self.chain_file()?;
        let latest = match (pending, dead) {
            (Some(p), Some(d)) if d > p => Some((d, Queue::Dead)),
            (Some(p), _) => Some((p, Queue::Pending)),
            (None, Some(d)) => Some((d, Queue::Dead)),
            (None, None) => None,
        };
        let Some((counter, queue)) = latest else {
            return Ok(from_file);
        };
        if from_file.as_ref().is_some_and(|s| s.counter >= counter) {
            return Ok(from_file);
        }
        // Not found: requeued or delivered between the listing and the read, which only a
        // reader without the lock (none acts on the answer) can see.
        Ok(match self.read_receipt(queue, counter)? {
            Some(r) => Some(ChainState {
                counter: r.counter,
                next_previous: r.next_previous,
            }),
            None => from_file,
        })
    }

    /// The upload diagnostics; a damaged `link` file (it is diagnostics only, written without
    /// waiting for the disk) reads as empty.
    pub(super) fn link(&self) -> Link {
        std::fs::read(self.dir.join("link"))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Why a dead letter was refused.
    pub(super) fn why(&self, counter: u64) -> Result<Why, OutboxError> {
        let bytes = std::fs::read(self.why_path(counter))
            .map_err(|e| io("cannot read a dead letter's reason", &e))?;
        serde_json::from_slice(&bytes).map_err(|_| damaged(&format!("dead letter {counter}")))
    }

    /// The dead letters, oldest counter first.
    pub(super) fn dead_letters(&self) -> Result<Vec<DeadLetter>, OutboxError> {
        let mut letters = Vec::new();
        for counter in self.counters(Queue::Dead)? {
            let Some(receipt) = self.read_receipt(Queue::Dead, counter)? else {
                continue;
            };
            let why = self.why(counter)?;
            letters.push(DeadLetter {
                receipt_id: receipt.receipt_id,
                counter,
                status: why.status,
                code: why.code,
                reason: why.reason,
                failed_at: why.failed_at,
            });
        }
        Ok(letters)
    }
}

impl Locked<'_> {
    /// Removes unfinished writes and reasons of dead letters that were requeued.
    fn clean(&self) -> Result<(), OutboxError> {
        for entry in read_dir(&self.store.dir.join("tmp"))? {
            remove(&entry.path())?;
        }
        let dead = self.store.queue_dir(Queue::Dead);
        for entry in read_dir(&dead)? {
            let name = entry.file_name();
            let Some(counter) = name
                .to_str()
                .and_then(|n| n.strip_suffix(WHY))
                .and_then(|n| parse_name(n.as_ref()))
            else {
                continue;
            };
            if !self.store.receipt_path(Queue::Dead, counter).exists() {
                remove(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Writes `path` whole: a file in `tmp/`, fsync, rename, fsync of the directory.
    fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), OutboxError> {
        self.write_with(path, bytes, true)
    }

    fn write_with(&self, path: &Path, bytes: &[u8], durable: bool) -> Result<(), OutboxError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = self.store.dir.join("tmp").join(format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        write_via(&tmp, path, bytes, false, durable)
            .map_err(|e| io("cannot write to the outbox", &e))?;
        if durable {
            sync_dir(path.parent().unwrap_or(&self.store.dir))?;
        }
        Ok(())
    }

    /// Writes the `chain` file.
    pub(super) fn write_chain(&self, state: &ChainState) -> Result<(), OutboxError> {
        self.write_file(&self.store.dir.join("chain"), &encode_chain(state))
    }

    /// Queues a receipt; `next` is the chain state after it.
    pub(super) fn put(
        &self,
        next: &ChainState,
        receipt_id: &ReceiptId,
        envelope: &[u8],
        queued_at: i64,
    ) -> Result<(), OutboxError> {
        let bytes = encode_receipt(next, receipt_id, queued_at, envelope)?;
        self.write_file(
            &self.store.receipt_path(Queue::Pending, next.counter),
            &bytes,
        )
    }

    /// Deletes delivered receipts, bringing `chain` up to date first so that the state does
    /// not go back with the receipt that carried it.
    pub(super) fn delete(&self, counters: &[u64]) -> Result<(), OutboxError> {
        let current = self.store.chain_state()?;
        if let Some(current) = current
            && self.store.chain_file()?.as_ref() != Some(&current)
        {
            self.write_chain(&current)?;
        }
        for &counter in counters {
            match std::fs::remove_file(self.store.receipt_path(Queue::Pending, counter)) {
                Err(e) if e.kind() != ErrorKind::NotFound => {
                    return Err(io("cannot delete a delivered receipt", &e));
                }
                _ => {}
            }
        }
        sync_dir(&self.store.queue_dir(Queue::Pending))
    }

    /// Moves a pending receipt to the dead letters with its reason.
    pub(super) fn bury(&self, counter: u64, why: &Why) -> Result<(), OutboxError> {
        let from = self.store.receipt_path(Queue::Pending, counter);
        if !from.exists() {
            return Ok(());
        }
        let json = serde_json::to_vec(why).map_err(|e| storage(e.to_string()))?;
        self.write_file(&self.store.why_path(counter), &json)?;
        std::fs::rename(&from, self.store.receipt_path(Queue::Dead, counter))
            .map_err(|e| io("cannot set a refused receipt aside", &e))?;
        sync_dir(&self.store.queue_dir(Queue::Dead))?;
        sync_dir(&self.store.queue_dir(Queue::Pending))
    }

    /// Moves a dead letter back to the queue; false when there is none with that id.
    pub(super) fn requeue(&self, receipt_id: &ReceiptId) -> Result<bool, OutboxError> {
        for counter in self.store.counters(Queue::Dead)? {
            let Some(receipt) = self.store.read_receipt(Queue::Dead, counter)? else {
                continue;
            };
            if receipt.receipt_id != *receipt_id {
                continue;
            }
            std::fs::rename(
                self.store.receipt_path(Queue::Dead, counter),
                self.store.receipt_path(Queue::Pending, counter),
            )
            .map_err(|e| io("cannot requeue a dead letter", &e))?;
            sync_dir(&self.store.queue_dir(Queue::Pending))?;
            sync_dir(&self.store.queue_dir(Queue::Dead))?;
            remove(&self.store.why_path(counter))?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Rewrites the upload diagnostics. Not fsync'd: losing them to a power cut costs nothing
    /// but a stale status line.
    pub(super) fn update_link(&self, change: impl FnOnce(&mut Link)) -> Result<(), OutboxError> {
        let mut link = self.store.link();
        change(&mut link);
        let json = serde_json::to_vec(&link).map_err(|e| storage(e.to_string()))?;
        self.write_with(&self.store.dir.join("link"), &json, false)
    }
}

impl std::ops::Deref for Locked<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        self.store
    }
}

fn file_name(counter: u64) -> String {
    format!("{counter:020}")
}

fn parse_name(name: &std::ffi::OsStr) -> Option<u64> {
    let name = name.to_str()?;
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

fn encode_receipt(
    next: &ChainState,
    receipt_id: &ReceiptId,
    queued_at: i64,
    envelope: &[u8],
) -> Result<Vec<u8>, OutboxError> {
    let len = u32::try_from(envelope.len()).map_err(|_| storage("envelope too large".into()))?;
    let mut bytes = Vec::with_capacity(RECEIPT_HEADER + envelope.len() + DIGEST);
    bytes.extend_from_slice(&RECEIPT_MAGIC);
    bytes.extend_from_slice(&next.counter.to_be_bytes());
    bytes.extend_from_slice(receipt_id.as_bytes());
    bytes.extend_from_slice(&queued_at.to_be_bytes());
    bytes.extend_from_slice(&next.next_previous.0);
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(envelope);
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    Ok(bytes)
}

fn decode_receipt(bytes: &[u8]) -> Option<StoredReceipt> {
    let body = checked(bytes, &RECEIPT_MAGIC)?;
    let mut r = Reader(body.get(4..)?);
    let counter = u64::from_be_bytes(r.take()?);
    let receipt_id = ReceiptId::from_bytes(r.take()?);
    let queued_at = i64::from_be_bytes(r.take()?);
    let next_previous = ChainValue(r.take()?);
    let len = usize::try_from(u32::from_be_bytes(r.take()?)).ok()?;
    (r.0.len() == len).then(|| StoredReceipt {
        counter,
        receipt_id,
        queued_at,
        next_previous,
        envelope: r.0.to_vec(),
    })
}

fn encode_chain(state: &ChainState) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(CHAIN_LEN);
    bytes.extend_from_slice(&CHAIN_MAGIC);
    bytes.extend_from_slice(&state.counter.to_be_bytes());
    bytes.extend_from_slice(&state.next_previous.0);
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    bytes
}

fn decode_chain(bytes: &[u8]) -> Option<ChainState> {
    if bytes.len() != CHAIN_LEN {
        return None;
    }
    let mut r = Reader(checked(bytes, &CHAIN_MAGIC)?.get(4..)?);
    Some(ChainState {
        counter: u64::from_be_bytes(r.take()?),
        next_previous: ChainValue(r.take()?),
    })
}

/// The bytes before the trailing SHA-256, when it matches and the file starts with `magic`.
fn checked<'a>(bytes: &'a [u8], magic: &[u8; 4]) -> Option<&'a [u8]> {
    let (body, digest) = bytes.split_at_checked(bytes.len().checked_sub(DIGEST)?)?;
    (body.starts_with(magic) && Sha256::digest(body).as_slice() == digest).then_some(body)
}

/// Reads fixed-size fields in order.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (field, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*field)
    }
}

fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, OutboxError> {
    std::fs::read_dir(dir)
        .and_then(Iterator::collect)
        .map_err(|e| io("cannot read the outbox", &e))
}

fn remove(path: &Path) -> Result<(), OutboxError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(io("cannot clean the outbox", &e)),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<(), OutboxError> {
    crate::durable::sync_dir(dir).map_err(|e| io("cannot sync the outbox directory", &e))
}

fn storage(reason: String) -> OutboxError {
    OutboxError::Storage { reason }
}

fn io(what: &str, e: &std::io::Error) -> OutboxError {
    storage(format!("{what}: {e}"))
}

fn damaged(what: &str) -> OutboxError {
    storage(format!("{what} is damaged (checksum or length mismatch)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_file_round_trips_and_any_flipped_bit_is_caught() {
        let next = ChainState {
            counter: 42,
            next_previous: ChainValue([7; 32]),
        };
        let id = ReceiptId::from_bytes([3; 16]);
        let bytes = encode_receipt(&next, &id, 1_764_000_000, b"sealed").unwrap();
        assert_eq!(bytes.len() as u64, RECEIPT_OVERHEAD + 6);
        let back = decode_receipt(&bytes).unwrap();
        assert_eq!(
            (
                back.counter,
                back.receipt_id,
                back.queued_at,
                back.next_previous
            ),
            (42, id, 1_764_000_000, ChainValue([7; 32]))
        );
        assert_eq!(back.envelope, b"sealed");
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_receipt(&flipped).is_none(), "bit {bit}");
        }
        assert!(decode_receipt(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode_receipt(&[]).is_none());
    }

    #[test]
    fn a_chain_file_round_trips_and_a_damaged_one_is_refused() {
        let state = ChainState {
            counter: u64::MAX,
            next_previous: ChainValue([9; 32]),
        };
        let bytes = encode_chain(&state);
        assert_eq!(decode_chain(&bytes), Some(state));
        let mut damaged = bytes.clone();
        damaged[5] ^= 1;
        assert_eq!(decode_chain(&damaged), None);
        assert_eq!(decode_chain(&bytes[..CHAIN_LEN - 1]), None);
    }

    #[test]
    fn only_twenty_digit_names_are_receipts() {
        assert_eq!(parse_name("00000000000000000042".as_ref()), Some(42));
        for name in ["42", "0000000000000000004x", "00000000000000000042.why", ""] {
            assert_eq!(parse_name(name.as_ref()), None, "{name}");
        }
        assert_eq!(file_name(42), "00000000000000000042");
    }
}
