//! The CPU pool: one thread per core for the platform's CPU-bound steps (ingest's RSA-OAEP
//! unwrap, ECDSA and parsing; the verification worker's re-render), running below the priority
//! of every other thread of the process.
//!
//! An RSA-3072 decryption holds a core for about two milliseconds on the development machine;
//! everything else an upload needs is many short steps on other threads (the HTTP connection,
//! the receipt writer, the SQLite connection threads). At the same priority as the crypto,
//! each of those steps that wakes while both cores decrypt waits for a time slice, and the
//! writer's batch, which every upload waiting on it needs, is late by as much. Below it, the
//! short steps preempt the crypto at once and the crypto takes every cycle they leave. (Measured
//! together with the certificate cache and the writer's linger: docs/PLATFORM.md. On its own
//! the effect was smaller than the machine's run-to-run noise.)
//!
//! The pool is its own set of threads rather than tokio's blocking pool because that pool also
//! runs the blob store's file I/O, which must not be demoted. Jobs run in the order they were
//! submitted; a job that panics fails alone (its caller gets [`PlatformError::CpuPool`]) and
//! the thread goes on.

use crate::error::PlatformError;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use thread_priority::{ThreadPriority, ThreadPriorityValue};
use tokio::sync::oneshot;

/// How far below normal the pool's threads run: nice 10 on Linux, where a nice-0 thread then
/// gets about ten times the share of a pool thread when both want a core.
const PRIORITY: u8 = 25;

type Job = Box<dyn FnOnce() + Send>;

/// The handle to the pool; the threads end when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct CpuPool {
    jobs: mpsc::Sender<Job>,
}

impl CpuPool {
    /// Starts `threads` threads.
    pub(crate) fn start(threads: usize) -> Result<Self, PlatformError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("ereceipt-cpu-{n}"))
                .spawn(move || serve(&queue))
                .map_err(PlatformError::from_io)?;
        }
        Ok(CpuPool { jobs })
    }

    /// Runs `work` on a pool thread and returns its result.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PlatformError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|_| PlatformError::CpuPool("the pool has stopped"))?;
        answer
            .await
            .map_err(|_| PlatformError::CpuPool("a job panicked"))
    }
}

/// A pool thread: lowers its own priority, then runs jobs until the pool is dropped.
fn serve(queue: &Mutex<mpsc::Receiver<Job>>) {
    let lowered = ThreadPriorityValue::try_from(PRIORITY)
        .map_err(|_| "out of range")
        .and_then(|value| {
            ThreadPriority::Crossplatform(value)
                .set_for_current()
                .map_err(|_| "refused")
        });
    if let Err(why) = lowered {
        // Only scheduling suffers: jobs still run, at normal priority.
        tracing::warn!(why, "the CPU pool runs at normal priority");
    }
    loop {
        let job = match queue.lock() {
            Ok(queue) => match queue.recv() {
                Ok(job) => job,
                Err(mpsc::RecvError) => return,
            },
            Err(_) => return,
        };
        // A panicking job drops its reply sender, which its caller sees as an error.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_one_that_panics() {
        let pool = CpuPool::start(1).expect("a thread starts");
        assert_eq!(pool.run(|| 6 * 7).await.expect("the job runs"), 42);
        let failed = pool.run(|| -> u8 { panic!("a job that fails") }).await;
        assert!(
            matches!(failed, Err(PlatformError::CpuPool(_))),
            "{failed:?}"
        );
        assert_eq!(
            pool.run(|| "still serving")
                .await
                .expect("the thread survived"),
            "still serving"
        );
    }

    /// The nice value of the calling thread (field 19 of its `stat`).
    #[cfg(target_os = "linux")]
    fn nice() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
        let after_name = &stat[stat.rfind(')').expect("a stat line") + 2..];
        after_name
            .split(' ')
            .nth(16)
            .and_then(|field| field.parse().ok())
            .expect("a nice value")
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn its_threads_run_below_normal_priority() {
        let pool = CpuPool::start(1).expect("a thread starts");
        let theirs = pool.run(nice).await.expect("the job runs");
        assert!(
            theirs > nice(),
            "pool thread nice {theirs}, caller {}",
            nice()
        );
    }
}
