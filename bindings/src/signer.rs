//! The terminal's signing key as a foreign trait, so that an app keeps it in Android Keystore
//! / StrongBox or the iOS Secure Enclave and the SDK never sees the private key.

use crate::error::EReceiptError;
use ereceipt_core::identity::{self, SignerError};
use std::sync::Arc;

/// The terminal's ES256 (ECDSA P-256 with SHA-256) key, implemented by the app.
///
/// Android: a `KeyPairGenerator("EC")` key in the `AndroidKeyStore` (StrongBox when
/// available) and `Signature.getInstance("SHA256withECDSA")`; iOS: a Secure Enclave
/// `SecKey` and `SecKeyCreateSignature(.ecdsaSignatureMessageX962SHA256)`. Both return ASN.1
/// DER signatures: convert them with [`der_to_fixed_signature`]. CryptoKit's
/// `SecureEnclave.P256.Signing.PrivateKey` gives `r ‖ s` already (`rawRepresentation` of its
/// signature), as the iOS demo uses it.
///
/// The SDK calls it while enrolling (to sign the certificate request, and for the public key),
/// when opening a terminal (to match the key with the certificate) and for every receipt, on
/// the thread that called the SDK (for `enroll`, the thread the SDK starts for the call).
#[uniffi::export(with_foreign)]
pub trait Signer: Send + Sync {
    /// Signs `message` (hash it with SHA-256 as part of signing) and returns the signature in
    /// fixed form: exactly 64 bytes, `r` then `s`, each big-endian and left-padded to 32 bytes.
    ///
    /// # Errors
    /// Throw `SignerFailed` with a reason (never key material) when the key is locked, busy
    /// or gone: a receipt is then issued unsigned and says so; an enrollment fails. Any other
    /// exception is treated the same way.
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, EReceiptError>;

    /// The public key as an uncompressed SEC1 point: 65 bytes, starting with `0x04`.
    ///
    /// # Errors
    /// As `sign`.
    fn public_key(&self) -> Result<Vec<u8>, EReceiptError>;
}

/// The app's [`Signer`] as the core's signer.
pub(crate) struct ForeignSigner(pub(crate) Arc<dyn Signer>);

impl identity::Signer for ForeignSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.0.sign(message.to_vec()).map_err(signer_error)
    }

    fn public_key(&self) -> Result<Vec<u8>, SignerError> {
        self.0.public_key().map_err(signer_error)
    }
}

/// What the app's signer threw, as the core's signer error.
fn signer_error(e: EReceiptError) -> SignerError {
    match e {
        EReceiptError::SignerFailed { reason } => SignerError::Failed { reason },
        other => SignerError::Failed {
            reason: other.to_string(),
        },
    }
}

/// Converts an ASN.1 DER ECDSA P-256 signature (what Android Keystore, the Secure Enclave,
/// Java's `Signature("SHA256withECDSA")` and OpenSSL return) into the fixed 64-byte `r ‖ s`
/// form that [`Signer::sign`] returns.
///
/// # Errors
/// `InvalidInput` (`der`) for anything that is not a strict DER P-256 signature.
#[uniffi::export]
pub fn der_to_fixed_signature(der: Vec<u8>) -> Result<Vec<u8>, EReceiptError> {
    identity::der_signature_to_fixed(&der)
        .map(|fixed| fixed.to_vec())
        .map_err(|e| EReceiptError::invalid("der", e))
}
