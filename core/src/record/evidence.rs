//! The evidence chunk: the signed record and the certificate chain inside the receipt PNG.
//!
//! Stored as one compressed `iTXt` chunk with the keyword `ereceipt` right after `IHDR`. Its
//! text is canonical JSON: `{"certificates":[PEM…],"format":"ereceipt-evidence/1",
//! "record":"<encoded record>","signature":"<hex r‖s>"|null}`. The chunk is what lets anyone
//! verify a receipt file offline; it is lost when a messaging app strips metadata, which is why
//! the QR code and the watermark carry the identity too.

use serde_json::{Value, json};

/// The PNG text keyword of the evidence chunk.
const KEYWORD: &str = "ereceipt";
/// The version of the evidence JSON.
const EVIDENCE_FORMAT: &str = "ereceipt-evidence/1";
/// The largest evidence text accepted when reading, inflated.
const MAX_TEXT: usize = 256 * 1024;

/// What a receipt PNG carries besides its pixels.
#[derive(Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The encoded record ([`ReceiptRecord::encode`](super::ReceiptRecord::encode)).
    pub record: Vec<u8>,
    /// The terminal's signature (r‖s), absent for an unsigned receipt.
    pub signature: Option<[u8; 64]>,
    /// The certificate chain as PEM, terminal certificate first.
    pub certificates: Vec<String>,
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evidence")
            .field("record_bytes", &self.record.len())
            .field("signed", &self.signature.is_some())
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

/// Why the evidence chunk could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The file is not a PNG or its chunks are cut short.
    #[error("not a PNG file")]
    NotPng,
    /// The evidence chunk is damaged or not of a known format.
    #[error("the ereceipt evidence chunk is damaged")]
    Damaged,
}

/// Inserts the evidence chunk into a PNG after its `IHDR` chunk.
pub fn embed_evidence(png: &[u8], evidence: &Evidence) -> Vec<u8> {
    let record = String::from_utf8_lossy(&evidence.record).into_owned();
    let value = json!({
        "certificates": evidence.certificates,
        "format": EVIDENCE_FORMAT,
        "record": record,
        "signature": evidence.signature.map(|s| super::hex(&s)),
    });
    let text = serde_json::to_vec(&value).expect("JSON values serialise");
    let mut data = Vec::with_capacity(text.len() / 2 + 32);
    data.extend_from_slice(KEYWORD.as_bytes());
    // Null separator, compression flag 1, method 0 (zlib), empty language tag and translated
    // keyword, each null-terminated.
    data.extend_from_slice(&[0, 1, 0, 0, 0]);
    data.extend(miniz_oxide::deflate::compress_to_vec_zlib(&text, 9));
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut out = Vec::with_capacity(png.len() + data.len() + 12);
    out.extend_from_slice(&png[..ihdr_end.min(png.len())]);
    out.extend(
        u32::try_from(data.len())
            .expect("evidence is small")
            .to_be_bytes(),
    );
    let mut crc_input = b"iTXt".to_vec();
    crc_input.extend_from_slice(&data);
    out.extend_from_slice(&crc_input);
    out.extend(crc32(&crc_input).to_be_bytes());
    out.extend_from_slice(&png[ihdr_end.min(png.len())..]);
    out
}

/// Finds and reads the evidence chunk. `Ok(None)` when the PNG has none (metadata stripped).
pub fn extract_evidence(png: &[u8]) -> Result<Option<Evidence>, EvidenceError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let mut rest = png.strip_prefix(SIGNATURE).ok_or(EvidenceError::NotPng)?;
    while rest.len() >= 12 {
        let len = usize::try_from(u32::from_be_bytes(
            rest[..4].try_into().map_err(|_| EvidenceError::NotPng)?,
        ))
        .map_err(|_| EvidenceError::NotPng)?;
        let kind = &rest[4..8];
        let data = rest.get(8..8 + len).ok_or(EvidenceError::NotPng)?;
        if kind == b"iTXt" && data.starts_with(b"ereceipt\0") {
            return parse(&data[KEYWORD.len() + 1..]).map(Some);
        }
        if kind == b"IEND" {
            break;
        }
        rest = rest.get(12 + len..).ok_or(EvidenceError::NotPng)?;
    }
    Ok(None)
}

fn parse(data: &[u8]) -> Result<Evidence, EvidenceError> {
    let [1, 0, 0, 0, compressed @ ..] = data else {
        return Err(EvidenceError::Damaged);
    };
    let text = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(compressed, MAX_TEXT)
        .map_err(|_| EvidenceError::Damaged)?;
    let value: Value = serde_json::from_slice(&text).map_err(|_| EvidenceError::Damaged)?;
    if value.get("format").and_then(Value::as_str) != Some(EVIDENCE_FORMAT) {
        return Err(EvidenceError::Damaged);
    }
    let record = value
        .get("record")
        .and_then(Value::as_str)
        .ok_or(EvidenceError::Damaged)?;
    let signature = match value.get("signature") {
        Some(Value::String(h)) => Some(
            super::from_hex(h)
                .and_then(|b| b.try_into().ok())
                .ok_or(EvidenceError::Damaged)?,
        ),
        Some(Value::Null) | None => None,
        Some(_) => return Err(EvidenceError::Damaged),
    };
    let certificates = value
        .get("certificates")
        .and_then(Value::as_array)
        .ok_or(EvidenceError::Damaged)?
        .iter()
        .map(|c| c.as_str().map(str::to_owned).ok_or(EvidenceError::Damaged))
        .collect::<Result<_, _>>()?;
    Ok(Evidence {
        record: record.as_bytes().to_vec(),
        signature,
        certificates,
    })
}

/// CRC-32 as PNG chunks use it (ISO 3309, reflected, polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
