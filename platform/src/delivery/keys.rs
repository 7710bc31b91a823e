//! The delivery key (`DATA/keys/delivery.key`): one 256-bit secret from which the keys that
//! protect customers' addresses and the portal's secrets are derived (HMAC-SHA256 with a label
//! per use, so one key is never used for two purposes).
//!
//! - **address**: AES-256-GCM over each delivery address, with the receipt id as associated
//!   data, so a sealed address cannot be moved to another receipt's row.
//! - **lookup**: HMAC of a normalised phone number: the portal finds a customer's receipts by
//!   it; without the key a copy of the database does not reveal which numbers are in it.
//! - **code**: HMAC of a login code with its number: a six-digit code is easily brute-forced
//!   from a plain hash, not from a keyed one.
//! - **csrf**: HMAC binding a form's token to the browser's CSRF cookie.
//!
//! The file is created like the platform's other keys (exclusively, mode 0600) on first start;
//! every instance of a deployment must hold the same file.

use crate::error::PlatformError;
use crate::keys::{create_exclusive, keys_dir};
use crate::secret::random_bytes;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ereceipt_core::record::hex;
use std::fmt;
use std::path::Path;

const FILE: &str = "delivery.key";

/// The keys derived from the delivery key.
pub(crate) struct DeliveryKeys {
    address: LessSafeKey,
    lookup: hmac::Key,
    code: hmac::Key,
    csrf: hmac::Key,
}

impl fmt::Debug for DeliveryKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeliveryKeys(redacted)")
    }
}

impl DeliveryKeys {
    /// Loads `DATA/keys/delivery.key`, creating it on first start.
    pub(crate) fn load_or_create(data_dir: &Path) -> Result<Self, PlatformError> {
        let path = keys_dir(data_dir)?.join(FILE);
        if !path.exists() {
            create_exclusive(&path, hex(&random_bytes::<32>()?).as_bytes())?;
        }
        let text = std::fs::read_to_string(&path).map_err(PlatformError::io(&path))?;
        let master = decode_hex32(text.trim())
            .ok_or_else(|| PlatformError::key("delivery.key is not 64 hex digits"))?;
        Self::from_master(&master)
    }

    fn from_master(master: &[u8; 32]) -> Result<Self, PlatformError> {
        let root = hmac::Key::new(hmac::HMAC_SHA256, master);
        let derive = |label: &str| hmac::sign(&root, label.as_bytes());
        let address = UnboundKey::new(&AES_256_GCM, derive("ereceipt/address/v1").as_ref())
            .map_err(|_| PlatformError::key("the address key cannot be made"))?;
        let hmac_key = |label: &str| hmac::Key::new(hmac::HMAC_SHA256, derive(label).as_ref());
        Ok(DeliveryKeys {
            address: LessSafeKey::new(address),
            lookup: hmac_key("ereceipt/phone-lookup/v1"),
            code: hmac_key("ereceipt/login-code/v1"),
            csrf: hmac_key("ereceipt/csrf/v1"),
        })
    }

    /// Encrypts an address for the row of `receipt_id`: base64 of nonce ‖ ciphertext ‖ tag.
    pub(crate) fn seal_address(
        &self,
        receipt_id: &str,
        address: &str,
    ) -> Result<String, PlatformError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut data = address.as_bytes().to_vec();
        self.address
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(receipt_id.as_bytes()),
                &mut data,
            )
            .map_err(|_| PlatformError::key("an address could not be encrypted"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what [`DeliveryKeys::seal_address`] made for the same receipt.
    pub(crate) fn open_address(
        &self,
        receipt_id: &str,
        sealed: &str,
    ) -> Result<String, PlatformError> {
        let damaged = || PlatformError::key("a stored address cannot be decrypted");
        let mut bytes = STANDARD.decode(sealed).map_err(|_| damaged())?;
        if bytes.len() < NONCE_LEN {
            return Err(damaged());
        }
        let mut body = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| damaged())?;
        let plain = self
            .address
            .open_in_place(nonce, Aad::from(receipt_id.as_bytes()), &mut body)
            .map_err(|_| damaged())?;
        String::from_utf8(plain.to_vec()).map_err(|_| damaged())
    }

    /// The lookup hash of a normalised phone number.
    pub(crate) fn phone_hash(&self, phone: &str) -> String {
        hex(hmac::sign(&self.lookup, phone.as_bytes()).as_ref())
    }

    /// The stored form of a login code for a number (by its lookup hash).
    pub(crate) fn code_hash(&self, phone_hash: &str, code: &str) -> String {
        let message = format!("{phone_hash}:{code}");
        hex(hmac::sign(&self.code, message.as_bytes()).as_ref())
    }

    /// The form token that goes with a CSRF cookie value.
    pub(crate) fn csrf_token(&self, cookie: &str) -> String {
        hex(hmac::sign(&self.csrf, cookie.as_bytes()).as_ref())
    }
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_and_are_bound_to_their_receipt() {
        let keys = DeliveryKeys::from_master(&[7u8; 32]).unwrap();
        let sealed = keys.seal_address("r1", "+8613800138000").unwrap();
        assert!(!sealed.contains("138"));
        assert_eq!(keys.open_address("r1", &sealed).unwrap(), "+8613800138000");
        assert!(keys.open_address("r2", &sealed).is_err());
        assert!(keys.open_address("r1", "AAAA").is_err());
        assert_eq!(
            keys.phone_hash("+8613800138000"),
            keys.phone_hash("+8613800138000")
        );
        assert_ne!(keys.code_hash("a", "123456"), keys.code_hash("b", "123456"));
        assert_eq!(decode_hex32(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(decode_hex32("zz"), None);
    }
}
