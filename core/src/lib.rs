//! # ereceipt-core
//!
//! The core of the ereceipt SDK: everything a mobile POS needs to turn a card payment into an
//! electronic receipt, with no FFI, no HTTP server and no platform code in it.
//!
//! The flow (Source A of the project's mission): a [`Transaction`] is captured and validated
//! (full card numbers are masked on input), the cardholder's handwriting is captured in a
//! [`signature::CaptureSession`] that decides when the signature is finished, and
//! [`render::render_receipt`] composes a small, reproducible 1-bit PNG receipt.
//!
//! ```
//! use ereceipt_core::render::{render_receipt, ReceiptDocument, RenderOptions};
//! use ereceipt_core::Transaction;
//!
//! let json = r#"{
//!   "kind": "sale",
//!   "trace_number": "000123",
//!   "amount": 12800,
//!   "currency": "CNY",
//!   "local_time": "2026-11-22T14:03:27+08:00",
//!   "terminal_id": "T0000001",
//!   "merchant": { "id": "898310048990001", "name": "上海星光咖啡馆" },
//!   "card": { "pan": "6222020200112233446", "brand": "unionpay", "entry_mode": "chip",
//!             "cardholder_verification": "online_pin" },
//!   "auth_code": "A1B2C3",
//!   "retrieval_reference_number": "632514789012",
//!   "batch_number": "000045"
//! }"#;
//! let tx = Transaction::from_json(json)?;
//! // The full card number never leaves the input check.
//! assert_eq!(tx.card().masked_pan.as_str(), "622202*********3446");
//!
//! let png = render_receipt(&ReceiptDocument::new(&tx), &RenderOptions::default())?;
//! assert_eq!(&png.bytes()[1..4], b"PNG");
//! # Ok::<(), ereceipt_core::Error>(())
//! ```

mod durable;
pub mod identity;
pub mod money;
pub mod outbox;
pub mod pan;
pub mod record;
pub mod render;
pub mod seal;
pub mod signature;
pub mod terminal;
pub mod transaction;
pub mod upload;
pub mod watermark;

mod bytes;
mod error;

pub use error::Error;
pub use money::{Currency, Money};
pub use transaction::Transaction;
