use super::*;
use crate::record::ChainValue;
use crate::upload::test_server::{canned, serve, serve_concurrently};
use crate::upload::{ClientConfig, RetryPolicy};
use std::time::Duration;

fn state(counter: u64) -> ChainState {
    ChainState {
        counter,
        next_previous: ChainValue([u8::try_from(counter % 256).unwrap(); 32]),
    }
}

fn id(n: u8) -> ReceiptId {
    ReceiptId::from_bytes([n; 16])
}

/// An outbox with receipts 1..=n queued.
fn outbox_with(n: u8, config: OutboxConfig) -> (tempdir::Dir, Outbox) {
    let dir = tempdir::Dir::new();
    let outbox = Outbox::open(dir.path(), config).unwrap();
    outbox.init_chain(&state(0)).unwrap();
    for i in 1..=n {
        let envelope = vec![i; 100];
        outbox
            .enqueue(
                &state(u64::from(i - 1)),
                &state(u64::from(i)),
                &id(i),
                &envelope,
            )
            .unwrap();
    }
    (dir, outbox)
}

/// One upload at a time, so a scripted server's answers meet the receipts in counter order.
fn sequential() -> OutboxConfig {
    OutboxConfig {
        upload_window: 1,
        ..OutboxConfig::default()
    }
}

fn client(url: &str) -> PlatformClient {
    let config = ClientConfig {
        retry: RetryPolicy::none(),
        ..ClientConfig::default()
    };
    PlatformClient::new(url, &config).unwrap()
}

/// A scratch directory removed on drop.
mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    pub(super) struct Dir(PathBuf);

    impl Dir {
        pub(super) fn new() -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "ereceipt-outbox-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&path);
            Dir(path)
        }

        pub(super) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn enqueue_moves_the_chain_and_survives_reopening() {
    let (dir, outbox) = outbox_with(3, OutboxConfig::default());
    drop(outbox);
    let outbox = Outbox::open(dir.path(), OutboxConfig::default()).unwrap();
    assert_eq!(outbox.chain_state().unwrap(), Some(state(3)));
    let status = outbox.status().unwrap();
    assert_eq!(
        (status.pending, status.pending_bytes, status.dead),
        (3, 300, 0)
    );
    assert_eq!(status.counter, Some(3));
    assert!(status.oldest_pending_age_s.is_some_and(|age| age < 60));
    assert_eq!(status.last_error, None);
}

#[test]
fn a_stale_chain_state_stores_nothing() {
    let (_dir, outbox) = outbox_with(2, OutboxConfig::default());
    assert_eq!(
        outbox.enqueue(&state(1), &state(2), &id(9), b"x"),
        Err(OutboxError::StateConflict)
    );
    assert_eq!(
        outbox.advance(&state(5), &state(6)),
        Err(OutboxError::StateConflict)
    );
    assert_eq!(
        outbox.init_chain(&state(0)),
        Err(OutboxError::StateConflict)
    );
    assert_eq!(outbox.chain_state().unwrap(), Some(state(2)));
    assert_eq!(outbox.status().unwrap().pending, 2);
}

#[test]
fn a_full_outbox_refuses_before_storing() {
    let config = OutboxConfig {
        max_pending: 2,
        max_bytes: 1_000_000,
        ..OutboxConfig::default()
    };
    let (_dir, outbox) = outbox_with(2, config);
    assert_eq!(
        outbox.enqueue(&state(2), &state(3), &id(3), b"x"),
        Err(OutboxError::Full {
            pending: 2,
            bytes: 200
        })
    );
    assert_eq!(outbox.chain_state().unwrap(), Some(state(2)));

    let config = OutboxConfig {
        max_pending: 100,
        max_bytes: 250,
        ..OutboxConfig::default()
    };
    let (_dir, outbox) = outbox_with(2, config);
    assert!(matches!(
        outbox.enqueue(&state(2), &state(3), &id(3), &[0; 51]),
        Err(OutboxError::Full { .. })
    ));
    outbox
        .enqueue(&state(2), &state(3), &id(3), &[0; 50])
        .unwrap();
}

#[test]
fn advance_without_a_receipt_only_moves_the_chain() {
    let (_dir, outbox) = outbox_with(0, OutboxConfig::default());
    outbox.advance(&state(0), &state(1)).unwrap();
    assert_eq!(outbox.chain_state().unwrap(), Some(state(1)));
    assert_eq!(outbox.status().unwrap().pending, 0);
}

#[test]
fn flush_uploads_in_counter_order_and_empties_the_queue() {
    let (_dir, outbox) = outbox_with(3, sequential());
    let script = vec![canned(201, "{}"), canned(200, "{}"), canned(201, "{}")];
    let (url, seen) = serve(script);
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!(
        report,
        FlushReport {
            stored: 2,
            duplicates: 1,
            dead_lettered: 0,
            remaining: 0,
            error: None
        }
    );
    let paths: Vec<String> = seen.lock().unwrap().iter().map(|s| s.1.clone()).collect();
    let expected: Vec<String> = (1..=3).map(|i| format!("/v1/receipts/{}", id(i))).collect();
    assert_eq!(paths, expected);
    let status = outbox.status().unwrap();
    assert_eq!((status.pending, status.oldest_pending_age_s), (0, None));
    assert!(status.last_upload_at.is_some());
}

#[test]
fn a_rejected_receipt_becomes_a_dead_letter_and_the_rest_go_on() {
    let (_dir, outbox) = outbox_with(3, sequential());
    let refusal =
        r#"{"error":{"code":"bad_signature","message":"the record signature does not verify"}}"#;
    let script = vec![canned(201, "{}"), canned(422, refusal), canned(201, "{}")];
    let (url, _) = serve(script);
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!(
        (report.stored, report.dead_lettered, report.remaining),
        (2, 1, 0)
    );
    let dead = outbox.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].receipt_id, dead[0].counter, dead[0].status),
        (id(2), 2, 422)
    );
    assert_eq!(dead[0].code, "bad_signature");
    assert_eq!(outbox.status().unwrap().dead, 1);

    // Never retried blindly: the next flush sends nothing.
    let (url, seen) = serve(vec![]);
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!(report, FlushReport::default());
    assert!(seen.lock().unwrap().is_empty());

    // Until the app asks.
    outbox.requeue(&id(2)).unwrap();
    assert_eq!(outbox.requeue(&id(2)), Err(OutboxError::NotFound));
    let (url, _) = serve(vec![canned(201, "{}")]);
    assert_eq!(outbox.flush(&client(&url)).unwrap().stored, 1);
    assert_eq!(outbox.status().unwrap().dead, 0);
}

#[test]
fn an_unavailable_platform_stops_the_flush_and_keeps_order() {
    let (_dir, outbox) = outbox_with(3, sequential());
    let script = vec![canned(201, "{}"), canned(503, "{}")];
    let (url, _) = serve(script);
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!((report.stored, report.remaining), (1, 2));
    assert!(report.error.as_ref().is_some_and(UploadError::is_transient));
    let status = outbox.status().unwrap();
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503"))
    );

    let (url, seen) = serve(vec![canned(201, "{}"), canned(201, "{}")]);
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!((report.stored, report.remaining), (2, 0));
    let paths: Vec<String> = seen.lock().unwrap().iter().map(|s| s.1.clone()).collect();
    assert_eq!(
        paths,
        vec![
            format!("/v1/receipts/{}", id(2)),
            format!("/v1/receipts/{}", id(3))
        ]
    );
    assert_eq!(outbox.status().unwrap().last_error, None);
}

#[test]
fn a_flush_keeps_its_window_of_uploads_in_flight() {
    let (_dir, outbox) = outbox_with(12, OutboxConfig::default());
    let (url, seen, peak) = serve_concurrently(|_| canned(201, "{}"), Duration::from_millis(40));
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!((report.stored, report.remaining), (12, 0));
    assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 4);
    assert_eq!(seen.lock().unwrap().len(), 12);
    assert_eq!(outbox.status().unwrap().pending, 0);
}

#[test]
fn with_uploads_in_flight_a_failure_stops_new_ones_and_the_rest_are_recorded() {
    let (_dir, outbox) = outbox_with(20, OutboxConfig::default());
    let (rejected, unavailable) = (
        format!("/v1/receipts/{}", id(3)),
        format!("/v1/receipts/{}", id(6)),
    );
    let refusal = r#"{"error":{"code":"bad_signature","message":"no"}}"#;
    let (url, seen, _) = serve_concurrently(
        move |path| match path {
            p if p == rejected => canned(422, refusal),
            p if p == unavailable => canned(503, "{}"),
            _ => canned(201, "{}"),
        },
        Duration::from_millis(10),
    );
    let report = outbox.flush(&client(&url)).unwrap();
    assert!(report.error.as_ref().is_some_and(UploadError::is_transient));
    assert_eq!(report.dead_lettered, 1);

    // Started in counter order, and nothing more than a window's worth after the failure.
    let sent: Vec<String> = seen.lock().unwrap().iter().map(|s| s.1.clone()).collect();
    let last = (1..=20u8)
        .rev()
        .find(|&i| sent.contains(&format!("/v1/receipts/{}", id(i))))
        .unwrap();
    assert!((6..=9).contains(&last), "sent up to {last}");
    assert_eq!(sent.len(), usize::from(last));
    assert_eq!(report.stored, u64::from(last) - 2);

    // What the platform took is gone, the unavailable one and the unsent ones wait, and the
    // status keeps the failure even though later uploads of the window succeeded.
    let status = outbox.status().unwrap();
    assert_eq!(status.pending, 20 - u64::from(last) + 1);
    assert_eq!(status.dead, 1);
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503"))
    );
    let (url, _, _) = serve_concurrently(|_| canned(201, "{}"), Duration::ZERO);
    let report = outbox.flush(&client(&url)).unwrap();
    assert_eq!((report.remaining, report.error), (0, None));
    assert_eq!(outbox.status().unwrap().last_error, None);
}

#[test]
fn a_newer_layout_is_refused() {
    let dir = tempdir::Dir::new();
    drop(Outbox::open(dir.path(), OutboxConfig::default()).unwrap());
    let format = dir.path().join(DIR_NAME).join("FORMAT");
    std::fs::write(&format, "ereceipt-outbox 2\n").unwrap();
    let Err(OutboxError::Storage { reason }) = Outbox::open(dir.path(), OutboxConfig::default())
    else {
        panic!("a newer layout was opened");
    };
    assert!(reason.contains("another version"), "{reason}");
}

#[test]
fn an_outbox_of_an_earlier_build_is_refused_and_left_alone() {
    let dir = tempdir::Dir::new();
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join(LEGACY_FILE), b"SQLite format 3\0").unwrap();
    let Err(OutboxError::Storage { reason }) = Outbox::open(dir.path(), OutboxConfig::default())
    else {
        panic!("opened over an earlier build's outbox");
    };
    assert!(reason.contains(LEGACY_FILE), "{reason}");
    assert!(dir.path().join(LEGACY_FILE).exists());
    assert!(!dir.path().join(DIR_NAME).exists());
}

#[test]
fn a_damaged_receipt_file_is_reported_not_skipped() {
    let (dir, outbox) = outbox_with(3, OutboxConfig::default());
    outbox.check().unwrap();
    let file = dir
        .path()
        .join(DIR_NAME)
        .join("pending")
        .join("00000000000000000002");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[80] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let Err(OutboxError::Storage { reason }) = outbox.check() else {
        panic!("a damaged receipt passed the check");
    };
    assert!(reason.contains("receipt file 2"), "{reason}");
    // The receipts either side are still there, and still in order.
    assert_eq!(outbox.status().unwrap().pending, 3);
    assert_eq!(outbox.next_after(2).unwrap().map(|n| n.counter), Some(3));
    assert!(matches!(
        outbox.next_after(1),
        Err(OutboxError::Storage { .. })
    ));
}

#[test]
fn what_an_interrupted_write_leaves_is_removed_and_the_state_is_the_last_receipts() {
    let (dir, outbox) = outbox_with(2, OutboxConfig::default());
    drop(outbox);
    let root = dir.path().join(DIR_NAME);
    // A receipt killed half-way through its write, and the reason of a dead letter whose
    // requeue was interrupted after the rename.
    std::fs::write(root.join("tmp").join("4242-0"), b"ERQ\x01half").unwrap();
    std::fs::write(root.join("dead").join("00000000000000000001.why"), b"{}").unwrap();
    let outbox = Outbox::open(dir.path(), OutboxConfig::default()).unwrap();
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    assert!(!root.join("dead").join("00000000000000000001.why").exists());
    // The `chain` file still says 0 (issuing does not rewrite it): receipt 2 carries the state.
    assert_eq!(outbox.chain_state().unwrap(), Some(state(2)));
    assert_eq!(outbox.status().unwrap().pending, 2);
    outbox.check().unwrap();
}

#[test]
fn two_issuers_on_one_outbox_store_one_receipt() {
    let dir = tempdir::Dir::new();
    let first = Outbox::open(dir.path(), OutboxConfig::default()).unwrap();
    first.init_chain(&state(0)).unwrap();
    let second = Outbox::open(dir.path(), OutboxConfig::default()).unwrap();
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<_> = std::thread::scope(|s| {
        let issuers = [(&first, 1), (&second, 2)].map(|(outbox, n)| {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                outbox.enqueue(&state(0), &state(1), &id(n), &[n; 10])
            })
        });
        issuers.map(|h| h.join().unwrap()).into()
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results.contains(&Err(OutboxError::StateConflict)));
    assert_eq!(first.status().unwrap().pending, 1);
    assert_eq!(second.chain_state().unwrap(), Some(state(1)));
}

#[test]
fn auto_flush_uploads_without_being_asked() {
    let (_dir, outbox) = outbox_with(2, OutboxConfig::default());
    let outbox = Arc::new(outbox);
    let (url, seen) = serve(vec![canned(201, "{}"), canned(201, "{}")]);
    let policy = AutoFlushPolicy {
        idle_interval: Duration::from_millis(50),
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    };
    let auto = AutoFlush::start(outbox.clone(), client(&url), policy).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while outbox.status().unwrap().pending > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    auto.stop();
    assert_eq!(outbox.status().unwrap().pending, 0);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

use std::sync::Arc;

#[test]
fn deleting_every_delivered_receipt_keeps_the_chain_state() {
    let (dir, outbox) = outbox_with(3, OutboxConfig::default());
    outbox.bury(2, 422, "bad_receipt", "refused").unwrap();
    outbox.delivered(&[1, 3], true).unwrap();
    assert_eq!(outbox.chain_state().unwrap(), Some(state(3)));
    outbox.requeue(&id(2)).unwrap();
    outbox.delivered(&[2], true).unwrap();
    drop(outbox);
    let outbox = Outbox::open(dir.path(), OutboxConfig::default()).unwrap();
    assert_eq!(outbox.chain_state().unwrap(), Some(state(3)));
    let status = outbox.status().unwrap();
    assert_eq!(
        (status.pending, status.dead, status.counter),
        (0, 0, Some(3))
    );
    assert!(status.last_upload_at.is_some());
    outbox.enqueue(&state(3), &state(4), &id(4), b"x").unwrap();
}
