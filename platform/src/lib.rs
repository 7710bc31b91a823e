//! The ereceipt receipt platform: enrolls terminals, ingests sealed receipts, stores and
//! delivers them, and verifies receipt images.
//!
//! The service is delivered by the platform issue; until then this crate only establishes the
//! dependency direction (`platform` → `core`).

pub use ereceipt_core as core;
