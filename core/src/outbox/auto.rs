//! Uploading by itself: a background thread that flushes the outbox when there is something to
//! send, and checks the link on a timer with backoff while the platform is unreachable.
//!
//! The thread is a plain one: it flushes (blocking), then sleeps on a condition variable until
//! its timer runs out, [`AutoFlush::wake`] or [`AutoFlush::stop`]. A wake that comes while it
//! flushes is kept, and the thread looks again as soon as the flush is over.

use super::Outbox;
use crate::upload::{PlatformClient, UploadError, backoff, jitter};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// When [`AutoFlush`] tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoFlushPolicy {
    /// How often an idle terminal looks for receipts queued by another process.
    pub idle_interval: Duration,
    /// The first retry's ceiling after a failed flush; doubles with each failure (full jitter).
    pub min_backoff: Duration,
    /// The longest wait between checks while the platform is unreachable.
    pub max_backoff: Duration,
}

impl Default for AutoFlushPolicy {
    fn default() -> Self {
        AutoFlushPolicy {
            idle_interval: Duration::from_secs(60),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(120),
        }
    }
}

/// A running background uploader. Dropping it (or [`AutoFlush::stop`]) stops the thread after
/// the upload in flight, if any.
pub struct AutoFlush {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

/// What the app has asked of the thread since it last looked.
#[derive(Default)]
struct Requests {
    /// Try now ([`AutoFlush::wake`]); cleared when the thread wakes up for it.
    wake: bool,
    /// End ([`AutoFlush::stop`]); never cleared.
    stop: bool,
}

/// The requests, and the condition the thread sleeps on until one comes.
#[derive(Default)]
struct Control {
    requests: Mutex<Requests>,
    changed: Condvar,
}

impl Control {
    fn requests(&self) -> MutexGuard<'_, Requests> {
        // Two flags that are each written whole: a panic cannot leave them half-set.
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn ask(&self, request: impl FnOnce(&mut Requests)) {
        request(&mut self.requests());
        self.changed.notify_one();
    }

    /// Sleeps for `delay` or until a request comes; `false` when asked to stop.
    fn sleep(&self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        let mut requests = self.requests();
        loop {
            if requests.stop {
                return false;
            }
            if requests.wake {
                requests.wake = false;
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return true;
            };
            requests = self
                .changed
                .wait_timeout(requests, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl std::fmt::Debug for AutoFlush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoFlush").finish_non_exhaustive()
    }
}

impl AutoFlush {
    /// Starts uploading `outbox` to `client` in a background thread.
    pub fn start(
        outbox: Arc<Outbox>,
        client: PlatformClient,
        policy: AutoFlushPolicy,
    ) -> std::io::Result<Self> {
        let control = Arc::new(Control::default());
        let requests = control.clone();
        let thread = std::thread::Builder::new()
            .name("ereceipt-outbox".into())
            .spawn(move || run(&outbox, &client, &policy, &requests))?;
        Ok(AutoFlush {
            control,
            thread: Some(thread),
        })
    }

    /// Tries now: after a receipt was queued, or when the app learns the network is back.
    pub fn wake(&self) {
        self.control.ask(|r| r.wake = true);
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.control.ask(|r| r.stop = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AutoFlush {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(outbox: &Outbox, client: &PlatformClient, policy: &AutoFlushPolicy, control: &Control) {
    let mut failures: u32 = 0;
    loop {
        let pending = outbox.status().map(|s| s.pending).unwrap_or(0);
        let delay = if pending == 0 {
            failures = 0;
            policy.idle_interval
        } else {
            match outbox.flush(client) {
                Ok(report) if report.error.is_none() => {
                    failures = 0;
                    policy.idle_interval
                }
                Ok(report) => {
                    failures = failures.saturating_add(1);
                    retry_delay(policy, failures, report.error.as_ref())
                }
                // Storage trouble: keep trying on the slow schedule; status shows the error.
                Err(_) => {
                    failures = failures.saturating_add(1);
                    retry_delay(policy, failures, None)
                }
            }
        };
        if !control.sleep(delay) {
            return;
        }
    }
}

/// Backoff after the n-th failure in a row, at least what the platform asked for.
fn retry_delay(policy: &AutoFlushPolicy, failures: u32, error: Option<&UploadError>) -> Duration {
    let asked = match error {
        Some(UploadError::Unavailable {
            retry_after: Some(d),
            ..
        }) => *d,
        _ => Duration::ZERO,
    };
    // Never less than a tenth of the ceiling, so a failing platform is not polled in a tight
    // loop when the jitter draws near zero.
    let ceiling = backoff(
        policy.min_backoff,
        policy.max_backoff,
        failures - 1,
        u64::MAX,
    );
    let drawn = backoff(
        policy.min_backoff,
        policy.max_backoff,
        failures - 1,
        jitter(),
    );
    drawn.max(ceiling / 10).max(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_to_the_cap_and_honours_retry_after() {
        let policy = AutoFlushPolicy {
            idle_interval: Duration::from_secs(60),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(16),
        };
        for failures in 1..40 {
            let d = retry_delay(&policy, failures, None);
            let ceiling = Duration::from_secs(1 << (failures - 1).min(4));
            assert!(d <= ceiling && d >= ceiling / 10, "{failures}: {d:?}");
        }
        let asked = UploadError::Unavailable {
            reason: "status 429".into(),
            retry_after: Some(Duration::from_secs(300)),
            attempts: 1,
        };
        assert_eq!(
            retry_delay(&policy, 1, Some(&asked)),
            Duration::from_secs(300)
        );
    }
}
