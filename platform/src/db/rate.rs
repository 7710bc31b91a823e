//! Upload rate per terminal: fixed one-minute windows counted in the database.
//!
//! The counter lives in the database so that every instance sees the same count: a terminal
//! cannot multiply its allowance by reaching several instances behind a load balancer. One
//! upsert per upload counts it and returns the new count.

use super::{Pool, on_pool};

/// The length of a window.
pub(crate) const WINDOW_SECONDS: i64 = 60;

/// Counts one upload for `bucket` in the window holding `now`; returns the count so far in
/// that window, this upload included.
pub(crate) async fn hit(pool: &Pool, bucket: &str, now: i64) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO rate_windows (bucket, window_start, count) VALUES ($1, $2, 1) \
        ON CONFLICT (bucket) DO UPDATE SET \
        count = CASE WHEN rate_windows.window_start = excluded.window_start \
                     THEN rate_windows.count + 1 ELSE 1 END, \
        window_start = excluded.window_start \
        RETURNING count";
    let window = now - now.rem_euclid(WINDOW_SECONDS);
    let (count,): (i64,) = on_pool!(pool, p => sqlx::query_as(SQL)
        .bind(bucket).bind(window).fetch_one(p).await)?;
    Ok(count)
}
