//! When to try again: exponential backoff with full jitter, and `Retry-After`.

use std::time::{Duration, SystemTime};

/// How a request is retried after a network error, a 5xx or a 429.
///
/// The n-th retry waits a uniformly random time between zero and
/// `min(max_delay, base_delay × 2ⁿ)` ("full jitter"), so that a fleet of terminals coming back
/// online together spreads its retries instead of hitting the platform in waves. A 429 or 503
/// with `Retry-After` waits what the platform asked for, unless that is more than
/// `max_retry_after`: then the call gives up at once and reports the wait to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The ceiling of the first retry's delay.
    pub base_delay: Duration,
    /// The ceiling of any retry's delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` waited inside one call.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: one attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (0 for the first retry), given a uniformly random
    /// `random` (the full range of `u64`).
    pub fn delay(&self, retry: u32, random: u64) -> Duration {
        backoff(self.base_delay, self.max_delay, retry, random)
    }
}

/// `min(max, base × 2^step)` scaled by `random / u64::MAX`: full-jitter exponential backoff.
pub(crate) fn backoff(base: Duration, max: Duration, step: u32, random: u64) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(step.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(max)
        .min(max);
    let nanos = u128::from(random) * ceiling.as_nanos() / u128::from(u64::MAX);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// A random `u64` for jitter. Jitter needs no cryptographic quality, but the operating system's
/// source is at hand and cannot be predicted by a fleet of identical devices.
pub(crate) fn jitter() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in
/// the past means "now"; anything else unreadable is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, u64::MAX), Duration::from_millis(250));
        assert_eq!(p.delay(1, u64::MAX), Duration::from_millis(500));
        assert_eq!(p.delay(3, u64::MAX), Duration::from_secs(2));
        assert_eq!(p.delay(10, u64::MAX), Duration::from_secs(8));
        assert_eq!(p.delay(u32::MAX, u64::MAX), Duration::from_secs(8));
        assert_eq!(p.delay(5, 0), Duration::ZERO);
        let half = p.delay(2, u64::MAX / 2);
        assert!(half > Duration::from_millis(499) && half <= Duration::from_millis(500));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        // RFC 9110's example date is 784111777; ten seconds later.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
