//! The `deliveries` table, each row its own job, and the receipt links.
//!
//! A delivery is claimed like a verification job (the `db::jobs` module): one statement sets
//! a lease and counts the attempt, picking the row `FOR UPDATE SKIP LOCKED` on PostgreSQL and
//! relying on SQLite's single writer there. Delivery rows are not in the `jobs` table because
//! they carry what jobs do not (the sealed address, the status the merchant queries, the
//! reason of a failure). Every later update names the lease it holds (`locked_until`), so a
//! worker that lost its lease (it stalled past [`LEASE_SECONDS`]) cannot overwrite what the
//! next holder recorded.

use crate::db::receipts::{RECEIPT_COLUMNS, ReceiptRow};
use crate::db::{Db, Pool, Tx, on_pool, on_tx};

/// How long a claimed delivery is reserved for its worker: longer than any send may take
/// (the SMTP and HTTP timeouts are 30 seconds).
pub(crate) const LEASE_SECONDS: i64 = 300;

/// Delivery statuses.
pub(crate) mod status {
    /// Waiting to be sent (or to be retried).
    pub(crate) const QUEUED: &str = "queued";
    /// Handed to the SMTP server, the gateway or the outbox.
    pub(crate) const SENT: &str = "sent";
    /// Given up; the reason says why.
    pub(crate) const FAILED: &str = "failed";
}

/// A delivery as ingest queues it.
#[derive(Clone, Debug)]
pub(crate) struct NewDelivery {
    pub(crate) channel: &'static str,
    /// The address, encrypted (`DeliveryKeys::seal_address`).
    pub(crate) address_sealed: String,
    /// The keyed hash of the phone number (not for e-mail).
    pub(crate) phone_hash: Option<String>,
}

/// A claimed delivery.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct Claimed {
    pub(crate) id: i64,
    pub(crate) receipt_id: String,
    pub(crate) channel: String,
    pub(crate) address_sealed: String,
    pub(crate) attempts: i64,
    pub(crate) locked_until: i64,
}

/// A delivery's state, as the merchant sees it (no address).
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct StatusRow {
    pub(crate) channel: String,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    pub(crate) attempts: i64,
    pub(crate) sent_at: Option<i64>,
}

/// Queues the delivery of a receipt, in the transaction that stores it.
pub(crate) async fn insert(
    tx: &mut Tx,
    receipt_id: &str,
    merchant_id: &str,
    d: &NewDelivery,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO deliveries (receipt_id, merchant_id, channel, \
        address_sealed, phone_hash, run_after, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
    on_tx!(tx, c => sqlx::query(SQL).bind(receipt_id).bind(merchant_id).bind(d.channel)
        .bind(&d.address_sealed).bind(&d.phone_hash).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE deliveries SET locked_until = $1, attempts = attempts + 1 WHERE id = (",
            "SELECT id FROM deliveries WHERE status = 'queued' AND run_after <= $2 ",
            "AND (locked_until IS NULL OR locked_until <= $2) ORDER BY id LIMIT 1",
            $lock,
            ") RETURNING id, receipt_id, channel, address_sealed, attempts, locked_until"
        )
    };
}

/// Claims the oldest due delivery, if any.
pub(crate) async fn claim(db: &Db, now: i64) -> Result<Option<Claimed>, sqlx::Error> {
    let sql = if db.is_postgres() {
        claim_sql!(" FOR UPDATE SKIP LOCKED")
    } else {
        claim_sql!("")
    };
    on_pool!(db.write(), p => sqlx::query_as(sql)
        .bind(now + LEASE_SECONDS).bind(now).fetch_optional(p).await)
}

/// Records the end of an attempt under the lease `job` holds: `status` with `reason`, and
/// when still queued the time to retry at. `false` when the lease was lost.
pub(crate) async fn settle(
    pool: &Pool,
    job: &Claimed,
    status: &str,
    reason: Option<&str>,
    run_after: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE deliveries SET status = $3, reason = $4, run_after = $5, \
        locked_until = NULL, sent_at = CASE WHEN $3 = 'sent' THEN $6 ELSE sent_at END \
        WHERE id = $1 AND locked_until = $2";
    let done = on_pool!(pool, p => sqlx::query(SQL).bind(job.id).bind(job.locked_until)
        .bind(status).bind(reason).bind(run_after).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// The delivery of a receipt.
pub(crate) async fn of_receipt(
    pool: &Pool,
    receipt_id: &str,
) -> Result<Option<StatusRow>, sqlx::Error> {
    const SQL: &str = "SELECT channel, status, reason, attempts, sent_at FROM deliveries \
                       WHERE receipt_id = $1";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(receipt_id).fetch_optional(p).await)
}

/// Deliveries not settled yet (queued).
pub(crate) async fn queued(pool: &Pool) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM deliveries WHERE status = 'queued'";
    let (n,): (i64,) = on_pool!(pool, p => sqlx::query_as(SQL).fetch_one(p).await)?;
    Ok(n)
}

/// Every receipt delivered to a phone number (by its hash), newest first.
pub(crate) async fn receipts_of_phone(
    pool: &Pool,
    phone_hash: &str,
) -> Result<Vec<ReceiptRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE receipt_id IN \
         (SELECT receipt_id FROM deliveries WHERE phone_hash = $1) \
         ORDER BY local_time DESC, seq DESC LIMIT 1000"
    );
    on_pool!(pool, p => sqlx::query_as(&sql).bind(phone_hash).fetch_all(p).await)
}

/// One receipt delivered to a phone number; `None` for any other (guessed ids included).
pub(crate) async fn receipt_of_phone(
    pool: &Pool,
    phone_hash: &str,
    receipt_id: &str,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE receipt_id = $2 AND receipt_id IN \
         (SELECT receipt_id FROM deliveries WHERE phone_hash = $1)"
    );
    on_pool!(pool, p => sqlx::query_as(&sql).bind(phone_hash).bind(receipt_id)
        .fetch_optional(p).await)
}

/// Whether any receipt was delivered to a phone number.
pub(crate) async fn phone_known(pool: &Pool, phone_hash: &str) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM deliveries WHERE phone_hash = $1";
    let (n,): (i64,) =
        on_pool!(pool, p => sqlx::query_as(SQL).bind(phone_hash).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Stores a link (by its token's SHA-256).
pub(crate) async fn add_link(
    pool: &Pool,
    token_hash: &str,
    receipt_id: &str,
    purpose: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO receipt_links (token_hash, receipt_id, purpose, expires_at) \
                       VALUES ($1, $2, $3, $4)";
    on_pool!(pool, p => sqlx::query(SQL).bind(token_hash).bind(receipt_id).bind(purpose)
        .bind(expires_at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The receipt a link leads to, while it is valid.
pub(crate) async fn follow_link(
    pool: &Pool,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE receipt_id = \
         (SELECT receipt_id FROM receipt_links WHERE token_hash = $1 AND purpose = $2 \
          AND expires_at > $3)"
    );
    on_pool!(pool, p => sqlx::query_as(&sql).bind(token_hash).bind(purpose).bind(now)
        .fetch_optional(p).await)
}
