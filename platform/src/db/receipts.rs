//! Stored receipts, their chain findings and verification results.

use super::{Pool, Tx, on_pool, on_tx};

/// A receipt as ingest stores it.
#[derive(Clone, Debug)]
pub(crate) struct NewReceipt {
    pub(crate) receipt_id: String,
    pub(crate) merchant_id: String,
    pub(crate) terminal_id: String,
    pub(crate) counter: i64,
    pub(crate) previous: String,
    pub(crate) content_hash: String,
    pub(crate) envelope_sha256: String,
    pub(crate) envelope_key: String,
    pub(crate) image_key: String,
    pub(crate) key_id: String,
    pub(crate) certificate_fingerprint: String,
    pub(crate) signed: bool,
    pub(crate) kind: String,
    pub(crate) trace_number: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) local_time: String,
    pub(crate) local_date: String,
    pub(crate) record: String,
    pub(crate) delivery_kind: Option<String>,
    /// The delivery job to queue with the receipt (address sealed), if the customer chose one.
    pub(crate) delivery: Option<crate::delivery::queue::NewDelivery>,
}

/// What identifies a stored receipt's content, for duplicate checks.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct StoredIdentity {
    pub(crate) content_hash: String,
    pub(crate) envelope_sha256: String,
}

/// The columns of a receipt a merchant sees.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct ReceiptRow {
    pub(crate) seq: i64,
    pub(crate) receipt_id: String,
    pub(crate) merchant_id: String,
    pub(crate) terminal_id: String,
    pub(crate) counter: i64,
    pub(crate) previous: String,
    pub(crate) content_hash: String,
    pub(crate) image_key: String,
    pub(crate) signed: bool,
    pub(crate) kind: String,
    pub(crate) trace_number: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) local_time: String,
    pub(crate) record: String,
    pub(crate) received_at: i64,
    pub(crate) verification: String,
    pub(crate) verification_report: Option<String>,
}

/// A chain finding.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct FindingRow {
    pub(crate) terminal_id: String,
    pub(crate) kind: String,
    pub(crate) counter: i64,
    pub(crate) receipt_id: String,
    pub(crate) detail: String,
    pub(crate) found_at: i64,
    pub(crate) resolved_at: Option<i64>,
}

/// One link of a terminal's chain as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct LinkRow {
    pub(crate) receipt_id: String,
    pub(crate) counter: i64,
    pub(crate) previous: String,
    pub(crate) content_hash: String,
}

pub(crate) const RECEIPT_COLUMNS: &str = "seq, receipt_id, merchant_id, terminal_id, counter, previous, \
    content_hash, image_key, signed, kind, trace_number, amount, currency, local_time, record, \
    received_at, verification, verification_report";

/// Takes the terminal's row lock (PostgreSQL) or the write lock (SQLite) for the rest of the
/// transaction and counts `count` receipts; `false` when the terminal is unknown.
pub(crate) async fn lock_terminal(
    tx: &mut Tx,
    merchant_id: &str,
    terminal_id: &str,
    count: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE terminals SET receipts = receipts + $3, last_receipt_at = $4 \
                       WHERE merchant_id = $1 AND terminal_id = $2";
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(merchant_id).bind(terminal_id).bind(count).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Inserts the receipt's row; `false` (and nothing written) when a receipt with its id is
/// stored already. On PostgreSQL an uncommitted insert of the same id by another transaction
/// is waited for.
pub(crate) async fn insert(tx: &mut Tx, r: &NewReceipt, now: i64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "INSERT INTO receipts (receipt_id, merchant_id, terminal_id, counter, \
        previous, content_hash, envelope_sha256, envelope_key, image_key, key_id, \
        certificate_fingerprint, signed, kind, trace_number, amount, currency, local_time, \
        local_date, record, delivery_kind, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
        $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
        ON CONFLICT (receipt_id) DO NOTHING";
    let inserted = on_tx!(tx, c => sqlx::query(SQL)
        .bind(&r.receipt_id).bind(&r.merchant_id).bind(&r.terminal_id).bind(r.counter)
        .bind(&r.previous).bind(&r.content_hash).bind(&r.envelope_sha256).bind(&r.envelope_key)
        .bind(&r.image_key).bind(&r.key_id).bind(&r.certificate_fingerprint).bind(r.signed)
        .bind(&r.kind).bind(&r.trace_number).bind(r.amount).bind(&r.currency)
        .bind(&r.local_time).bind(&r.local_date).bind(&r.record).bind(&r.delivery_kind)
        .bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(inserted == 1)
}

/// The content identity of a stored receipt, by id (of any merchant).
pub(crate) async fn identity(
    pool: &Pool,
    receipt_id: &str,
) -> Result<Option<StoredIdentity>, sqlx::Error> {
    const SQL: &str = "SELECT content_hash, envelope_sha256 FROM receipts WHERE receipt_id = $1";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(receipt_id).fetch_optional(p).await)
}

/// A merchant's receipt by id; another merchant's is `None`.
pub(crate) async fn of_merchant(
    pool: &Pool,
    merchant_id: &str,
    receipt_id: &str,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE merchant_id = $1 AND receipt_id = $2"
    );
    on_pool!(pool, p => sqlx::query_as(&sql).bind(merchant_id).bind(receipt_id)
        .fetch_optional(p).await)
}

/// A receipt by id, for the verification job.
pub(crate) async fn by_id(
    pool: &Pool,
    receipt_id: &str,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    let sql = format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE receipt_id = $1");
    on_pool!(pool, p => sqlx::query_as(&sql).bind(receipt_id).fetch_optional(p).await)
}

/// A bound value of a dynamically built query.
#[derive(Clone, Debug)]
pub(crate) enum Param {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// A merchant's receipts matching `conditions` (SQL fragments using `$2`, `$3`, … in the
/// order of `params`; `$1` is the merchant), after sequence number `after`, oldest first.
pub(crate) async fn search(
    pool: &Pool,
    merchant_id: &str,
    conditions: &[String],
    params: &[Param],
    limit: i64,
) -> Result<Vec<ReceiptRow>, sqlx::Error> {
    let mut sql = format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE merchant_id = $1");
    for condition in conditions {
        sql.push_str(" AND ");
        sql.push_str(condition);
    }
    sql.push_str(&format!(" ORDER BY seq LIMIT {limit}"));
    on_pool!(pool, p => {
        let mut query = sqlx::query_as(&sql).bind(merchant_id);
        for param in params {
            query = match param {
                Param::Text(t) => query.bind(t),
                Param::Int(i) => query.bind(i),
            };
        }
        query.fetch_all(p).await
    })
}

/// The other receipts of a terminal at counters `counter - 1 ..= counter + 1` or claiming
/// the same `previous` link: everything a new link is compared with, in one query.
///
/// Written as a union of two index searches (`receipts_chain`, `receipts_previous`): with the
/// two conditions joined by `OR`, SQLite searched only the (merchant, terminal) prefix of one
/// index and read every receipt of the terminal, so each stored receipt cost more than the one
/// before.
pub(crate) async fn neighbours(
    tx: &mut Tx,
    key: &ChainKey<'_>,
    counter: i64,
    previous: &str,
) -> Result<Vec<LinkRow>, sqlx::Error> {
    const SQL: &str = "SELECT receipt_id, counter, previous, content_hash FROM receipts \
                       WHERE merchant_id = $1 AND terminal_id = $2 AND receipt_id <> $3 \
                       AND counter BETWEEN $4 - 1 AND $4 + 1 \
                       UNION \
                       SELECT receipt_id, counter, previous, content_hash FROM receipts \
                       WHERE merchant_id = $1 AND terminal_id = $2 AND receipt_id <> $3 \
                       AND previous = $5";
    on_tx!(tx, c => sqlx::query_as(SQL)
        .bind(key.merchant_id).bind(key.terminal_id).bind(key.receipt_id).bind(counter)
        .bind(previous).fetch_all(c).await)
}

/// Which terminal's chain, and the receipt being added to it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChainKey<'a> {
    pub(crate) merchant_id: &'a str,
    pub(crate) terminal_id: &'a str,
    pub(crate) receipt_id: &'a str,
}

/// Records a finding unless the same one is open already.
pub(crate) async fn add_finding(
    tx: &mut Tx,
    key: &ChainKey<'_>,
    kind: &str,
    counter: i64,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO chain_findings (merchant_id, terminal_id, kind, counter, \
        receipt_id, detail, found_at) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (\
        SELECT 1 FROM chain_findings WHERE merchant_id = $1 AND terminal_id = $2 AND kind = $3 \
        AND counter = $4 AND receipt_id = $5 AND resolved_at IS NULL)";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(key.merchant_id).bind(key.terminal_id).bind(kind).bind(counter)
        .bind(key.receipt_id).bind(detail).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Resolves the open gap findings of a terminal at `counter` (its receipt has arrived).
pub(crate) async fn resolve_gap(
    tx: &mut Tx,
    key: &ChainKey<'_>,
    counter: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE chain_findings SET resolved_at = $4 WHERE merchant_id = $1 \
        AND terminal_id = $2 AND kind = 'gap' AND counter = $3 AND resolved_at IS NULL";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(key.merchant_id).bind(key.terminal_id).bind(counter).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A merchant's chain findings, optionally of one terminal, oldest first.
pub(crate) async fn findings(
    pool: &Pool,
    merchant_id: &str,
    terminal_id: Option<&str>,
) -> Result<Vec<FindingRow>, sqlx::Error> {
    const SQL: &str = "SELECT terminal_id, kind, counter, receipt_id, detail, found_at, \
        resolved_at FROM chain_findings WHERE merchant_id = $1 \
        AND ($2 IS NULL OR terminal_id = $2) ORDER BY id";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(merchant_id).bind(terminal_id)
        .fetch_all(p).await)
}

/// Records the outcome of a receipt's verification.
pub(crate) async fn set_verification(
    tx: &mut Tx,
    receipt_id: &str,
    status: &str,
    report: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE receipts SET verification = $2, verification_report = $3, \
                       verified_at = $4 WHERE receipt_id = $1";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(receipt_id).bind(status).bind(report).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
