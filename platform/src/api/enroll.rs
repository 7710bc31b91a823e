//! `POST /v1/enrollments`: a terminal spends a one-time token and gets its certificate.
//!
//! The terminal id is the CSR's common name; the merchant id and name come from the token's
//! merchant in the database, never from the CSR, so a token of merchant A cannot produce a
//! certificate naming merchant B. The token is spent by an atomic `UPDATE … WHERE used_at IS
//! NULL` in the same transaction that records the certificate: of two concurrent uses exactly
//! one succeeds, and a failure after spending rolls the spending back.

use crate::admin::token_hash;
use crate::db::{self, merchants};
use crate::error::{ApiError, PlatformError};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use ereceipt_core::identity::{
    TERMINAL_CERTIFICATE_LIFETIME, TerminalCertificate, TerminalCsr, TerminalSubject,
};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct EnrollRequest {
    token: String,
    csr: String,
}

pub(super) async fn enroll(
    State(state): State<AppState>,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let Json(request) = body.map_err(|_| {
        ApiError::bad_request("invalid_request", "expected JSON with token and csr")
    })?;
    let csr = TerminalCsr::from_pem(&request.csr).map_err(|_| {
        ApiError::bad_request(
            "invalid_csr",
            "the certificate signing request is not valid",
        )
    })?;
    let terminal_id = csr.subject().terminal_id().to_owned();
    let hash = token_hash(&request.token);
    let key = state.keys().current()?;
    let now = db::now();
    let mut tx = state.db().begin().await?;
    let Some(merchant) = merchants::claim_token(&mut tx, &hash, &terminal_id, now).await? else {
        drop(tx);
        return Err(token_refusal(&state, &hash, now).await);
    };
    let subject = TerminalSubject::new(&merchant.merchant_id, &merchant.name, &terminal_id)
        .map_err(PlatformError::from)?;
    let ca = state.keys().ca();
    let start = time::OffsetDateTime::from_unix_timestamp(now)
        .map_err(|_| PlatformError::config("clock out of range"))?;
    let end = (start + TERMINAL_CERTIFICATE_LIFETIME).min(ca.certificate().not_after());
    let pem = ca
        .issue_request_for(&csr, &subject, start, end)
        .map_err(PlatformError::from)?;
    let leaf = TerminalCertificate::from_pem(&pem).map_err(PlatformError::from)?;
    let fingerprint = ereceipt_core::record::hex(&leaf.fingerprint());
    let record = merchants::NewCertificate {
        fingerprint: &fingerprint,
        merchant_id: &merchant.merchant_id,
        terminal_id: &terminal_id,
        serial: leaf.serial_hex(),
        pem: &pem,
        not_after: leaf.not_after().unix_timestamp(),
    };
    merchants::insert_certificate(&mut tx, &record, now).await?;
    tx.commit().await?;
    tracing::info!(merchant = %merchant.merchant_id, terminal = %terminal_id, "terminal enrolled");
    let body = serde_json::json!({
        "terminal_id": terminal_id,
        "merchant_id": merchant.merchant_id,
        "merchant_name": merchant.name,
        "certificate_chain": [pem, ca.certificate_pem()],
        "platform_key": {
            "key_id": key.key_id(),
            "public_key": key.public_key().to_pem(),
        },
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// Why a token could not be spent: unknown, used or expired (403 each).
async fn token_refusal(state: &AppState, hash: &str, now: i64) -> ApiError {
    let refusal = |code, message| ApiError::new(StatusCode::FORBIDDEN, code, message);
    match merchants::token(state.db().read(), hash).await {
        Ok(Some(t)) if t.used_at.is_some() => {
            refusal("token_used", "this enrollment token has been used")
        }
        Ok(Some(t)) if t.expires_at <= now => {
            refusal("token_expired", "this enrollment token has expired")
        }
        Ok(_) => refusal("token_invalid", "this enrollment token is not valid"),
        Err(e) => e.into(),
    }
}
