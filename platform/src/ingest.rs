//! Ingest: a sealed envelope in, a stored and checked receipt out (`PUT /v1/receipts/{id}`).
//!
//! In order, cheapest first, so that junk costs little:
//! 1. the path id, the envelope header and its receipt id (400);
//! 2. the terminal's upload rate, counted in the database (429);
//! 3. an identical resend (same envelope bytes) is answered 200 before any RSA work;
//! 4. the key id (400 `unknown_key`), then opening: aws-lc's constant-time RSA-OAEP unwraps the
//!    content key and `ereceipt_core::seal::open_with` does the rest (400 `undecryptable`);
//! 5. the record, its binding to the certificate, the certificate's chain to the platform CA
//!    and the ES256 signature (an unsigned receipt is stored, marked unsigned: the RKSV rule);
//! 6. the receipt writer: the envelope and image into the batch's pack object, then one
//!    transaction per batch that checks each certificate is one the platform issued to the
//!    terminal and has not revoked (400 `unknown_certificate`, 403 `certificate_revoked`) and
//!    writes each receipt's row, chain findings, delivery and verification job
//!    ([`crate::writer`]).
//!
//! **Duplicates.** A receipt's content identity is its chain value,
//! SHA-256(record ‖ signature): what the terminal signed. The same id with the same identity is
//! a resend (200) even if it was sealed again with fresh randomness (different envelope bytes);
//! the same id with another identity is a conflict (409). The first stored envelope is kept.

use crate::db::receipts::{self, NewReceipt};
use crate::db::{self, rate};
use crate::error::{ApiError, PlatformError};
use crate::secret::sha256_hex;
use crate::state::AppState;
use crate::writer::{Inserted, Refusal};
use axum::body::Bytes;
use axum::http::StatusCode;
use ereceipt_core::identity::{TerminalCertificate, verify_es256};
use ereceipt_core::record::{ChainValue, QrSummary, RECORD_FORMAT, ReceiptId, ReceiptRecord};
use ereceipt_core::seal::{Delivery, EnvelopeHeader, ReceiptPayload, SealError, open_with};
use ereceipt_core::transaction::Kind;
use std::sync::Arc;

/// What ingest did with an envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Stored now (201).
    Created,
    /// Stored before (200).
    Duplicate,
}

/// An opened and checked envelope.
struct Opened {
    header: EnvelopeHeader,
    payload: ReceiptPayload,
    record: ReceiptRecord,
    leaf: Arc<TerminalCertificate>,
    /// The chain value: SHA-256 over record and signature, hex.
    content_hash: String,
}

/// Ingests one envelope uploaded to `path_id`.
pub(crate) async fn ingest(
    state: &AppState,
    path_id: &str,
    envelope: Bytes,
) -> Result<Stored, ApiError> {
    let _in_flight = state.ingest_started();
    let receipt_id = ReceiptId::parse(path_id).ok_or(ApiError::bad_request(
        "invalid_receipt_id",
        "the receipt id is not a lower-case UUID",
    ))?;
    let header = ereceipt_core::seal::read_header(&envelope).map_err(|_| malformed())?;
    if header.receipt_id != receipt_id {
        return Err(id_mismatch());
    }
    rate_limit(state, &header.terminal_id).await?;
    let id = receipt_id.to_string();
    let envelope_sha256 = sha256_hex(&envelope);
    let existing = receipts::identity(state.db().read(), &id).await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.envelope_sha256 == envelope_sha256)
    {
        return Ok(Stored::Duplicate);
    }
    let opened = {
        let (cpu, envelope, key_id) = (state.clone(), envelope.clone(), header.key_id.clone());
        state
            .on_cpu(move || open_and_check(&cpu, &key_id, &envelope))
            .await??
    };
    if let Some(existing) = existing {
        return same_content(&existing.content_hash, &opened.content_hash);
    }
    store(state, opened, envelope, envelope_sha256).await
}

async fn rate_limit(state: &AppState, terminal_id: &str) -> Result<(), ApiError> {
    let per_minute = state.limits().rate_per_minute;
    if per_minute == 0 {
        return Ok(());
    }
    let now = db::now();
    let count = rate::hit(state.db().write(), &format!("terminal:{terminal_id}"), now).await?;
    if count > i64::from(per_minute) {
        let wait = rate::WINDOW_SECONDS - now.rem_euclid(rate::WINDOW_SECONDS);
        return Err(ApiError::rate_limited(wait.unsigned_abs()));
    }
    Ok(())
}

/// The CPU part: unwrap, decrypt, decode and check the signed content.
fn open_and_check(state: &AppState, key_id: &str, envelope: &[u8]) -> Result<Opened, ApiError> {
    let key = state
        .keys()
        .encryption_key(key_id)?
        .ok_or(ApiError::bad_request(
            "unknown_key",
            "the envelope is sealed under a key this platform does not have",
        ))?;
    let (header, payload) = open_with(envelope, key.key_id(), |wrapped| key.unwrap(wrapped))
        .map_err(|e| match e {
            SealError::Unwrap | SealError::Authentication => ApiError::bad_request(
                "undecryptable",
                "the envelope cannot be decrypted with the platform key",
            ),
            _ => malformed(),
        })?;
    let record = ReceiptRecord::decode(&payload.record).map_err(|_| {
        ApiError::bad_request("invalid_record", "the receipt record is not a valid record")
    })?;
    if record.receipt_id != header.receipt_id {
        return Err(id_mismatch());
    }
    if record.terminal_id != header.terminal_id {
        return Err(ApiError::bad_request(
            "terminal_mismatch",
            "the envelope header and the record name different terminals",
        ));
    }
    let leaf = payload
        .certificates
        .first()
        .ok_or_else(untrusted)
        .and_then(|pem| {
            state
                .verified_certificates()
                .verify(pem, state.keys().ca().certificate(), db::now())
                .map_err(|_| untrusted())
        })?;
    let bound = leaf.fingerprint() == record.certificate_fingerprint
        && leaf.terminal_id() == record.terminal_id
        && leaf.merchant_id() == record.transaction.merchant().id;
    if !bound {
        return Err(ApiError::bad_request(
            "certificate_mismatch",
            "the record does not name the certificate's terminal and merchant",
        ));
    }
    if let Some(signature) = &payload.signature {
        let mut summary = QrSummary::of(&record);
        summary.signature = Some(*signature);
        verify_es256(leaf.public_key_sec1(), &summary.signed_message(), signature).map_err(
            |_| ApiError::bad_request("bad_signature", "the record's signature does not verify"),
        )?;
    }
    let content_hash = ChainValue::after(&payload.record, payload.signature.as_ref()).to_hex();
    Ok(Opened {
        header,
        payload,
        record,
        leaf,
        content_hash,
    })
}

/// The answer to a receipt the writer refused.
fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::UnknownCertificate => ApiError::bad_request(
            "unknown_certificate",
            "the terminal certificate was not issued by this platform",
        ),
        Refusal::OtherTerminal => untrusted(),
        Refusal::Revoked => ApiError::new(
            StatusCode::FORBIDDEN,
            "certificate_revoked",
            "the terminal's certificate has been revoked",
        ),
    }
}

async fn store(
    state: &AppState,
    opened: Opened,
    envelope: Bytes,
    envelope_sha256: String,
) -> Result<Stored, ApiError> {
    let mut new = new_receipt(&opened, &envelope_sha256)?;
    new.delivery = state
        .courier()
        .queue_entry(&new.receipt_id, opened.payload.delivery.as_ref())?;
    let png = Bytes::from(opened.payload.png);
    match state.writer().insert(new.clone(), envelope, png).await? {
        Inserted::Created => {
            tracing::debug!(receipt = %new.receipt_id, terminal = %new.terminal_id, "receipt stored");
            Ok(Stored::Created)
        }
        Inserted::Exists => {
            // A concurrent upload of the same id won the race.
            let stored = receipts::identity(state.db().read(), &new.receipt_id)
                .await?
                .ok_or_else(|| PlatformError::config("a stored receipt vanished"))?;
            same_content(&stored.content_hash, &new.content_hash)
        }
        Inserted::Refused(refusal) => Err(refused(refusal)),
    }
}

/// The metadata row of an opened receipt. Raw strokes and the delivery address are not in it:
/// they stay in the encrypted envelope.
fn new_receipt(opened: &Opened, envelope_sha256: &str) -> Result<NewReceipt, ApiError> {
    let record = &opened.record;
    let tx = &record.transaction;
    let id = opened.header.receipt_id.to_string();
    let out_of_range =
        || ApiError::bad_request("invalid_record", "a number in the record is out of range");
    let local_time = tx.local_time().rfc3339();
    let record_json = opened
        .payload
        .record
        .get(RECORD_FORMAT.len() + 1..)
        .and_then(|json| std::str::from_utf8(json).ok())
        .ok_or_else(out_of_range)?;
    Ok(NewReceipt {
        // Set by the writer when it packs the parts.
        envelope_key: String::new(),
        image_key: String::new(),
        receipt_id: id,
        merchant_id: opened.leaf.merchant_id().to_owned(),
        terminal_id: record.terminal_id.clone(),
        counter: i64::try_from(record.counter).map_err(|_| out_of_range())?,
        previous: record.previous.to_hex(),
        content_hash: opened.content_hash.clone(),
        envelope_sha256: envelope_sha256.to_owned(),
        key_id: opened.header.key_id.clone(),
        certificate_fingerprint: ereceipt_core::record::hex(&opened.leaf.fingerprint()),
        signed: opened.payload.signature.is_some(),
        kind: kind_name(tx.kind()).to_owned(),
        trace_number: tx.trace_number().to_owned(),
        amount: i64::try_from(tx.amount().minor()).map_err(|_| out_of_range())?,
        currency: tx.amount().currency().code().to_owned(),
        local_date: local_time.get(..10).unwrap_or_default().to_owned(),
        local_time,
        record: record_json.to_owned(),
        delivery_kind: opened
            .payload
            .delivery
            .as_ref()
            .map(|d| delivery_kind(d).to_owned()),
        delivery: None,
    })
}

/// 200 when the stored receipt has the same content identity, 409 otherwise.
fn same_content(stored: &str, uploaded: &str) -> Result<Stored, ApiError> {
    if crate::secret::digests_equal(stored, uploaded) {
        Ok(Stored::Duplicate)
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "a different receipt is stored under this id",
        ))
    }
}

/// The transaction kind as stored and shown.
pub(crate) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Sale => "sale",
        Kind::Refund => "refund",
        Kind::Void => "void",
    }
}

fn delivery_kind(delivery: &Delivery) -> &'static str {
    match delivery {
        Delivery::Sms(_) => "sms",
        Delivery::Mms(_) => "mms",
        Delivery::Email(_) => "email",
        Delivery::Pull(_) => "pull",
        _ => "other",
    }
}

fn malformed() -> ApiError {
    ApiError::bad_request(
        "malformed_envelope",
        "the body is not a valid sealed envelope",
    )
}

fn id_mismatch() -> ApiError {
    ApiError::bad_request(
        "receipt_id_mismatch",
        "the receipt id in the path differs from the envelope's",
    )
}

fn untrusted() -> ApiError {
    ApiError::bad_request(
        "untrusted_certificate",
        "the terminal certificate is missing, expired or not issued by the platform CA",
    )
}
