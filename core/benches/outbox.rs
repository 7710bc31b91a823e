//! Queueing a sealed receipt in the outbox (a file written, fsync'd and renamed, after the
//! state check and the size limits are read from the directory) and reading its status, with
//! an empty queue and with 10,000 receipts waiting, the default limit (docs/adr/0004-outbox-files.md).
//!
//! `cargo bench -p ereceipt-core --bench outbox`. It writes in the system's temporary directory,
//! so the numbers are that file system's fsync.

use criterion::{Criterion, criterion_group, criterion_main};
use ereceipt_core::outbox::{Outbox, OutboxConfig};
use ereceipt_core::record::{ChainState, ChainValue, ReceiptId};
use std::cell::Cell;
use std::path::PathBuf;

/// A sealed envelope's size: a 576-px receipt PNG and its record, about 17.6 KB.
const ENVELOPE: usize = 17_600;

fn state(counter: u64) -> ChainState {
    ChainState {
        counter,
        next_previous: ChainValue([0x5a; 32]),
    }
}

fn id(counter: u64) -> ReceiptId {
    let mut bytes = [0; 16];
    bytes[8..].copy_from_slice(&counter.to_be_bytes());
    ReceiptId::from_bytes(bytes)
}

struct Queue {
    dir: PathBuf,
    outbox: Outbox,
    counter: Cell<u64>,
}

impl Queue {
    fn with(waiting: u64) -> Queue {
        let dir = std::env::temp_dir().join(format!("ereceipt-bench-outbox-{waiting}"));
        let _ = std::fs::remove_dir_all(&dir);
        let config = OutboxConfig {
            // Every iteration adds a receipt; the limit must not stop the benchmark.
            max_pending: u64::MAX,
            max_bytes: u64::MAX,
            ..OutboxConfig::default()
        };
        let outbox = Outbox::open(&dir, config).expect("outbox");
        outbox.init_chain(&state(0)).expect("chain");
        let queue = Queue {
            dir,
            outbox,
            counter: Cell::new(0),
        };
        for _ in 0..waiting {
            queue.enqueue();
        }
        queue
    }

    fn enqueue(&self) {
        let counter = self.counter.get();
        self.outbox
            .enqueue(
                &state(counter),
                &state(counter + 1),
                &id(counter + 1),
                &[0xa5; ENVELOPE],
            )
            .expect("queued");
        self.counter.set(counter + 1);
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("outbox");
    group.sample_size(30);
    for waiting in [0, 10_000] {
        let queue = Queue::with(waiting);
        group.bench_function(format!("enqueue/{waiting}-waiting"), |b| {
            b.iter(|| queue.enqueue());
        });
        group.bench_function(format!("status/{waiting}-waiting"), |b| {
            b.iter(|| queue.outbox.status().expect("status"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
