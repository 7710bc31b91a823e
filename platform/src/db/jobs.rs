//! The background job queue: a table, claimed with a lease.
//!
//! A job is claimed by one statement that sets its lease (`locked_until`) and counts the
//! attempt. On PostgreSQL the candidate row is picked `FOR UPDATE SKIP LOCKED`, so instances
//! claiming at the same moment take different jobs instead of queueing on one row lock; on
//! SQLite the single writer makes the `UPDATE … RETURNING` atomic by itself. A worker that dies
//! loses its lease after [`LEASE_SECONDS`] and the job is claimed again: jobs are idempotent.

use super::{Db, Pool, Tx, on_pool, on_tx};

/// How long a claimed job is reserved for its worker.
pub(crate) const LEASE_SECONDS: i64 = 120;

/// The kind of the image verification job.
pub(crate) const VERIFY: &str = "verify";

/// A claimed job.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct JobRow {
    pub(crate) id: i64,
    pub(crate) receipt_id: String,
    pub(crate) attempts: i64,
}

macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id = (",
            "SELECT id FROM jobs WHERE done_at IS NULL AND run_after <= $2 ",
            "AND (locked_until IS NULL OR locked_until <= $2) ORDER BY id LIMIT 1",
            $lock,
            ") RETURNING id, receipt_id, attempts"
        )
    };
}

const CLAIM_SQLITE: &str = claim_sql!("");
const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");

/// Queues one job of `kind` per receipt in one statement.
pub(crate) async fn enqueue_all(
    tx: &mut Tx,
    kind: &str,
    receipt_ids: &[&str],
    now: i64,
) -> Result<(), sqlx::Error> {
    if receipt_ids.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO jobs (kind, receipt_id, run_after) VALUES ");
    for n in 0..receipt_ids.len() {
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, ${}, $2)", n + 3));
    }
    on_tx!(tx, c => {
        let mut query = sqlx::query(&sql).bind(kind).bind(now);
        for id in receipt_ids {
            query = query.bind(*id);
        }
        query.execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Claims the oldest due job, if any.
pub(crate) async fn claim(db: &Db, now: i64) -> Result<Option<JobRow>, sqlx::Error> {
    let sql = if db.is_postgres() {
        CLAIM_POSTGRES
    } else {
        CLAIM_SQLITE
    };
    on_pool!(db.write(), p => sqlx::query_as(sql)
        .bind(now + LEASE_SECONDS).bind(now).fetch_optional(p).await)
}

/// Marks a job done.
pub(crate) async fn finish(tx: &mut Tx, id: i64, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE jobs SET done_at = $2, locked_until = NULL WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Releases a failed job to run again at `run_after`.
pub(crate) async fn retry_later(
    pool: &Pool,
    id: i64,
    run_after: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE jobs SET run_after = $2, locked_until = NULL, last_error = $3 \
                       WHERE id = $1";
    on_pool!(pool, p => sqlx::query(SQL).bind(id).bind(run_after).bind(error).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Jobs not done yet (for tests, tools and health).
pub(crate) async fn pending(pool: &Pool) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL";
    let (n,): (i64,) = on_pool!(pool, p => sqlx::query_as(SQL).fetch_one(p).await)?;
    Ok(n)
}
