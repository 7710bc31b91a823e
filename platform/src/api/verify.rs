//! `POST /v1/verify`: anyone uploads a receipt image (PNG or JPEG, as the raw body) and gets the
//! verifier's report, with the platform CA as trust anchor.
//!
//! An image that lost its embedded record (a messaging app stripped it) is identified from its
//! QR code; the platform then looks up the certificates it issued to that terminal id and
//! checks the code's signature with them.

use super::{body_error, media_type_is, unsupported_media_type};
use crate::db::merchants;
use crate::error::{ApiError, PlatformError};
use crate::state::AppState;
use crate::worker::{status, verdict};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use ereceipt_core::identity::TerminalCertificate;
use ereceipt_core::record::{Outcome, VerificationReport, VerifyOptions, verify_image};
use serde_json::Value;

pub(super) async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    if !media_type_is(
        &headers,
        &["image/png", "image/jpeg", "application/octet-stream"],
    ) {
        return Err(unsupported_media_type(
            "send the image as image/png or image/jpeg",
        ));
    }
    let image = body.map_err(|r| body_error(&r))?;
    let (report, outcome) = check(&state, image).await?;
    let mut body =
        serde_json::to_value(&report).map_err(|e| PlatformError::config(e.to_string()))?;
    body["outcome"] = Value::from(outcome);
    Ok(Json(body))
}

/// Verifies an image with the platform CA as trust anchor (and, when the image lost its
/// record, the certificates issued to its terminal): the report and its outcome,
/// `authentic`, `tampered` or `not_authentic`. Shared by this endpoint and the verify page.
pub(crate) async fn check(
    state: &AppState,
    image: Bytes,
) -> Result<(VerificationReport, &'static str), ApiError> {
    let report = run(state, image.clone(), Vec::new()).await?;
    let needs_certificate = needs_certificate(&report);
    let report = match (needs_certificate, &report.terminal_id) {
        (true, Some(terminal_id)) => {
            let known = merchants::certificates_of_terminal(state.db().read(), terminal_id)
                .await?
                .iter()
                .filter_map(|c| TerminalCertificate::from_pem(&c.certificate).ok())
                .collect::<Vec<_>>();
            if known.is_empty() {
                report
            } else {
                run(state, image, known).await?
            }
        }
        _ => report,
    };
    let outcome = match (verdict(&report), report.tampered) {
        (status::VERIFIED, _) => "authentic",
        (_, true) => "tampered",
        _ => "not_authentic",
    };
    Ok((report, outcome))
}

async fn run(
    state: &AppState,
    image: Bytes,
    known: Vec<TerminalCertificate>,
) -> Result<VerificationReport, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        verify_image(
            &image,
            &VerifyOptions {
                trust_anchor: Some(state.keys().ca().certificate()),
                known_certificates: &known,
                at_unix_seconds: crate::db::now(),
            },
        )
    })
    .await
    .map_err(PlatformError::from)?
    .map_err(|_| {
        ApiError::bad_request(
            "unreadable_image",
            "the body is not a readable PNG or JPEG image",
        )
    })
}

/// Whether the report was made from the QR code alone and skipped the signature because the
/// terminal's certificate was unknown.
fn needs_certificate(report: &VerificationReport) -> bool {
    report.outcome("evidence") == Some(Outcome::Skipped)
        && report.outcome("signature") == Some(Outcome::Skipped)
}
