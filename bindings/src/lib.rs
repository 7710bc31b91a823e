//! # ereceipt-ffi
//!
//! The ereceipt SDK as Kotlin (Android, JVM), Swift (iOS) and Python see it, through
//! [UniFFI](https://mozilla.github.io/uniffi-rs/) proc-macros.
//!
//! This crate is a thin layer of exported wrappers over `ereceipt-core` and owns no logic:
//! every rule (validation, capture, rendering, signing, sealing, the outbox, uploading,
//! verifying) lives in the core and is tested there. What is here: records and enums that
//! mirror the core's types ([`types`], [`transaction`]), the objects an app holds
//! ([`EReceiptSdk`], [`SignatureCapture`], [`HandwrittenSignature`]), the traits an app
//! implements ([`Signer`] for a hardware key, [`Clock`]), and the one error type of the edge
//! ([`EReceiptError`]) with the mapping of every core error into it.
//!
//! In Kotlin (package `org.ereceipt.sdk`):
//!
//! ```kotlin
//! val sdk = EReceiptSdk(SdkConfig(storageDir = dir, platformUrl = "https://receipts.example.com/"),
//!                       signer = KeystoreSigner("terminal"))
//! if (!sdk.isEnrolled()) sdk.enroll(token, "SH000001")          // suspend
//! val capture = SignatureCapture(SignaturePad(1080u, 600u, 420u))
//! // … capture.beginStroke / addPoint / endStroke from onTouchEvent, poll isComplete() …
//! val receipt = sdk.issue(transactionJson, capture.finish(), Delivery.Sms("+8613800138000"))
//! sdk.startAutoFlush()                                          // or: sdk.flush() (suspend)
//! ```
//!
//! Generated bindings, packaging and tests: `docs/BINDINGS.md`.
//!
//! # Errors and panics
//!
//! Every exported function returns `Result<_, EReceiptError>`; a panic would still be caught by
//! UniFFI at the edge and become an exception (the release profiles keep `panic = "unwind"`),
//! but none is expected: the core never panics on input.

// UniFFI's macros generate the `extern "C"` scaffolding (`#[unsafe(no_mangle)]` functions and
// the pointer handling behind them), which needs unsafe code; `Cargo.toml` lowers the
// workspace's `forbid` to `deny` for this crate so that this one `allow` can lift it. There is
// no hand-written unsafe code in this crate.
#![allow(unsafe_code)]

uniffi::setup_scaffolding!("ereceipt");

mod asynchronous;
mod error;
mod sdk;
mod signature;
mod signer;
pub mod transaction;
pub mod types;
mod verify;

pub use error::EReceiptError;
pub use sdk::{EReceiptSdk, SdkConfig, TerminalInfo};
pub use signature::{Clock, HandwrittenSignature, SignatureCapture};
pub use signer::{Signer, der_to_fixed_signature};
pub use transaction::{CardTransaction, parse_transaction, transaction_to_json};
pub use verify::verify_receipt;

use ereceipt_core::render::font::FontPack;
use ereceipt_core::seal;

/// Installs the receipt font pack, once, when the app starts, before anything is rendered.
///
/// The phone libraries (the Android AAR, the iOS package) do not embed the font pack, to stay
/// small: they ship it as `ereceipt-mono-24.erfp` (the AAR's `assets/`, the iOS package's
/// resources), and the app reads that file and passes its bytes here. Until then issuing and
/// verifying fail with `InvalidInput` (`font_pack`). The JVM, Python and desktop builds embed
/// the pack, so there this call is unnecessary and harmless. Calling it again changes nothing.
///
/// # Errors
/// `InvalidInput` (`font_pack`) for bytes that are not a font pack, or a pack other than the one
/// this library version draws with (it would make every receipt look edited to a verifier).
#[uniffi::export]
pub fn install_font_pack(bytes: Vec<u8>) -> Result<(), EReceiptError> {
    FontPack::install(&bytes).map_err(|e| EReceiptError::invalid("font_pack", e))
}

/// Parses a delivery choice in the CLI's text form, `sms:+8613800138000`, `mms:…`,
/// `email:ana@example.com` or `pull:…`, and returns it with the address normalised (spaces and
/// hyphens removed from phone numbers, the e-mail domain lower-cased).
///
/// # Errors
/// `InvalidInput` (`delivery`) for an unknown kind or an invalid address.
#[uniffi::export]
pub fn parse_delivery(text: String) -> Result<types::Delivery, EReceiptError> {
    seal::Delivery::parse(&text)?.try_into()
}
