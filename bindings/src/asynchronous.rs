//! The async functions of the edge without an async runtime.
//!
//! The core is blocking (its HTTP client waits on the calling thread), and the phone library
//! has no room for an async runtime (docs/BINDINGS.md, "Size"). So an async function of the
//! edge runs its blocking work on a thread of its own and returns a future that a oneshot
//! channel completes: Kotlin's `suspend`, Swift's `async` and Python's awaitable poll that
//! future through UniFFI as they would any other, and no thread of the app is blocked.
//!
//! The honest cost: one thread per call (an enrollment, a flush; never per receipt), started
//! and ended with it.
//!
//! Cancelling the foreign call (a Kotlin coroutine cancelled, a Swift task cancelled, a
//! Python task cancelled) drops the future, not the work: the thread finishes what it started,
//! so the outbox and the terminal's directory are left as a completed call leaves them, and
//! its result is discarded.

use crate::error::EReceiptError;
use futures_channel::oneshot;

/// Runs `work` on a new thread and waits, without blocking, for its result.
///
/// # Errors
/// What `work` returns; `Internal` when the thread cannot be started or panics (the panic
/// message goes to the standard error, as for any thread).
pub(crate) async fn on_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EReceiptError> + Send + 'static,
) -> Result<T, EReceiptError> {
    let (done, result) = oneshot::channel();
    std::thread::Builder::new()
        .name("ereceipt-call".into())
        .spawn(move || {
            // Fails only when the caller dropped the future: nobody wants the result.
            let _ = done.send(work());
        })
        .map_err(|e| EReceiptError::internal(format!("cannot start the SDK's thread: {e}")))?;
    result
        .await
        .map_err(|_| EReceiptError::internal("the SDK's thread ended without an answer"))?
}
