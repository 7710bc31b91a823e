//! The signed, chained receipt record and its QR summary (Source A steps 3–4).
//!
//! Every receipt is evidence the way Austria's RKSV and Germany's KassenSichV make
//! cash-register receipts evidence: it is **counted** (a per-terminal monotonic counter),
//! **chained** (each record carries the chain value of the one before, the first chains to a
//! hash of the terminal id), and **signed** with the terminal's ES256 key through the
//! [`Signer`](crate::identity::Signer) trait.
//!
//! One signature covers both forms of the receipt: the terminal signs the compact
//! [`QrSummary`] (id, time, amount, counter, previous chain value, certificate serial), which
//! includes the SHA-256 of the full record. A verifier holding only a photo of the QR code can
//! check the summary against the issuer's certificate; one holding the record checks that its
//! digest matches. If signing is unavailable (a hardware key locked or failing) the receipt is
//! still issued, marked unsigned on the image and in the QR flags, and keeps its place in the
//! chain: a gap is never silent.
//!
//! The formats are specified with test vectors in `docs/FORMAT.md`.

mod base32;
mod evidence;
mod issue;
mod qr;
mod verify;

pub use evidence::{Evidence, EvidenceError, embed_evidence, extract_evidence};
pub use issue::{
    ChainState, Credentials, IssueError, IssueRequest, IssuedReceipt, issue, watermark_key,
};
pub use qr::{QR_PREFIX, QrError, QrSummary};
pub use verify::{
    Check, Outcome, Region, VerificationReport, VerifyError, VerifyOptions, layout_of, verify_image,
};

use crate::render::{CopyKind, Paper};
use crate::transaction::Transaction;
use ring::digest::{SHA256, digest};
use serde_json::{Map, Value};
use std::fmt;

/// The version line that opens every encoded record.
pub const RECORD_FORMAT: &str = "ereceipt-record/1";

/// Domain separation for chain values.
const CHAIN_DOMAIN: &[u8] = b"ereceipt-chain/1\0";

/// A receipt id: 16 random bytes made on the device, written as a version-4 UUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReceiptId([u8; 16]);

impl ReceiptId {
    /// A fresh random id from the operating system's CSPRNG.
    pub fn random() -> Result<Self, RecordError> {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 16];
        ring::rand::SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| RecordError::Random)?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Ok(ReceiptId(bytes))
    }

    /// The id from its 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        ReceiptId(bytes)
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses the hyphenated lower-case form.
    pub fn parse(text: &str) -> Option<Self> {
        let hex: String = text.split('-').collect();
        let groups: Vec<usize> = text.split('-').map(str::len).collect();
        if groups != [8, 4, 4, 4, 12] || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let bytes = from_hex(&hex)?;
        Some(ReceiptId(bytes.try_into().ok()?))
    }
}

impl fmt::Display for ReceiptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex(&self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

impl fmt::Debug for ReceiptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReceiptId({self})")
    }
}

/// A link of the receipt chain: SHA-256 over the previous record and its signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainValue(pub [u8; 32]);

impl ChainValue {
    /// What the first record of a terminal chains to: SHA-256 of the domain and the terminal id.
    pub fn genesis(terminal_id: &str) -> Self {
        ChainValue(sha256(&[CHAIN_DOMAIN, terminal_id.as_bytes()]))
    }

    /// The chain value after a record: SHA-256 of the domain, the encoded record and its
    /// signature (nothing for an unsigned record).
    pub fn after(record_bytes: &[u8], signature: Option<&[u8; 64]>) -> Self {
        let signature: &[u8] = signature.map_or(&[], |s| s.as_slice());
        ChainValue(sha256(&[CHAIN_DOMAIN, record_bytes, signature]))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for ChainValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainValue({})", &self.to_hex()[..16])
    }
}

/// Everything the terminal signs about one receipt, and what a verifier needs to re-render it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiptRecord {
    /// The receipt's id.
    pub receipt_id: ReceiptId,
    /// The issuing terminal.
    pub terminal_id: String,
    /// The terminal's receipt counter: 1 for its first receipt, one more for each after.
    pub counter: u64,
    /// The chain value of the terminal's previous record (or the genesis value).
    pub previous: ChainValue,
    /// The transaction, as validated (card number masked).
    pub transaction: Transaction,
    /// SHA-256 of the raw strokes' `ESIG` encoding, when there is a signature.
    pub strokes_digest: Option<[u8; 32]>,
    /// [`band_digest`] of the signature band as printed (see
    /// [`render::signature_band`](crate::render::signature_band)).
    pub signature_band_digest: Option<[u8; 32]>,
    /// SHA-256 of the terminal certificate (DER).
    pub certificate_fingerprint: [u8; 32],
    /// The terminal certificate's serial number.
    pub certificate_serial: Vec<u8>,
    /// The renderer that drew the image ([`RENDERER_VERSION`](crate::render::RENDERER_VERSION)).
    pub renderer: String,
    /// The font pack it used ([`FontPack::id`](crate::render::font::FontPack::id)).
    pub font_pack: String,
    /// The paper width.
    pub paper: Paper,
    /// Which copy the image is.
    pub copy: CopyKind,
}

/// Why a record could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes do not start with the `ereceipt-record/1` line.
    #[error("not an ereceipt-record/1")]
    UnknownFormat,
    /// The record is not valid JSON of the record's shape; `field` names the part.
    #[error("receipt record: {field} is missing or invalid")]
    Invalid {
        /// The field.
        field: String,
    },
    /// The record parses but is not in canonical form, so its signature cannot be trusted to
    /// cover what it shows.
    #[error("receipt record is not in canonical form")]
    NotCanonical,
    /// The operating system's random source failed.
    #[error("the system random source failed")]
    Random,
}

impl ReceiptRecord {
    /// The canonical encoding: the format line, a newline, then JSON with keys sorted and no
    /// insignificant white space. This is what is hashed, chained and embedded.
    pub fn encode(&self) -> Vec<u8> {
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_owned(), v);
        };
        put("receipt_id", Value::String(self.receipt_id.to_string()));
        put("terminal_id", Value::String(self.terminal_id.clone()));
        put("counter", Value::from(self.counter));
        put("previous", Value::String(self.previous.to_hex()));
        let tx: Value = serde_json::from_str(&self.transaction.to_json())
            .expect("Transaction::to_json writes JSON");
        put("transaction", tx);
        if let Some(d) = &self.strokes_digest {
            put("strokes_digest", Value::String(hex(d)));
        }
        if let Some(d) = &self.signature_band_digest {
            put("signature_band_digest", Value::String(hex(d)));
        }
        put(
            "certificate_fingerprint",
            Value::String(hex(&self.certificate_fingerprint)),
        );
        put(
            "certificate_serial",
            Value::String(hex(&self.certificate_serial)),
        );
        put("renderer", Value::String(self.renderer.clone()));
        put("font_pack", Value::String(self.font_pack.clone()));
        put("paper", Value::from(self.paper.width()));
        put("copy", Value::String(copy_name(self.copy).to_owned()));
        let mut out = format!("{RECORD_FORMAT}\n").into_bytes();
        write_canonical(&Value::Object(map), &mut out);
        out
    }

    /// Reads a record, insisting on the canonical encoding byte for byte.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let prefix = format!("{RECORD_FORMAT}\n");
        let body = bytes
            .strip_prefix(prefix.as_bytes())
            .ok_or(RecordError::UnknownFormat)?;
        let value: Value = serde_json::from_slice(body).map_err(|_| RecordError::Invalid {
            field: "record".into(),
        })?;
        let obj = value.as_object().ok_or(RecordError::Invalid {
            field: "record".into(),
        })?;
        let invalid = |field: &str| RecordError::Invalid {
            field: field.into(),
        };
        let text = |field: &str| {
            obj.get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(field))
        };
        let digest = |field: &str| -> Result<Option<[u8; 32]>, RecordError> {
            match obj.get(field) {
                None => Ok(None),
                Some(v) => {
                    let bytes = v
                        .as_str()
                        .and_then(from_hex)
                        .ok_or_else(|| invalid(field))?;
                    Ok(Some(bytes.try_into().map_err(|_| invalid(field))?))
                }
            }
        };
        let record = ReceiptRecord {
            receipt_id: ReceiptId::parse(text("receipt_id")?)
                .ok_or_else(|| invalid("receipt_id"))?,
            terminal_id: text("terminal_id")?.to_owned(),
            counter: obj
                .get("counter")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("counter"))?,
            previous: ChainValue(digest("previous")?.ok_or_else(|| invalid("previous"))?),
            transaction: Transaction::from_json(
                &obj.get("transaction")
                    .ok_or_else(|| invalid("transaction"))?
                    .to_string(),
            )
            .map_err(|_| invalid("transaction"))?,
            strokes_digest: digest("strokes_digest")?,
            signature_band_digest: digest("signature_band_digest")?,
            certificate_fingerprint: digest("certificate_fingerprint")?
                .ok_or_else(|| invalid("certificate_fingerprint"))?,
            certificate_serial: from_hex(text("certificate_serial")?)
                .filter(|s| !s.is_empty() && s.len() <= 20)
                .ok_or_else(|| invalid("certificate_serial"))?,
            renderer: text("renderer")?.to_owned(),
            font_pack: text("font_pack")?.to_owned(),
            paper: obj
                .get("paper")
                .and_then(Value::as_u64)
                .and_then(|w| u32::try_from(w).ok())
                .and_then(Paper::from_width)
                .ok_or_else(|| invalid("paper"))?,
            copy: copy_from_name(text("copy")?).ok_or_else(|| invalid("copy"))?,
        };
        if record.encode() != bytes {
            return Err(RecordError::NotCanonical);
        }
        Ok(record)
    }

    /// SHA-256 of the canonical encoding.
    pub fn digest(&self) -> [u8; 32] {
        sha256(&[&self.encode()])
    }
}

fn copy_name(copy: CopyKind) -> &'static str {
    match copy {
        CopyKind::Merchant => "merchant",
        CopyKind::Duplicate => "duplicate",
        _ => "customer",
    }
}

fn copy_from_name(name: &str) -> Option<CopyKind> {
    match name {
        "customer" => Some(CopyKind::Customer),
        "merchant" => Some(CopyKind::Merchant),
        "duplicate" => Some(CopyKind::Duplicate),
        _ => None,
    }
}

/// Writes JSON with object keys sorted by their UTF-8 bytes and no white space. Our keys are
/// ASCII, where this equals RFC 8785's UTF-16 order; all numbers are integers.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(key).expect("a string always serialises"));
                out.push(b':');
                write_canonical(&map[key], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => out.extend(serde_json::to_vec(other).expect("a JSON scalar always serialises")),
    }
}

pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&SHA256);
    for part in parts {
        ctx.update(part);
    }
    ctx.finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

/// The digest of a signature band as the record holds it: [`bitmap_digest`] of the band with
/// every pixel whose coordinates are both even cleared. The watermark may flip exactly those
/// pixels (its carriers lie on that lattice, and the band always starts at even coordinates),
/// so the digest is the same before and after watermarking; the lattice pixels are covered by
/// the watermark's codes instead.
pub fn band_digest(band: &crate::render::Bitmap) -> [u8; 32] {
    let mut masked = band.clone();
    for y in (0..band.height()).step_by(2) {
        for x in (0..band.width()).step_by(2) {
            masked.set(x, y, false);
        }
    }
    bitmap_digest(&masked)
}

/// SHA-256 of a bitmap's pixels with its dimensions, as hashed into the record.
pub fn bitmap_digest(bitmap: &crate::render::Bitmap) -> [u8; 32] {
    let dims = [bitmap.width().to_be_bytes(), bitmap.height().to_be_bytes()].concat();
    let d = digest(&SHA256, &[dims.as_slice(), bitmap.pixels()].concat());
    d.as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses lower-case hex; `None` for anything else.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 == 1
        || text
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
