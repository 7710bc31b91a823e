//! Flush throughput: 1,000 queued receipts uploaded to a local platform over real HTTP.
//!
//! `cargo run --release -p ereceipt-tests --example outbox_flush [-- RECEIPTS RUNS WINDOWS]`
//!
//! Starts `ereceipt platform serve` on embedded defaults (SQLite, local blobs) in a scratch
//! directory (rate limit off). Each of RUNS rounds enrolls one terminal per upload window in
//! WINDOWS (default `1,4`: one request in flight, and the default four), queues RECEIPTS sealed
//! receipts in each (issuing is not timed), then times one `Outbox::flush` per terminal, the
//! windows interleaved so that they share the machine's moods. Prints each time, the median per
//! window and the ratio of the medians. Target (issue #4): 1,000 receipts in at most 5 s on the
//! 2-core development machine.

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a benchmark tool")]

use ereceipt_core::Transaction;
use ereceipt_core::record::IssueRequest;
use ereceipt_core::render::{CopyKind, Paper};
use ereceipt_core::seal::Delivery;
use ereceipt_core::terminal::{Terminal, TerminalConfig};
use ereceipt_tests::platform::{Platform, add_merchant, enrollment_token, scratch};
use ereceipt_tests::transaction_json;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let receipts: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let windows: Vec<usize> = args.next().map_or_else(
        || vec![1, 4],
        |a| a.split(',').map(|w| w.parse().unwrap()).collect(),
    );
    let dir = scratch("outbox-flush-bench");
    // A terminal's default rate limit (600 per minute) would turn this into a test of 429
    // handling; a flush after a long outage is exactly when a platform operator raises it.
    let platform = Platform::start_on(
        &dir.join("platform"),
        "127.0.0.1:0",
        &["--rate-per-minute", "0"],
    );
    let merchant = add_merchant(&platform.data, "898310048990001", "上海星光咖啡馆");
    let mut times = vec![Vec::new(); windows.len()];
    for run in 0..runs {
        for (w, &window) in windows.iter().enumerate() {
            let mut config = TerminalConfig::default();
            config.outbox.upload_window = window;
            let terminal_id = format!("BENCH{run:03}W{window}");
            let mut json: serde_json::Value =
                serde_json::from_str(&transaction_json("void")).unwrap();
            json["terminal_id"] = terminal_id.clone().into();
            let tx = Transaction::from_json(&json.to_string()).unwrap();
            let token = enrollment_token(&platform.data, &merchant.id);
            let terminal = Terminal::enroll(
                &dir.join(&terminal_id),
                &platform.url,
                &token,
                &terminal_id,
                None,
                &config,
            )
            .unwrap();
            let request = IssueRequest {
                transaction: &tx,
                signature: None,
                copy: CopyKind::Customer,
                paper: Paper::Mm80,
            };
            for _ in 0..receipts {
                let delivery = Delivery::parse("pull:+8613800138000").unwrap();
                terminal.issue(request, Some(delivery)).unwrap();
            }
            let bytes = terminal.status().unwrap().pending_bytes;
            let started = Instant::now();
            let report = terminal.flush().unwrap();
            let elapsed = started.elapsed();
            assert_eq!(
                (report.stored, report.remaining),
                (receipts, 0),
                "{report:?}"
            );
            println!(
                "run {run}, window {window}: flushed {receipts} receipts ({:.1} MB) in {:.2} s = {:.0} receipts/s",
                bytes as f64 / 1e6,
                elapsed.as_secs_f64(),
                receipts as f64 / elapsed.as_secs_f64()
            );
            times[w].push(elapsed.as_secs_f64());
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect();
    for (window, median) in windows.iter().zip(&medians) {
        println!(
            "window {window}: median flush of {receipts} receipts {median:.2} s (target ≤ 5 s), {:.2}× the first window's time",
            median / medians[0]
        );
    }
    drop(platform);
    let _ = std::fs::remove_dir_all(&dir);
}
