//! The watermark key: derived from the terminal's record signature and the receipt id.

use ring::{hkdf, hmac};

/// Domain separation for every key and every block code of this watermark version.
pub(super) const DOMAIN: &[u8] = b"ereceipt-watermark/1";

/// The key that embeds and checks one receipt's watermark.
///
/// Derived with HKDF-SHA256 (salt `ereceipt-watermark/1`, input the record signature, info the
/// receipt id), so each receipt has its own key and a block copied from another receipt never
/// carries a valid code. The key is only as secret as its input: see the module documentation
/// on what that means for a signature printed in the QR code.
#[derive(Clone)]
pub struct WatermarkKey {
    key: hmac::Key,
    receipt_id: [u8; 16],
    signed: bool,
}

impl std::fmt::Debug for WatermarkKey {
    /// Redacted: the key is derived from a signature and must not reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatermarkKey")
            .field("signed", &self.signed)
            .finish_non_exhaustive()
    }
}

impl WatermarkKey {
    /// The key of a signed receipt, from the terminal's ECDSA signature of its record (r‖s,
    /// 64 bytes; any length is accepted) and the receipt id.
    pub fn derive(record_signature: &[u8], receipt_id: &[u8; 16]) -> Self {
        WatermarkKey {
            key: expand(record_signature, b"signed", receipt_id),
            receipt_id: *receipt_id,
            signed: true,
        }
    }

    /// The key of a receipt issued without a terminal signature, from the SHA-256 digest of
    /// its record. Anyone holding the record can recompute it, so a mark made with it only
    /// detects accidental or naive edits, never a deliberate forgery.
    pub fn unsigned(record_digest: &[u8; 32], receipt_id: &[u8; 16]) -> Self {
        WatermarkKey {
            key: expand(record_digest, b"unsigned", receipt_id),
            receipt_id: *receipt_id,
            signed: false,
        }
    }

    /// True when derived from a terminal signature ([`WatermarkKey::derive`]).
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    pub(super) fn hmac(&self) -> &hmac::Key {
        &self.key
    }

    pub(super) fn receipt_id(&self) -> &[u8; 16] {
        &self.receipt_id
    }
}

fn expand(secret: &[u8], kind: &[u8], receipt_id: &[u8; 16]) -> hmac::Key {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, DOMAIN).extract(secret);
    let info = [kind, b"\0", receipt_id];
    let okm = prk
        .expand(&info, hmac::HMAC_SHA256)
        .expect("32 bytes is far below HKDF's output limit");
    hmac::Key::from(okm)
}
