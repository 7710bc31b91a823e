//! The receipt writer: one task per instance that writes stored receipts in batches.
//!
//! Ingest is CPU-bound (RSA, ECDSA, parsing) and runs on every core; writing a receipt is a
//! handful of short statements (terminal lock, row, chain checks, job). Written one
//! transaction per receipt, SQLite's single writer is held across every round trip of every
//! receipt, and under full CPU load each round trip waits for a core: the writer, not the CPU,
//! becomes the limit. So uploads hand their rows to this task, which writes whatever has queued
//! up (at most [`MAX_BATCH`]) in one transaction and answers each upload after the commit.
//!
//! Uploads arrive one at a time, a CPU-bound decryption apart, so a writer that took only what
//! had queued would write batches of one: a transaction and a pack file per receipt. While
//! more uploads are in flight on this instance it waits up to [`LINGER`] for them to join the
//! batch (group commit); an upload on an idle platform is written at once.
//!
//! Each batch's envelopes and images go into one pack object ([`crate::blobs`]), stored before
//! the transaction that names it: one object write per batch instead of two per receipt.
//!
//! Receipts are written in (merchant, terminal, counter) order, each terminal's run under one
//! lock of its row: batches on several instances lock terminal rows in the same order and
//! cannot deadlock on PostgreSQL, and consecutive receipts of one terminal in a batch find their
//! predecessor already written instead of recording a gap and resolving it a statement later.
//! A receipt that loses a race on its id (another upload of the same id, here or on another
//! instance) is skipped by its insert (`ON CONFLICT DO NOTHING`), writes nothing else and is
//! reported as [`Inserted::Exists`]. The batch's verification jobs are one statement. A
//! receipt costs two statements (its row and its chain neighbours) when the chain is whole and
//! no delivery is queued.
//! Nothing waits here longer than one batch; a queued receipt that is never written (the
//! process dies) was never acknowledged, and its terminal sends it again.

use crate::blobs::{Blobs, Pack};
use crate::chain;
use crate::db::receipts::{self, ChainKey, NewReceipt};
use crate::db::{self, Db, Tx, jobs, merchants};
use crate::error::PlatformError;
use axum::body::Bytes;
use ereceipt_core::record::ChainValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};

/// The most receipts written in one transaction.
pub(crate) const MAX_BATCH: usize = 64;

/// How long a batch waits for uploads still in flight to join it. Under load (16 connections)
/// 1 ms and 3 ms measured the same within the machine's noise; every upload may wait this
/// long, so it stays short.
pub(crate) const LINGER: Duration = Duration::from_millis(2);

/// What writing a receipt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// The row is new.
    Created,
    /// A receipt with this id was stored first; compare contents.
    Exists,
    /// Nothing was written: the receipt's certificate may not store receipts.
    Refused(Refusal),
}

/// Why the writer refused a receipt. The certificate is checked in the batch's transaction,
/// after the terminal's lock, so a revocation committed before the receipt's batch refuses it
/// (also when the certificate is in [`crate::verified`]'s cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The platform never issued this certificate (its exact bytes).
    UnknownCertificate,
    /// It was issued, to another terminal or merchant.
    OtherTerminal,
    /// It has been revoked.
    Revoked,
}

struct Pending {
    /// The row; its `envelope_key` and `image_key` are set when the pack is filled.
    receipt: NewReceipt,
    envelope: Bytes,
    png: Bytes,
    reply: oneshot::Sender<Result<Inserted, PlatformError>>,
}

/// The handle uploads use to reach the writer task.
#[derive(Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Pending>,
}

impl Writer {
    /// Starts the writer task; it ends when the last handle is dropped. `written` is notified
    /// after each commit (verification jobs were queued); `in_flight` counts the uploads this
    /// instance is ingesting.
    pub(crate) fn start(
        db: Db,
        blobs: Blobs,
        written: Arc<Notify>,
        in_flight: Arc<AtomicUsize>,
    ) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(db, blobs, rx, written, in_flight));
        Writer { queue }
    }

    /// Stores a receipt's envelope and image and writes its row with its chain findings,
    /// delivery and verification job, if its certificate may store receipts.
    pub(crate) async fn insert(
        &self,
        receipt: NewReceipt,
        envelope: Bytes,
        png: Bytes,
    ) -> Result<Inserted, PlatformError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || PlatformError::config("the receipt writer has stopped");
        self.queue
            .send(Pending {
                receipt,
                envelope,
                png,
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(
    db: Db,
    blobs: Blobs,
    mut rx: mpsc::Receiver<Pending>,
    written: Arc<Notify>,
    in_flight: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < MAX_BATCH && in_flight.load(Ordering::Relaxed) > batch.len() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(pending)) => batch.push(pending),
                Ok(None) | Err(_) => break,
            }
        }
        batch.sort_by(|a, b| {
            let (a, b) = (&a.receipt, &b.receipt);
            (&a.merchant_id, &a.terminal_id, a.counter).cmp(&(
                &b.merchant_id,
                &b.terminal_id,
                b.counter,
            ))
        });
        if let Err(error) = store_parts(&blobs, &mut batch).await {
            tracing::error!(%error, receipts = batch.len(), "storing a pack failed");
            for pending in batch.drain(..) {
                let _ = pending
                    .reply
                    .send(Err(PlatformError::config("storing failed")));
            }
            continue;
        }
        match write(&db, &batch).await {
            Ok(results) => {
                written.notify_waiters();
                for (pending, result) in batch.drain(..).zip(results) {
                    let _ = pending.reply.send(Ok(result));
                }
            }
            Err(error) => {
                tracing::error!(%error, receipts = batch.len(), "writing receipts failed");
                for pending in batch.drain(..) {
                    let _ = pending
                        .reply
                        .send(Err(PlatformError::config("writing failed")));
                }
            }
        }
    }
}

/// Packs the batch's envelopes and images into one object, stores it and points the rows at
/// their parts.
async fn store_parts(blobs: &Blobs, batch: &mut [Pending]) -> Result<(), PlatformError> {
    let mut pack = Pack::new()?;
    for pending in batch.iter_mut() {
        pending.receipt.envelope_key = pack.add(&pending.envelope);
        pending.receipt.image_key = pack.add(&pending.png);
    }
    if pack.is_empty() {
        return Ok(());
    }
    pack.store(blobs).await
}

async fn write(db: &Db, batch: &[Pending]) -> Result<Vec<Inserted>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    let same_terminal = |a: &Pending, b: &Pending| {
        (&a.receipt.merchant_id, &a.receipt.terminal_id)
            == (&b.receipt.merchant_id, &b.receipt.terminal_id)
    };
    for run in batch.chunk_by(same_terminal) {
        results.extend(write_run(&mut tx, run, now).await?);
    }
    let created: Vec<&str> = batch
        .iter()
        .zip(&results)
        .filter(|(_, result)| **result == Inserted::Created)
        .map(|(pending, _)| pending.receipt.receipt_id.as_str())
        .collect();
    jobs::enqueue_all(&mut tx, jobs::VERIFY, &created, now).await?;
    tx.commit().await?;
    Ok(results)
}

/// One terminal's receipts of a batch, under one lock of its row. The lock counts them all;
/// those not stored are taken off the count again.
async fn write_run(tx: &mut Tx, run: &[Pending], now: i64) -> Result<Vec<Inserted>, sqlx::Error> {
    let (merchant_id, terminal_id) = (&run[0].receipt.merchant_id, &run[0].receipt.terminal_id);
    let count = i64::try_from(run.len()).unwrap_or(i64::MAX);
    if !receipts::lock_terminal(tx, merchant_id, terminal_id, count, now).await? {
        return Ok(vec![
            Inserted::Refused(Refusal::UnknownCertificate);
            run.len()
        ]);
    }
    // Usually one certificate per terminal: looked up once per run.
    let mut certificates: Vec<(&str, Result<(), Refusal>)> = Vec::new();
    let mut results = Vec::with_capacity(run.len());
    for pending in run {
        let receipt = &pending.receipt;
        let fingerprint = receipt.certificate_fingerprint.as_str();
        let issued = match certificates.iter().find(|(f, _)| *f == fingerprint) {
            Some((_, issued)) => *issued,
            None => {
                let issued = may_store(tx, receipt).await?;
                certificates.push((fingerprint, issued));
                issued
            }
        };
        results.push(match issued {
            Err(refusal) => Inserted::Refused(refusal),
            Ok(()) if write_one(tx, receipt, now).await? => Inserted::Created,
            Ok(()) => Inserted::Exists,
        });
    }
    let not_stored = results.iter().filter(|r| **r != Inserted::Created).count();
    if not_stored > 0 {
        let not_stored = i64::try_from(not_stored).unwrap_or(i64::MAX);
        receipts::lock_terminal(tx, merchant_id, terminal_id, -not_stored, now).await?;
    }
    Ok(results)
}

/// Whether the receipt's certificate is one the platform issued to its terminal and has not
/// revoked.
async fn may_store(tx: &mut Tx, receipt: &NewReceipt) -> Result<Result<(), Refusal>, sqlx::Error> {
    let Some(row) = merchants::issued(tx, &receipt.certificate_fingerprint).await? else {
        return Ok(Err(Refusal::UnknownCertificate));
    };
    Ok(
        if row.merchant_id != receipt.merchant_id || row.terminal_id != receipt.terminal_id {
            Err(Refusal::OtherTerminal)
        } else if row.revoked_at.is_some() {
            Err(Refusal::Revoked)
        } else {
            Ok(())
        },
    )
}

/// The receipt row, its chain findings and its delivery, under its terminal's lock; `false`
/// when a receipt with its id was stored first (here or on another instance).
async fn write_one(tx: &mut Tx, new: &NewReceipt, now: i64) -> Result<bool, sqlx::Error> {
    if !receipts::insert(tx, new, now).await? {
        return Ok(false);
    }
    let genesis = ChainValue::genesis(&new.terminal_id).to_hex();
    let link = chain::Link {
        key: ChainKey {
            merchant_id: &new.merchant_id,
            terminal_id: &new.terminal_id,
            receipt_id: &new.receipt_id,
        },
        counter: new.counter,
        previous: &new.previous,
        value: &new.content_hash,
        genesis: &genesis,
    };
    chain::check(tx, &link, now).await?;
    if let Some(delivery) = &new.delivery {
        crate::delivery::queue::insert(tx, &new.receipt_id, &new.merchant_id, delivery, now)
            .await?;
    }
    Ok(true)
}
