//! The background verification worker: every stored receipt's image is checked against its
//! record (re-render comparison and watermark, `ereceipt_core::record::verify_image`).
//!
//! Verification costs about 12 ms of CPU per receipt, several times the RSA decryption of
//! ingest, so it runs in a job queued in the database in the same transaction as the receipt
//! (no stored receipt without its job) and claimed by any instance's worker
//! (the `db::jobs` module). A failed attempt is retried with exponential backoff; after
//! [`MAX_ATTEMPTS`] the receipt is marked `failed` with the reason, so every receipt ends with
//! a recorded result. A worker yields while its own instance is ingesting: uploads are
//! answered first and the backlog is verified when they pause.

use crate::db::{self, jobs, receipts};
use crate::error::PlatformError;
use crate::state::AppState;
use ereceipt_core::record::{
    ChainValue, Check, Outcome, VerificationReport, VerifyOptions, extract_evidence, verify_image,
};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Attempts before a job gives up and records the failure.
pub const MAX_ATTEMPTS: i64 = 5;
/// How often an idle worker looks for jobs queued by other instances.
const POLL: Duration = Duration::from_millis(500);
/// How long a worker waits while its instance is ingesting.
const YIELD: Duration = Duration::from_millis(20);

/// The verification status of a receipt (`pending` until its job ran: the column default).
pub(crate) mod status {
    /// Authentic and untouched.
    pub(crate) const VERIFIED: &str = "verified";
    /// Not authentic, tampered, or verification could not run.
    pub(crate) const FAILED: &str = "failed";
}

/// Starts `count` verification workers and `count` delivery workers
/// ([`crate::delivery::spawn_workers`]) that run until `shutdown` becomes true.
pub fn spawn_workers(
    state: &AppState,
    count: usize,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut handles: Vec<JoinHandle<()>> = (0..count)
        .map(|_| {
            let state = state.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(work(state, shutdown))
        })
        .collect();
    handles.extend(crate::delivery::spawn_workers(state, count, shutdown));
    handles
}

async fn work(state: AppState, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if state.ingesting() {
            tokio::time::sleep(YIELD).await;
            continue;
        }
        let ran = match run_one(&state).await {
            Ok(ran) => ran,
            Err(error) => {
                tracing::error!(%error, "verification worker");
                false
            }
        };
        if !ran {
            tokio::select! {
                _ = state.job_notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Runs due jobs until none is left; returns how many ran. For tests and tools that want
/// results without a worker.
pub async fn run_due_jobs(state: &AppState) -> Result<usize, PlatformError> {
    let mut ran = 0;
    while run_one(state).await? {
        ran += 1;
    }
    Ok(ran)
}

/// Jobs not done yet, on every instance.
pub async fn pending_jobs(state: &AppState) -> Result<i64, PlatformError> {
    Ok(jobs::pending(state.db().read()).await?)
}

/// Claims and runs one due job; `false` when there was none.
async fn run_one(state: &AppState) -> Result<bool, PlatformError> {
    let Some(job) = jobs::claim(state.db(), db::now()).await? else {
        return Ok(false);
    };
    match verify(state, &job.receipt_id).await {
        Ok((verdict, report)) => record(state, &job, verdict, &report).await?,
        Err(error) if job.attempts >= MAX_ATTEMPTS => {
            tracing::error!(%error, receipt = %job.receipt_id, "verification gave up");
            let report = serde_json::json!({ "error": "verification could not run" });
            record(state, &job, status::FAILED, &report).await?;
        }
        Err(error) => {
            tracing::warn!(%error, receipt = %job.receipt_id, attempt = job.attempts, "verification will be retried");
            let backoff = 2i64.saturating_pow(u32::try_from(job.attempts).unwrap_or(16));
            jobs::retry_later(
                state.db().write(),
                job.id,
                db::now() + backoff,
                &error.to_string(),
            )
            .await?;
        }
    }
    Ok(true)
}

/// Verifies a stored receipt's image; the status and the report as JSON.
async fn verify(
    state: &AppState,
    receipt_id: &str,
) -> Result<(&'static str, serde_json::Value), PlatformError> {
    let row = receipts::by_id(state.db().read(), receipt_id)
        .await?
        .ok_or_else(|| PlatformError::config("a job names a receipt that is not stored"))?;
    let png = state.blobs().get(&row.image_key).await?;
    let verifier = state.clone();
    // The certificate must have been valid when the receipt arrived, not today.
    let at = row.received_at;
    let expected = row.content_hash.clone();
    let report = state
        .on_cpu(move || {
            let options = VerifyOptions {
                trust_anchor: Some(verifier.keys().ca().certificate()),
                known_certificates: &[],
                at_unix_seconds: at,
            };
            verify_image(&png, &options).map(|mut report| {
                check_record_match(&png, &expected, &mut report);
                report
            })
        })
        .await?;
    Ok(match report {
        Ok(report) => (
            verdict(&report),
            serde_json::to_value(&report).unwrap_or_default(),
        ),
        Err(_) => (
            status::FAILED,
            serde_json::json!({ "error": "the stored image cannot be decoded" }),
        ),
    })
}

/// The image must carry the very record and signature that were uploaded with it: an
/// authentic image of another receipt is not this receipt's image.
fn check_record_match(png: &[u8], content_hash: &str, report: &mut VerificationReport) {
    let matches = extract_evidence(png).ok().flatten().is_some_and(|e| {
        ChainValue::after(&e.record, e.signature.as_ref()).to_hex() == content_hash
    });
    let (outcome, detail) = if matches {
        (
            Outcome::Passed,
            "the image carries this receipt's signed record",
        )
    } else {
        report.tampered = true;
        (
            Outcome::Failed,
            "the image does not carry this receipt's signed record",
        )
    };
    report.checks.push(Check {
        name: "record_match",
        outcome,
        detail: detail.to_owned(),
    });
}

/// `verified` for an authentic, untouched receipt; `failed` otherwise.
pub(crate) fn verdict(report: &VerificationReport) -> &'static str {
    if report.authentic && !report.tampered {
        status::VERIFIED
    } else {
        status::FAILED
    }
}

async fn record(
    state: &AppState,
    job: &jobs::JobRow,
    verdict: &str,
    report: &serde_json::Value,
) -> Result<(), PlatformError> {
    let now = db::now();
    let mut tx = state.db().begin().await?;
    jobs::finish(&mut tx, job.id, now).await?;
    receipts::set_verification(&mut tx, &job.receipt_id, verdict, &report.to_string(), now).await?;
    tx.commit().await?;
    Ok(())
}
