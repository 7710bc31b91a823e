//! The QR summary: what a verifier can check from the printed code alone.

use super::{ChainValue, ReceiptId, ReceiptRecord, base32, sha256};
use crate::bytes::ByteReader;
use crate::money::Currency;
use crate::transaction::Kind;

/// The text every ereceipt QR code starts with; the rest is base32 of the binary summary.
pub const QR_PREFIX: &str = "ER1:";

/// Domain separation for the terminal's signature over a summary.
const SIGNED_DOMAIN: &[u8] = b"ereceipt-qr/1\0";

const VERSION: u8 = 1;
const FLAG_SIGNED: u8 = 1;

/// The receipt's machine-readable summary, modelled on RKSV's receipt code.
///
/// Binary layout (version 1), before base32:
/// version `01`, flags (bit 0 signed, bits 1–2 kind: 0 sale, 1 refund, 2 void), receipt id
/// (16 bytes), counter (unsigned LEB128), local time as Unix seconds (i64 LE) and its UTC offset
/// in minutes (i16 LE), amount in minor units (unsigned LEB128), ISO 4217 numeric currency
/// (u16 LE), the first 8 bytes of the previous chain value, SHA-256 of the record (32 bytes),
/// certificate serial (length byte + bytes), terminal id (length byte + ASCII), and, when signed,
/// the 64-byte ES256 signature (r‖s) over `"ereceipt-qr/1\0"` followed by everything before it.
#[derive(Clone, PartialEq, Eq)]
pub struct QrSummary {
    /// The receipt id.
    pub receipt_id: ReceiptId,
    /// Sale, refund or void.
    pub kind: Kind,
    /// The terminal's counter.
    pub counter: u64,
    /// Local time as Unix seconds.
    pub unix_time: i64,
    /// The local UTC offset in minutes.
    pub utc_offset_minutes: i16,
    /// Amount in minor units.
    pub amount: u64,
    /// ISO 4217 numeric currency code.
    pub currency_numeric: u16,
    /// The first 8 bytes of the previous record's chain value.
    pub previous: [u8; 8],
    /// SHA-256 of the full record.
    pub record_digest: [u8; 32],
    /// The terminal certificate's serial number.
    pub certificate_serial: Vec<u8>,
    /// The terminal id.
    pub terminal_id: String,
    /// The terminal's signature, absent when the receipt was issued unsigned.
    pub signature: Option<[u8; 64]>,
}

impl std::fmt::Debug for QrSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrSummary")
            .field("receipt_id", &self.receipt_id)
            .field("terminal_id", &self.terminal_id)
            .field("counter", &self.counter)
            .field("signed", &self.signature.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a QR text could not be read as a summary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not start with `ER1:` or is not base32.
    #[error("not an ereceipt QR code")]
    NotEreceipt,
    /// The summary's version byte is not one this library reads.
    #[error("unsupported QR summary version {0}")]
    UnsupportedVersion(u8),
    /// The summary ends early, has trailing bytes or an impossible value.
    #[error("malformed QR summary")]
    Malformed,
}

impl QrSummary {
    /// The summary of `record`, unsigned; [`signed_message`](Self::signed_message) is what the
    /// terminal then signs.
    pub fn of(record: &ReceiptRecord) -> Self {
        let tx = &record.transaction;
        let time = tx.local_time().as_offset_date_time();
        let mut previous = [0u8; 8];
        previous.copy_from_slice(&record.previous.0[..8]);
        QrSummary {
            receipt_id: record.receipt_id,
            kind: tx.kind(),
            counter: record.counter,
            unix_time: time.unix_timestamp(),
            utc_offset_minutes: time.offset().whole_minutes(),
            amount: tx.amount().minor(),
            currency_numeric: tx.amount().currency().numeric(),
            previous,
            record_digest: record.digest(),
            certificate_serial: record.certificate_serial.clone(),
            terminal_id: record.terminal_id.clone(),
            signature: None,
        }
    }

    /// True when the summary agrees with `record` (same fields, same record digest).
    pub fn matches(&self, record: &ReceiptRecord) -> bool {
        let mut expected = QrSummary::of(record);
        expected.signature = self.signature;
        &expected == self
    }

    /// The bytes the terminal signs: the domain string and the summary as it reads once
    /// signed (signed flag set), without the signature itself.
    pub fn signed_message(&self) -> Vec<u8> {
        let mut out = SIGNED_DOMAIN.to_vec();
        self.write_body(&mut out, true);
        out
    }

    /// The chain value the next record must carry.
    pub fn chain_value(&self, record_bytes: &[u8]) -> ChainValue {
        ChainValue::after(record_bytes, self.signature.as_ref())
    }

    fn write_body(&self, out: &mut Vec<u8>, signed: bool) {
        let kind = match self.kind {
            Kind::Sale => 0u8,
            Kind::Refund => 1,
            Kind::Void => 2,
        };
        out.push(VERSION);
        out.push((u8::from(signed) * FLAG_SIGNED) | (kind << 1));
        out.extend_from_slice(self.receipt_id.as_bytes());
        write_varint(out, self.counter);
        out.extend_from_slice(&self.unix_time.to_le_bytes());
        out.extend_from_slice(&self.utc_offset_minutes.to_le_bytes());
        write_varint(out, self.amount);
        out.extend_from_slice(&self.currency_numeric.to_le_bytes());
        out.extend_from_slice(&self.previous);
        out.extend_from_slice(&self.record_digest);
        for field in [
            self.certificate_serial.as_slice(),
            self.terminal_id.as_bytes(),
        ] {
            out.push(u8::try_from(field.len()).expect("serials and terminal ids are short"));
            out.extend_from_slice(field);
        }
    }

    /// The binary summary.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(200);
        self.write_body(&mut out, self.signature.is_some());
        if let Some(signature) = &self.signature {
            out.extend_from_slice(signature);
        }
        out
    }

    /// The text put in the QR code: `ER1:` and base32 of [`to_bytes`](Self::to_bytes).
    pub fn to_text(&self) -> String {
        format!("{QR_PREFIX}{}", base32::encode(&self.to_bytes()))
    }

    /// Reads the text of a QR code. Never panics, whatever the input.
    pub fn from_text(text: &str) -> Result<Self, QrError> {
        let body = text.strip_prefix(QR_PREFIX).ok_or(QrError::NotEreceipt)?;
        let bytes = base32::decode(body).ok_or(QrError::NotEreceipt)?;
        Self::from_bytes(&bytes)
    }

    /// Reads the binary summary.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, QrError> {
        let mut r = ByteReader::new(bytes);
        let version = r.byte()?;
        if version != VERSION {
            return Err(QrError::UnsupportedVersion(version));
        }
        let flags = r.byte()?;
        if flags & !0b111 != 0 {
            return Err(QrError::Malformed);
        }
        let kind = match (flags >> 1) & 0b11 {
            0 => Kind::Sale,
            1 => Kind::Refund,
            2 => Kind::Void,
            _ => return Err(QrError::Malformed),
        };
        let receipt_id = ReceiptId::from_bytes(r.array()?);
        let counter = r.varint()?.ok_or(QrError::Malformed)?;
        let unix_time = i64::from_le_bytes(r.array()?);
        let utc_offset_minutes = i16::from_le_bytes(r.array()?);
        let amount = r.varint()?.ok_or(QrError::Malformed)?;
        let currency_numeric = u16::from_le_bytes(r.array()?);
        if Currency::from_numeric(currency_numeric).is_none() {
            return Err(QrError::Malformed);
        }
        let previous = r.array()?;
        let record_digest = r.array()?;
        let serial_len = usize::from(r.byte()?);
        let certificate_serial = r.take(serial_len)?.to_vec();
        let terminal_len = usize::from(r.byte()?);
        let terminal_id =
            String::from_utf8(r.take(terminal_len)?.to_vec()).map_err(|_| QrError::Malformed)?;
        let signature = if flags & FLAG_SIGNED != 0 {
            Some(r.array()?)
        } else {
            None
        };
        if !r.rest().is_empty() {
            return Err(QrError::Malformed);
        }
        let summary = QrSummary {
            receipt_id,
            kind,
            counter,
            unix_time,
            utc_offset_minutes,
            amount,
            currency_numeric,
            previous,
            record_digest,
            certificate_serial,
            terminal_id,
            signature,
        };
        // Canonical: a non-minimal varint would give a second text for one summary.
        if summary.to_bytes() != bytes {
            return Err(QrError::Malformed);
        }
        Ok(summary)
    }

    /// SHA-256 of the summary's bytes: a short handle for logs.
    pub fn digest(&self) -> [u8; 32] {
        sha256(&[&self.to_bytes()])
    }
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = u8::try_from(v & 0x7f).expect("seven bits fit in a byte");
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

impl From<crate::bytes::Short> for QrError {
    fn from(_: crate::bytes::Short) -> Self {
        QrError::Malformed
    }
}
