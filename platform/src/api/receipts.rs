//! `PUT /v1/receipts/{receipt_id}`: the terminal's upload.

use super::{body_error, media_type_is, unsupported_media_type};
use crate::error::ApiError;
use crate::ingest::{Stored, ingest};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use ereceipt_core::upload::ENVELOPE_MEDIA_TYPE;

pub(super) async fn put(
    State(state): State<AppState>,
    Path(receipt_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if !media_type_is(&headers, &[ENVELOPE_MEDIA_TYPE, "application/octet-stream"]) {
        return Err(unsupported_media_type(
            "send the envelope as application/vnd.ereceipt.envelope",
        ));
    }
    let body = body.map_err(|r| body_error(&r))?;
    let result = ingest(&state, &receipt_id, body).await;
    let (status, word) = match result {
        Ok(Stored::Created) => (StatusCode::CREATED, "stored"),
        Ok(Stored::Duplicate) => (StatusCode::OK, "duplicate"),
        Err(e) => {
            tracing::info!(code = e.code(), receipt = %receipt_id, "upload refused");
            return Err(e);
        }
    };
    Ok((
        status,
        Json(serde_json::json!({ "receipt_id": receipt_id, "status": word })),
    ))
}
