//! `ereceipt terminal …`, `ereceipt issue` and `ereceipt outbox …`: a terminal directory
//! driven from the command line, over the SDK's [`Terminal`].

use crate::{Failure, ReceiptArgs, print};
use ereceipt_core::Error;
use ereceipt_core::identity::TerminalSubject;
use ereceipt_core::outbox::{AutoFlushPolicy, FlushReport, OutboxError};
use ereceipt_core::record::IssueRequest;
use ereceipt_core::seal::Delivery;
use ereceipt_core::terminal::{Terminal, TerminalConfig, TerminalError, write_atomic};
use ereceipt_core::upload::UploadError;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

/// Maps a terminal error to an exit code: refused input 1, the call or the files 2, the
/// platform unavailable 3.
fn failure(e: TerminalError) -> Failure {
    match e {
        TerminalError::Issue(e) => Failure::Refused(Error::Issue(e)),
        TerminalError::Seal(e) => Failure::Refused(Error::Seal(e)),
        TerminalError::Upload(e) if e.is_transient() => Failure::Unavailable(e.to_string()),
        TerminalError::Outbox(e @ OutboxError::Full { .. }) => Failure::Unavailable(e.to_string()),
        e => Failure::Usage(e.to_string()),
    }
}

/// `terminal init`: a terminal with a local TEST CA.
pub(crate) fn init(dir: &Path, subject: &TerminalSubject) -> Result<(), Failure> {
    let (_, ca) =
        Terminal::create_local(dir, subject, &TerminalConfig::default()).map_err(failure)?;
    eprintln!(
        "terminal {} of merchant {} created in {}",
        subject.terminal_id(),
        subject.merchant_id(),
        dir.display()
    );
    eprintln!(
        "its certificate is issued by a local TEST CA ({ca}); {} is test material",
        dir.join("ca.pem").display()
    );
    Ok(())
}

/// `terminal enroll`: a terminal enrolled with a platform.
pub(crate) fn enroll(
    dir: &Path,
    platform: &str,
    token: &str,
    terminal_id: &str,
    json: bool,
) -> Result<(), Failure> {
    let config = TerminalConfig::default();
    let terminal = Terminal::enroll(dir, platform, token, terminal_id, None, &config).map_err(
        |e| match e {
            TerminalError::Upload(UploadError::Rejected { code, reason, .. }) => Failure::Usage(
                format!("the platform refused the enrollment ({code}): {reason}"),
            ),
            e => failure(e),
        },
    )?;
    let cert = terminal.certificate();
    if json {
        print(
            &json!({
                "terminal_id": cert.terminal_id(),
                "merchant_id": cert.merchant_id(),
                "merchant_name": cert.merchant_name(),
                "certificate_serial": cert.serial_hex(),
                "platform": platform,
                "dir": dir.display().to_string(),
            })
            .to_string(),
        );
    } else {
        eprintln!(
            "terminal {} enrolled for merchant {} ({}) in {}",
            cert.terminal_id(),
            cert.merchant_id(),
            cert.merchant_name(),
            dir.display()
        );
    }
    Ok(())
}

/// `issue`: issues, writes the image, queues for the platform and (unless `queue_only`) tries
/// to upload at once.
pub(crate) fn issue(
    dir: &Path,
    receipt: &ReceiptArgs,
    out: &Path,
    deliver: Option<&str>,
    queue_only: bool,
    json: bool,
) -> Result<(), Failure> {
    let terminal = Terminal::open(dir, None, &TerminalConfig::default()).map_err(failure)?;
    let delivery = deliver
        .map(Delivery::parse)
        .transpose()
        .map_err(|e| Failure::Refused(Error::Seal(e.into())))?;
    let (tx, signature, paper, copy) = receipt.load()?;
    let request = IssueRequest {
        transaction: &tx,
        signature: signature.as_ref(),
        copy,
        paper,
    };
    // The receipt is safe in the outbox (or the chain moved on) before the image is written:
    // a crash in between loses a copy of the picture, never the receipt.
    let issued = terminal.issue(request, delivery).map_err(failure)?;
    write_atomic(out, &issued.png, false)
        .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", out.display())))?;
    let queued = terminal.platform().is_some();
    let upload = if queued && !queue_only {
        Some(flush_now(&terminal)?)
    } else {
        None
    };
    if json {
        let summary = json!({
            "receipt_id": issued.record.receipt_id.to_string(),
            "terminal_id": issued.record.terminal_id,
            "counter": issued.record.counter,
            "signed": issued.summary.signature.is_some(),
            "bytes": issued.png.len(),
            "out": out.display().to_string(),
            "queued": queued,
            "upload": upload.as_ref().map(report_json),
        });
        print(&summary.to_string());
    } else {
        eprintln!(
            "issued receipt {} (counter {}) to {} ({} bytes{}){}",
            issued.record.receipt_id,
            issued.record.counter,
            out.display(),
            issued.png.len(),
            if issued.signing_error.is_some() {
                ", UNSIGNED"
            } else {
                ""
            },
            if queued {
                ", queued for the platform"
            } else {
                ""
            },
        );
        if let Some(report) = &upload {
            eprintln!("{}", describe(report));
        }
    }
    Ok(())
}

fn flush_now(terminal: &Terminal) -> Result<FlushReport, Failure> {
    terminal.flush().map_err(failure)
}

fn report_json(report: &FlushReport) -> serde_json::Value {
    json!({
        "stored": report.stored,
        "duplicates": report.duplicates,
        "dead_lettered": report.dead_lettered,
        "remaining": report.remaining,
        "error": report.error.as_ref().map(ToString::to_string),
    })
}

fn describe(report: &FlushReport) -> String {
    let mut text = format!(
        "uploaded {} ({} already there), {} rejected, {} waiting",
        report.stored + report.duplicates,
        report.duplicates,
        report.dead_lettered,
        report.remaining
    );
    if let Some(error) = &report.error {
        text.push_str(&format!("; kept offline: {error}"));
    }
    text
}

/// `outbox status`.
pub(crate) fn status(dir: &Path, json: bool) -> Result<(), Failure> {
    let terminal = Terminal::open(dir, None, &TerminalConfig::default()).map_err(failure)?;
    let status = terminal.status().map_err(failure)?;
    let dead = terminal.dead_letters().map_err(failure)?;
    if json {
        let mut value = serde_json::to_value(&status).expect("status serialises");
        value["dead_letters"] = serde_json::to_value(&dead).expect("dead letters serialise");
        value["enrolled"] = json!(terminal.platform().is_some());
        print(&value.to_string());
    } else {
        print(&format!(
            "{} waiting ({} bytes){}, {} rejected{}",
            status.pending,
            status.pending_bytes,
            status
                .oldest_pending_age_s
                .map(|s| format!(", oldest {s} s"))
                .unwrap_or_default(),
            status.dead,
            status
                .last_error
                .as_deref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default(),
        ));
        for d in &dead {
            print(&format!(
                "  rejected {} (counter {}): {} {} {}",
                d.receipt_id, d.counter, d.status, d.code, d.reason
            ));
        }
    }
    Ok(())
}

/// `outbox flush`: exit 0 when everything waiting was uploaded, 3 when the platform was
/// unavailable (the rest stays queued).
pub(crate) fn flush(dir: &Path, json: bool) -> Result<(), Failure> {
    let terminal = Terminal::open(dir, None, &TerminalConfig::default()).map_err(failure)?;
    let report = flush_now(&terminal)?;
    if json {
        print(&report_json(&report).to_string());
    } else {
        eprintln!("{}", describe(&report));
    }
    match report.error {
        Some(e) => Err(Failure::Unavailable(e.to_string())),
        None => Ok(()),
    }
}

/// `outbox watch`: uploads in the background until stopped (or, with `until_empty`, until
/// nothing is waiting), as an app does with [`AutoFlush`](ereceipt_core::outbox::AutoFlush).
pub(crate) fn watch(dir: &Path, until_empty: bool, interval_s: u64) -> Result<(), Failure> {
    let terminal = Terminal::open(dir, None, &TerminalConfig::default()).map_err(failure)?;
    let policy = AutoFlushPolicy {
        idle_interval: Duration::from_secs(interval_s.max(1)),
        min_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(interval_s.max(1)),
    };
    let auto = terminal.auto_flush(policy).map_err(failure)?;
    eprintln!("watching {}; Ctrl-C to stop", dir.display());
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if until_empty && terminal.status().map_err(failure)?.pending == 0 {
            auto.stop();
            return Ok(());
        }
    }
}
