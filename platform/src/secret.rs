//! Random secrets and their stored form.
//!
//! API keys and enrollment tokens are shown once and stored only as SHA-256 digests: a copy of
//! the database does not let anyone call the API or enroll a terminal. The secrets carry at least
//! 128 random bits, so an unsalted fast hash is enough (there is nothing to brute-force).

use crate::error::PlatformError;
use aws_lc_rs::{constant_time, digest, rand};
use ereceipt_core::record::hex;

/// `n` random bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], PlatformError> {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes).map_err(|_| PlatformError::key("the random source failed"))?;
    Ok(bytes)
}

/// `N` random bytes as lower-case hex.
pub(crate) fn random_hex<const N: usize>() -> Result<String, PlatformError> {
    Ok(hex(&random_bytes::<N>()?))
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// SHA-256 of `data` as lower-case hex: how secrets and blobs are identified.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

/// Compares two stored digests in constant time.
pub(crate) fn digests_equal(a: &str, b: &str) -> bool {
    constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}
