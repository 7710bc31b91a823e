//! One-time login codes: six digits, valid [`CODE_SECONDS`], single use, stored as a keyed
//! hash with the number's hash; [`MAX_FAILURES`] wrong codes in a row lock the number for
//! [`LOCK_SECONDS`] (also against a correct code). One row per number, so requesting a new
//! code replaces the old one but not the count of wrong attempts.
//!
//! Each step is one statement, so two instances checking codes for one number at once cannot
//! both spend a code or lose a wrong attempt.

use crate::db::{self, Pool, on_pool};
use crate::error::PlatformError;
use crate::secret::random_bytes;
use crate::state::AppState;

/// How long a code is valid.
pub(crate) const CODE_SECONDS: i64 = 600;
/// Wrong codes in a row before the number is locked.
pub(crate) const MAX_FAILURES: i64 = 5;
/// How long a number stays locked.
pub(crate) const LOCK_SECONDS: i64 = 900;

/// What checking a code found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The code was right and is now spent.
    Accepted,
    /// Wrong, expired, spent, or no code was issued.
    Refused,
    /// The number is locked after too many wrong codes.
    Locked,
}

/// Issues a fresh code for a number (by its lookup hash); `None` while it is locked.
pub(crate) async fn issue(
    state: &AppState,
    phone_hash: &str,
) -> Result<Option<String>, PlatformError> {
    const SQL: &str = "INSERT INTO login_codes (phone_hash, code_hash, expires_at) \
        VALUES ($1, $2, $3) ON CONFLICT (phone_hash) DO UPDATE SET \
        code_hash = excluded.code_hash, expires_at = excluded.expires_at \
        WHERE login_codes.locked_until IS NULL OR login_codes.locked_until <= $4 \
        RETURNING phone_hash";
    let code = six_digits()?;
    let hash = state.courier().keys().code_hash(phone_hash, &code);
    let now = db::now();
    let issued: Option<(String,)> = on_pool!(state.db().write(), p => sqlx::query_as(SQL)
        .bind(phone_hash).bind(&hash).bind(now + CODE_SECONDS).bind(now)
        .fetch_optional(p).await)?;
    Ok(issued.map(|_| code))
}

/// Checks a code for a number, spending it when right and counting it when wrong.
pub(crate) async fn check(
    state: &AppState,
    phone_hash: &str,
    code: &str,
) -> Result<Verdict, PlatformError> {
    const ACCEPT: &str = "UPDATE login_codes SET code_hash = NULL, failures = 0 \
        WHERE phone_hash = $1 AND code_hash = $2 AND expires_at > $3 \
        AND (locked_until IS NULL OR locked_until <= $3) RETURNING phone_hash";
    const FAIL: &str = "UPDATE login_codes SET \
        failures = CASE WHEN failures + 1 >= $4 THEN 0 ELSE failures + 1 END, \
        locked_until = CASE WHEN failures + 1 >= $4 THEN $2 ELSE locked_until END, \
        code_hash = CASE WHEN failures + 1 >= $4 THEN NULL ELSE code_hash END \
        WHERE phone_hash = $1 AND (locked_until IS NULL OR locked_until <= $3) \
        RETURNING locked_until";
    let pool = state.db().write();
    let now = db::now();
    let hash = state.courier().keys().code_hash(phone_hash, code);
    let accepted: Option<(String,)> = on_pool!(pool, p => sqlx::query_as(ACCEPT)
        .bind(phone_hash).bind(&hash).bind(now).fetch_optional(p).await)?;
    if accepted.is_some() {
        return Ok(Verdict::Accepted);
    }
    let failed: Option<(Option<i64>,)> = on_pool!(pool, p => sqlx::query_as(FAIL)
        .bind(phone_hash).bind(now + LOCK_SECONDS).bind(now).bind(MAX_FAILURES)
        .fetch_optional(p).await)?;
    let locked_until = match failed {
        Some((until,)) => until,
        None => locked_until(pool, phone_hash).await?,
    };
    Ok(if locked_until.is_some_and(|t| t > now) {
        Verdict::Locked
    } else {
        Verdict::Refused
    })
}

async fn locked_until(pool: &Pool, phone_hash: &str) -> Result<Option<i64>, PlatformError> {
    const SQL: &str = "SELECT locked_until FROM login_codes WHERE phone_hash = $1";
    let row: Option<(Option<i64>,)> =
        on_pool!(pool, p => sqlx::query_as(SQL).bind(phone_hash).fetch_optional(p).await)?;
    Ok(row.and_then(|(t,)| t))
}

/// A uniformly random six-digit code (rejection sampling: no digit is likelier).
fn six_digits() -> Result<String, PlatformError> {
    const LIMIT: u32 = 4_294_000_000; // The largest multiple of 10^6 below 2^32.
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = six_digits().unwrap();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
