//! Verifying a receipt image: what a platform, an auditor or a server-side Python job calls.

use crate::error::EReceiptError;
use crate::types::VerificationReport;
use ereceipt_core::identity::CaCertificate;
use ereceipt_core::record::{VerifyOptions, verify_image};
use std::time::{SystemTime, UNIX_EPOCH};

/// Verifies a receipt image (the PNG as issued, or a JPEG a messaging app made of it): checks
/// its signed record against the certificate chain and re-renders it to find edits. Without
/// `trusted_ca_pem` (the platform's CA certificate) nothing can be called authentic, but edits
/// are still found.
///
/// Every finding is in the report; an error means the input could not be examined at all.
///
/// # Errors
/// `InvalidInput` (`image`) for bytes that are not a readable PNG or JPEG, (`trusted_ca_pem`)
/// for a CA certificate that is not PEM.
#[uniffi::export(default(trusted_ca_pem = None))]
pub fn verify_receipt(
    image: Vec<u8>,
    trusted_ca_pem: Option<String>,
) -> Result<VerificationReport, EReceiptError> {
    let anchor = trusted_ca_pem
        .map(|pem| CaCertificate::from_pem(&pem))
        .transpose()
        .map_err(|e| EReceiptError::invalid("trusted_ca_pem", e))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let options = VerifyOptions {
        trust_anchor: anchor.as_ref(),
        known_certificates: &[],
        at_unix_seconds: now,
    };
    Ok(verify_image(&image, &options)?.into())
}
